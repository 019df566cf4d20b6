"""The recipes docs/operations.md gives work as written: the triggers that make the
events table append-only on PostgreSQL let oneplan write, read and fold its views, and
refuse every update, delete and truncate."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest

from oneplan import OnePlan
from tests.builders import auditing, open_plan
from tests.conftest import POSTGRES_URL, FixedClock

OPERATIONS = Path(__file__).parents[2] / "docs" / "operations.md"


def _append_only_sql(schema: str) -> str:
    blocks = re.findall(r"```sql\n(.*?)```", OPERATIONS.read_text(), flags=re.DOTALL)
    (sql,) = [b for b in blocks if "oneplan_events_are_never_changed" in b]
    return sql.replace("oneplan.", f'"{schema}".')


@pytest.mark.postgres
def test_the_documented_triggers_keep_events_append_only_and_oneplan_working(
    postgres_url: str, clock: FixedClock
) -> None:
    schema = parse_qs(urlsplit(postgres_url).query)["schema"][0]
    with OnePlan.open(postgres_url, clock=clock) as app:
        open_plan(app)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as db:
        db.execute(_append_only_sql(schema))

    with OnePlan.open(postgres_url, clock=clock) as app:
        plan, _ = open_plan(app)
        app.views.catch_up()
        assert auditing(app).citizen_plan(plan).startswith("# ")

    with psycopg.connect(POSTGRES_URL, autocommit=True) as db:
        for statement in (
            f'UPDATE "{schema}".oneplan_events SET topic = topic',
            f'DELETE FROM "{schema}".oneplan_events',
            f'TRUNCATE "{schema}".oneplan_events',
        ):
            with pytest.raises(psycopg.errors.RaiseException, match="never changed"):
                db.execute(statement)
