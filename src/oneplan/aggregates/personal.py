"""Which fields of an event are personal data, and what each reads as once erased.

Every event class declares its personal fields next to its other fields::

    class GoalSet(OnePlanAggregate.Event):
        personal: ClassVar[Personal] = {"description": text(), "target": optional()}

The event store seals (encrypts) each declared field under the data key of the
citizen it is about, and stores the field's **erased placeholder** in its place. So
the placeholder is what anyone reads once the key is destroyed (crypto-shredding), and
it is always a valid value of the field's type: replays, views and metrics go on
working on the fields that are not personal (ids, statuses, dates, sectors, legal
bases, amounts). A field whose value is its own placeholder (an empty note, a
caseworker acting) holds nothing personal and is not sealed.

By default a field is sealed under the key of the stream's citizen (for a household
plan: the household's key); ``of_citizen_in="citizen_id"`` names the field that says
which citizen it belongs to instead (a household member's own wishes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from oneplan.values import Actor, ActorKind, ConsentGiver, MeetingAttendee

__all__ = [
    "ERASED",
    "ERASED_ID",
    "Personal",
    "PersonalField",
    "attendees",
    "givers",
    "optional",
    "person",
    "personal_fields",
    "text",
    "texts",
    "texts_by_citizen",
]

ERASED = "[erased]"
"""What erased free text reads as."""
ERASED_ID = "erased"
"""What the id of an erased citizen or guardian acting on the record reads as."""


@attrs.frozen
class PersonalField:
    """A personal field: how it reads once erased, and whose key seals it."""

    redact: Callable[[Any], Any]
    """The field's value -> its erased placeholder (the value itself: nothing personal)."""
    of_citizen_in: str | None = None
    """The field naming the citizen it belongs to (None: the stream's citizen)."""
    by_citizen: bool = False
    """The field maps citizen ids (as text) to values: each value is sealed under its
    own citizen's key, and one that is its own placeholder is left in the clear."""


Personal = Mapping[str, PersonalField]


def _text(value: str) -> str:
    return value if not value else ERASED


def _texts(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_text(v) for v in values)


def _none(value: Any) -> None:
    return None


_NOT_PERSONAL = (ActorKind.CASEWORKER, ActorKind.SYSTEM, ActorKind.AUDITOR)
"""Actors who are staff or systems of the municipality: not the citizen's personal data."""


def _person(actor: Actor) -> Actor:
    if actor.kind in _NOT_PERSONAL:
        return actor
    return Actor(id=ERASED_ID, kind=actor.kind)


def _attendee(who: MeetingAttendee) -> MeetingAttendee:
    if who.kind is ActorKind.CASEWORKER:
        return who
    return MeetingAttendee(id=ERASED_ID, kind=who.kind, sector=who.sector)


def _attendees(values: tuple[MeetingAttendee, ...]) -> tuple[MeetingAttendee, ...]:
    return tuple(_attendee(v) for v in values)


def _givers(values: tuple[ConsentGiver, ...]) -> tuple[ConsentGiver, ...]:
    return tuple(ConsentGiver(kind=v.kind) if v.name else v for v in values)


def text(*, of_citizen_in: str | None = None) -> PersonalField:
    """Free text: reads as ``[erased]`` (an empty text stays empty)."""
    return PersonalField(_text, of_citizen_in)


def texts() -> PersonalField:
    """A tuple of free texts: each reads as ``[erased]``."""
    return PersonalField(_texts)


def _texts_by_citizen(values: Mapping[str, str]) -> dict[str, str]:
    return {citizen: _text(v) for citizen, v in values.items()}


def texts_by_citizen() -> PersonalField:
    """Free texts by citizen id (a household's wishes, each member's own): each reads as
    ``[erased]`` once its citizen's key is destroyed."""
    return PersonalField(_texts_by_citizen, by_citizen=True)


def optional() -> PersonalField:
    """An optional value (a birth date, a CPR number, a target): reads as None."""
    return PersonalField(_none)


def person() -> PersonalField:
    """An actor: a caseworker is not personal data of the citizen; the citizen or a
    guardian reads as an actor of the same kind with id ``erased`` and no name."""
    return PersonalField(_person)


def attendees() -> PersonalField:
    """Meeting attendees: the caseworkers stay; the citizen and guardians read as
    ``erased`` (so the count of attendees and the caseworkers met stay)."""
    return PersonalField(_attendees)


def givers() -> PersonalField:
    """Who gave a consent: the kinds stay (the BL § 110 check), the names go."""
    return PersonalField(_givers)


_DECLARED: dict[type[Any], Mapping[str, PersonalField]] = {}


def personal_fields(cls: type[Any]) -> Mapping[str, PersonalField]:
    """Every personal field of an event class: its own declaration and its bases'."""
    found = _DECLARED.get(cls)
    if found is None:
        merged: dict[str, PersonalField] = {}
        for klass in reversed(cls.__mro__):
            merged.update(klass.__dict__.get("personal", {}))
        found = _DECLARED[cls] = merged
    return found
