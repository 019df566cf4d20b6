"""The evaluation's tables over a small synthetic municipality: the same seed gives the
same tables, and the panel agrees with the per-citizen tables it is built beside."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import cache

import polars as pl

from oneplan import OnePlan
from oneplan.evaluation import Evaluation, Pseudonymiser, evaluate
from oneplan.evaluation.exports import PANEL_COSTS, cohort_tables, frames
from oneplan.simulation import Municipality, simulate
from tests.builders import record

CLOCK = datetime(2026, 6, 1, tzinfo=UTC)
KEY = Pseudonymiser(b"k" * 32)


@cache
def municipality(seed: int) -> Evaluation:
    app = OnePlan.open("memory://", clock=lambda: CLOCK)
    simulate(app, citizens=40, seed=seed, municipality=Municipality(years=2))
    return evaluate(record(app).all_events())


def every_table(evaluation: Evaluation) -> dict[str, pl.DataFrame]:
    tables = frames(evaluation, KEY)
    return {**tables, **cohort_tables(tables)}


def test_the_same_seed_gives_the_same_tables_and_another_seed_other_ones() -> None:
    first = every_table(municipality(5))
    again = every_table(municipality.__wrapped__(5))  # simulated afresh
    other = every_table(municipality(6))

    assert first.keys() == again.keys()
    for name, table in first.items():
        assert table.equals(again[name]), name
    assert not first["citizens"].equals(other["citizens"])
    assert not first["panel"].equals(other["panel"])


def test_the_panels_costs_add_up_to_each_citizens_totals() -> None:
    tables = frames(municipality(5), KEY)
    panel = tables["panel"]
    sums = panel.group_by("citizen").agg(
        pl.col("service_cost").sum(),
        pl.col("transfers").sum(),
        pl.len().alias("months"),
        pl.col("in_plan").any(),
    )
    both = tables["citizens"].join(sums, on="citizen", suffix="_panel")

    assert both.height == tables["citizens"].height
    assert (both["service_cost"] == both["service_cost_panel"]).all()
    assert (both["transfers"] == both["transfers_panel"]).all()
    assert (both["in_plan"] == (both["cohort"] == "plan")).all()
    by_area = panel.select(
        pl.sum_horizontal(c for c in PANEL_COSTS if c.startswith("service_")).alias("s"),
        pl.sum_horizontal(c for c in PANEL_COSTS if c.startswith("transfers_")).alias("t"),
        "service_cost",
        "transfers",
        "benefit_paid",
    )
    assert (by_area["s"] == by_area["service_cost"]).all()
    assert (by_area["t"] == by_area["transfers"]).all()
    assert (by_area["benefit_paid"] <= by_area["transfers"]).all()
    assert panel["benefit_paid"].sum() == sum(
        (b.amount for b in municipality(5).benefits), Decimal(0)
    )


def test_a_citizens_outcome_state_changes_only_at_a_follow_up_and_ends_as_their_outcome() -> None:
    tables = frames(municipality(5), KEY)
    last = tables["panel"].group_by("citizen").agg(pl.col("outcome_state").last())
    both = tables["citizens"].join(last, on="citizen")

    assert (both["outcome"] == both["outcome_state"]).all()
    assert both.filter(~pl.col("followed_up"))["outcome_state"].unique().to_list() == [
        "not-followed-up"
    ]


def test_the_cumulative_incidence_never_falls_and_its_interval_holds_it() -> None:
    curve = cohort_tables(frames(municipality(5), KEY))["cumulative_incidence"]

    for cohort in ("plan", "comparison"):
        part = curve.filter(pl.col("cohort") == cohort).sort("month")
        values = part["cumulative_incidence"].to_list()
        assert values == sorted(values)
        assert (part["ci_low"] <= part["cumulative_incidence"]).all()
        assert (part["cumulative_incidence"] <= part["ci_high"]).all()
        assert part["at_risk"].to_list() == sorted(part["at_risk"].to_list(), reverse=True)
