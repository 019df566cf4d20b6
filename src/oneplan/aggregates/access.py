"""The access log (*logning af opslag*): who read a citizen's plan, as which sector, which
items they were shown, and under which consent or legal basis."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from oneplan.aggregates.base import OnePlanAggregate, require_caseworker
from oneplan.values import AccessedItem, Actor, Sector

__all__ = ["AccessRecord"]


class AccessRecord(OnePlanAggregate):
    """One read of a citizen's data through oneplan, so the citizen can be shown who has
    looked at it. Each read is its own record: reads never conflict with each other or
    with writers."""

    def __init__(self) -> None:
        super().__init__()
        self.plan_id: UUID
        self.citizen_ids: tuple[UUID, ...]
        self.sector: Sector
        self.as_of: datetime | None
        self.items: tuple[AccessedItem, ...]

    class SectorViewRead(OnePlanAggregate.Created):
        """A caseworker read a plan's sector view and was shown these items."""

        plan_id: UUID
        citizen_ids: tuple[UUID, ...]
        sector: Sector
        as_of: datetime | None
        items: tuple[AccessedItem, ...]

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            aggregate.plan_id = self.plan_id
            aggregate.citizen_ids = self.citizen_ids
            aggregate.sector = self.sector
            aggregate.as_of = self.as_of
            aggregate.items = self.items

    @classmethod
    def sector_view_read(
        cls,
        *,
        access_id: UUID,
        plan_id: UUID,
        citizen_ids: tuple[UUID, ...],
        sector: Sector,
        as_of: datetime | None,
        items: tuple[AccessedItem, ...],
        reader: Actor,
        read_at: datetime,
    ) -> AccessRecord:
        require_caseworker("ReadSectorView", "reader", reader)
        return cls._begin(
            cls.SectorViewRead,
            id=access_id,
            actor=reader,
            effective_at=read_at,
            plan_id=plan_id,
            citizen_ids=citizen_ids,
            sector=sector,
            as_of=as_of,
            items=items,
        )
