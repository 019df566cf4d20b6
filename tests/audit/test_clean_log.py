"""No false alarm: a clean log of 100,000 events, written through the real recorder in
large batches, verifies intact; so does a PostgreSQL log of 5,000."""

from __future__ import annotations

import random
import uuid

import pytest
from eventsourcing.persistence import StoredEvent

from oneplan import Keys, OnePlan
from oneplan.audit import VerificationStatus
from tests.audit.logs import TOPICS


def _write(app: OnePlan, events: int, *, batch: int, streams: int, seed: str) -> None:
    """``events`` events over ``streams`` streams in random order, ``batch`` per write."""
    rng = random.Random(seed)
    ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(streams)]
    versions = [0] * streams
    pad = rng.randbytes(120).hex().encode()
    pending: list[StoredEvent] = []
    for n, which in enumerate(rng.choices(range(streams), k=events)):
        versions[which] += 1
        state = b'{"n":%d,"pad":"%s"}' % (n, pad)
        pending.append(StoredEvent(ids[which], versions[which], TOPICS[n % 4], state))
        if len(pending) == batch:
            app.recorder.insert_events(pending)
            pending = []
    if pending:
        app.recorder.insert_events(pending)


def test_a_clean_log_of_100000_events_verifies_intact(sqlite_url: str) -> None:
    with OnePlan.open(sqlite_url, keys=Keys.generate()) as app:
        _write(app, 100_000, batch=5_000, streams=20_000, seed="clean")
        seen: list[int] = []

        result = app.verify_audit(progress=lambda done, total: seen.append(done))

    assert result.status is VerificationStatus.INTACT, result.summary()
    assert (result.events, result.chained, result.last_position) == (100_000, 100_000, 100_000)
    assert seen[-1] == 100_000


@pytest.mark.postgres
def test_a_clean_postgresql_log_of_5000_events_verifies_intact(postgres_url: str) -> None:
    with OnePlan.open(postgres_url, keys=Keys.generate()) as app:
        _write(app, 5_000, batch=1_000, streams=800, seed="clean-pg")

        result = app.verify_audit()

    assert result.status is VerificationStatus.INTACT, result.summary()
    assert (result.events, result.chained) == (5_000, 5_000)
