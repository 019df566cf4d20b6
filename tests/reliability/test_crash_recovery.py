"""A writer and a projection runner killed with SIGKILL at random moments, on a SQLite
file and on PostgreSQL: every acknowledged command is stored (a writer acknowledges a
command only after it returned), the command in flight takes effect once when sent
again with its id, the views resume exactly once (as stored they always equal the log
folded up to their position, and caught up they equal a rebuild from zero), SQLite's
``integrity_check`` passes and the audit chain verifies, after every kill; then the
same with two writers racing on the same plans (a command refused on what the other did
first leaves nothing). 64 kills on the two databases.

Also killed at chosen moments: an erasure (before its keys are destroyed, and before
the views are folded again without them) and a registration holding a CPR number's
claim; and a PostgreSQL connection lost around a commit.

``scripts/soak_crashes.py`` runs the random rounds many more times.
"""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from uuid import uuid4

import pytest
from eventsourcing.persistence import OperationalError

from oneplan import AchievementStatus, Keys, OnePlan
from oneplan.aggregates.personal import ERASED
from oneplan.errors import CitizenErased, ConcurrencyConflict, InvalidInput
from oneplan.persistence import env_for_url
from tests.builders import ANNE, acting, auditing, open_plan, record, system
from tests.conftest import FixedClock
from tests.integration.test_canaries_and_keys import CANARIES, files_of
from tests.integration.test_privacy import AFTER_RETENTION, NAME, NOTE, archive, case_file
from tests.reliability.workers import (
    context,
    crash_rounds,
    killed_after_claiming,
    killed_erasure,
    prepare,
    register_staff,
    views_of,
)

ROUNDS = 7
"""Rounds with one writer, per database; each kills the writer and a runner."""
RACING_ROUNDS = 6
"""Then rounds with two writers racing on the same plans; each kills all three."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


def test_writers_and_runners_killed_at_random_moments_lose_nothing_and_resume_exactly_once(
    shared_url: str, tmp_path: Path
) -> None:
    seed = int(os.environ.get("ONEPLAN_CRASH_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    keys = Keys.generate()
    with OnePlan.open(shared_url, keys=keys) as app:
        shared = prepare(app)

    run = crash_rounds(shared_url, keys, shared, tmp_path, ROUNDS, rng)
    crash_rounds(shared_url, keys, shared, tmp_path, RACING_ROUNDS, rng, run=run, writers=2)

    assert run.problems == [], f"seed {seed}"
    assert run.kills == 2 * ROUNDS + 3 * RACING_ROUNDS
    assert len(run.acks) >= ROUNDS  # the writers got work done between the kills


@pytest.mark.parametrize("kill_at", ["fold", "keys", "scrub"])
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
        assert record(app).citizen(citizen).erased  # Citizen.Erased was stored before the kill
        if kill_at != "scrub":  # an erasure stopped before its keys went is finished again
            assert acting(app, ANNE).erase_citizen(citizen_id=citizen).keys_destroyed == 3
        else:
            with pytest.raises(CitizenErased):
                acting(app, ANNE).erase_citizen(citizen_id=citizen)
        app.views.catch_up()
        shown = repr(views_of(app.views)) + auditing(app).citizen_plan(plan, language="en")
        assert [c for c in (NAME, NOTE) if c in shown] == []
        assert record(app).citizen(citizen).name == ERASED
        assert app.verify_audit().intact
    if shared_url.startswith("sqlite"):
        left = files_of(Path(env_for_url(shared_url)["SQLITE_DBNAME"]))
        assert [c for c in CANARIES if c in left] == []


class LostConnection:
    """A fake network fault for one write on PostgreSQL: the connection fails just
    before the write (nothing stored) or just after its commit (stored, but the reply
    never came back). eventsourcing tries the write again either way."""

    def __init__(self, app: OnePlan, when: str) -> None:
        self.datastore: Any = cast(Any, app.recorder).datastore
        self.recorder: Any = app.recorder
        self.real_connection = self.datastore.get_connection
        self.real_insert = self.recorder.insert_events
        self.when = when
        self.armed = False
        self.failed = 0

    @contextmanager
    def connection(self) -> Iterator[Any]:
        if self.armed and self.when == "before":
            self.armed = False
            self.failed += 1
            raise OperationalError("connection refused")
        with self.real_connection() as conn:
            yield conn
        if self.armed and self.when == "after":
            self.armed = False
            self.failed += 1
            raise OperationalError("server closed the connection unexpectedly")

    def insert(self, *args: Any, **kwargs: Any) -> Any:
        self.armed = True
        try:
            return self.real_insert(*args, **kwargs)
        finally:
            self.armed = False

    def __enter__(self) -> LostConnection:
        self.datastore.get_connection = self.connection
        self.recorder.insert_events = self.insert
        return self

    def __exit__(self, *exc: object) -> None:
        del self.datastore.get_connection
        del self.recorder.insert_events


@pytest.mark.postgres
@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("with_id", [False, True], ids=["no-command-id", "command-id"])
def test_a_write_whose_connection_fails_around_its_commit_is_stored_once(
    postgres_url: str, when: str, with_id: bool
) -> None:
    with OnePlan.open(postgres_url, keys=Keys.generate()) as app:
        plan, _ = open_plan(app)
        goal = acting(app, ANNE).set_goal(plan_id=plan, description="Takes the bus alone")

        with LostConnection(app, when) as fault:
            acting(app, ANNE).record_goal_progress(
                plan_id=plan,
                goal_id=goal,
                achievement=AchievementStatus.IMPROVING,
                command_id=uuid4() if with_id else None,
            )

        assert fault.failed == 1
        recorded = [
            e for e in record(app).history(plan) if type(e).__name__ == "GoalProgressRecorded"
        ]
        assert len(recorded) == 1
        assert record(app).plan(plan).goals[goal].progress_count == 1
        assert app.verify_audit().intact


def test_a_cpr_number_claimed_by_a_killed_registration_is_free_again_after_the_lease(
    shared_url: str,
) -> None:
    keys = Keys.generate()
    with OnePlan.open(shared_url, keys=keys) as app:
        register_staff(app)  # (before the registrations that are killed)
        staffed = app.recorder.max_notification_id()
    first, second = uuid4(), uuid4()
    for citizen, cpr in ((first, "0205841234"), (second, "0205841235")):
        killed = context().Process(
            target=killed_after_claiming, args=(shared_url, keys, citizen, cpr)
        )
        killed.start()
        killed.join(60)
        assert killed.exitcode == -signal.SIGKILL

    with OnePlan.open(shared_url, keys=keys) as app:
        assert app.recorder.max_notification_id() == staffed  # nothing was saved
        # while the claim is young another registration is refused, typed, storing nothing
        with pytest.raises(ConcurrencyConflict):
            acting(app, ANNE).register_citizen(name="Someone", cpr="0205841234")
        # the same registration sent again takes its claim back at once
        again = acting(app, ANNE).register_citizen(citizen_id=first, name="Mette", cpr="0205841234")
        # after the lease, another registration takes the abandoned claim over
        app.cpr_claim_lease = timedelta(0)
        other = acting(app, ANNE).register_citizen(name="Someone", cpr="0205841235")

        assert (again, system(app).citizen_by_cpr("0205841234")) == (first, first)
        assert system(app).citizen_by_cpr("0205841235") == other != second
        with pytest.raises(InvalidInput, match="already registered"):
            acting(app, ANNE).register_citizen(name="Third", cpr="0205841235")
