"""A coordinator's caseload: the plans a caseworker coordinates (*plankoordinator*), and
what in them needs their attention.

The row, one per caseworker who has ever coordinated a plan, holds only what the
coordinator events say: which plans the caseworker coordinates now, in the order they
took them on, and the hand-overs they received. Being assigned a plan's first
coordinator (``Plan.CoordinatorAssigned``) or receiving a hand-over
(``Plan.CoordinatorHandedOver``) puts a plan on the caseload; handing it over takes it
off. Co-coordinators (Randers' *makkerpar*) are participants, not coordinators, and are
not counted here.

What needs attention is read from the plans themselves, at a given time, by
``caseload``: the plans still open (active or on hold; a completed, withdrawn or
erroneous plan drops out), their goals past due, and their interventions paused for
longer than a limit (two weeks unless told).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

import attrs

from oneplan.aggregates.plan import Plan
from oneplan.projections.base import Fold, Route, replace
from oneplan.projections.plan_view import PlanState
from oneplan.values import Actor, GoalStatus, InterventionStatus, PlanStatus, Sector

__all__ = [
    "ActivePlan",
    "Caseload",
    "CaseloadState",
    "CaseloadView",
    "CoordinatedPlan",
    "HandOverReceived",
    "LongPause",
    "PastDueGoal",
    "caseload",
]

DEFAULT_PAUSE_LIMIT = timedelta(days=14)
"""How long an intervention may stay paused before the coordinator is shown it."""


@attrs.frozen
class CoordinatedPlan:
    """A plan on the caseload, and since when (effective time) the caseworker holds it."""

    plan_id: UUID
    since: datetime


@attrs.frozen
class HandOverReceived:
    """A plan handed over to this coordinator: when, from whom and why."""

    plan_id: UUID
    at: datetime
    """The hand-over's effective time."""
    from_coordinator: Actor
    reason: str


@attrs.frozen
class CaseloadState:
    """One caseworker's row: the plans they coordinate now and the hand-overs received."""

    coordinator_id: str
    coordinator: Actor | None = None
    """The caseworker as the last coordinator event named them."""
    plans: tuple[CoordinatedPlan, ...] = ()
    """In the order taken on."""
    hand_overs_received: tuple[HandOverReceived, ...] = ()

    @property
    def plan_ids(self) -> tuple[UUID, ...]:
        return tuple(p.plan_id for p in self.plans)


class CaseloadView(Fold[CaseloadState]):
    """The plans each caseworker coordinates: one row per coordinator id."""

    name: ClassVar[str] = "caseload"
    version: ClassVar[int] = 1
    state_type: ClassVar[type[Any]] = CaseloadState

    def keys(self, event: Any, route: Route | None) -> tuple[str, ...]:
        if isinstance(event, Plan.CoordinatorAssigned):
            return (event.coordinator.id,)
        if isinstance(event, Plan.CoordinatorHandedOver):
            return (event.previous_coordinator.id, event.new_coordinator.id)
        return ()

    def initial(self, key: str) -> CaseloadState:
        return CaseloadState(coordinator_id=key)


_on = CaseloadView.on


def _taken_on(state: CaseloadState, plan_id: UUID, since: datetime) -> tuple[CoordinatedPlan, ...]:
    """The row's plans with ``plan_id`` (re)taken on at ``since``, last."""
    others = tuple(p for p in state.plans if p.plan_id != plan_id)
    return (*others, CoordinatedPlan(plan_id=plan_id, since=since))


@_on(Plan.CoordinatorAssigned)
def _assigned(state: CaseloadState, e: Plan.CoordinatorAssigned) -> CaseloadState:
    if e.coordinator.id != state.coordinator_id:
        return state
    return replace(
        state,
        coordinator=e.coordinator,
        plans=_taken_on(state, e.originator_id, e.effective_at),
    )


@_on(Plan.CoordinatorHandedOver)
def _handed_over(state: CaseloadState, e: Plan.CoordinatorHandedOver) -> CaseloadState:
    if e.new_coordinator.id == state.coordinator_id:
        received = HandOverReceived(
            plan_id=e.originator_id,
            at=e.effective_at,
            from_coordinator=e.previous_coordinator,
            reason=e.reason,
        )
        return replace(
            state,
            coordinator=e.new_coordinator,
            plans=_taken_on(state, e.originator_id, e.effective_at),
            hand_overs_received=(*state.hand_overs_received, received),
        )
    if e.previous_coordinator.id == state.coordinator_id:
        return replace(
            state,
            coordinator=e.previous_coordinator,
            plans=tuple(p for p in state.plans if p.plan_id != e.originator_id),
        )
    return state


# --- reading -------------------------------------------------------------------------


@attrs.frozen
class ActivePlan:
    """A plan on the caseload that is still open (active or on hold)."""

    plan_id: UUID
    citizen_ids: tuple[UUID, ...]
    status: PlanStatus
    since: datetime
    """Since when the caseworker coordinates it."""


@attrs.frozen
class PastDueGoal:
    """A goal or sub-goal whose due date has passed while it is still open."""

    plan_id: UUID
    goal_id: UUID
    description: str
    due: date
    status: GoalStatus


@attrs.frozen
class LongPause:
    """An intervention paused (on hold) for longer than the limit."""

    plan_id: UUID
    intervention_id: UUID
    title: str
    sector: Sector
    reason: str
    paused_at: datetime
    days_paused: int
    expected_resume: date | None


@attrs.frozen
class Caseload:
    """A coordinator's caseload as it stands at a given time."""

    coordinator_id: str
    active_plans: tuple[ActivePlan, ...]
    """In the order taken on."""
    goals_past_due: tuple[PastDueGoal, ...]
    """By due date, then goal id."""
    long_pauses: tuple[LongPause, ...]
    """Longest paused first."""
    hand_overs_received: tuple[HandOverReceived, ...]


_OPEN = (PlanStatus.ACTIVE, PlanStatus.ON_HOLD)


def caseload(
    state: CaseloadState,
    plans: Mapping[UUID, PlanState],
    *,
    at: datetime,
    paused_longer_than: timedelta = DEFAULT_PAUSE_LIMIT,
) -> Caseload:
    """The caseload of ``state``'s coordinator at ``at``, reading each plan from ``plans``
    (a plan missing from ``plans`` is left out).

    A goal is past due when its due date is before ``at``'s date and it is neither
    completed nor cancelled; an intervention is shown when it is on hold and has been
    for longer than ``paused_longer_than`` at ``at`` (exactly the limit is not longer)."""
    active: list[ActivePlan] = []
    past_due: list[PastDueGoal] = []
    pauses: list[tuple[timedelta, LongPause]] = []
    today = at.date()
    for held in state.plans:
        plan = plans.get(held.plan_id)
        if plan is None or plan.status not in _OPEN:
            continue
        active.append(
            ActivePlan(
                plan_id=plan.plan_id,
                citizen_ids=plan.citizen_ids,
                status=plan.status,
                since=held.since,
            )
        )
        past_due.extend(
            PastDueGoal(
                plan_id=plan.plan_id,
                goal_id=goal.goal_id,
                description=goal.description,
                due=goal.due,
                status=goal.status,
            )
            for goal in plan.goals.values()
            if goal.due is not None and goal.due < today and not goal.status.is_finished
        )
        for item in plan.interventions.values():
            if item.status is not InterventionStatus.ON_HOLD or item.paused_at is None:
                continue
            paused_for = at - item.paused_at
            if paused_for <= paused_longer_than:
                continue
            pause = LongPause(
                plan_id=plan.plan_id,
                intervention_id=item.intervention_id,
                title=item.title,
                sector=item.sector,
                reason=item.pause_reason or "",
                paused_at=item.paused_at,
                days_paused=paused_for.days,
                expected_resume=item.expected_resume,
            )
            pauses.append((paused_for, pause))
    past_due.sort(key=lambda g: (g.due, g.goal_id))
    pauses.sort(key=lambda p: (-p[0], p[1].intervention_id))
    return Caseload(
        coordinator_id=state.coordinator_id,
        active_plans=tuple(active),
        goals_past_due=tuple(past_due),
        long_pauses=tuple(p for _, p in pauses),
        hand_overs_received=state.hand_overs_received,
    )
