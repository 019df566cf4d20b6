"""Rule 15: a backdated command is judged against the citizen's course as it stood at its
effective time (the Randers rule, waiting for another intervention, an intervention's
own steps), and what may still be entered after the fact is accepted. Through the
public API, as the tester of issue 16 tried it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from uuid import UUID

import pytest

from oneplan import (
    Actor,
    DependencyNotSatisfied,
    InterventionOutcome,
    Law,
    OnePlan,
    OnePlanError,
    OutOfOrderInEffectiveTime,
    PlanOutcome,
    RuleViolation,
    SanctionBackdatedBeforeSocialContact,
    SanctionBeforeSocialContact,
    Sector,
    StartBackdatedBeforeDependency,
    evaluate,
)
from oneplan.aggregates.citizen import Citizen, RandersStep, randers_breaches
from tests.builders import ANNE, LARS, PETER, acting, open_plan, propose, record
from tests.conftest import NOW, FixedClock

DAY = timedelta(days=1)
SARA = Actor.caseworker("sara", Sector.SOCIAL, Law.SEL)


@pytest.fixture
def app() -> Iterator[OnePlan]:
    app = OnePlan.open("memory://", clock=FixedClock(NOW))
    yield app
    app.close()


def events(app: OnePlan) -> int:
    return app.recorder.max_notification_id() or 0


def refused(app: OnePlan, error: type[OnePlanError], command: Callable[[], object]) -> OnePlanError:
    """``command`` is refused with ``error`` and stores nothing."""
    before = events(app)
    with pytest.raises(error) as caught:
        command()
    assert events(app) == before
    return caught.value


# --- the Randers rule (rule 8) in effective time ------------------------------------------


def citizen_with_contact_person(app: OnePlan, recorded_at: object) -> UUID:
    _, citizen = open_plan(app)
    acting(app, PETER)  # (registered, before the commands under test)
    acting(app, SARA)
    acting(app, LARS).record_social_contact_person(
        citizen_id=citizen, contact_person="lars", effective_at=recorded_at
    )
    return citizen


def contact(app: OnePlan, citizen: UUID, when: object) -> None:
    acting(app, PETER).record_social_contact_made(
        citizen_id=citizen, regarding="planned sanction", effective_at=when
    )


def sanction(app: OnePlan, citizen: UUID, when: object, sanction_id: UUID | None = None) -> UUID:
    return acting(app, PETER).impose_sanction(
        citizen_id=citizen,
        sanction_id=sanction_id,
        legal_basis="LAS § 36",
        reason="missed the job interview",
        effective_at=when,
    )


def test_a_sanction_backdated_before_the_contact_is_refused_naming_the_contact(
    app: OnePlan,
) -> None:
    citizen = citizen_with_contact_person(app, NOW - 30 * DAY)
    contact(app, citizen, NOW)

    error = refused(app, SanctionBeforeSocialContact, lambda: sanction(app, citizen, NOW - 5 * DAY))

    assert isinstance(error, SanctionBackdatedBeforeSocialContact)
    assert isinstance(error, OutOfOrderInEffectiveTime)
    assert error.rule == "Randers sanction rule"
    assert error.ids["effective_at"] == NOW - 5 * DAY
    assert error.ids["recorded_step"] == "SocialContactPersonContacted"
    assert error.ids["recorded_at"] == NOW
    assert error.ids["recorded_in"] == citizen
    assert error.ids["contact_person_id"] == "lars"
    # After the contact, in the course too, the same sanction is accepted.
    sanction(app, citizen, NOW)


def test_a_sanction_with_no_contact_at_all_is_still_the_plain_randers_refusal(
    app: OnePlan,
) -> None:
    citizen = citizen_with_contact_person(app, NOW - 30 * DAY)

    error = refused(app, SanctionBeforeSocialContact, lambda: sanction(app, citizen, NOW - 5 * DAY))

    assert type(error) is SanctionBeforeSocialContact


def test_a_sanction_entered_after_the_fact_after_its_contact_is_accepted(app: OnePlan) -> None:
    citizen = citizen_with_contact_person(app, NOW - 30 * DAY)
    contact(app, citizen, NOW - 20 * DAY)

    sanction(app, citizen, NOW - 10 * DAY)

    assert len(record(app).citizen(citizen).sanction_ids) == 1


def test_a_sanction_backdated_before_a_recorded_sanction_cannot_take_its_contact(
    app: OnePlan,
) -> None:
    citizen = citizen_with_contact_person(app, NOW - 30 * DAY)
    contact(app, citizen, NOW - 20 * DAY)
    first = sanction(app, citizen, NOW - 10 * DAY)
    contact(app, citizen, NOW - 2 * DAY)

    # In the course the new sanction would come between the first contact and the
    # first sanction, which would then follow a sanction with no contact since.
    error = refused(app, OutOfOrderInEffectiveTime, lambda: sanction(app, citizen, NOW - 15 * DAY))

    assert type(error) is OutOfOrderInEffectiveTime
    assert error.ids["recorded_step"] == "SanctionImposed"
    assert error.ids["recorded_at"] == NOW - 10 * DAY
    assert error.ids["sanction_id"] == str(first)
    # After the recorded sanction and the second contact, it is accepted.
    sanction(app, citizen, NOW - DAY)


def test_a_contact_person_backdated_before_a_recorded_sanction_is_refused(
    app: OnePlan,
) -> None:
    citizen = citizen_with_contact_person(app, NOW - 30 * DAY)
    contact(app, citizen, NOW - 20 * DAY)
    sanction(app, citizen, NOW - 10 * DAY)
    error = refused(
        app,
        OutOfOrderInEffectiveTime,
        lambda: acting(app, LARS).record_social_contact_person(
            citizen_id=citizen, contact_person="sara", effective_at=NOW - 15 * DAY
        ),
    )

    assert error.ids["recorded_step"] == "SanctionImposed"
    assert error.ids["recorded_at"] == NOW - 10 * DAY


def test_a_contact_backdated_before_the_contact_person_was_recorded_is_refused(
    app: OnePlan,
) -> None:
    citizen = citizen_with_contact_person(app, NOW - 10 * DAY)

    error = refused(app, OutOfOrderInEffectiveTime, lambda: contact(app, citizen, NOW - 20 * DAY))

    assert error.ids["recorded_step"] == "SocialContactPersonRecorded"
    assert error.ids["recorded_at"] == NOW - 10 * DAY


def test_a_sanction_before_any_contact_person_was_recorded_has_nobody_to_wait_for(
    app: OnePlan,
) -> None:
    citizen = citizen_with_contact_person(app, NOW - 10 * DAY)

    sanction(app, citizen, NOW - 20 * DAY)


def test_randers_breaches_are_judged_in_effective_time() -> None:
    t = NOW
    recorded = RandersStep("SocialContactPersonRecorded", t - 30 * DAY, "lars")
    contacted = RandersStep("SocialContactPersonContacted", t, "lars")
    early = RandersStep("SanctionImposed", t - 5 * DAY, "s1")
    late = RandersStep("SanctionImposed", t + DAY, "s2")

    assert randers_breaches([recorded, contacted, early]) == [early]
    assert randers_breaches([recorded, contacted, late]) == []
    assert randers_breaches([recorded, contacted, late, early]) == [early]
    later = RandersStep("SocialContactPersonRecorded", t - 2 * DAY, "lars")
    assert randers_breaches([later, contacted, early]) == []  # (nobody to contact then)


def test_the_citizen_folds_its_randers_course_from_its_events(app: OnePlan) -> None:
    citizen_id = citizen_with_contact_person(app, NOW - 30 * DAY)
    contact(app, citizen_id, NOW - 20 * DAY)
    sanction_id = sanction(app, citizen_id, NOW - 10 * DAY)

    citizen = record(app).citizen(citizen_id)

    assert isinstance(citizen, Citizen)
    assert citizen.randers_course == (
        RandersStep("SocialContactPersonRecorded", NOW - 30 * DAY, "lars"),
        RandersStep("SocialContactPersonContacted", NOW - 20 * DAY, "lars"),
        RandersStep("SanctionImposed", NOW - 10 * DAY, str(sanction_id)),
    )


# --- waiting for another intervention (rule 6) in effective time ------------------------------


def started(app: OnePlan, plan: UUID, citizen: UUID, when: object) -> UUID:
    intervention = propose(app, plan, citizen, effective_at=NOW - 60 * DAY)
    lars = acting(app, LARS)
    lars.grant_intervention(intervention_id=intervention, effective_at=NOW - 60 * DAY)
    lars.start_intervention(intervention_id=intervention, effective_at=when)
    return intervention


def waiting_pair(app: OnePlan, kind: str = "after-end") -> tuple[UUID, UUID]:
    """(first, second): the second waits for the first, both granted."""
    plan, citizen = open_plan(app)
    first = started(app, plan, citizen, NOW - 50 * DAY)
    second = propose(app, plan, citizen, effective_at=NOW - 60 * DAY)
    lars = acting(app, LARS)
    lars.grant_intervention(intervention_id=second, effective_at=NOW - 60 * DAY)
    lars.add_dependency(
        intervention_id=second, on_intervention_id=first, type=kind, effective_at=NOW - 55 * DAY
    )
    return first, second


def test_a_start_backdated_before_what_it_waits_for_ended_is_refused_naming_both(
    app: OnePlan,
) -> None:
    first, second = waiting_pair(app)
    lars = acting(app, LARS)
    lars.complete_intervention(
        intervention_id=first, outcome=InterventionOutcome.GOALS_MET, effective_at=NOW
    )

    error = refused(
        app,
        DependencyNotSatisfied,
        lambda: lars.start_intervention(intervention_id=second, effective_at=NOW - 20 * DAY),
    )

    assert isinstance(error, StartBackdatedBeforeDependency)
    assert isinstance(error, OutOfOrderInEffectiveTime)
    assert error.rule == "wait for dependency"
    assert error.ids["intervention_id"] == second
    assert error.ids["waits_for_id"] == first
    assert error.ids["recorded_in"] == first
    assert error.ids["recorded_step"] == "Completed"
    assert error.ids["recorded_at"] == NOW
    assert error.ids["effective_at"] == NOW - 20 * DAY
    lars.start_intervention(intervention_id=second, effective_at=NOW)


def test_a_start_after_start_is_judged_against_the_others_start(app: OnePlan) -> None:
    _, second = waiting_pair(app, "after-start")
    lars = acting(app, LARS)

    error = refused(
        app,
        StartBackdatedBeforeDependency,
        lambda: lars.start_intervention(intervention_id=second, effective_at=NOW - 52 * DAY),
    )

    assert error.ids["recorded_step"] == "Started"
    assert error.ids["recorded_at"] == NOW - 50 * DAY
    lars.start_intervention(intervention_id=second, effective_at=NOW - 50 * DAY)


def test_a_cancelled_intervention_holds_back_nothing_from_its_cancellation_on(
    app: OnePlan,
) -> None:
    plan, citizen = open_plan(app)
    first = propose(app, plan, citizen, effective_at=NOW - 60 * DAY)
    second = propose(app, plan, citizen, effective_at=NOW - 60 * DAY)
    lars = acting(app, LARS)
    lars.grant_intervention(intervention_id=second, effective_at=NOW - 60 * DAY)
    lars.add_dependency(
        intervention_id=second, on_intervention_id=first, effective_at=NOW - 60 * DAY
    )
    lars.cancel_intervention(intervention_id=first, reason="not needed", effective_at=NOW - DAY)

    error = refused(
        app,
        StartBackdatedBeforeDependency,
        lambda: lars.start_intervention(intervention_id=second, effective_at=NOW - 2 * DAY),
    )

    assert error.ids["recorded_step"] == "Cancelled"
    lars.start_intervention(intervention_id=second, effective_at=NOW - DAY)


# --- an intervention's own steps, in effective time (rule 5) ---------------------------------


def test_a_resume_backdated_before_its_pause_is_refused(app: OnePlan) -> None:
    plan, citizen = open_plan(app)
    intervention = started(app, plan, citizen, NOW - 50 * DAY)
    lars = acting(app, LARS)
    lars.pause_intervention(
        intervention_id=intervention, reason="hospital stay", effective_at=NOW - 5 * DAY
    )

    error = refused(
        app,
        OutOfOrderInEffectiveTime,
        lambda: lars.resume_intervention(intervention_id=intervention, effective_at=NOW - 15 * DAY),
    )

    assert type(error) is OutOfOrderInEffectiveTime
    assert error.ids["command"] == "ResumeIntervention"
    assert error.ids["recorded_step"] == "Paused"
    assert error.ids["recorded_at"] == NOW - 5 * DAY
    assert error.ids["recorded_in"] == intervention
    assert error.ids["intervention_id"] == intervention
    # The pause is still there in the course: the evaluation sees it paused.
    paused_share = evaluate(record(app).all_events(), as_of=NOW).citizen(citizen).paused_share
    assert paused_share is not None
    assert paused_share > 0


def test_a_start_backdated_before_its_grant_is_refused(app: OnePlan) -> None:
    plan, citizen = open_plan(app)
    intervention = propose(app, plan, citizen, effective_at=NOW - 60 * DAY)
    lars = acting(app, LARS)
    decision = lars.grant_intervention(intervention_id=intervention, effective_at=NOW - 10 * DAY)

    error = refused(
        app,
        OutOfOrderInEffectiveTime,
        lambda: lars.start_intervention(intervention_id=intervention, effective_at=NOW - 20 * DAY),
    )

    assert error.ids["recorded_step"] == "Granted"
    assert error.ids["recorded_at"] == NOW - 10 * DAY
    assert error.ids["decision_id"] == decision


@pytest.mark.parametrize(
    ("command", "step"),
    [
        ("complete", "Resumed"),
        ("stop", "Resumed"),
        ("pause", "Resumed"),
    ],
)
def test_no_step_comes_before_the_latest_step_recorded(
    app: OnePlan, command: str, step: str
) -> None:
    plan, citizen = open_plan(app)
    intervention = started(app, plan, citizen, NOW - 50 * DAY)
    lars = acting(app, LARS)
    lars.pause_intervention(
        intervention_id=intervention, reason="hospital stay", effective_at=NOW - 30 * DAY
    )
    lars.resume_intervention(intervention_id=intervention, effective_at=NOW - 20 * DAY)
    when = NOW - 25 * DAY
    calls: dict[str, Callable[[], object]] = {
        "complete": lambda: lars.complete_intervention(
            intervention_id=intervention, outcome=InterventionOutcome.GOALS_MET, effective_at=when
        ),
        "stop": lambda: lars.stop_intervention(
            intervention_id=intervention, reason="moved away", effective_at=when
        ),
        "pause": lambda: lars.pause_intervention(
            intervention_id=intervention, reason="again", effective_at=when
        ),
    }

    error = refused(app, OutOfOrderInEffectiveTime, calls[command])

    assert error.ids["recorded_step"] == step
    assert error.ids["recorded_at"] == NOW - 20 * DAY


def test_a_cancel_backdated_before_the_schedule_is_refused(app: OnePlan) -> None:
    plan, citizen = open_plan(app)
    intervention = propose(app, plan, citizen, effective_at=NOW - 60 * DAY)
    lars = acting(app, LARS)
    lars.schedule_intervention(
        intervention_id=intervention, start_on=date(2026, 12, 1), effective_at=NOW - 10 * DAY
    )

    error = refused(
        app,
        OutOfOrderInEffectiveTime,
        lambda: lars.cancel_intervention(
            intervention_id=intervention, reason="not needed", effective_at=NOW - 20 * DAY
        ),
    )

    assert error.ids["recorded_step"] == "Scheduled"


def test_a_reassignment_backdated_before_the_latest_one_is_refused(app: OnePlan) -> None:
    plan, citizen = open_plan(app)
    intervention = propose(app, plan, citizen, effective_at=NOW - 60 * DAY)
    acting(app, ANNE).reassign_responsible(
        intervention_id=intervention,
        new_responsible="anne",
        reason="Lars is on leave",
        effective_at=NOW - 10 * DAY,
    )

    error = refused(
        app,
        OutOfOrderInEffectiveTime,
        lambda: acting(app, ANNE).reassign_responsible(
            intervention_id=intervention,
            new_responsible="lars",
            reason="back again",
            effective_at=NOW - 20 * DAY,
        ),
    )

    assert error.ids["recorded_step"] == "ResponsibleReassigned"
    assert error.ids["recorded_at"] == NOW - 10 * DAY


# --- what may still be entered after the fact ------------------------------------------------


def test_a_whole_course_entered_after_the_fact_in_its_order_is_accepted(app: OnePlan) -> None:
    plan, citizen = open_plan(app)
    intervention = started(app, plan, citizen, NOW - 50 * DAY)
    lars = acting(app, LARS)
    lars.pause_intervention(
        intervention_id=intervention, reason="hospital stay", effective_at=NOW - 40 * DAY
    )
    lars.resume_intervention(intervention_id=intervention, effective_at=NOW - 30 * DAY)
    # A cost and a reassignment within the course, entered later, contradict nothing.
    lars.record_actual_cost(
        intervention_id=intervention,
        amount="1500.00",
        budget_area="service",
        period={"start": (NOW - 45 * DAY).date(), "end": (NOW - 35 * DAY).date()},
        effective_at=NOW - 45 * DAY,
    )
    lars.complete_intervention(
        intervention_id=intervention,
        outcome=InterventionOutcome.GOALS_MET,
        effective_at=NOW - 30 * DAY,
    )

    done = record(app).intervention(intervention)
    assert done.ended_at == NOW - 30 * DAY
    assert done.last_step == "Completed"


def test_steps_at_the_same_effective_time_are_in_the_order_recorded(app: OnePlan) -> None:
    plan, citizen = open_plan(app)
    intervention = started(app, plan, citizen, NOW - 50 * DAY)
    lars = acting(app, LARS)
    lars.pause_intervention(intervention_id=intervention, reason="ill", effective_at=NOW - DAY)
    lars.resume_intervention(intervention_id=intervention, effective_at=NOW - DAY)


def test_every_refusal_in_effective_time_is_a_rule_violation() -> None:
    for error in (
        OutOfOrderInEffectiveTime,
        SanctionBackdatedBeforeSocialContact,
        StartBackdatedBeforeDependency,
    ):
        assert issubclass(error, RuleViolation)


# --- the plan's own steps, in effective time ---------------------------------------------


def test_a_plan_resumed_before_its_hold_is_refused(app: OnePlan) -> None:
    plan, _ = open_plan(app)
    anne = acting(app, ANNE)
    anne.put_plan_on_hold(plan_id=plan, reason="hospital stay", effective_at=NOW - 5 * DAY)

    error = refused(
        app,
        OutOfOrderInEffectiveTime,
        lambda: anne.resume_plan(plan_id=plan, effective_at=NOW - 10 * DAY),
    )

    assert error.ids["command"] == "ResumePlan"
    assert error.ids["recorded_step"] == "PutOnHold"
    assert error.ids["recorded_at"] == NOW - 5 * DAY
    assert error.ids["recorded_in"] == plan
    assert error.ids["plan_id"] == plan
    anne.resume_plan(plan_id=plan, effective_at=NOW - 5 * DAY)  # (at the same time: after)


def test_a_plan_completed_before_its_resume_is_refused(app: OnePlan) -> None:
    plan, _ = open_plan(app)
    anne = acting(app, ANNE)
    anne.put_plan_on_hold(plan_id=plan, reason="hospital stay", effective_at=NOW - 20 * DAY)
    anne.resume_plan(plan_id=plan, effective_at=NOW - 10 * DAY)

    error = refused(
        app,
        OutOfOrderInEffectiveTime,
        lambda: anne.complete_plan(
            plan_id=plan, outcome=PlanOutcome.WORK, effective_at=NOW - 15 * DAY
        ),
    )

    assert error.ids["recorded_step"] == "Resumed"
    anne.complete_plan(plan_id=plan, outcome=PlanOutcome.WORK, effective_at=NOW - 10 * DAY)
