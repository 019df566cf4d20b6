"""The privacy commands of the CLI on a SQLite file: retention due (text and json),
archive delivery of plans and of a citizen's sector plans, erasure with its refusals as
one-line errors, and master-key rotation; each done as a principal whose role allows it
(a records officer, a key custodian, the retention run), and refused to others."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from typer.testing import CliRunner

from oneplan import Keys, OnePlan, Sector
from oneplan.aggregates.personal import ERASED
from oneplan.cli import app as cli
from tests.builders import RECORDS, acting, at, officer, record, register_staff
from tests.conftest import FixedClock
from tests.integration.test_canaries_and_keys import key_env
from tests.integration.test_privacy import NAME, case_file
from tests.integration.test_retention_of_sector_plans import effort, finish

runner = CliRunner()

OFFICER = ("--as", f"staff:{RECORDS.id}")
"""A records officer and key custodian (registered by ``officer(app)``)."""
RETENTION_RUN = ("--as", "system:retention-run")
AUDITOR = ("--as", "auditor:rev-7", "--basis", "Kommunestyrelsesloven § 42")


def test_retention_deliver_erase_and_rotate_on_the_command_line(tmp_path: Path) -> None:
    path, keys = tmp_path / "oneplan.db", Keys.generate()
    with OnePlan.open(f"sqlite:///{path}", clock=FixedClock(), keys=keys) as app:
        citizen, plan = case_file(app)
        officer(app)
        register_staff(app, "clerk", Sector.SOCIAL)  # a caseworker, no other role
    env, db = key_env(keys), ["--db", str(path)]

    due = runner.invoke(
        cli,
        ["retention", "due", "--at", "2032-01-01", "--format", "json", *db, *RETENTION_RUN],
        env=env,
    )
    assert due.exit_code == 0, due.output
    [row] = orjson.loads(due.stdout)
    assert (row["citizen_id"], row["ready"], row["awaiting_archive"]) == (
        str(citizen),
        False,
        [str(plan)],
    )

    for command in (
        ["retention", "due", "--at", "2032-01-01"],
        ["erase", str(citizen)],
        ["retention", "deliver", str(plan), "--archive", "Rigsarkivet", "--reference", "A-0"],
    ):
        refused = runner.invoke(cli, [*command, *db, "--as", "staff:clerk"], env=env)
        assert refused.exit_code == 1, refused.output
        assert refused.stderr.startswith("oneplan: staff:clerk may not: ")
        assert "needs the role records-officer (role_held)" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    auditor = runner.invoke(cli, ["erase", str(citizen), *db, "--as", "auditor:rev-7"], env=env)
    assert auditor.exit_code == 1
    assert auditor.stderr == (
        "oneplan: --as 'auditor:rev-7': auditors read only, and this command writes\n"
    )

    early = runner.invoke(cli, ["erase", str(citizen), *db, *OFFICER], env=env)
    assert early.exit_code == 1
    assert early.stderr.startswith("oneplan: the retention of citizen")
    assert "Traceback" not in early.output

    delivered = runner.invoke(
        cli,
        [
            "retention",
            "deliver",
            str(plan),
            "--archive",
            "Rigsarkivet",
            "--reference",
            "A-1",
            *db,
            *OFFICER,
        ],
        env=env,
    )
    assert delivered.exit_code == 0, delivered.output
    later = datetime(2032, 1, 2, tzinfo=UTC)
    with OnePlan.open(f"sqlite:///{path}", clock=FixedClock(later), keys=keys) as app:
        acting(app, record(app).plan(plan).coordinator).erase_citizen(citizen_id=citizen)
    again = runner.invoke(cli, ["erase", str(citizen), *db, *OFFICER], env=env)
    assert again.exit_code == 1
    assert "was erased already" in again.stderr

    new_file = tmp_path / "new.keys"
    not_custodian = runner.invoke(
        cli, ["keys", "rotate-master", str(new_file), *db, "--as", "staff:clerk"], env=env
    )
    assert not_custodian.exit_code == 1
    assert "RotateMasterKey needs the role key-custodian (role_held)" in not_custodian.stderr
    assert not new_file.exists()  # the new key file goes when the rotation is refused
    rotated = runner.invoke(cli, ["keys", "rotate-master", str(new_file), *db, *OFFICER], env=env)
    assert rotated.exit_code == 0, rotated.output
    new = Keys.read(new_file)
    assert (new.audit_key, new.cpr_key) == (keys.audit_key, keys.cpr_key)
    assert new.master_key != keys.master_key
    stale = runner.invoke(cli, ["journey", str(citizen), *db, *AUDITOR], env=env)
    assert stale.exit_code == 1
    assert "master key" in stale.stderr
    with OnePlan.open(f"sqlite:///{path}", keys=new) as app:
        assert record(app).citizen(citizen).name == ERASED != NAME


def test_retention_due_and_deliver_show_a_citizens_sector_plans_on_the_command_line(
    tmp_path: Path,
) -> None:
    path, keys = tmp_path / "oneplan.db", Keys.generate()
    with OnePlan.open(f"sqlite:///{path}", clock=FixedClock(), keys=keys) as app:
        citizen, plan = case_file(app)
        finish(app, effort(app, citizen, when=at(2026, 7, 1)), at(2026, 8, 1))
        officer(app)
    env, db = key_env(keys), ["--db", str(path)]
    deliver = ["retention", "deliver", "--archive", "Rigsarkivet", "--reference", "A-2"]
    by = [*db, *OFFICER]

    due = runner.invoke(
        cli, ["retention", "due", "--at", "2032-01-01", "--format", "json", *by], env=env
    )
    assert due.exit_code == 0, due.output
    [row] = orjson.loads(due.stdout)
    assert row == {
        "citizen_id": str(citizen),
        "due": "2032-01-01",
        "plan_ids": [str(plan)],
        "awaiting_archive": [str(plan)],
        "sector_plans": ["social:SEL § 141"],
        "sector_plans_awaiting_archive": ["social:SEL § 141"],
        "ready": False,
    }
    text = runner.invoke(
        cli, ["retention", "due", "--at", "2032-01-01", *by], env={**env, "COLUMNS": "200"}
    )
    [line] = [line for line in text.stdout.splitlines() if str(citizen) in line]
    cells = [cell.strip() for cell in line.strip("│ ").split("│")]
    assert cells[2:] == ["2", "2", "awaiting archive delivery"]  # two files, neither archived

    for wrong, message in [
        ([str(plan), "--citizen", str(citizen), "--sector-plan", "social:SEL § 141"], "not both"),
        (["--sector-plan", "social:SEL § 141"], "--citizen and --sector-plan"),
        (["--citizen", str(citizen), "--sector-plan", "social SEL"], "is not SECTOR:LAW"),
        (["--citizen", str(citizen), "--sector-plan", "health:SUL § 140"], "no intervention"),
    ]:
        refused = runner.invoke(cli, [*deliver, *wrong, *by], env=env)
        assert refused.exit_code == 1, refused.output
        assert refused.stderr.startswith("oneplan: ")
        assert message in refused.stderr
        assert "Traceback" not in refused.output

    delivered = runner.invoke(
        cli,
        [*deliver, "--citizen", str(citizen), "--sector-plan", "social:SEL § 141", *by],
        env=env,
    )
    assert delivered.exit_code == 0, delivered.output
    assert delivered.stdout.startswith("sector plan social:SEL § 141 of citizen")
    trail = runner.invoke(
        cli, ["audit", "export", "--citizen", str(citizen), *db, *AUDITOR], env=env
    )
    assert "Sector plan social:SEL § 141 (1 intervention(s)) delivered to Rigsarkivet" in (
        trail.stdout
    )
    after = runner.invoke(
        cli,
        ["retention", "due", "--at", "2032-01-01", "--format", "json", *db, *RETENTION_RUN],
        env=env,
    )
    assert orjson.loads(after.stdout)[0]["sector_plans_awaiting_archive"] == []
