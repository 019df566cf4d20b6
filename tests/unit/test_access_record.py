"""Every read of a citizen's plan is recorded (*logning af opslag*): by the caseworker who
read it, when, as which sector, and what they were shown under which consent."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import orjson

from oneplan.aggregates.access import AccessRecord
from oneplan.values import AccessedItem, Actor, ActorKind, DisclosureBasis, Sector
from tests.builders import LARS, at
from tests.unit.refusals import invalid

ACCESS = UUID(int=31)
PLAN = UUID(int=32)
CITIZEN = UUID(int=33)
CONSENT = UUID(int=34)
READ_AT = at(2026, 3, 5)
AS_OF = at(2026, 3, 1)
SHOWN = (
    AccessedItem(kind="goal", item_id="g-1", basis=DisclosureBasis.CONSENT, consent_ids=(CONSENT,)),
)


def read(reader: Actor) -> AccessRecord:
    return AccessRecord.sector_view_read(
        access_id=ACCESS,
        plan_id=PLAN,
        citizen_ids=(CITIZEN,),
        sector=Sector.SOCIAL,
        as_of=AS_OF,
        items=SHOWN,
        reader=reader,
        read_at=READ_AT,
    )


def test_a_read_records_who_read_what_when_as_which_sector() -> None:
    record = read(LARS)
    [event] = record.collect_events()
    assert type(event) is AccessRecord.SectorViewRead
    assert (event.originator_id, event.actor, event.effective_at) == (ACCESS, LARS, READ_AT)
    assert (event.plan_id, event.citizen_ids, event.sector) == (PLAN, (CITIZEN,), Sector.SOCIAL)
    assert (event.as_of, event.items) == (AS_OF, SHOWN)
    assert (record.id, record.plan_id, record.as_of, record.items) == (ACCESS, PLAN, AS_OF, SHOWN)


def test_only_a_caseworkers_read_of_a_sector_view_is_recorded() -> None:
    invalid(
        None,
        lambda: read(Actor(id="mette", kind=ActorKind.CITIZEN)),
        name="ReadSectorView",
        field="reader",
    )


def test_a_read_keeps_ids_and_bases_in_runs_with_a_goals_notes_as_one_range() -> None:
    goal = "6b1f0c6e-1f7c-4d61-9d2a-5b3c7f1f0a11"
    notes = tuple(
        AccessedItem(
            kind="progress-note",
            item_id=f"{goal}/{i}",
            basis=DisclosureBasis.CONSENT,
            consent_ids=(CONSENT,),
        )
        for i in range(500)
    )
    own = AccessedItem(
        kind="progress-note", item_id=f"{goal}/500", basis=DisclosureBasis.OWN_SECTOR
    )
    items = (*SHOWN, *notes, own)

    [event] = AccessRecord.sector_view_read(
        access_id=ACCESS,
        plan_id=PLAN,
        citizen_ids=(CITIZEN,),
        sector=Sector.SOCIAL,
        as_of=None,
        items=items,
        reader=LARS,
        read_at=READ_AT,
    ).collect_events()

    assert [run.item_ids for run in event.shown] == [("g-1",), (f"{goal}/0-499",), (f"{goal}/500",)]
    assert [run.count for run in event.shown] == [1, 500, 1]
    assert event.items == items


def test_a_stored_read_of_version_1_loads_with_the_same_items_in_the_same_order() -> None:
    fixture = _fixture("oneplan.aggregates.access:AccessRecord.SectorViewRead@v1")
    listed = [AccessedItem.model_validate(item) for item in fixture["state"]["items"]]

    event = _load(fixture)

    assert isinstance(event, AccessRecord.SectorViewRead)
    assert list(event.items) == listed
    assert sum(run.count for run in event.shown) == len(listed)


def test_the_access_log_shows_a_read_of_version_1_as_it_did() -> None:
    from oneplan.projections.access_log import AccessLogView

    fixture = _fixture("oneplan.aggregates.access:AccessRecord.SectorViewRead@v1")
    listed = tuple(AccessedItem.model_validate(item) for item in fixture["state"]["items"])
    event = _load(fixture)
    view = AccessLogView()
    [key, *_] = view.keys(event, None)

    [entry] = view.evolve(view.initial(key), event).entries

    assert entry.items == listed
    counts: dict[str, int] = {}
    for item in listed:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    assert entry.item_counts == counts
    assert entry.consent_ids == tuple(dict.fromkeys(c for i in listed for c in i.consent_ids))


def _fixture(key: str) -> dict[str, Any]:
    from tests.fixtures.record_event_fixtures import FIXTURES

    return dict(json.loads(FIXTURES.read_text())[key])


def _load(fixture: dict[str, Any]) -> Any:
    from eventsourcing.persistence import StoredEvent

    from oneplan.persistence import OnePlanMapper

    stored = StoredEvent(
        originator_id=UUID(fixture["originator_id"]),
        originator_version=fixture["originator_version"],
        topic=fixture["topic"],
        state=orjson.dumps(fixture["state"]),
    )
    return OnePlanMapper(transcoder=None).to_domain_event(stored)  # type: ignore[arg-type]
