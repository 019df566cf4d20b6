"""``OnePlan.batched()``: commands decided one by one, written together in one transaction,
whole or not at all."""

from __future__ import annotations

import pytest

from oneplan import (
    CitizenAlreadyInPlan,
    ConcurrencyConflict,
    InvalidInput,
    OnePlan,
    PlanNotFound,
    PlanOutcome,
)
from tests.builders import (
    ANNE,
    LARS,
    acting,
    at,
    auditing,
    citizen_with_consent,
    open_plan,
    propose,
    record,
)


def events(app: OnePlan) -> int:
    return int(app.recorder.max_notification_id() or 0)


def staffed(app: OnePlan) -> int:
    """Put the cast in the staff directory (outside any batch); returns the events
    stored then."""
    for member in (ANNE, LARS):
        acting(app, member)
    return events(app)


def test_a_batch_is_written_when_it_ends_and_then_reads_like_any_other(app: OnePlan) -> None:
    before = staffed(app)
    with app.batched():
        plan, citizen = open_plan(app)
        intervention = propose(app, plan, citizen)
        acting(app, ANNE).grant_intervention(intervention_id=intervention)
        assert events(app) == before

    # registered, consent given, opened, joined, coordinator, included, proposed, granted
    assert events(app) == before + 8
    assert record(app).plan(plan).intervention_ids == (intervention,)
    assert record(app).intervention(intervention).decision is not None
    assert auditing(app).journey(citizen).caseworker_count == 2


def test_a_refused_command_in_a_batch_raises_and_the_batch_is_not_written(
    app: OnePlan,
) -> None:
    before = staffed(app)
    opened = []

    def two_plans_for_one_citizen() -> None:
        with app.batched():
            plan, citizen = open_plan(app)
            opened.append(plan)
            acting(app, ANNE).open_plan(
                citizen_ids=[citizen],
                consent_ids=list(record(app).citizen(citizen).consents),
                legal_bases=["LAB § 30 b"],
                effective_at=at(2026, 1, 15),
            )

    with pytest.raises(CitizenAlreadyInPlan):
        two_plans_for_one_citizen()

    assert events(app) == before
    with pytest.raises(PlanNotFound):
        record(app).plan(opened[0])


def test_batches_do_not_nest(app: OnePlan) -> None:
    with pytest.raises(InvalidInput, match="do not nest"), app.batched(), app.batched():
        citizen_with_consent(app)

    assert events(app) == 0


def test_a_batch_that_another_writer_overtook_is_not_saved_at_all(sqlite_url: str) -> None:
    with OnePlan.open(sqlite_url, clock=lambda: at(2026, 11, 1)) as first:
        citizen, _ = citizen_with_consent(first)
        with OnePlan.open(sqlite_url, clock=lambda: at(2026, 11, 1)) as other:
            before = events(first)

            def overtaken_batch() -> None:
                with first.batched():
                    acting(first, ANNE).record_outcome(citizen_id=citizen, outcome="work")
                    citizen_with_consent(first, name="Jens")
                    acting(other, ANNE).record_outcome(citizen_id=citizen, outcome="none")

            with pytest.raises(ConcurrencyConflict):
                overtaken_batch()

            assert events(first) == before + 1  # only the other writer's outcome
            assert record(first).citizen(citizen).outcome is PlanOutcome.NONE


def test_another_threads_command_during_a_batch_is_written_at_once(app: OnePlan) -> None:
    from threading import Thread

    before = staffed(app)
    with app.batched():
        citizen_with_consent(app)
        other = Thread(target=lambda: citizen_with_consent(app, name="Jens"))
        other.start()
        other.join()
        assert events(app) == before + 2  # the other thread's registration and consent

    assert events(app) == before + 4
