"""The reading commands of the CLI on a SQLite file the demo wrote: plan show, replay,
caseload, journey; junk gives a one-line error and a non-zero exit."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import orjson
import pytest
from typer.testing import CliRunner

from oneplan import OnePlan
from oneplan.cli import app as cli
from oneplan.demo import run_demo
from tests.builders import record

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, UUID, UUID]:
    path = tmp_path_factory.mktemp("cli") / "demo.db"
    with OnePlan.open(f"sqlite:///{path}") as app:
        plan_id = run_demo(app, lambda _: None)
        citizen_id = record(app).plan(plan_id).citizen_ids[0]
    return str(path), plan_id, citizen_id


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_plan_show_prints_the_citizens_plan_in_danish_markdown(
    demo_db: tuple[str, UUID, UUID],
) -> None:
    db, plan, _ = demo_db

    code, out, _ = run("plan", "show", str(plan), "--db", db)

    assert code == 0
    assert out.startswith("# Jeres plan \u2013 Mette Hansen og Jonas Hansen")


def test_plan_show_renders_english_html(demo_db: tuple[str, UUID, UUID]) -> None:
    db, plan, _ = demo_db

    code, out, _ = run(
        "plan", "show", str(plan), "--db", db, "--format", "html", "--language", "en"
    )

    assert code == 0
    assert out.startswith("<!DOCTYPE html>")
    assert 'lang="en"' in out


def test_plan_show_for_a_sector_names_what_allowed_each_item(
    demo_db: tuple[str, UUID, UUID],
) -> None:
    db, plan, _ = demo_db

    code, out, _ = run(
        "plan",
        "show",
        str(plan),
        "--db",
        db,
        "--sector",
        "social",
        "--reader",
        "lars.s",
        "--format",
        "json",
    )

    assert code == 0
    view = orjson.loads(out)
    assert view["sector"] == "social"
    assert view["interventions"]
    assert all(i["allowed_by"]["basis"] in ("own-sector", "consent") for i in view["interventions"])


def test_replay_rebuilds_every_view(demo_db: tuple[str, UUID, UUID]) -> None:
    db, _, _ = demo_db

    code, out, _ = run("replay", "--db", db)

    assert code == 0
    assert "events folded into 7 views" in out


def test_caseload_and_journey_read_the_views(demo_db: tuple[str, UUID, UUID]) -> None:
    db, plan, citizen = demo_db

    code, out, _ = run("caseload", "anne.t", "--db", db, "--format", "json")
    assert code == 0
    assert [p["plan_id"] for p in orjson.loads(out)["active_plans"]] == [str(plan)]

    code, out, _ = run("journey", str(citizen), "--db", db)
    assert code == 0
    assert "caseworkers met across" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "show", "{plan}", "--db", "missing.db"), "no database at missing.db"),
        (("plan", "show", "{plan}", "--db", "{db}", "--as-of", "2026-03-01"), "needs a time zone"),
        (("plan", "show", "{plan}", "--db", "{db}", "--as-of", "soon"), "not an ISO date"),
        (("plan", "show", "{plan}", "--db", "{db}", "--sector", "social"), "needs --reader"),
        (
            ("plan", "show", "00000000-0000-0000-0000-000000000000", "--db", "{db}"),
            "not found",
        ),
        (("journey", "00000000-0000-0000-0000-000000000000", "--db", "{db}"), "not found"),
    ],
)
def test_junk_gives_a_one_line_error_and_a_non_zero_exit(
    demo_db: tuple[str, UUID, UUID], args: tuple[str, ...], message: str
) -> None:
    db, plan, _ = demo_db

    code, out, err = run(*(a.format(plan=plan, db=db) for a in args))

    assert code != 0
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err


def test_a_database_of_another_program_is_a_one_line_error(tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE stored_events (x TEXT)")
        db.execute("INSERT INTO stored_events VALUES ('not ours')")

    code, _, err = run("caseload", "--db", str(other))

    assert code != 0
    assert err.startswith("oneplan: ")
    assert len(err.strip().splitlines()) == 1
