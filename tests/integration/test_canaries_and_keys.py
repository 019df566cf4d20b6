"""Canaries (a name, a CPR number, a note) planted in one citizen's data are nowhere in the
database's files or tables after erasure and a replay; the plaintext of events and of
snapshots was never written at all, and the erased citizen's snapshots no longer open.
A sealed part moved to another row fails; a wrong or missing master key is a clear error
at open; rotating the master key wraps the data keys again and leaves every event as it
was."""

from __future__ import annotations

import base64
import sqlite3
from datetime import date
from pathlib import Path
from typing import cast
from uuid import UUID

import pytest
from typer.testing import CliRunner

from oneplan import Keys, OnePlan
from oneplan.cli import app as cli
from oneplan.errors import CiphertextRejected, MasterKeyMismatch, MasterKeyMissing
from oneplan.snapshots import AggregateSnapshot
from tests.builders import ANNE, acting, officer, record, system
from tests.conftest import FixedClock
from tests.integration.test_privacy import (
    AFTER_RETENTION,
    CPR,
    NAME,
    NOTE,
    OTHER_CPR,
    OTHER_NAME,
    archive,
    case_file,
)

CANARIES = (NAME.encode(), CPR.encode(), b"010190-1234", NOTE.encode())


def key_env(keys: Keys) -> dict[str, str]:
    return {
        variable: base64.urlsafe_b64encode(getattr(keys, field)).decode()
        for field, variable in Keys.VARIABLES.items()
    }


def files_of(path: Path) -> bytes:
    """The database file and whatever SQLite keeps beside it (WAL, shared memory)."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


def usable_snapshots(app: OnePlan, stream_id: UUID) -> list[bool]:
    """Whether each stored snapshot of the stream still opens."""
    assert app.snapshots is not None
    return [
        cast(AggregateSnapshot, app.snapshots.mapper.to_domain_event(s)).usable
        for s in app.snapshots.recorder.select_events(stream_id)
    ]


def test_canaries_are_nowhere_in_the_sqlite_files_after_erasure_and_a_replay(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONEPLAN_SNAPSHOT_INTERVAL", "1")  # a snapshot after every event
    path = tmp_path / "oneplan.db"
    url, keys = f"sqlite:///{path}", Keys.generate()
    with OnePlan.open(url, clock=clock, keys=keys) as app:
        citizen, plan = case_file(app)
        other, other_plan = case_file(app, name=OTHER_NAME, cpr=OTHER_CPR, note="other note")
        app.views.catch_up()
        archive(app, plan)
        db = sqlite3.connect(path)
        events = b"".join(bytes(r[0]) for r in db.execute("SELECT state FROM stored_events"))
        views = b"".join(bytes(r[0]) for r in db.execute("SELECT state FROM oneplan_view_plan"))
        snapshots = b"".join(bytes(r[0]) for r in db.execute("SELECT state FROM stored_snapshots"))
        db.close()
        assert not [c for c in CANARIES if c in events]  # never written in plaintext
        assert snapshots
        assert not [c for c in CANARIES if c in snapshots]
        assert all(usable_snapshots(app, plan))
        assert usable_snapshots(app, plan)
        assert views
        assert not [c for c in CANARIES if c in views]  # view rows are sealed too
        shown = app.views.store.read("plan", [str(plan)])[str(plan)]
        assert NOTE.encode() in shown  # read through the store, a view shows it
        clock.now = AFTER_RETENTION
        officer(app).erase_citizen(citizen_id=citizen)

    replayed = CliRunner().invoke(cli, ["replay", "--db", str(path)], env=key_env(keys))

    assert replayed.exit_code == 0, replayed.output
    left = files_of(path)
    assert not [c for c in CANARIES if c in left]
    assert OTHER_NAME.encode() not in left  # sealed, under the other citizen's key
    with OnePlan.open(url, clock=clock, keys=keys) as app:
        assert app.views.get("citizen", other).name == OTHER_NAME  # still there
        assert app.views.get("citizen", citizen).name == "[erased]"
        assert record(app).citizen(other).name == OTHER_NAME
        assert usable_snapshots(app, plan)
        assert not any(usable_snapshots(app, plan))
        assert usable_snapshots(app, other_plan)
        assert all(usable_snapshots(app, other_plan))
        assert record(app).plan(plan).goals
        assert record(app).plan(other_plan).goals


@pytest.mark.postgres
def test_canaries_are_nowhere_in_the_postgresql_tables_after_erasure(
    postgres_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    monkeypatch.setenv("ONEPLAN_SNAPSHOT_INTERVAL", "1")  # a snapshot after every event

    schema = postgres_url.rsplit("schema=", 1)[1]

    def everything() -> bytes:
        with psycopg.connect(postgres_url.split("?")[0]) as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                    (schema,),
                )
            ]
            rows = [
                value if isinstance(value, bytes) else str(value).encode()
                for t in tables
                for row in conn.execute(f'SELECT * FROM "{schema}"."{t}"')  # type: ignore[call-overload]
                for value in row
            ]
        return b"".join(rows)

    with OnePlan.open(postgres_url, clock=clock, keys=Keys.generate()) as app:
        citizen, plan = case_file(app)
        archive(app, plan)
        app.views.catch_up()
        before = everything()
        assert before
        assert not [c for c in CANARIES if c in before]  # sealed, events and views alike
        assert NOTE.encode() in app.views.store.read("plan", [str(plan)])[str(plan)]
        assert all(usable_snapshots(app, plan))
        assert usable_snapshots(app, plan)
        clock.now = AFTER_RETENTION
        officer(app).erase_citizen(citizen_id=citizen)

        after = everything()
        assert usable_snapshots(app, plan)
        assert not any(usable_snapshots(app, plan))

    assert not [c for c in CANARIES if c in after]


def test_a_sealed_part_moved_to_another_row_fails_with_a_typed_error(
    tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "oneplan.db"
    url, keys = f"sqlite:///{path}", Keys.generate()
    with OnePlan.open(url, clock=clock, keys=keys) as app:
        mette = acting(app, ANNE).register_citizen(name=NAME, cpr=CPR)
        other = acting(app, ANNE).register_citizen(name=OTHER_NAME, cpr=OTHER_CPR)
    db = sqlite3.connect(path)
    with db:
        db.execute(
            "UPDATE stored_events SET state = "
            "(SELECT state FROM stored_events WHERE originator_id = ?) WHERE originator_id = ?",
            (other.hex, mette.hex),
        )
    db.close()

    with (
        OnePlan.open(url, clock=clock, keys=keys) as app,
        pytest.raises(CiphertextRejected) as moved,
    ):
        record(app).citizen(mette)
    assert moved.value.stream_id == mette
    assert moved.value.version == 1


def test_a_wrong_or_missing_master_key_is_a_clear_error_at_open(
    tmp_path: Path, clock: FixedClock
) -> None:
    url, keys = f"sqlite:///{tmp_path / 'oneplan.db'}", Keys.generate()
    with OnePlan.open(url, clock=clock, keys=keys) as app:
        acting(app, ANNE).register_citizen(name=NAME, cpr=CPR)

    with pytest.raises(MasterKeyMismatch):
        OnePlan.open(url, clock=clock, keys=Keys.generate())
    with pytest.raises(MasterKeyMissing):
        OnePlan.open(url, clock=clock, keys=Keys())


def test_rotating_the_master_key_rewraps_the_data_keys_and_changes_no_event(
    tmp_path: Path, clock: FixedClock
) -> None:
    url, old = f"sqlite:///{tmp_path / 'oneplan.db'}", Keys.generate()
    new_master = Keys.generate().master_key
    assert new_master is not None
    with OnePlan.open(url, clock=clock, keys=old) as app:
        citizen = acting(app, ANNE).register_citizen(name=NAME, cpr=CPR)
        custodian = officer(app)  # (in the staff directory before the events are read)
        before = [bytes(n.state) for n in app.recorder.select_notifications(start=1, limit=100)]

        assert custodian.rotate_master_key(new_master) == 1
        assert record(app).citizen(citizen).name == NAME

    with pytest.raises(MasterKeyMismatch):
        OnePlan.open(url, clock=clock, keys=old)
    with OnePlan.open(
        url, clock=clock, keys=Keys(master_key=new_master, cpr_key=old.cpr_key)
    ) as app:
        assert record(app).citizen(citizen).name == NAME
        assert system(app).citizen_by_cpr(CPR) == citizen  # the CPR key did not change
        after = [bytes(n.state) for n in app.recorder.select_notifications(start=1, limit=100)]
    assert after == before


def test_the_data_keys_kept_in_memory_are_bounded(tmp_path: Path, clock: FixedClock) -> None:
    url, keys = f"sqlite:///{tmp_path / 'oneplan.db'}", Keys.generate()
    names = [f"Borger {i}" for i in range(8)]
    with OnePlan.open(url, clock=clock, keys=keys) as app:
        assert app.sealer is not None
        app.sealer.max_cached_keys = 3
        anne = acting(app, ANNE)
        citizens = [
            anne.register_citizen(name=name, birth_date=date(1980, 1, 1 + i))
            for i, name in enumerate(names)
        ]
        assert len(app.sealer._ciphers) <= 3
        assert len(app.sealer._key_ids) <= 3

    with OnePlan.open(url, clock=clock, keys=keys) as again:  # (nothing cached: decrypt all)
        assert again.sealer is not None
        again.sealer.max_cached_keys = 3
        read = [record(again).citizen(citizen).name for citizen in citizens]
        assert len(again.sealer._ciphers) <= 3

    assert read == names
