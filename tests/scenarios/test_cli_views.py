"""The reading commands of the CLI on a SQLite file the demo wrote: plan show (the
citizen's plan, and a sector view as the reader's sector may see it), replay, caseload,
journey and the access log, each read as the principal named by --as; junk gives a
one-line error and a non-zero exit."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import orjson
import pytest
from typer.testing import CliRunner

from oneplan import OnePlan, Principal
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
    result = runner.invoke(cli, list(args), env={"ONEPLAN_PRINCIPAL": None, "COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


ANNE = ("--as", "staff:anne.t")
"""The plan's coordinator."""
AUDITOR = ("--as", "auditor:rev-7", "--basis", "Kommunestyrelsesloven § 42")


def test_plan_show_prints_the_citizens_plan_in_danish_markdown(
    demo_db: tuple[str, UUID, UUID],
) -> None:
    db, plan, _ = demo_db

    code, out, err = run("plan", "show", str(plan), "--db", db, *ANNE)

    assert code == 0, err
    assert out.startswith("# Jeres plan \u2013 Mette Hansen og Jonas Hansen")


def test_the_citizen_reads_their_own_plan_and_another_citizen_is_refused(
    demo_db: tuple[str, UUID, UUID],
) -> None:
    db, plan, citizen = demo_db

    code, out, err = run("plan", "show", str(plan), "--db", db, "--as", f"citizen:{citizen}")
    assert code == 0, err
    assert out.startswith("# Jeres plan")

    stranger = "citizen:00000000-0000-4000-8000-00000000000f"
    code, out, err = run("plan", "show", str(plan), "--db", db, "--as", stranger)
    assert code == 1
    assert out == ""
    assert err.startswith(f"oneplan: {stranger} may not: read the citizen's plan")
    assert "(citizen_plan_to_the_citizen_or_those_holding_it)" in err


def test_plan_show_renders_english_html(demo_db: tuple[str, UUID, UUID]) -> None:
    db, plan, _ = demo_db

    code, out, _ = run(
        "plan", "show", str(plan), "--db", db, "--format", "html", "--language", "en", *ANNE
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
        "--as",
        "staff:lars.s",
        "--format",
        "json",
    )

    assert code == 0
    view = orjson.loads(out)
    assert view["sector"] == "social"
    assert view["interventions"]
    assert all(i["allowed_by"]["basis"] in ("own-sector", "consent") for i in view["interventions"])


def test_plan_show_for_housing_shows_only_what_housing_may_see(
    demo_db: tuple[str, UUID, UUID],
) -> None:
    db, plan, _ = demo_db
    hanne = ("--sector", "housing", "--as", "staff:hanne.b", "--db", db)  # not on the plan

    code, out, err = run("plan", "show", str(plan), *hanne, "--format", "json")
    assert code == 0, err
    view = orjson.loads(out)
    lars = ("--sector", "social", "--as", "staff:lars.s", "--db", db, "--format", "json")
    social = orjson.loads(run("plan", "show", str(plan), *lars)[1])

    kinds = ("wishes", "goals", "notes", "interventions", "withheld_interventions", "meetings")
    assert view["sector"] == "housing"
    assert [kind for kind in kinds if view[kind]] == []
    assert view["coordinator"] is None
    assert all(social[kind] for kind in ("wishes", "goals", "interventions", "meetings"))
    code, out, _ = run("plan", "show", str(plan), *hanne)
    assert code == 0
    assert "nothing: no consent or legal basis lets the housing sector see anything" in out
    assert "Jeg vil gerne" not in out


def test_a_sector_view_is_read_as_the_readers_own_sector_only(
    demo_db: tuple[str, UUID, UUID],
) -> None:
    db, plan, _ = demo_db

    code, out, err = run(
        "plan", "show", str(plan), "--sector", "social", "--as", "staff:hanne.b", "--db", db
    )

    assert code == 1
    assert out == ""
    assert err == (
        "oneplan: invalid ReadSectorView: sector: the reader acts for housing, not social\n"
    )


def test_the_access_log_shows_a_sector_read_done_before(
    demo_db: tuple[str, UUID, UUID],
) -> None:
    db, plan, citizen = demo_db
    read = run("plan", "show", str(plan), "--sector", "health", "--as", "staff:sofie.h", "--db", db)
    assert read[0] == 0, read[2]

    code, out, err = run("access-log", str(citizen), *AUDITOR, "--db", db, "--format", "json")

    assert code == 0, err
    log = orjson.loads(out)
    assert log["citizen_id"] == str(citizen)
    [by_sofie] = [e for e in log["entries"] if e["reader"]["id"] == "sofie.h"]
    assert (by_sofie["what"], by_sofie["sector"], by_sofie["plan_id"]) == (
        "sector-view",
        "health",
        str(plan),
    )
    assert by_sofie["shown"]  # (runs of ids of one kind under one basis: ItemsShown)
    assert all(run["basis"] in ("own-sector", "consent") for run in by_sofie["shown"])
    assert all(run["item_ids"] for run in by_sofie["shown"])
    assert by_sofie["items"]  # (and every item one by one, as before)
    assert all(item["basis"] in ("own-sector", "consent") for item in by_sofie["items"])

    code, out, _ = run("access-log", str(citizen), "--as", f"citizen:{citizen}", "--db", db)
    assert code == 0
    [line] = [line for line in out.splitlines() if "sofie.h" in line]
    assert "health" in line
    assert "sector-view" in line
    assert "reads and disclosures of citizen" in out


def test_the_access_log_is_refused_to_staff_who_are_no_records_officer(
    demo_db: tuple[str, UUID, UUID],
) -> None:
    db, _, citizen = demo_db

    code, out, err = run("access-log", str(citizen), *ANNE, "--db", db)

    assert code == 1
    assert out == ""
    assert err.startswith("oneplan: staff:anne.t may not: read the access log of citizen")
    assert len(err.strip().splitlines()) == 1


def test_replay_rebuilds_every_view(demo_db: tuple[str, UUID, UUID]) -> None:
    db, _, _ = demo_db

    code, out, _ = run("replay", "--db", db)

    assert code == 0
    assert "events folded into 7 views" in out


def test_caseload_and_journey_read_the_views(demo_db: tuple[str, UUID, UUID]) -> None:
    db, plan, citizen = demo_db

    code, out, _ = run("caseload", "anne.t", "--db", db, "--format", "json", *ANNE)
    assert code == 0
    assert [p["plan_id"] for p in orjson.loads(out)["active_plans"]] == [str(plan)]

    code, out, _ = run("journey", str(citizen), "--db", db, *ANNE)
    assert code == 0
    assert "caseworkers met across" in out


def test_every_coordinators_caseload_is_read_by_an_auditor_and_staff_read_their_own(
    demo_db: tuple[str, UUID, UUID],
) -> None:
    db, _, _ = demo_db

    code, out, err = run("caseload", "--db", db, "--format", "json", *AUDITOR)
    assert code == 0, err
    assert {load["coordinator_id"] for load in orjson.loads(out)} >= {"anne.t"}

    code, out, err = run("caseload", "--db", db, *ANNE)
    assert code == 1
    assert err == (
        "oneplan: every coordinator's caseload is read by an auditor: name a coordinator "
        "(your own id, anne.t)\n"
    )
    code, out, err = run("caseload", "anne.t", "--db", db, "--as", "staff:lars.s")
    assert code == 1
    assert "staff:lars.s may not: read the caseload of anne.t" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "show", "{plan}", "--db", "missing.db"), "no database at missing.db"),
        (("plan", "show", "{plan}", "--db", "{db}", "--as-of", "2026-03-01"), "needs a time zone"),
        (("plan", "show", "{plan}", "--db", "{db}", "--as-of", "soon"), "not an ISO date"),
        (
            ("plan", "show", "{plan}", "--db", "{db}", "--sector", "social", "--format", "md"),
            "a sector view is shown as text or json",
        ),
        (("plan", "show", "{plan}", "--db", "{db}", "--as", ""), "give --as"),
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

    if "--as" not in args:
        args = (*args, *ANNE)
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

    code, _, err = run("caseload", "anne.t", "--db", str(other), *ANNE)

    assert code != 0
    assert err.startswith("oneplan: ")
    assert len(err.strip().splitlines()) == 1


def test_a_sector_views_progress_notes_are_paged_by_cursor(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    with OnePlan.open(f"sqlite:///{path}") as app:
        plan = run_demo(app, lambda _: None)
        goal = next(iter(record(app).plan(plan).goals))
        for k in range(2):
            app.as_(Principal.staff("lars.s")).record_goal_progress(
                plan_id=plan, goal_id=goal, achievement="improving", note=f"week {k}"
            )
    lars = ("--sector", "social", "--as", "staff:lars.s", "--db", str(path))

    every = orjson.loads(run("plan", "show", str(plan), *lars, "--format", "json")[1])
    code, out, err = run("plan", "show", str(plan), *lars, "--notes-limit", "1", "--format", "json")
    assert code == 0, err
    first = orjson.loads(out)
    before = ("--notes-before", first["older_notes"], "--all-notes")
    older = orjson.loads(run("plan", "show", str(plan), *lars, *before, "--format", "json")[1])
    code, text, _ = run("plan", "show", str(plan), *lars, "--notes-limit", "1")
    junk = run("plan", "show", str(plan), *lars, "--notes-before", "junk")
    letter = run("plan", "show", str(plan), *ANNE, "--db", str(path), "--all-notes")

    assert len(every["notes"]) == 3
    assert every["older_notes"] is None
    assert [n["item"]["note"]["note"] for n in first["notes"]] == ["week 1"]
    assert [n for n in every["notes"] if n not in first["notes"]] == older["notes"]
    assert older["older_notes"] is None
    assert code == 0
    assert f"older ones: --notes-before {first['older_notes']}" in text
    assert junk[0] == 1
    assert junk[2].startswith("oneplan: invalid ReadSectorView: notes_before: ")
    assert letter[0] == 1
    assert "--sector" in letter[2]
