"""Pseudonymised tables of an evaluation: polars DataFrames, written as CSV and Parquet.

Every table names citizens, plans and goals by keyed pseudonyms only (``Pseudonymiser``)
and holds no names, CPR numbers, birth dates or free text: only cohorts, counts, days,
sectors, legal bases, amounts, statuses and dates (optionally coarsened to the month).
``df.to_pandas()`` converts any of them (needs pandas and pyarrow).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from oneplan.evaluation.metrics import Evaluation, month_of
from oneplan.evaluation.pseudonyms import Pseudonymiser

__all__ = ["FORMATS", "TABLES", "cohort_tables", "frames", "write_tables"]

FORMATS = ("csv", "parquet")
TABLES = ("citizens", "first_interventions", "costs", "goals")
"""The per-citizen tables; ``cohort_tables`` adds the cohort summaries."""

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
    """The per-citizen tables: ``citizens`` (one row each), ``first_interventions`` (the
    first start per legal basis), ``costs`` (per month, sector and budget area) and
    ``goals``. Dates are days, or the first of their month with ``coarsen_dates``."""
    c = pseudonyms.citizen
    citizens = pl.DataFrame(
        [
            {
                "citizen": c(m.citizen_id),
                "cohort": m.cohort,
                "household": m.household,
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
                "outcome": m.outcome.value if m.outcome else None,
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
    return {"citizens": citizens, "first_interventions": first, "costs": costs, "goals": goals}


_CITIZENS: dict[str, Any] = {
    "citizen": pl.String,
    "cohort": pl.String,
    "household": pl.Boolean,
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
    "outcome": pl.String,
    "plan_outcome": pl.String,
    "withdrew": pl.Boolean,
}


def _per_month(column: str) -> pl.Expr:
    months = pl.col("months_observed")
    return (
        pl.when(months > 0).then(pl.col(column).cast(pl.Float64) / months).otherwise(None).round(2)
    )


def cohort_tables(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Per cohort: ``distributions`` of every metric, the plan-versus-comparison
    ``comparison``, ``outcomes`` shares, ``first_intervention_by_basis``, monthly
    ``costs_by_month`` (sector and budget area) and the cross-sector ``balance``."""
    citizens = tables["citizens"]
    long = citizens.unpivot(index=["citizen", "cohort"], on=list(NUMERIC), variable_name="metric")
    stats = [
        pl.len().alias("citizens"),
        pl.col("value").count().alias("n"),
        pl.col("value").mean().round(3).alias("mean"),
        pl.col("value").quantile(0.25, "linear").round(3).alias("p25"),
        pl.col("value").median().round(3).alias("median"),
        pl.col("value").quantile(0.75, "linear").round(3).alias("p75"),
        pl.col("value").quantile(0.9, "linear").round(3).alias("p90"),
        pl.col("value").min().alias("min"),
        pl.col("value").max().alias("max"),
    ]
    distributions = (
        long.with_columns(pl.col("value").cast(pl.Float64))
        .group_by("metric", "cohort")
        .agg(*stats)
        .sort("metric", "cohort")
    )
    wide = distributions.pivot(on="cohort", index="metric", values=["mean", "median", "n"])
    for name in ("mean_plan", "mean_comparison", "median_plan", "median_comparison"):
        if name not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.Float64).alias(name))
    comparison = wide.with_columns(
        (pl.col("mean_plan") - pl.col("mean_comparison")).round(3).alias("difference_of_means"),
        (pl.col("median_plan") - pl.col("median_comparison"))
        .round(3)
        .alias("difference_of_medians"),
    ).sort("metric")
    outcomes = (
        citizens.filter(pl.col("outcome").is_not_null())
        .group_by("cohort", "outcome")
        .agg(pl.len().alias("citizens"))
        .with_columns(
            (pl.col("citizens") / pl.col("citizens").sum().over("cohort")).round(4).alias("share")
        )
        .sort("cohort", "outcome")
    )
    first = tables["first_interventions"].join(
        citizens.select("citizen", "cohort"), on="citizen", how="left"
    )
    by_basis = (
        first.group_by("legal_basis", "sector", "cohort")
        .agg(
            pl.len().alias("citizens"),
            pl.col("days").mean().round(2).alias("mean_days"),
            pl.col("days").median().round(2).alias("median_days"),
            pl.col("days").quantile(0.9, "linear").round(2).alias("p90_days"),
        )
        .sort("legal_basis", "cohort")
    )
    costs = tables["costs"].join(citizens.select("citizen", "cohort"), on="citizen", how="left")
    costs_by_month = (
        costs.group_by("month", "cohort", "sector", "budget_area")
        .agg(pl.col("amount").sum().alias("amount"))
        .sort("month", "cohort", "sector", "budget_area")
    )
    return {
        "distributions": distributions,
        "comparison": comparison,
        "outcomes": outcomes,
        "first_intervention_by_basis": by_basis,
        "costs_by_month": costs_by_month,
        "balance": balance(citizens, costs),
    }


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
