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
from pathlib import Path

import pytest

from oneplan import Keys, OnePlan
from tests.reliability.workers import crash_rounds, prepare

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
