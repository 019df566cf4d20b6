"""What each personal field reads as once its citizen's key is destroyed (rule 10,
crypto-shredding): free text as ``[erased]``, the citizen and guardians as ``erased``
actors of their kind, caseworkers unchanged, consent givers without their names."""

from __future__ import annotations

from typing import ClassVar

from oneplan.aggregates.base import OnePlanAggregate
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.personal import (
    ERASED,
    ERASED_ID,
    Personal,
    attendees,
    givers,
    optional,
    person,
    personal_fields,
    text,
    texts,
)
from oneplan.aggregates.plan import Plan
from oneplan.values import Actor, ActorKind, ConsentGiver, MeetingAttendee, Sector
from tests.builders import LARS


def test_free_text_reads_as_erased_and_empty_text_stays_empty() -> None:
    field = text()
    assert field.redact("wants a job") == ERASED == "[erased]"
    assert field.redact("") == ""
    assert field.of_citizen_in is None
    assert text(of_citizen_in="citizen_id").of_citizen_in == "citizen_id"
    assert text(of_citizen_in="citizen_id").redact("mine") == ERASED


def test_each_of_several_texts_reads_as_erased() -> None:
    assert texts().redact(("start in April", "", "call Mette")) == (ERASED, "", ERASED)
    assert texts().of_citizen_in is None


def test_an_optional_value_reads_as_none() -> None:
    assert optional().redact("0205841234") is None


def test_the_citizen_or_a_guardian_acting_reads_as_erased_a_caseworker_stays() -> None:
    field = person()
    assert field.redact(LARS) == LARS
    for kind in (ActorKind.CITIZEN, ActorKind.GUARDIAN):
        assert field.redact(Actor(id="mette", kind=kind)) == Actor(id=ERASED_ID, kind=kind)
    assert ERASED_ID == "erased"


def test_meeting_attendees_keep_the_caseworkers_and_their_number() -> None:
    citizen = MeetingAttendee(id="mette", kind=ActorKind.CITIZEN, sector=Sector.SOCIAL)
    caseworker = MeetingAttendee(id="lars", sector=Sector.SOCIAL)
    assert attendees().redact((caseworker, citizen)) == (
        caseworker,
        MeetingAttendee(id=ERASED_ID, kind=ActorKind.CITIZEN, sector=Sector.SOCIAL),
    )


def test_consent_givers_keep_their_kinds_and_lose_their_names() -> None:
    named = ConsentGiver(kind=ActorKind.GUARDIAN, name="Mette's mother")
    unnamed = ConsentGiver(kind=ActorKind.CITIZEN)
    assert givers().redact((named, unnamed)) == (ConsentGiver(kind=ActorKind.GUARDIAN), unnamed)


def test_an_events_personal_fields_are_its_own_and_its_bases() -> None:
    assert set(personal_fields(Citizen.Registered)) == {"actor", "name", "birth_date", "cpr"}
    assert set(personal_fields(Plan.GoalSet)) >= {"actor", "description"}
    assert set(personal_fields(OnePlanAggregate.Event)) == {"actor"}
    assert personal_fields(Plan.GoalSet) is personal_fields(Plan.GoalSet)


def test_a_subclass_declares_more_personal_fields_and_overrides_its_bases() -> None:
    # Declared inside the test: personal_fields caches per class, so a class made
    # afresh is worked out afresh.
    class NoteAdded(OnePlanAggregate.Event):
        note: str
        personal: ClassVar[Personal] = {"note": text()}

    class NoteAddedByTheCitizen(NoteAdded):
        personal: ClassVar[Personal] = {"actor": text(of_citizen_in="citizen_id")}

    declared = personal_fields(NoteAdded)
    assert set(declared) == {"actor", "note"}
    assert declared["actor"] == person()
    assert declared["note"] == text()
    assert personal_fields(NoteAdded) is declared
    overridden = personal_fields(NoteAddedByTheCitizen)
    assert set(overridden) == {"actor", "note"}
    assert overridden["actor"].of_citizen_in == "citizen_id"
