"""The application on every storage: the seeds' story, refusals that persist nothing,
bad input named by field, the right not-found, and reads of the past."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from oneplan import (
    AchievementStatus,
    Actor,
    ActorKind,
    AuthorityMissing,
    CitizenAlreadyInPlan,
    CitizenNotFound,
    CommandIdReused,
    ConsentGiver,
    CoordinatorRequired,
    DependencyCycle,
    DependencyNotSatisfied,
    DependencyType,
    EffectiveTimeInvalid,
    GoalNotFound,
    GoalStatus,
    IllegalTransition,
    InterventionFinished,
    InterventionNotFound,
    InterventionOutcome,
    InterventionStatus,
    InvalidInput,
    LegalBasisOutsideSector,
    Money,
    NotPermitted,
    OnePlan,
    OnePlanError,
    ParticipantRole,
    Period,
    PlanNotFound,
    PlanStatus,
    Principal,
    Responsibility,
    SanctionBeforeSocialContact,
    Sector,
    SharingNotCovered,
)
from oneplan.demo import run_demo
from tests.builders import (
    ALL_CATEGORIES,
    ANNE,
    HOUSING,
    LARS,
    PETER,
    acting,
    at,
    citizen_with_consent,
    open_plan,
    propose,
    record,
)
from tests.conftest import FixedClock

TRAINEE = Actor.caseworker("trainee", Sector.SOCIAL)
"""A social caseworker with no authority delegated under any law yet."""


def stored_events(app: OnePlan) -> int:
    """How many events the store holds, all aggregates together."""
    return len(app.recorder.select_notifications(start=1, limit=10**6))


def current_states(app: OnePlan, w: World) -> dict[str, dict[str, Any]]:
    """What the application answers now about the world's plan, citizen and interventions."""
    return {
        "plan": dict(vars(record(app).plan(w.plan))),
        "citizen": dict(vars(record(app).citizen(w.citizen))),
        **{
            name: dict(vars(record(app).intervention(getattr(w, name))))
            for name in ("running", "waiting", "ungranted", "finished")
        },
    }


@dataclass(frozen=True)
class World:
    """An active plan in the middle of its course."""

    plan: UUID
    citizen: UUID
    consent: UUID
    goal: UUID
    sub_goal: UUID
    running: UUID
    """Granted and started."""
    waiting: UUID
    """Granted; waits for ``running`` to end."""
    ungranted: UUID
    """Proposed only."""
    finished: UUID
    """Cancelled before it started."""
    used_command_id: UUID
    """The command id of a progress note already recorded."""


@pytest.fixture
def world(app: OnePlan) -> World:
    for member in (ANNE, LARS, PETER, HOUSING, TRAINEE):
        acting(app, member)  # (the cast in the staff directory, named in commands below)
    plan, citizen = open_plan(app)
    consent = next(iter(record(app).citizen(citizen).consents))
    goal = acting(app, ANNE).set_goal(
        plan_id=plan,
        description="In work 20 hours a week",
        due=date(2027, 6, 30),
        effective_at=at(2026, 1, 20),
    )
    sub_goal = acting(app, ANNE).set_goal(
        plan_id=plan,
        parent_id=goal,
        description="Takes the bus alone to the job training",
        due=date(2026, 3, 31),
        effective_at=at(2026, 1, 20),
    )
    running = propose(app, plan, citizen)
    acting(app, ANNE).grant_intervention(intervention_id=running, effective_at=at(2026, 2, 2))
    acting(app, LARS).start_intervention(intervention_id=running, effective_at=at(2026, 2, 3))
    waiting = propose(
        app, plan, citizen, sector=Sector.EMPLOYMENT, legal_basis="LAB § 32", responsible=PETER
    )
    acting(app, PETER).grant_intervention(intervention_id=waiting, effective_at=at(2026, 2, 2))
    acting(app, ANNE).add_dependency(
        intervention_id=waiting,
        on_intervention_id=running,
        type=DependencyType.AFTER_END,
        effective_at=at(2026, 2, 2),
    )
    ungranted = propose(app, plan, citizen, responsible=TRAINEE)
    finished = propose(app, plan, citizen)
    acting(app, ANNE).cancel_intervention(
        intervention_id=finished,
        reason="not needed after all",
        effective_at=at(2026, 2, 5),
    )
    acting(app, LARS).record_social_contact_person(
        citizen_id=citizen, contact_person=LARS, effective_at=at(2026, 2, 3)
    )
    used = uuid4()
    acting(app, ANNE).record_goal_progress(
        plan_id=plan,
        goal_id=goal,
        achievement=AchievementStatus.IMPROVING,
        command_id=used,
    )
    return World(
        plan=plan,
        citizen=citizen,
        consent=consent,
        goal=goal,
        sub_goal=sub_goal,
        running=running,
        waiting=waiting,
        ungranted=ungranted,
        finished=finished,
        used_command_id=used,
    )


# --- the seeds' story ---------------------------------------------------------------


def test_the_seeds_story_ends_with_an_active_plan_held_by_the_new_coordinator(
    app: OnePlan,
) -> None:
    told: list[str] = []
    plan_id = run_demo(app, say=told.append)

    plan = record(app).plan(plan_id)
    assert plan.status is PlanStatus.ACTIVE
    assert plan.coordinator is not None
    assert plan.coordinator.id == "anne.t"
    assert plan.coordinator_changes == 1
    roles = {cid: p.role for cid, p in plan.participants.items()}
    assert roles == {
        "karin.f": ParticipantRole.FAMILY_COORDINATOR,
        "peter.j": ParticipantRole.CASEWORKER,
        "lars.s": ParticipantRole.CASEWORKER,
    }
    assert plan.delivered_versions == 1
    mette, jonas = plan.citizen_ids
    assert plan.wishes == {
        mette: "Jeg vil gerne arbejde med mennesker igen, og der skal være ro derhjemme."
    }

    physio, contact, training = record(app).interventions_of(plan_id)
    assert [physio.status, contact.status, training.status] == [
        InterventionStatus.COMPLETED,
        InterventionStatus.IN_PROGRESS,
        InterventionStatus.IN_PROGRESS,
    ]
    assert physio.outcome is InterventionOutcome.GOALS_MET
    assert physio.total_actual_cost() == Money.dkk("13650.00")
    assert training.responsible.id == "peter.j"
    assert training.waits_for == (physio.id,)
    assert contact.responsible.id == "lars.s"

    goals = {g.description: g for g in plan.goals.values()}
    work = goals["I arbejde 20 timer om ugen"]
    bus = goals["Tager bussen alene til jobtræningen"]
    back = goals["Kan arbejde fire timer ad gangen uden rygsmerter"]
    assert (work.status, work.parent_id) == (GoalStatus.ACTIVE, None)
    assert (bus.status, bus.achievement, bus.parent_id) == (
        GoalStatus.COMPLETED,
        AchievementStatus.ACHIEVED,
        work.goal_id,
    )
    assert (back.status, back.parent_id) == (GoalStatus.ACTIVE, work.goal_id)

    (meeting,) = plan.meetings
    assert [(r.intervention_id, r.caseworker.id) for r in meeting.responsibilities] == [
        (training.id, "peter.j")
    ]
    reassigned = [
        e for e in record(app).history(training.id) if type(e).__name__ == "ResponsibleReassigned"
    ]
    assert [e.reason for e in reassigned] == [  # type: ignore[attr-defined]
        f"assigned at coordinating meeting {meeting.meeting_id}"
    ]

    mette_now = record(app).citizen(mette)
    (consent,) = mette_now.consents.values()
    assert Sector.HEALTH not in consent.recipient_sectors
    assert Sector.EMPLOYMENT in consent.recipient_sectors
    assert len(mette_now.sanction_ids) == 1
    (jonas_consent,) = record(app).citizen(jonas).consents.values()
    assert [g.kind for g in jonas_consent.given_by] == [ActorKind.GUARDIAN]

    refusals = "\n".join(told)
    assert "Refused, as it should be: BL § 110" in refusals
    assert "Job training cannot start yet: DependencyNotSatisfied" in refusals
    assert "sharing fails closed" in refusals
    assert "Randers rule" in refusals


# --- a refused command persists nothing ---------------------------------------------

Refusal = Callable[[OnePlan, World], object]

REFUSALS: list[Any] = [
    pytest.param(
        lambda app, w: acting(app, LARS).pause_intervention(
            intervention_id=w.ungranted, reason="waiting list"
        ),
        IllegalTransition,
        id="pausing-an-intervention-that-has-not-started",
    ),
    pytest.param(
        lambda app, w: acting(app, TRAINEE).grant_intervention(intervention_id=w.ungranted),
        AuthorityMissing,
        id="granting-without-authority-under-its-law",
    ),
    pytest.param(
        lambda app, w: acting(app, PETER).grant_intervention(intervention_id=w.ungranted),
        NotPermitted,
        id="granting-by-staff-of-another-sector-not-holding-it",
    ),
    pytest.param(
        lambda app, w: acting(app, PETER).start_intervention(intervention_id=w.waiting),
        DependencyNotSatisfied,
        id="starting-before-the-one-it-waits-for-has-ended",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).add_dependency(
            intervention_id=w.running, on_intervention_id=w.waiting
        ),
        DependencyCycle,
        id="waiting-in-a-circle",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).record_actual_cost(
            intervention_id=w.finished,
            amount="100.00",
            budget_area="service",
            period=Period(start=date(2026, 2, 1)),
        ),
        InterventionFinished,
        id="changing-a-finished-intervention",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).open_plan(
            plan_id=uuid4(),
            citizen_ids=[w.citizen],
            consent_ids=[w.consent],
            legal_bases=["LAB § 30 b"],
            coordinator=ANNE,
        ),
        CitizenAlreadyInPlan,
        id="a-second-plan-for-a-citizen-already-in-one",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).hold_meeting(
            plan_id=w.plan,
            attendees=[{"id": "anne"}, {"id": "lars", "sector": "social"}],
            decisions=["The contact person takes over"],
            responsibilities=[Responsibility(intervention_id=w.finished, caseworker=LARS)],
        ),
        InterventionFinished,
        id="a-meeting-making-someone-responsible-for-a-finished-intervention",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).propose_intervention(
            plan_id=w.plan,
            citizen_id=w.citizen,
            sector=Sector.HEALTH,
            legal_basis="LAB § 32",
            title="Job training",
            responsible=PETER,
            planned_period=Period(start=date(2026, 3, 1)),
        ),
        LegalBasisOutsideSector,
        id="proposing-under-a-law-the-sector-does-not-act-under",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).add_participant(plan_id=w.plan, participant=HOUSING),
        SharingNotCovered,
        id="sharing-with-a-sector-no-consent-covers",
    ),
    pytest.param(
        lambda app, w: acting(app, PETER).impose_sanction(
            citizen_id=w.citizen, legal_basis="LAS § 36", reason="missed job training"
        ),
        SanctionBeforeSocialContact,
        id="a-sanction-before-the-social-contact-person-is-contacted",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).hand_over_coordinator(
            plan_id=w.plan, new_coordinator=ANNE, reason="a new start"
        ),
        CoordinatorRequired,
        id="handing-over-to-the-coordinator-who-holds-the-plan",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).complete_goal(plan_id=w.plan, goal_id=w.goal),
        IllegalTransition,
        id="completing-a-goal-with-open-sub-goals",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).withdraw_plan(plan_id=w.plan),
        InvalidInput,
        id="a-caseworker-withdrawing-for-the-citizen",
    ),
    pytest.param(
        lambda app, w: acting(app, LARS).pause_intervention(intervention_id=w.running, reason="  "),
        InvalidInput,
        id="a-blank-reason",
    ),
    pytest.param(
        lambda app, w: acting(app, LARS).pause_intervention(
            intervention_id=w.running, reason="holiday", colour="red"
        ),
        InvalidInput,
        id="an-unknown-field",
    ),
    pytest.param(
        lambda app, w: acting(app, LARS).pause_intervention(
            intervention_id=w.running,
            reason="holiday",
            effective_at=app.clock() + app.clock_skew + timedelta(seconds=1),
        ),
        EffectiveTimeInvalid,
        id="an-effective-time-in-the-future",
    ),
    pytest.param(
        lambda app, w: acting(app, LARS).pause_intervention(
            intervention_id=w.running, reason="holiday", effective_at=at(2025, 12, 1)
        ),
        EffectiveTimeInvalid,
        id="an-effective-time-before-the-course-began",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).set_goal(plan_id=uuid4(), description="A goal"),
        PlanNotFound,
        id="an-unknown-plan",
    ),
    pytest.param(
        lambda app, w: acting(app, LARS).pause_intervention(
            intervention_id=w.plan, reason="holiday"
        ),
        InterventionNotFound,
        id="a-plan-id-where-an-intervention-id-belongs",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).record_goal_progress(
            plan_id=w.plan, goal_id=uuid4(), achievement="improving"
        ),
        GoalNotFound,
        id="an-unknown-goal",
    ),
    pytest.param(
        lambda app, w: acting(app, LARS).pause_intervention(
            intervention_id=w.running, reason="holiday", command_id=w.used_command_id
        ),
        CommandIdReused,
        id="a-command-id-used-before-for-another-command",
    ),
]


@pytest.mark.parametrize(("refused", "error"), REFUSALS)
def test_a_refused_command_persists_nothing(
    app: OnePlan, world: World, refused: Refusal, error: type[OnePlanError]
) -> None:
    before = stored_events(app)
    versions = {i: len(record(app).history(i)) for i in (world.plan, world.citizen, world.running)}
    states = current_states(app, world)

    with pytest.raises(error):
        refused(app, world)

    assert stored_events(app) == before
    assert {i: len(record(app).history(i)) for i in versions} == versions
    assert current_states(app, world) == states


def test_a_household_plan_refused_for_one_member_leaves_no_half_written_plan(
    app: OnePlan, world: World
) -> None:
    newcomer, newcomer_consent = citizen_with_consent(app, name="Jonas")
    newcomer_events = len(record(app).history(newcomer))
    before = stored_events(app)
    plan_id = uuid4()

    with pytest.raises(CitizenAlreadyInPlan):
        acting(app, ANNE).open_plan(
            plan_id=plan_id,
            citizen_ids=[newcomer, world.citizen],
            consent_ids=[newcomer_consent, world.consent],
            legal_bases=["BL § 110"],
            coordinator=ANNE,
        )

    assert stored_events(app) == before
    assert record(app).citizen(newcomer).plan_id is None
    assert len(record(app).history(newcomer)) == newcomer_events
    assert record(app).history(plan_id) == []
    with pytest.raises(PlanNotFound):
        record(app).plan(plan_id)


def test_a_meeting_that_names_a_finished_intervention_is_not_recorded_nor_its_other_decisions(
    app: OnePlan, world: World
) -> None:
    before = stored_events(app)

    with pytest.raises(InterventionFinished) as refused:
        acting(app, ANNE).hold_meeting(
            plan_id=world.plan,
            attendees=[{"id": "anne", "sector": "employment"}],
            responsibilities=[
                Responsibility(intervention_id=world.running, caseworker=PETER),
                Responsibility(intervention_id=world.finished, caseworker=LARS),
            ],
        )

    assert refused.value.intervention_id == world.finished  # type: ignore[attr-defined]
    assert stored_events(app) == before
    assert record(app).plan(world.plan).meetings == ()
    assert record(app).intervention(world.running).responsible.id == LARS.id


# --- bad input ----------------------------------------------------------------------

BAD_INPUT: list[Any] = [
    pytest.param(
        lambda app, w: acting(app, ANNE).register_citizen(name="Mette", birth_date="in May"),
        ("birth_date",),
        id="a-date-that-is-no-date",
    ),
    pytest.param(
        lambda app, w: acting(app, LARS).pause_intervention(
            intervention_id="not-an-id", reason="x"
        ),
        ("intervention_id",),
        id="an-id-that-is-no-uuid",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).record_goal_progress(
            plan_id=w.plan, goal_id=w.goal, achievement="great"
        ),
        ("achievement",),
        id="a-status-outside-the-vocabulary",
    ),
    pytest.param(
        lambda app, w: acting(app, LARS).pause_intervention(
            intervention_id=w.running, reason="holiday", expected_resume="soon"
        ),
        ("expected_resume",),
        id="an-expected-resume-that-is-no-date",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).propose_intervention(
            plan_id=w.plan,
            citizen_id=w.citizen,
            sector="social",
            legal_basis="SEL § 85",
            title="Support contact person",
            responsible=LARS,
            planned_period={"start": "2026-03-01"},
            planned_cost=12000.5,
        ),
        ("planned_cost",),
        id="money-as-a-float",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).propose_intervention(
            plan_id=w.plan,
            citizen_id=w.citizen,
            sector="social",
            legal_basis="SEL § 85",
            title="Support contact person",
            responsible=LARS,
            planned_period={"start": "2026-03-01"},
            planned_cost="-1.00",
        ),
        ("planned_cost", "amount"),
        id="negative-money",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).propose_intervention(
            plan_id=w.plan,
            citizen_id=w.citizen,
            sector="social",
            legal_basis="Section 85",
            title="Support contact person",
            responsible=LARS,
            planned_period={"start": "2026-03-01"},
        ),
        ("legal_basis",),
        id="a-legal-basis-that-names-no-law",
    ),
    pytest.param(
        lambda app, w: acting(app, LARS).pause_intervention(
            intervention_id=w.running, reason="   "
        ),
        ("reason",),
        id="a-blank-pause-reason",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).hand_over_coordinator(
            plan_id=w.plan, new_coordinator=PETER, reason=""
        ),
        ("reason",),
        id="a-blank-hand-over-reason",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).cancel_goal(
            plan_id=w.plan, goal_id=w.sub_goal, reason="\t"
        ),
        ("reason",),
        id="a-blank-cancel-reason",
    ),
    pytest.param(
        lambda app, w: acting(app, LARS).pause_intervention(
            intervention_id=w.running, reason="holiday", colour="red"
        ),
        ("colour",),
        id="an-unknown-field",
    ),
    pytest.param(
        lambda app, w: acting(app, ANNE).record_actual_cost(
            intervention_id=w.running,
            amount="100.00",
            budget_area="service",
            period={"start": "2026-02-01", "rank": 3},
        ),
        ("period", "rank"),
        id="an-unknown-field-inside-a-value",
    ),
    pytest.param(
        lambda app, w: acting(app, LARS).pause_intervention(
            intervention_id=w.running, reason="holiday", actor=LARS
        ),
        ("actor",),
        id="an-actor-named-in-the-command",
    ),
]


@pytest.mark.parametrize(("bad", "field"), BAD_INPUT)
def test_bad_input_is_refused_naming_the_field(
    app: OnePlan, world: World, bad: Refusal, field: tuple[str, ...]
) -> None:
    before = stored_events(app)

    with pytest.raises(InvalidInput) as refused:
        bad(app, world)

    assert field in [e["loc"] for e in refused.value.errors]
    assert stored_events(app) == before


def test_an_unknown_field_is_reported_as_forbidden(app: OnePlan, world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        acting(app, LARS).pause_intervention(
            intervention_id=world.running, reason="holiday", colour="red"
        )

    assert refused.value.command == "PauseIntervention"
    assert [(e["loc"], e.get("type")) for e in refused.value.errors] == [
        (("colour",), "extra_forbidden")
    ]


def test_an_effective_time_beyond_the_clock_skew_is_refused(
    app: OnePlan, world: World, clock: FixedClock
) -> None:
    with pytest.raises(EffectiveTimeInvalid) as refused:
        acting(app, LARS).pause_intervention(
            intervention_id=world.running,
            reason="holiday",
            effective_at=clock.now + app.clock_skew + timedelta(microseconds=1),
        )

    assert [e["loc"] for e in refused.value.errors] == [("effective_at",)]


def test_an_effective_time_just_within_the_clock_skew_is_accepted(
    app: OnePlan, world: World, clock: FixedClock
) -> None:
    acting(app, LARS).pause_intervention(
        intervention_id=world.running,
        reason="holiday",
        effective_at=clock.now + app.clock_skew,
    )

    assert record(app).intervention(world.running).paused_at == clock.now + app.clock_skew


def test_a_naive_effective_time_is_refused_as_an_invalid_effective_time(
    app: OnePlan, world: World
) -> None:
    before = stored_events(app)

    with pytest.raises(EffectiveTimeInvalid) as refused:
        acting(app, LARS).pause_intervention(
            intervention_id=world.running,
            reason="holiday",
            effective_at=datetime(2026, 3, 2, 10, 0),  # naive on purpose
        )

    assert [e["loc"] for e in refused.value.errors] == [("effective_at",)]
    assert stored_events(app) == before


def test_an_effective_time_before_the_course_began_is_refused(app: OnePlan, world: World) -> None:
    with pytest.raises(EffectiveTimeInvalid):
        acting(app, LARS).pause_intervention(
            intervention_id=world.running,
            reason="holiday",
            effective_at=at(2026, 1, 31),
        )


def test_a_command_of_another_kind_is_refused_as_invalid_input(app: OnePlan, world: World) -> None:
    from oneplan.commands import ResumeIntervention

    with pytest.raises(InvalidInput):
        acting(app, LARS).pause_intervention(ResumeIntervention(intervention_id=world.running))


# --- not found ----------------------------------------------------------------------

NOT_FOUND: list[Any] = [
    pytest.param(
        lambda app, w, unknown: acting(app, ANNE).set_goal(plan_id=unknown, description="A goal"),
        PlanNotFound,
        lambda w, unknown: {"plan_id": unknown},
        id="a-goal-in-an-unknown-plan",
    ),
    pytest.param(
        lambda app, w, unknown: acting(app, ANNE).set_goal(plan_id=w.running, description="A goal"),
        PlanNotFound,
        lambda w, unknown: {"plan_id": w.running},
        id="a-goal-in-an-intervention",
    ),
    pytest.param(
        lambda app, w, unknown: acting(app, LARS).start_intervention(intervention_id=unknown),
        InterventionNotFound,
        lambda w, unknown: {"intervention_id": unknown},
        id="starting-an-unknown-intervention",
    ),
    pytest.param(
        lambda app, w, unknown: acting(app, LARS).start_intervention(intervention_id=w.plan),
        InterventionNotFound,
        lambda w, unknown: {"intervention_id": w.plan},
        id="starting-a-plan-as-an-intervention",
    ),
    pytest.param(
        lambda app, w, unknown: acting(app, ANNE).add_dependency(
            intervention_id=w.ungranted, on_intervention_id=w.plan
        ),
        InterventionNotFound,
        lambda w, unknown: {"intervention_id": w.plan},
        id="waiting-for-a-plan",
    ),
    pytest.param(
        lambda app, w, unknown: acting(app, ANNE).grant_consent(
            given_how="in-meeting",
            citizen_id=unknown,
            recipient_sectors=[Sector.SOCIAL],
            categories=ALL_CATEGORIES,
            purpose="one coordinated plan",
            period=Period(start=date(2026, 1, 1)),
            given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        ),
        CitizenNotFound,
        lambda w, unknown: {"citizen_id": unknown},
        id="a-consent-of-an-unknown-citizen",
    ),
    pytest.param(
        lambda app, w, unknown: acting(app, ANNE).open_plan(
            citizen_ids=[w.plan],
            consent_ids=[w.consent],
            legal_bases=["LAB § 30 b"],
        ),
        CitizenNotFound,
        lambda w, unknown: {"citizen_id": w.plan},
        id="a-plan-for-a-plan-as-a-citizen",
    ),
]


@pytest.mark.parametrize(("refused", "error", "ids"), NOT_FOUND)
def test_an_unknown_id_raises_the_not_found_of_what_was_expected(
    app: OnePlan,
    world: World,
    refused: Callable[[OnePlan, World, UUID], object],
    error: type[OnePlanError],
    ids: Callable[[World, UUID], dict[str, UUID]],
) -> None:
    unknown = uuid4()
    before = stored_events(app)

    with pytest.raises(error) as raised:
        refused(app, world, unknown)

    assert raised.value.ids == ids(world, unknown)
    assert stored_events(app) == before


def test_reading_an_id_of_another_kind_raises_the_not_found_of_what_was_asked(
    app: OnePlan, world: World
) -> None:
    with pytest.raises(PlanNotFound):
        record(app).plan(world.running)
    with pytest.raises(InterventionNotFound):
        record(app).intervention(world.plan)
    with pytest.raises(CitizenNotFound):
        record(app).citizen(world.plan)
    with pytest.raises(PlanNotFound):
        record(app).plan(uuid4())
    with pytest.raises(PlanNotFound):
        record(app).plan(world.citizen, as_of=datetime.now(UTC))


# --- reads of the past --------------------------------------------------------------


def test_a_past_version_of_the_plan_is_the_plan_as_it_was_then(app: OnePlan) -> None:
    plan_id, _ = open_plan(app)  # version 1 opened, version 2 coordinator assigned
    goal = acting(app, ANNE).set_goal(plan_id=plan_id, description="In work")  # version 3
    acting(app, ANNE).put_plan_on_hold(plan_id=plan_id, reason="hospital stay")  # version 4

    draft = record(app).plan(plan_id, version=1)
    assert (draft.status, draft.coordinator) == (PlanStatus.DRAFT, None)
    assert record(app).plan(plan_id, version=2).status is PlanStatus.ACTIVE
    assert record(app).plan(plan_id, version=2).goals == {}
    with_goal = record(app).plan(plan_id, version=3)
    assert (with_goal.status, list(with_goal.goals)) == (PlanStatus.ACTIVE, [goal])
    assert record(app).plan(plan_id, version=4).status is PlanStatus.ON_HOLD
    assert record(app).plan(plan_id).version == 4


def test_the_plan_as_of_a_time_between_two_commands_is_the_plan_as_it_then_stood(
    app: OnePlan,
) -> None:
    acting(app, LARS)  # (in the staff directory, named responsible below)
    plan_id, citizen = open_plan(app)
    goal = acting(app, ANNE).set_goal(plan_id=plan_id, description="In work")
    intervention = propose(app, plan_id, citizen)
    between = datetime.now(UTC)
    acting(app, ANNE).put_plan_on_hold(plan_id=plan_id, reason="hospital stay")
    acting(app, ANNE).cancel_intervention(intervention_id=intervention, reason="not needed")

    then = record(app).plan(plan_id, as_of=between)
    assert then.status is PlanStatus.ACTIVE
    assert list(then.goals) == [goal]
    assert then.version == 4
    assert [i.status for i in record(app).interventions_of(plan_id, as_of=between)] == [
        InterventionStatus.NOT_STARTED
    ]
    assert record(app).plan(plan_id).status is PlanStatus.ON_HOLD
    assert record(app).intervention(intervention).status is InterventionStatus.CANCELLED


def test_the_plan_as_of_an_events_recorded_time_includes_that_event_and_no_later_one(
    app: OnePlan,
) -> None:
    plan_id, _ = open_plan(app)
    acting(app, ANNE).set_goal(plan_id=plan_id, description="In work")
    acting(app, ANNE).put_plan_on_hold(plan_id=plan_id, reason="hospital stay")
    acting(app, ANNE).resume_plan(plan_id=plan_id)
    on_hold = record(app).history(plan_id)[3]
    assert type(on_hold).__name__ == "PutOnHold"

    then = record(app).plan(plan_id, as_of=on_hold.timestamp)

    assert (then.status, then.version, then.hold_reason) == (
        PlanStatus.ON_HOLD,
        4,
        "hospital stay",
    )
    assert record(app).plan(plan_id).status is PlanStatus.ACTIVE


def test_the_interventions_as_of_the_recorded_time_of_a_proposal_include_the_proposed_one(
    app: OnePlan,
) -> None:
    acting(app, LARS)  # (in the staff directory, named responsible below)
    plan_id, citizen = open_plan(app)
    intervention = propose(app, plan_id, citizen)
    included = record(app).history(plan_id)[-1]
    assert type(included).__name__ == "InterventionIncluded"

    then = record(app).interventions_of(plan_id, as_of=included.timestamp)

    assert [(i.id, i.status) for i in then] == [(intervention, InterventionStatus.NOT_STARTED)]


def test_the_plan_as_of_a_time_before_it_was_opened_is_not_found(app: OnePlan) -> None:
    plan_id, _ = open_plan(app)
    opened = record(app).history(plan_id)[0].timestamp

    with pytest.raises(PlanNotFound) as refused:
        record(app).plan(plan_id, as_of=opened - timedelta(microseconds=1))

    assert refused.value.plan_id == plan_id  # type: ignore[attr-defined]
    # Opened and CoordinatorAssigned were saved by one command: one recorded time.
    assert record(app).plan(plan_id, as_of=opened).status is PlanStatus.ACTIVE


def test_a_naive_as_of_is_refused(app: OnePlan) -> None:
    plan_id, _ = open_plan(app)

    with pytest.raises(EffectiveTimeInvalid):
        record(app).plan(plan_id, as_of=datetime(2026, 11, 1, 12, 0))  # naive on purpose


def test_changing_what_a_read_returned_does_not_change_the_record(app: OnePlan) -> None:
    plan_id, _ = open_plan(app)
    goal = acting(app, ANNE).set_goal(plan_id=plan_id, description="In work")
    read = record(app).plan(plan_id)

    read.goals.clear()
    read.participants["intruder"] = read.participants.get("intruder")  # type: ignore[assignment]
    read.status = PlanStatus.REVOKED

    again = record(app).plan(plan_id)
    assert list(again.goals) == [goal]
    assert "intruder" not in again.participants
    assert again.status is PlanStatus.ACTIVE
    acting(app, ANNE).record_goal_progress(
        plan_id=plan_id, goal_id=goal, achievement=AchievementStatus.IMPROVING
    )
    assert record(app).plan(plan_id).goals[goal].progress_count == 1


def test_history_keeps_every_change_after_the_citizen_withdraws(app: OnePlan) -> None:
    plan_id, citizen = open_plan(app)
    acting(app, ANNE).set_goal(plan_id=plan_id, description="In work")
    before = [type(e).__name__ for e in record(app).history(plan_id)]

    app.as_(Principal.citizen(citizen)).withdraw_plan(
        plan_id=plan_id, reason="I will manage myself"
    )

    assert [type(e).__name__ for e in record(app).history(plan_id)] == [
        *before,
        "WithdrawnByCitizen",
    ]
    assert record(app).plan(plan_id).status is PlanStatus.REVOKED
    assert record(app).citizen(citizen).plan_id is None
    assert record(app).citizen(citizen).past_plan_ids == (plan_id,)
