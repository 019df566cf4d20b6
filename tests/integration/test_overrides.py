"""Rule 9's overrides: a legal basis given when a caseworker is added is recorded whenever
it is given (even when a consent names their sector for some other category), their
sector sees what it covers, and the plan says on which basis each participant shares."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from oneplan import ActorKind, ConsentGiver, InformationCategory, OnePlan, Period, Sector
from oneplan.aggregates.plan import Plan
from oneplan.errors import SharingNotCovered
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
    open_plan,
    propose,
    record,
)

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
