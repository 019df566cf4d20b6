"""The change feed: a sector's system follows what it may see of every plan (rule 14).

``app.as_(Principal.staff(id)).changes(after=cursor)`` gives the changes recorded after
``cursor`` (a position in the event log), in the order recorded, each saying which plan
changed, by which event, and what changed *in the reader's sector view* of it: the items
now shown or shown differently (each with the consent or legal basis that allowed it)
and the items no longer shown. It is the sector view, read change by change:

- **Filtered exactly like the sector view.** Each change is the difference between
  ``sector_view`` of the plan folded without and with the event (the plan's streams in
  recorded order, as ``sector_view(as_of=...)`` folds them), both under the consents
  active *at the time of reading* and with the reader the directory gives. A change
  that shows the sector nothing is left out, and a plan the sector sees nothing of
  never appears (not even its status).
- **Consents.** A consent granted or revoked changes what the sector may see rather
  than the plan: the feed then gives the sector's whole view of the citizen's plan as
  it stood then (``resync``: replace what you hold), when the sector is a recipient of
  that consent or sees anything of the plan. Revocation stops disclosure at once: every read
  judges consents when it runs, so nothing covered only by a revoked consent is shown
  again, whatever the cursor.
- **Logged like it.** Every page that shows anything is recorded in the access log,
  one ``AccessRecord.SectorViewRead`` per plan naming every item shown and what allowed
  it, before the page is returned (a page that cannot be logged is not returned).
- **Resumable and ordered.** The cursor is the position of the last event looked at;
  each change carries its own. Positions follow the order events were committed
  (PostgreSQL assigns them under the insert lock; SQLite has one writer), and a page
  goes no further than the views have folded, so no change is skipped when writers
  commit concurrently, and a page read again from the same cursor gives the same
  changes (under the consents of the time it is read).

Staff only, as the sector the staff directory gives them (``sector_view_to_staff``):
a sector's system reads the feed as a staff member of its sector (a service account in
the directory).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import attrs

from oneplan import policies
from oneplan.aggregates.access import AccessRecord
from oneplan.aggregates.base import recording
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.errors import InvalidInput, NotFound
from oneplan.projections.base import Route
from oneplan.projections.citizen_view import CitizenState
from oneplan.projections.plan_view import PlanState, PlanView
from oneplan.projections.runner import RouteView
from oneplan.projections.sector_view import AllowedBy, SectorView, Shown, sector_view
from oneplan.usecases.base import Area
from oneplan.values import AccessedItem, Actor, PlanStatus, Sector

__all__ = ["Change", "ChangePage", "Changes", "ItemChange"]

MAX_PAGE = 1000
"""The most changes one page gives."""
MAX_WAIT = timedelta(seconds=60)
"""The longest a read waits for a change."""
_SCAN = 500
"""Events read from the log per query."""
_CONSENT_EVENTS = (Citizen.ConsentGranted, Citizen.ConsentRevoked)


@attrs.frozen
class ItemChange:
    """One item of the sector view shown anew or differently: its kind and id (as in
    ``SectorView.shown``), the item as the view shows it, and what allowed it."""

    kind: str
    item_id: str
    shown: Shown[Any]

    @property
    def allowed_by(self) -> AllowedBy:
        return self.shown.allowed_by


@attrs.frozen
class Change:
    """What one event changed in the reader's sector view of one plan."""

    cursor: int
    """The event's position in the log: resume after it with ``changes(after=cursor)``."""
    plan_id: UUID
    event: str
    """The event, as ``Aggregate.EventName`` (``Plan.GoalSet``, ``Citizen.ConsentRevoked``)."""
    recorded_at: datetime
    status: PlanStatus
    """The plan's status after the change."""
    shown: tuple[ItemChange, ...] = ()
    """Items now shown, or shown differently (each with what allowed it)."""
    removed: tuple[tuple[str, str], ...] = ()
    """Items no longer shown, as (kind, id): drop them."""
    resync: bool = False
    """``shown`` is the whole view (after a consent changed), the plan as it stood then: replace
    everything held about the plan with it."""


@attrs.frozen
class ChangePage:
    """A page of the feed: the changes, and the cursor to read on from (the last event
    looked at, which may lie beyond the last change)."""

    sector: Sector
    changes: tuple[Change, ...]
    cursor: int


def _items(view: SectorView) -> dict[tuple[str, str], Shown[Any]]:
    return {(kind, item_id): shown for kind, item_id, shown in view.shown()}


def _name(event: Any) -> str:
    return type(event).__qualname__


class Changes(Area):
    """The change feed of a sector's view (see the module's docstring)."""

    def changes(
        self,
        *,
        after: int = 0,
        sector: Sector | str | None = None,
        limit: int = 100,
        wait: timedelta | float = 0,
        stop: Callable[[], bool] | None = None,
    ) -> ChangePage:
        """The changes to the reader's sector view of any plan recorded after position
        ``after``, oldest first, at most ``limit``. With ``wait`` (seconds, or a
        timedelta, at most ``MAX_WAIT``) and nothing to show yet, wait that long for a
        change (a long poll; ``stop`` ends the wait early when it returns True). Staff
        only (``sector_view_to_staff``), as the sector the directory gives them
        (``sector``, if given, must be it). Every page that shows anything is logged."""
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        problems: list[dict[str, Any]] = []
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            problems.append({"loc": ("after",), "msg": "a cursor is a position, 0 or more"})
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            problems.append({"loc": ("limit",), "msg": f"from 1 to {MAX_PAGE}"})
        if not 0 <= seconds <= MAX_WAIT.total_seconds():
            problems.append({"loc": ("wait",), "msg": f"from 0 to {MAX_WAIT} seconds"})
        if problems:
            raise InvalidInput("ReadChanges", problems)
        own = self._feed_sector(sector)
        deadline = time.monotonic() + seconds
        pause = 0.02
        while True:
            page = self._page(after, own, limit)
            if page.changes or time.monotonic() >= deadline or (stop is not None and stop()):
                return page
            after = page.cursor
            head = after
            while head <= after:  # sleep until the log grows, the wait ends or we stop
                left = deadline - time.monotonic()
                if left <= 0 or (stop is not None and stop()):
                    break
                time.sleep(min(pause, left))
                pause = min(pause * 1.5, 0.25)
                head = int(self.app.recorder.max_notification_id() or 0)

    # --- reading a page --------------------------------------------------------------

    def _feed_sector(self, sector: Sector | str | None) -> Sector:
        caller = self.caller_now()
        if caller.staff is None:
            raise policies.DisclosureRefused(
                "read a sector's change feed: staff read sector views (auditors read the "
                "full record)",
                rule="sector_view_to_staff",
                principal=str(self.principal),
            )
        own = caller.staff.sector
        if sector is not None:
            try:
                asked = Sector(sector)
            except ValueError as e:
                raise InvalidInput("ReadChanges", [{"loc": ("sector",), "msg": str(e)}]) from None
            if asked is not own:
                raise InvalidInput(
                    "ReadChanges",
                    [
                        {
                            "loc": ("sector",),
                            "msg": f"the reader acts for {own.value}, not {asked.value}",
                        }
                    ],
                )
        return own

    def _page(self, after: int, sector: Sector, limit: int) -> ChangePage:
        caller = self.caller_now()
        assert caller.staff is not None  # (checked by _feed_sector)
        reader = caller.staff.actor_at(caller.at)
        app = self.app
        app.views.catch_up()
        stop = app.views.position  # (routes are folded up to here)
        read_at = app.clock()
        found: list[Change] = []
        position = after
        while position < stop and len(found) < limit:
            notifications = app.recorder.select_notifications(
                start=position, limit=_SCAN, stop=stop, inclusive_of_start=False
            )
            if not notifications:
                break
            batch = [(n.id, app.mapper.to_domain_event(n)) for n in notifications]
            changes = self._changes_in(batch, sector, reader, read_at)
            position = notifications[-1].id
            if len(found) + len(changes) > limit:
                changes = changes[: limit - len(found)]
                position = changes[-1].cursor
            found.extend(changes)
        self._log(found, sector, reader, read_at)
        return ChangePage(sector=sector, changes=tuple(found), cursor=position)

    def _changes_in(
        self, batch: list[tuple[int, Any]], sector: Sector, reader: Actor, read_at: datetime
    ) -> list[Change]:
        """The changes the events of ``batch`` make to the sector's views, in log order."""
        routes: dict[UUID, Route | None] = {}
        by_plan: dict[UUID, dict[tuple[UUID, int], int]] = {}
        consents: list[tuple[int, UUID, Any]] = []
        for position, event in batch:
            consent = isinstance(event, _CONSENT_EVENTS)
            if not consent and not isinstance(event, Plan.Event | Intervention.Event):
                continue  # (reads, receipts, staff, and the citizen's other events)
            stream: UUID = event.originator_id
            if stream not in routes:
                routes[stream] = self.app.views.get(RouteView.name, stream)
            route = routes[stream]
            if route is None or route.plan_id is None:
                continue  # (a sector plan's intervention, or a citizen in no plan)
            if consent:
                consents.append((position, route.plan_id, event))
            else:
                key = (stream, int(event.originator_version))
                by_plan.setdefault(route.plan_id, {})[key] = position
        changes: list[Change] = []
        for plan_id, positions in by_plan.items():
            changes.extend(self._plan_changes(plan_id, positions, sector, reader, read_at))
        for position, plan_id, event in consents:
            change = self._resync(position, plan_id, event, sector, reader, read_at)
            if change is not None:
                changes.append(change)
        changes.sort(key=lambda change: change.cursor)
        return changes

    def _citizens(self, plan: PlanState) -> dict[UUID, CitizenState]:
        return {cid: self.app._citizen_state(cid) for cid in plan.citizen_ids}

    def _plan_changes(
        self,
        plan_id: UUID,
        positions: dict[tuple[UUID, int], int],
        sector: Sector,
        reader: Actor,
        read_at: datetime,
    ) -> Iterator[Change]:
        """Fold the plan's streams in recorded order (as ``sector_view(as_of=...)``
        does) and compare the sector's view before and after each event in ``positions``."""
        app = self.app
        try:
            streams = (plan_id, *app._load(Plan, plan_id).intervention_ids)
        except NotFound:
            return
        events = sorted(
            (e for stream in streams for e in app._history(stream)),
            key=lambda e: e.timestamp,
        )
        fold = PlanView()
        state = fold.initial(str(plan_id))
        citizens: dict[UUID, CitizenState] | None = None
        before: dict[tuple[str, str], Shown[Any]] = {}
        seen: PlanState | None = None  # (the state ``before`` was read from)
        for event in events:
            previous, state = state, fold.evolve(state, event)
            position = positions.get((event.originator_id, event.originator_version))
            if position is None or not state.exists:
                continue
            if citizens is None:
                citizens = self._citizens(state)
            if seen is not previous:
                before = {}
                if previous.exists:
                    before = _items(
                        sector_view(previous, citizens, sector=sector, at=read_at, reader=reader)
                    )
            view = sector_view(state, citizens, sector=sector, at=read_at, reader=reader)
            after = _items(view)
            seen = state
            shown = tuple(
                ItemChange(kind, item_id, item)
                for (kind, item_id), item in after.items()
                if before.get((kind, item_id)) != item
            )
            removed = tuple(key for key in before if key not in after)
            if shown or removed:
                yield Change(
                    cursor=position,
                    plan_id=plan_id,
                    event=_name(event),
                    recorded_at=event.timestamp,
                    status=view.status,
                    shown=shown,
                    removed=removed,
                )
            before = after

    def _resync(
        self,
        position: int,
        plan_id: UUID,
        event: Any,
        sector: Sector,
        reader: Actor,
        read_at: datetime,
    ) -> Change | None:
        """A consent of the plan's citizen changed: the sector's whole view of the plan as
        it stood then (under the consents active now), when the sector is a recipient of
        that consent or sees anything of the plan."""
        app = self.app
        try:
            plan = app._plan_state(plan_id, event.timestamp)
        except NotFound:
            return None  # (given before the plan was opened: its opening shows the plan)
        citizens = self._citizens(plan)
        view = sector_view(plan, citizens, sector=sector, at=read_at, reader=reader)
        items = _items(view)
        recipients: set[Sector] = set(getattr(event, "recipient_sectors", ()))
        recipients |= set(getattr(event, "sectors", ()))
        held = citizens.get(event.originator_id)
        consent = held.consents.get(event.consent_id) if held is not None else None
        if consent is not None:
            recipients |= set(consent.recipient_sectors)
        if not items and sector not in recipients:
            return None
        return Change(
            cursor=position,
            plan_id=plan_id,
            event=_name(event),
            recorded_at=event.timestamp,
            status=view.status,
            shown=tuple(ItemChange(kind, item_id, item) for (kind, item_id), item in items.items()),
            resync=True,
        )

    def _log(self, changes: list[Change], sector: Sector, reader: Actor, read_at: datetime) -> None:
        """One ``SectorViewRead`` per plan of the page, naming every item shown (rule 14)."""
        plans: dict[UUID, tuple[dict[tuple[str, str], AccessedItem], datetime]] = {}
        for change in changes:
            items, _ = plans.get(change.plan_id, ({}, change.recorded_at))
            for item in change.shown:
                allowed = item.allowed_by
                items[(item.kind, item.item_id)] = AccessedItem(
                    kind=item.kind,
                    item_id=item.item_id,
                    basis=allowed.basis,
                    consent_ids=allowed.consent_ids,
                    legal_basis=allowed.legal_basis,
                )
            plans[change.plan_id] = (items, change.recorded_at)
        for plan_id, (items, as_of) in plans.items():
            if not items:
                continue  # (only removals: nothing was shown)
            citizen_ids = self.app._plan_state(plan_id, None).citizen_ids
            with recording(datetime.now(UTC)):
                record = AccessRecord.sector_view_read(
                    access_id=uuid4(),
                    plan_id=plan_id,
                    citizen_ids=citizen_ids,
                    sector=sector,
                    as_of=as_of,
                    items=tuple(items.values()),
                    reader=reader,
                    read_at=read_at,
                )
            self.app._log_access(record, f"the change feed's read of plan {plan_id}")
