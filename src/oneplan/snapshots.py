"""Snapshots of long-lived plans and interventions: a cache of an aggregate's state at a
version, so that reading it (now, or as it stood at a recorded time) folds only the
events after the snapshot.

- Every ``ONEPLAN_SNAPSHOT_INTERVAL`` events (default 100; 0: none) of a plan or an
  intervention, after the save that wrote the event, its state at that version is
  stored in the snapshot table beside the events (eventsourcing's snapshot store). The
  snapshot is written after the events commit, not with them: one that is missing (a
  crash in between, a failed write) only means a longer fold.
- A snapshot is sealed like an event (``oneplan.persistence``): its whole state is one
  personal field, sealed under the stream owner's data key, and a household member's
  own wishes are sealed under that member's key. Once the owner's key is destroyed
  (erasure) the state reads as None and the snapshot is not used: the aggregate is
  folded from its events, which read as their erased placeholders. The snapshot table is
  not the notification log, so the audit chain never covers (or notices) snapshots.
- The state is written with the view codec (``oneplan.projections.base.codec``) from a
  declared schema of the aggregate's attributes (``PLAN_STATE``, ``INTERVENTION_STATE``);
  a snapshot records the schema's fingerprint and is ignored once the schema changes, so
  a snapshot never needs an upcast: it is a cache, the events stay the record.
- ``recorded_until`` is the latest recorded time (``timestamp``) among the events the
  snapshot folds. A read as of a recorded time uses the latest snapshot whose
  ``recorded_until`` is at or before it (so it folds exactly the events a fold from
  the start would), then folds the rest of the stream.
- A snapshot is authenticated (rule 16: derived data is never trusted as evidence):
  every stored row carries an HMAC-SHA256 (``SnapshotAuthenticator``) under a key
  derived from the audit key (or, where none is configured, the master key), both held
  outside the database, over all of the row: the stream id, the version, the stored
  topic and the stored state (which holds the aggregate's topic, its state, the wishes,
  ``recorded_until``, the schema, the time it was taken and the sealed parts). A row
  whose MAC is missing or fails, or that claims a version its stream does not hold, is
  ignored (the aggregate is folded from its events), logged and counted
  (``OnePlan.snapshots_rejected``), and reported by ``oneplan audit verify``
  (``check_snapshots``); it is never read as state. Without any key a database file
  cannot tell its own snapshots from anyone's, so snapshots are then kept only in
  memory (``memory://``) and are off on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import hmac
import types
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Union, get_args, get_origin
from uuid import UUID

import attrs
import orjson
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import AggregateRecorder, Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from oneplan.aggregates.base import OnePlanAggregate
from oneplan.aggregates.intervention import CostEntry, Decision, Dependency, Intervention
from oneplan.aggregates.personal import Personal, PersonalField, texts_by_citizen
from oneplan.aggregates.plan import Goal, Meeting, Participant, Plan
from oneplan.errors import SnapshotRejected
from oneplan.keys import Keys
from oneplan.projections.base import codec
from oneplan.values import (
    Actor,
    BudgetArea,
    InterventionOutcome,
    InterventionStatus,
    LegalBasis,
    Money,
    OverarchingGoal,
    Period,
    PlanOutcome,
    PlanStatus,
    Sector,
    SectorPlanRef,
)

if TYPE_CHECKING:
    from oneplan.audit.verify import Verification

__all__ = [
    "DEFAULT_SNAPSHOT_INTERVAL",
    "INTERVENTION_STATE",
    "PLAN_STATE",
    "SNAPSHOT_INTERVAL_VARIABLE",
    "AggregateSnapshot",
    "SnapshotAuthenticator",
    "SnapshotCheck",
    "SnapshotMapper",
    "SnapshotSchemaOutdated",
    "beyond_head",
    "check_snapshot_rows",
    "check_snapshots",
    "read_only_snapshot_check",
    "recorded_until",
    "snapshot_interval",
    "snapshotted",
    "with_snapshot_check",
]

SNAPSHOT_INTERVAL_VARIABLE = "ONEPLAN_SNAPSHOT_INTERVAL"
DEFAULT_SNAPSHOT_INTERVAL = 100
"""A snapshot every this many events of a plan or an intervention."""

_COMMON: dict[str, Any] = {
    "_created_on": datetime,
    "_modified_on": datetime,
    "began_at": datetime | None,
}

PLAN_STATE: dict[str, Any] = {
    **_COMMON,
    "citizen_ids": tuple[UUID, ...],
    "status": PlanStatus,
    "replaces": tuple[SectorPlanRef, ...],
    "legal_bases": tuple[LegalBasis, ...],
    "consent_ids": tuple[UUID, ...],
    "overarching_goal": OverarchingGoal | None,
    "coordinator": Actor | None,
    "opened_by": str | None,
    "participants": dict[str, Participant],
    "goals": dict[UUID, Goal],
    "meetings": tuple[Meeting, ...],
    "intervention_ids": tuple[UUID, ...],
    "delivered_versions": int,
    "hold_reason": str | None,
    "outcome": PlanOutcome | None,
    "closed_at": datetime | None,
    "coordinator_changes": int,
    "archived_at": datetime | None,
    "last_step": str | None,
    "last_step_at": datetime | None,
}
"""A plan's attributes and their types, but ``wishes`` (each citizen's own: a snapshot
field of its own, sealed per citizen)."""

INTERVENTION_STATE: dict[str, Any] = {
    **_COMMON,
    "plan_id": UUID | None,
    "sector_plan": SectorPlanRef | None,
    "citizen_id": UUID,
    "sector": Sector,
    "legal_basis": LegalBasis,
    "title": str,
    "goal_ids": tuple[UUID, ...],
    "responsible": Actor,
    "planned_period": Period,
    "planned_cost": Money,
    "budget_area": BudgetArea,
    "status": InterventionStatus,
    "decision": Decision | None,
    "scheduled_start": date | None,
    "started_at": datetime | None,
    "ended_at": datetime | None,
    "pause_reason": str | None,
    "expected_resume": date | None,
    "paused_at": datetime | None,
    "outcome": InterventionOutcome | None,
    "end_reason": str | None,
    "actual_costs": tuple[CostEntry, ...],
    "dependencies": tuple[Dependency, ...],
    "last_step": str | None,
    "last_step_at": datetime | None,
    "responsible_since": datetime | None,
    "latest_event": str | None,
    "latest_at": datetime | None,
}

_SCHEMAS: dict[type[OnePlanAggregate], dict[str, Any]] = {
    Plan: PLAN_STATE,
    Intervention: INTERVENTION_STATE,
}
_SEPARATE: dict[type[OnePlanAggregate], str] = {Plan: "wishes"}
"""Attributes stored in a snapshot field of their own (sealed per citizen)."""
_BOOKKEEPING = {"_id", "_version", "_pending_events"}


class SnapshotSchemaOutdated(TypeError):
    """An aggregate holds an attribute its snapshot schema does not declare (a
    programming error: declare it in ``oneplan.snapshots``)."""


def snapshotted() -> tuple[type[OnePlanAggregate], ...]:
    """The aggregate classes that are snapshotted."""
    return tuple(_SCHEMAS)


def snapshot_interval(settings: Mapping[str, str]) -> int:
    """The interval ``ONEPLAN_SNAPSHOT_INTERVAL`` in ``settings`` names (0: none).

    Raises ``ValueError`` for anything but a whole number of at least 0."""
    raw = settings.get(SNAPSHOT_INTERVAL_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_SNAPSHOT_INTERVAL
    value = int(raw)
    if value < 0:
        raise ValueError(f"{SNAPSHOT_INTERVAL_VARIABLE} must be 0 or more, not {raw!r}")
    return value


def recorded_until(stored: StoredEvent, mapper: Mapper[Any]) -> datetime:
    """A stored snapshot's ``recorded_until``, read from its clear JSON without opening
    or validating the rest (to choose a snapshot before mapping it)."""
    data = stored.state
    if mapper.cipher:
        data = mapper.cipher.decrypt(data)
    if mapper.compressor:
        data = mapper.compressor.decompress(data)
    # The field comes after the state and the wishes, and only a hex fingerprint and
    # base64 parts follow it: its last occurrence as a key is the snapshot's own.
    at = data.rfind(_RECORDED_UNTIL)
    if at < 0:  # pragma: no cover - every snapshot has one
        return datetime.fromisoformat(orjson.loads(data)["recorded_until"])
    start = at + len(_RECORDED_UNTIL)
    return datetime.fromisoformat(data[start : data.index(b'"', start)].decode())


_RECORDED_UNTIL = b'"recorded_until":"'


def _describe(kind: Any) -> str:
    """A type, spelled out down to the fields of the values it holds."""
    args = get_args(kind)
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        return "|".join(sorted(_describe(a) for a in args))
    if origin is not None:
        return f"{getattr(origin, '__name__', origin)}[{','.join(_describe(a) for a in args)}]"
    if kind is Ellipsis:
        return "..."
    name = getattr(kind, "__qualname__", repr(kind))
    if attrs.has(kind):
        fields = attrs.fields(attrs.resolve_types(kind))
        return f"{name}({','.join(f'{f.name}:{_describe(f.type)}' for f in fields)})"
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        inner = ",".join(
            f"{n}:{_describe(f.annotation)}" for n, f in sorted(kind.model_fields.items())
        )
        return f"{name}({inner})"
    return str(name)


def _fingerprint(cls: type[OnePlanAggregate]) -> str:
    schema = _SCHEMAS[cls]
    text = ";".join(f"{n}:{_describe(t)}" for n, t in schema.items())
    return hashlib.sha256(f"{get_topic(cls)}|{text}".encode()).hexdigest()[:16]


_FINGERPRINTS: dict[type[OnePlanAggregate], str] = {}


def _fingerprint_of(cls: type[OnePlanAggregate]) -> str:
    found = _FINGERPRINTS.get(cls)
    if found is None:
        found = _FINGERPRINTS[cls] = _fingerprint(cls)
    return found


def _whole(value: Any) -> None:
    return None


class AggregateSnapshot(Snapshot):
    """A plan's or an intervention's state at a version (a cache of its events' fold)."""

    state: dict[str, Any] | None  # type: ignore[assignment]
    """The attributes as JSON data (None: sealed under a key that was destroyed)."""
    wishes: dict[str, str]
    """A plan's citizens' own wishes by citizen id (empty for an intervention)."""
    recorded_until: datetime
    """The latest recorded time among the events folded into it."""
    schema: str
    """The fingerprint of the state schema it was written with."""

    personal: ClassVar[Personal] = {
        "state": PersonalField(_whole),
        "wishes": texts_by_citizen(),
    }

    @classmethod
    def of(cls, aggregate: OnePlanAggregate, recorded_until: datetime) -> AggregateSnapshot:
        """The snapshot of ``aggregate`` as it is (its pending events are not in it)."""
        kind = type(aggregate)
        schema = _SCHEMAS[kind]
        separate = _SEPARATE.get(kind)
        attributes = vars(aggregate)
        unknown = set(attributes) - set(schema) - _BOOKKEEPING - {separate}
        missing = set(schema) - set(attributes)
        if unknown or missing:
            raise SnapshotSchemaOutdated(
                f"{kind.__qualname__} holds {sorted(unknown)} and lacks {sorted(missing)}: "
                "update its schema in oneplan.snapshots"
            )
        data = {name: codec.unstructure(attributes[name], kind_) for name, kind_ in schema.items()}
        wishes = (
            {str(citizen): text for citizen, text in attributes[separate].items()}
            if separate
            else {}
        )
        fields: dict[str, Any] = {
            "originator_id": aggregate.id,
            "originator_version": aggregate.version,
            "timestamp": cls.create_timestamp(),
            "topic": get_topic(kind),
            "state": orjson.loads(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)),
            "wishes": wishes,
            "recorded_until": recorded_until,
            "schema": _fingerprint_of(kind),
        }
        return cls(**fields)

    @property
    def usable(self) -> bool:
        """Readable (not erased) and written with the current schema."""
        if self.state is None:
            return False
        kind = resolve_topic(self.topic)
        return kind in _SCHEMAS and self.schema == _fingerprint_of(kind)

    def mutate(self, _: Any = None) -> OnePlanAggregate:
        """The aggregate as it was at the snapshot's version (only when ``usable``)."""
        assert self.state is not None
        kind: type[OnePlanAggregate] = resolve_topic(self.topic)
        schema = _SCHEMAS[kind]
        aggregate = object.__new__(kind)
        state = {name: codec.structure(self.state[name], kind_) for name, kind_ in schema.items()}
        separate = _SEPARATE.get(kind)
        if separate:
            state[separate] = {UUID(citizen): text for citizen, text in self.wishes.items()}
        state["_id"] = self.originator_id
        state["_version"] = self.originator_version
        state["_pending_events"] = []
        aggregate.__dict__.update(state)
        return aggregate


# --- authentication (rule 16) ----------------------------------------------------------

_MAGIC = b"oneplan-snapshot-mac-v1:"
"""How an authenticated row's stored state begins: then the MAC (32 bytes), then the
state as the event mapper wrote it."""
_MAC_BYTES = 32


def _stream_bytes(stream_id: UUID | str) -> bytes:
    if isinstance(stream_id, UUID):
        return stream_id.bytes
    try:
        return UUID(str(stream_id)).bytes
    except ValueError:
        return str(stream_id).encode()


class SnapshotAuthenticator:
    """MACs and checks stored snapshot rows under a key held outside the database."""

    def __init__(self, key: bytes) -> None:
        self._key = hmac.new(key, b"oneplan snapshot rows v1", hashlib.sha256).digest()
        """Derived from the configured key, so no MAC made here is valid anywhere else."""

    @classmethod
    def for_keys(cls, keys: Keys) -> SnapshotAuthenticator | None:
        """The authenticator under the audit key (the key an auditor holds), else the
        master key (None: neither is configured)."""
        key = keys.audit_key or keys.master_key
        return cls(key) if key else None

    def mac(self, stream_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
        """The MAC of a row: every column, each delimited by its length."""
        stream = _stream_bytes(stream_id)
        named = topic.encode()
        message = b"".join(
            (
                len(stream).to_bytes(2, "big"),
                stream,
                version.to_bytes(8, "big", signed=True),
                len(named).to_bytes(4, "big"),
                named,
                state,
            )
        )
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def sign(self, stored: StoredEvent) -> StoredEvent:
        """The row with its MAC in front of its state."""
        state = bytes(stored.state)
        mac = self.mac(stored.originator_id, stored.originator_version, stored.topic, state)
        return StoredEvent(
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=_MAGIC + mac + state,
        )

    def open(self, stored: StoredEvent) -> StoredEvent:
        """The row as the event mapper wrote it, once its MAC holds; ``SnapshotRejected``
        when it has none or it fails."""
        data = bytes(stored.state)
        stream, version = stored.originator_id, stored.originator_version
        if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + _MAC_BYTES:
            raise SnapshotRejected(
                f"the snapshot of {stream} at version {version} carries no MAC: written "
                "without the key (or before snapshots were authenticated)",
                stream_id=stream,
                version=version,
                reason="no MAC",
            )
        mac = data[len(_MAGIC) : len(_MAGIC) + _MAC_BYTES]
        state = data[len(_MAGIC) + _MAC_BYTES :]
        if not hmac.compare_digest(mac, self.mac(stream, version, stored.topic, state)):
            raise SnapshotRejected(
                f"the snapshot of {stream} at version {version} fails authentication: "
                "altered, moved from another row or stream, or written with another key",
                stream_id=stream,
                version=version,
                reason="MAC fails",
            )
        return StoredEvent(
            originator_id=stream, originator_version=version, topic=stored.topic, state=state
        )


class SnapshotMapper(Mapper[UUID]):
    """The snapshot store's mapper: the event mapper (``inner``: sealing, exact JSON),
    with every row MACed on the way out and checked on the way in (no MAC checks
    without an ``authenticator``: only in memory, where nothing else writes)."""

    def __init__(self, inner: Mapper[UUID], authenticator: SnapshotAuthenticator | None) -> None:
        super().__init__(
            transcoder=inner.transcoder, compressor=inner.compressor, cipher=inner.cipher
        )
        self.inner = inner
        self.authenticator = authenticator

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        stored = self.inner.to_stored_event(domain_event)
        return self.authenticator.sign(stored) if self.authenticator else stored

    def authentic(self, stored: StoredEvent) -> StoredEvent:
        """The row as the event mapper wrote it; ``SnapshotRejected`` if not ours."""
        return self.authenticator.open(stored) if self.authenticator else stored

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return self.inner.to_domain_event(self.authentic(stored_event))


@attrs.frozen
class SnapshotCheck:
    """What a check of every stored snapshot row found (``check_snapshots``)."""

    rows: int
    """Snapshot rows read."""
    rejected: tuple[SnapshotRejected, ...]
    """The rows that are not oneplan's or claim a version beyond their stream's head."""

    def summary(self) -> str:
        """One line naming the first rejected row and how many there are."""
        if not self.rejected:
            return f"{self.rows} snapshot rows authenticated"
        first = self.rejected[0]
        return (
            f"{len(self.rejected)} of {self.rows} snapshot rows rejected (never read as "
            f"state; delete them: docs/operations.md), the first: {first.message}"
        )


def snapshot_streams(recorder: AggregateRecorder) -> list[UUID | str]:
    """Every stream that has a row in the snapshot table of ``recorder`` (SQLite,
    PostgreSQL or memory)."""
    table = getattr(recorder, "events_table_name", None)
    datastore = getattr(recorder, "datastore", None)
    if table is None or datastore is None:  # memory: the recorder's own index
        index = getattr(recorder, "_stored_events_index", {})
        return [UUID(s) for s, versions in list(index.items()) if versions]
    schema = getattr(datastore, "schema", None)
    if schema is None:  # SQLite
        with datastore.transaction(commit=False) as c:
            c.execute(f"SELECT DISTINCT originator_id FROM {table}")
            convert: Callable[[Any], UUID | str] = recorder.convert_originator_id  # type: ignore[attr-defined]
            return [convert(row[0]) for row in c.fetchall()]
    from psycopg.sql import SQL, Identifier

    query = SQL("SELECT DISTINCT originator_id FROM {}.{}").format(
        Identifier(schema), Identifier(table)
    )
    with datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(query)
        return [row["originator_id"] for row in curs.fetchall()]


def check_snapshots(
    recorder: AggregateRecorder,
    mapper: SnapshotMapper,
    head_of: Callable[[UUID | str], int | None],
) -> SnapshotCheck:
    """Every stored snapshot row of ``recorder`` checked (``check_snapshot_rows``)."""
    rows = (row for stream in snapshot_streams(recorder) for row in recorder.select_events(stream))
    return check_snapshot_rows(rows, mapper.authentic, head_of)


def check_snapshot_rows(
    rows: Iterable[StoredEvent],
    authentic: Callable[[StoredEvent], StoredEvent],
    head_of: Callable[[UUID | str], int | None],
) -> SnapshotCheck:
    """Each stored snapshot row checked: its MAC (``authentic`` raises
    ``SnapshotRejected``) and its version against its stream's last version
    (``head_of``: None for a stream with no events). Reads only stored bytes: no
    personal data is opened."""
    count = 0
    rejected: list[SnapshotRejected] = []
    heads: dict[Any, int] = {}
    for row in rows:
        count += 1
        try:
            authentic(row)
        except SnapshotRejected as e:
            rejected.append(e)
            continue
        stream = row.originator_id
        if stream not in heads:
            heads[stream] = head_of(stream) or 0
        if row.originator_version > heads[stream]:
            rejected.append(beyond_head(stream, row.originator_version, heads[stream]))
    return SnapshotCheck(rows=count, rejected=tuple(rejected))


def beyond_head(stream: UUID | str, version: int, head: int) -> SnapshotRejected:
    """The error for a snapshot row at a version its stream does not hold."""
    return SnapshotRejected(
        f"the snapshot of {stream} claims version {version}, beyond its stream's last "
        f"event ({head})",
        stream_id=stream,
        version=version,
        reason="beyond the stream's head",
    )


def with_snapshot_check(result: Verification, check: SnapshotCheck | None) -> Verification:
    """A log's verification with its snapshot rows' check added: a rejected row makes it
    broken (``Breach.SNAPSHOT``, naming the first and how many) unless the log itself
    already is (its breach comes first). ``check`` None: the rows were not checked."""
    from oneplan.audit.verify import Breach, Finding, VerificationStatus

    if check is None or result.finding is not None:
        return result
    if not check.rejected:
        return attrs.evolve(result, snapshots=check.rows)
    return attrs.evolve(
        result,
        status=VerificationStatus.BROKEN,
        snapshots=check.rows,
        finding=Finding(0, Breach.SNAPSHOT, check.summary()),
    )


def read_only_snapshot_check(
    connection: Any, audit_key: bytes | None, schema: str | None = None
) -> SnapshotCheck | None:
    """The snapshot rows of a record opened read-only (``oneplan.audit.readonly``: a
    ``sqlite3`` connection, or a psycopg one with ``schema``) checked with a key derived
    from ``audit_key`` alone. None where they cannot be: no key, no snapshot table, or
    (PostgreSQL) a role without ``SELECT`` on it."""
    if audit_key is None:
        return None
    authentic = SnapshotAuthenticator(audit_key).open
    if schema is None:
        return _sqlite_snapshot_check(connection, authentic)
    return _postgres_snapshot_check(connection, schema, authentic)


def _sqlite_snapshot_check(
    connection: Any, authentic: Callable[[StoredEvent], StoredEvent]
) -> SnapshotCheck | None:
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stored_snapshots'"
    ).fetchall()
    if not found:
        return None
    heads = dict(
        connection.execute(
            "SELECT originator_id, MAX(originator_version) FROM stored_events WHERE "
            "originator_id IN (SELECT originator_id FROM stored_snapshots) GROUP BY originator_id"
        ).fetchall()
    )
    rows = (
        StoredEvent(
            originator_id=_uuid_or_text(r[0]), originator_version=r[1], topic=r[2], state=r[3]
        )
        for r in connection.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_snapshots "
            "ORDER BY originator_id, originator_version"
        )
    )
    return check_snapshot_rows(rows, authentic, lambda s: heads.get(_stored_id(s)))


def _uuid_or_text(value: str) -> UUID | str:
    try:
        return UUID(value)
    except ValueError:
        return value


def _stored_id(stream: UUID | str) -> str:
    """A stream id as the SQLite tables store it."""
    return stream.hex if isinstance(stream, UUID) else stream


def _postgres_snapshot_check(
    connection: Any, schema: str, authentic: Callable[[StoredEvent], StoredEvent]
) -> SnapshotCheck | None:
    from psycopg.sql import SQL, Identifier

    table = SQL("{}.{}").format(Identifier(schema), Identifier("oneplan_snapshots"))
    events = SQL("{}.{}").format(Identifier(schema), Identifier("oneplan_events"))
    readable = connection.execute(
        "SELECT has_table_privilege(c.oid, 'SELECT') FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = 'oneplan_snapshots'",
        (schema,),
    ).fetchall()
    if not readable or not readable[0][0]:
        return None
    heads = dict(
        connection.execute(
            SQL(
                "SELECT originator_id, MAX(originator_version) FROM {} WHERE originator_id IN "
                "(SELECT originator_id FROM {}) GROUP BY originator_id"
            ).format(events, table)
        ).fetchall()
    )
    rows = (
        StoredEvent(originator_id=r[0], originator_version=r[1], topic=r[2], state=bytes(r[3]))
        for r in connection.execute(
            SQL(
                "SELECT originator_id, originator_version, topic, state FROM {} "
                "ORDER BY originator_id, originator_version"
            ).format(table)
        ).fetchall()
    )
    return check_snapshot_rows(rows, authentic, heads.get)
