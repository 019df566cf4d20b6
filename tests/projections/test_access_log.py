"""The access log the citizen is shown: who has looked at my data, when, as which
sector, what they were shown, and under which consent or legal basis."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from oneplan.aggregates.access import AccessRecord, items_shown
from oneplan.aggregates.plan import Plan
from oneplan.projections.access_log import AccessEntry, AccessLogState, AccessLogView
from oneplan.projections.base import Route, codec
from oneplan.values import AccessedItem, Actor, DisclosureBasis, LegalBasis, Sector
from tests.builders import ANNE, LARS, SOFIE, at

VIEW = AccessLogView()
CITIZEN, CHILD = uuid4(), uuid4()
PLAN = uuid4()
CONSENT, OTHER_CONSENT = uuid4(), uuid4()
OVERRIDE = LegalBasis.parse("RSL § 11 c")
READ_AT = at(2026, 3, 5)

ITEMS = (
    AccessedItem(
        kind="coordinator", item_id="anne", basis=DisclosureBasis.CONSENT, consent_ids=(CONSENT,)
    ),
    AccessedItem(kind="goal", item_id="g1", basis=DisclosureBasis.CONSENT, consent_ids=(CONSENT,)),
    AccessedItem(
        kind="goal",
        item_id="g2",
        basis=DisclosureBasis.CONSENT,
        consent_ids=(OTHER_CONSENT, CONSENT),
    ),
    AccessedItem(kind="intervention", item_id="i1", basis=DisclosureBasis.OWN_SECTOR),
    AccessedItem(
        kind="meeting", item_id="m1", basis=DisclosureBasis.LEGAL_BASIS, legal_basis=OVERRIDE
    ),
)


def read(
    *,
    reader: Actor = LARS,
    sector: Sector = Sector.SOCIAL,
    citizen_ids: tuple[UUID, ...] = (CITIZEN,),
    items: tuple[AccessedItem, ...] = ITEMS,
    read_at: datetime = READ_AT,
    as_of: datetime | None = None,
) -> Any:
    """The event of one read of the plan's sector view."""
    record = AccessRecord.sector_view_read(
        access_id=uuid4(),
        plan_id=PLAN,
        citizen_ids=citizen_ids,
        sector=sector,
        as_of=as_of,
        items=items,
        reader=reader,
        read_at=read_at,
    )
    return record.pending_events[0]


def log_of(citizen_id: UUID, *events: Any) -> AccessLogState:
    """Fold each event into the rows it keys for this citizen, then merge them in key
    order, as the application reads the log."""
    rows: dict[str, AccessLogState] = {}
    for event in events:
        for key in VIEW.keys(event, None):
            if key.startswith(f"{citizen_id}/"):
                rows[key] = VIEW.evolve(rows.get(key) or VIEW.initial(key), event)
    return AccessLogView.merged(citizen_id, [rows[k] for k in sorted(rows)])


def test_a_sector_view_read_is_logged_for_the_citizen() -> None:
    event = read(as_of=at(2026, 3, 1))

    [entry] = log_of(CITIZEN, event).entries

    assert entry == AccessEntry(
        access_id=event.originator_id,
        reader=LARS,
        read_at=at(2026, 3, 5),
        recorded_at=event.timestamp,
        sector=Sector.SOCIAL,
        plan_id=PLAN,
        as_of=at(2026, 3, 1),
        shown=items_shown(ITEMS),
    )
    assert entry.items == ITEMS


def test_an_entry_counts_the_items_shown_of_each_kind() -> None:
    [entry] = log_of(CITIZEN, read()).entries

    assert entry.item_counts == {"coordinator": 1, "goal": 2, "intervention": 1, "meeting": 1}
    assert list(entry.item_counts) == ["coordinator", "goal", "intervention", "meeting"]


def test_an_entry_names_the_consents_and_legal_bases_that_allowed_what_was_shown() -> None:
    [entry] = log_of(CITIZEN, read()).entries

    assert entry.consent_ids == (CONSENT, OTHER_CONSENT)
    assert entry.legal_bases == (OVERRIDE,)
    assert entry.bases == (
        DisclosureBasis.CONSENT,
        DisclosureBasis.OWN_SECTOR,
        DisclosureBasis.LEGAL_BASIS,
    )
    assert entry.items[2].consent_ids == (OTHER_CONSENT, CONSENT)


def test_a_read_that_showed_nothing_is_still_logged() -> None:
    [entry] = log_of(CITIZEN, read(items=())).entries

    assert entry.items == ()
    assert entry.item_counts == {}
    assert entry.consent_ids == ()


def test_reads_are_kept_in_the_order_recorded_with_every_reader() -> None:
    first = read(reader=LARS, read_at=at(2026, 3, 5))
    second = read(reader=SOFIE, sector=Sector.HEALTH, read_at=at(2026, 3, 6))
    third = read(reader=LARS, read_at=at(2026, 3, 7))

    log = log_of(CITIZEN, first, second, third)

    assert [e.access_id for e in log.entries] == [
        first.originator_id,
        second.originator_id,
        third.originator_id,
    ]
    assert [e.sector for e in log.entries] == [Sector.SOCIAL, Sector.HEALTH, Sector.SOCIAL]
    assert log.readers == ("lars", "sofie")


def test_a_household_plans_read_is_logged_for_every_member() -> None:
    event = read(citizen_ids=(CITIZEN, CHILD))

    assert [k.split("/")[0] for k in VIEW.keys(event, None)] == [str(CITIZEN), str(CHILD)]
    assert log_of(CITIZEN, event).entries == log_of(CHILD, event).entries


def test_a_read_of_another_citizens_plan_leaves_the_log_as_it_is() -> None:
    log = log_of(CITIZEN, read())

    assert VIEW.evolve(log, read(citizen_ids=(CHILD,))) is log


def test_changes_to_the_plan_are_not_reads() -> None:
    plan = Plan.open(
        plan_id=PLAN,
        citizen_ids=(CITIZEN,),
        replaces=(),
        legal_bases=(LegalBasis.parse("LAB § 30 b"),),
        consent_ids=(CONSENT,),
        actor=ANNE,
        effective_at=at(2026, 3, 1),
    )
    opened = plan.pending_events[0]
    log = log_of(CITIZEN, read())

    assert VIEW.keys(opened, Route(plan_id=PLAN, citizen_ids=(CITIZEN,))) == ()
    assert VIEW.evolve(log, opened) is log


def test_the_log_round_trips_through_the_codec() -> None:
    log = log_of(CITIZEN, read(as_of=at(2026, 3, 1)), read(reader=SOFIE, sector=Sector.HEALTH))

    assert codec.loads(codec.dumps(log), AccessLogState) == log


def test_evolve_leaves_the_log_it_was_given_as_it_was() -> None:
    before = log_of(CITIZEN, read())
    snapshot = codec.dumps(before)

    after = VIEW.evolve(before, read(reader=SOFIE, sector=Sector.HEALTH))

    assert codec.dumps(before) == snapshot
    assert len(before.entries) == 1
    assert len(after.entries) == 2


def test_the_view_is_named_access_log_and_keyed_by_citizen() -> None:
    assert VIEW.name == "access_log"
    assert VIEW.state_type is AccessLogState
    assert VIEW.initial(str(CITIZEN)) == AccessLogState(citizen_id=CITIZEN)
