"""Each evaluation metric against a small course whose figures are worked out by hand.

Mette has one coordinated plan; Jens is a comparison citizen whose physiotherapy is held
under the health sector's own plan. Every figure asserted below is computed in the
comment beside it from the effective times and amounts the course records.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from oneplan import (
    AchievementStatus,
    Actor,
    BudgetArea,
    InterventionOutcome,
    Law,
    MeetingAttendee,
    OnePlan,
    Period,
    PlanOutcome,
    Sector,
)
from oneplan.evaluation import evaluate, spread_by_month
from tests.builders import ANNE, KARIN, LARS, SOFIE, acting, at, citizen_with_consent, record

HELLE = Actor.caseworker("helle", Sector.HEALTH, Law.SUL)


class Course:
    def __init__(self, app: OnePlan) -> None:
        self.app = app
        for member in (ANNE, KARIN, LARS, SOFIE, HELLE):
            acting(app, member)  # (the cast in the staff directory, named in commands below)
        # Mette: registered 2026-01-12 10:00 by Anne; plan opened 2026-01-14 10:00.
        self.mette, consent = citizen_with_consent(app)
        self.plan = acting(app, ANNE).open_plan(
            citizen_ids=[self.mette],
            consent_ids=[consent],
            legal_bases=["LAB § 30 b"],
            coordinator=ANNE,
            effective_at=at(2026, 1, 14),
        )
        self.achieved = acting(app, ANNE).set_goal(
            plan_id=self.plan,
            description="takes the bus",
            effective_at=at(2026, 1, 20),
        )
        acting(app, ANNE).set_goal(
            plan_id=self.plan, description="sleeps well", effective_at=at(2026, 1, 20)
        )
        support = acting(app, ANNE).propose_intervention(
            plan_id=self.plan,
            citizen_id=self.mette,
            sector="social",
            legal_basis="SEL § 85",
            title="Support contact person",
            responsible=LARS,
            planned_period=Period(start=date(2026, 2, 1)),
            effective_at=at(2026, 2, 1),
        )
        acting(app, LARS).grant_intervention(intervention_id=support, effective_at=at(2026, 2, 5))
        acting(app, LARS).start_intervention(intervention_id=support, effective_at=at(2026, 2, 11))
        acting(app, ANNE).hold_meeting(
            plan_id=self.plan,
            attendees=[MeetingAttendee(id="sofie", sector=Sector.HEALTH)],
            effective_at=at(2026, 2, 20),
        )
        acting(app, LARS).pause_intervention(
            intervention_id=support, reason="hospital", effective_at=at(2026, 3, 1)
        )
        acting(app, ANNE).record_goal_progress(
            plan_id=self.plan,
            goal_id=self.achieved,
            achievement=AchievementStatus.ACHIEVED,
            effective_at=at(2026, 3, 1),
        )
        acting(app, LARS).resume_intervention(intervention_id=support, effective_at=at(2026, 3, 11))
        acting(app, ANNE).hand_over_coordinator(
            plan_id=self.plan,
            new_coordinator=KARIN,
            reason="family",
            effective_at=at(2026, 3, 15),
        )
        acting(app, LARS).record_actual_cost(
            intervention_id=support,
            amount="3100.00",
            budget_area=BudgetArea.SERVICE,
            period=Period(start=date(2026, 3, 1), end=date(2026, 3, 31)),
            effective_at=at(2026, 3, 31),
        )
        acting(app, LARS).record_actual_cost(
            intervention_id=support,
            amount="1000.00",
            budget_area=BudgetArea.SERVICE,
            period=Period(start=date(2026, 3, 17), end=date(2026, 4, 15)),
            effective_at=at(2026, 4, 1),
        )
        acting(app, ANNE).record_benefit_paid(
            citizen_id=self.mette,
            sector="employment",
            legal_basis="LAS § 11",
            amount="12000.00",
            period=Period(start=date(2026, 2, 1), end=date(2026, 3, 31)),
            effective_at=at(2026, 4, 1),
        )
        acting(app, LARS).complete_intervention(
            intervention_id=support,
            outcome=InterventionOutcome.GOALS_MET,
            effective_at=at(2026, 4, 12),
        )
        acting(app, KARIN).complete_plan(
            plan_id=self.plan,
            outcome=PlanOutcome.PARTIAL_SELF_SUPPORT,
            effective_at=at(2026, 4, 15),
        )
        acting(app, ANNE).record_outcome(
            citizen_id=self.mette,
            outcome=PlanOutcome.WORK,
            effective_at=at(2026, 4, 20),
        )
        # Jens: registered 2026-01-12 10:00 by Anne; no plan.
        self.jens, _ = citizen_with_consent(app, name="Jens")
        physio = acting(app, SOFIE).propose_intervention_under_sector_plan(
            citizen_id=self.jens,
            sector_plan={"sector": "health", "legal_basis": "SUL § 119"},
            legal_basis="SUL § 140",
            title="Physiotherapy",
            responsible=SOFIE,
            planned_period=Period(start=date(2026, 2, 1)),
            effective_at=at(2026, 1, 20),
        )
        acting(app, SOFIE).grant_intervention(intervention_id=physio, effective_at=at(2026, 1, 25))
        acting(app, SOFIE).start_intervention(intervention_id=physio, effective_at=at(2026, 2, 1))
        acting(app, SOFIE).reassign_responsible(
            intervention_id=physio,
            new_responsible=HELLE,
            reason="leave",
            effective_at=at(2026, 2, 15),
        )


@pytest.fixture(scope="module")
def course() -> Course:
    return Course(OnePlan.open("memory://", clock=lambda: at(2026, 11, 1)))


def test_a_plan_citizens_metrics_are_as_worked_out_by_hand(course: Course) -> None:
    metrics = evaluate(record(course.app).all_events()).citizen(course.mette)

    assert metrics.cohort == "plan"
    assert metrics.household is False
    assert metrics.course_start == at(2026, 1, 14)  # the plan opened
    assert metrics.months_observed == 4  # January to April (the last event, 2026-04-20)
    # anne (acted, coordinator), lars (responsible), sofie (meeting), karin (hand-over)
    assert metrics.caseworkers == 4
    assert metrics.sectors == 4  # employment, social, health, children-and-family
    assert metrics.contact_points == 2  # (social, SEL) intervention, (employment, LAS) benefit
    assert metrics.coordinator_changes == 1
    assert metrics.interventions == metrics.interventions_started == 1
    assert metrics.days_to_first_intervention == 28.0  # 14 January to 11 February
    assert metrics.goals_set == 2
    assert metrics.goals_achieved == 1
    assert metrics.median_days_to_achievement == 40.0  # 20 January to 1 March
    # ran 11 February to 12 April (60 days), paused 1 to 11 March (10 days)
    assert metrics.paused_share == pytest.approx(10 / 60)
    assert metrics.service_cost == Decimal("4100.00")
    assert metrics.transfers == Decimal("12000.00")
    assert metrics.outcome is PlanOutcome.WORK
    assert metrics.plan_outcome is PlanOutcome.PARTIAL_SELF_SUPPORT
    assert metrics.withdrew is False


def test_a_comparison_citizens_metrics_are_as_worked_out_by_hand(course: Course) -> None:
    metrics = evaluate(record(course.app).all_events()).citizen(course.jens)

    assert metrics.cohort == "comparison"
    assert metrics.course_start == at(2026, 1, 12)  # registered: no plan
    assert metrics.caseworkers == 3  # anne (registered), sofie (responsible), helle (reassigned)
    assert metrics.sectors == 2  # employment, health
    assert metrics.contact_points == 1  # (health, SUL)
    assert metrics.coordinator_changes == 0
    assert metrics.days_to_first_intervention == 20.0  # 12 January to 1 February
    assert metrics.goals_set == metrics.goals_achieved == 0
    assert metrics.median_days_to_achievement is None
    assert metrics.paused_share == 0.0  # running, never paused
    assert metrics.service_cost == metrics.transfers == Decimal(0)
    assert metrics.outcome is None
    assert metrics.plan_outcome is None


def test_costs_are_spread_over_the_months_of_their_periods(course: Course) -> None:
    evaluation = evaluate(record(course.app).all_events())
    months = {
        (m.month, m.sector, m.budget_area): m.amount
        for m in evaluation.costs
        if m.citizen_id == course.mette
    }

    assert months == {
        # 12,000 over 1 February to 31 March (59 days): 28/59 in February, the rest in March
        (date(2026, 2, 1), Sector.EMPLOYMENT, BudgetArea.TRANSFERS): Decimal("5694.92"),
        (date(2026, 3, 1), Sector.EMPLOYMENT, BudgetArea.TRANSFERS): Decimal("6305.08"),
        # 3,100 in March; 1,000 over 17 March to 15 April: 15 days in each month
        (date(2026, 3, 1), Sector.SOCIAL, BudgetArea.SERVICE): Decimal("3600.00"),
        (date(2026, 4, 1), Sector.SOCIAL, BudgetArea.SERVICE): Decimal("500.00"),
    }


def test_the_first_start_is_counted_per_legal_basis(course: Course) -> None:
    firsts = {
        (f.citizen_id, f.legal_basis): f.days
        for f in evaluate(record(course.app).all_events()).first_starts
    }

    assert firsts == {(course.mette, "SEL § 85"): 28.0, (course.jens, "SUL § 140"): 20.0}


def test_goals_are_recorded_with_when_they_were_achieved(course: Course) -> None:
    goals = evaluate(record(course.app).all_events()).goals

    assert len(goals) == 2
    achieved = next(g for g in goals if g.goal_id == course.achieved)
    assert achieved.achieved_at == at(2026, 3, 1)
    assert achieved.is_sub_goal is False


def test_as_of_leaves_out_what_took_effect_later(course: Course) -> None:
    evaluation = evaluate(record(course.app).all_events(), as_of=at(2026, 2, 28))
    mette = evaluation.citizen(course.mette)

    assert evaluation.horizon == at(2026, 2, 28)
    assert mette.caseworkers == 3  # anne, lars, sofie; karin came on 15 March
    assert mette.goals_achieved == 0
    assert mette.coordinator_changes == 0
    assert mette.service_cost == mette.transfers == Decimal(0)  # booked in March and April
    assert mette.outcome is None
    # running 11 to 28 February, never paused yet
    assert mette.paused_share == 0.0
    assert evaluation.caseworkers_by(course.mette, at(2026, 2, 19)) == 2


def test_a_course_that_had_not_begun_by_as_of_is_left_out(course: Course) -> None:
    evaluation = evaluate(record(course.app).all_events(), as_of=at(2026, 1, 1))

    assert evaluation.citizens == ()


def test_events_other_than_the_records_are_passed_over(course: Course) -> None:
    acting(course.app, LARS).sector_view(course.plan, sector=Sector.SOCIAL)  # an access record
    evaluation = evaluate(record(course.app).all_events())

    assert {c.citizen_id for c in evaluation.citizens} == {course.mette, course.jens}


@pytest.mark.parametrize(
    ("amount", "first", "last", "expected"),
    [
        ("100.00", date(2026, 1, 5), date(2026, 1, 20), [("2026-01-01", "100.00")]),
        ("100.00", date(2026, 1, 5), None, [("2026-01-01", "100.00")]),
        # 31 days: 1 in December, 30 in January
        (
            "31.00",
            date(2025, 12, 31),
            date(2026, 1, 30),
            [("2025-12-01", "1.00"), ("2026-01-01", "30.00")],
        ),
        # thirds round to øre, and the last month takes what is left
        (
            "100.00",
            date(2026, 1, 1),
            date(2026, 3, 31),
            [("2026-01-01", "34.44"), ("2026-02-01", "31.12"), ("2026-03-01", "34.44")],
        ),
    ],
)
def test_an_amount_spread_by_month_keeps_every_oere(
    amount: str, first: date, last: date | None, expected: list[tuple[str, str]]
) -> None:
    spread = spread_by_month(Decimal(amount), first, last)

    assert [(m.isoformat(), str(a)) for m, a in spread] == expected
    assert sum(a for _, a in spread) == Decimal(amount)
