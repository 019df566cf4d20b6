"""The citizen's own plan document (*borgerens plan*): the one plan as the citizen receives
it, in Danish or English, as Markdown or HTML.

It shows the plan as of a given moment: the citizen's wishes in their own words, the
overarching goal, goals and sub-goals, each intervention and who is responsible for it,
what is paused and why, the next meeting and the coordinator. It never shows progress
notes, decision notes, meeting decisions, costs, internal ids or why something ended.

Rendering is deterministic: no clock, no locale or time zone from the environment, and
the record's order. Record text is escaped for Markdown, so nothing a person wrote can
change the document's structure.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
import jinja2
from babel.dates import format_date
from babel.numbers import format_decimal
from markdown_it import MarkdownIt

from oneplan.errors import CitizenNotFound, EffectiveTimeInvalid, PlanNotFound
from oneplan.projections.citizen_view import CitizenState
from oneplan.projections.plan_view import GoalItem, InterventionItem, PlanState
from oneplan.values import (
    AchievementStatus,
    Actor,
    DependencyType,
    GoalStatus,
    InterventionStatus,
    Law,
    OverarchingGoal,
    OverarchingGoalKind,
    PlanStatus,
    Sector,
)

__all__ = ["DocumentFormat", "Language", "render_citizen_plan"]


class Language(StrEnum):
    """The language of the citizen's plan document."""

    DA = "da"
    EN = "en"


class DocumentFormat(StrEnum):
    """The format of the citizen's plan document."""

    MARKDOWN = "markdown"
    HTML = "html"


_DASH = "\N{EN DASH}"
_MUNICIPAL_TIME = "Europe/Copenhagen"
"""Recorded times are shown as dates in the municipality's time zone."""


# --- phrases -------------------------------------------------------------------------


@attrs.frozen
class _Phrases:
    """The fixed phrases of the document in one language. Phrases are Markdown."""

    locale: str
    quotes: tuple[str, str]
    and_: str
    hours: tuple[str, str]
    title: str
    as_of: str
    status_label: str
    plan_status: Mapping[PlanStatus, str]
    why: str
    heading_wishes: str
    wishes_own: str
    wishes_named: str
    wishes_missing: str
    wishes_missing_named: str
    overarching_label: str
    overarching: Mapping[OverarchingGoalKind, str]
    overarching_hours: Mapping[OverarchingGoalKind, str]
    overarching_missing: str
    heading_goals: str
    goals_intro: str
    goal: str
    sub_goal: str
    due: str
    target: str
    status: str
    goal_status: Mapping[GoalStatus, str]
    achievement_label: str
    achievement: Mapping[AchievementStatus, str]
    achieved_on: str
    goals_none: str
    heading_cancelled_goals: str
    heading_interventions: str
    interventions_intro: str
    for_citizen: str
    provided_by: str
    sector: Mapping[Sector, str]
    legal_basis: str
    law: Mapping[Law, str]
    responsible: str
    period: str
    period_closed: str
    period_open: str
    decision: str
    granted_on: str
    not_granted: str
    intervention_status: Mapping[InterventionStatus, str]
    intervention_status_dated: Mapping[InterventionStatus, str]
    expected_resume: str
    resume_unknown: str
    waiting_for: str
    order: str
    depends: Mapping[DependencyType, str]
    other_intervention: str
    supports: str
    interventions_none: str
    heading_cancelled_interventions: str
    heading_meeting: str
    next_meeting: str
    no_meeting: str
    meetings_over: str
    heading_coordinator: str
    coordinator_intro: str
    staff_id: str
    co_coordinators: str
    no_coordinator: str


_DA = _Phrases(
    locale="da_DK",
    quotes=("»", "«"),
    and_="og",
    hours=("{n} time", "{n} timer"),
    title="Din plan",
    as_of="Planen som den så ud {date}.",
    status_label="Planens status",
    plan_status={
        PlanStatus.DRAFT: "Kladde (planen er ikke færdig endnu)",
        PlanStatus.ACTIVE: "Aktiv",
        PlanStatus.ON_HOLD: "Sat på pause",
        PlanStatus.REVOKED: "Afsluttet, fordi du har valgt at trække dig fra planen",
        PlanStatus.COMPLETED: "Afsluttet",
        PlanStatus.ENTERED_IN_ERROR: "Oprettet ved en fejl og gælder ikke",
    },
    why="Hvorfor",
    heading_wishes="Dine ønsker og dit mål",
    wishes_own="Det har du sagt med dine egne ord:",
    wishes_named="{name} har sagt med egne ord:",
    wishes_missing="Dine ønsker er ikke skrevet ned endnu.",
    wishes_missing_named="Ønskerne fra {name} er ikke skrevet ned endnu.",
    overarching_label="Dit overordnede mål",
    overarching={
        OverarchingGoalKind.WORK: "At komme i arbejde",
        OverarchingGoalKind.EDUCATION: "At tage en uddannelse",
        OverarchingGoalKind.FULL_SELF_SUPPORT: "At blive helt selvforsørgende",
        OverarchingGoalKind.PARTIAL_SELF_SUPPORT: "At blive delvist selvforsørgende",
    },
    overarching_hours={
        OverarchingGoalKind.WORK: "At komme i arbejde {hours} om ugen",
        OverarchingGoalKind.EDUCATION: "At tage en uddannelse {hours} om ugen",
        OverarchingGoalKind.FULL_SELF_SUPPORT: "At blive helt selvforsørgende",
        OverarchingGoalKind.PARTIAL_SELF_SUPPORT: (
            "At blive delvist selvforsørgende ved at arbejde {hours} om ugen"
        ),
    },
    overarching_missing="Ikke aftalt endnu.",
    heading_goals="Dine mål",
    goals_intro="Et delmål er et skridt på vejen mod målet over det.",
    goal="Mål",
    sub_goal="Delmål",
    due="Skal være nået",
    target="Sådan måler vi det",
    status="Status",
    goal_status={
        GoalStatus.PROPOSED: "Foreslået, men ikke aftalt endnu",
        GoalStatus.ACCEPTED: "Aftalt",
        GoalStatus.ACTIVE: "I gang",
        GoalStatus.ON_HOLD: "Sat på pause",
        GoalStatus.COMPLETED: "Afsluttet",
        GoalStatus.CANCELLED: "Taget ud af planen",
    },
    achievement_label="Sådan går det",
    achievement={
        AchievementStatus.IN_PROGRESS: "Undervejs",
        AchievementStatus.IMPROVING: "Det går fremad",
        AchievementStatus.WORSENING: "Det går tilbage",
        AchievementStatus.NO_CHANGE: "Uændret",
        AchievementStatus.ACHIEVED: "Målet er nået",
        AchievementStatus.SUSTAINING: "Målet er nået og holder",
        AchievementStatus.NOT_ACHIEVED: "Målet blev ikke nået",
        AchievementStatus.NO_PROGRESS: "Ingen fremgang",
        AchievementStatus.NOT_ATTAINABLE: "Målet kan ikke nås",
    },
    achieved_on="Nået den",
    goals_none="Der er ikke aftalt nogen mål endnu.",
    heading_cancelled_goals="Mål, der er taget ud af planen",
    heading_interventions="Indsatser",
    interventions_intro=(
        "En indsats er hjælp fra kommunen til at nå dine mål. "
        "Her kan du se, hvem der er ansvarlig for hver indsats."
    ),
    for_citizen="For",
    provided_by="Fra",
    sector={
        Sector.EMPLOYMENT: "Jobcenteret",
        Sector.SOCIAL: "Socialforvaltningen",
        Sector.HEALTH: "Sundhedsområdet",
        Sector.CHILDREN_AND_FAMILY: "Børne- og familieområdet",
        Sector.EDUCATION: "Uddannelsesområdet",
        Sector.HOUSING: "Boligområdet",
    },
    legal_basis="Lovgrundlag",
    law={
        Law.LAB: "lov om en aktiv beskæftigelsesindsats",
        Law.LAS: "lov om aktiv socialpolitik",
        Law.SEL: "serviceloven",
        Law.BL: "barnets lov",
        Law.SUL: "sundhedsloven",
        Law.STU: "STU-loven",
        Law.FGU: "lov om forberedende grunduddannelse",
        Law.ABL: "almenboligloven",
        Law.RSL: "retssikkerhedsloven",
        Law.FVL: "forvaltningsloven",
    },
    responsible="Hvem er ansvarlig",
    period="Hvornår",
    period_closed="Fra {start} til {end}",
    period_open="Fra {start}, uden fast slutdato",
    decision="Afgørelse",
    granted_on="Bevilget den {date}",
    not_granted="Ikke bevilget endnu",
    intervention_status={
        InterventionStatus.NOT_STARTED: "Ikke begyndt endnu",
        InterventionStatus.SCHEDULED: "Planlagt",
        InterventionStatus.IN_PROGRESS: "I gang",
        InterventionStatus.ON_HOLD: "Sat på pause",
        InterventionStatus.COMPLETED: "Afsluttet",
        InterventionStatus.STOPPED: "Stoppet før tid",
        InterventionStatus.CANCELLED: "Aflyst",
    },
    intervention_status_dated={
        InterventionStatus.NOT_STARTED: "Ikke begyndt endnu",
        InterventionStatus.SCHEDULED: "Planlagt til at begynde den {date}",
        InterventionStatus.IN_PROGRESS: "I gang siden {date}",
        InterventionStatus.ON_HOLD: "Sat på pause siden {date}",
        InterventionStatus.COMPLETED: "Afsluttet den {date}",
        InterventionStatus.STOPPED: "Stoppet før tid den {date}",
        InterventionStatus.CANCELLED: "Aflyst",
    },
    expected_resume="Forventes at fortsætte",
    resume_unknown="Det er ikke aftalt endnu",
    waiting_for="Venter på",
    order="Rækkefølge",
    depends={
        DependencyType.AFTER_END: "{other} skal være afsluttet, før denne indsats kan begynde",
        DependencyType.AFTER: "{other} skal være afsluttet, før denne indsats kan begynde",
        DependencyType.AFTER_START: "{other} skal være begyndt, før denne indsats kan begynde",
        DependencyType.BEFORE_START: "Skal begynde, før {other} begynder",
        DependencyType.BEFORE: "Skal finde sted før {other}",
        DependencyType.BEFORE_END: "Skal begynde, før {other} slutter",
        DependencyType.CONCURRENT_WITH_START: "Begynder samtidig med {other}",
        DependencyType.CONCURRENT: "Foregår samtidig med {other}",
        DependencyType.CONCURRENT_WITH_END: "Slutter samtidig med {other}",
    },
    other_intervention="en anden indsats",
    supports="Støtter disse mål",
    interventions_none="Der er ikke aftalt nogen indsatser endnu.",
    heading_cancelled_interventions="Indsatser, der er aflyst",
    heading_meeting="Næste møde",
    next_meeting="Det næste koordinerende møde er den {date}.",
    no_meeting=(
        "Der er ikke planlagt et nyt møde endnu. "
        "Kontakt din koordinator, hvis du gerne vil have et møde."
    ),
    meetings_over="Planen er afsluttet, så der er ikke planlagt flere møder.",
    heading_coordinator="Din koordinator",
    coordinator_intro=(
        "Din koordinator har overblikket over hele planen og er den, "
        "du kan kontakte, hvis du har spørgsmål."
    ),
    staff_id="medarbejder-id: {id}",
    co_coordinators="Deler koordineringen med:",
    no_coordinator="Du har ikke fået en koordinator endnu.",
)

_EN = _Phrases(
    locale="en_GB",
    quotes=("“", "”"),
    and_="and",
    hours=("{n} hour", "{n} hours"),
    title="Your plan",
    as_of="The plan as it stood on {date}.",
    status_label="Status of the plan",
    plan_status={
        PlanStatus.DRAFT: "Draft (the plan is not finished yet)",
        PlanStatus.ACTIVE: "Active",
        PlanStatus.ON_HOLD: "Paused",
        PlanStatus.REVOKED: "Ended because you chose to withdraw from the plan",
        PlanStatus.COMPLETED: "Completed",
        PlanStatus.ENTERED_IN_ERROR: "Created by mistake and does not apply",
    },
    why="Why",
    heading_wishes="Your wishes and your goal",
    wishes_own="In your own words:",
    wishes_named="In the words of {name}:",
    wishes_missing="Your wishes have not been written down yet.",
    wishes_missing_named="The wishes of {name} have not been written down yet.",
    overarching_label="Your overarching goal",
    overarching={
        OverarchingGoalKind.WORK: "To get a job",
        OverarchingGoalKind.EDUCATION: "To get an education",
        OverarchingGoalKind.FULL_SELF_SUPPORT: "To become fully self-supporting",
        OverarchingGoalKind.PARTIAL_SELF_SUPPORT: "To become partly self-supporting",
    },
    overarching_hours={
        OverarchingGoalKind.WORK: "To get a job of {hours} a week",
        OverarchingGoalKind.EDUCATION: "To study {hours} a week",
        OverarchingGoalKind.FULL_SELF_SUPPORT: "To become fully self-supporting",
        OverarchingGoalKind.PARTIAL_SELF_SUPPORT: (
            "To become partly self-supporting by working {hours} a week"
        ),
    },
    overarching_missing="Not agreed yet.",
    heading_goals="Your goals",
    goals_intro="A sub-goal is a step on the way to the goal above it.",
    goal="Goal",
    sub_goal="Sub-goal",
    due="To be reached by",
    target="How it is measured",
    status="Status",
    goal_status={
        GoalStatus.PROPOSED: "Proposed, not agreed yet",
        GoalStatus.ACCEPTED: "Agreed",
        GoalStatus.ACTIVE: "Under way",
        GoalStatus.ON_HOLD: "Paused",
        GoalStatus.COMPLETED: "Finished",
        GoalStatus.CANCELLED: "Taken out of the plan",
    },
    achievement_label="How it is going",
    achievement={
        AchievementStatus.IN_PROGRESS: "Under way",
        AchievementStatus.IMPROVING: "Getting better",
        AchievementStatus.WORSENING: "Getting worse",
        AchievementStatus.NO_CHANGE: "No change",
        AchievementStatus.ACHIEVED: "The goal has been reached",
        AchievementStatus.SUSTAINING: "The goal has been reached and is holding",
        AchievementStatus.NOT_ACHIEVED: "The goal was not reached",
        AchievementStatus.NO_PROGRESS: "No progress",
        AchievementStatus.NOT_ATTAINABLE: "The goal cannot be reached",
    },
    achieved_on="Reached on",
    goals_none="No goals have been agreed yet.",
    heading_cancelled_goals="Goals taken out of the plan",
    heading_interventions="Interventions",
    interventions_intro=(
        "An intervention is help from the municipality to reach your goals. "
        "Here you can see who is responsible for each one."
    ),
    for_citizen="For",
    provided_by="Provided by",
    sector={
        Sector.EMPLOYMENT: "Job centre",
        Sector.SOCIAL: "Social services",
        Sector.HEALTH: "Health services",
        Sector.CHILDREN_AND_FAMILY: "Children and family services",
        Sector.EDUCATION: "Education services",
        Sector.HOUSING: "Housing services",
    },
    legal_basis="Legal basis",
    law={
        Law.LAB: "Active Employment Measures Act",
        Law.LAS: "Active Social Policy Act",
        Law.SEL: "Social Services Act",
        Law.BL: "Children's Act",
        Law.SUL: "Health Act",
        Law.STU: "Special Needs Youth Education Act",
        Law.FGU: "Preparatory Basic Education Act",
        Law.ABL: "Social Housing Act",
        Law.RSL: "Legal Protection Act",
        Law.FVL: "Public Administration Act",
    },
    responsible="Who is responsible",
    period="When",
    period_closed="From {start} to {end}",
    period_open="From {start}, no end date set",
    decision="Decision",
    granted_on="Granted on {date}",
    not_granted="Not granted yet",
    intervention_status={
        InterventionStatus.NOT_STARTED: "Not started yet",
        InterventionStatus.SCHEDULED: "Scheduled",
        InterventionStatus.IN_PROGRESS: "Under way",
        InterventionStatus.ON_HOLD: "Paused",
        InterventionStatus.COMPLETED: "Finished",
        InterventionStatus.STOPPED: "Stopped early",
        InterventionStatus.CANCELLED: "Cancelled",
    },
    intervention_status_dated={
        InterventionStatus.NOT_STARTED: "Not started yet",
        InterventionStatus.SCHEDULED: "Scheduled to start on {date}",
        InterventionStatus.IN_PROGRESS: "Under way since {date}",
        InterventionStatus.ON_HOLD: "Paused since {date}",
        InterventionStatus.COMPLETED: "Finished on {date}",
        InterventionStatus.STOPPED: "Stopped early on {date}",
        InterventionStatus.CANCELLED: "Cancelled",
    },
    expected_resume="Expected to resume",
    resume_unknown="Not decided yet",
    waiting_for="Waiting for",
    order="Order",
    depends={
        DependencyType.AFTER_END: "{other} must finish before this intervention can start",
        DependencyType.AFTER: "{other} must finish before this intervention can start",
        DependencyType.AFTER_START: "{other} must start before this intervention can start",
        DependencyType.BEFORE_START: "Must start before {other} starts",
        DependencyType.BEFORE: "Must take place before {other}",
        DependencyType.BEFORE_END: "Must start before {other} ends",
        DependencyType.CONCURRENT_WITH_START: "Starts at the same time as {other}",
        DependencyType.CONCURRENT: "Runs at the same time as {other}",
        DependencyType.CONCURRENT_WITH_END: "Ends at the same time as {other}",
    },
    other_intervention="another intervention",
    supports="Supports these goals",
    interventions_none="No interventions have been agreed yet.",
    heading_cancelled_interventions="Interventions that were cancelled",
    heading_meeting="Next meeting",
    next_meeting="The next coordinating meeting is on {date}.",
    no_meeting=(
        "No new meeting has been planned yet. Contact your coordinator if you would like a meeting."
    ),
    meetings_over="The plan has ended, so no more meetings are planned.",
    heading_coordinator="Your coordinator",
    coordinator_intro=(
        "Your coordinator keeps track of the whole plan and is the person to contact "
        "if you have questions."
    ),
    staff_id="staff id: {id}",
    co_coordinators="Shares the coordination with:",
    no_coordinator="No coordinator has been assigned yet.",
)

_HOUSEHOLD_DA = attrs.evolve(
    _DA,
    title="Jeres plan",
    plan_status={
        **_DA.plan_status,
        PlanStatus.REVOKED: "Afsluttet, fordi I har valgt at trække jer fra planen",
    },
    heading_wishes="Jeres ønsker og jeres mål",
    wishes_missing="Jeres ønsker er ikke skrevet ned endnu.",
    overarching_label="Jeres overordnede mål",
    heading_goals="Jeres mål",
    interventions_intro=(
        "En indsats er hjælp fra kommunen til at nå jeres mål. "
        "Her kan I se, hvem der er ansvarlig for hver indsats."
    ),
    no_meeting=(
        "Der er ikke planlagt et nyt møde endnu. "
        "Kontakt jeres koordinator, hvis I gerne vil have et møde."
    ),
    heading_coordinator="Jeres koordinator",
    coordinator_intro=(
        "Jeres koordinator har overblikket over hele planen og er den, "
        "I kan kontakte, hvis I har spørgsmål."
    ),
    no_coordinator="I har ikke fået en koordinator endnu.",
)

_PHRASES: Mapping[tuple[Language, bool], _Phrases] = {
    (Language.DA, False): _DA,
    (Language.DA, True): _HOUSEHOLD_DA,
    (Language.EN, False): _EN,
    (Language.EN, True): _EN,
}
"""The phrases by language and by whether the plan is a household's."""


# --- Markdown escaping ---------------------------------------------------------------

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>#&|~])")
"""Characters that can open or close Markdown structure anywhere in a line: code,
emphasis, links, autolinks and HTML, headings' closing ``#``, entities, tables, strikes."""
_LINE_START = re.compile(r"^(?:([-+=])|(\d{1,9})([.)]))")
"""What opens a block at the start of a line: a list item, a setext underline or an
ordered list's number (``#``, ``>``, ``*``, ``_``, fences and indents are handled inline)."""


def _md_escape(text: str) -> str:
    """Record text as one line of Markdown that renders as exactly that text: whitespace
    (line breaks too) collapsed, and the punctuation that could make structure escaped."""
    line = _INLINE_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", line)


def _md_quote(text: str) -> tuple[str, ...]:
    """Record text as the lines of a Markdown block quote, keeping its paragraphs."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = _md_escape(raw)
        if line:
            lines.append(f"> {line}")
        elif lines and lines[-1] != ">":
            lines.append(">")
    while lines and lines[-1] == ">":
        lines.pop()
    return tuple(lines)


# --- what the template is given ------------------------------------------------------


@attrs.frozen
class _Field:
    label: str
    value: str


@attrs.frozen
class _Wishes:
    intro: str
    quote: tuple[str, ...]


@attrs.frozen
class _Goal:
    heading: str
    level: str
    fields: tuple[_Field, ...]


@attrs.frozen
class _Intervention:
    heading: str
    fields: tuple[_Field, ...]
    supports: tuple[str, ...]


@attrs.frozen
class _Document:
    title: str
    title_text: str
    as_of: str
    status: str
    hold_reason: str
    wishes: tuple[_Wishes, ...]
    overarching: str
    goals: tuple[_Goal, ...]
    cancelled_goals: tuple[str, ...]
    interventions: tuple[_Intervention, ...]
    cancelled_interventions: tuple[str, ...]
    meeting: str
    coordinator: str
    co_coordinators: tuple[str, ...]


# --- rendering -----------------------------------------------------------------------


def render_citizen_plan(
    plan: PlanState,
    citizens: Mapping[UUID, CitizenState],
    *,
    language: Language = Language.DA,
    format: DocumentFormat = DocumentFormat.MARKDOWN,
    as_of: datetime,
) -> str:
    """The plan as the citizen receives it (*borgerens plan*), as it stood at ``as_of``.

    ``plan`` must already be folded as of ``as_of``; ``as_of`` is the moment printed on
    the document. ``citizens`` holds at least the plan's citizens (for their names).
    """
    if as_of.tzinfo is None:
        raise EffectiveTimeInvalid.because(
            "render_citizen_plan", "as_of must carry a time zone", field="as_of"
        )
    if plan.opened_at is None or as_of < plan.opened_at:
        raise PlanNotFound(plan.plan_id)
    language, format = Language(language), DocumentFormat(format)
    names: dict[UUID, str] = {}
    for citizen_id in plan.citizen_ids:
        citizen = citizens.get(citizen_id)
        if citizen is None or not citizen.name:
            raise CitizenNotFound(citizen_id)
        names[citizen_id] = citizen.name
    phrases = _PHRASES[language, len(plan.citizen_ids) > 1]
    document = _Builder(plan, names, phrases, as_of).document()
    markdown = _environment().get_template("citizen_plan.md.j2").render(doc=document, t=phrases)
    if format is DocumentFormat.MARKDOWN:
        return markdown
    return _html_page(markdown, title=document.title_text, language=language)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("oneplan.projections", "templates"),
        autoescape=False,  # Markdown, not HTML: record text is escaped by _md_escape
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


def _html_page(markdown: str, *, title: str, language: Language) -> str:
    body = _markdown().render(markdown)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{language.value}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        "</head>\n"
        "<body>\n"
        f"{body}"
        "</body>\n"
        "</html>\n"
    )


class _Builder:
    """Turns the plan's state into the document's parts, escaped and in plain words."""

    def __init__(
        self, plan: PlanState, names: Mapping[UUID, str], t: _Phrases, as_of: datetime
    ) -> None:
        self.plan = plan
        self.names = names
        self.t = t
        self.as_of = as_of
        self.household = len(plan.citizen_ids) > 1
        self.goal_labels: dict[UUID, str] = {}

    def document(self) -> _Document:
        plan, t = self.plan, self.t
        names = [self.names[c] for c in plan.citizen_ids]
        title_text = f"{t.title} {_DASH} {self._join(names)}"
        goals = self._goals()  # first: interventions name the goals they support by number
        return _Document(
            title=f"{t.title} {_DASH} {self._join([_md_escape(n) for n in names])}",
            title_text=title_text,
            as_of=t.as_of.format(date=self._date(self.as_of)),
            status=t.plan_status[plan.status],
            hold_reason=(
                _md_escape(plan.hold_reason)
                if plan.status is PlanStatus.ON_HOLD and plan.hold_reason
                else ""
            ),
            wishes=self._wishes(),
            overarching=self._overarching(plan.overarching_goal),
            goals=goals,
            cancelled_goals=tuple(
                _md_escape(g.description)
                for g in plan.goals.values()
                if g.status is GoalStatus.CANCELLED
            ),
            interventions=tuple(
                self._intervention(i)
                for i in plan.interventions.values()
                if i.status is not InterventionStatus.CANCELLED
            ),
            cancelled_interventions=tuple(
                _md_escape(i.title)
                for i in plan.interventions.values()
                if i.status is InterventionStatus.CANCELLED
            ),
            meeting=self._meeting(),
            coordinator=self._coordinator(),
            co_coordinators=tuple(self._person(a, contact=True) for a in plan.co_coordinators()),
        )

    # -- words and dates --

    def _join(self, parts: list[str]) -> str:
        if len(parts) <= 1:
            return "".join(parts)
        return f"{', '.join(parts[:-1])} {self.t.and_} {parts[-1]}"

    def _date(self, day: date | datetime) -> str:
        if isinstance(day, datetime):
            day = day.astimezone(_municipal_time()).date()
        return format_date(day, format="long", locale=self.t.locale)

    def _quoted(self, markdown: str) -> str:
        left, right = self.t.quotes
        return f"{left}{markdown}{right}"

    # -- wishes and the overarching goal --

    def _wishes(self) -> tuple[_Wishes, ...]:
        t, wishes = self.t, self.plan.wishes
        if not self.household:
            quote = _md_quote("".join(wishes.get(c, "") for c in self.plan.citizen_ids))
            return (_Wishes(t.wishes_own, quote) if quote else _Wishes(t.wishes_missing, ()),)
        parts: list[_Wishes] = []
        for citizen_id in self.plan.citizen_ids:
            name = _md_escape(self.names[citizen_id])
            quote = _md_quote(wishes.get(citizen_id, ""))
            if quote:
                parts.append(_Wishes(t.wishes_named.format(name=name), quote))
            else:
                parts.append(_Wishes(t.wishes_missing_named.format(name=name), ()))
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

    def _goals(self) -> tuple[_Goal, ...]:
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
    ) -> Iterator[_Goal]:
        for number, goal in enumerate(children.get(parent, ()), start=1):
            label = f"{prefix}{number}"
            kind = self.t.goal if depth == 0 else self.t.sub_goal
            self.goal_labels[goal.goal_id] = f"{kind} {label}"
            yield _Goal(
                heading=f"{kind} {label}: {_md_escape(goal.description)}",
                level="#" * min(3 + depth, 6),
                fields=self._goal_fields(goal),
            )
            yield from self._goal_tree(children, goal.goal_id, prefix=f"{label}.", depth=depth + 1)

    def _goal_fields(self, goal: GoalItem) -> tuple[_Field, ...]:
        t = self.t
        fields: list[_Field] = []
        if goal.due is not None:
            fields.append(_Field(t.due, self._date(goal.due)))
        if goal.target is not None:
            target = _md_escape(goal.target.measure)
            if goal.target.value is not None:
                amount = format_decimal(goal.target.value, locale=t.locale)
                unit = _md_escape(goal.target.unit)
                target = f"{target}: {amount} {unit}".rstrip()
            fields.append(_Field(t.target, target))
        fields.append(_Field(t.status, t.goal_status[goal.status]))
        if goal.achievement is not None:
            fields.append(_Field(t.achievement_label, t.achievement[goal.achievement]))
        if goal.achieved_at is not None:
            fields.append(_Field(t.achieved_on, self._date(goal.achieved_at)))
        return tuple(fields)

    # -- interventions --

    def _intervention(self, item: InterventionItem) -> _Intervention:
        t = self.t
        fields: list[_Field] = []
        if self.household:
            fields.append(_Field(t.for_citizen, _md_escape(self.names[item.citizen_id])))
        fields.append(_Field(t.provided_by, t.sector[item.sector]))
        basis = f"{_md_escape(str(item.legal_basis))} ({t.law[item.legal_basis.law]})"
        fields.append(_Field(t.legal_basis, basis))
        fields.append(_Field(t.responsible, self._person(item.responsible)))
        fields.append(_Field(t.period, self._period(item)))
        granted = (
            t.granted_on.format(date=self._date(item.granted_at))
            if item.granted_at is not None
            else t.not_granted
        )
        fields.append(_Field(t.decision, granted))
        fields.append(_Field(t.status, self._status(item)))
        if item.status is InterventionStatus.ON_HOLD:
            if item.pause_reason:
                fields.append(_Field(t.why, _md_escape(item.pause_reason)))
            resume = (
                self._date(item.expected_resume)
                if item.expected_resume is not None
                else t.resume_unknown
            )
            fields.append(_Field(t.expected_resume, resume))
        if not item.status.has_started and not item.status.is_finished:
            fields.extend(self._dependencies(item))
        supports = tuple(
            f"{self.goal_labels[g]}: {_md_escape(self.plan.goals[g].description)}"
            for g in item.goal_ids
            if g in self.goal_labels
        )
        return _Intervention(
            heading=_md_escape(item.title), fields=tuple(fields), supports=supports
        )

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

    def _dependencies(self, item: InterventionItem) -> Iterator[_Field]:
        """What the intervention waits for, or must keep time with, while not started."""
        t = self.t
        for other_id, relation in item.waits_for:
            other = self.plan.interventions.get(other_id)
            if other is not None and other.status is InterventionStatus.CANCELLED:
                continue
            if other is not None and relation in _WAITING and relation.allows_start(other.status):
                continue
            name = t.other_intervention if other is None else self._quoted(_md_escape(other.title))
            sentence = t.depends[relation].format(other=name)
            label = t.waiting_for if relation in _WAITING else t.order
            yield _Field(label, sentence[:1].upper() + sentence[1:])

    # -- meeting and coordinator --

    def _meeting(self) -> str:
        plan, t = self.plan, self.t
        if plan.status.is_closed:
            return t.meetings_over
        next_meeting = plan.next_meeting
        today = self.as_of.astimezone(_municipal_time()).date()
        if next_meeting is None or next_meeting < today:
            return t.no_meeting
        return t.next_meeting.format(date=self._date(next_meeting))

    def _coordinator(self) -> str:
        if self.plan.coordinator is None:
            return ""
        return self._person(self.plan.coordinator, contact=True)

    def _person(self, actor: Actor, *, contact: bool = False) -> str:
        """A caseworker in plain words: name (the id when there is none) and sector; as a
        contact, the name in bold and the id too."""
        name = _md_escape(actor.name or actor.id)
        text = f"**{name}**" if contact else name
        if actor.sector is not None:
            text += f", {self.t.sector[actor.sector]}"
        if contact and actor.name:
            text += f" ({self.t.staff_id.format(id=_md_escape(actor.id))})"
        return text


_WAITING = frozenset({DependencyType.AFTER_END, DependencyType.AFTER, DependencyType.AFTER_START})
"""The relations that hold an intervention back until the other has ended or started."""


@cache
def _municipal_time() -> ZoneInfo:
    return ZoneInfo(_MUNICIPAL_TIME)
