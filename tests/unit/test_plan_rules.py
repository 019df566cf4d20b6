"""The plan's rules, pinned exactly: which command refuses what, with which typed error
and ids, and what each accepted command records (found by mutation testing of
``aggregates/plan.py``; see the README, Development)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from oneplan.aggregates.plan import Plan
from oneplan.errors import (
    CoordinatorRequired,
    EffectiveTimeInvalid,
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
    OverarchingGoalKind,
    ParticipantRole,
    PlanOutcome,
    PlanStatus,
    Responsibility,
    Sector,
    SectorPlanRef,
    Target,
)
from tests.builders import ANNE, LARS, PETER, at
from tests.unit.refusals import invalid, recorded, refusal

PLAN = UUID(int=1)
CITIZEN = UUID(int=2)
OTHER_CITIZEN = UUID(int=3)
CONSENT = UUID(int=4)
GOAL = UUID(int=5)
SUB_GOAL = UUID(int=6)
INTERVENTION = UUID(int=7)
MEETING = UUID(int=8)
UNKNOWN = UUID(int=99)
OPENED_AT = at(2026, 3, 1)
LATER = at(2026, 3, 2)
METTE = Actor(id="mette", kind=ActorKind.CITIZEN)
JOB_PLAN = SectorPlanRef(
    sector=Sector.EMPLOYMENT, legal_basis=LegalBasis.parse("LAB § 30 b"), reference="JC-1"
)
WORK = OverarchingGoal(kind=OverarchingGoalKind.WORK)
BUS = Target(measure="bus trips alone", value=Decimal("3"), unit="per week")


def draft() -> Plan:
    plan = Plan.open(
        plan_id=PLAN,
        citizen_ids=(CITIZEN,),
        replaces=(JOB_PLAN,),
        legal_bases=(LegalBasis.parse("LAB § 30 b"),),
        consent_ids=(CONSENT,),
        actor=ANNE,
        effective_at=OPENED_AT,
    )
    plan.collect_events()
    return plan


def active() -> Plan:
    plan = draft()
    plan.assign_coordinator(coordinator=ANNE, actor=ANNE, effective_at=OPENED_AT)
    plan.collect_events()
    return plan


def with_goal(due: date | None = date(2026, 6, 30)) -> Plan:
    plan = active()
    plan.set_goal(goal_id=GOAL, description="work", due=due, actor=ANNE, effective_at=LATER)
    plan.collect_events()
    return plan


def with_sub_goal() -> Plan:
    plan = with_goal()
    plan.set_goal(
        goal_id=SUB_GOAL,
        description="bus",
        due=date(2026, 5, 31),
        parent_id=GOAL,
        actor=ANNE,
        effective_at=LATER,
    )
    plan.collect_events()
    return plan


def in_status(status: PlanStatus) -> Plan:
    plan = active()
    if status is PlanStatus.DRAFT:
        plan = draft()
    elif status is PlanStatus.ON_HOLD:
        plan.put_on_hold(reason="hospital", actor=ANNE, effective_at=LATER)
    elif status is PlanStatus.COMPLETED:
        plan.complete(outcome=PlanOutcome.WORK, actor=ANNE, effective_at=LATER)
    elif status is PlanStatus.REVOKED:
        plan.withdraw(reason="no", actor=METTE, effective_at=LATER)
    elif status is PlanStatus.ENTERED_IN_ERROR:
        plan.enter_in_error(reason="wrong citizen", actor=ANNE, effective_at=LATER)
    plan.collect_events()
    assert plan.status is status
    return plan


# --- a closed plan changes no more (status lifecycle) --------------------------------

OPEN_PLAN_COMMANDS: list[tuple[str, Callable[[Plan], object]]] = [
    (
        "RecordCitizensWishes",
        lambda p: p.record_wishes(
            citizen_id=CITIZEN, wishes="work", overarching_goal=WORK, actor=ANNE, effective_at=LATER
        ),
    ),
    (
        "AssignCoordinator",
        lambda p: p.assign_coordinator(coordinator=LARS, actor=ANNE, effective_at=LATER),
    ),
    (
        "HandOverCoordinator",
        lambda p: p.hand_over(new_coordinator=LARS, reason="r", actor=ANNE, effective_at=LATER),
    ),
    (
        "AddParticipant",
        lambda p: p.add_participant(
            participant=LARS,
            role=ParticipantRole.CASEWORKER,
            shared_under_consents=(CONSENT,),
            shared_under_law=None,
            actor=ANNE,
            effective_at=LATER,
        ),
    ),
    (
        "RemoveParticipant",
        lambda p: p.remove_participant(
            caseworker_id="lars", reason="r", actor=ANNE, effective_at=LATER
        ),
    ),
    (
        "SetGoal",
        lambda p: p.set_goal(goal_id=UNKNOWN, description="d", actor=ANNE, effective_at=LATER),
    ),
    (
        "ReviseGoal",
        lambda p: p.revise_goal(goal_id=GOAL, reason="r", due=None, actor=ANNE, effective_at=LATER),
    ),
    (
        "RecordProgress",
        lambda p: p.record_progress(
            goal_id=GOAL, achievement=AchievementStatus.IMPROVING, actor=ANNE, effective_at=LATER
        ),
    ),
    ("CompleteGoal", lambda p: p.complete_goal(goal_id=GOAL, actor=ANNE, effective_at=LATER)),
    (
        "CancelGoal",
        lambda p: p.cancel_goal(goal_id=GOAL, reason="r", actor=ANNE, effective_at=LATER),
    ),
    (
        "ProposeIntervention",
        lambda p: p.include_intervention(
            intervention_id=INTERVENTION,
            goal_ids=(),
            citizen_id=CITIZEN,
            actor=ANNE,
            effective_at=LATER,
        ),
    ),
    (
        "HoldMeeting",
        lambda p: p.hold_meeting(
            meeting_id=MEETING,
            attendees=(MeetingAttendee(id="anne"),),
            decisions=(),
            responsibilities=(),
            next_meeting=None,
            actor=ANNE,
            effective_at=LATER,
        ),
    ),
    ("WithdrawPlan", lambda p: p.withdraw(reason="r", actor=METTE, effective_at=LATER)),
]


@pytest.mark.parametrize(
    ("name", "command"), OPEN_PLAN_COMMANDS, ids=[c[0] for c in OPEN_PLAN_COMMANDS]
)
def test_a_completed_plan_refuses_every_command_of_an_open_plan(
    name: str, command: Callable[[Plan], object]
) -> None:
    plan = in_status(PlanStatus.COMPLETED)
    refusal(
        plan,
        IllegalTransition,
        lambda: command(plan),
        ids={"plan_id": PLAN, "status": PlanStatus.COMPLETED},
        says=f"{name}: plan {PLAN} is completed",
    )


STATUS_COMMANDS: list[tuple[str, PlanStatus, Callable[[Plan], object]]] = [
    (
        "DeliverPlan",
        PlanStatus.DRAFT,
        lambda p: p.deliver(channel=DeliveryChannel.LETTER, actor=ANNE, effective_at=LATER),
    ),
    (
        "PutPlanOnHold",
        PlanStatus.ON_HOLD,
        lambda p: p.put_on_hold(reason="r", actor=ANNE, effective_at=LATER),
    ),
    ("ResumePlan", PlanStatus.ACTIVE, lambda p: p.resume(actor=ANNE, effective_at=LATER)),
    (
        "CompletePlan",
        PlanStatus.DRAFT,
        lambda p: p.complete(outcome=PlanOutcome.WORK, actor=ANNE, effective_at=LATER),
    ),
]


@pytest.mark.parametrize(
    ("name", "status", "command"), STATUS_COMMANDS, ids=[c[0] for c in STATUS_COMMANDS]
)
def test_delivery_hold_resume_and_completion_apply_only_in_their_statuses(
    name: str, status: PlanStatus, command: Callable[[Plan], object]
) -> None:
    plan = in_status(status)
    refusal(
        plan,
        IllegalTransition,
        lambda: command(plan),
        ids={"plan_id": PLAN, "status": status},
        says=f"{name}: plan {PLAN} is {status.value}",
    )


def test_a_plan_entered_in_error_is_not_entered_in_error_again() -> None:
    plan = in_status(PlanStatus.ENTERED_IN_ERROR)
    refusal(
        plan,
        IllegalTransition,
        lambda: plan.enter_in_error(reason="again", actor=ANNE, effective_at=LATER),
        ids={"plan_id": PLAN},
        says=f"plan {PLAN} is already entered in error",
    )


# --- input the plan's commands refuse ------------------------------------------------


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("citizen_ids", {"citizen_ids": ()}),
        ("citizen_ids", {"citizen_ids": (CITIZEN, CITIZEN)}),
        ("legal_bases", {"legal_bases": ()}),
        ("consent_ids", {"consent_ids": ()}),
        ("actor", {"actor": METTE}),
    ],
)
def test_a_plan_opens_for_distinct_citizens_under_a_legal_basis_by_consent_and_a_caseworker(
    field: str, changes: dict[str, Any]
) -> None:
    arguments: dict[str, Any] = {
        "plan_id": PLAN,
        "citizen_ids": (CITIZEN,),
        "replaces": (),
        "legal_bases": (LegalBasis.parse("LAB § 30 b"),),
        "consent_ids": (CONSENT,),
        "actor": ANNE,
        "effective_at": OPENED_AT,
    } | changes
    invalid(None, lambda: Plan.open(**arguments), name="OpenPlan", field=field)


def test_a_plan_opened_at_a_naive_time_is_refused_naming_the_event() -> None:
    refusal(
        None,
        EffectiveTimeInvalid,
        lambda: Plan.open(
            plan_id=PLAN,
            citizen_ids=(CITIZEN,),
            replaces=(),
            legal_bases=(LegalBasis.parse("LAB § 30 b"),),
            consent_ids=(CONSENT,),
            actor=ANNE,
            effective_at=datetime(2026, 3, 1, 10),
        ),
        ids={"command": "Opened", "fields": "effective_at"},
        says="invalid Opened: effective_at: must be timezone-aware",
    )


def test_a_command_before_the_course_began_is_refused_naming_the_event() -> None:
    plan = active()
    refusal(
        plan,
        EffectiveTimeInvalid,
        lambda: plan.put_on_hold(reason="r", actor=ANNE, effective_at=at(2026, 2, 1)),
        ids={"command": "PutOnHold", "fields": "effective_at"},
        says=f"effective_at: is before the course began ({OPENED_AT.isoformat()})",
    )


def test_a_command_at_a_naive_time_is_refused_naming_the_event() -> None:
    plan = active()
    refusal(
        plan,
        EffectiveTimeInvalid,
        lambda: plan.put_on_hold(reason="r", actor=ANNE, effective_at=datetime(2026, 3, 2)),
        ids={"command": "PutOnHold", "fields": "effective_at"},
        says="invalid PutOnHold: effective_at: must be timezone-aware",
    )


NOT_A_CASEWORKER: list[tuple[str, str, Callable[[Plan], object]]] = [
    (
        "AssignCoordinator",
        "coordinator",
        lambda p: p.assign_coordinator(coordinator=METTE, actor=ANNE, effective_at=LATER),
    ),
    (
        "HandOverCoordinator",
        "new_coordinator",
        lambda p: p.hand_over(new_coordinator=METTE, reason="r", actor=ANNE, effective_at=LATER),
    ),
    (
        "AddParticipant",
        "participant",
        lambda p: p.add_participant(
            participant=METTE,
            role=ParticipantRole.CASEWORKER,
            shared_under_consents=(CONSENT,),
            shared_under_law=None,
            actor=ANNE,
            effective_at=LATER,
        ),
    ),
    (
        "HoldMeeting",
        "responsibilities",
        lambda p: p.hold_meeting(
            meeting_id=MEETING,
            attendees=(MeetingAttendee(id="anne"),),
            decisions=(),
            responsibilities=(Responsibility(intervention_id=INTERVENTION, caseworker=METTE),),
            next_meeting=None,
            actor=ANNE,
            effective_at=LATER,
        ),
    ),
]


@pytest.mark.parametrize(
    ("name", "field", "command"), NOT_A_CASEWORKER, ids=[c[0] for c in NOT_A_CASEWORKER]
)
def test_coordinators_participants_and_the_responsible_are_caseworkers(
    name: str, field: str, command: Callable[[Plan], object]
) -> None:
    plan = active()
    if name == "AssignCoordinator":
        plan = draft()
    if name == "HoldMeeting":
        plan.include_intervention(
            intervention_id=INTERVENTION,
            goal_ids=(),
            citizen_id=CITIZEN,
            actor=ANNE,
            effective_at=LATER,
        )
        plan.collect_events()
    invalid(plan, lambda: command(plan), name=name, field=field)


BLANK: list[tuple[str, str, Callable[[Plan], object]]] = [
    (
        "RecordCitizensWishes",
        "wishes",
        lambda p: p.record_wishes(
            citizen_id=CITIZEN, wishes=" ", overarching_goal=WORK, actor=ANNE, effective_at=LATER
        ),
    ),
    (
        "HandOverCoordinator",
        "reason",
        lambda p: p.hand_over(new_coordinator=LARS, reason=" ", actor=ANNE, effective_at=LATER),
    ),
    (
        "RemoveParticipant",
        "reason",
        lambda p: p.remove_participant(
            caseworker_id="lars", reason=" ", actor=ANNE, effective_at=LATER
        ),
    ),
    (
        "SetGoal",
        "description",
        lambda p: p.set_goal(goal_id=UNKNOWN, description=" ", actor=ANNE, effective_at=LATER),
    ),
    (
        "ReviseGoal",
        "reason",
        lambda p: p.revise_goal(
            goal_id=GOAL, reason=" ", description="new", actor=ANNE, effective_at=LATER
        ),
    ),
    (
        "ReviseGoal",
        "description",
        lambda p: p.revise_goal(
            goal_id=GOAL, reason="r", description=" ", actor=ANNE, effective_at=LATER
        ),
    ),
    (
        "CancelGoal",
        "reason",
        lambda p: p.cancel_goal(goal_id=GOAL, reason=" ", actor=ANNE, effective_at=LATER),
    ),
    (
        "HoldMeeting",
        "decisions",
        lambda p: p.hold_meeting(
            meeting_id=MEETING,
            attendees=(MeetingAttendee(id="anne"),),
            decisions=("ok", " "),
            responsibilities=(),
            next_meeting=None,
            actor=ANNE,
            effective_at=LATER,
        ),
    ),
    ("PutPlanOnHold", "reason", lambda p: p.put_on_hold(reason="", actor=ANNE, effective_at=LATER)),
    (
        "EnterPlanInError",
        "reason",
        lambda p: p.enter_in_error(reason=" ", actor=ANNE, effective_at=LATER),
    ),
]


@pytest.mark.parametrize(("name", "field", "command"), BLANK, ids=[f"{c[0]}-{c[1]}" for c in BLANK])
def test_reasons_wishes_descriptions_and_decisions_are_not_blank(
    name: str, field: str, command: Callable[[Plan], object]
) -> None:
    plan = with_goal()
    plan.add_participant(
        participant=LARS,
        role=ParticipantRole.CASEWORKER,
        shared_under_consents=(CONSENT,),
        shared_under_law=None,
        actor=ANNE,
        effective_at=LATER,
    )
    plan.collect_events()
    invalid(plan, lambda: command(plan), name=name, field=field)


def test_wishes_are_recorded_only_for_a_citizen_of_the_plan() -> None:
    plan = active()
    invalid(
        plan,
        lambda: plan.record_wishes(
            citizen_id=OTHER_CITIZEN,
            wishes="work",
            overarching_goal=WORK,
            actor=ANNE,
            effective_at=LATER,
        ),
        name="RecordCitizensWishes",
        field="citizen_id",
    )


# --- rule 7: one coordinator ---------------------------------------------------------


def test_a_second_coordinator_is_not_assigned_but_handed_over_to() -> None:
    plan = active()
    refusal(
        plan,
        CoordinatorRequired,
        lambda: plan.assign_coordinator(coordinator=LARS, actor=ANNE, effective_at=LATER),
        ids={"plan_id": PLAN, "caseworker_id": "anne"},
        says=f"plan {PLAN} already has coordinator anne",
    )


def test_a_plan_without_a_coordinator_has_none_to_hand_over_from() -> None:
    plan = draft()
    refusal(
        plan,
        CoordinatorRequired,
        lambda: plan.hand_over(new_coordinator=LARS, reason="r", actor=ANNE, effective_at=LATER),
        ids={"plan_id": PLAN},
        says=f"plan {PLAN} has no coordinator",
    )


def test_the_coordinator_is_not_handed_over_to_themself() -> None:
    plan = active()
    refusal(
        plan,
        CoordinatorRequired,
        lambda: plan.hand_over(new_coordinator=ANNE, reason="r", actor=ANNE, effective_at=LATER),
        ids={"plan_id": PLAN, "caseworker_id": "anne"},
        says=f"anne already coordinates plan {PLAN}",
    )


def test_the_coordinators_are_the_coordinator_and_the_co_coordinators() -> None:
    assert draft().coordinators() == ()
    plan = active()
    plan.add_participant(
        participant=LARS,
        role=ParticipantRole.CO_COORDINATOR,
        shared_under_consents=(CONSENT,),
        shared_under_law=None,
        actor=ANNE,
        effective_at=LATER,
    )
    plan.add_participant(
        participant=PETER,
        role=ParticipantRole.CASEWORKER,
        shared_under_consents=(CONSENT,),
        shared_under_law=None,
        actor=ANNE,
        effective_at=LATER,
    )
    assert plan.coordinators() == (ANNE, LARS)


# --- participants --------------------------------------------------------------------


@pytest.mark.parametrize("who", [LARS, ANNE], ids=["participant", "coordinator"])
def test_a_caseworker_takes_part_in_a_plan_once(who: Actor) -> None:
    plan = active()
    plan.add_participant(
        participant=LARS,
        role=ParticipantRole.CASEWORKER,
        shared_under_consents=(CONSENT,),
        shared_under_law=None,
        actor=ANNE,
        effective_at=LATER,
    )
    plan.collect_events()
    refusal(
        plan,
        IllegalTransition,
        lambda: plan.add_participant(
            participant=who,
            role=ParticipantRole.ADVISORY_PARTNER,
            shared_under_consents=(CONSENT,),
            shared_under_law=None,
            actor=ANNE,
            effective_at=LATER,
        ),
        ids={"plan_id": PLAN, "caseworker_id": who.id},
        says=f"{who.id} already takes part in plan {PLAN}",
    )


def test_a_participant_sees_the_plan_under_a_consent_or_a_legal_basis() -> None:
    plan = active()
    invalid(
        plan,
        lambda: plan.add_participant(
            participant=LARS,
            role=ParticipantRole.CASEWORKER,
            shared_under_consents=(),
            shared_under_law=None,
            actor=ANNE,
            effective_at=LATER,
        ),
        name="AddParticipant",
        field="shared_under_law",
    )


def test_only_a_participant_leaves_the_plan() -> None:
    plan = active()
    refusal(
        plan,
        ParticipantNotFound,
        lambda: plan.remove_participant(
            caseworker_id="lars", reason="r", actor=ANNE, effective_at=LATER
        ),
        ids={"plan_id": PLAN, "caseworker_id": "lars"},
        says=f"lars does not take part in plan {PLAN}",
    )


# --- goals and sub-goals -------------------------------------------------------------


def test_a_goal_is_set_once() -> None:
    plan = with_goal()
    refusal(
        plan,
        IllegalTransition,
        lambda: plan.set_goal(goal_id=GOAL, description="d", actor=ANNE, effective_at=LATER),
        ids={"plan_id": PLAN, "goal_id": GOAL},
        says=f"goal {GOAL} is already set",
    )


@pytest.mark.parametrize("status", [GoalStatus.ON_HOLD, GoalStatus.COMPLETED, GoalStatus.CANCELLED])
def test_a_new_goal_is_proposed_accepted_or_active(status: GoalStatus) -> None:
    plan = active()
    invalid(
        plan,
        lambda: plan.set_goal(
            goal_id=GOAL, description="d", status=status, actor=ANNE, effective_at=LATER
        ),
        name="SetGoal",
        field="status",
    )


@pytest.mark.parametrize("status", [GoalStatus.PROPOSED, GoalStatus.ACCEPTED, GoalStatus.ACTIVE])
def test_a_new_goal_may_start_proposed_accepted_or_active(status: GoalStatus) -> None:
    plan = active()
    event = recorded(
        plan,
        lambda: plan.set_goal(
            goal_id=GOAL, description=" d ", status=status, actor=LARS, effective_at=LATER
        ),
        event=Plan.GoalSet,
        actor=LARS,
        effective_at=LATER,
    )
    assert (event.goal_id, event.description, event.status) == (GOAL, "d", status)
    assert plan.goal(GOAL).status is status


@pytest.mark.parametrize("due", [None, date(2026, 7, 1)], ids=["undated", "later"])
def test_a_sub_goal_is_due_by_its_parents_due_date(due: date | None) -> None:
    plan = with_goal(due=date(2026, 6, 30))
    invalid(
        plan,
        lambda: plan.set_goal(
            goal_id=SUB_GOAL,
            description="d",
            due=due,
            parent_id=GOAL,
            actor=ANNE,
            effective_at=LATER,
        ),
        name="SetGoal",
        field="due",
    )


def test_a_sub_goal_may_be_due_on_its_parents_due_date_or_without_a_dated_parent() -> None:
    plan = with_goal(due=date(2026, 6, 30))
    plan.set_goal(
        goal_id=SUB_GOAL,
        description="d",
        due=date(2026, 6, 30),
        parent_id=GOAL,
        actor=ANNE,
        effective_at=LATER,
    )
    undated = with_goal(due=None)
    undated.set_goal(
        goal_id=SUB_GOAL, description="d", parent_id=GOAL, actor=ANNE, effective_at=LATER
    )
    assert plan.goal(SUB_GOAL).parent_id == GOAL
    assert undated.goal(SUB_GOAL).due is None


def test_a_goal_not_in_the_plan_is_not_found() -> None:
    plan = active()
    refusal(
        plan,
        GoalNotFound,
        lambda: plan.record_progress(
            goal_id=UNKNOWN, achievement=AchievementStatus.IMPROVING, actor=ANNE, effective_at=LATER
        ),
        ids={"plan_id": PLAN, "goal_id": UNKNOWN},
        says=f"goal {UNKNOWN} not in plan {PLAN}",
    )


FINISHED_GOAL_COMMANDS: list[tuple[str, Callable[[Plan], object]]] = [
    (
        "SetGoal",
        lambda p: p.set_goal(
            goal_id=SUB_GOAL, description="d", parent_id=GOAL, actor=ANNE, effective_at=LATER
        ),
    ),
    (
        "ReviseGoal",
        lambda p: p.revise_goal(
            goal_id=GOAL, reason="r", description="new", actor=ANNE, effective_at=LATER
        ),
    ),
    (
        "RecordProgress",
        lambda p: p.record_progress(
            goal_id=GOAL, achievement=AchievementStatus.IMPROVING, actor=ANNE, effective_at=LATER
        ),
    ),
    ("CompleteGoal", lambda p: p.complete_goal(goal_id=GOAL, actor=ANNE, effective_at=LATER)),
    (
        "CancelGoal",
        lambda p: p.cancel_goal(goal_id=GOAL, reason="r", actor=ANNE, effective_at=LATER),
    ),
    (
        "ProposeIntervention",
        lambda p: p.include_intervention(
            intervention_id=INTERVENTION,
            goal_ids=(GOAL,),
            citizen_id=CITIZEN,
            actor=ANNE,
            effective_at=LATER,
        ),
    ),
]


@pytest.mark.parametrize(
    ("name", "command"), FINISHED_GOAL_COMMANDS, ids=[c[0] for c in FINISHED_GOAL_COMMANDS]
)
def test_a_finished_goal_changes_no_more(name: str, command: Callable[[Plan], object]) -> None:
    plan = with_goal()
    plan.complete_goal(goal_id=GOAL, actor=ANNE, effective_at=LATER)
    plan.collect_events()
    refusal(
        plan,
        IllegalTransition,
        lambda: command(plan),
        ids={"plan_id": PLAN, "goal_id": GOAL},
        says=f"{name}: goal {GOAL} is completed",
    )


@pytest.mark.parametrize("name", ["CompleteGoal", "CancelGoal"])
def test_a_goal_with_open_sub_goals_is_not_finished(name: str) -> None:
    plan = with_sub_goal()

    def finish() -> None:
        if name == "CompleteGoal":
            plan.complete_goal(goal_id=GOAL, actor=ANNE, effective_at=LATER)
        else:
            plan.cancel_goal(goal_id=GOAL, reason="r", actor=ANNE, effective_at=LATER)

    refusal(
        plan,
        IllegalTransition,
        finish,
        ids={"plan_id": PLAN, "goal_id": GOAL, "sub_goal_ids": (SUB_GOAL,)},
        says=f"{name}: goal {GOAL} has open sub-goals",
    )


def test_a_goal_whose_sub_goals_are_finished_completes() -> None:
    plan = with_sub_goal()
    plan.cancel_goal(goal_id=SUB_GOAL, reason="not needed", actor=ANNE, effective_at=LATER)
    plan.collect_events()
    event = recorded(
        plan,
        lambda: plan.complete_goal(
            goal_id=GOAL, achievement=AchievementStatus.SUSTAINING, actor=LARS, effective_at=LATER
        ),
        event=Plan.GoalCompleted,
        actor=LARS,
        effective_at=LATER,
    )
    assert (event.goal_id, event.achievement) == (GOAL, AchievementStatus.SUSTAINING)
    assert plan.sub_goals(GOAL) == (plan.goal(SUB_GOAL),)


@pytest.mark.parametrize("status", [GoalStatus.COMPLETED, GoalStatus.CANCELLED])
def test_a_revision_does_not_finish_a_goal(status: GoalStatus) -> None:
    plan = with_goal()
    invalid(
        plan,
        lambda: plan.revise_goal(
            goal_id=GOAL, reason="r", status=status, actor=ANNE, effective_at=LATER
        ),
        name="ReviseGoal",
        field="status",
    )


def test_a_revised_sub_goal_stays_due_by_its_parent() -> None:
    plan = with_sub_goal()
    invalid(
        plan,
        lambda: plan.revise_goal(
            goal_id=SUB_GOAL, reason="r", due=date(2026, 7, 1), actor=ANNE, effective_at=LATER
        ),
        name="ReviseGoal",
        field="due",
    )


def test_a_sub_goal_is_revised_within_its_parents_due_date() -> None:
    plan = with_sub_goal()
    plan.revise_goal(
        goal_id=SUB_GOAL, reason="r", due=date(2026, 6, 30), actor=ANNE, effective_at=LATER
    )
    plan.revise_goal(
        goal_id=SUB_GOAL, reason="r", description="trains", actor=ANNE, effective_at=LATER
    )
    assert (plan.goal(SUB_GOAL).due, plan.goal(SUB_GOAL).description) == (
        date(2026, 6, 30),
        "trains",
    )


@pytest.mark.parametrize("child_due", [date(2026, 5, 31), None], ids=["dated", "undated"])
def test_a_goal_is_not_revised_to_be_due_before_its_sub_goals(child_due: date | None) -> None:
    plan = with_goal(due=None)
    plan.set_goal(
        goal_id=SUB_GOAL,
        description="bus",
        due=child_due,
        parent_id=GOAL,
        actor=ANNE,
        effective_at=LATER,
    )
    plan.collect_events()
    refused = invalid(
        plan,
        lambda: plan.revise_goal(
            goal_id=GOAL, reason="r", due=date(2026, 5, 30), actor=ANNE, effective_at=LATER
        ),
        name="ReviseGoal",
        field="due",
    )
    assert str(SUB_GOAL) in str(refused)


def test_a_goal_may_be_revised_to_be_due_with_its_sub_goals() -> None:
    plan = with_sub_goal()
    plan.revise_goal(
        goal_id=GOAL, reason="r", due=date(2026, 5, 31), actor=ANNE, effective_at=LATER
    )
    assert plan.goal(GOAL).due == date(2026, 5, 31)


def test_a_revision_that_changes_nothing_is_refused() -> None:
    plan = with_goal()
    goal = plan.goal(GOAL)
    refused = refusal(
        plan,
        InvalidInput,
        lambda: plan.revise_goal(
            goal_id=GOAL,
            reason="r",
            description=goal.description,
            due=goal.due,
            status=goal.status,
            actor=ANNE,
            effective_at=LATER,
        ),
        ids={"command": "ReviseGoal", "fields": "(input)"},
        says="the revision changes nothing",
    )
    assert [e["loc"] for e in refused.errors] == [()]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"description": " shorter trips "}, {"description": "shorter trips"}),
        ({"target": BUS}, {"target": BUS}),
        ({"due": date(2026, 6, 1)}, {"due": date(2026, 6, 1)}),
        ({"status": GoalStatus.ON_HOLD}, {"status": GoalStatus.ON_HOLD}),
    ],
    ids=["description", "target", "due", "status"],
)
def test_a_revision_changes_the_given_fields_and_keeps_the_others(
    changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    plan = active()
    plan.set_goal(
        goal_id=GOAL,
        description="work",
        target=Target(measure="hours", value=Decimal("10")),
        due=date(2026, 6, 30),
        actor=ANNE,
        effective_at=LATER,
    )
    plan.collect_events()
    before = plan.goal(GOAL)
    event = recorded(
        plan,
        lambda: plan.revise_goal(
            goal_id=GOAL, reason=" moved ", actor=LARS, effective_at=LATER, **changes
        ),
        event=Plan.GoalRevised,
        actor=LARS,
        effective_at=LATER,
    )
    kept = {
        "description": before.description,
        "target": before.target,
        "due": before.due,
        "status": before.status,
    }
    want = kept | expected
    assert {k: getattr(event, k) for k in want} == want
    assert (event.goal_id, event.reason) == (GOAL, "moved")
    assert {k: getattr(plan.goal(GOAL), k) for k in want} == want


# --- interventions and meetings ------------------------------------------------------


def test_an_intervention_is_included_for_a_citizen_of_the_plan() -> None:
    plan = active()
    refusal(
        plan,
        InterventionOutsidePlan,
        lambda: plan.include_intervention(
            intervention_id=INTERVENTION,
            goal_ids=(),
            citizen_id=OTHER_CITIZEN,
            actor=ANNE,
            effective_at=LATER,
        ),
        ids={"plan_id": PLAN, "citizen_id": OTHER_CITIZEN},
        says=f"citizen {OTHER_CITIZEN} is not in plan {PLAN}",
    )


def test_an_intervention_is_included_once() -> None:
    plan = active()
    plan.include_intervention(
        intervention_id=INTERVENTION,
        goal_ids=(),
        citizen_id=CITIZEN,
        actor=ANNE,
        effective_at=LATER,
    )
    plan.collect_events()
    refusal(
        plan,
        IllegalTransition,
        lambda: plan.include_intervention(
            intervention_id=INTERVENTION,
            goal_ids=(),
            citizen_id=CITIZEN,
            actor=ANNE,
            effective_at=LATER,
        ),
        ids={"plan_id": PLAN, "intervention_id": INTERVENTION},
        says=f"intervention {INTERVENTION} is already in plan {PLAN}",
    )


def meeting(plan: Plan, **changes: Any) -> None:
    arguments: dict[str, Any] = {
        "meeting_id": MEETING,
        "attendees": (MeetingAttendee(id="anne"),),
        "decisions": (),
        "responsibilities": (),
        "next_meeting": None,
        "actor": ANNE,
        "effective_at": LATER,
    } | changes
    plan.hold_meeting(**arguments)


def test_a_meeting_has_attendees() -> None:
    plan = active()
    invalid(plan, lambda: meeting(plan, attendees=()), name="HoldMeeting", field="attendees")


def test_a_meeting_is_recorded_once() -> None:
    plan = active()
    meeting(plan)
    plan.collect_events()
    refusal(
        plan,
        IllegalTransition,
        lambda: meeting(plan),
        ids={"plan_id": PLAN},
        says=f"meeting {MEETING} is already recorded",
    )


def test_a_meeting_makes_caseworkers_responsible_for_the_plans_interventions_only() -> None:
    plan = active()
    refusal(
        plan,
        InterventionOutsidePlan,
        lambda: meeting(
            plan,
            responsibilities=(Responsibility(intervention_id=INTERVENTION, caseworker=LARS),),
        ),
        ids={"plan_id": PLAN, "intervention_id": INTERVENTION},
        says=f"intervention {INTERVENTION} is not in plan {PLAN}",
    )


def test_a_meeting_makes_one_caseworker_responsible_per_intervention() -> None:
    plan = active()
    plan.include_intervention(
        intervention_id=INTERVENTION,
        goal_ids=(),
        citizen_id=CITIZEN,
        actor=ANNE,
        effective_at=LATER,
    )
    plan.collect_events()
    invalid(
        plan,
        lambda: meeting(
            plan,
            responsibilities=(
                Responsibility(intervention_id=INTERVENTION, caseworker=LARS),
                Responsibility(intervention_id=INTERVENTION, caseworker=PETER),
            ),
        ),
        name="HoldMeeting",
        field="responsibilities",
    )


def test_the_next_meeting_is_not_in_the_past_but_may_be_today() -> None:
    plan = active()
    invalid(
        plan,
        lambda: meeting(plan, next_meeting=date(2026, 3, 1)),
        name="HoldMeeting",
        field="next_meeting",
    )
    event = recorded(
        plan,
        lambda: meeting(
            plan, next_meeting=LATER.date(), decisions=(" start in April ",), actor=LARS
        ),
        event=Plan.MeetingHeld,
        actor=LARS,
        effective_at=LATER,
    )
    assert (event.meeting_id, event.next_meeting, event.decisions) == (
        MEETING,
        LATER.date(),
        ("start in April",),
    )


# --- delivery to the public archive (rule 10) ----------------------------------------


@pytest.mark.parametrize("status", [PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.ON_HOLD])
def test_only_a_closed_plan_is_delivered_to_the_archive(status: PlanStatus) -> None:
    plan = in_status(status)
    refusal(
        plan,
        IllegalTransition,
        lambda: plan.deliver_to_archive(
            archive="Rigsarkivet", reference="A-1", actor=ANNE, effective_at=LATER
        ),
        ids={"plan_id": PLAN, "status": status},
        says=f"DeliverToArchive: plan {PLAN} is {status.value}; only a closed plan",
    )


@pytest.mark.parametrize(
    "status", [PlanStatus.COMPLETED, PlanStatus.REVOKED, PlanStatus.ENTERED_IN_ERROR]
)
def test_a_closed_plan_is_delivered_to_the_archive_once(status: PlanStatus) -> None:
    plan = in_status(status)
    event = recorded(
        plan,
        lambda: plan.deliver_to_archive(
            archive=" Rigsarkivet ", reference=" A-1 ", actor=PETER, effective_at=LATER
        ),
        event=Plan.DeliveredToArchive,
        actor=PETER,
        effective_at=LATER,
    )
    assert (event.archive, event.reference) == ("Rigsarkivet", "A-1")
    assert plan.archived_at == LATER
    refusal(
        plan,
        IllegalTransition,
        lambda: plan.deliver_to_archive(
            archive="Rigsarkivet", reference="A-1", actor=ANNE, effective_at=LATER
        ),
        ids={"plan_id": PLAN},
        says=f"plan {PLAN} was delivered to the archive already",
    )


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("actor", {"actor": METTE}),
        ("archive", {"archive": " "}),
        ("reference", {"reference": ""}),
    ],
)
def test_a_caseworker_delivers_to_a_named_archive_under_a_reference(
    field: str, changes: dict[str, Any]
) -> None:
    plan = in_status(PlanStatus.COMPLETED)
    arguments: dict[str, Any] = {
        "archive": "Rigsarkivet",
        "reference": "A-1",
        "actor": ANNE,
        "effective_at": LATER,
    } | changes
    invalid(
        plan, lambda: plan.deliver_to_archive(**arguments), name="DeliverToArchive", field=field
    )


# --- what each accepted command records ----------------------------------------------


def test_a_fresh_plan_has_nothing_but_its_opening() -> None:
    plan = draft()
    assert (plan.replaces, plan.legal_bases, plan.consent_ids) == (
        (JOB_PLAN,),
        (LegalBasis.parse("LAB § 30 b"),),
        (CONSENT,),
    )
    assert plan.citizen_ids == (CITIZEN,)
    assert plan.began_at == OPENED_AT
    assert plan.overarching_goal is None
    assert plan.hold_reason is None
    assert plan.outcome is None
    assert plan.closed_at is None
    assert plan.archived_at is None
    assert plan.coordinator is None
    assert (plan.wishes, plan.participants, plan.goals) == ({}, {}, {})
    assert (plan.meetings, plan.intervention_ids) == ((), ())
    assert (plan.delivered_versions, plan.coordinator_changes) == (0, 0)


ACCEPTED: list[tuple[str, type[Any], Callable[[Plan], object], dict[str, Any]]] = [
    (
        "record_wishes",
        Plan.CitizensWishesRecorded,
        lambda p: p.record_wishes(
            citizen_id=CITIZEN,
            wishes=" a job ",
            overarching_goal=WORK,
            actor=LARS,
            effective_at=LATER,
        ),
        {"citizen_id": CITIZEN, "wishes": "a job", "overarching_goal": WORK},
    ),
    (
        "hand_over",
        Plan.CoordinatorHandedOver,
        lambda p: p.hand_over(
            new_coordinator=PETER,
            reason=" leave ",
            previous_stays_as=ParticipantRole.ADVISORY_PARTNER,
            actor=LARS,
            effective_at=LATER,
        ),
        {
            "previous_coordinator": ANNE,
            "new_coordinator": PETER,
            "reason": "leave",
            "previous_stays_as": ParticipantRole.ADVISORY_PARTNER,
        },
    ),
    (
        "add_participant",
        Plan.ParticipantJoined,
        lambda p: p.add_participant(
            participant=PETER,
            role=ParticipantRole.ADVISORY_PARTNER,
            shared_under_consents=(),
            shared_under_law=LegalBasis.parse("LAB § 30 b"),
            actor=LARS,
            effective_at=LATER,
        ),
        {
            "participant": PETER,
            "role": ParticipantRole.ADVISORY_PARTNER,
            "shared_under_consents": (),
            "shared_under_law": LegalBasis.parse("LAB § 30 b"),
        },
    ),
    (
        "remove_participant",
        Plan.ParticipantLeft,
        lambda p: p.remove_participant(
            caseworker_id="lars", reason=" done ", actor=LARS, effective_at=LATER
        ),
        {"caseworker_id": "lars", "reason": "done"},
    ),
    (
        "record_progress",
        Plan.GoalProgressRecorded,
        lambda p: p.record_progress(
            goal_id=GOAL,
            achievement=AchievementStatus.IMPROVING,
            measured_value=Decimal("2"),
            note=" twice ",
            actor=LARS,
            effective_at=LATER,
        ),
        {
            "goal_id": GOAL,
            "achievement": AchievementStatus.IMPROVING,
            "measured_value": Decimal("2"),
            "note": "twice",
        },
    ),
    (
        "cancel_goal",
        Plan.GoalCancelled,
        lambda p: p.cancel_goal(goal_id=GOAL, reason=" moved ", actor=LARS, effective_at=LATER),
        {"goal_id": GOAL, "reason": "moved"},
    ),
    (
        "include_intervention",
        Plan.InterventionIncluded,
        lambda p: p.include_intervention(
            intervention_id=INTERVENTION,
            goal_ids=(GOAL,),
            citizen_id=CITIZEN,
            actor=LARS,
            effective_at=LATER,
        ),
        {"intervention_id": INTERVENTION},
    ),
    (
        "deliver",
        Plan.Delivered,
        lambda p: p.deliver(channel=DeliveryChannel.DIGITAL_POST, actor=LARS, effective_at=LATER),
        {"version": 1, "channel": DeliveryChannel.DIGITAL_POST},
    ),
    (
        "put_on_hold",
        Plan.PutOnHold,
        lambda p: p.put_on_hold(reason=" hospital ", actor=LARS, effective_at=LATER),
        {"reason": "hospital"},
    ),
    (
        "complete",
        Plan.Completed,
        lambda p: p.complete(outcome=PlanOutcome.EDUCATION, actor=LARS, effective_at=LATER),
        {"outcome": PlanOutcome.EDUCATION},
    ),
    (
        "withdraw",
        Plan.WithdrawnByCitizen,
        lambda p: p.withdraw(reason=" no more ", actor=METTE, effective_at=LATER),
        {"reason": "no more", "sector_plans_resumed": (JOB_PLAN,)},
    ),
    (
        "enter_in_error",
        Plan.EnteredInError,
        lambda p: p.enter_in_error(reason=" wrong ", actor=LARS, effective_at=LATER),
        {"reason": "wrong"},
    ),
]


@pytest.mark.parametrize(
    ("name", "event", "command", "fields"), ACCEPTED, ids=[c[0] for c in ACCEPTED]
)
def test_each_command_records_its_event_by_its_actor_with_its_fields(
    name: str, event: type[Any], command: Callable[[Plan], object], fields: dict[str, Any]
) -> None:
    plan = with_goal()
    plan.add_participant(
        participant=LARS,
        role=ParticipantRole.CASEWORKER,
        shared_under_consents=(CONSENT,),
        shared_under_law=None,
        actor=ANNE,
        effective_at=LATER,
    )
    plan.collect_events()
    actor = METTE if name == "withdraw" else LARS
    new = recorded(plan, lambda: command(plan), event=event, actor=actor, effective_at=LATER)
    assert {k: getattr(new, k) for k in fields} == fields


def test_progress_is_recorded_without_a_note() -> None:
    plan = with_goal()
    event = recorded(
        plan,
        lambda: plan.record_progress(
            goal_id=GOAL, achievement=AchievementStatus.NO_CHANGE, actor=ANNE, effective_at=LATER
        ),
        event=Plan.GoalProgressRecorded,
        actor=ANNE,
        effective_at=LATER,
    )
    assert (event.note, event.measured_value) == ("", None)


def test_a_resumed_plan_records_who_resumed_it() -> None:
    plan = in_status(PlanStatus.ON_HOLD)
    recorded(
        plan,
        lambda: plan.resume(actor=LARS, effective_at=LATER),
        event=Plan.Resumed,
        actor=LARS,
        effective_at=LATER,
    )
    assert plan.status is PlanStatus.ACTIVE


def test_the_citizen_or_a_guardian_withdraws_not_a_caseworker() -> None:
    plan = active()
    invalid(
        plan,
        lambda: plan.withdraw(reason="r", actor=ANNE, effective_at=LATER),
        name="WithdrawPlan",
        field="actor",
    )
