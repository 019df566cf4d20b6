"""Repeating a command by its id adds nothing; a concurrent writer's change is either
decided again on fresh state (retryable commands) or refused as a conflict."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from types import TracebackType
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from oneplan import (
    AchievementStatus,
    BudgetArea,
    CommandIdReused,
    ConcurrencyConflict,
    IllegalTransition,
    InterventionOutcome,
    InterventionStatus,
    Keys,
    Money,
    OnePlan,
    Period,
    Principal,
    Sector,
    SharingNotCovered,
)
from oneplan.application import CommandReceipt, _fingerprint
from oneplan.commands import RegisterCitizen
from tests.builders import (
    ANNE,
    LARS,
    PETER,
    SOFIE,
    acting,
    at,
    citizen_with_consent,
    open_plan,
    propose,
    record,
)
from tests.conftest import FixedClock


def stored_events(app: OnePlan) -> int:
    """How many events the store holds, all aggregates together."""
    return len(app.recorder.select_notifications(start=1, limit=10**6))


def event_names(app: OnePlan, aggregate_id: UUID) -> list[str]:
    return [type(e).__name__ for e in record(app).history(aggregate_id)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest) -> str:
    """A database two OnePlan instances can share."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def other(app: OnePlan, storage_url: str, clock: FixedClock) -> Iterator[OnePlan]:
    """Another writer on the same record: a second instance on the same database, or,
    in memory (where instances share nothing), another caller of the same instance."""
    if storage_url == "memory://":
        yield app
        return
    with OnePlan.open(storage_url, clock=clock, keys=app.keys) as second:
        yield second


class InterleavedWrite:
    """A fake event writer for one instance: when the instance is about to store events
    of the target aggregate, it lets another writer change that aggregate first, so the
    instance's events follow a version that is no longer the last one.

    It wraps the recorder's ``insert_events``, the one way events reach the store, so it
    does not depend on how (or whether) the instance cached what it decided on.
    ``times`` bounds how many writes are interleaved; ``interleaved`` counts them.
    """

    def __init__(
        self, app: OnePlan, target: UUID, write: Callable[[], object], times: int = 1
    ) -> None:
        self.recorder = app.recorder
        self.real_insert_events = app.recorder.insert_events
        self.target = target
        self.write = write
        self.times = times
        self.interleaved = 0
        self._writing = False

    def __call__(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        touches_target = any(str(e.originator_id) == str(self.target) for e in stored_events)
        if touches_target and self.interleaved < self.times and not self._writing:
            self._writing = True
            try:
                self.write()
            finally:
                self._writing = False
            self.interleaved += 1
        return self.real_insert_events(stored_events, **kwargs)

    def __enter__(self) -> InterleavedWrite:
        self.recorder.insert_events = self  # type: ignore[method-assign]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        del self.recorder.insert_events


def staffed(app: OnePlan) -> OnePlan:
    """``app`` with the cast in its staff directory (before any count, and before a
    second instance names them in a command)."""
    for member in (ANNE, LARS, PETER, SOFIE):
        acting(app, member)
    return app


def plan_held_with_lars(app: OnePlan) -> tuple[UUID, UUID]:
    """An active plan coordinated by Anne, with Lars a participant (so both change it);
    returns (plan, citizen)."""
    plan, citizen = open_plan(staffed(app))
    acting(app, ANNE).add_participant(plan_id=plan, participant=LARS)
    return plan, citizen


def running_intervention(app: OnePlan) -> tuple[UUID, UUID]:
    """A plan (Anne coordinating, Lars a participant) with a granted, started
    intervention Lars is responsible for; returns (plan, intervention)."""
    plan, citizen = plan_held_with_lars(app)
    intervention = propose(app, plan, citizen)
    acting(app, ANNE).grant_intervention(intervention_id=intervention, effective_at=at(2026, 2, 2))
    acting(app, LARS).start_intervention(intervention_id=intervention, effective_at=at(2026, 2, 3))
    return plan, intervention


# --- idempotency --------------------------------------------------------------------


def test_a_repeated_command_id_returns_the_first_result_and_adds_no_event(app: OnePlan) -> None:
    command_id = uuid4()
    first = acting(app, ANNE).register_citizen(
        name="Mette", birth_date=date(1984, 5, 2), command_id=command_id
    )
    after_first = stored_events(app)

    repeat = acting(app, ANNE).register_citizen(
        name="Mette", birth_date=date(1984, 5, 2), command_id=command_id
    )

    assert repeat == first
    assert stored_events(app) == after_first
    assert event_names(app, first) == ["Registered"]


def test_a_receipt_keeps_no_reversible_trace_of_a_cpr_number(clock: FixedClock) -> None:
    cpr = "0205841234"
    with OnePlan.open("memory://", clock=clock, keys=Keys.generate()) as app:
        command_id = uuid4()
        first = acting(app, ANNE).register_citizen(name="Mette", cpr=cpr, command_id=command_id)
        receipt = app.repository.get(CommandReceipt.id_for(command_id))
        unkeyed = _fingerprint(
            RegisterCitizen(name="Mette", cpr=cpr), None, Principal.staff(ANNE.id)
        )

        assert receipt.fingerprint.startswith("RegisterCitizen:hmac:")
        assert receipt.fingerprint.split(":")[-1] != unkeyed.split(":")[-1]
        assert (
            acting(app, ANNE).register_citizen(name="Mette", cpr=cpr, command_id=command_id)
            == first
        )
        with pytest.raises(CommandIdReused):
            acting(app, ANNE).register_citizen(
                name="Mette", cpr="0205841235", command_id=command_id
            )


def test_a_receipt_written_before_keys_were_configured_still_answers_its_repeat(
    sqlite_url: str, clock: FixedClock
) -> None:
    command_id = uuid4()
    with OnePlan.open(sqlite_url, clock=clock, keys=Keys()) as app:
        first = acting(app, ANNE).register_citizen(
            name="Mette", birth_date=date(1984, 5, 2), command_id=command_id
        )
    with OnePlan.open(sqlite_url, clock=clock, keys=Keys.generate()) as app:
        repeat = acting(app, ANNE).register_citizen(
            name="Mette", birth_date=date(1984, 5, 2), command_id=command_id
        )
        with pytest.raises(CommandIdReused):
            acting(app, ANNE).register_citizen(
                name="Jonas", birth_date=date(1984, 5, 2), command_id=command_id
            )

    assert repeat == first


def test_a_repeated_delivery_returns_the_same_version_number(app: OnePlan) -> None:
    plan, _ = open_plan(app)
    command_id = uuid4()

    first = acting(app, ANNE).deliver_plan(plan_id=plan, command_id=command_id)
    repeat = acting(app, ANNE).deliver_plan(plan_id=plan, command_id=command_id)

    assert (first, repeat) == (1, 1)
    assert record(app).plan(plan).delivered_versions == 1
    assert acting(app, ANNE).deliver_plan(plan_id=plan) == 2


def test_a_repeat_is_answered_even_where_running_the_command_again_would_be_refused(
    app: OnePlan,
) -> None:
    _, intervention = running_intervention(app)
    command_id = uuid4()
    acting(app, LARS).pause_intervention(
        intervention_id=intervention, reason="hospital stay", command_id=command_id
    )
    after_pause = stored_events(app)

    repeat = acting(app, LARS).pause_intervention(
        intervention_id=intervention, reason="hospital stay", command_id=command_id
    )

    assert repeat == intervention
    assert stored_events(app) == after_pause
    assert event_names(app, intervention).count("Paused") == 1


def test_a_repeat_after_the_state_moved_on_does_not_act_again(app: OnePlan) -> None:
    _, intervention = running_intervention(app)
    command_id = uuid4()
    acting(app, LARS).pause_intervention(
        intervention_id=intervention, reason="hospital stay", command_id=command_id
    )
    acting(app, LARS).resume_intervention(intervention_id=intervention)
    before = stored_events(app)

    acting(app, LARS).pause_intervention(
        intervention_id=intervention, reason="hospital stay", command_id=command_id
    )

    assert record(app).intervention(intervention).status is InterventionStatus.IN_PROGRESS
    assert stored_events(app) == before


def test_a_command_id_reused_with_other_input_is_refused_and_persists_nothing(
    app: OnePlan,
) -> None:
    _, intervention = running_intervention(app)
    command_id = uuid4()
    acting(app, LARS).pause_intervention(
        intervention_id=intervention, reason="hospital stay", command_id=command_id
    )
    acting(app, LARS).resume_intervention(intervention_id=intervention)
    before = stored_events(app)

    with pytest.raises(CommandIdReused):
        acting(app, LARS).pause_intervention(
            intervention_id=intervention, reason="holiday", command_id=command_id
        )

    assert stored_events(app) == before
    assert record(app).intervention(intervention).status is InterventionStatus.IN_PROGRESS


def test_a_command_id_reused_for_another_kind_of_command_is_refused(app: OnePlan) -> None:
    _, intervention = running_intervention(app)
    command_id = uuid4()
    acting(app, LARS).pause_intervention(
        intervention_id=intervention, reason="hospital stay", command_id=command_id
    )
    before = stored_events(app)

    with pytest.raises(CommandIdReused):
        acting(app, LARS).resume_intervention(intervention_id=intervention, command_id=command_id)

    assert stored_events(app) == before
    assert record(app).intervention(intervention).status is InterventionStatus.ON_HOLD


def test_a_refused_command_leaves_its_command_id_free_for_the_corrected_one(
    app: OnePlan,
) -> None:
    plan, citizen = open_plan(staffed(app))
    intervention = propose(app, plan, citizen)
    command_id = uuid4()
    with pytest.raises(IllegalTransition):
        acting(app, LARS).pause_intervention(
            intervention_id=intervention, reason="hospital stay", command_id=command_id
        )
    acting(app, ANNE).grant_intervention(intervention_id=intervention)
    acting(app, LARS).start_intervention(intervention_id=intervention)

    acting(app, LARS).pause_intervention(
        intervention_id=intervention, reason="hospital stay", command_id=command_id
    )

    assert record(app).intervention(intervention).status is InterventionStatus.ON_HOLD


def test_a_repeat_through_another_instance_on_the_same_database_adds_nothing(
    shared_url: str, clock: FixedClock
) -> None:
    command_id = uuid4()
    with OnePlan.open(shared_url, clock=clock) as first_instance:
        first = acting(first_instance, ANNE).register_citizen(
            name="Mette", birth_date=date(1984, 5, 2), command_id=command_id
        )
        after_first = stored_events(first_instance)

    with OnePlan.open(shared_url, clock=clock) as second_instance:
        repeat = acting(second_instance, ANNE).register_citizen(
            name="Mette", birth_date=date(1984, 5, 2), command_id=command_id
        )
        assert repeat == first
        assert stored_events(second_instance) == after_first
        with pytest.raises(CommandIdReused):
            acting(second_instance, ANNE).register_citizen(
                name="Jonas", birth_date=date(2010, 3, 9), command_id=command_id
            )
        assert stored_events(second_instance) == after_first


def test_a_pause_repeated_through_another_instance_is_answered_not_refused(
    shared_url: str, clock: FixedClock
) -> None:
    command_id = uuid4()
    with (
        OnePlan.open(shared_url, clock=clock) as a,
        OnePlan.open(shared_url, clock=clock) as b,
    ):
        _, intervention = running_intervention(a)
        acting(a, LARS).pause_intervention(
            intervention_id=intervention, reason="hospital stay", command_id=command_id
        )
        before = stored_events(a)

        repeat = acting(b, LARS).pause_intervention(
            intervention_id=intervention, reason="hospital stay", command_id=command_id
        )

        assert repeat == intervention
        assert stored_events(b) == before


# --- racing writers -----------------------------------------------------------------


def test_a_retryable_command_is_decided_again_after_a_conflict_and_both_changes_are_stored(
    app: OnePlan, other: OnePlan
) -> None:
    plan, _ = plan_held_with_lars(app)
    goal = acting(app, ANNE).set_goal(plan_id=plan, description="Takes the bus alone")
    before = stored_events(app)

    with InterleavedWrite(
        app,
        plan,
        lambda: acting(other, LARS).record_goal_progress(
            plan_id=plan, goal_id=goal, achievement=AchievementStatus.IMPROVING
        ),
    ) as fake:
        result = acting(app, ANNE).record_goal_progress(
            plan_id=plan, goal_id=goal, achievement=AchievementStatus.NO_CHANGE
        )

    assert result == goal
    assert fake.interleaved == 1
    assert stored_events(app) == before + 2
    progress = [e for e in record(app).history(plan) if type(e).__name__ == "GoalProgressRecorded"]
    assert [e.achievement for e in progress] == [  # type: ignore[attr-defined]
        AchievementStatus.IMPROVING,
        AchievementStatus.NO_CHANGE,
    ]
    assert record(app).plan(plan).goals[goal].progress_count == 2


def test_a_retried_command_sees_the_other_writers_change_and_may_then_be_refused(
    app: OnePlan, other: OnePlan
) -> None:
    plan, _ = plan_held_with_lars(app)
    goal = acting(app, ANNE).set_goal(plan_id=plan, description="Takes the bus alone")
    before = stored_events(app)

    with (
        InterleavedWrite(
            app, plan, lambda: acting(other, LARS).complete_goal(plan_id=plan, goal_id=goal)
        ),
        pytest.raises(IllegalTransition),
    ):
        acting(app, ANNE).record_goal_progress(
            plan_id=plan, goal_id=goal, achievement=AchievementStatus.NO_CHANGE
        )

    assert stored_events(app) == before + 1
    assert event_names(app, plan)[-1] == "GoalCompleted"


def _hand_over(app: OnePlan, plan: UUID, intervention: UUID, goal: UUID) -> object:
    return acting(app, ANNE).hand_over_coordinator(
        plan_id=plan, new_coordinator=PETER, reason="Anne goes on leave"
    )


def _reassign(app: OnePlan, plan: UUID, intervention: UUID, goal: UUID) -> object:
    return acting(app, ANNE).reassign_responsible(
        intervention_id=intervention, new_responsible=SOFIE, reason="moved to health"
    )


def _revise(app: OnePlan, plan: UUID, intervention: UUID, goal: UUID) -> object:
    return acting(app, ANNE).revise_goal(
        plan_id=plan,
        goal_id=goal,
        description="Takes the bus with a friend",
        reason="too soon",
    )


def _add_goal(app: OnePlan, plan: UUID, intervention: UUID, goal: UUID) -> object:
    return acting(app, LARS).set_goal(plan_id=plan, description="Four hours without back pain")


def _book_cost(app: OnePlan, plan: UUID, intervention: UUID, goal: UUID) -> object:
    return acting(app, LARS).record_actual_cost(
        intervention_id=intervention,
        amount=Money.dkk("1200.00"),
        budget_area=BudgetArea.SERVICE,
        period=Period(start=date(2026, 2, 1), end=date(2026, 2, 28)),
    )


@pytest.mark.parametrize(
    ("command", "target", "concurrent_change"),
    [
        pytest.param(_hand_over, "plan", _add_goal, id="handing-over-the-coordinator"),
        pytest.param(_reassign, "intervention", _book_cost, id="reassigning-the-responsible"),
        pytest.param(_revise, "plan", _add_goal, id="revising-a-goal"),
    ],
)
def test_a_command_that_must_not_be_retried_raises_a_conflict_and_stores_nothing_of_its_own(
    app: OnePlan,
    other: OnePlan,
    command: Callable[[OnePlan, UUID, UUID, UUID], object],
    target: str,
    concurrent_change: Callable[[OnePlan, UUID, UUID, UUID], object],
) -> None:
    plan, intervention = running_intervention(app)
    goal = acting(app, ANNE).set_goal(plan_id=plan, description="Takes the bus alone")
    target_id = plan if target == "plan" else intervention
    before_plan = record(app).plan(plan)
    before_intervention = record(app).intervention(intervention)
    before = stored_events(app)

    with (
        InterleavedWrite(
            app, target_id, lambda: concurrent_change(other, plan, intervention, goal)
        ) as fake,
        pytest.raises(ConcurrencyConflict) as conflict,
    ):
        command(app, plan, intervention, goal)

    assert fake.interleaved == 1
    assert target_id in conflict.value.aggregate_ids  # type: ignore[attr-defined]
    assert stored_events(app) == before + 1
    after_plan = record(app).plan(plan)
    after_intervention = record(app).intervention(intervention)
    assert after_plan.coordinator == before_plan.coordinator
    assert after_plan.goals[goal] == before_plan.goals[goal]
    assert after_intervention.responsible == before_intervention.responsible


def test_retries_are_bounded_by_max_retries(app: OnePlan, other: OnePlan) -> None:
    plan, _ = plan_held_with_lars(app)
    goal = acting(app, ANNE).set_goal(plan_id=plan, description="Takes the bus alone")
    before = stored_events(app)

    with (
        InterleavedWrite(
            app,
            plan,
            lambda: acting(other, LARS).record_goal_progress(
                plan_id=plan, goal_id=goal, achievement=AchievementStatus.IMPROVING
            ),
            times=100,
        ) as fake,
        pytest.raises(ConcurrencyConflict) as conflict,
    ):
        acting(app, ANNE).record_goal_progress(
            plan_id=plan, goal_id=goal, achievement=AchievementStatus.NO_CHANGE
        )

    assert fake.interleaved == 1 + OnePlan.max_retries
    assert plan in conflict.value.aggregate_ids  # type: ignore[attr-defined]
    assert stored_events(app) == before + fake.interleaved
    progress = [e for e in record(app).history(plan) if type(e).__name__ == "GoalProgressRecorded"]
    assert {e.achievement for e in progress} == {AchievementStatus.IMPROVING}  # type: ignore[attr-defined]


def test_an_instance_without_retries_refuses_at_the_first_conflict(
    app: OnePlan, other: OnePlan
) -> None:
    plan, _ = plan_held_with_lars(app)
    goal = acting(app, ANNE).set_goal(plan_id=plan, description="Takes the bus alone")
    app.max_retries = 0

    with (
        InterleavedWrite(
            app,
            plan,
            lambda: acting(other, LARS).record_goal_progress(
                plan_id=plan, goal_id=goal, achievement=AchievementStatus.IMPROVING
            ),
            times=100,
        ) as fake,
        pytest.raises(ConcurrencyConflict),
    ):
        acting(app, ANNE).record_goal_progress(
            plan_id=plan, goal_id=goal, achievement=AchievementStatus.NO_CHANGE
        )

    assert fake.interleaved == 1


def test_a_conflict_on_one_of_several_aggregates_stores_nothing_of_the_command(
    app: OnePlan, other: OnePlan
) -> None:
    mette, mette_consent = citizen_with_consent(staffed(app), name="Mette")
    jonas, jonas_consent = citizen_with_consent(app, name="Jonas")
    mette_events = event_names(app, mette)
    app.max_retries = 0
    plan_id = uuid4()

    with (
        InterleavedWrite(
            app,
            jonas,
            lambda: acting(other, LARS).record_social_contact_person(
                citizen_id=jonas, contact_person=LARS
            ),
        ),
        pytest.raises(ConcurrencyConflict) as conflict,
    ):
        acting(app, ANNE).open_plan(
            plan_id=plan_id,
            citizen_ids=[mette, jonas],
            consent_ids=[mette_consent, jonas_consent],
            legal_bases=["LAB § 30 b"],
            coordinator=ANNE,
        )

    assert jonas in conflict.value.aggregate_ids  # type: ignore[attr-defined]
    assert record(app).history(plan_id) == []
    assert event_names(app, mette) == mette_events
    assert record(app).citizen(mette).plan_id is None
    assert event_names(app, jonas)[-1] == "SocialContactPersonRecorded"


@pytest.mark.parametrize(
    "repeat",
    [
        pytest.param(
            lambda app, intervention, command_id: acting(app, LARS).pause_intervention(
                intervention_id=intervention,
                reason="hospital stay",
                command_id=command_id,
            ),
            id="a-retryable-pause",
        ),
        pytest.param(
            lambda app, intervention, command_id: acting(app, ANNE).reassign_responsible(
                intervention_id=intervention,
                new_responsible=PETER,
                reason="job centre takes over",
                command_id=command_id,
            ),
            id="a-reassignment-never-retried",
        ),
    ],
)
def test_a_repeat_racing_the_first_run_returns_the_first_runs_result(
    app: OnePlan, other: OnePlan, repeat: Callable[[OnePlan, UUID, UUID], UUID]
) -> None:
    _, intervention = running_intervention(app)
    command_id = uuid4()
    before = stored_events(app)

    with InterleavedWrite(app, intervention, lambda: repeat(other, intervention, command_id)):
        result = repeat(app, intervention, command_id)

    assert result == intervention
    assert stored_events(app) == before + 2  # one change and its receipt


# --- two instances on one database ----------------------------------------------------


@pytest.fixture
def two_instances(shared_url: str, clock: FixedClock) -> Iterator[tuple[OnePlan, OnePlan]]:
    with (
        OnePlan.open(shared_url, clock=clock) as a,
        OnePlan.open(shared_url, clock=clock) as b,
    ):
        yield a, b


def test_sharing_fails_closed_after_another_instance_revoked_the_consent(
    two_instances: tuple[OnePlan, OnePlan],
) -> None:
    a, b = two_instances
    plan, citizen = open_plan(staffed(a))
    (consent,) = record(a).citizen(citizen).consents
    acting(b, ANNE).revoke_consent(
        given_how="in-meeting",
        citizen_id=citizen,
        consent_id=consent,
        sectors=[Sector.HEALTH],
        reason="",
    )
    before = stored_events(a)

    with pytest.raises(SharingNotCovered):
        acting(a, ANNE).add_participant(plan_id=plan, participant=SOFIE)

    assert stored_events(a) == before
    assert "sofie" not in record(a).plan(plan).participants


def test_an_instance_pauses_what_another_instance_resumed_since_it_last_looked(
    two_instances: tuple[OnePlan, OnePlan],
) -> None:
    a, b = two_instances
    _, intervention = running_intervention(a)
    acting(a, LARS).pause_intervention(intervention_id=intervention, reason="hospital stay")
    acting(b, LARS).resume_intervention(intervention_id=intervention)

    acting(a, LARS).pause_intervention(intervention_id=intervention, reason="holiday")

    assert event_names(b, intervention)[-3:] == ["Paused", "Resumed", "Paused"]
    assert record(b).intervention(intervention).pause_reason == "holiday"


def test_an_instance_does_not_pause_twice_what_another_instance_paused_since(
    two_instances: tuple[OnePlan, OnePlan],
) -> None:
    a, b = two_instances
    _, intervention = running_intervention(a)
    acting(b, LARS).pause_intervention(intervention_id=intervention, reason="hospital stay")

    with pytest.raises(IllegalTransition):
        acting(a, LARS).pause_intervention(intervention_id=intervention, reason="holiday")

    assert event_names(a, intervention).count("Paused") == 1


def test_an_instance_starts_what_waited_once_another_instance_ended_what_it_waited_for(
    two_instances: tuple[OnePlan, OnePlan],
) -> None:
    a, b = two_instances
    plan, citizen = open_plan(staffed(a))
    physio = propose(
        a, plan, citizen, sector=Sector.HEALTH, legal_basis="SUL § 140", responsible=SOFIE
    )
    training = propose(
        a, plan, citizen, sector=Sector.EMPLOYMENT, legal_basis="LAB § 32", responsible=PETER
    )
    acting(a, SOFIE).grant_intervention(intervention_id=physio)
    acting(a, PETER).grant_intervention(intervention_id=training)
    acting(a, ANNE).add_dependency(intervention_id=training, on_intervention_id=physio)
    acting(a, SOFIE).start_intervention(intervention_id=physio)
    acting(b, SOFIE).complete_intervention(
        intervention_id=physio, outcome=InterventionOutcome.GOALS_MET
    )

    acting(a, PETER).start_intervention(intervention_id=training)

    assert record(b).intervention(training).status is InterventionStatus.IN_PROGRESS
