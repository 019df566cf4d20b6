"""The chain as the recorders write it, on memory, SQLite and PostgreSQL: written with
the events or not at all, refused without the right key, started on purpose on a record
that predates it, kept in order by concurrent writers."""

from __future__ import annotations

import hmac
import threading
from datetime import date
from uuid import uuid4

import attrs
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from oneplan import Keys, OnePlan
from oneplan.audit import ChainKey, VerificationStatus
from oneplan.audit.chain import KEY_CHECK_TEXT
from oneplan.demo import run_demo
from oneplan.errors import (
    AuditChainNotStarted,
    AuditKeyMismatch,
    AuditKeyRequired,
)
from oneplan.recorders import AuditedRecorder
from tests.builders import ANNE, acting, officer


def _citizen(app: OnePlan, name: str = "Mette") -> None:
    acting(app, ANNE).register_citizen(name=name, birth_date=date(1984, 5, 2))


def test_the_chain_key_is_hmac_sha256_of_the_audit_key() -> None:
    raw = Keys.generate().audit_key
    assert raw is not None
    key = ChainKey(raw)

    assert key.mac(b"one ", b"two") == hmac.digest(raw, b"one two", "sha256")
    assert key.check == hmac.digest(raw, KEY_CHECK_TEXT, "sha256")
    assert key.key_id == key.check[:8].hex()
    assert "key_id" in repr(key)
    assert raw.hex() not in repr(key)


def test_every_event_of_the_demo_is_chained_and_verifies(audited: OnePlan) -> None:
    run_demo(audited, lambda _: None)

    result = audited.verify_audit()

    assert result.status is VerificationStatus.INTACT, result.summary()
    assert result.chained == result.events == audited.recorder.max_notification_id()
    assert result.chain_after == 0
    assert result.key_id == ChainKey(audited.keys.audit_key or b"").key_id


def test_a_refused_write_leaves_no_chain_entry_and_the_chain_goes_on(audited: OnePlan) -> None:
    _citizen(audited)
    recorder = audited.recorder
    stream = uuid4()
    recorder.insert_events([StoredEvent(stream, 1, "t:T", b"{}")])
    before = recorder.last_chain_entry()  # type: ignore[attr-defined]

    with pytest.raises(IntegrityError):  # version 1 again: the whole write is refused
        recorder.insert_events(
            [StoredEvent(uuid4(), 1, "t:T", b"{}"), StoredEvent(stream, 1, "t:T", b"{}")]
        )
    assert recorder.last_chain_entry() == before  # type: ignore[attr-defined]

    recorder.insert_events([StoredEvent(stream, 2, "t:T", b"{}")])
    _citizen(audited, "Jonas")
    assert audited.verify_audit().status is VerificationStatus.INTACT


def test_without_a_key_nothing_is_chained_and_verify_says_so(storage_url: str) -> None:
    with OnePlan.open(storage_url, keys=Keys()) as app:
        assert app.verify_audit().status is VerificationStatus.INTACT  # empty: nothing to hide
        _citizen(app)

        result = app.verify_audit()

    assert result.status is VerificationStatus.UNVERIFIED
    assert "no audit chain" in result.summary()


def test_a_key_without_the_chain_cannot_make_an_anchor(storage_url: str) -> None:
    with OnePlan.open(storage_url, keys=Keys()) as app:
        _citizen(app)
        with pytest.raises(AuditKeyRequired):
            app.make_audit_anchor()


def test_verify_without_the_key_checks_the_structure_only(audited: OnePlan) -> None:
    _citizen(audited)
    recorder = audited.recorder
    assert isinstance(recorder, AuditedRecorder)
    key = recorder.audit_key
    recorder.audit_key = None
    try:
        result = audited.verify_audit()
    finally:
        recorder.audit_key = key

    assert result.status is VerificationStatus.UNVERIFIED
    assert not result.macs_checked
    assert "MACs were not checked" in result.summary()


# --- refusals: on a shared database ------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


def test_once_chained_a_record_refuses_writers_without_the_key(shared_url: str) -> None:
    keys = Keys.generate()
    with OnePlan.open(shared_url, keys=keys) as app:
        _citizen(app)
        count = app.recorder.max_notification_id()

    with OnePlan.open(shared_url, keys=attrs.evolve(keys, audit_key=None)) as keyless:
        with pytest.raises(AuditKeyRequired):
            _citizen(keyless, "Jonas")
        assert keyless.recorder.max_notification_id() == count


def test_a_chained_record_refuses_another_key(shared_url: str) -> None:
    keys = Keys.generate()
    with OnePlan.open(shared_url, keys=keys) as app:
        _citizen(app)
        count = app.recorder.max_notification_id()

    another = attrs.evolve(keys, audit_key=Keys.generate().audit_key)
    with OnePlan.open(shared_url, keys=another) as other:
        with pytest.raises(AuditKeyMismatch) as refused:
            _citizen(other, "Jonas")
        assert other.recorder.max_notification_id() == count
        assert refused.value.chain_key_id != refused.value.configured_key_id


def test_a_record_that_predates_the_chain_starts_it_on_purpose(shared_url: str) -> None:
    keys = Keys.generate()
    with OnePlan.open(shared_url, keys=attrs.evolve(keys, audit_key=None)) as old:
        officer(old)  # (the staff directory: Anne and the key custodian, then two citizens)
        acting(old, ANNE)
        staff = old.recorder.max_notification_id()
        _citizen(old)
        _citizen(old, "Jonas")
    last = staff + 2

    with OnePlan.open(shared_url, keys=keys) as app:
        with pytest.raises(AuditChainNotStarted) as refused:
            _citizen(app, "Karin")
        assert refused.value.position == last

        assert officer(app).start_audit_chain() == last
        assert officer(app).start_audit_chain() == last  # once started, it stays there
        _citizen(app, "Karin")
        result = app.verify_audit()

    assert result.status is VerificationStatus.INTACT, result.summary()
    assert (result.chain_after, result.chained, result.events) == (last, 1, last + 1)
    assert f"positions 1-{last} predate the chain" in result.summary()


def test_concurrent_writers_keep_one_chain_in_order(shared_url: str) -> None:
    keys = Keys.generate()
    with OnePlan.open(shared_url, keys=keys) as app:
        _citizen(app)  # (Anne in the staff directory, and a citizen)
        first = app.recorder.max_notification_id()
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            with OnePlan.open(shared_url, keys=keys) as writer:
                for n in range(15):
                    _citizen(writer, f"{name} {n}")
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    with OnePlan.open(shared_url, keys=keys) as app:
        result = app.verify_audit()
    assert result.status is VerificationStatus.INTACT, result.summary()
    assert result.chained == first + 45


@pytest.mark.postgres
def test_gaps_in_postgresql_positions_do_not_break_the_chain(postgres_url: str) -> None:
    with OnePlan.open(postgres_url, keys=Keys.generate()) as app:
        stream = uuid4()
        app.recorder.insert_events([StoredEvent(stream, 1, "t:T", b"{}")])
        with pytest.raises(IntegrityError):  # takes positions from the sequence, then fails
            app.recorder.insert_events(
                [StoredEvent(uuid4(), 1, "t:T", b"{}"), StoredEvent(stream, 1, "t:T", b"{}")]
            )
        app.recorder.insert_events([StoredEvent(stream, 2, "t:T", b"{}")])

        result = app.verify_audit()

    assert result.status is VerificationStatus.INTACT, result.summary()
    assert (result.chained, result.last_position) == (2, 4)


@pytest.mark.postgres
def test_the_documented_append_only_triggers_keep_the_chain_written_and_unchanged(
    postgres_url: str,
) -> None:
    import psycopg

    from tests.conftest import POSTGRES_URL
    from tests.integration.test_operations_recipes import _append_only_sql

    schema = postgres_url.rsplit("schema=", 1)[1]
    keys = Keys.generate()
    with OnePlan.open(postgres_url, keys=keys) as app:
        _citizen(app)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as db:
        db.execute(_append_only_sql(schema))  # type: ignore[arg-type]

    with OnePlan.open(postgres_url, keys=keys) as app:
        _citizen(app, "Jonas")
        assert app.verify_audit().status is VerificationStatus.INTACT

    with psycopg.connect(POSTGRES_URL, autocommit=True) as db:
        for statement in (
            f'UPDATE "{schema}".oneplan_audit_chain SET seq = seq',
            f'DELETE FROM "{schema}".oneplan_audit_chain',
            f'TRUNCATE "{schema}".oneplan_audit_chain',
            f'UPDATE "{schema}".oneplan_audit_meta SET value = value',
        ):
            with pytest.raises(psycopg.errors.RaiseException, match="never changed"):
                db.execute(statement)  # type: ignore[arg-type]
