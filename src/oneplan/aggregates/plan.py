"""The plan (*én plan*): one coordinated plan with the citizen, across all sectors."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

import attrs

from oneplan.aggregates.base import (
    OnePlanAggregate,
    require_caseworker,
    require_in_course_order,
    require_text,
    stepped,
)
from oneplan.aggregates.personal import Personal, optional, text, texts
from oneplan.aggregates.personal import attendees as who_attended
from oneplan.errors import (
    CoordinatorRequired,
    GoalNotFound,
    IllegalTransition,
    InterventionOutsidePlan,
    InvalidInput,
    ParticipantNotFound,
)
from oneplan.values import (
    AchievementStatus,
    Actor,
    ActorKind,
    DeliveryChannel,
    GoalStatus,
    LegalBasis,
    MeetingAttendee,
    OverarchingGoal,
    ParticipantRole,
    PlanOutcome,
    PlanStatus,
    Responsibility,
    SectorPlanRef,
    Target,
)

__all__ = ["Goal", "Meeting", "Participant", "Plan"]


@attrs.frozen
class Goal:
    """A goal or sub-goal (*mål og delmål*) with a measurable target and a due date."""

    goal_id: UUID
    parent_id: UUID | None
    description: str
    target: Target | None
    due: date | None
    status: GoalStatus
    achievement: AchievementStatus | None = None
    measured_value: Decimal | None = None
    progress_count: int = 0


@attrs.frozen
class Participant:
    """A caseworker taking part in the plan, and in which role."""

    actor: Actor
    role: ParticipantRole
    joined_at: datetime
    shared_under_consents: tuple[UUID, ...]
    shared_under_law: LegalBasis | None


@attrs.frozen
class Meeting:
    """A coordinating meeting (*koordinerende møde*) and what it decided."""

    meeting_id: UUID
    held_at: datetime
    attendees: tuple[MeetingAttendee, ...]
    decisions: tuple[str, ...]
    responsibilities: tuple[Responsibility, ...]
    next_meeting: date | None


_OPEN = (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.ON_HOLD)


class Plan(OnePlanAggregate):
    """One coordinated plan with the citizen (*én plan*), for one citizen or a household,
    held by one plan coordinator (*plankoordinator*)."""

    def __init__(self) -> None:
        super().__init__()
        self.citizen_ids: tuple[UUID, ...] = ()
        self.status = PlanStatus.DRAFT
        self.replaces: tuple[SectorPlanRef, ...] = ()
        self.legal_bases: tuple[LegalBasis, ...] = ()
        self.consent_ids: tuple[UUID, ...] = ()
        self.wishes: dict[UUID, str] = {}
        self.overarching_goal: OverarchingGoal | None = None
        self.coordinator: Actor | None = None
        self.opened_by: str | None = None
        """Who opened the plan (the staff id): gives it a coordinator if it has none."""
        self.participants: dict[str, Participant] = {}
        self.goals: dict[UUID, Goal] = {}
        self.meetings: tuple[Meeting, ...] = ()
        self.intervention_ids: tuple[UUID, ...] = ()
        self.delivered_versions = 0
        self.hold_reason: str | None = None
        self.outcome: PlanOutcome | None = None
        self.closed_at: datetime | None = None
        self.last_step: str | None = None
        """The latest step of the plan's status in the citizen's course (an event name:
        ``CoordinatorAssigned`` that activated it, ``PutOnHold``, ``Resumed``,
        ``Completed``, ``WithdrawnByCitizen``); its steps are in effective time (rule 15)."""
        self.last_step_at: datetime | None = None
        """The effective time of ``last_step``."""
        self.coordinator_changes = 0
        self.archived_at: datetime | None = None
        """When the closed plan was delivered to the public archive."""

    # --- events ----------------------------------------------------------------------

    class Opened(OnePlanAggregate.Created):
        """A coordinated plan was opened, replacing sector plans, by the citizen's consent."""

        citizen_ids: tuple[UUID, ...]
        replaces: tuple[SectorPlanRef, ...]
        legal_bases: tuple[LegalBasis, ...]
        consent_ids: tuple[UUID, ...]

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            aggregate.citizen_ids = self.citizen_ids
            aggregate.replaces = self.replaces
            aggregate.legal_bases = self.legal_bases
            aggregate.consent_ids = self.consent_ids
            aggregate.opened_by = self.actor.id

    class CitizensWishesRecorded(OnePlanAggregate.Event):
        """The citizen's own wishes (*borgerens ønsker*), in their words, and the overarching
        goal they set."""

        citizen_id: UUID
        wishes: str
        overarching_goal: OverarchingGoal

        personal: ClassVar[Personal] = {"wishes": text(of_citizen_in="citizen_id")}

        def apply(self, aggregate: Any) -> None:
            aggregate.wishes[self.citizen_id] = self.wishes
            aggregate.overarching_goal = self.overarching_goal

    class CoordinatorAssigned(OnePlanAggregate.Event):
        """The plan got its coordinator (*plankoordinator*); a draft plan becomes active.
        Names what allowed sharing the plan with them (rule 9): the consents naming their
        sector, and the override's legal basis whenever one was given."""

        class_version = 2
        coordinator: Actor
        shared_under_consents: tuple[UUID, ...]
        shared_under_law: LegalBasis | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 did not record what allowed the sharing (an override given was
            dropped): nothing recorded, never a basis made up."""
            state["shared_under_consents"] = []
            state["shared_under_law"] = None

        def apply(self, aggregate: Any) -> None:
            aggregate.coordinator = self.coordinator
            aggregate.participants.pop(self.coordinator.id, None)
            if aggregate.status is PlanStatus.DRAFT:
                aggregate.status = PlanStatus.ACTIVE
                stepped(aggregate, "CoordinatorAssigned", self.effective_at)

    class CoordinatorHandedOver(OnePlanAggregate.Event):
        """The coordinator handed the plan over to another, with a reason; the previous
        one may stay on in a lighter role (a family coordinator stepping back)."""

        class_version = 2
        previous_coordinator: Actor
        new_coordinator: Actor
        reason: str
        previous_stays_as: ParticipantRole | None
        shared_under_consents: tuple[UUID, ...]
        """The consents naming the new coordinator's sector (rule 9)."""
        shared_under_law: LegalBasis | None
        """The override's legal basis, whenever one was given for the new coordinator."""

        personal: ClassVar[Personal] = {"reason": text()}

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 did not record what allowed sharing with the new coordinator (an
            override given was dropped): nothing recorded, never a basis made up."""
            state["shared_under_consents"] = []
            state["shared_under_law"] = None

        def apply(self, aggregate: Any) -> None:
            aggregate.coordinator = self.new_coordinator
            aggregate.participants.pop(self.new_coordinator.id, None)
            aggregate.coordinator_changes += 1
            if self.previous_stays_as is not None:
                aggregate.participants[self.previous_coordinator.id] = Participant(
                    actor=self.previous_coordinator,
                    role=self.previous_stays_as,
                    joined_at=self.effective_at,
                    shared_under_consents=aggregate.consent_ids,
                    shared_under_law=None,
                )

    class ParticipantJoined(OnePlanAggregate.Event):
        """A caseworker joined the plan in a role; names what allowed the sharing."""

        participant: Actor
        role: ParticipantRole
        shared_under_consents: tuple[UUID, ...]
        shared_under_law: LegalBasis | None

        def apply(self, aggregate: Any) -> None:
            aggregate.participants[self.participant.id] = Participant(
                actor=self.participant,
                role=self.role,
                joined_at=self.effective_at,
                shared_under_consents=self.shared_under_consents,
                shared_under_law=self.shared_under_law,
            )

    class ParticipantLeft(OnePlanAggregate.Event):
        """A caseworker left the plan."""

        caseworker_id: str
        reason: str

        personal: ClassVar[Personal] = {"reason": text()}

        def apply(self, aggregate: Any) -> None:
            del aggregate.participants[self.caseworker_id]

    class GoalSet(OnePlanAggregate.Event):
        """A goal was set; a sub-goal (*delmål*) names its parent goal."""

        goal_id: UUID
        parent_id: UUID | None
        description: str
        target: Target | None
        due: date | None
        status: GoalStatus

        personal: ClassVar[Personal] = {"description": text(), "target": optional()}

        def apply(self, aggregate: Any) -> None:
            aggregate.goals[self.goal_id] = Goal(
                goal_id=self.goal_id,
                parent_id=self.parent_id,
                description=self.description,
                target=self.target,
                due=self.due,
                status=self.status,
            )

    class GoalRevised(OnePlanAggregate.Event):
        """A goal's description, target, due date or lifecycle status was revised."""

        goal_id: UUID
        description: str
        target: Target | None
        due: date | None
        status: GoalStatus
        reason: str

        personal: ClassVar[Personal] = {
            "description": text(),
            "target": optional(),
            "reason": text(),
        }

        def apply(self, aggregate: Any) -> None:
            goal = aggregate.goals[self.goal_id]
            aggregate.goals[self.goal_id] = attrs.evolve(
                goal,
                description=self.description,
                target=self.target,
                due=self.due,
                status=self.status,
            )

    class GoalProgressRecorded(OnePlanAggregate.Event):
        """Progress was recorded against a goal."""

        goal_id: UUID
        achievement: AchievementStatus
        measured_value: Decimal | None
        note: str

        personal: ClassVar[Personal] = {"note": text()}

        def apply(self, aggregate: Any) -> None:
            goal = aggregate.goals[self.goal_id]
            aggregate.goals[self.goal_id] = attrs.evolve(
                goal,
                achievement=self.achievement,
                measured_value=(
                    self.measured_value if self.measured_value is not None else goal.measured_value
                ),
                progress_count=goal.progress_count + 1,
            )

    class GoalCompleted(OnePlanAggregate.Event):
        """A goal was completed, achieved or not."""

        goal_id: UUID
        achievement: AchievementStatus

        def apply(self, aggregate: Any) -> None:
            goal = aggregate.goals[self.goal_id]
            aggregate.goals[self.goal_id] = attrs.evolve(
                goal, status=GoalStatus.COMPLETED, achievement=self.achievement
            )

    class GoalCancelled(OnePlanAggregate.Event):
        """A goal was cancelled."""

        goal_id: UUID
        reason: str

        personal: ClassVar[Personal] = {"reason": text()}

        def apply(self, aggregate: Any) -> None:
            goal = aggregate.goals[self.goal_id]
            aggregate.goals[self.goal_id] = attrs.evolve(goal, status=GoalStatus.CANCELLED)

    class InterventionIncluded(OnePlanAggregate.Event):
        """An intervention became part of the plan (rule 2: the plan covers all efforts)."""

        intervention_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.intervention_ids = (*aggregate.intervention_ids, self.intervention_id)

    class MeetingHeld(OnePlanAggregate.Event):
        """A coordinating meeting (*koordinerende møde*) was held: who attended, what was
        decided, and who is responsible for which intervention."""

        meeting_id: UUID
        attendees: tuple[MeetingAttendee, ...]
        decisions: tuple[str, ...]
        responsibilities: tuple[Responsibility, ...]
        next_meeting: date | None

        personal: ClassVar[Personal] = {"decisions": texts(), "attendees": who_attended()}

        def apply(self, aggregate: Any) -> None:
            aggregate.meetings = (
                *aggregate.meetings,
                Meeting(
                    meeting_id=self.meeting_id,
                    held_at=self.effective_at,
                    attendees=self.attendees,
                    decisions=self.decisions,
                    responsibilities=self.responsibilities,
                    next_meeting=self.next_meeting,
                ),
            )

    class Delivered(OnePlanAggregate.Event):
        """The plan was delivered to the citizen as a readable document."""

        version: int
        channel: DeliveryChannel

        def apply(self, aggregate: Any) -> None:
            aggregate.delivered_versions = self.version

    class PutOnHold(OnePlanAggregate.Event):
        """The plan was put on hold."""

        reason: str

        personal: ClassVar[Personal] = {"reason": text()}

        def apply(self, aggregate: Any) -> None:
            aggregate.status = PlanStatus.ON_HOLD
            aggregate.hold_reason = self.reason
            stepped(aggregate, "PutOnHold", self.effective_at)

    class Resumed(OnePlanAggregate.Event):
        """The plan was resumed after a hold."""

        def apply(self, aggregate: Any) -> None:
            aggregate.status = PlanStatus.ACTIVE
            aggregate.hold_reason = None
            stepped(aggregate, "Resumed", self.effective_at)

    class Completed(OnePlanAggregate.Event):
        """The plan was completed, with where the citizen's course ended."""

        outcome: PlanOutcome

        def apply(self, aggregate: Any) -> None:
            aggregate.status = PlanStatus.COMPLETED
            aggregate.outcome = self.outcome
            aggregate.closed_at = self.effective_at
            stepped(aggregate, "Completed", self.effective_at)

    class WithdrawnByCitizen(OnePlanAggregate.Event):
        """The citizen withdrew from the plan: it ends, the sector plans (*handleplaner*) it
        replaced resume, and its history is kept."""

        reason: str
        sector_plans_resumed: tuple[SectorPlanRef, ...]

        personal: ClassVar[Personal] = {"reason": text()}

        def apply(self, aggregate: Any) -> None:
            aggregate.status = PlanStatus.REVOKED
            aggregate.closed_at = self.effective_at
            stepped(aggregate, "WithdrawnByCitizen", self.effective_at)

    class EnteredInError(OnePlanAggregate.Event):
        """The plan should never have been opened (a correction; nothing is deleted). A
        plan already closed keeps the day it closed: the correction does not restart its
        case file's retention."""

        reason: str

        personal: ClassVar[Personal] = {"reason": text()}

        def apply(self, aggregate: Any) -> None:
            aggregate.status = PlanStatus.ENTERED_IN_ERROR
            aggregate.closed_at = aggregate.closed_at or self.effective_at

    class DeliveredToArchive(OnePlanAggregate.Event):
        """The closed plan (the case file) was delivered to the public archive
        (*afleveret til offentligt arkiv*): from now on the archive keeps it, and its
        personal data may be erased here at the end of its retention."""

        archive: str
        """Which archive (the Rigsarkivet, or the municipality's own archive)."""
        reference: str
        """The delivery's reference (*afleveringsnummer*)."""

        def apply(self, aggregate: Any) -> None:
            aggregate.archived_at = self.effective_at

    # --- commands: life of the plan --------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        plan_id: UUID,
        citizen_ids: tuple[UUID, ...],
        replaces: tuple[SectorPlanRef, ...],
        legal_bases: tuple[LegalBasis, ...],
        consent_ids: tuple[UUID, ...],
        actor: Actor,
        effective_at: datetime,
    ) -> Plan:
        """Open a plan in draft. Rule 1 (one plan per citizen, by consent) is checked
        across aggregates by the application."""
        if not citizen_ids or len(set(citizen_ids)) != len(citizen_ids):
            raise InvalidInput(
                "OpenPlan", [{"loc": ("citizen_ids",), "msg": "one or more distinct citizens"}]
            )
        if not legal_bases:
            raise InvalidInput(
                "OpenPlan", [{"loc": ("legal_bases",), "msg": "a plan is made under a legal basis"}]
            )
        if not consent_ids:
            raise InvalidInput(
                "OpenPlan", [{"loc": ("consent_ids",), "msg": "a plan exists by consent"}]
            )
        require_caseworker("OpenPlan", "actor", actor)
        return cls._begin(
            cls.Opened,
            id=plan_id,
            actor=actor,
            effective_at=effective_at,
            citizen_ids=citizen_ids,
            replaces=replaces,
            legal_bases=legal_bases,
            consent_ids=consent_ids,
        )

    @property
    def is_household(self) -> bool:
        """A family plan (*familieplan*) covers several citizens."""
        return len(self.citizen_ids) > 1

    def record_wishes(
        self,
        *,
        citizen_id: UUID,
        wishes: str,
        overarching_goal: OverarchingGoal,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Record the citizen's own wishes, in their words."""
        self._require_open("RecordCitizensWishes")
        if citizen_id not in self.citizen_ids:
            raise InvalidInput(
                "RecordCitizensWishes", [{"loc": ("citizen_id",), "msg": "not in this plan"}]
            )
        self._record(
            self.CitizensWishesRecorded,
            actor=actor,
            effective_at=effective_at,
            citizen_id=citizen_id,
            wishes=require_text("RecordCitizensWishes", "wishes", wishes),
            overarching_goal=overarching_goal,
        )

    def assign_coordinator(
        self,
        *,
        coordinator: Actor,
        actor: Actor,
        effective_at: datetime,
        shared_under_consents: tuple[UUID, ...] = (),
        shared_under_law: LegalBasis | None = None,
    ) -> None:
        """Give the plan its first coordinator; the plan becomes active. What allowed
        sharing with them (rule 9) is decided by the application and recorded here."""
        self._require_open("AssignCoordinator")
        require_caseworker("AssignCoordinator", "coordinator", coordinator)
        if self.coordinator is not None:
            raise CoordinatorRequired(
                f"plan {self.id} already has coordinator {self.coordinator.id}; hand it over",
                plan_id=self.id,
                caseworker_id=self.coordinator.id,
            )
        self._record(
            self.CoordinatorAssigned,
            actor=actor,
            effective_at=effective_at,
            coordinator=coordinator,
            shared_under_consents=shared_under_consents,
            shared_under_law=shared_under_law,
        )

    def hand_over(
        self,
        *,
        new_coordinator: Actor,
        reason: str,
        previous_stays_as: ParticipantRole | None = None,
        actor: Actor,
        effective_at: datetime,
        shared_under_consents: tuple[UUID, ...] = (),
        shared_under_law: LegalBasis | None = None,
    ) -> None:
        """Rule 7: a hand-over names the new coordinator and the reason (and, rule 9,
        what allowed sharing with them)."""
        self._require_open("HandOverCoordinator")
        require_caseworker("HandOverCoordinator", "new_coordinator", new_coordinator)
        if self.coordinator is None:
            raise CoordinatorRequired(
                f"plan {self.id} has no coordinator to hand over from", plan_id=self.id
            )
        if new_coordinator.id == self.coordinator.id:
            raise CoordinatorRequired(
                f"{new_coordinator.id} already coordinates plan {self.id}",
                plan_id=self.id,
                caseworker_id=new_coordinator.id,
            )
        self._record(
            self.CoordinatorHandedOver,
            actor=actor,
            effective_at=effective_at,
            previous_coordinator=self.coordinator,
            new_coordinator=new_coordinator,
            reason=require_text("HandOverCoordinator", "reason", reason),
            previous_stays_as=previous_stays_as,
            shared_under_consents=shared_under_consents,
            shared_under_law=shared_under_law,
        )

    def add_participant(
        self,
        *,
        participant: Actor,
        role: ParticipantRole,
        shared_under_consents: tuple[UUID, ...],
        shared_under_law: LegalBasis | None,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """A caseworker joins in a role. Which consent (or legal basis) lets their sector
        see the plan is decided by the application's sharing rule and recorded here."""
        self._require_open("AddParticipant")
        require_caseworker("AddParticipant", "participant", participant)
        if participant.id in self.participants or (
            self.coordinator is not None and participant.id == self.coordinator.id
        ):
            raise IllegalTransition(
                f"{participant.id} already takes part in plan {self.id}",
                plan_id=self.id,
                caseworker_id=participant.id,
            )
        if not shared_under_consents and shared_under_law is None:
            raise InvalidInput(
                "AddParticipant",
                [{"loc": ("shared_under_law",), "msg": "sharing needs a consent or legal basis"}],
            )
        self._record(
            self.ParticipantJoined,
            actor=actor,
            effective_at=effective_at,
            participant=participant,
            role=role,
            shared_under_consents=shared_under_consents,
            shared_under_law=shared_under_law,
        )

    def remove_participant(
        self, *, caseworker_id: str, reason: str, actor: Actor, effective_at: datetime
    ) -> None:
        self._require_open("RemoveParticipant")
        if caseworker_id not in self.participants:
            raise ParticipantNotFound(self.id, caseworker_id)
        self._record(
            self.ParticipantLeft,
            actor=actor,
            effective_at=effective_at,
            caseworker_id=caseworker_id,
            reason=require_text("RemoveParticipant", "reason", reason),
        )

    # --- commands: goals -------------------------------------------------------------

    def set_goal(
        self,
        *,
        goal_id: UUID,
        description: str,
        target: Target | None = None,
        due: date | None = None,
        parent_id: UUID | None = None,
        status: GoalStatus = GoalStatus.ACTIVE,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Set a goal, or a sub-goal of ``parent_id``: due no later than its parent."""
        self._require_open("SetGoal")
        if goal_id in self.goals:
            raise IllegalTransition(
                f"goal {goal_id} is already set", plan_id=self.id, goal_id=goal_id
            )
        if status not in (GoalStatus.PROPOSED, GoalStatus.ACCEPTED, GoalStatus.ACTIVE):
            raise InvalidInput(
                "SetGoal",
                [{"loc": ("status",), "msg": "a new goal is proposed, accepted or active"}],
            )
        if parent_id is not None:
            parent = self._open_goal("SetGoal", parent_id)
            _require_due_within_parent("SetGoal", due, parent)
        self._record(
            self.GoalSet,
            actor=actor,
            effective_at=effective_at,
            goal_id=goal_id,
            parent_id=parent_id,
            description=require_text("SetGoal", "description", description),
            target=target,
            due=due,
            status=status,
        )

    def revise_goal(
        self,
        *,
        goal_id: UUID,
        reason: str,
        description: str | None = None,
        target: Target | None = None,
        due: date | None = None,
        status: GoalStatus | None = None,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Revise a goal: given fields change, the others stay."""
        self._require_open("ReviseGoal")
        goal = self._open_goal("ReviseGoal", goal_id)
        new_status = status or goal.status
        if new_status.is_finished:
            raise InvalidInput(
                "ReviseGoal", [{"loc": ("status",), "msg": "complete or cancel the goal instead"}]
            )
        new_due = due if due is not None else goal.due
        if goal.parent_id is not None:
            _require_due_within_parent("ReviseGoal", new_due, self.goals[goal.parent_id])
        for child in self._sub_goals(goal_id):
            if new_due is not None and (child.due is None or child.due > new_due):
                raise InvalidInput(
                    "ReviseGoal",
                    [{"loc": ("due",), "msg": f"sub-goal {child.goal_id} is due later"}],
                )
        revised = {
            "description": require_text("ReviseGoal", "description", description)
            if description is not None
            else goal.description,
            "target": target if target is not None else goal.target,
            "due": new_due,
            "status": new_status,
        }
        if all(getattr(goal, k) == v for k, v in revised.items()):
            raise InvalidInput("ReviseGoal", [{"loc": (), "msg": "the revision changes nothing"}])
        self._record(
            self.GoalRevised,
            actor=actor,
            effective_at=effective_at,
            goal_id=goal_id,
            reason=require_text("ReviseGoal", "reason", reason),
            **revised,
        )

    def record_progress(
        self,
        *,
        goal_id: UUID,
        achievement: AchievementStatus,
        measured_value: Decimal | None = None,
        note: str = "",
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        self._require_open("RecordProgress")
        self._open_goal("RecordProgress", goal_id)
        self._record(
            self.GoalProgressRecorded,
            actor=actor,
            effective_at=effective_at,
            goal_id=goal_id,
            achievement=achievement,
            measured_value=measured_value,
            note=note.strip(),
        )

    def complete_goal(
        self,
        *,
        goal_id: UUID,
        achievement: AchievementStatus = AchievementStatus.ACHIEVED,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Complete a goal; its sub-goals must be finished first."""
        self._require_open("CompleteGoal")
        self._open_goal("CompleteGoal", goal_id)
        self._require_sub_goals_finished("CompleteGoal", goal_id)
        self._record(
            self.GoalCompleted,
            actor=actor,
            effective_at=effective_at,
            goal_id=goal_id,
            achievement=achievement,
        )

    def cancel_goal(
        self, *, goal_id: UUID, reason: str, actor: Actor, effective_at: datetime
    ) -> None:
        """Cancel a goal; its sub-goals must be finished first."""
        self._require_open("CancelGoal")
        self._open_goal("CancelGoal", goal_id)
        self._require_sub_goals_finished("CancelGoal", goal_id)
        self._record(
            self.GoalCancelled,
            actor=actor,
            effective_at=effective_at,
            goal_id=goal_id,
            reason=require_text("CancelGoal", "reason", reason),
        )

    # --- commands: interventions, meetings, delivery ---------------------------------

    def include_intervention(
        self,
        *,
        intervention_id: UUID,
        goal_ids: tuple[UUID, ...],
        citizen_id: UUID,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Rule 2: the plan covers every sector's interventions for its citizens' goals."""
        self._require_open("ProposeIntervention")
        if citizen_id not in self.citizen_ids:
            raise InterventionOutsidePlan(
                f"citizen {citizen_id} is not in plan {self.id}",
                plan_id=self.id,
                citizen_id=citizen_id,
            )
        for goal_id in goal_ids:
            self._open_goal("ProposeIntervention", goal_id)
        if intervention_id in self.intervention_ids:
            raise IllegalTransition(
                f"intervention {intervention_id} is already in plan {self.id}",
                plan_id=self.id,
                intervention_id=intervention_id,
            )
        self._record(
            self.InterventionIncluded,
            actor=actor,
            effective_at=effective_at,
            intervention_id=intervention_id,
        )

    def hold_meeting(
        self,
        *,
        meeting_id: UUID,
        attendees: tuple[MeetingAttendee, ...],
        decisions: tuple[str, ...],
        responsibilities: tuple[Responsibility, ...],
        next_meeting: date | None,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Record a coordinating meeting, held when the course needs it."""
        self._require_open("HoldMeeting")
        if not attendees:
            raise InvalidInput(
                "HoldMeeting", [{"loc": ("attendees",), "msg": "a meeting has attendees"}]
            )
        if any(m.meeting_id == meeting_id for m in self.meetings):
            raise IllegalTransition(f"meeting {meeting_id} is already recorded", plan_id=self.id)
        seen: set[UUID] = set()
        for responsibility in responsibilities:
            if responsibility.intervention_id not in self.intervention_ids:
                raise InterventionOutsidePlan(
                    f"intervention {responsibility.intervention_id} is not in plan {self.id}",
                    plan_id=self.id,
                    intervention_id=responsibility.intervention_id,
                )
            if responsibility.intervention_id in seen:
                raise InvalidInput(
                    "HoldMeeting",
                    [{"loc": ("responsibilities",), "msg": "one responsible per intervention"}],
                )
            seen.add(responsibility.intervention_id)
            require_caseworker("HoldMeeting", "responsibilities", responsibility.caseworker)
        if next_meeting is not None and next_meeting < effective_at.date():
            raise InvalidInput("HoldMeeting", [{"loc": ("next_meeting",), "msg": "is in the past"}])
        self._record(
            self.MeetingHeld,
            actor=actor,
            effective_at=effective_at,
            meeting_id=meeting_id,
            attendees=attendees,
            decisions=tuple(require_text("HoldMeeting", "decisions", d) for d in decisions),
            responsibilities=responsibilities,
            next_meeting=next_meeting,
        )

    def deliver(self, *, channel: DeliveryChannel, actor: Actor, effective_at: datetime) -> int:
        """Deliver the plan to the citizen; returns the delivered version number."""
        self._require_status("DeliverPlan", PlanStatus.ACTIVE, PlanStatus.ON_HOLD)
        version = self.delivered_versions + 1
        self._record(
            self.Delivered, actor=actor, effective_at=effective_at, version=version, channel=channel
        )
        return version

    def put_on_hold(self, *, reason: str, actor: Actor, effective_at: datetime) -> None:
        self._require_status("PutPlanOnHold", PlanStatus.ACTIVE)
        self._require_in_course_order("PutPlanOnHold", self.PutOnHold, effective_at)
        self._record(
            self.PutOnHold,
            actor=actor,
            effective_at=effective_at,
            reason=require_text("PutPlanOnHold", "reason", reason),
        )

    def resume(self, *, actor: Actor, effective_at: datetime) -> None:
        self._require_status("ResumePlan", PlanStatus.ON_HOLD)
        self._require_in_course_order("ResumePlan", self.Resumed, effective_at)
        self._record(self.Resumed, actor=actor, effective_at=effective_at)

    def complete(self, *, outcome: PlanOutcome, actor: Actor, effective_at: datetime) -> None:
        self._require_status("CompletePlan", PlanStatus.ACTIVE, PlanStatus.ON_HOLD)
        self._require_in_course_order("CompletePlan", self.Completed, effective_at)
        self._record(self.Completed, actor=actor, effective_at=effective_at, outcome=outcome)

    def withdraw(self, *, reason: str, actor: Actor, effective_at: datetime) -> None:
        """The citizen (or their guardian) withdraws: the sector plans resume."""
        self._require_open("WithdrawPlan")
        if actor.kind is ActorKind.CASEWORKER:
            raise InvalidInput(
                "WithdrawPlan",
                [{"loc": ("actor",), "msg": "only the citizen or a guardian withdraws"}],
            )
        self._require_in_course_order("WithdrawPlan", self.WithdrawnByCitizen, effective_at)
        self._record(
            self.WithdrawnByCitizen,
            actor=actor,
            effective_at=effective_at,
            reason=reason.strip(),
            sector_plans_resumed=self.replaces,
        )

    def enter_in_error(self, *, reason: str, actor: Actor, effective_at: datetime) -> None:
        if self.status is PlanStatus.ENTERED_IN_ERROR:
            raise IllegalTransition(f"plan {self.id} is already entered in error", plan_id=self.id)
        self._record(
            self.EnteredInError,
            actor=actor,
            effective_at=effective_at,
            reason=require_text("EnterPlanInError", "reason", reason),
        )

    def deliver_to_archive(
        self, *, archive: str, reference: str, actor: Actor, effective_at: datetime
    ) -> None:
        """Record the delivery of the closed plan to the public archive (once)."""
        if not self.status.is_closed:
            raise IllegalTransition(
                f"DeliverToArchive: plan {self.id} is {self.status.value}; only a closed "
                "plan is delivered to the archive",
                plan_id=self.id,
                status=self.status,
            )
        if self.archived_at is not None:
            raise IllegalTransition(
                f"plan {self.id} was delivered to the archive already", plan_id=self.id
            )
        require_caseworker("DeliverToArchive", "actor", actor)
        self._record(
            self.DeliveredToArchive,
            actor=actor,
            effective_at=effective_at,
            archive=require_text("DeliverToArchive", "archive", archive),
            reference=require_text("DeliverToArchive", "reference", reference),
        )

    # --- queries and checks ----------------------------------------------------------

    def goal(self, goal_id: UUID) -> Goal:
        try:
            return self.goals[goal_id]
        except KeyError:
            raise GoalNotFound(self.id, goal_id) from None

    def sub_goals(self, goal_id: UUID) -> tuple[Goal, ...]:
        return self._sub_goals(goal_id)

    def coordinators(self) -> tuple[Actor, ...]:
        """The coordinator and any co-coordinators (Randers' paired caseworkers)."""
        co = tuple(
            p.actor for p in self.participants.values() if p.role is ParticipantRole.CO_COORDINATOR
        )
        return ((self.coordinator,) if self.coordinator else ()) + co

    def _sub_goals(self, goal_id: UUID) -> tuple[Goal, ...]:
        return tuple(g for g in self.goals.values() if g.parent_id == goal_id)

    def _open_goal(self, command: str, goal_id: UUID) -> Goal:
        goal = self.goal(goal_id)
        if goal.status.is_finished:
            raise IllegalTransition(
                f"{command}: goal {goal_id} is {goal.status.value}",
                plan_id=self.id,
                goal_id=goal_id,
            )
        return goal

    def _require_sub_goals_finished(self, command: str, goal_id: UUID) -> None:
        open_children = [g.goal_id for g in self._sub_goals(goal_id) if not g.status.is_finished]
        if open_children:
            raise IllegalTransition(
                f"{command}: goal {goal_id} has open sub-goals",
                plan_id=self.id,
                goal_id=goal_id,
                sub_goal_ids=tuple(open_children),
            )

    def _require_in_course_order(
        self, command: str, event: type[Any], effective_at: datetime
    ) -> None:
        require_in_course_order(self, command, event, effective_at, plan_id=self.id)

    def _require_open(self, command: str) -> None:
        self._require_status(command, *_OPEN)

    def _require_status(self, command: str, *allowed: PlanStatus) -> None:
        if self.status not in allowed:
            raise IllegalTransition(
                f"{command}: plan {self.id} is {self.status.value}",
                plan_id=self.id,
                status=self.status,
            )


def _require_due_within_parent(command: str, due: date | None, parent: Goal) -> None:
    if parent.due is not None and (due is None or due > parent.due):
        raise InvalidInput(
            command,
            [{"loc": ("due",), "msg": f"a sub-goal is due by its parent's due date {parent.due}"}],
        )
