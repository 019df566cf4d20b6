"""The coordinator's caseload: plans taken on and handed over, and what needs attention
in them at a given time (open plans, goals past due, long pauses)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.projections.base import Route, codec
from oneplan.projections.caseload import (
    CaseloadState,
    CaseloadView,
    HandOverReceived,
    caseload,
)
from oneplan.projections.plan_view import PlanState, PlanView
from oneplan.values import (
    Actor,
    ActorKind,
    BudgetArea,
    LegalBasis,
    Money,
    ParticipantRole,
    Period,
    PlanOutcome,
    PlanStatus,
    Sector,
)
from tests.builders import ANNE, KARIN, LARS, PETER, at

OPENED_AT = at(2026, 3, 1)
METTE = Actor(id="mette", kind=ActorKind.CITIZEN)
VIEW = CaseloadView()


def fold(view: Any, key: str, events: Iterable[Any], route: Route | None = None) -> Any:
    """The row ``key`` after the events routed to it."""
    state = view.initial(key)
    for event in events:
        if key in view.keys(event, route):
            state = view.evolve(state, event)
    return state


def open_plan(coordinator: Actor = KARIN, *, effective_at: datetime = OPENED_AT) -> Plan:
    plan = Plan.open(
        plan_id=uuid4(),
        citizen_ids=(uuid4(),),
        replaces=(),
        legal_bases=(LegalBasis.parse("LAB § 30 b"),),
        consent_ids=(uuid4(),),
        actor=coordinator,
        effective_at=effective_at,
    )
    plan.assign_coordinator(coordinator=coordinator, actor=coordinator, effective_at=effective_at)
    return plan


def plan_state(plan: Plan, *interventions: Intervention) -> PlanState:
    """The plan as ``PlanView`` folds it from the plan's and its interventions' events."""
    events = [*plan.pending_events]
    for intervention in interventions:
        events.extend(intervention.pending_events)
    route = Route(plan_id=plan.id, citizen_ids=plan.citizen_ids)
    state: PlanState = fold(PlanView(), str(plan.id), events, route)
    return state


def paused_intervention(plan: Plan, *, paused_at: datetime, reason: str) -> Intervention:
    """An intervention of ``plan`` that started and was paused at ``paused_at``."""
    intervention = Intervention.propose(
        intervention_id=uuid4(),
        plan_id=plan.id,
        citizen_id=plan.citizen_ids[0],
        sector=Sector.SOCIAL,
        legal_basis=LegalBasis.parse("SEL § 85"),
        title="Support contact person",
        goal_ids=(),
        responsible=LARS,
        planned_period=Period(start=date(2026, 3, 1), end=date(2026, 12, 31)),
        planned_cost=Money.dkk("12000.00"),
        budget_area=BudgetArea.SERVICE,
        actor=KARIN,
        effective_at=OPENED_AT,
    )
    plan.include_intervention(
        intervention_id=intervention.id,
        goal_ids=(),
        citizen_id=plan.citizen_ids[0],
        actor=KARIN,
        effective_at=OPENED_AT,
    )
    intervention.grant(decision_id=uuid4(), actor=LARS, effective_at=OPENED_AT)
    intervention.start(dependency_statuses={}, actor=LARS, effective_at=OPENED_AT)
    intervention.pause(reason=reason, actor=LARS, effective_at=paused_at)
    return intervention


def row_of(coordinator: Actor, *plans: Plan) -> CaseloadState:
    """The coordinator's row folded from the plans' events (which stay pending)."""
    events = [e for plan in plans for e in plan.pending_events]
    state: CaseloadState = fold(VIEW, coordinator.id, events)
    return state


# --- the row -------------------------------------------------------------------------


def test_a_coordinator_assigned_to_a_plan_has_it_on_their_caseload() -> None:
    plan = open_plan(KARIN)

    row = row_of(KARIN, plan)

    assert row.coordinator_id == "karin"
    assert row.coordinator == KARIN
    assert row.plan_ids == (plan.id,)
    assert row.plans[0].since == OPENED_AT
    assert row.hand_overs_received == ()


def test_a_hand_over_moves_the_plan_to_the_new_coordinators_caseload() -> None:
    plan = open_plan(KARIN)
    plan.hand_over(
        new_coordinator=ANNE,
        reason="the family plan is built",
        previous_stays_as=ParticipantRole.FAMILY_COORDINATOR,
        actor=KARIN,
        effective_at=at(2026, 4, 1),
    )

    karin, anne = row_of(KARIN, plan), row_of(ANNE, plan)

    assert karin.plan_ids == ()
    assert anne.plan_ids == (plan.id,)
    assert anne.plans[0].since == at(2026, 4, 1)
    assert anne.hand_overs_received == (
        HandOverReceived(
            plan_id=plan.id,
            at=at(2026, 4, 1),
            from_coordinator=KARIN,
            reason="the family plan is built",
        ),
    )
    assert karin.hand_overs_received == ()


def test_a_hand_over_changes_the_rows_of_both_coordinators_and_no_other() -> None:
    plan = open_plan(KARIN)
    plan.hand_over(new_coordinator=ANNE, reason="moved", actor=KARIN, effective_at=at(2026, 4, 1))
    hand_over = plan.pending_events[-1]

    assert VIEW.keys(hand_over, None) == ("karin", "anne")
    peter = VIEW.initial("peter")
    assert VIEW.evolve(peter, hand_over) is peter


def test_plans_are_listed_in_the_order_taken_on_and_a_plan_handed_back_comes_last() -> None:
    first, second = open_plan(ANNE), open_plan(KARIN)
    second.hand_over(new_coordinator=ANNE, reason="leave", actor=KARIN, effective_at=at(2026, 3, 5))
    first.hand_over(new_coordinator=PETER, reason="leave", actor=ANNE, effective_at=at(2026, 3, 6))
    first.hand_over(new_coordinator=ANNE, reason="back", actor=PETER, effective_at=at(2026, 3, 9))

    events = [*first.pending_events[:2], *second.pending_events, *first.pending_events[2:]]
    anne: CaseloadState = fold(VIEW, "anne", events)

    assert anne.plan_ids == (second.id, first.id)
    assert [h.from_coordinator.id for h in anne.hand_overs_received] == ["karin", "peter"]


def test_events_other_than_the_coordinators_leave_the_row_as_it_is() -> None:
    plan = open_plan(ANNE)
    plan.set_goal(goal_id=uuid4(), description="work", actor=ANNE, effective_at=OPENED_AT)
    row = row_of(ANNE, plan)
    goal_set = plan.pending_events[-1]

    assert VIEW.keys(goal_set, Route(plan_id=plan.id)) == ()
    assert VIEW.evolve(row, goal_set) is row


# --- reading the caseload ------------------------------------------------------------


def test_open_plans_are_the_active_ones_and_those_on_hold() -> None:
    active, on_hold = open_plan(ANNE), open_plan(ANNE)
    on_hold.put_on_hold(reason="hospital stay", actor=ANNE, effective_at=at(2026, 3, 2))
    row = row_of(ANNE, active, on_hold)
    plans = {p.id: plan_state(p) for p in (active, on_hold)}

    seen = caseload(row, plans, at=at(2026, 4, 1))

    assert seen.coordinator_id == "anne"
    assert [(p.plan_id, p.status) for p in seen.active_plans] == [
        (active.id, PlanStatus.ACTIVE),
        (on_hold.id, PlanStatus.ON_HOLD),
    ]
    assert seen.active_plans[0].citizen_ids == active.citizen_ids
    assert seen.active_plans[0].since == OPENED_AT


CLOSINGS: dict[str, Callable[[Plan], None]] = {
    "completed": lambda p: p.complete(
        outcome=PlanOutcome.WORK, actor=ANNE, effective_at=at(2026, 3, 20)
    ),
    "withdrawn": lambda p: p.withdraw(
        reason="I want my old plans back", actor=METTE, effective_at=at(2026, 3, 20)
    ),
    "entered-in-error": lambda p: p.enter_in_error(
        reason="wrong citizen", actor=ANNE, effective_at=at(2026, 3, 20)
    ),
}


@pytest.mark.parametrize("closing", CLOSINGS, ids=list(CLOSINGS))
def test_a_closed_plan_leaves_the_active_list(closing: str) -> None:
    kept, closed = open_plan(ANNE), open_plan(ANNE)
    closed.set_goal(
        goal_id=uuid4(),
        description="overdue",
        due=date(2026, 3, 10),
        actor=ANNE,
        effective_at=OPENED_AT,
    )
    paused = paused_intervention(closed, paused_at=at(2026, 3, 2), reason="back pain")
    CLOSINGS[closing](closed)
    row = row_of(ANNE, kept, closed)
    plans = {kept.id: plan_state(kept), closed.id: plan_state(closed, paused)}

    seen = caseload(row, plans, at=at(2026, 5, 1))

    assert [p.plan_id for p in seen.active_plans] == [kept.id]
    assert seen.goals_past_due == ()
    assert seen.long_pauses == ()


def test_a_plan_the_reader_does_not_hold_is_left_out() -> None:
    plan = open_plan(ANNE)
    row = row_of(ANNE, plan)

    assert caseload(row, {}, at=at(2026, 4, 1)).active_plans == ()


def test_open_goals_due_before_today_are_past_due_by_due_date_then_id() -> None:
    plan = open_plan(ANNE)
    ids = sorted(uuid4() for _ in range(5))
    late, also_late_a, also_late_b, due_today, done = ids
    for goal_id, due in (
        (due_today, date(2026, 4, 1)),
        (also_late_b, date(2026, 3, 20)),
        (late, date(2026, 3, 31)),
        (also_late_a, date(2026, 3, 20)),
        (done, date(2026, 3, 10)),
    ):
        plan.set_goal(
            goal_id=goal_id,
            description=f"goal due {due}",
            due=due,
            actor=ANNE,
            effective_at=OPENED_AT,
        )
    plan.set_goal(goal_id=uuid4(), description="no due date", actor=ANNE, effective_at=OPENED_AT)
    plan.complete_goal(goal_id=done, actor=ANNE, effective_at=at(2026, 3, 9))
    cancelled = uuid4()
    plan.set_goal(
        goal_id=cancelled, description="x", due=date(2026, 3, 5), actor=ANNE, effective_at=OPENED_AT
    )
    plan.cancel_goal(
        goal_id=cancelled, reason="no longer wanted", actor=ANNE, effective_at=at(2026, 3, 4)
    )
    row = row_of(ANNE, plan)

    seen = caseload(row, {plan.id: plan_state(plan)}, at=at(2026, 4, 1, hour=23))

    assert [g.goal_id for g in seen.goals_past_due] == [also_late_a, also_late_b, late]
    assert {g.plan_id for g in seen.goals_past_due} == {plan.id}
    assert seen.goals_past_due[-1].due == date(2026, 3, 31)
    assert seen.goals_past_due[-1].description == "goal due 2026-03-31"


def test_an_intervention_paused_for_exactly_the_limit_is_not_yet_shown() -> None:
    plan = open_plan(ANNE)
    paused = paused_intervention(plan, paused_at=at(2026, 3, 2), reason="back pain")
    row = row_of(ANNE, plan)
    plans = {plan.id: plan_state(plan, paused)}

    at_the_limit = caseload(row, plans, at=at(2026, 3, 16))
    just_past_it = caseload(row, plans, at=at(2026, 3, 16) + timedelta(seconds=1))

    assert at_the_limit.long_pauses == ()
    [pause] = just_past_it.long_pauses
    assert pause.plan_id == plan.id
    assert pause.intervention_id == paused.id
    assert pause.reason == "back pain"
    assert pause.days_paused == 14
    assert pause.paused_at == at(2026, 3, 2)
    assert pause.sector is Sector.SOCIAL


def test_long_pauses_are_listed_longest_first_under_the_limit_given() -> None:
    plan = open_plan(ANNE)
    short = paused_intervention(plan, paused_at=at(2026, 3, 25), reason="holiday")
    longest = paused_intervention(plan, paused_at=at(2026, 3, 2), reason="back pain")
    middle = paused_intervention(plan, paused_at=at(2026, 3, 10), reason="moved house")
    row = row_of(ANNE, plan)
    plans = {plan.id: plan_state(plan, short, longest, middle)}

    default = caseload(row, plans, at=at(2026, 4, 1))
    tighter = caseload(row, plans, at=at(2026, 4, 1), paused_longer_than=timedelta(days=3))

    assert [(p.intervention_id, p.days_paused) for p in default.long_pauses] == [
        (longest.id, 30),
        (middle.id, 22),
    ]
    assert [p.intervention_id for p in tighter.long_pauses] == [longest.id, middle.id, short.id]


def test_a_resumed_intervention_is_no_longer_shown_as_paused() -> None:
    plan = open_plan(ANNE)
    paused = paused_intervention(plan, paused_at=at(2026, 3, 2), reason="back pain")
    paused.resume(actor=LARS, effective_at=at(2026, 3, 30))
    row = row_of(ANNE, plan)

    seen = caseload(row, {plan.id: plan_state(plan, paused)}, at=at(2026, 4, 1))

    assert seen.long_pauses == ()


def test_the_caseload_shows_the_hand_overs_received() -> None:
    plan = open_plan(KARIN)
    plan.hand_over(new_coordinator=ANNE, reason="moved", actor=KARIN, effective_at=at(2026, 4, 1))
    row = row_of(ANNE, plan)

    seen = caseload(row, {plan.id: plan_state(plan)}, at=at(2026, 4, 2))

    assert seen.hand_overs_received == row.hand_overs_received
    assert [p.plan_id for p in seen.active_plans] == [plan.id]


# --- storage and purity --------------------------------------------------------------


def test_the_row_round_trips_through_the_codec() -> None:
    plan = open_plan(KARIN)
    plan.hand_over(new_coordinator=ANNE, reason="moved", actor=KARIN, effective_at=at(2026, 4, 1))
    row = row_of(ANNE, plan)

    assert codec.loads(codec.dumps(row), CaseloadState) == row


def test_evolve_leaves_the_row_it_was_given_as_it_was() -> None:
    plan = open_plan(ANNE)
    before = row_of(ANNE, plan)
    snapshot = codec.dumps(before)
    plan.hand_over(new_coordinator=PETER, reason="moved", actor=ANNE, effective_at=at(2026, 4, 1))

    after = VIEW.evolve(before, plan.pending_events[-1])

    assert codec.dumps(before) == snapshot
    assert before.plan_ids == (plan.id,)
    assert after.plan_ids == ()


def test_the_view_is_named_and_keyed_by_coordinator_id() -> None:
    plan = open_plan(ANNE)

    assert VIEW.name == "caseload"
    assert VIEW.state_type is CaseloadState
    assert VIEW.keys(plan.pending_events[-1], None) == ("anne",)
    assert VIEW.initial("anne") == CaseloadState(coordinator_id="anne")
