"""The key store: the data keys (wrapped by the master key), and the keyed hashes by
which citizens are found from their CPR numbers.

It lives in the same database as the events (tables ``oneplan_data_keys``,
``oneplan_cpr_index``, ``oneplan_cpr_claims`` and ``oneplan_key_meta``), or in memory
for ``memory://``. It holds no plaintext key: a data key is stored only wrapped
(AES-GCM under the master key, which is configured outside the database). Destroying a
key overwrites its wrapped bytes with NULL; the row stays as a tombstone, so no new key
is ever made for an erased citizen. On SQLite every connection runs with
``secure_delete`` (freed bytes are zeroed) and a destruction ends with a WAL checkpoint
that truncates the log, so the wrapped key is gone from the file, not just unlinked.

This module stores bytes; ``oneplan.privacy.sealing`` does the cryptography.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import attrs

from oneplan.errors import InvalidDatabaseUrl, StorageError
from oneplan.sqlite_errors import storage_errors

__all__ = [
    "DataKeyRow",
    "KeyStore",
    "MemoryKeyStore",
    "PostgresKeyStore",
    "SQLiteKeyStore",
    "key_store_for_env",
]


@attrs.frozen
class DataKeyRow:
    """A data key as stored: wrapped by the master key (None once destroyed)."""

    key_id: str
    subject: str
    """The citizen (or household plan) whose personal data the key seals."""
    retention_class: str
    wrapped: bytes | None
    master_key_id: str | None
    destroyed_at: str | None = None


class KeyStore(ABC):
    """Rows of the key store. Writes are idempotent: a second writer of the same key or
    hash gets the row the first one wrote."""

    @abstractmethod
    def master_key_id(self) -> str | None:
        """The id of the master key that wraps the data keys (None: never used)."""

    @abstractmethod
    def claim_master_key_id(self, key_id: str) -> str:
        """Record ``key_id`` as the master key's id unless one is recorded; return the
        recorded one."""

    @abstractmethod
    def data_key(self, key_id: str) -> DataKeyRow | None: ...

    @abstractmethod
    def data_key_for(self, subject: str, retention_class: str) -> DataKeyRow | None: ...

    @abstractmethod
    def add_data_key(self, row: DataKeyRow) -> DataKeyRow:
        """Insert ``row`` unless ``(subject, retention_class)`` has a key; return the one
        stored."""

    @abstractmethod
    def keys_of(self, subjects: Iterable[str]) -> list[DataKeyRow]: ...

    @abstractmethod
    def data_keys(self) -> list[DataKeyRow]:
        """Every data key row, live or destroyed (for verification)."""

    def destroyed_count(self) -> int:
        """How many data keys are destroyed (only ever grows): a rebuild compares it
        before and after, since rows it folded before a key was destroyed may hold
        that key's subject's data."""
        return len(self.destroyed_ids())

    def destroyed_ids(self) -> list[str]:
        """The ids of the destroyed data keys."""
        return [row.key_id for row in self.data_keys() if row.wrapped is None]

    @abstractmethod
    def cpr_index(self) -> list[tuple[str, str]]:
        """Every entry of the CPR index: (CPR hash, citizen id) (for verification)."""

    @abstractmethod
    def destroy(self, subjects: Iterable[str], *, at: str) -> list[str]:
        """Destroy every live data key of ``subjects`` and their CPR hashes; return the
        ids of the keys destroyed."""

    @abstractmethod
    def rewrap(self, rewrap: Callable[[DataKeyRow], bytes], old_id: str, new_id: str) -> int:
        """In one transaction: wrap every live data key again (``rewrap`` gives its new
        wrapped bytes) and record ``new_id`` as the master key's id, provided ``old_id``
        is the recorded one. Returns how many keys were wrapped again."""

    @abstractmethod
    def citizen_by_cpr_hash(self, cpr_hash: str) -> str | None: ...

    @abstractmethod
    def claim_cpr_hash(self, cpr_hash: str, citizen_id: str, *, at: int = 0) -> str:
        """Record that ``cpr_hash`` is ``citizen_id``'s unless it is recorded for
        another; return the citizen it is recorded for. The claim's time ``at`` (epoch
        milliseconds) is kept, and renewed when the same citizen claims it again."""

    @abstractmethod
    def release_cpr_hash(
        self, cpr_hash: str, citizen_id: str, *, claimed_before: int | None = None
    ) -> bool:
        """Forget ``cpr_hash`` if it is recorded for ``citizen_id`` (with
        ``claimed_before``: only if it was claimed before then, or at no known time);
        return whether it was forgotten."""

    def close(self) -> None:  # noqa: B027  (nothing to close in memory)
        """Release connections."""


class MemoryKeyStore(KeyStore):
    """The key store of a ``memory://`` record."""

    def __init__(self) -> None:
        self._meta: dict[str, str] = {}
        self._keys: dict[str, DataKeyRow] = {}
        self._by_subject: dict[tuple[str, str], str] = {}
        self._cpr: dict[str, str] = {}
        self._claimed_at: dict[str, int] = {}
        self._lock = threading.Lock()

    def master_key_id(self) -> str | None:
        return self._meta.get("master_key_id")

    def claim_master_key_id(self, key_id: str) -> str:
        with self._lock:
            return self._meta.setdefault("master_key_id", key_id)

    def data_key(self, key_id: str) -> DataKeyRow | None:
        return self._keys.get(key_id)

    def data_key_for(self, subject: str, retention_class: str) -> DataKeyRow | None:
        key_id = self._by_subject.get((subject, retention_class))
        return None if key_id is None else self._keys[key_id]

    def add_data_key(self, row: DataKeyRow) -> DataKeyRow:
        with self._lock:
            key_id = self._by_subject.setdefault((row.subject, row.retention_class), row.key_id)
            self._keys.setdefault(key_id, row)
            return self._keys[key_id]

    def keys_of(self, subjects: Iterable[str]) -> list[DataKeyRow]:
        wanted = set(subjects)
        return [row for row in self._keys.values() if row.subject in wanted]

    def data_keys(self) -> list[DataKeyRow]:
        return list(self._keys.values())

    def cpr_index(self) -> list[tuple[str, str]]:
        return sorted(self._cpr.items())

    def destroy(self, subjects: Iterable[str], *, at: str) -> list[str]:
        wanted = set(subjects)
        destroyed = []
        with self._lock:
            for key_id, row in list(self._keys.items()):
                if row.subject in wanted and row.wrapped is not None:
                    self._keys[key_id] = attrs.evolve(row, wrapped=None, destroyed_at=at)
                    destroyed.append(key_id)
            for cpr_hash, citizen in list(self._cpr.items()):
                if citizen in wanted:
                    del self._cpr[cpr_hash]
                    self._claimed_at.pop(cpr_hash, None)
        return destroyed

    def rewrap(self, rewrap: Callable[[DataKeyRow], bytes], old_id: str, new_id: str) -> int:
        with self._lock:
            if self._meta.get("master_key_id", old_id) != old_id:
                raise StorageError("the master key changed during the rotation")
            live = {k: r for k, r in self._keys.items() if r.wrapped is not None}
            new = {
                k: attrs.evolve(r, wrapped=rewrap(r), master_key_id=new_id) for k, r in live.items()
            }
            self._keys.update(new)
            self._meta["master_key_id"] = new_id
            return len(new)

    def citizen_by_cpr_hash(self, cpr_hash: str) -> str | None:
        return self._cpr.get(cpr_hash)

    def claim_cpr_hash(self, cpr_hash: str, citizen_id: str, *, at: int = 0) -> str:
        with self._lock:
            owner = self._cpr.setdefault(cpr_hash, citizen_id)
            if owner == citizen_id:
                self._claimed_at[cpr_hash] = at
            return owner

    def release_cpr_hash(
        self, cpr_hash: str, citizen_id: str, *, claimed_before: int | None = None
    ) -> bool:
        with self._lock:
            if self._cpr.get(cpr_hash) != citizen_id:
                return False
            at = self._claimed_at.get(cpr_hash)
            if claimed_before is not None and at is not None and at >= claimed_before:
                return False
            del self._cpr[cpr_hash]
            self._claimed_at.pop(cpr_hash, None)
            return True


_TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}oneplan_key_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}oneplan_data_keys (key_id TEXT PRIMARY KEY, "
    "subject TEXT NOT NULL, retention_class TEXT NOT NULL, wrapped {blob}, "
    "master_key_id TEXT, destroyed_at TEXT, UNIQUE (subject, retention_class))",
    "CREATE TABLE IF NOT EXISTS {p}oneplan_cpr_index (cpr_hash TEXT PRIMARY KEY, "
    "citizen_id TEXT NOT NULL)",
    # when each CPR hash was claimed (a table of its own, so older databases get it too)
    "CREATE TABLE IF NOT EXISTS {p}oneplan_cpr_claims (cpr_hash TEXT PRIMARY KEY, "
    "citizen_id TEXT NOT NULL, claimed_at BIGINT NOT NULL)",
)
_KEY_COLUMNS = "key_id, subject, retention_class, wrapped, master_key_id, destroyed_at"


def _row(found: Any) -> DataKeyRow | None:
    if found is None:
        return None
    key_id, subject, retention_class, wrapped, master_key_id, destroyed_at = found
    return DataKeyRow(
        key_id=key_id,
        subject=subject,
        retention_class=retention_class,
        wrapped=None if wrapped is None else bytes(wrapped),
        master_key_id=master_key_id,
        destroyed_at=destroyed_at,
    )


class _SQLKeyStore(KeyStore):
    """The key store as tables beside the events; SQL written with ``?`` placeholders
    and ``{p}`` for the schema prefix."""

    _prefix = ""
    _mark = "?"

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @abstractmethod
    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A cursor in a write transaction (committed at the end, rolled back on error)."""
        yield None  # pragma: no cover

    @abstractmethod
    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]: ...

    def _sql(self, sql: str) -> str:
        return sql.replace("{p}", self._prefix).replace("?", self._mark)

    def _run(self, cursor: Any, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        cursor.execute(self._sql(sql), params)
        return list(cursor.fetchall()) if cursor.description else []

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self._query(self._sql(sql), params)

    def master_key_id(self) -> str | None:
        found = self._read("SELECT value FROM {p}oneplan_key_meta WHERE name = 'master_key_id'")
        return str(found[0][0]) if found else None

    def claim_master_key_id(self, key_id: str) -> str:
        with self._transaction() as cur:
            self._run(
                cur,
                "INSERT INTO {p}oneplan_key_meta (name, value) VALUES ('master_key_id', ?) "
                "ON CONFLICT (name) DO NOTHING",
                (key_id,),
            )
            found = self._run(
                cur, "SELECT value FROM {p}oneplan_key_meta WHERE name = 'master_key_id'"
            )
        return str(found[0][0])

    def data_key(self, key_id: str) -> DataKeyRow | None:
        found = self._read(
            f"SELECT {_KEY_COLUMNS} FROM {{p}}oneplan_data_keys WHERE key_id = ?", (key_id,)
        )
        return _row(found[0] if found else None)

    def data_key_for(self, subject: str, retention_class: str) -> DataKeyRow | None:
        found = self._read(
            f"SELECT {_KEY_COLUMNS} FROM {{p}}oneplan_data_keys "
            "WHERE subject = ? AND retention_class = ?",
            (subject, retention_class),
        )
        return _row(found[0] if found else None)

    def add_data_key(self, row: DataKeyRow) -> DataKeyRow:
        with self._transaction() as cur:
            self._run(
                cur,
                f"INSERT INTO {{p}}oneplan_data_keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (
                    row.key_id,
                    row.subject,
                    row.retention_class,
                    row.wrapped,
                    row.master_key_id,
                    row.destroyed_at,
                ),
            )
            found = self._run(
                cur,
                f"SELECT {_KEY_COLUMNS} FROM {{p}}oneplan_data_keys "
                "WHERE subject = ? AND retention_class = ?",
                (row.subject, row.retention_class),
            )
        stored = _row(found[0])
        assert stored is not None
        return stored

    def keys_of(self, subjects: Iterable[str]) -> list[DataKeyRow]:
        rows: list[DataKeyRow] = []
        for subject in set(subjects):
            found = self._read(
                f"SELECT {_KEY_COLUMNS} FROM {{p}}oneplan_data_keys WHERE subject = ?", (subject,)
            )
            rows.extend(r for r in map(_row, found) if r is not None)
        return rows

    def data_keys(self) -> list[DataKeyRow]:
        found = self._read(f"SELECT {_KEY_COLUMNS} FROM {{p}}oneplan_data_keys ORDER BY key_id")
        return [r for r in map(_row, found) if r is not None]

    def destroyed_count(self) -> int:
        found = self._read("SELECT count(*) FROM {p}oneplan_data_keys WHERE wrapped IS NULL")
        return int(found[0][0])

    def destroyed_ids(self) -> list[str]:
        found = self._read("SELECT key_id FROM {p}oneplan_data_keys WHERE wrapped IS NULL")
        return [str(r[0]) for r in found]

    def cpr_index(self) -> list[tuple[str, str]]:
        found = self._read(
            "SELECT cpr_hash, citizen_id FROM {p}oneplan_cpr_index ORDER BY cpr_hash"
        )
        return [(str(h), str(c)) for h, c in found]

    def destroy(self, subjects: Iterable[str], *, at: str) -> list[str]:
        destroyed: list[str] = []
        with self._transaction() as cur:
            for subject in sorted(set(subjects)):
                found = self._run(
                    cur,
                    "SELECT key_id FROM {p}oneplan_data_keys "
                    "WHERE subject = ? AND wrapped IS NOT NULL",
                    (subject,),
                )
                destroyed.extend(str(r[0]) for r in found)
                self._run(
                    cur,
                    "UPDATE {p}oneplan_data_keys SET wrapped = NULL, destroyed_at = ? "
                    "WHERE subject = ? AND wrapped IS NOT NULL",
                    (at, subject),
                )
                self._run(cur, "DELETE FROM {p}oneplan_cpr_index WHERE citizen_id = ?", (subject,))
                self._run(cur, "DELETE FROM {p}oneplan_cpr_claims WHERE citizen_id = ?", (subject,))
        self._scrub()
        return destroyed

    def _scrub(self) -> None:
        """Make destroyed bytes unrecoverable from the database's files, where the
        database lets us."""

    def rewrap(self, rewrap: Callable[[DataKeyRow], bytes], old_id: str, new_id: str) -> int:
        with self._transaction() as cur:
            found = self._run(
                cur, "SELECT value FROM {p}oneplan_key_meta WHERE name = 'master_key_id'"
            )
            if found and found[0][0] != old_id:
                raise StorageError("the master key changed during the rotation")
            rows = self._run(
                cur,
                f"SELECT {_KEY_COLUMNS} FROM {{p}}oneplan_data_keys WHERE wrapped IS NOT NULL",
            )
            live = [r for r in map(_row, rows) if r is not None]
            for row in live:
                self._run(
                    cur,
                    "UPDATE {p}oneplan_data_keys SET wrapped = ?, master_key_id = ? "
                    "WHERE key_id = ?",
                    (rewrap(row), new_id, row.key_id),
                )
            self._run(
                cur,
                "INSERT INTO {p}oneplan_key_meta (name, value) VALUES ('master_key_id', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (new_id,),
            )
        self._scrub()
        return len(live)

    def citizen_by_cpr_hash(self, cpr_hash: str) -> str | None:
        found = self._read(
            "SELECT citizen_id FROM {p}oneplan_cpr_index WHERE cpr_hash = ?", (cpr_hash,)
        )
        return str(found[0][0]) if found else None

    def claim_cpr_hash(self, cpr_hash: str, citizen_id: str, *, at: int = 0) -> str:
        with self._transaction() as cur:
            self._run(
                cur,
                "INSERT INTO {p}oneplan_cpr_index (cpr_hash, citizen_id) VALUES (?, ?) "
                "ON CONFLICT (cpr_hash) DO NOTHING",
                (cpr_hash, citizen_id),
            )
            found = self._run(
                cur, "SELECT citizen_id FROM {p}oneplan_cpr_index WHERE cpr_hash = ?", (cpr_hash,)
            )
            owner = str(found[0][0])
            if owner == citizen_id:
                self._run(
                    cur,
                    "INSERT INTO {p}oneplan_cpr_claims (cpr_hash, citizen_id, claimed_at) "
                    "VALUES (?, ?, ?) ON CONFLICT (cpr_hash) DO UPDATE SET "
                    "citizen_id = excluded.citizen_id, claimed_at = excluded.claimed_at",
                    (cpr_hash, citizen_id, at),
                )
        return owner

    def release_cpr_hash(
        self, cpr_hash: str, citizen_id: str, *, claimed_before: int | None = None
    ) -> bool:
        with self._transaction() as cur:
            if claimed_before is not None and self._run(
                cur,
                "SELECT 1 FROM {p}oneplan_cpr_claims WHERE cpr_hash = ? AND citizen_id = ? "
                "AND claimed_at >= ?",
                (cpr_hash, citizen_id, claimed_before),
            ):
                return False
            released = self._run(
                cur,
                "SELECT 1 FROM {p}oneplan_cpr_index WHERE cpr_hash = ? AND citizen_id = ?",
                (cpr_hash, citizen_id),
            )
            self._run(
                cur,
                "DELETE FROM {p}oneplan_cpr_index WHERE cpr_hash = ? AND citizen_id = ?",
                (cpr_hash, citizen_id),
            )
            self._run(
                cur,
                "DELETE FROM {p}oneplan_cpr_claims WHERE cpr_hash = ? AND citizen_id = ?",
                (cpr_hash, citizen_id),
            )
        return bool(released)


class SQLiteKeyStore(_SQLKeyStore):
    """The key store as tables in the events' SQLite file."""

    def __init__(self, path: str, *, timeout: float = 10.0) -> None:
        super().__init__()
        try:
            self._db = sqlite3.connect(
                path, isolation_level=None, timeout=timeout, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA secure_delete=ON")
            with self._transaction() as cur:
                for sql in _TABLES:
                    cur.execute(sql.format(p="", blob="BLOB"))
        except sqlite3.Error as e:
            raise StorageError(f"cannot open the key store in {path}: {e}") from e

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock, storage_errors("the key store in SQLite"):
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")  # waits for a busy database up to the timeout
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with storage_errors("the key store in SQLite"):
            return list(self._db.execute(sql, params).fetchall())

    def _scrub(self) -> None:
        with self._lock, storage_errors("the key store in SQLite"):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self._db.close()


class PostgresKeyStore(_SQLKeyStore):
    """The key store as tables in the events' PostgreSQL database (and schema)."""

    _mark = "%s"

    def __init__(self, conninfo: Mapping[str, Any], schema: str | None) -> None:
        super().__init__()
        import psycopg

        from oneplan.postgres_sessions import connect

        self._prefix = f'"{schema}".' if schema else ""
        try:
            self._db = connect(conninfo)  # (oneplan.postgres_sessions)
        except psycopg.Error as e:
            raise StorageError(f"cannot open the key store in PostgreSQL: {e}") from e
        with self._transaction() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(2026112202)")
            if schema:
                cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            for sql in _TABLES:
                cur.execute(sql.format(p=self._prefix, blob="BYTEA"))

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock, self._db.transaction():
            yield self._db.cursor()
        self._db.commit()

    def _scrub(self) -> None:
        """Rewrite the key tables into new files (``VACUUM FULL``: small tables), so the
        old versions of destroyed rows are not left behind as dead tuples."""
        with self._lock:
            self._db.commit()
            self._db.autocommit = True
            try:
                for table in ("oneplan_data_keys", "oneplan_cpr_index", "oneplan_cpr_claims"):
                    self._db.execute(f"VACUUM FULL {self._prefix}{table}")
            finally:
                self._db.autocommit = False

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        rows = list(self._db.execute(sql, params).fetchall())
        self._db.commit()
        return rows

    def close(self) -> None:
        self._db.close()


def key_store_for_env(env: Mapping[str, str]) -> KeyStore:
    """The key store beside an application's events (the same database)."""
    module = env.get("PERSISTENCE_MODULE", "eventsourcing.popo")
    if module == "eventsourcing.popo":
        return MemoryKeyStore()
    if module == "eventsourcing.sqlite":
        path = env["SQLITE_DBNAME"]
        if ":memory:" in path or "mode=memory" in path:
            return MemoryKeyStore()
        return SQLiteKeyStore(path, timeout=float(env.get("SQLITE_LOCK_TIMEOUT", "10")))
    if module == "eventsourcing.postgres":
        from oneplan.postgres_sessions import conninfo

        return PostgresKeyStore(conninfo(env), env.get("POSTGRES_SCHEMA") or None)
    raise InvalidDatabaseUrl(f"no key store for {module}", url=module)
