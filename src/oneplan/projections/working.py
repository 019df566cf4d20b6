"""Working rows: an opt-in for views whose rows the runner changes in place.

A ``Fold`` is pure: ``evolve(state, event)`` returns a new frozen row, so folding a long
log copies every row once per event that changes it (a journey of a hundred entries is
copied a hundred times, a new tuple of entries each time). A view that also gives the
runner ``load_row`` and ``dump_row`` has its rows kept, while the runner folds, as a
mutable *working row* of the view's own: its fold functions change the working row in
place (and return it), and the row is written once per commit, by the view, as the
same JSON bytes the codec writes for the frozen row. Readers never see a working row:
they read the stored bytes back into the frozen state (``codec.loads``), as before.

The frozen path stays: ``evolve`` on a frozen row returns a new frozen row, and a test
holds the two paths to the same stored bytes (``tests/projections/test_working_rows.py``).
The runner uses the working path wherever a view has both methods.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

__all__ = ["WorkingRows"]

W = TypeVar("W", covariant=True)


class WorkingRows(Protocol[W]):
    """What a view gives the runner to fold its rows in working state."""

    def load_row(self, key: str, data: bytes | None) -> W:
        """The working row of ``key``: from its stored bytes, or new (``data`` None)."""
        ...

    def dump_row(self, row: Any) -> bytes:
        """The row's stored bytes: exactly what the codec writes for the frozen row."""
        ...
