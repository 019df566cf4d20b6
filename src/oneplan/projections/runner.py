"""The catch-up runner: pulls the notification log from the last tracked position and
folds every event into every view, writing each batch with its position in one
transaction (exactly once; a restart resumes where it stopped).

It pulls rather than subscribes, so it works the same on SQLite (which cannot push) and
PostgreSQL (where several runners may share one database: the tracking row serialises
them). Run it in-process before reading (``OnePlan`` does), from ``oneplan replay``, or
in a loop of its own (``run_forever``).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import secrets
import socket
import sys
import threading
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar, cast
from uuid import UUID

from eventsourcing.persistence import Notification

from oneplan import trusted_events
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.errors import ProjectionFailed, RebuildInProgress, StorageError, ViewsAheadOfLog
from oneplan.persistence import OnePlanMapper
from oneplan.projections import access_log
from oneplan.projections.base import Fold, KeysOf, Projection, Route, codec, route_of
from oneplan.projections.erasure import refold_erased
from oneplan.projections.stores import MemoryViewStore, PositionMoved, Rebuilding, ViewStore
from oneplan.trusted_events import uuid_text

if TYPE_CHECKING:
    from oneplan.application import OnePlan

__all__ = ["ProjectionRunner", "RouteView", "default_projections"]

Progress = Callable[[int, int], None]
"""Called with (events folded so far, position of the log's last event)."""


class RouteView(Fold[Route]):
    """Which plan and citizens each stream is about (the runner's own index)."""

    name: ClassVar[str] = "route"
    version: ClassVar[int] = 1
    state_type: ClassVar[type[Any]] = Route

    def keys(self, event: Any, route: Route | None) -> tuple[str, ...]:
        return (uuid_text(event.originator_id),) if self.handles(event) else ()

    def initial(self, key: str) -> Route:
        return Route()

    def handles(self, event: Any) -> bool:
        return isinstance(event, _ROUTED)

    @staticmethod
    def handles_class(event_class: type[Any]) -> bool:
        return issubclass(event_class, _ROUTED)

    def evolve(self, state: Route, event: Any) -> Route:
        return route_of(event, state) or state


_ROUTED = (
    Plan.Opened,
    Intervention.Proposed,
    Intervention.ProposedUnderSectorPlan,
    Citizen.Registered,
    Citizen.JoinedPlan,
)
_ROUTED_STREAMS = (Plan.Event, Intervention.Event, Citizen.Event)
"""Events of streams that have a route (reads and receipts have none)."""


class _Aside:
    """A rebuild's rows written aside: where, and which."""

    def __init__(self, target: Rebuilding, destroyed: int) -> None:
        self.target = target
        self.destroyed = destroyed
        """How many data keys were destroyed when the rebuild began (see
        ``ProjectionRunner._unchanged_keys``)."""
        self.written: set[tuple[str, str]] = set()
        self.page = 0
        """Which thousand events of the log are being folded."""
        self.read_back: dict[tuple[str, str], int] = {}
        """Rows in memory read back from aside, and the page in which they were."""

    def write(self, rows: dict[tuple[str, str], bytes]) -> None:
        """Write rows aside, those never written before apart (they need no upsert)."""
        written = self.written
        if written.isdisjoint(rows):  # (the usual: each row written once, at the end)
            self.target.write(rows, new=True)
            written.update(rows)
            return
        again = {slot: row for slot, row in rows.items() if slot in written}
        fresh = {slot: row for slot, row in rows.items() if slot not in written}
        if fresh:
            self.target.write(fresh, new=True)
            self.written.update(fresh)
        if again:
            self.target.write(again, new=False)


_Concerned = tuple[str, Projection[Any], bool, Callable[[Any, Any], Any], KeysOf]
"""A view concerned with an event class: its name, itself, whether passive (``_concerned``),
its fold and its keys for the class."""


def default_projections() -> list[Projection[Any]]:
    """Every view oneplan keeps."""
    from oneplan.projections import VIEWS

    return [view() for view in VIEWS]


class ProjectionRunner:
    """Folds the log into views kept in ``store``, from its tracked position on."""

    batch_size = 1000
    """Events folded per transaction while catching up."""
    cache_rows = 50_000
    """Rows kept in memory between batches while catching up; beyond this the cache is
    emptied after a commit (rows are read back from the store when next needed)."""
    rebuild_batch_size = 20_000
    """Events read from the log per query in a rebuild."""
    rebuild_rows = 100_000
    """Rows a rebuild keeps in memory: beyond this, the rows changed least recently are
    written aside (and read back if a later event changes them), so a municipality's
    rebuild stays within memory."""
    rebuild_write_rows = 20_000
    rebuild_write_bytes = 32 * 2**20
    """At most this many rows, and about this many bytes of JSON, are dumped and written
    aside at a time in a rebuild (the JSON of every row is never in memory at once)."""
    rebuild_attempts = 3
    """A rebuild during which data keys were destroyed (an erasure) is not swapped in (it
    may have folded the erased citizen's events before their keys went) but done again,
    at most this many times."""
    lease_seconds = 60.0
    """How long the lease to rebuild views runs unless renewed (a rebuild renews it with
    every page of the log it reads): a runner that dies lets another take over this long
    after."""

    def __init__(
        self,
        app: OnePlan,
        store: ViewStore | None = None,
        projections: Iterable[Projection[Any]] | None = None,
    ) -> None:
        self.app = app
        self.routes = RouteView()
        self.projections: list[Projection[Any]] = list(
            projections if projections is not None else default_projections()
        )
        names = [p.name for p in (self.routes, *self.projections)]
        if len(set(names)) != len(names):
            raise ValueError(f"two views share a name: {names}")
        self.versions = {p.name: p.version for p in (self.routes, *self.projections)}
        self.store = store if store is not None else MemoryViewStore()
        self._rows: dict[tuple[str, str], Any] = {}
        self._complete = False
        """Whether ``_rows`` holds every stored row (after a reset), so a miss is new."""
        self._position = -1
        self._aside: _Aside | None = None
        """While rebuilding: where rows are written aside, and which were."""
        self._by_class: dict[type[Any], list[tuple[Projection[Any], bool]]] = {}
        self._plans: dict[type[Any], Any] = {}
        self._dumpers: dict[str, Callable[[Any], bytes]] = {}
        self._loaders: dict[str, Any] = {}
        """Each view's ``load_row`` (None: the view has none), looked up once."""
        self._lock = threading.RLock()
        self.refolding = False
        """Whether this runner folds rows again for an erasure (it erases nothing itself)."""
        self.refolded: dict[UUID, int] = {}
        """Events folded again for each erasure folded here (``oneplan.projections.erasure``)."""
        self._excluded: frozenset[str] = frozenset()
        """Views this runner does not fold: their stored version is not this code's and
        they are being rebuilt aside (by this runner, or by the holder of the lease)."""
        self._rebuilding_apart = False
        """Whether this runner is inside its own rebuild of some views (a catch-up from
        there leaves the views being rebuilt alone, as for another lease holder)."""
        self._kept: frozenset[str] = frozenset()
        """While rebuilding some views aside: views folded in memory only, never written
        (the routes, which the views rebuilt need and which stay as they are)."""
        self._partial = False
        """Whether this runner rebuilds some views only (``_rebuild_views``): it lacks
        the views an erasure's fold needs, so an erasure whose keys are still live when
        it is folded stops it (``_ErasedMeanwhile``) and every view is rebuilt."""
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        """Who this runner is when it takes the lease to rebuild views."""

    # --- reading ---------------------------------------------------------------------

    @property
    def position(self) -> int:
        """The last notification id folded into the stored views."""
        return self.store.tracking()[0]

    def get(self, view: str, key: str | UUID) -> Any | None:
        """A view's row as stored (None: no event has made it)."""
        key = str(key)
        found = self.store.read(view, [key]).get(key)
        return None if found is None else codec.loads(found, self._projection(view).state_type)

    def keys(self, view: str) -> list[str]:
        return self.store.keys(view)

    def rows(self, view: str, prefix: str) -> list[Any]:
        """The stored rows of ``view`` whose keys start with ``prefix``, in key order."""
        state_type = self._projection(view).state_type
        return [codec.loads(row, state_type) for _, row in self.store.read_prefix(view, prefix)]

    def _projection(self, view: str) -> Projection[Any]:
        for projection in (self.routes, *self.projections):
            if projection.name == view:
                return projection
        raise KeyError(view)

    # --- folding ---------------------------------------------------------------------

    def catch_up(
        self,
        *,
        until: int | None = None,
        until_time: datetime | None = None,
        progress: Progress | None = None,
    ) -> int:
        """Fold every event after the tracked position (up to notification id ``until``
        or recorded time ``until_time``); returns how many were folded."""
        with self._lock:
            position = self._sync(progress)
            folded = 0
            head = self._head() if progress is not None else 0
            while True:
                try:
                    notifications = self._read_log(position, self.batch_size, until)
                except Exception as e:  # the recorder raises more than PersistenceError
                    raise StorageError(f"cannot read the notification log: {e!r}") from e
                if not notifications:
                    return folded
                try:
                    last, count, reached_time = self._fold_batch(
                        position, notifications, until_time
                    )
                except PositionMoved:
                    position = self._sync()
                    continue
                folded += count
                position = last
                if progress is not None:
                    progress(folded, max(head, last))
                if reached_time or count == 0:
                    return folded

    def process(self, notifications: Sequence[Notification]) -> int:
        """Fold notifications delivered from elsewhere (a subscription, a redelivery):
        those at or before the tracked position are skipped, so an event delivered twice
        changes nothing. Returns how many were folded."""
        with self._lock:
            while True:
                position = self._sync()
                fresh = [n for n in notifications if n.id > position]
                if not fresh:
                    return 0
                try:
                    return self._fold_batch(position, fresh, None)[1]
                except PositionMoved:
                    continue

    def _sync(self, progress: Progress | None = None) -> int:
        """The stored position; rebuild the views whose version changed (showing
        ``progress``), and forget what is cached when another runner moved the position."""
        position, versions = self.store.tracking()
        if versions != self.versions:
            position = self._versions_changed(position, versions, progress)
        elif self._excluded:
            self._exclude(frozenset())  # rebuilt meanwhile (by the lease's holder)
        if position != self._position:
            self._forget(complete=False)
            self._refuse_position_beyond_the_log(position)
            self._position = position
        return position

    def _versions_changed(
        self, position: int, stored: dict[str, int], progress: Progress | None
    ) -> int:
        """The stored versions are not this code's: rebuild the views whose version
        changed (each aside, while readers use the old one), unless nothing was folded
        yet (then only the versions are set) or another runner holds the lease to
        rebuild (then this one folds every other view and leaves those to it)."""
        changed = frozenset(n for n, v in self.versions.items() if stored.get(n) != v)
        if position == 0:
            self.store.reset(self.versions)
            self._exclude(frozenset())
            self._forget(complete=True)
            return 0
        if self._rebuilding_apart or self._take_lease() is not None:
            self._exclude(changed)  # (rebuilding them: this runner, or the lease's holder)
            return position
        try:
            if (
                RouteView.name in changed  # (every view is folded from the routes)
                or changed >= {p.name for p in self.projections}
                or not self.store.rebuilds_views_apart
            ):
                self._rebuild_all(progress)
            elif not changed:  # (only views this code no longer has: forget them)
                self._forget_versions(position)
            else:
                try:
                    self._rebuild_views(changed, progress)
                except _ErasedMeanwhile:  # (an erasure's rows: every view folds them again)
                    self._rebuild_all(progress)
        finally:
            self.store.drop_lease(self._holder)
        return self.store.tracking()[0]

    def _take_lease(self) -> tuple[str, float] | None:
        """Take the lease to rebuild: None when this runner holds it now, else who holds
        it and until when. Asked first (a read, no write lock); a holder on this host
        whose process is gone is replaced at once, not only when its lease runs out."""
        held = self.store.lease_holder()
        replacing = None
        if held is not None and held[0] != self._holder:
            if not _gone(held[0]):
                return held
            replacing = held[0]
        if self.store.take_lease(self._holder, self.lease_seconds, replacing=replacing):
            return None
        return self.store.lease_holder() or ("another runner", 0.0)

    def _forget_versions(self, position: int) -> None:
        """Store this code's versions, nothing rebuilt (the stored ones named views this
        code no longer keeps), at ``position`` or wherever another runner moved it."""
        while True:
            try:
                self.store.rebuilding(self.versions, views=()).finish(position, expect=position)
                return
            except PositionMoved:
                position = self.store.tracking()[0]

    def _exclude(self, views: frozenset[str]) -> None:
        if views != self._excluded:
            self._excluded = views
            self._by_class.clear()
            self._plans.clear()

    def _rebuild_views(self, names: frozenset[str], progress: Progress | None) -> None:
        """Rebuild only the views ``names`` (their version changed) aside, while this
        runner keeps the others current, and swap them in when both stand at the same
        position (``Rebuilding.finish(expect=...)``). Readers meanwhile see the old
        tables of those views; the others never stop."""
        projections = [p for p in self.projections if p.name in names]
        target = self.store.rebuilding(self.versions, views=sorted(names))
        sub = ProjectionRunner(self.app, self.store, projections)
        sub._partial = True
        sub._holder = self._holder
        sub._kept = frozenset({RouteView.name})
        sub._forget(complete=True)
        sub._aside = _Aside(target, self._keys_at_start())
        self._exclude(names)
        collecting = gc.isenabled()
        gc.disable()
        folded = 0
        try:
            folded, reached = sub._fold_aside(progress)
            while True:
                position = self.store.tracking()[0]
                if position > reached:  # the others went on meanwhile: follow them
                    more, reached = sub._fold_aside(None, start=reached, stop=position)
                    folded += more
                elif position < reached:  # the others are behind: bring them there
                    self._rebuilding_apart = True  # (no rebuild from in here)
                    try:
                        self.catch_up(until=reached)
                    finally:
                        self._rebuilding_apart = False
                else:
                    sub._unchanged_keys()
                    try:
                        target.finish(reached, expect=reached)
                    except PositionMoved:
                        continue
                    break
        except BaseException as e:
            self._abort(target, e)
            raise
        finally:
            sub._aside = None
            sub._rows.clear()
            _release_memory(folded)
            if collecting:
                gc.enable()  # (after: the collection it brings on finds little left)
        self._exclude(frozenset())
        self._forget(complete=False)

    def _refuse_position_beyond_the_log(self, position: int) -> None:
        """Rule 16: a tracking position this runner did not write (at its start, or moved
        by another runner) must lie within the log; one beyond the log's last event would
        skip every event up to it, so it is refused rather than trusted."""
        if position <= 0:
            return
        head = self._head()
        if position > head:
            raise ViewsAheadOfLog(
                f"the views' tracking position {position} lies beyond the log's last event "
                f"{head}: events would be skipped. Rebuild the views from the log "
                "(`oneplan replay`, ProjectionRunner.rebuild) and verify them "
                "(`oneplan audit verify --views`)",
                position=position,
                head=head,
            )

    def _fold_batch(
        self, position: int, notifications: Sequence[Notification], until_time: datetime | None
    ) -> tuple[int, int, bool]:
        """Fold and commit one batch with its new position: (position, folded, whether
        ``until_time`` was passed). Raises ``PositionMoved`` when another runner was first."""
        dirty: set[tuple[str, str]] = set()
        last, count, reached_time = position, 0, False
        collecting = gc.isenabled()
        gc.disable()  # as in a rebuild: folds make no cycles, and a batch's rows live on
        try:
            for notification in notifications:
                event = self._event(notification)
                if until_time is not None and event.timestamp > until_time:
                    reached_time = True
                    break
                self._fold(event, dirty, notification.id)
                last, count = notification.id, count + 1
            if count:
                self.store.commit(
                    {k: self._dumps(k[0])(self._rows[k]) for k in dirty},
                    from_position=position,
                    to_position=last,
                )
        except BaseException:
            self._forget(complete=False)
            raise
        finally:
            access_log.forget()  # (its last entry: a reader's and citizens' data in clear)
            if collecting:
                gc.enable()
        self._position = last
        if len(self._rows) > self.cache_rows and not self._complete:
            self._rows.clear()  # (a rebuild keeps them all: its misses cost no query)
        return last, count, reached_time

    def rebuild(self, *, progress: Progress | None = None) -> int:
        """Fold the whole log again into new views and put them in place of the old.

        The new rows are folded in memory and written aside (``ViewStore.rebuilding``):
        each row once at the end, or earlier if more than ``rebuild_rows`` are in memory.
        Readers see the old views until the new ones take their place with their
        position, in one transaction; a rebuild that fails leaves the old ones as they
        were. Returns how many events were folded."""
        with self._lock:
            held = self._take_lease()
            if held is not None:
                holder, until = held
                raise RebuildInProgress(
                    f"{holder} is rebuilding the views (its lease runs until {until:.0f}, "
                    "seconds since the epoch, unless renewed): wait for it, or for the "
                    "lease to run out if it died",
                    holder=holder,
                    until=until,
                )
            try:
                return self._rebuild_all(progress)
            finally:
                self.store.drop_lease(self._holder)

    def _rebuild_all(self, progress: Progress | None) -> int:
        """``rebuild``, the lease held; again from the start when data keys were destroyed
        while it ran (``_ErasedMeanwhile``), at most ``rebuild_attempts`` times."""
        attempt = 1
        while True:
            try:
                return self._rebuild_once(progress)
            except _ErasedMeanwhile:
                if attempt >= self.rebuild_attempts:
                    raise StorageError(
                        f"data keys were destroyed (erasures) during each of {attempt} "
                        "rebuilds of the views: the rows they folded may hold erased data, so "
                        "none was swapped in; rebuild again when the erasures are done"
                    ) from None
                attempt += 1

    def _unchanged_keys(self) -> None:
        """Before rows are written aside or swapped in: no data key was destroyed since
        the rebuild began, else ``_ErasedMeanwhile`` (rows folded before an erasure's
        keys went may hold the erased citizen's data, which no key would seal now)."""
        assert self._aside is not None
        if self._destroyed_keys() != self._aside.destroyed:
            raise _ErasedMeanwhile

    def _abort(self, target: Rebuilding, error: BaseException) -> None:
        """Drop what a rebuild wrote aside; after an erasure met meanwhile, also scrub
        the database's files of the dropped rows' pages (``ViewStore.scrub``)."""
        with contextlib.suppress(Exception):
            target.abort()
            if isinstance(error, _ErasedMeanwhile):
                self.store.scrub()

    def _keys_at_start(self) -> int:
        """At a rebuild's start: how many data keys are destroyed, every one of them let
        go of in this process (a key cached here may have been destroyed by another
        process less than ``Sealer.key_ttl`` ago)."""
        sealer = self.app.sealer
        return 0 if sealer is None else sealer.let_go_of_destroyed()

    def _destroyed_keys(self) -> int:
        """How many data keys are destroyed now (0 without keys)."""
        sealer = self.app.sealer
        return 0 if sealer is None else sealer.store.destroyed_count()

    def _rebuild_once(self, progress: Progress | None) -> int:
        with self._lock:
            self._forget(complete=True)
            self._exclude(frozenset())
            destroyed = self._keys_at_start()
            target = self.store.rebuilding(self.versions)
            self._aside = _Aside(target, destroyed)
            collecting = gc.isenabled()
            gc.disable()  # folds make no cycles; collecting millions of young rows costs more
            folded = 0
            try:
                folded, position = self._fold_aside(progress)
                self._unchanged_keys()
                target.finish(position)
            except BaseException as e:
                self._abort(target, e)
                self._forget(complete=False)
                raise
            finally:
                self._aside = None
                self._rows.clear()  # a whole municipality's rows: read back when needed
                self._complete = False
                _release_memory(folded)
                if collecting:
                    gc.enable()  # (after: the collection it brings on finds little left)
            self._position = position
            return folded

    def _fold_aside(
        self, progress: Progress | None, *, start: int = 0, stop: int | None = None
    ) -> tuple[int, int]:
        """Fold the log after ``start`` (up to ``stop``) into ``_rows``, writing rows
        aside as memory requires and every row left at the end (but the views ``_kept``
        in memory): (events folded, the last one's position)."""
        assert self._aside is not None
        position, folded, page = start, 0, self._aside.page
        head = self._head() if progress is not None else 0
        touched: dict[tuple[str, str], int] = {}
        """The rows changed since they were made or read back, with the thousand events
        in which each last changed (rows only read, such as a route, are not written)."""
        while True:
            try:
                notifications = self._read_log(position, self.rebuild_batch_size, stop)
            except Exception as e:  # the recorder raises more than PersistenceError
                raise StorageError(f"cannot read the notification log: {e!r}") from e
            if not notifications:
                break
            if not self.store.take_lease(self._holder, self.lease_seconds):  # (renewed)
                raise RebuildInProgress(
                    "the lease to rebuild the views ran out and another runner took it: "
                    "this rebuild stops (the other one goes on)",
                    holder=self._holder,
                    until=0.0,
                )
            for start in range(0, len(notifications), 1000):
                # Rows are aged by the thousand events in which they were last used.
                page = self._aside.page = page + 1
                dirty: set[tuple[str, str]] = set()
                for notification in notifications[start : start + 1000]:
                    self._fold(self._event(notification), dirty, notification.id)
                touched.update(dict.fromkeys(dirty, page))
            position = notifications[-1].id
            folded += len(notifications)
            if len(self._rows) > self.rebuild_rows:
                # The rows used least recently (changed, or read back) go first, down to
                # three quarters.
                read_back = self._aside.read_back
                kept = self._kept
                by_age = sorted(
                    (slot for slot in self._rows if slot[0] not in kept),
                    key=lambda slot: max(touched.get(slot, 0), read_back.get(slot, 0)),
                )
                self._write_aside(by_age[: len(self._rows) - self.rebuild_rows * 3 // 4], touched)
            if progress is not None:
                progress(folded, max(head, position))
        self._write_all_aside(touched)
        return folded, position

    def _write_aside(
        self, slots: list[tuple[str, str]], touched: dict[tuple[str, str], int]
    ) -> None:
        """Let these rows go from memory, dumping and writing aside (a chunk at a time)
        those changed since they were made or read back."""
        assert self._aside is not None
        self._unchanged_keys()
        aside, rows = self._aside, self._rows
        changed = [slot for slot in slots if slot in touched]
        self._write_chunks((slot, self._dumps(slot[0])(rows.pop(slot))) for slot in changed)
        for slot in changed:
            del touched[slot]
        for slot in slots:
            rows.pop(slot, None)
            aside.read_back.pop(slot, None)

    def _write_all_aside(self, touched: dict[tuple[str, str], int]) -> None:
        """Let every row go from memory (but those of the views ``_kept``), dumping and
        writing aside those changed since they were made or read back: view by view, in
        key order (appended to each table aside), a chunk at a time. One pass over the
        rows, not a look-up of each in every dict that names it (in a heap of a
        municipality's rows, each look-up is a miss of the processor's caches)."""
        assert self._aside is not None
        self._unchanged_keys()
        aside, rows, kept = self._aside, self._rows, self._kept
        by_view: dict[str, list[tuple[str, tuple[str, str], Any]]] = {}
        for slot, row in rows.items():
            if slot in touched and slot[0] not in kept:
                found = by_view.get(slot[0])
                if found is None:
                    found = by_view[slot[0]] = []
                found.append((slot[1], slot, row))
        left = {slot: row for slot, row in rows.items() if slot[0] in kept} if kept else {}
        rows.clear()
        touched.clear()
        aside.read_back.clear()

        def dumped() -> Iterator[tuple[tuple[str, str], bytes]]:
            for view in sorted(by_view):
                changed = by_view.pop(view)
                changed.sort(key=itemgetter(0))  # (by the keys alone: strings, compared fast)
                dump = self._dumps(view)
                for n, (_, slot, row) in enumerate(changed):
                    changed[n] = _WRITTEN  # (the row goes as soon as it is written)
                    yield slot, dump(row)

        self._write_chunks(dumped())
        rows.update(left)

    def _write_chunks(self, dumped: Iterable[tuple[tuple[str, str], bytes]]) -> None:
        """Write the dumped rows aside, at most ``rebuild_write_rows`` rows and about
        ``rebuild_write_bytes`` bytes at a time."""
        assert self._aside is not None
        aside = self._aside
        chunk: dict[tuple[str, str], bytes] = {}
        size = 0
        for slot, data in dumped:
            chunk[slot] = data
            size += len(data)
            if len(chunk) >= self.rebuild_write_rows or size >= self.rebuild_write_bytes:
                aside.write(chunk)
                chunk, size = {}, 0
        if chunk:
            aside.write(chunk)

    def run_forever(self, *, interval: float = 0.5, stop: threading.Event | None = None) -> None:
        """Catch up, wait ``interval`` seconds, and again, until ``stop`` is set."""
        stop = stop or threading.Event()
        while not stop.is_set():
            self.catch_up()
            stop.wait(interval)

    def _head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def _dumps(self, view: str) -> Callable[[Any], bytes]:
        """How a row of ``view`` held in memory is written: the view's own ``dump_row``
        (a view folded in working state, see ``oneplan.projections.working``), else
        the codec."""
        found = self._dumpers.get(view)
        if found is None:
            found = getattr(self._projection(view), "dump_row", None) or codec.dumps
            self._dumpers[view] = found
        return found

    def _forget(self, *, complete: bool) -> None:
        self._rows.clear()
        self._complete = complete
        self._position = 0 if complete else -1

    def _read_log(self, position: int, limit: int, stop: int | None) -> Sequence[Any]:
        """The stored events after ``position`` (up to ``stop``), at most ``limit``: the
        recorder's plain rows (``select_log_rows``, oneplan's recorders) or, from another
        recorder, its notifications; either has the ``Notification``'s attributes."""
        recorder = self.app.recorder
        select = getattr(recorder, "select_log_rows", None)
        if select is not None:
            return cast(Sequence[Any], select(position, limit, stop))
        return recorder.select_notifications(
            start=position, limit=limit, stop=stop, inclusive_of_start=False
        )

    def _event(self, notification: Any) -> Any:
        """The notification's event, read by the trusted decoder: the log is oneplan's
        own store, validated when written (``OnePlanMapper.to_trusted_event``)."""
        try:
            return cast(OnePlanMapper, self.app.mapper).to_trusted_event(notification)
        except Exception as e:
            raise ProjectionFailed(
                f"cannot read notification {notification.id}: {e}", position=notification.id
            ) from e

    def _fold(self, event: Any, dirty: set[tuple[str, str]], position: int) -> None:
        event_class = type(event)
        if event_class is Citizen.Erased:  # the citizen's rows, folded again as erased
            _forget_decoded()  # (values decoded from their events before, in clear)
            if self._partial:
                self._erased_before(event)
            else:
                refold_erased(self, event, position, dirty)
        plan = self._plans.get(event_class)
        if plan is None:
            plan = self._plans[event_class] = self._plan(event_class)
        routed, streamed, concerned = plan
        rows = self._rows
        route = None
        if streamed:
            slot = (self.routes.name, uuid_text(event.originator_id))
            route = rows.get(slot)
            if routed:
                try:
                    if route is None:
                        route = self._new_row(self.routes, slot)
                    route = self.routes.evolve(route, event)
                except Exception as e:
                    self._failed(self.routes, event, position, e)
                rows[slot] = route
                dirty.add(slot)
            elif route is None:
                route = self._new_row(self.routes, slot)
        for name, projection, passive, fold, keys in concerned:
            for key in keys(event, route):
                slot = (name, key)
                state = rows.get(slot)
                if passive:
                    # The fold would leave the row as is: only a new row is made (unless
                    # it is aside, where it stays as it is).
                    if state is None and slot not in self._written:
                        self._new_row(projection, slot)
                        dirty.add(slot)
                    continue
                if state is None:
                    state = self._new_row(projection, slot)
                try:
                    after = fold(state, event)
                except Exception as e:
                    self._failed(projection, event, position, e)
                if after is not state:  # (a working row is changed in place)
                    rows[slot] = after
                dirty.add(slot)

    @property
    def _written(self) -> AbstractSet[tuple[str, str]]:
        """The rows written aside in this rebuild (none outside one)."""
        return self._aside.written if self._aside is not None else frozenset()

    def _erased_before(self, event: Any) -> None:
        """In a rebuild of some views: an erasure is folded as nothing to do when the
        citizen's keys were destroyed before the rebuild began (every event of theirs
        read as erased; ``_destroyed_keys`` tells destruction since); one whose keys are
        still live needs the views this runner lacks."""
        sealer = self.app.sealer
        if sealer is not None and not sealer.destroyed(event.originator_id):
            raise _ErasedMeanwhile

    def _plan(self, event_class: type[Any]) -> tuple[bool, bool, list[_Concerned]]:
        """What folding an event of this class takes, worked out once: whether it changes
        a route, whether its stream has one, and each view concerned with its name, fold
        (the fold function the view registered for the class, where it has one) and keys
        (``Fold.keys_for`` the class, where the view has it)."""
        routed = self.routes.handles_class(event_class)
        streamed = issubclass(event_class, _ROUTED_STREAMS)
        concerned: list[_Concerned] = []
        for projection, passive in self._concerned(event_class):
            fold: Callable[[Any, Any], Any] = projection.evolve
            keys: KeysOf = projection.keys
            if isinstance(projection, Fold):
                if getattr(type(projection), "evolve", None) is Fold.evolve:
                    fold = projection._handlers.get(event_class, _unchanged)
                keys = projection.keys_for(event_class)
            concerned.append((projection.name, projection, passive, fold, keys))
        return routed, streamed or routed, concerned

    def _concerned(self, event_class: type[Any]) -> list[tuple[Projection[Any], bool]]:
        """The projections to ask for keys of an event of this class, and whether each
        leaves its rows unchanged (``passive``). A ``Fold`` with the default ``handles``
        is asked only about the classes it registers a fold for (see ``Fold``); one that
        handles more (its own ``handles``) but has no fold for the class is passive: it
        only makes the row if the row is new."""
        found = self._by_class.get(event_class)
        if found is None:
            found = []
            for projection in self.projections:
                if projection.name in self._excluded:
                    continue  # (being rebuilt aside)
                if not isinstance(projection, Fold):
                    found.append((projection, False))
                    continue
                folds = event_class in projection._handlers
                if type(projection).handles is Fold.handles and not folds:
                    continue
                passive = not folds and getattr(type(projection), "evolve", None) is Fold.evolve
                found.append((projection, passive))
            self._by_class[event_class] = found
        return found

    def _row(self, projection: Projection[Any], key: str) -> Any:
        slot = (projection.name, key)
        state = self._rows.get(slot)
        return self._new_row(projection, slot) if state is None else state

    def _new_row(self, projection: Projection[Any], slot: tuple[str, str]) -> Any:
        """A row not in memory: read from the store (or aside, in a rebuild), or new."""
        key = slot[1]
        aside = self._aside
        if aside is not None:  # rebuilding: a miss is new unless written aside
            found = None
            if slot in aside.written:
                found = aside.target.read(projection.name, [key]).get(key)
                aside.read_back[slot] = aside.page
        else:
            found = None if self._complete else self.store.read(projection.name, [key]).get(key)
        load = self._loaders.get(slot[0], _UNKNOWN)
        if load is _UNKNOWN:
            load = self._loaders[slot[0]] = getattr(projection, "load_row", None)
        if load is not None:
            state = load(key, found)
        elif found is None:
            state = projection.initial(key)
        else:
            state = codec.loads(found, projection.state_type)
        self._rows[slot] = state
        return state

    def _evolve(
        self,
        projection: Projection[Any],
        key: str,
        event: Any,
        dirty: set[tuple[str, str]],
        position: int,
    ) -> None:
        try:
            state = projection.evolve(self._row(projection, key), event)
        except Exception as e:
            self._failed(projection, event, position, e)
        self._rows[(projection.name, key)] = state
        dirty.add((projection.name, key))

    def _failed(
        self, projection: Projection[Any], event: Any, position: int, error: Exception
    ) -> typing.NoReturn:
        self._forget(complete=False)
        raise ProjectionFailed(
            f"view {projection.name!r} failed on {type(event).__qualname__} at "
            f"notification {position}: {error}",
            position=position,
        ) from error


_WRITTEN: Any = ("", ("", ""), None)
"""In place of a row written aside (``_write_all_aside``)."""


def _gone(holder: str) -> bool:
    """Whether a lease's holder (``host:pid:token``) is a process of this host that no
    longer runs (one of another host, or one this process may not signal, is taken
    to run)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


class _ErasedMeanwhile(Exception):
    """Data keys were destroyed while a rebuild ran, or a partial rebuild met an erasure
    whose keys are still live: its rows may hold the erased citizen's data, read before
    the keys went, so they are not swapped in."""


def _release_memory(folded: int) -> None:
    """Give back what a rebuild held: the decoder's caches of ids and value objects, the
    codec's caches of value objects' dumps, the access log's last entry, and (glibc) the
    freed heap, so that a process that rebuilt a municipality's views does not keep its
    peak memory. Called before the garbage collector is enabled again: the first
    collection then (every object made while it was off and still alive is young) finds
    these caches gone, not walks them
    (0.1-0.15 s of CPU for 100,000 events)."""
    _forget_decoded()
    if _LIBC is not None and folded >= 10_000:  # (a small rebuild held little)
        _LIBC.malloc_trim(0)


def _forget_decoded() -> None:
    """Empty the caches of what was decoded and written: the decoder's ids and value
    objects, the codec's value objects' JSON, the access log's last entry. A rebuild does
    at its end; a runner folding an erasure does too, so that no value object decoded in
    clear from the erased citizen's events (a guardian's name, say) outlives it in the
    process's memory."""
    trusted_events.forget()
    codec.forget()
    access_log.forget()


def _libc() -> Any:
    """glibc, to hand freed heap back to the system (None elsewhere)."""
    if sys.platform != "linux":
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 (musl has none)
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


_UNKNOWN: Any = object()


def _unchanged(state: Any, event: Any) -> Any:
    """The fold of a view that handles an event class without folding it."""
    return state
