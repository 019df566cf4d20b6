"""PNG plots of an evaluation (matplotlib, Agg backend: no display needed). Every plot
names its unit on each axis, gives the number of citizens (n) behind each series, and
draws 95% intervals where it shows an estimate (``oneplan.evaluation.statistics``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import polars as pl

from oneplan.evaluation.statistics import mean_interval

__all__ = ["PLOTS", "write_plots"]

PLOTS = {
    "caseworkers_per_citizen.png": "Caseworkers met per citizen, by cohort",
    "time_to_first_intervention.png": "Days from the course's start to the first intervention",
    "cumulative_incidence.png": "Cumulative incidence of work or education since entry",
    "cost_per_citizen_month.png": "Cost per citizen-month since entry, service and transfers",
    "costs_by_sector.png": "Cost per citizen-month by sector and budget area",
    "goal_progression.png": "Goals set and achieved over time (plan cohort)",
}
COLOURS = {"plan": "#1b6ca8", "comparison": "#c0504d"}
COHORTS = ("plan", "comparison")
INTERVAL = "95% CI"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_plots(tables: dict[str, pl.DataFrame], out: Path) -> list[Path]:
    """Draw the plots from the evaluation's tables (the per-citizen tables and the
    summaries of ``cohort_tables``) into ``out``."""
    plt = _pyplot()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in (
        ("caseworkers_per_citizen.png", _caseworkers),
        ("time_to_first_intervention.png", _first_intervention),
        ("cumulative_incidence.png", _incidence),
        ("cost_per_citizen_month.png", _cost_since_entry),
        ("costs_by_sector.png", _costs_by_sector),
        ("goal_progression.png", _goals),
    ):
        figure = draw(plt, tables)
        if figure.get_layout_engine() is None:  # (a plot with a legend under it sets its own)
            figure.tight_layout()
        figure.savefig(out / name, dpi=110)
        plt.close(figure)
        written.append(out / name)
    return written


def _cohorts(citizens: pl.DataFrame) -> list[str]:
    return [c for c in COHORTS if c in set(citizens["cohort"])]


def _n(citizens: pl.DataFrame, cohort: str) -> int:
    return citizens.filter(pl.col("cohort") == cohort).height


def _ci(values: list[float], digits: int = 1) -> str:
    e = mean_interval(values)
    if e.estimate is None:
        return "no values"
    if e.ci_low is None or e.ci_high is None:
        return f"mean {e.estimate:,.{digits}f}"
    low, high = f"{e.ci_low:,.{digits}f}", f"{e.ci_high:,.{digits}f}"
    return f"mean {e.estimate:,.{digits}f}, {INTERVAL} {low} to {high}"


def _caseworkers(plt: Any, tables: dict[str, pl.DataFrame]) -> Any:
    citizens = tables["citizens"]
    figure, axis = plt.subplots(figsize=(9, 5))
    cohorts = _cohorts(citizens)
    top = int(citizens["caseworkers"].cast(pl.Int64).max() or 0)  # type: ignore[arg-type]
    width = 0.8 / max(1, len(cohorts))
    for n, cohort in enumerate(cohorts):
        values = citizens.filter(pl.col("cohort") == cohort)["caseworkers"]
        counts = values.value_counts().sort("caseworkers")
        total = counts["count"].sum()
        axis.bar(
            [x + (n - (len(cohorts) - 1) / 2) * width for x in counts["caseworkers"].to_list()],
            [100 * c / total for c in counts["count"].to_list()],
            width=width,
            label=f"{cohort} (n = {total:,}; {_ci(values.cast(pl.Float64).to_list())})",
            color=COLOURS[cohort],
        )
    axis.set_xticks(range(top + 1))
    axis.set_xlabel("distinct caseworkers met per citizen, from entry to the horizon (count)")
    axis.set_ylabel("share of the cohort's citizens (%)")
    axis.set_title(PLOTS["caseworkers_per_citizen.png"])
    axis.legend(fontsize=8)
    return figure


def _first_intervention(plt: Any, tables: dict[str, pl.DataFrame]) -> Any:
    citizens = tables["citizens"]
    first = tables["first_interventions"].join(
        citizens.select("citizen", "cohort"), on="citizen", how="left"
    )
    figure, (overall, sel85) = plt.subplots(1, 2, figsize=(10, 5), sharey=True)
    cohorts = _cohorts(citizens)
    for axis, frame, column, title in (
        (overall, citizens, "days_to_first_intervention", "any intervention"),
        (sel85, first.filter(pl.col("legal_basis") == "SEL § 85"), "days", "SEL § 85"),
    ):
        data = [frame.filter(pl.col("cohort") == c)[column].drop_nulls().to_list() for c in cohorts]
        if any(data):
            box = axis.boxplot(data, patch_artist=True, showfliers=False, widths=0.5)
            labels = []
            for number, (values, cohort, patch) in enumerate(
                zip(data, cohorts, box["boxes"], strict=True), start=1
            ):
                patch.set_facecolor(COLOURS[cohort])
                patch.set_alpha(0.5)
                e = mean_interval(values)
                if e.estimate is not None and e.ci_low is not None and e.ci_high is not None:
                    axis.errorbar(
                        number + 0.32,
                        e.estimate,
                        yerr=[[e.estimate - e.ci_low], [e.ci_high - e.estimate]],
                        fmt="D",
                        color="black",
                        capsize=4,
                        markersize=4,
                    )
                    axis.annotate(
                        f"{e.estimate:.0f}",
                        (number + 0.36, e.estimate),
                        xytext=(4, 0),
                        textcoords="offset points",
                        fontsize=8,
                        va="center",
                    )
                labels.append(f"{cohort}\nn = {len(values):,}")
            axis.set_xticks(range(1, len(cohorts) + 1), labels)
        axis.set_title(title)
    overall.set_ylabel("days from the course's start to the first start (days)")
    overall.set_xlabel(
        "box: quartiles, whiskers 1.5 IQR; diamond: mean with " + INTERVAL, fontsize=8
    )
    sel85.set_xlabel("citizens with an SEL § 85 intervention started", fontsize=8)
    figure.suptitle(PLOTS["time_to_first_intervention.png"])
    return figure


def _incidence(plt: Any, tables: dict[str, pl.DataFrame]) -> Any:
    curve = tables["cumulative_incidence"]
    citizens = tables["citizens"]
    figure, axis = plt.subplots(figsize=(9, 5.5))
    longest = max(curve["month"].to_list(), default=0)
    marks = [m for m in (0, 6, 12, 18, 24, 30) if m <= longest]
    lines = []
    for cohort in _cohorts(citizens):
        part = curve.filter(pl.col("cohort") == cohort).sort("month")
        months = part["month"].to_list()
        axis.step(
            months,
            [100 * v for v in part["cumulative_incidence"].to_list()],
            where="post",
            color=COLOURS[cohort],
            label=f"{cohort} (n = {_n(citizens, cohort):,})",
        )
        axis.fill_between(
            months,
            [100 * v for v in part["ci_low"].to_list()],
            [100 * v for v in part["ci_high"].to_list()],
            step="post",
            color=COLOURS[cohort],
            alpha=0.2,
        )
        at_risk = dict(zip(months, part["at_risk"].to_list(), strict=True))
        lines.append(f"{cohort:>10}: " + "  ".join(f"{at_risk.get(m, 0):>6,}" for m in marks))
    axis.set_xlabel("months since entry (registration)")
    axis.set_ylabel("in work or education (% of the cohort, Kaplan-Meier)")
    axis.set_title(PLOTS["cumulative_incidence.png"])
    axis.set_ylim(bottom=0)
    axis.legend(title=f"shaded: {INTERVAL}", fontsize=8, loc="upper left")
    header = "at risk at month " + "  ".join(f"{m:>6}" for m in marks)
    axis.text(
        0.99,
        0.02,
        "\n".join([header, *lines]),
        transform=axis.transAxes,
        ha="right",
        va="bottom",
        family="monospace",
        fontsize=7,
    )
    return figure


def _cost_since_entry(plt: Any, tables: dict[str, pl.DataFrame]) -> Any:
    by = tables["costs_by_month_since_entry"]
    overall = tables["cost_per_citizen_month"]
    citizens = tables["citizens"]
    figure, axes = plt.subplots(1, 2, figsize=(11, 5), sharex=True)
    for axis, area in zip(axes, ("service", "transfers"), strict=True):
        for cohort in _cohorts(citizens):
            part = by.filter((pl.col("cohort") == cohort) & (pl.col("budget_area") == area))
            part = part.filter(pl.col("citizens") >= 20).sort("months_since_entry")
            row = overall.filter(
                (pl.col("cohort") == cohort)
                & (pl.col("budget_area") == area)
                & (pl.col("sector") == "all")
            ).row(0, named=True)
            months = part["months_since_entry"].to_list()
            axis.plot(
                months,
                part["mean"].to_list(),
                color=COLOURS[cohort],
                label=(
                    f"{cohort} (n = {row['citizens'] or 0:,}; "
                    f"{row['citizen_months'] or 0:,} citizen-months;\n all months "
                    + _with_interval(row["per_citizen_month"], row["ci_low"], row["ci_high"])
                    + ")"
                ),
            )
            axis.fill_between(
                months,
                part["ci_low"].to_list(),
                part["ci_high"].to_list(),
                color=COLOURS[cohort],
                alpha=0.2,
            )
        if not by.filter((pl.col("budget_area") == area) & (pl.col("citizens") >= 20)).height:
            axis.text(
                0.5, 0.5, "no month with 20 or more citizens", transform=axis.transAxes,
                ha="center",
            )  # fmt: skip
        axis.set_title(f"{area}")
        axis.set_xlabel("months since entry (months with 20 or more citizens)")
        axis.set_ylabel(f"{area} per citizen in the month (DKK)")
        axis.set_ylim(bottom=0)
        # (under the axes: inside, the legend hid the curves' tails)
        axis.legend(
            fontsize=7,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            title=f"shaded: {INTERVAL}",
            title_fontsize=8,
        )
    figure.suptitle(PLOTS["cost_per_citizen_month.png"])
    return figure


def _with_interval(estimate: float | None, low: float | None, high: float | None) -> str:
    """``5,303 DKK, 95% CI 5,070 to 5,537``; without an interval (one citizen) the
    estimate alone, and ``no estimate`` without one (no citizen-months)."""
    if estimate is None:
        return "no estimate"
    if low is None or high is None:
        return f"{estimate:,.0f} DKK, no interval (one citizen)"
    return f"{estimate:,.0f} DKK, {INTERVAL} {low:,.0f} to {high:,.0f}"


def _estimate(row: dict[str, Any] | None, column: str) -> float:
    """A row's estimate, NaN where there is none (matplotlib draws nothing for NaN)."""
    value = None if row is None else row.get(column)
    return math.nan if value is None else float(value)


def _costs_by_sector(plt: Any, tables: dict[str, pl.DataFrame]) -> Any:
    rows = tables["cost_per_citizen_month"].filter(
        (pl.col("sector") != "all") & pl.col("cohort").is_in(COHORTS)
    )
    citizens = tables["citizens"]
    cohorts = _cohorts(citizens)
    figure, axes = plt.subplots(
        1, 2, figsize=(11, 5), gridspec_kw={"width_ratios": [3, 1]}, sharey=False
    )
    for axis, area in zip(axes, ("service", "transfers"), strict=True):
        part = rows.filter(pl.col("budget_area") == area)
        sectors = [
            s
            for s in dict.fromkeys(part["sector"].to_list())
            if max(
                (v for v in part.filter(pl.col("sector") == s)["per_citizen_month"] if v),
                default=0,
            )
        ]
        width = 0.8 / max(1, len(cohorts))
        for n, cohort in enumerate(cohorts):
            mine = part.filter(pl.col("cohort") == cohort)
            values = {r["sector"]: r for r in mine.iter_rows(named=True)}
            x = [i + (n - (len(cohorts) - 1) / 2) * width for i in range(len(sectors))]
            # (a cohort without citizen-months has no estimate there: no bar, no whisker)
            y = [_estimate(values.get(s), "per_citizen_month") for s in sectors]
            low = [v - _estimate(values.get(s), "ci_low") for s, v in zip(sectors, y, strict=True)]
            high = [
                _estimate(values.get(s), "ci_high") - v for s, v in zip(sectors, y, strict=True)
            ]
            axis.bar(
                x,
                y,
                width=width,
                yerr=[low, high],
                capsize=3,
                color=COLOURS[cohort],
                label=_months_label(tables["cost_per_citizen_month"], citizens, cohort),
            )
        if not sectors:  # (an empty panel says why)
            axis.text(0.5, 0.5, f"no {area} booked", transform=axis.transAxes, ha="center")
        axis.set_xticks(range(len(sectors)), sectors, rotation=20, fontsize=8)
        axis.set_xlabel("sector", fontsize=8)
        axis.set_ylabel(f"{area} per citizen-month (DKK)")
        axis.set_title(area)
    handles, labels = axes[0].get_legend_handles_labels()
    # (one legend under both panels: inside a panel it hid the bars)
    figure.legend(
        handles,
        labels,
        loc="lower center",
        ncols=max(1, len(labels)),
        fontsize=8,
        title=f"whiskers: {INTERVAL}",
        title_fontsize=8,
    )
    figure.suptitle(PLOTS["costs_by_sector.png"])
    figure.set_layout_engine("tight", rect=(0, 0.1, 1, 1))
    return figure


def _months_label(overall: pl.DataFrame, citizens: pl.DataFrame, cohort: str) -> str:
    """``cohort (n = citizens; citizen-months)``: what a cost per citizen-month is over."""
    row = overall.filter(
        (pl.col("cohort") == cohort)
        & (pl.col("sector") == "all")
        & (pl.col("budget_area") == "total")
    )
    months = int(row["citizen_months"][0] or 0) if row.height else 0
    return f"{cohort} (n = {_n(citizens, cohort):,}; {months:,} citizen-months)"


def _goals(plt: Any, tables: dict[str, pl.DataFrame]) -> Any:
    goals = tables["goals"].unique(subset="goal")
    figure, axis = plt.subplots(figsize=(9, 5))
    plans = goals["plan"].n_unique() if goals.height else 0
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
        axis.plot(
            series["month"],
            series["set"],
            label=f"goals and sub-goals set (n = {goals.height:,} in {plans:,} plans)",
            color="#555555",
        )
        axis.plot(
            series["month"],
            series["achieved"],
            label=f"achieved (n = {achieved.height:,})",
            color=COLOURS["plan"],
        )
        axis.legend(fontsize=8)
    axis.set_xlabel("calendar month")
    axis.set_ylabel("goals and sub-goals, cumulative (count)")
    axis.set_title(PLOTS["goal_progression.png"])
    return figure
