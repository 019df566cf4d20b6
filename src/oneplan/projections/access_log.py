"""The access log as the citizen is shown it: who has looked at my data.

Every read of a plan's sector view is recorded (``AccessRecord.SectorViewRead``), naming
the reader, the sector they read as, the plan, the time the plan was read as of, and
every item they were shown with the consent or legal basis that allowed it (the consent
travels with what is shared): by id, in runs of one kind under one basis
(``ItemsShown``), never copies of the items. This view keeps those reads for each
citizen the plan is about, in the order recorded: a household plan's read appears in
every member's log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

import attrs
import orjson

from oneplan.aggregates.access import AccessRecord, ItemsShown
from oneplan.projections.base import Fold, KeysOf, Route, codec, no_keys, replace
from oneplan.trusted_events import uuid_text
from oneplan.values import AccessedItem, Actor, DisclosureBasis, LegalBasis, Sector

__all__ = [
    "EVERY_CITIZEN",
    "WHOLE_RECORD",
    "AccessEntry",
    "AccessLogState",
    "AccessLogView",
    "access_log_json",
]

WHOLE_RECORD = "*"
"""The key head of disclosures of the whole record (shown in every citizen's log)."""
EVERY_CITIZEN = UUID(int=0)


@attrs.frozen
class AccessEntry:
    """One read of the citizen's plan: who read it, when, as which sector, and what they
    were shown under which consent or legal basis."""

    access_id: UUID
    reader: Actor
    read_at: datetime
    """When the read happened (its effective time)."""
    recorded_at: datetime
    sector: Sector | None
    """The sector read as (a sector view); None for other disclosures."""
    plan_id: UUID | None
    as_of: datetime | None
    """The time the plan was read as of (None: as it stood when read)."""
    shown: tuple[ItemsShown, ...]
    """What was shown, by id, with what allowed it: runs of items of one kind under one
    basis (``items`` gives them one by one)."""
    what: str = "sector-view"
    """What was disclosed: ``sector-view``, or one of ``AccessRecord``'s ``DISCLOSURES``
    (``citizen-plan``, ``journey``, ``fhir-export``, ``audit-export``, ``full-record``,
    ``evaluation-extract``, ...)."""
    recipient: str = ""
    """To whom, where not the reader (another system a FHIR export went to)."""
    basis: str = ""
    """What allowed a disclosure other than a sector view's read."""
    disclosure_consents: tuple[UUID, ...] = ()
    whole_record: bool = False
    """A disclosure of the whole record (an audit export, an evaluation extract): it
    appears in every citizen's log."""

    @property
    def items(self) -> tuple[AccessedItem, ...]:
        """Every item shown, one by one, with the consent or legal basis that allowed it."""
        return tuple(item for run in self.shown for item in run.items())

    @property
    def item_counts(self) -> dict[str, int]:
        """How many items of each kind were shown, kinds in the order first shown."""
        counts: dict[str, int] = {}
        for run in self.shown:
            counts[run.kind] = counts.get(run.kind, 0) + run.count
        return counts

    @property
    def consent_ids(self) -> tuple[UUID, ...]:
        """The consents that allowed something in this read, in the order first named."""
        found = dict.fromkeys(
            [*(c for run in self.shown for c in run.consent_ids), *self.disclosure_consents]
        )
        return tuple(found)

    @property
    def legal_bases(self) -> tuple[LegalBasis, ...]:
        """The legal bases named as allowing something (a sector's own legal basis for its
        own items, or an override), in the order first named."""
        found: list[LegalBasis] = []
        for run in self.shown:
            if run.legal_basis is not None and run.legal_basis not in found:
                found.append(run.legal_basis)
        return tuple(found)

    @property
    def bases(self) -> tuple[DisclosureBasis, ...]:
        """What kinds of allowance were used (own sector, consent, legal basis)."""
        return tuple(dict.fromkeys(run.basis for run in self.shown))


@attrs.frozen
class AccessLogState:
    """One citizen's row: every read of their data, in the order recorded."""

    citizen_id: UUID
    entries: tuple[AccessEntry, ...] = ()

    @property
    def readers(self) -> tuple[str, ...]:
        """The ids of everyone who has read the citizen's data, in the order first read."""
        return tuple(dict.fromkeys(e.reader.id for e in self.entries))


class AccessLogView(Fold[AccessLogState]):
    """Who has read each citizen's data: one row per read and citizen (see ``keys``)."""

    name: ClassVar[str] = "access_log"
    version: ClassVar[int] = 3
    """3: a sector-view read's items as runs of ids under one basis (``shown``)."""
    state_type: ClassVar[type[Any]] = AccessLogState

    def keys(self, event: Any, route: Route | None) -> tuple[str, ...]:
        """One row per read and citizen, ``<citizen id>/<recorded time>/<access id>``: a
        read adds a row and never rewrites the citizen's earlier ones."""
        if isinstance(event, _READS):
            return _read_keys(event, route)
        return ()

    def keys_for(self, event_class: type[Any]) -> KeysOf:
        """``keys``, with the class of the event looked at once."""
        if type(self).keys is not AccessLogView.keys:
            return self.keys
        return _read_keys if issubclass(event_class, _READS) else no_keys

    def initial(self, key: str) -> AccessLogState:
        head = key.split("/", 1)[0]
        return AccessLogState(citizen_id=EVERY_CITIZEN if head == WHOLE_RECORD else UUID(head))

    def load_row(self, key: str, data: bytes | None) -> _Working:
        """The row as the runner folds it: in working state (``oneplan.projections.working``)."""
        if data is None:
            head = key[: key.index("/")]
            return _Working(_EVERY_CITIZEN if head == WHOLE_RECORD else head, bytearray())
        row = orjson.loads(data)
        entries = bytearray(orjson.dumps(row["entries"])[1:-1])  # (as stored: orjson's)
        return _Working(row["citizen_id"], entries)

    def dump_row(self, row: _Working) -> bytes:
        entries = orjson.Fragment(b"[" + row.entries + b"]")
        return orjson.dumps({"citizen_id": row.citizen_id, "entries": entries})

    @staticmethod
    def merged(
        citizen_id: UUID,
        rows: Iterable[AccessLogState],
        whole_record: Iterable[AccessLogState] = (),
    ) -> AccessLogState:
        """The citizen's whole access log from their rows and the disclosures of the
        whole record (each in key order), in the order recorded."""
        entries = [e for row in rows for e in row.entries]
        entries += [e for row in whole_record for e in row.entries]
        entries.sort(key=lambda e: e.recorded_at)
        return AccessLogState(citizen_id=citizen_id, entries=tuple(entries))


_READS = (AccessRecord.SectorViewRead, AccessRecord.Disclosed)
_EVERY_CITIZEN = str(EVERY_CITIZEN)


def _read_keys(event: Any, route: Route | None) -> tuple[str, ...]:
    """``AccessLogView.keys`` of a read or other disclosure."""
    when = event.timestamp.astimezone(UTC).isoformat()
    access = uuid_text(event.originator_id)
    citizen_ids = event.citizen_ids
    if not citizen_ids:  # the whole record: in every citizen's log
        return (f"{WHOLE_RECORD}/{when}/{access}",)
    if len(citizen_ids) == 1:
        return (f"{uuid_text(citizen_ids[0])}/{when}/{access}",)
    return tuple(f"{uuid_text(c)}/{when}/{access}" for c in citizen_ids)


class _Working:
    """An access-log row while the runner folds it (``oneplan.projections.working``):
    the citizen's id as text (as it is written) and the entries as the JSON the codec
    writes for them, separated by commas (a read's row is written once, and what the
    entry holds need not stay in memory until then)."""

    __slots__ = ("citizen_id", "entries")

    def __init__(self, citizen_id: str, entries: bytearray) -> None:
        self.citizen_id = citizen_id
        self.entries = entries


def _about(state: AccessLogState, citizen_ids: tuple[UUID, ...]) -> bool:
    """Whether the row's citizen is one of ``citizen_ids``."""
    row: Any = state
    if type(row) is _Working:
        citizen_id = row.citizen_id
        return any(uuid_text(c) == citizen_id for c in citizen_ids)
    return state.citizen_id in citizen_ids


_last: tuple[Any, bytes] = (None, b"")
"""The last entry written, and the event it was made from: a household plan's read is
in each member's log, the same entry (its folds follow each other). Let go of by
``forget()`` after each batch a runner folds and when a rebuild ends (the entry is the
reader's and citizens' data in clear)."""


def forget() -> None:
    """Let go of the last entry written (runners do after each batch and rebuild)."""
    global _last
    _last = (None, b"")


def _add(state: AccessLogState, e: Any, entry: Callable[[Any], AccessEntry]) -> AccessLogState:
    """The row with the entry made by ``entry`` from ``e`` added (a working row: in place,
    the entry written, once for every row of the event)."""
    global _last
    row: Any = state
    if type(row) is _Working:
        last = _last
        if last[0] is e:
            data = last[1]
        else:
            data = codec.dumps(entry(e))
            _last = (e, data)
        if row.entries:
            row.entries += b","
        row.entries += data
        return state
    return replace(state, entries=(*state.entries, entry(e)))


_on = AccessLogView.on


def _disclosure(e: AccessRecord.Disclosed) -> AccessEntry:
    return AccessEntry(
        access_id=e.originator_id,
        reader=e.actor,
        read_at=e.effective_at,
        recorded_at=e.timestamp,
        sector=e.actor.sector,
        plan_id=e.plan_id,
        as_of=None,
        shown=(),
        what=e.what,
        recipient=e.recipient,
        basis=e.basis,
        disclosure_consents=e.consent_ids,
        whole_record=not e.citizen_ids,
    )


@_on(AccessRecord.Disclosed)
def _disclosed(state: AccessLogState, e: AccessRecord.Disclosed) -> AccessLogState:
    if e.citizen_ids and not _about(state, e.citizen_ids):
        return state
    return _add(state, e, _disclosure)


def _sector_view_read(e: AccessRecord.SectorViewRead) -> AccessEntry:
    return AccessEntry(
        access_id=e.originator_id,
        reader=e.actor,
        read_at=e.effective_at,
        recorded_at=e.timestamp,
        sector=e.sector,
        plan_id=e.plan_id,
        as_of=e.as_of,
        shown=e.shown,
    )


@_on(AccessRecord.SectorViewRead)
def _read(state: AccessLogState, e: AccessRecord.SectorViewRead) -> AccessLogState:
    if not _about(state, e.citizen_ids):
        return state
    return _add(state, e, _sector_view_read)


def access_log_json(state: AccessLogState) -> dict[str, Any]:
    """The access log as JSON data for the CLI and HTTP: each entry's ``shown`` (runs of
    ids under one basis) and ``items`` (every item one by one, as before version 3)."""
    data: dict[str, Any] = codec.unstructure(state)
    for entry, out in zip(state.entries, data["entries"], strict=True):
        out["items"] = codec.unstructure(entry.items)
    return data
