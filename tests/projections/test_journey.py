"""The citizen's journey: a timeline of every contact and change on their record, and
the caseworkers and sectors they have met (the evaluations' "56 caseworkers")."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from oneplan.aggregates import EVENT_CLASSES
from oneplan.aggregates.access import AccessRecord
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.projections.base import Route, codec
from oneplan.projections.journey import CaseworkerMet, JourneyState, JourneyView
from oneplan.values import (
    AccessedItem,
    AchievementStatus,
    Actor,
    ActorKind,
    BudgetArea,
    ConsentGiver,
    DeliveryChannel,
    DependencyType,
    DisclosureBasis,
    InformationCategory,
    InterventionOutcome,
    Law,
    LegalBasis,
    MeetingAttendee,
    Money,
    OverarchingGoal,
    OverarchingGoalKind,
    ParticipantRole,
    Period,
    PlanOutcome,
    Sector,
    SectorPlanRef,
)
from tests.builders import ANNE, HOUSING, KARIN, LARS, PETER, at

VIEW = JourneyView()
METTE = Actor(id="mette", kind=ActorKind.CITIZEN)
OLE = Actor.caseworker("ole", Sector.SOCIAL, Law.SEL)
REGISTERED_AT = at(2026, 3, 1)


def fold(key: UUID, events: Iterable[Any], route: Route | None) -> JourneyState:
    """The citizen's row after the events routed to it."""
    state = VIEW.initial(str(key))
    for event in events:
        if str(key) in VIEW.keys(event, route):
            state = VIEW.evolve(state, event)
    return state


class Course:
    """A citizen's record, plan and interventions, driven through the aggregates; the
    events stay pending and are folded by ``journey``."""

    def __init__(self, *citizens: UUID, coordinator: Actor | None = KARIN) -> None:
        self.citizen_ids = citizens or (uuid4(),)
        self.citizen = Citizen.register(
            citizen_id=self.citizen_ids[0],
            name="Mette",
            birth_date=date(1984, 5, 2),
            actor=ANNE,
            effective_at=REGISTERED_AT,
        )
        self.plan = Plan.open(
            plan_id=uuid4(),
            citizen_ids=self.citizen_ids,
            replaces=(),
            legal_bases=(LegalBasis.parse("LAB § 30 b"),),
            consent_ids=(uuid4(),),
            actor=ANNE,
            effective_at=REGISTERED_AT,
        )
        if coordinator is not None:
            self.plan.assign_coordinator(
                coordinator=coordinator, actor=ANNE, effective_at=REGISTERED_AT
            )
        self.interventions: list[Intervention] = []

    @property
    def route(self) -> Route:
        return Route(plan_id=self.plan.id, citizen_ids=self.citizen_ids)

    def propose(self, responsible: Actor = LARS, *, actor: Actor = ANNE) -> Intervention:
        intervention = Intervention.propose(
            intervention_id=uuid4(),
            plan_id=self.plan.id,
            citizen_id=self.citizen_ids[0],
            sector=Sector.SOCIAL,
            legal_basis=LegalBasis.parse("SEL § 85"),
            title="Support contact person",
            goal_ids=(),
            responsible=responsible,
            planned_period=Period(start=date(2026, 3, 1), end=date(2026, 12, 31)),
            planned_cost=Money.dkk("12000.00"),
            budget_area=BudgetArea.SERVICE,
            actor=actor,
            effective_at=at(2026, 3, 2),
        )
        self.interventions.append(intervention)
        return intervention

    def events(self) -> list[Any]:
        return [
            *self.citizen.pending_events,
            *self.plan.pending_events,
            *(e for i in self.interventions for e in i.pending_events),
        ]

    def journey(self, citizen_id: UUID | None = None) -> JourneyState:
        return fold(citizen_id or self.citizen_ids[0], self.events(), self.route)


def met(state: JourneyState) -> list[str]:
    return [c.caseworker_id for c in state.caseworkers]


# --- caseworkers met ----------------------------------------------------------------


def test_a_caseworker_acting_on_the_record_is_met() -> None:
    course = Course(coordinator=None)
    course.plan.set_goal(
        goal_id=uuid4(), description="work", actor=PETER, effective_at=at(2026, 3, 4)
    )

    journey = course.journey()

    assert met(journey) == ["anne", "peter"]
    assert journey.caseworkers[1] == CaseworkerMet(
        caseworker_id="peter",
        sector=Sector.EMPLOYMENT,
        first_met=at(2026, 3, 4),
        first_met_through="Plan.GoalSet",
    )


def test_a_citizen_acting_on_the_record_is_a_contact_but_not_a_caseworker_met() -> None:
    course = Course(coordinator=None)
    course.plan.withdraw(reason="no thanks", actor=METTE, effective_at=at(2026, 3, 4))

    journey = course.journey()

    assert met(journey) == ["anne"]
    assert journey.entries[-1].actor_id == "mette"
    assert journey.entries[-1].actor_kind is ActorKind.CITIZEN


def test_a_caseworker_made_responsible_for_an_intervention_is_met() -> None:
    course = Course(coordinator=None)
    course.propose(responsible=LARS, actor=ANNE)

    journey = course.journey()

    assert met(journey) == ["anne", "lars"]
    assert journey.caseworkers[1].first_met_through == "Intervention.Proposed"


def test_a_caseworker_given_an_intervention_by_reassignment_is_met() -> None:
    course = Course(coordinator=None)
    intervention = course.propose(responsible=LARS)
    intervention.reassign_responsible(
        new_responsible=OLE, reason="Lars moved team", actor=ANNE, effective_at=at(2026, 3, 9)
    )

    journey = course.journey()

    assert met(journey) == ["anne", "lars", "ole"]
    assert journey.caseworkers[-1].first_met == at(2026, 3, 9)
    assert journey.entries[-1].summary == "Responsibility moved from lars to ole"


def test_the_coordinator_assigned_and_both_sides_of_a_hand_over_are_met() -> None:
    course = Course(coordinator=KARIN)
    course.plan.hand_over(
        new_coordinator=PETER,
        reason="the family plan is built",
        actor=ANNE,
        effective_at=at(2026, 4, 1),
    )

    journey = course.journey()

    assert met(journey) == ["anne", "karin", "peter"]
    assert journey.caseworkers[1].first_met_through == "Plan.CoordinatorAssigned"
    assert journey.caseworkers[2].first_met_through == "Plan.CoordinatorHandedOver"


def test_a_coordinator_handing_over_counts_as_met_even_if_not_seen_before() -> None:
    course = Course(coordinator=KARIN)
    course.plan.hand_over(
        new_coordinator=PETER, reason="moved", actor=ANNE, effective_at=at(2026, 4, 1)
    )
    hand_over = course.plan.pending_events[-1]

    journey = VIEW.evolve(VIEW.initial(str(course.citizen_ids[0])), hand_over)

    assert met(journey) == ["anne", "karin", "peter"]


def test_a_caseworker_joining_the_plan_as_a_participant_is_met() -> None:
    course = Course(coordinator=ANNE)
    course.plan.add_participant(
        participant=HOUSING,
        role=ParticipantRole.ADVISORY_PARTNER,
        shared_under_consents=course.plan.consent_ids,
        shared_under_law=None,
        actor=ANNE,
        effective_at=at(2026, 3, 5),
    )

    journey = course.journey()

    assert met(journey) == ["anne", "hanne"]
    assert journey.caseworkers[1].sector is Sector.HOUSING
    assert journey.entries[-1].summary == "hanne joined the plan as advisory-partner"


def test_caseworkers_at_a_coordinating_meeting_are_met_but_not_the_citizen() -> None:
    course = Course(coordinator=ANNE)
    course.plan.hold_meeting(
        meeting_id=uuid4(),
        attendees=(
            MeetingAttendee(id="anne", sector=Sector.EMPLOYMENT),
            MeetingAttendee(id="sofie", sector=Sector.HEALTH),
            MeetingAttendee(id="mette", kind=ActorKind.CITIZEN),
            MeetingAttendee(id="mother", kind=ActorKind.GUARDIAN),
        ),
        decisions=("physiotherapy first",),
        responsibilities=(),
        next_meeting=None,
        actor=ANNE,
        effective_at=at(2026, 3, 10),
    )

    journey = course.journey()

    assert met(journey) == ["anne", "sofie"]
    assert journey.caseworkers[1] == CaseworkerMet(
        caseworker_id="sofie",
        sector=Sector.HEALTH,
        first_met=at(2026, 3, 10),
        first_met_through="Plan.MeetingHeld",
    )
    assert journey.entries[-1].summary == "Coordinating meeting held with 4 attendees"


def test_a_caseworker_met_again_is_counted_once_from_when_first_met() -> None:
    course = Course(coordinator=KARIN)
    course.plan.set_goal(goal_id=uuid4(), description="x", actor=KARIN, effective_at=at(2026, 3, 3))
    course.propose(responsible=KARIN)
    course.plan.hold_meeting(
        meeting_id=uuid4(),
        attendees=(MeetingAttendee(id="karin", sector=Sector.CHILDREN_AND_FAMILY),),
        decisions=(),
        responsibilities=(),
        next_meeting=None,
        actor=KARIN,
        effective_at=at(2026, 3, 10),
    )

    journey = course.journey()

    assert met(journey) == ["anne", "karin"]
    assert journey.caseworker_count == 2
    assert journey.caseworkers[1].first_met == REGISTERED_AT


def test_the_sectors_are_those_of_the_caseworkers_met_in_first_met_order() -> None:
    course = Course(coordinator=KARIN)
    course.propose(responsible=LARS)
    course.plan.add_participant(
        participant=PETER,
        role=ParticipantRole.CASEWORKER,
        shared_under_consents=course.plan.consent_ids,
        shared_under_law=None,
        actor=KARIN,
        effective_at=at(2026, 3, 5),
    )
    course.plan.hold_meeting(
        meeting_id=uuid4(),
        attendees=(MeetingAttendee(id="sofie", sector=Sector.HEALTH),),
        decisions=(),
        responsibilities=(),
        next_meeting=None,
        actor=KARIN,
        effective_at=at(2026, 3, 10),
    )

    journey = course.journey()

    assert met(journey) == ["anne", "karin", "peter", "sofie", "lars"]
    assert journey.sectors == (
        Sector.EMPLOYMENT,
        Sector.CHILDREN_AND_FAMILY,
        Sector.HEALTH,
        Sector.SOCIAL,
    )


def test_the_caseworker_count_never_decreases() -> None:
    course = Course(coordinator=KARIN)
    course.plan.add_participant(
        participant=LARS,
        role=ParticipantRole.CASEWORKER,
        shared_under_consents=course.plan.consent_ids,
        shared_under_law=None,
        actor=KARIN,
        effective_at=at(2026, 3, 3),
    )
    intervention = course.propose(responsible=OLE)
    course.plan.remove_participant(
        caseworker_id="lars", reason="done", actor=KARIN, effective_at=at(2026, 3, 6)
    )
    course.plan.hand_over(
        new_coordinator=PETER, reason="moved", actor=KARIN, effective_at=at(2026, 3, 7)
    )
    intervention.cancel(reason="not needed", actor=ANNE, effective_at=at(2026, 3, 8))
    course.plan.enter_in_error(reason="wrong citizen", actor=PETER, effective_at=at(2026, 3, 9))

    state = VIEW.initial(str(course.citizen_ids[0]))
    counts = []
    for event in course.events():
        if str(state.citizen_id) in VIEW.keys(event, course.route):
            state = VIEW.evolve(state, event)
            counts.append(state.caseworker_count)

    assert counts == sorted(counts)
    assert counts[-1] == 5


# --- the timeline --------------------------------------------------------------------


def test_an_entry_says_what_happened_who_did_it_and_when() -> None:
    course = Course(coordinator=ANNE)
    goal_id = uuid4()
    course.plan.set_goal(
        goal_id=goal_id, description="take the bus alone", actor=PETER, effective_at=at(2026, 3, 4)
    )
    event = course.plan.pending_events[-1]

    entry = course.journey().entries[-1]

    assert entry.what == "Plan.GoalSet"
    assert entry.summary == "Goal set: take the bus alone"
    assert (entry.actor_id, entry.actor_kind, entry.actor_sector) == (
        "peter",
        ActorKind.CASEWORKER,
        Sector.EMPLOYMENT,
    )
    assert entry.effective_at == at(2026, 3, 4)
    assert entry.recorded_at == event.timestamp
    assert entry.plan_id == course.plan.id
    assert entry.intervention_id is None


def test_a_hand_over_reads_from_whom_to_whom() -> None:
    course = Course(coordinator=KARIN)
    course.plan.hand_over(
        new_coordinator=ANNE, reason="moved", actor=KARIN, effective_at=at(2026, 4, 1)
    )

    assert course.journey().entries[-1].summary == "Coordinator handed over from karin to anne"


def test_intervention_events_routed_to_the_citizen_are_on_the_timeline_with_their_plan() -> None:
    course = Course(coordinator=ANNE)
    intervention = course.propose()
    intervention.grant(decision_id=uuid4(), actor=LARS, effective_at=at(2026, 3, 3))
    intervention.start(dependency_statuses={}, actor=LARS, effective_at=at(2026, 3, 4))
    intervention.pause(reason="back pain", actor=LARS, effective_at=at(2026, 3, 5))

    journey = course.journey()

    tail = journey.entries[-4:]
    assert [e.what for e in tail] == [
        "Intervention.Proposed",
        "Intervention.Granted",
        "Intervention.Started",
        "Intervention.Paused",
    ]
    assert tail[-1].summary == "Intervention paused: back pain"
    assert {e.intervention_id for e in tail} == {intervention.id}
    assert {e.plan_id for e in tail} == {course.plan.id}
    assert journey.intervention_plans == {intervention.id: course.plan.id}


def test_the_citizens_own_events_are_on_their_timeline() -> None:
    course = Course(coordinator=None)
    citizen = course.citizen
    citizen.grant_consent(
        consent_id=uuid4(),
        recipient_sectors=(Sector.SOCIAL, Sector.EMPLOYMENT),
        categories=(InformationCategory.GOALS,),
        purpose="one coordinated plan",
        period=Period(start=date(2026, 3, 1)),
        given_by=(ConsentGiver(kind=ActorKind.CITIZEN),),
        actor=ANNE,
        effective_at=at(2026, 3, 1),
    )
    citizen.join_plan(plan_id=course.plan.id, actor=ANNE, effective_at=at(2026, 3, 1))

    journey = fold(citizen.id, citizen.pending_events, None)

    assert [e.what for e in journey.entries] == [
        "Citizen.Registered",
        "Citizen.ConsentGranted",
        "Citizen.JoinedPlan",
    ]
    assert journey.entries[1].summary == (
        "Consent given to share with employment, social: one coordinated plan"
    )
    assert journey.entries[2].plan_id == course.plan.id


def test_a_household_plans_events_are_on_every_members_journey() -> None:
    adult, child = uuid4(), uuid4()
    course = Course(adult, child, coordinator=KARIN)

    adults, childs = course.journey(adult), course.journey(child)

    assert [e.what for e in childs.entries] == ["Plan.Opened", "Plan.CoordinatorAssigned"]
    assert childs.entries == adults.entries[-2:]
    assert adults.entries[0].what == "Citizen.Registered"


def test_an_event_naming_another_citizen_leaves_the_row_as_it_is() -> None:
    course = Course(coordinator=None)
    someone_else = VIEW.initial(str(uuid4()))

    for event in (course.citizen.pending_events[0], course.plan.pending_events[0]):
        assert VIEW.evolve(someone_else, event) is someone_else


def test_every_citizen_plan_and_intervention_event_is_on_the_journey_but_no_read() -> None:
    for cls in EVENT_CLASSES:
        on_the_journey = issubclass(cls, Citizen.Event | Plan.Event | Intervention.Event)
        blank: Any = object.__new__(cls)  # only its class matters to ``handles``

        assert VIEW.handles(blank) is on_the_journey, cls.__qualname__


def test_every_kind_of_event_reads_as_a_line_of_plain_english() -> None:
    course = Course(coordinator=ANNE)
    citizen, plan = course.citizen, course.plan
    consent_id = uuid4()
    citizen.grant_consent(
        consent_id=consent_id,
        recipient_sectors=(Sector.SOCIAL, Sector.HEALTH),
        categories=(InformationCategory.GOALS,),
        purpose="one coordinated plan",
        period=Period(start=date(2026, 3, 1)),
        given_by=(ConsentGiver(kind=ActorKind.CITIZEN),),
        actor=ANNE,
        effective_at=at(2026, 3, 1),
    )
    citizen.join_plan(plan_id=plan.id, actor=ANNE, effective_at=at(2026, 3, 1))
    citizen.record_social_contact_person(
        contact_person=LARS, actor=ANNE, effective_at=at(2026, 3, 2)
    )
    citizen.record_social_contact_made(
        regarding="no-show", actor=PETER, effective_at=at(2026, 3, 3)
    )
    citizen.impose_sanction(
        sanction_id=uuid4(),
        legal_basis=LegalBasis.parse("LAS § 36"),
        reason="no-show",
        actor=PETER,
        effective_at=at(2026, 3, 3),
    )
    citizen.revoke_consent(
        consent_id=consent_id,
        sectors=(Sector.HEALTH,),
        reason="private",
        actor=METTE,
        effective_at=at(2026, 3, 4),
    )
    plan.record_wishes(
        citizen_id=citizen.id,
        wishes="a job with animals",
        overarching_goal=OverarchingGoal(kind=OverarchingGoalKind.WORK),
        actor=ANNE,
        effective_at=at(2026, 3, 2),
    )
    goal, sub_goal, other = uuid4(), uuid4(), uuid4()
    plan.set_goal(
        goal_id=goal, description="take the bus alone", actor=ANNE, effective_at=at(2026, 3, 2)
    )
    plan.set_goal(
        goal_id=sub_goal,
        parent_id=goal,
        description="buy a card",
        actor=ANNE,
        effective_at=at(2026, 3, 2),
    )
    plan.set_goal(goal_id=other, description="swim", actor=ANNE, effective_at=at(2026, 3, 2))
    plan.revise_goal(
        goal_id=other,
        description="swim twice a week",
        reason="more",
        actor=ANNE,
        effective_at=at(2026, 3, 3),
    )
    plan.record_progress(
        goal_id=other,
        achievement=AchievementStatus.IMPROVING,
        note="went once",
        actor=ANNE,
        effective_at=at(2026, 3, 4),
    )
    plan.cancel_goal(goal_id=other, reason="pool closed", actor=ANNE, effective_at=at(2026, 3, 5))
    plan.add_participant(
        participant=LARS,
        role=ParticipantRole.CASEWORKER,
        shared_under_consents=(consent_id,),
        shared_under_law=None,
        actor=ANNE,
        effective_at=at(2026, 3, 2),
    )
    plan.remove_participant(
        caseworker_id="lars", reason="done", actor=ANNE, effective_at=at(2026, 3, 3)
    )
    first, second = course.propose(), course.propose()
    plan.include_intervention(
        intervention_id=first.id,
        goal_ids=(),
        citizen_id=citizen.id,
        actor=ANNE,
        effective_at=at(2026, 3, 2),
    )
    second.add_dependency(
        on_intervention_id=first.id,
        type=DependencyType.AFTER_END,
        actor=ANNE,
        effective_at=at(2026, 3, 2),
    )
    second.cancel(reason="not needed", actor=ANNE, effective_at=at(2026, 3, 3))
    first.grant(decision_id=uuid4(), actor=LARS, effective_at=at(2026, 3, 2))
    first.schedule(start_on=date(2026, 3, 9), actor=LARS, effective_at=at(2026, 3, 2))
    first.start(dependency_statuses={}, actor=LARS, effective_at=at(2026, 3, 9))
    first.pause(reason="back pain", actor=LARS, effective_at=at(2026, 3, 10))
    first.resume(actor=LARS, effective_at=at(2026, 3, 20))
    first.record_actual_cost(
        amount=Money.dkk("1250.50"),
        budget_area=BudgetArea.SERVICE,
        period=Period(start=date(2026, 3, 1), end=date(2026, 3, 31)),
        actor=LARS,
        effective_at=at(2026, 3, 31),
    )
    first.complete(outcome=InterventionOutcome.GOALS_MET, actor=LARS, effective_at=at(2026, 4, 1))
    third = course.propose()
    third.grant(decision_id=uuid4(), actor=LARS, effective_at=at(2026, 3, 2))
    third.start(dependency_statuses={}, actor=LARS, effective_at=at(2026, 3, 3))
    third.reassign_responsible(
        new_responsible=OLE, reason="leave", actor=ANNE, effective_at=at(2026, 3, 3)
    )
    third.stop(reason="moved away", actor=OLE, effective_at=at(2026, 3, 4))
    plan.hold_meeting(
        meeting_id=uuid4(),
        attendees=(MeetingAttendee(id="anne", sector=Sector.EMPLOYMENT),),
        decisions=(),
        responsibilities=(),
        next_meeting=None,
        actor=ANNE,
        effective_at=at(2026, 3, 6),
    )
    plan.deliver(channel=DeliveryChannel.DIGITAL_POST, actor=ANNE, effective_at=at(2026, 3, 6))
    plan.hand_over(new_coordinator=KARIN, reason="family", actor=ANNE, effective_at=at(2026, 3, 7))
    plan.put_on_hold(reason="hospital stay", actor=ANNE, effective_at=at(2026, 3, 7))
    plan.resume(actor=ANNE, effective_at=at(2026, 3, 8))
    plan.complete_goal(goal_id=sub_goal, actor=ANNE, effective_at=at(2026, 3, 8))
    plan.complete_goal(goal_id=goal, actor=ANNE, effective_at=at(2026, 3, 8))
    plan.complete(outcome=PlanOutcome.WORK, actor=ANNE, effective_at=at(2026, 4, 2))
    citizen.leave_plan(plan_id=plan.id, reason="", actor=ANNE, effective_at=at(2026, 4, 2))
    citizen.pay_benefit(
        benefit_id=uuid4(),
        sector=Sector.EMPLOYMENT,
        legal_basis=LegalBasis.parse("LAS § 11"),
        amount=Money.dkk("11000.00"),
        period=Period(start=date(2026, 4, 1), end=date(2026, 4, 30)),
        actor=PETER,
        effective_at=at(2026, 4, 30),
    )
    citizen.record_outcome(outcome=PlanOutcome.WORK, actor=PETER, effective_at=at(2026, 5, 1))
    holder = uuid4()
    citizen.record_custody(
        holder_id=holder, legal_basis=None, actor=KARIN, effective_at=at(2026, 5, 1)
    )
    citizen.end_custody(
        holder_id=holder, reason="a court decided", actor=KARIN, effective_at=at(2026, 5, 2)
    )
    social = SectorPlanRef(sector=Sector.SOCIAL, legal_basis=LegalBasis.parse("SEL § 141"))
    own = Intervention.propose_under_sector_plan(
        intervention_id=uuid4(),
        citizen_id=citizen.id,
        sector_plan=social,
        legal_basis=LegalBasis.parse("SEL § 85"),
        title="Support contact person",
        responsible=OLE,
        planned_period=Period(start=date(2026, 5, 1)),
        planned_cost=Money.dkk("9000.00"),
        budget_area=BudgetArea.SERVICE,
        actor=OLE,
        effective_at=at(2026, 5, 2),
    )
    course.interventions.append(own)
    citizen.include_in_sector_plan(
        intervention_id=own.id,
        sector_plan=social,
        legal_basis=own.legal_basis,
        actor=OLE,
        effective_at=at(2026, 5, 2),
    )
    own.cancel(reason="not needed", actor=OLE, effective_at=at(2026, 5, 3))
    citizen.deliver_sector_plan_to_archive(
        sector_plan=social,
        intervention_statuses={own.id: own.status},
        archive="Rigsarkivet",
        reference="A-2",
        actor=OLE,
        effective_at=at(2026, 5, 4),
    )
    withdrawn, in_error = Course(course.citizen_ids[0]), Course(course.citizen_ids[0])
    withdrawn.plan.withdraw(reason="", actor=METTE, effective_at=at(2026, 4, 3))
    in_error.plan.enter_in_error(reason="duplicate", actor=ANNE, effective_at=at(2026, 4, 3))
    plan.deliver_to_archive(
        archive="Rigsarkivet", reference="A-1", actor=ANNE, effective_at=at(2026, 4, 4)
    )
    citizen.erase(
        plan_ids=(plan.id,),
        legal_basis=None,
        reason="retention ended",
        actor=ANNE,
        effective_at=at(2026, 4, 5),
    )
    events = [*course.events(), *withdrawn.plan.pending_events, *in_error.plan.pending_events]

    journey = fold(citizen.id, events, course.route)

    summaries = {e.what: e.summary for e in journey.entries}
    expected = {
        cls.__qualname__
        for cls in EVENT_CLASSES
        if issubclass(cls, Citizen.Event | Plan.Event | Intervention.Event)
    }
    assert set(summaries) == expected
    assert all(line and line == line.strip() and "\n" not in line for line in summaries.values())
    assert summaries["Citizen.ConsentRevoked"] == "Consent revoked for health: private"
    assert summaries["Citizen.LeftPlan"] == "Left the plan"
    assert summaries["Citizen.Erased"] == "Personal data erased: retention ended"
    assert summaries["Plan.WithdrawnByCitizen"] == "Plan withdrawn by the citizen"
    assert summaries["Intervention.ActualCostRecorded"] == "Cost recorded: DKK 1,250.50 (service)"
    assert summaries["Citizen.BenefitPaid"] == (
        "Benefit paid under LAS § 11: DKK 11,000.00 (2026-04-01..2026-04-30)"
    )
    assert summaries["Citizen.OutcomeRecorded"] == "Outcome recorded: work"
    assert summaries["Citizen.CustodyRecorded"] == f"Custody recorded: held by {holder}"
    assert summaries["Citizen.CustodyEnded"] == (f"Custody held by {holder} ended: a court decided")
    assert summaries["Intervention.ProposedUnderSectorPlan"] == (
        "Intervention proposed under the social sector plan: Support contact person (SEL § 85)"
    )
    assert summaries["Citizen.InterventionIncludedInSectorPlan"] == (
        "Intervention included in the social sector plan (SEL § 141)"
    )
    assert summaries["Citizen.SectorPlanDeliveredToArchive"] == (
        "The social sector plan (SEL § 141) delivered to the archive (Rigsarkivet)"
    )
    assert summaries["Plan.Completed"] == "Plan completed: work"
    assert summaries["Plan.GoalCompleted"] == "Goal completed (achieved)"


def test_a_read_of_the_plan_is_not_a_contact_on_the_journey() -> None:
    course = Course(coordinator=ANNE)
    read = AccessRecord.sector_view_read(
        access_id=uuid4(),
        plan_id=course.plan.id,
        citizen_ids=course.citizen_ids,
        sector=Sector.SOCIAL,
        as_of=None,
        items=(AccessedItem(kind="goal", item_id="g", basis=DisclosureBasis.OWN_SECTOR),),
        reader=LARS,
        read_at=at(2026, 3, 5),
    ).pending_events[0]
    journey = course.journey()

    assert VIEW.keys(read, course.route) == ()
    assert VIEW.evolve(journey, read) is journey


# --- storage and purity --------------------------------------------------------------


def test_the_row_round_trips_through_the_codec() -> None:
    course = Course(coordinator=KARIN)
    course.propose().reassign_responsible(
        new_responsible=OLE, reason="moved", actor=ANNE, effective_at=at(2026, 3, 3)
    )
    course.plan.hold_meeting(
        meeting_id=uuid4(),
        attendees=(MeetingAttendee(id="x1"), MeetingAttendee(id="mette", kind=ActorKind.CITIZEN)),
        decisions=(),
        responsibilities=(),
        next_meeting=None,
        actor=KARIN,
        effective_at=at(2026, 3, 10),
    )
    journey = course.journey()

    assert {c.caseworker_id: c.sector for c in journey.caseworkers}["x1"] is None
    assert codec.loads(codec.dumps(journey), JourneyState) == journey


def test_evolve_leaves_the_row_it_was_given_as_it_was() -> None:
    course = Course(coordinator=KARIN)
    before = course.journey()
    snapshot = codec.dumps(before)
    intervention = course.propose(responsible=LARS)

    after = VIEW.evolve(before, intervention.pending_events[0])

    assert codec.dumps(before) == snapshot
    assert before.intervention_plans == {}
    assert after.intervention_plans == {intervention.id: course.plan.id}
    assert after.caseworker_count == before.caseworker_count + 1


def test_the_view_is_named_journey_and_keyed_by_citizen() -> None:
    course = Course(coordinator=None)
    opened = course.plan.pending_events[0]
    citizen = str(course.citizen_ids[0])

    assert VIEW.name == "journey"
    assert VIEW.state_type is JourneyState
    assert VIEW.keys(opened, None) == (citizen,)
    assert VIEW.keys(course.citizen.pending_events[0], None) == (citizen,)
