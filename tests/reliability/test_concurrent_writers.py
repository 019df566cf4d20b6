"""Several OS processes send commands to the same plans at once, on a SQLite file and on
PostgreSQL, while a projection runner tails the log: no acknowledged command is lost or
applied twice, every conflict is retried or reported as ``ConcurrencyConflict``, the
log's notification ids only grow, and the tailing runner misses nothing.

On SQLite a writer that finds the database locked waits up to the lock timeout
(``BEGIN IMMEDIATE``) rather than failing at once, and past the timeout fails with a
typed error having stored nothing.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from oneplan import Keys, OnePlan, StorageError
from oneplan.persistence import env_for_url
from tests.builders import ANNE, acting, record, system
from tests.reliability.workers import (
    FIRST_TAG,
    context,
    notification_ids,
    prepare,
    racing_writer,
    read_report,
    rebuilt,
    receipt_of,
    register_staff,
    registering,
    runner,
    tag_of_fact,
    tags_in,
    views_of,
    wait_for,
)

WRITERS = 3
COMMANDS = 40
"""Commands per writer."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest) -> str:
    """A database several processes can share."""
    return str(request.getfixturevalue(f"{request.param}_url"))


def test_writers_in_several_processes_lose_nothing_and_a_tailing_runner_misses_nothing(
    shared_url: str, tmp_path: Path
) -> None:
    keys = Keys.generate()
    with OnePlan.open(shared_url, keys=keys) as app:
        shared = prepare(app)
    ctx = context()
    start = ctx.Event()
    stop = tmp_path / "stop"
    tail = ctx.Process(
        target=runner,
        args=(shared_url, keys, str(tmp_path / "runner.jsonl"), 3),
        kwargs={"stop_path": str(stop)},
    )
    writers = [
        ctx.Process(
            target=racing_writer,
            args=(
                shared_url,
                keys,
                shared,
                str(tmp_path / f"writer{n}.jsonl"),
                n,
                FIRST_TAG * (n + 1),
                COMMANDS,
                start,
            ),
        )
        for n in range(WRITERS)
    ]
    tail.start()
    for process in writers:
        process.start()
    wait_for(tmp_path / "runner.jsonl", "ready")
    start.set()
    for process in writers:
        process.join(180)
    stop.touch()
    tail.join(180)
    assert [p.exitcode for p in (*writers, tail)] == [0] * (WRITERS + 1)

    tallies = [read_report(tmp_path / f"writer{n}.jsonl")[0]["tally"] for n in range(WRITERS)]
    acks = [fact for t in tallies for fact in t["acks"]]
    conflicts = [fact for t in tallies for fact in t["conflicts"]]
    assert [t["errors"] for t in tallies] == [[]] * WRITERS
    assert len(acks) + len(conflicts) == WRITERS * COMMANDS
    # the writers did race: some writes lost to another writer and were decided again
    assert sum(t["store_conflicts"] + t["retried"] for t in tallies) > 0
    # a revision is refused at its first conflict; the others are decided again first
    assert all(
        fact["attempts"] == (1 if fact["kind"] == "revision" else 1 + OnePlan.max_retries)
        for fact in conflicts
    )

    reported = read_report(tmp_path / "runner.jsonl")
    with OnePlan.open(shared_url, keys=keys) as app:
        # every acknowledged command is stored once, with its receipt; a refused one not at all
        stored = tags_in(app)
        assert set(stored.values()) == {1}
        assert set(stored) == {tag_of_fact(fact) for fact in acks}
        for fact in acks:
            receipt = receipt_of(app, fact["body"]["command_id"])
            assert receipt is not None
            assert receipt.result == fact["result"]
        assert not any(receipt_of(app, fact["body"]["command_id"]) for fact in conflicts)

        # notification ids only grow, each writer's in its own order, none shared
        ids = notification_ids(app)
        assert ids == sorted(set(ids))
        positions = [p for t in tallies for p in t["positions"]]
        assert all(t["positions"] == sorted(t["positions"]) for t in tallies)
        assert len(set(positions)) == len(positions)
        assert set(positions) <= set(ids)

        # the runner read every id, in order, and its views are those folded from zero
        seen = [i for fact in reported if "ids" in fact for i in fact["ids"]]
        assert seen == ids
        assert reported[-1] == {"done": ids[-1]}
        app.views.catch_up()
        assert app.views.position == ids[-1]
        assert views_of(app.views) == rebuilt(app)

        assert app.verify_audit().intact


def test_processes_registering_one_cpr_number_at_once_register_one_citizen(
    shared_url: str, tmp_path: Path
) -> None:
    keys = Keys.generate()
    with OnePlan.open(shared_url, keys=keys) as app:
        register_staff(app)  # (once, before the registrars start)
    cprs = [f"0101{year:02d}1234" for year in range(80, 92)]
    ctx = context()
    start = ctx.Event()
    processes = [
        ctx.Process(
            target=registering,
            args=(shared_url, keys, cprs, start, str(tmp_path / f"registrar{n}.jsonl")),
        )
        for n in range(WRITERS)
    ]
    for process in processes:
        process.start()
    start.set()
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0] * WRITERS

    facts = [fact for n in range(WRITERS) for fact in read_report(tmp_path / f"registrar{n}.jsonl")]
    assert [fact for fact in facts if "unexpected" in fact] == []
    registered = Counter(fact["cpr"] for fact in facts if "citizen" in fact)
    assert registered == Counter(cprs)  # each number once: the others were refused
    assert {fact["error"] for fact in facts if "error" in fact} <= {
        "InvalidInput",  # is already registered
        "ConcurrencyConflict",  # another registration of it is not saved yet
    }
    with OnePlan.open(shared_url, keys=keys) as app:
        for fact in facts:
            if "citizen" in fact:
                assert system(app).citizen_by_cpr(fact["cpr"]) == UUID(fact["citizen"])


# --- SQLite: a busy database is waited for, up to the timeout -------------------------


def hold_write_lock(path: str, report_path: str, seconds: float, until: str | None) -> None:
    """Another program holding SQLite's write lock for ``seconds`` (or, given ``until``,
    until that file exists), then letting go."""
    from tests.reliability.workers import Report

    report = Report(report_path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    report.write(locked=time.monotonic())
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (until and os.path.exists(until)):
        time.sleep(0.01)
    released = time.monotonic()
    db.execute("COMMIT")
    report.write(released=released)


def count_events(app: OnePlan) -> int:
    return len(notification_ids(app))


def locked_for(tmp_path: Path, path: str, seconds: float, until: Path | None = None) -> Any:
    process = context().Process(
        target=hold_write_lock,
        args=(path, str(tmp_path / "lock.jsonl"), seconds, until and str(until)),
    )
    process.start()
    wait_for(tmp_path / "lock.jsonl", "locked")
    return process


def test_a_writer_waits_for_another_that_holds_the_sqlite_write_lock_less_than_the_timeout(
    sqlite_url: str, tmp_path: Path
) -> None:
    with OnePlan.open(sqlite_url) as app:
        anne = acting(app, ANNE)  # (registered in the staff directory before the lock)
        before = count_events(app)
        holder = locked_for(tmp_path, env_for_url(sqlite_url)["SQLITE_DBNAME"], 1.0)

        citizen = anne.register_citizen(name="Mette", birth_date="1984-05-02")
        returned = time.monotonic()

        holder.join(30)
        released = wait_for(tmp_path / "lock.jsonl", "released")["released"]
        assert returned > released  # it waited for the lock, and then wrote
        assert count_events(app) == before + 1
        assert record(app).citizen(citizen).name == "Mette"


@pytest.mark.parametrize(
    ("keys", "cpr"),
    [(Keys(), None), (Keys.generate(), "0205841234")],
    ids=["events", "key-store"],  # with keys, the data key and the CPR claim come first
)
def test_a_writer_that_waits_past_the_sqlite_lock_timeout_fails_typed_and_stores_nothing(
    sqlite_url: str, tmp_path: Path, keys: Keys, cpr: str | None
) -> None:
    env = {**env_for_url(sqlite_url), "SQLITE_LOCK_TIMEOUT": "1"}
    with OnePlan(env, keys=keys) as app:
        anne = acting(app, ANNE)  # (registered in the staff directory before the lock)
        before = count_events(app)
        release = tmp_path / "release"
        holder = locked_for(tmp_path, env["SQLITE_DBNAME"], 60.0, until=release)
        command_id = uuid4()

        with pytest.raises(StorageError, match="locked"):
            anne.register_citizen(
                name="Mette", birth_date="1984-05-02", cpr=cpr, command_id=command_id
            )
        failed = time.monotonic()

        release.touch()
        holder.join(30)
        assert failed < wait_for(tmp_path / "lock.jsonl", "released")["released"]
        assert count_events(app) == before
        # the same command, sent again once the lock is free, takes effect once
        citizen = anne.register_citizen(
            name="Mette", birth_date="1984-05-02", cpr=cpr, command_id=command_id
        )
        assert count_events(app) == before + 2  # the registration and its receipt
        assert Counter(type(e).__name__ for e in record(app).history(citizen)) == {"Registered": 1}
        if cpr is not None:
            assert system(app).citizen_by_cpr(cpr) == citizen


def test_a_runner_that_waits_past_the_sqlite_lock_timeout_fails_typed_and_folds_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    env = {**env_for_url(sqlite_url), "SQLITE_LOCK_TIMEOUT": "1"}
    with OnePlan(env) as app:
        acting(app, ANNE).register_citizen(name="Mette", birth_date="1984-05-02")
        app.views.catch_up()
        jonas = acting(app, ANNE).register_citizen(name="Jonas", birth_date="2010-03-09")
        position = app.views.position
        release = tmp_path / "release"
        holder = locked_for(tmp_path, env["SQLITE_DBNAME"], 60.0, until=release)

        with pytest.raises(StorageError, match="locked"):
            app.views.catch_up()

        release.touch()
        holder.join(30)
        assert app.views.position == position
        assert app.views.get("journey", jonas) is None
        assert app.views.catch_up() == 1
        assert app.views.get("journey", jonas) is not None
