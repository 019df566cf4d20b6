"""The plan: opening, coordinator (rule 7), participants, goals and sub-goals, meetings,
delivery, hold and resume, completion, withdrawal and correction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

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
from tests.builders import ANNE, KARIN, LARS, PETER, SOFIE, at

OPENED_AT = at(2026, 3, 1)
LATER = at(2026, 3, 2)
METTE = Actor(id="mette", kind=ActorKind.CITIZEN)
MOTHER = Actor(id="mother", kind=ActorKind.GUARDIAN)
JOB_PLAN = SectorPlanRef(
    sector=Sector.EMPLOYMENT, legal_basis=LegalBasis.parse("LAB § 30 b"), reference="JC-1"
)
SOCIAL_PLAN = SectorPlanRef(sector=Sector.SOCIAL, legal_basis=LegalBasis.parse("SEL § 141"))
WORK = OverarchingGoal(kind=OverarchingGoalKind.WORK)


def raised(error: type[BaseException], command: Callable[[], object]) -> Any:
    """Run ``command`` and expect exactly ``error`` (not a subclass); return it."""
    with pytest.raises(error) as caught:
        command()
    assert type(caught.value) is error
    return caught.value


def refused(aggregate: Plan, error: type[BaseException], command: Callable[[], object]) -> Any:
    """Run ``command``, expect exactly ``error``, and check that nothing was recorded."""
    version = aggregate.version
    caught = raised(error, command)
    assert aggregate.collect_events() == []
    assert aggregate.version == version
    return caught


def open_draft(citizen_ids: tuple[UUID, ...] | None = None) -> Plan:
    plan = Plan.open(
        plan_id=uuid4(),
        citizen_ids=citizen_ids or (uuid4(),),
        replaces=(JOB_PLAN, SOCIAL_PLAN),
        legal_bases=(LegalBasis.parse("LAB § 30 b"), LegalBasis.parse("SEL § 141 stk. 7")),
        consent_ids=(uuid4(),),
        actor=ANNE,
        effective_at=OPENED_AT,
    )
    plan.collect_events()
    return plan


def active(citizen_ids: tuple[UUID, ...] | None = None) -> Plan:
    plan = open_draft(citizen_ids)
    plan.assign_coordinator(coordinator=ANNE, actor=ANNE, effective_at=OPENED_AT)
    plan.collect_events()
    return plan


def on_hold() -> Plan:
    plan = active()
    plan.put_on_hold(reason="citizen in hospital", actor=ANNE, effective_at=LATER)
    plan.collect_events()
    return plan


def set_goal(
    plan: Plan,
    *,
    due: date | None = None,
    parent_id: UUID | None = None,
    status: GoalStatus = GoalStatus.ACTIVE,
    description: str = "can take the bus alone to the job training",
    goal_id: UUID | None = None,
) -> UUID:
    goal_id = goal_id or uuid4()
    plan.set_goal(
        goal_id=goal_id,
        description=description,
        target=Target(measure="bus trips alone", value=Decimal("3"), unit="per week"),
        due=due,
        parent_id=parent_id,
        status=status,
        actor=ANNE,
        effective_at=LATER,
    )
    return goal_id


def with_goal(due: date | None = date(2026, 6, 30)) -> tuple[Plan, UUID]:
    plan = active()
    goal_id = set_goal(plan, due=due)
    plan.collect_events()
    return plan, goal_id


def with_sub_goal() -> tuple[Plan, UUID, UUID]:
    plan, parent = with_goal(due=date(2026, 6, 30))
    child = set_goal(plan, parent_id=parent, due=date(2026, 5, 31))
    plan.collect_events()
    return plan, parent, child


def include(plan: Plan, intervention_id: UUID | None = None) -> UUID:
    intervention_id = intervention_id or uuid4()
    plan.include_intervention(
        intervention_id=intervention_id,
        goal_ids=(),
        citizen_id=plan.citizen_ids[0],
        actor=ANNE,
        effective_at=LATER,
    )
    return intervention_id


def meet(
    plan: Plan,
    *,
    meeting_id: UUID | None = None,
    attendees: tuple[MeetingAttendee, ...] = (MeetingAttendee(id="anne"),),
    decisions: tuple[str, ...] = ("start the job training in April",),
    responsibilities: tuple[Responsibility, ...] = (),
    next_meeting: date | None = date(2026, 4, 1),
    effective_at: datetime = LATER,
) -> UUID:
    meeting_id = meeting_id or uuid4()
    plan.hold_meeting(
        meeting_id=meeting_id,
        attendees=attendees,
        decisions=decisions,
        responsibilities=responsibilities,
        next_meeting=next_meeting,
        actor=ANNE,
        effective_at=effective_at,
    )
    return meeting_id


def join(
    plan: Plan, participant: Actor = LARS, role: ParticipantRole = ParticipantRole.CASEWORKER
) -> None:
    plan.add_participant(
        participant=participant,
        role=role,
        shared_under_consents=plan.consent_ids,
        shared_under_law=None,
        actor=ANNE,
        effective_at=LATER,
    )


# --- opening ------------------------------------------------------------------------


def test_a_plan_opens_in_draft_with_what_it_replaces_and_its_consent() -> None:
    plan_id, citizen_id, consent_id = uuid4(), uuid4(), uuid4()

    plan = Plan.open(
        plan_id=plan_id,
        citizen_ids=(citizen_id,),
        replaces=(JOB_PLAN,),
        legal_bases=(LegalBasis.parse("LAB § 30 b"),),
        consent_ids=(consent_id,),
        actor=ANNE,
        effective_at=OPENED_AT,
    )

    [event] = plan.collect_events()
    assert type(event) is Plan.Opened
    assert event.originator_id == plan_id
    assert event.citizen_ids == (citizen_id,)
    assert event.replaces == (JOB_PLAN,)
    assert event.legal_bases == (LegalBasis.parse("LAB § 30 b"),)
    assert event.consent_ids == (consent_id,)
    assert event.actor == ANNE
    assert event.effective_at == OPENED_AT
    assert plan.status is PlanStatus.DRAFT
    assert plan.coordinator is None
    assert not plan.is_household


def test_a_plan_for_several_citizens_is_a_household_plan() -> None:
    assert open_draft((uuid4(), uuid4())).is_household


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("citizen_ids", {"citizen_ids": ()}),
        ("citizen_ids", {"citizen_ids": "duplicate"}),
        ("legal_bases", {"legal_bases": ()}),
        ("consent_ids", {"consent_ids": ()}),
        ("actor", {"actor": METTE}),
    ],
)
def test_opening_a_plan_refuses_incomplete_input(field: str, kwargs: dict[str, Any]) -> None:
    citizen_id = uuid4()
    arguments: dict[str, Any] = {
        "plan_id": uuid4(),
        "citizen_ids": (citizen_id,),
        "replaces": (),
        "legal_bases": (LegalBasis.parse("LAB § 30 b"),),
        "consent_ids": (uuid4(),),
        "actor": ANNE,
        "effective_at": OPENED_AT,
    }
    arguments.update(kwargs)
    if arguments["citizen_ids"] == "duplicate":
        arguments["citizen_ids"] = (citizen_id, citizen_id)

    error = raised(InvalidInput, lambda: Plan.open(**arguments))
    assert error.fields == field


def test_opening_a_plan_refuses_a_naive_effective_time() -> None:
    with pytest.raises(EffectiveTimeInvalid):
        Plan.open(
            plan_id=uuid4(),
            citizen_ids=(uuid4(),),
            replaces=(),
            legal_bases=(LegalBasis.parse("LAB § 30 b"),),
            consent_ids=(uuid4(),),
            actor=ANNE,
            effective_at=datetime(2026, 3, 1, 10),
        )


def test_a_command_refuses_a_naive_effective_time() -> None:
    plan = active()

    error = refused(
        plan,
        EffectiveTimeInvalid,
        lambda: plan.put_on_hold(reason="r", actor=ANNE, effective_at=datetime(2026, 3, 2, 10)),
    )
    assert error.fields == "effective_at"


def test_a_command_refuses_an_effective_time_before_the_plan_was_opened() -> None:
    plan = active()

    refused(
        plan,
        EffectiveTimeInvalid,
        lambda: set_goal_at(plan, at(2026, 2, 28)),
    )


def set_goal_at(plan: Plan, effective_at: datetime) -> None:
    plan.set_goal(goal_id=uuid4(), description="goal", actor=ANNE, effective_at=effective_at)


# --- the citizen's wishes -----------------------------------------------------------


def test_recording_the_citizens_own_wishes_and_overarching_goal() -> None:
    plan = open_draft()
    citizen_id = plan.citizen_ids[0]

    plan.record_wishes(
        citizen_id=citizen_id,
        wishes="  I want to work with animals  ",
        overarching_goal=WORK,
        actor=METTE,
        effective_at=LATER,
    )

    [event] = plan.collect_events()
    assert type(event) is Plan.CitizensWishesRecorded
    assert event.citizen_id == citizen_id
    assert event.wishes == "I want to work with animals"
    assert event.overarching_goal == WORK
    assert plan.wishes == {citizen_id: "I want to work with animals"}
    assert plan.overarching_goal == WORK


def test_wishes_are_recorded_only_for_a_citizen_in_the_plan() -> None:
    plan = open_draft()

    refused(
        plan,
        InvalidInput,
        lambda: plan.record_wishes(
            citizen_id=uuid4(), wishes="work", overarching_goal=WORK, actor=ANNE, effective_at=LATER
        ),
    )


def test_wishes_are_not_blank() -> None:
    plan = open_draft()

    refused(
        plan,
        InvalidInput,
        lambda: plan.record_wishes(
            citizen_id=plan.citizen_ids[0],
            wishes="  ",
            overarching_goal=WORK,
            actor=ANNE,
            effective_at=LATER,
        ),
    )


# --- coordinator (rule 7) -----------------------------------------------------------


def test_assigning_the_coordinator_makes_a_draft_plan_active() -> None:
    plan = open_draft()

    plan.assign_coordinator(coordinator=ANNE, actor=ANNE, effective_at=LATER)

    [event] = plan.collect_events()
    assert type(event) is Plan.CoordinatorAssigned
    assert event.coordinator == ANNE
    assert plan.status is PlanStatus.ACTIVE
    assert plan.coordinator == ANNE
    assert plan.coordinators() == (ANNE,)


def test_a_participant_assigned_as_coordinator_is_no_longer_a_participant() -> None:
    plan = open_draft()
    join(plan, LARS)
    plan.collect_events()

    plan.assign_coordinator(coordinator=LARS, actor=ANNE, effective_at=LATER)

    assert plan.coordinator == LARS
    assert "lars" not in plan.participants


def test_rule_7_a_plan_with_a_coordinator_is_handed_over_not_assigned() -> None:
    plan = active()

    error = refused(
        plan,
        CoordinatorRequired,
        lambda: plan.assign_coordinator(coordinator=LARS, actor=ANNE, effective_at=LATER),
    )
    assert error.plan_id == plan.id
    assert error.caseworker_id == "anne"


def test_the_coordinator_is_a_caseworker() -> None:
    plan = open_draft()

    refused(
        plan,
        InvalidInput,
        lambda: plan.assign_coordinator(coordinator=METTE, actor=ANNE, effective_at=LATER),
    )


def test_rule_7_handing_over_names_the_new_coordinator_and_the_reason() -> None:
    plan = active()

    plan.hand_over(
        new_coordinator=LARS, reason=" Anne moves to another team ", actor=ANNE, effective_at=LATER
    )

    [event] = plan.collect_events()
    assert type(event) is Plan.CoordinatorHandedOver
    assert event.previous_coordinator == ANNE
    assert event.new_coordinator == LARS
    assert event.reason == "Anne moves to another team"
    assert event.previous_stays_as is None
    assert plan.coordinator == LARS
    assert plan.coordinator_changes == 1
    assert "anne" not in plan.participants


def test_rule_7_a_family_coordinator_steps_back_to_a_lighter_role() -> None:
    plan = open_draft()
    plan.assign_coordinator(coordinator=KARIN, actor=KARIN, effective_at=OPENED_AT)
    plan.collect_events()

    plan.hand_over(
        new_coordinator=ANNE,
        reason="family plan built",
        previous_stays_as=ParticipantRole.FAMILY_COORDINATOR,
        actor=KARIN,
        effective_at=LATER,
    )

    [event] = plan.collect_events()
    assert type(event) is Plan.CoordinatorHandedOver
    assert event.previous_stays_as is ParticipantRole.FAMILY_COORDINATOR
    assert plan.coordinator == ANNE
    assert plan.participants["karin"].role is ParticipantRole.FAMILY_COORDINATOR
    assert plan.participants["karin"].shared_under_consents == plan.consent_ids


def test_rule_7_handing_over_to_a_participant_makes_them_coordinator_only() -> None:
    plan = active()
    join(plan, LARS, ParticipantRole.CO_COORDINATOR)
    plan.collect_events()

    plan.hand_over(new_coordinator=LARS, reason="Anne leaves", actor=ANNE, effective_at=LATER)

    assert plan.coordinator == LARS
    assert "lars" not in plan.participants
    assert plan.coordinators() == (LARS,)


def test_rule_7_handing_over_to_the_current_coordinator_is_refused() -> None:
    plan = active()

    error = refused(
        plan,
        CoordinatorRequired,
        lambda: plan.hand_over(new_coordinator=ANNE, reason="r", actor=ANNE, effective_at=LATER),
    )
    assert error.plan_id == plan.id
    assert error.caseworker_id == "anne"


@pytest.mark.parametrize("reason", ["", "   "])
def test_rule_7_handing_over_needs_a_reason(reason: str) -> None:
    plan = active()

    error = refused(
        plan,
        InvalidInput,
        lambda: plan.hand_over(new_coordinator=LARS, reason=reason, actor=ANNE, effective_at=LATER),
    )
    assert error.fields == "reason"


def test_rule_7_a_plan_without_coordinator_cannot_be_handed_over() -> None:
    plan = open_draft()

    error = refused(
        plan,
        CoordinatorRequired,
        lambda: plan.hand_over(new_coordinator=LARS, reason="r", actor=ANNE, effective_at=LATER),
    )
    assert error.plan_id == plan.id


def test_rule_7_the_new_coordinator_is_a_caseworker() -> None:
    plan = active()

    refused(
        plan,
        InvalidInput,
        lambda: plan.hand_over(new_coordinator=METTE, reason="r", actor=ANNE, effective_at=LATER),
    )


# --- participants -------------------------------------------------------------------


def test_a_caseworker_joins_the_plan_naming_what_allowed_the_sharing() -> None:
    plan = active()

    plan.add_participant(
        participant=LARS,
        role=ParticipantRole.CO_COORDINATOR,
        shared_under_consents=plan.consent_ids,
        shared_under_law=None,
        actor=ANNE,
        effective_at=LATER,
    )

    [event] = plan.collect_events()
    assert type(event) is Plan.ParticipantJoined
    assert event.participant == LARS
    assert event.role is ParticipantRole.CO_COORDINATOR
    assert event.shared_under_consents == plan.consent_ids
    assert event.shared_under_law is None
    assert plan.participants["lars"].joined_at == LATER
    assert plan.coordinators() == (ANNE, LARS)


def test_a_caseworker_may_join_under_a_legal_basis_instead_of_consent() -> None:
    plan = active()
    basis = LegalBasis.parse("SEL § 153")

    plan.add_participant(
        participant=KARIN,
        role=ParticipantRole.ADVISORY_PARTNER,
        shared_under_consents=(),
        shared_under_law=basis,
        actor=ANNE,
        effective_at=LATER,
    )

    [event] = plan.collect_events()
    assert type(event) is Plan.ParticipantJoined
    assert event.shared_under_law == basis


def test_sharing_with_a_participant_needs_a_consent_or_a_legal_basis() -> None:
    plan = active()

    refused(
        plan,
        InvalidInput,
        lambda: plan.add_participant(
            participant=LARS,
            role=ParticipantRole.CASEWORKER,
            shared_under_consents=(),
            shared_under_law=None,
            actor=ANNE,
            effective_at=LATER,
        ),
    )


@pytest.mark.parametrize("who", ["participant", "coordinator"])
def test_someone_already_in_the_plan_cannot_join_again(who: str) -> None:
    plan = active()
    join(plan, LARS)
    plan.collect_events()
    again = LARS if who == "participant" else ANNE

    error = refused(plan, IllegalTransition, lambda: join(plan, again))
    assert error.caseworker_id == again.id
    assert error.plan_id == plan.id


def test_only_caseworkers_join_as_participants() -> None:
    plan = active()

    refused(plan, InvalidInput, lambda: join(plan, METTE))


def test_a_participant_leaves_the_plan_with_a_reason() -> None:
    plan = active()
    join(plan, LARS)
    plan.collect_events()

    plan.remove_participant(
        caseworker_id="lars", reason="no longer needed", actor=ANNE, effective_at=LATER
    )

    [event] = plan.collect_events()
    assert type(event) is Plan.ParticipantLeft
    assert event.caseworker_id == "lars"
    assert event.reason == "no longer needed"
    assert "lars" not in plan.participants


def test_removing_someone_who_is_not_a_participant_is_refused() -> None:
    plan = active()

    error = refused(
        plan,
        ParticipantNotFound,
        lambda: plan.remove_participant(
            caseworker_id="anne", reason="r", actor=ANNE, effective_at=LATER
        ),
    )
    assert error.plan_id == plan.id
    assert error.caseworker_id == "anne"


def test_removing_a_participant_needs_a_reason() -> None:
    plan = active()
    join(plan, LARS)
    plan.collect_events()

    refused(
        plan,
        InvalidInput,
        lambda: plan.remove_participant(
            caseworker_id="lars", reason=" ", actor=ANNE, effective_at=LATER
        ),
    )


# --- goals and sub-goals ------------------------------------------------------------


def test_setting_a_goal_with_a_measurable_target_and_a_due_date() -> None:
    plan = active()
    goal_id = uuid4()
    target = Target(measure="bus trips alone", value=Decimal("3"), unit="per week")

    plan.set_goal(
        goal_id=goal_id,
        description="  can take the bus alone to the job training ",
        target=target,
        due=date(2026, 6, 30),
        actor=ANNE,
        effective_at=LATER,
    )

    [event] = plan.collect_events()
    assert type(event) is Plan.GoalSet
    assert event.goal_id == goal_id
    assert event.parent_id is None
    assert event.description == "can take the bus alone to the job training"
    assert event.target == target
    assert event.due == date(2026, 6, 30)
    assert event.status is GoalStatus.ACTIVE
    assert plan.goal(goal_id).status is GoalStatus.ACTIVE


def test_goals_may_be_set_while_the_plan_is_a_draft() -> None:
    plan = open_draft()

    set_goal(plan)

    assert [type(e) for e in plan.collect_events()] == [Plan.GoalSet]


@pytest.mark.parametrize("status", [GoalStatus.PROPOSED, GoalStatus.ACCEPTED, GoalStatus.ACTIVE])
def test_a_new_goal_is_proposed_accepted_or_active(status: GoalStatus) -> None:
    plan = active()

    goal_id = set_goal(plan, status=status)

    [event] = plan.collect_events()
    assert type(event) is Plan.GoalSet
    assert event.status is status
    assert plan.goal(goal_id).status is status


@pytest.mark.parametrize("status", [GoalStatus.ON_HOLD, GoalStatus.COMPLETED, GoalStatus.CANCELLED])
def test_a_new_goal_cannot_start_on_hold_or_finished(status: GoalStatus) -> None:
    plan = active()

    refused(plan, InvalidInput, lambda: set_goal(plan, status=status))


def test_a_goal_id_is_set_only_once() -> None:
    plan, goal_id = with_goal()

    error = refused(plan, IllegalTransition, lambda: set_goal(plan, goal_id=goal_id))
    assert error.goal_id == goal_id


def test_a_goal_has_a_description() -> None:
    plan = active()

    refused(plan, InvalidInput, lambda: set_goal(plan, description="  "))


def test_a_sub_goal_names_its_parent_and_is_due_no_later() -> None:
    plan, parent = with_goal(due=date(2026, 6, 30))

    child = set_goal(plan, parent_id=parent, due=date(2026, 6, 30))

    [event] = plan.collect_events()
    assert type(event) is Plan.GoalSet
    assert event.parent_id == parent
    assert [g.goal_id for g in plan.sub_goals(parent)] == [child]


def test_a_sub_goal_of_an_unknown_goal_is_refused() -> None:
    plan = active()
    unknown = uuid4()

    error = refused(plan, GoalNotFound, lambda: set_goal(plan, parent_id=unknown))
    assert error.goal_id == unknown
    assert error.plan_id == plan.id


@pytest.mark.parametrize("finish", ["complete", "cancel"])
def test_a_sub_goal_of_a_finished_goal_is_refused(finish: str) -> None:
    plan, parent = with_goal(due=None)
    if finish == "complete":
        plan.complete_goal(goal_id=parent, actor=ANNE, effective_at=LATER)
    else:
        plan.cancel_goal(goal_id=parent, reason="not relevant", actor=ANNE, effective_at=LATER)
    plan.collect_events()

    error = refused(plan, IllegalTransition, lambda: set_goal(plan, parent_id=parent))
    assert error.goal_id == parent


@pytest.mark.parametrize("due", [date(2026, 7, 1), None], ids=["later", "undated"])
def test_a_sub_goal_due_after_its_parent_is_refused(due: date | None) -> None:
    plan, parent = with_goal(due=date(2026, 6, 30))

    error = refused(plan, InvalidInput, lambda: set_goal(plan, parent_id=parent, due=due))
    assert error.fields == "due"


def test_a_sub_goal_of_an_undated_goal_may_have_any_due_date() -> None:
    plan, parent = with_goal(due=None)

    set_goal(plan, parent_id=parent, due=date(2030, 1, 1))

    assert [type(e) for e in plan.collect_events()] == [Plan.GoalSet]


def test_revising_a_goal_changes_the_given_fields_and_keeps_the_others() -> None:
    plan, goal_id = with_goal(due=date(2026, 6, 30))
    before = plan.goal(goal_id)

    plan.revise_goal(
        goal_id=goal_id,
        reason=" the citizen moved ",
        due=date(2026, 8, 31),
        status=GoalStatus.ON_HOLD,
        actor=ANNE,
        effective_at=LATER,
    )

    [event] = plan.collect_events()
    assert type(event) is Plan.GoalRevised
    assert event.goal_id == goal_id
    assert event.reason == "the citizen moved"
    assert event.due == date(2026, 8, 31)
    assert event.status is GoalStatus.ON_HOLD
    assert event.description == before.description
    assert event.target == before.target
    after = plan.goal(goal_id)
    assert after.due == date(2026, 8, 31)
    assert after.status is GoalStatus.ON_HOLD
    assert after.description == before.description


def test_revising_a_goals_description() -> None:
    plan, goal_id = with_goal()

    plan.revise_goal(
        goal_id=goal_id,
        reason="clearer",
        description=" takes the bus ",
        actor=ANNE,
        effective_at=LATER,
    )

    [event] = plan.collect_events()
    assert type(event) is Plan.GoalRevised
    assert event.description == "takes the bus"


def test_a_revision_that_changes_nothing_is_refused() -> None:
    plan, goal_id = with_goal(due=date(2026, 6, 30))
    goal = plan.goal(goal_id)

    refused(
        plan,
        InvalidInput,
        lambda: plan.revise_goal(
            goal_id=goal_id,
            reason="no change",
            description=goal.description,
            target=goal.target,
            due=goal.due,
            status=goal.status,
            actor=ANNE,
            effective_at=LATER,
        ),
    )


def test_a_revision_naming_no_fields_is_refused() -> None:
    plan, goal_id = with_goal()

    refused(
        plan,
        InvalidInput,
        lambda: plan.revise_goal(goal_id=goal_id, reason="r", actor=ANNE, effective_at=LATER),
    )


def test_a_revision_needs_a_reason() -> None:
    plan, goal_id = with_goal()

    error = refused(
        plan,
        InvalidInput,
        lambda: plan.revise_goal(
            goal_id=goal_id, reason=" ", due=date(2026, 7, 1), actor=ANNE, effective_at=LATER
        ),
    )
    assert error.fields == "reason"


@pytest.mark.parametrize("status", [GoalStatus.COMPLETED, GoalStatus.CANCELLED])
def test_a_revision_cannot_finish_a_goal(status: GoalStatus) -> None:
    plan, goal_id = with_goal()

    refused(
        plan,
        InvalidInput,
        lambda: plan.revise_goal(
            goal_id=goal_id, reason="done", status=status, actor=ANNE, effective_at=LATER
        ),
    )


def test_a_finished_goal_cannot_be_revised() -> None:
    plan, goal_id = with_goal()
    plan.complete_goal(goal_id=goal_id, actor=ANNE, effective_at=LATER)
    plan.collect_events()

    error = refused(
        plan,
        IllegalTransition,
        lambda: plan.revise_goal(
            goal_id=goal_id, reason="r", due=date(2026, 9, 1), actor=ANNE, effective_at=LATER
        ),
    )
    assert error.goal_id == goal_id


def test_revising_an_unknown_goal_is_refused() -> None:
    plan = active()
    unknown = uuid4()

    error = refused(
        plan,
        GoalNotFound,
        lambda: plan.revise_goal(
            goal_id=unknown, reason="r", due=date(2026, 9, 1), actor=ANNE, effective_at=LATER
        ),
    )
    assert error.goal_id == unknown


def test_a_sub_goal_cannot_be_revised_to_fall_due_after_its_parent() -> None:
    plan, _parent, child = with_sub_goal()

    refused(
        plan,
        InvalidInput,
        lambda: plan.revise_goal(
            goal_id=child, reason="r", due=date(2026, 7, 1), actor=ANNE, effective_at=LATER
        ),
    )


def test_a_goal_cannot_be_revised_to_fall_due_before_its_sub_goals() -> None:
    plan, parent, _child = with_sub_goal()

    refused(
        plan,
        InvalidInput,
        lambda: plan.revise_goal(
            goal_id=parent, reason="r", due=date(2026, 5, 30), actor=ANNE, effective_at=LATER
        ),
    )


def test_a_goal_may_be_revised_to_fall_due_with_its_latest_sub_goal() -> None:
    plan, parent, _child = with_sub_goal()

    plan.revise_goal(
        goal_id=parent, reason="r", due=date(2026, 5, 31), actor=ANNE, effective_at=LATER
    )

    assert plan.goal(parent).due == date(2026, 5, 31)


def test_dating_a_goal_is_refused_while_it_has_an_undated_sub_goal() -> None:
    # set_goal refuses an undated sub-goal under a dated parent; revising the parent
    # must not reach that state either.
    plan, parent = with_goal(due=None)
    set_goal(plan, parent_id=parent, due=None)
    plan.collect_events()

    refused(
        plan,
        InvalidInput,
        lambda: plan.revise_goal(
            goal_id=parent, reason="r", due=date(2026, 6, 30), actor=ANNE, effective_at=LATER
        ),
    )


def test_recording_progress_against_a_goal() -> None:
    plan, goal_id = with_goal()

    plan.record_progress(
        goal_id=goal_id,
        achievement=AchievementStatus.IMPROVING,
        measured_value=Decimal("2.5"),
        note=" took the bus twice ",
        actor=LARS,
        effective_at=LATER,
    )

    [event] = plan.collect_events()
    assert type(event) is Plan.GoalProgressRecorded
    assert event.goal_id == goal_id
    assert event.achievement is AchievementStatus.IMPROVING
    assert event.measured_value == Decimal("2.5")
    assert event.note == "took the bus twice"
    goal = plan.goal(goal_id)
    assert goal.achievement is AchievementStatus.IMPROVING
    assert goal.measured_value == Decimal("2.5")
    assert goal.progress_count == 1


def test_progress_without_a_measurement_keeps_the_last_one() -> None:
    plan, goal_id = with_goal()
    plan.record_progress(
        goal_id=goal_id,
        achievement=AchievementStatus.IMPROVING,
        measured_value=Decimal("2"),
        actor=LARS,
        effective_at=LATER,
    )

    plan.record_progress(
        goal_id=goal_id, achievement=AchievementStatus.NO_CHANGE, actor=LARS, effective_at=LATER
    )

    goal = plan.goal(goal_id)
    assert goal.measured_value == Decimal("2")
    assert goal.achievement is AchievementStatus.NO_CHANGE
    assert goal.progress_count == 2


def test_progress_against_an_unknown_goal_is_refused() -> None:
    plan = active()

    refused(
        plan,
        GoalNotFound,
        lambda: plan.record_progress(
            goal_id=uuid4(), achievement=AchievementStatus.IMPROVING, actor=LARS, effective_at=LATER
        ),
    )


def test_progress_against_a_finished_goal_is_refused() -> None:
    plan, goal_id = with_goal()
    plan.cancel_goal(goal_id=goal_id, reason="moved", actor=ANNE, effective_at=LATER)
    plan.collect_events()

    refused(
        plan,
        IllegalTransition,
        lambda: plan.record_progress(
            goal_id=goal_id, achievement=AchievementStatus.IMPROVING, actor=LARS, effective_at=LATER
        ),
    )


def test_completing_a_goal_records_its_achievement() -> None:
    plan, goal_id = with_goal()

    plan.complete_goal(
        goal_id=goal_id, achievement=AchievementStatus.NOT_ACHIEVED, actor=ANNE, effective_at=LATER
    )

    [event] = plan.collect_events()
    assert type(event) is Plan.GoalCompleted
    assert event.goal_id == goal_id
    assert event.achievement is AchievementStatus.NOT_ACHIEVED
    assert plan.goal(goal_id).status is GoalStatus.COMPLETED


def test_a_goal_is_achieved_when_completed_unless_told_otherwise() -> None:
    plan, goal_id = with_goal()

    plan.complete_goal(goal_id=goal_id, actor=ANNE, effective_at=LATER)

    [event] = plan.collect_events()
    assert type(event) is Plan.GoalCompleted
    assert event.achievement is AchievementStatus.ACHIEVED


def test_cancelling_a_goal_records_the_reason() -> None:
    plan, goal_id = with_goal()

    plan.cancel_goal(goal_id=goal_id, reason=" not relevant ", actor=ANNE, effective_at=LATER)

    [event] = plan.collect_events()
    assert type(event) is Plan.GoalCancelled
    assert event.goal_id == goal_id
    assert event.reason == "not relevant"
    assert plan.goal(goal_id).status is GoalStatus.CANCELLED


def test_cancelling_a_goal_needs_a_reason() -> None:
    plan, goal_id = with_goal()

    refused(
        plan,
        InvalidInput,
        lambda: plan.cancel_goal(goal_id=goal_id, reason="", actor=ANNE, effective_at=LATER),
    )


@pytest.mark.parametrize("finish", ["complete", "cancel"])
def test_a_goal_with_open_sub_goals_cannot_be_finished(finish: str) -> None:
    plan, parent, child = with_sub_goal()

    def command() -> None:
        if finish == "complete":
            plan.complete_goal(goal_id=parent, actor=ANNE, effective_at=LATER)
        else:
            plan.cancel_goal(goal_id=parent, reason="r", actor=ANNE, effective_at=LATER)

    error = refused(plan, IllegalTransition, command)
    assert error.goal_id == parent
    assert error.sub_goal_ids == (child,)


def test_a_goal_is_completed_once_its_sub_goals_are_finished() -> None:
    plan, parent, child = with_sub_goal()
    plan.complete_goal(goal_id=child, actor=ANNE, effective_at=LATER)
    plan.collect_events()

    plan.complete_goal(goal_id=parent, actor=ANNE, effective_at=LATER)

    assert [type(e) for e in plan.collect_events()] == [Plan.GoalCompleted]
    assert plan.goal(parent).status is GoalStatus.COMPLETED


@pytest.mark.parametrize("first", ["complete", "cancel"])
@pytest.mark.parametrize("then", ["complete", "cancel"])
def test_a_finished_goal_cannot_be_finished_again(first: str, then: str) -> None:
    plan, goal_id = with_goal()

    def finish(how: str) -> None:
        if how == "complete":
            plan.complete_goal(goal_id=goal_id, actor=ANNE, effective_at=LATER)
        else:
            plan.cancel_goal(goal_id=goal_id, reason="r", actor=ANNE, effective_at=LATER)

    finish(first)
    plan.collect_events()

    error = refused(plan, IllegalTransition, lambda: finish(then))
    assert error.goal_id == goal_id


def test_finishing_an_unknown_goal_is_refused() -> None:
    plan = active()

    refused(
        plan,
        GoalNotFound,
        lambda: plan.complete_goal(goal_id=uuid4(), actor=ANNE, effective_at=LATER),
    )
    refused(
        plan,
        GoalNotFound,
        lambda: plan.cancel_goal(goal_id=uuid4(), reason="r", actor=ANNE, effective_at=LATER),
    )


# --- interventions ------------------------------------------------------------------


def test_rule_2_an_intervention_becomes_part_of_the_plan() -> None:
    plan, goal_id = with_goal()
    intervention_id = uuid4()

    plan.include_intervention(
        intervention_id=intervention_id,
        goal_ids=(goal_id,),
        citizen_id=plan.citizen_ids[0],
        actor=ANNE,
        effective_at=LATER,
    )

    [event] = plan.collect_events()
    assert type(event) is Plan.InterventionIncluded
    assert event.intervention_id == intervention_id
    assert plan.intervention_ids == (intervention_id,)


def test_an_intervention_for_a_citizen_outside_the_plan_is_refused() -> None:
    plan = active()
    stranger = uuid4()

    error = refused(
        plan,
        InterventionOutsidePlan,
        lambda: plan.include_intervention(
            intervention_id=uuid4(),
            goal_ids=(),
            citizen_id=stranger,
            actor=ANNE,
            effective_at=LATER,
        ),
    )
    assert error.citizen_id == stranger
    assert error.plan_id == plan.id


def test_an_intervention_supporting_an_unknown_goal_is_refused() -> None:
    plan = active()

    refused(
        plan,
        GoalNotFound,
        lambda: plan.include_intervention(
            intervention_id=uuid4(),
            goal_ids=(uuid4(),),
            citizen_id=plan.citizen_ids[0],
            actor=ANNE,
            effective_at=LATER,
        ),
    )


def test_an_intervention_supporting_a_finished_goal_is_refused() -> None:
    plan, goal_id = with_goal()
    plan.complete_goal(goal_id=goal_id, actor=ANNE, effective_at=LATER)
    plan.collect_events()

    refused(
        plan,
        IllegalTransition,
        lambda: plan.include_intervention(
            intervention_id=uuid4(),
            goal_ids=(goal_id,),
            citizen_id=plan.citizen_ids[0],
            actor=ANNE,
            effective_at=LATER,
        ),
    )


def test_an_intervention_is_included_only_once() -> None:
    plan = active()
    intervention_id = include(plan)
    plan.collect_events()

    error = refused(plan, IllegalTransition, lambda: include(plan, intervention_id))
    assert error.intervention_id == intervention_id


# --- coordinating meetings ----------------------------------------------------------


def test_a_coordinating_meeting_records_who_is_responsible_for_each_intervention() -> None:
    plan = active()
    first, second = include(plan), include(plan)
    plan.collect_events()
    attendees = (MeetingAttendee(id="anne"), MeetingAttendee(id="lars", sector=Sector.SOCIAL))
    responsibilities = (
        Responsibility(intervention_id=first, caseworker=LARS),
        Responsibility(intervention_id=second, caseworker=PETER),
    )

    meeting_id = meet(
        plan,
        attendees=attendees,
        decisions=(" start in April ",),
        responsibilities=responsibilities,
        next_meeting=date(2026, 4, 1),
    )

    [event] = plan.collect_events()
    assert type(event) is Plan.MeetingHeld
    assert event.meeting_id == meeting_id
    assert event.attendees == attendees
    assert event.decisions == ("start in April",)
    assert event.responsibilities == responsibilities
    assert event.next_meeting == date(2026, 4, 1)
    [meeting] = plan.meetings
    assert meeting.held_at == LATER
    assert meeting.responsibilities == responsibilities


def test_a_meeting_has_attendees() -> None:
    plan = active()

    refused(plan, InvalidInput, lambda: meet(plan, attendees=()))


def test_a_meeting_is_recorded_once() -> None:
    plan = active()
    meeting_id = meet(plan)
    plan.collect_events()

    refused(plan, IllegalTransition, lambda: meet(plan, meeting_id=meeting_id))


def test_a_meeting_cannot_make_someone_responsible_for_an_intervention_outside_the_plan() -> None:
    plan = active()
    outside = uuid4()

    error = refused(
        plan,
        InterventionOutsidePlan,
        lambda: meet(
            plan, responsibilities=(Responsibility(intervention_id=outside, caseworker=LARS),)
        ),
    )
    assert error.intervention_id == outside


def test_rule_4_a_meeting_names_one_responsible_per_intervention() -> None:
    plan = active()
    intervention_id = include(plan)
    plan.collect_events()

    refused(
        plan,
        InvalidInput,
        lambda: meet(
            plan,
            responsibilities=(
                Responsibility(intervention_id=intervention_id, caseworker=LARS),
                Responsibility(intervention_id=intervention_id, caseworker=PETER),
            ),
        ),
    )


def test_rule_4_the_responsible_named_at_a_meeting_is_a_caseworker() -> None:
    plan = active()
    intervention_id = include(plan)
    plan.collect_events()

    refused(
        plan,
        InvalidInput,
        lambda: meet(
            plan,
            responsibilities=(Responsibility(intervention_id=intervention_id, caseworker=METTE),),
        ),
    )


def test_the_next_meeting_is_not_in_the_past() -> None:
    plan = active()

    refused(plan, InvalidInput, lambda: meet(plan, next_meeting=date(2026, 3, 1)))


def test_the_next_meeting_may_be_the_same_day() -> None:
    plan = active()

    meet(plan, next_meeting=LATER.date())

    assert [type(e) for e in plan.collect_events()] == [Plan.MeetingHeld]


def test_a_meeting_decision_is_not_blank() -> None:
    plan = active()

    refused(plan, InvalidInput, lambda: meet(plan, decisions=("start in April", "  ")))


# --- delivery -----------------------------------------------------------------------


def test_delivering_the_plan_numbers_each_delivered_version() -> None:
    plan = active()

    first = plan.deliver(channel=DeliveryChannel.DIGITAL_POST, actor=ANNE, effective_at=LATER)
    second = plan.deliver(channel=DeliveryChannel.LETTER, actor=ANNE, effective_at=LATER)

    events = plan.collect_events()
    assert (first, second) == (1, 2)
    assert [type(e) for e in events] == [Plan.Delivered, Plan.Delivered]
    assert [(e.version, e.channel) for e in events if isinstance(e, Plan.Delivered)] == [
        (1, DeliveryChannel.DIGITAL_POST),
        (2, DeliveryChannel.LETTER),
    ]
    assert plan.delivered_versions == 2


def test_a_plan_on_hold_can_be_delivered() -> None:
    plan = on_hold()

    assert plan.deliver(channel=DeliveryChannel.IN_PERSON, actor=ANNE, effective_at=LATER) == 1


def test_a_draft_plan_is_not_delivered() -> None:
    plan = open_draft()

    error = refused(
        plan,
        IllegalTransition,
        lambda: plan.deliver(channel=DeliveryChannel.DIGITAL_POST, actor=ANNE, effective_at=LATER),
    )
    assert error.status is PlanStatus.DRAFT


# --- hold, resume, complete ---------------------------------------------------------


def test_putting_an_active_plan_on_hold_records_the_reason() -> None:
    plan = active()

    plan.put_on_hold(reason=" citizen in hospital ", actor=ANNE, effective_at=LATER)

    [event] = plan.collect_events()
    assert type(event) is Plan.PutOnHold
    assert event.reason == "citizen in hospital"
    assert plan.status is PlanStatus.ON_HOLD
    assert plan.hold_reason == "citizen in hospital"


def test_a_plan_on_hold_needs_a_reason() -> None:
    plan = active()

    refused(
        plan, InvalidInput, lambda: plan.put_on_hold(reason=" ", actor=ANNE, effective_at=LATER)
    )


@pytest.mark.parametrize("plan_factory", [open_draft, on_hold], ids=["draft", "on-hold"])
def test_only_an_active_plan_is_put_on_hold(plan_factory: Callable[[], Plan]) -> None:
    plan = plan_factory()

    error = refused(
        plan,
        IllegalTransition,
        lambda: plan.put_on_hold(reason="r", actor=ANNE, effective_at=LATER),
    )
    assert error.plan_id == plan.id


def test_resuming_a_plan_on_hold_makes_it_active() -> None:
    plan = on_hold()

    plan.resume(actor=ANNE, effective_at=LATER)

    assert [type(e) for e in plan.collect_events()] == [Plan.Resumed]
    assert plan.status is PlanStatus.ACTIVE
    assert plan.hold_reason is None


@pytest.mark.parametrize("plan_factory", [open_draft, active], ids=["draft", "active"])
def test_only_a_plan_on_hold_resumes(plan_factory: Callable[[], Plan]) -> None:
    plan = plan_factory()

    refused(plan, IllegalTransition, lambda: plan.resume(actor=ANNE, effective_at=LATER))


@pytest.mark.parametrize("plan_factory", [active, on_hold], ids=["active", "on-hold"])
def test_completing_a_plan_records_where_the_course_ended(plan_factory: Callable[[], Plan]) -> None:
    plan = plan_factory()

    plan.complete(outcome=PlanOutcome.EDUCATION, actor=ANNE, effective_at=LATER)

    [event] = plan.collect_events()
    assert type(event) is Plan.Completed
    assert event.outcome is PlanOutcome.EDUCATION
    assert plan.status is PlanStatus.COMPLETED
    assert plan.outcome is PlanOutcome.EDUCATION
    assert plan.closed_at == LATER


def test_a_draft_plan_cannot_be_completed() -> None:
    plan = open_draft()

    refused(
        plan,
        IllegalTransition,
        lambda: plan.complete(outcome=PlanOutcome.WORK, actor=ANNE, effective_at=LATER),
    )


# --- withdrawal and correction ------------------------------------------------------


@pytest.mark.parametrize("who", [METTE, MOTHER], ids=["citizen", "guardian"])
def test_the_citizen_or_a_guardian_withdraws_and_the_sector_plans_resume(who: Actor) -> None:
    plan = active()

    plan.withdraw(reason=" I want my old plans back ", actor=who, effective_at=LATER)

    [event] = plan.collect_events()
    assert type(event) is Plan.WithdrawnByCitizen
    assert event.actor == who
    assert event.reason == "I want my old plans back"
    assert event.sector_plans_resumed == (JOB_PLAN, SOCIAL_PLAN)
    assert plan.status is PlanStatus.REVOKED
    assert plan.closed_at == LATER


def test_a_citizen_may_withdraw_without_giving_a_reason() -> None:
    plan = active()

    plan.withdraw(reason="", actor=METTE, effective_at=LATER)

    assert [type(e) for e in plan.collect_events()] == [Plan.WithdrawnByCitizen]


def test_a_citizen_may_withdraw_a_draft_plan() -> None:
    plan = open_draft()

    plan.withdraw(reason="", actor=METTE, effective_at=LATER)

    assert plan.status is PlanStatus.REVOKED


def test_a_caseworker_cannot_withdraw_the_citizens_plan() -> None:
    plan = active()

    error = refused(
        plan, InvalidInput, lambda: plan.withdraw(reason="r", actor=ANNE, effective_at=LATER)
    )
    assert error.fields == "actor"


def test_withdrawal_keeps_the_history() -> None:
    plan, goal_id = with_goal()

    plan.withdraw(reason="", actor=METTE, effective_at=LATER)

    assert plan.goal(goal_id).status is GoalStatus.ACTIVE
    assert plan.coordinator == ANNE


@pytest.mark.parametrize("close", ["active", "completed", "revoked"])
def test_a_plan_is_entered_in_error_as_a_correction(close: str) -> None:
    plan = closed(close) if close != "active" else active()

    plan.enter_in_error(reason=" wrong citizen ", actor=ANNE, effective_at=LATER)

    [event] = plan.collect_events()
    assert type(event) is Plan.EnteredInError
    assert event.reason == "wrong citizen"
    assert plan.status is PlanStatus.ENTERED_IN_ERROR
    assert plan.closed_at == LATER


@pytest.mark.parametrize("close", ["completed", "revoked"])
def test_a_closed_plan_entered_in_error_keeps_the_day_it_closed(close: str) -> None:
    """Its case file's retention runs from the day it closed, not from the correction."""
    plan = closed(close)

    plan.enter_in_error(reason="wrong citizen", actor=ANNE, effective_at=at(2027, 6, 1))

    assert plan.status is PlanStatus.ENTERED_IN_ERROR
    assert plan.closed_at == LATER


def test_entering_in_error_needs_a_reason() -> None:
    plan = active()

    refused(
        plan, InvalidInput, lambda: plan.enter_in_error(reason=" ", actor=ANNE, effective_at=LATER)
    )


def test_a_plan_entered_in_error_is_not_entered_in_error_again() -> None:
    plan = closed("entered-in-error")

    error = refused(
        plan,
        IllegalTransition,
        lambda: plan.enter_in_error(reason="again", actor=ANNE, effective_at=LATER),
    )
    assert error.plan_id == plan.id


# --- closed plans refuse commands ---------------------------------------------------


class ClosedPlan:
    """A closed plan with a goal, a participant and an intervention from before."""

    def __init__(self, plan: Plan, goal_id: UUID, intervention_id: UUID) -> None:
        self.plan = plan
        self.goal_id = goal_id
        self.intervention_id = intervention_id


def closed(status: str) -> Plan:
    return closed_with_history(status).plan


def closed_with_history(status: str) -> ClosedPlan:
    plan, goal_id = with_goal()
    join(plan, LARS)
    intervention_id = include(plan)
    if status == "completed":
        plan.complete(outcome=PlanOutcome.WORK, actor=ANNE, effective_at=LATER)
    elif status == "revoked":
        plan.withdraw(reason="", actor=METTE, effective_at=LATER)
    else:
        plan.enter_in_error(reason="wrong citizen", actor=ANNE, effective_at=LATER)
    plan.collect_events()
    return ClosedPlan(plan, goal_id, intervention_id)


COMMANDS: dict[str, Callable[[ClosedPlan], object]] = {
    "record_wishes": lambda c: c.plan.record_wishes(
        citizen_id=c.plan.citizen_ids[0],
        wishes="work",
        overarching_goal=WORK,
        actor=METTE,
        effective_at=LATER,
    ),
    "assign_coordinator": lambda c: c.plan.assign_coordinator(
        coordinator=SOFIE, actor=ANNE, effective_at=LATER
    ),
    "hand_over": lambda c: c.plan.hand_over(
        new_coordinator=SOFIE, reason="r", actor=ANNE, effective_at=LATER
    ),
    "add_participant": lambda c: join(c.plan, SOFIE),
    "remove_participant": lambda c: c.plan.remove_participant(
        caseworker_id="lars", reason="r", actor=ANNE, effective_at=LATER
    ),
    "set_goal": lambda c: set_goal(c.plan),
    "revise_goal": lambda c: c.plan.revise_goal(
        goal_id=c.goal_id, reason="r", due=date(2026, 9, 1), actor=ANNE, effective_at=LATER
    ),
    "record_progress": lambda c: c.plan.record_progress(
        goal_id=c.goal_id, achievement=AchievementStatus.IMPROVING, actor=ANNE, effective_at=LATER
    ),
    "complete_goal": lambda c: c.plan.complete_goal(
        goal_id=c.goal_id, actor=ANNE, effective_at=LATER
    ),
    "cancel_goal": lambda c: c.plan.cancel_goal(
        goal_id=c.goal_id, reason="r", actor=ANNE, effective_at=LATER
    ),
    "include_intervention": lambda c: include(c.plan),
    "hold_meeting": lambda c: meet(c.plan),
    "deliver": lambda c: c.plan.deliver(
        channel=DeliveryChannel.DIGITAL_POST, actor=ANNE, effective_at=LATER
    ),
    "put_on_hold": lambda c: c.plan.put_on_hold(reason="r", actor=ANNE, effective_at=LATER),
    "resume": lambda c: c.plan.resume(actor=ANNE, effective_at=LATER),
    "complete": lambda c: c.plan.complete(outcome=PlanOutcome.WORK, actor=ANNE, effective_at=LATER),
    "withdraw": lambda c: c.plan.withdraw(reason="", actor=METTE, effective_at=LATER),
}


@pytest.mark.parametrize("status", ["completed", "revoked", "entered-in-error"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_closed_plan_refuses_every_command(status: str, command: str) -> None:
    history = closed_with_history(status)
    plan = history.plan

    error = refused(plan, IllegalTransition, lambda: COMMANDS[command](history))
    assert error.plan_id == plan.id
    assert error.status is PlanStatus(status)
