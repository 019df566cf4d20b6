"""The audit index (version 5): one row per citizen and per plan listing the streams that
concern it, first seen first, and one row per staff member's or system job's stream;
exactly the streams the log says, as version 4 listed them one row each. A store whose
index is of version 4 is rebuilt when caught up, and read as it stands until then."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
import pytest

from oneplan import Keys, OnePlan
from oneplan.aggregates.access import AccessRecord
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.audit.trail import audit_entries
from oneplan.projections import AuditIndexView, AuditStreams, CitizenView, PlanView
from oneplan.projections.base import codec
from oneplan.simulation import Municipality, simulate
from oneplan.values import ActorKind
from tests.builders import ANNE, acting, auditing, officer
from tests.conftest import FixedClock
from tests.integration.test_privacy import AFTER_RETENTION, household_case_file
from tests.projections.test_runner import rebuilt, views_of

AFTER_THE_SIMULATION = datetime(2027, 1, 1, tzinfo=UTC)
INDEX = AuditIndexView.name


def _events(app: OnePlan) -> Iterator[Any]:
    last = 0
    while page := app.recorder.select_notifications(
        start=last, limit=1000, inclusive_of_start=False
    ):
        for notification in page:
            yield app.mapper.to_domain_event(notification)
        last = page[-1].id


def _listed_by_the_log(app: OnePlan) -> dict[str, list[str]]:
    """Every key of the index and its streams, first seen first, read from the log by
    what each event says (as version 4 listed them: a row per citizen or plan and stream)."""
    listed: dict[str, dict[str, None]] = {}

    def add(key: str, stream: UUID) -> None:
        listed.setdefault(key, {})[str(stream)] = None

    for e in _events(app):
        stream = e.originator_id
        citizens: tuple[UUID, ...] = ()
        plans: tuple[UUID | None, ...] = ()
        if isinstance(e, Citizen.Registered):
            citizens = (stream,)
        elif isinstance(e, Plan.Opened):
            citizens, plans = e.citizen_ids, (stream,)
        elif isinstance(e, Intervention.Proposed):
            citizens, plans = (e.citizen_id,), (e.plan_id,)
        elif isinstance(e, Intervention.ProposedUnderSectorPlan):
            citizens = (e.citizen_id,)
        elif isinstance(e, AccessRecord.SectorViewRead | AccessRecord.Disclosed):
            citizens, plans = tuple(e.citizen_ids), (e.plan_id,)
        elif isinstance(e, Citizen.JoinedPlan):
            plans = (e.plan_id,)
        for citizen in citizens:
            add(f"c/{citizen}", stream)
        for plan in plans:
            if plan is not None:
                add(f"p/{plan}", stream)
        actor = getattr(e, "actor", None)
        if actor is not None and actor.kind not in (ActorKind.CITIZEN, ActorKind.GUARDIAN):
            add(f"a/{actor.id}/{stream}", stream)
    return {key: list(streams) for key, streams in listed.items()}


def _stored(app: OnePlan) -> dict[str, list[str]]:
    return {
        key: [str(s) for s in codec.loads(row, AuditStreams).stream_ids]
        for key, row in app.views.store.read_prefix(INDEX, "")
    }


def test_one_row_per_citizen_and_per_plan_holds_exactly_the_streams_the_log_names() -> None:
    with OnePlan.open("memory://", clock=FixedClock(AFTER_THE_SIMULATION)) as app:
        simulate(app, citizens=60, seed=11, municipality=Municipality(years=2))
        app.views.catch_up()
        plans = app.views.keys(PlanView.name)
        for plan in plans[:8]:
            acting(app, ANNE).sector_view(UUID(plan))  # reads, each a stream of its own
        auditing(app).citizen_plan(UUID(plans[0]), language="en")  # a disclosure
        app.views.catch_up()

        expected = _listed_by_the_log(app)
        stored = _stored(app)

        assert stored == expected
        citizens = [k for k in stored if k.startswith("c/")]
        assert len(citizens) == len(app.views.keys(CitizenView.name)) == 60
        assert len([k for k in stored if k.startswith("p/")]) == len(plans)
        assert max(len(stored[k]) for k in citizens) > 5  # (record, plan, interventions, reads)
        assert all(len(v) == 1 for k, v in stored.items() if k.startswith("a/"))
        for key in citizens[:10]:
            kind, value = key.split("/")
            rows = app.views.store.read_prefix(INDEX, AuditIndexView.prefix(kind, value))
            assert [str(s) for s in AuditIndexView.streams(rows, kind, value)] == expected[key]


def _as_version_4(rows: list[tuple[str, bytes]]) -> dict[tuple[str, str], bytes]:
    """The index's rows as version 4 stored them: one per citizen, plan or actor and
    stream, ``{"stream_id": ...}``."""
    old: dict[tuple[str, str], bytes] = {}
    for key, row in rows:
        for stream in orjson.loads(row)["stream_ids"]:
            at = key if key.startswith("a/") else f"{key}/{stream}"
            old[(INDEX, at)] = b'{"stream_id":"' + stream.encode() + b'"}'
    return old


def _trails(app: OnePlan, citizens: list[str], plans: list[str]) -> dict[str, list[int]]:
    found = {c: [e.position for e in audit_entries(app, citizen_id=UUID(c))] for c in citizens}
    found |= {p: [e.position for e in audit_entries(app, plan_id=UUID(p))] for p in plans}
    found["anne"] = [e.position for e in audit_entries(app, actor_id=ANNE.id)]
    return found


def _store_version_4(app: OnePlan) -> None:
    """Put the index back as a store of version 4 holds it (rows and version)."""
    store = app.views.store
    position, versions = store.tracking()
    target = store.rebuilding({**versions, INDEX: 4}, views=[INDEX])
    target.write(_as_version_4(store.read_prefix(INDEX, "")), new=True)
    target.finish(position, expect=position)
    assert store.tracking()[1][INDEX] == 4


@pytest.fixture
def version_4(sqlite_url: str, clock: FixedClock) -> dict[str, Any]:
    """A household's record on SQLite whose index was written by version 4: its
    citizens, plan, trails and rows of version 5 as they were before."""
    with OnePlan.open(sqlite_url, clock=clock, keys=(keys := Keys.generate())) as app:
        first, second, plan = household_case_file(app)
        acting(app, ANNE).sector_view(plan)
        app.views.catch_up()
        citizens, plans = [str(first), str(second)], [str(plan)]
        before = {
            "url": sqlite_url,
            "keys": keys,
            "citizens": citizens,
            "plans": plans,
            "trails": _trails(app, citizens, plans),
            "rows": app.views.store.read_prefix(INDEX, ""),
        }
        _store_version_4(app)
    return before


def test_a_version_4_index_is_rebuilt_when_the_views_catch_up(
    version_4: dict[str, Any], clock: FixedClock
) -> None:
    with OnePlan.open(version_4["url"], clock=clock, keys=version_4["keys"]) as app:
        app.views.catch_up()

        assert app.views.store.tracking()[1][INDEX] == AuditIndexView.version == 5
        assert app.views.store.read_prefix(INDEX, "") == version_4["rows"]
        assert _trails(app, version_4["citizens"], version_4["plans"]) == version_4["trails"]


def test_a_version_4_index_is_read_as_it_stands_while_another_runner_rebuilds_it(
    version_4: dict[str, Any], clock: FixedClock
) -> None:
    """The trail and an erasure read the old table (one row per stream) until the holder
    of the lease swaps the new one in: the same streams, the same rows erased."""
    with OnePlan.open(version_4["url"], clock=clock, keys=version_4["keys"]) as app:
        store = app.views.store
        assert store.take_lease("rebuilder-elsewhere", 60)
        old = store.read_prefix(INDEX, "")
        assert all(b'"stream_id"' in row for _, row in old)

        assert _trails(app, version_4["citizens"], version_4["plans"]) == version_4["trails"]

        clock.now = AFTER_RETENTION
        second = UUID(version_4["citizens"][1])
        officer(app).erase_citizen(citizen_id=second)
        app.views.catch_up()  # (the erasure folded in place, the index left to the holder)
        assert store.read_prefix(INDEX, "") == old

        store.drop_lease("rebuilder-elsewhere")
        app.views.catch_up()
        assert store.tracking()[1][INDEX] == 5
        assert views_of(app.views) == rebuilt(app)  # (the erased rows: as folded in place)
