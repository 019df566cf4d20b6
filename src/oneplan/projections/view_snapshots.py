"""Snapshots of the plan view for reads as of a past time: a read of a plan as it stood
at recorded time ``T`` (``sector_view(..., as_of=T)``, ``citizen_plan(..., as_of=T)``)
starts from the nearest snapshot of the plan's row taken at or before ``T`` and folds
only the plan's events recorded after it, up to ``T``.

- A snapshot is the plan's row (``PlanState``) folded from every event of the plan and
  its interventions recorded at or before its ``recorded_until``, with the version of
  each of those streams it folded. Events of one stream are recorded in order, so the
  events after those versions are exactly the events recorded after ``recorded_until``;
  sorted by recorded time (the plan's stream first, then its interventions', on a tie)
  and folded on the snapshot, they give the row a fold from the first event gives.
- Snapshots are taken by the reads themselves: an as-of fold keeps one every
  ``every`` events it folds (and where it stops), so the next read of the plan at a
  nearby time folds at most about ``every`` events.
- They are a cache, never evidence: kept in this process's memory only (never stored,
  so there is nothing in a database to forge or to erase), bounded (``max_plans``
  plans, least recently read dropped first, ``per_plan`` snapshots each), and rebuilt
  by folding the events whenever missing. A plan any of whose citizens is erased (their
  row in the citizen view says so, in this process or another's, once the views are
  caught up) has its snapshots dropped and is folded from its events, which read as
  their erased placeholders.
"""

from __future__ import annotations

import threading
import weakref
from bisect import bisect_right
from collections import OrderedDict
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

import attrs

from oneplan.aggregates.plan import Plan
from oneplan.errors import EffectiveTimeInvalid, OnePlanError, PlanNotFound, StorageError
from oneplan.persistence import OnePlanMapper
from oneplan.projections.citizen_view import CitizenState, CitizenView
from oneplan.projections.plan_view import PlanState, PlanView

if TYPE_CHECKING:
    from oneplan.application import OnePlan

__all__ = ["PlanSnapshot", "PlanSnapshots", "plan_as_of"]


@attrs.frozen
class PlanSnapshot:
    """The plan's row as folded from its events recorded at or before ``recorded_until``."""

    recorded_until: datetime
    heads: dict[UUID, int]
    """The last version of each of the plan's streams folded into it."""
    state: PlanState
    included: tuple[UUID, ...] = ()
    """The interventions included in the plan by ``recorded_until``, in order (the
    streams to fold after it, besides the plan's own)."""


class PlanSnapshots:
    """One application's snapshots of plan rows, in memory (see the module)."""

    every = 50
    """Events folded between two snapshots of a plan (50: an as-of read of a
    2,000-event plan in memory was x3.1 a 50-event plan's at 100, x2.0-2.3 at 50, and on
    SQLite x1.67 -> x1.45; ``per_plan`` bounds the memory either way)."""
    per_plan = 64
    """Snapshots kept of one plan; past it, every other one is dropped."""
    max_plans = 1_000
    """Plans whose snapshots are kept; past it, the least recently read is dropped."""
    page = 500
    """Events read from a stream at a time while folding."""

    def __init__(self) -> None:
        self._plans: OrderedDict[UUID, list[PlanSnapshot]] = OrderedDict()
        self._lock = threading.Lock()
        self.folded = 0
        """Events folded by as-of reads so far (for benchmarks and tests)."""

    def __len__(self) -> int:
        with self._lock:
            return sum(len(s) for s in self._plans.values())

    def forget(self, plan_id: UUID | None = None) -> None:
        """Drop the snapshots of ``plan_id`` (or of every plan)."""
        with self._lock:
            if plan_id is None:
                self._plans.clear()
            else:
                self._plans.pop(plan_id, None)

    # --- reading ---------------------------------------------------------------------

    def plan_at(self, app: OnePlan, plan_id: UUID, as_of: datetime) -> PlanState:
        """The plan's row as it stood at recorded time ``as_of`` (``PlanNotFound`` if it
        did not exist then)."""
        if as_of.tzinfo is None:
            raise EffectiveTimeInvalid.because("read", "must be timezone-aware", "as_of")
        start = self._nearest(plan_id, as_of)
        if start is not None and self._any_erased(app, start.state.citizen_ids):
            self.forget(plan_id)
            start = None
        heads = dict(start.heads) if start is not None else {}
        included = list(start.included) if start is not None else []
        events = self._stream(app, plan_id, heads.get(plan_id), as_of)
        usable = True
        if start is None:
            opened = events[0] if events else None
            if not isinstance(opened, Plan.Opened):
                raise PlanNotFound(plan_id)
            usable = not self._any_erased(app, opened.citizen_ids)
            if not usable:
                self.forget(plan_id)
        streams = [*included]
        streams += [e.intervention_id for e in events if isinstance(e, Plan.InterventionIncluded)]
        for stream in streams:
            events += self._stream(app, stream, heads.get(stream), as_of)
        events.sort(key=lambda e: e.timestamp)  # (stable: the plan's first on a tie, as ever)
        fold = PlanView()
        state = start.state if start is not None else fold.initial(str(plan_id))
        since = 0
        for i, event in enumerate(events):
            state = fold.evolve(state, event)
            heads[event.originator_id] = event.originator_version
            if isinstance(event, Plan.InterventionIncluded):
                included.append(event.intervention_id)
            since += 1
            last = i + 1 == len(events)
            boundary = last or events[i + 1].timestamp > event.timestamp
            if usable and boundary and (since >= self.every or (last and since > 1)):
                snapshot = PlanSnapshot(event.timestamp, dict(heads), state, tuple(included))
                self._keep(plan_id, snapshot)
                since = 0
        self.folded += len(events)
        if not state.exists:
            raise PlanNotFound(plan_id)
        return state

    def _stream(self, app: OnePlan, stream: UUID, after: int | None, as_of: datetime) -> list[Any]:
        """The events of ``stream`` after version ``after`` recorded by ``as_of``, in
        order: read in pages growing from ``every`` (a fold from the nearest snapshot
        reads about that many), decoded as the runner decodes them (the trusted decoder:
        oneplan's own rows; ``tests/unit/test_trusted_events.py`` holds it to the
        validating path)."""
        found: list[Any] = []
        limit = self.every
        mapper = cast(OnePlanMapper, app.mapper)
        try:
            while True:
                rows = app.recorder.select_events(stream, gt=after, limit=limit)
                for row in rows:
                    event: Any = mapper.to_trusted_event(row)
                    if event.timestamp > as_of:
                        return found
                    found.append(event)
                    after = event.originator_version
                if len(rows) < limit:
                    return found
                limit = min(limit * 2, self.page)
        except OnePlanError:
            raise
        except Exception as e:  # the recorder raises more than PersistenceError
            raise StorageError(f"cannot read plan streams to fold them: {e!r}") from e

    @staticmethod
    def _any_erased(app: OnePlan, citizen_ids: tuple[UUID, ...]) -> bool:
        for citizen_id in citizen_ids:
            row = cast(CitizenState | None, app.views.get(CitizenView.name, citizen_id))
            if row is None or row.erased:
                return True
        return False

    def _nearest(self, plan_id: UUID, as_of: datetime) -> PlanSnapshot | None:
        with self._lock:
            kept = self._plans.get(plan_id)
            if not kept:
                return None
            self._plans.move_to_end(plan_id)
            at = bisect_right(kept, as_of, key=lambda s: s.recorded_until)
            return kept[at - 1] if at else None

    def _keep(self, plan_id: UUID, snapshot: PlanSnapshot) -> None:
        with self._lock:
            kept = self._plans.get(plan_id)
            if kept is None:
                kept = self._plans[plan_id] = []
                while len(self._plans) > self.max_plans:
                    self._plans.popitem(last=False)
            self._plans.move_to_end(plan_id)
            at = bisect_right(kept, snapshot.recorded_until, key=lambda s: s.recorded_until)
            if at and kept[at - 1].recorded_until == snapshot.recorded_until:
                return  # (the same point: the same row)
            kept.insert(at, snapshot)
            if len(kept) > self.per_plan:
                del kept[::2]


_SNAPSHOTS: weakref.WeakKeyDictionary[Any, PlanSnapshots] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def snapshots_of(app: OnePlan) -> PlanSnapshots:
    """The plan-view snapshots of ``app`` (made on first use)."""
    with _LOCK:
        found = _SNAPSHOTS.get(app)
        if found is None:
            found = _SNAPSHOTS[app] = PlanSnapshots()
        return found


def plan_as_of(app: OnePlan, plan_id: UUID, as_of: datetime | None) -> PlanState:
    """The plan's row now (from the views: catch them up first), or as it stood at
    recorded time ``as_of`` (from the nearest snapshot, see the module)."""
    if as_of is None:
        return app._plan_state(plan_id, None)
    return snapshots_of(app).plan_at(app, plan_id, as_of)
