"""An erasure in the views, in O(the citizen's record): when the runner folds
``Citizen.Erased``, every view row holding the citizen's personal data is folded again
from the events that made it, with the citizen's data read as erased, and replaces the
stored row in the same transaction as the event's own folds and the new position.

Which rows, and from which events (the audit index says which streams concern whom):

- the plan rows of the citizen's plans (``Erased.plan_ids``), from every stream of each
  plan (``p/<plan>``: the plan, its interventions, reads of it, members' records);
- for the citizen, and every member of a household plan of theirs: the ``citizen`` and
  ``journey`` rows and their ``access_log`` rows, from every stream about them
  (``c/<citizen>``);
- the hand-overs of those plans in coordinators' ``caseload`` rows (their reasons).

The data read as erased is the citizen's, and a household plan's shared data with its
last member (``Sealer.erasing``: from then on, in this process, their keys are used as
if destroyed, before they are). So the rows equal what a rebuild gives once the keys
are destroyed, and an erasure never empties or rebuilds the views: readers wait for
one short transaction at most. A fold of ``Citizen.Erased`` after the citizen's keys
were destroyed (a rebuild, a verification) has nothing to do: every event already reads
as erased.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from oneplan.aggregates.citizen import Citizen
from oneplan.projections.access_log import AccessLogView
from oneplan.projections.audit_index import AuditIndexView
from oneplan.projections.base import replace
from oneplan.projections.caseload import CaseloadState, CaseloadView
from oneplan.projections.citizen_view import CitizenState, CitizenView
from oneplan.projections.journey import JourneyView
from oneplan.projections.plan_view import PlanState, PlanView
from oneplan.projections.stores import MemoryViewStore

if TYPE_CHECKING:
    from oneplan.projections.runner import ProjectionRunner

__all__ = ["refold_erased"]

Slot = tuple[str, str]


def refold_erased(
    runner: ProjectionRunner, event: Citizen.Erased, position: int, dirty: set[Slot]
) -> int:
    """Fold the rows ``event`` erases again, into ``runner``'s rows (marked ``dirty``),
    before the event's own folds; returns how many events were folded again."""
    sealer = runner.app.sealer
    if sealer is None or runner.refolding:
        return 0
    citizen = event.originator_id
    if sealer.destroyed(citizen):
        return 0  # every event of theirs already reads as erased
    plans = [str(p) for p in event.plan_ids]
    plan_rows: dict[str, PlanState] = {
        p: runner._row(_view(runner, PlanView.name), p) for p in plans
    }
    members: dict[UUID, None] = {citizen: None}
    households = []
    for plan_id, plan in plan_rows.items():
        if len(plan.citizen_ids) > 1:
            members.update(dict.fromkeys(plan.citizen_ids))
            others = [m for m in plan.citizen_ids if m != citizen]
            citizens = _view(runner, CitizenView.name)
            if all(_erased(runner._row(citizens, str(m))) for m in others):
                households.append(UUID(plan_id))
    sealer.erasing([citizen, *households])

    streams: dict[str, None] = {}
    for member in members:
        streams.update(dict.fromkeys(_streams(runner, "c", member)))
    for plan_id in plans:
        streams.update(dict.fromkeys(_streams(runner, "p", plan_id)))
    found: dict[int, Any] = {}
    recorder: Any = runner.app.recorder  # (every oneplan recorder reads a stream's)
    for stream in streams:
        for notification in recorder.stream_notifications(UUID(stream)):
            if notification.id < position:
                found[notification.id] = notification

    from oneplan.projections.runner import ProjectionRunner

    sub = ProjectionRunner(runner.app, MemoryViewStore())
    sub.refolding = True
    sub._forget(complete=True)  # every row starts new: nothing to read from a store
    scratch: set[Slot] = set()
    for notification_id in sorted(found):
        sub._fold(sub._event(found[notification_id]), scratch, notification_id)

    names = {p.name for p in runner.projections}
    again: dict[Slot, Any] = {}
    for plan_id in plans:
        again[(PlanView.name, plan_id)] = sub._rows.get((PlanView.name, plan_id))
    heads = {f"{m}/" for m in members}
    for (view, key), state in sub._rows.items():
        if (view in (CitizenView.name, JourneyView.name) and UUID(key) in members) or (
            view == AccessLogView.name and key[: key.find("/") + 1] in heads
        ):
            again[(view, key)] = state
        elif view == CaseloadView.name and (view, key) in _known(runner, view, key):
            again[(view, key)] = _hand_overs_again(
                runner._row(_view(runner, view), key), state, set(plans)
            )
    for slot, state in again.items():
        if state is not None and slot[0] in names:
            runner._rows[slot] = state
            dirty.add(slot)
    runner.refolded[citizen] = len(found)
    return len(found)


def _view(runner: ProjectionRunner, name: str) -> Any:
    return runner._projection(name)


def _erased(state: CitizenState) -> bool:
    return state.erased


def _known(runner: ProjectionRunner, view: str, key: str) -> set[Slot]:
    """``{(view, key)}`` when the runner has that row (in memory, stored or aside)."""
    slot = (view, key)
    if slot in runner._rows:
        return {slot}
    if runner._aside is not None:
        return {slot} if slot in runner._aside.written else set()
    return {slot} if runner.store.read(view, [key]) else set()


def _streams(runner: ProjectionRunner, kind: str, value: object) -> list[str]:
    """The streams the audit index lists for a citizen (``c``) or plan (``p``): its row
    as the runner holds it (changed in this batch, or in a rebuild), else as written
    aside in a rebuild, else as committed (as it stands: a table of an older version
    while another runner rebuilds the index, ``AuditIndexView.streams``)."""
    view = AuditIndexView
    key = view.key(kind, value)
    row = runner._rows.get((view.name, key))
    found: list[tuple[str, bytes]]
    if row is not None:  # (every row of this batch: a dirty row is one the runner holds)
        found = [(key, runner._dumps(view.name)(row))]
    elif runner._aside is not None:
        aside = runner._aside
        written = (view.name, key) in aside.written
        found = list(aside.target.read(view.name, [key]).items()) if written else []
    else:
        found = runner.store.read_prefix(view.name, view.prefix(kind, value))
    return [str(stream) for stream in view.streams(found, kind, value)]


def _hand_overs_again(
    stored: CaseloadState, again: CaseloadState, plans: set[str]
) -> CaseloadState:
    """``stored`` with the hand-overs of ``plans`` as folded again (their reasons read as
    erased), in the places they hold (the row's other plans are not folded again)."""
    fresh: dict[str, list[Any]] = {}
    for item in again.hand_overs_received:
        fresh.setdefault(str(item.plan_id), []).append(item)
    received = []
    for item in stored.hand_overs_received:
        queue = fresh.get(str(item.plan_id))
        received.append(queue.pop(0) if str(item.plan_id) in plans and queue else item)
    return replace(stored, hand_overs_received=tuple(received))
