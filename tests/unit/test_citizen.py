"""The citizen: registration, consent (BL § 110), the Randers sanction rule, one plan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from oneplan.aggregates.citizen import Citizen
from oneplan.errors import (
    AuthorityMissing,
    CitizenAlreadyInPlan,
    ConsentMissing,
    ConsentNotFound,
    EffectiveTimeInvalid,
    IllegalTransition,
    InvalidInput,
    SanctionBeforeSocialContact,
)
from oneplan.values import (
    Actor,
    ActorKind,
    ConsentGiver,
    ConsentStatus,
    InformationCategory,
    Law,
    LegalBasis,
    Period,
    Sector,
)
from tests.builders import ANNE, LARS, PETER, SOFIE, at

DAY_ONE = at(2026, 3, 1)
LATER = at(2026, 3, 2)
CITIZEN = ConsentGiver(kind=ActorKind.CITIZEN)
GUARDIAN = ConsentGiver(kind=ActorKind.GUARDIAN, name="Mother")
METTE = Actor(id="mette", kind=ActorKind.CITIZEN)
SANCTION = LegalBasis.parse("LAS § 36")
OTHER_SOCIAL_WORKER = Actor.caseworker("birgit", Sector.SOCIAL, Law.SEL)
JOBCENTRE_WITHOUT_LAS = Actor.caseworker("jonas", Sector.EMPLOYMENT, Law.LAB)


def raised(error: type[BaseException], command: Callable[[], object]) -> Any:
    """Run ``command`` and expect exactly ``error`` (not a subclass); return it."""
    with pytest.raises(error) as caught:
        command()
    assert type(caught.value) is error
    return caught.value


def refused(aggregate: Citizen, error: type[BaseException], command: Callable[[], object]) -> Any:
    """Run ``command``, expect exactly ``error``, and check that nothing was recorded."""
    version = aggregate.version
    caught = raised(error, command)
    assert aggregate.collect_events() == []
    assert aggregate.version == version
    return caught


def registered(birth_date: date = date(1984, 5, 2), effective_at: datetime = DAY_ONE) -> Citizen:
    citizen = Citizen.register(
        citizen_id=uuid4(),
        name="Mette",
        birth_date=birth_date,
        actor=ANNE,
        effective_at=effective_at,
    )
    citizen.collect_events()
    return citizen


def grant(
    citizen: Citizen,
    *,
    given_by: tuple[ConsentGiver, ...] = (CITIZEN,),
    consent_id: UUID | None = None,
    sectors: tuple[Sector, ...] = (Sector.SOCIAL, Sector.EMPLOYMENT),
    categories: tuple[InformationCategory, ...] = (InformationCategory.GOALS,),
    purpose: str = "one coordinated plan",
    effective_at: datetime = DAY_ONE,
) -> UUID:
    consent_id = consent_id or uuid4()
    citizen.grant_consent(
        consent_id=consent_id,
        recipient_sectors=sectors,
        categories=categories,
        purpose=purpose,
        period=Period(start=date(2026, 3, 1), end=date(2027, 3, 1)),
        given_by=given_by,
        actor=ANNE,
        effective_at=effective_at,
    )
    return consent_id


def with_contact_person(contacted: bool = False) -> Citizen:
    citizen = registered()
    citizen.record_social_contact_person(contact_person=LARS, actor=LARS, effective_at=DAY_ONE)
    if contacted:
        citizen.record_social_contact_made(
            regarding="planned sanction", actor=PETER, effective_at=DAY_ONE
        )
    citizen.collect_events()
    return citizen


def sanction(citizen: Citizen, *, actor: Actor = PETER, legal_basis: LegalBasis = SANCTION) -> UUID:
    sanction_id = uuid4()
    citizen.impose_sanction(
        sanction_id=sanction_id,
        legal_basis=legal_basis,
        reason="did not attend the job training",
        actor=actor,
        effective_at=LATER,
    )
    return sanction_id


# --- registration -------------------------------------------------------------------


def test_registering_a_citizen_records_name_and_birth_date() -> None:
    citizen_id = uuid4()

    citizen = Citizen.register(
        citizen_id=citizen_id,
        name="  Mette  ",
        birth_date=date(1984, 5, 2),
        actor=ANNE,
        effective_at=DAY_ONE,
    )

    [event] = citizen.collect_events()
    assert type(event) is Citizen.Registered
    assert event.originator_id == citizen_id
    assert event.name == "Mette"
    assert event.birth_date == date(1984, 5, 2)
    assert event.actor == ANNE
    assert event.effective_at == DAY_ONE
    assert citizen.began_at == DAY_ONE
    assert citizen.plan_id is None


def test_a_citizen_cannot_be_born_after_registration() -> None:
    error = raised(
        InvalidInput,
        lambda: Citizen.register(
            citizen_id=uuid4(),
            name="Mette",
            birth_date=date(2026, 3, 2),
            actor=ANNE,
            effective_at=DAY_ONE,
        ),
    )
    assert error.fields == "birth_date"


def test_a_citizen_born_on_the_day_of_registration_is_registered() -> None:
    citizen = Citizen.register(
        citizen_id=uuid4(),
        name="Baby",
        birth_date=date(2026, 3, 1),
        actor=ANNE,
        effective_at=DAY_ONE,
    )

    assert type(citizen.collect_events()[0]) is Citizen.Registered


def test_a_citizen_needs_a_name() -> None:
    error = raised(
        InvalidInput,
        lambda: Citizen.register(
            citizen_id=uuid4(),
            name="   ",
            birth_date=date(1984, 5, 2),
            actor=ANNE,
            effective_at=DAY_ONE,
        ),
    )
    assert error.fields == "name"


def test_registration_refuses_a_naive_effective_time() -> None:
    with pytest.raises(EffectiveTimeInvalid):
        Citizen.register(
            citizen_id=uuid4(),
            name="Mette",
            birth_date=date(1984, 5, 2),
            actor=ANNE,
            effective_at=datetime(2026, 3, 1, 10),
        )


def test_a_command_refuses_a_naive_effective_time() -> None:
    citizen = registered()

    refused(
        citizen,
        EffectiveTimeInvalid,
        lambda: grant(citizen, effective_at=datetime(2026, 3, 2, 10)),
    )


def test_a_command_refuses_an_effective_time_before_the_course_began() -> None:
    citizen = registered()

    error = refused(
        citizen, EffectiveTimeInvalid, lambda: grant(citizen, effective_at=at(2026, 2, 28))
    )
    assert error.fields == "effective_at"


def test_a_command_may_take_effect_at_the_moment_the_course_began() -> None:
    citizen = registered()

    grant(citizen, effective_at=DAY_ONE)

    assert type(citizen.collect_events()[0]) is Citizen.ConsentGranted


# --- consent ------------------------------------------------------------------------


def test_granting_consent_records_who_may_receive_what() -> None:
    citizen = registered()
    consent_id = uuid4()

    citizen.grant_consent(
        consent_id=consent_id,
        recipient_sectors=(Sector.SOCIAL, Sector.EMPLOYMENT, Sector.SOCIAL),
        categories=(InformationCategory.GOALS, InformationCategory.COSTS),
        purpose="  one coordinated plan ",
        period=Period(start=date(2026, 3, 1), end=date(2027, 3, 1)),
        given_by=(CITIZEN,),
        actor=ANNE,
        effective_at=LATER,
    )

    [event] = citizen.collect_events()
    assert type(event) is Citizen.ConsentGranted
    assert event.consent_id == consent_id
    assert event.recipient_sectors == (Sector.EMPLOYMENT, Sector.SOCIAL)
    assert event.categories == (InformationCategory.COSTS, InformationCategory.GOALS)
    assert event.purpose == "one coordinated plan"
    assert event.given_by == (CITIZEN,)
    consent = citizen.consent(consent_id)
    assert consent.status is ConsentStatus.ACTIVE
    assert consent.granted_at == LATER
    assert citizen.consents_covering(Sector.SOCIAL, InformationCategory.GOALS, LATER) == (
        consent_id,
    )
    assert citizen.consents_covering(Sector.HEALTH, InformationCategory.GOALS, LATER) == ()
    assert citizen.consents_covering(Sector.SOCIAL, InformationCategory.HEALTH, LATER) == ()


def test_the_same_consent_cannot_be_granted_twice() -> None:
    citizen = registered()
    consent_id = grant(citizen)
    citizen.collect_events()

    error = refused(citizen, IllegalTransition, lambda: grant(citizen, consent_id=consent_id))
    assert error.consent_id == consent_id
    assert error.citizen_id == citizen.id


@pytest.mark.parametrize(
    ("sectors", "categories"),
    [((), (InformationCategory.GOALS,)), ((Sector.SOCIAL,), ())],
)
def test_a_consent_names_sectors_and_categories(
    sectors: tuple[Sector, ...], categories: tuple[InformationCategory, ...]
) -> None:
    citizen = registered()

    refused(
        citizen,
        InvalidInput,
        lambda: grant(citizen, sectors=sectors, categories=categories),
    )


def test_a_consent_names_its_purpose() -> None:
    citizen = registered()

    refused(citizen, InvalidInput, lambda: grant(citizen, purpose="  "))


def test_an_adult_consents_themself() -> None:
    citizen = registered(birth_date=date(1984, 5, 2))

    grant(citizen, given_by=(CITIZEN,))

    assert [type(e) for e in citizen.collect_events()] == [Citizen.ConsentGranted]


def test_an_adult_may_consent_through_a_guardian() -> None:
    citizen = registered(birth_date=date(1984, 5, 2))

    grant(citizen, given_by=(GUARDIAN,))

    assert [type(e) for e in citizen.collect_events()] == [Citizen.ConsentGranted]


def test_a_consent_naming_nobody_who_gave_it_is_refused() -> None:
    citizen = registered(birth_date=date(1984, 5, 2))

    error = refused(citizen, ConsentMissing, lambda: grant(citizen, given_by=()))
    assert error.citizen_id == citizen.id


def test_bl_110_a_child_under_16_consents_through_a_holder_of_custody() -> None:
    citizen = registered(birth_date=date(2010, 6, 1))  # 15 on DAY_ONE

    grant(citizen, given_by=(GUARDIAN,))

    assert [type(e) for e in citizen.collect_events()] == [Citizen.ConsentGranted]


def test_bl_110_a_child_under_16_cannot_consent_alone() -> None:
    citizen = registered(birth_date=date(2010, 6, 1))  # 15 on DAY_ONE

    error = refused(citizen, ConsentMissing, lambda: grant(citizen, given_by=(CITIZEN,)))
    assert error.citizen_id == citizen.id


@pytest.mark.parametrize("birth_date", [date(2010, 3, 1), date(2008, 6, 1)], ids=["16", "17"])
def test_bl_110_a_child_of_16_or_17_consents_with_a_holder_of_custody(birth_date: date) -> None:
    citizen = registered(birth_date=birth_date)

    grant(citizen, given_by=(GUARDIAN, CITIZEN))

    assert [type(e) for e in citizen.collect_events()] == [Citizen.ConsentGranted]


@pytest.mark.parametrize("birth_date", [date(2010, 3, 1), date(2008, 6, 1)], ids=["16", "17"])
@pytest.mark.parametrize("given_by", [(GUARDIAN,), (CITIZEN,)], ids=["guardian", "child"])
def test_bl_110_a_child_of_16_or_17_and_the_holder_of_custody_must_both_consent(
    birth_date: date, given_by: tuple[ConsentGiver, ...]
) -> None:
    citizen = registered(birth_date=birth_date)

    error = refused(citizen, ConsentMissing, lambda: grant(citizen, given_by=given_by))
    assert error.citizen_id == citizen.id


def test_bl_110_age_is_counted_on_the_day_the_consent_is_given() -> None:
    citizen = registered(birth_date=date(2010, 3, 2))  # 15 on DAY_ONE, 16 the day after

    grant(citizen, given_by=(GUARDIAN,), effective_at=DAY_ONE)
    assert [type(e) for e in citizen.collect_events()] == [Citizen.ConsentGranted]

    refused(
        citizen, ConsentMissing, lambda: grant(citizen, given_by=(GUARDIAN,), effective_at=LATER)
    )


def test_bl_110_no_longer_applies_from_the_18th_birthday() -> None:
    citizen = registered(birth_date=date(2008, 3, 1))  # 18 on DAY_ONE

    grant(citizen, given_by=(CITIZEN,))

    assert [type(e) for e in citizen.collect_events()] == [Citizen.ConsentGranted]


def test_bl_110_applies_the_day_before_the_18th_birthday() -> None:
    citizen = registered(birth_date=date(2008, 3, 2))  # 17 on DAY_ONE

    refused(citizen, ConsentMissing, lambda: grant(citizen, given_by=(CITIZEN,)))


def test_revoking_a_whole_consent_makes_it_inactive() -> None:
    citizen = registered()
    consent_id = grant(citizen)
    citizen.collect_events()

    citizen.revoke_consent(
        consent_id=consent_id, reason=" changed my mind ", actor=METTE, effective_at=LATER
    )

    [event] = citizen.collect_events()
    assert type(event) is Citizen.ConsentRevoked
    assert event.consent_id == consent_id
    assert event.sectors == ()
    assert event.reason == "changed my mind"
    consent = citizen.consent(consent_id)
    assert consent.status is ConsentStatus.INACTIVE
    assert consent.revoked_at == LATER
    assert citizen.consents_covering(Sector.SOCIAL, None, LATER) == ()
    assert citizen.consents_covering(Sector.SOCIAL, None, DAY_ONE) == (consent_id,)


def test_revoking_a_consent_for_some_sectors_keeps_the_rest() -> None:
    citizen = registered()
    consent_id = grant(citizen, sectors=(Sector.SOCIAL, Sector.EMPLOYMENT, Sector.HEALTH))
    citizen.collect_events()

    citizen.revoke_consent(
        consent_id=consent_id,
        sectors=(Sector.HEALTH, Sector.EMPLOYMENT),
        reason="",
        actor=METTE,
        effective_at=LATER,
    )

    [event] = citizen.collect_events()
    assert type(event) is Citizen.ConsentRevoked
    assert event.sectors == (Sector.EMPLOYMENT, Sector.HEALTH)
    consent = citizen.consent(consent_id)
    assert consent.status is ConsentStatus.ACTIVE
    assert consent.recipient_sectors == frozenset({Sector.SOCIAL})
    assert citizen.consents_covering(Sector.HEALTH, None, LATER) == ()


def test_revoking_every_sector_of_a_consent_revokes_the_whole_consent() -> None:
    citizen = registered()
    consent_id = grant(citizen, sectors=(Sector.SOCIAL,))
    citizen.collect_events()

    citizen.revoke_consent(
        consent_id=consent_id, sectors=(Sector.SOCIAL,), reason="", actor=METTE, effective_at=LATER
    )

    assert citizen.consent(consent_id).status is ConsentStatus.INACTIVE


def test_revoking_an_unknown_consent_is_refused() -> None:
    citizen = registered()
    unknown = uuid4()

    error = refused(
        citizen,
        ConsentNotFound,
        lambda: citizen.revoke_consent(
            consent_id=unknown, reason="", actor=METTE, effective_at=LATER
        ),
    )
    assert error.consent_id == unknown
    assert error.citizen_id == citizen.id


def test_a_revoked_consent_cannot_be_revoked_again() -> None:
    citizen = registered()
    consent_id = grant(citizen)
    citizen.revoke_consent(consent_id=consent_id, reason="", actor=METTE, effective_at=LATER)
    citizen.collect_events()

    error = refused(
        citizen,
        IllegalTransition,
        lambda: citizen.revoke_consent(
            consent_id=consent_id, reason="", actor=METTE, effective_at=LATER
        ),
    )
    assert error.consent_id == consent_id


def test_revoking_a_consent_for_a_sector_it_does_not_cover_is_refused() -> None:
    citizen = registered()
    consent_id = grant(citizen, sectors=(Sector.SOCIAL,))
    citizen.collect_events()

    error = refused(
        citizen,
        IllegalTransition,
        lambda: citizen.revoke_consent(
            consent_id=consent_id,
            sectors=(Sector.HEALTH,),
            reason="",
            actor=METTE,
            effective_at=LATER,
        ),
    )
    assert error.consent_id == consent_id


# --- social contact person and the Randers sanction rule ----------------------------


def test_recording_the_social_services_contact_person() -> None:
    citizen = registered()

    citizen.record_social_contact_person(contact_person=LARS, actor=LARS, effective_at=LATER)

    [event] = citizen.collect_events()
    assert type(event) is Citizen.SocialContactPersonRecorded
    assert event.contact_person == LARS
    assert citizen.social_contact_person == LARS


@pytest.mark.parametrize("contact", [PETER, SOFIE, METTE], ids=["employment", "health", "citizen"])
def test_the_contact_person_is_of_the_social_sector(contact: Actor) -> None:
    citizen = registered()

    refused(
        citizen,
        InvalidInput,
        lambda: citizen.record_social_contact_person(
            contact_person=contact, actor=LARS, effective_at=LATER
        ),
    )


def test_recording_the_same_contact_person_again_is_refused() -> None:
    citizen = with_contact_person()

    error = refused(
        citizen,
        IllegalTransition,
        lambda: citizen.record_social_contact_person(
            contact_person=LARS, actor=LARS, effective_at=LATER
        ),
    )
    assert error.citizen_id == citizen.id


def test_recording_contact_with_the_contact_person() -> None:
    citizen = with_contact_person()

    citizen.record_social_contact_made(
        regarding=" planned sanction ", actor=PETER, effective_at=LATER
    )

    [event] = citizen.collect_events()
    assert type(event) is Citizen.SocialContactPersonContacted
    assert event.contact_person_id == "lars"
    assert event.regarding == "planned sanction"
    assert event.actor == PETER


def test_contact_cannot_be_made_when_no_contact_person_is_recorded() -> None:
    citizen = registered()

    error = refused(
        citizen,
        IllegalTransition,
        lambda: citizen.record_social_contact_made(
            regarding="planned sanction", actor=PETER, effective_at=LATER
        ),
    )
    assert error.citizen_id == citizen.id


def test_contact_names_what_it_was_about() -> None:
    citizen = with_contact_person()

    refused(
        citizen,
        InvalidInput,
        lambda: citizen.record_social_contact_made(regarding=" ", actor=PETER, effective_at=LATER),
    )


def test_randers_sanction_is_refused_before_the_contact_person_is_contacted() -> None:
    citizen = with_contact_person(contacted=False)

    error = refused(citizen, SanctionBeforeSocialContact, lambda: sanction(citizen))
    assert error.citizen_id == citizen.id
    assert error.contact_person_id == "lars"


def test_randers_sanction_is_imposed_once_the_contact_person_is_contacted() -> None:
    citizen = with_contact_person(contacted=True)

    sanction_id = sanction(citizen)

    [event] = citizen.collect_events()
    assert type(event) is Citizen.SanctionImposed
    assert event.sanction_id == sanction_id
    assert event.legal_basis == SANCTION
    assert event.reason == "did not attend the job training"
    assert event.actor == PETER
    assert citizen.sanction_ids == (sanction_id,)


def test_randers_one_contact_allows_one_sanction() -> None:
    citizen = with_contact_person(contacted=True)
    first = sanction(citizen)
    citizen.collect_events()

    refused(citizen, SanctionBeforeSocialContact, lambda: sanction(citizen))

    citizen.record_social_contact_made(regarding="second sanction", actor=PETER, effective_at=LATER)
    second = sanction(citizen)
    assert [type(e) for e in citizen.collect_events()] == [
        Citizen.SocialContactPersonContacted,
        Citizen.SanctionImposed,
    ]
    assert citizen.sanction_ids == (first, second)


def test_randers_a_new_contact_person_must_be_contacted_afresh() -> None:
    citizen = with_contact_person(contacted=True)
    citizen.record_social_contact_person(
        contact_person=OTHER_SOCIAL_WORKER, actor=LARS, effective_at=LATER
    )
    citizen.collect_events()

    error = refused(citizen, SanctionBeforeSocialContact, lambda: sanction(citizen))
    assert error.contact_person_id == "birgit"


def test_randers_rule_does_not_apply_without_a_contact_person() -> None:
    citizen = registered()

    sanction(citizen)

    assert [type(e) for e in citizen.collect_events()] == [Citizen.SanctionImposed]


@pytest.mark.parametrize("actor", [LARS, SOFIE], ids=["social", "health"])
def test_only_the_employment_authority_sanctions(actor: Actor) -> None:
    citizen = with_contact_person(contacted=True)

    error = refused(citizen, AuthorityMissing, lambda: sanction(citizen, actor=actor))
    assert error.citizen_id == citizen.id
    assert error.caseworker_id == actor.id


def test_a_citizen_cannot_sanction() -> None:
    citizen = with_contact_person(contacted=True)

    error = refused(citizen, AuthorityMissing, lambda: sanction(citizen, actor=METTE))
    assert error.caseworker_id == "mette"


@pytest.mark.parametrize("basis", ["SEL § 85", "BL § 32", "SUL § 140"])
def test_sanctions_are_imposed_only_under_las_or_lab(basis: str) -> None:
    citizen = with_contact_person(contacted=True)
    # ANNE is an employment caseworker who also holds SEL authority.
    error = refused(
        citizen,
        AuthorityMissing,
        lambda: sanction(citizen, actor=ANNE, legal_basis=LegalBasis.parse(basis)),
    )
    assert error.caseworker_id == "anne"


def test_sanctioning_needs_authority_under_the_law_sanctioned_under() -> None:
    citizen = with_contact_person(contacted=True)

    error = refused(
        citizen, AuthorityMissing, lambda: sanction(citizen, actor=JOBCENTRE_WITHOUT_LAS)
    )
    assert error.caseworker_id == "jonas"


def test_a_sanction_under_lab_by_a_lab_caseworker_is_imposed() -> None:
    citizen = with_contact_person(contacted=True)

    sanction(citizen, actor=JOBCENTRE_WITHOUT_LAS, legal_basis=LegalBasis.parse("LAB § 30 b"))

    assert [type(e) for e in citizen.collect_events()] == [Citizen.SanctionImposed]


def test_a_sanction_names_its_reason() -> None:
    citizen = with_contact_person(contacted=True)

    refused(
        citizen,
        InvalidInput,
        lambda: citizen.impose_sanction(
            sanction_id=uuid4(), legal_basis=SANCTION, reason="  ", actor=PETER, effective_at=LATER
        ),
    )


# --- one plan at a time -------------------------------------------------------------


def test_joining_a_plan() -> None:
    citizen = registered()
    plan_id = uuid4()

    citizen.join_plan(plan_id=plan_id, actor=ANNE, effective_at=LATER)

    [event] = citizen.collect_events()
    assert type(event) is Citizen.JoinedPlan
    assert event.plan_id == plan_id
    assert citizen.plan_id == plan_id


def test_rule_1_a_citizen_in_a_plan_cannot_join_another() -> None:
    citizen = registered()
    plan_id = uuid4()
    citizen.join_plan(plan_id=plan_id, actor=ANNE, effective_at=LATER)
    citizen.collect_events()

    error = refused(
        citizen,
        CitizenAlreadyInPlan,
        lambda: citizen.join_plan(plan_id=uuid4(), actor=ANNE, effective_at=LATER),
    )
    assert error.citizen_id == citizen.id
    assert error.plan_id == plan_id


def test_leaving_a_plan_keeps_it_in_the_citizens_history() -> None:
    citizen = registered()
    plan_id = uuid4()
    citizen.join_plan(plan_id=plan_id, actor=ANNE, effective_at=LATER)
    citizen.collect_events()

    citizen.leave_plan(plan_id=plan_id, reason="withdrawn", actor=METTE, effective_at=LATER)

    [event] = citizen.collect_events()
    assert type(event) is Citizen.LeftPlan
    assert event.plan_id == plan_id
    assert event.reason == "withdrawn"
    assert citizen.plan_id is None
    assert citizen.past_plan_ids == (plan_id,)


def test_after_leaving_a_plan_the_citizen_may_join_a_new_one() -> None:
    citizen = registered()
    first, second = uuid4(), uuid4()
    citizen.join_plan(plan_id=first, actor=ANNE, effective_at=LATER)
    citizen.leave_plan(plan_id=first, reason="completed", actor=ANNE, effective_at=LATER)
    citizen.collect_events()

    citizen.join_plan(plan_id=second, actor=ANNE, effective_at=LATER)

    assert [type(e) for e in citizen.collect_events()] == [Citizen.JoinedPlan]
    assert citizen.plan_id == second


@pytest.mark.parametrize("in_plan", [True, False], ids=["in another plan", "in no plan"])
def test_leaving_a_plan_the_citizen_is_not_in_is_refused(in_plan: bool) -> None:
    citizen = registered()
    if in_plan:
        citizen.join_plan(plan_id=uuid4(), actor=ANNE, effective_at=LATER)
        citizen.collect_events()
    other = uuid4()

    error = refused(
        citizen,
        IllegalTransition,
        lambda: citizen.leave_plan(plan_id=other, reason="", actor=ANNE, effective_at=LATER),
    )
    assert error.plan_id == other
    assert error.citizen_id == citizen.id
