"""The citizen (*borger*): the person a plan is for, who gives and revokes consent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

import attrs

from oneplan.aggregates.base import OnePlanAggregate, require_caseworker, require_text
from oneplan.aggregates.personal import Personal, givers, optional, text
from oneplan.errors import (
    AuthorityMissing,
    CitizenAlreadyInPlan,
    CitizenErased,
    ConsentMissing,
    ConsentNotFound,
    IllegalTransition,
    InvalidInput,
    LegalBasisOutsideSector,
    OutOfOrderInEffectiveTime,
    RetentionNotEnded,
    SanctionBackdatedBeforeSocialContact,
    SanctionBeforeSocialContact,
    SectorPlanNotFound,
    SectorPlanReplaced,
)
from oneplan.values import (
    LAW_SECTORS,
    Actor,
    ActorKind,
    ConsentGivenHow,
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
    cpr_birth_date,
)

__all__ = ["Citizen", "Consent", "RandersStep", "SectorPlanFile", "age_on", "randers_breaches"]

SANCTION_LAWS = frozenset({Law.LAS, Law.LAB})
"""The laws the employment authority sanctions under (benefit cuts)."""


def age_on(birth_date: date, day: date) -> int:
    """Whole years of age on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


@attrs.frozen
class RandersStep:
    """One step of the Randers rule's course (rule 8), at its effective time: a contact
    person recorded (``ref`` their id), contacted (``ref`` their id), or a sanction
    imposed (``ref`` its id)."""

    step: str
    """The event: ``SocialContactPersonRecorded``, ``SocialContactPersonContacted`` or
    ``SanctionImposed``."""
    effective_at: datetime
    ref: str


def randers_breaches(course: Iterable[RandersStep]) -> list[RandersStep]:
    """The sanctions that break the Randers rule in the citizen's course (rule 15): in
    effective time (steps at the same time in the order recorded), a sanction while a
    contact person is recorded needs a contact with them since that person was recorded
    and since the previous sanction."""
    person: str | None = None
    contacted = False
    breaches: list[RandersStep] = []
    for step in sorted(course, key=lambda s: s.effective_at):
        if step.step == "SocialContactPersonRecorded":
            person, contacted = step.ref, False
        elif step.step == "SocialContactPersonContacted":
            contacted = True
        else:
            if person is not None and not contacted:
                breaches.append(step)
            contacted = False
    return breaches


@attrs.frozen
class Consent:
    """A consent (*samtykke*): who may receive what, for which purpose, from when to when."""

    consent_id: UUID
    recipient_sectors: frozenset[Sector]
    categories: frozenset[InformationCategory]
    purpose: str
    period: Period
    given_by: tuple[ConsentGiver, ...]
    granted_at: datetime
    status: ConsentStatus = ConsentStatus.ACTIVE
    revoked_at: datetime | None = None

    def is_active_at(self, at: datetime) -> bool:
        """Active, begun, not expired and not revoked at ``at``."""
        if at < self.granted_at or not self.period.contains(at):
            return False
        return self.revoked_at is None or at < self.revoked_at

    def revoked(self, sectors: tuple[Sector, ...], at: datetime) -> Consent:
        """This consent after revoking it for ``sectors`` (all of it when empty)."""
        remaining = self.recipient_sectors - set(sectors) if sectors else frozenset()
        if remaining:
            return attrs.evolve(self, recipient_sectors=frozenset(remaining))
        return attrs.evolve(self, status=ConsentStatus.INACTIVE, revoked_at=at)

    def covers(self, sector: Sector, category: InformationCategory | None, at: datetime) -> bool:
        """Whether this consent lets ``sector`` receive ``category`` at ``at``
        (any category when ``category`` is None)."""
        return (
            self.is_active_at(at)
            and sector in self.recipient_sectors
            and (category is None or category in self.categories)
        )


@attrs.frozen
class SectorPlanFile:
    """One of the citizen's own sector plans (*handleplan*) as a case file (*sag*): the
    interventions held under it outside any coordinated plan, their legal bases, and
    when it was delivered to the public archive. It is closed once every intervention
    in it has finished (completed, stopped or cancelled); whether they have is the
    interventions' to say, so the application asks them (``rules``)."""

    sector_plan: SectorPlanRef
    intervention_ids: tuple[UUID, ...] = ()
    legal_bases: tuple[LegalBasis, ...] = ()
    """The sector plan's legal basis and those of its interventions (its retention classes)."""
    archived_at: datetime | None = None


class Citizen(OnePlanAggregate):
    """The citizen (*borger*) a plan is for; holds their consents, their contact person
    in social services, the sanctions imposed on them, and which plan they are in."""

    def __init__(self) -> None:
        super().__init__()
        # Set by Registered.apply (declared here for the type checker):
        self.name: str
        self.birth_date: date | None
        """None once the citizen's personal data is erased."""
        self.cpr: str | None = None
        self.consents: dict[UUID, Consent] = {}
        self.social_contact_person: Actor | None = None
        self.social_contact_made_since_last_sanction = False
        self.sanction_ids: tuple[UUID, ...] = ()
        self.randers_course: tuple[RandersStep, ...] = ()
        """The contact person recorded, the contacts and the sanctions, in the order
        recorded, each at its effective time: the Randers rule is judged on them in
        effective time (``randers_breaches``)."""
        self.plan_id: UUID | None = None
        self.past_plan_ids: tuple[UUID, ...] = ()
        self.erased = False
        self.benefits_paid = 0
        self.outcome: PlanOutcome | None = None
        """The outcome recorded at the latest follow-up, if any."""
        self.custody: dict[UUID, tuple[datetime, datetime | None]] = {}
        """Who holds custody of this citizen (*forældremyndighed*): holder id -> (from,
        until or None), as recorded by a caseworker (rule 13)."""
        self.sector_plans: dict[SectorPlanRef, SectorPlanFile] = {}
        """The citizen's own sector plans that hold interventions: their case files
        outside any coordinated plan (rule 10)."""

    # --- events ----------------------------------------------------------------------

    class Registered(OnePlanAggregate.Created):
        """The citizen was registered in oneplan, with their CPR number where given."""

        class_version = 2
        name: str
        birth_date: date | None
        cpr: str | None
        """The CPR number (*personnummer*), 10 digits; sealed, never stored in the clear."""

        personal: ClassVar[Personal] = {"name": text(), "birth_date": optional(), "cpr": optional()}

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 had no CPR number."""
            state["cpr"] = None

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            aggregate.name = self.name
            aggregate.birth_date = self.birth_date
            aggregate.cpr = self.cpr

    class ConsentGranted(OnePlanAggregate.Event):
        """The citizen (or a guardian) consented to sharing (*samtykke givet*)."""

        consent_id: UUID
        recipient_sectors: tuple[Sector, ...]
        categories: tuple[InformationCategory, ...]
        purpose: str
        period: Period
        given_by: tuple[ConsentGiver, ...]
        given_how: ConsentGivenHow | None
        """How the citizen gave it, when a caseworker recorded it (None: the citizen gave
        it themself through the host, or it was recorded before version 2)."""

        class_version = 2
        personal: ClassVar[Personal] = {"purpose": text(), "given_by": givers()}

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 did not say how a consent recorded by a caseworker was given."""
            state["given_how"] = None

        def apply(self, aggregate: Any) -> None:
            aggregate.consents[self.consent_id] = self.consent()

        def consent(self) -> Consent:
            """The consent this event grants."""
            return Consent(
                consent_id=self.consent_id,
                recipient_sectors=frozenset(self.recipient_sectors),
                categories=frozenset(self.categories),
                purpose=self.purpose,
                period=self.period,
                given_by=self.given_by,
                granted_at=self.effective_at,
            )

    class ConsentRevoked(OnePlanAggregate.Event):
        """A consent was revoked (*samtykke tilbagekaldt*), wholly or for some recipient sectors
        only."""

        consent_id: UUID
        sectors: tuple[Sector, ...]
        """The sectors it no longer covers; empty means all (the whole consent)."""
        reason: str
        given_how: ConsentGivenHow | None
        """How the citizen revoked it, when a caseworker recorded it."""

        class_version = 2
        personal: ClassVar[Personal] = {"reason": text()}

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 did not say how a revocation recorded by a caseworker was given."""
            state["given_how"] = None

        def apply(self, aggregate: Any) -> None:
            consent: Consent = aggregate.consents[self.consent_id]
            aggregate.consents[self.consent_id] = consent.revoked(self.sectors, self.effective_at)

    class SocialContactPersonRecorded(OnePlanAggregate.Event):
        """The citizen's contact person in social services was recorded."""

        contact_person: Actor

        def apply(self, aggregate: Any) -> None:
            aggregate.social_contact_person = self.contact_person
            aggregate.social_contact_made_since_last_sanction = False
            aggregate.randers_course = (
                *aggregate.randers_course,
                RandersStep(
                    "SocialContactPersonRecorded", self.effective_at, self.contact_person.id
                ),
            )

    class SocialContactPersonContacted(OnePlanAggregate.Event):
        """The employment authority contacted the citizen's social-services contact
        person, so that they can try to reach the citizen (Randers)."""

        contact_person_id: str
        regarding: str

        personal: ClassVar[Personal] = {"regarding": text()}

        def apply(self, aggregate: Any) -> None:
            aggregate.social_contact_made_since_last_sanction = True
            aggregate.randers_course = (
                *aggregate.randers_course,
                RandersStep(
                    "SocialContactPersonContacted", self.effective_at, self.contact_person_id
                ),
            )

    class SanctionImposed(OnePlanAggregate.Event):
        """The employment authority sanctioned the citizen (*sanktion*: cut benefits)."""

        sanction_id: UUID
        legal_basis: LegalBasis
        reason: str

        personal: ClassVar[Personal] = {"reason": text()}

        def apply(self, aggregate: Any) -> None:
            aggregate.sanction_ids = (*aggregate.sanction_ids, self.sanction_id)
            aggregate.social_contact_made_since_last_sanction = False
            aggregate.randers_course = (
                *aggregate.randers_course,
                RandersStep("SanctionImposed", self.effective_at, str(self.sanction_id)),
            )

    class BenefitPaid(OnePlanAggregate.Event):
        """A benefit (*overførselsindkomst*, such as kontanthjælp) was paid to the citizen
        for a period: booked to the paying sector's transfers budget area, under the
        legal basis it is paid under."""

        benefit_id: UUID
        sector: Sector
        legal_basis: LegalBasis
        amount: Money
        period: Period

        def apply(self, aggregate: Any) -> None:
            aggregate.benefits_paid += 1

    class OutcomeRecorded(OnePlanAggregate.Event):
        """Where the citizen's course stood at a follow-up: into work, into education,
        partial self-support, or none (what effect studies follow, with or without a
        coordinated plan)."""

        outcome: PlanOutcome

        def apply(self, aggregate: Any) -> None:
            aggregate.outcome = self.outcome

    class JoinedPlan(OnePlanAggregate.Event):
        """The citizen's course is now held in a coordinated plan."""

        plan_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.plan_id = self.plan_id

    class LeftPlan(OnePlanAggregate.Event):
        """The citizen's plan ended (completed, withdrawn or entered in error)."""

        plan_id: UUID
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.plan_id = None
            aggregate.past_plan_ids = (*aggregate.past_plan_ids, self.plan_id)

    class InterventionIncludedInSectorPlan(OnePlanAggregate.Event):
        """An intervention was included in one of the citizen's own sector plans
        (*handleplan*), outside any coordinated plan: recorded with the intervention's
        proposal, so that the citizen's record knows every case file of theirs."""

        intervention_id: UUID
        sector_plan: SectorPlanRef
        legal_basis: LegalBasis
        """The intervention's legal basis."""

        def apply(self, aggregate: Any) -> None:
            found = aggregate.sector_plans.get(self.sector_plan)
            file = found or SectorPlanFile(
                sector_plan=self.sector_plan, legal_bases=(self.sector_plan.legal_basis,)
            )
            bases = file.legal_bases
            aggregate.sector_plans[self.sector_plan] = attrs.evolve(
                file,
                intervention_ids=(*file.intervention_ids, self.intervention_id),
                legal_bases=bases if self.legal_basis in bases else (*bases, self.legal_basis),
            )

    class SectorPlanDeliveredToArchive(OnePlanAggregate.Event):
        """One of the citizen's own sector plans, closed (every intervention held under
        it finished), was delivered to the public archive as a case file
        (*afleveret til offentligt arkiv*): from now on the archive keeps it, and it
        takes no new effort."""

        sector_plan: SectorPlanRef
        intervention_ids: tuple[UUID, ...]
        """The interventions the delivered case file holds."""
        archive: str
        """Which archive (the Rigsarkivet, or the municipality's own archive)."""
        reference: str
        """The delivery's reference at the archive."""

        def apply(self, aggregate: Any) -> None:
            file = aggregate.sector_plans[self.sector_plan]
            aggregate.sector_plans[self.sector_plan] = attrs.evolve(
                file, archived_at=self.effective_at
            )

    class CustodyRecorded(OnePlanAggregate.Event):
        """A caseworker recorded who holds custody of the citizen (*forældremyndighed*):
        that citizen may then act for this one (rule 13)."""

        holder_id: UUID
        legal_basis: LegalBasis | None

        def apply(self, aggregate: Any) -> None:
            custody = dict(aggregate.custody)
            custody[self.holder_id] = (self.effective_at, None)
            aggregate.custody = custody

    class CustodyEnded(OnePlanAggregate.Event):
        """The holder's custody ended (the child came of age, a court decided)."""

        holder_id: UUID
        reason: str

        def apply(self, aggregate: Any) -> None:
            custody = dict(aggregate.custody)
            custody[self.holder_id] = (custody[self.holder_id][0], self.effective_at)
            aggregate.custody = custody

    class Erased(OnePlanAggregate.Event):
        """The citizen's personal data was erased at the end of retention (*kassation*):
        their data keys were destroyed, so every sealed field about them reads as erased;
        ids, statuses, dates, sectors, legal bases and amounts stay. Holds no personal
        data itself (``reason`` is the municipality's, such as "retention ended")."""

        plan_ids: tuple[UUID, ...]
        """The plans whose case files went with it (their own keys, if they had them)."""
        legal_basis: LegalBasis | None
        """The legal basis for erasing before delivery to the archive, if any."""
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.erased = True

    # --- commands --------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        citizen_id: UUID,
        name: str,
        birth_date: date,
        cpr: str | None = None,
        actor: Actor,
        effective_at: datetime,
    ) -> Citizen:
        """Register a citizen; a CPR number given must encode the birth date."""
        if birth_date > effective_at.date():
            raise InvalidInput(
                "RegisterCitizen", [{"loc": ("birth_date",), "msg": "is after today"}]
            )
        if cpr is not None and cpr_birth_date(cpr) != birth_date:
            raise InvalidInput(
                "RegisterCitizen",
                [{"loc": ("cpr",), "msg": "does not encode the birth date given"}],
            )
        return cls._begin(
            cls.Registered,
            id=citizen_id,
            actor=actor,
            effective_at=effective_at,
            name=require_text("RegisterCitizen", "name", name),
            birth_date=birth_date,
            cpr=cpr,
        )

    def _record(
        self, event_class: type[Any], /, *, actor: Actor, effective_at: datetime, **fields: Any
    ) -> None:
        """Nothing more is recorded about an erased citizen (rule 10)."""
        self.require_not_erased()
        super()._record(event_class, actor=actor, effective_at=effective_at, **fields)

    def require_not_erased(self) -> None:
        if self.erased:
            raise CitizenErased(
                f"citizen {self.id} was erased: nothing more can be recorded about them",
                citizen_id=self.id,
            )

    def erase(
        self,
        *,
        plan_ids: tuple[UUID, ...],
        legal_basis: LegalBasis | None,
        reason: str,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Record the erasure of the citizen's personal data (rule 10). Whether their
        retention has ended is checked across their plans by the application
        (``rules.erasure_only_at_end_of_retention``); here: not in an open plan."""
        require_caseworker("EraseCitizen", "actor", actor)
        if self.plan_id is not None:
            raise RetentionNotEnded(
                f"citizen {self.id} is in open plan {self.plan_id}",
                citizen_id=self.id,
                plan_ids=(self.plan_id,),
                sector_plans=(),
                intervention_ids=(),
                due=None,
            )
        self._record(
            self.Erased,
            actor=actor,
            effective_at=effective_at,
            plan_ids=plan_ids,
            legal_basis=legal_basis,
            reason=require_text("EraseCitizen", "reason", reason),
        )

    def grant_consent(
        self,
        *,
        consent_id: UUID,
        recipient_sectors: tuple[Sector, ...],
        categories: tuple[InformationCategory, ...],
        purpose: str,
        period: Period,
        given_by: tuple[ConsentGiver, ...],
        actor: Actor,
        effective_at: datetime,
        given_how: ConsentGivenHow | None = None,
    ) -> None:
        """Record a consent. Enforces the BL § 110 consent rule on who must give it."""
        if consent_id in self.consents:
            raise IllegalTransition(
                f"consent {consent_id} is already recorded",
                citizen_id=self.id,
                consent_id=consent_id,
            )
        if not recipient_sectors or not categories:
            raise InvalidInput(
                "GrantConsent",
                [{"loc": ("recipient_sectors",), "msg": "a consent names sectors and categories"}],
            )
        self.check_consent_givers(given_by, effective_at.date())
        self._record(
            self.ConsentGranted,
            actor=actor,
            effective_at=effective_at,
            consent_id=consent_id,
            recipient_sectors=tuple(sorted(set(recipient_sectors))),
            categories=tuple(sorted(set(categories))),
            purpose=require_text("GrantConsent", "purpose", purpose),
            period=period,
            given_by=given_by,
            given_how=given_how,
        )

    def check_consent_givers(self, given_by: tuple[ConsentGiver, ...], on: date) -> None:
        """The BL § 110 consent rule: a child's consent is given by a holder of custody,
        and a child of 16 or over must consent too; an adult consents themself (or
        through a guardian)."""
        self.require_not_erased()
        assert self.birth_date is not None  # registered with one; None only once erased
        kinds = {giver.kind for giver in given_by}
        age = age_on(self.birth_date, on)
        if age < 18:
            missing = []
            if ActorKind.GUARDIAN not in kinds:
                missing.append("a holder of custody")
            if age >= 16 and ActorKind.CITIZEN not in kinds:
                missing.append("the child (16 or over)")
            if missing:
                raise ConsentMissing(
                    f"BL § 110: consent for citizen {self.id} (aged {age}) must also be given "
                    f"by {' and '.join(missing)}",
                    citizen_id=self.id,
                )
        elif not kinds:
            raise ConsentMissing(
                f"consent for citizen {self.id} names nobody who gave it", citizen_id=self.id
            )

    def revoke_consent(
        self,
        *,
        consent_id: UUID,
        sectors: tuple[Sector, ...] = (),
        reason: str,
        actor: Actor,
        effective_at: datetime,
        given_how: ConsentGivenHow | None = None,
    ) -> None:
        """Revoke a consent, wholly or for some sectors only; revocable at any time."""
        consent = self.consent(consent_id)
        if consent.status is ConsentStatus.INACTIVE:
            raise IllegalTransition(
                f"consent {consent_id} is already revoked",
                citizen_id=self.id,
                consent_id=consent_id,
            )
        unknown = set(sectors) - consent.recipient_sectors
        if unknown:
            raise IllegalTransition(
                f"consent {consent_id} does not cover {', '.join(sorted(unknown))}",
                citizen_id=self.id,
                consent_id=consent_id,
            )
        self._record(
            self.ConsentRevoked,
            actor=actor,
            effective_at=effective_at,
            consent_id=consent_id,
            sectors=tuple(sorted(set(sectors))),
            reason=reason.strip(),
            given_how=given_how,
        )

    def record_social_contact_person(
        self, *, contact_person: Actor, actor: Actor, effective_at: datetime
    ) -> None:
        if contact_person.sector is not Sector.SOCIAL:
            raise InvalidInput(
                "RecordSocialContactPerson",
                [{"loc": ("contact_person", "sector"), "msg": "must be of the social sector"}],
            )
        if self.social_contact_person == contact_person:
            raise IllegalTransition(
                f"{contact_person.id} is already the contact person", citizen_id=self.id
            )
        self._require_after_randers_steps(
            "RecordSocialContactPerson", effective_at, self.randers_course
        )
        self._record(
            self.SocialContactPersonRecorded,
            actor=actor,
            effective_at=effective_at,
            contact_person=contact_person,
        )

    def record_social_contact_made(
        self, *, regarding: str, actor: Actor, effective_at: datetime
    ) -> None:
        """The employment authority contacted the social-services contact person."""
        if self.social_contact_person is None:
            raise IllegalTransition(
                f"citizen {self.id} has no social-services contact person recorded",
                citizen_id=self.id,
            )
        self._require_after_randers_steps(
            "RecordSocialContactMade",
            effective_at,
            [s for s in self.randers_course if s.step == "SocialContactPersonRecorded"],
        )
        self._record(
            self.SocialContactPersonContacted,
            actor=actor,
            effective_at=effective_at,
            contact_person_id=self.social_contact_person.id,
            regarding=require_text("RecordSocialContactMade", "regarding", regarding),
        )

    def impose_sanction(
        self,
        *,
        sanction_id: UUID,
        legal_basis: LegalBasis,
        reason: str,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Sanction the citizen (cut benefits), under the Randers sanction rule."""
        if actor.sector is not Sector.EMPLOYMENT or legal_basis.law not in SANCTION_LAWS:
            raise AuthorityMissing(
                f"only the employment authority sanctions, under LAS or LAB (not {legal_basis} "
                f"by {actor.id})",
                citizen_id=self.id,
                caseworker_id=actor.id,
            )
        if not actor.holds_authority_under(legal_basis.law):
            raise AuthorityMissing(
                f"{actor.id} holds no authority under {legal_basis.law.value}",
                citizen_id=self.id,
                caseworker_id=actor.id,
            )
        self.check_randers_sanction_rule(effective_at, sanction_id)
        self._record(
            self.SanctionImposed,
            actor=actor,
            effective_at=effective_at,
            sanction_id=sanction_id,
            legal_basis=legal_basis,
            reason=require_text("ImposeSanction", "reason", reason),
        )

    def check_randers_sanction_rule(self, at: datetime, sanction_id: UUID | None = None) -> None:
        """The Randers sanction rule: no sanction before the citizen's social-services
        contact person has been contacted (once per sanction). A citizen with no contact
        person recorded has nobody to contact, and the rule does not apply.

        Judged in the citizen's course (rule 15): a sanction effective at ``at`` needs
        the contact effective before it (``SanctionBeforeSocialContact``, or
        ``SanctionBackdatedBeforeSocialContact`` when the contact recorded is effective
        only after it), and must not take the contact a sanction already recorded later
        in the course was imposed on (``OutOfOrderInEffectiveTime``)."""
        if self.social_contact_person is None:
            return
        self._check_effective_at("SanctionImposed", at)
        candidate = RandersStep("SanctionImposed", at, str(sanction_id or "(this sanction)"))
        before = {id(b) for b in randers_breaches(self.randers_course)}
        new = [
            b for b in randers_breaches((*self.randers_course, candidate)) if id(b) not in before
        ]
        if not new:
            return
        if new[0] is candidate:
            later = [
                s
                for s in self.randers_course
                if s.step == "SocialContactPersonContacted" and s.effective_at > at
            ]
            person = self.contact_person_at(at) or (
                self.social_contact_person.id if self.social_contact_person else ""
            )
            if later:
                contact = min(later, key=lambda s: s.effective_at)
                raise SanctionBackdatedBeforeSocialContact(
                    f"Randers rule: a sanction of citizen {self.id} effective "
                    f"{at.isoformat()} comes before the contact with {contact.ref} in social "
                    f"services, effective {contact.effective_at.isoformat()}; contact "
                    "them before the sanction's time, or date the sanction after the contact",
                    command="ImposeSanction",
                    effective_at=at,
                    recorded_step=contact.step,
                    recorded_at=contact.effective_at,
                    recorded_in=self.id,
                    citizen_id=self.id,
                    contact_person_id=person,
                )
            raise SanctionBeforeSocialContact(
                f"Randers rule: contact {person} in social services before sanctioning "
                f"citizen {self.id}",
                citizen_id=self.id,
                contact_person_id=person,
            )
        recorded = new[0]
        raise OutOfOrderInEffectiveTime(
            f"ImposeSanction: a sanction of citizen {self.id} effective {at.isoformat()} "
            f"would take the contact that sanction {recorded.ref}, recorded effective "
            f"{recorded.effective_at.isoformat()}, was imposed on (Randers rule)",
            command="ImposeSanction",
            effective_at=at,
            recorded_step=recorded.step,
            recorded_at=recorded.effective_at,
            recorded_in=self.id,
            citizen_id=self.id,
            sanction_id=recorded.ref,
        )

    def contact_person_at(self, at: datetime) -> str | None:
        """The social-services contact person in the citizen's course at ``at``."""
        person = None
        for step in sorted(self.randers_course, key=lambda s: s.effective_at):
            if step.effective_at > at:
                break
            if step.step == "SocialContactPersonRecorded":
                person = step.ref
        return person

    def _require_after_randers_steps(
        self, command: str, effective_at: datetime, steps: Iterable[RandersStep]
    ) -> None:
        """Rule 15 for the Randers course: a new contact person is recorded after every
        step recorded (the contacts and sanctions before were of the one before), a
        contact after the current contact person was recorded."""
        self._check_effective_at(command, effective_at)
        later = [s for s in steps if s.effective_at > effective_at]
        if later:
            latest = max(later, key=lambda s: s.effective_at)
            raise OutOfOrderInEffectiveTime(
                f"{command}: citizen {self.id} at {effective_at.isoformat()} would come "
                f"before {latest.step} ({latest.ref}) recorded effective "
                f"{latest.effective_at.isoformat()} (Randers rule)",
                command=command,
                effective_at=effective_at,
                recorded_step=latest.step,
                recorded_at=latest.effective_at,
                recorded_in=self.id,
                citizen_id=self.id,
            )

    def pay_benefit(
        self,
        *,
        benefit_id: UUID,
        sector: Sector,
        legal_basis: LegalBasis,
        amount: Money,
        period: Period,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Record a benefit paid for a closed period. Rule 2: the paying sector acts under
        its legal basis; rule 3: paid by a caseworker of that sector with authority under
        the law."""
        if sector not in LAW_SECTORS[legal_basis.law]:
            raise LegalBasisOutsideSector(
                f"the {sector.value} sector does not pay benefits under {legal_basis}",
                citizen_id=self.id,
                sector=sector,
                legal_basis=legal_basis,
            )
        if actor.sector is not sector or not actor.holds_authority_under(legal_basis.law):
            raise AuthorityMissing(
                f"{actor.id} does not decide benefits under {legal_basis} for the "
                f"{sector.value} sector",
                citizen_id=self.id,
                caseworker_id=actor.id,
                law=legal_basis.law,
            )
        if period.end is None or amount.amount <= 0:
            raise InvalidInput(
                "RecordBenefitPaid",
                [{"loc": ("period",), "msg": "a benefit is paid for a closed period, above 0"}],
            )
        self._record(
            self.BenefitPaid,
            actor=actor,
            effective_at=effective_at,
            benefit_id=benefit_id,
            sector=sector,
            legal_basis=legal_basis,
            amount=amount,
            period=period,
        )

    def record_custody(
        self,
        *,
        holder_id: UUID,
        legal_basis: LegalBasis | None,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Record a holder of custody of this citizen (by a caseworker)."""
        require_caseworker("RecordCustody", "actor", actor)
        self.require_not_erased()
        if holder_id == self.id:
            raise InvalidInput(
                "RecordCustody",
                [{"loc": ("holder_id",), "msg": "a citizen is not their own holder"}],
            )
        if holder_id in self.custody_holders_at(effective_at):
            return
        self._record(
            self.CustodyRecorded,
            actor=actor,
            effective_at=effective_at,
            holder_id=holder_id,
            legal_basis=legal_basis,
        )

    def end_custody(
        self, *, holder_id: UUID, reason: str, actor: Actor, effective_at: datetime
    ) -> None:
        require_caseworker("EndCustody", "actor", actor)
        if holder_id not in self.custody_holders_at(effective_at):
            raise IllegalTransition(
                f"{holder_id} holds no custody of citizen {self.id}",
                citizen_id=self.id,
                holder_id=holder_id,
            )
        self._record(
            self.CustodyEnded,
            actor=actor,
            effective_at=effective_at,
            holder_id=holder_id,
            reason=require_text("EndCustody", "reason", reason),
        )

    def custody_holders_at(self, at: datetime) -> tuple[UUID, ...]:
        """Who holds custody of the citizen at ``at``, as recorded."""
        return tuple(
            holder
            for holder, (start, end) in self.custody.items()
            if start <= at and (end is None or at < end)
        )

    def record_outcome(self, *, outcome: PlanOutcome, actor: Actor, effective_at: datetime) -> None:
        """Record where the citizen's course stands at a follow-up (by a caseworker)."""
        require_caseworker("RecordOutcome", "actor", actor)
        self._record(self.OutcomeRecorded, actor=actor, effective_at=effective_at, outcome=outcome)

    def check_effort_outside_plan(self, sector_plan: SectorPlanRef) -> None:
        """Rule 2 (the plan covers all sectors' efforts): while the citizen has a
        coordinated plan, a new effort goes into it; the sector plans it replaces hold
        none. Without one, efforts are held under the citizen's own sector plans (and
        nothing is recorded about an erased citizen)."""
        self.require_not_erased()
        if self.plan_id is not None:
            raise SectorPlanReplaced(
                f"citizen {self.id} has coordinated plan {self.plan_id}: propose the "
                f"{sector_plan.sector.value} intervention in it",
                citizen_id=self.id,
                plan_id=self.plan_id,
            )

    def include_in_sector_plan(
        self,
        *,
        intervention_id: UUID,
        sector_plan: SectorPlanRef,
        legal_basis: LegalBasis,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Hold a new intervention under one of the citizen's own sector plans: only
        without a coordinated plan (rule 2), and not under a sector plan already
        delivered to the public archive (its case file is closed for good; a new effort
        starts a new sector plan, under another reference)."""
        self.check_effort_outside_plan(sector_plan)
        file = self.sector_plans.get(sector_plan)
        if file is not None and file.archived_at is not None:
            raise IllegalTransition(
                f"sector plan {sector_plan} of citizen {self.id} was delivered to the archive "
                f"on {file.archived_at.date().isoformat()}: hold the new effort under a new "
                "sector plan (another reference)",
                citizen_id=self.id,
                intervention_id=intervention_id,
            )
        self._record(
            self.InterventionIncludedInSectorPlan,
            actor=actor,
            effective_at=effective_at,
            intervention_id=intervention_id,
            sector_plan=sector_plan,
            legal_basis=legal_basis,
        )

    def deliver_sector_plan_to_archive(
        self,
        *,
        sector_plan: SectorPlanRef,
        intervention_statuses: Mapping[UUID, InterventionStatus],
        archive: str,
        reference: str,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Record the delivery of a closed sector plan (the case file of the
        interventions held under it) to the public archive, once. Closed: every one of
        its interventions has finished; ``intervention_statuses`` gives the current
        status of each (the application reads them from the interventions)."""
        file = self.sector_plan_file(sector_plan)
        if file.archived_at is not None:
            raise IllegalTransition(
                f"sector plan {sector_plan} of citizen {self.id} was delivered to the "
                "archive already",
                citizen_id=self.id,
            )
        running = tuple(
            i
            for i in file.intervention_ids
            if not (i in intervention_statuses and intervention_statuses[i].is_finished)
        )
        if running:
            raise IllegalTransition(
                f"DeliverSectorPlanToArchive: sector plan {sector_plan} of citizen {self.id} "
                f"is open (interventions {', '.join(map(str, running))} have not finished); "
                "only a closed case file is delivered to the archive",
                citizen_id=self.id,
                intervention_ids=running,
            )
        require_caseworker("DeliverSectorPlanToArchive", "actor", actor)
        self._record(
            self.SectorPlanDeliveredToArchive,
            actor=actor,
            effective_at=effective_at,
            sector_plan=sector_plan,
            intervention_ids=file.intervention_ids,
            archive=require_text("DeliverSectorPlanToArchive", "archive", archive),
            reference=require_text("DeliverSectorPlanToArchive", "reference", reference),
        )

    def join_plan(self, *, plan_id: UUID, actor: Actor, effective_at: datetime) -> None:
        """Rule 1: one plan per citizen at a time."""
        if self.plan_id is not None:
            raise CitizenAlreadyInPlan(
                f"citizen {self.id} already has plan {self.plan_id}",
                citizen_id=self.id,
                plan_id=self.plan_id,
            )
        self._record(self.JoinedPlan, actor=actor, effective_at=effective_at, plan_id=plan_id)

    def leave_plan(
        self, *, plan_id: UUID, reason: str, actor: Actor, effective_at: datetime
    ) -> None:
        if self.plan_id != plan_id:
            raise IllegalTransition(
                f"citizen {self.id} is not in plan {plan_id}", citizen_id=self.id, plan_id=plan_id
            )
        self._record(
            self.LeftPlan, actor=actor, effective_at=effective_at, plan_id=plan_id, reason=reason
        )

    # --- queries ---------------------------------------------------------------------

    def consent(self, consent_id: UUID) -> Consent:
        try:
            return self.consents[consent_id]
        except KeyError:
            raise ConsentNotFound(self.id, consent_id) from None

    def sector_plan_file(self, sector_plan: SectorPlanRef) -> SectorPlanFile:
        """The case file of one of the citizen's own sector plans."""
        try:
            return self.sector_plans[sector_plan]
        except KeyError:
            raise SectorPlanNotFound(self.id, sector_plan) from None

    def consents_covering(
        self, sector: Sector, category: InformationCategory | None, at: datetime
    ) -> tuple[UUID, ...]:
        """The ids of this citizen's consents that let ``sector`` receive ``category``."""
        return tuple(c.consent_id for c in self.consents.values() if c.covers(sector, category, at))
