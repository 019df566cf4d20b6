"""Rule 16 for snapshots: a snapshot row oneplan did not write is never read as state.

Each tampering an independent tester made with database access, on SQLite and on
PostgreSQL: a plaintext row written without any key, a row claiming version 500, a
snapshot's clear ``recorded_until`` moved back, a row copied from another stream, a
row's state replaced under its old MAC. In each case reads equal the fold of the events,
a command is decided on the true state, the next write gets the right version, the row
is logged and counted, and ``verify_audit`` reports it (``Breach.SNAPSHOT``) while the
log itself still verifies."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit
from uuid import UUID, uuid4

import attrs
import pytest
from eventsourcing.persistence import StoredEvent

from oneplan import Keys, OnePlan
from oneplan.aggregates.plan import Goal
from oneplan.audit import Breach, VerificationStatus, verify_read_only
from oneplan.cli import app as cli
from oneplan.errors import GoalNotFound, SnapshotRejected
from oneplan.persistence import env_for_url
from oneplan.snapshots import AggregateSnapshot, SnapshotMapper
from oneplan.values import AchievementStatus, PlanStatus
from tests.audit.test_read_only_verify import audit_key_only, runner
from tests.builders import ANNE, acting, open_plan, record
from tests.conftest import FixedClock

INTERVAL = 2
"""A snapshot every second event of a plan."""
FORGED_GOAL = UUID(int=7)


@dataclass
class Database:
    url: str
    sql: Callable[..., list[tuple[Any, ...]]]
    snapshots: str
    """The snapshot table, as SQL names it."""
    stream: Callable[[UUID], Any]
    """A stream id as the snapshot table stores it."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    url = str(request.getfixturevalue(f"{request.param}_url"))
    if request.param == "sqlite":
        path = url.removeprefix("sqlite:///")

        def run_sqlite(statement: str, *params: Any) -> list[tuple[Any, ...]]:
            with sqlite3.connect(path) as db:
                return db.execute(statement, params).fetchall()

        yield Database(url, run_sqlite, "stored_snapshots", lambda s: s.hex)
        return
    import psycopg

    schema = parse_qs(urlsplit(url).query)["schema"][0]
    base = url.split("?")[0]

    def run_postgres(statement: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(base, autocommit=True) as db:
            cursor = db.execute(statement.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

    yield Database(url, run_postgres, f'"{schema}".oneplan_snapshots', lambda s: s)


@pytest.fixture
def keys() -> Keys:
    return Keys.generate()


@pytest.fixture
def app(database: Database, keys: Keys, clock: FixedClock) -> Iterator[OnePlan]:
    """The record with every key, a snapshot every second event of a plan."""
    env = {**env_for_url(database.url), "ONEPLAN_SNAPSHOT_INTERVAL": str(INTERVAL)}
    with OnePlan(env, clock=clock, keys=keys) as oneplan:
        yield oneplan


# --- reading the record ------------------------------------------------------------------


def state_of(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def folded(app: OnePlan, stream_id: UUID, as_of: datetime | None = None) -> dict[str, Any]:
    """The aggregate folded from its events (up to recorded time ``as_of``), no snapshot."""
    aggregate: Any = None
    for event in record(app).history(stream_id):
        if as_of is not None and event.timestamp > as_of:
            break
        aggregate = event.mutate(aggregate)
    return state_of(aggregate)


def read_cold(app: OnePlan, plan_id: UUID, as_of: datetime | None = None) -> dict[str, Any]:
    """The plan as a read gives it with nothing cached (from a snapshot if one is used)."""
    app._cache.clear()
    return state_of(record(app).plan(plan_id, as_of=as_of))


def a_plan_of(app: OnePlan, events: int) -> UUID:
    plan, _ = open_plan(app)
    while len(record(app).history(plan)) < events:
        acting(app, ANNE).set_goal(plan_id=plan, description=f"step {uuid4().hex[:6]}")
    return plan


def mapper_of(app: OnePlan) -> SnapshotMapper:
    assert app.snapshots is not None
    return cast(SnapshotMapper, app.snapshots.mapper)


def rows_of(app: OnePlan, stream_id: UUID) -> dict[int, StoredEvent]:
    assert app.snapshots is not None
    return {r.originator_version: r for r in app.snapshots.recorder.select_events(stream_id)}


# --- forging rows as someone with database access would --------------------------------


def forged_plan(app: OnePlan, plan_id: UUID, version: int) -> AggregateSnapshot:
    """A snapshot of the plan saying what it never said: completed, with a goal nobody
    set, at ``version``."""
    plan: Any = record(app).plan(plan_id)
    plan.status = PlanStatus.COMPLETED
    some_goal: Goal = next(iter(plan.goals.values()))
    forged = attrs.evolve(some_goal, goal_id=FORGED_GOAL, description="forged goal")
    plan.goals = {**plan.goals, FORGED_GOAL: forged}
    plan._version = version
    return AggregateSnapshot.of(plan, plan.modified_on)


def plaintext_row(snapshot: AggregateSnapshot) -> StoredEvent:
    """The row an application with no key at all writes for ``snapshot``: plain JSON,
    nothing sealed, no MAC."""
    with OnePlan.open("memory://") as unkeyed:
        assert unkeyed.snapshots is not None
        return unkeyed.snapshots.mapper.to_stored_event(snapshot)


def insert(db: Database, row: StoredEvent) -> None:
    db.sql(
        f"INSERT INTO {db.snapshots} (originator_id, originator_version, topic, state) "
        "VALUES (?, ?, ?, ?)",
        db.stream(cast(UUID, row.originator_id)),
        row.originator_version,
        row.topic,
        bytes(row.state),
    )


def update_state(db: Database, stream_id: UUID, version: int, state: bytes) -> None:
    db.sql(
        f"UPDATE {db.snapshots} SET state = ? WHERE originator_id = ? AND originator_version = ?",
        state,
        db.stream(stream_id),
        version,
    )


def delete_all(db: Database) -> None:
    db.sql(f"DELETE FROM {db.snapshots}")


# --- what "ignored and reported" means --------------------------------------------------


def assert_reported(
    app: OnePlan,
    caplog: pytest.LogCaptureFixture,
    stream_id: UUID,
    version: int,
    reason: str,
    db: Database,
    keys: Keys,
) -> None:
    """Logged and counted in this process, and named by verification: the record's
    (``verify_audit``), an auditor's with the audit key alone (``verify_read_only``)
    and ``oneplan audit verify`` (exit 1). The log itself is untouched and verifies."""
    assert app.snapshots_rejected > 0
    assert f"the snapshot of {stream_id} at version {version}" in caplog.text or (
        f"the snapshot of {stream_id} claims version {version}" in caplog.text
    )
    for verification in (app.verify_audit(), verify_read_only(db.url, audit_key=keys.audit_key)):
        assert verification.status is VerificationStatus.BROKEN
        assert verification.finding is not None
        assert verification.finding.breach is Breach.SNAPSHOT
        assert str(stream_id) in verification.finding.detail
        assert reason in verification.finding.detail or reason in caplog.text
        assert verification.events > 0
        assert verification.macs_checked
    cli_result = runner.invoke(cli, ["audit", "verify", "--db", db.url], env=audit_key_only(keys))
    assert cli_result.exit_code == 1, cli_result.output
    assert "snapshot: " in cli_result.stderr
    assert "snapshot rows rejected" in cli_result.stderr


def assert_verified_once_removed(app: OnePlan, db: Database, keys: Keys) -> None:
    """The documented remedy: delete the snapshot rows; verification is intact again."""
    delete_all(db)
    for verification in (app.verify_audit(), verify_read_only(db.url, audit_key=keys.audit_key)):
        assert verification.intact, verification.summary()
        assert verification.snapshots == 0


# --- the tamperings ----------------------------------------------------------------------


def test_a_plaintext_row_written_without_any_key_is_not_the_plans_state(
    app: OnePlan, database: Database, caplog: pytest.LogCaptureFixture, keys: Keys
) -> None:
    plan = a_plan_of(app, 5)
    head = len(record(app).history(plan))
    assert head not in rows_of(app, plan)  # the forged row is the newest
    insert(database, plaintext_row(forged_plan(app, plan, head)))

    with caplog.at_level(logging.WARNING, logger="oneplan.application"):
        read = read_cold(app, plan)

        assert read == folded(app, plan)
        assert read["status"] is PlanStatus.ACTIVE
        assert FORGED_GOAL not in read["goals"]
        # decided on the true state: a completed plan takes no goal, an unknown goal no
        # progress
        app._cache.clear()
        acting(app, ANNE).set_goal(plan_id=plan, description="decided on the true state")
        app._cache.clear()
        with pytest.raises(GoalNotFound):
            acting(app, ANNE).record_goal_progress(
                plan_id=plan,
                goal_id=FORGED_GOAL,
                achievement=AchievementStatus.IMPROVING,
                note="on a forged goal",
            )
    assert read_cold(app, plan)["_version"] == head + 1
    assert_reported(app, caplog, plan, head, "carries no MAC", database, keys)
    assert_verified_once_removed(app, database, keys)


@pytest.mark.parametrize("signed", [False, True], ids=["plaintext", "signed-with-the-key"])
def test_a_row_claiming_version_500_is_never_used_and_the_next_write_follows_the_log(
    app: OnePlan,
    database: Database,
    caplog: pytest.LogCaptureFixture,
    keys: Keys,
    signed: bool,
) -> None:
    """Plaintext, it fails for want of a MAC; signed with the key (an insider, or a row
    left after events were cut off), its version lies beyond the stream's last event."""
    plan = a_plan_of(app, 4)
    head = len(record(app).history(plan))
    snapshot = forged_plan(app, plan, 500)
    row = plaintext_row(snapshot)
    if signed:
        authenticator = mapper_of(app).authenticator
        assert authenticator is not None
        row = authenticator.sign(mapper_of(app).inner.to_stored_event(snapshot))
    insert(database, row)

    with caplog.at_level(logging.WARNING, logger="oneplan.application"):
        assert read_cold(app, plan) == folded(app, plan)
        app._cache.clear()
        acting(app, ANNE).set_goal(plan_id=plan, description="the next write")

    assert [e.originator_version for e in record(app).history(plan)] == list(range(1, head + 2))
    assert_reported(
        app,
        caplog,
        plan,
        500,
        "beyond its stream's last event" if signed else "carries no MAC",
        database,
        keys,
    )
    assert_verified_once_removed(app, database, keys)


def test_recorded_until_moved_back_does_not_change_an_as_of_read(
    app: OnePlan, database: Database, caplog: pytest.LogCaptureFixture, keys: Keys
) -> None:
    plan = a_plan_of(app, 4)
    history = record(app).history(plan)
    as_of = history[1].timestamp  # the snapshot at version 2 holds exactly what it holds
    genuine = rows_of(app, plan)[4]
    later = mapper_of(app).inner.to_domain_event(mapper_of(app).authentic(genuine))
    assert isinstance(later, AggregateSnapshot)
    assert later.recorded_until > as_of
    moved = re.sub(
        rb'"recorded_until":"[^"]*"',
        f'"recorded_until":"{as_of.isoformat()}"'.encode(),
        bytes(genuine.state),
    )
    assert moved != bytes(genuine.state)
    update_state(database, plan, 4, moved)

    with caplog.at_level(logging.WARNING, logger="oneplan.application"):
        read = read_cold(app, plan, as_of=as_of)

    assert read == folded(app, plan, as_of=as_of)
    assert read["_version"] == 2  # the moved snapshot would have given version 4
    assert_reported(app, caplog, plan, 4, "fails authentication", database, keys)
    assert_verified_once_removed(app, database, keys)


def test_a_row_copied_from_another_stream_is_not_the_plans_state(
    app: OnePlan, database: Database, caplog: pytest.LogCaptureFixture, keys: Keys
) -> None:
    plan, other = a_plan_of(app, 4), a_plan_of(app, 4)
    update_state(database, plan, 4, bytes(rows_of(app, other)[4].state))

    with caplog.at_level(logging.WARNING, logger="oneplan.application"):
        read = read_cold(app, plan)

    assert read == folded(app, plan)
    assert read["_id"] == plan
    assert_reported(app, caplog, plan, 4, "fails authentication", database, keys)
    assert_verified_once_removed(app, database, keys)


def test_a_state_replaced_under_its_old_mac_is_not_the_plans_state(
    app: OnePlan, database: Database, caplog: pytest.LogCaptureFixture, keys: Keys
) -> None:
    plan = a_plan_of(app, 4)
    genuine = bytes(rows_of(app, plan)[4].state)
    forged = bytes(plaintext_row(forged_plan(app, plan, 4)).state)
    mac_ends = genuine.index(b"{")  # the MAC stays, the state after it is the forger's
    update_state(database, plan, 4, genuine[:mac_ends] + forged)

    with caplog.at_level(logging.WARNING, logger="oneplan.application"):
        read = read_cold(app, plan)
        assert read == folded(app, plan)
        assert read["status"] is PlanStatus.ACTIVE
        assert FORGED_GOAL not in read["goals"]
        app._cache.clear()  # on the forged (completed) plan this is refused
        acting(app, ANNE).set_goal(plan_id=plan, description="decided on the true state")

    assert_reported(app, caplog, plan, 4, "fails authentication", database, keys)
    assert_verified_once_removed(app, database, keys)


# --- old databases and unkeyed ones ------------------------------------------------------


def test_a_row_from_before_snapshots_were_authenticated_is_ignored_and_retaken(
    app: OnePlan, database: Database, caplog: pytest.LogCaptureFixture, keys: Keys
) -> None:
    """A row as oneplan wrote it before (sealed, no MAC) is untrusted like any other:
    never read as state; the next snapshot of the stream is authenticated."""
    plan = a_plan_of(app, 3)
    assert app.snapshots is not None
    genuine = mapper_of(app).inner.to_stored_event(
        AggregateSnapshot.of(record(app).plan(plan), record(app).plan(plan).modified_on)
    )
    insert(database, genuine)  # at version 3: between the interval's snapshots

    with caplog.at_level(logging.WARNING, logger="oneplan.application"):
        assert read_cold(app, plan) == folded(app, plan)
        app._cache.clear()
        acting(app, ANNE).set_goal(plan_id=plan, description="the fourth event")

    assert_reported(app, caplog, plan, 3, "carries no MAC", database, keys)
    mapper_of(app).authentic(rows_of(app, plan)[4])  # re-taken, authenticated
    with pytest.raises(SnapshotRejected, match="carries no MAC"):
        mapper_of(app).authentic(rows_of(app, plan)[3])


def test_a_database_file_without_any_key_reads_no_snapshots(sqlite_url: str) -> None:
    """Nothing could tell oneplan's rows from anyone's: its snapshots are off."""
    env = {**env_for_url(sqlite_url), "ONEPLAN_SNAPSHOT_INTERVAL": "1"}
    with OnePlan(env, keys=Keys()) as app:
        plan = a_plan_of(app, 3)
        assert app.snapshots is None
        assert read_cold(app, plan) == folded(app, plan)
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    assert "stored_snapshots" not in tables


def test_every_genuine_row_verifies_and_is_used(
    app: OnePlan, database: Database, keys: Keys
) -> None:
    plan = a_plan_of(app, 6)
    snapshot = app._snapshot(plan, None)

    assert snapshot is not None
    assert snapshot.originator_version == 6
    assert app.snapshots_rejected == 0
    verification = app.verify_audit()
    assert verification.intact, verification.summary()
    assert verification.snapshots == len(rows_of(app, plan)) == 3
    assert "3 snapshot rows authenticated" in verification.summary()
    by_auditor = verify_read_only(database.url, audit_key=keys.audit_key)
    assert by_auditor.intact, by_auditor.summary()
    assert by_auditor.snapshots == 3
