"""The audit trail's index: which streams concern each citizen, plan and actor.

The audit trail itself is read from the log (``oneplan.audit.trail``): one entry per
stored event, in the order recorded, derived from the event alone. This view only tells
a query which streams to read, so that the trail of one citizen, one plan or one
caseworker does not need the whole log. One row per (citizen, plan or actor; stream):

- ``c/<citizen id>/<stream id>``: the citizen's own record, every plan they are in,
  every intervention for them (in a plan or under their own sector plan), every read
  of their plan and every other disclosure of their data (``AccessRecord``);
- ``p/<plan id>/<stream id>``: the plan, its interventions, every read or other
  disclosure of it, and the record of every citizen who joined it;
- ``a/<actor id>/<stream id>``: every stream a staff member or system job changed or
  read (a citizen or guardian acting is found through the citizen's ``c/`` rows: their
  id is personal data of the record, never a key that outlives its erasure).

Citizen and plan rows are written when a stream begins (or a citizen joins the plan);
an actor's row each time they act on a stream (a small row, written again, never grown).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar
from uuid import UUID

import attrs

from oneplan.aggregates.access import AccessRecord
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.projections.base import Fold, KeysOf, Route
from oneplan.trusted_events import uuid_text
from oneplan.values import ActorKind

_CITIZEN, _GUARDIAN = ActorKind.CITIZEN, ActorKind.GUARDIAN
"""Actors whose identity is personal data of the record they act on."""

__all__ = ["AuditIndexView", "AuditStream"]


@attrs.frozen
class AuditStream:
    """A stream (a citizen's record, a plan, an intervention, a read) to read."""

    stream_id: UUID


class AuditIndexView(Fold[AuditStream]):
    """Which streams to read for one citizen's, plan's or actor's audit trail."""

    name: ClassVar[str] = "audit_index"
    version: ClassVar[int] = 4
    """2: interventions under a citizen's own sector plan are in the citizen's rows.
    3: every disclosure of a citizen's data (``AccessRecord.Disclosed``) is in the
    citizen's rows, and in the plan's when it names one.
    4: actor rows only for staff and system jobs: a citizen or guardian acting is
    personal data of the record's owner (it reads as ``erased`` once they are erased),
    so it is never a key; the trail finds a citizen's own acts through their ``c/`` rows."""
    state_type: ClassVar[type[Any]] = AuditStream

    def keys(self, event: Any, route: Route | None) -> tuple[str, ...]:
        return _keys_of(type(event))(event, route)

    def keys_for(self, event_class: type[Any]) -> KeysOf:
        """``keys``, with what depends on ``event_class`` worked out once."""
        if type(self).keys is not AuditIndexView.keys:
            return self.keys
        return _keys_of(event_class)

    def initial(self, key: str) -> AuditStream:
        return AuditStream(stream_id=UUID(key.rsplit("/", 1)[1]))

    def load_row(self, key: str, data: bytes | None) -> str:
        """The row as the runner folds it (``oneplan.projections.working``): the stream's
        id as text, which is all a row holds and which its key ends with."""
        return key.rsplit("/", 1)[1]

    def dump_row(self, row: str) -> bytes:
        return b'{"stream_id":"' + row.encode() + b'"}'

    def handles(self, event: Any) -> bool:
        return True

    @staticmethod
    def prefix(kind: str, value: object) -> str:
        """The key prefix of a citizen's (``c``), plan's (``p``) or actor's (``a``) rows."""
        return f"{kind}/{value}/"


_KEYS: dict[type[Any], KeysOf] = {}


def _keys_of(event_class: type[Any]) -> KeysOf:
    """The keys of an event of ``event_class``: the rows of the streams it begins or
    joins (by its class, worked out once), and the row of its actor (a staff member or
    system job)."""
    found = _KEYS.get(event_class)
    if found is not None:
        return found
    heads = _heads(event_class)

    def keys(event: Any, route: Route | None) -> tuple[str, ...]:
        stream = uuid_text(event.originator_id)
        actor = getattr(event, "actor", None)
        if heads is None:  # (most events: the actor's row alone)
            if actor is None or actor.kind is _CITIZEN or actor.kind is _GUARDIAN:
                return ()
            return (f"a/{actor.id}/{stream}",)
        found = heads(event, stream)
        if actor is not None and actor.kind is not _CITIZEN and actor.kind is not _GUARDIAN:
            found.append(f"a/{actor.id}/{stream}")
        return tuple(found)

    _KEYS[event_class] = keys
    return keys


def _heads(event_class: type[Any]) -> Callable[[Any, str], list[str]] | None:
    """The citizen and plan rows an event of ``event_class`` makes for its stream (None:
    none), as a function of the event and its stream's id."""
    if issubclass(event_class, Citizen.Registered):
        return lambda e, stream: [f"c/{stream}/{stream}"]
    if issubclass(event_class, Plan.Opened):
        return lambda e, stream: [
            *(f"c/{uuid_text(c)}/{stream}" for c in e.citizen_ids),
            f"p/{stream}/{stream}",
        ]
    if issubclass(event_class, Intervention.Proposed):
        return lambda e, stream: [
            f"c/{uuid_text(e.citizen_id)}/{stream}",
            f"p/{uuid_text(e.plan_id)}/{stream}",
        ]
    if issubclass(event_class, Intervention.ProposedUnderSectorPlan):
        return lambda e, stream: [f"c/{uuid_text(e.citizen_id)}/{stream}"]
    if issubclass(event_class, AccessRecord.SectorViewRead):
        return lambda e, stream: [
            *(f"c/{uuid_text(c)}/{stream}" for c in e.citizen_ids),
            f"p/{uuid_text(e.plan_id)}/{stream}",
        ]
    if issubclass(event_class, AccessRecord.Disclosed):

        def disclosed(e: Any, stream: str) -> list[str]:
            found = [f"c/{uuid_text(c)}/{stream}" for c in e.citizen_ids]
            if e.plan_id is not None:
                found.append(f"p/{uuid_text(e.plan_id)}/{stream}")
            return found

        return disclosed
    if issubclass(event_class, Citizen.JoinedPlan):
        return lambda e, stream: [f"p/{uuid_text(e.plan_id)}/{stream}"]
    return None
