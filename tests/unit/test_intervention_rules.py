"""The intervention's rules, pinned exactly: which command refuses what, with which typed
error and ids, and what each accepted command records (found by mutation testing of
``aggregates/intervention.py``; see the README, Development)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from oneplan.aggregates.intervention import Intervention
from oneplan.errors import (
    AuthorityMissing,
    DependencyNotSatisfied,
    IllegalTransition,
    InterventionFinished,
    LegalBasisOutsideSector,
)
from oneplan.values import (
    Actor,
    ActorKind,
    BudgetArea,
    DependencyType,
    InterventionOutcome,
    InterventionStatus,
    LegalBasis,
    Money,
    Period,
    Sector,
    SectorPlanRef,
)
from tests.builders import ANNE, LARS, PETER, SOFIE, at
from tests.unit.refusals import invalid, recorded, refusal

S = InterventionStatus
INTERVENTION = UUID(int=11)
PLAN = UUID(int=12)
CITIZEN = UUID(int=13)
GOAL = UUID(int=14)
DECISION = UUID(int=15)
OTHER = UUID(int=16)
PROPOSED_AT = at(2026, 2, 1)
LATER = at(2026, 2, 2)
METTE = Actor(id="mette", kind=ActorKind.CITIZEN)
SUPPORT = LegalBasis.parse("SEL § 85")
PLANNED = Period(start=date(2026, 2, 1), end=date(2026, 12, 31))
SOCIAL_PLAN = SectorPlanRef(sector=Sector.SOCIAL, legal_basis=SUPPORT, reference="S-1")


def proposal(**changes: Any) -> dict[str, Any]:
    return {
        "intervention_id": INTERVENTION,
        "plan_id": PLAN,
        "citizen_id": CITIZEN,
        "sector": Sector.SOCIAL,
        "legal_basis": SUPPORT,
        "title": "Support contact person",
        "goal_ids": (GOAL,),
        "responsible": LARS,
        "planned_period": PLANNED,
        "planned_cost": Money.dkk("12000.00"),
        "budget_area": BudgetArea.SERVICE,
        "actor": ANNE,
        "effective_at": PROPOSED_AT,
    } | changes


def sector_plan_proposal(**changes: Any) -> dict[str, Any]:
    arguments = proposal(sector_plan=SOCIAL_PLAN) | changes
    del arguments["plan_id"], arguments["sector"], arguments["goal_ids"]
    return arguments


def in_status(status: InterventionStatus) -> Intervention:
    intervention = Intervention.propose(**proposal())
    if status is S.SCHEDULED:
        intervention.schedule(start_on=date(2026, 3, 1), actor=ANNE, effective_at=LATER)
    if status in (S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED, S.STOPPED):
        intervention.grant(decision_id=DECISION, actor=LARS, effective_at=LATER)
        intervention.start(dependency_statuses={}, actor=LARS, effective_at=LATER)
    if status is S.ON_HOLD:
        intervention.pause(reason="ill", actor=LARS, effective_at=LATER)
    if status is S.COMPLETED:
        intervention.complete(outcome=InterventionOutcome.GOALS_MET, actor=LARS, effective_at=LATER)
    if status is S.STOPPED:
        intervention.stop(reason="moved", actor=LARS, effective_at=LATER)
    if status is S.CANCELLED:
        intervention.cancel(reason="not needed", actor=LARS, effective_at=LATER)
    intervention.collect_events()
    assert intervention.status is status
    return intervention


# --- rule 2: a sector acts under its own laws ----------------------------------------


def test_an_intervention_is_proposed_by_a_sector_under_a_law_it_acts_under() -> None:
    refusal(
        None,
        LegalBasisOutsideSector,
        lambda: Intervention.propose(**proposal(sector=Sector.EMPLOYMENT)),
        ids={"intervention_id": INTERVENTION, "sector": Sector.EMPLOYMENT, "legal_basis": SUPPORT},
        says=f"the employment sector does not act under {SUPPORT}",
    )


def test_an_intervention_under_a_sector_plan_is_under_a_law_that_sector_acts_under() -> None:
    job_plan = SectorPlanRef(sector=Sector.EMPLOYMENT, legal_basis=LegalBasis.parse("LAB § 32"))
    refusal(
        None,
        LegalBasisOutsideSector,
        lambda: Intervention.propose_under_sector_plan(
            **sector_plan_proposal(sector_plan=job_plan)
        ),
        ids={"intervention_id": INTERVENTION, "sector": Sector.EMPLOYMENT, "legal_basis": SUPPORT},
        says=f"the employment sector does not act under {SUPPORT}",
    )


@pytest.mark.parametrize(
    ("name", "propose"),
    [
        ("ProposeIntervention", lambda **c: Intervention.propose(**proposal(**c))),
        (
            "ProposeInterventionUnderSectorPlan",
            lambda **c: Intervention.propose_under_sector_plan(**sector_plan_proposal(**c)),
        ),
    ],
    ids=["in-a-plan", "under-a-sector-plan"],
)
@pytest.mark.parametrize(
    ("field", "changes"),
    [("responsible", {"responsible": METTE}), ("title", {"title": "  "})],
)
def test_an_intervention_has_a_caseworker_responsible_and_a_title(
    name: str, propose: Callable[..., Intervention], field: str, changes: dict[str, Any]
) -> None:
    invalid(None, lambda: propose(**changes), name=name, field=field)


def test_a_proposal_records_everything_it_was_given() -> None:
    intervention = Intervention.propose(**proposal(title=" Support "))
    [event] = intervention.collect_events()
    assert type(event) is Intervention.Proposed
    assert event.originator_id == INTERVENTION
    assert (event.actor, event.effective_at) == (ANNE, PROPOSED_AT)
    given = proposal(title="Support")
    for name in ("plan_id", "citizen_id", "sector", "legal_basis", "title", "goal_ids"):
        assert getattr(event, name) == given[name]
        assert getattr(intervention, name) == given[name]
    for name in ("responsible", "planned_period", "planned_cost", "budget_area"):
        assert getattr(event, name) == given[name]
    assert intervention.held_under == PLAN


def test_a_proposal_under_a_sector_plan_records_everything_it_was_given() -> None:
    intervention = Intervention.propose_under_sector_plan(
        **sector_plan_proposal(title=" Support ", actor=PETER)
    )
    [event] = intervention.collect_events()
    assert type(event) is Intervention.ProposedUnderSectorPlan
    assert event.originator_id == INTERVENTION
    assert (event.actor, event.effective_at) == (PETER, PROPOSED_AT)
    given = sector_plan_proposal(title="Support")
    for name in ("citizen_id", "sector_plan", "legal_basis", "title", "responsible"):
        assert getattr(event, name) == given[name]
    for name in ("planned_period", "planned_cost", "budget_area"):
        assert getattr(event, name) == given[name]
    assert intervention.held_under == (CITIZEN, SOCIAL_PLAN)
    assert (intervention.plan_id, intervention.sector) == (None, Sector.SOCIAL)


def test_a_fresh_intervention_has_no_decision_schedule_pause_or_end() -> None:
    intervention = Intervention.propose(**proposal())
    assert intervention.status is S.NOT_STARTED
    assert intervention.sector_plan is None
    assert intervention.decision is None
    assert intervention.scheduled_start is None
    assert intervention.started_at is None
    assert intervention.ended_at is None
    assert intervention.pause_reason is None
    assert intervention.expected_resume is None
    assert intervention.paused_at is None
    assert intervention.outcome is None
    assert intervention.end_reason is None
    assert (intervention.actual_costs, intervention.dependencies) == ((), ())


# --- rule 3: who grants --------------------------------------------------------------


def test_an_intervention_is_granted_once() -> None:
    intervention = in_status(S.NOT_STARTED)
    intervention.grant(decision_id=DECISION, actor=LARS, effective_at=LATER)
    intervention.collect_events()
    refusal(
        intervention,
        IllegalTransition,
        lambda: intervention.grant(decision_id=OTHER, actor=LARS, effective_at=LATER),
        ids={"intervention_id": INTERVENTION},
        says=f"intervention {INTERVENTION} is already granted by decision {DECISION}",
    )


@pytest.mark.parametrize("who", [PETER, METTE], ids=["other-law", "citizen"])
def test_only_a_caseworker_with_authority_under_its_law_grants_it(who: Actor) -> None:
    intervention = in_status(S.NOT_STARTED)
    refusal(
        intervention,
        AuthorityMissing,
        lambda: intervention.grant(decision_id=DECISION, actor=who, effective_at=LATER),
        ids={"intervention_id": INTERVENTION, "caseworker_id": who.id, "law": SUPPORT.law},
        says=f"{who.id} holds no authority under SEL to grant intervention {INTERVENTION}",
    )


def test_a_grant_records_the_decision_by_its_maker() -> None:
    intervention = in_status(S.SCHEDULED)
    event = recorded(
        intervention,
        lambda: intervention.grant(
            decision_id=DECISION, note=" ok ", actor=LARS, effective_at=LATER
        ),
        event=Intervention.Granted,
        actor=LARS,
        effective_at=LATER,
    )
    assert (event.decision_id, event.note) == (DECISION, "ok")
    assert intervention.decision is not None
    assert intervention.decision.decided_by == LARS


def test_a_grant_and_a_completion_need_no_note() -> None:
    intervention = in_status(S.NOT_STARTED)
    granted = recorded(
        intervention,
        lambda: intervention.grant(decision_id=DECISION, actor=LARS, effective_at=LATER),
        event=Intervention.Granted,
        actor=LARS,
        effective_at=LATER,
    )
    intervention.start(dependency_statuses={}, actor=LARS, effective_at=LATER)
    intervention.collect_events()
    completed = recorded(
        intervention,
        lambda: intervention.complete(
            outcome=InterventionOutcome.GOALS_MET, actor=LARS, effective_at=LATER
        ),
        event=Intervention.Completed,
        actor=LARS,
        effective_at=LATER,
    )
    assert (granted.note, completed.note) == ("", "")


# --- the status lifecycle (rule 5) ---------------------------------------------------

FINISHED = [S.COMPLETED, S.STOPPED, S.CANCELLED]

COMMANDS: list[tuple[str, Callable[[Intervention], object]]] = [
    ("GrantIntervention", lambda i: i.grant(decision_id=DECISION, actor=LARS, effective_at=LATER)),
    (
        "ScheduleIntervention",
        lambda i: i.schedule(start_on=date(2026, 4, 1), actor=LARS, effective_at=LATER),
    ),
    (
        "StartIntervention",
        lambda i: i.start(dependency_statuses={}, actor=LARS, effective_at=LATER),
    ),
    ("PauseIntervention", lambda i: i.pause(reason="ill", actor=LARS, effective_at=LATER)),
    ("ResumeIntervention", lambda i: i.resume(actor=LARS, effective_at=LATER)),
    (
        "CompleteIntervention",
        lambda i: i.complete(outcome=InterventionOutcome.NOT_MET, actor=LARS, effective_at=LATER),
    ),
    ("StopIntervention", lambda i: i.stop(reason="r", actor=LARS, effective_at=LATER)),
    ("CancelIntervention", lambda i: i.cancel(reason="r", actor=LARS, effective_at=LATER)),
    (
        "ReassignResponsible",
        lambda i: i.reassign_responsible(
            new_responsible=PETER, reason="r", actor=LARS, effective_at=LATER
        ),
    ),
    (
        "RecordActualCost",
        lambda i: i.record_actual_cost(
            amount=Money.dkk(1),
            budget_area=BudgetArea.SERVICE,
            period=PLANNED,
            actor=LARS,
            effective_at=LATER,
        ),
    ),
    (
        "AddDependency",
        lambda i: i.add_dependency(
            on_intervention_id=OTHER, type=DependencyType.CONCURRENT, actor=LARS, effective_at=LATER
        ),
    ),
]


@pytest.mark.parametrize("status", FINISHED)
@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_finished_intervention_never_changes_again(
    name: str, command: Callable[[Intervention], object], status: InterventionStatus
) -> None:
    intervention = in_status(status)
    refusal(
        intervention,
        InterventionFinished,
        lambda: command(intervention),
        ids={"intervention_id": INTERVENTION, "status": status},
        says=f"{name}: intervention {INTERVENTION} is {status.value} and never changes again",
    )


WRONG_STATUS: list[tuple[str, InterventionStatus]] = [
    ("GrantIntervention", S.IN_PROGRESS),
    ("ScheduleIntervention", S.IN_PROGRESS),
    ("StartIntervention", S.ON_HOLD),
    ("PauseIntervention", S.SCHEDULED),
    ("PauseIntervention", S.ON_HOLD),
    ("ResumeIntervention", S.IN_PROGRESS),
    ("CompleteIntervention", S.ON_HOLD),
    ("CompleteIntervention", S.NOT_STARTED),
    ("StopIntervention", S.SCHEDULED),
    ("CancelIntervention", S.IN_PROGRESS),
    ("CancelIntervention", S.ON_HOLD),
]


@pytest.mark.parametrize(
    ("name", "status"), WRONG_STATUS, ids=[f"{n}-{s}" for n, s in WRONG_STATUS]
)
def test_each_transition_applies_only_in_its_statuses(
    name: str, status: InterventionStatus
) -> None:
    intervention = in_status(status)
    command = dict(COMMANDS)[name]
    refusal(
        intervention,
        IllegalTransition,
        lambda: command(intervention),
        ids={"intervention_id": INTERVENTION, "status": status},
        says=f"{name}: intervention {INTERVENTION} is {status.value}",
    )


def test_an_intervention_is_not_scheduled_again_for_the_same_day() -> None:
    intervention = in_status(S.SCHEDULED)
    refusal(
        intervention,
        IllegalTransition,
        lambda: intervention.schedule(start_on=date(2026, 3, 1), actor=LARS, effective_at=LATER),
        ids={"intervention_id": INTERVENTION},
        says=f"intervention {INTERVENTION} is already scheduled for 2026-03-01",
    )


def test_an_intervention_starts_only_once_granted() -> None:
    intervention = in_status(S.SCHEDULED)
    refusal(
        intervention,
        IllegalTransition,
        lambda: intervention.start(dependency_statuses={}, actor=LARS, effective_at=LATER),
        ids={"intervention_id": INTERVENTION, "status": S.SCHEDULED},
        says=f"intervention {INTERVENTION} is not granted by a decision yet",
    )


@pytest.mark.parametrize(
    ("field", "changes"),
    [("reason", {"reason": " "}), ("expected_resume", {"expected_resume": date(2026, 2, 1)})],
)
def test_a_pause_has_a_reason_and_resumes_no_earlier_than_it_began(
    field: str, changes: dict[str, Any]
) -> None:
    intervention = in_status(S.IN_PROGRESS)
    arguments: dict[str, Any] = {"reason": "ill", "actor": LARS, "effective_at": LATER} | changes
    invalid(
        intervention,
        lambda: intervention.pause(**arguments),
        name="PauseIntervention",
        field=field,
    )


def test_a_pause_may_expect_to_resume_the_same_day() -> None:
    intervention = in_status(S.IN_PROGRESS)
    event = recorded(
        intervention,
        lambda: intervention.pause(
            reason=" ill ", expected_resume=LATER.date(), actor=PETER, effective_at=LATER
        ),
        event=Intervention.Paused,
        actor=PETER,
        effective_at=LATER,
    )
    assert (event.reason, event.expected_resume) == ("ill", LATER.date())


@pytest.mark.parametrize(
    ("name", "status", "command"),
    [
        (
            "StopIntervention",
            S.IN_PROGRESS,
            lambda i: i.stop(reason=" ", actor=LARS, effective_at=LATER),
        ),
        (
            "CancelIntervention",
            S.NOT_STARTED,
            lambda i: i.cancel(reason="", actor=LARS, effective_at=LATER),
        ),
        (
            "ReassignResponsible",
            S.NOT_STARTED,
            lambda i: i.reassign_responsible(
                new_responsible=PETER, reason=" ", actor=LARS, effective_at=LATER
            ),
        ),
    ],
    ids=["stop", "cancel", "reassign"],
)
def test_stopping_cancelling_and_reassigning_give_a_reason(
    name: str, status: InterventionStatus, command: Callable[[Intervention], object]
) -> None:
    intervention = in_status(status)
    invalid(intervention, lambda: command(intervention), name=name, field="reason")


# --- rule 4: one responsible ---------------------------------------------------------


def test_the_responsible_is_reassigned_to_a_caseworker() -> None:
    intervention = in_status(S.NOT_STARTED)
    invalid(
        intervention,
        lambda: intervention.reassign_responsible(
            new_responsible=METTE, reason="r", actor=LARS, effective_at=LATER
        ),
        name="ReassignResponsible",
        field="new_responsible",
    )


def test_the_responsible_is_not_reassigned_to_themself() -> None:
    intervention = in_status(S.NOT_STARTED)
    refusal(
        intervention,
        IllegalTransition,
        lambda: intervention.reassign_responsible(
            new_responsible=LARS, reason="r", actor=ANNE, effective_at=LATER
        ),
        ids={"intervention_id": INTERVENTION},
        says=f"lars is already responsible for intervention {INTERVENTION}",
    )


# --- rule 6: dependencies ------------------------------------------------------------


def test_an_intervention_does_not_wait_for_itself() -> None:
    intervention = in_status(S.NOT_STARTED)
    invalid(
        intervention,
        lambda: intervention.add_dependency(
            on_intervention_id=INTERVENTION,
            type=DependencyType.AFTER_END,
            actor=LARS,
            effective_at=LATER,
        ),
        name="AddDependency",
        field="on_intervention_id",
    )


def test_an_intervention_depends_on_another_once() -> None:
    intervention = in_status(S.NOT_STARTED)
    intervention.add_dependency(
        on_intervention_id=OTHER, type=DependencyType.AFTER_END, actor=LARS, effective_at=LATER
    )
    intervention.collect_events()
    refusal(
        intervention,
        IllegalTransition,
        lambda: intervention.add_dependency(
            on_intervention_id=OTHER, type=DependencyType.CONCURRENT, actor=LARS, effective_at=LATER
        ),
        ids={"intervention_id": INTERVENTION},
        says=f"intervention {INTERVENTION} already depends on {OTHER}",
    )


@pytest.mark.parametrize(
    "kind", [DependencyType.AFTER_END, DependencyType.AFTER, DependencyType.AFTER_START]
)
def test_a_started_intervention_no_longer_waits_for_another(kind: DependencyType) -> None:
    intervention = in_status(S.IN_PROGRESS)
    refusal(
        intervention,
        IllegalTransition,
        lambda: intervention.add_dependency(
            on_intervention_id=OTHER, type=kind, actor=LARS, effective_at=LATER
        ),
        ids={"intervention_id": INTERVENTION},
        says=f"intervention {INTERVENTION} has started; it can no longer wait for another",
    )


@pytest.mark.parametrize("kind", [DependencyType.CONCURRENT, DependencyType.BEFORE_START])
def test_a_started_intervention_may_still_run_with_or_before_another(kind: DependencyType) -> None:
    intervention = in_status(S.ON_HOLD)
    event = recorded(
        intervention,
        lambda: intervention.add_dependency(
            on_intervention_id=OTHER, type=kind, actor=PETER, effective_at=LATER
        ),
        event=Intervention.DependencyAdded,
        actor=PETER,
        effective_at=LATER,
    )
    assert (event.on_intervention_id, event.type) == (OTHER, kind)
    assert intervention.waits_for == (OTHER,)


@pytest.mark.parametrize(
    ("other", "shown"),
    [(None, "unknown"), (S.IN_PROGRESS, "in-progress")],
    ids=["unknown", "running"],
)
def test_an_intervention_waiting_for_another_to_end_does_not_start_before(
    other: InterventionStatus | None, shown: str
) -> None:
    intervention = in_status(S.NOT_STARTED)
    intervention.add_dependency(
        on_intervention_id=OTHER, type=DependencyType.AFTER_END, actor=LARS, effective_at=LATER
    )
    intervention.grant(decision_id=DECISION, actor=LARS, effective_at=LATER)
    intervention.collect_events()
    statuses = {} if other is None else {OTHER: other}
    refusal(
        intervention,
        DependencyNotSatisfied,
        lambda: intervention.start(dependency_statuses=statuses, actor=LARS, effective_at=LATER),
        ids={"intervention_id": INTERVENTION, "waits_for_id": OTHER},
        says=f"intervention {INTERVENTION} waits (after-end) for {OTHER}, which is {shown}",
    )


# --- what each accepted command records ----------------------------------------------

ACCEPTED: list[
    tuple[InterventionStatus, type[Any], Callable[[Intervention], object], dict[str, Any]]
] = [
    (
        S.NOT_STARTED,
        Intervention.Scheduled,
        lambda i: i.schedule(start_on=date(2026, 4, 1), actor=PETER, effective_at=LATER),
        {"start_on": date(2026, 4, 1)},
    ),
    (S.ON_HOLD, Intervention.Resumed, lambda i: i.resume(actor=PETER, effective_at=LATER), {}),
    (
        S.IN_PROGRESS,
        Intervention.Completed,
        lambda i: i.complete(
            outcome=InterventionOutcome.PARTLY_MET, note=" half ", actor=PETER, effective_at=LATER
        ),
        {"outcome": InterventionOutcome.PARTLY_MET, "note": "half"},
    ),
    (
        S.ON_HOLD,
        Intervention.Stopped,
        lambda i: i.stop(reason=" moved ", actor=PETER, effective_at=LATER),
        {"reason": "moved"},
    ),
    (
        S.SCHEDULED,
        Intervention.Cancelled,
        lambda i: i.cancel(reason=" not needed ", actor=PETER, effective_at=LATER),
        {"reason": "not needed"},
    ),
    (
        S.IN_PROGRESS,
        Intervention.ResponsibleReassigned,
        lambda i: i.reassign_responsible(
            new_responsible=SOFIE, reason=" leave ", actor=PETER, effective_at=LATER
        ),
        {"previous_responsible": LARS, "new_responsible": SOFIE, "reason": "leave"},
    ),
    (
        S.ON_HOLD,
        Intervention.ActualCostRecorded,
        lambda i: i.record_actual_cost(
            amount=Money.dkk("500.00"),
            budget_area=BudgetArea.TRANSFERS,
            period=PLANNED,
            actor=PETER,
            effective_at=LATER,
        ),
        {"amount": Money.dkk("500.00"), "budget_area": BudgetArea.TRANSFERS, "period": PLANNED},
    ),
]


@pytest.mark.parametrize(
    ("status", "event", "command", "fields"), ACCEPTED, ids=[a[1].__name__ for a in ACCEPTED]
)
def test_each_command_records_its_event_by_its_actor_with_its_fields(
    status: InterventionStatus,
    event: type[Any],
    command: Callable[[Intervention], object],
    fields: dict[str, Any],
) -> None:
    intervention = in_status(status)
    new = recorded(
        intervention, lambda: command(intervention), event=event, actor=PETER, effective_at=LATER
    )
    assert {k: getattr(new, k) for k in fields} == fields
