"""Courses outside a coordinated plan: interventions under the citizen's own sector plan,
benefits paid (the transfers budget area) and outcomes at follow-up, for every citizen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from oneplan import (
    AuthorityMissing,
    BudgetArea,
    InterventionOutsidePlan,
    InterventionStatus,
    InvalidInput,
    LegalBasis,
    LegalBasisOutsideSector,
    Money,
    OnePlan,
    Period,
    PlanOutcome,
    Sector,
    SectorPlanRef,
    SectorPlanReplaced,
)
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from tests.builders import (
    ANNE,
    LARS,
    PETER,
    SOFIE,
    acting,
    at,
    auditing,
    citizen_with_consent,
    open_plan,
    record,
)

SOCIAL_PLAN = SectorPlanRef(sector=Sector.SOCIAL, legal_basis=LegalBasis.parse("SEL § 141"))
HEALTH_PLAN = SectorPlanRef(sector=Sector.HEALTH, legal_basis=LegalBasis.parse("SUL § 119"))
KONTANTHJAELP = LegalBasis.parse("LAS § 11")
JULY = Period(start=date(2026, 7, 1), end=date(2026, 7, 31))


def refused(aggregate: Any, error: type[BaseException], command: Callable[[], object]) -> Any:
    version = aggregate.version
    with pytest.raises(error) as caught:
        command()
    assert type(caught.value) is error
    assert aggregate.collect_events() == []
    assert aggregate.version == version
    return caught.value


def citizen() -> Citizen:
    return Citizen.register(
        citizen_id=uuid4(),
        name="Mette",
        birth_date=date(1984, 5, 2),
        actor=ANNE,
        effective_at=at(2026, 3, 1),
    )


def under_sector_plan(**changes: Any) -> Intervention:
    fields: dict[str, Any] = {
        "intervention_id": uuid4(),
        "citizen_id": uuid4(),
        "sector_plan": SOCIAL_PLAN,
        "legal_basis": LegalBasis.parse("SEL § 85"),
        "title": "Support contact person",
        "responsible": LARS,
        "planned_period": Period(start=date(2026, 3, 1)),
        "planned_cost": Money.dkk("9000.00"),
        "budget_area": BudgetArea.SERVICE,
        "actor": LARS,
        "effective_at": at(2026, 3, 2),
    }
    return Intervention.propose_under_sector_plan(**(fields | changes))


# --- the aggregates ------------------------------------------------------------------


def test_an_intervention_under_a_sector_plan_belongs_to_no_coordinated_plan() -> None:
    intervention = under_sector_plan()

    assert intervention.plan_id is None
    assert intervention.sector_plan == SOCIAL_PLAN
    assert intervention.sector is Sector.SOCIAL
    assert intervention.goal_ids == ()
    assert intervention.held_under == (intervention.citizen_id, SOCIAL_PLAN)
    assert [type(e) for e in intervention.collect_events()] == [
        Intervention.ProposedUnderSectorPlan
    ]


def test_an_intervention_under_a_sector_plan_runs_the_whole_lifecycle() -> None:
    intervention = under_sector_plan()
    intervention.grant(decision_id=uuid4(), actor=LARS, effective_at=at(2026, 3, 3))
    intervention.start(dependency_statuses={}, actor=LARS, effective_at=at(2026, 3, 4))
    intervention.pause(reason="hospital stay", actor=LARS, effective_at=at(2026, 3, 5))
    intervention.resume(actor=LARS, effective_at=at(2026, 3, 9))
    intervention.complete(
        outcome="goals-met",  # type: ignore[arg-type]
        actor=LARS,
        effective_at=at(2026, 4, 1),
    )

    assert intervention.status is InterventionStatus.COMPLETED


def test_a_sector_plan_intervention_under_a_law_its_sector_does_not_act_under_is_refused() -> None:
    with pytest.raises(LegalBasisOutsideSector):
        under_sector_plan(sector_plan=HEALTH_PLAN, legal_basis=LegalBasis.parse("LAB § 32"))


def test_a_sector_plan_intervention_needs_a_caseworker_responsible_and_a_title() -> None:
    with pytest.raises(InvalidInput, match="responsible"):
        under_sector_plan(
            responsible=ANNE.model_copy(
                update={"kind": "citizen", "sector": None, "authorities": ()}
            )
        )
    with pytest.raises(InvalidInput, match="title"):
        under_sector_plan(title=" ")


def test_a_citizen_in_a_coordinated_plan_takes_no_effort_under_a_sector_plan() -> None:
    mette = citizen()
    plan_id = uuid4()
    mette.join_plan(plan_id=plan_id, actor=ANNE, effective_at=at(2026, 3, 2))
    mette.collect_events()

    error = refused(mette, SectorPlanReplaced, lambda: mette.check_effort_outside_plan(SOCIAL_PLAN))
    assert error.plan_id == plan_id
    assert error.citizen_id == mette.id
    assert error.rule == "the plan covers all efforts"


def test_a_citizen_without_a_plan_may_take_efforts_under_a_sector_plan() -> None:
    citizen().check_effort_outside_plan(SOCIAL_PLAN)


def test_a_benefit_is_paid_by_its_sector_under_a_law_it_acts_under() -> None:
    mette = citizen()
    benefit_id = uuid4()
    mette.pay_benefit(
        benefit_id=benefit_id,
        sector=Sector.EMPLOYMENT,
        legal_basis=KONTANTHJAELP,
        amount=Money.dkk("11000.00"),
        period=JULY,
        actor=PETER,
        effective_at=at(2026, 7, 31),
    )

    [event] = mette.collect_events()[1:]
    assert isinstance(event, Citizen.BenefitPaid)
    assert (event.benefit_id, event.sector, event.amount) == (
        benefit_id,
        Sector.EMPLOYMENT,
        Money.dkk("11000.00"),
    )
    assert mette.benefits_paid == 1


@pytest.mark.parametrize(
    ("sector", "basis", "actor", "error"),
    [
        (Sector.HEALTH, "LAS § 11", SOFIE, LegalBasisOutsideSector),
        (Sector.EMPLOYMENT, "LAS § 11", LARS, AuthorityMissing),
        (Sector.SOCIAL, "LAS § 11", LARS, AuthorityMissing),
    ],
)
def test_a_benefit_outside_the_sectors_law_or_authority_is_refused(
    sector: Sector, basis: str, actor: Any, error: type[Exception]
) -> None:
    mette = citizen()
    mette.collect_events()
    refused(
        mette,
        error,
        lambda: mette.pay_benefit(
            benefit_id=uuid4(),
            sector=sector,
            legal_basis=LegalBasis.parse(basis),
            amount=Money.dkk("100.00"),
            period=JULY,
            actor=actor,
            effective_at=at(2026, 8, 1),
        ),
    )


@pytest.mark.parametrize(
    ("amount", "period"),
    [("0.00", JULY), ("100.00", Period(start=date(2026, 7, 1)))],
)
def test_a_benefit_is_above_zero_and_for_a_closed_period(amount: str, period: Period) -> None:
    mette = citizen()
    mette.collect_events()
    refused(
        mette,
        InvalidInput,
        lambda: mette.pay_benefit(
            benefit_id=uuid4(),
            sector=Sector.EMPLOYMENT,
            legal_basis=KONTANTHJAELP,
            amount=Money.dkk(amount),
            period=period,
            actor=PETER,
            effective_at=at(2026, 8, 1),
        ),
    )


def test_the_latest_outcome_is_the_citizens_outcome() -> None:
    mette = citizen()
    mette.record_outcome(outcome=PlanOutcome.NONE, actor=ANNE, effective_at=at(2026, 6, 1))
    mette.record_outcome(outcome=PlanOutcome.WORK, actor=ANNE, effective_at=at(2026, 12, 1))

    assert mette.outcome is PlanOutcome.WORK


def test_an_outcome_is_recorded_by_a_caseworker() -> None:
    mette = citizen()
    mette.collect_events()
    citizen_actor = ANNE.model_copy(update={"kind": "citizen", "sector": None, "authorities": ()})
    refused(
        mette,
        InvalidInput,
        lambda: mette.record_outcome(
            outcome=PlanOutcome.WORK, actor=citizen_actor, effective_at=at(2026, 6, 1)
        ),
    )


# --- through the application ---------------------------------------------------------


def propose_own(app: OnePlan, citizen_id: Any, *, actor: Any = LARS, **changes: Any) -> Any:
    fields: dict[str, Any] = {
        "citizen_id": citizen_id,
        "sector_plan": SOCIAL_PLAN,
        "legal_basis": "SEL § 85",
        "title": "Support contact person",
        "responsible": LARS,
        "planned_period": Period(start=date(2026, 3, 1)),
        "effective_at": at(2026, 3, 2),
    }
    return acting(app, actor).propose_intervention_under_sector_plan(**(fields | changes))


def test_the_application_refuses_a_sector_plan_effort_for_a_citizen_in_a_plan(
    memory_app: OnePlan,
) -> None:
    _plan, mette = open_plan(memory_app)
    acting(memory_app, LARS)  # (in the staff directory before the count)
    before = memory_app.recorder.max_notification_id()

    with pytest.raises(SectorPlanReplaced):
        propose_own(memory_app, mette)
    assert memory_app.recorder.max_notification_id() == before


def test_sector_plan_interventions_wait_only_for_the_same_citizens_same_sector_plan(
    memory_app: OnePlan,
) -> None:
    mette, _ = citizen_with_consent(memory_app)
    jens, _ = citizen_with_consent(memory_app, name="Jens")
    first = propose_own(memory_app, mette)
    same_plan = propose_own(memory_app, mette)
    other_plan = propose_own(
        memory_app,
        mette,
        sector_plan=HEALTH_PLAN,
        legal_basis="SUL § 140",
        responsible=SOFIE,
        actor=SOFIE,
    )
    other_citizen = propose_own(memory_app, jens)

    acting(memory_app, LARS).add_dependency(intervention_id=same_plan, on_intervention_id=first)
    for other, responsible in ((other_plan, SOFIE), (other_citizen, LARS)):
        with pytest.raises(InterventionOutsidePlan):
            acting(memory_app, responsible).add_dependency(
                intervention_id=other, on_intervention_id=first
            )


def test_a_sector_plan_course_is_on_the_journey_and_in_no_plan_view(memory_app: OnePlan) -> None:
    mette, _ = citizen_with_consent(memory_app)
    intervention = propose_own(memory_app, mette)
    acting(memory_app, LARS).grant_intervention(intervention_id=intervention)
    acting(memory_app, PETER).record_benefit_paid(
        citizen_id=mette,
        sector="employment",
        legal_basis="LAS § 11",
        amount="11000.00",
        period=JULY,
        effective_at=at(2026, 8, 1),
    )
    acting(memory_app, PETER).record_outcome(citizen_id=mette, outcome="education")

    journey = auditing(memory_app).journey(mette)
    assert [c.caseworker_id for c in journey.caseworkers] == ["anne", "lars", "peter"]
    assert [e.what for e in journey.entries][-4:] == [
        "Intervention.ProposedUnderSectorPlan",
        "Intervention.Granted",
        "Citizen.BenefitPaid",
        "Citizen.OutcomeRecorded",
    ]
    assert memory_app.views.keys("plan") == []
    assert record(memory_app).citizen(mette).outcome is PlanOutcome.EDUCATION
