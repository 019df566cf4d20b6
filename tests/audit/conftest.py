"""Fixtures for the audit tests: keys, a record with the chain on, on every storage."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oneplan import Keys, OnePlan
from tests.conftest import FixedClock


@pytest.fixture
def keys() -> Keys:
    return Keys.generate()


@pytest.fixture
def audited(storage_url: str, clock: FixedClock, keys: Keys) -> Iterator[OnePlan]:
    """The record with an audit key, on memory, SQLite and PostgreSQL."""
    with OnePlan.open(storage_url, clock=clock, keys=keys) as app:
        yield app
