"""A rebuild folds the whole log aside and puts the new views in place in one step: its
rows equal those caught up batch by batch (byte for byte, on a simulated municipality),
and a rebuild that fails leaves the old views and position as they were."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from oneplan import Keys, OnePlan
from oneplan.demo import run_demo
from oneplan.errors import ProjectionFailed
from oneplan.projections import MemoryViewStore, ProjectionRunner
from oneplan.projections.plan_view import PlanView
from oneplan.projections.stores import ASIDE
from oneplan.simulation import Municipality, simulate
from tests.conftest import FixedClock

AFTER_THE_SIMULATION = datetime(2027, 1, 1, tzinfo=UTC)


def quiet(_: str) -> None:
    pass


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


def stored(runner: ProjectionRunner) -> dict[str, dict[str, bytes]]:
    """Every row of every view, as the bytes stored."""
    out = {}
    for name in (runner.routes.name, *(p.name for p in runner.projections)):
        keys = runner.keys(name)
        out[name] = runner.store.read(name, keys)
        assert len(out[name]) == len(keys)
    return out


def aside_tables(app: OnePlan) -> list[str]:
    """Tables a rebuild writes aside, left in the database."""
    store: Any = app.views.store
    store = getattr(store, "inner", store)  # (rows sealed: the SQL store within)
    db = store._db
    if type(db).__module__.startswith("psycopg"):
        rows = db.execute(
            "SELECT table_name FROM information_schema.tables WHERE starts_with(table_name, %s)"
            " AND table_schema = %s",
            (ASIDE, store._schema),
        ).fetchall()
        db.commit()
    else:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return [r[0] for r in rows if r[0].startswith(ASIDE)]


def test_a_municipality_rebuilt_equals_its_views_caught_up_batch_by_batch(
    database_url: str,
) -> None:
    with OnePlan.open(
        database_url, clock=lambda: AFTER_THE_SIMULATION, keys=Keys.generate()
    ) as app:
        simulate(app, citizens=300, seed=3, municipality=Municipality(years=2))
        events = app.recorder.max_notification_id()
        app.views.batch_size = 400
        app.views.cache_rows = 500
        assert app.views.catch_up() == events
        caught_up = stored(app.views)

        # Rebuilt twice: with every row in memory until the end, and with rows written
        # aside early (and read back) because only a few hundred may stay in memory.
        assert app.views.rebuild() == events
        assert stored(app.views) == caught_up
        app.views.rebuild_batch_size = 700
        app.views.rebuild_rows = 600
        app.views.rebuild_write_rows = 90
        assert app.views.rebuild() == events
        assert stored(app.views) == caught_up
        assert app.views.position == events
        assert aside_tables(app) == []
    assert len(caught_up[PlanView.name]) > 20


def test_a_rebuild_that_fails_leaves_the_old_views_and_position_as_they_were(
    database_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OnePlan.open(database_url, clock=clock) as app:
        run_demo(app, quiet)
        app.views.catch_up(until=20)
        before = stored(app.views)
        app.views.rebuild_batch_size = 5
        app.views.rebuild_rows = 10
        app.views.rebuild_write_rows = 4
        seen = 0
        real = app.mapper.to_trusted_event  # type: ignore[attr-defined]

        def dies_late(stored_event: Any) -> Any:
            nonlocal seen
            seen += 1
            if seen == 35:  # after rows were written aside
                raise ValueError("garbled")
            return real(stored_event)

        with monkeypatch.context() as patch:
            patch.setattr(app.mapper, "to_trusted_event", dies_late)
            with pytest.raises(ProjectionFailed, match="notification 35"):
                app.views.rebuild()

        assert app.views.position == 20
        assert stored(app.views) == before
        assert aside_tables(app) == []
        app.views.rebuild()
        assert app.views.position == app.recorder.max_notification_id()


def test_tables_left_aside_by_a_rebuild_that_died_are_dropped_by_the_next(
    database_url: str, clock: FixedClock
) -> None:
    with OnePlan.open(database_url, clock=clock) as app:
        run_demo(app, quiet)
        app.views.catch_up()
        caught_up = stored(app.views)
        dead = app.views.store.rebuilding(app.views.versions)  # a process killed mid-way
        dead.write({(PlanView.name, "a-key"): b"{}"}, new=True)
        assert len(aside_tables(app)) == len(app.views.versions)

        app.views.rebuild()

        assert aside_tables(app) == []
        assert stored(app.views) == caught_up


def test_a_reader_sees_the_old_views_until_the_rebuild_puts_the_new_ones_in_place(
    database_url: str, clock: FixedClock
) -> None:
    with (
        OnePlan.open(database_url, clock=clock) as app,
        OnePlan.open(database_url, clock=clock) as reader,
    ):
        plan_id = run_demo(app, quiet)
        app.views.catch_up()
        seen: list[tuple[int, bool]] = []

        def look(done: int, total: int) -> None:
            # Another process reads the stored views while this one rebuilds.
            seen.append((reader.views.position, reader.views.get(PlanView.name, plan_id) is None))

        app.views.rebuild_batch_size = 10
        app.views.rebuild(progress=look)

        head = app.recorder.max_notification_id()
        assert len(seen) > 2
        assert seen == [(head, False)] * len(seen)
        assert reader.views.position == head


class AskingEveryView(ProjectionRunner):
    """The runner as it was: every view is asked for keys of every event, and every
    fold runs, even one that leaves its row unchanged."""

    def _concerned(self, event_class: type[Any]) -> list[tuple[Any, bool]]:
        return [(projection, False) for projection in self.projections]


def test_asking_only_the_views_that_fold_an_event_changes_no_row(memory_app: OnePlan) -> None:
    simulate(memory_app, citizens=60, seed=5, municipality=Municipality(years=2))
    runners = [
        runner_class(memory_app, MemoryViewStore())
        for runner_class in (ProjectionRunner, AskingEveryView)
    ]
    for runner in runners:
        runner.batch_size = 500
        runner.catch_up()

    assert stored(runners[0]) == stored(runners[1])
