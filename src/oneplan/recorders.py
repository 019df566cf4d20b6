"""oneplan's own application recorders: eventsourcing's, with the writes oneplan needs.

``env_for_url`` names them with ``APPLICATION_RECORDER_TOPIC``.

- SQLite: every write begins ``BEGIN IMMEDIATE``, taking the write lock before the first
  statement, so a writer that finds the database busy waits up to the lock timeout
  instead of failing at once with ``SQLITE_BUSY`` (the deferred ``BEGIN`` that
  eventsourcing issues upgrades from a read lock, which SQLite cannot wait for).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteTransaction

__all__ = ["SQLiteRecorder"]


class _ImmediateTransaction(SQLiteTransaction):
    """eventsourcing's SQLite transaction (same commit, rollback and error mapping),
    begun ``IMMEDIATE``."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        return cursor


class SQLiteRecorder(SQLiteApplicationRecorder):
    """The SQLite application recorder whose writes take the write lock at once."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with (
            self.datastore.get_connection(commit=True) as connection,
            _ImmediateTransaction(connection, commit=True) as cursor,
            cursor,
        ):
            return self._insert_events(cursor, stored_events, **kwargs)
