"""The seeds' cast and small builders shared by the tests (fakes, not mocks)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from oneplan import (
    Actor,
    ActorKind,
    ConsentGiver,
    InformationCategory,
    Law,
    OnePlan,
    Period,
    Sector,
)

KARIN = Actor.caseworker("karin", Sector.CHILDREN_AND_FAMILY, Law.BL)
ANNE = Actor.caseworker("anne", Sector.EMPLOYMENT, Law.LAB, Law.LAS, Law.SEL)
PETER = Actor.caseworker("peter", Sector.EMPLOYMENT, Law.LAB, Law.LAS)
LARS = Actor.caseworker("lars", Sector.SOCIAL, Law.SEL)
SOFIE = Actor.caseworker("sofie", Sector.HEALTH, Law.SUL)
HOUSING = Actor.caseworker("hanne", Sector.HOUSING, Law.ABL)

ALL_SECTORS = (Sector.EMPLOYMENT, Sector.SOCIAL, Sector.HEALTH, Sector.CHILDREN_AND_FAMILY)
ALL_CATEGORIES = tuple(InformationCategory)


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def citizen_with_consent(
    app: OnePlan,
    *,
    name: str = "Mette",
    birth_date: date = date(1984, 5, 2),
    sectors: tuple[Sector, ...] = ALL_SECTORS,
    effective_at: datetime | None = None,
) -> tuple[UUID, UUID]:
    """A registered adult citizen with an active consent; returns (citizen, consent)."""
    when = effective_at or at(2026, 1, 12)
    citizen = app.register_citizen(name=name, birth_date=birth_date, actor=ANNE, effective_at=when)
    consent = app.grant_consent(
        citizen_id=citizen,
        recipient_sectors=sectors,
        categories=ALL_CATEGORIES,
        purpose="one coordinated plan",
        period=Period(start=when.date(), end=date(2028, 12, 31)),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        actor=ANNE,
        effective_at=when,
    )
    return citizen, consent


def open_plan(
    app: OnePlan, *, coordinator: Actor = ANNE, effective_at: datetime | None = None
) -> tuple[UUID, UUID]:
    """An active plan for a new citizen; returns (plan, citizen)."""
    when = effective_at or at(2026, 1, 14)
    citizen, consent = citizen_with_consent(app)
    plan = app.open_plan(
        citizen_ids=[citizen],
        consent_ids=[consent],
        legal_bases=["LAB § 30 b"],
        coordinator=coordinator,
        actor=coordinator,
        effective_at=when,
    )
    return plan, citizen


def propose(
    app: OnePlan,
    plan: UUID,
    citizen: UUID,
    *,
    sector: Sector = Sector.SOCIAL,
    legal_basis: str = "SEL § 85",
    responsible: Actor = LARS,
    effective_at: datetime | None = None,
) -> UUID:
    """A proposed intervention in ``plan``."""
    return app.propose_intervention(
        plan_id=plan,
        citizen_id=citizen,
        sector=sector,
        legal_basis=legal_basis,
        title="Support contact person",
        responsible=responsible,
        planned_period=Period(start=date(2026, 2, 1), end=date(2026, 12, 31)),
        planned_cost="12000.00",
        actor=ANNE,
        effective_at=effective_at or at(2026, 2, 1),
    )
