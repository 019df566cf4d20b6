"""Derived data verified against the log (rule 16): the views, their tracking position,
the CPR index and the data keys.

Views, the CPR index and the key store are kept beside the log, in the same database,
and are not chained: someone with write access to the database can edit them. They are
caches of the log, so each can be checked against what the log gives.
``verify_views(app)`` folds the whole log again into fresh views in memory (the same
folds the runner uses) and compares, without writing anything:

- the **tracking position**: it must not lie beyond the log's last event;
- the **data keys**: a key destroyed (or missing) is an erasure, and the log must record
  it (``Citizen.Erased``; a household plan's key goes with its last member); a key still
  live for a citizen the log says was erased is reported too;
- the **CPR index**: every registered citizen's CPR number (decrypted from their
  ``Citizen.Registered``, hashed with the CPR key) must point at them, and no entry may
  point at a citizen of the log whose number it is not;
- **every stored view row** against the row the log gives up to the tracked position,
  decoded and compared field by field (never as bytes: a set's order differs between
  processes), naming the first field that differs.

It does not stop at the first difference: it counts them all, and names the first in
that order (the position, the keys, the index, then the views in the runner's order,
keys sorted). A report names ids, field paths and vocabulary values, never a name or
free text. It needs the master key (and the CPR key for the index) where the record is
sealed: the fold decrypts, as the runner's does. See docs/audit.md, "Views and indexes".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

import attrs
from pydantic import BaseModel

from oneplan.aggregates.citizen import Citizen
from oneplan.audit.verify import VerificationStatus
from oneplan.errors import CiphertextRejected, ProjectionFailed
from oneplan.privacy.sealing import cpr_hash
from oneplan.projections.base import Fold, Projection, Route, codec
from oneplan.projections.citizen_view import CitizenState, CitizenView
from oneplan.projections.plan_view import PlanState, PlanView
from oneplan.projections.runner import ProjectionRunner, default_projections
from oneplan.projections.stores import MemoryViewStore, ViewStore

if TYPE_CHECKING:
    from oneplan.application import OnePlan

__all__ = ["Check", "Difference", "ViewsVerification", "verify_views"]

Progress = Callable[[int, int], None]
"""Called with (events folded so far, the log's last position)."""

DATA_KEYS = "data_keys"
"""The name differences in the key store are reported under."""
CPR_INDEX = "cpr_index"
"""The name differences in the CPR index are reported under."""
_CHUNK = 500


class Check(StrEnum):
    """Which check found a difference."""

    POSITION = "position"
    """The views' tracking position lies beyond the log's last event."""
    LOG = "log"
    """The log cannot be folded (an event that cannot be read): nothing is compared."""
    DATA_KEY = "data-key"
    """A data key destroyed or missing without ``Citizen.Erased``, or live after it."""
    CPR_INDEX = "cpr-index"
    """The CPR index does not match the registrations in the log."""
    ROW = "row"
    """A stored view row differs from the row the log gives, is missing, or is one the
    log does not make."""


@attrs.frozen
class Difference:
    """One place where derived data and the log disagree."""

    check: Check
    view: str
    """The view (``plan``, ``citizen``, ...), or ``data_keys``, ``cpr_index``, ``tracking``."""
    key: str
    """The row: a view's key (a plan, citizen, coordinator...), the citizen whose key or
    CPR number it is, or the position."""
    detail: str
    """What differs (ids, field paths and vocabulary values only)."""

    def __str__(self) -> str:
        return f"{self.check.value}: {self.view} {self.key}: {self.detail}"


@attrs.frozen
class ViewsVerification:
    """What comparing the derived data with the log established."""

    status: VerificationStatus
    """``intact``: everything matches; ``broken``: see ``difference``; ``unverified``:
    nothing was found, but something could not be compared (``reason``)."""
    position: int
    """The views' tracking position."""
    head: int
    """The log's last position."""
    events: int
    """Events folded."""
    rows: int
    """Stored view rows compared."""
    cpr_entries: int
    """CPR index entries compared."""
    data_keys: int
    """Data keys checked."""
    differences: dict[str, int] = attrs.field(factory=dict)
    """How many differences each view (or ``data_keys``, ``cpr_index``, ``tracking``)
    holds."""
    difference: Difference | None = None
    """The first difference."""
    reason: str = ""
    """Why something could not be verified (empty otherwise)."""

    @property
    def intact(self) -> bool:
        return self.status is VerificationStatus.INTACT

    def summary(self) -> str:
        """One line: what was verified, or the first difference."""
        if self.difference is not None:
            total = sum(self.differences.values())
            where = ", ".join(f"{n} in {name}" for name, n in self.differences.items())
            plural = "" if total == 1 else "s"
            return f"views: {self.difference} ({total} difference{plural}: {where})"
        if self.status is VerificationStatus.UNVERIFIED:
            return f"views: not verified: {self.reason}"
        behind = self.head - self.position
        caught = f"; {behind} events of the log not folded yet" if behind > 0 else ""
        return (
            f"views intact: {self.rows} rows match the log folded to position "
            f"{self.position}{caught}; {self.cpr_entries} CPR index entries and "
            f"{self.data_keys} data keys match its registrations and erasures"
        )


class _Found:
    """Differences as they are found: counted, the first kept."""

    def __init__(self) -> None:
        self.first: Difference | None = None
        self.counts: dict[str, int] = {}

    def add(self, check: Check, view: str, key: str, detail: str) -> None:
        if self.first is None:
            self.first = Difference(check, view, key, detail)
        self.counts[view] = self.counts.get(view, 0) + 1


@attrs.frozen
class _Registered:
    cpr: str | None = None


class _Registrations(Fold[_Registered]):
    """Each citizen's CPR number as their registration gives it (None once erased)."""

    name: ClassVar[str] = "verify_registrations"
    version: ClassVar[int] = 1
    state_type: ClassVar[type[Any]] = _Registered

    def keys(self, event: Any, route: Route | None) -> tuple[str, ...]:
        return (str(event.originator_id),)

    def initial(self, key: str) -> _Registered:
        return _Registered()


@_Registrations.on(Citizen.Registered)
def _registered(state: _Registered, event: Citizen.Registered) -> _Registered:
    return _Registered(cpr=event.cpr)


def verify_views(app: OnePlan, *, progress: Progress | None = None) -> ViewsVerification:
    """Fold the whole log into fresh views in memory and compare the stored views, their
    tracking position, the CPR index and the data keys with it (rule 16). Writes
    nothing. See the module's documentation for what each check detects."""
    if app.sealer is not None:  # (keys destroyed by another process: gone here now too)
        app.sealer.let_go_of_destroyed()
    stored_runner = app.views
    store = stored_runner.store
    position, versions = store.tracking()
    head = int(app.recorder.max_notification_id() or 0)
    outcome = _Outcome(position=position, head=head)
    # In report order: the position, the log and the keys, the index, the rows (a
    # destroyed key changes what the fold gives, so it is named before the rows).
    tracking, keys, index, rows = _Found(), _Found(), _Found(), _Found()
    if position > head:
        tracking.add(
            Check.POSITION,
            "tracking",
            str(position),
            f"the views' tracking position {position} lies beyond the log's last event "
            f"{head}: the events up to it would never be folded",
        )
    fresh = ProjectionRunner(
        app, MemoryViewStore(), projections=[*default_projections(), _Registrations()]
    )
    projections = {p.name: p for p in (fresh.routes, *fresh.projections)}

    def folded(done: int, total: int) -> None:
        if progress is not None:
            progress(outcome.events + done, total)

    try:
        if min(position, head) > 0:
            outcome.events = fresh.catch_up(until=min(position, head), progress=folded)
        if versions == stored_runner.versions:
            outcome.rows = _compare_views(store, fresh.store, projections, versions, rows)
        else:
            outcome.reason = (
                f"the stored views are of other versions ({versions}) than this oneplan's "
                f"({stored_runner.versions}): they are rebuilt at the next catch-up, and were "
                "not compared"
            )
        outcome.events += fresh.catch_up(progress=folded)
    except ProjectionFailed as e:
        _unfoldable(e, keys)
        return outcome.result(tracking, keys)
    outcome.data_keys = _check_data_keys(app, fresh.store, keys)
    outcome.cpr_entries, unverified = _check_cpr_index(app, fresh.store, index)
    outcome.reason = outcome.reason or unverified
    if store.tracking() != (position, versions):
        outcome.reason = (
            "the views moved while they were compared (another process folded events): "
            "verify again on a record nobody writes to"
        )
    return outcome.result(tracking, keys, index, rows)


@attrs.define
class _Outcome:
    position: int
    head: int
    events: int = 0
    rows: int = 0
    cpr_entries: int = 0
    data_keys: int = 0
    reason: str = ""

    def result(self, *found: _Found) -> ViewsVerification:
        """The verification, with the differences found in ``found``'s order."""
        first = next((f.first for f in found if f.first is not None), None)
        counts: dict[str, int] = {}
        for each in found:
            for name, count in each.counts.items():
                counts[name] = counts.get(name, 0) + count
        if first is not None:
            status = VerificationStatus.BROKEN
        elif self.reason:
            status = VerificationStatus.UNVERIFIED
        else:
            status = VerificationStatus.INTACT
        return ViewsVerification(
            status=status,
            position=self.position,
            head=self.head,
            events=self.events,
            rows=self.rows,
            cpr_entries=self.cpr_entries,
            data_keys=self.data_keys,
            differences=counts,
            difference=first,
            reason=self.reason,
        )


def _unfoldable(error: ProjectionFailed, found: _Found) -> None:
    """The log could not be folded: a data key missing from the key store, or an event
    that cannot be read."""
    cause, position = error.__cause__, error.ids["position"]
    if isinstance(cause, CiphertextRejected) and "key_id" in cause.ids:
        found.add(
            Check.DATA_KEY,
            DATA_KEYS,
            str(cause.ids["key_id"]),
            f"the event at position {position} is sealed with data key "
            f"{cause.ids['key_id']}, which is not in the key store: destroyed without an "
            "erasure recorded in the log",
        )
        return
    found.add(Check.LOG, "log", str(position), f"the log cannot be folded: {error}")


# --- the views -----------------------------------------------------------------------


def _compare_views(
    stored: ViewStore,
    fresh: ViewStore,
    projections: Mapping[str, Projection[Any]],
    versions: Mapping[str, int],
    found: _Found,
) -> int:
    """Compare every stored row of every view with the fresh fold's; returns how many
    stored rows were compared."""
    compared = 0
    for view in versions:
        state_type = projections[view].state_type
        keys = sorted(set(stored.keys(view)) | set(fresh.keys(view)))
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            ours, theirs = stored.read(view, chunk), fresh.read(view, chunk)
            compared += len(ours)
            for key in chunk:
                detail = _row_difference(ours.get(key), theirs.get(key), state_type)
                if detail is not None:
                    found.add(Check.ROW, view, key, detail)
    return compared


def _row_difference(stored: bytes | None, fresh: bytes | None, state_type: type[Any]) -> str | None:
    if stored is None:
        return "the log makes this row; it is not stored"
    if fresh is None:
        return "stored, but the log does not make this row (up to the tracked position)"
    if stored == fresh:
        return None
    try:
        ours = codec.loads(stored, state_type)
    except Exception as e:  # junk where a row should be
        return f"the stored row cannot be read ({type(e).__name__})"
    return _first_difference(ours, codec.loads(fresh, state_type), "")


def _first_difference(stored: Any, fresh: Any, path: str) -> str | None:
    """Where ``stored`` first differs from ``fresh``, field by field (None: equal)."""
    if stored == fresh:
        return None
    here = path or "the row"
    if type(stored) is not type(fresh):
        return f"{here}: stored {_show(stored)}, the log gives {_show(fresh)}"
    if attrs.has(type(stored)):
        names: Iterable[str] = (f.name for f in attrs.fields(type(stored)))
        return _fields(stored, fresh, names, path)
    if isinstance(stored, BaseModel):
        return _fields(stored, fresh, type(stored).model_fields, path)
    if isinstance(stored, Mapping):
        for key in stored:
            if key not in fresh:
                return f"{path}[{key}]: stored, but the log does not make it"
        for key in fresh:
            if key not in stored:
                return f"{path}[{key}]: made by the log, missing from the stored row"
            found = _first_difference(stored[key], fresh[key], f"{path}[{key}]")
            if found is not None:
                return found
    if isinstance(stored, tuple | list | frozenset | set):
        for item in stored:
            if item not in fresh:
                return f"{here}: stored holds {_show(item)}, the log does not"
        for item in fresh:
            if item not in stored:
                return f"{here}: the log holds {_show(item)}, the stored row does not"
        if len(stored) != len(fresh):
            return f"{here}: {len(stored)} items stored, the log gives {len(fresh)}"
        if isinstance(stored, tuple | list):
            for n, (ours, theirs) in enumerate(zip(stored, fresh, strict=True)):
                found = _first_difference(ours, theirs, f"{path}[{n}]")
                if found is not None:
                    return found
            return f"{here}: the same items in another order"
    return f"{here}: stored {_show(stored)}, the log gives {_show(fresh)}"


def _fields(stored: Any, fresh: Any, names: Iterable[str], path: str) -> str | None:
    for name in names:
        found = _first_difference(
            getattr(stored, name), getattr(fresh, name), f"{path}.{name}" if path else name
        )
        if found is not None:
            return found
    return f"{path or 'the row'}: differs"


def _show(value: Any) -> str:
    """A value fit for a report: vocabulary, ids, numbers and times as they are; text
    (which may be personal) and structures only by kind."""
    if isinstance(value, Enum):
        return str(value.value)
    if value is None or isinstance(value, bool | int | float | Decimal | UUID | date | datetime):
        return str(value)
    if isinstance(value, str):
        return "a text"
    return f"a {type(value).__name__}"


# --- the key store -------------------------------------------------------------------


def _check_data_keys(app: OnePlan, fresh: ViewStore, found: _Found) -> int:
    """Every destroyed data key belongs to an erasure the log records, and every key of
    an erased citizen (or of a household whose members are all erased) is destroyed."""
    if app.sealer is None:
        return 0
    citizens = _rows(fresh, CitizenView.name, CitizenState)
    erased = {str(c.citizen_id) for c in citizens if c.erased}
    households = {
        str(p.plan_id): {str(m) for m in p.citizen_ids}
        for p in _rows(fresh, PlanView.name, PlanState)
        if len(p.citizen_ids) > 1
    }
    rows = sorted(app.sealer.store.data_keys(), key=lambda r: (r.subject, r.retention_class))
    for row in rows:
        subject = row.subject
        shredded = subject in erased or (subject in households and households[subject] <= erased)
        what = f"data key {row.key_id} ({row.retention_class})"
        if row.wrapped is None and not shredded:
            found.add(
                Check.DATA_KEY,
                DATA_KEYS,
                subject,
                f"{what} is destroyed, but the log records no erasure of {subject} "
                "(Citizen.Erased)",
            )
        elif row.wrapped is not None and shredded:
            found.add(
                Check.DATA_KEY,
                DATA_KEYS,
                subject,
                f"{what} is live, but the log records the erasure of {subject}: the erasure "
                "was not finished (erase again) or the key was restored",
            )
    return len(rows)


# --- the CPR index -------------------------------------------------------------------


def _check_cpr_index(app: OnePlan, fresh: ViewStore, found: _Found) -> tuple[int, str]:
    """Every registered citizen's CPR number points at them, and no entry points at a
    citizen of the log whose number it is not. Returns the entries compared and why the
    index could not be verified (empty: it was)."""
    if app.sealer is None:
        return 0, ""
    index = dict(app.sealer.store.cpr_index())
    numbers = {
        key: row.cpr
        for key, raw in fresh.read_prefix(_Registrations.name, "")
        if (row := codec.loads(raw, _Registered)).cpr is not None
    }
    cpr_key = app.keys.cpr_key
    if cpr_key is None:
        if index or numbers:
            return 0, "no CPR key is configured (ONEPLAN_CPR_KEY): the CPR index was not compared"
        return 0, ""
    expected = {cpr_hash(cpr_key, number): citizen for citizen, number in numbers.items()}
    registered = set(fresh.keys(_Registrations.name))
    for digest, citizen in sorted(expected.items(), key=lambda item: item[1]):
        pointed = index.get(digest)
        if pointed is None:
            found.add(
                Check.CPR_INDEX,
                CPR_INDEX,
                citizen,
                "the citizen's CPR number is not in the index: citizen_by_cpr does not find them",
            )
        elif pointed != citizen:
            found.add(
                Check.CPR_INDEX,
                CPR_INDEX,
                citizen,
                f"the index points the citizen's CPR number at citizen {pointed}",
            )
    for digest, citizen in sorted(index.items(), key=lambda item: item[1]):
        if digest not in expected and citizen in registered:
            found.add(
                Check.CPR_INDEX,
                CPR_INDEX,
                citizen,
                f"the index points a CPR number (hash {digest[:12]}...) at the citizen, "
                "which the log does not register for them",
            )
    # Entries pointing at no citizen of the log are claims of registrations not saved
    # (yet, or ever): citizen_by_cpr finds no citizen through them.
    return len(index), ""


def _rows(store: ViewStore, view: str, state_type: type[Any]) -> list[Any]:
    return [codec.loads(raw, state_type) for _, raw in store.read_prefix(view, "")]
