"""SQLite's own errors, raised past oneplan's SQLite stores (the views, the key store),
given as ``StorageError``: a database still locked by another writer when the lock
timeout ran out, a disk that is full, a file that is not a database. Events go through
eventsourcing's recorder, which maps them to its ``PersistenceError`` (``OnePlan``
gives those as ``StorageError`` too)."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from oneplan.errors import StorageError

__all__ = ["public_methods_raise_storage_errors", "storage_errors"]

T = TypeVar("T")


@contextmanager
def storage_errors(what: str) -> Iterator[None]:
    """Raise a ``sqlite3.Error`` inside the block as ``StorageError`` about ``what``."""
    try:
        yield
    except sqlite3.Error as e:
        raise StorageError(f"{what}: {e}") from e


def public_methods_raise_storage_errors(what: str) -> Callable[[type[T]], type[T]]:
    """A class decorator: every public method the class defines raises ``sqlite3.Error``
    as ``StorageError`` about ``what``."""

    def decorate(cls: type[T]) -> type[T]:
        for name, method in list(vars(cls).items()):
            if not name.startswith("_") and callable(method):
                setattr(cls, name, _translating(method, what))
        return cls

    return decorate


def _translating(method: Callable[..., Any], what: str) -> Callable[..., Any]:
    @functools.wraps(method)
    def translated(*args: Any, **kwargs: Any) -> Any:
        with storage_errors(what):
            return method(*args, **kwargs)

    return translated
