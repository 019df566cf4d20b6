"""The citizen's letter as a document (*borgerens plan*): its parts in plain words, built
from the record, and rendered as Markdown, HTML, PDF or JSON from these same parts.

The letter shows the plan as of a given moment: the sender and the date, the citizen's
wishes in their own words, the overarching goal, goals and sub-goals, each intervention
and who is responsible for it, what is paused and why, the next meeting, the
coordinator and how to reach them (from the staff directory), what the citizen can do,
and who has looked at their data since the last letter (from the access log). It never
shows progress notes, decision notes, meeting decisions, costs, internal ids or why
something ended.

Building is deterministic: no clock, no locale or time zone from the environment, and
the record's order. Every text in the document is plain text; the renderers escape it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
import orjson
from babel.dates import format_date
from babel.numbers import format_decimal

from oneplan.errors import CitizenNotFound, EffectiveTimeInvalid, InvalidInput, PlanNotFound
from oneplan.letter.phrases import PHRASES, Language, Phrases
from oneplan.letter.sender import Municipality
from oneplan.projections.access_log import AccessEntry
from oneplan.projections.citizen_view import CitizenState
from oneplan.projections.plan_view import GoalItem, InterventionItem, PlanState
from oneplan.values import (
    Actor,
    ActorKind,
    ContactDetails,
    DependencyType,
    DisclosureBasis,
    GoalStatus,
    InterventionStatus,
    LegalBasis,
    OverarchingGoal,
    PlanStatus,
)

__all__ = [
    "AccessLine",
    "AccessSection",
    "Action",
    "CitizenLetter",
    "Contact",
    "Field",
    "Goal",
    "GoalRef",
    "Intervention",
    "Sender",
    "StaffContact",
    "Wishes",
    "build_letter",
]

_DASH = "\N{EN DASH}"
_Date = date
"""(``CitizenLetter`` has a field named ``date``.)"""
_MUNICIPAL_TIME = "Europe/Copenhagen"
"""Recorded times are shown as dates in the municipality's time zone."""


# --- the document's parts ------------------------------------------------------------


@attrs.frozen
class Field:
    """A labelled value. ``record`` is the part of it that is words from the record
    (written in the record's language, not the letter's): all of it, a title quoted in a
    sentence, or nothing."""

    label: str
    value: str
    record: str = ""


@attrs.frozen
class Wishes:
    """One citizen's wishes: an introduction and their own words, paragraph by paragraph
    (the lines of a paragraph joined by a line break, as written)."""

    intro: str
    paragraphs: tuple[str, ...]


@attrs.frozen
class Goal:
    """A goal (depth 0) or sub-goal, numbered ("Mål 1.2")."""

    label: str
    description: str
    depth: int
    fields: tuple[Field, ...]


@attrs.frozen
class GoalRef:
    label: str
    description: str


@attrs.frozen
class Intervention:
    title: str
    fields: tuple[Field, ...]
    supports: tuple[GoalRef, ...]


@attrs.frozen
class Contact:
    """How the citizen reaches a coordinator: from the staff directory."""

    name: str
    sector: str
    title: str = ""
    phone: str = ""
    email: str = ""
    digital_post: str = ""
    digital_post_how: str = ""
    opening_hours: str = ""


@attrs.frozen
class Action:
    """Something the citizen can do (comment, ask for a meeting, withdraw, complain)."""

    heading: str
    text: str


@attrs.frozen
class AccessLine:
    """Reads of the citizen's data by one reader, of one kind, in the period: when (the
    first and last day), who, what, and what allowed it."""

    when: str
    who: str
    what: str
    why: str
    first: date
    last: date
    count: int


@attrs.frozen
class AccessSection:
    """Who has looked at the citizen's data since the last letter (or since the plan was
    made)."""

    intro: str
    since: date
    lines: tuple[AccessLine, ...]
    none: str
    more: str


@attrs.frozen
class Sender:
    """The municipality as the letter's sender (name and address lines)."""

    name: str
    address: tuple[str, ...] = ()


@attrs.frozen
class StaffContact:
    """A staff member's entry in the staff directory, as the letter needs it."""

    name: str
    title: str = ""
    contact: ContactDetails = attrs.field(factory=ContactDetails)


@attrs.frozen
class CitizenLetter:
    """The citizen's plan as a letter, in one language, as it stood at one moment.

    Render it with ``markdown()``, ``html()`` or ``pdf()`` (all from these parts; HTML
    and PDF from one template), or take its parts as data with ``as_dict()``."""

    plan_id: UUID
    language: Language
    record_language: Language
    """The language the record's words are written in (the municipality's)."""
    household: bool
    sender: Sender | None
    recipients: tuple[str, ...]
    date: date
    date_text: str
    subject: str
    intro: str
    as_of_text: str
    status: str
    hold_reason: str
    wishes: tuple[Wishes, ...]
    overarching: str
    goals: tuple[Goal, ...]
    cancelled_goals: tuple[str, ...]
    interventions: tuple[Intervention, ...]
    cancelled_interventions: tuple[str, ...]
    next_meeting: _Date | None
    meeting: str
    coordinator: Contact | None
    co_coordinators: tuple[Contact, ...]
    actions: tuple[Action, ...]
    access: AccessSection | None
    """None where the access log was not given (a rendering of the plan alone)."""
    logo: str | None = attrs.field(default=None, repr=False)
    """The sender's logo as a ``data:`` URI (not part of ``as_dict()``)."""

    @property
    def phrases(self) -> Phrases:
        return PHRASES[self.language, self.household]

    def markdown(self) -> str:
        """The letter as Markdown text (what a terminal shows)."""
        from oneplan.letter.render import render_markdown

        return render_markdown(self)

    def html(self) -> str:
        """The letter as one self-contained HTML page (print CSS included)."""
        from oneplan.letter.render import render_html

        return render_html(self)

    def pdf(self) -> bytes:
        """The letter as a tagged PDF/A-2a (WeasyPrint, the ``letter`` extra)."""
        from oneplan.letter.render import render_pdf

        return render_pdf(self)

    def as_dict(self) -> dict[str, Any]:
        """The letter's parts as plain JSON data (ids and dates as strings, lists), the
        logo left out."""
        from oneplan.projections.base import codec

        unstructured = codec.unstructure(self)
        unstructured.pop("logo", None)
        data: dict[str, Any] = orjson.loads(orjson.dumps(unstructured))
        return data


# --- building ------------------------------------------------------------------------


def build_letter(
    plan: PlanState,
    citizens: Mapping[UUID, CitizenState],
    *,
    as_of: datetime,
    language: Language | str = Language.DA,
    sender: Municipality | None = None,
    staff: Mapping[str, StaffContact] | None = None,
    access: Mapping[UUID, Sequence[AccessEntry]] | None = None,
) -> CitizenLetter:
    """The letter for ``plan`` as it stood at ``as_of``.

    ``plan`` must already be folded as of ``as_of``; ``as_of`` is the letter's date.
    ``citizens`` holds at least the plan's citizens (for their names); ``staff`` the
    staff directory's entries of the coordinators (for how to reach them); ``access``
    each citizen's access log (for who has looked at their data; None leaves the
    section out). ``sender`` is the municipality (unconfigured: the coordinator's
    Digital Post unit, if any, is named as sender)."""
    if as_of.tzinfo is None:
        raise EffectiveTimeInvalid.because("build_letter", "as_of must carry a time zone", "as_of")
    if plan.opened_at is None or as_of < plan.opened_at:
        raise PlanNotFound(plan.plan_id)
    try:
        language = Language(language)
    except ValueError as e:
        raise InvalidInput("RenderCitizenPlan", [{"loc": ("language",), "msg": str(e)}]) from None
    names: dict[UUID, str] = {}
    for citizen_id in plan.citizen_ids:
        citizen = citizens.get(citizen_id)
        if citizen is None or not citizen.name:
            raise CitizenNotFound(citizen_id)
        names[citizen_id] = citizen.name
    return _Builder(
        plan, names, language, as_of, sender or Municipality(), staff or {}, access
    ).letter()


@cache
def _municipal_time() -> ZoneInfo:
    return ZoneInfo(_MUNICIPAL_TIME)


_WAITING = frozenset({DependencyType.AFTER_END, DependencyType.AFTER, DependencyType.AFTER_START})
"""The relations that hold an intervention back until the other has ended or started."""


class _Builder:
    """Turns the plan's state into the letter's parts, in plain words."""

    def __init__(
        self,
        plan: PlanState,
        names: Mapping[UUID, str],
        language: Language,
        as_of: datetime,
        sender: Municipality,
        staff: Mapping[str, StaffContact],
        access: Mapping[UUID, Sequence[AccessEntry]] | None,
    ) -> None:
        self.plan = plan
        self.names = names
        self.language = language
        self.household = len(plan.citizen_ids) > 1
        self.t = PHRASES[language, self.household]
        self.as_of = as_of
        self.sender = sender
        self.staff = staff
        self.access_logs = access
        self.goal_labels: dict[UUID, str] = {}

    def letter(self) -> CitizenLetter:
        plan, t = self.plan, self.t
        recipients = tuple(self.names[c] for c in plan.citizen_ids)
        goals = self._goals()  # first: interventions name the goals they support by number
        coordinator = self._contact(plan.coordinator) if plan.coordinator else None
        sender = self._sender(coordinator)
        today = self._day(self.as_of)
        return CitizenLetter(
            plan_id=plan.plan_id,
            language=self.language,
            record_language=self.sender.record_language,
            household=self.household,
            sender=sender,
            recipients=recipients,
            date=today,
            date_text=self._date(today),
            subject=f"{t.title} {_DASH} {self._join(list(recipients))}",
            intro=t.letter_intro,
            as_of_text=t.as_of.format(date=self._date(self.as_of)),
            status=t.plan_status[plan.status],
            hold_reason=(
                " ".join((plan.hold_reason or "").split())
                if plan.status is PlanStatus.ON_HOLD
                else ""
            ),
            wishes=self._wishes(),
            overarching=self._overarching(plan.overarching_goal),
            goals=goals,
            cancelled_goals=tuple(
                g.description for g in plan.goals.values() if g.status is GoalStatus.CANCELLED
            ),
            interventions=tuple(
                self._intervention(i)
                for i in plan.interventions.values()
                if i.status is not InterventionStatus.CANCELLED
            ),
            cancelled_interventions=tuple(
                i.title
                for i in plan.interventions.values()
                if i.status is InterventionStatus.CANCELLED
            ),
            next_meeting=self._next_meeting(),
            meeting=self._meeting(),
            coordinator=coordinator,
            co_coordinators=tuple(self._contact(a) for a in plan.co_coordinators()),
            actions=tuple(Action(heading, text) for heading, text in t.actions),
            access=self._access(),
            logo=self.sender.logo_data_uri() if self.sender.configured else None,
        )

    # -- words and dates --

    def _join(self, parts: list[str]) -> str:
        if len(parts) <= 1:
            return "".join(parts)
        return f"{', '.join(parts[:-1])} {self.t.and_} {parts[-1]}"

    def _day(self, moment: date | datetime) -> date:
        if isinstance(moment, datetime):
            return moment.astimezone(_municipal_time()).date()
        return moment

    def _date(self, day: date | datetime) -> str:
        return format_date(self._day(day), format="long", locale=self.t.locale)

    def _quoted(self, text: str) -> str:
        left, right = self.t.quotes
        return f"{left}{text}{right}"

    # -- sender and contacts --

    def _sender(self, coordinator: Contact | None) -> Sender | None:
        if self.sender.configured:
            return Sender(name=self.sender.name, address=self.sender.address)
        if coordinator is not None and coordinator.digital_post:
            return Sender(name=coordinator.digital_post)
        return None

    def _contact(self, actor: Actor) -> Contact:
        t = self.t
        entry = self.staff.get(actor.id)
        name = (entry.name if entry else "") or actor.name or actor.id
        sector = t.sector[actor.sector] if actor.sector is not None else ""
        if entry is None:
            return Contact(name=name, sector=sector)
        details = entry.contact
        return Contact(
            name=name,
            sector=sector,
            title=entry.title,
            phone=details.phone,
            email=details.email,
            digital_post=details.digital_post,
            digital_post_how=(
                t.digital_post_how.format(unit=details.digital_post) if details.digital_post else ""
            ),
            opening_hours=details.opening_hours,
        )

    # -- wishes and the overarching goal --

    def _wishes(self) -> tuple[Wishes, ...]:
        t, wishes = self.t, self.plan.wishes
        if not self.household:
            words = _paragraphs("".join(wishes.get(c, "") for c in self.plan.citizen_ids))
            return (Wishes(t.wishes_own, words) if words else Wishes(t.wishes_missing, ()),)
        parts: list[Wishes] = []
        for citizen_id in self.plan.citizen_ids:
            name = self.names[citizen_id]
            words = _paragraphs(wishes.get(citizen_id, ""))
            if words:
                parts.append(Wishes(t.wishes_named.format(name=name), words))
            else:
                parts.append(Wishes(t.wishes_missing_named.format(name=name), ()))
        return tuple(parts)

    def _overarching(self, goal: OverarchingGoal | None) -> str:
        t = self.t
        if goal is None:
            return t.overarching_missing
        if goal.hours_per_week is None:
            return f"{t.overarching[goal.kind]}."
        one, many = t.hours
        hours = (one if goal.hours_per_week == 1 else many).format(n=goal.hours_per_week)
        return f"{t.overarching_hours[goal.kind].format(hours=hours)}."

    # -- goals --

    def _goals(self) -> tuple[Goal, ...]:
        shown = {k: g for k, g in self.plan.goals.items() if g.status is not GoalStatus.CANCELLED}
        children: dict[UUID | None, list[GoalItem]] = {}
        for goal in shown.values():
            parent = goal.parent_id if goal.parent_id in shown else None
            children.setdefault(parent, []).append(goal)
        return tuple(self._goal_tree(children, None, prefix="", depth=0))

    def _goal_tree(
        self,
        children: Mapping[UUID | None, list[GoalItem]],
        parent: UUID | None,
        *,
        prefix: str,
        depth: int,
    ) -> Iterator[Goal]:
        for number, goal in enumerate(children.get(parent, ()), start=1):
            label = f"{prefix}{number}"
            kind = self.t.goal if depth == 0 else self.t.sub_goal
            self.goal_labels[goal.goal_id] = f"{kind} {label}"
            yield Goal(
                label=f"{kind} {label}",
                description=" ".join(goal.description.split()),
                depth=depth,
                fields=self._goal_fields(goal),
            )
            yield from self._goal_tree(children, goal.goal_id, prefix=f"{label}.", depth=depth + 1)

    def _goal_fields(self, goal: GoalItem) -> tuple[Field, ...]:
        t = self.t
        fields: list[Field] = []
        if goal.due is not None:
            fields.append(Field(t.due, self._date(goal.due)))
        if goal.target is not None:
            target = " ".join(goal.target.measure.split())
            if goal.target.value is not None:
                amount = format_decimal(goal.target.value, locale=t.locale)
                target = f"{target}: {amount} {goal.target.unit}".rstrip()
            fields.append(Field(t.target, target, record=target))
        fields.append(Field(t.status, t.goal_status[goal.status]))
        if goal.achievement is not None:
            fields.append(Field(t.achievement_label, t.achievement[goal.achievement]))
        if goal.achieved_at is not None:
            fields.append(Field(t.achieved_on, self._date(goal.achieved_at)))
        return tuple(fields)

    # -- interventions --

    def _intervention(self, item: InterventionItem) -> Intervention:
        t = self.t
        fields: list[Field] = []
        if self.household:
            fields.append(Field(t.for_citizen, self.names[item.citizen_id]))
        fields.append(Field(t.provided_by, t.sector[item.sector]))
        basis = f"{item.legal_basis} ({t.law[item.legal_basis.law]})"
        fields.append(Field(t.legal_basis, basis))
        fields.append(Field(t.responsible, self._person(item.responsible)))
        fields.append(Field(t.period, self._period(item)))
        granted = (
            t.granted_on.format(date=self._date(item.granted_at))
            if item.granted_at is not None
            else t.not_granted
        )
        fields.append(Field(t.decision, granted))
        fields.append(Field(t.status, self._status(item)))
        if item.status is InterventionStatus.ON_HOLD:
            if item.pause_reason:
                reason = " ".join(item.pause_reason.split())
                fields.append(Field(t.why, reason, record=reason))
            resume = (
                self._date(item.expected_resume)
                if item.expected_resume is not None
                else t.resume_unknown
            )
            fields.append(Field(t.expected_resume, resume))
        if not item.status.has_started and not item.status.is_finished:
            fields.extend(self._dependencies(item))
        supports = tuple(
            GoalRef(self.goal_labels[g], " ".join(self.plan.goals[g].description.split()))
            for g in item.goal_ids
            if g in self.goal_labels
        )
        return Intervention(
            title=" ".join(item.title.split()), fields=tuple(fields), supports=supports
        )

    def _person(self, actor: Actor) -> str:
        """A caseworker in plain words: name (the id when there is none) and sector."""
        entry = self.staff.get(actor.id)
        text = (entry.name if entry else "") or actor.name or actor.id
        if actor.sector is not None:
            text += f", {self.t.sector[actor.sector]}"
        return text

    def _period(self, item: InterventionItem) -> str:
        period, t = item.planned_period, self.t
        start = self._date(period.start)
        if period.end is None:
            return t.period_open.format(start=start)
        return t.period_closed.format(start=start, end=self._date(period.end))

    def _status(self, item: InterventionItem) -> str:
        t, status = self.t, item.status
        when: date | datetime | None = {
            InterventionStatus.SCHEDULED: item.scheduled_start,
            InterventionStatus.IN_PROGRESS: item.started_at,
            InterventionStatus.ON_HOLD: item.paused_at,
            InterventionStatus.COMPLETED: item.ended_at,
            InterventionStatus.STOPPED: item.ended_at,
        }.get(status)
        if when is None:
            return t.intervention_status[status]
        return t.intervention_status_dated[status].format(date=self._date(when))

    def _dependencies(self, item: InterventionItem) -> Iterator[Field]:
        """What the intervention waits for, or must keep time with, while not started."""
        t = self.t
        for other_id, relation in item.waits_for:
            other = self.plan.interventions.get(other_id)
            if other is not None and other.status is InterventionStatus.CANCELLED:
                continue
            if other is not None and relation in _WAITING and relation.allows_start(other.status):
                continue
            title = "" if other is None else " ".join(other.title.split())
            name = self._quoted(title) if title else t.other_intervention
            sentence = t.depends[relation].format(other=name)
            label = t.waiting_for if relation in _WAITING else t.order
            yield Field(label, sentence[:1].upper() + sentence[1:], record=title)

    # -- the meeting --

    def _next_meeting(self) -> date | None:
        plan = self.plan
        next_meeting = plan.next_meeting
        if plan.status.is_closed or next_meeting is None or next_meeting < self._day(self.as_of):
            return None
        return next_meeting

    def _meeting(self) -> str:
        t = self.t
        if self.plan.status.is_closed:
            return t.meetings_over
        next_meeting = self._next_meeting()
        if next_meeting is None:
            return t.no_meeting
        return t.next_meeting.format(date=self._date(next_meeting))

    # -- who has looked at the citizen's data --

    def _access(self) -> AccessSection | None:
        if self.access_logs is None:
            return None
        plan, t = self.plan, self.t
        sent = [when for _, _, when in plan.delivered if when <= self.as_of]
        since = sent[-1] if sent else cast(datetime, plan.opened_at)  # build_letter checked it
        intro = (t.access_since_letter if sent else t.access_since_opened).format(
            date=self._date(since)
        )
        logs = [self.access_logs.get(c, ()) for c in plan.citizen_ids]
        in_every_log = set.intersection(*({e.access_id for e in log} for log in logs))
        recipients = {str(c) for c in plan.citizen_ids}
        seen: set[UUID] = set()
        groups: dict[tuple[str, ...], list[AccessEntry]] = {}
        for entry in sorted((e for log in logs for e in log), key=lambda e: e.recorded_at):
            if entry.access_id in seen or not since < entry.read_at <= self.as_of:
                continue
            seen.add(entry.access_id)
            about_the_plan = entry.plan_id == plan.plan_id or entry.access_id in in_every_log
            if not about_the_plan or entry.reader.id in recipients:
                continue
            key = (
                entry.reader.kind.value,
                entry.reader.id,
                entry.what,
                entry.sector.value if entry.sector else "",
                entry.recipient if entry.what == "fhir-export" else "",
            )
            groups.setdefault(key, []).append(entry)
        lines = tuple(self._access_line(entries) for entries in groups.values())
        return AccessSection(
            intro=intro, since=self._day(since), lines=lines, none=t.access_none, more=t.access_more
        )

    def _access_line(self, entries: list[AccessEntry]) -> AccessLine:
        t, first = self.t, entries[0]
        days = sorted(self._day(e.read_at) for e in entries)
        when = self._date(days[0])
        if days[-1] != days[0]:
            when = f"{when} {_DASH} {self._date(days[-1])}"
        _, many = t.times
        if len(entries) > 1:
            when += f" ({many.format(n=len(entries))})"
        reader = first.reader
        if reader.kind is ActorKind.CASEWORKER:
            who = reader.name or reader.id
            if reader.sector is not None:
                who += f", {t.sector[reader.sector]}"
        else:
            who = t.access_reader[reader.kind].format(id=reader.id)
        what = t.access_what.get(first.what, t.access_what[""])
        what = what.format(
            sector=t.sector_definite[first.sector] if first.sector else "",
            recipient=first.recipient,
        )
        whys = dict.fromkeys(why for e in entries for why in self._why(e))
        return AccessLine(
            when=when,
            who=who,
            what=what,
            why=self._join_reasons(list(whys)),
            first=days[0],
            last=days[-1],
            count=len(entries),
        )

    def _join_reasons(self, reasons: list[str]) -> str:
        """Reasons as one phrase: "Dit samtykke og deres egen indsats for dig"."""
        lowered = [
            r[:1].lower() + r[1:] if i and r[1:2].islower() else r for i, r in enumerate(reasons)
        ]
        return self._join(lowered)

    def _why(self, entry: AccessEntry) -> list[str]:
        """What allowed a read, in plain words (a sector view: each kind of allowance)."""
        t = self.t
        if entry.what == "sector-view":
            reasons: list[str] = []
            for basis in entry.bases:
                if basis is DisclosureBasis.LEGAL_BASIS:
                    laws = ", ".join(str(b) for b in entry.legal_bases)
                    reasons.append(t.access_basis_law.format(law=laws))
                else:
                    reasons.append(t.access_basis[basis.value])
            return reasons
        if entry.basis in t.access_basis:
            return [t.access_basis[entry.basis]]
        if entry.reader.kind is ActorKind.AUDITOR:
            return [t.access_basis_audit.format(basis=entry.basis)]
        try:
            return [t.access_basis_law.format(law=LegalBasis.parse(entry.basis))]
        except ValueError:
            return [entry.basis]


def _paragraphs(text: str) -> tuple[str, ...]:
    """Record text as its paragraphs, each its lines joined by ``\\n`` (whitespace within
    a line collapsed, blank lines between paragraphs dropped)."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.strip():
            current.append(" ".join(line.split()))
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return tuple(paragraphs)
