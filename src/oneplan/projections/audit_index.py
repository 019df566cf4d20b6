"""The audit trail's index: which streams concern each citizen, plan and actor.

The audit trail itself is read from the log (``oneplan.audit.trail``): one entry per
stored event, in the order recorded, derived from the event alone. This view only tells
a query which streams to read, so that the trail of one citizen, one plan or one
caseworker does not need the whole log. Every row is ``{"stream_ids": [...]}``
(``AuditStreams``):

- ``c/<citizen id>``: one row per citizen, the streams concerning them in the order
  first seen: their own record, every plan they are in, every intervention for them (in
  a plan or under their own sector plan), every read of their plan and every other
  disclosure of their data (``AccessRecord``);
- ``p/<plan id>``: one row per plan: the plan, its interventions, every read or other
  disclosure of it, and the record of every citizen who joined it;
- ``a/<actor id>/<stream id>``: one row per stream a staff member or system job changed
  or read, holding that stream alone (a citizen or guardian acting is found through the
  citizen's ``c/`` row: their id is personal data of the record, never a key that
  outlives its erasure).

A citizen's or a plan's row is bounded by their case, so it is one row, appended to when
a stream begins about them (or a citizen joins the plan). An actor's is not (a
caseworker acts on thousands of streams over the years, and one row would be written
again, whole, at every catch-up in which they act): one small row per stream, written
again as they act on it, never grown. Read the index with ``AuditIndexView.streams``,
which also reads the rows of version 4 (one row per citizen or plan and stream), as a
table not yet rebuilt holds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar
from uuid import UUID

import attrs
import orjson

from oneplan.aggregates.access import AccessRecord
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.projections.base import Fold, KeysOf, Route, replace
from oneplan.trusted_events import uuid_text
from oneplan.values import ActorKind

_CITIZEN, _GUARDIAN = ActorKind.CITIZEN, ActorKind.GUARDIAN
"""Actors whose identity is personal data of the record they act on."""

__all__ = ["AuditIndexView", "AuditStreams"]


@attrs.frozen
class AuditStreams:
    """Streams (a citizen's record, a plan, an intervention, a read) to read, in the
    order first seen: a citizen's or plan's every one, or the one an actor acted on."""

    stream_ids: tuple[UUID, ...] = ()


class AuditIndexView(Fold[AuditStreams]):
    """Which streams to read for one citizen's, plan's or actor's audit trail."""

    name: ClassVar[str] = "audit_index"
    version: ClassVar[int] = 5
    """2: interventions under a citizen's own sector plan are in the citizen's rows.
    3: every disclosure of a citizen's data (``AccessRecord.Disclosed``) is in the
    citizen's rows, and in the plan's when it names one.
    4: actor rows only for staff and system jobs: a citizen or guardian acting is
    personal data of the record's owner (it reads as ``erased`` once they are erased),
    so it is never a key; the trail finds a citizen's own acts through their ``c/`` rows.
    5: one row per citizen and per plan listing its streams (``AuditStreams``), not one
    per citizen or plan and stream: fewer than half the rows to make, write and delete in
    a rebuild (27,037 for 59,527 on the 100,438 events of ``benchmarks/bench_rebuild.py``);
    an actor's rows stay one per stream."""
    state_type: ClassVar[type[Any]] = AuditStreams

    def keys(self, event: Any, route: Route | None) -> tuple[str, ...]:
        return _keys_of(type(event))(event, route)

    def keys_for(self, event_class: type[Any]) -> KeysOf:
        """``keys``, with what depends on ``event_class`` worked out once."""
        if type(self).keys is not AuditIndexView.keys:
            return self.keys
        return _keys_of(event_class)

    def initial(self, key: str) -> AuditStreams:
        """A citizen's or plan's row before its first stream; an actor's row with the
        stream its key ends with."""
        if key.startswith("a/"):
            return AuditStreams(stream_ids=(UUID(key.rsplit("/", 1)[1]),))
        return AuditStreams()

    def load_row(self, key: str, data: bytes | None) -> str | dict[str, None]:
        """The row as the runner folds it (``oneplan.projections.working``): an actor's,
        the stream's id as text (all it holds, and what its key ends with, so never
        read); a citizen's or plan's, its streams' ids as text, in order, as the keys of
        a dict appended to in place."""
        if key.startswith("a/"):
            return key.rsplit("/", 1)[1]
        if data is None:
            return {}
        return dict.fromkeys(orjson.loads(data)["stream_ids"])

    def dump_row(self, row: str | dict[str, None]) -> bytes:
        if row.__class__ is str:
            return b'{"stream_ids":["' + row.encode() + b'"]}'
        if not row:
            return b'{"stream_ids":[]}'
        return b'{"stream_ids":["' + '","'.join(row).encode() + b'"]}'

    def handles(self, event: Any) -> bool:
        return True

    @staticmethod
    def key(kind: str, value: object) -> str:
        """The key of a citizen's (``c``) or plan's (``p``) row."""
        if kind not in ("c", "p"):
            raise ValueError(f"only a citizen's or plan's streams are in one row, not {kind!r}")
        return f"{kind}/{value}"

    @staticmethod
    def prefix(kind: str, value: object) -> str:
        """The key prefix of a citizen's (``c``), plan's (``p``) or actor's (``a``) rows:
        a citizen's or plan's one row (and the rows of version 4, one per stream, which
        begin with it and a slash), an actor's ``a/<actor>/``."""
        return f"{kind}/{value}/" if kind == "a" else AuditIndexView.key(kind, value)

    @staticmethod
    def streams(rows: Iterable[tuple[str, bytes]], kind: str, value: object) -> list[UUID]:
        """The streams the stored ``rows`` (key and bytes, as ``ViewStore.read_prefix``
        gives them for ``prefix(kind, value)``) list for a citizen, plan or actor, first
        seen first. Rows of version 4 (``{"stream_id": ...}``, one per stream) are read
        too: a table being rebuilt elsewhere is read as it stands until it is swapped."""
        head = f"{kind}/{value}"
        found: dict[str, None] = {}
        for key, data in rows:
            if key != head and not key.startswith(head + "/"):
                continue  # (another actor whose id begins with this one's)
            row = orjson.loads(data)
            ids = row.get("stream_ids")
            found.update(dict.fromkeys(ids if ids is not None else (row["stream_id"],)))
        return [UUID(stream) for stream in found]


@AuditIndexView.on(
    Citizen.Registered,
    Plan.Opened,
    Intervention.Proposed,
    Intervention.ProposedUnderSectorPlan,
    AccessRecord.SectorViewRead,
    AccessRecord.Disclosed,
    Citizen.JoinedPlan,
)
def _with_stream(state: Any, event: Any) -> Any:
    """The row with the event's stream added, where not there yet: a citizen's or plan's
    (a working row, or a frozen one); an actor's holds it already (its key's stream).
    Only the events that begin a stream about a citizen or plan (or join a citizen to
    one, ``_heads``) are folded; every other event only makes its actor's row, if new
    (the runner makes it without calling a fold: ``Fold``'s passive views)."""
    if state.__class__ is dict:
        state[uuid_text(event.originator_id)] = None
        return state
    if state.__class__ is str:
        return state  # (an actor's working row)
    stream = event.originator_id
    if stream in state.stream_ids:
        return state
    return replace(state, stream_ids=(*state.stream_ids, stream))


_KEYS: dict[type[Any], KeysOf] = {}


def _keys_of(event_class: type[Any]) -> KeysOf:
    """The keys of an event of ``event_class``: the citizen's and plan's rows its stream
    is added to (by its class, worked out once), and the row of its actor (a staff member
    or system job) and stream."""
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
    """The citizen and plan rows an event of ``event_class`` adds its stream to (None:
    none), as a function of the event and its stream's id."""
    if issubclass(event_class, Citizen.Registered):
        return lambda e, stream: [f"c/{stream}"]
    if issubclass(event_class, Plan.Opened):
        return lambda e, stream: [
            *(f"c/{uuid_text(c)}" for c in e.citizen_ids),
            f"p/{stream}",
        ]
    if issubclass(event_class, Intervention.Proposed):
        return lambda e, stream: [
            f"c/{uuid_text(e.citizen_id)}",
            f"p/{uuid_text(e.plan_id)}",
        ]
    if issubclass(event_class, Intervention.ProposedUnderSectorPlan):
        return lambda e, stream: [f"c/{uuid_text(e.citizen_id)}"]
    if issubclass(event_class, AccessRecord.SectorViewRead):
        return lambda e, stream: [
            *(f"c/{uuid_text(c)}" for c in e.citizen_ids),
            f"p/{uuid_text(e.plan_id)}",
        ]
    if issubclass(event_class, AccessRecord.Disclosed):

        def disclosed(e: Any, stream: str) -> list[str]:
            found = [f"c/{uuid_text(c)}" for c in e.citizen_ids]
            if e.plan_id is not None:
                found.append(f"p/{uuid_text(e.plan_id)}")
            return found

        return disclosed
    if issubclass(event_class, Citizen.JoinedPlan):
        return lambda e, stream: [f"p/{uuid_text(e.plan_id)}"]
    return None
