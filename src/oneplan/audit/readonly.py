"""Verification from a read-only copy, with the audit key alone.

An auditor verifies the log without the personal-data keys and without the right to
write: ``verify_read_only(url, audit_key=...)`` opens the store read-only and reads
only the three tables the chain needs (the stored events, ``oneplan_audit_chain``,
``oneplan_audit_meta``), as stored, in one read transaction (one snapshot of the log).
Nothing is created, decrypted, projected or tracked; no master key, data key or CPR
key is asked for.

- **SQLite** is opened with a ``file:...?mode=ro`` URI, so the database file is never
  written. A write-protected copy (a file without write permission, or in a directory
  without it) is opened ``immutable=1`` as well: SQLite then takes no locks and makes
  no ``-wal`` or ``-shm`` file beside it. (A live database in WAL mode is read through
  its ``-wal``, which SQLite keeps beside it while it is in use.)
- **PostgreSQL** needs a role with ``SELECT`` on those three tables and nothing else;
  the session is ``READ ONLY``, ``REPEATABLE READ``.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

from oneplan.audit.anchor import Anchor, AnchorPublicKey
from oneplan.audit.chain import ChainEntry, ChainKey, ChainStart, start_from_meta
from oneplan.audit.verify import ChainSource, Progress, Verification, Verifier
from oneplan.errors import StorageError

__all__ = ["read_only_log", "verify_read_only"]

_CHAIN = "oneplan_audit_chain"
_META = "oneplan_audit_meta"
_SQLITE_EVENTS = "stored_events"
_POSTGRES_EVENTS = "oneplan_events"


def verify_read_only(
    url: str,
    *,
    audit_key: bytes | None,
    anchor: Anchor | None = None,
    anchor_public_key: AnchorPublicKey | None = None,
    progress: Progress | None = None,
) -> Verification:
    """Verify the log at ``url`` (``sqlite:///path`` or ``postgresql://...``) opened
    read-only, with ``audit_key`` only (None: the chain's structure only), against
    ``anchor`` if given (its signature checked with ``anchor_public_key`` when given,
    else with the audit key). ``StorageError`` when the store cannot be read."""
    key = ChainKey(audit_key) if audit_key is not None else None
    with read_only_log(url) as log:
        try:
            result = Verifier(
                log, key, anchor=anchor, public_key=anchor_public_key, progress=progress
            ).run()
            return _with_snapshots(result, log, audit_key)
        except (sqlite3.Error, _postgres_errors()) as e:
            raise StorageError(f"cannot read the log to verify it: {e}") from e


def _with_snapshots(
    result: Verification, log: ChainSource, audit_key: bytes | None
) -> Verification:
    """Rule 16: the snapshot rows checked too, with the audit key alone, in the same read
    transaction (``oneplan.snapshots.read_only_snapshot_check``)."""
    from oneplan.snapshots import read_only_snapshot_check, with_snapshot_check

    if isinstance(log, _SQLiteLog):
        return with_snapshot_check(result, read_only_snapshot_check(log._connection, audit_key))
    if isinstance(log, _PostgresLog):
        check = read_only_snapshot_check(log._connection, audit_key, log.schema)
        return with_snapshot_check(result, check)
    return result  # pragma: no cover - read_only_log yields one of the two


@contextmanager
def read_only_log(url: str) -> Iterator[ChainSource]:
    """The stored log at ``url``, opened read-only, as the verifier's ``ChainSource``,
    inside one read transaction. ``StorageError`` when it cannot be opened or is not a
    oneplan record."""
    from oneplan.persistence import env_for_url

    env = env_for_url(url)
    module = env.get("PERSISTENCE_MODULE")
    if module == "eventsourcing.sqlite" and env["SQLITE_DBNAME"] != ":memory:":
        with _sqlite(env["SQLITE_DBNAME"]) as source:
            yield source
    elif module == "eventsourcing.postgres":
        with _postgres(env) as source:
            yield source
    else:
        raise StorageError(
            f"{url!r} is no stored record to verify read-only: give a SQLite file or PostgreSQL"
        )


# --- SQLite ------------------------------------------------------------------------------


def _write_protected(path: Path) -> bool:
    """Whether the file, or its directory, has no write permission (for anyone), or this
    process may not write it."""
    for where in (path, path.parent):
        if not stat.S_IMODE(where.stat().st_mode) & 0o222 or not os.access(where, os.W_OK):
            return True
    return False


@contextmanager
def _sqlite(name: str) -> Iterator[ChainSource]:
    path = Path(name).absolute()
    if not path.is_file():
        raise StorageError(f"no database at {name}")
    wal = path.with_name(path.name + "-wal")
    frozen = _write_protected(path) and not (wal.exists() and wal.stat().st_size)
    uri = f"file:{quote(str(path))}?mode=ro" + ("&immutable=1" if frozen else "")
    try:
        connection = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as e:
        raise StorageError(f"cannot open {name} read-only: {e}") from e
    try:
        connection.execute("BEGIN")
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        _require_tables(name, tables, _SQLITE_EVENTS)
        yield _SQLiteLog(connection)
    except sqlite3.Error as e:
        raise StorageError(f"cannot read {name} read-only: {e}") from e
    finally:
        connection.close()


class _SQLiteLog:
    """The verifier's source on a read-only SQLite connection: the same rows as
    ``oneplan.recorders.SQLiteRecorder`` gives it."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def _select(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._connection.execute(statement, params).fetchall()

    def chain_start(self) -> ChainStart | None:
        return start_from_meta(dict(self._select(f"SELECT name, value FROM {_META}")))

    def chain_rows(self, after: int | None, limit: int) -> Sequence[Any]:
        return self._select(
            "SELECT e.rowid, CAST(e.originator_id AS BLOB), e.originator_version, "
            "CAST(e.topic AS BLOB), e.state, c.seq, c.mac "
            f"FROM {_SQLITE_EVENTS} e LEFT JOIN {_CHAIN} c ON c.notification_id = e.rowid "
            + ("" if after is None else "WHERE e.rowid > ? ")
            + "ORDER BY e.rowid LIMIT ?",
            (limit,) if after is None else (after, limit),
        )

    def _entry(self, where: str, params: Sequence[Any], order: str = "") -> ChainEntry | None:
        found = self._select(
            "SELECT notification_id, seq, originator_id, originator_version, mac "
            f"FROM {_CHAIN} {where} ORDER BY notification_id {order} LIMIT 1",
            params,
        )
        return ChainEntry(*found[0]) if found else None

    def chain_entry_at(self, position: int) -> ChainEntry | None:
        return self._entry("WHERE notification_id = ?", (position,))

    def chain_entry_after(self, position: int) -> ChainEntry | None:
        return self._entry("WHERE notification_id > ?", (position,))

    def chain_entry_with_seq(self, seq: int) -> ChainEntry | None:
        return self._entry("WHERE seq = ?", (seq,))

    def chain_entry_of(self, stream_id: str, version: int) -> ChainEntry | None:
        return self._entry(
            "WHERE originator_id = ? AND originator_version = ?", (stream_id, version)
        )

    def last_chain_entry(self) -> ChainEntry | None:
        return self._entry("", (), "DESC")

    def has_event_at(self, position: int) -> bool:
        return bool(self._select(f"SELECT 1 FROM {_SQLITE_EVENTS} WHERE rowid = ?", (position,)))

    def max_notification_id(self) -> int | None:
        found = self._select(f"SELECT MAX(rowid) FROM {_SQLITE_EVENTS}")
        return None if found[0][0] is None else int(found[0][0])


def _require_tables(where: str, tables: set[str], events: str) -> None:
    missing = [t for t in (events, _CHAIN, _META) if t not in tables]
    if missing:
        raise StorageError(
            f"{where} is not a oneplan database: it has no table {', '.join(missing)}"
        )


# --- PostgreSQL --------------------------------------------------------------------------


def _postgres_errors() -> type[Exception]:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the postgres extra installs it
        return sqlite3.Error
    return psycopg.Error


@contextmanager
def _postgres(env: dict[str, str]) -> Iterator[ChainSource]:
    import psycopg
    from psycopg import IsolationLevel

    schema = env.get("POSTGRES_SCHEMA", "public")
    where = f"{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/{env['POSTGRES_DBNAME']}"
    timeout = os.environ.get("POSTGRES_CONNECT_TIMEOUT", "")
    try:
        connection = psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=int(env["POSTGRES_PORT"]),
            dbname=env["POSTGRES_DBNAME"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None,
            connect_timeout=int(timeout) if timeout.strip().isdigit() else 10,
        )
    except psycopg.Error as e:
        raise StorageError(f"cannot reach PostgreSQL at {where}: {e}") from e
    try:
        connection.read_only = True
        connection.isolation_level = IsolationLevel.REPEATABLE_READ
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
        }
        shown = f"postgresql://{env['POSTGRES_USER']}@{where}"  # never the password
        _require_tables(f"schema {schema} of {shown}", tables, _POSTGRES_EVENTS)
        yield _PostgresLog(connection, schema)
    except psycopg.Error as e:
        raise StorageError(f"cannot read PostgreSQL at {where} read-only: {e}") from e
    finally:
        with suppress(psycopg.Error):
            connection.rollback()
        connection.close()


class _PostgresLog:
    """The verifier's source on a read-only PostgreSQL session: the same rows as
    ``oneplan.postgres_recorder.PostgresRecorder`` gives it."""

    def __init__(self, connection: Any, schema: str) -> None:
        from psycopg.sql import SQL, Identifier

        self._connection = connection
        self.schema = schema
        names = {
            "events": SQL("{}.{}").format(Identifier(schema), Identifier(_POSTGRES_EVENTS)),
            "chain": SQL("{}.{}").format(Identifier(schema), Identifier(_CHAIN)),
            "meta": SQL("{}.{}").format(Identifier(schema), Identifier(_META)),
        }
        rows = (
            "SELECT e.notification_id, "
            "convert_to(replace(e.originator_id::text, '-', ''), 'UTF8'), "
            "e.originator_version, convert_to(e.topic, 'UTF8'), e.state, c.seq, c.mac "
            "FROM {events} e LEFT JOIN {chain} c ON c.notification_id = e.notification_id "
        )
        entry = (
            "SELECT notification_id, seq, replace(originator_id::text, '-', ''), "
            "originator_version, mac FROM {chain} "
        )
        statements = {
            "meta": "SELECT name, value FROM {meta}",
            "rows": rows + "WHERE e.notification_id > %s ORDER BY e.notification_id LIMIT %s",
            "first_rows": rows + "ORDER BY e.notification_id LIMIT %s",
            "at": entry + "WHERE notification_id = %s LIMIT 1",
            "after": entry + "WHERE notification_id > %s ORDER BY notification_id LIMIT 1",
            "seq": entry + "WHERE seq = %s ORDER BY notification_id LIMIT 1",
            "of": entry + "WHERE originator_id = %s AND originator_version = %s "
            "ORDER BY notification_id LIMIT 1",
            "last": entry + "ORDER BY notification_id DESC LIMIT 1",
            "has_event": "SELECT 1 FROM {events} WHERE notification_id = %s",
            "max": "SELECT MAX(notification_id) FROM {events}",
        }
        self._sql = {name: SQL(text).format(**names) for name, text in statements.items()}

    def _select(self, name: str, params: Sequence[Any] = ()) -> list[Any]:
        cursor = self._connection.cursor(binary=True)
        return list(cursor.execute(self._sql[name], params).fetchall())

    def chain_start(self) -> ChainStart | None:
        return start_from_meta(dict(self._select("meta")))

    def chain_rows(self, after: int | None, limit: int) -> Sequence[Any]:
        if after is None:
            return self._select("first_rows", (limit,))
        return self._select("rows", (after, limit))

    def _entry(self, name: str, params: Sequence[Any]) -> ChainEntry | None:
        found = self._select(name, params)
        if not found:
            return None
        position, seq, stream, version, mac = found[0]
        return ChainEntry(position, seq, stream, version, bytes(mac))

    def chain_entry_at(self, position: int) -> ChainEntry | None:
        return self._entry("at", (position,))

    def chain_entry_after(self, position: int) -> ChainEntry | None:
        return self._entry("after", (position,))

    def chain_entry_with_seq(self, seq: int) -> ChainEntry | None:
        return self._entry("seq", (seq,))

    def chain_entry_of(self, stream_id: str, version: int) -> ChainEntry | None:
        from uuid import UUID

        try:
            stream = UUID(stream_id)
        except ValueError:
            return None
        return self._entry("of", (stream, version))

    def last_chain_entry(self) -> ChainEntry | None:
        return self._entry("last", ())

    def has_event_at(self, position: int) -> bool:
        return bool(self._select("has_event", (position,)))

    def max_notification_id(self) -> int | None:
        found = self._select("max")
        return None if found[0][0] is None else int(found[0][0])
