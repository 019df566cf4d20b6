"""oneplan's own application recorders: eventsourcing's, with the writes oneplan needs.

``env_for_url`` names them with ``APPLICATION_RECORDER_TOPIC`` (eventsourcing's memory
factory ignores that setting, so ``application_recorder`` honours it for memory too).

- **The audit chain** (``oneplan.audit.chain``): with an audit key, every write adds a
  chain entry for each event *in the same transaction as the events*, after reading the
  chain's head and the previous entry of each stream written to under the write lock
  (SQLite has one writer; PostgreSQL inserts take ``LOCK TABLE ... IN EXCLUSIVE MODE``
  first, so entries follow commit order). The chain starts by itself on an empty record;
  a record that already holds events written without a key starts it on purpose
  (``start_chain``). Once started, a writer without the key, or with another key, is
  refused: the chain cannot skip an event.
- SQLite: every write begins ``BEGIN IMMEDIATE``, taking the write lock before the first
  statement, so a writer that finds the database busy waits up to the lock timeout
  instead of failing at once with ``SQLITE_BUSY`` (the deferred ``BEGIN`` that
  eventsourcing issues upgrades from a read lock, which SQLite cannot wait for).

Each recorder is also the verifier's source of stored rows (``oneplan.audit.verify``):
plain SQL in large batches, the bytes as stored; and the views' runner's source of the
log (``select_log_rows``): the stored events as plain rows, without building a
``Notification`` and parsing a UUID for each (a rebuild reads every event).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    InfrastructureFactory,
    IntegrityError,
    Notification,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteTransaction
from eventsourcing.utils import resolve_topic

from oneplan.audit.chain import (
    ChainEntry,
    ChainKey,
    ChainStart,
    StoredRow,
    link,
    start_from_meta,
    start_to_meta,
)
from oneplan.errors import (
    AuditChainNotStarted,
    AuditKeyMismatch,
    AuditKeyRequired,
    StorageError,
)
from oneplan.trusted_events import uuid_of

__all__ = [
    "CHAIN_TABLE",
    "META_TABLE",
    "READ_VERSIONS",
    "AuditedRecorder",
    "ChainRow",
    "LogRow",
    "MemoryRecorder",
    "SQLiteRecorder",
    "StaleRead",
    "application_recorder",
]

READ_VERSIONS = "read_versions"
"""The keyword argument of ``insert_events`` naming the aggregates a command read and
does not write, each with the version it was decided on (``{id: version}``)."""


class StaleRead(IntegrityError):
    """A write refused in its own transaction because an aggregate its command read (and
    does not write) has a newer version in the store than the one it was decided on.
    The application evicts it and decides the command again."""


CHAIN_TABLE = "oneplan_audit_chain"
META_TABLE = "oneplan_audit_meta"

ChainRow = tuple[Any, Any, Any, Any, Any, Any, Any]
"""One stored event and its chain entry as the verifier reads them: (position, stream id
as stored, in bytes; version; topic in bytes; state; seq or None; mac or None). Values
come as the database holds them, which after tampering may be of any type."""


class LogRow(NamedTuple):
    """One stored event as the views' runner reads the log (``select_log_rows``): its
    position and what the mapper reads, named as ``Notification`` names them, without
    a ``Notification`` built for each."""

    id: int
    originator_id: UUID | str
    originator_version: int
    topic: str
    state: bytes


class AuditedRecorder:
    """What oneplan's recorders share: the audit key and the chain's start, and the
    rule every write follows before its events go in."""

    audit_key: ChainKey | None = None
    _start: ChainStart | None = None
    known_heads_limit = 100_000
    """How many streams' last chained MACs a writer remembers from its own writes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._known_heads: dict[str, tuple[int, bytes]] = {}

    def use_audit_key(self, key: bytes | None) -> None:
        """Write the chain with ``key`` from now on (None: write none)."""
        self.audit_key = ChainKey(key) if key is not None else None
        self._start = None
        self._known_heads = {}

    def _previous_macs(
        self, stored_events: Sequence[StoredEvent]
    ) -> tuple[dict[str, bytes], dict[Any, int]]:
        """The MAC of each written-to stream's previous version where this writer chained
        it itself (a stream's version, once stored, never changes), and the streams whose
        previous version must be read from the store."""
        heads: dict[str, bytes] = {}
        unknown: dict[Any, int] = {}
        for stream, version in _previous_versions(stored_events).items():
            if version < 1:
                continue
            known = self._known_heads.get(_hex(stream))
            if known is not None and known[0] == version:
                heads[_hex(stream)] = known[1]
            else:
                unknown[stream] = version
        return heads, unknown

    def _remember(self, entries: Sequence[ChainEntry]) -> None:
        """After the commit: the streams' last chained MACs, for the next write."""
        known = self._known_heads
        if len(known) > self.known_heads_limit:
            known.clear()
        for entry in entries:
            known[entry.stream_id] = (entry.version, entry.mac)

    def _check_start(
        self, start: ChainStart | None, last_position: int | None
    ) -> ChainStart | None:
        """The chain's start for this write (None: write no chain), or refuse it: a
        record with a chain takes the right key; a key starts a chain by itself only on
        an empty record."""
        key = self.audit_key
        if start is None:
            if key is None:
                return None
            if last_position:
                raise AuditChainNotStarted(
                    f"an audit key is configured, but the record holds events up to position "
                    f"{last_position} written without one: start the audit chain with "
                    "`oneplan audit start` (the events before it are not covered)",
                    position=last_position,
                )
            return ChainStart(0, key.check)
        if key is None:
            raise AuditKeyRequired(
                f"this record keeps an audit chain (key id {start.key_id}): writing needs its "
                "audit key (ONEPLAN_AUDIT_KEY or ONEPLAN_KEY_FILE, see docs/keys.md)",
                after=start.after,
            )
        if start.key_check != key.check:
            raise AuditKeyMismatch(
                f"the configured audit key (key id {key.key_id}) is not the key this record's "
                f"chain was written with (key id {start.key_id})",
                chain_key_id=start.key_id,
                configured_key_id=key.key_id,
            )
        return start

    def _starting(self, start: ChainStart | None, last_position: int) -> ChainStart:
        """The start a deliberate ``start_chain`` records (the chain's own, if it has one)."""
        key = self.audit_key
        if key is None:
            raise AuditKeyRequired("starting the audit chain needs the audit key")
        if start is not None:
            return self._check_start(start, None) or start
        return ChainStart(last_position, key.check)


def _rows(stored_events: Sequence[StoredEvent], positions: Sequence[int]) -> list[StoredRow]:
    return [
        StoredRow(
            position,
            s.originator_id.hex if isinstance(s.originator_id, UUID) else str(s.originator_id),
            s.originator_version,
            s.topic,
            s.state,
        )
        for s, position in zip(stored_events, positions, strict=True)
    ]


def _previous_versions(stored_events: Iterable[StoredEvent]) -> dict[Any, int]:
    """Each stream written to, and the version before the first one written (0: new)."""
    first: dict[Any, int] = {}
    for s in stored_events:
        version = first.get(s.originator_id)
        if version is None or s.originator_version < version:
            first[s.originator_id] = s.originator_version
    return {stream: version - 1 for stream, version in first.items()}


def _single(row: Sequence[Any] | None) -> int:
    """The one integer a ``SELECT MAX(...)`` row holds (0 for none)."""
    return int(row[0] or 0) if row else 0


def _hex(stream_id: Any) -> str:
    return stream_id.hex if isinstance(stream_id, UUID) else str(stream_id)


# --- SQLite --------------------------------------------------------------------------


class _ImmediateTransaction(SQLiteTransaction):
    """eventsourcing's SQLite transaction (same commit, rollback and error mapping),
    begun ``IMMEDIATE``."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:  # still locked when the lock timeout ran out
            raise OperationalError(e) from e
        except sqlite3.Error as e:
            raise PersistenceError(e) from e
        return cursor


class SQLiteRecorder(AuditedRecorder, SQLiteApplicationRecorder):
    """The SQLite application recorder whose writes take the write lock at once and
    chain every event."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} ("
            "notification_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, "
            "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, "
            "mac BLOB NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with (
            self.datastore.get_connection(commit=True) as connection,
            _ImmediateTransaction(connection, commit=True) as cursor,
            cursor,
        ):
            positions, entries = self._write(cursor, stored_events, **kwargs)
        self._remember(entries)
        return positions

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return self._write(c, stored_events, **kwargs)[0]

    def _write(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> tuple[Sequence[int] | None, list[ChainEntry]]:
        """Insert the events and (with a key) their chain entries; refuse as
        ``_check_start`` says."""
        reads = kwargs.pop(READ_VERSIONS, None)
        if self._start is None:  # (the chain's start read in the same statement)
            read = self._check_reads(c, reads, start=True)
        else:
            read = self._start
            self._check_reads(c, reads, start=False)
        last = self._last_position(c) if read is None and self.audit_key is not None else None
        start = self._check_start(read, last)
        if start is not None and read is None:
            self._write_start(c, start)
        positions = super()._insert_events(c, stored_events, **kwargs)
        if start is None or not stored_events:
            return positions, []
        self._start = start
        assert positions is not None
        assert self.audit_key is not None
        heads, unknown = self._previous_macs(stored_events)
        entries = link(
            self.audit_key,
            self._head(c),
            {**heads, **self._stream_heads(c, unknown)},
            _rows(stored_events, positions),
        )
        c.executemany(f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?, ?, ?, ?)", entries)
        return positions, entries

    def _check_reads(
        self, c: SQLiteCursor, read: dict[UUID, int] | None, *, start: bool
    ) -> ChainStart | None:
        """Under the write lock: refuse the write if an aggregate it was decided on has
        a version after the one read (``StaleRead``); with ``start``, read the chain's
        start in the same statement (one statement a write, not one per read)."""
        found = read or {}
        if not found and not start:
            return None
        parts = [f"SELECT name, value FROM {META_TABLE}"] if start else []
        parts += [
            f"SELECT NULL, originator_id FROM {self.events_table_name} "
            "WHERE originator_id = ? AND originator_version = ?"
        ] * len(found)
        c.execute(
            " UNION ALL ".join(parts),
            [
                value
                for aggregate_id, version in found.items()
                for value in (_hex(aggregate_id), version + 1)
            ],
        )
        meta: dict[str, str] = {}
        for name, value in c.fetchall():
            if name is None:
                raise StaleRead(f"{value} has changed since it was read")
            meta[name] = value
        if not start:
            return None
        try:
            return start_from_meta(meta)
        except ValueError as e:
            raise StorageError(f"the audit chain's metadata is unreadable: {e}") from None

    def start_chain(self) -> ChainStart:
        """Start the audit chain after the last event stored now (or return its start,
        when it has one). The events up to there are not covered by it."""
        with (
            self.datastore.get_connection(commit=True) as connection,
            _ImmediateTransaction(connection, commit=True) as cursor,
            cursor,
        ):
            start = self._read_start(cursor)
            chosen = self._starting(start, self._last_position(cursor))
            if start is None:
                self._write_start(cursor, chosen)
            return chosen

    def _read_start(self, c: SQLiteCursor) -> ChainStart | None:
        c.execute(f"SELECT name, value FROM {META_TABLE}")
        try:
            return start_from_meta({row[0]: row[1] for row in c.fetchall()})
        except ValueError as e:
            raise StorageError(f"the audit chain's metadata is unreadable: {e}") from None

    def _write_start(self, c: SQLiteCursor, start: ChainStart) -> None:
        c.executemany(
            f"INSERT INTO {META_TABLE} (name, value) VALUES (?, ?)", start_to_meta(start).items()
        )

    def _last_position(self, c: SQLiteCursor) -> int:
        c.execute(f"SELECT MAX(rowid) FROM {self.events_table_name}")
        return int(c.fetchone()[0] or 0)

    def _head(self, c: SQLiteCursor) -> tuple[int, bytes] | None:
        c.execute(f"SELECT seq, mac FROM {CHAIN_TABLE} ORDER BY notification_id DESC LIMIT 1")
        row = c.fetchone()
        return None if row is None else (row[0], row[1])

    def _stream_heads(self, c: SQLiteCursor, unknown: dict[Any, int]) -> dict[str, bytes]:
        """The chained MACs of these streams' versions, read from the store."""
        heads: dict[str, bytes] = {}
        for stream, version in unknown.items():
            c.execute(
                f"SELECT c.mac FROM {self.events_table_name} e JOIN {CHAIN_TABLE} c "
                "ON c.notification_id = e.rowid WHERE e.originator_id = ? AND "
                "e.originator_version = ?",
                (_hex(stream), version),
            )
            row = c.fetchone()
            if row is not None:
                heads[_hex(stream)] = row[0]
        return heads

    # --- the views' runner's source --------------------------------------------------

    def select_log_rows(self, start: int, limit: int, stop: int | None = None) -> list[LogRow]:
        """The stored events after position ``start`` (up to ``stop``), at most
        ``limit``, in position order: ``select_notifications(start, limit, stop,
        inclusive_of_start=False)`` as plain rows, each stream id parsed once
        (``trusted_events.uuid_of``)."""
        where = "rowid > ?" if stop is None else "rowid > ? AND rowid <= ?"
        rows = self._select(
            "SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {self.events_table_name} WHERE {where} ORDER BY rowid LIMIT ?",
            (start, limit) if stop is None else (start, stop, limit),
        )
        if self.datastore.originator_id_type != "uuid":
            return [LogRow._make(row) for row in rows]
        # (the tuple made directly: a NamedTuple's ``__new__`` is a call of Python code for
        # each of a rebuild's hundred thousand rows)
        make = tuple.__new__
        return [
            make(LogRow, (position, uuid_of(text), version, topic, state))
            for position, text, version, topic, state in rows
        ]

    # --- the verifier's source ---------------------------------------------------------

    def _select(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as c:
            c.sqlite_cursor.row_factory = None
            c.execute(statement, params)
            return list(c.fetchall())

    def chain_start(self) -> ChainStart | None:
        """Where the chain starts (None: no chain); ``ValueError`` if unreadable."""
        return start_from_meta(dict(self._select(f"SELECT name, value FROM {META_TABLE}")))

    def chain_rows(self, after: int | None, limit: int) -> list[ChainRow]:
        """The stored events after position ``after`` (None: from the first, whatever its
        position), at most ``limit``, each with its chain entry (None where it has
        none), in position order."""
        return self._select(
            "SELECT e.rowid, CAST(e.originator_id AS BLOB), e.originator_version, "
            "CAST(e.topic AS BLOB), e.state, c.seq, c.mac "
            f"FROM {self.events_table_name} e LEFT JOIN {CHAIN_TABLE} c "
            "ON c.notification_id = e.rowid "
            + ("" if after is None else "WHERE e.rowid > ? ")
            + "ORDER BY e.rowid LIMIT ?",
            (limit,) if after is None else (after, limit),
        )

    def _entry(self, where: str, params: Sequence[Any]) -> ChainEntry | None:
        found = self._select(
            f"SELECT notification_id, seq, originator_id, originator_version, mac "
            f"FROM {CHAIN_TABLE} WHERE {where} ORDER BY notification_id LIMIT 1",
            params,
        )
        return ChainEntry(*found[0]) if found else None

    def chain_entry_at(self, position: int) -> ChainEntry | None:
        return self._entry("notification_id = ?", (position,))

    def chain_entry_after(self, position: int) -> ChainEntry | None:
        """The first chain entry at a position after ``position``."""
        return self._entry("notification_id > ?", (position,))

    def chain_entry_with_seq(self, seq: int) -> ChainEntry | None:
        return self._entry("seq = ?", (seq,))

    def chain_entry_of(self, stream_id: str, version: int) -> ChainEntry | None:
        return self._entry("originator_id = ? AND originator_version = ?", (stream_id, version))

    def last_chain_entry(self) -> ChainEntry | None:
        found = self._select(
            f"SELECT notification_id, seq, originator_id, originator_version, mac "
            f"FROM {CHAIN_TABLE} ORDER BY notification_id DESC LIMIT 1"
        )
        return ChainEntry(*found[0]) if found else None

    def has_event_at(self, position: int) -> bool:
        return bool(
            self._select(f"SELECT 1 FROM {self.events_table_name} WHERE rowid = ?", (position,))
        )

    def stream_notifications(self, stream_id: UUID) -> list[Notification]:
        """Every stored event of one stream, with its position, oldest first."""
        rows = self._select(
            f"SELECT rowid, originator_id, originator_version, topic, state FROM "
            f"{self.events_table_name} WHERE originator_id = ? ORDER BY originator_version",
            (stream_id.hex,),
        )
        return [
            Notification(
                id=r[0],
                originator_id=self.convert_originator_id(r[1]),
                originator_version=r[2],
                topic=r[3],
                state=r[4],
            )
            for r in rows
        ]


# --- memory --------------------------------------------------------------------------


class MemoryRecorder(AuditedRecorder, POPOApplicationRecorder):
    """eventsourcing's in-memory application recorder, chaining every event."""

    def __init__(self) -> None:
        super().__init__()
        self._chain: dict[int, ChainEntry] = {}
        self._meta: dict[str, str] = {}
        self._stream_macs: dict[str, bytes] = {}
        self._latest: dict[int | str, int] = {}
        """Each stream's latest version (for the stale-read check, without ``str``), by
        ``UUID.int`` (a ``UUID``'s hash is Python code, an ``int``'s is not)."""

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self._database_lock:
            latest = self._latest
            for aggregate_id, version in (kwargs.pop(READ_VERSIONS, None) or {}).items():
                key = aggregate_id.int if isinstance(aggregate_id, UUID) else aggregate_id
                if latest.get(key, 0) > version:
                    raise StaleRead(f"{aggregate_id} has changed since version {version}")
            # eventsourcing's ``_assert_uniqueness`` and ``_update_table``, in one pass that
            # writes each stream id as text once (a UUID's ``str`` is Python code).
            index = self._stored_events_index
            streams = [str(s.originator_id) for s in stored_events]
            new = set()
            for s, stream in zip(stored_events, streams, strict=True):
                if s.originator_version in index[stream]:
                    raise IntegrityError(f"Stored event already recorded: {s}")
                new.add((stream, s.originator_version))
            if len(new) < len(stored_events):
                raise IntegrityError(f"Stored events are not unique: {stored_events}")
            start = None
            if self._meta or self.audit_key is not None:  # (else: no chain, none to start)
                start = self._check_start(start_from_meta(self._meta), len(self._stored_events))
                if start is not None and not self._meta:
                    self._meta = start_to_meta(start)
            table = self._stored_events
            positions = []
            for s, stream in zip(stored_events, streams, strict=True):
                table.append(s)
                index[stream][s.originator_version] = len(table) - 1
                positions.append(len(table))
                sid = s.originator_id
                key = sid.int if isinstance(sid, UUID) else sid
                if s.originator_version > latest.get(key, 0):
                    latest[key] = s.originator_version
            if start is not None and positions:
                assert self.audit_key is not None
                last = next(reversed(self._chain)) if self._chain else None
                head = None if last is None else (self._chain[last].seq, self._chain[last].mac)
                for entry in link(
                    self.audit_key, head, self._stream_macs, _rows(stored_events, positions)
                ):
                    self._chain[entry.position] = entry
            return positions

    def start_chain(self) -> ChainStart:
        with self._database_lock:
            start = start_from_meta(self._meta)
            chosen = self._starting(start, len(self._stored_events))
            self._meta = start_to_meta(chosen)
            return chosen

    def select_log_rows(self, start: int, limit: int, stop: int | None = None) -> list[LogRow]:
        """As ``SQLiteRecorder.select_log_rows``."""
        with self._database_lock:
            table = self._stored_events
            first = max(start, 0)
            end = min(first + limit, len(table) if stop is None else min(stop, len(table)))
            return [
                LogRow(i + 1, s.originator_id, s.originator_version, s.topic, s.state)
                for i, s in zip(range(first, end), table[first:end], strict=True)
            ]

    def chain_start(self) -> ChainStart | None:
        return start_from_meta(self._meta)

    def chain_rows(self, after: int | None, limit: int) -> list[ChainRow]:
        with self._database_lock:
            found: list[ChainRow] = []
            first = max(after or 0, 0)
            for index in range(first, min(first + limit, len(self._stored_events))):
                s = self._stored_events[index]
                entry = self._chain.get(index + 1)
                found.append(
                    (
                        index + 1,
                        _hex(s.originator_id).encode(),
                        s.originator_version,
                        s.topic.encode(),
                        s.state,
                        None if entry is None else entry.seq,
                        None if entry is None else entry.mac,
                    )
                )
            return found

    def chain_entry_at(self, position: int) -> ChainEntry | None:
        return self._chain.get(position)

    def chain_entry_after(self, position: int) -> ChainEntry | None:
        later = [p for p in self._chain if p > position]
        return self._chain[min(later)] if later else None

    def chain_entry_with_seq(self, seq: int) -> ChainEntry | None:
        return next((e for e in self._chain.values() if e.seq == seq), None)

    def chain_entry_of(self, stream_id: str, version: int) -> ChainEntry | None:
        return next(
            (e for e in self._chain.values() if (e.stream_id, e.version) == (stream_id, version)),
            None,
        )

    def last_chain_entry(self) -> ChainEntry | None:
        return self._chain[next(reversed(self._chain))] if self._chain else None

    def has_event_at(self, position: int) -> bool:
        return 0 < position <= len(self._stored_events)

    def stream_notifications(self, stream_id: UUID) -> list[Notification]:
        with self._database_lock:
            index = self._stored_events_index.get(str(stream_id), {})
            return [
                Notification(
                    id=i + 1,
                    originator_id=self._stored_events[i].originator_id,
                    originator_version=self._stored_events[i].originator_version,
                    topic=self._stored_events[i].topic,
                    state=self._stored_events[i].state,
                )
                for _, i in sorted(index.items())
            ]


def application_recorder(
    factory: InfrastructureFactory[Any], audit_key: bytes | None
) -> ApplicationRecorder:
    """The factory's application recorder (for memory, the one ``APPLICATION_RECORDER_TOPIC``
    names, which eventsourcing's memory factory ignores), writing the audit chain with
    ``audit_key`` (None: no chain)."""
    topic = factory.env.get("APPLICATION_RECORDER_TOPIC")
    recorder: ApplicationRecorder
    if isinstance(factory, POPOFactory) and topic:
        recorder = resolve_topic(topic)()
    else:
        recorder = factory.application_recorder()
    if isinstance(recorder, AuditedRecorder):
        recorder.use_audit_key(audit_key)
    elif audit_key is not None:
        raise StorageError(
            f"an audit key is configured, but {type(recorder).__qualname__} keeps no audit "
            "chain: use the recorders of oneplan.persistence.env_for_url"
        )
    return recorder
