"""The intervention (*indsats*): one effort by one sector under one legal basis."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
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
from oneplan.aggregates.personal import Personal, text
from oneplan.errors import (
    AuthorityMissing,
    DependencyNotSatisfied,
    IllegalTransition,
    InterventionFinished,
    InvalidInput,
    LegalBasisOutsideSector,
    OutOfOrderInEffectiveTime,
)
from oneplan.values import (
    LAW_SECTORS,
    Actor,
    BudgetArea,
    DependencyType,
    InterventionOutcome,
    InterventionStatus,
    LegalBasis,
    Money,
    Period,
    Sector,
    SectorPlanRef,
)

__all__ = ["CostEntry", "Decision", "Dependency", "Intervention"]

S = InterventionStatus


@attrs.frozen
class Decision:
    """The decision (*afgørelse*) that granted the intervention, under its legal basis."""

    decision_id: UUID
    decided_by: Actor
    legal_basis: LegalBasis
    decided_at: datetime


@attrs.frozen
class Dependency:
    """This intervention waits for another (``after-end``: until that one has ended)."""

    on_intervention_id: UUID
    type: DependencyType


@attrs.frozen
class CostEntry:
    """An actual cost, booked to a budget area, for a period."""

    amount: Money
    budget_area: BudgetArea
    period: Period
    recorded_at: datetime


def require_legal_basis_in_sector(
    intervention_id: UUID, sector: Sector, legal_basis: LegalBasis
) -> None:
    """Rule 2: an intervention's sector acts under its legal basis
    (``LegalBasisOutsideSector`` otherwise)."""
    if sector not in LAW_SECTORS[legal_basis.law]:
        raise LegalBasisOutsideSector(
            f"the {sector.value} sector does not act under {legal_basis}",
            intervention_id=intervention_id,
            sector=sector,
            legal_basis=legal_basis,
        )


def _stepped(aggregate: Any, step: str, at: datetime) -> None:
    """The latest lifecycle step (``stepped``), which is also the latest event seen."""
    stepped(aggregate, step, at)
    _seen(aggregate, step, at)


def _seen(aggregate: Any, event: str, at: datetime) -> None:
    """Keep the latest event of any kind in effective time (what an end must follow)."""
    if aggregate.latest_at is None or at >= aggregate.latest_at:
        aggregate.latest_event, aggregate.latest_at = event, at


class Intervention(OnePlanAggregate):
    """One effort (*indsats*) by one sector under one legal basis, supporting goals of a
    plan, with exactly one responsible caseworker, a planned period and a budget."""

    def __init__(self) -> None:
        super().__init__()
        # Set by Proposed.apply (declared here for the type checker):
        self.plan_id: UUID | None
        """The coordinated plan it is part of; None when held under a sector plan."""
        self.sector_plan: SectorPlanRef | None = None
        """The citizen's own sector plan (*handleplan*) it is held under, outside any
        coordinated plan (``ProposedUnderSectorPlan``)."""
        self.citizen_id: UUID
        self.sector: Sector
        self.legal_basis: LegalBasis
        self.title: str
        self.goal_ids: tuple[UUID, ...]
        self.responsible: Actor
        self.planned_period: Period
        self.planned_cost: Money
        self.budget_area: BudgetArea
        self.status = S.NOT_STARTED
        self.decision: Decision | None = None
        self.scheduled_start: date | None = None
        self.started_at: datetime | None = None
        self.ended_at: datetime | None = None
        self.pause_reason: str | None = None
        self.expected_resume: date | None = None
        self.paused_at: datetime | None = None
        self.outcome: InterventionOutcome | None = None
        self.end_reason: str | None = None
        self.actual_costs: tuple[CostEntry, ...] = ()
        self.dependencies: tuple[Dependency, ...] = ()
        self.last_step: str | None = None
        """The latest step of its lifecycle (an event name: ``Started``, ``Paused``, ...)
        in the citizen's course; its steps are recorded in effective time (rule 15)."""
        self.last_step_at: datetime | None = None
        """The effective time of ``last_step``."""
        self.responsible_since: datetime | None = None
        self.latest_event: str | None = None
        """The latest event recorded on it in the citizen's course (any kind: a grant, a
        cost, a dependency, a step): an end is no earlier (rule 5 in effective time)."""
        self.latest_at: datetime | None = None
        """The effective time of ``latest_event``."""
        """When the responsible caseworker became responsible (the proposal or the latest
        reassignment, in effective time)."""

    # --- events ----------------------------------------------------------------------

    class Proposed(OnePlanAggregate.Created):
        """An intervention (*indsats*) was proposed in a plan, by a sector under a legal basis."""

        plan_id: UUID
        citizen_id: UUID
        sector: Sector
        legal_basis: LegalBasis
        title: str
        goal_ids: tuple[UUID, ...]
        responsible: Actor
        planned_period: Period
        planned_cost: Money
        budget_area: BudgetArea

        personal: ClassVar[Personal] = {"title": text()}

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            for name in (
                "plan_id",
                "citizen_id",
                "sector",
                "legal_basis",
                "title",
                "goal_ids",
                "responsible",
                "planned_period",
                "planned_cost",
                "budget_area",
            ):
                setattr(aggregate, name, getattr(self, name))
            aggregate.responsible_since = self.effective_at
            _seen(aggregate, type(self).__name__, self.effective_at)

    class ProposedUnderSectorPlan(OnePlanAggregate.Created):
        """An intervention was proposed under the citizen's own sector plan (*handleplan*),
        outside any coordinated plan: the course of a citizen who has none (such as a
        comparison citizen followed by an evaluation, or one who withdrew from a plan)."""

        personal: ClassVar[Personal] = {"title": text()}

        citizen_id: UUID
        sector_plan: SectorPlanRef
        legal_basis: LegalBasis
        title: str
        responsible: Actor
        planned_period: Period
        planned_cost: Money
        budget_area: BudgetArea

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            aggregate.plan_id = None
            aggregate.sector_plan = self.sector_plan
            aggregate.sector = self.sector_plan.sector
            aggregate.goal_ids = ()
            for name in (
                "citizen_id",
                "legal_basis",
                "title",
                "responsible",
                "planned_period",
                "planned_cost",
                "budget_area",
            ):
                setattr(aggregate, name, getattr(self, name))
            aggregate.responsible_since = self.effective_at
            _seen(aggregate, type(self).__name__, self.effective_at)

    class Granted(OnePlanAggregate.Event):
        """A decision (*afgørelse*) granted the intervention."""

        decision_id: UUID
        note: str

        personal: ClassVar[Personal] = {"note": text()}

        def apply(self, aggregate: Any) -> None:
            _seen(aggregate, "Granted", self.effective_at)
            aggregate.decision = Decision(
                decision_id=self.decision_id,
                decided_by=self.actor,
                legal_basis=aggregate.legal_basis,
                decided_at=self.effective_at,
            )

    class Scheduled(OnePlanAggregate.Event):
        """The intervention was scheduled to start on a date."""

        start_on: date

        def apply(self, aggregate: Any) -> None:
            aggregate.status = S.SCHEDULED
            aggregate.scheduled_start = self.start_on
            _stepped(aggregate, "Scheduled", self.effective_at)

    class Started(OnePlanAggregate.Event):
        """The intervention started."""

        def apply(self, aggregate: Any) -> None:
            aggregate.status = S.IN_PROGRESS
            aggregate.started_at = self.effective_at
            _stepped(aggregate, "Started", self.effective_at)

    class Paused(OnePlanAggregate.Event):
        """The intervention was paused (*sat i bero*), with a reason and an expected resume date."""

        reason: str
        expected_resume: date | None

        personal: ClassVar[Personal] = {"reason": text()}

        def apply(self, aggregate: Any) -> None:
            aggregate.status = S.ON_HOLD
            aggregate.pause_reason = self.reason
            aggregate.expected_resume = self.expected_resume
            aggregate.paused_at = self.effective_at
            _stepped(aggregate, "Paused", self.effective_at)

    class Resumed(OnePlanAggregate.Event):
        """The paused intervention resumed."""

        def apply(self, aggregate: Any) -> None:
            aggregate.status = S.IN_PROGRESS
            aggregate.pause_reason = None
            aggregate.expected_resume = None
            aggregate.paused_at = None
            _stepped(aggregate, "Resumed", self.effective_at)

    class Completed(OnePlanAggregate.Event):
        """The intervention was completed, with its outcome."""

        outcome: InterventionOutcome
        note: str

        personal: ClassVar[Personal] = {"note": text()}

        def apply(self, aggregate: Any) -> None:
            aggregate.status = S.COMPLETED
            aggregate.outcome = self.outcome
            aggregate.ended_at = self.effective_at
            _stepped(aggregate, "Completed", self.effective_at)

    class Stopped(OnePlanAggregate.Event):
        """The intervention was ended early, after it had started."""

        reason: str

        personal: ClassVar[Personal] = {"reason": text()}

        def apply(self, aggregate: Any) -> None:
            aggregate.status = S.STOPPED
            aggregate.end_reason = self.reason
            aggregate.ended_at = self.effective_at
            _stepped(aggregate, "Stopped", self.effective_at)

    class Cancelled(OnePlanAggregate.Event):
        """The intervention was withdrawn before it started."""

        reason: str

        personal: ClassVar[Personal] = {"reason": text()}

        def apply(self, aggregate: Any) -> None:
            aggregate.status = S.CANCELLED
            aggregate.end_reason = self.reason
            aggregate.ended_at = self.effective_at
            _stepped(aggregate, "Cancelled", self.effective_at)

    class ResponsibleReassigned(OnePlanAggregate.Event):
        """Another caseworker became responsible for the intervention."""

        previous_responsible: Actor
        new_responsible: Actor
        reason: str

        personal: ClassVar[Personal] = {"reason": text()}

        def apply(self, aggregate: Any) -> None:
            aggregate.responsible = self.new_responsible
            aggregate.responsible_since = self.effective_at
            _seen(aggregate, type(self).__name__, self.effective_at)

    class ActualCostRecorded(OnePlanAggregate.Event):
        """An actual cost of the intervention was booked to a budget area."""

        amount: Money
        budget_area: BudgetArea
        period: Period

        def apply(self, aggregate: Any) -> None:
            _seen(aggregate, "ActualCostRecorded", self.effective_at)
            aggregate.actual_costs = (
                *aggregate.actual_costs,
                CostEntry(
                    amount=self.amount,
                    budget_area=self.budget_area,
                    period=self.period,
                    recorded_at=self.effective_at,
                ),
            )

    class DependencyAdded(OnePlanAggregate.Event):
        """The intervention now waits for (or runs alongside) another one."""

        on_intervention_id: UUID
        type: DependencyType

        def apply(self, aggregate: Any) -> None:
            _seen(aggregate, "DependencyAdded", self.effective_at)
            aggregate.dependencies = (
                *aggregate.dependencies,
                Dependency(on_intervention_id=self.on_intervention_id, type=self.type),
            )

    # --- commands --------------------------------------------------------------------

    @classmethod
    def propose(
        cls,
        *,
        intervention_id: UUID,
        plan_id: UUID,
        citizen_id: UUID,
        sector: Sector,
        legal_basis: LegalBasis,
        title: str,
        goal_ids: tuple[UUID, ...],
        responsible: Actor,
        planned_period: Period,
        planned_cost: Money,
        budget_area: BudgetArea,
        actor: Actor,
        effective_at: datetime,
    ) -> Intervention:
        """Rule 2: an intervention names its sector and a legal basis that sector acts
        under; rule 4: it has exactly one responsible caseworker from the start."""
        require_legal_basis_in_sector(intervention_id, sector, legal_basis)
        require_caseworker("ProposeIntervention", "responsible", responsible)
        return cls._begin(
            cls.Proposed,
            id=intervention_id,
            actor=actor,
            effective_at=effective_at,
            plan_id=plan_id,
            citizen_id=citizen_id,
            sector=sector,
            legal_basis=legal_basis,
            title=require_text("ProposeIntervention", "title", title),
            goal_ids=goal_ids,
            responsible=responsible,
            planned_period=planned_period,
            planned_cost=planned_cost,
            budget_area=budget_area,
        )

    @classmethod
    def propose_under_sector_plan(
        cls,
        *,
        intervention_id: UUID,
        citizen_id: UUID,
        sector_plan: SectorPlanRef,
        legal_basis: LegalBasis,
        title: str,
        responsible: Actor,
        planned_period: Period,
        planned_cost: Money,
        budget_area: BudgetArea,
        actor: Actor,
        effective_at: datetime,
    ) -> Intervention:
        """Rule 2 for a sector plan: the sector plan's sector acts under the intervention's
        legal basis; rule 4: one responsible caseworker from the start. That the citizen
        has no coordinated plan is checked by the application (``Citizen``)."""
        sector = sector_plan.sector
        require_legal_basis_in_sector(intervention_id, sector, legal_basis)
        require_caseworker("ProposeInterventionUnderSectorPlan", "responsible", responsible)
        return cls._begin(
            cls.ProposedUnderSectorPlan,
            id=intervention_id,
            actor=actor,
            effective_at=effective_at,
            citizen_id=citizen_id,
            sector_plan=sector_plan,
            legal_basis=legal_basis,
            title=require_text("ProposeInterventionUnderSectorPlan", "title", title),
            responsible=responsible,
            planned_period=planned_period,
            planned_cost=planned_cost,
            budget_area=budget_area,
        )

    def grant(
        self, *, decision_id: UUID, note: str = "", actor: Actor, effective_at: datetime
    ) -> None:
        """Rule 3: only a caseworker with authority under the intervention's law grants it."""
        self._require_status("GrantIntervention", S.NOT_STARTED, S.SCHEDULED)
        if self.decision is not None:
            raise IllegalTransition(
                f"intervention {self.id} is already granted by decision "
                f"{self.decision.decision_id}",
                intervention_id=self.id,
            )
        if not (actor.is_caseworker and actor.holds_authority_under(self.legal_basis.law)):
            raise AuthorityMissing(
                f"{actor.id} holds no authority under {self.legal_basis.law.value} to grant "
                f"intervention {self.id} ({self.legal_basis})",
                intervention_id=self.id,
                caseworker_id=actor.id,
                law=self.legal_basis.law,
            )
        self._record(
            self.Granted,
            actor=actor,
            effective_at=effective_at,
            decision_id=decision_id,
            note=note.strip(),
        )

    def schedule(self, *, start_on: date, actor: Actor, effective_at: datetime) -> None:
        self._require_status("ScheduleIntervention", S.NOT_STARTED, S.SCHEDULED)
        self._require_in_course_order("ScheduleIntervention", self.Scheduled, effective_at)
        if start_on == self.scheduled_start:
            raise IllegalTransition(
                f"intervention {self.id} is already scheduled for {start_on}",
                intervention_id=self.id,
            )
        self._record(self.Scheduled, actor=actor, effective_at=effective_at, start_on=start_on)

    def start(
        self,
        *,
        dependency_statuses: Mapping[UUID, InterventionStatus],
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Start, once granted; rule 6: not before every intervention it waits for allows.
        ``dependency_statuses`` gives the current status of each one it depends on."""
        self._require_status("StartIntervention", S.NOT_STARTED, S.SCHEDULED)
        if self.decision is None:
            raise IllegalTransition(
                f"intervention {self.id} is not granted by a decision yet",
                intervention_id=self.id,
                status=self.status,
            )
        self._check_effective_at("Started", effective_at)
        if effective_at < self.decision.decided_at:
            raise OutOfOrderInEffectiveTime(
                f"StartIntervention: intervention {self.id} cannot start at "
                f"{effective_at.isoformat()}, before the decision {self.decision.decision_id} "
                f"granting it (effective {self.decision.decided_at.isoformat()})",
                command="StartIntervention",
                effective_at=effective_at,
                recorded_step="Granted",
                recorded_at=self.decision.decided_at,
                recorded_in=self.id,
                intervention_id=self.id,
                decision_id=self.decision.decision_id,
            )
        self._require_in_course_order("StartIntervention", self.Started, effective_at)
        self.check_dependencies(dependency_statuses)
        self._record(self.Started, actor=actor, effective_at=effective_at)

    def check_dependencies(self, dependency_statuses: Mapping[UUID, InterventionStatus]) -> None:
        """Rule 6: wait for dependency."""
        for dependency in self.dependencies:
            other = dependency_statuses.get(dependency.on_intervention_id)
            if other is None or not dependency.type.allows_start(other):
                raise DependencyNotSatisfied(
                    f"intervention {self.id} waits ({dependency.type.value}) for "
                    f"{dependency.on_intervention_id}, which is "
                    f"{other.value if other else 'unknown'}",
                    intervention_id=self.id,
                    waits_for_id=dependency.on_intervention_id,
                )

    def pause(
        self,
        *,
        reason: str,
        expected_resume: date | None = None,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Rule 5: a paused intervention has a reason."""
        self._require_status("PauseIntervention", S.IN_PROGRESS)
        self._require_in_course_order("PauseIntervention", self.Paused, effective_at)
        if expected_resume is not None and expected_resume < effective_at.date():
            raise InvalidInput(
                "PauseIntervention", [{"loc": ("expected_resume",), "msg": "is before the pause"}]
            )
        self._record(
            self.Paused,
            actor=actor,
            effective_at=effective_at,
            reason=require_text("PauseIntervention", "reason", reason),
            expected_resume=expected_resume,
        )

    def resume(self, *, actor: Actor, effective_at: datetime) -> None:
        """Rule 5: only a paused intervention resumes."""
        self._require_status("ResumeIntervention", S.ON_HOLD)
        self._require_in_course_order("ResumeIntervention", self.Resumed, effective_at)
        self._record(self.Resumed, actor=actor, effective_at=effective_at)

    def complete(
        self, *, outcome: InterventionOutcome, note: str = "", actor: Actor, effective_at: datetime
    ) -> None:
        self._require_status("CompleteIntervention", S.IN_PROGRESS)
        self._require_in_course_order("CompleteIntervention", self.Completed, effective_at)
        self._require_end_after_all_recorded("CompleteIntervention", effective_at)
        self._record(
            self.Completed,
            actor=actor,
            effective_at=effective_at,
            outcome=outcome,
            note=note.strip(),
        )

    def stop(self, *, reason: str, actor: Actor, effective_at: datetime) -> None:
        """End early, after it started."""
        self._require_status("StopIntervention", S.IN_PROGRESS, S.ON_HOLD)
        self._require_in_course_order("StopIntervention", self.Stopped, effective_at)
        self._require_end_after_all_recorded("StopIntervention", effective_at)
        self._record(
            self.Stopped,
            actor=actor,
            effective_at=effective_at,
            reason=require_text("StopIntervention", "reason", reason),
        )

    def cancel(self, *, reason: str, actor: Actor, effective_at: datetime) -> None:
        """Withdraw before it started."""
        self._require_status("CancelIntervention", S.NOT_STARTED, S.SCHEDULED)
        self._require_in_course_order("CancelIntervention", self.Cancelled, effective_at)
        self._require_end_after_all_recorded("CancelIntervention", effective_at)
        self._record(
            self.Cancelled,
            actor=actor,
            effective_at=effective_at,
            reason=require_text("CancelIntervention", "reason", reason),
        )

    def reassign_responsible(
        self, *, new_responsible: Actor, reason: str, actor: Actor, effective_at: datetime
    ) -> None:
        """Rule 4: exactly one responsible caseworker at any time."""
        self._require_not_finished("ReassignResponsible")
        require_caseworker("ReassignResponsible", "new_responsible", new_responsible)
        if new_responsible.id == self.responsible.id:
            raise IllegalTransition(
                f"{new_responsible.id} is already responsible for intervention {self.id}",
                intervention_id=self.id,
            )
        self._check_effective_at("ResponsibleReassigned", effective_at)
        if self.responsible_since is not None and effective_at < self.responsible_since:
            raise OutOfOrderInEffectiveTime(
                f"ReassignResponsible: intervention {self.id} cannot pass from "
                f"{self.responsible.id} at {effective_at.isoformat()}: they are responsible "
                f"only from {self.responsible_since.isoformat()} (rule 4 in the course)",
                command="ReassignResponsible",
                effective_at=effective_at,
                recorded_step="ResponsibleReassigned",
                recorded_at=self.responsible_since,
                recorded_in=self.id,
                intervention_id=self.id,
            )
        self._record(
            self.ResponsibleReassigned,
            actor=actor,
            effective_at=effective_at,
            previous_responsible=self.responsible,
            new_responsible=new_responsible,
            reason=require_text("ReassignResponsible", "reason", reason),
        )

    def record_actual_cost(
        self,
        *,
        amount: Money,
        budget_area: BudgetArea,
        period: Period,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        self._require_not_finished("RecordActualCost")
        self._record(
            self.ActualCostRecorded,
            actor=actor,
            effective_at=effective_at,
            amount=amount,
            budget_area=budget_area,
            period=period,
        )

    def add_dependency(
        self,
        *,
        on_intervention_id: UUID,
        type: DependencyType,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Make this intervention wait for (or run with) another; cycles are refused by
        the application, which sees both."""
        self._require_not_finished("AddDependency")
        if on_intervention_id == self.id:
            raise InvalidInput(
                "AddDependency", [{"loc": ("on_intervention_id",), "msg": "cannot wait for itself"}]
            )
        if any(d.on_intervention_id == on_intervention_id for d in self.dependencies):
            raise IllegalTransition(
                f"intervention {self.id} already depends on {on_intervention_id}",
                intervention_id=self.id,
            )
        if self.status.has_started and type in (
            DependencyType.AFTER_END,
            DependencyType.AFTER,
            DependencyType.AFTER_START,
        ):
            raise IllegalTransition(
                f"intervention {self.id} has started; it can no longer wait for another",
                intervention_id=self.id,
            )
        self._record(
            self.DependencyAdded,
            actor=actor,
            effective_at=effective_at,
            on_intervention_id=on_intervention_id,
            type=type,
        )

    # --- queries ---------------------------------------------------------------------

    @property
    def held_under(self) -> UUID | tuple[UUID, SectorPlanRef | None]:
        """What holds this intervention: its coordinated plan's id, or the citizen and
        their sector plan."""
        if self.plan_id is not None:
            return self.plan_id
        return (self.citizen_id, self.sector_plan)

    @property
    def waits_for(self) -> tuple[UUID, ...]:
        return tuple(d.on_intervention_id for d in self.dependencies)

    def total_actual_cost(self, budget_area: BudgetArea | None = None) -> Money:
        total = Money.dkk(0)
        for entry in self.actual_costs:
            if budget_area is None or entry.budget_area is budget_area:
                total = total + entry.amount
        return total

    def _require_not_finished(self, command: str) -> None:
        if self.status.is_finished:
            raise InterventionFinished(
                f"{command}: intervention {self.id} is {self.status.value} and never changes again",
                intervention_id=self.id,
                status=self.status,
            )

    def _require_in_course_order(
        self, command: str, event: type[Any], effective_at: datetime
    ) -> None:
        require_in_course_order(self, command, event, effective_at, intervention_id=self.id)

    def _require_end_after_all_recorded(self, command: str, effective_at: datetime) -> None:
        """Rule 5 in the course: nothing happens to an intervention after its end, so an
        end is no earlier than anything recorded on it (its grant, a cost, a dependency,
        a reassignment)."""
        if self.latest_at is not None and effective_at < self.latest_at:
            raise OutOfOrderInEffectiveTime(
                f"{command}: intervention {self.id} cannot end at {effective_at.isoformat()}: "
                f"its {self.latest_event} is recorded effective {self.latest_at.isoformat()}, "
                "and a finished intervention never changes again",
                command=command,
                effective_at=effective_at,
                recorded_step=self.latest_event or "",
                recorded_at=self.latest_at,
                recorded_in=self.id,
                intervention_id=self.id,
            )

    def _require_status(self, command: str, *allowed: InterventionStatus) -> None:
        self._require_not_finished(command)
        if self.status not in allowed:
            raise IllegalTransition(
                f"{command}: intervention {self.id} is {self.status.value}",
                intervention_id=self.id,
                status=self.status,
            )
