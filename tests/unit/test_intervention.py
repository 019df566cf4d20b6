"""The intervention: proposal (rule 2), grant (rule 3), one responsible (rule 4), the
status lifecycle and finished interventions (rule 5), and dependencies (rule 6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from oneplan.aggregates.intervention import Intervention
from oneplan.errors import (
    AuthorityMissing,
    DependencyNotSatisfied,
    EffectiveTimeInvalid,
    IllegalTransition,
    InterventionFinished,
    InvalidInput,
    LegalBasisOutsideSector,
)
from oneplan.values import (
    Actor,
    ActorKind,
    BudgetArea,
    DependencyType,
    InterventionOutcome,
    InterventionStatus,
    Law,
    LegalBasis,
    Money,
    Period,
    Sector,
)
from tests.builders import ANNE, KARIN, LARS, PETER, SOFIE, at

S = InterventionStatus

PROPOSED_AT = at(2026, 2, 1)
LATER = at(2026, 2, 2)
METTE = Actor(id="mette", kind=ActorKind.CITIZEN)
BIRGIT = Actor.caseworker("birgit", Sector.SOCIAL, Law.SEL)
SUPPORT = LegalBasis.parse("SEL § 85")
PLANNED = Period(start=date(2026, 2, 1), end=date(2026, 12, 31))


def raised(error: type[BaseException], command: Callable[[], object]) -> Any:
    """Run ``command`` and expect exactly ``error`` (not a subclass); return it."""
    with pytest.raises(error) as caught:
        command()
    assert type(caught.value) is error
    return caught.value


def refused(
    aggregate: Intervention, error: type[BaseException], command: Callable[[], object]
) -> Any:
    """Run ``command``, expect exactly ``error``, and check that nothing was recorded."""
    version = aggregate.version
    caught = raised(error, command)
    assert aggregate.collect_events() == []
    assert aggregate.version == version
    return caught


def propose(
    *,
    sector: Sector = Sector.SOCIAL,
    legal_basis: LegalBasis = SUPPORT,
    responsible: Actor = LARS,
    title: str = "Support contact person",
    effective_at: datetime = PROPOSED_AT,
    intervention_id: UUID | None = None,
) -> Intervention:
    return Intervention.propose(
        intervention_id=intervention_id or uuid4(),
        plan_id=uuid4(),
        citizen_id=uuid4(),
        sector=sector,
        legal_basis=legal_basis,
        title=title,
        goal_ids=(uuid4(),),
        responsible=responsible,
        planned_period=PLANNED,
        planned_cost=Money.dkk("12000.00"),
        budget_area=BudgetArea.SERVICE,
        actor=ANNE,
        effective_at=effective_at,
    )


def proposed() -> Intervention:
    intervention = propose()
    intervention.collect_events()
    return intervention


def granted() -> Intervention:
    intervention = propose()
    intervention.grant(decision_id=uuid4(), actor=LARS, effective_at=PROPOSED_AT)
    intervention.collect_events()
    return intervention


def scheduled() -> Intervention:
    intervention = granted()
    intervention.schedule(start_on=date(2026, 3, 1), actor=LARS, effective_at=PROPOSED_AT)
    intervention.collect_events()
    return intervention


def in_progress() -> Intervention:
    intervention = granted()
    intervention.start(dependency_statuses={}, actor=LARS, effective_at=PROPOSED_AT)
    intervention.collect_events()
    return intervention


def paused() -> Intervention:
    intervention = in_progress()
    intervention.pause(reason="citizen in hospital", actor=LARS, effective_at=PROPOSED_AT)
    intervention.collect_events()
    return intervention


def completed() -> Intervention:
    intervention = in_progress()
    intervention.complete(outcome=InterventionOutcome.GOALS_MET, actor=LARS, effective_at=LATER)
    intervention.collect_events()
    return intervention


def stopped() -> Intervention:
    intervention = in_progress()
    intervention.stop(reason="citizen moved", actor=LARS, effective_at=LATER)
    intervention.collect_events()
    return intervention


def cancelled() -> Intervention:
    intervention = granted()
    intervention.cancel(reason="not needed", actor=LARS, effective_at=LATER)
    intervention.collect_events()
    return intervention


def waiting_for(other: UUID, type: DependencyType) -> Intervention:
    intervention = granted()
    intervention.add_dependency(
        on_intervention_id=other, type=type, actor=LARS, effective_at=PROPOSED_AT
    )
    intervention.collect_events()
    return intervention


def start(
    intervention: Intervention, statuses: dict[UUID, InterventionStatus] | None = None
) -> None:
    intervention.start(dependency_statuses=statuses or {}, actor=LARS, effective_at=LATER)


# --- proposal (rule 2) --------------------------------------------------------------


def test_proposing_an_intervention_names_sector_legal_basis_responsible_period_and_budget() -> None:
    intervention_id, plan_id, citizen_id, goal_id = uuid4(), uuid4(), uuid4(), uuid4()

    intervention = Intervention.propose(
        intervention_id=intervention_id,
        plan_id=plan_id,
        citizen_id=citizen_id,
        sector=Sector.SOCIAL,
        legal_basis=SUPPORT,
        title="  Support contact person ",
        goal_ids=(goal_id,),
        responsible=LARS,
        planned_period=PLANNED,
        planned_cost=Money.dkk("12000.00"),
        budget_area=BudgetArea.SERVICE,
        actor=ANNE,
        effective_at=PROPOSED_AT,
    )

    [event] = intervention.collect_events()
    assert type(event) is Intervention.Proposed
    assert event.originator_id == intervention_id
    assert event.plan_id == plan_id
    assert event.citizen_id == citizen_id
    assert event.sector is Sector.SOCIAL
    assert event.legal_basis == SUPPORT
    assert event.title == "Support contact person"
    assert event.goal_ids == (goal_id,)
    assert event.responsible == LARS
    assert event.planned_period == PLANNED
    assert event.planned_cost == Money.dkk("12000.00")
    assert event.budget_area is BudgetArea.SERVICE
    assert event.actor == ANNE
    assert intervention.status is S.NOT_STARTED
    assert intervention.responsible == LARS
    assert intervention.decision is None


@pytest.mark.parametrize(
    ("sector", "basis"),
    [
        (Sector.HEALTH, "LAB § 32"),
        (Sector.EMPLOYMENT, "SEL § 85"),
        (Sector.SOCIAL, "BL § 32"),
        (Sector.EDUCATION, "SUL § 140"),
    ],
)
def test_rule_2_an_intervention_under_a_law_its_sector_does_not_act_under_is_refused(
    sector: Sector, basis: str
) -> None:
    intervention_id = uuid4()

    error = raised(
        LegalBasisOutsideSector,
        lambda: propose(
            sector=sector, legal_basis=LegalBasis.parse(basis), intervention_id=intervention_id
        ),
    )
    assert error.intervention_id == intervention_id
    assert error.sector is sector
    assert error.legal_basis == LegalBasis.parse(basis)


@pytest.mark.parametrize(
    ("sector", "basis"),
    [
        (Sector.EMPLOYMENT, "LAB § 32"),
        (Sector.HOUSING, "SEL § 85"),
        (Sector.EDUCATION, "FGU § 2"),
        (Sector.CHILDREN_AND_FAMILY, "BL § 32"),
    ],
)
def test_rule_2_an_intervention_under_a_law_its_sector_acts_under_is_proposed(
    sector: Sector, basis: str
) -> None:
    intervention = propose(sector=sector, legal_basis=LegalBasis.parse(basis), responsible=PETER)

    assert [type(e) for e in intervention.collect_events()] == [Intervention.Proposed]


def test_rule_4_the_responsible_is_a_caseworker_from_the_start() -> None:
    error = raised(InvalidInput, lambda: propose(responsible=METTE))
    assert error.fields == "responsible"


def test_an_intervention_has_a_title() -> None:
    error = raised(InvalidInput, lambda: propose(title="  "))
    assert error.fields == "title"


def test_proposing_refuses_a_naive_effective_time() -> None:
    with pytest.raises(EffectiveTimeInvalid):
        propose(effective_at=datetime(2026, 2, 1, 10))


def test_a_command_refuses_a_naive_effective_time() -> None:
    intervention = proposed()

    refused(
        intervention,
        EffectiveTimeInvalid,
        lambda: intervention.grant(
            decision_id=uuid4(), actor=LARS, effective_at=datetime(2026, 2, 2, 10)
        ),
    )


def test_a_command_refuses_an_effective_time_before_the_intervention_was_proposed() -> None:
    intervention = proposed()

    error = refused(
        intervention,
        EffectiveTimeInvalid,
        lambda: intervention.grant(decision_id=uuid4(), actor=LARS, effective_at=at(2026, 1, 31)),
    )
    assert error.fields == "effective_at"


# --- grant (rule 3) -----------------------------------------------------------------


def test_rule_3_a_caseworker_with_authority_under_the_law_grants_by_decision() -> None:
    intervention = proposed()
    decision_id = uuid4()

    intervention.grant(decision_id=decision_id, note=" granted ", actor=LARS, effective_at=LATER)

    [event] = intervention.collect_events()
    assert type(event) is Intervention.Granted
    assert event.decision_id == decision_id
    assert event.note == "granted"
    assert event.actor == LARS
    assert intervention.decision is not None
    assert intervention.decision.decision_id == decision_id
    assert intervention.decision.decided_by == LARS
    assert intervention.decision.legal_basis == SUPPORT
    assert intervention.decision.decided_at == LATER


def test_rule_3_a_cross_authority_caseworker_of_another_sector_may_grant() -> None:
    intervention = proposed()

    intervention.grant(decision_id=uuid4(), actor=ANNE, effective_at=LATER)  # employment, holds SEL

    assert [type(e) for e in intervention.collect_events()] == [Intervention.Granted]


@pytest.mark.parametrize("actor", [PETER, SOFIE, KARIN], ids=["peter", "sofie", "karin"])
def test_rule_3_granting_without_authority_under_the_law_is_refused(actor: Actor) -> None:
    intervention = proposed()

    error = refused(
        intervention,
        AuthorityMissing,
        lambda: intervention.grant(decision_id=uuid4(), actor=actor, effective_at=LATER),
    )
    assert error.intervention_id == intervention.id
    assert error.caseworker_id == actor.id
    assert error.law is Law.SEL
    assert intervention.decision is None


def test_rule_3_a_citizen_cannot_grant() -> None:
    intervention = proposed()

    error = refused(
        intervention,
        AuthorityMissing,
        lambda: intervention.grant(decision_id=uuid4(), actor=METTE, effective_at=LATER),
    )
    assert error.caseworker_id == "mette"


def test_an_intervention_is_granted_once() -> None:
    intervention = granted()

    error = refused(
        intervention,
        IllegalTransition,
        lambda: intervention.grant(decision_id=uuid4(), actor=LARS, effective_at=LATER),
    )
    assert error.intervention_id == intervention.id


def test_a_scheduled_intervention_may_be_granted() -> None:
    intervention = proposed()
    intervention.schedule(start_on=date(2026, 3, 1), actor=LARS, effective_at=LATER)
    intervention.collect_events()

    intervention.grant(decision_id=uuid4(), actor=LARS, effective_at=LATER)

    assert [type(e) for e in intervention.collect_events()] == [Intervention.Granted]


@pytest.mark.parametrize("given", [in_progress, paused], ids=["in-progress", "on-hold"])
def test_a_started_intervention_is_not_granted_again(given: Callable[[], Intervention]) -> None:
    intervention = given()

    error = refused(
        intervention,
        IllegalTransition,
        lambda: intervention.grant(decision_id=uuid4(), actor=LARS, effective_at=LATER),
    )
    assert error.status is intervention.status


# --- schedule -----------------------------------------------------------------------


def test_scheduling_sets_the_start_date() -> None:
    intervention = proposed()

    intervention.schedule(start_on=date(2026, 3, 1), actor=LARS, effective_at=LATER)

    [event] = intervention.collect_events()
    assert type(event) is Intervention.Scheduled
    assert event.start_on == date(2026, 3, 1)
    assert intervention.status is S.SCHEDULED
    assert intervention.scheduled_start == date(2026, 3, 1)


def test_a_scheduled_intervention_may_be_rescheduled() -> None:
    intervention = scheduled()

    intervention.schedule(start_on=date(2026, 4, 1), actor=LARS, effective_at=LATER)

    assert [type(e) for e in intervention.collect_events()] == [Intervention.Scheduled]
    assert intervention.scheduled_start == date(2026, 4, 1)


def test_rescheduling_to_the_same_date_is_refused() -> None:
    intervention = scheduled()

    error = refused(
        intervention,
        IllegalTransition,
        lambda: intervention.schedule(start_on=date(2026, 3, 1), actor=LARS, effective_at=LATER),
    )
    assert error.intervention_id == intervention.id


@pytest.mark.parametrize("given", [in_progress, paused], ids=["in-progress", "on-hold"])
def test_a_started_intervention_is_not_scheduled(given: Callable[[], Intervention]) -> None:
    intervention = given()

    refused(
        intervention,
        IllegalTransition,
        lambda: intervention.schedule(start_on=date(2026, 5, 1), actor=LARS, effective_at=LATER),
    )


# --- start and dependencies (rule 6) ------------------------------------------------


@pytest.mark.parametrize("given", [granted, scheduled], ids=["not-started", "scheduled"])
def test_a_granted_intervention_starts(given: Callable[[], Intervention]) -> None:
    intervention = given()

    start(intervention)

    assert [type(e) for e in intervention.collect_events()] == [Intervention.Started]
    assert intervention.status is S.IN_PROGRESS
    assert intervention.started_at == LATER


def test_an_intervention_not_granted_by_a_decision_does_not_start() -> None:
    intervention = proposed()

    error = refused(intervention, IllegalTransition, lambda: start(intervention))
    assert error.intervention_id == intervention.id
    assert error.status is S.NOT_STARTED


@pytest.mark.parametrize("given", [in_progress, paused], ids=["in-progress", "on-hold"])
def test_a_started_intervention_does_not_start_again(given: Callable[[], Intervention]) -> None:
    intervention = given()

    refused(intervention, IllegalTransition, lambda: start(intervention))


@pytest.mark.parametrize("other", [S.NOT_STARTED, S.SCHEDULED, S.IN_PROGRESS, S.ON_HOLD])
def test_rule_6_an_after_end_intervention_waits_until_the_other_has_ended(
    other: InterventionStatus,
) -> None:
    first = uuid4()
    intervention = waiting_for(first, DependencyType.AFTER_END)

    error = refused(
        intervention, DependencyNotSatisfied, lambda: start(intervention, {first: other})
    )
    assert error.intervention_id == intervention.id
    assert error.waits_for_id == first
    assert intervention.status is S.NOT_STARTED


@pytest.mark.parametrize("other", [S.COMPLETED, S.STOPPED, S.CANCELLED])
def test_rule_6_an_after_end_intervention_starts_once_the_other_has_ended_or_was_cancelled(
    other: InterventionStatus,
) -> None:
    first = uuid4()
    intervention = waiting_for(first, DependencyType.AFTER_END)

    start(intervention, {first: other})

    assert [type(e) for e in intervention.collect_events()] == [Intervention.Started]


def test_rule_6_a_dependency_of_unknown_status_is_not_satisfied() -> None:
    first = uuid4()
    intervention = waiting_for(first, DependencyType.AFTER_END)

    error = refused(
        intervention, DependencyNotSatisfied, lambda: start(intervention, {uuid4(): S.COMPLETED})
    )
    assert error.waits_for_id == first


@pytest.mark.parametrize("other", [S.NOT_STARTED, S.SCHEDULED])
def test_rule_6_an_after_start_intervention_waits_until_the_other_has_started(
    other: InterventionStatus,
) -> None:
    first = uuid4()
    intervention = waiting_for(first, DependencyType.AFTER_START)

    error = refused(
        intervention, DependencyNotSatisfied, lambda: start(intervention, {first: other})
    )
    assert error.waits_for_id == first


@pytest.mark.parametrize("other", [S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED])
def test_rule_6_an_after_start_intervention_starts_once_the_other_has_started(
    other: InterventionStatus,
) -> None:
    first = uuid4()
    intervention = waiting_for(first, DependencyType.AFTER_START)

    start(intervention, {first: other})

    assert [type(e) for e in intervention.collect_events()] == [Intervention.Started]


@pytest.mark.parametrize("other", [S.NOT_STARTED, S.IN_PROGRESS])
def test_rule_6_a_concurrent_intervention_starts_whatever_the_other_does(
    other: InterventionStatus,
) -> None:
    first = uuid4()
    intervention = waiting_for(first, DependencyType.CONCURRENT)

    start(intervention, {first: other})

    assert [type(e) for e in intervention.collect_events()] == [Intervention.Started]


def test_rule_6_every_dependency_must_allow_the_start() -> None:
    first, second = uuid4(), uuid4()
    intervention = waiting_for(first, DependencyType.AFTER_END)
    intervention.add_dependency(
        on_intervention_id=second, type=DependencyType.AFTER_START, actor=LARS, effective_at=LATER
    )
    intervention.collect_events()

    error = refused(
        intervention,
        DependencyNotSatisfied,
        lambda: start(intervention, {first: S.COMPLETED, second: S.NOT_STARTED}),
    )
    assert error.waits_for_id == second


def test_adding_a_dependency_records_what_it_waits_for() -> None:
    intervention = granted()
    other = uuid4()

    intervention.add_dependency(
        on_intervention_id=other, type=DependencyType.AFTER_END, actor=LARS, effective_at=LATER
    )

    [event] = intervention.collect_events()
    assert type(event) is Intervention.DependencyAdded
    assert event.on_intervention_id == other
    assert event.type is DependencyType.AFTER_END
    assert intervention.waits_for == (other,)


def test_an_intervention_cannot_wait_for_itself() -> None:
    intervention = granted()

    refused(
        intervention,
        InvalidInput,
        lambda: intervention.add_dependency(
            on_intervention_id=intervention.id,
            type=DependencyType.AFTER_END,
            actor=LARS,
            effective_at=LATER,
        ),
    )


def test_an_intervention_depends_on_another_only_once() -> None:
    other = uuid4()
    intervention = waiting_for(other, DependencyType.AFTER_END)

    error = refused(
        intervention,
        IllegalTransition,
        lambda: intervention.add_dependency(
            on_intervention_id=other,
            type=DependencyType.CONCURRENT,
            actor=LARS,
            effective_at=LATER,
        ),
    )
    assert error.intervention_id == intervention.id


@pytest.mark.parametrize(
    "type", [DependencyType.AFTER_END, DependencyType.AFTER, DependencyType.AFTER_START]
)
def test_a_started_intervention_can_no_longer_wait_for_another(type: DependencyType) -> None:
    intervention = in_progress()

    refused(
        intervention,
        IllegalTransition,
        lambda: intervention.add_dependency(
            on_intervention_id=uuid4(), type=type, actor=LARS, effective_at=LATER
        ),
    )


def test_a_started_intervention_may_still_run_alongside_another() -> None:
    intervention = in_progress()

    intervention.add_dependency(
        on_intervention_id=uuid4(), type=DependencyType.CONCURRENT, actor=LARS, effective_at=LATER
    )

    assert [type(e) for e in intervention.collect_events()] == [Intervention.DependencyAdded]


# --- pause and resume (rule 5) ------------------------------------------------------


def test_rule_5_pausing_records_the_reason_and_the_expected_resume() -> None:
    intervention = in_progress()

    intervention.pause(
        reason=" citizen in hospital ",
        expected_resume=date(2026, 3, 1),
        actor=LARS,
        effective_at=LATER,
    )

    [event] = intervention.collect_events()
    assert type(event) is Intervention.Paused
    assert event.reason == "citizen in hospital"
    assert event.expected_resume == date(2026, 3, 1)
    assert intervention.status is S.ON_HOLD
    assert intervention.pause_reason == "citizen in hospital"
    assert intervention.paused_at == LATER


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_rule_5_a_pause_needs_a_reason(reason: str) -> None:
    intervention = in_progress()

    error = refused(
        intervention,
        InvalidInput,
        lambda: intervention.pause(reason=reason, actor=LARS, effective_at=LATER),
    )
    assert error.fields == "reason"
    assert intervention.status is S.IN_PROGRESS


def test_the_expected_resume_is_not_before_the_pause() -> None:
    intervention = in_progress()

    error = refused(
        intervention,
        InvalidInput,
        lambda: intervention.pause(
            reason="hospital", expected_resume=date(2026, 2, 1), actor=LARS, effective_at=LATER
        ),
    )
    assert error.fields == "expected_resume"


@pytest.mark.parametrize(
    "given", [proposed, scheduled, paused], ids=["not-started", "scheduled", "on-hold"]
)
def test_only_an_intervention_in_progress_is_paused(given: Callable[[], Intervention]) -> None:
    intervention = given()

    error = refused(
        intervention,
        IllegalTransition,
        lambda: intervention.pause(reason="r", actor=LARS, effective_at=LATER),
    )
    assert error.intervention_id == intervention.id


def test_rule_5_a_paused_intervention_resumes() -> None:
    intervention = paused()

    intervention.resume(actor=LARS, effective_at=LATER)

    assert [type(e) for e in intervention.collect_events()] == [Intervention.Resumed]
    assert intervention.status is S.IN_PROGRESS
    assert intervention.pause_reason is None
    assert intervention.expected_resume is None
    assert intervention.paused_at is None


@pytest.mark.parametrize(
    "given", [proposed, scheduled, in_progress], ids=["not-started", "scheduled", "in-progress"]
)
def test_rule_5_only_a_paused_intervention_resumes(given: Callable[[], Intervention]) -> None:
    intervention = given()

    error = refused(
        intervention, IllegalTransition, lambda: intervention.resume(actor=LARS, effective_at=LATER)
    )
    assert error.status is intervention.status


# --- complete, stop, cancel ---------------------------------------------------------


def test_completing_an_intervention_in_progress_records_its_outcome() -> None:
    intervention = in_progress()

    intervention.complete(
        outcome=InterventionOutcome.PARTLY_MET, note=" half ", actor=LARS, effective_at=LATER
    )

    [event] = intervention.collect_events()
    assert type(event) is Intervention.Completed
    assert event.outcome is InterventionOutcome.PARTLY_MET
    assert event.note == "half"
    assert intervention.status is S.COMPLETED
    assert intervention.ended_at == LATER


@pytest.mark.parametrize(
    "given", [proposed, scheduled, paused], ids=["not-started", "scheduled", "on-hold"]
)
def test_only_an_intervention_in_progress_is_completed(given: Callable[[], Intervention]) -> None:
    intervention = given()

    refused(
        intervention,
        IllegalTransition,
        lambda: intervention.complete(
            outcome=InterventionOutcome.GOALS_MET, actor=LARS, effective_at=LATER
        ),
    )


@pytest.mark.parametrize("given", [in_progress, paused], ids=["in-progress", "on-hold"])
def test_a_started_intervention_is_stopped_early_with_a_reason(
    given: Callable[[], Intervention],
) -> None:
    intervention = given()

    intervention.stop(reason=" citizen moved ", actor=LARS, effective_at=LATER)

    [event] = intervention.collect_events()
    assert type(event) is Intervention.Stopped
    assert event.reason == "citizen moved"
    assert intervention.status is S.STOPPED
    assert intervention.end_reason == "citizen moved"
    assert intervention.ended_at == LATER


@pytest.mark.parametrize("given", [proposed, scheduled], ids=["not-started", "scheduled"])
def test_an_intervention_that_has_not_started_is_cancelled_not_stopped(
    given: Callable[[], Intervention],
) -> None:
    intervention = given()

    refused(
        intervention,
        IllegalTransition,
        lambda: intervention.stop(reason="r", actor=LARS, effective_at=LATER),
    )


def test_stopping_needs_a_reason() -> None:
    intervention = in_progress()

    refused(
        intervention,
        InvalidInput,
        lambda: intervention.stop(reason=" ", actor=LARS, effective_at=LATER),
    )


@pytest.mark.parametrize("given", [proposed, scheduled], ids=["not-started", "scheduled"])
def test_an_intervention_is_cancelled_before_it_starts(given: Callable[[], Intervention]) -> None:
    intervention = given()

    intervention.cancel(reason=" not needed ", actor=LARS, effective_at=LATER)

    [event] = intervention.collect_events()
    assert type(event) is Intervention.Cancelled
    assert event.reason == "not needed"
    assert intervention.status is S.CANCELLED
    assert intervention.end_reason == "not needed"


@pytest.mark.parametrize("given", [in_progress, paused], ids=["in-progress", "on-hold"])
def test_a_started_intervention_is_stopped_not_cancelled(given: Callable[[], Intervention]) -> None:
    intervention = given()

    refused(
        intervention,
        IllegalTransition,
        lambda: intervention.cancel(reason="r", actor=LARS, effective_at=LATER),
    )


def test_cancelling_needs_a_reason() -> None:
    intervention = proposed()

    refused(
        intervention,
        InvalidInput,
        lambda: intervention.cancel(reason="", actor=LARS, effective_at=LATER),
    )


# --- responsible (rule 4) -----------------------------------------------------------


def test_rule_4_reassigning_the_responsible_names_previous_and_new() -> None:
    intervention = in_progress()

    intervention.reassign_responsible(
        new_responsible=BIRGIT, reason=" Lars is on leave ", actor=LARS, effective_at=LATER
    )

    [event] = intervention.collect_events()
    assert type(event) is Intervention.ResponsibleReassigned
    assert event.previous_responsible == LARS
    assert event.new_responsible == BIRGIT
    assert event.reason == "Lars is on leave"
    assert intervention.responsible == BIRGIT


def test_rule_4_reassigning_to_the_current_responsible_is_refused() -> None:
    intervention = in_progress()

    error = refused(
        intervention,
        IllegalTransition,
        lambda: intervention.reassign_responsible(
            new_responsible=LARS, reason="r", actor=LARS, effective_at=LATER
        ),
    )
    assert error.intervention_id == intervention.id
    assert intervention.responsible == LARS


def test_rule_4_the_new_responsible_is_a_caseworker() -> None:
    intervention = in_progress()

    error = refused(
        intervention,
        InvalidInput,
        lambda: intervention.reassign_responsible(
            new_responsible=METTE, reason="r", actor=LARS, effective_at=LATER
        ),
    )
    assert error.fields == "new_responsible"


def test_rule_4_reassigning_needs_a_reason() -> None:
    intervention = in_progress()

    refused(
        intervention,
        InvalidInput,
        lambda: intervention.reassign_responsible(
            new_responsible=BIRGIT, reason="  ", actor=LARS, effective_at=LATER
        ),
    )


# --- costs --------------------------------------------------------------------------


def test_actual_costs_are_booked_to_a_budget_area() -> None:
    intervention = in_progress()
    february = Period(start=date(2026, 2, 1), end=date(2026, 2, 28))

    intervention.record_actual_cost(
        amount=Money.dkk("1000.50"),
        budget_area=BudgetArea.SERVICE,
        period=february,
        actor=LARS,
        effective_at=LATER,
    )
    intervention.record_actual_cost(
        amount=Money.dkk("250.25"),
        budget_area=BudgetArea.TRANSFERS,
        period=february,
        actor=LARS,
        effective_at=LATER,
    )

    events = intervention.collect_events()
    assert [type(e) for e in events] == [Intervention.ActualCostRecorded] * 2
    first = events[0]
    assert isinstance(first, Intervention.ActualCostRecorded)
    assert first.amount == Money.dkk("1000.50")
    assert first.budget_area is BudgetArea.SERVICE
    assert first.period == february
    assert intervention.total_actual_cost() == Money.dkk("1250.75")
    assert intervention.total_actual_cost(BudgetArea.SERVICE) == Money.dkk("1000.50")
    assert intervention.total_actual_cost(BudgetArea.TRANSFERS) == Money.dkk("250.25")


# --- rule 5: a finished intervention never changes again ----------------------------


COMMANDS: dict[str, Callable[[Intervention], object]] = {
    "grant": lambda i: i.grant(decision_id=uuid4(), actor=LARS, effective_at=LATER),
    "schedule": lambda i: i.schedule(start_on=date(2026, 9, 1), actor=LARS, effective_at=LATER),
    "start": lambda i: start(i),
    "pause": lambda i: i.pause(reason="r", actor=LARS, effective_at=LATER),
    "resume": lambda i: i.resume(actor=LARS, effective_at=LATER),
    "complete": lambda i: i.complete(
        outcome=InterventionOutcome.GOALS_MET, actor=LARS, effective_at=LATER
    ),
    "stop": lambda i: i.stop(reason="r", actor=LARS, effective_at=LATER),
    "cancel": lambda i: i.cancel(reason="r", actor=LARS, effective_at=LATER),
    "reassign_responsible": lambda i: i.reassign_responsible(
        new_responsible=BIRGIT, reason="r", actor=LARS, effective_at=LATER
    ),
    "record_actual_cost": lambda i: i.record_actual_cost(
        amount=Money.dkk(1),
        budget_area=BudgetArea.SERVICE,
        period=Period(start=date(2026, 2, 1)),
        actor=LARS,
        effective_at=LATER,
    ),
    "add_dependency": lambda i: i.add_dependency(
        on_intervention_id=uuid4(), type=DependencyType.CONCURRENT, actor=LARS, effective_at=LATER
    ),
}

FINISHED: dict[str, Callable[[], Intervention]] = {
    "completed": completed,
    "stopped": stopped,
    "cancelled": cancelled,
}


@pytest.mark.parametrize("finished", list(FINISHED))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_rule_5_a_finished_intervention_refuses_every_command(finished: str, command: str) -> None:
    intervention = FINISHED[finished]()
    status = intervention.status

    error = refused(intervention, InterventionFinished, lambda: COMMANDS[command](intervention))
    assert error.intervention_id == intervention.id
    assert error.status is status
    assert status is InterventionStatus(finished)
    assert intervention.status is status
