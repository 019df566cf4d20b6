"""Snapshots are invisible to behaviour: for any simulated course (a seed, a few citizens)
and any snapshot interval, on memory, SQLite and PostgreSQL, every plan and intervention
loaded cold (from its latest snapshot) equals the fold of all its events, and a read as
of any recorded time, or at any version, equals the fold of its events up to there."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneplan import Keys, OnePlan
from oneplan.aggregates.base import OnePlanAggregate
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.simulation.simulator import simulate
from tests.builders import record
from tests.conftest import POSTGRES_URL, postgres_schema, require_postgres

AFTER = datetime(2030, 1, 1, tzinfo=UTC)
"""Past every simulated course."""


def state_of(aggregate: Any) -> dict[str, Any] | None:
    if aggregate is None:
        return None
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


@contextmanager
def store(kind: str) -> Iterator[str]:
    """A fresh, empty store of ``kind`` for one example."""
    if kind == "memory":
        yield "memory://"
    elif kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'oneplan.db'}"
    else:
        with postgres_schema("oneplan_snap") as schema:
            yield f"{POSTGRES_URL}?schema={schema}"


def check_course(url: str, seed: int, citizens: int, interval: int, data: st.DataObject) -> None:
    from oneplan.persistence import env_for_url

    env = {**env_for_url(url), "ONEPLAN_SNAPSHOT_INTERVAL": str(interval)}
    with OnePlan(env, clock=lambda: AFTER, keys=Keys.generate()) as app:
        simulate(app, citizens=citizens, seed=seed)
        streams: dict[UUID, type[OnePlanAggregate]] = {}
        for event in record(app).all_events():
            kind = type(event).__qualname__.split(".")[0]
            if kind in ("Plan", "Intervention"):
                streams.setdefault(event.originator_id, Plan if kind == "Plan" else Intervention)
        assert app.snapshots is not None
        long_ones = [s for s in streams if len(record(app).history(s)) >= interval]
        assert all(app.snapshots.recorder.select_events(s) for s in long_ones)
        app._cache.clear()
        for stream_id, kind in streams.items():
            events = record(app).history(stream_id)
            raw = record(app)
            read = raw.plan if kind is Plan else raw.intervention

            whole: Any = None
            for event in events:
                whole = event.mutate(whole)
            assert state_of(read(stream_id)) == state_of(whole)

            times = [e.timestamp for e in events]
            moments = data.draw(
                st.lists(
                    st.sampled_from(times).flatmap(
                        lambda t: st.sampled_from(
                            [t, t - timedelta(microseconds=1), t + timedelta(microseconds=1)]
                        )
                    ),
                    min_size=1,
                    max_size=4,
                ),
                label=f"as_of {stream_id}",
            )
            version = data.draw(st.integers(1, len(events)), label=f"version {stream_id}")
            for as_of in moments:
                expected: Any = None
                for event in events:
                    if event.timestamp > as_of:
                        break
                    expected = event.mutate(expected)
                if expected is None:
                    continue  # nothing recorded yet: not found, with or without snapshots
                assert state_of(read(stream_id, as_of=as_of)) == state_of(expected)
            at_version: Any = None
            for event in events[:version]:
                at_version = event.mutate(at_version)
            assert state_of(read(stream_id, version=version)) == state_of(at_version)


COURSES = {
    "seed": st.integers(0, 2**20),
    "citizens": st.integers(1, 6),
    "interval": st.integers(1, 12),
    "data": st.data(),
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**COURSES)
def test_snapshots_are_invisible_in_memory(
    seed: int, citizens: int, interval: int, data: st.DataObject
) -> None:
    with store("memory") as url:
        check_course(url, seed, citizens, interval, data)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**COURSES)
def test_snapshots_are_invisible_on_sqlite(
    seed: int, citizens: int, interval: int, data: st.DataObject
) -> None:
    with store("sqlite") as url:
        check_course(url, seed, citizens, interval, data)


@pytest.mark.postgres
def test_snapshots_are_invisible_on_postgresql() -> None:
    require_postgres()

    @settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(**COURSES)
    def course(seed: int, citizens: int, interval: int, data: st.DataObject) -> None:
        with store("postgres") as url:
            check_course(url, seed, citizens, interval, data)

    course()
