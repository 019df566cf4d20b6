"""Use cases on interventions (*indsatser*): proposing, granting by a decision, and every
step of their course. An intervention is changed by those who hold it
(``intervention_changed_by_those_holding_it``, rule 12); rule 3 (authority to grant) is
judged in the aggregate against the authority the staff directory gives the caller at
the decision's effective time (rule 11)."""

from __future__ import annotations

from uuid import UUID, uuid4

from oneplan import commands as c
from oneplan import policies, rules
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.errors import InvalidInput
from oneplan.usecases.base import Area, Deciding, command

__all__ = ["InterventionCommands"]


class InterventionCommands(Area):
    """Commands on interventions."""

    def _held(self, d: Deciding, intervention_id: UUID, command: str) -> Intervention:
        """The intervention, after ``intervention_changed_by_those_holding_it``."""
        intervention = d.get(Intervention, intervention_id)
        plan_id = intervention.plan_id
        policies.intervention_changed_by_those_holding_it(
            d.caller, intervention, lambda: d.read(Plan, plan_id) if plan_id else None, command
        )
        return intervention

    def _new_id(self, given: UUID | None, command: str) -> UUID:
        if given is not None and self.app._exists(given):
            raise InvalidInput(command, [{"loc": ("intervention_id",), "msg": "is already in use"}])
        return given or uuid4()

    @command(c.ProposeIntervention)
    def propose_intervention(self, cmd: c.ProposeIntervention, d: Deciding) -> UUID:
        """Propose an intervention in a plan; returns the intervention id. By staff
        holding the plan (``plan_changed_by_those_holding_it``)."""
        plan = d.get(Plan, cmd.plan_id)
        policies.plan_changed_by_those_holding_it(d.caller, plan, "ProposeIntervention")
        intervention_id = self._new_id(cmd.intervention_id, "ProposeIntervention")
        actor = d.actor
        plan.include_intervention(
            intervention_id=intervention_id,
            goal_ids=cmd.goal_ids,
            citizen_id=cmd.citizen_id,
            actor=actor,
            effective_at=d.at,
        )
        d.add(
            Intervention.propose(
                intervention_id=intervention_id,
                plan_id=cmd.plan_id,
                citizen_id=cmd.citizen_id,
                sector=cmd.sector,
                legal_basis=cmd.legal_basis,
                title=cmd.title,
                goal_ids=cmd.goal_ids,
                responsible=d.staff_actor(cmd.responsible),
                planned_period=cmd.planned_period,
                planned_cost=cmd.planned_cost,
                budget_area=cmd.budget_area,
                actor=actor,
                effective_at=d.at,
            )
        )
        return intervention_id

    @command(c.ProposeInterventionUnderSectorPlan)
    def propose_intervention_under_sector_plan(
        self, cmd: c.ProposeInterventionUnderSectorPlan, d: Deciding
    ) -> UUID:
        """Propose an intervention under the citizen's own sector plan (*handleplan*), for
        a citizen with no coordinated plan (rule 2); by that sector's staff
        (``staff_of_the_sector``). Returns the intervention id."""
        policies.staff_of_the_sector(
            d.caller, cmd.sector_plan.sector, "ProposeInterventionUnderSectorPlan"
        )
        intervention_id = self._new_id(cmd.intervention_id, "ProposeInterventionUnderSectorPlan")
        citizen = d.get(Citizen, cmd.citizen_id)
        citizen.check_effort_outside_plan(cmd.sector_plan)
        actor = d.actor
        d.add(
            Intervention.propose_under_sector_plan(
                intervention_id=intervention_id,
                citizen_id=cmd.citizen_id,
                sector_plan=cmd.sector_plan,
                legal_basis=cmd.legal_basis,
                title=cmd.title,
                responsible=d.staff_actor(cmd.responsible),
                planned_period=cmd.planned_period,
                planned_cost=cmd.planned_cost,
                budget_area=cmd.budget_area,
                actor=actor,
                effective_at=d.at,
            )
        )
        # The citizen's record learns of the case file in the same save (rule 10).
        citizen.include_in_sector_plan(
            intervention_id=intervention_id,
            sector_plan=cmd.sector_plan,
            legal_basis=cmd.legal_basis,
            actor=actor,
            effective_at=d.at,
        )
        return intervention_id

    @command(c.GrantIntervention)
    def grant_intervention(self, cmd: c.GrantIntervention, d: Deciding) -> UUID:
        """Grant by a decision (*afgørelse*); rule 3, against the authority the staff
        directory gives the caller at the decision's effective time. Returns the
        decision id."""
        decision_id = cmd.decision_id or uuid4()
        self._held(d, cmd.intervention_id, "GrantIntervention").grant(
            decision_id=decision_id, note=cmd.note, actor=d.actor, effective_at=d.at
        )
        return decision_id

    @command(c.ScheduleIntervention)
    def schedule_intervention(self, cmd: c.ScheduleIntervention, d: Deciding) -> UUID:
        self._held(d, cmd.intervention_id, "ScheduleIntervention").schedule(
            start_on=cmd.start_on, actor=d.actor, effective_at=d.at
        )
        return cmd.intervention_id

    @command(c.StartIntervention)
    def start_intervention(self, cmd: c.StartIntervention, d: Deciding) -> UUID:
        """Start an intervention; rule 6 waits for the ones it depends on, in the citizen's
        course (``wait_for_dependency_in_the_course``: not before what it waits for)."""
        intervention = self._held(d, cmd.intervention_id, "StartIntervention")
        awaited = [d.get(Intervention, dep) for dep in intervention.waits_for]
        statuses = {other.id: other.status for other in awaited}
        intervention.start(dependency_statuses=statuses, actor=d.actor, effective_at=d.at)
        rules.wait_for_dependency_in_the_course(intervention, awaited, d.at)
        return intervention.id

    @command(c.PauseIntervention)
    def pause_intervention(self, cmd: c.PauseIntervention, d: Deciding) -> UUID:
        """Pause, with a reason (rule 5)."""
        self._held(d, cmd.intervention_id, "PauseIntervention").pause(
            reason=cmd.reason,
            expected_resume=cmd.expected_resume,
            actor=d.actor,
            effective_at=d.at,
        )
        return cmd.intervention_id

    @command(c.ResumeIntervention)
    def resume_intervention(self, cmd: c.ResumeIntervention, d: Deciding) -> UUID:
        self._held(d, cmd.intervention_id, "ResumeIntervention").resume(
            actor=d.actor, effective_at=d.at
        )
        return cmd.intervention_id

    @command(c.CompleteIntervention)
    def complete_intervention(self, cmd: c.CompleteIntervention, d: Deciding) -> UUID:
        self._held(d, cmd.intervention_id, "CompleteIntervention").complete(
            outcome=cmd.outcome, note=cmd.note, actor=d.actor, effective_at=d.at
        )
        return cmd.intervention_id

    @command(c.StopIntervention)
    def stop_intervention(self, cmd: c.StopIntervention, d: Deciding) -> UUID:
        self._held(d, cmd.intervention_id, "StopIntervention").stop(
            reason=cmd.reason, actor=d.actor, effective_at=d.at
        )
        return cmd.intervention_id

    @command(c.CancelIntervention)
    def cancel_intervention(self, cmd: c.CancelIntervention, d: Deciding) -> UUID:
        self._held(d, cmd.intervention_id, "CancelIntervention").cancel(
            reason=cmd.reason, actor=d.actor, effective_at=d.at
        )
        return cmd.intervention_id

    @command(c.ReassignResponsible)
    def reassign_responsible(self, cmd: c.ReassignResponsible, d: Deciding) -> UUID:
        """Rule 4: make another caseworker (from the directory) responsible."""
        self._held(d, cmd.intervention_id, "ReassignResponsible").reassign_responsible(
            new_responsible=d.staff_actor(cmd.new_responsible),
            reason=cmd.reason,
            actor=d.actor,
            effective_at=d.at,
        )
        return cmd.intervention_id

    @command(c.RecordActualCost)
    def record_actual_cost(self, cmd: c.RecordActualCost, d: Deciding) -> UUID:
        self._held(d, cmd.intervention_id, "RecordActualCost").record_actual_cost(
            amount=cmd.amount,
            budget_area=cmd.budget_area,
            period=cmd.period,
            actor=d.actor,
            effective_at=d.at,
        )
        return cmd.intervention_id

    @command(c.AddDependency)
    def add_dependency(self, cmd: c.AddDependency, d: Deciding) -> UUID:
        """Make an intervention wait for (or run with) another of the same plan."""
        intervention = self._held(d, cmd.intervention_id, "AddDependency")
        other = d.get(Intervention, cmd.on_intervention_id)
        rules.dependency_in_same_plan(intervention, other)
        rules.no_dependency_cycle(
            intervention.id,
            other.id,
            cmd.type,
            lambda iid: (
                (dep.on_intervention_id, dep.type) for dep in d.get(Intervention, iid).dependencies
            ),
        )
        intervention.add_dependency(
            on_intervention_id=other.id, type=cmd.type, actor=d.actor, effective_at=d.at
        )
        return intervention.id
