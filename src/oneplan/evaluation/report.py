"""The whole evaluation in one directory: pseudonymised tables (CSV and Parquet), PNG
plots, and a short Markdown report linking them (``oneplan evaluate``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import polars as pl

from oneplan.evaluation.exports import FORMATS, cohort_tables, frames, write_tables
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
        written += write_plots(tables, out)
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
    comparison = summaries["comparison"]
    rows = {r["metric"]: r for r in comparison.iter_rows(named=True)}
    ext = "csv" if "csv" in formats else formats[0]
    lines = [
        "# Evaluation report",
        "",
        f"Computed from {evaluation.events:,} events by effective time, up to "
        f"{evaluation.horizon.date().isoformat()}, on {datetime.now().date().isoformat()}. "
        f"{counts.get('plan', 0):,} citizens with one coordinated plan (*plan*), "
        f"{counts.get('comparison', 0):,} under their sectors' own plans (*comparison*). "
        "Citizens are named by keyed pseudonyms only; the tables hold no names, CPR "
        "numbers or free text"
        + (", and dates are coarsened to the month." if coarsen_dates else "."),
        "",
        "Every metric is defined in `docs/evaluation.md` of oneplan.",
        "",
        "## Plan against comparison",
        "",
        "| metric | plan mean | comparison mean | plan median | comparison median |",
        "|---|---|---|---|---|",
    ]
    for metric in (
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
    ):
        r = rows.get(metric)
        if r is None:
            continue
        lines.append(
            f"| {metric} | {_fmt(r['mean_plan'], 2)} | {_fmt(r['mean_comparison'], 2)} | "
            f"{_fmt(r['median_plan'], 2)} | {_fmt(r['median_comparison'], 2)} |"
        )
    lines += ["", "## Outcomes", "", "| cohort | outcome | citizens | share |", "|---|---|---|---|"]
    for r in summaries["outcomes"].iter_rows(named=True):
        lines.append(f"| {r['cohort']} | {r['outcome']} | {r['citizens']} | {r['share']:.1%} |")
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
        "Per citizen-month observed, the plan cohort against the comparison cohort, scaled "
        "to the plan cohort's citizen-months:",
        "",
        f"- extra service spending: DKK {extra:,.0f}",
        f"- transfers saved: DKK {saved:,.0f}",
        f"- balance (saved less spent): DKK {saved - extra:,.0f}",
        "",
        f"By sector and budget area: [balance.{ext}](balance.{ext}). This is a difference "
        "between cohorts, not an effect: the cohorts are not randomised unless the data "
        "say so.",
        "",
        "## Tables",
        "",
    ]
    for name in (*tables, *summaries):
        links = ", ".join(f"[{f}]({name}.{f})" for f in formats)
        lines.append(f"- `{name}`: {links}")
    if plots:
        lines += ["", "## Plots", ""]
        for name, title in PLOTS.items():
            lines += [f"### {title}", "", f"![{title}]({name})", ""]
    return "\n".join(lines).rstrip() + "\n"
