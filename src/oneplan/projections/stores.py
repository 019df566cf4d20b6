"""Where views are kept: in memory, or as SQL tables in the same SQLite or PostgreSQL
database as the events, one table per view plus a tracking table.

Every write is one transaction holding the changed rows *and* the new tracking
position, which only moves forward from the position the writer read (compare and set).
So a view is never ahead of or behind its position: a restart resumes where the last
commit stopped, and two runners on one database never apply an event twice.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from typing import Any, ClassVar, Protocol

import orjson

from oneplan.errors import InvalidDatabaseUrl, StorageError
from oneplan.sqlite_errors import public_methods_raise_storage_errors

__all__ = [
    "MemoryViewStore",
    "PositionMoved",
    "PostgresViewStore",
    "Rebuilding",
    "SQLiteViewStore",
    "ViewStore",
    "store_for_env",
]

Rows = Mapping[tuple[str, str], bytes | None]
"""Changed rows by (view, key); None deletes the row."""

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
TRACKING = "oneplan_view_tracking"


class PositionMoved(Exception):
    """Another runner committed first: the position is no longer the one read."""


def _after(prefix: str) -> str:
    """The least string greater than every string that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\U0010ffff"


def table(view: str) -> str:
    if not _NAME.match(view):
        raise ValueError(f"view name {view!r} is not a plain lower-case name")
    return f"oneplan_view_{view}"


ASIDE = "oneplan_rebuild_"
RETIRED = "oneplan_retired_"
TRANSACTION_ROWS = 1000
TRANSACTION_BYTES = 2**20
"""Rows, and about how many bytes of them, a rebuild writes aside or deletes from a
retired table in one transaction on SQLite (about 10 ms: what a writer of events may
wait for the file's lock; a thousand rows of 25 kB, a journey's, would hold it for a
quarter of a second)."""


def _steps(sizes: Iterable[int]) -> Iterator[int]:
    """Where the transactions over rows of these sizes end (the index after each one's
    last row): at most ``TRANSACTION_ROWS`` rows and about ``TRANSACTION_BYTES`` each
    (a larger row alone)."""
    rows = size = end = 0
    for end, length in enumerate(sizes, 1):
        rows += 1
        size += length
        if rows >= TRANSACTION_ROWS or size >= TRANSACTION_BYTES:
            yield end
            rows = size = 0
    if rows:
        yield end


def aside(view: str, token: str) -> str:
    """The table rebuild ``token`` writes ``view`` into before it takes the view's place
    (a token per rebuild: two rebuilds at once never write into one table)."""
    table(view)  # the same check of the name
    return f"{ASIDE}{token}_{view}"


def retired(view: str, token: str) -> str:
    """The name an old table of ``view`` has after rebuild ``token`` took its place,
    until it is emptied and dropped."""
    table(view)
    return f"{RETIRED}{token}_{view}"


class RowSealing(Protocol):
    """How a store that wraps another seals its rows (``sealed_rows.RowSealer``): given
    to a rebuild that can seal rows itself (``Rebuilding.seals_with``)."""

    def seal(self, view: str, key: str, row: bytes) -> bytes:
        """``row`` as it is to be stored."""
        ...

    def holds(self, view: str, key: str, stored: bytes, row: bytes) -> bool:
        """Whether ``stored`` is as good as ``row`` sealed afresh: it holds the same
        bytes, sealed under the keys ``row`` would be sealed under now."""
        ...


class Rebuilding(ABC):
    """Views being rebuilt aside: rows are written here, out of sight, while the stored
    views and their position stay as they were; ``finish`` puts the new rows in their
    place and moves the position in one transaction. Until then nothing is visible, so
    a rebuild that dies (or is abandoned) leaves the old views and position as they were.

    A row may be written more than once (the last write wins) and read back."""

    @abstractmethod
    def write(self, rows: Mapping[tuple[str, str], bytes], *, new: bool) -> None:
        """Write rows aside; ``new``: none of them was written aside before."""

    @abstractmethod
    def read(self, view: str, keys: Iterable[str]) -> dict[str, bytes]:
        """Rows written aside (missing keys are left out)."""

    @abstractmethod
    def finish(self, position: int, *, expect: int | None = None) -> None:
        """Replace the views rebuilt with what was written aside and set the position
        and the versions, in one transaction: whatever the position was meanwhile, or,
        with ``expect``, only if it is ``expect`` (else ``PositionMoved``, nothing
        changed: a rebuild of some views must meet the others at their position)."""

    @abstractmethod
    def abort(self) -> None:
        """Drop what was written aside; the stored views stay as they were."""

    def seals_with(self, sealing: RowSealing) -> bool:
        """Whether this rebuild takes rows before sealing and seals them with ``sealing``
        itself, so it can compare a row with the stored one by what it holds (a row is
        sealed afresh under new random keys each time, so its bytes never compare the
        same); False: rows are to be given to ``write`` sealed."""
        return False


class _InMemoryRebuilding(Rebuilding):
    """Rows kept in a dict until ``finish`` writes them through the store's own
    ``reset`` and ``commit`` (for stores without tables of their own: every view at
    once, never some of them)."""

    def __init__(self, store: ViewStore, versions: Mapping[str, int]) -> None:
        self._store = store
        self._versions = dict(versions)
        self._rows: dict[tuple[str, str], bytes] = {}
        self.views = tuple(self._versions)

    def write(self, rows: Mapping[tuple[str, str], bytes], *, new: bool) -> None:
        self._rows.update(rows)

    def read(self, view: str, keys: Iterable[str]) -> dict[str, bytes]:
        return {k: row for k in keys if (row := self._rows.get((view, k))) is not None}

    def finish(self, position: int, *, expect: int | None = None) -> None:
        # Two transactions: a crash between them leaves empty views at position 0 with
        # the new versions, which the next catch-up folds again from the start.
        if expect is not None and self._store.tracking()[0] != expect:
            raise PositionMoved
        self._store.reset(self._versions)
        self._store.commit(self._rows, from_position=0, to_position=position)
        self._rows = {}

    def abort(self) -> None:
        self._rows = {}


class ViewStore(ABC):
    """Rows of frozen view state as JSON bytes, by view and key, and one position."""

    @abstractmethod
    def tracking(self) -> tuple[int, dict[str, int]]:
        """The last notification id folded in, and the version of each view."""

    @abstractmethod
    def read(self, view: str, keys: Iterable[str]) -> dict[str, bytes]:
        """The stored rows of ``view`` among ``keys`` (missing keys are left out)."""

    @abstractmethod
    def keys(self, view: str) -> list[str]:
        """Every key of ``view``, sorted."""

    @abstractmethod
    def read_prefix(self, view: str, prefix: str) -> list[tuple[str, bytes]]:
        """The rows of ``view`` whose key starts with ``prefix``, in key order (bytewise):
        for views that keep one row per entry, such as the access log."""

    @abstractmethod
    def commit(self, rows: Rows, *, from_position: int, to_position: int) -> None:
        """Write ``rows`` and move the position, in one transaction; raise
        ``PositionMoved`` (writing nothing) when the position is not ``from_position``."""

    @abstractmethod
    def reset(self, versions: Mapping[str, int]) -> None:
        """Empty every view and go back to position 0, with these view versions."""

    rebuilds_views_apart = False
    """Whether ``rebuilding`` takes some views only (a store of tables of its own: one
    view rebuilt while the others stay); else every view is rebuilt at once."""

    def rebuilding(
        self, versions: Mapping[str, int], views: Iterable[str] | None = None
    ) -> Rebuilding:
        """Begin a rebuild aside (see ``Rebuilding``) of ``views`` (default: every view
        in ``versions``; some only where ``rebuilds_views_apart``); ``finish`` then
        stores ``versions`` as the views' versions."""
        if views is not None and set(views) != set(versions):
            raise ValueError(f"{type(self).__name__} rebuilds every view at once")
        return _InMemoryRebuilding(self, versions)

    def take_lease(self, holder: str, seconds: float, *, replacing: str | None = None) -> bool:
        """Take (or renew) the lease to rebuild views for ``seconds``: True when
        ``holder`` holds it now, False while another holder's lease runs (unless that
        holder is ``replacing``: known dead). One rebuild at a time (two would drop each
        other's tables aside); a holder that dies lets its lease run out. A store of one
        process has no one to share it with."""
        return True

    def drop_lease(self, holder: str) -> None:  # noqa: B027  (nothing held in memory)
        """Give the lease up, if ``holder`` holds it."""

    def lease_holder(self) -> tuple[str, float] | None:
        """Who holds a lease that runs, and until when (seconds since the epoch)."""
        return None

    def scrub(self) -> None:  # noqa: B027  (nothing to do in memory)
        """Make the bytes of deleted and overwritten rows unrecoverable from the
        database's files, where the database lets us (after an erasure)."""

    def close(self) -> None:  # noqa: B027  (nothing to close in memory)
        """Release connections."""


class MemoryViewStore(ViewStore):
    """Views in a dict: for memory:// applications, tests and as-of folds."""

    rebuilds_views_apart = True

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], bytes] = {}
        self._position = 0
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()

    def tracking(self) -> tuple[int, dict[str, int]]:
        return self._position, dict(self._versions)

    def read(self, view: str, keys: Iterable[str]) -> dict[str, bytes]:
        return {k: row for k in keys if (row := self._rows.get((view, k))) is not None}

    def keys(self, view: str) -> list[str]:
        return sorted(k for v, k in self._rows if v == view)

    def read_prefix(self, view: str, prefix: str) -> list[tuple[str, bytes]]:
        return sorted(
            (k, row)
            for (v, k), row in list(self._rows.items())
            if v == view and k.startswith(prefix)
        )

    def commit(self, rows: Rows, *, from_position: int, to_position: int) -> None:
        with self._lock:
            if self._position != from_position:
                raise PositionMoved
            for key, row in rows.items():
                if row is None:
                    self._rows.pop(key, None)
                else:
                    self._rows[key] = row
            self._position = to_position

    def reset(self, versions: Mapping[str, int]) -> None:
        with self._lock:
            self._rows.clear()
            self._position = 0
            self._versions = dict(versions)

    def rebuilding(
        self, versions: Mapping[str, int], views: Iterable[str] | None = None
    ) -> Rebuilding:
        return _MemoryRebuilding(self, versions, views)

    def _swap(
        self,
        views: Iterable[str],
        rows: Mapping[tuple[str, str], bytes],
        versions: Mapping[str, int],
        position: int,
        expect: int | None,
    ) -> None:
        with self._lock:
            if expect is not None and self._position != expect:
                raise PositionMoved
            rebuilt = set(views)
            for slot in [slot for slot in self._rows if slot[0] in rebuilt]:
                del self._rows[slot]
            self._rows.update(rows)
            self._position = position
            self._versions = dict(versions)


class _MemoryRebuilding(Rebuilding):
    """Rows kept in a dict until ``finish`` swaps them in (the store's lock held)."""

    def __init__(
        self, store: MemoryViewStore, versions: Mapping[str, int], views: Iterable[str] | None
    ) -> None:
        self._store = store
        self._versions = dict(versions)
        self.views = tuple(self._versions if views is None else views)
        self._rows: dict[tuple[str, str], bytes] = {}

    def write(self, rows: Mapping[tuple[str, str], bytes], *, new: bool) -> None:
        self._rows.update(rows)

    def read(self, view: str, keys: Iterable[str]) -> dict[str, bytes]:
        return {k: row for k in keys if (row := self._rows.get((view, k))) is not None}

    def finish(self, position: int, *, expect: int | None = None) -> None:
        self._store._swap(self.views, self._rows, self._versions, position, expect)
        self._rows = {}

    def abort(self) -> None:
        self._rows = {}


LEASE = "rebuild"
"""The tracking table's row naming who rebuilds views (``position``: until when, in
milliseconds since the epoch; ``versions``: the holder)."""


def _lease_sql(mark: str) -> str:
    """Take or renew the lease in one statement: a row comes back when it is ours."""
    return (
        "INSERT INTO {tracking} AS held (name, position, versions) "
        f"VALUES ('{LEASE}', {mark}, {mark}) "
        "ON CONFLICT (name) DO UPDATE SET position = excluded.position, "
        f"versions = excluded.versions WHERE held.versions IN ({mark}, {mark}) "
        f"OR held.position < {mark} RETURNING name"
    )


def _now_ms() -> int:
    return int(time.time() * 1000)


@public_methods_raise_storage_errors("the views in SQLite")
class SQLiteViewStore(ViewStore):
    """Views as tables in the events' SQLite file; writes take the write lock at once
    (``BEGIN IMMEDIATE``), so a busy database waits up to the timeout."""

    rebuilds_views_apart = True

    def __init__(self, path: str, views: Iterable[str], *, timeout: float = 10.0) -> None:
        try:
            self._db = sqlite3.connect(
                path, isolation_level=None, timeout=timeout, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA secure_delete=ON")  # zero what rows leave behind
            self._lock = threading.Lock()
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    f"CREATE TABLE IF NOT EXISTS {TRACKING} (name TEXT PRIMARY KEY, "
                    "position INTEGER NOT NULL, versions TEXT NOT NULL)"
                )
                self._db.execute(f"INSERT OR IGNORE INTO {TRACKING} VALUES ('oneplan', 0, '{{}}')")
                for view in views:
                    self._db.execute(
                        f"CREATE TABLE IF NOT EXISTS {table(view)} "
                        "(key TEXT PRIMARY KEY, state BLOB NOT NULL) WITHOUT ROWID"
                    )
                self._db.execute("COMMIT")
        except sqlite3.Error as e:
            raise StorageError(f"cannot open the views in {path}: {e}") from e

    def tracking(self) -> tuple[int, dict[str, int]]:
        with self._lock:
            position, versions = self._db.execute(
                f"SELECT position, versions FROM {TRACKING} WHERE name = 'oneplan'"
            ).fetchone()
        return int(position), orjson.loads(versions)

    def read(self, view: str, keys: Iterable[str]) -> dict[str, bytes]:
        return self._read(table(view), keys)

    def _read(self, name: str, keys: Iterable[str]) -> dict[str, bytes]:
        wanted = list(keys)
        found: dict[str, bytes] = {}
        with self._lock:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(
                    self._db.execute(
                        f"SELECT key, state FROM {name} WHERE key IN ({marks})", chunk
                    ).fetchall()
                )
        return found

    def keys(self, view: str) -> list[str]:
        with self._lock:
            rows = self._db.execute(f"SELECT key FROM {table(view)} ORDER BY key").fetchall()
        return [r[0] for r in rows]

    def read_prefix(self, view: str, prefix: str) -> list[tuple[str, bytes]]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT key, state FROM {table(view)} WHERE key >= ? AND key < ? ORDER BY key",
                (prefix, _after(prefix)),
            ).fetchall()
        return [(k, bytes(s)) for k, s in rows]

    def commit(self, rows: Rows, *, from_position: int, to_position: int) -> None:
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                (position,) = db.execute(
                    f"SELECT position FROM {TRACKING} WHERE name = 'oneplan'"
                ).fetchone()
                if position != from_position:
                    raise PositionMoved
                by_view: dict[str, list[tuple[str, bytes | None]]] = {}
                for (view, key), row in rows.items():
                    by_view.setdefault(view, []).append((key, row))
                for view, changes in by_view.items():
                    name = table(view)
                    db.executemany(
                        f"INSERT INTO {name} (key, state) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET state = excluded.state",
                        [(k, r) for k, r in changes if r is not None],
                    )
                    db.executemany(
                        f"DELETE FROM {name} WHERE key = ?", [(k,) for k, r in changes if r is None]
                    )
                _mark_written(db, by_view, to_position - from_position)
                db.execute(
                    f"UPDATE {TRACKING} SET position = ? WHERE name = 'oneplan'", (to_position,)
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def reset(self, versions: Mapping[str, int]) -> None:
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                for view in versions:
                    db.execute(
                        f"CREATE TABLE IF NOT EXISTS {table(view)} "
                        "(key TEXT PRIMARY KEY, state BLOB NOT NULL) WITHOUT ROWID"
                    )
                    db.execute(f"DELETE FROM {table(view)}")
                (position,) = db.execute(
                    f"SELECT position FROM {TRACKING} WHERE name = 'oneplan'"
                ).fetchone()
                _mark_written(db, versions, -position)
                db.execute(
                    f"UPDATE {TRACKING} SET position = 0, versions = ? WHERE name = 'oneplan'",
                    (orjson.dumps(dict(versions)).decode(),),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def rebuilding(
        self, versions: Mapping[str, int], views: Iterable[str] | None = None
    ) -> Rebuilding:
        return _SQLiteRebuilding(self, versions, views)

    def take_lease(self, holder: str, seconds: float, *, replacing: str | None = None) -> bool:
        now = _now_ms()
        with self._lock:
            taken = self._db.execute(
                _lease_sql("?").format(tracking=TRACKING),
                (now + int(seconds * 1000), holder, holder, replacing or holder, now),
            ).fetchall()
        return bool(taken)

    def drop_lease(self, holder: str) -> None:
        with self._lock:
            self._db.execute(
                f"DELETE FROM {TRACKING} WHERE name = '{LEASE}' AND versions = ?", (holder,)
            )

    def lease_holder(self) -> tuple[str, float] | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT versions, position FROM {TRACKING} WHERE name = '{LEASE}'"
            ).fetchone()
        if row is None or row[1] < _now_ms():
            return None
        return str(row[0]), row[1] / 1000

    def scrub(self) -> None:
        """Copy the write-ahead log into the file and truncate it: the old versions of
        rows it held are gone (``secure_delete`` zeroed them in the file itself)."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self._db.close()

    def _drop_in_steps(self, name: str) -> None:
        """Empty a table a short transaction at a time (``_steps``: a range of keys each,
        from the first), then drop it. With ``secure_delete`` every page a row leaves is
        zeroed; durability of each step is not needed (a table left retired, by a crash
        too, is emptied by the next rebuild), so the steps do not sync."""
        with self._lock:
            try:
                # (the sizes come from the rows' headers: their pages are not read)
                found = self._db.execute(
                    f"SELECT key, coalesce(length(state), 0) FROM {name} ORDER BY key"
                ).fetchall()
            except sqlite3.OperationalError as e:
                if "no such table" in str(e):
                    return
                raise
        ends = [found[end - 1][0] for end in _steps(size for _, size in found)]
        for last in [*ends, None]:
            with self._lock:
                db = self._db
                (synchronous,) = db.execute("PRAGMA synchronous").fetchone()
                db.execute("PRAGMA synchronous = NORMAL")
                db.execute("BEGIN IMMEDIATE")
                try:
                    if last is not None:
                        db.execute(f"DELETE FROM {name} WHERE key <= ?", (last,))
                    else:  # (and any row that came since, though none should)
                        db.execute(f"DELETE FROM {name}")
                        db.execute(f"DROP TABLE IF EXISTS {name}")
                    db.execute("COMMIT")
                except sqlite3.OperationalError as e:
                    db.execute("ROLLBACK")
                    if "no such table" in str(e):
                        return
                    raise
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                finally:
                    db.execute(f"PRAGMA synchronous = {int(synchronous)}")


WRITTEN = "written:"
"""Tracking rows ``written:<view>``: how many commits (and resets) wrote the view's table,
so that a rebuild can tell which tables another runner changed while it ran."""
COUNTED = WRITTEN + "*"
"""The tracking row of how far counting writers moved the position, in all: a commit adds
what it moved it by, a reset what it took it back by. A rebuild that finds the position
moved by more (or less) than this since it began knows a writer that does not count (an
older oneplan's) wrote meanwhile, and keeps no view (``_KeepingRebuilding``)."""


def _marks(views: Iterable[str], moved: int) -> list[tuple[str, int]]:
    """The tracking rows a write adds to: one more write of each of ``views``, and the
    position moved by ``moved``."""
    return [*((WRITTEN + view, 1) for view in views), (COUNTED, moved)]


def _mark_written(db: sqlite3.Connection, views: Iterable[str], moved: int) -> None:
    """Count a write of ``views`` that moves the position by ``moved`` (in the writer's
    transaction)."""
    db.executemany(
        f"INSERT INTO {TRACKING} (name, position, versions) VALUES (?, ?, '') "
        "ON CONFLICT (name) DO UPDATE SET position = position + excluded.position",
        _marks(views, moved),
    )


def _counts(found: Iterable[tuple[str, int]]) -> dict[str, int]:
    """The counts of the tracking rows ``written:...``, by view (``*``: ``COUNTED``)."""
    return {name[len(WRITTEN) :]: count for name, count in found if name.startswith(WRITTEN)}


def _writes(db: sqlite3.Connection) -> dict[str, int]:
    """How many times each view was written, and how far counting writers moved the
    position (``_mark_written``)."""
    return _counts(db.execute(f"SELECT name, position FROM {TRACKING} WHERE name LIKE 'written:%'"))


def names_of(db: sqlite3.Connection) -> list[tuple[str]]:
    """The tables of the file."""
    return db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()


class _KeepingRebuilding(Rebuilding):
    """A rebuild aside that keeps a view it finds unchanged (``keep_unchanged``).

    While the rows come in key order, each chunk is compared with the stored rows of the
    same keys; as long as they are the same (the same bytes, or, for sealed rows, the
    same bytes sealed under the keys the rebuild would use: ``seals_with``) and no stored
    row lies between them, nothing is written, and a view whose every row was the same
    keeps its table: nothing aside, nothing renamed, nothing to empty (a rebuild that
    confirms the views writes no row). The rows compared are held (the stored bytes)
    until the view is kept or differs: at the first difference they are written aside
    and the rest after them, and so are they when more than ``keep_bytes`` are held
    (memory stays bounded).

    A view is kept only if no other runner wrote its table while the rebuild ran
    (``WRITTEN``: each commit counts the views it writes, in its transaction) and every
    move of the position meanwhile was counted (``COUNTED``: none by a writer that does
    not count, such as an older oneplan's), both checked in the swap's transaction;
    else its rows held are written aside and it is swapped as the others (never copied
    from the stored table, which that runner may have changed since the comparison). A
    kept view is right at the rebuild's position: the events other runners folded
    meanwhile did not change it (they would have written it), so folding them again
    after the swap leaves it as it is."""

    keep_unchanged: ClassVar[bool] = True
    keep_bytes: ClassVar[int] = 256 * 2**20
    """At most about this many bytes of rows compared are held, over every view."""
    views: tuple[str, ...]

    def _keep(self, stored: AbstractSet[str], position: int, writes: Mapping[str, int]) -> None:
        """Begin comparing the views whose tables exist (``stored``), at the stored
        ``position`` and ``writes`` (``_writes``)."""
        self._same: dict[str, list[tuple[str, bytes]]] = (
            {view: [] for view in self.views if table(view) in stored}
            if self.keep_unchanged
            else {}
        )
        """The views still found the same as stored, each with the rows compared so far
        (in key order, the stored bytes); a view not here is written aside."""
        self._begun = (position, dict(writes))
        self._sealing: RowSealing | None = None
        """Seals rows before they are written (``seals_with``); None: rows come sealed."""
        self._held = 0
        """The bytes of rows held in ``_same``."""

    @abstractmethod
    def _write(self, view: str, changes: list[tuple[str, bytes]], *, new: bool) -> None:
        """Write rows (as stored) aside; ``new``: none of them is aside yet."""

    @abstractmethod
    def _stored(self, view: str, after: str | None, last: str) -> list[tuple[str, bytes]]:
        """The stored rows of ``view`` with keys after ``after`` (None: from the first)
        up to ``last``, in key order."""

    @abstractmethod
    def _read_aside(self, view: str, keys: Iterable[str]) -> dict[str, bytes]:
        """Rows written aside."""

    @abstractmethod
    def _swapped(self, position: int, expect: int | None) -> str | None:
        """One attempt at the swap's transaction (see ``finish``): None, done; else,
        nothing done, the name of a view kept so far that may not be kept after all
        (``_not_kept``: to write aside first)."""

    def _swap(self, position: int, expect: int | None) -> None:
        """The swap's transaction, again after writing aside a view found unlike the
        stored one at the last moment."""
        while True:
            differs = self._swapped(position, expect)
            if differs is None:
                return
            self._diverged(differs)

    def write(self, rows: Mapping[tuple[str, str], bytes], *, new: bool) -> None:
        """Write rows aside (in key order); rows of a view still found the same as stored
        are compared, not written."""
        by_view: dict[str, list[tuple[str, bytes]]] = {}
        for (view, key), row in rows.items():
            by_view.setdefault(view, []).append((key, row))
        for view, changes in by_view.items():
            changes.sort()  # in key order: appends to the table's b-tree
            if view in self._same:
                if new and self._unchanged(view, changes):
                    while self._held > self.keep_bytes:  # (the one of most rows first)
                        self._diverged(max(self._same, key=lambda v: len(self._same[v])))
                    continue
                self._diverged(view)
            if self._sealing is not None:
                seal = self._sealing.seal
                changes = [(key, seal(view, key, row)) for key, row in changes]
            self._write(view, changes, new=new)

    def seals_with(self, sealing: RowSealing) -> bool:
        self._sealing = sealing
        return True

    def _unchanged(self, view: str, changes: list[tuple[str, bytes]]) -> bool:
        """Whether these rows (in key order, after every row compared before) are the
        stored rows from the last key compared up to their last, byte for byte (sealed:
        ``RowSealing.holds``); if so, the stored rows are held as compared."""
        held = self._same[view]
        last = held[-1][0] if held else None
        if last is not None and changes[0][0] <= last:
            return False  # (out of order: a row written again)
        stored = self._stored(view, last, changes[-1][0])
        if self._sealing is None:
            if stored != changes:
                return False
        elif len(stored) != len(changes) or not all(
            key == mine and self._sealing.holds(view, key, row, new)
            for (key, row), (mine, new) in zip(stored, changes, strict=True)
        ):
            return False
        held += stored
        self._held += sum(len(row) for _, row in stored)
        return True

    def _diverged(self, view: str) -> None:
        """``view`` is to be written aside after all: the rows held for it first."""
        held = self._same.pop(view)
        self._held -= sum(len(row) for _, row in held)
        if held:
            self._write(view, held, new=True)

    def read(self, view: str, keys: Iterable[str]) -> dict[str, bytes]:
        if view in self._same:  # (rows compared, held: written aside first)
            self._diverged(view)
        return self._read_aside(view, keys)

    def _not_kept(self, view: str, position: int, writes: Mapping[str, int], beyond: bool) -> bool:
        """Whether a view still found the same may not be kept after all, in the swap's
        transaction (the stored ``position`` and ``writes`` then): a stored row lies
        ``beyond`` the last compared, another runner wrote it, or a writer that does not
        count moved the position."""
        before, written = self._begun
        uncounted = position - before != writes.get("*", 0) - written.get("*", 0)
        return beyond or uncounted or writes.get(view) != written.get(view)

    def _last_held(self, view: str) -> str:
        held = self._same[view]
        return held[-1][0] if held else ""


class _SQLiteRebuilding(_KeepingRebuilding):
    """Rows written into tables aside (``oneplan_rebuild_<token>_<view>``), at most
    ``TRANSACTION_ROWS`` and about ``TRANSACTION_BYTES`` a transaction (commands writing
    events to the same file wait only that long); ``finish`` renames the old tables away
    and the new ones into their place in one short transaction, then empties and drops
    the old ones in steps; a view found unchanged keeps its table (``_KeepingRebuilding``).
    Tables left aside by a rebuild that died are dropped when the next one begins."""

    def __init__(
        self, store: SQLiteViewStore, versions: Mapping[str, int], views: Iterable[str] | None
    ) -> None:
        self._store = store
        self._versions = dict(versions)
        self.views = tuple(self._versions if views is None else views)
        self._token = secrets.token_hex(4)
        retiring: list[str] = []
        with store._lock:
            db = store._db
            db.execute("BEGIN IMMEDIATE")
            try:
                names = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                for (name,) in names.fetchall():
                    if name.startswith(ASIDE):
                        db.execute(f'DROP TABLE IF EXISTS "{name}"')
                    elif name.startswith(RETIRED):  # (left by a rebuild that died)
                        retiring.append(name)
                for view in self.views:
                    db.execute(
                        f"CREATE TABLE {aside(view, self._token)} "
                        "(key TEXT PRIMARY KEY, state BLOB NOT NULL) WITHOUT ROWID"
                    )
                (position,) = db.execute(
                    f"SELECT position FROM {TRACKING} WHERE name = 'oneplan'"
                ).fetchone()
                self._keep({name for (name,) in names_of(db)}, position, _writes(db))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            # Rows aside need not survive a crash (nothing reads them but this rebuild):
            # no sync per write; ``finish`` syncs them with its own commit.
            (self._synchronous,) = db.execute("PRAGMA synchronous").fetchone()
            db.execute("PRAGMA synchronous = NORMAL")
        for name in retiring:
            store._drop_in_steps(name)

    def _write(self, view: str, changes: list[tuple[str, bytes]], *, new: bool) -> None:
        """Write rows aside in short transactions (``_steps``), so that a writer of events
        (a command, a reader's access-log entry) waits for the file's write lock only
        that long, never for the whole chunk."""
        verb = "INSERT" if new else "INSERT OR REPLACE"
        statement = f"{verb} INTO {aside(view, self._token)} (key, state) VALUES (?, ?)"
        start = 0
        for end in _steps(len(row) for _, row in changes):
            with self._store._lock:
                db = self._store._db
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.executemany(statement, changes[start:end])
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
            start = end

    def _stored(self, view: str, after: str | None, last: str) -> list[tuple[str, bytes]]:
        lower = "" if after is None else "key > ? AND "
        with self._store._lock:
            return self._store._db.execute(
                f"SELECT key, state FROM {table(view)} WHERE {lower}key <= ? ORDER BY key",
                (last,) if after is None else (after, last),
            ).fetchall()

    def _read_aside(self, view: str, keys: Iterable[str]) -> dict[str, bytes]:
        return self._store._read(aside(view, self._token), keys)

    def finish(self, position: int, *, expect: int | None = None) -> None:
        """Swap the new tables in by renaming (the old ones renamed away, not dropped:
        dropping a large table holds the write lock for as long as it has pages), then
        empty the old ones a short transaction at a time and drop them."""
        self._swap(position, expect)
        for view in self.views:
            self._store._drop_in_steps(retired(view, self._token))

    def _swapped(self, position: int, expect: int | None) -> str | None:
        with self._store._lock:
            db = self._store._db
            db.execute(f"PRAGMA synchronous = {int(self._synchronous)}")
            db.execute("BEGIN IMMEDIATE")
            try:
                (now,) = db.execute(
                    f"SELECT position FROM {TRACKING} WHERE name = 'oneplan'"
                ).fetchone()
                if expect is not None and now != expect:
                    raise PositionMoved
                writes = _writes(db) if self._same else {}
                existing = {name for (name,) in names_of(db)}
                for view in self.views:
                    if view in self._same:
                        beyond = db.execute(
                            f"SELECT 1 FROM {table(view)} WHERE key > ? LIMIT 1",
                            (self._last_held(view),),
                        ).fetchall()
                        if self._not_kept(view, now, writes, bool(beyond)):
                            db.execute("ROLLBACK")
                            return view
                        # every stored row compared the same (or none, and none made): kept
                        db.execute(f"DROP TABLE {aside(view, self._token)}")
                        continue
                    if table(view) in existing:
                        db.execute(
                            f"ALTER TABLE {table(view)} RENAME TO {retired(view, self._token)}"
                        )
                    db.execute(f"ALTER TABLE {aside(view, self._token)} RENAME TO {table(view)}")
                db.execute(
                    f"UPDATE {TRACKING} SET position = ?, versions = ? WHERE name = 'oneplan'",
                    (position, orjson.dumps(self._versions).decode()),
                )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        return None

    def abort(self) -> None:
        with self._store._lock:
            db = self._store._db
            if db.in_transaction:
                db.execute("ROLLBACK")
            db.execute(f"PRAGMA synchronous = {int(self._synchronous)}")
            for view in self.views:
                db.execute(f"DROP TABLE IF EXISTS {aside(view, self._token)}")


class PostgresViewStore(ViewStore):
    """Views as tables in the events' PostgreSQL database (and schema); a write locks
    the tracking row, so concurrent runners take turns and never apply an event twice."""

    rebuilds_views_apart = True

    def __init__(self, conninfo: dict[str, Any], schema: str | None, views: Iterable[str]) -> None:
        import psycopg

        from oneplan.postgres_sessions import connect

        self._psycopg = psycopg
        self._schema = schema
        self._prefix = f'"{schema}".' if schema else ""
        try:
            self._db = connect(conninfo)  # (oneplan.postgres_sessions)
        except psycopg.Error as e:
            raise StorageError(f"cannot open the views in PostgreSQL: {e}") from e
        self._lock = threading.Lock()
        with self._lock, self._db.transaction():
            # One creator at a time: concurrent CREATE TABLE IF NOT EXISTS can collide.
            self._db.execute("SELECT pg_advisory_xact_lock(2026112201)")
            if schema:
                self._db.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            self._db.execute(
                f"CREATE TABLE IF NOT EXISTS {self._prefix}{TRACKING} (name TEXT PRIMARY KEY, "
                "position BIGINT NOT NULL, versions TEXT NOT NULL)"
            )
            self._db.execute(
                f"INSERT INTO {self._prefix}{TRACKING} VALUES ('oneplan', 0, '{{}}') "
                "ON CONFLICT DO NOTHING"
            )
            for view in views:
                self._create(view)
        self._db.commit()

    def _create(self, view: str) -> None:
        self._db.execute(
            f"CREATE TABLE IF NOT EXISTS {self._prefix}{table(view)} "
            '(key TEXT COLLATE "C" PRIMARY KEY, state BYTEA NOT NULL)'
        )

    def tracking(self) -> tuple[int, dict[str, int]]:
        with self._lock:
            row = self._db.execute(
                f"SELECT position, versions FROM {self._prefix}{TRACKING} WHERE name = 'oneplan'"
            ).fetchone()
            self._db.commit()
        assert row is not None
        return int(row[0]), orjson.loads(row[1])

    def read(self, view: str, keys: Iterable[str]) -> dict[str, bytes]:
        return self._read(self._prefix + table(view), keys)

    def _read(self, name: str, keys: Iterable[str]) -> dict[str, bytes]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT key, state FROM {name} WHERE key = ANY(%s)", (list(keys),), binary=True
            ).fetchall()  # (binary: the rows' bytes as they are, not in hex)
            self._db.commit()
        return {k: bytes(s) for k, s in rows}

    def keys(self, view: str) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT key FROM {self._prefix}{table(view)} ORDER BY key"
            ).fetchall()
            self._db.commit()
        return [r[0] for r in rows]

    def read_prefix(self, view: str, prefix: str) -> list[tuple[str, bytes]]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT key, state FROM {self._prefix}{table(view)} "
                "WHERE key >= %s AND key < %s ORDER BY key",
                (prefix, _after(prefix)),
                binary=True,
            ).fetchall()
            self._db.commit()
        return [(k, bytes(s)) for k, s in rows]

    def commit(self, rows: Rows, *, from_position: int, to_position: int) -> None:
        with self._lock, self._db.transaction():
            cur = self._db.cursor()
            row = cur.execute(
                f"SELECT position FROM {self._prefix}{TRACKING} WHERE name = 'oneplan' FOR UPDATE"
            ).fetchone()
            if row is None or row[0] != from_position:
                raise PositionMoved
            by_view: dict[str, list[tuple[str, bytes | None]]] = {}
            for (view, key), state in rows.items():
                by_view.setdefault(view, []).append((key, state))
            for view, changes in by_view.items():
                name = self._prefix + table(view)
                upserts = [(k, s) for k, s in changes if s is not None]
                if upserts:
                    cur.executemany(
                        f"INSERT INTO {name} (key, state) VALUES (%s, %s) "
                        "ON CONFLICT (key) DO UPDATE SET state = excluded.state",
                        upserts,
                    )
                deletes = [k for k, s in changes if s is None]
                if deletes:
                    cur.execute(f"DELETE FROM {name} WHERE key = ANY(%s)", (deletes,))
            self._mark_written(cur, by_view, to_position - from_position)
            cur.execute(
                f"UPDATE {self._prefix}{TRACKING} SET position = %s WHERE name = 'oneplan'",
                (to_position,),
            )
        self._db.commit()

    def _mark_written(self, cur: Any, views: Iterable[str], moved: int) -> None:
        """Count a write of ``views`` that moves the position by ``moved`` (in the
        writer's transaction; ``WRITTEN``, ``COUNTED``)."""
        tracking = self._prefix + TRACKING
        cur.executemany(
            f"INSERT INTO {tracking} (name, position, versions) VALUES (%s, %s, '') "
            f"ON CONFLICT (name) DO UPDATE SET position = {tracking}.position + "
            "excluded.position",
            _marks(views, moved),
        )

    def _writes(self) -> dict[str, int]:
        """How many times each view was written, and how far counting writers moved the
        position (in the caller's transaction)."""
        return _counts(
            self._db.execute(
                f"SELECT name, position FROM {self._prefix}{TRACKING} "
                "WHERE starts_with(name, 'written:')"
            ).fetchall()
        )

    def reset(self, versions: Mapping[str, int]) -> None:
        with self._lock, self._db.transaction():
            row = self._db.execute(
                f"SELECT position FROM {self._prefix}{TRACKING} WHERE name = 'oneplan' FOR UPDATE"
            ).fetchone()
            for view in versions:
                self._create(view)
                self._db.execute(f"TRUNCATE {self._prefix}{table(view)}")
            self._mark_written(self._db.cursor(), versions, -(row[0] if row else 0))
            self._db.execute(
                f"UPDATE {self._prefix}{TRACKING} SET position = 0, versions = %s "
                "WHERE name = 'oneplan'",
                (orjson.dumps(dict(versions)).decode(),),
            )
        self._db.commit()

    def rebuilding(
        self, versions: Mapping[str, int], views: Iterable[str] | None = None
    ) -> Rebuilding:
        return _PostgresRebuilding(self, versions, views)

    def take_lease(self, holder: str, seconds: float, *, replacing: str | None = None) -> bool:
        now = _now_ms()
        tracking = self._prefix + TRACKING
        with self._lock:
            taken = self._db.execute(
                _lease_sql("%s").format(tracking=tracking),
                (now + int(seconds * 1000), holder, holder, replacing or holder, now),
            ).fetchall()
            self._db.commit()
        return bool(taken)

    def drop_lease(self, holder: str) -> None:
        with self._lock:
            self._db.execute(
                f"DELETE FROM {self._prefix}{TRACKING} WHERE name = '{LEASE}' AND versions = %s",
                (holder,),
            )
            self._db.commit()

    def lease_holder(self) -> tuple[str, float] | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT versions, position FROM {self._prefix}{TRACKING} WHERE name = '{LEASE}'"
            ).fetchone()
            self._db.commit()
        if row is None or row[1] < _now_ms():
            return None
        return str(row[0]), row[1] / 1000

    def close(self) -> None:
        self._db.close()


class _PostgresRebuilding(_KeepingRebuilding):
    """Rows copied (binary ``COPY``) into tables aside, each write its own transaction;
    ``finish`` locks the tracking row, drops the old tables and renames the new ones
    (and their keys) into their place; a view found unchanged keeps its table
    (``_KeepingRebuilding``). Tables left aside by a rebuild that died are dropped when
    the next one begins."""

    def __init__(
        self, store: PostgresViewStore, versions: Mapping[str, int], views: Iterable[str] | None
    ) -> None:
        self._store = store
        self._versions = dict(versions)
        self.views = tuple(self._versions if views is None else views)
        self._token = secrets.token_hex(4)
        prefix = store._prefix
        with store._lock, store._db.transaction():
            db = store._db
            db.execute("SELECT pg_advisory_xact_lock(2026112201)")
            schema = store._schema or "public"
            tables = [
                name
                for (name,) in db.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                    (schema,),
                ).fetchall()
            ]
            for name in tables:
                if name.startswith(ASIDE):
                    db.execute(f'DROP TABLE IF EXISTS {prefix}"{name}"')
            for view in self.views:
                db.execute(
                    f"CREATE TABLE {prefix}{aside(view, self._token)} "
                    '(key TEXT COLLATE "C" PRIMARY KEY, state BYTEA NOT NULL)'
                )
            row = db.execute(
                f"SELECT position FROM {prefix}{TRACKING} WHERE name = 'oneplan'"
            ).fetchone()
            self._keep(set(tables), row[0] if row else 0, store._writes())
        store._db.commit()

    def _write(self, view: str, changes: list[tuple[str, bytes]], *, new: bool) -> None:
        name = self._store._prefix + aside(view, self._token)
        with self._store._lock, self._store._db.transaction():
            cur = self._store._db.cursor()
            if new:
                # Binary: the rows' bytes go as they are (text would send each in hex,
                # twice its size, encoded here and parsed by the server).
                with cur.copy(f"COPY {name} (key, state) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(["text", "bytea"])
                    for change in changes:
                        copy.write_row(change)
            else:
                cur.executemany(
                    f"INSERT INTO {name} (key, state) VALUES (%s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET state = excluded.state",
                    changes,
                )
        self._store._db.commit()

    def _stored(self, view: str, after: str | None, last: str) -> list[tuple[str, bytes]]:
        name = self._store._prefix + table(view)
        lower = "" if after is None else "key > %s AND "
        with self._store._lock:
            rows = self._store._db.execute(
                f"SELECT key, state FROM {name} WHERE {lower}key <= %s ORDER BY key",
                (last,) if after is None else (after, last),
                binary=True,
            ).fetchall()
            self._store._db.commit()
        return [(key, bytes(state)) for key, state in rows]

    def _read_aside(self, view: str, keys: Iterable[str]) -> dict[str, bytes]:
        return self._store._read(self._store._prefix + aside(view, self._token), keys)

    def finish(self, position: int, *, expect: int | None = None) -> None:
        self._swap(position, expect)

    def _swapped(self, position: int, expect: int | None) -> str | None:
        prefix = self._store._prefix
        db = self._store._db
        with self._store._lock:
            try:
                row = db.execute(
                    f"SELECT position FROM {prefix}{TRACKING} WHERE name = 'oneplan' FOR UPDATE"
                ).fetchone()
                if expect is not None and (row is None or row[0] != expect):
                    raise PositionMoved
                writes = self._store._writes() if self._same else {}
                for view in self.views:
                    name = aside(view, self._token)
                    if view in self._same:
                        beyond = db.execute(
                            f"SELECT 1 FROM {prefix}{table(view)} WHERE key > %s LIMIT 1",
                            (self._last_held(view),),
                        ).fetchall()
                        if self._not_kept(view, row[0] if row else 0, writes, bool(beyond)):
                            db.rollback()
                            return view
                        db.execute(f"DROP TABLE {prefix}{name}")  # (kept: nothing aside)
                        continue
                    db.execute(f"DROP TABLE IF EXISTS {prefix}{table(view)}")
                    db.execute(f"ALTER TABLE {prefix}{name} RENAME TO {table(view)}")
                    db.execute(
                        f"ALTER TABLE {prefix}{table(view)} "
                        f"RENAME CONSTRAINT {name}_pkey TO {table(view)}_pkey"
                    )
                db.execute(
                    f"UPDATE {prefix}{TRACKING} SET position = %s, versions = %s "
                    "WHERE name = 'oneplan'",
                    (position, orjson.dumps(self._versions).decode()),
                )
            except BaseException:
                db.rollback()
                raise
            db.commit()
        return None

    def abort(self) -> None:
        prefix = self._store._prefix
        with self._store._lock:
            self._store._db.rollback()
            with self._store._db.transaction():
                for view in self.views:
                    self._store._db.execute(
                        f"DROP TABLE IF EXISTS {prefix}{aside(view, self._token)}"
                    )
            self._store._db.commit()


def store_for_env(env: Mapping[str, str], views: Iterable[str]) -> ViewStore:
    """The view store beside an application's events (the same database)."""
    module = env.get("PERSISTENCE_MODULE", "eventsourcing.popo")
    if module == "eventsourcing.popo":
        return MemoryViewStore()
    if module == "eventsourcing.sqlite":
        path = env["SQLITE_DBNAME"]
        if ":memory:" in path or "mode=memory" in path:
            return MemoryViewStore()
        return SQLiteViewStore(path, views, timeout=float(env.get("SQLITE_LOCK_TIMEOUT", "10")))
    if module == "eventsourcing.postgres":
        from oneplan.postgres_sessions import conninfo

        return PostgresViewStore(conninfo(env), env.get("POSTGRES_SCHEMA") or None, views)
    raise InvalidDatabaseUrl(f"no view store for {module}", url=module)
