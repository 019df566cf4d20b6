"""Events are the storage schema: every event survives the mapper exactly, bad stored
events are refused as MapperDeserialisationError, and old stored shapes are upcast."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import orjson
import pytest
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import JSONTranscoder, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import get_topic
from pydantic import BaseModel

from oneplan.aggregates.access import DISCLOSURES, AccessRecord
from oneplan.aggregates.base import OnePlanAggregate
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.aggregates.staff import StaffDirectory, StaffMember
from oneplan.persistence import OnePlanMapper
from oneplan.values import (
    AchievementStatus,
    Actor,
    ActorKind,
    BudgetArea,
    ConsentGiver,
    ContactDetails,
    DeliveryChannel,
    DependencyType,
    InformationCategory,
    InterventionOutcome,
    InterventionStatus,
    Law,
    LegalBasis,
    MeetingAttendee,
    Money,
    OverarchingGoal,
    OverarchingGoalKind,
    ParticipantRole,
    Period,
    PlanOutcome,
    Responsibility,
    Sector,
    SectorPlanRef,
    StaffRole,
    Target,
)
from tests.builders import ANNE, KARIN, LARS, PETER, at

CPH = ZoneInfo("Europe/Copenhagen")
METTE = Actor(id="mette", kind=ActorKind.CITIZEN, name="Mette")
BIRGIT = Actor.caseworker("birgit", Sector.SOCIAL, name="Birgit")


def mapper() -> OnePlanMapper:
    return OnePlanMapper(transcoder=JSONTranscoder())


# --- every event, made by real commands ---------------------------------------------


def citizen_events() -> list[DomainEventProtocol[UUID]]:
    when = datetime(2026, 1, 12, 9, 30, tzinfo=CPH)
    citizen = Citizen.register(
        citizen_id=uuid4(), name="Mette", birth_date=date(2009, 5, 2), actor=ANNE, effective_at=when
    )
    consent_id = uuid4()
    citizen.grant_consent(
        consent_id=consent_id,
        recipient_sectors=(Sector.SOCIAL, Sector.EMPLOYMENT, Sector.HEALTH),
        categories=(InformationCategory.GOALS, InformationCategory.COSTS),
        purpose="one coordinated plan",
        period=Period(start=date(2026, 1, 12), end=date(2028, 12, 31)),
        given_by=(
            ConsentGiver(kind=ActorKind.GUARDIAN, name="Mother"),
            ConsentGiver(kind=ActorKind.CITIZEN),
        ),
        actor=ANNE,
        effective_at=when,
    )
    citizen.revoke_consent(
        consent_id=consent_id,
        sectors=(Sector.HEALTH,),
        reason="not health",
        actor=METTE,
        effective_at=when,
    )
    citizen.record_social_contact_person(contact_person=LARS, actor=LARS, effective_at=when)
    citizen.record_social_contact_made(regarding="planned sanction", actor=PETER, effective_at=when)
    citizen.impose_sanction(
        sanction_id=uuid4(),
        legal_basis=LegalBasis.parse("LAS § 36"),
        reason="did not attend",
        actor=PETER,
        effective_at=when,
    )
    plan_id = uuid4()
    citizen.join_plan(plan_id=plan_id, actor=ANNE, effective_at=when)
    citizen.leave_plan(plan_id=plan_id, reason="completed", actor=ANNE, effective_at=when)
    citizen.pay_benefit(
        benefit_id=uuid4(),
        sector=Sector.EMPLOYMENT,
        legal_basis=LegalBasis.parse("LAS § 11"),
        amount=Money.dkk("11944.00"),
        period=Period(start=date(2026, 1, 1), end=date(2026, 1, 31)),
        actor=PETER,
        effective_at=when,
    )
    citizen.record_outcome(outcome=PlanOutcome.EDUCATION, actor=ANNE, effective_at=when)
    sector_plan = SectorPlanRef(
        sector=Sector.SOCIAL, legal_basis=LegalBasis.parse("SEL § 141"), reference="S-1"
    )
    effort = uuid4()
    citizen.include_in_sector_plan(
        intervention_id=effort,
        sector_plan=sector_plan,
        legal_basis=LegalBasis.parse("SEL § 85"),
        actor=LARS,
        effective_at=when,
    )
    citizen.deliver_sector_plan_to_archive(
        sector_plan=sector_plan,
        intervention_statuses={effort: InterventionStatus.COMPLETED},
        archive="Rigsarkivet",
        reference="AVID.SA.1",
        actor=LARS,
        effective_at=when,
    )
    parent = uuid4()
    citizen.record_custody(
        holder_id=parent, legal_basis=LegalBasis.parse("BL § 32"), actor=KARIN, effective_at=when
    )
    citizen.end_custody(
        holder_id=parent, reason="Mette came of age", actor=KARIN, effective_at=when
    )
    citizen.erase(
        plan_ids=(plan_id,),
        legal_basis=LegalBasis.parse("FVL § 2"),
        reason="retention ended",
        actor=ANNE,
        effective_at=when,
    )
    return list(citizen.collect_events())


def plan_events() -> list[DomainEventProtocol[UUID]]:
    when = at(2026, 1, 14)
    citizen_id = uuid4()
    plan = Plan.open(
        plan_id=uuid4(),
        citizen_ids=(citizen_id, uuid4()),
        replaces=(
            SectorPlanRef(
                sector=Sector.EMPLOYMENT,
                legal_basis=LegalBasis.parse("LAB § 30 b"),
                reference="JC-1",
            ),
        ),
        legal_bases=(LegalBasis.parse("LAB § 30 b"), LegalBasis.parse("SEL § 141 stk. 7")),
        consent_ids=(uuid4(), uuid4()),
        actor=KARIN,
        effective_at=when,
    )
    plan.record_wishes(
        citizen_id=citizen_id,
        wishes="I want to work with animals",
        overarching_goal=OverarchingGoal(
            kind=OverarchingGoalKind.PARTIAL_SELF_SUPPORT, hours_per_week=15
        ),
        actor=METTE,
        effective_at=when,
    )
    plan.assign_coordinator(coordinator=KARIN, actor=KARIN, effective_at=when)
    plan.hand_over(
        new_coordinator=ANNE,
        reason="family plan built",
        previous_stays_as=ParticipantRole.FAMILY_COORDINATOR,
        actor=KARIN,
        effective_at=when,
    )
    plan.add_participant(
        participant=LARS,
        role=ParticipantRole.CO_COORDINATOR,
        shared_under_consents=plan.consent_ids,
        shared_under_law=LegalBasis.parse("SEL § 153"),
        actor=ANNE,
        effective_at=when,
    )
    plan.remove_participant(caseworker_id="lars", reason="done", actor=ANNE, effective_at=when)
    parent, child = uuid4(), uuid4()
    plan.set_goal(
        goal_id=parent,
        description="work 15 hours a week",
        target=Target(measure="hours a week", value=Decimal("15.0"), unit="hours"),
        due=date(2026, 12, 31),
        actor=ANNE,
        effective_at=when,
    )
    plan.set_goal(
        goal_id=child,
        parent_id=parent,
        description="takes the bus alone",
        due=date(2026, 3, 31),
        actor=ANNE,
        effective_at=when,
    )
    plan.revise_goal(
        goal_id=child,
        reason="moved",
        target=Target(measure="bus trips", value=Decimal("1E+1")),
        actor=ANNE,
        effective_at=when,
    )
    plan.record_progress(
        goal_id=child,
        achievement=AchievementStatus.IMPROVING,
        measured_value=Decimal("2.50"),
        note="twice",
        actor=LARS,
        effective_at=when,
    )
    plan.record_progress(
        goal_id=child, achievement=AchievementStatus.NO_CHANGE, actor=LARS, effective_at=when
    )
    plan.complete_goal(goal_id=child, actor=ANNE, effective_at=when)
    plan.cancel_goal(goal_id=parent, reason="new direction", actor=ANNE, effective_at=when)
    intervention_id = uuid4()
    plan.include_intervention(
        intervention_id=intervention_id,
        goal_ids=(),
        citizen_id=citizen_id,
        actor=ANNE,
        effective_at=when,
    )
    plan.hold_meeting(
        meeting_id=uuid4(),
        attendees=(
            MeetingAttendee(id="anne", sector=Sector.EMPLOYMENT),
            MeetingAttendee(id="mette", kind=ActorKind.CITIZEN),
        ),
        decisions=("start in April", "meet again"),
        responsibilities=(Responsibility(intervention_id=intervention_id, caseworker=LARS),),
        next_meeting=date(2026, 4, 1),
        actor=ANNE,
        effective_at=when,
    )
    plan.deliver(channel=DeliveryChannel.DIGITAL_POST, actor=ANNE, effective_at=when)
    plan.put_on_hold(reason="hospital", actor=ANNE, effective_at=when)
    plan.resume(actor=ANNE, effective_at=when)
    plan.complete(outcome=PlanOutcome.WORK, actor=ANNE, effective_at=when)
    plan.enter_in_error(reason="wrong citizen", actor=ANNE, effective_at=when)
    plan.deliver_to_archive(
        archive="Rigsarkivet", reference="AVID.SA.18001.1", actor=ANNE, effective_at=when
    )

    withdrawn = Plan.open(
        plan_id=uuid4(),
        citizen_ids=(citizen_id,),
        replaces=(SectorPlanRef(sector=Sector.SOCIAL, legal_basis=LegalBasis.parse("SEL § 141")),),
        legal_bases=(LegalBasis.parse("SEL § 141"),),
        consent_ids=(uuid4(),),
        actor=ANNE,
        effective_at=when,
    )
    withdrawn.withdraw(reason="I want my old plans", actor=METTE, effective_at=when)
    return [*plan.collect_events(), *withdrawn.collect_events()]


def propose(**changes: Any) -> Intervention:
    fields: dict[str, Any] = {
        "intervention_id": uuid4(),
        "plan_id": uuid4(),
        "citizen_id": uuid4(),
        "sector": Sector.SOCIAL,
        "legal_basis": LegalBasis.parse("SEL § 85"),
        "title": "Support contact person",
        "goal_ids": (uuid4(), uuid4()),
        "responsible": LARS,
        "planned_period": Period(start=date(2026, 2, 1), end=date(2026, 12, 31)),
        "planned_cost": Money.dkk("12000.00"),
        "budget_area": BudgetArea.SERVICE,
        "actor": ANNE,
        "effective_at": at(2026, 2, 1),
    }
    fields.update(changes)
    return Intervention.propose(**fields)


def intervention_events() -> list[DomainEventProtocol[UUID]]:
    when = at(2026, 2, 1)
    completed = propose()
    alongside = uuid4()
    completed.add_dependency(
        on_intervention_id=alongside, type=DependencyType.CONCURRENT, actor=LARS, effective_at=when
    )
    completed.grant(decision_id=uuid4(), note="granted", actor=LARS, effective_at=when)
    completed.schedule(start_on=date(2026, 3, 1), actor=LARS, effective_at=when)
    completed.start(
        dependency_statuses={alongside: InterventionStatus.NOT_STARTED},
        actor=LARS,
        effective_at=when,
    )
    completed.pause(
        reason="hospital", expected_resume=date(2026, 4, 1), actor=LARS, effective_at=when
    )
    completed.resume(actor=LARS, effective_at=when)
    completed.reassign_responsible(
        new_responsible=BIRGIT, reason="leave", actor=LARS, effective_at=when
    )
    completed.record_actual_cost(
        amount=Money.dkk("0.10"),
        budget_area=BudgetArea.TRANSFERS,
        period=Period(start=date(2026, 2, 1)),
        actor=LARS,
        effective_at=when,
    )
    completed.complete(
        outcome=InterventionOutcome.PARTLY_MET, note="half", actor=LARS, effective_at=when
    )

    stopped = propose(planned_cost=Money.dkk(500))
    stopped.grant(decision_id=uuid4(), actor=LARS, effective_at=when)
    stopped.start(dependency_statuses={}, actor=LARS, effective_at=when)
    stopped.stop(reason="moved", actor=LARS, effective_at=when)

    cancelled = propose()
    cancelled.cancel(reason="not needed", actor=LARS, effective_at=when)
    own = Intervention.propose_under_sector_plan(
        intervention_id=uuid4(),
        citizen_id=uuid4(),
        sector_plan=SectorPlanRef(sector=Sector.SOCIAL, legal_basis=LegalBasis.parse("SEL § 141")),
        legal_basis=LegalBasis.parse("SEL § 85"),
        title="Support contact person",
        responsible=LARS,
        planned_period=Period(start=date(2026, 2, 1)),
        planned_cost=Money.dkk("9000.00"),
        budget_area=BudgetArea.SERVICE,
        actor=LARS,
        effective_at=when,
    )
    return [
        *completed.collect_events(),
        *stopped.collect_events(),
        *cancelled.collect_events(),
        *own.collect_events(),
    ]


def staff_events() -> list[DomainEventProtocol[UUID]]:
    when = datetime(2026, 1, 5, 8, tzinfo=CPH)
    admin = Actor(id="bootstrap", kind=ActorKind.SYSTEM)
    directory = StaffDirectory.bootstrap(
        first_administrator="admin", actor=admin, effective_at=when
    )
    directory.add(staff_id="birgit", actor=admin, effective_at=when)
    birgit = StaffMember.register(
        staff_id="birgit",
        name="Birgit",
        sector=Sector.SOCIAL,
        title="socialrådgiver",
        contact=ContactDetails(phone="+45 70 00 00 00", email="birgit@kommune.dk"),
        roles=(StaffRole.CASEWORKER, StaffRole.MANAGER),
        actor=ANNE,
        effective_at=when,
    )
    birgit.change_contact_details(
        name="Birgit Berg",
        title="socialrådgiver, team 2",
        contact=ContactDetails(digital_post="team2@kommune.dk", opening_hours="8-15"),
        actor=ANNE,
        effective_at=when,
    )
    birgit.grant_role(role=StaffRole.RECORDS_OFFICER, actor=ANNE, effective_at=when)
    birgit.revoke_role(role=StaffRole.MANAGER, reason="new post", actor=ANNE, effective_at=when)
    delegation = uuid4()
    birgit.delegate_authority(
        delegation_id=delegation,
        law=Law.SEL,
        basis="delegationsplan",
        period=Period(start=date(2026, 1, 5), end=date(2026, 12, 31)),
        actor=LARS,
        effective_at=when,
    )
    birgit.revoke_delegation(
        delegation_id=delegation, reason="moved team", actor=LARS, effective_at=when
    )
    birgit.leave(reason="retired", actor=ANNE, effective_at=when)
    return [*directory.collect_events(), *birgit.collect_events()]


def access_events() -> list[DomainEventProtocol[UUID]]:
    when = datetime(2026, 3, 2, 11, tzinfo=CPH)
    plan_id, citizen_id = uuid4(), uuid4()
    viewed = AccessRecord.sector_view_read(
        access_id=uuid4(),
        plan_id=plan_id,
        citizen_ids=(citizen_id,),
        sector=Sector.SOCIAL,
        as_of=when,
        items=(),
        reader=LARS,
        read_at=when,
    )
    disclosed = AccessRecord.disclosed(
        access_id=uuid4(),
        what=DISCLOSURES[0],
        plan_id=plan_id,
        citizen_ids=(citizen_id,),
        recipient="Aarhus Kommune",
        basis="consent",
        consent_ids=(uuid4(),),
        detail="as of 2026-03-01",
        reader=Actor(id="auditor", kind=ActorKind.AUDITOR),
        read_at=when,
    )
    return [*viewed.collect_events(), *disclosed.collect_events()]


ALL_EVENTS = [
    *citizen_events(),
    *plan_events(),
    *intervention_events(),
    *staff_events(),
    *access_events(),
]


def declared_events(aggregate: type[Aggregate]) -> set[type[Any]]:
    return {
        value
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, Aggregate.Event)
        and name not in ("Event", "Created")
    }


def assert_same_shape(read: Any, written: Any, path: str) -> None:
    """Equal, and of exactly the same type all the way down."""
    assert type(read) is type(written), f"{path}: {type(read).__name__} != {type(written).__name__}"
    if isinstance(written, Decimal):
        assert read.as_tuple() == written.as_tuple(), f"{path}: {read!r} != {written!r}"
    elif isinstance(written, datetime):
        assert read == written, path
        assert read.utcoffset() == written.utcoffset(), f"{path}: offset changed"
    elif isinstance(written, Enum):
        assert read is written, path
    elif isinstance(written, tuple | list):
        assert len(read) == len(written), path
        for i, (r, w) in enumerate(zip(read, written, strict=True)):
            assert_same_shape(r, w, f"{path}[{i}]")
    elif isinstance(written, BaseModel):
        for name in type(written).model_fields:
            assert_same_shape(getattr(read, name), getattr(written, name), f"{path}.{name}")
    elif dataclasses.is_dataclass(written):
        for field in dataclasses.fields(written):
            assert_same_shape(
                getattr(read, field.name), getattr(written, field.name), f"{path}.{field.name}"
            )
    else:
        assert read == written, f"{path}: {read!r} != {written!r}"


def round_trip(event: DomainEventProtocol[UUID]) -> DomainEventProtocol[UUID]:
    mapped = mapper()
    return mapped.to_domain_event(mapped.to_stored_event(event))


# --- exact round trip ---------------------------------------------------------------


@pytest.mark.parametrize(
    "aggregate", [Citizen, Plan, Intervention, StaffMember, StaffDirectory, AccessRecord]
)
def test_the_fixture_makes_every_event_class_of_every_aggregate(aggregate: type[Aggregate]) -> None:
    made = {type(e) for e in ALL_EVENTS if issubclass(type(e), aggregate.Event)}

    assert made == declared_events(aggregate)


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: type(e).__qualname__)
def test_every_event_survives_the_mapper_exactly(event: DomainEventProtocol[UUID]) -> None:
    read = round_trip(event)

    assert read == event
    assert_same_shape(read, event, type(event).__qualname__)


def test_the_shape_check_sees_a_tuple_turned_list_and_an_enum_turned_str() -> None:
    # The check above would be worthless if it passed these.
    event = next(e for e in ALL_EVENTS if type(e) is Citizen.ConsentGranted)
    as_list: dict[str, Any] = {"recipient_sectors": list(event.recipient_sectors)}
    as_str: dict[str, Any] = {"recipient_sectors": tuple(str(s) for s in event.recipient_sectors)}

    with pytest.raises(AssertionError):
        assert_same_shape(dataclasses.replace(event, **as_list), event, "e")
    with pytest.raises(AssertionError):
        assert_same_shape(dataclasses.replace(event, **as_str), event, "e")
    with pytest.raises(AssertionError):
        assert_same_shape(Decimal("12000"), Decimal("12000.00"), "amount")
    with pytest.raises(AssertionError):
        assert_same_shape(datetime(2026, 3, 1), date(2026, 3, 1), "due")


def test_money_keeps_its_exponent_through_the_mapper() -> None:
    proposed = next(e for e in ALL_EVENTS if type(e) is Intervention.Proposed)
    read = round_trip(proposed)

    assert isinstance(read, Intervention.Proposed)
    assert read.planned_cost.amount.as_tuple().exponent == -2
    assert str(read.planned_cost.amount) == "12000.00"


def test_an_effective_time_keeps_its_instant_and_offset_through_the_mapper() -> None:
    registered = next(e for e in ALL_EVENTS if type(e) is Citizen.Registered)
    read = round_trip(registered)

    assert isinstance(read, Citizen.Registered)
    assert read.effective_at == datetime(2026, 1, 12, 9, 30, tzinfo=CPH)
    assert read.effective_at.utcoffset() == CPH.utcoffset(datetime(2026, 1, 12))
    assert type(read.birth_date) is date


def test_the_stored_event_names_its_position_and_topic() -> None:
    event = ALL_EVENTS[0]

    stored = mapper().to_stored_event(event)

    assert stored.originator_id == event.originator_id
    assert stored.originator_version == event.originator_version
    assert stored.topic == get_topic(type(event))
    state = orjson.loads(stored.state)
    assert "originator_id" not in state
    assert "originator_version" not in state


# --- bad stored events --------------------------------------------------------------


def stored_registration(**state_changes: Any) -> StoredEvent:
    registered = next(e for e in ALL_EVENTS if type(e) is Citizen.Registered)
    stored = mapper().to_stored_event(registered)
    state = orjson.loads(stored.state)
    state.update(state_changes)
    return dataclasses.replace(stored, state=orjson.dumps(state))


@pytest.mark.parametrize(
    "state",
    [b"", b"not json", b'{"timestamp": ', b"\xff\xfe", b"[]", b"null", b'"text"', b"42"],
    ids=["empty", "not json", "truncated", "not utf-8", "array", "null", "string", "number"],
)
def test_a_stored_event_with_corrupt_json_is_refused(state: bytes) -> None:
    stored = dataclasses.replace(stored_registration(), state=state)

    with pytest.raises(MapperDeserialisationError):
        mapper().to_domain_event(stored)


@pytest.mark.parametrize(
    "changes",
    [
        {"birth_date": "yesterday"},
        {"birth_date": 19840502},
        {"name": 42},
        {"effective_at": "soon"},
        {"actor": {"id": "anne"}},
        {"actor": {"id": "anne", "sector": "space"}},
        {"actor": "anne"},
    ],
    ids=[
        "date text",
        "date number",
        "name number",
        "time text",
        "no sector",
        "bad sector",
        "actor text",
    ],
)
def test_a_stored_event_with_a_wrong_field_type_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(MapperDeserialisationError):
        mapper().to_domain_event(stored_registration(**changes))


def test_a_stored_event_missing_a_field_is_refused() -> None:
    stored = stored_registration()
    state = orjson.loads(stored.state)
    del state["name"]

    with pytest.raises(MapperDeserialisationError):
        mapper().to_domain_event(dataclasses.replace(stored, state=orjson.dumps(state)))


def test_a_stored_money_with_three_decimals_is_refused() -> None:
    proposed = next(e for e in ALL_EVENTS if type(e) is Intervention.Proposed)
    stored = mapper().to_stored_event(proposed)
    state = orjson.loads(stored.state)
    state["planned_cost"]["amount"] = "12000.001"

    with pytest.raises(MapperDeserialisationError):
        mapper().to_domain_event(dataclasses.replace(stored, state=orjson.dumps(state)))


def test_a_stored_enum_outside_the_vocabulary_is_refused() -> None:
    proposed = next(e for e in ALL_EVENTS if type(e) is Intervention.Proposed)
    stored = mapper().to_stored_event(proposed)
    state = orjson.loads(stored.state)
    state["budget_area"] = "lottery"

    with pytest.raises(MapperDeserialisationError):
        mapper().to_domain_event(dataclasses.replace(stored, state=orjson.dumps(state)))


# --- upcasting old stored shapes ----------------------------------------------------


class Referral(OnePlanAggregate):
    """A test-only aggregate whose event schema changed twice."""

    class Noted(OnePlanAggregate.Event):
        """v1 stored ``to: str``; v2 renamed it ``sector: Sector``; v3 added ``urgent``."""

        class_version = 3

        sector: Sector
        urgent: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["sector"] = state.pop("to")

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["urgent"] = False

    class Sent(OnePlanAggregate.Event):
        """v1 had no channel; v2 records it, defaulting old events to a letter."""

        class_version = 2

        channel: DeliveryChannel

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["channel"] = DeliveryChannel.LETTER.value


OLD_ID = UUID("0b8a3a4e-6d1f-4c1e-9a55-3c2f1e0d9b11")
OLD_ACTOR = (
    b'"actor":{"id":"anne","kind":"caseworker","sector":"employment",'
    b'"authorities":["LAB","LAS","SEL"],"name":""},'
    b'"effective_at":"2024-05-01T10:00:00Z"'
)


def old_stored(event_class: type[Any], state: bytes) -> StoredEvent:
    """A stored event as an older oneplan wrote it (v1 states carry no class_version)."""
    return StoredEvent(
        originator_id=OLD_ID, originator_version=2, topic=get_topic(event_class), state=state
    )


def test_a_v1_stored_event_is_upcast_to_v2_on_read() -> None:
    stored = old_stored(Referral.Sent, b'{"timestamp":"2024-05-01T10:00:01Z",' + OLD_ACTOR + b"}")

    event = mapper().to_domain_event(stored)

    assert type(event) is Referral.Sent
    assert event.channel is DeliveryChannel.LETTER
    assert event.originator_id == OLD_ID
    assert event.originator_version == 2
    assert event.actor == ANNE
    assert event.effective_at == at(2024, 5, 1)


def test_a_v1_stored_event_is_upcast_through_the_whole_chain() -> None:
    stored = old_stored(
        Referral.Noted, b'{"timestamp":"2024-05-01T10:00:01Z",' + OLD_ACTOR + b',"to":"social"}'
    )

    event = mapper().to_domain_event(stored)

    assert type(event) is Referral.Noted
    assert event.sector is Sector.SOCIAL
    assert event.urgent is False


def test_a_v2_stored_event_is_upcast_only_from_v2() -> None:
    stored = old_stored(
        Referral.Noted,
        b'{"timestamp":"2024-05-01T10:00:01Z",'
        + OLD_ACTOR
        + b',"sector":"health","class_version":2}',
    )

    event = mapper().to_domain_event(stored)

    assert type(event) is Referral.Noted
    assert event.sector is Sector.HEALTH
    assert event.urgent is False


def test_an_event_of_the_current_version_is_stored_with_its_version_and_not_upcast() -> None:
    referral = Referral._begin(
        Referral.Created, id=uuid4(), actor=ANNE, effective_at=at(2026, 1, 1)
    )
    referral.trigger_event(
        Referral.Noted, actor=ANNE, effective_at=at(2026, 1, 1), sector=Sector.HEALTH, urgent=True
    )
    [_created, noted] = referral.collect_events()

    stored = mapper().to_stored_event(noted)
    read = mapper().to_domain_event(stored)

    assert orjson.loads(stored.state)["class_version"] == 3
    assert read == noted
    assert_same_shape(read, noted, "Noted")
    assert isinstance(read, Referral.Noted)
    assert read.urgent is True


def test_an_upcast_that_cannot_read_the_old_shape_is_refused() -> None:
    stored = old_stored(
        Referral.Noted, b'{"timestamp":"2024-05-01T10:00:01Z",' + OLD_ACTOR + b',"sector":"social"}'
    )  # claims v1, but has no "to"

    with pytest.raises(MapperDeserialisationError):
        mapper().to_domain_event(stored)
