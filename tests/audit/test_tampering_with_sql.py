"""Tampering as someone with database access would do it: SQL on a SQLite file and on a
PostgreSQL schema, one of each kind; verification names the first broken position and
what is wrong."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from oneplan import Keys, OnePlan
from oneplan.audit import Anchor, Breach, ChainKey, VerificationStatus
from oneplan.audit.chain import StoredRow, link

STREAMS = [UUID(int=n) for n in range(1, 6)]
TOPIC = "oneplan.aggregates.plan:Plan.GoalSet"


@dataclass
class Database:
    url: str
    sql: Callable[..., list[tuple[object, ...]]]
    events: str
    position: str
    chain: str
    meta: str
    blob: Callable[[str], str]
    """SQL appending a space to a blob column."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    url = str(request.getfixturevalue(f"{request.param}_url"))
    if request.param == "sqlite":
        path = url.removeprefix("sqlite:///")

        def run_sqlite(statement: str, *params: object) -> list[tuple[object, ...]]:
            with sqlite3.connect(path) as db:
                return db.execute(statement, params).fetchall()

        yield Database(
            url,
            run_sqlite,
            "stored_events",
            "rowid",
            "oneplan_audit_chain",
            "oneplan_audit_meta",
            lambda column: f"CAST(CAST({column} AS TEXT) || ' ' AS BLOB)",
        )
        return
    import psycopg

    schema = parse_qs(urlsplit(url).query)["schema"][0]
    base = url.split("?")[0]

    def run_postgres(statement: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(base, autocommit=True) as db:
            cursor = db.execute(statement.replace("%", "%%").replace("?", "%s"), params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    yield Database(
        url,
        run_postgres,
        f'"{schema}".oneplan_events',
        "notification_id",
        f'"{schema}".oneplan_audit_chain',
        f'"{schema}".oneplan_audit_meta',
        lambda column: f"{column} || '\\x20'::bytea",
    )


@pytest.fixture
def record(database: Database, keys: Keys) -> tuple[Database, Anchor]:
    """40 chained events over 5 streams, written 5 at a time, and an anchor of them."""
    with OnePlan.open(database.url, keys=keys) as app:
        versions = dict.fromkeys(STREAMS, 0)
        for batch in range(8):
            events = []
            for n in range(5):
                stream = STREAMS[(batch + n * 2) % 5]
                versions[stream] += 1
                state = b'{"batch":%d,"n":%d}' % (batch, n)
                events.append(StoredEvent(stream, versions[stream], TOPIC, state))
            app.recorder.insert_events(events)
        return database, app.make_audit_anchor()


def _verify(database: Database, keys: Keys, anchor: Anchor | None = None) -> tuple[int, Breach]:
    with OnePlan.open(database.url, keys=keys) as app:
        result = app.verify_audit(anchor=anchor)
    assert result.status is VerificationStatus.BROKEN, result.summary()
    assert result.finding is not None
    return result.finding.position, result.finding.breach


def test_a_clean_record_verifies_intact_against_its_anchor(
    record: tuple[Database, Anchor], keys: Keys
) -> None:
    database, anchor = record
    with OnePlan.open(database.url, keys=keys) as app:
        assert app.verify_audit(anchor=anchor).status is VerificationStatus.INTACT


def test_an_event_modified_with_sql_is_named(record: tuple[Database, Anchor], keys: Keys) -> None:
    db, _ = record
    db.sql(f"UPDATE {db.events} SET state = {db.blob('state')} WHERE {db.position} = 10")

    assert _verify(db, keys) == (10, Breach.MODIFIED)


def test_an_event_deleted_with_sql_is_named(record: tuple[Database, Anchor], keys: Keys) -> None:
    db, _ = record
    db.sql(f"DELETE FROM {db.events} WHERE {db.position} = 12")

    assert _verify(db, keys) == (12, Breach.DELETED)


def test_an_event_deleted_with_its_chain_entry_is_named(
    record: tuple[Database, Anchor], keys: Keys
) -> None:
    db, _ = record
    db.sql(f"DELETE FROM {db.events} WHERE {db.position} = 12")
    db.sql(f"DELETE FROM {db.chain} WHERE notification_id = 12")

    assert _verify(db, keys) == (13, Breach.DELETED)


def test_an_event_inserted_with_sql_is_named(record: tuple[Database, Anchor], keys: Keys) -> None:
    db, _ = record
    db.sql(
        f"INSERT INTO {db.events} (originator_id, originator_version, topic, state) "
        f"SELECT originator_id, originator_version + 100, topic, state FROM {db.events} "
        f"WHERE {db.position} = 5"
    )
    (inserted,) = db.sql(f"SELECT MAX({db.position}) FROM {db.events}")[0]

    assert _verify(db, keys) == (inserted, Breach.INSERTED)


def test_events_reordered_with_sql_are_named(record: tuple[Database, Anchor], keys: Keys) -> None:
    db, _ = record
    for source, target in ((7, -1), (8, 7), (-1, 8)):
        db.sql(f"UPDATE {db.events} SET {db.position} = ? WHERE {db.position} = ?", target, source)

    assert _verify(db, keys) == (7, Breach.REORDERED)


def test_an_event_moved_to_another_stream_is_named(
    record: tuple[Database, Anchor], keys: Keys
) -> None:
    db, _ = record
    db.sql(
        f"UPDATE {db.events} SET originator_id = (SELECT originator_id FROM {db.events} "
        f"WHERE {db.position} = 1), originator_version = 99 WHERE {db.position} = 20"
    )

    assert _verify(db, keys) == (20, Breach.MOVED)


def test_a_tail_cut_off_with_sql_is_named_with_the_anchor(
    record: tuple[Database, Anchor], keys: Keys
) -> None:
    db, anchor = record
    db.sql(f"DELETE FROM {db.events} WHERE {db.position} > 37")
    db.sql(f"DELETE FROM {db.chain} WHERE notification_id > 37")

    with OnePlan.open(db.url, keys=keys) as app:
        assert app.verify_audit().status is VerificationStatus.INTACT  # the known limit
    assert _verify(db, keys, anchor) == (38, Breach.TRUNCATED)


def test_a_log_rechained_without_the_key_is_named(
    record: tuple[Database, Anchor], keys: Keys
) -> None:
    db, _ = record
    db.sql(f"UPDATE {db.events} SET state = {db.blob('state')} WHERE {db.position} = 15")
    with OnePlan.open(db.url, keys=keys) as app:
        rows = app.recorder.chain_rows(0, 100)  # type: ignore[attr-defined]
    heads = {bytes(r[1]).decode(): bytes(r[6]) for r in rows if r[0] < 15}
    head = next((r[5], bytes(r[6])) for r in rows if r[0] == 14)
    own = ChainKey(Keys.generate().audit_key or b"")
    stored = [
        StoredRow(r[0], bytes(r[1]).decode(), r[2], bytes(r[3]).decode(), bytes(r[4]))
        for r in rows
        if r[0] >= 15
    ]
    for entry in link(own, head, heads, stored):
        db.sql(
            f"UPDATE {db.chain} SET mac = ? WHERE notification_id = ?", entry.mac, entry.position
        )

    assert _verify(db, keys) == (15, Breach.RECHAINED)


def test_a_chain_whose_key_check_was_replaced_is_named(
    record: tuple[Database, Anchor], keys: Keys
) -> None:
    db, _ = record
    other = ChainKey(Keys.generate().audit_key or b"")
    db.sql(f"UPDATE {db.meta} SET value = ? WHERE name = 'key_check'", other.check.hex())

    assert _verify(db, keys) == (1, Breach.RECHAINED)


def test_a_chain_whose_metadata_was_removed_is_named(
    record: tuple[Database, Anchor], keys: Keys
) -> None:
    db, _ = record
    db.sql(f"DELETE FROM {db.meta}")

    assert _verify(db, keys) == (1, Breach.MALFORMED)
