"""The whole plan, folded from the plan's events and its interventions' events: the one
state that sector views, the citizen's plan document and caseloads are read from.

This state holds everything; it is never shown as it is. ``sector_view`` filters it by
consent at the time of reading, and ``citizen_plan`` renders what the citizen receives.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

import attrs

from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.projections.base import Fold, KeysOf, Route, codec, no_keys, replace
from oneplan.trusted_events import uuid_text
from oneplan.values import (
    AchievementStatus,
    Actor,
    BudgetArea,
    DeliveryChannel,
    DependencyType,
    GoalStatus,
    InterventionOutcome,
    InterventionStatus,
    LegalBasis,
    MeetingAttendee,
    Money,
    OverarchingGoal,
    ParticipantRole,
    Period,
    PlanOutcome,
    PlanStatus,
    Responsibility,
    Sector,
    SectorPlanRef,
    Target,
)

__all__ = [
    "CostItem",
    "GoalItem",
    "InterventionItem",
    "MeetingItem",
    "ParticipantItem",
    "PlanState",
    "PlanView",
    "ProgressNote",
]


@attrs.frozen
class ProgressNote:
    """Progress recorded against a goal, with the note that came with it."""

    recorded_at: datetime
    by: Actor
    achievement: AchievementStatus
    measured_value: Decimal | None
    note: str


@attrs.frozen
class GoalItem:
    """A goal or sub-goal (*mål og delmål*) as it stands, with its progress notes."""

    goal_id: UUID
    parent_id: UUID | None
    description: str
    target: Target | None
    due: date | None
    status: GoalStatus
    set_at: datetime
    set_by: Actor
    achievement: AchievementStatus | None = None
    achieved_at: datetime | None = None
    notes: tuple[ProgressNote, ...] = ()


@attrs.frozen
class CostItem:
    """An actual cost booked to a budget area for a period."""

    amount: Money
    budget_area: BudgetArea
    period: Period
    recorded_at: datetime


@attrs.frozen
class InterventionItem:
    """An intervention (*indsats*) of the plan, as it stands."""

    intervention_id: UUID
    citizen_id: UUID
    sector: Sector
    legal_basis: LegalBasis
    title: str
    goal_ids: tuple[UUID, ...]
    responsible: Actor
    planned_period: Period
    planned_cost: Money | None
    """None only in a sector view whose consent does not cover costs."""
    budget_area: BudgetArea
    proposed_at: datetime
    status: InterventionStatus = InterventionStatus.NOT_STARTED
    granted_by: Actor | None = None
    granted_at: datetime | None = None
    decision_note: str = ""
    scheduled_start: date | None = None
    started_at: datetime | None = None
    paused_at: datetime | None = None
    pause_reason: str | None = None
    expected_resume: date | None = None
    ended_at: datetime | None = None
    outcome: InterventionOutcome | None = None
    end_reason: str | None = None
    costs: tuple[CostItem, ...] = ()
    waits_for: tuple[tuple[UUID, DependencyType], ...] = ()

    @property
    def actual_cost(self) -> Decimal:
        return sum((c.amount.amount for c in self.costs), Decimal("0.00"))


@attrs.frozen
class MeetingItem:
    """A coordinating meeting (*koordinerende møde*) and what it decided."""

    meeting_id: UUID
    held_at: datetime
    held_by: Actor
    attendees: tuple[MeetingAttendee, ...]
    decisions: tuple[str, ...]
    responsibilities: tuple[Responsibility, ...]
    next_meeting: date | None


@attrs.frozen
class ParticipantItem:
    """A caseworker taking part in the plan, and what allowed sharing the plan with them."""

    actor: Actor
    role: ParticipantRole
    joined_at: datetime
    shared_under_consents: tuple[UUID, ...]
    shared_under_law: LegalBasis | None


@attrs.frozen
class HandOverItem:
    """A coordinator hand-over: from whom, to whom, why."""

    at: datetime
    previous: Actor
    new: Actor
    reason: str
    previous_stays_as: ParticipantRole | None


@attrs.frozen
class PlanState:
    """Everything the record holds about one plan and its interventions."""

    plan_id: UUID
    citizen_ids: tuple[UUID, ...] = ()
    status: PlanStatus = PlanStatus.DRAFT
    opened_at: datetime | None = None
    opened_by: Actor | None = None
    replaces: tuple[SectorPlanRef, ...] = ()
    legal_bases: tuple[LegalBasis, ...] = ()
    consent_ids: tuple[UUID, ...] = ()
    wishes: dict[UUID, str] = attrs.field(factory=dict)
    overarching_goal: OverarchingGoal | None = None
    coordinator: Actor | None = None
    coordinator_since: datetime | None = None
    coordinator_shared_under_consents: tuple[UUID, ...] = ()
    """The consents naming the coordinator's sector when they took the plan (rule 9)."""
    coordinator_shared_under_law: LegalBasis | None = None
    """The override's legal basis given when they took the plan, if one was (rule 9).
    Neither is known for a coordinator assigned by an event recorded before version 2."""
    hand_overs: tuple[HandOverItem, ...] = ()
    participants: dict[str, ParticipantItem] = attrs.field(factory=dict)
    goals: dict[UUID, GoalItem] = attrs.field(factory=dict)
    interventions: dict[UUID, InterventionItem] = attrs.field(factory=dict)
    meetings: tuple[MeetingItem, ...] = ()
    hold_reason: str | None = None
    outcome: PlanOutcome | None = None
    closed_at: datetime | None = None
    closing_reason: str = ""
    delivered: tuple[tuple[int, DeliveryChannel, datetime], ...] = ()
    archived_at: datetime | None = None
    """When the closed plan was delivered to the public archive."""

    @property
    def exists(self) -> bool:
        return self.opened_at is not None

    @property
    def next_meeting(self) -> date | None:
        return self.meetings[-1].next_meeting if self.meetings else None

    def co_coordinators(self) -> tuple[Actor, ...]:
        return tuple(
            p.actor for p in self.participants.values() if p.role is ParticipantRole.CO_COORDINATOR
        )


class PlanView(Fold[PlanState]):
    """The plan as the record holds it: one row per plan."""

    name: ClassVar[str] = "plan"
    version: ClassVar[int] = 4
    """4: what sharing the plan with its coordinator travels with (consents, override)."""
    state_type: ClassVar[type[Any]] = PlanState

    def keys(self, event: Any, route: Route | None) -> tuple[str, ...]:
        if not self.handles(event):
            return ()
        if isinstance(event, Plan.Event):
            return (uuid_text(event.originator_id),)
        if route is not None and route.plan_id is not None:
            return (uuid_text(route.plan_id),)
        return ()

    def keys_for(self, event_class: type[Any]) -> KeysOf:
        """``keys``, with the branch for ``event_class`` taken once."""
        if type(self).keys is not PlanView.keys or type(self).handles is not Fold.handles:
            return self.keys
        if event_class not in self._handlers:
            return no_keys
        if issubclass(event_class, Plan.Event):
            return lambda event, route: (uuid_text(event.originator_id),)
        return _routed_plan

    def initial(self, key: str) -> PlanState:
        return PlanState(plan_id=UUID(key))

    def load_row(self, key: str, data: bytes | None) -> _Working:
        """The row as the runner folds it: in working state (``oneplan.projections.working``)."""
        return _Working.thaw(self.initial(key) if data is None else codec.loads(data, PlanState))

    def dump_row(self, row: _Working) -> bytes:
        return codec.dumps(row)  # (as the frozen row: ``codec.write_as`` below)


def _routed_plan(event: Any, route: Route | None) -> tuple[str, ...]:
    if route is not None and route.plan_id is not None:
        return (uuid_text(route.plan_id),)
    return ()


_FIELDS = tuple(f.name for f in attrs.fields(PlanState))
_MAPPINGS = tuple(
    f.name
    for f in attrs.fields(PlanState)
    if isinstance(f.default, attrs.Factory)  # type: ignore[arg-type]
)
"""The fields holding a dict (of wishes, participants, goals, interventions)."""


_ITEM_FIELDS = tuple(f.name for f in attrs.fields(InterventionItem))


class _WorkingItem:
    """An intervention of a working plan row: the fields of ``InterventionItem``, set in
    place (an intervention's events change it a dozen times)."""

    __slots__ = _ITEM_FIELDS

    @classmethod
    def thaw(cls, item: InterventionItem) -> _WorkingItem:
        working = object.__new__(cls)
        for name in _ITEM_FIELDS:
            setattr(working, name, getattr(item, name))
        return working

    def frozen(self) -> InterventionItem:
        item = object.__new__(InterventionItem)
        for name in _ITEM_FIELDS:
            object.__setattr__(item, name, getattr(self, name))
        return item


class _Working:
    """A plan row while the runner folds it (``oneplan.projections.working``): the
    fields of ``PlanState``, set in place, its dicts (goals, interventions, ...) its own
    and changed in place, its interventions working items; the goals stay frozen items.
    Written as the frozen row it stands for (``frozen``), so the bytes are the codec's."""

    __slots__ = _FIELDS
    interventions: dict[UUID, _WorkingItem]

    @classmethod
    def thaw(cls, state: PlanState) -> _Working:
        row = object.__new__(cls)
        for name in _FIELDS:
            value = getattr(state, name)
            setattr(row, name, dict(value) if name in _MAPPINGS else value)
        row.interventions = {k: _WorkingItem.thaw(v) for k, v in state.interventions.items()}
        return row

    def frozen(self) -> PlanState:
        """The frozen row (sharing this row's other dicts: written, then this row
        changes again only after it was written)."""
        state = object.__new__(PlanState)
        for name in _FIELDS:
            object.__setattr__(state, name, getattr(self, name))
        interventions = {k: v.frozen() for k, v in self.interventions.items()}
        object.__setattr__(state, "interventions", interventions)
        return state


codec.write_as(_Working, PlanState)
codec.write_as(_WorkingItem, InterventionItem)
"""A working row and its interventions are written as the frozen ones (``dump_row``)."""

_on = PlanView.on


def _set(state: PlanState, **changes: Any) -> PlanState:
    """The row with ``changes``: a working row changed in place, a frozen one copied."""
    row: Any = state
    if type(row) is _Working:
        for name, value in changes.items():
            setattr(row, name, value)
        return state
    return replace(state, **changes)


def _put(state: PlanState, field: str, key: Any, value: Any, **changes: Any) -> PlanState:
    """The row with ``value`` under ``key`` in its dict ``field`` (and ``changes``)."""
    row: Any = state
    if type(row) is _Working:
        getattr(row, field)[key] = value
        for name, change in changes.items():
            setattr(row, name, change)
        return state
    return replace(state, **{field: {**getattr(state, field), key: value}}, **changes)


def _without(state: PlanState, field: str, key: Any) -> dict[Any, Any]:
    """The row's dict ``field`` without ``key``: a working row's own, changed in place."""
    found: dict[Any, Any] = getattr(state, field)
    row: Any = state
    if type(row) is _Working:
        found.pop(key, None)
        return found
    return {k: v for k, v in found.items() if k != key}


def _goal(state: PlanState, event: Any, **changes: Any) -> PlanState:
    goal = state.goals.get(event.goal_id)
    if goal is None:
        return state
    return _put(state, "goals", goal.goal_id, replace(goal, **changes))


def _intervention(state: PlanState, event: Any, **changes: Any) -> PlanState:
    item: Any = state.interventions.get(event.originator_id)
    if item is None:
        return state
    if type(item) is _WorkingItem:
        for name, value in changes.items():
            setattr(item, name, value)
        return state
    return _put(state, "interventions", item.intervention_id, replace(item, **changes))


# --- plan events ---------------------------------------------------------------------


@_on(Plan.Opened)
def _opened(state: PlanState, e: Plan.Opened) -> PlanState:
    return _set(
        state,
        citizen_ids=e.citizen_ids,
        opened_at=e.effective_at,
        opened_by=e.actor,
        replaces=e.replaces,
        legal_bases=e.legal_bases,
        consent_ids=e.consent_ids,
    )


@_on(Plan.CitizensWishesRecorded)
def _wishes(state: PlanState, e: Plan.CitizensWishesRecorded) -> PlanState:
    return _put(state, "wishes", e.citizen_id, e.wishes, overarching_goal=e.overarching_goal)


@_on(Plan.CoordinatorAssigned)
def _coordinator(state: PlanState, e: Plan.CoordinatorAssigned) -> PlanState:
    participants = _without(state, "participants", e.coordinator.id)
    return _set(
        state,
        coordinator=e.coordinator,
        coordinator_since=e.effective_at,
        coordinator_shared_under_consents=e.shared_under_consents,
        coordinator_shared_under_law=e.shared_under_law,
        participants=participants,
        status=PlanStatus.ACTIVE if state.status is PlanStatus.DRAFT else state.status,
    )


@_on(Plan.CoordinatorHandedOver)
def _handed_over(state: PlanState, e: Plan.CoordinatorHandedOver) -> PlanState:
    participants = _without(state, "participants", e.new_coordinator.id)
    if e.previous_stays_as is not None:
        participants[e.previous_coordinator.id] = ParticipantItem(
            actor=e.previous_coordinator,
            role=e.previous_stays_as,
            joined_at=e.effective_at,
            shared_under_consents=state.consent_ids,
            shared_under_law=None,
        )
    hand_over = HandOverItem(
        at=e.effective_at,
        previous=e.previous_coordinator,
        new=e.new_coordinator,
        reason=e.reason,
        previous_stays_as=e.previous_stays_as,
    )
    return _set(
        state,
        coordinator=e.new_coordinator,
        coordinator_since=e.effective_at,
        coordinator_shared_under_consents=e.shared_under_consents,
        coordinator_shared_under_law=e.shared_under_law,
        participants=participants,
        hand_overs=(*state.hand_overs, hand_over),
    )


@_on(Plan.ParticipantJoined)
def _joined(state: PlanState, e: Plan.ParticipantJoined) -> PlanState:
    participant = ParticipantItem(
        actor=e.participant,
        role=e.role,
        joined_at=e.effective_at,
        shared_under_consents=e.shared_under_consents,
        shared_under_law=e.shared_under_law,
    )
    return _put(state, "participants", e.participant.id, participant)


@_on(Plan.ParticipantLeft)
def _left(state: PlanState, e: Plan.ParticipantLeft) -> PlanState:
    return _set(state, participants=_without(state, "participants", e.caseworker_id))


@_on(Plan.GoalSet)
def _goal_set(state: PlanState, e: Plan.GoalSet) -> PlanState:
    goal = GoalItem(
        goal_id=e.goal_id,
        parent_id=e.parent_id,
        description=e.description,
        target=e.target,
        due=e.due,
        status=e.status,
        set_at=e.effective_at,
        set_by=e.actor,
    )
    return _put(state, "goals", e.goal_id, goal)


@_on(Plan.GoalRevised)
def _goal_revised(state: PlanState, e: Plan.GoalRevised) -> PlanState:
    return _goal(state, e, description=e.description, target=e.target, due=e.due, status=e.status)


@_on(Plan.GoalProgressRecorded)
def _progress(state: PlanState, e: Plan.GoalProgressRecorded) -> PlanState:
    goal = state.goals.get(e.goal_id)
    if goal is None:
        return state
    note = ProgressNote(
        recorded_at=e.effective_at,
        by=e.actor,
        achievement=e.achievement,
        measured_value=e.measured_value,
        note=e.note,
    )
    achieved = e.effective_at if e.achievement is AchievementStatus.ACHIEVED else goal.achieved_at
    return _goal(
        state,
        e,
        achievement=e.achievement,
        notes=(*goal.notes, note),
        achieved_at=goal.achieved_at or achieved,
    )


@_on(Plan.GoalCompleted)
def _goal_completed(state: PlanState, e: Plan.GoalCompleted) -> PlanState:
    goal = state.goals.get(e.goal_id)
    achieved_at = goal.achieved_at if goal is not None else None
    if achieved_at is None and e.achievement is AchievementStatus.ACHIEVED:
        achieved_at = e.effective_at
    return _goal(
        state, e, status=GoalStatus.COMPLETED, achievement=e.achievement, achieved_at=achieved_at
    )


@_on(Plan.GoalCancelled)
def _goal_cancelled(state: PlanState, e: Plan.GoalCancelled) -> PlanState:
    return _goal(state, e, status=GoalStatus.CANCELLED)


@_on(Plan.MeetingHeld)
def _meeting(state: PlanState, e: Plan.MeetingHeld) -> PlanState:
    meeting = MeetingItem(
        meeting_id=e.meeting_id,
        held_at=e.effective_at,
        held_by=e.actor,
        attendees=e.attendees,
        decisions=e.decisions,
        responsibilities=e.responsibilities,
        next_meeting=e.next_meeting,
    )
    return _set(state, meetings=(*state.meetings, meeting))


@_on(Plan.Delivered)
def _delivered(state: PlanState, e: Plan.Delivered) -> PlanState:
    return _set(state, delivered=(*state.delivered, (e.version, e.channel, e.effective_at)))


@_on(Plan.DeliveredToArchive)
def _archived(state: PlanState, e: Plan.DeliveredToArchive) -> PlanState:
    return _set(state, archived_at=e.effective_at)


@_on(Plan.PutOnHold)
def _on_hold(state: PlanState, e: Plan.PutOnHold) -> PlanState:
    return _set(state, status=PlanStatus.ON_HOLD, hold_reason=e.reason)


@_on(Plan.Resumed)
def _resumed(state: PlanState, e: Plan.Resumed) -> PlanState:
    return _set(state, status=PlanStatus.ACTIVE, hold_reason=None)


@_on(Plan.Completed)
def _completed(state: PlanState, e: Plan.Completed) -> PlanState:
    return _set(state, status=PlanStatus.COMPLETED, outcome=e.outcome, closed_at=e.effective_at)


@_on(Plan.WithdrawnByCitizen)
def _withdrawn(state: PlanState, e: Plan.WithdrawnByCitizen) -> PlanState:
    return _set(state, status=PlanStatus.REVOKED, closed_at=e.effective_at, closing_reason=e.reason)


@_on(Plan.EnteredInError)
def _in_error(state: PlanState, e: Plan.EnteredInError) -> PlanState:
    return _set(
        state,
        status=PlanStatus.ENTERED_IN_ERROR,
        closed_at=state.closed_at or e.effective_at,  # (a closed plan keeps its day)
        closing_reason=e.reason,
    )


# --- intervention events -------------------------------------------------------------


@_on(Intervention.Proposed)
def _proposed(state: PlanState, e: Intervention.Proposed) -> PlanState:
    item = InterventionItem(
        intervention_id=e.originator_id,
        citizen_id=e.citizen_id,
        sector=e.sector,
        legal_basis=e.legal_basis,
        title=e.title,
        goal_ids=e.goal_ids,
        responsible=e.responsible,
        planned_period=e.planned_period,
        planned_cost=e.planned_cost,
        budget_area=e.budget_area,
        proposed_at=e.effective_at,
    )
    row: Any = state
    if type(row) is _Working:
        row.interventions[item.intervention_id] = _WorkingItem.thaw(item)
        return state
    return _put(state, "interventions", item.intervention_id, item)


@_on(Intervention.Granted)
def _granted(state: PlanState, e: Intervention.Granted) -> PlanState:
    return _intervention(
        state, e, granted_by=e.actor, granted_at=e.effective_at, decision_note=e.note
    )


@_on(Intervention.Scheduled)
def _scheduled(state: PlanState, e: Intervention.Scheduled) -> PlanState:
    return _intervention(state, e, status=InterventionStatus.SCHEDULED, scheduled_start=e.start_on)


@_on(Intervention.Started)
def _started(state: PlanState, e: Intervention.Started) -> PlanState:
    return _intervention(state, e, status=InterventionStatus.IN_PROGRESS, started_at=e.effective_at)


@_on(Intervention.Paused)
def _paused(state: PlanState, e: Intervention.Paused) -> PlanState:
    return _intervention(
        state,
        e,
        status=InterventionStatus.ON_HOLD,
        paused_at=e.effective_at,
        pause_reason=e.reason,
        expected_resume=e.expected_resume,
    )


@_on(Intervention.Resumed)
def _intervention_resumed(state: PlanState, e: Intervention.Resumed) -> PlanState:
    return _intervention(
        state,
        e,
        status=InterventionStatus.IN_PROGRESS,
        paused_at=None,
        pause_reason=None,
        expected_resume=None,
    )


@_on(Intervention.Completed)
def _intervention_completed(state: PlanState, e: Intervention.Completed) -> PlanState:
    return _intervention(
        state, e, status=InterventionStatus.COMPLETED, outcome=e.outcome, ended_at=e.effective_at
    )


@_on(Intervention.Stopped)
def _stopped(state: PlanState, e: Intervention.Stopped) -> PlanState:
    return _intervention(
        state, e, status=InterventionStatus.STOPPED, end_reason=e.reason, ended_at=e.effective_at
    )


@_on(Intervention.Cancelled)
def _cancelled(state: PlanState, e: Intervention.Cancelled) -> PlanState:
    return _intervention(
        state, e, status=InterventionStatus.CANCELLED, end_reason=e.reason, ended_at=e.effective_at
    )


@_on(Intervention.ResponsibleReassigned)
def _reassigned(state: PlanState, e: Intervention.ResponsibleReassigned) -> PlanState:
    return _intervention(state, e, responsible=e.new_responsible)


@_on(Intervention.ActualCostRecorded)
def _cost(state: PlanState, e: Intervention.ActualCostRecorded) -> PlanState:
    item = state.interventions.get(e.originator_id)
    if item is None:
        return state
    cost = CostItem(
        amount=e.amount, budget_area=e.budget_area, period=e.period, recorded_at=e.effective_at
    )
    return _intervention(state, e, costs=(*item.costs, cost))


@_on(Intervention.DependencyAdded)
def _dependency(state: PlanState, e: Intervention.DependencyAdded) -> PlanState:
    item = state.interventions.get(e.originator_id)
    if item is None:
        return state
    return _intervention(state, e, waits_for=(*item.waits_for, (e.on_intervention_id, e.type)))
