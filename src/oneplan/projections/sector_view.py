"""The sector view: the plan as one sector may see it, under consent, at the time of reading.

A sector sees its own interventions in full (their own legal basis allows it). Everything
else (other sectors' interventions, goals, progress notes, meeting decisions, the
citizen's wishes, the coordinator's contact details) is shown only where a consent that
is active *at the time of reading* lets that sector receive that category of
information; for a household plan, a consent of every citizen the item concerns.
Sharing fails closed (rule 9): without a covering consent nothing of an item is shown,
and no sign that it exists, with two exceptions the consent itself allows:

- another sector's intervention in the *health* sector needs both ``interventions`` and
  ``health``; with ``interventions`` alone it is shown as withheld (its id, sector and
  status, nothing of its content);
- an intervention's costs need ``costs``; without it they are left out.

The plan's coordinator and co-coordinators see what the plan's own consents (those it
was opened under) cover, whatever sector they belong to. A caseworker who joined the
plan under an override (a legal basis named when they were added, rule 9) gives their
sector, while they take part, what coordinating needs under that legal basis: the goals
(and the citizen's wishes), other sectors' interventions (not health-sector ones, not
costs) and meeting decisions; never health, costs, progress notes or contact details.
A consent is used first: an item a consent allows names the consent, the override
allows the rest of what it covers, whether or not a consent also names the sector for
some other category. Every item names what allowed it (``Shown.allowed_by``), and the
view lists on which basis the sector's own caseworkers take part
(``SectorView.participants``; the coordinator and co-coordinators see every participant's).

Revoking a consent, or its period ending, removes the access at once: consents are
judged at the time of reading, whatever time the plan is read as of.

Progress notes are the one list that grows with the plan's whole course (a note a week
for years), so a view may show a page of them: the ``notes_limit`` most recent of the
notes the sector may see (by their time, ``ProgressNote.recorded_at``), older than the
cursor ``notes_before`` if one is given; ``SectorView.older_notes`` is the cursor for the
page before, ``None`` when the sector may see no older note. The page is chosen after
filtering, so it neither counts nor hints at notes the sector may not see; what is shown
(and logged) is exactly the page.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import re
import weakref
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

import attrs

from oneplan.aggregates.access import ItemsShown, runs_shown
from oneplan.projections.base import replace
from oneplan.projections.citizen_view import CitizenState
from oneplan.projections.plan_view import (
    GoalItem,
    InterventionItem,
    MeetingItem,
    ParticipantItem,
    PlanState,
    ProgressNote,
)
from oneplan.values import (
    AccessedItem,
    Actor,
    DisclosureBasis,
    InformationCategory,
    InterventionStatus,
    LegalBasis,
    OverarchingGoal,
    PlanStatus,
    Sector,
)

__all__ = [
    "NOTES_LIMIT",
    "OVERRIDE_CATEGORIES",
    "AllowedBy",
    "GoalNote",
    "NoteCursor",
    "SectorView",
    "SharedUnder",
    "Shown",
    "Wishes",
    "WithheldIntervention",
    "sector_view",
]

T = TypeVar("T")
C = InformationCategory


@attrs.frozen
class AllowedBy:
    """The consent(s) or legal basis that allowed showing an item (it travels with it)."""

    basis: DisclosureBasis
    consent_ids: tuple[UUID, ...] = ()
    legal_basis: LegalBasis | None = None

    def __str__(self) -> str:
        if self.basis is DisclosureBasis.CONSENT:
            return "consent " + ", ".join(str(c) for c in self.consent_ids)
        return f"{self.basis.value} {self.legal_basis}" if self.legal_basis else self.basis.value


@attrs.frozen
class SharedUnder:
    """What sharing the plan with a caseworker travels with (rule 9): the consents naming
    their sector, and the override's legal basis given when they took it, if one was."""

    consent_ids: tuple[UUID, ...] = ()
    legal_basis: LegalBasis | None = None


@attrs.frozen
class Shown(Generic[T]):
    """An item of the plan shown to a sector, and what allowed it."""

    item: T
    allowed_by: AllowedBy
    withheld: tuple[str, ...] = ()
    """Parts of the item left out because nothing allowed them (``costs``)."""


@attrs.frozen
class Wishes:
    """The citizen's own wishes, in their words, and the overarching goal."""

    citizen_id: UUID
    wishes: str
    overarching_goal: OverarchingGoal | None


@attrs.frozen
class GoalNote:
    """A progress note on a goal (*opfølgning*); ``index`` counts from 0 per goal."""

    goal_id: UUID
    index: int
    note: ProgressNote


NOTES_LIMIT = 50
"""The progress notes a sector-view read shows unless told otherwise: the 50 most recent
the sector may see (``Reads.sector_view(..., notes_limit=None)`` shows them all)."""

_CURSOR = re.compile(
    r"^(?P<at>\d{8}T\d{6}\.\d{6}Z)~"
    r"(?P<goal>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})~(?P<index>\d{1,9})$"
)
_CURSOR_TIME = "%Y%m%dT%H%M%S.%fZ"


@attrs.frozen(order=True)
class NoteCursor:
    """A place in the order progress notes are paged in: by their time, then their goal's
    id, then their index on the goal (a total order that notes recorded later, backdated
    or not, never change). Written as ``20260602T103000.000000Z~<goal id>~<index>``: the
    note's own place, so it tells nothing the reader was not shown."""

    recorded_at: datetime
    goal_id: str
    index: int

    def __str__(self) -> str:
        at = self.recorded_at.astimezone(UTC).strftime(_CURSOR_TIME)
        return f"{at}~{self.goal_id}~{self.index}"

    @classmethod
    def parse(cls, text: str) -> NoteCursor:
        """The cursor ``str(cursor)`` wrote (``ValueError`` for anything else)."""
        m = _CURSOR.match(text)
        if m is None:
            raise ValueError("is not a cursor of progress notes (pass back older_notes as it is)")
        at = datetime.strptime(m["at"], _CURSOR_TIME).replace(tzinfo=UTC)
        return cls(at, m["goal"], int(m["index"]))


@attrs.frozen
class WithheldIntervention:
    """That another sector has an intervention, without any of its content."""

    intervention_id: UUID
    sector: Sector
    status: InterventionStatus


@attrs.frozen
class SectorView:
    """The plan as one sector sees it, read at ``read_at``, as the plan stood at ``as_of``."""

    plan_id: UUID
    sector: Sector
    read_at: datetime
    as_of: datetime | None
    status: PlanStatus
    coordinator: Shown[Actor] | None = None
    wishes: tuple[Shown[Wishes], ...] = ()
    goals: tuple[Shown[GoalItem], ...] = ()
    """Goals without their notes: the notes a sector may see are in ``notes``."""
    notes: tuple[Shown[GoalNote], ...] = ()
    """The progress notes shown (a page of them when a limit was given: the most recent
    ones), in the order of their goals, each goal's in the order recorded."""
    older_notes: str | None = None
    """When the notes shown are a page: the cursor to read the page before it
    (``notes_before=``), or ``None`` when no older note may be seen by the sector."""
    interventions: tuple[Shown[InterventionItem], ...] = ()
    withheld_interventions: tuple[Shown[WithheldIntervention], ...] = ()
    meetings: tuple[Shown[MeetingItem], ...] = ()
    participants: tuple[ParticipantItem, ...] = ()
    """On which basis caseworkers take part in the plan (rule 9): each with the consents
    naming their sector (``shared_under_consents``) and the override's legal basis given
    when they were added (``shared_under_law``). The reading sector's own caseworkers;
    every participant when the reader is the plan's coordinator or a co-coordinator (who
    pulls sectors in). Who takes part, not the plan's content: no item of its own."""
    coordinator_shared_under: SharedUnder | None = None
    """On which basis the coordinator took the plan, when they are of the reading sector
    or the reader coordinates it (``None`` otherwise)."""

    def shown(self) -> Iterator[tuple[str, str, Shown[Any]]]:
        """Every item shown, as (kind, id, item)."""
        if self.coordinator is not None:
            yield "coordinator", self.coordinator.item.id, self.coordinator
        for w in self.wishes:
            yield "wishes", str(w.item.citizen_id), w
        for g in self.goals:
            yield "goal", str(g.item.goal_id), g
        goal_ids: dict[UUID, str] = {}
        for n in self.notes:
            goal_id = goal_ids.get(n.item.goal_id)
            if goal_id is None:
                goal_id = goal_ids[n.item.goal_id] = str(n.item.goal_id)
            yield "progress-note", f"{goal_id}/{n.item.index}", n
        for i in self.interventions:
            yield "intervention", str(i.item.intervention_id), i
        for x in self.withheld_interventions:
            yield "withheld-intervention", str(x.item.intervention_id), x
        for m in self.meetings:
            yield "meeting", str(m.item.meeting_id), m

    def items(self) -> tuple[AccessedItem, ...]:
        """Every item shown, with what allowed it: what the access log records."""
        return tuple(
            AccessedItem.model_construct(  # (from the plan's validated values)
                kind=kind,
                item_id=item_id,
                basis=shown.allowed_by.basis,
                consent_ids=shown.allowed_by.consent_ids,
                legal_basis=shown.allowed_by.legal_basis,
            )
            for kind, item_id, shown in self.shown()
        )

    def items_shown(self) -> tuple[ItemsShown, ...]:
        """``items()`` as the access log keeps them: runs of one kind under one basis."""
        return runs_shown(
            (
                kind,
                item_id,
                shown.allowed_by.basis,
                shown.allowed_by.consent_ids,
                shown.allowed_by.legal_basis,
            )
            for kind, item_id, shown in self.shown()
        )

    def consent_ids(self) -> tuple[UUID, ...]:
        """Every consent that allowed something in this view."""
        seen: dict[UUID, None] = {}
        for _, _, shown in self.shown():
            seen.update(dict.fromkeys(shown.allowed_by.consent_ids))
        return tuple(seen)


OVERRIDE_CATEGORIES = frozenset({C.GOALS, C.INTERVENTIONS, C.MEETING_DECISIONS})
"""What an override (a participant's recorded legal basis, rule 9) lets their sector see:
what coordinating needs, and no more (never health, costs, progress notes, contact details)."""
_OWN = AllowedBy(DisclosureBasis.OWN_SECTOR)


class _Access:
    """Decides, for one sector at one time, what allows each category for which citizens."""

    def __init__(
        self,
        plan: PlanState,
        citizens: Mapping[UUID, CitizenState],
        sector: Sector,
        at: datetime,
        reader: Actor | None,
    ) -> None:
        self.plan = plan
        self.citizens = citizens
        self.sector = sector
        self.at = at
        self.coordinating = (
            reader is not None
            and reader.is_caseworker
            and (
                (plan.coordinator is not None and plan.coordinator.id == reader.id)
                or any(a.id == reader.id for a in plan.co_coordinators())
            )
        )
        coordinator_override = (
            plan.coordinator_shared_under_law
            if plan.coordinator is not None and plan.coordinator.sector is sector
            else None
        )
        self.override: LegalBasis | None = coordinator_override or next(
            (
                p.shared_under_law
                for p in plan.participants.values()
                if p.actor.sector is sector and p.shared_under_law is not None
            ),
            None,
        )
        """The override recorded for the coordinator, if of this sector, or else for the
        first of the sector's participants who joined under one (it ends when they hand
        the plan over or leave it)."""

    def consents(self, category: C, citizen_ids: tuple[UUID, ...]) -> tuple[UUID, ...] | None:
        """Consents covering ``category`` for every one of ``citizen_ids`` (None: not all)."""
        found: list[UUID] = []
        for citizen_id in citizen_ids:
            citizen = self.citizens.get(citizen_id)
            if citizen is None:
                return None
            ids = list(citizen.covering(self.sector, category, self.at))
            if self.coordinating:
                ids += [
                    consent.consent_id
                    for consent_id in self.plan.consent_ids
                    if (consent := citizen.consents.get(consent_id)) is not None
                    and consent.is_active_at(self.at)
                    and category in consent.categories
                    and consent_id not in ids
                ]
            if not ids:
                return None
            found.extend(ids)
        return tuple(dict.fromkeys(found))

    def allows(self, *categories: C, citizen_ids: tuple[UUID, ...]) -> AllowedBy | None:
        """What allows all ``categories`` about ``citizen_ids``, or None."""
        consent_ids: list[UUID] = []
        for category in categories:
            ids = self.consents(category, citizen_ids)
            if ids is None:
                break
            consent_ids.extend(ids)
        else:
            return AllowedBy(DisclosureBasis.CONSENT, consent_ids=tuple(dict.fromkeys(consent_ids)))
        if self.override is not None and OVERRIDE_CATEGORIES.issuperset(categories):
            return AllowedBy(DisclosureBasis.LEGAL_BASIS, legal_basis=self.override)
        return None


def sector_view(
    plan: PlanState,
    citizens: Mapping[UUID, CitizenState],
    *,
    sector: Sector,
    at: datetime,
    reader: Actor | None = None,
    as_of: datetime | None = None,
    notes_limit: int | None = None,
    notes_before: NoteCursor | None = None,
) -> SectorView:
    """The plan as ``sector`` may see it at ``at``, under the consents in ``citizens``
    (their state at the time of reading). ``reader`` is whoever reads: the plan's
    coordinator and co-coordinators see what the plan's consents cover. Every progress
    note the sector may see, or a page of them: the ``notes_limit`` most recent, older
    than ``notes_before`` if given (see the module)."""
    access = _Access(plan, citizens, sector, at, reader)
    everyone = plan.citizen_ids
    view = SectorView(
        plan_id=plan.plan_id, sector=sector, read_at=at, as_of=as_of, status=plan.status
    )

    coordinator: Shown[Actor] | None = None
    if plan.coordinator is not None:
        if plan.coordinator.sector is sector:
            coordinator = Shown(plan.coordinator, _OWN)
        elif (allowed := access.allows(C.CONTACT_DETAILS, citizen_ids=everyone)) is not None:
            coordinator = Shown(plan.coordinator, allowed)

    wishes: list[Shown[Wishes]] = []
    for citizen_id, text in plan.wishes.items():
        if (allowed := access.allows(C.GOALS, citizen_ids=(citizen_id,))) is not None:
            wishes.append(Shown(Wishes(citizen_id, text, plan.overarching_goal), allowed))

    goals: list[Shown[GoalItem]] = []
    goals_allowed = access.allows(C.GOALS, citizen_ids=everyone)
    for goal in plan.goals.values():
        own_goal = goal.set_by.sector is sector
        if own_goal or goals_allowed is not None:
            goals.append(Shown(replace(goal, notes=()), _OWN if own_goal else goals_allowed))  # type: ignore[arg-type]
    notes, older_notes = _notes(
        plan,
        sector,
        access.allows(C.PROGRESS_NOTES, citizen_ids=everyone),
        notes_limit,
        notes_before,
    )

    interventions: list[Shown[InterventionItem]] = []
    withheld: list[Shown[WithheldIntervention]] = []
    for item in plan.interventions.values():
        about = (item.citizen_id,)
        if item.sector is sector:
            interventions.append(
                Shown(item, AllowedBy(DisclosureBasis.OWN_SECTOR, legal_basis=item.legal_basis))
            )
            continue
        needs = (C.INTERVENTIONS, C.HEALTH) if item.sector is Sector.HEALTH else (C.INTERVENTIONS,)
        allowed = access.allows(*needs, citizen_ids=about)
        if allowed is None:
            existence = access.allows(C.INTERVENTIONS, citizen_ids=about)
            if existence is not None and existence.basis is DisclosureBasis.CONSENT:
                withheld.append(
                    Shown(
                        WithheldIntervention(item.intervention_id, item.sector, item.status),
                        existence,
                    )
                )
            continue
        costs = access.allows(C.COSTS, citizen_ids=about)
        if costs is None or costs.basis is not DisclosureBasis.CONSENT:
            interventions.append(
                Shown(attrs.evolve(item, planned_cost=None, costs=()), allowed, withheld=("costs",))
            )
        else:
            consent_ids = tuple(dict.fromkeys((*allowed.consent_ids, *costs.consent_ids)))
            interventions.append(Shown(item, attrs.evolve(allowed, consent_ids=consent_ids)))

    participants = tuple(
        p for p in plan.participants.values() if access.coordinating or p.actor.sector is sector
    )
    coordinator_shared_under = (
        SharedUnder(plan.coordinator_shared_under_consents, plan.coordinator_shared_under_law)
        if plan.coordinator is not None
        and (access.coordinating or plan.coordinator.sector is sector)
        else None
    )

    meetings: list[Shown[MeetingItem]] = []
    decisions_allowed = access.allows(C.MEETING_DECISIONS, citizen_ids=everyone)
    for meeting in plan.meetings:
        attended = meeting.held_by.sector is sector or any(
            a.sector is sector for a in meeting.attendees
        )
        allowed = _OWN if attended else decisions_allowed
        if allowed is not None:
            meetings.append(Shown(meeting, allowed))

    return attrs.evolve(
        view,
        coordinator=coordinator,
        wishes=tuple(wishes),
        goals=tuple(goals),
        notes=notes,
        older_notes=older_notes,
        interventions=tuple(interventions),
        withheld_interventions=tuple(withheld),
        meetings=tuple(meetings),
        participants=participants,
        coordinator_shared_under=coordinator_shared_under,
    )


def _notes(
    plan: PlanState,
    sector: Sector,
    allowed: AllowedBy | None,
    limit: int | None,
    before: NoteCursor | None,
) -> tuple[tuple[Shown[GoalNote], ...], str | None]:
    """The progress notes ``sector`` may see (its own, and every one if ``allowed``), or
    the page of them the module describes, in the view's order; and the cursor of the
    page before, if the sector may see an older note."""
    goals = tuple(plan.goals.values())
    if limit is None and before is None:
        return tuple(
            _note(goal, index, note, sector, allowed)
            for goal in goals
            for index, note in enumerate(goal.notes)
            if allowed is not None or note.by.sector is sector
        ), None
    edge = (before.recorded_at, before.goal_id, before.index) if before is not None else None
    newest = heapq.merge(
        *(_newest_first(place, goal, edge) for place, goal in enumerate(goals) if goal.notes),
        reverse=True,
    )
    seen = (p for p in newest if allowed is not None or p[3] is sector)
    page = list(itertools.islice(seen, limit + 1 if limit is not None else None))
    older = None
    if limit is not None and len(page) > limit:
        del page[limit:]
        at, goal_id, index, _, _ = page[-1]
        older = str(NoteCursor(at, goal_id, index))
    page.sort(key=lambda p: (p[4], p[2]))
    shown = tuple(
        _note(goals[place], index, goals[place].notes[index], sector, allowed)
        for _, _, index, _, place in page
    )
    return shown, older


_Place = tuple[datetime, str, int, "Sector | None"]
"""A note's place in the order notes are paged in: its time, goal id and index (and its
author's sector, to filter by)."""
_ORDERS: dict[int, tuple[weakref.ref[GoalItem], list[_Place]]] = {}


def _order(goal: GoalItem) -> list[_Place]:
    """The places of ``goal``'s notes, in order; kept while the goal (a frozen item that
    rows and snapshots share until the goal changes) is alive, so a read of a long plan
    sorts only the goals changed since the last read."""
    key = id(goal)
    found = _ORDERS.get(key)
    if found is not None and found[0]() is goal:
        return found[1]
    goal_id = str(goal.goal_id)
    order = sorted((n.recorded_at, goal_id, i, n.by.sector) for i, n in enumerate(goal.notes))

    def forget(_: object) -> None:
        _ORDERS.pop(key, None)

    _ORDERS[key] = (weakref.ref(goal, forget), order)
    return order


def _newest_first(
    place: int, goal: GoalItem, edge: tuple[datetime, str, int] | None
) -> Iterator[tuple[datetime, str, int, Sector | None, int]]:
    """``goal``'s notes before ``edge`` (all if none), newest first, with the goal's place."""
    order = _order(goal)
    end = len(order) if edge is None else bisect.bisect_left(order, edge)
    for k in range(end - 1, -1, -1):
        at, goal_id, index, by = order[k]
        yield at, goal_id, index, by, place


def _note(
    goal: GoalItem, index: int, note: ProgressNote, sector: Sector, allowed: AllowedBy | None
) -> Shown[GoalNote]:
    """A note the sector may see: its own (written by the sector), or ``allowed``."""
    if note.by.sector is sector:
        return Shown(GoalNote(goal.goal_id, index, note), _OWN)
    if allowed is None:  # (never: the notes are filtered before; fail closed all the same)
        raise ValueError(f"progress note {goal.goal_id}/{index}: nothing allows showing it")
    return Shown(GoalNote(goal.goal_id, index, note), allowed)
