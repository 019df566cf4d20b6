"""PNG plots of an evaluation (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

__all__ = ["PLOTS", "write_plots"]

PLOTS = {
    "caseworkers_per_citizen.png": "Caseworkers met per citizen, by cohort",
    "goal_progression.png": "Goals set and achieved over time",
    "costs_by_sector.png": "Cost by sector and budget area over time",
    "time_to_first_intervention.png": "Days from the course's start to the first intervention",
}
COLOURS = {"plan": "#1b6ca8", "comparison": "#c0504d"}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_plots(tables: dict[str, pl.DataFrame], out: Path) -> list[Path]:
    """Draw the four plots from the evaluation's tables into ``out``."""
    plt = _pyplot()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in (
        ("caseworkers_per_citizen.png", _caseworkers),
        ("goal_progression.png", _goals),
        ("costs_by_sector.png", _costs),
        ("time_to_first_intervention.png", _first_intervention),
    ):
        figure = draw(plt, tables)
        figure.tight_layout()
        figure.savefig(out / name, dpi=110)
        plt.close(figure)
        written.append(out / name)
    return written


def _cohorts(citizens: pl.DataFrame) -> list[str]:
    return [c for c in ("plan", "comparison") if c in set(citizens["cohort"])]


def _caseworkers(plt: Any, tables: dict[str, pl.DataFrame]) -> Any:
    citizens = tables["citizens"]
    figure, axis = plt.subplots(figsize=(8, 4.5))
    cohorts = _cohorts(citizens)
    top = int(citizens["caseworkers"].cast(pl.Int64).max() or 0)  # type: ignore[arg-type]
    width = 0.8 / max(1, len(cohorts))
    for n, cohort in enumerate(cohorts):
        counts = (
            citizens.filter(pl.col("cohort") == cohort)["caseworkers"]
            .value_counts()
            .sort("caseworkers")
        )
        total = counts["count"].sum()
        mean = float(citizens.filter(pl.col("cohort") == cohort)["caseworkers"].mean() or 0)  # type: ignore[arg-type]
        axis.bar(
            [x + n * width for x in counts["caseworkers"].to_list()],
            [c / total for c in counts["count"].to_list()],
            width=width,
            label=f"{cohort} (mean {mean:.1f})",
            color=COLOURS[cohort],
        )
    axis.set_xticks(range(top + 1))
    axis.set_xlabel("distinct caseworkers met")
    axis.set_ylabel("share of citizens")
    axis.set_title(PLOTS["caseworkers_per_citizen.png"])
    axis.legend()
    return figure


def _goals(plt: Any, tables: dict[str, pl.DataFrame]) -> Any:
    goals = tables["goals"].unique(subset="goal")
    figure, axis = plt.subplots(figsize=(8, 4.5))
    if goals.height:
        set_by_month = goals.group_by(pl.col("set_on").dt.truncate("1mo").alias("month")).len()
        achieved = goals.filter(pl.col("achieved_on").is_not_null())
        achieved_by_month = achieved.group_by(
            pl.col("achieved_on").dt.truncate("1mo").alias("month")
        ).len()
        months = (
            pl.concat([set_by_month.select("month"), achieved_by_month.select("month")])
            .unique()
            .sort("month")
        )
        series = (
            months.join(set_by_month.rename({"len": "set"}), on="month", how="left")
            .join(achieved_by_month.rename({"len": "achieved"}), on="month", how="left")
            .fill_null(0)
            .with_columns(pl.col("set").cum_sum(), pl.col("achieved").cum_sum())
        )
        axis.plot(series["month"], series["set"], label="goals set (cumulative)", color="#555555")
        axis.plot(
            series["month"],
            series["achieved"],
            label="goals achieved (cumulative)",
            color=COLOURS["plan"],
        )
        axis.legend()
    axis.set_ylabel("goals and sub-goals")
    axis.set_title(PLOTS["goal_progression.png"])
    return figure


def _costs(plt: Any, tables: dict[str, pl.DataFrame]) -> Any:
    costs = tables["costs"]
    figure, (service, transfers) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    if costs.height:
        by = (
            costs.group_by("month", "sector", "budget_area")
            .agg(pl.col("amount").sum().cast(pl.Float64) / 1_000_000)
            .sort("month")
        )
        months = by["month"].unique().sort()
        for axis, area in ((service, "service"), (transfers, "transfers")):
            part = by.filter(pl.col("budget_area") == area)
            sectors = sorted(set(part["sector"]))
            stack = []
            for sector in sectors:
                values = dict(
                    zip(
                        part.filter(pl.col("sector") == sector)["month"].to_list(),
                        part.filter(pl.col("sector") == sector)["amount"].to_list(),
                        strict=True,
                    )
                )
                stack.append([values.get(m, 0.0) for m in months.to_list()])
            if stack:
                axis.stackplot(months.to_list(), *stack, labels=sectors)
                axis.legend(loc="upper left", fontsize=8)
            axis.set_ylabel(f"{area}, DKK million")
    service.set_title(PLOTS["costs_by_sector.png"])
    return figure


def _first_intervention(plt: Any, tables: dict[str, pl.DataFrame]) -> Any:
    citizens = tables["citizens"]
    first = tables["first_interventions"].join(
        citizens.select("citizen", "cohort"), on="citizen", how="left"
    )
    figure, (overall, sel85) = plt.subplots(1, 2, figsize=(9, 4.5), sharey=True)
    cohorts = _cohorts(citizens)
    for axis, frame, column, title in (
        (overall, citizens, "days_to_first_intervention", "any intervention"),
        (sel85, first.filter(pl.col("legal_basis") == "SEL § 85"), "days", "SEL § 85"),
    ):
        data = [frame.filter(pl.col("cohort") == c)[column].drop_nulls().to_list() for c in cohorts]
        if any(data):
            box = axis.boxplot(data, patch_artist=True, showfliers=False)
            axis.set_xticks(range(1, len(cohorts) + 1), cohorts)
            for patch, cohort in zip(box["boxes"], cohorts, strict=True):
                patch.set_facecolor(COLOURS[cohort])
        axis.set_title(title)
    overall.set_ylabel("days")
    figure.suptitle(PLOTS["time_to_first_intervention.png"])
    return figure
