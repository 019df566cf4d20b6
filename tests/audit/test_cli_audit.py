"""``oneplan audit``: export, verify (exit 0 intact, 1 broken with one line naming the
position, 2 not verifiable), anchor and start, on a SQLite file the demo wrote."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
from pathlib import Path

import attrs
import orjson
import pytest
from typer.testing import CliRunner

from oneplan import Keys, OnePlan, Principal, Sector, StaffRole
from oneplan.cli import app as cli
from oneplan.demo import run_demo
from tests.builders import auditing

runner = CliRunner()
AUDITOR = ("--as", "auditor:rev-7", "--basis", "Kommunestyrelsesloven § 42")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A demo record with the chain on, and its key file (kept elsewhere, of course)."""
    folder = tmp_path_factory.mktemp("audit-cli")
    keys = Keys.generate()
    key_file = folder / "keys"
    keys.write(key_file)
    with OnePlan.open(f"sqlite:///{folder / 'demo.db'}", keys=keys) as app:
        run_demo(app, lambda _: None)
    return folder / "demo.db", key_file


@pytest.fixture(scope="module")
def demo_events(demo: tuple[Path, Path]) -> int:
    """How many events the demo stored (its staff directory included)."""
    with OnePlan.open(f"sqlite:///{demo[0]}", keys=Keys.read(demo[1])) as app:
        return app.recorder.max_notification_id()


@pytest.fixture
def db(demo: tuple[Path, Path], tmp_path: Path) -> Path:
    """A copy of the demo record the test may tamper with."""
    copy = tmp_path / "demo.db"
    shutil.copy(demo[0], copy)
    return copy


def run(*args: str, key_file: Path | None = None) -> tuple[int, str, str]:
    env = {"ONEPLAN_KEY_FILE": str(key_file) if key_file else "", "ONEPLAN_AUDIT_KEY": ""}
    result = runner.invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_verify_says_intact_and_exits_0(
    db: Path, demo: tuple[Path, Path], demo_events: int
) -> None:
    code, out, _ = run("audit", "verify", "--db", str(db), key_file=demo[1])

    assert code == 0
    assert out.startswith(
        f"intact: {demo_events} events read, {demo_events} chain entries verified"
    )


def test_verify_names_the_first_broken_position_in_one_line_and_exits_1(
    db: Path, demo: tuple[Path, Path]
) -> None:
    with sqlite3.connect(db) as tamper:
        tamper.execute(
            "UPDATE stored_events SET state = CAST(CAST(state AS TEXT) || ' ' AS BLOB) "
            "WHERE rowid = 17"
        )

    code, out, err = run("audit", "verify", "--db", str(db), key_file=demo[1])

    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("oneplan: position 17: modified: the stored bytes of stream ")


def test_verify_without_the_key_checks_the_structure_and_exits_2(
    db: Path, demo: tuple[Path, Path], tmp_path: Path
) -> None:
    without_audit_key = tmp_path / "keys"
    attrs.evolve(Keys.read(demo[1]), audit_key=None).write(without_audit_key)

    code, _, err = run("audit", "verify", "--db", str(db), key_file=without_audit_key)

    assert code == 2
    assert err.startswith("oneplan: not verified: no audit key is configured")


def test_verify_as_json_reports_the_finding(db: Path, demo: tuple[Path, Path]) -> None:
    with sqlite3.connect(db) as tamper:
        tamper.execute("DELETE FROM stored_events WHERE rowid = 3")

    code, out, _ = run("audit", "verify", "--db", str(db), "--format", "json", key_file=demo[1])

    report = orjson.loads(out)
    assert code == 1
    assert report["status"] == "broken"
    assert report["finding"]["position"] == 3
    assert report["finding"]["breach"] == "deleted"


def test_an_anchor_is_written_once_and_catches_a_cut_off_tail(
    db: Path, demo: tuple[Path, Path], demo_events: int, tmp_path: Path
) -> None:
    anchor = tmp_path / "kept-elsewhere.json"
    code, out, _ = run("audit", "anchor", "--out", str(anchor), "--db", str(db), key_file=demo[1])
    assert code == 0
    assert f"anchored position {demo_events}" in out
    code, _, err = run("audit", "anchor", "--out", str(anchor), "--db", str(db), key_file=demo[1])
    assert code == 1
    assert "never overwritten" in err

    kept = demo_events - 2
    with sqlite3.connect(db) as tamper:
        tamper.execute(f"DELETE FROM stored_events WHERE rowid > {kept}")
        tamper.execute(f"DELETE FROM oneplan_audit_chain WHERE notification_id > {kept}")

    assert run("audit", "verify", "--db", str(db), key_file=demo[1])[0] == 0
    code, _, err = run(
        "audit", "verify", "--anchor", str(anchor), "--db", str(db), key_file=demo[1]
    )
    assert code == 1
    assert err.startswith(f"oneplan: position {kept + 1}: truncated:")


def test_an_unreadable_anchor_is_one_line_and_exit_2(
    db: Path, demo: tuple[Path, Path], tmp_path: Path
) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text('{"format": "something else"}')

    code, _, err = run("audit", "verify", "--anchor", str(junk), "--db", str(db), key_file=demo[1])

    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"oneplan: {junk} is not an anchor:")


def test_making_an_anchor_needs_the_key(db: Path, demo: tuple[Path, Path], tmp_path: Path) -> None:
    without_audit_key = tmp_path / "keys"
    attrs.evolve(Keys.read(demo[1]), audit_key=None).write(without_audit_key)

    code, _, err = run(
        "audit",
        "anchor",
        "--out",
        str(tmp_path / "a.json"),
        "--db",
        str(db),
        key_file=without_audit_key,
    )

    assert code == 1
    assert err.startswith("oneplan: making an anchor needs the audit key")


def test_export_writes_json_lines_of_one_citizen(db: Path, demo: tuple[Path, Path]) -> None:
    with OnePlan.open(f"sqlite:///{db}", keys=Keys.read(demo[1])) as app:
        mette = next(
            e.stream_id for e in auditing(app).audit_trail() if e.action == "Citizen.Registered"
        )

    code, out, err = run(
        "audit", "export", "--citizen", str(mette), *AUDITOR, "--db", str(db), key_file=demo[1]
    )

    entries = [orjson.loads(line) for line in out.splitlines()]
    assert code == 0
    assert entries
    assert all(str(mette) in e["citizen_ids"] for e in entries)
    assert err == f"{len(entries)} audit entries exported\n"


def test_export_writes_csv_of_one_actor_since_a_time_to_a_file(
    db: Path, demo: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "trail.csv"

    code, _, _ = run(
        "audit",
        "export",
        "--actor",
        "lars.s",
        "--since",
        "2020-01-01T00:00+00:00",
        "--format",
        "csv",
        "--out",
        str(out),
        *AUDITOR,
        "--db",
        str(db),
        key_file=demo[1],
    )

    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert code == 0
    assert rows
    assert {r["actor_id"] for r in rows} == {"lars.s"}


def test_export_refuses_a_time_without_a_zone_in_one_line(db: Path) -> None:
    code, _, err = run("audit", "export", "--since", "2026-01-01", "--db", str(db))

    assert code == 1
    assert err == "oneplan: --since '2026-01-01' needs a time zone, e.g. 2026-03-01T12:00+01:00\n"


def test_start_begins_the_chain_on_a_record_that_predates_it(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    Keys.generate().write(keys)
    db = tmp_path / "old.db"
    with OnePlan.open(f"sqlite:///{db}", keys=Keys()) as app:
        run_demo(app, lambda _: None)
        app.as_(Principal.staff("it.admin")).register_staff(
            staff_id="keys.k",
            name="Key custodian",
            sector=Sector.SOCIAL,
            roles=[StaffRole.KEY_CUSTODIAN],
        )
        last = app.recorder.max_notification_id()

    code, _, err = run("audit", "verify", "--db", str(db), key_file=keys)
    assert code == 2
    assert "no audit chain" in err
    code, out, _ = run("audit", "start", "--as", "staff:keys.k", "--db", str(db), key_file=keys)
    assert code == 0
    assert out.startswith(
        f"the audit chain starts after position {last}: positions 1-{last} predate"
    )


def test_long_logs_show_a_progress_bar_on_stderr(
    db: Path, demo: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("oneplan.cli.audit.PROGRESS_FROM", 10)

    code, out, err = run("audit", "verify", "--db", str(db), key_file=demo[1])

    assert code == 0
    assert "verifying the log" in err
    assert out.startswith("intact")


@pytest.mark.parametrize("command", ["export", "verify", "anchor", "start"])
def test_every_audit_command_explains_itself(command: str) -> None:
    code, out, _ = run("audit", command, "--help")

    assert code == 0
    assert "--db" in out
