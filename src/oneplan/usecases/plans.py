"""Use cases on the coordinated plan: opening it, its coordinator and participants, goals,
meetings, delivery, and closing it. Each names the trust rule that says who may send it
(``oneplan.policies``): a plan is changed by those who hold it (rule 12)."""

from __future__ import annotations

from uuid import UUID, uuid4

from oneplan import commands as c
from oneplan import policies, rules
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.errors import InterventionFinished, InvalidInput
from oneplan.principals import CitizenPrincipal
from oneplan.usecases.base import Area, Deciding, command
from oneplan.values import Actor

__all__ = ["PlanCommands"]


class PlanCommands(Area):
    """Commands on a coordinated plan."""

    def _held_plan(self, d: Deciding, plan_id: UUID, command: str) -> Plan:
        """The plan, after ``plan_changed_by_those_holding_it``."""
        plan = d.get(Plan, plan_id)
        policies.plan_changed_by_those_holding_it(d.caller, plan, command)
        return plan

    @command(c.OpenPlan)
    def open_plan(self, cmd: c.OpenPlan, d: Deciding) -> UUID:
        """Open one coordinated plan for a citizen or household (rule 1: one plan per
        citizen at a time, by consent); by staff (``staff_only``). Returns the plan id."""
        policies.staff_only(d.caller, "OpenPlan")
        plan_id = cmd.plan_id or uuid4()
        if cmd.plan_id is not None and self.app._exists(plan_id):
            raise InvalidInput("OpenPlan", [{"loc": ("plan_id",), "msg": "is already in use"}])
        citizens = [d.get(Citizen, cid) for cid in cmd.citizen_ids]
        rules.plan_needs_consent(citizens, cmd.consent_ids, d.at)
        actor = d.actor
        plan = Plan.open(
            plan_id=plan_id,
            citizen_ids=cmd.citizen_ids,
            replaces=cmd.replaces,
            legal_bases=cmd.legal_bases,
            consent_ids=cmd.consent_ids,
            actor=actor,
            effective_at=d.at,
        )
        d.add(plan)
        for citizen in citizens:
            citizen.join_plan(plan_id=plan_id, actor=actor, effective_at=d.at)
        if cmd.coordinator is not None:
            coordinator = d.staff_actor(cmd.coordinator)
            consent_ids, law = rules.sharing_fails_closed(citizens, coordinator, d.at, None)
            plan.assign_coordinator(
                coordinator=coordinator,
                actor=actor,
                effective_at=d.at,
                shared_under_consents=consent_ids,
                shared_under_law=law,
            )
        return plan_id

    @command(c.RecordCitizensWishes)
    def record_citizens_wishes(self, cmd: c.RecordCitizensWishes, d: Deciding) -> UUID:
        """Record the citizen's own wishes, in their words: by the citizen (or a holder of
        custody) as principal, or by staff holding the plan."""
        plan = d.get(Plan, cmd.plan_id)
        if isinstance(d.principal, CitizenPrincipal):
            actor = d.actor_for(d.get(Citizen, cmd.citizen_id))
        else:
            policies.plan_changed_by_those_holding_it(d.caller, plan, "RecordCitizensWishes")
            actor = d.actor
        plan.record_wishes(
            citizen_id=cmd.citizen_id,
            wishes=cmd.wishes,
            overarching_goal=cmd.overarching_goal,
            actor=actor,
            effective_at=d.at,
        )
        return cmd.plan_id

    @command(c.AssignCoordinator)
    def assign_coordinator(self, cmd: c.AssignCoordinator, d: Deciding) -> UUID:
        """Give the plan its coordinator (``coordinator_pulls_sectors_in``)."""
        plan = d.get(Plan, cmd.plan_id)
        policies.coordinator_pulls_sectors_in(d.caller, plan, "AssignCoordinator")
        citizens = [d.get(Citizen, cid) for cid in plan.citizen_ids]
        coordinator = d.staff_actor(cmd.coordinator)
        consent_ids, law = rules.sharing_fails_closed(
            citizens, coordinator, d.at, cmd.override_legal_basis
        )
        plan.assign_coordinator(
            coordinator=coordinator,
            actor=d.actor,
            effective_at=d.at,
            shared_under_consents=consent_ids,
            shared_under_law=law,
        )
        return cmd.plan_id

    @command(c.HandOverCoordinator)
    def hand_over_coordinator(self, cmd: c.HandOverCoordinator, d: Deciding) -> UUID:
        """Rule 7: hand the plan to a new coordinator, with a reason; by its coordinator
        (``coordinator_pulls_sectors_in``)."""
        plan = d.get(Plan, cmd.plan_id)
        policies.coordinator_pulls_sectors_in(d.caller, plan, "HandOverCoordinator")
        citizens = [d.get(Citizen, cid) for cid in plan.citizen_ids]
        new = d.staff_actor(cmd.new_coordinator)
        consent_ids, law = rules.sharing_fails_closed(citizens, new, d.at, cmd.override_legal_basis)
        plan.hand_over(
            new_coordinator=new,
            reason=cmd.reason,
            previous_stays_as=cmd.previous_stays_as,
            actor=d.actor,
            effective_at=d.at,
            shared_under_consents=consent_ids,
            shared_under_law=law,
        )
        return cmd.plan_id

    @command(c.AddParticipant)
    def add_participant(self, cmd: c.AddParticipant, d: Deciding) -> UUID:
        """A caseworker joins the plan in a role, pulled in by the coordinator (the ad-hoc
        team, ``coordinator_pulls_sectors_in``), if sharing with their sector is covered
        by consent or by a named legal basis (rule 9)."""
        plan = d.get(Plan, cmd.plan_id)
        policies.coordinator_pulls_sectors_in(d.caller, plan, "AddParticipant")
        citizens = [d.get(Citizen, cid) for cid in plan.citizen_ids]
        participant = d.staff_actor(cmd.participant)
        consent_ids, law = rules.sharing_fails_closed(
            citizens, participant, d.at, cmd.override_legal_basis
        )
        plan.add_participant(
            participant=participant,
            role=cmd.role,
            shared_under_consents=consent_ids,
            shared_under_law=law,
            actor=d.actor,
            effective_at=d.at,
        )
        return cmd.plan_id

    @command(c.RemoveParticipant)
    def remove_participant(self, cmd: c.RemoveParticipant, d: Deciding) -> UUID:
        """A participant leaves the plan: removed by the coordinator, or leaving by
        themself."""
        plan = d.get(Plan, cmd.plan_id)
        if d.caller.staff_id != cmd.caseworker_id:
            policies.coordinator_pulls_sectors_in(d.caller, plan, "RemoveParticipant")
        plan.remove_participant(
            caseworker_id=cmd.caseworker_id, reason=cmd.reason, actor=d.actor, effective_at=d.at
        )
        return plan.id

    @command(c.SetGoal)
    def set_goal(self, cmd: c.SetGoal, d: Deciding) -> UUID:
        """Set a goal or a sub-goal; returns the goal id (``plan_changed_by_those_holding_it``)."""
        goal_id = cmd.goal_id or uuid4()
        self._held_plan(d, cmd.plan_id, "SetGoal").set_goal(
            goal_id=goal_id,
            description=cmd.description,
            target=cmd.target,
            due=cmd.due,
            parent_id=cmd.parent_id,
            status=cmd.status,
            actor=d.actor,
            effective_at=d.at,
        )
        return goal_id

    @command(c.ReviseGoal)
    def revise_goal(self, cmd: c.ReviseGoal, d: Deciding) -> UUID:
        self._held_plan(d, cmd.plan_id, "ReviseGoal").revise_goal(
            goal_id=cmd.goal_id,
            reason=cmd.reason,
            description=cmd.description,
            target=cmd.target,
            due=cmd.due,
            status=cmd.status,
            actor=d.actor,
            effective_at=d.at,
        )
        return cmd.goal_id

    @command(c.RecordGoalProgress)
    def record_goal_progress(self, cmd: c.RecordGoalProgress, d: Deciding) -> UUID:
        self._held_plan(d, cmd.plan_id, "RecordGoalProgress").record_progress(
            goal_id=cmd.goal_id,
            achievement=cmd.achievement,
            measured_value=cmd.measured_value,
            note=cmd.note,
            actor=d.actor,
            effective_at=d.at,
        )
        return cmd.goal_id

    @command(c.CompleteGoal)
    def complete_goal(self, cmd: c.CompleteGoal, d: Deciding) -> UUID:
        self._held_plan(d, cmd.plan_id, "CompleteGoal").complete_goal(
            goal_id=cmd.goal_id, achievement=cmd.achievement, actor=d.actor, effective_at=d.at
        )
        return cmd.goal_id

    @command(c.CancelGoal)
    def cancel_goal(self, cmd: c.CancelGoal, d: Deciding) -> UUID:
        self._held_plan(d, cmd.plan_id, "CancelGoal").cancel_goal(
            goal_id=cmd.goal_id, reason=cmd.reason, actor=d.actor, effective_at=d.at
        )
        return cmd.goal_id

    @command(c.HoldMeeting)
    def hold_meeting(self, cmd: c.HoldMeeting, d: Deciding) -> UUID:
        """Record a coordinating meeting; the responsibilities it decides are assigned on
        the interventions in the same save (rule 4). Returns the meeting id."""
        plan = self._held_plan(d, cmd.plan_id, "HoldMeeting")
        meeting_id = cmd.meeting_id or uuid4()
        responsibilities = d.responsibilities(cmd.responsibilities)
        actor = d.actor
        plan.hold_meeting(
            meeting_id=meeting_id,
            attendees=d.attendees(cmd.attendees),
            decisions=cmd.decisions,
            responsibilities=responsibilities,
            next_meeting=cmd.next_meeting,
            actor=actor,
            effective_at=d.at,
        )
        for responsibility in responsibilities:  # rule 4: the meeting decides who is responsible
            intervention = d.get(Intervention, responsibility.intervention_id)
            if intervention.status.is_finished:
                raise InterventionFinished(
                    f"intervention {intervention.id} is {intervention.status.value}; "
                    "nobody can be made responsible for it",
                    intervention_id=intervention.id,
                )
            if intervention.responsible.id != responsibility.caseworker.id:
                intervention.reassign_responsible(
                    new_responsible=responsibility.caseworker,
                    reason=f"assigned at coordinating meeting {meeting_id}",
                    actor=actor,
                    effective_at=d.at,
                )
        return meeting_id

    @command(c.DeliverPlan, result=int)
    def deliver_plan(self, cmd: c.DeliverPlan, d: Deciding) -> int:
        """Deliver the plan to the citizen; returns the delivered version number."""
        return self._held_plan(d, cmd.plan_id, "DeliverPlan").deliver(
            channel=cmd.channel, actor=d.actor, effective_at=d.at
        )

    @command(c.PutPlanOnHold)
    def put_plan_on_hold(self, cmd: c.PutPlanOnHold, d: Deciding) -> UUID:
        self._held_plan(d, cmd.plan_id, "PutPlanOnHold").put_on_hold(
            reason=cmd.reason, actor=d.actor, effective_at=d.at
        )
        return cmd.plan_id

    @command(c.ResumePlan)
    def resume_plan(self, cmd: c.ResumePlan, d: Deciding) -> UUID:
        self._held_plan(d, cmd.plan_id, "ResumePlan").resume(actor=d.actor, effective_at=d.at)
        return cmd.plan_id

    @command(c.CompletePlan)
    def complete_plan(self, cmd: c.CompletePlan, d: Deciding) -> UUID:
        """Complete the plan; its citizens are free to get a new one."""
        plan = self._held_plan(d, cmd.plan_id, "CompletePlan")
        actor = d.actor
        plan.complete(outcome=cmd.outcome, actor=actor, effective_at=d.at)
        return self._citizens_leave(d, plan, "plan completed", actor)

    @command(c.WithdrawPlan)
    def withdraw_plan(self, cmd: c.WithdrawPlan, d: Deciding) -> UUID:
        """The citizen withdraws: the plan ends, the sector plans resume, history stays.
        Sent by the citizen (or a holder of custody) as principal; staff holding the plan
        pass the trust rule, but the plan refuses a withdrawal by a caseworker."""
        plan = d.get(Plan, cmd.plan_id)
        if isinstance(d.principal, CitizenPrincipal):
            members = [d.get(Citizen, cid) for cid in plan.citizen_ids]
            mine = [m for m in members if d.principal.citizen_id == m.id] or [
                m for m in members if d.principal.citizen_id in m.custody_holders_at(d.at)
            ]
            actor = d.actor_for(mine[0] if mine else members[0])
        else:
            policies.plan_changed_by_those_holding_it(d.caller, plan, "WithdrawPlan")
            actor = d.actor
        plan.withdraw(reason=cmd.reason, actor=actor, effective_at=d.at)
        return self._citizens_leave(d, plan, "withdrawn by the citizen", actor)

    @command(c.EnterPlanInError)
    def enter_plan_in_error(self, cmd: c.EnterPlanInError, d: Deciding) -> UUID:
        plan = self._held_plan(d, cmd.plan_id, "EnterPlanInError")
        actor = d.actor
        plan.enter_in_error(reason=cmd.reason, actor=actor, effective_at=d.at)
        return self._citizens_leave(d, plan, "entered in error", actor)

    @staticmethod
    def _citizens_leave(d: Deciding, plan: Plan, why: str, actor: Actor) -> UUID:
        for citizen_id in plan.citizen_ids:
            citizen = d.get(Citizen, citizen_id)
            if citizen.plan_id == plan.id:
                citizen.leave_plan(plan_id=plan.id, reason=why, actor=actor, effective_at=d.at)
        return plan.id
