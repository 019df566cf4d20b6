"""The metrics effect studies need, computed from the event log by effective time.

``evaluate(events, as_of=None)`` folds any iterable of oneplan events (``app.all_events()``,
or a copy of the log) into one ``CitizenMetrics`` row per citizen, plus the facts the
cohort tables and plots are drawn from. Only the log's structure is read: ids,
statuses, effective times, sectors, legal bases, amounts and actors. Names, birth dates,
wishes, notes, reasons, titles and goal descriptions are never read, so erased or
encrypted personal fields change nothing. Each metric's exact definition is on its field
below and in ``docs/evaluation.md``.

*By effective time*: every time is the event's ``effective_at`` (when it happened in the
citizen's course), not when it was recorded, and ``as_of`` leaves out whatever took
effect after it. The result does not depend on the order events arrive in, as long as
each stream's own events keep their order.
"""

from __future__ import annotations

import gc
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import chain
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs

from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.values import (
    AchievementStatus,
    Actor,
    ActorKind,
    BudgetArea,
    Law,
    MeetingAttendee,
    PlanOutcome,
    Sector,
)

if TYPE_CHECKING:
    from oneplan.evaluation.pseudonyms import Pseudonymiser

__all__ = [
    "AGE_BANDS",
    "CitizenMetrics",
    "CostMonth",
    "Evaluation",
    "FirstStart",
    "GoalRecord",
    "InterventionSpell",
    "OutcomeRecord",
    "PlanSpell",
    "age_band",
    "entry_cohort",
    "evaluate",
    "month_of",
    "spread_by_month",
]

DAY = 86_400.0
CENT = Decimal("0.01")


def month_of(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def spread_by_month(amount: Decimal, first: date, last: date | None) -> list[tuple[date, Decimal]]:
    """``amount`` spread evenly over the days from ``first`` to ``last`` (inclusive),
    summed per calendar month, in whole øre; the shares add up to ``amount`` exactly
    (each month gets the rounded cumulative share less the months before it, the
    cumulative share rounded half to even). A period without an end is booked on its
    first day."""
    if last is None or last <= first:
        return [(month_of(first), amount)]
    oere = amount.scaleb(2)
    if amount.is_signed() or oere != oere.to_integral_value():
        return _spread_by_month_in_decimals(amount, first, last)
    # in whole øre, as integers: the same shares, without a Decimal division per month
    whole, start, end = int(oere), first.toordinal(), last.toordinal()
    total_days = end - start + 1
    out: list[tuple[date, Decimal]] = []
    booked, year, month = 0, first.year, first.month
    while True:
        following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        to_day = min(end, following.toordinal() - 1)
        cumulative = _half_even(whole * (to_day - start + 1), total_days)
        out.append((date(year, month, 1), Decimal(cumulative - booked).scaleb(-2)))
        if to_day == end:
            return out
        booked, year, month = cumulative, following.year, following.month


def _half_even(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` (denominator > 0) rounded to an integer, half to even."""
    quotient, remainder = divmod(numerator, denominator)
    if 2 * remainder > denominator or (2 * remainder == denominator and quotient % 2):
        quotient += 1
    return quotient


def _spread_by_month_in_decimals(
    amount: Decimal, first: date, last: date
) -> list[tuple[date, Decimal]]:
    """``spread_by_month`` in Decimal arithmetic: for an amount below zero or not in
    whole øre (its signed zeros and digits kept as Decimal keeps them)."""
    total_days = (last - first).days + 1
    out: list[tuple[date, Decimal]] = []
    done_days, booked = 0, Decimal(0)
    month = month_of(first)
    while month <= last:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        from_day = max(first, month)
        to_day = min(last, following.fromordinal(following.toordinal() - 1))
        done_days += (to_day - from_day).days + 1
        cumulative = (amount * done_days / total_days).quantize(CENT, rounding=ROUND_HALF_EVEN)
        out.append((month, cumulative - booked))
        booked = cumulative
        month = following
    return out


AGE_BANDS = ((0, "0-17"), (18, "18-24"), (25, "25-29"), (30, "30-39"), (40, "40-49"),
             (50, "50-59"), (60, "60+"))  # fmt: skip
"""Age bands at entry: (lowest age, label). 30 is where kontanthjælp's rates change."""

UNKNOWN_AGE = "unknown"
WORK_OR_EDUCATION = frozenset({PlanOutcome.WORK, PlanOutcome.EDUCATION})


def age_band(birth_date: date | None, on: date) -> str:
    """The age band (``AGE_BANDS``) of someone born on ``birth_date`` on the day ``on``;
    ``unknown`` without a birth date (erased, or never given)."""
    if birth_date is None:
        return UNKNOWN_AGE
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    return [label for lowest, label in AGE_BANDS if age >= lowest][-1] if age >= 0 else "0-17"


def entry_cohort(entry: date) -> str:
    """The half-year a citizen entered in, such as ``2023-H2``."""
    return f"{entry.year}-H{1 if entry.month <= 6 else 2}"


# --- results -------------------------------------------------------------------------


@attrs.frozen
class FirstStart:
    """The first intervention under one legal basis to start for a citizen."""

    citizen_id: UUID
    legal_basis: str
    sector: Sector
    days: float
    """Days from the course's start (see ``CitizenMetrics.course_start``) to its start."""


@attrs.frozen
class CostMonth:
    """What was spent on (service) or paid to (transfers) a citizen in one month, by sector."""

    citizen_id: UUID
    month: date
    sector: Sector
    budget_area: BudgetArea
    amount: Decimal


@attrs.frozen
class GoalRecord:
    """A goal or sub-goal of a plan the citizen is in."""

    citizen_id: UUID
    plan_id: UUID
    goal_id: UUID
    is_sub_goal: bool
    set_at: datetime
    achieved_at: datetime | None
    finished_at: datetime | None


@attrs.frozen
class PlanSpell:
    """A time the citizen's course was held in a coordinated plan: from joining it to
    leaving it (completed, withdrawn, entered in error), or still in it (``left_at`` None)."""

    citizen_id: UUID
    joined_at: datetime
    left_at: datetime | None


@attrs.frozen
class InterventionSpell:
    """An intervention of the citizen's that started: from its start to its end
    (completed or stopped), or still running (``ended_at`` None)."""

    citizen_id: UUID
    sector: Sector
    legal_basis: str
    started_at: datetime
    ended_at: datetime | None


@attrs.frozen
class OutcomeRecord:
    """A follow-up of the citizen's course (``Citizen.OutcomeRecorded``)."""

    citizen_id: UUID
    recorded_at: datetime
    outcome: PlanOutcome


@attrs.frozen
class CitizenMetrics:
    """One citizen's metrics, as of the evaluation's horizon."""

    citizen_id: UUID
    cohort: str
    """``plan`` if the citizen was ever in a coordinated plan, else ``comparison`` (their
    efforts are held under the sectors' own plans)."""
    household: bool
    """In a plan for more than one citizen (a family plan)."""
    registered_at: datetime
    """Entry: when the citizen was registered (``Citizen.Registered``), the same origin
    for both cohorts (the time-to-event analyses count from it)."""
    course_start: datetime
    """When the first coordinated plan was opened for the citizen (plan cohort), or when
    the citizen was registered (comparison cohort)."""
    months_observed: int
    """Calendar months from the course's start to the horizon, both included."""
    caseworkers: int
    """Distinct caseworkers met (as the journey view counts them): acted on the citizen's
    record, responsible for one of their interventions, coordinator (either side of a
    hand-over), participant in their plan, or attendee of a meeting on it."""
    contact_points: int
    """Distinct case areas, (sector, law), under which the citizen had an intervention or
    a benefit (*kontaktpunkter til kommunen*)."""
    sectors: int
    """Distinct sectors of the caseworkers met."""
    coordinator_changes: int
    """Coordinator hand-overs on the citizen's plans."""
    interventions: int
    """Interventions proposed for the citizen."""
    interventions_started: int
    days_to_first_intervention: float | None
    """Days from the course's start to the first of the citizen's interventions to start
    (None: none started yet)."""
    goals_set: int
    """Goals and sub-goals set in the citizen's plans (None-like 0 for comparison)."""
    goals_achieved: int
    """Of those, achieved (completed as achieved, or progress recorded as achieved)."""
    median_days_to_achievement: float | None
    paused_share: float | None
    """Time the citizen's started interventions spent paused, over the time they ran
    (from start to end, or to the horizon); None when none has started."""
    service_cost: Decimal
    """Actual costs booked to the service budget area for the citizen's interventions,
    for months up to the horizon."""
    transfers: Decimal
    """Benefits paid to the citizen (transfers budget area), for months up to the horizon."""
    outcome: PlanOutcome | None
    """The outcome recorded at the citizen's latest follow-up (None: not followed up)."""
    plan_outcome: PlanOutcome | None
    """The outcome of the citizen's last completed plan (None: none completed)."""
    withdrew: bool
    """The citizen's plan was withdrawn by the citizen."""
    age_band: str = UNKNOWN_AGE
    """Age band at entry (``AGE_BANDS``), from the birth date; ``unknown`` once erased."""
    benefit_at_start: str | None = None
    """The legal basis of the benefit paid for the day of entry (or the first paid within
    31 days of it), such as ``LAS § 11``; None: no benefit at entry."""
    benefit_monthly_at_start: Decimal | None = None
    """That benefit's amount per month (its amount over its period's days, times
    30.4375): the rate the citizen entered on, in DKK."""
    outcome_at: datetime | None = None
    """When the latest follow-up (``outcome``) was recorded."""
    work_or_education_at: datetime | None = None
    """The first follow-up that recorded work or education (the event the cumulative
    incidence counts); None: none by the horizon."""

    @property
    def entry_cohort(self) -> str:
        """The half-year of entry (``2023-H2``)."""
        return entry_cohort(self.registered_at.date())


@attrs.frozen
class Evaluation:
    """Everything computed from one log: per-citizen metrics and the facts behind them."""

    horizon: datetime
    citizens: tuple[CitizenMetrics, ...]
    first_starts: tuple[FirstStart, ...]
    costs: tuple[CostMonth, ...]
    goals: tuple[GoalRecord, ...]
    caseworkers_met: dict[UUID, tuple[datetime, ...]]
    """When each citizen met each of their caseworkers (first met, sorted)."""
    events: int
    plan_spells: tuple[PlanSpell, ...] = ()
    intervention_spells: tuple[InterventionSpell, ...] = ()
    outcomes: tuple[OutcomeRecord, ...] = ()
    """Every follow-up, in order of the citizens and then of time."""
    benefits: tuple[CostMonth, ...] = ()
    """Benefits paid (``Citizen.BenefitPaid``) by month: part of ``costs`` (transfers),
    apart from any other cost booked to transfers."""

    def citizen(self, citizen_id: UUID) -> CitizenMetrics:
        return next(c for c in self.citizens if c.citizen_id == citizen_id)

    def caseworkers_by(self, citizen_id: UUID, at: datetime) -> int:
        """How many caseworkers the citizen had met by ``at`` (never decreases)."""
        return sum(1 for first in self.caseworkers_met.get(citizen_id, ()) if first <= at)

    def tables(self, pseudonyms: Pseudonymiser, *, coarsen_dates: bool = False) -> dict[str, Any]:
        """Every table as a polars DataFrame, citizens named by ``pseudonyms``: the
        per-citizen tables and the cohort summaries (needs the ``evaluation`` extra;
        ``df.to_pandas()`` converts one, with pandas and pyarrow installed)."""
        from oneplan.evaluation.exports import cohort_tables, frames

        tables = frames(self, pseudonyms, coarsen_dates=coarsen_dates)
        return {**tables, **cohort_tables(tables)}

    def write(
        self,
        out: str | os.PathLike[str],
        pseudonyms: Pseudonymiser,
        *,
        coarsen_dates: bool = False,
        formats: Sequence[str] = ("csv", "parquet"),
        plots: bool = True,
    ) -> list[Path]:
        """Write the tables (CSV and/or Parquet), the PNG plots and ``report.md`` into
        ``out``; returns the files written (needs the ``evaluation`` extra)."""
        from oneplan.evaluation.report import write_evaluation

        return write_evaluation(
            self, Path(out), pseudonyms, coarsen_dates=coarsen_dates, formats=formats, plots=plots
        )

    def total_cost(self, budget_area: BudgetArea | None = None) -> Decimal:
        return sum(
            (c.amount for c in self.costs if budget_area is None or c.budget_area is budget_area),
            Decimal(0),
        )


# --- the fold ------------------------------------------------------------------------


class _CitizenFacts:
    __slots__ = (
        "benefits",
        "birth_date",
        "intervention_ids",
        "met",
        "outcomes",
        "plan_ids",
        "registered_at",
        "spells",
    )

    def __init__(self) -> None:
        self.registered_at: datetime | None = None
        self.birth_date: date | None = None
        self.spells: list[list[Any]] = []
        """[plan id, joined at, left at or None] per plan joined."""
        self.plan_ids: list[UUID] = []
        self.intervention_ids: list[UUID] = []
        self.met: dict[str, tuple[datetime, Sector | None]] = {}
        self.benefits: list[tuple[Sector, Law, Decimal, date, date | None, str]] = []
        """(sector, law, amount, first day, last day, legal basis) of each benefit paid."""
        self.outcomes: list[tuple[datetime, int, PlanOutcome]] = []


class _PlanFacts:
    __slots__ = ("citizen_ids", "closed", "goals", "hand_overs", "opened_at", "outcome")

    def __init__(self, opened_at: datetime, citizen_ids: tuple[UUID, ...]) -> None:
        self.opened_at = opened_at
        self.citizen_ids = citizen_ids
        self.hand_overs = 0
        self.goals: dict[UUID, list[Any]] = {}
        """goal id -> [set_at, is_sub_goal, achieved_at, finished_at]"""
        self.outcome: tuple[datetime, PlanOutcome] | None = None
        self.closed: str = ""


class _InterventionFacts:
    __slots__ = (
        "citizen_id",
        "costs",
        "ended_at",
        "intervention_id",
        "law",
        "legal_basis",
        "plan_id",
        "proposed_at",
        "sector",
        "started_at",
        "status_changes",
    )

    def __init__(self, e: Any) -> None:
        self.intervention_id: UUID = e.originator_id
        self.citizen_id: UUID = e.citizen_id
        self.plan_id: UUID | None = getattr(e, "plan_id", None)
        self.sector: Sector = e.sector if hasattr(e, "sector") else e.sector_plan.sector
        self.legal_basis = str(e.legal_basis)
        self.law = e.legal_basis.law
        self.proposed_at: datetime = e.effective_at
        self.started_at: datetime | None = None
        self.ended_at: datetime | None = None
        self.status_changes: list[tuple[datetime, int, bool]] = []
        """(effective_at, version, paused?) for each pause and resume."""
        self.costs: list[tuple[BudgetArea, Decimal, date, date | None]] = []
        """(budget area, amount, first day, last day) of each actual cost."""


class _Fold:
    def __init__(self, as_of: datetime | None) -> None:
        self.as_of = as_of
        self.citizens: dict[UUID, _CitizenFacts] = defaultdict(_CitizenFacts)
        self.plans: dict[UUID, _PlanFacts] = {}
        self.interventions: dict[UUID, _InterventionFacts] = {}
        self.latest: datetime | None = None
        self.count = 0

    def meet(
        self, citizen_ids: Iterable[UUID], people: Iterable[Actor | MeetingAttendee], at: datetime
    ) -> None:
        for person in people:
            if person.kind is not ActorKind.CASEWORKER:
                continue
            for citizen_id in citizen_ids:
                met = self.citizens[citizen_id].met
                known = met.get(person.id)
                if known is None or at < known[0]:
                    met[person.id] = (at, person.sector)

    def fold(self, event: Any) -> None:
        name = type(event).__qualname__
        handle = _STREAMS.get(name.partition(".")[0])
        if handle is None or name in RECORD_KEEPING:
            return  # reads, command receipts, the case-file index, archive delivery, erasure
        at: datetime = event.effective_at
        if self.as_of is not None and at > self.as_of:
            return
        self.count += 1
        if self.latest is None or at > self.latest:
            self.latest = at
        handle(self, event, at)

    def citizen_event(self, e: Any, at: datetime) -> None:
        facts = self.citizens[e.originator_id]
        self.meet((e.originator_id,), (e.actor,), at)
        if isinstance(e, Citizen.Registered):
            facts.registered_at = at
            facts.birth_date = e.birth_date  # (only its age band at entry is kept)
        elif isinstance(e, Citizen.JoinedPlan):
            facts.plan_ids.append(e.plan_id)
            facts.spells.append([e.plan_id, at, None])
        elif isinstance(e, Citizen.LeftPlan):
            for spell in facts.spells:
                if spell[0] == e.plan_id and spell[2] is None:
                    spell[2] = at
        elif isinstance(e, Citizen.BenefitPaid):
            facts.benefits.append(
                (
                    e.sector,
                    e.legal_basis.law,
                    e.amount.amount,
                    e.period.start,
                    e.period.end,
                    str(e.legal_basis),
                )
            )
        elif isinstance(e, Citizen.OutcomeRecorded):
            facts.outcomes.append((at, e.originator_version, e.outcome))

    def plan_event(self, e: Any, at: datetime) -> None:
        if isinstance(e, Plan.Opened):
            self.plans[e.originator_id] = _PlanFacts(at, e.citizen_ids)
        plan = self.plans.get(e.originator_id)
        if plan is None:
            return
        met: list[Actor | MeetingAttendee] = [e.actor]
        if isinstance(e, Plan.CoordinatorAssigned):
            met.append(e.coordinator)
        elif isinstance(e, Plan.CoordinatorHandedOver):
            met += (e.previous_coordinator, e.new_coordinator)
            plan.hand_overs += 1
        elif isinstance(e, Plan.ParticipantJoined):
            met.append(e.participant)
        elif isinstance(e, Plan.MeetingHeld):
            met += e.attendees
        elif isinstance(e, Plan.GoalSet):
            plan.goals[e.goal_id] = [at, e.parent_id is not None, None, None]
        elif isinstance(e, Plan.GoalProgressRecorded | Plan.GoalCompleted):
            goal = plan.goals.get(e.goal_id)
            if goal is not None and e.achievement is AchievementStatus.ACHIEVED:
                goal[2] = at if goal[2] is None else min(goal[2], at)
            if goal is not None and isinstance(e, Plan.GoalCompleted):
                goal[3] = at
        elif isinstance(e, Plan.GoalCancelled):
            goal = plan.goals.get(e.goal_id)
            if goal is not None:
                goal[3] = at
        elif isinstance(e, Plan.Completed):
            plan.outcome = (at, e.outcome)
            plan.closed = "completed"
        elif isinstance(e, Plan.WithdrawnByCitizen):
            plan.closed = "withdrawn"
        elif isinstance(e, Plan.EnteredInError):
            plan.closed = "entered-in-error"
        self.meet(plan.citizen_ids, met, at)

    def intervention_event(self, e: Any, at: datetime) -> None:
        if isinstance(e, Intervention.Proposed | Intervention.ProposedUnderSectorPlan):
            self.interventions[e.originator_id] = facts = _InterventionFacts(e)
            self.citizens[e.citizen_id].intervention_ids.append(e.originator_id)
            self.meet((e.citizen_id,), (e.actor, e.responsible), at)
            return
        facts_or_none = self.interventions.get(e.originator_id)
        if facts_or_none is None:
            return
        facts = facts_or_none
        met: list[Actor] = [e.actor]
        if isinstance(e, Intervention.Started):
            facts.started_at = at
        elif isinstance(e, Intervention.Paused):
            facts.status_changes.append((at, e.originator_version, True))
        elif isinstance(e, Intervention.Resumed):
            facts.status_changes.append((at, e.originator_version, False))
        elif isinstance(e, Intervention.Completed | Intervention.Stopped | Intervention.Cancelled):
            facts.ended_at = at
        elif isinstance(e, Intervention.ActualCostRecorded):
            facts.costs.append((e.budget_area, e.amount.amount, e.period.start, e.period.end))
        elif isinstance(e, Intervention.ResponsibleReassigned):
            met.append(e.new_responsible)
        self.meet((facts.citizen_id,), met, at)

    # --- the metrics ---------------------------------------------------------------

    def result(self) -> Evaluation:
        """Every citizen's metrics and facts, in the order of their course's start (then
        id): each citizen's facts are made and ordered on their own, then laid end to end
        in that order, so the work per citizen does not grow with the municipality (no
        sort over every cost month, goal or spell of everyone)."""
        horizon = self.as_of or self.latest or datetime.min
        horizon_month = month_of(horizon.date())
        parts: list[_CitizenResult] = []
        met_times: dict[UUID, tuple[datetime, ...]] = {}
        for citizen_id, c in self.citizens.items():
            if c.registered_at is None:
                continue  # a stream we saw only part of (as_of before its registration)
            met_times[citizen_id] = tuple(sorted(t for t, _ in c.met.values()))
            parts.append(self.citizen_result(citizen_id, c, horizon, horizon_month))
        # (the same order whatever the order the streams arrived in)
        parts.sort(key=lambda part: (part.row.course_start, str(part.row.citizen_id)))
        return Evaluation(
            horizon=horizon,
            citizens=tuple(part.row for part in parts),
            first_starts=tuple(chain.from_iterable(part.firsts for part in parts)),
            costs=tuple(chain.from_iterable(part.costs for part in parts)),
            goals=tuple(chain.from_iterable(part.goals for part in parts)),
            caseworkers_met=met_times,
            events=self.count,
            plan_spells=tuple(chain.from_iterable(part.plan_spells for part in parts)),
            intervention_spells=tuple(chain.from_iterable(part.spells for part in parts)),
            outcomes=tuple(chain.from_iterable(part.outcomes for part in parts)),
            benefits=tuple(chain.from_iterable(part.benefits for part in parts)),
        )

    def citizen_result(
        self, citizen_id: UUID, c: _CitizenFacts, horizon: datetime, horizon_month: date
    ) -> _CitizenResult:
        """One citizen's metrics row and facts, each list in its order within the citizen."""
        assert c.registered_at is not None
        plans = [self.plans[p] for p in c.plan_ids if p in self.plans]
        course_start = min((p.opened_at for p in plans), default=c.registered_at)
        interventions = sorted(
            (self.interventions[i] for i in c.intervention_ids),
            key=lambda i: (i.proposed_at, str(i.intervention_id)),
        )  # (sums of floats are then the same whatever order the streams arrived in)
        started = [i for i in interventions if i.started_at is not None]
        first_by_basis: dict[str, _InterventionFacts] = {}
        for i in sorted(started, key=lambda i: (i.started_at, i.legal_basis)):
            first_by_basis.setdefault(i.legal_basis, i)
        firsts = []
        for basis, i in sorted(first_by_basis.items()):
            assert i.started_at is not None
            firsts.append(
                FirstStart(citizen_id, basis, i.sector, _days(i.started_at - course_start))
            )
        first_start = min((i.started_at for i in started if i.started_at), default=None)
        running = paused = 0.0
        for i in started:
            assert i.started_at is not None
            end = i.ended_at or horizon
            running += max(0.0, (end - i.started_at).total_seconds())
            paused += _paused_seconds(i, end)
        benefit_totals = self.benefit_totals(c, horizon_month)
        citizen_costs = self.cost_months(citizen_id, interventions, benefit_totals, horizon_month)
        followed = sorted(c.outcomes)
        into = next((at for at, _, o in followed if o in WORK_OR_EDUCATION), None)
        benefit, monthly = _benefit_at_start(c)
        plan_goals = sorted(
            (
                GoalRecord(citizen_id, plan_id, goal_id, g[1], g[0], g[2], g[3])
                for plan_id in c.plan_ids
                if plan_id in self.plans
                for goal_id, g in self.plans[plan_id].goals.items()
            ),
            key=lambda g: (g.set_at, str(g.goal_id)),
        )
        achieved = [g for g in plan_goals if g.achieved_at is not None]
        completed = [p.outcome for p in plans if p.outcome is not None]
        outcome = max(c.outcomes)[2] if c.outcomes else None
        row = CitizenMetrics(
            citizen_id=citizen_id,
            cohort="plan" if c.plan_ids else "comparison",
            household=any(len(p.citizen_ids) > 1 for p in plans),
            registered_at=c.registered_at,
            course_start=course_start,
            months_observed=_months_between(month_of(course_start.date()), horizon_month),
            caseworkers=len(c.met),
            contact_points=len(
                {(i.sector, i.law) for i in interventions}
                | {(sector, law) for sector, law, *_ in c.benefits}
            ),
            sectors=len({s for _, s in c.met.values() if s is not None}),
            coordinator_changes=sum(p.hand_overs for p in plans),
            interventions=len(interventions),
            interventions_started=len(started),
            days_to_first_intervention=(_days(first_start - course_start) if first_start else None),
            goals_set=len(plan_goals),
            goals_achieved=len(achieved),
            median_days_to_achievement=(
                median(_days(g.achieved_at - g.set_at) for g in achieved if g.achieved_at)
                if achieved
                else None
            ),
            paused_share=(paused / running) if running > 0 else None,
            service_cost=sum(
                (m.amount for m in citizen_costs if m.budget_area is BudgetArea.SERVICE),
                Decimal(0),
            ),
            transfers=sum(
                (m.amount for m in citizen_costs if m.budget_area is BudgetArea.TRANSFERS),
                Decimal(0),
            ),
            outcome=outcome,
            plan_outcome=max(completed)[1] if completed else None,
            withdrew=any(p.closed == "withdrawn" for p in plans),
            age_band=age_band(c.birth_date, c.registered_at.date()),
            benefit_at_start=benefit,
            benefit_monthly_at_start=monthly,
            outcome_at=followed[-1][0] if followed else None,
            work_or_education_at=into,
        )
        return _CitizenResult(
            row=row,
            firsts=firsts,
            costs=citizen_costs,
            goals=plan_goals,
            plan_spells=sorted(
                (PlanSpell(citizen_id, s[1], s[2]) for s in c.spells), key=lambda p: p.joined_at
            ),
            spells=sorted(
                (
                    InterventionSpell(citizen_id, i.sector, i.legal_basis, i.started_at, i.ended_at)
                    for i in started
                    if i.started_at is not None
                ),
                key=lambda i: (i.started_at, i.sector, i.legal_basis),
            ),
            outcomes=[OutcomeRecord(citizen_id, at, outcome) for at, _, outcome in followed],
            benefits=[
                CostMonth(citizen_id, month, sector, BudgetArea.TRANSFERS, amount)
                for (month, sector), amount in sorted(benefit_totals.items())
            ],
        )

    @staticmethod
    def benefit_totals(c: _CitizenFacts, horizon_month: date) -> dict[tuple[date, Sector], Decimal]:
        """Benefits paid, spread over the months of their periods up to the horizon's
        month, summed per (month, sector)."""
        totals: dict[tuple[date, Sector], Decimal] = defaultdict(Decimal)
        for sector, _, total, first, last, _ in c.benefits:
            for month, amount in spread_by_month(total, first, last):
                if month <= horizon_month:
                    totals[(month, sector)] += amount
        return totals

    @staticmethod
    def cost_months(
        citizen_id: UUID,
        interventions: list[_InterventionFacts],
        benefits: dict[tuple[date, Sector], Decimal],
        horizon_month: date,
    ) -> list[CostMonth]:
        """Costs (spread over the months of their periods, up to the horizon's month) and
        benefits (``benefit_totals``), summed per (month, sector, budget area)."""
        totals: dict[tuple[date, Sector, BudgetArea], Decimal] = defaultdict(Decimal)
        for i in interventions:
            for area, total, first, last in i.costs:
                for month, amount in spread_by_month(total, first, last):
                    if month <= horizon_month:
                        totals[(month, i.sector, area)] += amount
        for (month, sector), amount in benefits.items():
            totals[(month, sector, BudgetArea.TRANSFERS)] += amount
        return [
            CostMonth(citizen_id, month, sector, area, amount)
            for (month, sector, area), amount in sorted(totals.items())
        ]


@attrs.define
class _CitizenResult:
    """One citizen's row and facts, before they are laid end to end in citizen order."""

    row: CitizenMetrics
    firsts: list[FirstStart]
    costs: list[CostMonth]
    goals: list[GoalRecord]
    plan_spells: list[PlanSpell]
    spells: list[InterventionSpell]
    outcomes: list[OutcomeRecord]
    benefits: list[CostMonth]


def _benefit_at_start(c: _CitizenFacts) -> tuple[str | None, Decimal | None]:
    """The legal basis and monthly rate of the benefit paid at entry: for a period that
    holds the day of entry, else the first to begin within 31 days after it."""
    assert c.registered_at is not None
    entry = c.registered_at.date()
    for _, _, amount, first, last, basis in sorted(c.benefits, key=lambda b: (b[3], b[5], b[2])):
        end = last or first
        if first <= entry <= end or 0 <= (first - entry).days <= 31:
            days = (end - first).days + 1
            monthly = amount * Decimal("30.4375") / days
            return basis, monthly.quantize(CENT, rounding=ROUND_HALF_EVEN)
    return None, None


RECORD_KEEPING = frozenset(
    {
        "Plan.DeliveredToArchive",
        "Citizen.SectorPlanDeliveredToArchive",
        "Citizen.InterventionIncludedInSectorPlan",
        "Citizen.Erased",
    }
)
"""Events about keeping the record, not about the citizen's course: left out (their
effective time would move the horizon, and their actor is met by nobody). The citizen's
record learning of an intervention under their sector plan restates its proposal, which
the metrics count from the intervention's own event."""

_STREAMS = {
    "Citizen": _Fold.citizen_event,
    "Plan": _Fold.plan_event,
    "Intervention": _Fold.intervention_event,
}
"""Which fold each stream's events go to (by the aggregate the event class is nested in)."""


def _days(delta: Any) -> float:
    return round(float(delta.total_seconds()) / DAY, 4)


def _months_between(first: date, last: date) -> int:
    return max(0, (last.year - first.year) * 12 + last.month - first.month + 1)


def _paused_seconds(i: _InterventionFacts, end: datetime) -> float:
    """Time spent paused between the intervention's start and ``end``."""
    total, since = 0.0, None
    for at, _, pausing in sorted(i.status_changes):
        if pausing and since is None:
            since = at
        elif not pausing and since is not None:
            total += max(0.0, (min(at, end) - since).total_seconds())
            since = None
    if since is not None:
        total += max(0.0, (end - since).total_seconds())
    return total


def evaluate(events: Iterable[Any], *, as_of: datetime | None = None) -> Evaluation:
    """Fold a log (any iterable of oneplan events, such as ``app.all_events()``) into the
    evaluation's metrics, by effective time up to ``as_of`` (default: the last effective
    time in the log). Other events (reads, command receipts) are passed over."""
    fold = _Fold(as_of)
    collecting = gc.isenabled()
    gc.disable()  # the fold makes no cycles; collecting its growing state costs more
    try:
        for event in events:
            fold.fold(event)
        return fold.result()
    finally:
        if collecting:
            gc.enable()
