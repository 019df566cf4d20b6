"""Pseudonymised tables of an evaluation: polars DataFrames, written as CSV and Parquet.

Every table names citizens, plans and goals by keyed pseudonyms only (``Pseudonymiser``)
and holds no names, CPR numbers, birth dates or free text: only cohorts, age bands,
counts, days, sectors, legal bases, amounts, statuses and dates (optionally coarsened to
the month). ``df.to_pandas()`` converts any of them (needs pandas and pyarrow).

The per-citizen tables (``frames``) are ``citizens``, ``panel`` (citizen-months),
``first_interventions``, ``costs`` and ``goals``; the summaries (``cohort_tables``) carry
standard errors and 95% intervals (``oneplan.evaluation.statistics`` says how each is
computed).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import polars as pl

from oneplan.evaluation.metrics import AGE_BANDS, UNKNOWN_AGE, Evaluation, month_of
from oneplan.evaluation.pseudonyms import Pseudonymiser
from oneplan.evaluation.statistics import (
    Estimate,
    cumulative_incidence,
    difference,
    ratio_interval,
    share_interval,
    t_interval,
    welch,
)
from oneplan.values import BudgetArea, PlanOutcome, Sector

__all__ = [
    "COHORTS",
    "FORMATS",
    "NOT_FOLLOWED_UP",
    "SECTORS",
    "TABLES",
    "cohort_tables",
    "frames",
    "panel",
    "write_tables",
]

FORMATS = ("csv", "parquet")
TABLES = ("citizens", "panel", "first_interventions", "costs", "goals")
"""The per-citizen tables; ``cohort_tables`` adds the cohort summaries."""
COHORTS = ("plan", "comparison")
DIFFERENCE = "plan - comparison"
"""The ``cohort`` of a row that holds the plan cohort's figure less the comparison's."""
NOT_FOLLOWED_UP = "not-followed-up"
"""The outcome (state) of a citizen whose course no follow-up has recorded yet."""
SECTORS = tuple(s.value for s in Sector)
AREAS = tuple(a.value for a in BudgetArea)
DAYS_PER_MONTH = 30.4375
"""Days in an average month (365.25 / 12): time since entry in months."""
INCIDENCE_MONTHS = (6, 12, 18, 24, 30)
"""The months since entry the report and the entry-cohort table read the incidence at."""

MONEY = pl.Decimal(14, 2)
NUMERIC = (
    "caseworkers",
    "contact_points",
    "sectors",
    "coordinator_changes",
    "interventions",
    "interventions_started",
    "days_to_first_intervention",
    "goals_set",
    "goals_achieved",
    "median_days_to_achievement",
    "paused_share",
    "service_cost_per_month",
    "transfers_per_month",
    "benefit_monthly_at_start",
)
"""The per-citizen metrics whose distributions are compared between cohorts."""


def _day(moment: datetime | date | None, coarsen: bool) -> date | None:
    if moment is None:
        return None
    day = moment.date() if isinstance(moment, datetime) else moment
    return month_of(day) if coarsen else day


def frames(
    evaluation: Evaluation, pseudonyms: Pseudonymiser, *, coarsen_dates: bool = False
) -> dict[str, pl.DataFrame]:
    """The per-citizen tables: ``citizens`` (one row each, with baseline covariates and
    outcomes), ``panel`` (one row per citizen and month), ``first_interventions`` (the
    first start per legal basis), ``costs`` (per month, sector and budget area) and
    ``goals``. Dates are days, or the first of their month with ``coarsen_dates``."""
    c = _citizen_names(evaluation, pseudonyms)
    horizon = evaluation.horizon
    citizens = pl.DataFrame(
        [
            {
                "citizen": c(m.citizen_id),
                "cohort": m.cohort,
                "household": m.household,
                "entry_on": _day(m.registered_at, coarsen_dates),
                "entry_cohort": m.entry_cohort,
                "age_band": m.age_band,
                "benefit_at_start": m.benefit_at_start,
                "benefit_monthly_at_start": m.benefit_monthly_at_start,
                "course_start": _day(m.course_start, coarsen_dates),
                "months_observed": m.months_observed,
                "caseworkers": m.caseworkers,
                "contact_points": m.contact_points,
                "sectors": m.sectors,
                "coordinator_changes": m.coordinator_changes,
                "interventions": m.interventions,
                "interventions_started": m.interventions_started,
                "days_to_first_intervention": m.days_to_first_intervention,
                "goals_set": m.goals_set,
                "goals_achieved": m.goals_achieved,
                "median_days_to_achievement": m.median_days_to_achievement,
                "paused_share": m.paused_share,
                "service_cost": m.service_cost,
                "transfers": m.transfers,
                "followed_up": m.outcome is not None,
                "outcome": m.outcome.value if m.outcome else NOT_FOLLOWED_UP,
                "outcome_on": _day(m.outcome_at, coarsen_dates),
                "work_or_education": m.work_or_education_at is not None,
                "work_or_education_on": _day(m.work_or_education_at, coarsen_dates),
                "days_at_risk": _days((m.work_or_education_at or horizon) - m.registered_at),
                "plan_outcome": m.plan_outcome.value if m.plan_outcome else None,
                "withdrew": m.withdrew,
            }
            for m in evaluation.citizens
        ],
        schema=_CITIZENS,
        orient="row",
    ).with_columns(
        service_cost_per_month=_per_month("service_cost"),
        transfers_per_month=_per_month("transfers"),
    )
    first = pl.DataFrame(
        [(c(f.citizen_id), f.legal_basis, f.sector.value, f.days) for f in evaluation.first_starts],
        schema={"citizen": pl.String, "legal_basis": pl.String, "sector": pl.String,
                "days": pl.Float64},
        orient="row",
    )  # fmt: skip
    costs = pl.DataFrame(
        [
            (c(m.citizen_id), m.month, m.sector.value, m.budget_area.value, m.amount)
            for m in evaluation.costs
        ],
        schema={"citizen": pl.String, "month": pl.Date, "sector": pl.String,
                "budget_area": pl.String, "amount": MONEY},
        orient="row",
    )  # fmt: skip
    goals = pl.DataFrame(
        [
            (
                c(g.citizen_id),
                pseudonyms.pseudonym("plan", g.plan_id),
                pseudonyms.pseudonym("goal", g.goal_id),
                g.is_sub_goal,
                _day(g.set_at, coarsen_dates),
                _day(g.achieved_at, coarsen_dates),
                round((g.achieved_at - g.set_at).total_seconds() / 86_400, 4)
                if g.achieved_at
                else None,
            )
            for g in evaluation.goals
        ],
        schema={"citizen": pl.String, "plan": pl.String, "goal": pl.String,
                "is_sub_goal": pl.Boolean, "set_on": pl.Date, "achieved_on": pl.Date,
                "days_to_achievement": pl.Float64},
        orient="row",
    )  # fmt: skip
    return {
        "citizens": citizens,
        "panel": panel(evaluation, pseudonyms, citizens, costs),
        "first_interventions": first,
        "costs": costs,
        "goals": goals,
    }


_CITIZENS: dict[str, Any] = {
    "citizen": pl.String,
    "cohort": pl.String,
    "household": pl.Boolean,
    "entry_on": pl.Date,
    "entry_cohort": pl.String,
    "age_band": pl.String,
    "benefit_at_start": pl.String,
    "benefit_monthly_at_start": MONEY,
    "course_start": pl.Date,
    "months_observed": pl.Int64,
    "caseworkers": pl.Int64,
    "contact_points": pl.Int64,
    "sectors": pl.Int64,
    "coordinator_changes": pl.Int64,
    "interventions": pl.Int64,
    "interventions_started": pl.Int64,
    "days_to_first_intervention": pl.Float64,
    "goals_set": pl.Int64,
    "goals_achieved": pl.Int64,
    "median_days_to_achievement": pl.Float64,
    "paused_share": pl.Float64,
    "service_cost": MONEY,
    "transfers": MONEY,
    "followed_up": pl.Boolean,
    "outcome": pl.String,
    "outcome_on": pl.Date,
    "work_or_education": pl.Boolean,
    "work_or_education_on": pl.Date,
    "days_at_risk": pl.Float64,
    "plan_outcome": pl.String,
    "withdrew": pl.Boolean,
}


def _citizen_names(evaluation: Evaluation, pseudonyms: Pseudonymiser) -> Callable[[UUID], str]:
    """Each citizen's pseudonym, keyed once per citizen (not once per row)."""
    names = {m.citizen_id: pseudonyms.citizen(m.citizen_id) for m in evaluation.citizens}

    def name(citizen_id: UUID) -> str:
        found = names.get(citizen_id)
        return found if found is not None else pseudonyms.citizen(citizen_id)

    return name


def _days(delta: Any) -> float:
    return round(float(delta.total_seconds()) / 86_400, 4)


def _per_month(column: str) -> pl.Expr:
    months = pl.col("months_observed")
    return (
        pl.when(months > 0).then(pl.col(column).cast(pl.Float64) / months).otherwise(None).round(2)
    )


def _name(sector: str) -> str:
    return sector.replace("-", "_")


PANEL_COSTS = tuple(f"{area}_{_name(sector)}" for area in AREAS for sector in SECTORS)
"""The panel's cost columns, one per budget area and sector (``service_employment``, ...)."""
PANEL_RUNNING = tuple(f"running_{_name(sector)}" for sector in SECTORS)


def _months(first: str, last: pl.Expr) -> pl.Expr:
    """The first days of the months from ``first``'s month to ``last``'s, both included."""
    return pl.date_ranges(pl.col(first).dt.truncate("1mo"), last.dt.truncate("1mo"), "1mo")


def panel(
    evaluation: Evaluation,
    pseudonyms: Pseudonymiser,
    citizens: pl.DataFrame,
    costs: pl.DataFrame,
) -> pl.DataFrame:
    """One row per citizen and calendar month, from the month of entry to the horizon's
    month: the cohort, whether a coordinated plan held the course on any day of the
    month (``in_plan``), interventions running on any day of it per sector, costs per
    budget area and sector (spread over the months of their periods, as in ``costs``),
    benefits paid, and the outcome state at the month's end (the latest follow-up by
    then, or ``not-followed-up``). Built with polars lazy frames: one pass per part,
    joined on (citizen, month)."""
    c = _citizen_names(evaluation, pseudonyms)
    horizon = pl.lit(month_of(evaluation.horizon.date()))
    entries = {m.citizen_id: m.registered_at.date() for m in evaluation.citizens}
    skeleton = (
        citizens.lazy()
        .select("citizen", "cohort", "entry_cohort")
        .with_row_index("order")
        .with_columns(
            entry=pl.Series([entries[m.citizen_id] for m in evaluation.citizens], dtype=pl.Date)
        )
        .with_columns(month=_months("entry", horizon))
        .explode("month")
        .with_columns(
            months_since_entry=(
                (pl.col("month").dt.year() - pl.col("entry").dt.year()) * 12
                + pl.col("month").dt.month().cast(pl.Int32)
                - pl.col("entry").dt.month().cast(pl.Int32)
            ),
            month_end=pl.col("month").dt.month_end(),
        )
    )
    spells = pl.LazyFrame(
        [(c(p.citizen_id), p.joined_at.date(), p.left_at.date() if p.left_at else None)
         for p in evaluation.plan_spells],
        schema={"citizen": pl.String, "from": pl.Date, "to": pl.Date},
        orient="row",
    )  # fmt: skip
    in_plan = (
        spells.with_columns(month=_months("from", pl.col("to").fill_null(horizon)))
        .explode("month")
        .select("citizen", "month")
        .unique()
        .with_columns(in_plan=pl.lit(True))
    )
    running = pl.LazyFrame(
        [(c(i.citizen_id), i.sector.value, i.started_at.date(),
          i.ended_at.date() if i.ended_at else None)
         for i in evaluation.intervention_spells],
        schema={"citizen": pl.String, "sector": pl.String, "from": pl.Date, "to": pl.Date},
        orient="row",
    )  # fmt: skip
    running_by_sector = (
        running.with_columns(month=_months("from", pl.col("to").fill_null(horizon)))
        .explode("month")
        .group_by("citizen", "month")
        .agg(
            (pl.col("sector") == sector).sum().cast(pl.Int64).alias(f"running_{_name(sector)}")
            for sector in SECTORS
        )
    )
    cost_columns = (
        costs.lazy()
        .group_by("citizen", "month")
        .agg(
            pl.col("amount")
            .filter((pl.col("budget_area") == area) & (pl.col("sector") == sector))
            .sum()
            .alias(f"{area}_{_name(sector)}")
            for area in AREAS
            for sector in SECTORS
        )
    )
    benefits = pl.LazyFrame(
        [(c(b.citizen_id), b.month, b.amount) for b in evaluation.benefits],
        schema={"citizen": pl.String, "month": pl.Date, "benefit_paid": MONEY},
        orient="row",
    ).group_by("citizen", "month").agg(pl.col("benefit_paid").sum())  # fmt: skip
    outcomes = pl.LazyFrame(
        [(c(o.citizen_id), o.recorded_at.date(), o.outcome.value) for o in evaluation.outcomes],
        schema={"citizen": pl.String, "month_end": pl.Date, "outcome_state": pl.String},
        orient="row",
    ).sort("month_end")  # fmt: skip
    zero = pl.lit(0, MONEY)
    return (
        skeleton.join(in_plan, on=["citizen", "month"], how="left")
        .join(running_by_sector, on=["citizen", "month"], how="left")
        .join(cost_columns, on=["citizen", "month"], how="left")
        .join(benefits, on=["citizen", "month"], how="left")
        .sort("month_end")
        .join_asof(
            outcomes, on="month_end", by="citizen", strategy="backward", check_sortedness=False
        )
        .sort("order", "month")
        .with_columns(
            pl.col("in_plan").fill_null(False),
            *(pl.col(name).fill_null(0) for name in PANEL_RUNNING),
            *(pl.col(name).fill_null(zero) for name in (*PANEL_COSTS, "benefit_paid")),
            pl.col("outcome_state").fill_null(NOT_FOLLOWED_UP),
        )
        .with_columns(
            service_cost=pl.sum_horizontal(f"service_{_name(s)}" for s in SECTORS),
            transfers=pl.sum_horizontal(f"transfers_{_name(s)}" for s in SECTORS),
        )
        .select(
            "citizen",
            "month",
            "months_since_entry",
            "cohort",
            "entry_cohort",
            "in_plan",
            *PANEL_RUNNING,
            "service_cost",
            "transfers",
            "benefit_paid",
            *PANEL_COSTS,
            "outcome_state",
        )
        .collect()
    )


# --- the summaries -------------------------------------------------------------------


def _estimate_columns(e: Estimate, suffix: str = "") -> dict[str, Any]:
    return {
        f"se{suffix}": _round(e.se),
        f"ci_low{suffix}": _round(e.ci_low),
        f"ci_high{suffix}": _round(e.ci_high),
    }


def _float(value: Any) -> float:
    return 0.0 if value is None else float(value)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def cohort_tables(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Per cohort: ``baseline`` covariates, ``distributions`` of every metric (with SD,
    SE and 95% interval of the mean), the plan-versus-comparison ``comparison`` (Welch
    intervals of the difference of means), ``outcomes`` (with those not followed up),
    ``cumulative_incidence`` of work or education (Kaplan-Meier), ``cost_per_citizen_month``
    and ``costs_by_month_since_entry`` (with intervals), ``entry_cohorts``,
    ``first_intervention_by_basis``, monthly ``costs_by_month`` and the cross-sector
    ``balance``."""
    citizens = tables["citizens"]
    distributions = _distributions(citizens)
    first = tables["first_interventions"].join(
        citizens.select("citizen", "cohort"), on="citizen", how="left"
    )
    by_basis = (
        first.group_by("legal_basis", "sector", "cohort")
        .agg(
            pl.len().alias("citizens"),
            pl.col("days").mean().alias("mean_days"),
            pl.col("days").std().alias("sd_days"),
            pl.col("days").median().round(2).alias("median_days"),
            pl.col("days").quantile(0.9, "linear").round(2).alias("p90_days"),
        )
        .sort("legal_basis", "cohort")
    )
    by_basis = _with_t(by_basis, "citizens", "mean_days", "sd_days").with_columns(
        pl.col("mean_days").round(2), pl.col("sd_days").round(2)
    )
    costs = tables["costs"].join(citizens.select("citizen", "cohort"), on="citizen", how="left")
    costs_by_month = (
        costs.group_by("month", "cohort", "sector", "budget_area")
        .agg(pl.col("amount").sum().alias("amount"))
        .sort("month", "cohort", "sector", "budget_area")
    )
    months = tables["panel"]
    return {
        "baseline": _baseline(citizens),
        "distributions": distributions,
        "comparison": _comparison(distributions),
        "outcomes": _outcomes(citizens),
        "cumulative_incidence": _incidence(citizens),
        "cost_per_citizen_month": _cost_per_citizen_month(months),
        "costs_by_month_since_entry": _costs_since_entry(months),
        "entry_cohorts": _entry_cohorts(citizens, months),
        "first_intervention_by_basis": by_basis,
        "costs_by_month": costs_by_month,
        "balance": balance(citizens, costs),
    }


def _with_t(frame: pl.DataFrame, n: str, mean: str, sd: str) -> pl.DataFrame:
    """``frame`` with the t interval of the mean in each row: ``se``, ``ci_low``,
    ``ci_high``."""
    rows = [
        _estimate_columns(t_interval(int(r[n] or 0), r[mean], r[sd]))
        for r in frame.select(n, mean, sd).iter_rows(named=True)
    ]
    schema = {"se": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64}
    return pl.concat([frame, pl.DataFrame(rows, schema=schema, orient="row")], how="horizontal")


def _distributions(citizens: pl.DataFrame) -> pl.DataFrame:
    long = citizens.unpivot(index=["citizen", "cohort"], on=list(NUMERIC), variable_name="metric")
    value = pl.col("value")
    frame = (
        long.with_columns(value.cast(pl.Float64))
        .group_by("metric", "cohort")
        .agg(
            pl.len().alias("citizens"),
            value.count().alias("n"),
            value.mean().alias("mean"),
            value.std().alias("sd"),
            value.quantile(0.25, "linear").round(3).alias("p25"),
            value.median().round(3).alias("median"),
            value.quantile(0.75, "linear").round(3).alias("p75"),
            value.quantile(0.9, "linear").round(3).alias("p90"),
            value.min().alias("min"),
            value.max().alias("max"),
        )
        .sort("metric", "cohort")
    )
    return _with_t(frame, "n", "mean", "sd").with_columns(
        pl.col("mean").round(4), pl.col("sd").round(4)
    )


def _comparison(distributions: pl.DataFrame) -> pl.DataFrame:
    """One row per metric: each cohort's n, mean, SD, SE, 95% interval and median, and
    the difference of means (plan - comparison) with Welch's SE and 95% interval
    (``ci_low``, ``ci_high``)."""
    by = {(r["metric"], r["cohort"]): r for r in distributions.iter_rows(named=True)}
    rows = []
    for metric in sorted({m for m, _ in by}):
        row: dict[str, Any] = {"metric": metric}
        estimates = {}
        for cohort in COHORTS:
            r = by.get((metric, cohort), {})
            e = t_interval(int(r.get("n") or 0), r.get("mean"), r.get("sd"))
            estimates[cohort] = e
            row |= {
                f"n_{cohort}": e.n,
                f"mean_{cohort}": _round(e.estimate),
                f"sd_{cohort}": _round(e.sd),
                f"median_{cohort}": r.get("median"),
                **_estimate_columns(e, f"_{cohort}"),
            }
        d = welch(estimates["plan"], estimates["comparison"])
        medians = [row["median_plan"], row["median_comparison"]]
        row |= {
            "difference_of_means": _round(d.estimate),
            "se_difference": _round(d.se),
            "df": _round(d.df, 1),
            "ci_low": _round(d.ci_low),
            "ci_high": _round(d.ci_high),
            "difference_of_medians": (
                round(medians[0] - medians[1], 3) if None not in medians else None
            ),
            "interval": "Welch t, 95%",
        }
        rows.append(row)
    schema: dict[str, Any] = {"metric": pl.String}
    for cohort in COHORTS:
        schema |= {f"n_{cohort}": pl.Int64, f"mean_{cohort}": pl.Float64,
                   f"sd_{cohort}": pl.Float64, f"median_{cohort}": pl.Float64,
                   f"se_{cohort}": pl.Float64, f"ci_low_{cohort}": pl.Float64,
                   f"ci_high_{cohort}": pl.Float64}  # fmt: skip
    schema |= {"difference_of_means": pl.Float64, "se_difference": pl.Float64, "df": pl.Float64,
               "ci_low": pl.Float64, "ci_high": pl.Float64, "difference_of_medians": pl.Float64,
               "interval": pl.String}  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


OUTCOMES = (*(o.value for o in PlanOutcome), NOT_FOLLOWED_UP)


def _outcomes(citizens: pl.DataFrame) -> pl.DataFrame:
    """Per cohort and outcome (``not-followed-up`` included): citizens, share of the
    cohort with Wilson's 95% interval, share of those followed up; and per outcome the
    difference of the shares of the cohorts (plan - comparison, normal interval)."""
    counts = {
        (r["cohort"], r["outcome"]): r["len"]
        for r in citizens.group_by("cohort", "outcome").len().iter_rows(named=True)
    }
    rows = []
    for outcome in OUTCOMES:
        shares = {}
        for cohort in COHORTS:
            total = sum(v for (c, _), v in counts.items() if c == cohort)
            followed = total - counts.get((cohort, NOT_FOLLOWED_UP), 0)
            k = counts.get((cohort, outcome), 0)
            e = shares[cohort] = share_interval(k, total)
            rows.append(
                {
                    "cohort": cohort,
                    "outcome": outcome,
                    "citizens": k,
                    "cohort_citizens": total,
                    "share_of_cohort": _round(e.estimate),
                    **_estimate_columns(e),
                    "share_of_followed_up": (
                        round(k / followed, 4) if outcome != NOT_FOLLOWED_UP and followed else None
                    ),
                }
            )
        d = difference(shares["plan"], shares["comparison"])
        rows.append(
            {
                "cohort": DIFFERENCE,
                "outcome": outcome,
                "citizens": None,
                "cohort_citizens": d.n,
                "share_of_cohort": _round(d.estimate),
                **_estimate_columns(d),
                "share_of_followed_up": None,
            }
        )
    schema = {"cohort": pl.String, "outcome": pl.String, "citizens": pl.Int64,
              "cohort_citizens": pl.Int64, "share_of_cohort": pl.Float64, "se": pl.Float64,
              "ci_low": pl.Float64, "ci_high": pl.Float64,
              "share_of_followed_up": pl.Float64}  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def _incidence_rows(group: pl.DataFrame, months: Sequence[int]) -> list[Any]:
    return cumulative_incidence(
        group["days_at_risk"].to_numpy() / DAYS_PER_MONTH,
        group["work_or_education"].to_numpy(),
        [float(m) for m in months],
    )


def _incidence(citizens: pl.DataFrame) -> pl.DataFrame:
    """The cumulative incidence of work or education by month since entry, per cohort:
    one minus the Kaplan-Meier estimate, time from entry to the first follow-up that
    recorded work or education, censored at the horizon. Whole months from 0 to the
    first past the longest time observed."""
    longest = math.ceil(_float(citizens["days_at_risk"].max()) / DAYS_PER_MONTH)
    months = range(longest + 1)  # (the last month is past everyone: nobody is at risk)
    rows = []
    for cohort in COHORTS:
        group = citizens.filter(pl.col("cohort") == cohort)
        for point in _incidence_rows(group, months):
            rows.append(
                (cohort, int(point.time), point.at_risk, point.events,
                 round(point.incidence, 4), round(point.ci_low, 4), round(point.ci_high, 4))
            )  # fmt: skip
    schema = {"cohort": pl.String, "month": pl.Int64, "at_risk": pl.Int64, "events": pl.Int64,
              "cumulative_incidence": pl.Float64, "ci_low": pl.Float64,
              "ci_high": pl.Float64}  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def _per_citizen(months: pl.DataFrame) -> pl.DataFrame:
    """Each citizen's months in the panel and their costs in them, per budget area and
    sector (float DKK)."""
    return months.group_by("citizen", "cohort", "entry_cohort").agg(
        pl.len().alias("months"),
        pl.col("service_cost").cast(pl.Float64).sum(),
        pl.col("transfers").cast(pl.Float64).sum(),
        *(pl.col(name).cast(pl.Float64).sum() for name in PANEL_COSTS),
    ).with_columns(total=pl.col("service_cost") + pl.col("transfers"))  # fmt: skip


def _ratio_row(group: pl.DataFrame, column: str) -> Estimate:
    return ratio_interval(group[column].to_numpy(), group["months"].to_numpy())


def _cost_per_citizen_month(months: pl.DataFrame) -> pl.DataFrame:
    """Per cohort, budget area and sector (``all`` for every sector together): the
    cohort's costs over its citizen-months in the panel, with the SE of a ratio clustered
    by citizen and its 95% interval; and the difference (plan - comparison)."""
    per = _per_citizen(months)
    parts = [("all", area, {"service": "service_cost"}.get(area, area))
             for area in (*AREAS, "total")]  # fmt: skip
    parts += [(sector, area, f"{area}_{_name(sector)}") for area in AREAS for sector in SECTORS]
    rows: list[tuple[Any, ...]] = []
    for sector, area, column in parts:
        estimates = {}
        for cohort in COHORTS:
            group = per.filter(pl.col("cohort") == cohort)
            e = estimates[cohort] = _ratio_row(group, column)
            rows.append(
                (cohort, area, sector, group.height, int(group["months"].sum()),
                 _round(e.estimate, 2), _round(e.se, 2), _round(e.ci_low, 2),
                 _round(e.ci_high, 2))
            )  # fmt: skip
        d = difference(estimates["plan"], estimates["comparison"])
        rows.append(
            (DIFFERENCE, area, sector, None, None, _round(d.estimate, 2), _round(d.se, 2),
             _round(d.ci_low, 2), _round(d.ci_high, 2))
        )  # fmt: skip
    schema = {"cohort": pl.String, "budget_area": pl.String, "sector": pl.String,
              "citizens": pl.Int64, "citizen_months": pl.Int64, "per_citizen_month": pl.Float64,
              "se": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64}  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def _costs_since_entry(months: pl.DataFrame) -> pl.DataFrame:
    """Per cohort, month since entry and budget area: the mean cost per citizen observed
    in that month, with SD, SE and t interval."""
    long = months.select(
        "cohort", "months_since_entry", "service_cost", "transfers"
    ).unpivot(index=["cohort", "months_since_entry"], variable_name="budget_area")  # fmt: skip
    frame = (
        long.with_columns(
            pl.col("value").cast(pl.Float64),
            pl.col("budget_area").replace({"service_cost": "service"}),
        )
        .group_by("cohort", "months_since_entry", "budget_area")
        .agg(
            pl.len().cast(pl.Int64).alias("citizens"),
            pl.col("value").mean().alias("mean"),
            pl.col("value").std().alias("sd"),
        )
        .sort("cohort", "budget_area", "months_since_entry")
    )
    return _with_t(frame, "citizens", "mean", "sd").with_columns(
        pl.col("mean").round(2),
        pl.col("sd").round(2),
        pl.col("se").round(2),
        pl.col("ci_low").round(2),
        pl.col("ci_high").round(2),
    )


def _entry_cohorts(citizens: pl.DataFrame, months: pl.DataFrame) -> pl.DataFrame:
    """Per entry cohort (half-year of entry) and cohort: citizens, followed up, into work
    or education by the horizon, the cumulative incidence at 12 and 24 months since entry
    (with 95% intervals; empty where nobody was followed that long), and service and
    transfers per citizen-month (with 95% intervals)."""
    per = _per_citizen(months)
    rows = []
    for entry in sorted(set(citizens["entry_cohort"])):
        for cohort in COHORTS:
            group = citizens.filter(
                (pl.col("entry_cohort") == entry) & (pl.col("cohort") == cohort)
            )
            if not group.height:
                continue
            longest = _float(group["days_at_risk"].max()) / DAYS_PER_MONTH
            points = {int(p.time): p for p in _incidence_rows(group, (12, 24))}
            costs = per.filter((pl.col("entry_cohort") == entry) & (pl.col("cohort") == cohort))
            row: dict[str, Any] = {
                "entry_cohort": entry,
                "cohort": cohort,
                "citizens": group.height,
                "followed_up": int(group["followed_up"].sum()),
                "work_or_education": int(group["work_or_education"].sum()),
            }
            for month, p in points.items():
                seen = month <= longest
                row |= {
                    f"incidence_{month}m": round(p.incidence, 4) if seen else None,
                    f"ci_low_{month}m": round(p.ci_low, 4) if seen else None,
                    f"ci_high_{month}m": round(p.ci_high, 4) if seen else None,
                }
            for area, column in (("service", "service_cost"), ("transfers", "transfers")):
                e = _ratio_row(costs, column)
                row |= {
                    f"{area}_per_citizen_month": _round(e.estimate, 2),
                    f"{area}_ci_low": _round(e.ci_low, 2),
                    f"{area}_ci_high": _round(e.ci_high, 2),
                }
            rows.append(row)
    schema: dict[str, Any] = {"entry_cohort": pl.String, "cohort": pl.String,
                              "citizens": pl.Int64, "followed_up": pl.Int64,
                              "work_or_education": pl.Int64}  # fmt: skip
    for month in (12, 24):
        schema |= {f"incidence_{month}m": pl.Float64, f"ci_low_{month}m": pl.Float64,
                   f"ci_high_{month}m": pl.Float64}  # fmt: skip
    for area in ("service", "transfers"):
        schema |= {f"{area}_per_citizen_month": pl.Float64, f"{area}_ci_low": pl.Float64,
                   f"{area}_ci_high": pl.Float64}  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


BASELINE = ("age_band", "benefit_at_start", "entry_cohort")
"""The baseline covariates the ``baseline`` table tabulates per cohort. (``household``
is not one: the record knows a household only through a family plan, so no comparison
citizen is in one.)"""
AGE_ORDER = {label: n for n, (_, label) in enumerate(AGE_BANDS)} | {UNKNOWN_AGE: len(AGE_BANDS)}


def _baseline(citizens: pl.DataFrame) -> pl.DataFrame:
    """Per cohort, each baseline covariate's levels: citizens and share of the cohort
    (the cohorts' composition at entry, before any difference in outcomes is read)."""
    parts = []
    for covariate in BASELINE:
        parts.append(
            citizens.select(
                "cohort",
                pl.lit(covariate).alias("covariate"),
                pl.col(covariate).cast(pl.String).fill_null("none").alias("level"),
            )
        )
    long = pl.concat(parts)
    return (
        long.group_by("cohort", "covariate", "level")
        .len("citizens")
        .with_columns(
            (pl.col("citizens") / pl.col("citizens").sum().over("cohort", "covariate"))
            .round(4)
            .alias("share")
        )
        .with_columns(
            order=pl.col("level").replace_strict(AGE_ORDER, default=None, return_dtype=pl.Int64)
        )
        .sort("covariate", "cohort", "order", "level", nulls_last=True)
        .drop("order")
    )


def balance(citizens: pl.DataFrame, costs: pl.DataFrame) -> pl.DataFrame:
    """The cross-sector balance: per sector and budget area, what each cohort cost per
    citizen-month observed, and for the plan cohort the difference against the
    comparison cohort scaled to the plan cohort's citizen-months (positive service
    figures are extra spending; positive transfer figures are savings)."""
    months = citizens.group_by("cohort").agg(pl.col("months_observed").sum().alias("months"))
    per_month = (
        costs.group_by("cohort", "sector", "budget_area")
        .agg(pl.col("amount").sum().cast(pl.Float64).alias("amount"))
        .join(months, on="cohort")
        .with_columns((pl.col("amount") / pl.col("months")).alias("per_citizen_month"))
    )
    wide = per_month.pivot(on="cohort", index=["sector", "budget_area"], values="per_citizen_month")
    for cohort in ("plan", "comparison"):
        if cohort not in wide.columns:
            wide = wide.with_columns(pl.lit(0.0).alias(cohort))
    plan_months = months.filter(pl.col("cohort") == "plan")["months"].sum()
    difference = pl.col("plan").fill_null(0.0) - pl.col("comparison").fill_null(0.0)
    return (
        wide.with_columns(
            pl.when(pl.col("budget_area") == "service")
            .then(difference)
            .otherwise(-difference)
            .mul(plan_months)
            .round(2)
            .alias("extra_spending_or_saving"),
            pl.col("plan").round(2).alias("plan_per_citizen_month"),
            pl.col("comparison").round(2).alias("comparison_per_citizen_month"),
        )
        .drop("plan", "comparison")
        .sort("budget_area", "sector")
    )


def write_tables(
    tables: dict[str, pl.DataFrame], out: Path, formats: Sequence[str] = FORMATS
) -> list[Path]:
    """Write every table as ``<name>.csv`` and/or ``<name>.parquet`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, frame in tables.items():
        if "csv" in formats:
            frame.write_csv(out / f"{name}.csv")
            written.append(out / f"{name}.csv")
        if "parquet" in formats:
            frame.write_parquet(out / f"{name}.parquet")
            written.append(out / f"{name}.parquet")
    return written
