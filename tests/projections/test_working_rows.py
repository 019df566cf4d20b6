"""Views folded in working state (``oneplan.projections.working``) store the same bytes
as the same views folded over frozen rows, whether the runner rebuilds, catches up in
small batches (rows written, forgotten and read back) or meets an erasure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from oneplan import Keys, OnePlan
from oneplan.projections import (
    VIEWS,
    AccessLogView,
    AuditIndexView,
    CitizenView,
    JourneyView,
    MemoryViewStore,
    PlanView,
    Projection,
    ProjectionRunner,
)
from oneplan.simulation import Municipality, simulate
from tests.builders import ANNE, LARS, acting, auditing, officer
from tests.conftest import FixedClock
from tests.integration.test_privacy import AFTER_RETENTION, household_case_file

AFTER_THE_SIMULATION = datetime(2027, 1, 1, tzinfo=UTC)


def frozen_twin(view: type[Projection[Any]]) -> type[Projection[Any]]:
    """``view`` folded as it was: every event a new frozen row (no working rows)."""
    twin = type(f"Frozen{view.__name__}", (view,), {"load_row": None, "dump_row": None})
    twin._handlers = view._handlers  # type: ignore[attr-defined]  # (a subclass of a Fold starts with none)
    return twin


WORKING = [view for view in VIEWS if getattr(view, "load_row", None) is not None]
FROZEN = {view: frozen_twin(view) for view in WORKING}


def test_the_plan_journey_access_log_and_audit_index_are_folded_in_working_rows() -> None:
    assert {PlanView, JourneyView, AccessLogView, AuditIndexView} <= set(WORKING)


def stored(runner: ProjectionRunner) -> dict[str, dict[str, bytes]]:
    return {
        name: runner.store.read(name, runner.keys(name))
        for name in (runner.routes.name, *(p.name for p in runner.projections))
    }


def runner(app: OnePlan, *, frozen: bool) -> ProjectionRunner:
    views = [FROZEN.get(view, view)() if frozen else view() for view in VIEWS]
    return ProjectionRunner(app, MemoryViewStore(), projections=views)


def test_working_rows_store_the_bytes_frozen_rows_store() -> None:
    clock = FixedClock(AFTER_THE_SIMULATION)
    with OnePlan.open("memory://", clock=clock, keys=Keys.generate()) as app:
        simulate(app, citizens=80, seed=7, municipality=Municipality(years=2))
        app.views.catch_up()
        for plan in app.views.keys(PlanView.name)[:6]:
            acting(app, ANNE).sector_view(UUID(plan))  # reads, in the access log
        citizen = acting(app, ANNE).register_citizen(name="Sara", birth_date=date(1990, 1, 1))
        clock.now += timedelta(days=365 * 7)
        acting(app, ANNE).erase_citizen(citizen_id=citizen)

        frozen = runner(app, frozen=True)
        frozen.catch_up()
        expected = stored(frozen)
        assert expected[JourneyView.name][str(citizen)]
        assert expected[AccessLogView.name]

        rebuilt = runner(app, frozen=False)
        rebuilt.rebuild()
        assert stored(rebuilt) == expected

        caught_up = runner(app, frozen=False)
        caught_up.batch_size = 150
        caught_up.cache_rows = 40  # rows forgotten after each batch and read back
        caught_up.catch_up()
        assert stored(caught_up) == expected


def test_an_erasure_folded_in_working_rows_stores_what_a_frozen_rebuild_stores(
    clock: FixedClock,
) -> None:
    """The live views fold the erasure of a household member in place (their plan, their
    journey, their access log, the other member's rows folded again in working rows): the
    same bytes as a rebuild over frozen rows once the keys are destroyed."""
    with OnePlan.open("memory://", clock=clock, keys=Keys.generate()) as app:
        first, second, plan = household_case_file(app)
        acting(app, ANNE).sector_view(plan)  # reads, in every member's access log
        acting(app, LARS).sector_view(plan)
        auditing(app).citizen_plan(plan, language="en")
        auditing(app).journey(first)
        app.views.catch_up()
        clock.now = AFTER_RETENTION
        officer(app).erase_citizen(citizen_id=second)
        app.views.catch_up()

        frozen = runner(app, frozen=True)
        frozen.rebuild()
        expected = stored(frozen)
        assert len(expected[AccessLogView.name]) >= 6  # (two members: two reads, two disclosures)
        assert stored(app.views) == expected


def test_no_access_entry_is_held_in_memory_after_a_catch_up_or_a_rebuild() -> None:
    """The access log's working rows reuse a read's entry for each member of a household;
    the entry (a reader's and citizens' data, in clear) is let go of when the runner ends a
    batch or a rebuild, not kept until the next read."""
    from oneplan.projections import access_log

    clock = FixedClock(AFTER_THE_SIMULATION)
    with OnePlan.open("memory://", clock=clock, keys=Keys.generate()) as app:
        simulate(app, citizens=10, seed=3, municipality=Municipality(years=1))
        app.views.catch_up()
        plan = app.views.keys(PlanView.name)[0]
        acting(app, ANNE).sector_view(UUID(plan))
        app.views.catch_up()
        assert access_log._last[0] is None
        app.views.rebuild()
        assert access_log._last[0] is None


def test_a_runner_folding_an_erasure_forgets_the_values_it_decoded_in_clear() -> None:
    """The trusted decoder and the codec keep value objects they decoded or wrote (a
    consent giver's name among them); a runner that folds an erasure empties those
    caches, so the erased citizen's name does not outlive the erasure in its memory."""
    from oneplan import trusted_events
    from oneplan.projections.base import codec

    def cached() -> list[str]:
        # (kept by their JSON as text, or as stored: bytes)
        texts = [k if type(k) is str else k.decode() for c in trusted_events._VALUES for k in c]
        texts += [repr(model) for model, _ in codec._fragments.values()]
        return texts

    def read() -> list[str]:  # (what reading rows kept: value objects, large rows)
        return [repr(value) for value in [*codec._memo.values(), *codec._large.values()]]

    clock = FixedClock()
    with OnePlan.open("memory://", clock=clock, keys=Keys.generate()) as app:
        first, second, _plan = household_case_file(app)
        app.views.catch_up()
        for view in (PlanView.name, JourneyView.name, CitizenView.name):
            for key in app.views.keys(view):
                app.views.get(view, key)
        assert any("Canaryname" in text for text in cached())
        assert any("Canaryname" in text for text in read())
        clock.now = AFTER_RETENTION
        officer(app).erase_citizen(citizen_id=first)
        officer(app).erase_citizen(citizen_id=second)
        app.views.catch_up()
        assert not any("Canaryname" in text for text in cached())
        assert not any("Canaryname" in text for text in read())
