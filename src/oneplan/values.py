"""Value objects and status vocabularies of the one coordinated plan.

Every value here is frozen and validated on creation. Values stored in events are
pydantic models or ``StrEnum`` members so that they round-trip exactly through the
event store (enums stay enums, tuples stay tuples, decimals stay exact).
"""

from __future__ import annotations

import operator
import re
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

__all__ = [
    "LAW_SECTORS",
    "AccessedItem",
    "AchievementStatus",
    "Actor",
    "ActorKind",
    "BudgetArea",
    "CaseworkerId",
    "ConsentGivenHow",
    "ConsentGiver",
    "ConsentStatus",
    "ContactDetails",
    "CprNumber",
    "DeliveryChannel",
    "DependencyType",
    "DisclosureBasis",
    "GoalStatus",
    "InformationCategory",
    "InterventionOutcome",
    "InterventionStatus",
    "Law",
    "LegalBasis",
    "MeetingAttendee",
    "Money",
    "OptionalText",
    "OverarchingGoal",
    "OverarchingGoalKind",
    "ParticipantRole",
    "Period",
    "PlanOutcome",
    "PlanStatus",
    "Responsibility",
    "Sector",
    "SectorPlanRef",
    "StaffRole",
    "Target",
    "Text",
    "cpr_birth_date",
]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Unicode's control characters (category Cc), but for tab and newline."""


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000),
    AfterValidator(_no_control_characters),
]
"""Free text written by a person: trimmed, not blank, no control characters."""

OptionalText = Annotated[str, AfterValidator(_no_control_characters)]
"""Free text that may be empty (a note, an optional reason): any length the field
allows, but no control characters (tab and newline aside), as ``Text``."""

CaseworkerId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"),
]
"""A caseworker's (or other actor's) identifier in the municipality's directory."""


_CPR = re.compile(r"^(\d{2})(\d{2})(\d{2})-?(\d)(\d{3})$")


def cpr_birth_date(cpr: str) -> date:
    """The birth date a CPR number (*personnummer*) encodes: DDMMYY and, from the 7th
    digit, the century (CPR-kontoret's table: 0-3 the 1900s; 4 and 9 the 2000s up to
    36, else the 1900s; 5-8 the 2000s up to 57, else the 1800s). Raises ``ValueError``
    (never naming the number) when the format or the date is wrong."""
    match = _CPR.match(cpr.strip())
    if match is None:
        raise ValueError("a CPR number is 10 digits, DDMMYY-SSSS")
    day, month, yy, seventh = (int(match[i]) for i in range(1, 5))
    if seventh <= 3:
        century = 1900
    elif seventh in (4, 9):
        century = 2000 if yy <= 36 else 1900
    else:
        century = 2000 if yy <= 57 else 1800
    try:
        return date(century + yy, month, day)
    except ValueError:
        raise ValueError("a CPR number must begin with a real date (DDMMYY)") from None


def _valid_cpr(value: str) -> str:
    cpr_birth_date(value)
    return value.strip().replace("-", "")


CprNumber = Annotated[str, AfterValidator(_valid_cpr)]
"""A Danish CPR number (*personnummer*), validated (format and date) and kept as 10
digits. It is personal data: stored only sealed, looked up only by a keyed hash, and
never shown in an error message."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class _Enum(StrEnum):
    """A ``StrEnum`` whose ``value`` is read by C code (a plain ``property`` over
    ``attrgetter``): ``Enum.value`` is two Python calls, and pydantic reads it for every
    member it writes to JSON, a dozen times a command's events. The same value."""

    if not TYPE_CHECKING:  # (for mypy an enum's ``value`` stays what it was)
        value = property(operator.attrgetter("_value_"))


# --- sectors and law ---------------------------------------------------------------


class Sector(_Enum):
    """A municipal sector (*forvaltning*), each working under its own law."""

    EMPLOYMENT = "employment"
    SOCIAL = "social"
    HEALTH = "health"
    CHILDREN_AND_FAMILY = "children-and-family"
    EDUCATION = "education"
    HOUSING = "housing"


class Law(_Enum):
    """A law a decision or an intervention is made under."""

    LAB = "LAB"
    """Lov om en aktiv beskæftigelsesindsats (employment measures)."""
    LAS = "LAS"
    """Lov om aktiv socialpolitik (benefits such as kontanthjælp; sanctions)."""
    SEL = "SEL"
    """Serviceloven (social services, e.g. § 85 support contact person)."""
    BL = "BL"
    """Barnets lov (children and family)."""
    SUL = "SUL"
    """Sundhedsloven (health)."""
    STU = "STU"
    """Lov om ungdomsuddannelse for unge med særlige behov (education)."""
    FGU = "FGU"
    """Lov om forberedende grunduddannelse (education)."""
    ABL = "ABL"
    """Almenboligloven (housing, e.g. municipal referral to housing)."""
    RSL = "RSL"
    """Retssikkerhedsloven (procedure; legal bases for sharing without consent)."""
    FVL = "FVL"
    """Forvaltningsloven (administrative procedure; disclosure rules)."""


LAW_SECTORS: dict[Law, frozenset[Sector]] = {
    Law.LAB: frozenset({Sector.EMPLOYMENT}),
    Law.LAS: frozenset({Sector.EMPLOYMENT, Sector.SOCIAL}),
    Law.SEL: frozenset({Sector.SOCIAL, Sector.HOUSING, Sector.HEALTH}),
    Law.BL: frozenset({Sector.CHILDREN_AND_FAMILY}),
    Law.SUL: frozenset({Sector.HEALTH}),
    Law.STU: frozenset({Sector.EDUCATION}),
    Law.FGU: frozenset({Sector.EDUCATION, Sector.EMPLOYMENT}),
    Law.ABL: frozenset({Sector.HOUSING}),
    Law.RSL: frozenset(Sector),
    Law.FVL: frozenset(Sector),
}
"""Which sectors may run an intervention under which law (rule 2 of DOMAIN.md)."""

_SECTION = re.compile(r"^(?P<number>\d{1,4})(?: ?(?P<letter>[a-z]))?(?: stk\. (?P<stk>\d{1,2}))?$")
_LEGAL_BASIS = re.compile(r"^\s*(?P<law>[A-Za-zÆØÅæøå]+)\s*§\s*(?P<section>.+?)\s*$")


class LegalBasis(_Frozen):
    """A law and a section of it, such as ``SEL § 85`` or ``LAB § 30 b``."""

    law: Law
    section: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]

    @field_validator("section")
    @classmethod
    def _section_is_a_paragraph(cls, value: str) -> str:
        value = " ".join(value.split())
        match = _SECTION.match(value)
        if match is None:
            raise ValueError("section must look like '85', '30 b' or '141 stk. 7'")
        text = match["number"]
        if match["letter"]:
            text += f" {match['letter']}"
        if match["stk"]:
            text += f" stk. {match['stk']}"
        return text

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            match = _LEGAL_BASIS.match(data)
            if match is None:
                raise ValueError("legal basis must look like 'SEL § 85'")
            return {"law": match["law"].upper(), "section": match["section"]}
        return data

    @classmethod
    def parse(cls, text: str) -> LegalBasis:
        """Parse ``"SEL § 85"`` into a legal basis."""
        return cls.model_validate(text)

    def __str__(self) -> str:
        return f"{self.law.value} § {self.section}"


# --- people -------------------------------------------------------------------------


class ActorKind(_Enum):
    """Who makes a change: every change is made by someone, none is anonymous."""

    CASEWORKER = "caseworker"
    """A staff member of a sector (from the staff directory)."""
    CITIZEN = "citizen"
    GUARDIAN = "guardian"
    """A holder of custody (*forældremyndighed*) or a guardian acting for a citizen."""
    SYSTEM = "system"
    """A system job of the municipality's (a bootstrap, a batch run), named by the host."""
    AUDITOR = "auditor"
    """An auditor reading the record (never writing it)."""


class Actor(_Frozen):
    """A person acting on the record: a caseworker of a sector with the laws they hold
    authority under (*myndighed*), or the citizen or their guardian."""

    id: CaseworkerId
    kind: ActorKind = ActorKind.CASEWORKER
    sector: Sector | None = None
    authorities: tuple[Law, ...] = ()
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""

    @field_validator("authorities")
    @classmethod
    def _sorted_unique(cls, value: tuple[Law, ...]) -> tuple[Law, ...]:
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _caseworker_has_sector(self) -> Self:
        if self.kind is ActorKind.CASEWORKER and self.sector is None:
            raise ValueError("a caseworker acts for a sector")
        if self.kind is not ActorKind.CASEWORKER and self.authorities:
            raise ValueError("only caseworkers hold authority under a law")
        return self

    @classmethod
    def caseworker(cls, id: str, sector: Sector, *authorities: Law, name: str = "") -> Actor:
        """A caseworker of ``sector`` with authority under ``authorities``."""
        return cls(id=id, sector=sector, authorities=tuple(authorities), name=name)

    @property
    def is_caseworker(self) -> bool:
        return self.kind is ActorKind.CASEWORKER

    @property
    def is_cross_authority(self) -> bool:
        """A *tværmyndig sagsbehandler*: holds authority under more than one law."""
        return len(self.authorities) > 1

    def holds_authority_under(self, law: Law) -> bool:
        return law in self.authorities

    def __str__(self) -> str:
        label = self.name or self.id
        return f"{label} ({self.sector.value})" if self.sector else f"{label} ({self.kind.value})"


class ParticipantRole(_Enum):
    """The role a caseworker holds in a plan besides the coordinator's."""

    CASEWORKER = "caseworker"
    CO_COORDINATOR = "co-coordinator"
    """One of Randers' paired coordinators (*makkerpar*)."""
    ADVISORY_PARTNER = "advisory-partner"
    """Gribskov's formal advisor on another law or field (*sparringspartner*)."""
    FAMILY_COORDINATOR = "family-coordinator"
    """Furesø's family coordinator, who builds the family plan and steps back."""


# --- money --------------------------------------------------------------------------


class BudgetArea(_Enum):
    """The frame a cost is booked to."""

    SERVICE = "service"
    """What the municipality spends on efforts (*serviceramme*)."""
    TRANSFERS = "transfers"
    """Benefits paid to citizens (*overførselsindkomster*), such as kontanthjælp."""


class Money(_Frozen):
    """An exact amount in Danish kroner (two decimals, never negative)."""

    amount: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False)]
    currency: Annotated[str, Field(pattern="^DKK$")] = "DKK"

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: Any) -> Any:
        if isinstance(data, int | str | Decimal | float) and not isinstance(data, bool):
            data = {"amount": data}
        if isinstance(data, dict) and isinstance(data.get("amount"), float | bool):
            raise ValueError("give an amount as a string or Decimal: a float is not exact")
        return data

    @classmethod
    def dkk(cls, amount: int | str | Decimal) -> Money:
        """``Money.dkk("1250.50")``: floats are refused, they are not exact."""
        return cls.model_validate(amount)

    def __add__(self, other: Money) -> Money:
        return Money(amount=self.amount + other.amount)

    def __str__(self) -> str:
        return f"DKK {self.amount:,.2f}"


# --- time ---------------------------------------------------------------------------


class Period(_Frozen):
    """From a start date to an optional end date (both inclusive)."""

    start: date
    end: date | None = None

    @model_validator(mode="after")
    def _end_not_before_start(self) -> Self:
        if self.end is not None and self.end < self.start:
            raise ValueError("period ends before it starts")
        return self

    def contains(self, day: date | datetime) -> bool:
        if isinstance(day, datetime):
            day = day.date()
        return self.start <= day and (self.end is None or day <= self.end)

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat() if self.end else ''}"


# --- status vocabularies (FHIR R5) --------------------------------------------------


class PlanStatus(_Enum):
    """CarePlan.status."""

    DRAFT = "draft"
    ACTIVE = "active"
    ON_HOLD = "on-hold"
    REVOKED = "revoked"
    COMPLETED = "completed"
    ENTERED_IN_ERROR = "entered-in-error"

    @property
    def is_closed(self) -> bool:
        return self in (PlanStatus.REVOKED, PlanStatus.COMPLETED, PlanStatus.ENTERED_IN_ERROR)


class GoalStatus(_Enum):
    """Goal.lifecycleStatus."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    ACTIVE = "active"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def is_finished(self) -> bool:
        return self in (GoalStatus.COMPLETED, GoalStatus.CANCELLED)


class AchievementStatus(_Enum):
    """Goal.achievementStatus, recorded separately from the lifecycle."""

    IN_PROGRESS = "in-progress"
    IMPROVING = "improving"
    WORSENING = "worsening"
    NO_CHANGE = "no-change"
    ACHIEVED = "achieved"
    SUSTAINING = "sustaining"
    NOT_ACHIEVED = "not-achieved"
    NO_PROGRESS = "no-progress"
    NOT_ATTAINABLE = "not-attainable"


class InterventionStatus(_Enum):
    """Care-plan activity status of an intervention (*indsats*)."""

    NOT_STARTED = "not-started"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in-progress"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    STOPPED = "stopped"
    CANCELLED = "cancelled"

    @property
    def is_finished(self) -> bool:
        """Completed, stopped and cancelled interventions never change again (rule 5)."""
        return self in (
            InterventionStatus.COMPLETED,
            InterventionStatus.STOPPED,
            InterventionStatus.CANCELLED,
        )

    @property
    def has_started(self) -> bool:
        return self in (
            InterventionStatus.IN_PROGRESS,
            InterventionStatus.ON_HOLD,
            InterventionStatus.COMPLETED,
            InterventionStatus.STOPPED,
        )

    @property
    def has_ended(self) -> bool:
        """Ended after running: completed or stopped (a cancelled one never ran)."""
        return self in (InterventionStatus.COMPLETED, InterventionStatus.STOPPED)


class ConsentStatus(_Enum):
    """Consent.status."""

    ACTIVE = "active"
    INACTIVE = "inactive"


class DependencyType(_Enum):
    """FHIR action-relationship-type: how an intervention waits for another."""

    BEFORE_START = "before-start"
    BEFORE = "before"
    BEFORE_END = "before-end"
    CONCURRENT_WITH_START = "concurrent-with-start"
    CONCURRENT = "concurrent"
    CONCURRENT_WITH_END = "concurrent-with-end"
    AFTER_START = "after-start"
    AFTER = "after"
    AFTER_END = "after-end"

    def allows_start(self, other: InterventionStatus) -> bool:
        """Whether an intervention with this relation to ``other`` may start now.

        ``after-end``/``after``: the other has ended (completed or stopped).
        ``after-start``: the other has started. A cancelled intervention never runs,
        so it holds nothing back. The ``before*`` and ``concurrent*`` relations
        constrain the other intervention, not this one's start.
        """
        if other is InterventionStatus.CANCELLED:
            return True
        if self in (DependencyType.AFTER_END, DependencyType.AFTER):
            return other.has_ended
        if self is DependencyType.AFTER_START:
            return other.has_started
        return True


class InformationCategory(_Enum):
    """Categories of information a consent lets a sector receive."""

    GOALS = "goals"
    INTERVENTIONS = "interventions"
    PROGRESS_NOTES = "progress-notes"
    MEETING_DECISIONS = "meeting-decisions"
    COSTS = "costs"
    HEALTH = "health"
    CONTACT_DETAILS = "contact-details"


class DeliveryChannel(_Enum):
    """How the plan reached the citizen."""

    DIGITAL_POST = "digital-post"
    """The citizen's digital mailbox (e-Boks)."""
    LETTER = "letter"
    IN_PERSON = "in-person"


class InterventionOutcome(_Enum):
    """How an intervention ended, against the goals it supports."""

    GOALS_MET = "goals-met"
    PARTLY_MET = "partly-met"
    NOT_MET = "not-met"


class PlanOutcome(_Enum):
    """Where the citizen's course ended (what effect studies follow)."""

    WORK = "work"
    EDUCATION = "education"
    PARTIAL_SELF_SUPPORT = "partial-self-support"
    NONE = "none"


class OverarchingGoalKind(_Enum):
    """The overarching goal of a plan."""

    WORK = "work"
    EDUCATION = "education"
    FULL_SELF_SUPPORT = "full-self-support"
    PARTIAL_SELF_SUPPORT = "partial-self-support"


class OverarchingGoal(_Frozen):
    """Work, education or self-support (full, partial, or N hours a week)."""

    kind: OverarchingGoalKind
    hours_per_week: Annotated[int, Field(ge=1, le=37)] | None = None

    @model_validator(mode="after")
    def _hours_only_for_partial(self) -> Self:
        if self.hours_per_week is not None and self.kind is OverarchingGoalKind.FULL_SELF_SUPPORT:
            raise ValueError("full self-support has no hours per week")
        return self


class Target(_Frozen):
    """A measurable target for a goal ("takes the bus alone to job training")."""

    measure: Text
    value: Annotated[Decimal, Field(allow_inf_nan=False, max_digits=14)] | None = None
    unit: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""


class SectorPlanRef(_Frozen):
    """A sector's own plan (*handleplan*) that the coordinated plan replaces."""

    # (The docstring above is part of every recorded event shape that holds one: keep it.
    # The same reference names the sector plan a citizen without a coordinated plan has
    # their efforts held under, a case file of theirs; written SECTOR:LAW § N[:REFERENCE].)

    sector: Sector
    legal_basis: LegalBasis
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            sector, sep, rest = data.partition(":")
            legal_basis, _, reference = rest.partition(":")
            if not sep:
                raise ValueError("a sector plan must look like 'social:SEL § 141[:REFERENCE]'")
            return {"sector": sector.strip(), "legal_basis": legal_basis, "reference": reference}
        return data

    @classmethod
    def parse(cls, text: str) -> SectorPlanRef:
        """Parse ``"social:SEL § 141"`` or ``"employment:LAB § 30:JC-2026-118"`` (the
        reference is everything after the second colon)."""
        return cls.model_validate(text)

    def __str__(self) -> str:
        text = f"{self.sector.value}:{self.legal_basis}"
        return f"{text}:{self.reference}" if self.reference else text


class ConsentGiver(_Frozen):
    """Who gave a consent: the citizen themself, or a holder of custody or guardian."""

    kind: ActorKind
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""

    @field_validator("kind")
    @classmethod
    def _citizen_or_guardian(cls, value: ActorKind) -> ActorKind:
        if value not in (ActorKind.CITIZEN, ActorKind.GUARDIAN):
            raise ValueError("a consent is given by the citizen or a guardian")
        return value


class MeetingAttendee(_Frozen):
    """Someone at a coordinating meeting."""

    id: CaseworkerId
    kind: ActorKind = ActorKind.CASEWORKER
    sector: Sector | None = None


class Responsibility(_Frozen):
    """A coordinating meeting's decision of who is responsible for an intervention."""

    intervention_id: UUID
    caseworker: Actor


# --- disclosure ---------------------------------------------------------------------


class DisclosureBasis(_Enum):
    """What allowed showing an item of a plan to a sector."""

    OWN_SECTOR = "own-sector"
    """The sector's own intervention, goal, note or meeting, under its own legal basis."""
    CONSENT = "consent"
    """One or more consents active at the time of reading."""
    LEGAL_BASIS = "legal-basis"
    """An override naming a legal basis (rule 9), recorded when the sector joined."""


class AccessedItem(_Frozen):
    """One item of a plan shown to a reader, and the consent or legal basis that allowed it
    (the consent travels with what is shared)."""

    kind: Annotated[str, StringConstraints(pattern=r"^[a-z-]{1,40}$")]
    item_id: Annotated[str, StringConstraints(max_length=100)]
    basis: DisclosureBasis
    consent_ids: tuple[UUID, ...] = ()
    legal_basis: LegalBasis | None = None


# --- the staff directory ------------------------------------------------------------


class StaffRole(_Enum):
    """What a staff member may do besides casework, granted in the staff directory."""

    CASEWORKER = "caseworker"
    """Holds cases: may register citizens, open plans, join plans, hold interventions."""
    MANAGER = "manager"
    """A manager (*leder*) of a sector: delegates authority under a law to its staff."""
    ADMINISTRATOR = "administrator"
    """Keeps the staff directory: registers staff, grants and revokes roles."""
    RECORDS_OFFICER = "records-officer"
    """Keeps the records (*journalansvarlig*): retention, archive delivery, erasure."""
    KEY_CUSTODIAN = "key-custodian"
    """Holds the keys: rotates the master key, starts the audit chain."""


class ContactDetails(_Frozen):
    """How a citizen reaches a staff member: the letter's sender block needs them."""

    phone: Annotated[str, StringConstraints(max_length=40, pattern=r"^[0-9 +()-]*$")] = ""
    email: Annotated[str, StringConstraints(max_length=200, pattern=r"^([^@\s]+@[^@\s]+)?$")] = ""
    digital_post: Annotated[str, StringConstraints(max_length=200)] = ""
    """The Digital Post address (the unit's mailbox) a citizen writes to."""
    opening_hours: Annotated[str, StringConstraints(max_length=200)] = ""


class ConsentGivenHow(_Enum):
    """How a citizen gave a consent that a caseworker records for them (rule 13)."""

    IN_MEETING = "in-meeting"
    IN_WRITING = "in-writing"
    BY_PHONE = "by-phone"
    DIGITALLY = "digitally"
    """Signed digitally (MitID) in another system."""
