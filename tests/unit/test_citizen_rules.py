"""The citizen's rules, pinned exactly: consent (BL § 110), the Randers sanction rule,
benefits, sector plans as case files, erasure, one plan at a time; which command
refuses what, with which typed error and ids, and what each accepted command records
(found by mutation testing of ``aggregates/citizen.py``; see the README, Development)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

import pytest

from oneplan.aggregates.citizen import Citizen, Consent
from oneplan.errors import (
    AuthorityMissing,
    CitizenAlreadyInPlan,
    CitizenErased,
    ConsentMissing,
    ConsentNotFound,
    IllegalTransition,
    LegalBasisOutsideSector,
    RetentionNotEnded,
    SanctionBeforeSocialContact,
    SectorPlanNotFound,
    SectorPlanReplaced,
)
from oneplan.values import (
    Actor,
    ActorKind,
    ConsentGiver,
    ConsentStatus,
    InformationCategory,
    InterventionStatus,
    Law,
    LegalBasis,
    Money,
    Period,
    PlanOutcome,
    Sector,
    SectorPlanRef,
)
from tests.builders import ANNE, LARS, PETER, SOFIE, at
from tests.unit.refusals import invalid, recorded, refusal

S = InterventionStatus
CITIZEN = UUID(int=21)
CONSENT = UUID(int=22)
PLAN = UUID(int=23)
OTHER_PLAN = UUID(int=24)
INTERVENTION = UUID(int=25)
OTHER_INTERVENTION = UUID(int=26)
SANCTION = UUID(int=27)
BENEFIT = UUID(int=28)
REGISTERED_AT = at(2026, 1, 12)
LATER = at(2026, 1, 13)
METTE = Actor(id="mette", kind=ActorKind.CITIZEN)
BIRGIT = Actor.caseworker("birgit", Sector.SOCIAL, Law.SEL)
CITIZEN_GAVE = (ConsentGiver(kind=ActorKind.CITIZEN),)
GUARDIAN_GAVE = (ConsentGiver(kind=ActorKind.GUARDIAN),)
BOTH_GAVE = CITIZEN_GAVE + GUARDIAN_GAVE
KONTANTHJAELP = LegalBasis.parse("LAS § 11")
SOCIAL_PLAN = SectorPlanRef(
    sector=Sector.SOCIAL, legal_basis=LegalBasis.parse("SEL § 141"), reference="S-1"
)
MONTH = Period(start=date(2026, 1, 1), end=date(2026, 1, 31))


def registered(birth_date: date = date(1984, 5, 2)) -> Citizen:
    citizen = Citizen.register(
        citizen_id=CITIZEN,
        name="Mette",
        birth_date=birth_date,
        actor=ANNE,
        effective_at=REGISTERED_AT,
    )
    citizen.collect_events()
    return citizen


def with_consent() -> Citizen:
    citizen = registered()
    citizen.grant_consent(
        consent_id=CONSENT,
        recipient_sectors=(Sector.SOCIAL, Sector.EMPLOYMENT),
        categories=tuple(InformationCategory),
        purpose="one plan",
        period=Period(start=date(2026, 1, 12), end=date(2026, 12, 31)),
        given_by=CITIZEN_GAVE,
        actor=ANNE,
        effective_at=REGISTERED_AT,
    )
    citizen.collect_events()
    return citizen


def with_contact_person(contacted: bool = False) -> Citizen:
    citizen = registered()
    citizen.record_social_contact_person(contact_person=LARS, actor=ANNE, effective_at=LATER)
    if contacted:
        citizen.record_social_contact_made(regarding="sanction", actor=ANNE, effective_at=LATER)
    citizen.collect_events()
    return citizen


def with_sector_plan() -> Citizen:
    citizen = registered()
    citizen.include_in_sector_plan(
        intervention_id=INTERVENTION,
        sector_plan=SOCIAL_PLAN,
        legal_basis=LegalBasis.parse("SEL § 85"),
        actor=LARS,
        effective_at=LATER,
    )
    citizen.collect_events()
    return citizen


def erased() -> Citizen:
    citizen = registered()
    citizen.erase(
        plan_ids=(), legal_basis=None, reason="retention ended", actor=ANNE, effective_at=LATER
    )
    citizen.collect_events()
    return citizen


# --- registration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("birth_date", {"birth_date": date(2026, 1, 13)}),
        ("cpr", {"cpr": "0205841234"}),
        ("name", {"name": " "}),
    ],
    ids=["born-tomorrow", "cpr-of-another-day", "blank-name"],
)
def test_a_citizen_is_registered_born_by_today_with_a_matching_cpr_and_a_name(
    field: str, changes: dict[str, Any]
) -> None:
    arguments: dict[str, Any] = {
        "citizen_id": CITIZEN,
        "name": "Mette",
        "birth_date": date(1984, 5, 1),
        "actor": ANNE,
        "effective_at": REGISTERED_AT,
    } | changes
    invalid(None, lambda: Citizen.register(**arguments), name="RegisterCitizen", field=field)


def test_a_citizen_born_today_with_their_cpr_number_is_registered_with_it() -> None:
    citizen = Citizen.register(
        citizen_id=CITIZEN,
        name=" Mette ",
        birth_date=date(2026, 1, 12),
        cpr="1201264321",
        actor=ANNE,
        effective_at=REGISTERED_AT,
    )
    [found] = citizen.collect_events()
    event: Any = found
    assert (event.name, event.birth_date, event.cpr) == ("Mette", date(2026, 1, 12), "1201264321")
    assert (citizen.name, citizen.cpr) == ("Mette", "1201264321")


def test_a_fresh_citizen_has_no_consent_contact_sanction_plan_or_outcome() -> None:
    citizen = registered()
    assert citizen.cpr is None
    assert citizen.social_contact_person is None
    assert citizen.social_contact_made_since_last_sanction is False
    assert citizen.erased is False
    assert citizen.outcome is None
    assert (citizen.plan_id, citizen.past_plan_ids, citizen.sanction_ids) == (None, (), ())
    assert (citizen.consents, citizen.sector_plans, citizen.benefits_paid) == ({}, {}, 0)


# --- consent (rule 1, BL § 110) ------------------------------------------------------


def grant(citizen: Citizen, **changes: Any) -> None:
    arguments: dict[str, Any] = {
        "consent_id": CONSENT,
        "recipient_sectors": (Sector.SOCIAL,),
        "categories": (InformationCategory.HEALTH,),
        "purpose": "one plan",
        "period": Period(start=date(2026, 1, 13), end=date(2026, 12, 31)),
        "given_by": CITIZEN_GAVE,
        "actor": ANNE,
        "effective_at": LATER,
    } | changes
    citizen.grant_consent(**arguments)


def test_a_consent_is_recorded_once() -> None:
    citizen = with_consent()
    refusal(
        citizen,
        IllegalTransition,
        lambda: grant(citizen),
        ids={"citizen_id": CITIZEN, "consent_id": CONSENT},
        says=f"consent {CONSENT} is already recorded",
    )


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("recipient_sectors", {"recipient_sectors": ()}),
        ("recipient_sectors", {"categories": ()}),
        ("purpose", {"purpose": "  "}),
    ],
    ids=["no-sectors", "no-categories", "blank-purpose"],
)
def test_a_consent_names_sectors_categories_and_a_purpose(
    field: str, changes: dict[str, Any]
) -> None:
    citizen = registered()
    invalid(citizen, lambda: grant(citizen, **changes), name="GrantConsent", field=field)


@pytest.mark.parametrize(
    ("birth_date", "given_by", "missing"),
    [
        (date(2010, 1, 14), CITIZEN_GAVE, "a holder of custody"),
        (date(2010, 1, 13), GUARDIAN_GAVE, "the child (16 or over)"),
        (date(2010, 1, 13), (), "a holder of custody and the child (16 or over)"),
    ],
    ids=["15-without-custody", "16-without-the-child", "16-nobody"],
)
def test_a_childs_consent_is_given_by_custody_and_by_a_child_of_16_or_over(
    birth_date: date, given_by: tuple[ConsentGiver, ...], missing: str
) -> None:
    citizen = registered(birth_date)
    age = 15 if birth_date.day == 14 else 16
    refusal(
        citizen,
        ConsentMissing,
        lambda: grant(citizen, given_by=given_by),
        ids={"citizen_id": CITIZEN},
        says=f"BL § 110: consent for citizen {CITIZEN} (aged {age}) must also be given "
        f"by {missing}",
    )


@pytest.mark.parametrize(
    ("birth_date", "given_by"),
    [
        (date(2010, 1, 14), GUARDIAN_GAVE),
        (date(2010, 1, 13), BOTH_GAVE),
        (date(2008, 1, 13), CITIZEN_GAVE),
        (date(2008, 1, 13), GUARDIAN_GAVE),
    ],
    ids=["15-custody", "16-both", "18-self", "18-guardian"],
)
def test_a_consent_given_by_whom_the_law_asks_is_recorded(
    birth_date: date, given_by: tuple[ConsentGiver, ...]
) -> None:
    citizen = registered(birth_date)
    event = recorded(
        citizen,
        lambda: grant(
            citizen,
            given_by=given_by,
            recipient_sectors=(Sector.SOCIAL, Sector.HEALTH, Sector.SOCIAL),
            categories=(InformationCategory.HEALTH, InformationCategory.HEALTH),
            purpose=" one plan ",
            actor=LARS,
        ),
        event=Citizen.ConsentGranted,
        actor=LARS,
        effective_at=LATER,
    )
    assert event.consent_id == CONSENT
    assert event.recipient_sectors == (Sector.HEALTH, Sector.SOCIAL)
    assert event.categories == (InformationCategory.HEALTH,)
    assert (event.purpose, event.given_by) == ("one plan", given_by)


def test_an_adults_consent_names_who_gave_it() -> None:
    citizen = registered()
    refusal(
        citizen,
        ConsentMissing,
        lambda: grant(citizen, given_by=()),
        ids={"citizen_id": CITIZEN},
        says=f"consent for citizen {CITIZEN} names nobody who gave it",
    )


def test_an_unknown_consent_is_not_found() -> None:
    citizen = registered()
    refusal(
        citizen,
        ConsentNotFound,
        lambda: citizen.revoke_consent(
            consent_id=CONSENT, reason="r", actor=ANNE, effective_at=LATER
        ),
        ids={"citizen_id": CITIZEN, "consent_id": CONSENT},
    )


def test_a_revoked_consent_is_not_revoked_again() -> None:
    citizen = with_consent()
    citizen.revoke_consent(consent_id=CONSENT, reason="r", actor=METTE, effective_at=LATER)
    citizen.collect_events()
    refusal(
        citizen,
        IllegalTransition,
        lambda: citizen.revoke_consent(
            consent_id=CONSENT, reason="r", actor=ANNE, effective_at=LATER
        ),
        ids={"citizen_id": CITIZEN, "consent_id": CONSENT},
        says=f"consent {CONSENT} is already revoked",
    )


def test_a_consent_is_revoked_only_for_sectors_it_covers() -> None:
    citizen = with_consent()
    refusal(
        citizen,
        IllegalTransition,
        lambda: citizen.revoke_consent(
            consent_id=CONSENT,
            sectors=(Sector.HOUSING, Sector.SOCIAL, Sector.HEALTH),
            reason="r",
            actor=ANNE,
            effective_at=LATER,
        ),
        ids={"citizen_id": CITIZEN, "consent_id": CONSENT},
        says=f"consent {CONSENT} does not cover health, housing",
    )


def test_a_revocation_records_the_sectors_and_reason() -> None:
    citizen = with_consent()
    event = recorded(
        citizen,
        lambda: citizen.revoke_consent(
            consent_id=CONSENT,
            sectors=(Sector.SOCIAL, Sector.SOCIAL),
            reason=" changed my mind ",
            actor=METTE,
            effective_at=LATER,
        ),
        event=Citizen.ConsentRevoked,
        actor=METTE,
        effective_at=LATER,
    )
    assert (event.consent_id, event.sectors, event.reason) == (
        CONSENT,
        (Sector.SOCIAL,),
        "changed my mind",
    )
    assert citizen.consent(CONSENT).recipient_sectors == {Sector.EMPLOYMENT}


def consent(granted_at: datetime, period: Period) -> Consent:
    return Consent(
        consent_id=CONSENT,
        recipient_sectors=frozenset({Sector.SOCIAL}),
        categories=frozenset({InformationCategory.HEALTH}),
        purpose="one plan",
        period=period,
        given_by=CITIZEN_GAVE,
        granted_at=granted_at,
    )


@pytest.mark.parametrize(
    ("granted_at", "period", "when", "active"),
    [
        (
            at(2026, 2, 1),
            Period(start=date(2026, 1, 1), end=date(2026, 12, 31)),
            at(2026, 1, 15),
            False,
        ),
        (
            at(2026, 1, 1),
            Period(start=date(2026, 1, 1), end=date(2026, 1, 31)),
            at(2026, 2, 15),
            False,
        ),
        (
            at(2026, 1, 1),
            Period(start=date(2026, 1, 1), end=date(2026, 12, 31)),
            at(2026, 2, 15),
            True,
        ),
    ],
    ids=["before-it-was-granted", "after-its-period", "granted-and-within"],
)
def test_a_consent_is_active_once_granted_and_within_its_period(
    granted_at: datetime, period: Period, when: datetime, active: bool
) -> None:
    given = consent(granted_at, period)
    assert given.is_active_at(when) is active
    assert given.covers(Sector.SOCIAL, InformationCategory.HEALTH, when) is active
    revoked = given.revoked((), at(2026, 3, 1))
    assert revoked.status is ConsentStatus.INACTIVE
    assert revoked.is_active_at(at(2026, 3, 1)) is False


# --- the Randers sanction rule (rule 8) ----------------------------------------------


def sanction(citizen: Citizen, **changes: Any) -> None:
    arguments: dict[str, Any] = {
        "sanction_id": SANCTION,
        "legal_basis": KONTANTHJAELP,
        "reason": "missed the job training",
        "actor": ANNE,
        "effective_at": LATER,
    } | changes
    citizen.impose_sanction(**arguments)


@pytest.mark.parametrize(
    ("actor", "legal_basis"),
    [(LARS, KONTANTHJAELP), (ANNE, LegalBasis.parse("SEL § 85"))],
    ids=["social-sector", "under-SEL"],
)
def test_only_the_employment_authority_sanctions_under_las_or_lab(
    actor: Actor, legal_basis: LegalBasis
) -> None:
    citizen = registered()
    refusal(
        citizen,
        AuthorityMissing,
        lambda: sanction(citizen, actor=actor, legal_basis=legal_basis),
        ids={"citizen_id": CITIZEN, "caseworker_id": actor.id},
        says=f"only the employment authority sanctions, under LAS or LAB (not {legal_basis} "
        f"by {actor.id})",
    )


def test_a_sanction_needs_authority_under_its_law() -> None:
    citizen = registered()
    jobcentre_clerk = Actor.caseworker("jens", Sector.EMPLOYMENT, Law.LAB)
    refusal(
        citizen,
        AuthorityMissing,
        lambda: sanction(citizen, actor=jobcentre_clerk),
        ids={"citizen_id": CITIZEN, "caseworker_id": "jens"},
        says="jens holds no authority under LAS",
    )


def test_no_sanction_before_the_social_contact_person_is_contacted() -> None:
    citizen = with_contact_person()
    refusal(
        citizen,
        SanctionBeforeSocialContact,
        lambda: sanction(citizen),
        ids={"citizen_id": CITIZEN, "contact_person_id": "lars"},
        says=f"Randers rule: contact lars in social services before sanctioning citizen {CITIZEN}",
    )


def test_a_sanction_after_contact_is_recorded_and_the_next_needs_contact_again() -> None:
    citizen = with_contact_person(contacted=True)
    event = recorded(
        citizen,
        lambda: sanction(citizen, reason=" missed it ", actor=PETER),
        event=Citizen.SanctionImposed,
        actor=PETER,
        effective_at=LATER,
    )
    assert (event.sanction_id, event.legal_basis, event.reason) == (
        SANCTION,
        KONTANTHJAELP,
        "missed it",
    )
    assert citizen.sanction_ids == (SANCTION,)
    assert citizen.social_contact_made_since_last_sanction is False


def test_a_sanction_has_a_reason() -> None:
    citizen = registered()
    invalid(citizen, lambda: sanction(citizen, reason=" "), name="ImposeSanction", field="reason")


def test_the_contact_person_is_of_the_social_sector_and_recorded_once() -> None:
    citizen = registered()
    invalid(
        citizen,
        lambda: citizen.record_social_contact_person(
            contact_person=SOFIE, actor=ANNE, effective_at=LATER
        ),
        name="RecordSocialContactPerson",
        field="contact_person.sector",
    )
    event = recorded(
        citizen,
        lambda: citizen.record_social_contact_person(
            contact_person=LARS, actor=PETER, effective_at=LATER
        ),
        event=Citizen.SocialContactPersonRecorded,
        actor=PETER,
        effective_at=LATER,
    )
    assert event.contact_person == LARS
    refusal(
        citizen,
        IllegalTransition,
        lambda: citizen.record_social_contact_person(
            contact_person=LARS, actor=ANNE, effective_at=LATER
        ),
        ids={"citizen_id": CITIZEN},
        says="lars is already the contact person",
    )


def test_contact_is_made_with_a_recorded_contact_person_regarding_something() -> None:
    citizen = registered()
    refusal(
        citizen,
        IllegalTransition,
        lambda: citizen.record_social_contact_made(regarding="r", actor=ANNE, effective_at=LATER),
        ids={"citizen_id": CITIZEN},
        says=f"citizen {CITIZEN} has no social-services contact person recorded",
    )
    citizen = with_contact_person()
    invalid(
        citizen,
        lambda: citizen.record_social_contact_made(regarding=" ", actor=ANNE, effective_at=LATER),
        name="RecordSocialContactMade",
        field="regarding",
    )
    event = recorded(
        citizen,
        lambda: citizen.record_social_contact_made(
            regarding=" sanction ", actor=PETER, effective_at=LATER
        ),
        event=Citizen.SocialContactPersonContacted,
        actor=PETER,
        effective_at=LATER,
    )
    assert (event.contact_person_id, event.regarding) == ("lars", "sanction")


# --- benefits ------------------------------------------------------------------------


def pay(citizen: Citizen, **changes: Any) -> None:
    arguments: dict[str, Any] = {
        "benefit_id": BENEFIT,
        "sector": Sector.EMPLOYMENT,
        "legal_basis": KONTANTHJAELP,
        "amount": Money.dkk("11000.00"),
        "period": MONTH,
        "actor": ANNE,
        "effective_at": LATER,
    } | changes
    citizen.pay_benefit(**arguments)


def test_a_benefit_is_paid_by_a_sector_acting_under_its_law() -> None:
    citizen = registered()
    refusal(
        citizen,
        LegalBasisOutsideSector,
        lambda: pay(citizen, sector=Sector.HEALTH),
        ids={"citizen_id": CITIZEN, "sector": Sector.HEALTH, "legal_basis": KONTANTHJAELP},
        says=f"the health sector does not pay benefits under {KONTANTHJAELP}",
    )


@pytest.mark.parametrize(
    "actor",
    [BIRGIT, Actor.caseworker("jens", Sector.EMPLOYMENT, Law.LAB)],
    ids=["other-sector", "no-authority"],
)
def test_a_benefit_is_paid_by_a_caseworker_of_that_sector_with_authority(actor: Actor) -> None:
    citizen = registered()
    refusal(
        citizen,
        AuthorityMissing,
        lambda: pay(citizen, actor=actor),
        ids={"citizen_id": CITIZEN, "caseworker_id": actor.id, "law": Law.LAS},
        says=f"{actor.id} does not decide benefits under {KONTANTHJAELP} for the employment sector",
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"period": Period(start=date(2026, 1, 1))},
        {"amount": Money.dkk(0)},
    ],
    ids=["open-period", "nothing"],
)
def test_a_benefit_is_paid_for_a_closed_period_above_nothing(changes: dict[str, Any]) -> None:
    citizen = registered()
    invalid(citizen, lambda: pay(citizen, **changes), name="RecordBenefitPaid", field="period")


def test_a_benefit_of_one_krone_or_less_is_still_a_benefit() -> None:
    citizen = registered()
    event = recorded(
        citizen,
        lambda: pay(citizen, amount=Money.dkk("1.00"), actor=PETER),
        event=Citizen.BenefitPaid,
        actor=PETER,
        effective_at=LATER,
    )
    assert (event.benefit_id, event.sector, event.legal_basis) == (
        BENEFIT,
        Sector.EMPLOYMENT,
        KONTANTHJAELP,
    )
    assert (event.amount, event.period) == (Money.dkk("1.00"), MONTH)
    pay(citizen, amount=Money.dkk("0.50"))
    assert citizen.benefits_paid == 2


def test_an_outcome_is_recorded_by_a_caseworker() -> None:
    citizen = registered()
    invalid(
        citizen,
        lambda: citizen.record_outcome(outcome=PlanOutcome.WORK, actor=METTE, effective_at=LATER),
        name="RecordOutcome",
        field="actor",
    )
    event = recorded(
        citizen,
        lambda: citizen.record_outcome(outcome=PlanOutcome.WORK, actor=PETER, effective_at=LATER),
        event=Citizen.OutcomeRecorded,
        actor=PETER,
        effective_at=LATER,
    )
    assert event.outcome is PlanOutcome.WORK


# --- one plan at a time (rule 1) -----------------------------------------------------


def test_a_citizen_joins_one_plan_at_a_time_and_leaves_only_their_own() -> None:
    citizen = registered()
    event = recorded(
        citizen,
        lambda: citizen.join_plan(plan_id=PLAN, actor=PETER, effective_at=LATER),
        event=Citizen.JoinedPlan,
        actor=PETER,
        effective_at=LATER,
    )
    assert event.plan_id == PLAN
    refusal(
        citizen,
        CitizenAlreadyInPlan,
        lambda: citizen.join_plan(plan_id=OTHER_PLAN, actor=ANNE, effective_at=LATER),
        ids={"citizen_id": CITIZEN, "plan_id": PLAN},
        says=f"citizen {CITIZEN} already has plan {PLAN}",
    )
    refusal(
        citizen,
        IllegalTransition,
        lambda: citizen.leave_plan(plan_id=OTHER_PLAN, reason="r", actor=ANNE, effective_at=LATER),
        ids={"citizen_id": CITIZEN, "plan_id": OTHER_PLAN},
        says=f"citizen {CITIZEN} is not in plan {OTHER_PLAN}",
    )
    left = recorded(
        citizen,
        lambda: citizen.leave_plan(
            plan_id=PLAN, reason="completed", actor=PETER, effective_at=LATER
        ),
        event=Citizen.LeftPlan,
        actor=PETER,
        effective_at=LATER,
    )
    assert (left.plan_id, left.reason) == (PLAN, "completed")
    assert (citizen.plan_id, citizen.past_plan_ids) == (None, (PLAN,))


# --- sector plans as case files (rule 2, rule 10) ------------------------------------


def test_an_effort_outside_a_plan_is_refused_while_the_citizen_has_one() -> None:
    citizen = registered()
    citizen.join_plan(plan_id=PLAN, actor=ANNE, effective_at=LATER)
    citizen.collect_events()
    refusal(
        citizen,
        SectorPlanReplaced,
        lambda: citizen.include_in_sector_plan(
            intervention_id=INTERVENTION,
            sector_plan=SOCIAL_PLAN,
            legal_basis=LegalBasis.parse("SEL § 85"),
            actor=LARS,
            effective_at=LATER,
        ),
        ids={"citizen_id": CITIZEN, "plan_id": PLAN},
        says=f"citizen {CITIZEN} has coordinated plan {PLAN}: propose the social intervention",
    )


def test_an_effort_under_a_sector_plan_is_recorded_in_its_case_file() -> None:
    citizen = with_sector_plan()
    event = recorded(
        citizen,
        lambda: citizen.include_in_sector_plan(
            intervention_id=OTHER_INTERVENTION,
            sector_plan=SOCIAL_PLAN,
            legal_basis=LegalBasis.parse("SEL § 103"),
            actor=PETER,
            effective_at=LATER,
        ),
        event=Citizen.InterventionIncludedInSectorPlan,
        actor=PETER,
        effective_at=LATER,
    )
    assert (event.intervention_id, event.sector_plan, event.legal_basis) == (
        OTHER_INTERVENTION,
        SOCIAL_PLAN,
        LegalBasis.parse("SEL § 103"),
    )
    assert citizen.sector_plan_file(SOCIAL_PLAN).intervention_ids == (
        INTERVENTION,
        OTHER_INTERVENTION,
    )


def deliver_sector_plan(
    citizen: Citizen, statuses: dict[UUID, InterventionStatus], **changes: Any
) -> None:
    arguments: dict[str, Any] = {
        "sector_plan": SOCIAL_PLAN,
        "intervention_statuses": statuses,
        "archive": "Rigsarkivet",
        "reference": "S-1",
        "actor": ANNE,
        "effective_at": LATER,
    } | changes
    citizen.deliver_sector_plan_to_archive(**arguments)


def test_a_sector_plan_that_is_no_case_file_of_the_citizen_is_not_found() -> None:
    citizen = registered()
    refusal(
        citizen,
        SectorPlanNotFound,
        lambda: deliver_sector_plan(citizen, {}),
        ids={"citizen_id": CITIZEN, "sector_plan": SOCIAL_PLAN},
    )


@pytest.mark.parametrize(
    "statuses", [{}, {INTERVENTION: S.IN_PROGRESS}], ids=["status-unknown", "running"]
)
def test_only_a_closed_sector_plan_is_delivered_to_the_archive(
    statuses: dict[UUID, InterventionStatus],
) -> None:
    citizen = with_sector_plan()
    refusal(
        citizen,
        IllegalTransition,
        lambda: deliver_sector_plan(citizen, statuses),
        ids={"citizen_id": CITIZEN, "intervention_ids": (INTERVENTION,)},
        says=f"DeliverSectorPlanToArchive: sector plan {SOCIAL_PLAN} of citizen {CITIZEN} "
        f"is open (interventions {INTERVENTION} have not finished)",
    )


@pytest.mark.parametrize(
    ("field", "changes"),
    [("actor", {"actor": METTE}), ("archive", {"archive": " "}), ("reference", {"reference": ""})],
)
def test_a_caseworker_delivers_a_sector_plan_to_a_named_archive_under_a_reference(
    field: str, changes: dict[str, Any]
) -> None:
    citizen = with_sector_plan()
    invalid(
        citizen,
        lambda: deliver_sector_plan(citizen, {INTERVENTION: S.CANCELLED}, **changes),
        name="DeliverSectorPlanToArchive",
        field=field,
    )


def test_a_closed_sector_plan_is_delivered_once_and_takes_no_new_effort() -> None:
    citizen = with_sector_plan()
    event = recorded(
        citizen,
        lambda: deliver_sector_plan(
            citizen,
            {INTERVENTION: S.COMPLETED},
            archive=" Rigsarkivet ",
            reference=" S-1 ",
            actor=PETER,
        ),
        event=Citizen.SectorPlanDeliveredToArchive,
        actor=PETER,
        effective_at=LATER,
    )
    assert (event.sector_plan, event.intervention_ids) == (SOCIAL_PLAN, (INTERVENTION,))
    assert (event.archive, event.reference) == ("Rigsarkivet", "S-1")
    assert citizen.sector_plan_file(SOCIAL_PLAN).archived_at == LATER
    refusal(
        citizen,
        IllegalTransition,
        lambda: deliver_sector_plan(citizen, {INTERVENTION: S.COMPLETED}),
        ids={"citizen_id": CITIZEN},
        says=f"sector plan {SOCIAL_PLAN} of citizen {CITIZEN} was delivered to the archive already",
    )
    refusal(
        citizen,
        IllegalTransition,
        lambda: citizen.include_in_sector_plan(
            intervention_id=OTHER_INTERVENTION,
            sector_plan=SOCIAL_PLAN,
            legal_basis=LegalBasis.parse("SEL § 85"),
            actor=LARS,
            effective_at=LATER,
        ),
        ids={"citizen_id": CITIZEN, "intervention_id": OTHER_INTERVENTION},
        says=f"sector plan {SOCIAL_PLAN} of citizen {CITIZEN} was delivered to the archive "
        "on 2026-01-13",
    )


# --- erasure (rule 10) ---------------------------------------------------------------


def erase(citizen: Citizen, **changes: Any) -> None:
    arguments: dict[str, Any] = {
        "plan_ids": (PLAN,),
        "legal_basis": LegalBasis.parse("SEL § 141"),
        "reason": "retention ended",
        "actor": ANNE,
        "effective_at": LATER,
    } | changes
    citizen.erase(**arguments)


def test_a_citizen_in_an_open_plan_is_not_erased() -> None:
    citizen = registered()
    citizen.join_plan(plan_id=PLAN, actor=ANNE, effective_at=LATER)
    citizen.collect_events()
    refusal(
        citizen,
        RetentionNotEnded,
        lambda: erase(citizen),
        ids={
            "citizen_id": CITIZEN,
            "plan_ids": (PLAN,),
            "sector_plans": (),
            "intervention_ids": (),
            "due": None,
        },
        says=f"citizen {CITIZEN} is in open plan {PLAN}",
    )


@pytest.mark.parametrize(
    ("field", "changes"), [("actor", {"actor": METTE}), ("reason", {"reason": " "})]
)
def test_a_caseworker_erases_a_citizen_giving_a_reason(field: str, changes: dict[str, Any]) -> None:
    citizen = registered()
    invalid(citizen, lambda: erase(citizen, **changes), name="EraseCitizen", field=field)


def test_an_erasure_records_the_plans_and_legal_basis_and_is_final() -> None:
    citizen = registered()
    event = recorded(
        citizen,
        lambda: erase(citizen, reason=" retention ended ", actor=PETER),
        event=Citizen.Erased,
        actor=PETER,
        effective_at=LATER,
    )
    assert (event.plan_ids, event.legal_basis, event.reason) == (
        (PLAN,),
        LegalBasis.parse("SEL § 141"),
        "retention ended",
    )
    assert citizen.erased is True


ERASED_REFUSES: list[tuple[str, Callable[[Citizen], object]]] = [
    ("erase", lambda c: erase(c)),
    ("grant_consent", lambda c: grant(c)),
    (
        "record_outcome",
        lambda c: c.record_outcome(outcome=PlanOutcome.WORK, actor=ANNE, effective_at=LATER),
    ),
    ("join_plan", lambda c: c.join_plan(plan_id=PLAN, actor=ANNE, effective_at=LATER)),
    (
        "include_in_sector_plan",
        lambda c: c.include_in_sector_plan(
            intervention_id=INTERVENTION,
            sector_plan=SOCIAL_PLAN,
            legal_basis=LegalBasis.parse("SEL § 85"),
            actor=LARS,
            effective_at=LATER,
        ),
    ),
]


@pytest.mark.parametrize(("name", "command"), ERASED_REFUSES, ids=[c[0] for c in ERASED_REFUSES])
def test_nothing_more_is_recorded_about_an_erased_citizen(
    name: str, command: Callable[[Citizen], object]
) -> None:
    citizen = erased()
    refusal(
        citizen,
        CitizenErased,
        lambda: command(citizen),
        ids={"citizen_id": CITIZEN},
        says=f"citizen {CITIZEN} was erased: nothing more can be recorded about them",
    )
