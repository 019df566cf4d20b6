"""As-of reads of the plan view start from the nearest earlier snapshot of the plan's row
and fold only the events after it: what they read is what a fold from the plan's first
event reads, at every recorded time, and an erased citizen's plan is folded again."""

from __future__ import annotations

import random
from datetime import timedelta
from uuid import UUID

import pytest

from oneplan import Keys, OnePlan
from oneplan.aggregates.personal import ERASED
from oneplan.demo import run_demo
from oneplan.projections.plan_view import PlanState, PlanView
from oneplan.projections.view_snapshots import (
    PlanSnapshot,
    PlanSnapshots,
    plan_as_of,
    snapshots_of,
)
from tests.builders import officer, record
from tests.conftest import NOW, FixedClock
from tests.integration.test_privacy import AFTER_RETENTION, household_case_file


def _folded_from_the_start(app: OnePlan, plan_id: UUID, as_of: object) -> PlanState:
    """The plan's row as of ``as_of``, folded from the first event of each stream."""
    plan = record(app).plan(plan_id, as_of=as_of)  # type: ignore[arg-type]
    events = sorted(
        (
            e
            for stream in (plan_id, *plan.intervention_ids)
            for e in app._history(stream)
            if e.timestamp <= as_of  # type: ignore[operator]
        ),
        key=lambda e: e.timestamp,
    )
    fold = PlanView()
    state = fold.initial(str(plan_id))
    for event in events:
        state = fold.evolve(state, event)
    return state


@pytest.fixture
def demo() -> tuple[OnePlan, UUID, list[object]]:
    app = OnePlan.open("memory://", keys=Keys.generate())
    plan_id = run_demo(app, say=lambda _: None)
    plan = record(app).plan(plan_id)
    times = sorted(
        {e.timestamp for stream in (plan_id, *plan.intervention_ids) for e in app._history(stream)}
    )
    app.views.catch_up()
    return app, plan_id, times


def test_a_plan_read_as_of_any_recorded_time_is_the_fold_from_its_first_event(
    demo: tuple[OnePlan, UUID, list[object]],
) -> None:
    app, plan_id, times = demo
    snapshots = snapshots_of(app)
    snapshots.every = 3
    moments = [t + d for t in times for d in (timedelta(0), timedelta(microseconds=1))]
    random.Random(4).shuffle(moments)

    for as_of in moments:
        assert plan_as_of(app, plan_id, as_of) == _folded_from_the_start(app, plan_id, as_of)  # type: ignore[arg-type]

    assert len(snapshots) > 0


def test_a_read_after_a_snapshot_folds_only_the_events_after_it(
    demo: tuple[OnePlan, UUID, list[object]],
) -> None:
    app, plan_id, times = demo
    snapshots = snapshots_of(app)
    last = times[-1]
    plan_as_of(app, plan_id, last)  # type: ignore[arg-type]
    folded = snapshots.folded

    plan_as_of(app, plan_id, last + timedelta(seconds=1))  # type: ignore[operator]

    assert snapshots.folded == folded  # (nothing recorded after the last event)


def test_snapshots_are_bounded_per_plan_and_in_plans() -> None:
    snapshots = PlanSnapshots()
    snapshots.per_plan, snapshots.max_plans = 4, 2
    plans = [UUID(int=i + 1) for i in range(3)]
    for plan_id in plans:
        for i in range(9):
            state = PlanState(plan_id=plan_id)
            snapshots._keep(plan_id, PlanSnapshot(NOW + timedelta(minutes=i), {}, state))

    assert plans[0] not in snapshots._plans
    assert all(len(kept) <= 4 for kept in snapshots._plans.values())
    assert len(snapshots) <= 8


def test_an_erased_citizens_plan_is_folded_again_not_read_from_a_snapshot(
    app: OnePlan, clock: FixedClock
) -> None:
    first, _, plan_id = household_case_file(app)
    app.views.catch_up()
    plan = record(app).plan(plan_id)
    times = sorted(
        {e.timestamp for s in (plan_id, *plan.intervention_ids) for e in app._history(s)}
    )
    as_of = times[-1]
    before = plan_as_of(app, plan_id, as_of)
    assert len(snapshots_of(app)) > 0
    assert before.wishes[first] == "first member's own wishes"
    clock.now = AFTER_RETENTION

    officer(app).erase_citizen(citizen_id=first)
    app.views.catch_up()
    after = plan_as_of(app, plan_id, as_of)

    assert after.wishes[first] == ERASED
    assert after == _folded_from_the_start(app, plan_id, as_of)
    assert len(snapshots_of(app)) == 0
