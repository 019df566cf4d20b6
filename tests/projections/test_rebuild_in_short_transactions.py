"""On SQLite a rebuild holds the file's write lock only briefly: rows go aside a few at
a time (``TRANSACTION_ROWS`` a transaction), the new tables take the old ones' place by
renaming, and the old tables are emptied in steps and dropped afterwards; what a rebuild
that died left behind (aside or retired) is cleared by the next one."""

from __future__ import annotations

from typing import Any

import pytest

from oneplan import Keys, OnePlan
from oneplan.demo import run_demo
from oneplan.projections import VIEWS, stores
from oneplan.projections.sealed_rows import MAGIC, SealedViewStore
from oneplan.projections.stores import ASIDE, RETIRED
from tests.conftest import FixedClock
from tests.projections.test_rebuild import quiet, stored


def _db(app: OnePlan) -> Any:
    """The view store's SQLite connection (beneath the sealing, with keys)."""
    store: Any = app.views.store
    return getattr(store, "inner", store)._db


def _tables(app: OnePlan) -> list[str]:
    db = _db(app)
    return [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def test_a_rebuild_in_transactions_of_a_few_rows_gives_the_same_views_and_leaves_no_table(
    sqlite_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stores, "TRANSACTION_ROWS", 3)
    monkeypatch.setattr(stores._SQLiteRebuilding, "keep_unchanged", False)
    with OnePlan.open(sqlite_url, clock=clock) as app:
        run_demo(app, quiet)
        app.views.catch_up()
        caught_up = stored(app.views)
        writes: list[int] = []
        real = app.views.store._db.executemany  # type: ignore[attr-defined]

        class Counting:
            def __getattr__(self, name: str) -> Any:
                return getattr(real.__self__, name)

            def executemany(self, sql: str, rows: Any) -> Any:
                rows = list(rows)
                writes.append(len(rows))
                return real(sql, rows)

        app.views.store._db = Counting()  # type: ignore[attr-defined]
        try:
            app.views.rebuild()
        finally:
            app.views.store._db = real.__self__  # type: ignore[attr-defined]

        assert writes
        assert max(writes) <= 3
        assert stored(app.views) == caught_up
        assert [t for t in _tables(app) if t.startswith((ASIDE, RETIRED))] == []


def test_a_rebuild_writes_large_rows_aside_a_few_bytes_a_transaction(
    sqlite_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows of many kilobytes (a journey, a plan) go aside about ``TRANSACTION_BYTES`` a
    transaction, however few rows that is (a large row alone), and the old tables are
    emptied as many bytes at a time."""
    monkeypatch.setattr(stores, "TRANSACTION_BYTES", 2000)
    monkeypatch.setattr(stores._SQLiteRebuilding, "keep_unchanged", False)
    with OnePlan.open(sqlite_url, clock=clock) as app:
        run_demo(app, quiet)
        app.views.catch_up()
        caught_up = stored(app.views)
        statements: list[tuple[str, list[int]]] = []
        real = app.views.store._db  # type: ignore[attr-defined]

        class Counting:
            def __getattr__(self, name: str) -> Any:
                return getattr(real, name)

            def executemany(self, sql: str, rows: Any) -> Any:
                rows = list(rows)
                statements.append((sql, [len(r[1]) for r in rows]))
                return real.executemany(sql, rows)

            def execute(self, sql: str, *args: Any) -> Any:
                if sql.startswith("DELETE FROM " + RETIRED):
                    statements.append((sql, []))
                return real.execute(sql, *args)

        app.views.store._db = Counting()  # type: ignore[attr-defined]
        try:
            app.views.rebuild()
        finally:
            app.views.store._db = real  # type: ignore[attr-defined]

        writes = [sizes for sql, sizes in statements if sql.startswith("INSERT")]
        assert writes
        assert all(sum(sizes[:-1]) < 2000 for sizes in writes)  # (ended past 2,000 bytes)
        assert any(len(sizes) == 1 for sizes in writes)  # (the demo's plan is larger alone)
        deletes = [sql for sql, _ in statements if sql.startswith("DELETE")]
        assert len(deletes) > len(writes) / 2  # (emptied in as many steps, about)
        assert stored(app.views) == caught_up
        assert [t for t in _tables(app) if t.startswith((ASIDE, RETIRED))] == []


def test_old_tables_a_dead_rebuild_left_retired_are_dropped_by_the_next(
    sqlite_url: str, clock: FixedClock
) -> None:
    with OnePlan.open(sqlite_url, clock=clock) as app:
        run_demo(app, quiet)
        app.views.catch_up()
        caught_up = stored(app.views)
        db: Any = app.views.store._db  # type: ignore[attr-defined]
        db.execute(f"CREATE TABLE {RETIRED}dead0000_plan (key TEXT PRIMARY KEY, state BLOB)")
        db.execute(f"INSERT INTO {RETIRED}dead0000_plan VALUES ('k', x'00')")

        app.views.rebuild()

        assert [t for t in _tables(app) if t.startswith((ASIDE, RETIRED))] == []
        assert stored(app.views) == caught_up


def _statements(app: OnePlan) -> list[str]:
    """Every statement the view store's connection runs from now on."""
    seen: list[str] = []
    _db(app).set_trace_callback(seen.append)
    return seen


def _position(app: OnePlan) -> int:
    return app.views.store.tracking()[0]


def test_a_rebuild_that_finds_the_views_unchanged_writes_no_row_and_keeps_their_tables(
    sqlite_url: str, clock: FixedClock
) -> None:
    with OnePlan.open(sqlite_url, clock=clock) as app:
        run_demo(app, quiet)
        app.views.catch_up()
        caught_up, position = stored(app.views), _position(app)
        seen = _statements(app)

        app.views.rebuild()

        assert not [sql for sql in seen if sql.startswith("INSERT INTO " + ASIDE)]
        assert not [sql for sql in seen if "RENAME" in sql]
        assert not [sql for sql in seen if sql.startswith("DELETE FROM " + RETIRED)]
        assert stored(app.views) == caught_up
        assert _position(app) == position
        assert [t for t in _tables(app) if t.startswith((ASIDE, RETIRED))] == []


def test_views_that_differ_from_the_log_are_rewritten_and_the_others_kept(
    sqlite_url: str, clock: FixedClock
) -> None:
    """A row changed, a row missing, a row too many: each such view is swapped for the
    rebuilt one (the rows found the same copied aside first); the views found the same
    keep their tables."""
    with OnePlan.open(sqlite_url, clock=clock) as app:
        run_demo(app, quiet)
        app.views.catch_up()
        caught_up = stored(app.views)
        db: Any = app.views.store._db  # type: ignore[attr-defined]
        plans = app.views.keys("plan")
        journeys = app.views.keys("journey")
        db.execute("UPDATE oneplan_view_plan SET state = x'7b7d' WHERE key = ?", (plans[-1],))
        db.execute("DELETE FROM oneplan_view_journey WHERE key = ?", (journeys[0],))
        db.execute("INSERT INTO oneplan_view_citizen VALUES ('zzzz', x'7b7d')")
        seen = _statements(app)

        app.views.rebuild()

        renamed = {sql.split()[2] for sql in seen if "RENAME" in sql and "retired" in sql}
        assert renamed == {"oneplan_view_plan", "oneplan_view_journey", "oneplan_view_citizen"}
        assert stored(app.views) == caught_up
        assert [t for t in _tables(app) if t.startswith((ASIDE, RETIRED))] == []


def test_a_view_another_runner_wrote_during_a_rebuild_is_copied_aside_and_swapped(
    sqlite_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view is kept only if its table still holds what was compared: one another
    runner committed rows of while the rebuild ran is written aside from the rebuild's
    own rows (never copied from the stored table, which now holds the other runner's
    row) and swapped; the others are kept, and the position is the rebuild's."""
    with OnePlan.open(sqlite_url, clock=clock) as app:
        run_demo(app, quiet)
        app.views.catch_up()
        caught_up, position = stored(app.views), _position(app)
        real = stores._SQLiteRebuilding._swap
        calls: list[int] = []

        def meanwhile(self: Any, *args: Any, **kwargs: Any) -> None:
            if not calls:  # another runner's commit of one citizen row (other bytes)
                key = next(iter(caught_up["citizen"]))
                app.views.store.commit(
                    {("citizen", key): b'{"written":"meanwhile"}'},
                    from_position=position,
                    to_position=position,
                )
            calls.append(1)
            real(self, *args, **kwargs)

        monkeypatch.setattr(stores._SQLiteRebuilding, "_swap", meanwhile)
        seen = _statements(app)

        app.views.rebuild()

        renamed = {sql.split()[2] for sql in seen if "RENAME" in sql and "retired" in sql}
        assert renamed == {"oneplan_view_citizen"}
        assert stored(app.views) == caught_up
        assert _position(app) == position
        assert [t for t in _tables(app) if t.startswith((ASIDE, RETIRED))] == []


def test_rows_compared_are_held_only_up_to_keep_bytes(
    sqlite_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond ``keep_bytes`` of rows held, views are written aside after all (memory
    stays bounded); the views are the same either way."""
    monkeypatch.setattr(stores._SQLiteRebuilding, "keep_bytes", 1)
    with OnePlan.open(sqlite_url, clock=clock) as app:
        run_demo(app, quiet)
        app.views.catch_up()
        caught_up = stored(app.views)
        seen = _statements(app)

        app.views.rebuild()

        renamed = {sql.split()[2] for sql in seen if "RENAME" in sql and "retired" in sql}
        assert renamed == {f"oneplan_view_{view}" for view, rows in caught_up.items() if rows}
        assert stored(app.views) == caught_up
        assert [t for t in _tables(app) if t.startswith((ASIDE, RETIRED))] == []


def _sealed_rows(store: SealedViewStore) -> dict[str, dict[str, bytes]]:
    """Every row of every view as stored: sealed where it holds personal data."""
    db = store.inner._db  # type: ignore[attr-defined]
    return {
        view: dict(db.execute(f"SELECT key, state FROM {stores.table(view)}"))
        for view in ("route", *(p.name for p in VIEWS))
    }


def test_with_keys_a_rebuild_keeps_the_sealed_rows_it_finds_unchanged(
    sqlite_url: str, clock: FixedClock
) -> None:
    """Sealed rows are sealed afresh (new random keys) each time they are written, so
    their bytes never compare the same: the rebuild compares what they hold, and keeps
    a view whose every row holds what it made, sealed under the keys it would use."""
    with OnePlan.open(sqlite_url, clock=clock, keys=Keys.generate()) as app:
        run_demo(app, quiet)
        app.views.catch_up()
        store = app.views.store
        assert isinstance(store, SealedViewStore)
        caught_up, sealed = stored(app.views), _sealed_rows(store)
        assert any(row.startswith(MAGIC) for row in sealed["citizen"].values())
        seen = _statements(app)

        app.views.rebuild()

        assert not [sql for sql in seen if sql.startswith("INSERT INTO " + ASIDE)]
        assert not [sql for sql in seen if "RENAME" in sql]
        assert _sealed_rows(store) == sealed  # the very bytes, not sealed again
        assert stored(app.views) == caught_up


def test_with_keys_a_sealed_row_that_holds_other_data_is_rewritten(
    sqlite_url: str, clock: FixedClock
) -> None:
    """A row sealed properly (it opens) but holding other bytes than the log gives is
    rewritten, and its view swapped; a row stored in the clear where it would now be
    sealed is sealed (its view swapped too); the others are kept as they are."""
    with OnePlan.open(sqlite_url, clock=clock, keys=Keys.generate()) as app:
        run_demo(app, quiet)
        app.views.catch_up()
        store = app.views.store
        assert isinstance(store, SealedViewStore)
        caught_up, position = stored(app.views), _position(app)
        citizen = next(iter(caught_up["citizen"]))
        journey = next(iter(caught_up["journey"]))
        other = store.rows.seal("citizen", citizen, b'{"name":"someone else"}')
        store.inner.commit(
            {("citizen", citizen): other, ("journey", journey): caught_up["journey"][journey]},
            from_position=position,
            to_position=position,
        )
        before = _sealed_rows(store)
        seen = _statements(app)

        app.views.rebuild()

        renamed = {sql.split()[2] for sql in seen if "RENAME" in sql and "retired" in sql}
        assert renamed == {"oneplan_view_citizen", "oneplan_view_journey"}
        after = _sealed_rows(store)
        assert after["journey"][journey].startswith(MAGIC)
        assert after["plan"] == before["plan"]
        assert stored(app.views) == caught_up
        assert [t for t in _tables(app) if t.startswith((ASIDE, RETIRED))] == []
