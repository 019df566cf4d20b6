"""A writer and a projection runner killed with SIGKILL at random moments, on a SQLite
file and on PostgreSQL: every acknowledged command is stored (a writer acknowledges a
command only after it returned), the command in flight takes effect once when sent
again with its id, the views resume exactly once (as stored they always equal the log
folded up to their position, and caught up they equal a rebuild from zero), SQLite's
``integrity_check`` passes and the audit chain verifies, after every kill.

``scripts/soak_crashes.py`` runs the same rounds many more times.
"""

from __future__ import annotations

import os
import random
import signal
from pathlib import Path

import pytest

from oneplan import Keys, OnePlan
from oneplan.aggregates.personal import ERASED
from oneplan.errors import CitizenErased
from oneplan.persistence import env_for_url
from tests.builders import ANNE
from tests.conftest import FixedClock
from tests.integration.test_canaries_and_keys import CANARIES, files_of
from tests.integration.test_privacy import AFTER_RETENTION, NAME, NOTE, archive, case_file
from tests.reliability.workers import context, crash_rounds, killed_erasure, prepare, views_of

ROUNDS = 13
"""Rounds per database; each kills a writer and a runner (52 kills on both databases)."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


def test_writers_and_runners_killed_at_random_moments_lose_nothing_and_resume_exactly_once(
    shared_url: str, tmp_path: Path
) -> None:
    seed = int(os.environ.get("ONEPLAN_CRASH_SEED", random.randrange(2**32)))
    keys = Keys.generate()
    with OnePlan.open(shared_url, keys=keys) as app:
        shared = prepare(app)

    run = crash_rounds(shared_url, keys, shared, tmp_path, ROUNDS, random.Random(seed))

    assert run.problems == [], f"seed {seed}"
    assert run.kills == 2 * ROUNDS
    assert len(run.acks) >= ROUNDS  # the writers got work done between the kills


@pytest.mark.parametrize("kill_at", ["keys", "views"])
def test_an_erasure_killed_half_way_leaves_no_personal_data_in_the_views_once_finished(
    shared_url: str, tmp_path: Path, kill_at: str
) -> None:
    keys = Keys.generate()
    clock = FixedClock()
    with OnePlan.open(shared_url, keys=keys, clock=clock) as app:
        citizen, plan = case_file(app)
        archive(app, plan)
        app.views.catch_up()
        assert NOTE in repr(views_of(app.views))  # the views show it (the check can fail)

    erasing = context().Process(
        target=killed_erasure, args=(shared_url, keys, AFTER_RETENTION, citizen, kill_at)
    )
    erasing.start()
    erasing.join(60)
    assert erasing.exitcode == -signal.SIGKILL

    clock.now = AFTER_RETENTION
    with OnePlan.open(shared_url, keys=keys, clock=clock) as app:
        assert app.citizen(citizen).erased  # Citizen.Erased was stored before the kill
        if kill_at == "keys":  # an erasure stopped before its keys went is finished again
            assert app.erase_citizen(citizen_id=citizen, actor=ANNE).keys_destroyed == 3
        else:
            with pytest.raises(CitizenErased):
                app.erase_citizen(citizen_id=citizen, actor=ANNE)
        app.views.catch_up()
        shown = repr(views_of(app.views)) + app.citizen_plan(plan, language="en")
        assert [c for c in (NAME, NOTE) if c in shown] == []
        assert app.citizen(citizen).name == ERASED
        assert app.verify_audit().intact
    if shared_url.startswith("sqlite"):
        left = files_of(Path(env_for_url(shared_url)["SQLITE_DBNAME"]))
        assert [c for c in CANARIES if c in left] == []
