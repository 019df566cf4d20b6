"""The letter tests' fixed world: Mette's plan of the citizen's-plan tests (as of 12 March
2026), with everything the letter must never show added (an intervention stopped for an
internal reason, a hand-over and its reason, a closing reason), the municipality as
sender, Anne's and Lars's entries in the staff directory, and an access log with reads
before and after the last letter."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import attrs

from oneplan.aggregates.access import items_shown
from oneplan.letter import CitizenLetter, Language, Municipality, StaffContact, build_letter
from oneplan.projections.access_log import AccessEntry
from oneplan.projections.plan_view import HandOverItem, PlanState
from oneplan.values import (
    AccessedItem,
    Actor,
    ActorKind,
    ContactDetails,
    DeliveryChannel,
    DisclosureBasis,
    InterventionStatus,
    LegalBasis,
    Sector,
)
from tests.projections.test_citizen_plan import (
    ANNE,
    AS_OF,
    CITIZENS,
    CONSENT,
    CONTACT_PERSON,
    DECISION_NOTE,
    END_REASON,
    HAND_OVER_REASON,
    JONAS,
    LARS,
    MEETING_DECISION,
    METTE,
    PLAN,
    PROGRESS_NOTE,
    SOFIE,
    at,
    mettes_plan,
)

__all__ = [
    "ANNE_PHONE",
    "AS_OF",
    "CITIZENS",
    "INTERNAL",
    "JONAS",
    "METTE",
    "MUNICIPALITY",
    "PLAN",
    "STAFF",
    "access_log",
    "household_letter",
    "letter",
    "plan_with_internals",
]

ANNE_PHONE = "72 36 01 23"
MUNICIPALITY = Municipality(
    name="Furesø Kommune", address=("Stiager 2", "3500 Værløse"), record_language=Language.DA
)
STAFF = {
    "anne": StaffContact(
        name="Anne Thomsen",
        title="tværmyndig sagsbehandler",
        contact=ContactDetails(
            phone=ANNE_PHONE,
            email="anne.t@furesoe.dk",
            digital_post="Furesø Kommune, Jobcenter Furesø",
            opening_hours="man-tors 9-15, fre 9-12",
        ),
    ),
    "lars": StaffContact(
        name="Lars Nielsen", title="socialrådgiver", contact=ContactDetails(phone="72 36 02 00")
    ),
}
CLOSING_REASON = "Closing reason, internal"
INTERNAL = (
    PROGRESS_NOTE,
    DECISION_NOTE,
    MEETING_DECISION,
    END_REASON,
    HAND_OVER_REASON,
    CLOSING_REASON,
    "48000",
    "48.000",
    "48,000",
    "3715",
    "3.715",
    "3,715",
    "DKK",
    "kr.",
    "medarbejder-id",
    "staff id",
    str(PLAN),
    str(METTE),
    str(CONSENT),
    str(CONTACT_PERSON),
)
"""What the letter never shows: notes, decisions, reasons, costs and internal ids."""

LAST_LETTER = at(2026, 2, 15)
"""When the plan was last delivered (the letter before this one)."""


def plan_with_internals() -> PlanState:
    """Mette's plan with a stopped intervention, a hand-over and a closing reason, and
    delivered to her on 15 February 2026."""
    plan = mettes_plan()
    stopped = attrs.evolve(
        plan.interventions[CONTACT_PERSON],
        status=InterventionStatus.STOPPED,
        ended_at=at(2026, 3, 10),
        end_reason=END_REASON,
    )
    hand_over = HandOverItem(
        at=at(2026, 1, 20), previous=LARS, new=ANNE, reason=HAND_OVER_REASON, previous_stays_as=None
    )
    return attrs.evolve(
        plan,
        interventions={**plan.interventions, CONTACT_PERSON: stopped},
        hand_overs=(hand_over,),
        closing_reason=CLOSING_REASON,
        delivered=((1, DeliveryChannel.DIGITAL_POST, LAST_LETTER),),
    )


def _entry(
    n: int,
    when: datetime,
    reader: Actor,
    *,
    what: str = "sector-view",
    sector: Sector | None = None,
    items: tuple[AccessedItem, ...] = (),
    basis: str = "",
    recipient: str = "",
    plan_id: UUID | None = PLAN,
) -> AccessEntry:
    return AccessEntry(
        access_id=UUID(int=9000 + n),
        reader=reader,
        read_at=when,
        recorded_at=when,
        sector=sector if sector is not None else reader.sector,
        plan_id=plan_id,
        as_of=None,
        shown=items_shown(items),
        what=what,
        recipient=recipient,
        basis=basis,
    )


def access_log() -> dict[UUID, tuple[AccessEntry, ...]]:
    """Mette's access log: a read before the last letter (not shown again), two reads by
    Lars under her consent, one by Sofie of her own intervention, a FHIR export, an
    auditor's read, her own read (not news to her) and a journey read of her alone."""
    consent = AccessedItem(
        kind="goal", item_id="g", basis=DisclosureBasis.CONSENT, consent_ids=(CONSENT,)
    )
    own = AccessedItem(
        kind="intervention",
        item_id="i",
        basis=DisclosureBasis.OWN_SECTOR,
        legal_basis=LegalBasis.parse("SUL § 140"),
    )
    auditor = Actor(id="rev-7", kind=ActorKind.AUDITOR)
    mette = Actor(id=str(METTE), kind=ActorKind.CITIZEN)
    entries = (
        _entry(1, at(2026, 2, 10), LARS, items=(consent,)),
        _entry(2, at(2026, 2, 20), LARS, items=(consent,)),
        _entry(3, at(2026, 3, 2), LARS, items=(consent,)),
        _entry(4, at(2026, 3, 3), SOFIE, items=(own,)),
        _entry(
            5,
            at(2026, 3, 5),
            ANNE,
            what="fhir-export",
            basis="consent",
            recipient="EOJ Nordsjælland",
        ),
        _entry(6, at(2026, 3, 6), auditor, what="full-record", basis="Kommunestyrelsesloven § 42"),
        _entry(7, at(2026, 3, 7), mette, what="citizen-plan", basis="the citizen's own plan"),
        _entry(
            8,
            at(2026, 3, 8),
            ANNE,
            what="journey",
            basis="staff holding the citizen's plan",
            plan_id=None,
        ),
        _entry(9, at(2026, 3, 13), LARS, items=(consent,)),  # after the letter's date
    )
    return {METTE: entries}


def letter(
    language: Language = Language.DA,
    *,
    plan: PlanState | None = None,
    sender: Municipality = MUNICIPALITY,
) -> CitizenLetter:
    return build_letter(
        plan or plan_with_internals(),
        CITIZENS,
        as_of=AS_OF,
        language=language,
        sender=sender,
        staff=STAFF,
        access=access_log(),
    )


def household_letter(language: Language = Language.DA) -> CitizenLetter:
    """Mette and Jonas's household plan; a read of Mette's journey is hers alone."""
    plan = attrs.evolve(
        plan_with_internals(),
        citizen_ids=(METTE, JONAS),
        wishes={METTE: "Ro derhjemme.", JONAS: "Jeg vil gerne spille fodbold igen."},
    )
    log = access_log()
    return build_letter(
        plan,
        CITIZENS,
        as_of=AS_OF.astimezone(UTC),
        language=language,
        sender=MUNICIPALITY,
        staff=STAFF,
        access={METTE: log[METTE], JONAS: tuple(e for e in log[METTE] if e.what != "journey")},
    )
