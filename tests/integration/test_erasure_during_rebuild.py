"""An erasure while the views are rebuilt: the rebuild may have folded the citizen's
events before their keys were destroyed, so its rows are never written aside or swapped
in after that; it is done again (a rebuild of some views: every view), and the erased
name is in no view row and no page of the file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from oneplan import Keys, OnePlan
from oneplan.audit import VerificationStatus, verify_views
from oneplan.privacy.sealing import Sealer
from oneplan.projections.journey import JourneyView
from tests.builders import officer
from tests.conftest import FixedClock
from tests.integration.test_erasure_in_place import CANARY, sqlite_files
from tests.integration.test_privacy import (
    AFTER_RETENTION,
    OTHER_CPR,
    OTHER_NAME,
    archive,
    case_file,
)
from tests.projections.test_runner import rebuilt, views_of
from tests.projections.test_version_bump import told, watch

__all__ = ["told"]  # (a fixture: the demo's record, views caught up, on every storage)


def _record(path: Path, clock: FixedClock, keys: Keys) -> OnePlan:
    """Two citizens with closed, archived plans; the views caught up."""
    app = OnePlan.open(f"sqlite:///{path}", clock=clock, keys=keys)
    canary, plan = case_file(app, name=CANARY, cpr="0505751234", note="canary note")
    _other, other_plan = case_file(app, name=OTHER_NAME, cpr=OTHER_CPR, note="other note")
    for p in (plan, other_plan):
        archive(app, p)
    app.views.catch_up()
    app._canary = canary  # type: ignore[attr-defined]
    return app


def _view_rows(path: Path) -> list[bytes]:
    db = sqlite3.connect(path)
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    rows = [
        bytes(row[0])
        for t in tables
        if t.startswith(("oneplan_view_", "oneplan_rebuild_")) and t != "oneplan_view_tracking"
        for row in db.execute(f"SELECT state FROM {t}")
    ]
    db.close()
    return rows


@pytest.mark.parametrize("cached", [True, False], ids=["key cached", "key not cached"])
@pytest.mark.parametrize("how", ["rebuild", "version bump"])
def test_an_erasure_during_a_rebuild_makes_it_start_again(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, how: str, cached: bool
) -> None:
    """Not cached (a long rebuild: past ``Sealer.key_ttl``), a rebuild swapped in as it
    was would hold the erased name in the clear (no live key to seal its rows under);
    cached, under a destroyed key (unreadable rows)."""
    if not cached:
        monkeypatch.setattr(Sealer, "key_ttl", 0.0)
    path, keys = tmp_path / "oneplan.db", Keys.generate()
    app = _record(path, clock, keys)
    canary = app._canary  # type: ignore[attr-defined]

    done: list[bool] = []

    def erased_elsewhere() -> None:  # another process erases the canary meanwhile (once)
        if done:
            return
        done.append(True)
        clock.now = AFTER_RETENTION
        with OnePlan.open(f"sqlite:///{path}", clock=clock, keys=keys) as other:
            officer(other).erase_citizen(citizen_id=canary)

    begun = watch(app.views.store, monkeypatch, on_write=erased_elsewhere)
    if how == "rebuild":
        app.views.rebuild()
    else:
        monkeypatch.setitem(app.views.versions, JourneyView.name, JourneyView.version + 1)
        app.views.catch_up()
    every = tuple(app.views.versions)

    assert begun == ([every, every] if how == "rebuild" else [(JourneyView.name,), every])
    rows = _view_rows(path)
    assert rows
    assert not [r for r in rows if CANARY.encode() in r]
    assert CANARY.encode() not in sqlite_files(path)
    app.close()
    with OnePlan.open(f"sqlite:///{path}", clock=clock, keys=keys) as fresh:
        assert views_of(fresh.views) == rebuilt(fresh)  # (as stored; a rebuild in memory)
        if how == "rebuild":
            verified = verify_views(fresh)
            assert verified.status is VerificationStatus.INTACT, verified.difference


def test_views_verified_in_a_process_that_still_held_the_erased_key_are_intact(
    tmp_path: Path, clock: FixedClock
) -> None:
    """Another process erased the citizen less than ``Sealer.key_ttl`` ago: verification
    lets go of the destroyed key first, instead of reading the citizen's CPR number with
    it and finding it missing from the index."""
    path, keys = tmp_path / "oneplan.db", Keys.generate()
    app = _record(path, clock, keys)
    clock.now = AFTER_RETENTION
    with OnePlan.open(f"sqlite:///{path}", clock=clock, keys=keys) as other:
        officer(other).erase_citizen(citizen_id=app._canary)  # type: ignore[attr-defined]

    verified = verify_views(app)

    assert verified.status is VerificationStatus.INTACT, verified.difference
    app.close()


def test_a_rebuild_meeting_erasures_on_every_attempt_gives_up_leaving_the_old_views(
    told: OnePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    from itertools import count

    from oneplan.errors import StorageError
    from oneplan.projections.runner import ProjectionRunner

    store = told.views.store
    before = {v: dict(store.read_prefix(v, "")) for v in told.views.versions}
    tracking = store.tracking()
    destroyed = count()  # (another key destroyed every time it is asked)
    monkeypatch.setattr(ProjectionRunner, "_destroyed_keys", lambda self: next(destroyed))
    begun = watch(store, monkeypatch)

    with pytest.raises(StorageError, match="during each of 3 rebuilds"):
        told.views.rebuild()

    assert len(begun) == ProjectionRunner.rebuild_attempts == 3
    assert store.tracking() == tracking
    assert {v: dict(store.read_prefix(v, "")) for v in told.views.versions} == before
    assert store.lease_holder() is None
