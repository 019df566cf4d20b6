"""The plots are drawn for a record with one cohort only (the demo's: no comparison
citizen, so no citizen-months and no estimate for that cohort), as for a whole one."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from oneplan.evaluation.exports import cohort_tables
from oneplan.evaluation.plots import PLOTS, write_plots
from tests.evaluation.test_measures_by_hand import Course


def test_every_plot_is_drawn_when_one_cohort_has_no_citizens(tmp_path: Path) -> None:
    course = Course()
    plan = set(course.tables["citizens"].filter(pl.col("cohort") == "plan")["citizen"])
    tables = {
        name: frame.filter(pl.col("citizen").is_in(plan)) for name, frame in course.tables.items()
    }
    summaries = cohort_tables(tables)
    assert (
        summaries["cost_per_citizen_month"]
        .filter(pl.col("cohort") == "comparison")["per_citizen_month"]
        .is_null()
        .all()
    )

    written = write_plots({**tables, **summaries}, tmp_path)

    assert {p.name for p in written} == set(PLOTS)
    assert all(p.stat().st_size > 10_000 for p in written)
