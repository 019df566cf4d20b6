"""Each new measure of the evaluation against a small course worked out by hand.

Mette (born 1984, registered 2026-01-12, so 41: band 40-49) has a coordinated plan from
2026-01-14 to its completion on 2026-04-15; her SEL § 85 support runs from 2026-02-11 to
2026-04-12 and costs DKK 3,100.00 in March; kontanthjælp of DKK 12,000.00 is paid for
2026-02-01..2026-03-31 (59 days: 28 in February, 31 in March); she is followed up into
work on 2026-04-20. Jens (born 2000-06-01, 25 at registration on 2026-01-12) is a
comparison citizen whose physiotherapy starts 2026-02-01 and is still running; he is
followed up with no outcome on 2026-05-10, the last event (the horizon). Ida, a child
(born 2015-06-01), is registered 2026-03-03 and nothing else happens to her.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from oneplan import InterventionOutcome, OnePlan, Period, PlanOutcome
from oneplan.evaluation import Pseudonymiser, evaluate
from oneplan.evaluation.exports import cohort_tables, frames
from tests.builders import ANNE, LARS, SOFIE, acting, at, citizen_with_consent, record


class Course:
    def __init__(self) -> None:
        app = OnePlan.open("memory://", clock=lambda: at(2026, 11, 1))
        for member in (ANNE, LARS, SOFIE):
            acting(app, member)
        self.mette, consent = citizen_with_consent(app)
        plan = acting(app, ANNE).open_plan(
            citizen_ids=[self.mette], consent_ids=[consent], legal_bases=["LAB § 30 b"],
            coordinator=ANNE, effective_at=at(2026, 1, 14),
        )  # fmt: skip
        support = acting(app, ANNE).propose_intervention(
            plan_id=plan, citizen_id=self.mette, sector="social", legal_basis="SEL § 85",
            title="Support contact person", responsible=LARS,
            planned_period=Period(start=date(2026, 2, 1)), effective_at=at(2026, 2, 1),
        )  # fmt: skip
        acting(app, LARS).grant_intervention(intervention_id=support, effective_at=at(2026, 2, 5))
        acting(app, LARS).start_intervention(intervention_id=support, effective_at=at(2026, 2, 11))
        acting(app, LARS).record_actual_cost(
            intervention_id=support, amount="3100.00", budget_area="service",
            period=Period(start=date(2026, 3, 1), end=date(2026, 3, 31)),
            effective_at=at(2026, 3, 31),
        )  # fmt: skip
        acting(app, ANNE).record_benefit_paid(
            citizen_id=self.mette, sector="employment", legal_basis="LAS § 11",
            amount="12000.00", period=Period(start=date(2026, 2, 1), end=date(2026, 3, 31)),
            effective_at=at(2026, 4, 1),
        )  # fmt: skip
        acting(app, LARS).complete_intervention(
            intervention_id=support, outcome=InterventionOutcome.GOALS_MET,
            effective_at=at(2026, 4, 12),
        )  # fmt: skip
        acting(app, ANNE).complete_plan(
            plan_id=plan, outcome=PlanOutcome.WORK, effective_at=at(2026, 4, 15)
        )
        acting(app, ANNE).record_outcome(
            citizen_id=self.mette, outcome=PlanOutcome.WORK, effective_at=at(2026, 4, 20)
        )
        self.jens, _ = citizen_with_consent(app, name="Jens", birth_date=date(2000, 6, 1))
        physio = acting(app, SOFIE).propose_intervention_under_sector_plan(
            citizen_id=self.jens, sector_plan={"sector": "health", "legal_basis": "SUL § 119"},
            legal_basis="SUL § 140", title="Physiotherapy", responsible=SOFIE,
            planned_period=Period(start=date(2026, 2, 1)), effective_at=at(2026, 1, 20),
        )  # fmt: skip
        acting(app, SOFIE).grant_intervention(intervention_id=physio, effective_at=at(2026, 1, 25))
        acting(app, SOFIE).start_intervention(intervention_id=physio, effective_at=at(2026, 2, 1))
        self.ida = acting(app, ANNE).register_citizen(
            name="Ida", birth_date=date(2015, 6, 1), effective_at=at(2026, 3, 3)
        )
        acting(app, ANNE).record_outcome(
            citizen_id=self.jens, outcome=PlanOutcome.NONE, effective_at=at(2026, 5, 10)
        )
        self.evaluation = evaluate(record(app).all_events())
        self.key = Pseudonymiser.generate()
        self.tables = frames(self.evaluation, self.key)
        self.summaries = cohort_tables(self.tables)

    def row(self, table: str, citizen: Any) -> dict[str, Any]:
        frame = self.tables[table].filter(pl.col("citizen") == self.key.citizen(citizen))
        return frame.row(0, named=True)

    def months(self, citizen: Any) -> list[dict[str, Any]]:
        return (
            self.tables["panel"].filter(pl.col("citizen") == self.key.citizen(citizen)).to_dicts()
        )


@pytest.fixture(scope="module")
def course() -> Course:
    return Course()


def test_each_citizen_carries_entry_baseline_covariates_and_outcome_dates(course: Course) -> None:
    mette = course.row("citizens", course.mette)
    jens = course.row("citizens", course.jens)
    ida = course.row("citizens", course.ida)

    assert (mette["entry_on"], mette["entry_cohort"], mette["age_band"]) == (
        date(2026, 1, 12),
        "2026-H1",
        "40-49",  # born 1984-05-02, 41 on 2026-01-12
    )
    # The benefit begins 20 days after entry (within 31): 12,000.00 over 59 days a month.
    assert mette["benefit_at_start"] == "LAS § 11"
    assert mette["benefit_monthly_at_start"] == Decimal("6190.68")  # 12000 * 30.4375 / 59
    assert (mette["followed_up"], mette["outcome"], mette["outcome_on"]) == (
        True,
        "work",
        date(2026, 4, 20),
    )
    assert (mette["work_or_education"], mette["work_or_education_on"]) == (True, date(2026, 4, 20))
    assert mette["days_at_risk"] == 98.0  # 19 + 28 + 31 + 20 days from 2026-01-12
    assert (jens["age_band"], jens["benefit_at_start"], jens["outcome"]) == ("25-29", None, "none")
    assert (jens["work_or_education"], jens["days_at_risk"]) == (False, 118.0)  # to 05-10
    assert (ida["age_band"], ida["outcome"], ida["outcome_on"]) == (
        "0-17",
        "not-followed-up",
        None,
    )
    assert ida["days_at_risk"] == 68.0  # 2026-03-03 to the horizon, 2026-05-10


def test_the_panel_has_a_row_per_citizen_month_from_entry_to_the_horizon(course: Course) -> None:
    mette = course.months(course.mette)
    assert [m["month"] for m in mette] == [date(2026, n, 1) for n in range(1, 6)]
    assert [m["months_since_entry"] for m in mette] == [0, 1, 2, 3, 4]
    # The plan held her course from 01-14 to its completion on 04-15.
    assert [m["in_plan"] for m in mette] == [True, True, True, True, False]
    # SEL § 85 ran from 02-11 to 04-12.
    assert [m["running_social"] for m in mette] == [0, 1, 1, 1, 0]
    assert [m["service_social"] for m in mette] == [0, 0, Decimal("3100.00"), 0, 0]
    assert [m["service_cost"] for m in mette] == [0, 0, Decimal("3100.00"), 0, 0]
    # 12,000.00 over 59 days: February 28/59 of it, March the rest.
    assert [m["benefit_paid"] for m in mette] == [
        0,
        Decimal("5694.92"),
        Decimal("6305.08"),
        0,
        0,
    ]
    assert [m["transfers_employment"] for m in mette] == [m["benefit_paid"] for m in mette]
    assert [m["outcome_state"] for m in mette] == ["not-followed-up"] * 3 + ["work"] * 2
    jens = course.months(course.jens)
    assert [m["running_health"] for m in jens] == [0, 1, 1, 1, 1]  # started 02-01, running
    assert not any(m["in_plan"] for m in jens)
    assert [m["outcome_state"] for m in jens] == ["not-followed-up"] * 4 + ["none"]
    ida = course.months(course.ida)
    assert [m["month"] for m in ida] == [date(2026, n, 1) for n in (3, 4, 5)]
    assert {m["outcome_state"] for m in ida} == {"not-followed-up"}


def test_outcomes_have_a_row_for_those_not_followed_up(course: Course) -> None:
    outcomes = {
        (r["cohort"], r["outcome"]): r for r in course.summaries["outcomes"].iter_rows(named=True)
    }

    assert outcomes[("plan", "work")]["citizens"] == 1
    assert outcomes[("plan", "work")]["share_of_cohort"] == 1.0
    assert outcomes[("comparison", "none")]["share_of_cohort"] == 0.5
    assert outcomes[("comparison", "none")]["share_of_followed_up"] == 1.0  # Jens of Jens
    assert outcomes[("comparison", "not-followed-up")]["citizens"] == 1  # Ida
    assert outcomes[("comparison", "not-followed-up")]["share_of_followed_up"] is None
    assert outcomes[("plan - comparison", "work")]["share_of_cohort"] == 1.0


def test_the_cumulative_incidence_counts_the_first_follow_up_into_work(course: Course) -> None:
    curve = {
        (r["cohort"], r["month"]): r
        for r in course.summaries["cumulative_incidence"].iter_rows(named=True)
    }

    # Mette's 98 days are 3.2 months: not yet at month 3, all of her cohort at month 4.
    assert curve[("plan", 3)]["cumulative_incidence"] == 0.0
    assert (curve[("plan", 4)]["cumulative_incidence"], curve[("plan", 4)]["events"]) == (1.0, 1)
    assert curve[("plan", 3)]["at_risk"] == 1
    assert curve[("plan", 4)]["at_risk"] == 0  # (the table ends past the longest follow-up)
    assert curve[("comparison", 3)]["cumulative_incidence"] == 0.0  # censored, no event
    assert curve[("comparison", 3)]["at_risk"] == 1  # Jens (118 days); Ida left at 68


def test_cost_per_citizen_month_is_the_cohorts_costs_over_its_citizen_months(
    course: Course,
) -> None:
    cost = {
        (r["cohort"], r["budget_area"], r["sector"]): r
        for r in course.summaries["cost_per_citizen_month"].iter_rows(named=True)
    }

    plan = cost[("plan", "service", "all")]
    assert (plan["citizens"], plan["citizen_months"]) == (1, 5)
    assert plan["per_citizen_month"] == 620.0  # 3,100.00 / 5 months
    assert plan["ci_low"] is None  # one citizen: no spread to measure
    assert cost[("plan", "transfers", "all")]["per_citizen_month"] == 2400.0  # 12,000 / 5
    assert cost[("comparison", "service", "all")]["citizen_months"] == 8  # Jens 5, Ida 3
    assert cost[("comparison", "service", "all")]["per_citizen_month"] == 0.0


def test_the_baseline_and_entry_cohort_tables_count_each_cohort(course: Course) -> None:
    baseline = {
        (r["cohort"], r["covariate"], r["level"]): r["citizens"]
        for r in course.summaries["baseline"].iter_rows(named=True)
    }
    entries = course.summaries["entry_cohorts"].to_dicts()

    assert baseline[("comparison", "age_band", "0-17")] == 1
    assert baseline[("comparison", "benefit_at_start", "none")] == 2
    assert baseline[("plan", "benefit_at_start", "LAS § 11")] == 1
    assert [(r["entry_cohort"], r["cohort"], r["citizens"], r["followed_up"]) for r in entries] == [
        ("2026-H1", "plan", 1, 1),
        ("2026-H1", "comparison", 2, 1),
    ]
    assert entries[0]["incidence_12m"] is None  # nobody followed 12 months by the horizon
