"""Views folded in working state (``oneplan.projections.working``) store the same bytes
as the same views folded over frozen rows, whether the runner rebuilds, catches up in
small batches (rows written, forgotten and read back) or meets an erasure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from oneplan import Keys, OnePlan
from oneplan.projections import VIEWS, JourneyView, MemoryViewStore, ProjectionRunner
from oneplan.simulation import Municipality, simulate
from tests.builders import ANNE, acting
from tests.conftest import FixedClock

AFTER_THE_SIMULATION = datetime(2027, 1, 1, tzinfo=UTC)


class FrozenJourney(JourneyView):
    """The journey folded as it was: every event a new frozen row."""

    load_row: ClassVar[Any] = None
    dump_row: ClassVar[Any] = None


FrozenJourney._handlers = JourneyView._handlers  # (a subclass of a Fold starts with none)


def stored(runner: ProjectionRunner) -> dict[str, dict[str, bytes]]:
    return {
        name: runner.store.read(name, runner.keys(name))
        for name in (runner.routes.name, *(p.name for p in runner.projections))
    }


def runner(app: OnePlan, *, frozen: bool) -> ProjectionRunner:
    views = [FrozenJourney() if view is JourneyView and frozen else view() for view in VIEWS]
    return ProjectionRunner(app, MemoryViewStore(), projections=views)


def test_working_rows_store_the_bytes_frozen_rows_store() -> None:
    clock = FixedClock(AFTER_THE_SIMULATION)
    with OnePlan.open("memory://", clock=clock, keys=Keys.generate()) as app:
        simulate(app, citizens=80, seed=7, municipality=Municipality(years=2))
        citizen = acting(app, ANNE).register_citizen(name="Sara", birth_date=date(1990, 1, 1))
        clock.now += timedelta(days=365 * 7)
        acting(app, ANNE).erase_citizen(citizen_id=citizen)

        frozen = runner(app, frozen=True)
        frozen.catch_up()
        expected = stored(frozen)
        assert expected[JourneyView.name][str(citizen)]

        rebuilt = runner(app, frozen=False)
        rebuilt.rebuild()
        assert stored(rebuilt) == expected

        caught_up = runner(app, frozen=False)
        caught_up.batch_size = 150
        caught_up.cache_rows = 40  # rows forgotten after each batch and read back
        caught_up.catch_up()
        assert stored(caught_up) == expected
