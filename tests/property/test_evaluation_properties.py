"""Properties of the evaluation over synthetic municipalities: costs by sector add up to
what was recorded, a citizen's caseworker count never decreases over time, the metrics
of a log equal the metrics of its replay, and a seed always gives the same municipality."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from oneplan import BudgetArea, OnePlan
from oneplan.aggregates import Citizen, Intervention
from oneplan.evaluation import evaluate
from oneplan.simulation import DEFAULT_START, Municipality, simulate
from tests.builders import record

CLOCK = datetime(2026, 6, 1, tzinfo=UTC)
SHORT = Municipality(years=1)


@cache
def municipality(seed: int, citizens: int = 16) -> tuple[Any, ...]:
    """The events of a small synthetic municipality (one simulated year)."""
    app = OnePlan.open("memory://", clock=lambda: CLOCK)
    simulate(app, citizens=citizens, seed=seed, municipality=SHORT)
    return tuple(record(app).all_events())


def _recorded_costs(events: tuple[Any, ...]) -> dict[tuple[Any, Any], Decimal]:
    sectors = {e.originator_id: e.sector for e in events if isinstance(e, Intervention.Proposed)}
    sectors |= {
        e.originator_id: e.sector_plan.sector
        for e in events
        if isinstance(e, Intervention.ProposedUnderSectorPlan)
    }
    totals: dict[tuple[Any, Any], Decimal] = defaultdict(Decimal)
    for e in events:
        if isinstance(e, Intervention.ActualCostRecorded):
            totals[(sectors[e.originator_id], e.budget_area)] += e.amount.amount
        elif isinstance(e, Citizen.BenefitPaid):
            totals[(e.sector, BudgetArea.TRANSFERS)] += e.amount.amount
    return dict(totals)


@settings(max_examples=8)
@given(seed=st.integers(0, 10_000))
def test_costs_by_sector_and_budget_area_sum_to_what_was_recorded(seed: int) -> None:
    events = municipality(seed)
    evaluation = evaluate(events)

    by_sector: dict[tuple[Any, Any], Decimal] = defaultdict(Decimal)
    for month in evaluation.costs:
        by_sector[(month.sector, month.budget_area)] += month.amount
    recorded = _recorded_costs(events)
    assert dict(by_sector) == recorded
    assert evaluation.total_cost() == sum(recorded.values(), Decimal(0))
    assert sum((c.service_cost + c.transfers for c in evaluation.citizens), Decimal(0)) == (
        evaluation.total_cost()
    )


@settings(max_examples=15)
@given(
    seed=st.integers(0, 3),
    days=st.lists(st.integers(0, 400), min_size=2, max_size=2, unique=True).map(sorted),
)
def test_a_citizens_caseworker_count_never_decreases_over_time(seed: int, days: list[int]) -> None:
    events = municipality(seed)
    start = datetime.combine(DEFAULT_START, datetime.min.time(), tzinfo=UTC)
    earlier, later = (start + timedelta(days=d) for d in days)

    before = {c.citizen_id: c.caseworkers for c in evaluate(events, as_of=earlier).citizens}
    after = {c.citizen_id: c.caseworkers for c in evaluate(events, as_of=later).citizens}

    assert set(before) <= set(after)
    assert all(before[c] <= after[c] for c in before)
    whole = evaluate(events)
    for citizen_id, count in after.items():
        assert whole.caseworkers_by(citizen_id, earlier) <= whole.caseworkers_by(citizen_id, later)
        assert whole.caseworkers_by(citizen_id, later) == count


def test_the_metrics_of_a_log_equal_the_metrics_of_its_replay_into_another_store(
    tmp_path: Path,
) -> None:
    source = OnePlan.open("memory://", clock=lambda: CLOCK)
    simulate(source, citizens=16, seed=5, municipality=SHORT)
    with OnePlan.open(f"sqlite:///{tmp_path / 'replay.db'}", clock=lambda: CLOCK) as replay:
        stored = source.recorder.select_notifications(start=1, limit=1_000_000)
        replay.recorder.insert_events(stored)

        assert evaluate(record(replay).all_events()) == evaluate(record(source).all_events())


@settings(max_examples=10)
@given(shuffle=st.randoms(use_true_random=False))
def test_the_metrics_do_not_depend_on_how_streams_interleave(shuffle: random.Random) -> None:
    events = municipality(11)
    streams: dict[Any, list[Any]] = defaultdict(list)
    for event in events:
        streams[event.originator_id].append(event)
    order = [sid for sid, stream in streams.items() for _ in stream]
    shuffle.shuffle(order)
    position = dict.fromkeys(streams, 0)
    interleaved = []
    for sid in order:  # each stream keeps its own order
        interleaved.append(streams[sid][position[sid]])
        position[sid] += 1

    assert evaluate(interleaved) == evaluate(events)


def _content(event: Any) -> dict[str, Any]:
    fields = dict(vars(event))
    fields.pop("timestamp")  # recorded time: when the simulation ran, not the course
    return {"class": type(event).__qualname__, **fields}


def test_the_same_seed_gives_the_same_municipality_and_another_seed_another() -> None:
    first = OnePlan.open("memory://", clock=lambda: CLOCK)
    again = OnePlan.open("memory://", clock=lambda: CLOCK)
    simulate(first, citizens=12, seed=21, municipality=SHORT)
    simulate(again, citizens=12, seed=21, municipality=SHORT)

    assert [_content(e) for e in record(first).all_events()] == [
        _content(e) for e in record(again).all_events()
    ]
    assert [_content(e) for e in municipality(22, 12)] != [
        _content(e) for e in record(first).all_events()
    ]
