"""A rebuild keeps a view it finds unchanged, on SQLite and PostgreSQL, with keys on and
off: the table stays the very same (nothing aside, nothing renamed, the sealed rows'
bytes as they were); a view with a row that differs is swapped for the rebuilt one; a
view another runner wrote meanwhile is swapped too; and when a writer that does not
count its writes (an older oneplan's) moved the position meanwhile, no view is kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from oneplan import Keys, OnePlan
from oneplan.demo import run_demo
from oneplan.projections import stores
from oneplan.projections.sealed_rows import SealedViewStore
from oneplan.projections.stores import TRACKING, table
from tests.conftest import FixedClock
from tests.projections.test_rebuild import aside_tables, quiet, stored


@pytest.fixture(
    params=[
        "sqlite",
        "sqlite-keys",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("postgres-keys", marks=pytest.mark.postgres),
    ]
)
def app(request: pytest.FixtureRequest, clock: FixedClock) -> Iterator[OnePlan]:
    """The demo's record with its views caught up, on each store, keys off and on."""
    kind, _, keys = request.param.partition("-")
    url = str(request.getfixturevalue(f"{kind}_url"))
    with OnePlan.open(url, clock=clock, keys=Keys.generate() if keys else None) as oneplan:
        if not keys:
            assert oneplan.sealer is None
        run_demo(oneplan, quiet)
        oneplan.views.catch_up()
        yield oneplan


def _sql(app: OnePlan) -> Any:
    store: Any = app.views.store
    return getattr(store, "inner", store)


def _raw(app: OnePlan, sql: str) -> list[Any]:
    """Run ``sql`` on the view store's own connection (its own transaction), as a writer
    that does not count would; ``{schema}`` before a table's name: the store's schema."""
    store = _sql(app)
    if isinstance(store, stores.PostgresViewStore):
        cursor = store._db.execute(sql.format(schema=f'"{store._schema}".'))
        rows = cursor.fetchall() if cursor.description else []
        store._db.commit()
        return list(rows)
    return list(store._db.execute(sql.format(schema="")).fetchall())


def _tables(app: OnePlan) -> dict[str, Any]:
    """Each view's table, by what tells one table from another of the same name (its
    root page, its oid)."""
    names = ", ".join(f"'{table(view)}'" for view in stored(app.views))
    if isinstance(_sql(app), stores.PostgresViewStore):
        schema = _sql(app)._schema
        sql = (
            "SELECT c.relname, c.oid FROM pg_class c JOIN pg_namespace n "
            f"ON n.oid = c.relnamespace WHERE n.nspname = '{schema}' AND c.relname IN ({names})"
        )
        found = _raw(app, sql.replace("{", "{{").replace("}", "}}"))
    else:
        found = _raw(app, f"SELECT name, rootpage FROM sqlite_master WHERE name IN ({names})")
    assert len(found) == len(stored(app.views))
    return dict(found)


def _as_stored(app: OnePlan) -> dict[str, dict[str, bytes]]:
    """Every row as stored (sealed where it holds personal data)."""
    store = _sql(app)
    return {view: store.read(view, store.keys(view)) for view in stored(app.views)}


def _swapped(before: dict[str, Any], app: OnePlan) -> set[str]:
    after = _tables(app)
    return {name.removeprefix("oneplan_view_") for name in before if before[name] != after[name]}


def _position(app: OnePlan) -> int:
    return app.views.store.tracking()[0]


def test_a_rebuild_keeps_every_view_it_finds_unchanged(app: OnePlan) -> None:
    caught_up, as_stored, position = stored(app.views), _as_stored(app), _position(app)
    tables = _tables(app)

    app.views.rebuild()

    assert _swapped(tables, app) == set()
    assert _as_stored(app) == as_stored  # the very bytes (sealed ones not sealed again)
    assert stored(app.views) == caught_up
    assert _position(app) == position
    assert aside_tables(app) == []


def test_a_view_with_a_row_that_differs_is_swapped_and_the_others_kept(app: OnePlan) -> None:
    caught_up, position = stored(app.views), _position(app)
    citizen = next(iter(caught_up["citizen"]))
    other = b'{"name":"someone else"}'
    store = app.views.store
    if isinstance(store, SealedViewStore):  # (sealed properly: it opens, to other bytes)
        other = store.rows.seal("citizen", citizen, other)
        store = store.inner
    store.commit({("citizen", citizen): other}, from_position=position, to_position=position)
    tables = _tables(app)

    app.views.rebuild()

    assert _swapped(tables, app) == {"citizen"}
    assert stored(app.views) == caught_up
    assert aside_tables(app) == []


def _meanwhile(monkeypatch: pytest.MonkeyPatch, then: Any) -> None:
    """``then()`` once, just before the rebuild's swap."""
    calls: list[int] = []
    for cls in (stores._SQLiteRebuilding, stores._PostgresRebuilding):
        real = cls.finish

        def finish(self: Any, *args: Any, real: Any = real, **kwargs: Any) -> None:
            if not calls:
                calls.append(1)
                then()
            real(self, *args, **kwargs)

        monkeypatch.setattr(cls, "finish", finish)


def test_a_view_another_runner_wrote_during_the_rebuild_is_swapped(
    app: OnePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept only if no one wrote it meanwhile: the rebuild writes its own rows aside
    (never copies the stored table, which now holds the other runner's row)."""
    caught_up, position = stored(app.views), _position(app)
    citizen = next(iter(caught_up["citizen"]))

    def another_runner() -> None:
        app.views.store.commit(
            {("citizen", citizen): b'{"written":"meanwhile"}'},
            from_position=position,
            to_position=position,
        )

    _meanwhile(monkeypatch, another_runner)
    tables = _tables(app)

    app.views.rebuild()

    assert _swapped(tables, app) == {"citizen"}
    assert stored(app.views) == caught_up
    assert _position(app) == position


def test_no_view_is_kept_when_a_writer_that_does_not_count_moved_the_position(
    app: OnePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older oneplan commits without counting the views it writes; that it wrote
    shows in the position moving by more than the counted writers moved it, and then
    no view is kept: every view is swapped for the rebuilt one."""
    caught_up, position = stored(app.views), _position(app)
    citizen = next(iter(caught_up["citizen"]))
    _raw(app, f"UPDATE {{schema}}{TRACKING} SET position = {position - 1} WHERE name = 'oneplan'")

    def older_runner() -> None:  # folds the last event, writing a row, counting nothing
        row = "'{{}}'" if isinstance(_sql(app), stores.SQLiteViewStore) else "'\\x7b7d'"
        _raw(app, f"UPDATE {{schema}}{table('citizen')} SET state = {row} WHERE key = '{citizen}'")
        _raw(app, f"UPDATE {{schema}}{TRACKING} SET position = {position} WHERE name = 'oneplan'")

    _meanwhile(monkeypatch, older_runner)
    tables = _tables(app)

    app.views.rebuild()

    assert _swapped(tables, app) == set(caught_up)
    assert stored(app.views) == caught_up
    assert _position(app) == position
