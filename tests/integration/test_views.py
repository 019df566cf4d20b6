"""Reading through the application on every storage: sector views under consent, the
access log, the citizen's plan, caseloads and journeys."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oneplan import ActorKind, ConsentGiver, InformationCategory, OnePlan, Period, Sector
from oneplan.errors import CitizenNotFound, EffectiveTimeInvalid, InvalidInput, PlanNotFound
from oneplan.values import DisclosureBasis as Basis
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
from tests.conftest import FixedClock


@pytest.fixture(autouse=True)
def _cast(app: OnePlan) -> None:
    """The cast in the staff directory before each test (they are named in commands,
    and counted stores must not see them registered)."""
    for member in (ANNE, LARS, SOFIE, HOUSING):
        acting(app, member)


def test_a_sector_sees_its_own_interventions_under_their_own_legal_basis(app: OnePlan) -> None:
    plan, citizen = open_plan(app)
    mine = propose(app, plan, citizen)

    view = acting(app, LARS).sector_view(plan, sector=Sector.SOCIAL)

    (shown,) = view.interventions
    assert shown.item.intervention_id == mine
    assert shown.allowed_by.basis is Basis.OWN_SECTOR
    assert str(shown.allowed_by.legal_basis) == "SEL § 85"


def test_another_sector_sees_nothing_of_a_plan_its_consent_does_not_cover(app: OnePlan) -> None:
    plan, citizen = open_plan(app)
    propose(app, plan, citizen)
    acting(app, ANNE).set_goal(plan_id=plan, description="in work", effective_at=at(2026, 2, 2))

    view = acting(app, HOUSING).sector_view(plan, sector=Sector.HOUSING)

    assert list(view.shown()) == []


def test_revoking_a_consent_removes_the_access_at_once(app: OnePlan, clock: FixedClock) -> None:
    plan, citizen = open_plan(app)
    propose(app, plan, citizen, sector=Sector.EMPLOYMENT, legal_basis="LAB § 32", responsible=ANNE)
    consent = record(app).citizen(citizen).consents
    (consent_id,) = consent
    assert acting(app, LARS).sector_view(plan, sector=Sector.SOCIAL).interventions

    acting(app, ANNE).revoke_consent(
        given_how="in-meeting",
        citizen_id=citizen,
        consent_id=consent_id,
        sectors=[Sector.SOCIAL],
        reason="not social services",
    )

    assert acting(app, LARS).sector_view(plan, sector=Sector.SOCIAL).interventions == ()
    opened = record(app).history(plan)[-1].timestamp
    before_revoking = acting(app, LARS).sector_view(plan, sector=Sector.SOCIAL, as_of=opened)
    assert before_revoking.interventions == ()


def test_a_consent_whose_period_has_ended_allows_nothing(app: OnePlan, clock: FixedClock) -> None:
    plan, citizen = open_plan(app)
    acting(app, ANNE).grant_consent(
        given_how="in-meeting",
        citizen_id=citizen,
        recipient_sectors=[Sector.HOUSING],
        categories=[InformationCategory.GOALS],
        purpose="housing",
        period=Period(start=date(2026, 10, 1), end=date(2026, 11, 30)),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
    )
    acting(app, ANNE).set_goal(plan_id=plan, description="a home")
    assert acting(app, HOUSING).sector_view(plan, sector=Sector.HOUSING).goals

    clock.now += timedelta(days=30)

    assert acting(app, HOUSING).sector_view(plan, sector=Sector.HOUSING).goals == ()


def test_every_read_is_logged_with_what_was_shown_and_what_allowed_it(app: OnePlan) -> None:
    plan, citizen = open_plan(app)
    propose(app, plan, citizen)
    view = acting(app, LARS).sector_view(plan, sector=Sector.SOCIAL)
    acting(app, HOUSING).sector_view(plan, sector=Sector.HOUSING)

    log = auditing(app).access_log(citizen)

    assert [(e.reader.id, e.sector) for e in log.entries] == [
        ("lars", Sector.SOCIAL),
        ("hanne", Sector.HOUSING),
    ]
    assert log.entries[0].items == view.items()
    assert log.entries[0].plan_id == plan
    assert log.entries[1].items == ()


def test_a_reader_reads_only_as_their_own_sector(app: OnePlan) -> None:
    plan, _ = open_plan(app)
    before = app.recorder.max_notification_id()

    with pytest.raises(InvalidInput):
        acting(app, LARS).sector_view(plan, sector=Sector.HEALTH)
    with pytest.raises(InvalidInput):
        acting(app, LARS).sector_view(plan, sector="nowhere")

    assert app.recorder.max_notification_id() == before


def test_reading_a_plan_that_does_not_exist_is_plan_not_found(app: OnePlan) -> None:
    from uuid import uuid4

    with pytest.raises(PlanNotFound):
        acting(app, LARS).sector_view(uuid4(), sector=Sector.SOCIAL)
    with pytest.raises(PlanNotFound):
        auditing(app).citizen_plan(uuid4())
    with pytest.raises(CitizenNotFound):
        auditing(app).journey(uuid4())


def test_a_sector_view_as_of_a_past_time_shows_the_plan_as_it_stood(app: OnePlan) -> None:
    plan, citizen = open_plan(app)
    first = propose(app, plan, citizen)
    moment = record(app).history(first)[-1].timestamp
    propose(app, plan, citizen, effective_at=at(2026, 3, 1))

    then = acting(app, LARS).sector_view(plan, sector=Sector.SOCIAL, as_of=moment)
    now = acting(app, LARS).sector_view(plan, sector=Sector.SOCIAL)

    assert [s.item.intervention_id for s in then.interventions] == [first]
    assert len(now.interventions) == 2
    assert then.as_of == moment
    with pytest.raises(EffectiveTimeInvalid):
        acting(app, LARS).sector_view(plan, sector=Sector.SOCIAL, as_of=moment.replace(tzinfo=None))


def test_the_citizens_plan_is_rendered_from_the_record(app: OnePlan) -> None:
    plan, _citizen = open_plan(app)
    acting(app, ANNE).set_goal(plan_id=plan, description="Takes the bus alone")

    danish = auditing(app).citizen_plan(plan)
    english_html = auditing(app).citizen_plan(plan, language="en", format="html")

    assert "Takes the bus alone" in danish
    assert danish.startswith("# Din plan")
    assert english_html.startswith("<!DOCTYPE html>")
    with pytest.raises(InvalidInput):
        auditing(app).citizen_plan(plan, language="fr")


def test_a_hand_over_shows_in_both_caseloads(app: OnePlan) -> None:
    plan, _citizen = open_plan(app)
    acting(app, ANNE).add_participant(plan_id=plan, participant=SOFIE)
    acting(app, ANNE).hand_over_coordinator(
        plan_id=plan, new_coordinator=LARS, reason="social needs lead"
    )

    assert auditing(app).caseload("anne").active_plans == ()
    (received,) = auditing(app).caseload("lars").hand_overs_received
    assert received.plan_id == plan
    assert app.coordinators() == ["anne", "lars"]


def test_the_journey_counts_every_caseworker_met(app: OnePlan) -> None:
    plan, citizen = open_plan(app)
    propose(app, plan, citizen)

    journey = auditing(app).journey(citizen)

    assert {c.caseworker_id for c in journey.caseworkers} == {"anne", "lars"}
    assert journey.sectors == (Sector.EMPLOYMENT, Sector.SOCIAL)
