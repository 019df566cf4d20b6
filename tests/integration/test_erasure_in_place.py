"""Erasure in O(the citizen's record): the citizen's view rows are folded again, read as
erased, in one transaction, without emptying or rebuilding the views; every view row
holding personal data is sealed under its subjects' data keys, so that after erasure the
erased name is in no view row, no SQLite page or WAL, and no PostgreSQL page or WAL."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest

from oneplan import Keys, OnePlan, PlanOutcome
from oneplan.aggregates.personal import ERASED
from oneplan.audit import VerificationStatus, verify_views
from oneplan.errors import CiphertextRejected, RetentionNotEnded
from oneplan.projections.sealed_rows import MAGIC, SealedViewStore
from tests.builders import ANNE, LARS, acting, at, officer, record
from tests.conftest import FixedClock
from tests.integration.test_privacy import (
    AFTER_RETENTION,
    OTHER_CPR,
    OTHER_NAME,
    archive,
    case_file,
    household_case_file,
)

CANARY = "Zzcanarius Erasedsson"
CANARY_CPR = "0505751234"


def erase_canary(app: OnePlan, clock: FixedClock) -> tuple[UUID, UUID, UUID]:
    """The canary citizen and another, both with a closed, archived plan; the canary is
    erased. Returns (canary, their plan, the other citizen)."""
    canary, plan = case_file(app, name=CANARY, cpr=CANARY_CPR, note="canary note")
    other, other_plan = case_file(app, name=OTHER_NAME, cpr=OTHER_CPR, note="other note")
    for p in (plan, other_plan):
        archive(app, p)
    app.views.catch_up()
    clock.now = AFTER_RETENTION
    officer(app).erase_citizen(citizen_id=canary)
    return canary, plan, other


def test_an_erasure_folds_the_citizens_record_again_not_the_whole_log(
    app: OnePlan, clock: FixedClock
) -> None:
    _canary, _plan, other = erase_canary(app, clock)
    head = int(app.recorder.max_notification_id())
    assert app.views.position == head  # never reset: caught up to the erasure itself

    other_plan_events = 0
    clock.now = AFTER_RETENTION
    more, more_plan = case_file(app, name="Third Person", cpr="0404701234", note="x")
    archive(app, more_plan)
    other_plan_events = int(app.recorder.max_notification_id()) - head
    erasure = officer(app).erase_citizen(citizen_id=more)

    whole_log = int(app.recorder.max_notification_id())
    assert 0 < erasure.events_refolded < other_plan_events + 5 < whole_log
    assert app.views.get("citizen", more).name == ERASED
    assert app.views.get("citizen", other).name == OTHER_NAME
    assert app.views.get("plan", more_plan).wishes[more] == ERASED
    verified = verify_views(app)
    assert verified.status is VerificationStatus.INTACT, verified.difference


def test_the_erased_citizens_rows_equal_a_rebuild_from_the_log(
    app: OnePlan, clock: FixedClock
) -> None:
    first, second, plan = household_case_file(app)
    clock.now = AFTER_RETENTION
    officer(app).erase_citizen(citizen_id=second)
    verified = verify_views(app)
    assert verified.status is VerificationStatus.INTACT, verified.difference
    assert app.views.get("plan", plan).wishes[second] == ERASED
    assert app.views.get("plan", plan).wishes[first] == "first member's own wishes"

    officer(app).erase_citizen(citizen_id=first)

    verified = verify_views(app)
    assert verified.status is VerificationStatus.INTACT, verified.difference
    assert {g.description for g in app.views.get("plan", plan).goals.values()} == {ERASED}


def sqlite_files(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


def test_the_erased_name_is_in_no_sqlite_page_or_wal_after_erasure(
    tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "oneplan.db"
    with OnePlan.open(f"sqlite:///{path}", clock=clock, keys=Keys.generate()) as app:
        canary, _plan, other = erase_canary(app, clock)
        assert isinstance(app.views.store, SealedViewStore)
        db = sqlite3.connect(path)
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        views = [
            bytes(row[0])
            for t in tables
            if t.startswith("oneplan_view_") and t != "oneplan_view_tracking"
            for row in db.execute(f"SELECT state FROM {t}")
        ]
        db.close()
        bytes_before_checkpoint = sqlite_files(path)
        app.views.store.scrub()  # (the erasure did; again, with this connection closed)
        assert record(app).citizen(other).name == OTHER_NAME

    assert views
    assert not [v for v in views if CANARY.encode() in v]
    assert not [v for v in views if OTHER_NAME.encode() in v]  # sealed, not erased
    assert any(v.startswith(MAGIC) for v in views)
    left = sqlite_files(path)
    assert str(canary).encode() in left  # ids stay in the clear: the search sees the file
    assert CANARY.encode() not in left
    assert CANARY.encode() not in bytes_before_checkpoint
    assert CANARY_CPR.encode() not in left


@pytest.mark.postgres
def test_the_erased_name_is_in_no_postgresql_page_or_wal_after_erasure(
    postgres_url: str, clock: FixedClock
) -> None:
    import psycopg

    base = postgres_url.split("?")[0]
    schema = postgres_url.rsplit("schema=", 1)[1]
    with psycopg.connect(base, autocommit=True) as conn:
        (start_lsn,) = conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()  # type: ignore[misc]
    since = time.time() - 5

    with OnePlan.open(postgres_url, clock=clock, keys=Keys.generate()) as app:
        canary, _plan, _other = erase_canary(app, clock)
        assert isinstance(app.views.store, SealedViewStore)

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute("CHECKPOINT")  # every page written to its file
        conn.execute("SELECT pg_switch_wal()")
        files = [
            r[0]
            for r in conn.execute(
                "SELECT pg_relation_filepath(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 't', 'i') "
                "UNION SELECT pg_relation_filepath(c.reltoastrelid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.reltoastrelid <> 0",
                (schema, schema),
            )
            if r[0]
        ]
        pages = b"".join(
            bytes(conn.execute("SELECT pg_read_binary_file(%s)", (f,)).fetchone()[0])  # type: ignore[index]
            for f in files
        )
        segments = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM pg_ls_waldir() WHERE modification >= to_timestamp(%s) "
                "ORDER BY name",
                (since,),
            )
        ]
        wal = b"".join(
            bytes(
                conn.execute("SELECT pg_read_binary_file(%s)", ("pg_wal/" + name,)).fetchone()[0]  # type: ignore[index]
            )
            for name in segments
        )
    assert start_lsn
    assert segments
    assert str(canary).encode() in pages  # the search sees the tables' pages
    assert str(canary).encode() in wal  # and the WAL written meanwhile
    assert CANARY.encode() not in pages
    assert CANARY.encode() not in wal
    assert OTHER_NAME.encode() not in wal  # sealed as well, though not erased


def test_a_row_sealed_under_a_destroyed_key_reads_as_absent_not_as_an_error(
    sqlite_url: str, clock: FixedClock
) -> None:
    with OnePlan.open(sqlite_url, clock=clock, keys=Keys.generate()) as app:
        citizen, _plan = case_file(app)
        _other, _ = case_file(app, name=OTHER_NAME, cpr=OTHER_CPR, note="other note")
        app.views.catch_up()
        assert app.sealer is not None
        app.sealer.destroy([citizen], at=clock.now.isoformat())  # no erasure: a crash, say

        assert app.views.get("citizen", citizen) is None
        assert app.views.get("journey", citizen) is None
        names = {row.name for row in app.views.rows("citizen", "")}
        assert OTHER_NAME in names  # the others read on


def test_rows_written_before_sealing_still_read_and_the_next_rebuild_seals_them(
    sqlite_url: str, clock: FixedClock
) -> None:
    with OnePlan.open(sqlite_url, clock=clock, keys=Keys.generate()) as app:
        citizen, _plan = case_file(app)
        app.views.catch_up()
        store = app.views.store
        assert isinstance(store, SealedViewStore)
        opened = store.read("citizen", [str(citizen)])[str(citizen)]
        position = store.tracking()[0]
        store.inner.commit(  # as an older oneplan wrote it: plain JSON
            {("citizen", str(citizen)): opened}, from_position=position, to_position=position
        )
        assert store.inner.read("citizen", [str(citizen)])[str(citizen)] == opened

        assert app.views.get("citizen", citizen).name == record(app).citizen(citizen).name

        app.views.rebuild()
        assert store.inner.read("citizen", [str(citizen)])[str(citizen)].startswith(MAGIC)
        assert app.views.get("citizen", citizen).name == record(app).citizen(citizen).name


def test_a_sealed_row_moved_to_another_key_is_refused(sqlite_url: str, clock: FixedClock) -> None:
    with OnePlan.open(sqlite_url, clock=clock, keys=Keys.generate()) as app:
        citizen, _ = case_file(app)
        other, _ = case_file(app, name=OTHER_NAME, cpr=OTHER_CPR, note="other note")
        app.views.catch_up()
        store = app.views.store
        assert isinstance(store, SealedViewStore)
        sealed = store.inner.read("citizen", [str(citizen)])[str(citizen)]
        position = store.tracking()[0]
        store.inner.commit(
            {("citizen", str(other)): sealed}, from_position=position, to_position=position
        )

        with pytest.raises(CiphertextRejected):
            app.views.get("citizen", other)


def test_rows_about_no_one_stay_in_the_clear(sqlite_url: str, clock: FixedClock) -> None:
    with OnePlan.open(sqlite_url, clock=clock, keys=Keys.generate()) as app:
        _citizen, _plan = case_file(app)
        app.views.catch_up()
        store = app.views.store
        assert isinstance(store, SealedViewStore)
        rows: dict[str, Any] = {
            view: store.inner.read_prefix(view, "") for view in ("route", "audit_index")
        }
        assert all(orjson.loads(row) is not None for found in rows.values() for _, row in found)
        assert rows["route"]


def test_a_batch_erases_many_citizens_in_one_pass(app: OnePlan, clock: FixedClock) -> None:
    first, second, household = household_case_file(app)
    single, plan = case_file(app, name=CANARY, cpr=CANARY_CPR, note="canary note")
    archive(app, plan)
    clock.now = AFTER_RETENTION

    done = officer(app).erase_citizens([single, second, first])

    assert [e.citizen_id for e in done] == [single, second, first]
    assert [e.households for e in done] == [(), (), (household,)]  # with its last member
    assert all(e.keys_destroyed > 0 and e.events_refolded > 0 for e in done)
    assert all(record(app).citizen(c).erased for c in (single, second, first))
    assert {g.description for g in app.views.get("plan", household).goals.values()} == {ERASED}
    verified = verify_views(app)
    assert verified.status is VerificationStatus.INTACT, verified.difference


def test_a_batch_stops_at_a_citizen_refused_having_erased_those_before(
    app: OnePlan, clock: FixedClock
) -> None:
    done_before, plan = case_file(app, name=CANARY, cpr=CANARY_CPR, note="canary note")
    archive(app, plan)
    still_open, _ = case_file(app, name=OTHER_NAME, cpr=OTHER_CPR, note="x", close=False)
    clock.now = AFTER_RETENTION

    with pytest.raises(RetentionNotEnded):
        officer(app).erase_citizens([done_before, still_open])

    assert record(app).citizen(done_before).erased
    assert app.views.get("citizen", done_before).name == ERASED
    assert not record(app).citizen(still_open).erased
    assert app.views.get("citizen", still_open).name == OTHER_NAME


def test_a_hand_over_reason_in_a_caseload_is_sealed_and_erased(
    sqlite_url: str, clock: FixedClock
) -> None:
    with OnePlan.open(sqlite_url, clock=clock, keys=Keys.generate()) as app:
        citizen, plan = case_file(app, name=CANARY, cpr=CANARY_CPR, note="n", close=False)
        acting(app, ANNE).hand_over_coordinator(
            plan_id=plan,
            new_coordinator=LARS,
            reason=f"{CANARY} moved",
            effective_at=at(2026, 3, 1),
        )
        acting(app, LARS).complete_plan(
            plan_id=plan, outcome=PlanOutcome.WORK, effective_at=at(2026, 6, 1)
        )
        archive(app, plan)
        app.views.catch_up()
        store = app.views.store
        assert isinstance(store, SealedViewStore)
        raw = store.inner.read("caseload", [LARS.id])[LARS.id]
        assert raw.startswith(MAGIC)
        assert app.views.get("caseload", LARS.id).hand_overs_received[0].reason == f"{CANARY} moved"

        clock.now = AFTER_RETENTION
        officer(app).erase_citizen(citizen_id=citizen)

        assert app.views.get("caseload", LARS.id).hand_overs_received[0].reason == ERASED
        assert CANARY.encode() not in store.inner.read("caseload", [LARS.id])[LARS.id]
        verified = verify_views(app)
        assert verified.status is VerificationStatus.INTACT, verified.difference


def test_a_household_plan_row_needs_every_members_key(sqlite_url: str, clock: FixedClock) -> None:
    with OnePlan.open(sqlite_url, clock=clock, keys=Keys.generate()) as app:
        first, _, plan = household_case_file(app)
        app.views.catch_up()
        store = app.views.store
        assert isinstance(store, SealedViewStore)
        raw = store.inner.read("plan", [str(plan)])[str(plan)]
        assert raw[len(MAGIC)] == 3  # the household's key, and each member's
        assert app.sealer is not None
        app.sealer.destroy([first], at=clock.now.isoformat())  # one member's, no erasure

        assert app.views.get("plan", plan) is None
