"""oneplan's PostgreSQL application recorder: eventsourcing's, writing the audit chain in
the same transaction as the events (``oneplan.recorders`` says what every recorder adds).

A module of its own so that oneplan imports without the ``postgres`` extra (psycopg):
``env_for_url`` names it only for a PostgreSQL URL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    Notification,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry

from oneplan.audit.chain import (
    ChainEntry,
    ChainStart,
    link,
    start_from_meta,
    start_to_meta,
)
from oneplan.errors import (
    StorageError,
)
from oneplan.postgres_sessions import pool_options
from oneplan.recorders import (
    CHAIN_TABLE,
    META_TABLE,
    READ_VERSIONS,
    AuditedRecorder,
    ChainRow,
    LogRow,
    StaleRead,
    _hex,
    _rows,
    _single,
)

__all__ = ["PostgresRecorder"]

# --- PostgreSQL ----------------------------------------------------------------------

_CREATE_LOCK = 2026112202
"""The advisory lock that serialises creating the tables (the view store's is ...201)."""

_ENTRY_WHERE = {
    "entry_at": "WHERE notification_id = %s",
    "entry_after": "WHERE notification_id > %s ORDER BY notification_id",
    "entry_with_seq": "WHERE seq = %s ORDER BY notification_id",
    "entry_of": "WHERE originator_id = %s AND originator_version = %s ORDER BY notification_id",
    "last_entry": "ORDER BY notification_id DESC",
}


class PostgresRecorder(AuditedRecorder, PostgresApplicationRecorder):
    """The PostgreSQL application recorder that chains every event.

    A write sends, in one pipeline: the exclusive table lock, the notify, the reads of
    the chain's start, head and the previous entry of each stream written to, and the
    insert of the events; then the chain entries and the commit. A refusal raised
    between the two rolls the events back."""

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        # Plans made afresh where the server does not replan by itself, set before
        # eventsourcing's recorder opens the pool's first connection (postgres_sessions).
        if isinstance(datastore.pool.kwargs, dict):
            options = pool_options(datastore.pool.kwargs, datastore.pool.timeout)
            if options is not None:
                datastore.pool.kwargs["options"] = options
        super().__init__(datastore, events_table_name=events_table_name)
        from psycopg.sql import SQL, Identifier

        schema = Identifier(self.datastore.schema)
        table = Identifier(self.events_table_name)
        chain = Identifier(CHAIN_TABLE)
        meta = Identifier(META_TABLE)
        id_type = Identifier(self.datastore.originator_id_type)
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{chain} ("
                    "notification_id bigint PRIMARY KEY, seq bigint NOT NULL, "
                    "originator_id {id_type} NOT NULL, originator_version bigint NOT NULL, "
                    "mac bytea NOT NULL)"
                ).format(schema=schema, chain=chain, id_type=id_type),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{meta} "
                    "(name text PRIMARY KEY, value text NOT NULL)"
                ).format(schema=schema, meta=meta),
            ]
        )
        self._chain_inserts: dict[int, Any] = {}
        self._bytes: dict[str, Any] | None = None
        self._sql = {
            "insert": SQL(
                "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
                "SELECT originator_id, originator_version, topic, state "
                "FROM unnest(%s::{schema}.{type}[]) "
                "RETURNING notification_id, originator_id, originator_version"
            ).format(schema=schema, table=table, type=Identifier(self.stored_event_type_name)),
            "meta": SQL("SELECT name, value FROM {schema}.{meta}").format(schema=schema, meta=meta),
            "write_meta": SQL("INSERT INTO {schema}.{meta} (name, value) VALUES (%s, %s)").format(
                schema=schema, meta=meta
            ),
            "last": SQL("SELECT MAX(notification_id) FROM {schema}.{table}").format(
                schema=schema, table=table
            ),
            "head": SQL(
                "SELECT seq, mac FROM {schema}.{chain} ORDER BY notification_id DESC LIMIT 1"
            ).format(schema=schema, chain=chain),
            "stream_heads": SQL(
                "SELECT e.originator_id, c.mac FROM {schema}.{table} e JOIN {schema}.{chain} c "
                "ON c.notification_id = e.notification_id WHERE (e.originator_id, "
                "e.originator_version) IN (SELECT * FROM unnest(%s::{id_type}[], %s::bigint[]))"
            ).format(schema=schema, table=table, chain=chain, id_type=id_type),
            "chain": SQL(
                "INSERT INTO {schema}.{chain} (notification_id, seq, originator_id, "
                "originator_version, mac) VALUES "
            ).format(schema=schema, chain=chain),
            "rows": SQL(
                "SELECT e.notification_id, "
                "convert_to(replace(e.originator_id::text, '-', ''), 'UTF8'), "
                "e.originator_version, convert_to(e.topic, 'UTF8'), e.state, c.seq, c.mac "
                "FROM {schema}.{table} e LEFT JOIN {schema}.{chain} c "
                "ON c.notification_id = e.notification_id WHERE e.notification_id > %s "
                "ORDER BY e.notification_id LIMIT %s"
            ).format(schema=schema, table=table, chain=chain),
            "first_rows": SQL(
                "SELECT e.notification_id, "
                "convert_to(replace(e.originator_id::text, '-', ''), 'UTF8'), "
                "e.originator_version, convert_to(e.topic, 'UTF8'), e.state, c.seq, c.mac "
                "FROM {schema}.{table} e LEFT JOIN {schema}.{chain} c "
                "ON c.notification_id = e.notification_id "
                "ORDER BY e.notification_id LIMIT %s"
            ).format(schema=schema, table=table, chain=chain),
            **{
                name: SQL(
                    "SELECT notification_id, seq, replace(originator_id::text, '-', ''), "
                    "originator_version, mac FROM {schema}.{chain} " + where + " LIMIT 1"
                ).format(schema=schema, chain=chain)
                for name, where in _ENTRY_WHERE.items()
            },
            "stored": SQL(
                "SELECT originator_id, originator_version, notification_id, topic, state "
                "FROM {schema}.{table} WHERE (originator_id, originator_version) IN "
                "(SELECT * FROM unnest(%s::{id_type}[], %s::bigint[]))"
            ).format(schema=schema, table=table, id_type=id_type),
            "stale_and_meta": SQL(
                "SELECT (SELECT originator_id FROM {schema}.{table} WHERE (originator_id, "
                "originator_version) IN (SELECT * FROM unnest(%s::{id_type}[], %s::bigint[])) "
                "LIMIT 1), (SELECT array_agg(name ORDER BY name) FROM {schema}.{meta}), "
                "(SELECT array_agg(value ORDER BY name) FROM {schema}.{meta})"
            ).format(schema=schema, table=table, id_type=id_type, meta=meta),
            "stale": SQL(
                "SELECT originator_id FROM {schema}.{table} WHERE (originator_id, "
                "originator_version) IN (SELECT * FROM unnest(%s::{id_type}[], %s::bigint[])) "
                "LIMIT 1"
            ).format(schema=schema, table=table, id_type=id_type),
            "has_event": SQL("SELECT 1 FROM {schema}.{table} WHERE notification_id = %s").format(
                schema=schema, table=table
            ),
            "log_rows": SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM {schema}.{table} WHERE notification_id > %s "
                "ORDER BY notification_id LIMIT %s"
            ).format(schema=schema, table=table),
            "log_rows_to": SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM {schema}.{table} WHERE notification_id > %s AND notification_id <= %s "
                "ORDER BY notification_id LIMIT %s"
            ).format(schema=schema, table=table),
            "stream": SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM {schema}.{table} WHERE originator_id = %s ORDER BY originator_version"
            ).format(schema=schema, table=table),
        }

    def create_table(self) -> None:
        """eventsourcing's tables and types, and the chain's, created by one process at a
        time (concurrent ``CREATE ... IF NOT EXISTS`` and ``CREATE OR REPLACE FUNCTION``
        collide in PostgreSQL: "tuple concurrently updated")."""
        from psycopg.errors import DuplicateObject
        from psycopg.sql import SQL

        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("SELECT pg_advisory_xact_lock(%s)"), (_CREATE_LOCK,))
            for statement in self.sql_create_statements:
                if "CREATE TYPE" in statement.as_string():
                    with contextlib.suppress(DuplicateObject), curs.connection.transaction():
                        curs.execute(statement, prepare=False)
            self._create_table(curs)
        self.datastore.register_type_adapters()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Write the events, trying again (as eventsourcing does) when the connection
        fails. A connection can fail after the commit went through, its reply lost; the
        next try then finds its own events stored. They are recognised (each stream's
        version with the same topic and bytes) and their positions returned, instead of
        the ``IntegrityError`` that would have the command decided and applied again."""
        if not stored_events:
            return []
        positions: Sequence[int] | None = self._insert_trying(stored_events, [], **kwargs)
        return positions

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_trying(
        self, stored_events: Sequence[StoredEvent], tries: list[int], **kwargs: Any
    ) -> Sequence[int] | None:
        tries.append(len(tries) + 1)
        try:
            return self._insert_once(stored_events, **kwargs)
        except IntegrityError:
            if len(tries) > 1:
                found = self._stored_already(stored_events)
                if found is not None:
                    return found
            raise

    def _stored_already(self, stored_events: Sequence[StoredEvent]) -> list[int] | None:
        """The positions of these very events, if every one is stored (else None)."""
        rows = {
            (str(r[0]), r[1]): (r[2], r[3], bytes(r[4]))
            for r in self._select(
                self._sql["stored"],
                (
                    [s.originator_id for s in stored_events],
                    [s.originator_version for s in stored_events],
                ),
            )
        }
        positions = []
        for s in stored_events:
            found = rows.get((str(s.originator_id), s.originator_version))
            if found is None or found[1:] != (s.topic, bytes(s.state)):
                return None
            positions.append(found[0])
        return positions

    def _compiled(self, conn: Any) -> dict[str, Any]:
        """The write's statements as bytes, composed once (psycopg composes an ``SQL``
        object again at every execute)."""
        from psycopg.sql import Composable

        found = self._bytes
        if found is None:
            found = {name: q.as_bytes(conn) for name, q in self._sql.items()}
            found["lock"] = [
                q.as_bytes(conn) if isinstance(q, Composable) else q
                for q in self.lock_table_statements
            ]
            found["notify"] = self._notify_sql().as_bytes(conn)
            self._bytes = found
        return found

    def _notify_sql(self) -> Any:
        from psycopg.sql import SQL, Identifier

        return SQL("NOTIFY {0}").format(Identifier(self.channel_name))

    def _insert_once(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        sql = self._bytes
        if sql is None:
            with self.datastore.get_connection() as conn:
                sql = self._compiled(conn)
        return self._insert_compiled(sql, stored_events, **kwargs)

    def _insert_compiled(
        self, sql: dict[str, Any], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:

        decided_on: dict[UUID, int] = kwargs.pop(READ_VERSIONS, None) or {}
        keyed = self.audit_key is not None
        known, previous = self._previous_macs(stored_events) if keyed else ({}, {})
        with self.datastore.get_connection() as conn:
            try:
                positions, entries, start = self._pipelined(
                    conn, sql, stored_events, decided_on, known, previous, **kwargs
                )
            except BaseException:
                conn.rollback()  # (the transaction this write began, if still open)
                raise
            self._start = start
        self._remember(entries)
        return positions

    def _pipelined(
        self,
        conn: Any,
        sql: dict[str, Any],
        stored_events: Sequence[StoredEvent],
        decided_on: dict[UUID, int],
        known: dict[str, bytes],
        previous: dict[Any, int],
        **kwargs: Any,
    ) -> tuple[list[int], list[ChainEntry], ChainStart | None]:
        """The write in two round trips, as bare eventsourcing's: the lock, the reads and
        the insert; then the chain entries (made from the positions just given) and the
        commit together. The transaction is begun and committed in the pipeline itself
        (psycopg's transaction block would wait for the server once more at its start
        and before the commit)."""
        from psycopg.rows import tuple_row

        keyed = self.audit_key is not None
        entries: list[ChainEntry] = []
        with conn.pipeline() as pipeline:
            with conn.cursor() as curs:
                curs.execute(b"BEGIN")
                self._insert_events(curs, stored_events, **kwargs)
                for lock in sql["lock"]:
                    curs.execute(lock, prepare=True)
                curs.execute(sql["notify"])
            cursor = conn.cursor(row_factory=tuple_row)
            meta = last = head = heads = stale = None
            both = bool(decided_on) and self._start is None
            if decided_on:  # read under the lock, in the same round trip
                stale = conn.cursor(row_factory=tuple_row)
                stale.execute(
                    sql["stale_and_meta" if both else "stale"],
                    (list(decided_on), [v + 1 for v in decided_on.values()]),
                )
            if self._start is None:
                if not both:
                    meta = conn.cursor(row_factory=tuple_row)
                    meta.execute(sql["meta"])
                if keyed:
                    last = conn.cursor(row_factory=tuple_row)
                    last.execute(sql["last"])
            if keyed:
                head = conn.cursor(row_factory=tuple_row)
                head.execute(sql["head"])
                if previous:
                    heads = conn.cursor(row_factory=tuple_row)
                    heads.execute(sql["stream_heads"], (list(previous), list(previous.values())))
            cursor.execute(
                sql["insert"],
                (
                    [
                        self.construct_pg_stored_event(
                            s.originator_id, s.originator_version, s.topic, s.state
                        )
                        for s in stored_events
                    ],
                ),
            )
            pipeline.sync()
            checked = stale.fetchone() if stale is not None else None
            if checked is not None and checked[0] is not None:
                raise StaleRead(f"{checked[0]} has changed since it was read")
            inserted = {(r[1], r[2]): r[0] for r in cursor.fetchall()}
            positions = [inserted[(s.originator_id, s.originator_version)] for s in stored_events]
            read = self._start
            if meta is not None or both:
                try:
                    read = start_from_meta(
                        dict(zip(checked[1] or (), checked[2] or (), strict=True))
                        if meta is None and checked is not None
                        else dict(meta.fetchall() if meta is not None else ())
                    )
                except ValueError as e:
                    raise StorageError(f"the audit chain's metadata is unreadable: {e}") from None
            found = _single(last.fetchone()) if last is not None else None
            start = self._check_start(read, found)
            if start is not None and read is None:
                for name, value in start_to_meta(start).items():
                    conn.execute(sql["write_meta"], (name, value))
            if start is not None:
                assert head is not None
                assert self.audit_key is not None
                top = head.fetchone()
                stream_heads = dict(known)
                if heads is not None:
                    stream_heads.update((_hex(s), bytes(mac)) for s, mac in heads.fetchall())
                ids = {_hex(s.originator_id): s.originator_id for s in stored_events}
                entries = link(
                    self.audit_key,
                    None if top is None else (top[0], bytes(top[1])),
                    stream_heads,
                    _rows(stored_events, positions),
                )
                cursor.execute(
                    self._chain_insert(len(entries)),
                    [
                        value
                        for e in entries
                        for value in (e.position, e.seq, ids[e.stream_id], e.version, e.mac)
                    ],
                )
            conn.execute(b"COMMIT")
        return positions, entries, start

    def _chain_insert(self, rows: int) -> Any:
        """The insert of ``rows`` chain entries, one statement (made once per count)."""
        found = self._chain_inserts.get(rows)
        if found is None:
            from psycopg.sql import SQL

            values = SQL(", ").join([SQL("(%s, %s, %s, %s, %s)")] * rows)
            found = self._chain_inserts[rows] = self._sql["chain"] + values
        return found

    def start_chain(self) -> ChainStart:
        """Start the audit chain after the last event stored now (or return its start,
        when it has one). The events up to there are not covered by it."""
        from psycopg.rows import tuple_row

        with self.datastore.get_connection() as conn, conn.transaction():
            self._lock_table(conn.cursor())
            curs = conn.cursor(row_factory=tuple_row)
            start = self._read_start(curs)
            last = _single(curs.execute(self._sql["last"]).fetchone())
            chosen = self._starting(start, last)
            if start is None:
                for name, value in start_to_meta(chosen).items():
                    curs.execute(self._sql["write_meta"], (name, value))
            return chosen

    def _read_start(self, curs: Any) -> ChainStart | None:
        try:
            return start_from_meta(dict(curs.execute(self._sql["meta"]).fetchall()))
        except ValueError as e:
            raise StorageError(f"the audit chain's metadata is unreadable: {e}") from None

    # --- the views' runner's source --------------------------------------------------

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_log_rows(self, start: int, limit: int, stop: int | None = None) -> list[LogRow]:
        """As ``SQLiteRecorder.select_log_rows`` (the stream ids as psycopg's binary
        loader makes them, in C)."""
        if stop is None:
            rows = self._select(self._sql["log_rows"], (start, limit), prepare=True)
        else:
            rows = self._select(self._sql["log_rows_to"], (start, stop, limit), prepare=True)
        return list(map(LogRow._make, rows))

    # --- the verifier's source ---------------------------------------------------------

    def _select(
        self, statement: Any, params: Sequence[Any] = (), *, prepare: bool | None = None
    ) -> list[tuple[Any, ...]]:
        from psycopg.rows import tuple_row

        with self.datastore.get_connection() as conn:
            cursor = conn.cursor(binary=True, row_factory=tuple_row)
            return list(cursor.execute(statement, params, prepare=prepare).fetchall())

    def chain_start(self) -> ChainStart | None:
        return start_from_meta(dict(self._select(self._sql["meta"])))

    def chain_rows(self, after: int | None, limit: int) -> list[ChainRow]:
        if after is None:
            return self._select(self._sql["first_rows"], (limit,))
        return self._select(self._sql["rows"], (after, limit))

    def _entry(self, which: str, params: Sequence[Any]) -> ChainEntry | None:
        found = self._select(self._sql[which], params)
        if not found:
            return None
        position, seq, stream, version, mac = found[0]
        return ChainEntry(position, seq, stream, version, bytes(mac))

    def chain_entry_at(self, position: int) -> ChainEntry | None:
        return self._entry("entry_at", (position,))

    def chain_entry_after(self, position: int) -> ChainEntry | None:
        return self._entry("entry_after", (position,))

    def chain_entry_with_seq(self, seq: int) -> ChainEntry | None:
        return self._entry("entry_with_seq", (seq,))

    def chain_entry_of(self, stream_id: str, version: int) -> ChainEntry | None:
        try:
            stream = UUID(stream_id)
        except ValueError:
            return None
        return self._entry("entry_of", (stream, version))

    def last_chain_entry(self) -> ChainEntry | None:
        return self._entry("last_entry", ())

    def has_event_at(self, position: int) -> bool:
        return bool(self._select(self._sql["has_event"], (position,)))

    def stream_notifications(self, stream_id: UUID) -> list[Notification]:
        return [
            Notification(
                id=r[0], originator_id=r[1], originator_version=r[2], topic=r[3], state=bytes(r[4])
            )
            for r in self._select(self._sql["stream"], (stream_id,))
        ]
