"""A view follower (``oneplan views follow``) keeps the views current in a process of its
own: woken by LISTEN/NOTIFY on PostgreSQL, by looking at the log on SQLite; a failure of
the database is tried again; views beyond the log stop it."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError
from typer.testing import CliRunner

from oneplan import OnePlan, ViewsAheadOfLog
from oneplan.cli import app as cli
from oneplan.projections.follow import ViewFollower
from tests.builders import ANNE, acting, open_plan


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest) -> str:
    return str(
        request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    )


def _until(condition: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("not reached in time")
        time.sleep(0.01)


def test_a_follower_keeps_the_views_current_while_another_process_writes(
    shared_url: str,
) -> None:
    writer = OnePlan.open(shared_url)
    follower_app = OnePlan.open(shared_url)
    stop = threading.Event()
    follower = ViewFollower(follower_app, poll=0.05)
    thread = threading.Thread(target=follower.run, args=(stop,))
    thread.start()
    try:
        plan, _ = open_plan(writer)
        anne = acting(writer, ANNE)
        for n in range(5):
            anne.set_goal(plan_id=plan, description=f"goal {n}", due=date(2027, 6, 30))
            head = int(writer.recorder.max_notification_id() or 0)
            _until(lambda head=head: follower_app.views.store.tracking()[0] >= head)
        stored = follower_app.views.get("plan", plan)
        assert stored is not None
        assert sorted(g.description for g in stored.goals.values()) == [
            f"goal {n}" for n in range(5)
        ]
        head = int(writer.recorder.max_notification_id() or 0)
    finally:
        stop.set()
        thread.join(10)
        writer.close()
        follower_app.close()
    assert not thread.is_alive()
    assert follower.report.events == head
    assert follower.report.failures == 0


class _Failing:
    """A waiter whose database fails the first ``times`` waits."""

    def __init__(self, times: int) -> None:
        self.times = times

    def wait(self, after: int, timeout: float) -> None:
        if self.times:
            self.times -= 1
            raise OperationalError("server closed the connection unexpectedly")
        time.sleep(0.01)

    def close(self) -> None:
        pass


def test_a_failure_of_the_database_is_tried_again(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = OnePlan.open(sqlite_url)
    open_plan(app)
    failing = _Failing(2)
    follower = ViewFollower(app, poll=0.05, max_backoff=0.05)
    monkeypatch.setattr(follower, "_waiter", lambda: failing)
    stop = threading.Event()
    thread = threading.Thread(target=follower.run, args=(stop,))
    thread.start()
    try:
        _until(lambda: failing.times == 0 and follower.report.position > 0)
    finally:
        stop.set()
        thread.join(10)
        app.close()
    assert follower.report.failures == 2
    assert follower.report.position == follower.report.events > 0


def test_views_beyond_the_log_stop_the_follower(sqlite_url: str) -> None:
    app = OnePlan.open(sqlite_url)
    open_plan(app)
    app.views.catch_up()
    head = int(app.recorder.max_notification_id() or 0)
    app.views.store.commit({}, from_position=head, to_position=head + 100)
    app.views._forget(complete=False)
    with pytest.raises(ViewsAheadOfLog):
        ViewFollower(app, poll=0.05).run(threading.Event())
    app.close()


def test_the_command_line_shows_how_far_behind_and_catches_up_once(sqlite_url: str) -> None:
    app = OnePlan.open(sqlite_url)
    open_plan(app)
    head = int(app.recorder.max_notification_id() or 0)
    app.close()
    runner = CliRunner()
    status = runner.invoke(cli, ["views", "status", "--format", "json", "--db", sqlite_url])
    assert status.exit_code == 0, status.output
    assert '"behind": ' + str(head) in status.output
    once = runner.invoke(cli, ["views", "follow", "--once", "--db", sqlite_url])
    assert once.exit_code == 0, once.output
    after = runner.invoke(cli, ["views", "status", "--format", "json", "--db", sqlite_url])
    assert '"behind": 0' in after.output
    assert '"current": true' in after.output
