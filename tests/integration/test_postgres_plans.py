"""Every oneplan connection to PostgreSQL plans each statement for the table as it is now
(``oneplan.postgres_sessions``): a statement prepared while a table was empty must not
keep a sequential scan as the table grows (on a server without autovacuum nothing
replans it, and every write then scans the whole log under the events table's lock)."""

from __future__ import annotations

from typing import Any

import pytest

from oneplan import Keys, OnePlan
from oneplan.postgres_sessions import SESSION_OPTIONS, conninfo
from oneplan.projections.sealed_rows import SealedViewStore
from tests.conftest import POSTGRES_URL, FixedClock, postgres_schema

pytestmark = pytest.mark.postgres


def _show(connection: Any, setting: str) -> str:
    from psycopg.rows import tuple_row

    row = connection.cursor(row_factory=tuple_row).execute(f"SHOW {setting}").fetchone()
    return str(row[0])


def _mode(connection: Any) -> str:
    return _show(connection, "plan_cache_mode")


def _connections(app: OnePlan) -> dict[str, Any]:
    views = app.views.store
    if isinstance(views, SealedViewStore):
        views = views.inner
    assert app.sealer is not None
    return {"views": views._db, "keys": app.sealer.store._db}  # type: ignore[attr-defined]


def test_every_connection_plans_each_statement_afresh(postgres_url: str, clock: FixedClock) -> None:
    with OnePlan.open(postgres_url, clock=clock, keys=Keys.generate()) as app:
        with app.recorder.datastore.get_connection() as events:  # type: ignore[attr-defined]
            assert _mode(events) == "force_custom_plan"
        for name, connection in _connections(app).items():
            assert _mode(connection) == "force_custom_plan", name


def test_pgoptions_still_applies_after_oneplans_own(
    postgres_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator's ``PGOPTIONS`` is carried over (libpq ignores it once ``options`` is
    given) and comes last, so it can set PostgreSQL's default back."""
    monkeypatch.setenv("PGOPTIONS", "-c plan_cache_mode=auto -c application_name=ops")
    with OnePlan.open(postgres_url, clock=clock, keys=Keys.generate()) as app:
        with app.recorder.datastore.get_connection() as events:  # type: ignore[attr-defined]
            assert _mode(events) == "auto"
            assert _show(events, "application_name") == "ops"
        for connection in _connections(app).values():
            assert _mode(connection) == "auto"


def _plan_after_growth(options: str) -> str:
    """EXPLAIN of a prepared stale-read check (the statement the events' writers run
    under the lock), prepared and run ten times on an empty table, then run again after
    the table grew to 20,000 rows, on one connection, without ANALYZE."""
    import psycopg

    with postgres_schema("oneplan_plans") as schema:
        params = psycopg.conninfo.conninfo_to_dict(POSTGRES_URL)
        env = {
            "POSTGRES_DBNAME": str(params.get("dbname", "test")),
            "POSTGRES_HOST": str(params.get("host", "127.0.0.1")),
            "POSTGRES_PORT": str(params.get("port", "5432")),
            "POSTGRES_USER": str(params.get("user", "postgres")),
            "POSTGRES_PASSWORD": str(params.get("password", "")),
        }
        info = conninfo(env) | {"options": options}
        with psycopg.connect(**info, autocommit=True) as db:
            db.execute(
                f'CREATE TABLE "{schema}".events (originator_id uuid, originator_version '
                "bigint, state bytea, PRIMARY KEY (originator_id, originator_version))"
            )
            db.execute(
                f'PREPARE stale(uuid[], bigint[]) AS SELECT originator_id FROM "{schema}".events '
                "WHERE (originator_id, originator_version) IN (SELECT * FROM unnest($1, $2)) "
                "LIMIT 1"
            )
            probe = "EXECUTE stale('{00000000-0000-0000-0000-000000000001}', '{2}')"
            for _ in range(10):
                db.execute(probe)
            db.execute(
                f'INSERT INTO "{schema}".events SELECT gen_random_uuid(), v, '
                "decode(repeat('ab', 200), 'hex') FROM generate_series(1, 20000) v"
            )
            return "\n".join(str(r[0]) for r in db.execute("EXPLAIN " + probe).fetchall())


def test_a_statement_prepared_on_an_empty_table_uses_the_index_once_it_grew() -> None:
    assert "Seq Scan" not in _plan_after_growth(SESSION_OPTIONS)


def test_postgresqls_default_keeps_the_sequential_scan_it_chose_when_empty() -> None:
    """What the setting is for (and that the test above can fail): with PostgreSQL's
    default, the plan chosen while the table was empty stays. If a PostgreSQL release
    changes this, the setting may be dropped (oneplan.postgres_sessions)."""
    assert "Seq Scan" in _plan_after_growth("-c plan_cache_mode=auto")
