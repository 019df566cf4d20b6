"""The access log (*logning af opslag*): who read a citizen's data, what they were shown,
and under which consent or legal basis (rule 14).

A sector view's read names every item shown (``SectorViewRead``), by id and with what
allowed it, compactly (``ItemsShown``: a run of items of one kind under one basis, a
goal's consecutive progress notes as one range); every other
disclosure (the citizen's plan, the journey, an export to another system, an audit
export, an auditor's read of the full record, an evaluation extract) is a
``Disclosed`` naming what was disclosed, to whom, and on which basis."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StringConstraints

from oneplan.aggregates.base import OnePlanAggregate, require_caseworker
from oneplan.values import AccessedItem, Actor, DisclosureBasis, LegalBasis, Sector

__all__ = ["DISCLOSURES", "AccessRecord", "ItemsShown", "items_shown", "runs_shown"]

_NUMBERED = re.compile(r"^(?P<head>.+)/(?P<n>0|[1-9]\d{0,8})$")
_RANGE = re.compile(r"^(?P<head>.+)/(?P<first>\d{1,9})-(?P<last>\d{1,9})$")


class ItemsShown(BaseModel):
    """Items of one kind shown one after another under one basis (the consent(s) or legal
    basis that allowed them): their ids, a run of numbered ids (a goal's progress notes,
    ``<goal id>/<index>``) written as one range ``<goal id>/<first>-<last>``. What an
    access record keeps of a sector-view read: ids and bases, never the items' content."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Annotated[str, StringConstraints(pattern=r"^[a-z-]{1,40}$")]
    item_ids: tuple[Annotated[str, StringConstraints(max_length=100)], ...]
    basis: DisclosureBasis
    consent_ids: tuple[UUID, ...] = ()
    legal_basis: LegalBasis | None = None

    @property
    def count(self) -> int:
        """How many items this stands for."""
        n = 0
        for item_id in self.item_ids:
            m = _RANGE.match(item_id)
            n += int(m["last"]) - int(m["first"]) + 1 if m else 1
        return n

    def ids(self) -> Iterable[str]:
        """Every item's id, ranges written out, in the order shown."""
        for item_id in self.item_ids:
            m = _RANGE.match(item_id)
            if m is None:
                yield item_id
            else:
                yield from (f"{m['head']}/{i}" for i in range(int(m["first"]), int(m["last"]) + 1))

    def items(self) -> tuple[AccessedItem, ...]:
        """Every item, one by one, with what allowed it."""
        return tuple(
            AccessedItem.model_construct(  # (each part validated here already)
                kind=self.kind,
                item_id=item_id,
                basis=self.basis,
                consent_ids=self.consent_ids,
                legal_basis=self.legal_basis,
            )
            for item_id in self.ids()
        )


def _ranged(ids: list[str]) -> tuple[str, ...]:
    """``ids`` with runs of consecutive numbers under one head written as ranges."""
    out: list[str] = []
    head, first, last = "", -1, -1

    def close() -> None:
        if first >= 0:
            out.append(f"{head}/{first}" if first == last else f"{head}/{first}-{last}")

    for item_id in ids:
        m = _NUMBERED.match(item_id)
        if m is not None and first >= 0 and m["head"] == head and int(m["n"]) == last + 1:
            last += 1
            continue
        close()
        if m is not None:
            head, first, last = m["head"], int(m["n"]), int(m["n"])
        else:
            head, first, last = "", -1, -1
            out.append(item_id)
    close()
    return tuple(out)


def items_shown(items: Iterable[AccessedItem]) -> tuple[ItemsShown, ...]:
    """Items shown, in their order, as runs of one kind under one basis (see
    ``ItemsShown``); ``items()`` of each, in turn, gives them back one by one."""
    return runs_shown(
        (item.kind, item.item_id, item.basis, item.consent_ids, item.legal_basis) for item in items
    )


def runs_shown(
    items: Iterable[tuple[str, str, DisclosureBasis, tuple[UUID, ...], LegalBasis | None]],
) -> tuple[ItemsShown, ...]:
    """``items_shown`` of items given as (kind, id, basis, consent ids, legal basis)."""
    runs: list[tuple[tuple[Any, ...], list[str]]] = []
    last: tuple[Any, ...] | None = None
    for kind, item_id, basis, consent_ids, legal_basis in items:
        key = (kind, basis, consent_ids, legal_basis)
        if key == last:
            runs[-1][1].append(item_id)
        else:
            runs.append((key, [item_id]))
            last = key
    return tuple(
        ItemsShown(
            kind=kind,
            item_ids=_ranged(ids),
            basis=basis,
            consent_ids=consent_ids,
            legal_basis=legal_basis,
        )
        for (kind, basis, consent_ids, legal_basis), ids in runs
    )


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
        self.shown: tuple[ItemsShown, ...]

    @property
    def items(self) -> tuple[AccessedItem, ...]:
        """Every item shown, one by one, with what allowed it."""
        return tuple(item for run in self.shown for item in run.items())

    class SectorViewRead(OnePlanAggregate.Created):
        """A caseworker read a plan's sector view and was shown these items (their ids and
        what allowed each, in runs: ``ItemsShown``)."""

        class_version = 2
        plan_id: UUID
        citizen_ids: tuple[UUID, ...]
        sector: Sector
        as_of: datetime | None
        shown: tuple[ItemsShown, ...]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 listed every item one by one (``items``); version 2 keeps the
            same items, in the same order, as runs under one basis, with a goal's
            consecutive progress notes as one range."""
            items = [AccessedItem.model_validate(item) for item in state.pop("items")]
            state["shown"] = [run.model_dump(mode="json") for run in items_shown(items)]

        @property
        def items(self) -> tuple[AccessedItem, ...]:
            """Every item shown, one by one, with what allowed it."""
            return tuple(item for run in self.shown for item in run.items())

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            aggregate.plan_id = self.plan_id
            aggregate.citizen_ids = self.citizen_ids
            aggregate.sector = self.sector
            aggregate.as_of = self.as_of
            aggregate.shown = self.shown

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
        items: tuple[AccessedItem, ...] = (),
        shown: tuple[ItemsShown, ...] | None = None,
        reader: Actor,
        read_at: datetime,
    ) -> AccessRecord:
        """Record a read of a plan's sector view that showed ``items`` (or the same as
        runs: ``shown``, as ``SectorView.items_shown()`` gives them)."""
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
            shown=items_shown(items) if shown is None else shown,
        )
