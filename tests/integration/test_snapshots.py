"""Snapshots of plans and interventions on every storage: sealed like events (a household
member's own wishes under their own key), unreadable once the keys are erased (the plan
is then folded from its events), outside the audit chain, chosen for an as-of read by
the recorded times of the events they hold, and a cache only: one that cannot be
written leaves the command done."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import PersistenceError

from oneplan import Keys, OnePlan, snapshots
from oneplan.aggregates.base import recording
from oneplan.aggregates.personal import ERASED
from oneplan.aggregates.plan import Plan
from oneplan.errors import InvalidInput
from oneplan.persistence import env_for_url
from oneplan.snapshots import AggregateSnapshot
from oneplan.values import LegalBasis
from tests.builders import ANNE, acting, at, officer, open_plan, record
from tests.conftest import FixedClock
from tests.integration.test_privacy import (
    AFTER_RETENTION,
    NOTE,
    case_file,
    household_case_file,
    staffed,
)


def state_of(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def folded(app: OnePlan, aggregate_id: UUID) -> dict[str, Any]:
    """The aggregate folded from all its events, no snapshot involved."""
    aggregate: Any = None
    for event in record(app).history(aggregate_id):
        aggregate = event.mutate(aggregate)
    return state_of(aggregate)


def snapshots_of(app: OnePlan, aggregate_id: UUID) -> list[AggregateSnapshot]:
    assert app.snapshots is not None
    return [
        app.snapshots.mapper.to_domain_event(s)  # type: ignore[misc]
        for s in app.snapshots.recorder.select_events(aggregate_id)
    ]


def loaded_cold(app: OnePlan, plan_id: UUID) -> dict[str, Any]:
    app._cache.clear()
    return state_of(record(app).plan(plan_id))


def test_a_household_snapshot_seals_each_members_wishes_under_their_own_key(
    app: OnePlan, clock: FixedClock
) -> None:
    app.snapshot_interval = 1
    first, second, plan = household_case_file(app)
    assert app.snapshots is not None
    stored = b"".join(bytes(s.state) for s in app.snapshots.recorder.select_events(plan))
    assert stored
    assert b"own wishes" not in stored
    assert NOTE.encode() not in stored
    assert loaded_cold(app, plan) == folded(app, plan)
    clock.now = AFTER_RETENTION

    officer(app).erase_citizen(citizen_id=second)

    latest = snapshots_of(app, plan)[-1]
    assert latest.usable  # the household's key stays: the shared fields are readable
    assert latest.wishes == {str(first): "first member's own wishes", str(second): ERASED}
    assert loaded_cold(app, plan)["wishes"] == {first: "first member's own wishes", second: ERASED}
    assert loaded_cold(app, plan) == folded(app, plan)

    officer(app).erase_citizen(citizen_id=first)

    assert not [s for s in snapshots_of(app, plan) if s.usable or s.state is not None]
    assert loaded_cold(app, plan) == folded(app, plan)
    assert {g.description for g in record(app).plan(plan).goals.values()} == {ERASED}


def test_snapshots_are_not_in_the_log_and_leave_the_audit_chain_intact(
    sqlite_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONEPLAN_SNAPSHOT_INTERVAL", "2")
    with OnePlan.open(sqlite_url, clock=clock, keys=Keys.generate()) as app:
        staffed(app)
        events = app.recorder.max_notification_id()  # the staff directory's
        citizen, plan = case_file(app)
        events += len(record(app).history(citizen)) + len(record(app).history(plan))
        events += sum(len(record(app).history(i)) for i in record(app).plan(plan).intervention_ids)

        verification = app.verify_audit()

        assert len(snapshots_of(app, plan)) == len(record(app).history(plan)) // 2 > 0
        assert app.recorder.max_notification_id() == verification.events == events
        assert verification.intact


def test_an_as_of_read_uses_no_snapshot_holding_an_event_recorded_after_it(
    memory_app: OnePlan,
) -> None:
    """Recorded times need not rise with the version (writers' clocks differ): a snapshot
    is chosen by the latest recorded time it holds, not by its last event's."""
    app = memory_app
    app.snapshot_interval = 3
    t1 = at(2026, 3, 1)
    with recording(t1):
        plan = Plan.open(
            plan_id=uuid4(),
            citizen_ids=(uuid4(),),
            replaces=(),
            legal_bases=(LegalBasis.parse("LAB § 30 b"),),
            consent_ids=(uuid4(),),
            actor=ANNE,
            effective_at=t1,
        )
    with recording(t1 + timedelta(hours=2)):  # version 2: a clock ahead
        plan.set_goal(goal_id=uuid4(), description="ahead", actor=ANNE, effective_at=t1)
    with recording(t1 + timedelta(hours=1)):  # version 3: back in step
        plan.set_goal(goal_id=uuid4(), description="in step", actor=ANNE, effective_at=t1)
    app.save(plan)
    assert [s.recorded_until for s in snapshots_of(app, plan.id)] == [t1 + timedelta(hours=2)]

    as_of = t1 + timedelta(hours=1, minutes=30)
    read = record(app).plan(plan.id, as_of=as_of)

    assert read.version == 1  # a fold from the start stops at version 2 (recorded later)
    assert {g.description for g in read.goals.values()} == set()
    assert record(app).plan(plan.id, as_of=t1 + timedelta(hours=3)).version == 3


def test_a_snapshot_that_cannot_be_written_leaves_the_command_done(
    memory_app: OnePlan, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = memory_app
    app.snapshot_interval = 1
    assert app.snapshots is not None

    def fail(*_: Any, **__: Any) -> None:
        raise PersistenceError("disk full")

    monkeypatch.setattr(app.snapshots, "put", fail)
    with caplog.at_level(logging.WARNING, logger="oneplan.application"):
        plan, _ = open_plan(app)

    assert record(app).plan(plan).version == len(record(app).history(plan)) > 0
    assert "no snapshot of" in caplog.text
    assert "disk full" in caplog.text


@pytest.mark.parametrize("value", ["-1", "many", "1.5"])
def test_a_snapshot_interval_that_is_not_a_whole_number_is_refused(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONEPLAN_SNAPSHOT_INTERVAL", value)

    with pytest.raises(InvalidInput, match="ONEPLAN_SNAPSHOT_INTERVAL"):
        OnePlan.open("memory://")


def test_with_interval_0_nothing_is_snapshotted_and_reads_fold_the_events(
    sqlite_url: str, clock: FixedClock
) -> None:
    keys = Keys.generate()
    with OnePlan(
        {**env_for_url(sqlite_url), "ONEPLAN_SNAPSHOT_INTERVAL": "1"}, clock=clock, keys=keys
    ) as app:
        plan, _ = open_plan(app)
        acting(app, ANNE).set_goal(plan_id=plan, description="a goal")
        assert len(snapshots_of(app, plan)) == len(record(app).history(plan)) > 1
    with OnePlan(
        {**env_for_url(sqlite_url), "ONEPLAN_SNAPSHOT_INTERVAL": "0"}, clock=clock, keys=keys
    ) as off:
        assert off.snapshots is None
        assert state_of(record(off).plan(plan)) == folded(off, plan)


def test_a_snapshot_written_with_another_schema_is_not_used(
    memory_app: OnePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = memory_app
    app.snapshot_interval = 1
    plan, _ = open_plan(app)
    acting(app, ANNE).set_goal(plan_id=plan, description="a goal")
    assert all(s.usable for s in snapshots_of(app, plan))

    monkeypatch.setitem(snapshots._FINGERPRINTS, Plan, "a-later-schema")

    assert not any(s.usable for s in snapshots_of(app, plan))
    assert loaded_cold(app, plan) == folded(app, plan)
    assert state_of(record(app).plan(plan, as_of=AFTER_RETENTION)) == folded(app, plan)


def test_an_attribute_the_snapshot_schema_does_not_declare_is_refused(
    memory_app: OnePlan,
) -> None:
    plan_id, _ = open_plan(memory_app)
    plan = record(memory_app).plan(plan_id)
    plan.__dict__["something_new"] = 1

    with pytest.raises(snapshots.SnapshotSchemaOutdated, match="something_new"):
        AggregateSnapshot.of(plan, plan.modified_on)
