"""``oneplan simulate``, ``oneplan evaluate`` and ``oneplan evaluate-key`` on SQLite files:
the same seed gives the same municipality; the evaluation writes tables, plots and a
report; junk gives one line on stderr and a non-zero exit."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import polars as pl
import pytest
from typer.testing import CliRunner

from oneplan.cli import app as cli

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("simulate") / "municipality.db"
    code, out, err = run(
        "simulate", "--citizens", "20", "--seed", "7", "--years", "1", "--db", str(db)
    )
    assert code == 0, err
    assert "20 citizens" in out or "21 citizens" in out or "22 citizens" in out
    return db


def test_simulate_twice_with_one_seed_gives_the_same_municipality(
    simulated: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again.db"
    code, out, _ = run(
        "simulate",
        "--citizens",
        "20",
        "--seed",
        "7",
        "--years",
        "1",
        "--db",
        str(again),
        "--format",
        "json",
    )
    assert code == 0
    summary = orjson.loads(out)
    key = tmp_path / "key"
    assert run("evaluate-key", str(key))[0] == 0
    for db, name in ((simulated, "first"), (again, "second")):
        code, _, err = run(
            "evaluate",
            "--db",
            str(db),
            "--out",
            str(tmp_path / name),
            "--key-file",
            str(key),
            "--no-plots",
        )
        assert code == 0, err

    first = pl.read_parquet(tmp_path / "first" / "citizens.parquet")
    second = pl.read_parquet(tmp_path / "second" / "citizens.parquet")
    assert first.equals(second)
    assert first.height == summary["citizens"]


def test_evaluate_writes_tables_plots_and_a_report_linking_them(
    simulated: Path, tmp_path: Path
) -> None:
    out = tmp_path / "evaluation"

    code, stdout, _ = run(
        "evaluate", "--db", str(simulated), "--out", str(out), "--coarsen-dates", "--format", "json"
    )

    assert code == 0
    written = {Path(p).name for p in orjson.loads(stdout)["files"]}
    report = (out / "report.md").read_text()
    for name in (
        "caseworkers_per_citizen.png",
        "costs_by_sector.png",
        "citizens.csv",
        "balance.parquet",
    ):
        assert name in written
        assert f"({name})" in report
    assert (out / "time_to_first_intervention.png").read_bytes().startswith(b"\x89PNG")


def test_simulate_refuses_a_database_that_already_holds_events(simulated: Path) -> None:
    code, _out, err = run("simulate", "--citizens", "5", "--db", str(simulated))

    assert code == 1
    assert err.startswith("oneplan: ")
    assert "already holds events" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("simulate", "--citizens", "0"), "must be at least 1"),
        (("simulate", "--citizens", "5", "--start", "spring"), "is not an ISO date"),
        (("evaluate", "--db", "/nonexistent/x.db", "--out", "out"), "no database at"),
        (("evaluate", "--out", "out", "--as-of", "2026-01-01"), "needs a time zone"),
    ],
)
def test_junk_gives_one_line_and_a_non_zero_exit(
    args: tuple[str, ...], message: str, simulated: Path
) -> None:
    extra = ("--db", str(simulated)) if "--as-of" in args else ()
    code, _, err = run(*args, *extra)

    assert code != 0
    assert message in err
    assert "Traceback" not in err


def test_evaluate_with_a_bad_key_file_gives_one_line(simulated: Path, tmp_path: Path) -> None:
    key = tmp_path / "bad.key"
    key.write_text("c2hvcnQ=\n")

    code, _, err = run(
        "evaluate", "--db", str(simulated), "--out", str(tmp_path / "o"), "--key-file", str(key)
    )

    assert code == 1
    assert err.startswith("oneplan: an evaluation key is 32 random bytes")


def test_evaluate_key_never_overwrites_a_key(tmp_path: Path) -> None:
    key = tmp_path / "evaluation.key"
    assert run("evaluate-key", str(key))[0] == 0
    before = key.read_bytes()

    code, _, err = run("evaluate-key", str(key))

    assert code == 1
    assert "never overwritten" in err
    assert key.read_bytes() == before
    assert key.stat().st_mode & 0o077 == 0


def test_evaluate_without_the_evaluation_extra_says_how_to_install_it(
    simulated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "oneplan.evaluation.report", None)

    code, _, err = run("evaluate", "--db", str(simulated), "--out", str(tmp_path / "o"))

    assert code == 1
    assert (
        err == "oneplan: the evaluation extra is not installed: pip install 'oneplan[evaluation]'\n"
    )


def test_evaluate_reads_as_its_system_job_and_refuses_staff_and_citizens(
    simulated: Path, tmp_path: Path
) -> None:
    code, out, _ = run("evaluate", "--help")
    assert code == 0
    assert "system:evaluate" in " ".join(out.split())

    citizen = "citizen:00000000-0000-4000-8000-0000000000c1"
    code, _, err = run(
        "evaluate", "--db", str(simulated), "--out", str(tmp_path / "o"), "--as", citizen
    )

    assert code == 1
    assert err.startswith(f"oneplan: {citizen} may not: read an evaluation extract")
    assert "(full_record_to_auditors_and_system_jobs)" in err
    assert not (tmp_path / "o").exists()
