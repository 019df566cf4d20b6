"""A view whose code bumps its version is rebuilt alone, aside, while readers read the old
one and the other views keep folding; one rebuild at a time, under a lease."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from oneplan import OnePlan, RebuildInProgress
from oneplan.demo import run_demo
from oneplan.projections.journey import JourneyView
from oneplan.projections.plan_view import PlanView
from oneplan.projections.stores import Rebuilding, ViewStore
from tests.builders import citizen_with_consent
from tests.conftest import FixedClock
from tests.projections.test_runner import database_url, quiet, rebuilt, views_of

__all__ = ["database_url"]  # (a fixture: SQLite and PostgreSQL, which outlive connections)


@pytest.fixture
def told(app: OnePlan) -> OnePlan:
    run_demo(app, quiet)
    app.views.catch_up()
    return app


class Watched(Rebuilding):
    """A rebuild that runs ``on_write`` before its first write and ``on_finish`` before
    it finishes."""

    def __init__(self, inner: Rebuilding, on_write: Any, on_finish: Any) -> None:
        self.inner, self.on_write, self.on_finish = inner, on_write, on_finish
        self.finishes = 0

    def write(self, rows: Mapping[tuple[str, str], bytes], *, new: bool) -> None:
        if self.on_write is not None:
            on_write, self.on_write = self.on_write, None
            on_write()
        self.inner.write(rows, new=new)

    def read(self, view: str, keys: Iterable[str]) -> dict[str, bytes]:
        return self.inner.read(view, keys)

    def finish(self, position: int, *, expect: int | None = None) -> None:
        self.finishes += 1
        if self.on_finish is not None:
            self.on_finish()
        self.inner.finish(position, expect=expect)

    def abort(self) -> None:
        self.inner.abort()


def watch(
    store: ViewStore, monkeypatch: pytest.MonkeyPatch, on_write: Any = None, on_finish: Any = None
) -> list[tuple[str, ...]]:
    """Record the views of every rebuild begun on ``store``, and watch the rebuilds."""
    begun: list[tuple[str, ...]] = []
    rebuilding = store.rebuilding

    def watched(versions: Mapping[str, int], views: Iterable[str] | None = None) -> Rebuilding:
        inner = rebuilding(versions, views)
        begun.append(tuple(views if views is not None else versions))
        return Watched(inner, on_write, on_finish)

    monkeypatch.setattr(store, "rebuilding", watched)
    return begun


def test_a_changed_view_version_rebuilds_that_view_only(
    told: OnePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = views_of(told.views)
    begun = watch(told.views.store, monkeypatch)
    monkeypatch.setitem(told.views.versions, PlanView.name, PlanView.version + 1)

    assert told.views.catch_up() == 0  # (the others were current; the plan view rebuilt)

    assert begun == [(PlanView.name,)]
    assert told.views.store.tracking() == (told.recorder.max_notification_id(), told.views.versions)
    assert views_of(told.views) == expected


def test_readers_see_the_old_view_and_position_until_the_new_one_is_swapped_in(
    told: OnePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = told.views.store
    before = store.tracking()
    plan_rows = dict(store.read_prefix(PlanView.name, ""))
    seen: list[Any] = []

    def look() -> None:
        seen.append((store.tracking(), dict(store.read_prefix(PlanView.name, ""))))

    watch(store, monkeypatch, on_finish=look)
    monkeypatch.setitem(told.views.versions, PlanView.name, PlanView.version + 1)

    told.views.catch_up()

    assert seen == [(before, plan_rows)]  # not emptied, not moved, while it was rebuilt


def test_events_written_during_the_rebuild_reach_the_rebuilt_view_and_the_others(
    database_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        OnePlan.open(database_url, clock=clock) as first,
        OnePlan.open(database_url, clock=clock) as other,
    ):
        run_demo(first, quiet)
        first.views.catch_up()

        def meanwhile() -> None:  # another process writes and folds while it rebuilds
            citizen_with_consent(other, name="Ida")
            other.views.catch_up()

        watch(first.views.store, monkeypatch, on_write=meanwhile)
        monkeypatch.setitem(first.views.versions, JourneyView.name, JourneyView.version + 1)

        first.views.catch_up()

        head = first.recorder.max_notification_id()
        assert first.views.store.tracking() == (head, first.views.versions)
        assert views_of(first.views) == rebuilt(first)


def test_the_others_are_brought_to_the_rebuilt_view_when_they_are_behind(
    told: OnePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events the others have not folded yet are folded into the rebuilt view first: the
    runner brings the other views to where the rebuilt one stands before the swap."""
    citizen_with_consent(told, name="Ida")
    assert told.views.store.tracking()[0] < told.recorder.max_notification_id()
    watch(told.views.store, monkeypatch)
    monkeypatch.setitem(told.views.versions, JourneyView.name, JourneyView.version + 1)

    told.views.catch_up()

    assert told.views.position == told.recorder.max_notification_id()
    assert views_of(told.views) == rebuilt(told)


def test_while_another_runner_holds_the_lease_the_view_is_left_to_it(
    database_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OnePlan.open(database_url, clock=clock) as app:
        run_demo(app, quiet)
        app.views.catch_up()
        store = app.views.store
        assert store.take_lease("rebuilder-elsewhere", 60)
        journeys = dict(store.read_prefix(JourneyView.name, ""))
        begun = watch(store, monkeypatch)
        monkeypatch.setitem(app.views.versions, JourneyView.name, JourneyView.version + 1)

        citizen_with_consent(app, name="Ida")
        app.views.catch_up()  # the others fold on; the journey is the holder's to rebuild

        assert begun == []
        assert app.views.position == app.recorder.max_notification_id()
        assert dict(store.read_prefix(JourneyView.name, "")) == journeys  # left as it was
        holder = store.lease_holder()
        assert holder is not None
        assert holder[0] == "rebuilder-elsewhere"
        with pytest.raises(RebuildInProgress) as refused:
            app.views.rebuild()
        assert refused.value.ids["holder"] == "rebuilder-elsewhere"

        store.drop_lease("rebuilder-elsewhere")  # (or it runs out)
        app.views.catch_up()

        assert begun == [(JourneyView.name,)]
        assert store.lease_holder() is None
        assert views_of(app.views) == rebuilt(app)


def test_a_lease_that_ran_out_is_taken_over(database_url: str, clock: FixedClock) -> None:
    with OnePlan.open(database_url, clock=clock) as app:
        store = app.views.store
        assert store.take_lease("died", -1)  # (ran out a second ago)
        assert store.lease_holder() is None
        assert store.take_lease("next", 60)
        assert not store.take_lease("died", 60)
        assert store.take_lease("next", 60)  # renewed by its holder


def test_views_never_folded_only_take_the_new_versions(
    app: OnePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    begun = watch(app.views.store, monkeypatch)
    monkeypatch.setitem(app.views.versions, PlanView.name, PlanView.version + 1)

    app.views.catch_up()

    assert begun == []
    assert app.views.store.tracking()[1] == app.views.versions


def test_a_changed_route_version_rebuilds_every_view(
    told: OnePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = views_of(told.views)
    begun = watch(told.views.store, monkeypatch)
    monkeypatch.setitem(told.views.versions, told.views.routes.name, 2)

    told.views.catch_up()

    assert begun == [tuple(told.views.versions)]
    assert views_of(told.views) == expected


def test_a_rebuild_that_fails_leaves_the_old_view_and_the_lease_free(
    told: OnePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = told.views.store
    before = store.tracking()
    journeys = dict(store.read_prefix(JourneyView.name, ""))

    def killed() -> None:
        raise RuntimeError("killed")

    watch(store, monkeypatch, on_finish=killed)
    monkeypatch.setitem(told.views.versions, JourneyView.name, JourneyView.version + 1)

    with pytest.raises(RuntimeError, match="killed"):
        told.views.catch_up()

    assert store.tracking() == before
    assert dict(store.read_prefix(JourneyView.name, "")) == journeys
    assert store.lease_holder() is None


def test_views_status_names_the_changed_views_and_who_rebuilds_them(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orjson
    from typer.testing import CliRunner

    from oneplan.cli import app as cli

    with OnePlan.open(sqlite_url) as app:
        citizen_with_consent(app)
        app.views.catch_up()
        assert app.views.store.take_lease("host-7:4242:ab12", 60)
    monkeypatch.setattr(JourneyView, "version", JourneyView.version + 1)
    runner = CliRunner()

    shown = runner.invoke(cli, ["views", "status", "--format", "json", "--db", sqlite_url])
    text = runner.invoke(cli, ["views", "status", "--db", sqlite_url])

    assert shown.exit_code == 0, shown.output
    found = orjson.loads(shown.stdout)
    assert found["current"] is False
    assert found["changed"] == {
        JourneyView.name: {"stored": JourneyView.version - 1, "code": JourneyView.version}
    }
    assert found["rebuilding"]["holder"] == "host-7:4242:ab12"
    assert "journey (version" in text.output
    assert "being rebuilt by host-7:4242:ab12" in text.output


def test_a_lease_whose_holder_died_on_this_host_is_taken_over_at_once(
    database_url: str, clock: FixedClock
) -> None:
    import socket
    import subprocess
    import sys

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    with OnePlan.open(database_url, clock=clock) as app:
        run_demo(app, quiet)
        store = app.views.store
        assert store.take_lease(f"{socket.gethostname()}:{dead.stdout.strip()}:killed", 60)
        assert store.take_lease(f"{socket.gethostname()}:{os.getpid()}:alive", 60) is False

        app.views.rebuild()  # (not refused: the holder is gone)

        assert store.lease_holder() is None
        assert views_of(app.views) == rebuilt(app)


def test_versions_of_views_no_longer_kept_are_forgotten_without_reading_the_log(
    told: OnePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = told.views.store
    position = store.tracking()[0]
    store.rebuilding({**told.views.versions, "retired_view": 3}, views=()).finish(position)
    reads: list[int] = []
    for name in ("select_log_rows", "select_notifications"):  # (the runner's read of the log)
        select = getattr(told.recorder, name)

        def counted(*args: Any, select: Any = select, **kwargs: Any) -> Any:
            reads.append(1)
            return select(*args, **kwargs)

        monkeypatch.setattr(told.recorder, name, counted)

    assert told.views.catch_up() == 0

    assert store.tracking() == (position, told.views.versions)
    assert len(reads) == 1  # (the catch-up's own look for new events)


def test_a_store_that_rebuilds_every_view_at_once_gets_a_whole_rebuild(
    told: OnePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oneplan.projections import ProjectionRunner
    from tests.projections.test_runner import CrashingStore

    store = CrashingStore(told.views.store, crash_on=10**9)  # (no tables of its own)
    runner = ProjectionRunner(told, store)
    runner.catch_up()
    expected = views_of(runner)
    begun = watch(store, monkeypatch)
    monkeypatch.setitem(runner.versions, PlanView.name, PlanView.version + 1)

    runner.catch_up()

    assert begun == [tuple(runner.versions)]
    assert store.tracking()[1] == runner.versions
    assert views_of(runner) == expected
    with pytest.raises(ValueError, match="every view at once"):
        store.rebuilding(runner.versions, views=[PlanView.name])
