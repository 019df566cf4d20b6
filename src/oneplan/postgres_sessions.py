"""How oneplan's PostgreSQL connections are opened: the same settings for the events'
pool, the view store and the key store.

**Plans that follow the tables' growth.** eventsourcing and oneplan prepare their
statements (an aggregate's events by id, the stale-read check and the stream heads under
the events table's lock, a view row by key, a data key by subject), and after five
executions PostgreSQL may keep a *generic* plan for a prepared statement for the
connection's life. A plan made while a table was nearly empty is a sequential scan, and
only a change of the table's statistics (``ANALYZE``, which autovacuum runs as a table
grows) replans it. On a server with autovacuum off nothing does: every command then
scanned the whole log under the events table's lock, and writes slowed with the log's
size. So where the server does not analyze by itself (``autovacuum`` or ``track_counts``
off), oneplan's connections plan each statement afresh (``plan_cache_mode =
force_custom_plan``); where it does, PostgreSQL's default stands, and so does any
``plan_cache_mode`` an operator set (``PGOPTIONS``, the role, the database or the server's
configuration).

Measured (docs/operations.md, "PostgreSQL without autovacuum"), a fresh schema, 300
citizens, keys on, 26,393 commands, autovacuum off: 317 -> 120 commands/s as the log grew
with generic plans; 368-439 throughout with plans made afresh, and 412-470 with generic
plans and ``ANALYZE`` every 5 seconds (as autovacuum would). Planning afresh costs bulk
writing: ``oneplan simulate --citizens 20000`` 230 s against 195, the same client CPU;
so it is not done where the server replans by itself.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

_log = logging.getLogger(__name__)
_warned: list[bool] = []

FRESH_PLANS = "-c plan_cache_mode=force_custom_plan"
"""libpq's ``options`` for a connection that plans each statement afresh."""

_PROBE = (
    "SELECT current_setting('autovacuum'), current_setting('track_counts'), "
    "(SELECT source FROM pg_settings WHERE name = 'plan_cache_mode')"
)


def replans_by_itself(autovacuum: str, track_counts: str, source: str) -> bool:
    """Whether a connection needs no plans made afresh: the server analyzes growing
    tables (autovacuum and the statistics it reads are on), or ``plan_cache_mode`` was
    set by someone (``source`` is not ``default``: theirs stands)."""
    return (autovacuum == "on" and track_counts == "on") or source != "default"


def needs_fresh_plans(connection: Any) -> bool:
    """Whether ``connection`` (psycopg) should plan each statement afresh (see the
    module); leaves the connection's transaction as it found it."""
    from psycopg.rows import tuple_row

    row = connection.cursor(row_factory=tuple_row).execute(_PROBE).fetchone()
    if not connection.autocommit:
        connection.rollback()
    autovacuum, track_counts, source = (str(value) for value in row)
    needed = not replans_by_itself(autovacuum, track_counts, source)
    if needed and not _warned:  # (once a process)
        _warned.append(True)
        _log.info(  # (not a warning: handled; a warning would reach every CLI's stderr)
            "PostgreSQL does not analyze growing tables here (autovacuum %s, track_counts "
            "%s): oneplan plans each statement afresh; keep autovacuum on, or run VACUUM "
            "ANALYZE regularly (docs/operations.md, 'PostgreSQL without autovacuum')",
            autovacuum,
            track_counts,
        )
    return needed


def plan_afresh_where_needed(connection: Any) -> None:
    """Set ``plan_cache_mode = force_custom_plan`` on ``connection`` (a psycopg
    connection of its own, not pooled) where ``needs_fresh_plans``."""
    if needs_fresh_plans(connection):
        connection.execute("SET plan_cache_mode = force_custom_plan")
        if not connection.autocommit:
            connection.commit()


def connect(conninfo: Mapping[str, Any]) -> Any:
    """A psycopg connection of its own (not pooled, not in autocommit), planning each
    statement afresh where ``needs_fresh_plans`` (closed again if asking fails)."""
    import psycopg

    connection = psycopg.connect(**conninfo, autocommit=False)
    try:
        plan_afresh_where_needed(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def pool_options(kwargs: Mapping[str, Any], timeout: float = 5.0) -> str | None:
    """libpq's ``options`` for a pool opened with ``kwargs`` (psycopg's connection
    parameters): ``FRESH_PLANS`` where ``needs_fresh_plans``, asked on one connection
    opened for it (waiting at most ``timeout`` seconds, as the pool would), with the
    environment's ``PGOPTIONS`` after it (libpq ignores the variable once ``options`` is
    given); None: leave the pool as it is (also when the server cannot be reached: the
    pool's own connection then says why)."""
    import psycopg

    params = {k: v for k, v in kwargs.items() if k != "row_factory"}
    params.setdefault("connect_timeout", max(1, round(timeout)))
    try:
        with psycopg.connect(**params, autocommit=True) as probe:
            if not needs_fresh_plans(probe):
                return None
    except psycopg.Error:
        return None
    given = str(params.get("options") or os.environ.get("PGOPTIONS", "")).strip()
    return f"{FRESH_PLANS} {given}" if given else FRESH_PLANS


def conninfo(env: Mapping[str, str]) -> dict[str, Any]:
    """The connection parameters of an application's environment (``POSTGRES_*``, as
    ``oneplan.persistence.env_for_url`` writes them)."""
    return {
        "dbname": env["POSTGRES_DBNAME"],
        "host": env.get("POSTGRES_HOST", "127.0.0.1"),
        "port": int(env.get("POSTGRES_PORT", "5432")),
        "user": env.get("POSTGRES_USER", "postgres"),
        "password": env.get("POSTGRES_PASSWORD", ""),
    }
