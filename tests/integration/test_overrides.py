"""Rule 9's overrides: a legal basis given when a caseworker is added is recorded whenever
it is given (even when a consent names their sector for some other category), their
sector sees what it covers, and the plan says on which basis each participant shares."""

from __future__ import annotations

import json
from datetime import date
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from oneplan import (
    Actor,
    ActorKind,
    ConsentGiver,
    InformationCategory,
    Law,
    OnePlan,
    Period,
    Sector,
)
from oneplan.aggregates.plan import Plan
from oneplan.errors import SharingNotCovered
from oneplan.persistence import OnePlanMapper
from oneplan.projections.sector_view import SharedUnder
from oneplan.values import DisclosureBasis as Basis
from oneplan.values import LegalBasis, MeetingAttendee
from tests.builders import (
    ANNE,
    HOUSING,
    LARS,
    SOFIE,
    acting,
    at,
    auditing,
    citizen_with_consent,
    open_plan,
    propose,
    record,
)
from tests.fixtures.record_event_fixtures import FIXTURES

C = InformationCategory
RSL = LegalBasis.model_validate("RSL § 11 c")


def _cast(app: OnePlan) -> None:
    """The cast in the staff directory (named in commands)."""
    for member in (ANNE, LARS, SOFIE, HOUSING):
        acting(app, member)


def _consent_to_housing(app: OnePlan, citizen: UUID, *categories: C) -> UUID:
    return acting(app, ANNE).grant_consent(
        given_how="in-meeting",
        citizen_id=citizen,
        recipient_sectors=[Sector.HOUSING],
        categories=categories,
        purpose="a home",
        period=Period(start=date(2026, 1, 20), end=date(2028, 12, 31)),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        effective_at=at(2026, 1, 20),
    )


def _a_course(app: OnePlan) -> tuple[UUID, UUID, UUID, UUID]:
    """A plan with a goal, a social intervention, a health intervention, a progress note
    and a meeting; returns (plan, citizen, social intervention, health intervention)."""
    plan, citizen = open_plan(app)
    goal = acting(app, ANNE).set_goal(
        plan_id=plan, description="a home", effective_at=at(2026, 2, 1)
    )
    acting(app, ANNE).record_goal_progress(
        plan_id=plan, goal_id=goal, achievement="improving", note="viewed a flat"
    )
    social = propose(app, plan, citizen)
    health = propose(
        app, plan, citizen, sector=Sector.HEALTH, legal_basis="SUL § 140", responsible=SOFIE
    )
    acting(app, ANNE).hold_meeting(
        plan_id=plan,
        attendees=[MeetingAttendee(id=ANNE.id, sector=Sector.EMPLOYMENT)],
        decisions=["look for a flat together"],
        effective_at=at(2026, 2, 3),
    )
    return plan, citizen, social, health


def _joined(app: OnePlan, plan: UUID) -> list[Plan.ParticipantJoined]:
    return [e for e in record(app).history(plan) if isinstance(e, Plan.ParticipantJoined)]


def test_an_override_given_where_a_consent_names_the_sector_for_another_category_is_kept(
    app: OnePlan,
) -> None:
    _cast(app)
    plan, citizen, social, health = _a_course(app)
    health_only = _consent_to_housing(app, citizen, C.HEALTH)

    acting(app, ANNE).add_participant(
        plan_id=plan, participant=HOUSING, override_legal_basis="RSL § 11 c"
    )

    (joined,) = _joined(app, plan)
    assert joined.shared_under_consents == (health_only,)
    assert joined.shared_under_law == RSL
    participant = record(app).plan(plan).participants[HOUSING.id]
    assert (participant.shared_under_consents, participant.shared_under_law) == (
        (health_only,),
        RSL,
    )

    view = acting(app, HOUSING).sector_view(plan)
    override = {"basis": Basis.LEGAL_BASIS, "legal_basis": RSL, "consent_ids": ()}
    by_kind: dict[str, list[tuple[str, object]]] = {}
    for kind, item_id, shown in view.shown():
        by_kind.setdefault(kind, []).append((item_id, shown.allowed_by))
        assert {
            "basis": shown.allowed_by.basis,
            "legal_basis": shown.allowed_by.legal_basis,
            "consent_ids": shown.allowed_by.consent_ids,
        } == override, (kind, item_id)
    assert sorted(by_kind) == ["goal", "intervention", "meeting"]
    assert [UUID(i) for i, _ in by_kind["intervention"]] == [social]  # not health's
    assert health not in {i.item.intervention_id for i in view.withheld_interventions}
    (shown_social,) = view.interventions
    assert shown_social.withheld == ("costs",)
    assert view.notes == ()
    assert view.coordinator is None
    assert view.wishes == ()
    (mine,) = view.participants
    assert (mine.actor.id, mine.shared_under_consents, mine.shared_under_law) == (
        HOUSING.id,
        (health_only,),
        RSL,
    )
    (theirs,) = acting(app, ANNE).sector_view(plan).participants  # the coordinator sees it too
    assert theirs == mine


def test_the_access_log_names_the_override_for_what_only_it_allowed(app: OnePlan) -> None:
    _cast(app)
    plan, citizen, _, _ = _a_course(app)
    _consent_to_housing(app, citizen, C.HEALTH)
    acting(app, ANNE).add_participant(
        plan_id=plan, participant=HOUSING, override_legal_basis="RSL § 11 c"
    )

    view = acting(app, HOUSING).sector_view(plan)
    entry = auditing(app).access_log(citizen).entries[-1]
    assert entry.items == view.items()
    assert {(i.basis, i.legal_basis) for i in entry.items} == {(Basis.LEGAL_BASIS, RSL)}


def test_an_override_alone_lets_an_uncovered_sector_take_part(memory_app: OnePlan) -> None:
    app = memory_app
    _cast(app)
    plan, _, social, _ = _a_course(app)
    with pytest.raises(SharingNotCovered):
        acting(app, ANNE).add_participant(plan_id=plan, participant=HOUSING)

    acting(app, ANNE).add_participant(
        plan_id=plan, participant=HOUSING, override_legal_basis="RSL § 11 c"
    )

    (joined,) = _joined(app, plan)
    assert (joined.shared_under_consents, joined.shared_under_law) == ((), RSL)
    view = acting(app, HOUSING).sector_view(plan)
    assert [i.item.intervention_id for i in view.interventions] == [social]
    assert len(view.goals) == 1
    assert len(view.meetings) == 1
    assert all(s.allowed_by.legal_basis == RSL for _, _, s in view.shown())
    assert [(p.actor.id, p.shared_under_law) for p in view.participants] == [(HOUSING.id, RSL)]


def test_a_consent_alone_is_recorded_with_no_legal_basis(memory_app: OnePlan) -> None:
    app = memory_app
    _cast(app)
    plan, citizen, _, _ = _a_course(app)
    goals = _consent_to_housing(app, citizen, C.GOALS)

    acting(app, ANNE).add_participant(plan_id=plan, participant=HOUSING)

    (joined,) = _joined(app, plan)
    assert (joined.shared_under_consents, joined.shared_under_law) == ((goals,), None)
    view = acting(app, HOUSING).sector_view(plan)
    assert [k for k, _, _ in view.shown()] == ["goal"]
    (goal,) = view.goals
    assert goal.allowed_by.basis is Basis.CONSENT
    assert goal.allowed_by.consent_ids == (goals,)
    assert [(p.shared_under_consents, p.shared_under_law) for p in view.participants] == [
        ((goals,), None)
    ]


def test_a_consent_is_named_first_and_the_override_allows_the_rest(memory_app: OnePlan) -> None:
    app = memory_app
    _cast(app)
    plan, citizen, _, _ = _a_course(app)
    goals = _consent_to_housing(app, citizen, C.GOALS)

    acting(app, ANNE).add_participant(
        plan_id=plan, participant=HOUSING, override_legal_basis="RSL § 11 c"
    )

    view = acting(app, HOUSING).sector_view(plan)
    allowed = {kind: s.allowed_by for kind, _, s in view.shown()}
    assert allowed["goal"].consent_ids == (goals,)
    assert allowed["intervention"].legal_basis == RSL
    assert allowed["meeting"].legal_basis == RSL
    assert set(allowed) == {"goal", "intervention", "meeting"}


def test_an_override_ends_when_the_participant_leaves(memory_app: OnePlan) -> None:
    app = memory_app
    _cast(app)
    plan, _citizen, _, _ = _a_course(app)
    acting(app, ANNE).add_participant(
        plan_id=plan, participant=HOUSING, override_legal_basis="RSL § 11 c"
    )
    assert acting(app, HOUSING).sector_view(plan).goals

    acting(app, ANNE).remove_participant(plan_id=plan, caseworker_id=HOUSING.id, reason="done")

    view = acting(app, HOUSING).sector_view(plan)
    assert list(view.shown()) == []
    assert view.participants == ()


def test_a_sector_sees_only_its_own_participants_and_the_coordinator_sees_all(
    memory_app: OnePlan,
) -> None:
    app = memory_app
    _cast(app)
    plan, _, _, _ = _a_course(app)
    acting(app, ANNE).add_participant(plan_id=plan, participant=LARS)
    acting(app, ANNE).add_participant(
        plan_id=plan, participant=HOUSING, override_legal_basis="RSL § 11 c"
    )

    assert [p.actor.id for p in acting(app, LARS).sector_view(plan).participants] == [LARS.id]
    assert [p.actor.id for p in acting(app, HOUSING).sector_view(plan).participants] == [HOUSING.id]
    assert [p.actor.id for p in acting(app, ANNE).sector_view(plan).participants] == [
        LARS.id,
        HOUSING.id,
    ]


def test_costs_a_consent_covers_travel_with_an_intervention_the_override_shows(
    memory_app: OnePlan,
) -> None:
    app = memory_app
    _cast(app)
    plan, citizen, social, _ = _a_course(app)
    costs = _consent_to_housing(app, citizen, C.COSTS)

    acting(app, ANNE).add_participant(
        plan_id=plan, participant=HOUSING, override_legal_basis="RSL § 11 c"
    )

    (shown,) = acting(app, HOUSING).sector_view(plan).interventions
    assert shown.item.intervention_id == social
    assert shown.withheld == ()
    assert shown.item.planned_cost is not None
    assert (shown.allowed_by.basis, shown.allowed_by.legal_basis) == (Basis.LEGAL_BASIS, RSL)
    assert shown.allowed_by.consent_ids == (costs,)


HANS = Actor.caseworker("hans", Sector.HOUSING, Law.ABL)
"""A colleague of the housing coordinator: reads as the housing sector, coordinates nothing."""


def test_an_override_given_when_handing_over_is_recorded_and_covers_the_coordinators_sector(
    app: OnePlan,
) -> None:
    _cast(app)
    acting(app, HANS)
    plan, citizen, social, _ = _a_course(app)
    health_only = _consent_to_housing(app, citizen, C.HEALTH)

    acting(app, ANNE).hand_over_coordinator(
        plan_id=plan,
        new_coordinator=HOUSING,
        reason="the home is what matters now",
        override_legal_basis="RSL § 11 c",
    )

    (handed,) = [e for e in record(app).history(plan) if isinstance(e, Plan.CoordinatorHandedOver)]
    assert handed.shared_under_consents == (health_only,)
    assert handed.shared_under_law == RSL
    colleague = acting(app, HANS).sector_view(plan)
    assert colleague.coordinator_shared_under == SharedUnder((health_only,), RSL)
    assert [i.item.intervention_id for i in colleague.interventions] == [social]
    allowed = {
        (kind, s.allowed_by.basis, s.allowed_by.legal_basis) for kind, _, s in colleague.shown()
    }
    assert allowed == {
        ("goal", Basis.LEGAL_BASIS, RSL),
        ("intervention", Basis.LEGAL_BASIS, RSL),
        ("meeting", Basis.LEGAL_BASIS, RSL),
        ("coordinator", Basis.OWN_SECTOR, None),
    }
    assert acting(app, LARS).sector_view(plan).coordinator_shared_under is None

    acting(app, HOUSING).hand_over_coordinator(plan_id=plan, new_coordinator=ANNE, reason="back")

    assert [k for k, _, _ in acting(app, HANS).sector_view(plan).shown()] == []


def test_an_override_given_when_assigning_the_coordinator_is_recorded(memory_app: OnePlan) -> None:
    app = memory_app
    _cast(app)
    citizen, consent = citizen_with_consent(app)
    plan = acting(app, ANNE).open_plan(
        citizen_ids=[citizen], consent_ids=[consent], legal_bases=["LAB § 30 b"]
    )
    with pytest.raises(SharingNotCovered):
        acting(app, ANNE).assign_coordinator(plan_id=plan, coordinator=HOUSING)

    acting(app, ANNE).assign_coordinator(
        plan_id=plan, coordinator=HOUSING, override_legal_basis="RSL § 11 c"
    )

    (assigned,) = [e for e in record(app).history(plan) if isinstance(e, Plan.CoordinatorAssigned)]
    assert (assigned.shared_under_consents, assigned.shared_under_law) == ((), RSL)
    view = acting(app, HOUSING).sector_view(plan)
    assert view.coordinator_shared_under == SharedUnder((), RSL)
    (entry,) = [
        e for e in auditing(app).audit_trail(plan_id=plan) if e.action == "Plan.CoordinatorAssigned"
    ]
    assert entry.description.endswith("shared under RSL § 11 c")
    assert "RSL § 11 c" in entry.legal_bases


def test_a_coordinator_under_consent_alone_is_recorded_with_its_consents(
    memory_app: OnePlan,
) -> None:
    app = memory_app
    _cast(app)
    plan, citizen = open_plan(app)

    (assigned,) = [e for e in record(app).history(plan) if isinstance(e, Plan.CoordinatorAssigned)]
    (consent,) = record(app).citizen(citizen).consents
    assert (assigned.shared_under_consents, assigned.shared_under_law) == ((consent,), None)


@pytest.mark.parametrize("name", ["CoordinatorAssigned", "CoordinatorHandedOver"])
def test_a_coordinator_event_stored_before_version_2_loads_with_no_basis_made_up(name: str) -> None:
    fixture = json.loads(FIXTURES.read_text())[f"oneplan.aggregates.plan:Plan.{name}@v1"]
    assert "shared_under_law" not in fixture["state"]

    event = OnePlanMapper(transcoder=None).to_domain_event(  # type: ignore[arg-type]
        StoredEvent(
            originator_id=UUID(fixture["originator_id"]),
            originator_version=fixture["originator_version"],
            topic=fixture["topic"],
            state=orjson.dumps(fixture["state"]),
        )
    )

    assert type(event).__qualname__ == f"Plan.{name}"
    assert event.shared_under_consents == ()  # type: ignore[attr-defined]
    assert event.shared_under_law is None  # type: ignore[attr-defined]
