"""The privacy commands of the CLI on a SQLite file: retention due (text and json),
archive delivery, erasure with its refusals as one-line errors, and master-key rotation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from typer.testing import CliRunner

from oneplan import Keys, OnePlan
from oneplan.aggregates.personal import ERASED
from oneplan.cli import app as cli
from tests.conftest import FixedClock
from tests.integration.test_canaries_and_keys import key_env
from tests.integration.test_privacy import NAME, case_file

runner = CliRunner()


def test_retention_deliver_erase_and_rotate_on_the_command_line(tmp_path: Path) -> None:
    path, keys = tmp_path / "oneplan.db", Keys.generate()
    with OnePlan.open(f"sqlite:///{path}", clock=FixedClock(), keys=keys) as app:
        citizen, plan = case_file(app)
    env, db = key_env(keys), ["--db", str(path)]

    due = runner.invoke(
        cli, ["retention", "due", "--at", "2032-01-01", "--format", "json", *db], env=env
    )
    assert due.exit_code == 0, due.output
    [row] = orjson.loads(due.stdout)
    assert (row["citizen_id"], row["ready"], row["awaiting_archive"]) == (
        str(citizen),
        False,
        [str(plan)],
    )

    early = runner.invoke(
        cli, ["erase", str(citizen), "--by", "anne", "--sector", "employment", *db], env=env
    )
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
            "--by",
            "anne",
            "--sector",
            "employment",
            *db,
        ],
        env=env,
    )
    assert delivered.exit_code == 0, delivered.output
    later = datetime(2032, 1, 2, tzinfo=UTC)
    with OnePlan.open(f"sqlite:///{path}", clock=FixedClock(later), keys=keys) as app:
        app.erase_citizen(citizen_id=citizen, actor=app.plan(plan).coordinator)
    again = runner.invoke(
        cli, ["erase", str(citizen), "--by", "anne", "--sector", "employment", *db], env=env
    )
    assert again.exit_code == 1
    assert "was erased already" in again.stderr

    new_file = tmp_path / "new.keys"
    rotated = runner.invoke(cli, ["keys", "rotate-master", str(new_file), *db], env=env)
    assert rotated.exit_code == 0, rotated.output
    new = Keys.read(new_file)
    assert (new.audit_key, new.cpr_key) == (keys.audit_key, keys.cpr_key)
    assert new.master_key != keys.master_key
    stale = runner.invoke(cli, ["journey", str(citizen), *db], env=env)
    assert stale.exit_code == 1
    assert "master key" in stale.stderr
    with OnePlan.open(f"sqlite:///{path}", keys=new) as app:
        assert app.citizen(citizen).name == ERASED != NAME
