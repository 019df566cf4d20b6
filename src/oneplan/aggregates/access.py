"""The access log (*logning af opslag*): who read a citizen's data, what they were shown,
and under which consent or legal basis (rule 14).

A sector view's read names every item shown (``SectorViewRead``); every other
disclosure (the citizen's plan, the journey, an export to another system, an audit
export, an auditor's read of the full record, an evaluation extract) is a
``Disclosed`` naming what was disclosed, to whom, and on which basis."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from oneplan.aggregates.base import OnePlanAggregate, require_caseworker
from oneplan.values import AccessedItem, Actor, Sector

__all__ = ["DISCLOSURES", "AccessRecord"]

DISCLOSURES = (
    "citizen-plan",
    "journey",
    "access-log",
    "fhir-export",
    "audit-export",
    "full-record",
    "evaluation-extract",
    "cpr-lookup",
    "caseload",
)
"""What a ``Disclosed`` record may name (besides a sector view's read)."""


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

    class Disclosed(OnePlanAggregate.Created):
        """Personal data was disclosed to someone (rule 14): ``what`` (one of
        ``DISCLOSURES``), about ``citizen_ids`` (none: the whole record, as in an audit
        export or an evaluation extract), of ``plan_id`` if one, to ``recipient`` (the
        reader, or another system), on ``basis`` (a consent, a legal basis, or what else
        allowed it) and the ``consent_ids`` it travelled with."""

        what: str
        plan_id: UUID | None
        citizen_ids: tuple[UUID, ...]
        recipient: str
        basis: str
        consent_ids: tuple[UUID, ...]
        detail: str
        """What exactly: the filters of an export, the time read as of, the format."""

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            aggregate.plan_id = self.plan_id
            aggregate.citizen_ids = self.citizen_ids

    @classmethod
    def disclosed(
        cls,
        *,
        access_id: UUID,
        what: str,
        plan_id: UUID | None,
        citizen_ids: tuple[UUID, ...],
        recipient: str,
        basis: str,
        consent_ids: tuple[UUID, ...] = (),
        detail: str = "",
        reader: Actor,
        read_at: datetime,
    ) -> AccessRecord:
        """Record one disclosure (rule 14)."""
        if what not in DISCLOSURES:
            raise ValueError(f"unknown disclosure {what!r}")
        return cls._begin(
            cls.Disclosed,
            id=access_id,
            actor=reader,
            effective_at=read_at,
            what=what,
            plan_id=plan_id,
            citizen_ids=citizen_ids,
            recipient=recipient[:500],
            basis=basis[:500],
            consent_ids=consent_ids,
            detail=detail[:2000],
        )

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
