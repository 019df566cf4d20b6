"""Shared fixtures: a fixed clock, the seeds' actors, and the application on every
storage (memory, SQLite file, PostgreSQL).

PostgreSQL tests skip with a clear reason where no server answers, but fail when the
``CI`` environment variable is set: in CI they must run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from oneplan import Keys, OnePlan

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "soak", max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

POSTGRES_URL = os.environ.get(
    "ONEPLAN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _postgres_available() -> str | None:
    """None when the server answers, else why not."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the test extra installs it
        return "psycopg is not installed (pip install -e '.[test]')"
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.OperationalError as e:
        return f"no PostgreSQL server at {POSTGRES_URL}: {str(e).splitlines()[0]}"


def require_postgres() -> None:
    reason = _postgres_available()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so the PostgreSQL tests must run: {reason}")
    pytest.skip(reason)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@contextmanager
def postgres_schema(prefix: str = "oneplan_test", *statements: str) -> Iterator[str]:
    """A fresh PostgreSQL schema named ``prefix_<random>`` (``statements`` run in it
    first, ``{schema}`` standing for its name), dropped afterwards."""
    require_postgres()
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        for statement in statements:
            conn.execute(statement.format(schema=schema))
    try:
        yield schema
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL with a fresh schema of its own, dropped afterwards."""
    with postgres_schema() as schema:
        yield f"{POSTGRES_URL}?schema={schema}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'oneplan.db'}"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage_url(request: pytest.FixtureRequest) -> str:
    """The same tests on every storage."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def app(storage_url: str, clock: FixedClock) -> Iterator[OnePlan]:
    """The application on every storage, with encryption on (fresh keys)."""
    with OnePlan.open(storage_url, clock=clock, keys=Keys.generate()) as oneplan:
        yield oneplan


@pytest.fixture
def memory_app(clock: FixedClock) -> Iterator[OnePlan]:
    with OnePlan.open("memory://", clock=clock) as oneplan:
        yield oneplan
