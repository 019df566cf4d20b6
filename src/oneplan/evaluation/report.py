"""The whole evaluation in one directory: pseudonymised tables (CSV and Parquet), PNG
plots, and a short Markdown report linking them (``oneplan evaluate``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import polars as pl

from oneplan.evaluation.exports import (
    FORMATS,
    INCIDENCE_MONTHS,
    cohort_tables,
    frames,
    write_tables,
)
from oneplan.evaluation.metrics import Evaluation
from oneplan.evaluation.plots import PLOTS, write_plots
from oneplan.evaluation.pseudonyms import Pseudonymiser

__all__ = ["write_evaluation"]


def write_evaluation(
    evaluation: Evaluation,
    out: Path,
    pseudonyms: Pseudonymiser,
    *,
    coarsen_dates: bool = False,
    formats: Sequence[str] = FORMATS,
    plots: bool = True,
) -> list[Path]:
    """Write the tables, the plots and ``report.md`` into ``out``; returns the files."""
    tables = frames(evaluation, pseudonyms, coarsen_dates=coarsen_dates)
    summaries = cohort_tables(tables)
    written = write_tables({**tables, **summaries}, out, formats)
    if plots:
        written += write_plots({**tables, **summaries}, out)
    report = out / "report.md"
    report.write_text(
        _report(evaluation, tables, summaries, formats, plots, coarsen_dates), encoding="utf-8"
    )
    return [*written, report]


def _fmt(value: object, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _ci(estimate: float | None, low: float | None, high: float | None, digits: int = 2) -> str:
    """``estimate (low to high)``, or ``-``."""
    if estimate is None:
        return "-"
    if low is None or high is None:
        return _fmt(estimate, digits)
    return f"{_fmt(estimate, digits)} ({_fmt(low, digits)} to {_fmt(high, digits)})"


def _pct(estimate: float | None, low: float | None, high: float | None) -> str:
    if estimate is None:
        return "-"
    if low is None or high is None:
        return f"{100 * estimate:.1f}%"
    return f"{100 * estimate:.1f}% ({100 * low:.1f} to {100 * high:.1f})"


METRICS = (
    "caseworkers",
    "contact_points",
    "sectors",
    "coordinator_changes",
    "days_to_first_intervention",
    "goals_set",
    "goals_achieved",
    "paused_share",
    "service_cost_per_month",
    "transfers_per_month",
    "benefit_monthly_at_start",
)


def _report(
    evaluation: Evaluation,
    tables: dict[str, pl.DataFrame],
    summaries: dict[str, pl.DataFrame],
    formats: Sequence[str],
    plots: bool,
    coarsen_dates: bool,
) -> str:
    citizens = tables["citizens"]
    counts = dict(citizens.group_by("cohort").len().iter_rows())
    rows = {r["metric"]: r for r in summaries["comparison"].iter_rows(named=True)}
    ext = "csv" if "csv" in formats else formats[0]
    followed = int(citizens["followed_up"].sum())
    lines = [
        "# Evaluation report",
        "",
        f"Computed from {evaluation.events:,} events by effective time, up to "
        f"{evaluation.horizon.date().isoformat()}, on {datetime.now().date().isoformat()}. "
        f"{counts.get('plan', 0):,} citizens with one coordinated plan (*plan*), "
        f"{counts.get('comparison', 0):,} under their sectors' own plans (*comparison*); "
        f"{followed:,} of the {citizens.height:,} have been followed up (an outcome "
        "recorded), the rest have not (yet). Citizens are named by keyed pseudonyms only; "
        "the tables hold no names, CPR numbers or free text"
        + (", and dates are coarsened to the month." if coarsen_dates else "."),
        "",
        "Every metric and table is defined in `docs/evaluation.md` of oneplan. Intervals "
        "are 95% confidence intervals, analytic (none is bootstrapped): t for means, Welch "
        "for differences of means, Wilson for shares, a ratio clustered by citizen for "
        "costs per citizen-month, exponential Greenwood for Kaplan-Meier.",
        "",
        "## What these figures are, and what they are not",
        "",
        "Every comparison below is a **difference between cohorts**: what the citizens "
        "with a plan had, did or cost, against what the comparison citizens had, did or "
        "cost. It is **not an effect** of the plan. The cohorts were not formed by chance "
        "unless the municipality says so (a synthetic municipality's are drawn 50/50, but "
        "real cohorts are chosen by caseworkers and citizens), so a difference can come "
        "from who got a plan as much as from the plan. To read one as an effect needs a "
        "design: randomisation, or matching or weighting on the baseline covariates "
        "(`citizens`: age band, benefit and its rate at entry, entry cohort) and on what "
        "the record does not hold (health, education, previous employment: from "
        "registers), with the panel (`panel`, one row per citizen-month) for "
        "difference-in-differences or event-time models. The intervals show sampling "
        "uncertainty only, not bias.",
        "",
        "## The cohorts at entry",
        "",
        "| covariate | level | plan | comparison |",
        "|---|---|---|---|",
    ]
    baseline = summaries["baseline"]
    for (covariate, level), group in baseline.group_by("covariate", "level", maintain_order=True):
        share = {r["cohort"]: r for r in group.iter_rows(named=True)}
        cells = [
            f"{share[c]['share']:.1%} ({share[c]['citizens']:,})" if c in share else "0"
            for c in ("plan", "comparison")
        ]
        lines.append(f"| {covariate} | {level} | {cells[0]} | {cells[1]} |")
    lines += [
        "",
        "## Plan against comparison",
        "",
        "Mean (95% CI) per citizen; the difference is plan less comparison (Welch).",
        "",
        "| metric | n plan | plan | n comparison | comparison | difference |",
        "|---|---|---|---|---|---|",
    ]
    for metric in METRICS:
        r = rows.get(metric)
        if r is None:
            continue
        lines.append(
            f"| {metric} | {r['n_plan']:,} | "
            f"{_ci(r['mean_plan'], r['ci_low_plan'], r['ci_high_plan'])} | "
            f"{r['n_comparison']:,} | "
            f"{_ci(r['mean_comparison'], r['ci_low_comparison'], r['ci_high_comparison'])} | "
            f"{_ci(r['difference_of_means'], r['ci_low'], r['ci_high'])} |"
        )
    lines += [
        "",
        "## Outcomes at the latest follow-up",
        "",
        "Share of the whole cohort (95% CI, Wilson), with those not followed up as a row "
        "of their own (a child, or a course whose follow-up falls after the horizon), "
        "and the share among those followed up.",
        "",
        "| outcome | plan | comparison | difference | plan, of followed up | "
        "comparison, of followed up |",
        "|---|---|---|---|---|---|",
    ]
    outcomes = summaries["outcomes"]
    for (outcome,), group in outcomes.group_by("outcome", maintain_order=True):
        by = {r["cohort"]: r for r in group.iter_rows(named=True)}
        cells = [
            _pct(by[c]["share_of_cohort"], by[c]["ci_low"], by[c]["ci_high"])
            + (f", {by[c]['citizens']:,}" if by[c]["citizens"] is not None else "")
            for c in ("plan", "comparison", "plan - comparison")
        ]
        of = [by[c]["share_of_followed_up"] for c in ("plan", "comparison")]
        lines.append(
            f"| {outcome} | {cells[0]} | {cells[1]} | {cells[2]} | "
            + " | ".join("-" if v is None else f"{v:.1%}" for v in of)
            + " |"
        )
    curve = summaries["cumulative_incidence"]
    lines += [
        "",
        "## Work or education over time",
        "",
        "Cumulative incidence (one minus Kaplan-Meier) of a follow-up recording work or "
        "education, by months since entry, censored at the horizon; 95% CI; at risk in "
        "brackets.",
        "",
        "| months since entry | plan | comparison |",
        "|---|---|---|",
    ]
    for month in INCIDENCE_MONTHS:
        cells = []
        for cohort in ("plan", "comparison"):
            found = curve.filter((pl.col("cohort") == cohort) & (pl.col("month") == month))
            if not found.height:
                cells.append("-")
                continue
            x = found.row(0, named=True)
            cells.append(
                f"{_pct(x['cumulative_incidence'], x['ci_low'], x['ci_high'])} [{x['at_risk']:,}]"
            )
        lines.append(f"| {month} | {cells[0]} | {cells[1]} |")
    cost = summaries["cost_per_citizen_month"].filter(pl.col("sector") == "all")
    lines += [
        "",
        "## Cost per citizen-month",
        "",
        "From the panel: each cohort's costs over its citizen-months from the month of "
        "entry to the horizon, DKK, 95% CI clustered by citizen.",
        "",
        "| budget area | plan | comparison | difference |",
        "|---|---|---|---|",
    ]
    for area in ("service", "transfers", "total"):
        by = {r["cohort"]: r for r in cost.filter(pl.col("budget_area") == area).iter_rows(
            named=True
        )}  # fmt: skip
        cells = [
            _ci(by[c]["per_citizen_month"], by[c]["ci_low"], by[c]["ci_high"], 0)
            for c in ("plan", "comparison", "plan - comparison")
        ]
        lines.append(f"| {area} | {cells[0]} | {cells[1]} | {cells[2]} |")
    balance = summaries["balance"]
    extra = float(
        balance.filter(pl.col("budget_area") == "service")["extra_spending_or_saving"].sum()
    )
    saved = float(
        balance.filter(pl.col("budget_area") == "transfers")["extra_spending_or_saving"].sum()
    )
    lines += [
        "",
        "## Cross-sector balance",
        "",
        "Per citizen-month observed (from the course's start), the plan cohort against the "
        "comparison cohort, scaled to the plan cohort's citizen-months:",
        "",
        f"- extra service spending: DKK {extra:,.0f}",
        f"- transfers saved: DKK {saved:,.0f}",
        f"- balance (saved less spent): DKK {saved - extra:,.0f}",
        "",
        f"By sector and budget area: [balance.{ext}](balance.{ext}). Like every figure "
        "here, a difference between cohorts, not an effect (see above); the intervals of "
        "the costs per citizen-month above say how much of it sampling alone could give.",
        "",
        "## Entry cohorts",
        "",
        "| entered | cohort | citizens | followed up | work or education by 12 months "
        "(95% CI) | transfers per citizen-month (95% CI) |",
        "|---|---|---|---|---|---|",
    ]
    for r in summaries["entry_cohorts"].iter_rows(named=True):
        lines.append(
            f"| {r['entry_cohort']} | {r['cohort']} | {r['citizens']:,} | "
            f"{r['followed_up']:,} | "
            f"{_pct(r['incidence_12m'], r['ci_low_12m'], r['ci_high_12m'])} | "
            + _ci(
                r["transfers_per_citizen_month"],
                r["transfers_ci_low"],
                r["transfers_ci_high"],
                0,
            )
            + " |"
        )
    lines += ["", "## Tables", ""]
    for name in (*tables, *summaries):
        links = ", ".join(f"[{f}]({name}.{f})" for f in formats)
        lines.append(f"- `{name}`: {links}")
    if plots:
        lines += ["", "## Plots", ""]
        for name, title in PLOTS.items():
            lines += [f"### {title}", "", f"![{title}]({name})", ""]
    return "\n".join(lines).rstrip() + "\n"
