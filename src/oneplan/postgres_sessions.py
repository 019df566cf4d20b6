"""How oneplan's PostgreSQL connections are opened: the same settings for the events'
pool, the view store and the key store.

**Every statement planned for the table as it is now** (``plan_cache_mode =
force_custom_plan``). eventsourcing and oneplan prepare their statements (an aggregate's
events by id, the stale-read check and the stream heads under the events table's lock, a
view row by key, a data key by subject), and after five executions PostgreSQL may keep a
*generic* plan for a prepared statement for the connection's life. A plan made while a
table was nearly empty is a sequential scan, and nothing replans it as the table grows
unless statistics change (``ANALYZE``, which autovacuum runs; a server with autovacuum
off never does): every command then scans the whole log under the lock, and writes slow
with the log's size. Measured (docs/operations.md, "PostgreSQL without autovacuum"): a
fresh schema, 300 citizens, keys on, 26,393 commands: 317 -> 120 commands/s as the log
grew with generic plans, 398-439 throughout with plans made per execution (and 412-470
with ``ANALYZE`` every 5 seconds instead), no more client CPU. Planning a statement of
these few tables costs tens of microseconds.

``PGOPTIONS`` (libpq's) still applies, after these: an operator who wants PostgreSQL's
default sets ``PGOPTIONS="-c plan_cache_mode=auto"``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

SESSION_OPTIONS = "-c plan_cache_mode=force_custom_plan"
"""The options (libpq's ``options``) every oneplan connection is opened with."""


def session_options() -> str:
    """``SESSION_OPTIONS``, then the environment's ``PGOPTIONS`` (libpq ignores the
    variable when ``options`` is given, so it is carried over; later settings win)."""
    extra = os.environ.get("PGOPTIONS", "").strip()
    return f"{SESSION_OPTIONS} {extra}" if extra else SESSION_OPTIONS


def conninfo(env: Mapping[str, str]) -> dict[str, Any]:
    """The connection parameters of an application's environment (``POSTGRES_*``, as
    ``oneplan.persistence.env_for_url`` writes them), with ``session_options``."""
    return {
        "dbname": env["POSTGRES_DBNAME"],
        "host": env.get("POSTGRES_HOST", "127.0.0.1"),
        "port": int(env.get("POSTGRES_PORT", "5432")),
        "user": env.get("POSTGRES_USER", "postgres"),
        "password": env.get("POSTGRES_PASSWORD", ""),
        "options": session_options(),
    }
