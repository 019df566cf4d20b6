"""Retention: how long a closed case file is kept, by legal area, before it must be
destroyed (*kassation*), and which citizen and retention class each stream belongs to.

A citizen's case files are their coordinated plans (each with its interventions) and
their own sector plans (*handleplaner*) that hold interventions outside any coordinated
plan (each with those interventions). Periods are counted in whole calendar years from
the end of the year in which the case file was closed: a plan closed in 2026 with a
period of 5 years is due on 1 January 2032.
(The Danish Ombudsman, FOB 2008-08.399: a case file's age counts from the year it was
closed, and it may be destroyed only when no legal or administrative need remains, in
the light of the limitation periods of 3, 5, 10 or 20 years.) The defaults below are
**assumptions to be confirmed by each municipality's archive** (its *arkivansvarlige*
and the Rigsarkivet's rules on *bevaring og kassation*); every one is configurable.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Self
from uuid import UUID

import attrs

from oneplan.aggregates.access import AccessRecord
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.errors import InvalidInput
from oneplan.values import Law, LegalBasis, SectorPlanRef

__all__ = [
    "DEFAULT_PERIODS",
    "LAW_CLASSES",
    "CaseFile",
    "RetentionClass",
    "RetentionDue",
    "RetentionPolicy",
    "StreamOwner",
    "classes_of",
    "retention_ends",
    "stream_owner",
]


class RetentionClass(StrEnum):
    """A retention class: the legal area a case file belongs to (or the citizen's own
    record), each with its own retention period and its own data keys."""

    CITIZEN = "citizen"
    """The citizen's own record: name, CPR number, consents, sanctions."""
    EMPLOYMENT = "employment"
    SOCIAL = "social"
    CHILDREN_AND_FAMILY = "children-and-family"
    HEALTH = "health"
    EDUCATION = "education"
    HOUSING = "housing"
    ADMINISTRATION = "administration"
    """Procedure only (RSL, FVL)."""


LAW_CLASSES: Mapping[Law, RetentionClass] = {
    Law.LAB: RetentionClass.EMPLOYMENT,
    Law.LAS: RetentionClass.EMPLOYMENT,
    Law.SEL: RetentionClass.SOCIAL,
    Law.BL: RetentionClass.CHILDREN_AND_FAMILY,
    Law.SUL: RetentionClass.HEALTH,
    Law.STU: RetentionClass.EDUCATION,
    Law.FGU: RetentionClass.EDUCATION,
    Law.ABL: RetentionClass.HOUSING,
    Law.RSL: RetentionClass.ADMINISTRATION,
    Law.FVL: RetentionClass.ADMINISTRATION,
}
"""The retention class of a case file made under each law."""

DEFAULT_PERIODS: Mapping[RetentionClass, int] = {
    RetentionClass.CITIZEN: 5,
    RetentionClass.EMPLOYMENT: 5,
    RetentionClass.SOCIAL: 5,
    RetentionClass.CHILDREN_AND_FAMILY: 20,
    RetentionClass.HEALTH: 10,
    RetentionClass.EDUCATION: 5,
    RetentionClass.HOUSING: 5,
    RetentionClass.ADMINISTRATION: 5,
}
"""Years after the year of closing (docs/privacy.md says where each comes from; all are
assumptions to confirm locally). Children's cases: 20 years, the longest limitation
period, since the Rigsarkivet has every municipal children's case kept for the archive;
health: 10 years, as patient records; the rest: 5 years, the usual limitation period."""


def _parse_periods(text: str) -> dict[RetentionClass, int]:
    periods: dict[RetentionClass, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, years = part.partition("=")
        try:
            retention_class = RetentionClass(name.strip())
            value = int(years)
        except ValueError:
            value = -1
            retention_class = RetentionClass.CITIZEN
        if not sep or value < 0:
            raise InvalidInput(
                "RetentionPolicy",
                [
                    {
                        "loc": ("ONEPLAN_RETENTION_YEARS",),
                        "msg": f"expected CLASS=YEARS, not {part!r}",
                    }
                ],
            )
        periods[retention_class] = value
    return periods


def _with_defaults(periods: Mapping[RetentionClass, int]) -> dict[RetentionClass, int]:
    return {**DEFAULT_PERIODS, **{RetentionClass(k): int(v) for k, v in periods.items()}}


@attrs.frozen
class RetentionPolicy:
    """How many years after the year of closing each retention class is kept (the
    defaults for the classes not given)."""

    periods: Mapping[RetentionClass, int] = attrs.field(factory=dict, converter=_with_defaults)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """The defaults, with ``ONEPLAN_RETENTION_YEARS`` (``social=10,health=10``) over them."""
        env = os.environ if environ is None else environ
        return cls(_parse_periods(env.get("ONEPLAN_RETENTION_YEARS", "")))

    def years(self, classes: Iterable[RetentionClass]) -> int:
        """The longest period of ``classes`` (a file under several laws is kept for the
        longest of them)."""
        return max((self.periods[c] for c in classes), default=self.periods[RetentionClass.CITIZEN])

    def due(self, closed_at: datetime | date, classes: Iterable[RetentionClass]) -> date:
        """The day a file closed at ``closed_at`` in ``classes`` may be destroyed."""
        closed = closed_at.date() if isinstance(closed_at, datetime) else closed_at
        return date(closed.year + self.years(classes) + 1, 1, 1)


def classes_of(legal_bases: Iterable[LegalBasis]) -> tuple[RetentionClass, ...]:
    """The retention classes of a file made under ``legal_bases``."""
    return tuple(dict.fromkeys(LAW_CLASSES[b.law] for b in legal_bases))


@attrs.frozen
class StreamOwner:
    """Whose data key seals a stream's personal fields: a citizen, or for a household
    plan the household (the plan id), in a retention class."""

    subject: UUID
    retention_class: RetentionClass


def stream_owner(event: Any) -> StreamOwner | None:
    """The owner a stream's first event names (None: not a stream's first event).

    - a citizen's record: the citizen, class ``citizen``;
    - an intervention (of a plan or under a sector plan): its citizen, the class of its
      legal basis;
    - a plan: its citizen, or for a household plan the household (the plan id), in the
      class of the plan's first legal basis.
    """
    if isinstance(event, Citizen.Registered):
        return StreamOwner(event.originator_id, RetentionClass.CITIZEN)
    if isinstance(event, Intervention.Proposed | Intervention.ProposedUnderSectorPlan):
        return StreamOwner(event.citizen_id, LAW_CLASSES[event.legal_basis.law])
    if isinstance(event, AccessRecord.Disclosed) and event.citizen_ids:
        return StreamOwner(event.citizen_ids[0], RetentionClass.CITIZEN)
    if isinstance(event, Plan.Opened):
        subject = event.citizen_ids[0] if len(event.citizen_ids) == 1 else event.originator_id
        return StreamOwner(subject, LAW_CLASSES[event.legal_bases[0].law])
    return None


@attrs.frozen
class CaseFile:
    """A citizen's case file as retention sees it: a coordinated plan (``plan_id``) with
    its interventions, or one of the citizen's own sector plans (``sector_plan``) with
    the interventions held under it (``intervention_ids``); when it closed (None: open),
    the legal bases of it and its interventions, and whether the archive has it.

    A sector plan's case file is closed when every intervention in it has finished
    (completed, stopped or cancelled), at the latest finish."""

    plan_id: UUID | None
    """The coordinated plan; None for a sector plan's case file."""
    closed_at: datetime | None
    legal_bases: tuple[LegalBasis, ...]
    archived: bool
    sector_plan: SectorPlanRef | None = None
    """The citizen's own sector plan; None for a coordinated plan's case file."""
    intervention_ids: tuple[UUID, ...] = ()
    """A sector plan's interventions (a plan's are not listed here)."""
    running: tuple[UUID, ...] = ()
    """A sector plan's interventions that have not finished (the file is open)."""

    def __attrs_post_init__(self) -> None:
        if (self.plan_id is None) == (self.sector_plan is None):
            raise ValueError("a case file is a plan's or a sector plan's, not both or neither")

    @property
    def label(self) -> str:
        """The case file in words: ``plan <id>`` or ``sector plan social:SEL § 141``."""
        return f"plan {self.plan_id}" if self.plan_id else f"sector plan {self.sector_plan}"


@attrs.frozen
class RetentionDue:
    """A citizen whose retention has ended: since when, their case files (coordinated
    plans and sector plans), and which of them still wait for delivery to the public
    archive."""

    citizen_id: UUID
    due: date
    plan_ids: tuple[UUID, ...]
    """The coordinated plans among their case files."""
    awaiting_archive: tuple[UUID, ...]
    """The coordinated plans not yet delivered to the archive."""
    sector_plans: tuple[SectorPlanRef, ...] = ()
    """Their own sector plans among their case files."""
    sector_plans_awaiting_archive: tuple[SectorPlanRef, ...] = ()
    """The sector plans not yet delivered to the archive."""

    @property
    def ready(self) -> bool:
        """Erasable without a legal basis: every case file is in the archive."""
        return not self.awaiting_archive and not self.sector_plans_awaiting_archive

    @classmethod
    def of(cls, citizen_id: UUID, due: date, files: Iterable[CaseFile]) -> RetentionDue:
        """The listing of ``citizen_id``'s ``files``, due since ``due``."""
        files = list(files)
        plans = [f for f in files if f.plan_id is not None]
        sector_plans = [f for f in files if f.sector_plan is not None]
        return cls(
            citizen_id=citizen_id,
            due=due,
            plan_ids=tuple(f.plan_id for f in plans if f.plan_id),
            awaiting_archive=tuple(f.plan_id for f in plans if f.plan_id and not f.archived),
            sector_plans=tuple(f.sector_plan for f in sector_plans if f.sector_plan),
            sector_plans_awaiting_archive=tuple(
                f.sector_plan for f in sector_plans if f.sector_plan and not f.archived
            ),
        )


def retention_ends(
    files: Iterable[CaseFile], policy: RetentionPolicy, *, registered_at: datetime
) -> date | None:
    """The day a citizen's retention ends: the latest due day of their case files, each
    counted from its closing with the longest period of its legal areas (from their
    registration, in the ``citizen`` class, when they have none). None while a file is
    open."""
    files = list(files)
    if any(f.closed_at is None for f in files):
        return None
    if not files:
        return policy.due(registered_at, [RetentionClass.CITIZEN])
    return max(policy.due(f.closed_at, classes_of(f.legal_bases)) for f in files if f.closed_at)
