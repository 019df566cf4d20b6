"""Keeping the views current in a process of their own (``oneplan views follow``), so
that reads rarely fold anything themselves.

A ``ViewFollower`` catches the views up, then waits for the log to grow: on PostgreSQL it
listens on the channel every write notifies (``LISTEN``: woken within milliseconds of a
commit); on SQLite, which cannot push, it looks at the log's last position, at once after
a change and then less often while nothing happens (up to ``poll``). It is supervised: a
failure of the database (a restart, a lost connection, a locked file) is logged and tried
again after a pause that grows to ``max_backoff``; what an operator must decide (the views
lie beyond the log, ``ViewsAheadOfLog``; a fold that fails, ``ProjectionFailed``) stops it
with that error. Several followers (and the services' own catch-ups) may share one
database: the views' tracking position serialises them, so no event is folded twice.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from oneplan.errors import ProjectionFailed, ViewsAheadOfLog

if TYPE_CHECKING:
    from oneplan.application import OnePlan

__all__ = ["FollowReport", "ViewFollower"]

_log = logging.getLogger("oneplan.views.follow")

Progress = Callable[[int, int], None]

_STOP_CHECK = 1.0
"""Seconds a follower waits for the log at most before it looks whether to stop."""


@attrs.define
class FollowReport:
    """What a follower did until it stopped."""

    catch_ups: int = 0
    """Catch-ups that folded at least one event."""
    events: int = 0
    """Events folded."""
    failures: int = 0
    """Failures of the database it recovered from."""
    position: int = 0
    """The views' position when it stopped."""


class _Waiter(ABC):
    """Waits until the log may have grown past a position, or ``timeout`` passes."""

    @abstractmethod
    def wait(self, after: int, timeout: float) -> None: ...

    def close(self) -> None:  # noqa: B027  (nothing to close when polling)
        """Let go of what the waiter holds."""


class _Polling(_Waiter):
    """Looks at the log's last position: soon after a change, less often when idle."""

    def __init__(self, app: OnePlan, poll: float) -> None:
        self.app = app
        self.poll = poll
        self.pause = 0.02

    def wait(self, after: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if int(self.app.recorder.max_notification_id() or 0) > after:
                self.pause = 0.02
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(self.pause, left))
            self.pause = min(self.pause * 2, self.poll)


class _Listening(_Waiter):
    """PostgreSQL: ``LISTEN`` on the channel every write notifies, on a connection of
    its own (the log is looked at once after listening begins, so a write between the
    catch-up and the ``LISTEN`` is not missed)."""

    def __init__(self, app: OnePlan) -> None:
        from psycopg.sql import SQL, Identifier

        recorder: Any = app.recorder
        self.app = app
        self._held = recorder.datastore.get_connection()  # (autocommit, from the pool)
        self.conn = self._held.__enter__()
        self.conn.execute(SQL("LISTEN {0}").format(Identifier(recorder.channel_name)))

    def wait(self, after: int, timeout: float) -> None:
        if int(self.app.recorder.max_notification_id() or 0) > after:
            return
        for _ in self.conn.notifies(timeout=timeout, stop_after=1):
            return

    def close(self) -> None:
        try:
            self.conn.execute("UNLISTEN *")  # (the connection goes back to the pool)
        finally:
            self._held.__exit__(None, None, None)


class ViewFollower:
    """Keeps ``app``'s views current until ``stop`` is set (``run``)."""

    def __init__(
        self,
        app: OnePlan,
        *,
        poll: float = 0.5,
        max_backoff: float = 30.0,
        progress: Progress | None = None,
    ) -> None:
        if poll <= 0 or max_backoff <= 0:
            raise ValueError("poll and max_backoff are positive numbers of seconds")
        self.app = app
        self.poll = poll
        self.max_backoff = max_backoff
        self.progress = progress
        self.report = FollowReport()

    def _waiter(self) -> _Waiter:
        if getattr(self.app.recorder, "channel_name", None):  # (PostgreSQL: it notifies)
            return _Listening(self.app)
        return _Polling(self.app, self.poll)

    def run(self, stop: threading.Event | None = None) -> FollowReport:
        """Catch up and wait, again and again, until ``stop`` is set; returns what it
        did. Raises what an operator must decide (``ViewsAheadOfLog``,
        ``ProjectionFailed``)."""
        stop = stop or threading.Event()
        backoff = 0.0
        waiter: _Waiter | None = None
        try:
            while not stop.is_set():
                try:
                    if waiter is None:
                        waiter = self._waiter()
                    self.once()
                    backoff = 0.0
                    waiter.wait(self.report.position, _STOP_CHECK)
                except (ViewsAheadOfLog, ProjectionFailed):
                    raise
                except Exception as e:  # the database: a restart, a lost connection
                    self.report.failures += 1
                    backoff = min(max(backoff * 2, 0.25), self.max_backoff)
                    _log.warning(
                        "views follow: %s: %s (again in %.2f s)", type(e).__name__, e, backoff
                    )
                    if waiter is not None:
                        _close_quietly(waiter)
                        waiter = None
                    stop.wait(backoff)
        finally:
            if waiter is not None:
                _close_quietly(waiter)
        return self.report

    def once(self) -> int:
        """One catch-up; returns how many events it folded."""
        folded = self.app.views.catch_up(progress=self.progress)
        if folded:
            self.report.catch_ups += 1
            self.report.events += folded
            _log.info("views follow: %d events folded", folded)
        self.report.position = self.app.views.position
        return folded


def _close_quietly(waiter: _Waiter) -> None:
    try:
        waiter.close()
    except Exception as e:  # (closing a connection that is gone already)
        _log.debug("views follow: closing the waiter: %s", e)
