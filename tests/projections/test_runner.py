"""The catch-up runner on every storage: exactly once, resumable, rebuildable, foldable
up to a point."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from oneplan import OnePlan
from oneplan.demo import run_demo
from oneplan.errors import ProjectionFailed
from oneplan.projections import MemoryViewStore, ProjectionRunner
from oneplan.projections.plan_view import PlanView
from oneplan.projections.stores import PositionMoved, ViewStore
from tests.builders import record
from tests.conftest import FixedClock


def quiet(_: str) -> None:
    pass


def views_of(runner: ProjectionRunner) -> dict[str, dict[str, Any]]:
    """Every row of every view, as stored."""
    names = [runner.routes.name, *(p.name for p in runner.projections)]
    return {name: {key: runner.get(name, key) for key in runner.keys(name)} for name in names}


def rebuilt(app: OnePlan) -> dict[str, dict[str, Any]]:
    """The views folded from zero, in memory, from the same log."""
    runner = ProjectionRunner(app, MemoryViewStore())
    runner.rebuild()
    return views_of(runner)


class CrashingStore(ViewStore):
    """A store whose ``n``-th commit dies before it writes anything (the process was
    killed between two batches)."""

    def __init__(self, inner: ViewStore, crash_on: int) -> None:
        self.inner = inner
        self.crash_on = crash_on
        self.commits = 0

    def tracking(self) -> tuple[int, dict[str, int]]:
        return self.inner.tracking()

    def read(self, view: str, keys: Any) -> dict[str, bytes]:
        return self.inner.read(view, keys)

    def keys(self, view: str) -> list[str]:
        return self.inner.keys(view)

    def read_prefix(self, view: str, prefix: str) -> list[tuple[str, bytes]]:
        return self.inner.read_prefix(view, prefix)

    def commit(self, rows: Any, *, from_position: int, to_position: int) -> None:
        self.commits += 1
        if self.commits == self.crash_on:
            raise RuntimeError("killed")
        self.inner.commit(rows, from_position=from_position, to_position=to_position)

    def reset(self, versions: Any) -> None:
        self.inner.reset(versions)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A database that outlives its connections (not memory)."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def told(app: OnePlan) -> OnePlan:
    run_demo(app, quiet)
    return app


def test_catching_up_folds_every_event_into_the_views(told: OnePlan) -> None:
    folded = told.views.catch_up()

    assert folded == told.recorder.max_notification_id()
    assert told.views.position == told.recorder.max_notification_id()
    assert views_of(told.views) == rebuilt(told)
    assert told.views.catch_up() == 0


def test_views_built_batch_by_batch_equal_views_rebuilt_from_zero(told: OnePlan) -> None:
    told.views.batch_size = 3

    told.views.catch_up()

    assert views_of(told.views) == rebuilt(told)


def test_a_restart_after_a_crash_between_batches_resumes_where_the_last_commit_stopped(
    database_url: str, clock: FixedClock
) -> None:
    with OnePlan.open(database_url, clock=clock) as first:
        run_demo(first, quiet)
        runner = ProjectionRunner(first, CrashingStore(first.views.store, crash_on=3))
        runner.batch_size = 5
        with pytest.raises(RuntimeError, match="killed"):
            runner.catch_up()
        assert first.views.position == 10

    with OnePlan.open(database_url, clock=clock) as restarted:
        assert restarted.views.position == 10
        assert restarted.views.catch_up() == restarted.recorder.max_notification_id() - 10
        assert views_of(restarted.views) == rebuilt(restarted)


def _crash_on_moving_the_position(store: ViewStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kill the commit inside its transaction, after the rows were written and before
    the position moved."""
    db = store._db  # type: ignore[attr-defined]

    class Dying:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
            if "SET position = " in sql and "versions" not in sql:
                raise RuntimeError("killed mid-transaction")
            return self.inner.execute(sql, *args, **kwargs)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    if hasattr(db, "cursor") and type(db).__module__.startswith("psycopg"):
        real_cursor = db.cursor
        monkeypatch.setattr(db, "cursor", lambda *a, **k: Dying(real_cursor(*a, **k)))
    else:
        monkeypatch.setattr(store, "_db", Dying(db))


def test_a_crash_inside_a_commit_writes_neither_rows_nor_position(
    database_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OnePlan.open(database_url, clock=clock) as app:
        run_demo(app, quiet)
        app.views.batch_size = 7
        app.views.catch_up(until=7)
        before = views_of(app.views)
        with monkeypatch.context() as patch:
            _crash_on_moving_the_position(app.views.store, patch)
            with pytest.raises(RuntimeError, match="mid-transaction"):
                app.views.catch_up()
        assert app.views.position == 7
        assert views_of(app.views) == before

    with OnePlan.open(database_url, clock=clock) as restarted:
        restarted.views.catch_up()
        assert views_of(restarted.views) == rebuilt(restarted)


def test_two_runners_on_one_database_never_apply_an_event_twice(
    database_url: str, clock: FixedClock
) -> None:
    with (
        OnePlan.open(database_url, clock=clock) as one,
        OnePlan.open(database_url, clock=clock) as two,
    ):
        run_demo(one, quiet)
        one.views.batch_size = two.views.batch_size = 2
        errors: list[BaseException] = []

        def run(app: OnePlan) -> None:
            try:
                app.views.catch_up()
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=run, args=(a,)) for a in (one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        assert one.views.position == two.views.position == one.recorder.max_notification_id()
        assert views_of(one.views) == views_of(two.views) == rebuilt(one)


def test_an_event_delivered_twice_changes_nothing(told: OnePlan) -> None:
    notifications = told.recorder.select_notifications(start=1, limit=1000)
    told.views.process(notifications[:20])
    once = views_of(told.views)

    assert told.views.process(notifications[:20]) == 0
    assert told.views.process(notifications[15:20]) == 0
    assert views_of(told.views) == once

    told.views.process(notifications)
    assert views_of(told.views) == rebuilt(told)


def test_a_changed_view_version_rebuilds_the_views_aside(
    told: OnePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    told.views.catch_up()
    expected = views_of(told.views)
    monkeypatch.setitem(told.views.versions, PlanView.name, PlanView.version + 1)

    told.views.catch_up()  # (tests/projections/test_version_bump.py: only that view)

    assert told.views.store.tracking()[1][PlanView.name] == PlanView.version + 1
    assert views_of(told.views) == expected


def test_folding_up_to_a_recorded_time_gives_the_plan_as_it_stood_then(
    memory_app: OnePlan,
) -> None:
    plan_id = run_demo(memory_app, quiet)
    events = list(record(memory_app).all_events())
    # (halfway through the plan's own course: the staff directory is recorded first)
    plans = [e for e in events if e.originator_id == plan_id]
    middle = plans[len(plans) // 2].timestamp
    runner = ProjectionRunner(memory_app, MemoryViewStore())

    runner.catch_up(until_time=middle)

    assert runner.get(PlanView.name, plan_id) == memory_app._plan_state(plan_id, middle)
    assert all(e.timestamp <= middle for e in events[: runner.position])


def test_folding_up_to_a_notification_id_stops_there(told: OnePlan) -> None:
    runner = ProjectionRunner(told, MemoryViewStore())

    assert runner.catch_up(until=12) == 12
    assert runner.position == 12
    assert runner.catch_up() == told.recorder.max_notification_id() - 12


def test_an_unreadable_event_stops_the_runner_at_its_position(memory_app: OnePlan) -> None:
    run_demo(memory_app, quiet)
    runner = ProjectionRunner(memory_app, MemoryViewStore())
    real = memory_app.mapper.to_trusted_event  # type: ignore[attr-defined]

    def broken(stored: Any) -> Any:
        if stored.originator_version == 3:
            raise ValueError("garbled")
        return real(stored)

    memory_app.mapper.to_trusted_event = broken  # type: ignore[attr-defined]

    with pytest.raises(ProjectionFailed) as raised:
        runner.catch_up()

    assert runner.position < raised.value.position
    memory_app.mapper.to_trusted_event = real  # type: ignore[attr-defined]
    runner.catch_up()
    assert views_of(runner) == rebuilt(memory_app)


def test_a_commit_from_a_position_another_runner_moved_is_refused() -> None:
    store = MemoryViewStore()
    store.reset({})
    store.commit({}, from_position=0, to_position=5)

    with pytest.raises(PositionMoved):
        store.commit({}, from_position=0, to_position=6)


@pytest.fixture
def progress_calls() -> list[tuple[int, int]]:
    return []


def test_progress_is_reported_per_batch(
    told: OnePlan, progress_calls: list[tuple[int, int]]
) -> None:
    told.views.batch_size = 10

    told.views.rebuild(progress=lambda done, total: progress_calls.append((done, total)))

    head = told.recorder.max_notification_id()
    assert progress_calls[-1] == (head, head)
    assert [d for d, _ in progress_calls] == sorted(d for d, _ in progress_calls)


def test_a_runner_left_running_folds_what_is_written_meanwhile(memory_app: OnePlan) -> None:
    runner = ProjectionRunner(memory_app, MemoryViewStore())
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_forever, kwargs={"interval": 0.01, "stop": stop})
    thread.start()
    try:
        run_demo(memory_app, quiet)
        head = memory_app.recorder.max_notification_id()
        for _ in range(500):
            if runner.position == head:
                break
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join(timeout=5)

    assert not thread.is_alive()
    assert runner.position == head
    assert views_of(runner) == rebuilt(memory_app)


def test_a_runner_with_a_small_cache_reads_rows_back_and_folds_the_same(told: OnePlan) -> None:
    told.views.batch_size = 4
    told.views.cache_rows = 3

    told.views.catch_up()

    assert views_of(told.views) == rebuilt(told)
