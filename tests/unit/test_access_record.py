"""Every read of a citizen's plan is recorded (*logning af opslag*): by the caseworker who
read it, when, as which sector, and what they were shown under which consent."""

from __future__ import annotations

from uuid import UUID

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
