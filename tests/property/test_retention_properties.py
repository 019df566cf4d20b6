"""Properties of retention over any course under a citizen's own sector plans: what
``retention_due`` lists (read from the views) and what ``erase_citizen`` decides (read
from the aggregates) agree with each other and with a plain model of the course: the
citizen is due only when every sector plan of theirs is closed, and erasable without a
legal basis only when every one has been delivered to the archive."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from oneplan import (
    Actor,
    InterventionOutcome,
    Keys,
    NotDeliveredToArchive,
    OnePlan,
    OnePlanError,
    Period,
    RetentionNotEnded,
    SectorPlanRef,
)
from tests.builders import ANNE, LARS, SOFIE, acting, record, system
from tests.conftest import FixedClock

PLANS = (
    (SectorPlanRef.parse("social:SEL § 141"), "SEL § 85", LARS),
    (SectorPlanRef.parse("social:SEL § 141:S-2"), "SEL § 83", LARS),
    (SectorPlanRef.parse("health:SUL § 119"), "SUL § 140", SOFIE),
)
START = datetime(2026, 1, 5, 9, tzinfo=UTC)
LONG_AFTER = date(2060, 1, 1)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("propose"), st.integers(0, 2), st.booleans()),
        st.tuples(
            st.just("finish"), st.integers(0, 9), st.sampled_from(["complete", "stop", "cancel"])
        ),
        st.tuples(st.just("deliver"), st.integers(0, 2), st.just(None)),
    ),
    max_size=12,
)


def _finish(app: OnePlan, intervention: UUID, how: str, by: Actor, at: datetime) -> None:
    if how == "complete":
        acting(app, by).complete_intervention(
            intervention_id=intervention,
            outcome=InterventionOutcome.PARTLY_MET,
            effective_at=at,
        )
    elif how == "stop":
        acting(app, by).stop_intervention(
            intervention_id=intervention, reason="ended", effective_at=at
        )
    else:
        acting(app, by).cancel_intervention(
            intervention_id=intervention, reason="withdrawn", effective_at=at
        )


@settings(max_examples=max(10, settings.default.max_examples // 2))
@given(course=steps, finish_rest=st.booleans(), deliver_rest=st.booleans())
def test_retention_due_and_erasure_agree_with_a_model_of_the_sector_plans(
    course: list[tuple[str, int, object]], finish_rest: bool, deliver_rest: bool
) -> None:
    clock = FixedClock(datetime(2026, 11, 1, tzinfo=UTC))
    with OnePlan.open("memory://", clock=clock, keys=Keys.generate()) as app:
        mette = acting(app, ANNE).register_citizen(
            name="Mette", birth_date=date(1984, 5, 2), effective_at=START
        )
        interventions: list[tuple[UUID, int]] = []  # (id, sector plan) in proposal order
        finished: set[UUID] = set()
        delivered: set[int] = set()
        for n, (action, which, how) in enumerate(course):
            at = START + timedelta(days=n + 1)
            if action == "propose":
                sector_plan, basis, by = PLANS[which]
                try:
                    intervention = acting(app, by).propose_intervention_under_sector_plan(
                        citizen_id=mette,
                        sector_plan=sector_plan,
                        legal_basis=basis,
                        title="an effort",
                        responsible=by,
                        planned_period=Period(start=at.date()),
                        effective_at=at,
                    )
                except OnePlanError:
                    assert which in delivered  # a delivered sector plan takes no new effort
                    continue
                assert which not in delivered
                interventions.append((intervention, which))
                if how:
                    acting(app, by).grant_intervention(
                        intervention_id=intervention, effective_at=at
                    )
                    acting(app, by).start_intervention(
                        intervention_id=intervention, effective_at=at
                    )
            elif action == "finish" and interventions:
                intervention, plan = interventions[which % len(interventions)]
                try:
                    _finish(app, intervention, str(how), PLANS[plan][2], at)
                except OnePlanError:
                    continue
                finished.add(intervention)
            elif action == "deliver":
                try:
                    acting(app, PLANS[which][2]).deliver_sector_plan_to_archive(
                        citizen_id=mette,
                        sector_plan=PLANS[which][0],
                        archive="Rigsarkivet",
                        reference=f"A-{n}",
                        effective_at=at,
                    )
                except OnePlanError:
                    assert (
                        which in delivered
                        or any(p == which and i not in finished for i, p in interventions)
                        or all(p != which for _, p in interventions)
                    )
                    continue
                delivered.add(which)

        at = START + timedelta(days=len(course) + 1)
        for intervention, plan in interventions if finish_rest else ():
            if intervention not in finished:
                status = record(app).intervention(intervention).status.value
                how = "cancel" if status == "not-started" else "complete"
                _finish(app, intervention, how, PLANS[plan][2], at)
                finished.add(intervention)
        for plan in sorted({p for _, p in interventions} - delivered) if deliver_rest else ():
            if all(i in finished for i, p in interventions if p == plan):
                acting(app, PLANS[plan][2]).deliver_sector_plan_to_archive(
                    citizen_id=mette,
                    sector_plan=PLANS[plan][0],
                    archive="Rigsarkivet",
                    reference="A-last",
                    effective_at=at,
                )
                delivered.add(plan)

        used = {p for _, p in interventions}
        open_plans = {p for i, p in interventions if i not in finished}
        due = [d for d in system(app).retention_due(at=LONG_AFTER) if d.citizen_id == mette]
        clock.now = datetime(LONG_AFTER.year, 1, 2, tzinfo=UTC)

        if open_plans:
            event("a sector plan is open")
            assert due == []
            with pytest.raises(RetentionNotEnded) as refused:
                acting(app, ANNE).erase_citizen(citizen_id=mette)
            assert set(refused.value.sector_plans) == {PLANS[p][0] for p in open_plans}
            return
        [listed] = due
        assert set(listed.sector_plans) == {PLANS[p][0] for p in used}
        waiting = {PLANS[p][0] for p in used - delivered}
        assert set(listed.sector_plans_awaiting_archive) == waiting
        if waiting:
            event("closed, not all delivered")
            with pytest.raises(NotDeliveredToArchive) as not_delivered:
                acting(app, ANNE).erase_citizen(citizen_id=mette)
            assert set(not_delivered.value.sector_plans) == waiting
        else:
            event("every sector plan delivered" if used else "no sector plan")
            assert listed.ready
            assert acting(app, ANNE).erase_citizen(citizen_id=mette).sector_plans == tuple(
                dict.fromkeys(PLANS[p][0] for _, p in interventions)
            )
