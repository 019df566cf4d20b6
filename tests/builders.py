"""The seeds' cast and small builders shared by the tests (fakes, not mocks).

The cast are ``Actor`` values, as the aggregates record them. A test sends commands as
one of them with ``acting(app, ANNE)``: on first use the cast member is registered in
the app's staff directory (bootstrapped if new) with the authority under each of their
laws delegated by a manager of their sector, from 2000, and with every staff role, so
that a test of a feature exercises that feature, not the trust rules
(``tests/unit/test_trust_rules.py`` does those with staff registered one by one).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, date, datetime
from uuid import UUID

from oneplan import (
    Actor,
    ActorKind,
    ConsentGiver,
    FullRecord,
    IllegalTransition,
    InformationCategory,
    InvalidInput,
    Law,
    OnePlan,
    Period,
    Principal,
    Sector,
    Session,
    StaffNotFound,
    StaffRole,
)
from oneplan.aggregates.staff import StaffDirectory

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""When the tests' staff directory begins (before every course the tests write)."""
SYSTEM = Principal.system("tests")
AUDITOR = Principal.auditor("auditor", basis="Kommunestyrelsesloven § 42 (tests)")
ADMIN = "admin"
ALL_ROLES = tuple(StaffRole)


def _registered(app: OnePlan) -> set[str]:
    found: set[str] | None = getattr(app, "_test_staff", None)
    if found is None:
        found = set()
        app._test_staff = found  # type: ignore[attr-defined]
    return found


def bootstrap(app: OnePlan) -> str:
    """The tests' staff directory: an administrator, from 2000. On a record bootstrapped
    already (the demo's), its first administrator. Returns the administrator's id."""
    found: str | None = getattr(app, "_test_admin", None)
    if found is not None:
        return found
    try:
        app.bootstrap(
            staff_id=ADMIN, name="Administrator", sector=Sector.SOCIAL, effective_at=EPOCH
        )
        found = ADMIN
    except (IllegalTransition, InvalidInput):  # (bootstrapped already, in this database)
        found = app._load(StaffDirectory, StaffDirectory.ID).first_administrator
    app._test_admin = found  # type: ignore[attr-defined]
    _registered(app).add(found)
    return found


def register_staff(
    app: OnePlan,
    staff_id: str,
    sector: Sector,
    *laws: Law,
    name: str = "",
    roles: tuple[StaffRole, ...] = (StaffRole.CASEWORKER,),
    since: datetime = EPOCH,
) -> Principal:
    """Register a staff member (by the tests' administrator) and delegate ``laws`` to
    them (by a manager of their sector) from ``since``; returns their principal."""
    admin_id = bootstrap(app)
    admin = app.as_(Principal.staff(admin_id))
    began = admin.staff_member(admin_id).began_at or EPOCH
    since = max(since, began)  # (a directory someone else began later: the demo's)
    try:
        admin.register_staff(
            staff_id=staff_id, name=name or staff_id, sector=sector, roles=roles, effective_at=since
        )
    except InvalidInput:
        return Principal.staff(staff_id)  # (registered already, in this database)
    if laws:
        manager = f"manager.{sector.value}"
        if manager not in _registered(app):
            with suppress(InvalidInput):  # (registered already, in this database)
                admin.register_staff(
                    staff_id=manager,
                    name=f"Manager of {sector.value}",
                    sector=sector,
                    roles=(StaffRole.MANAGER,),
                    effective_at=max(EPOCH, began),
                )
            _registered(app).add(manager)
        for law in laws:
            app.as_(Principal.staff(manager)).delegate_authority(
                staff_id=staff_id,
                law=law,
                basis="delegation plan (tests)",
                period=Period(start=since.date()),
                effective_at=since,
            )
    return Principal.staff(staff_id)


def acting(app: OnePlan, actor: Actor | Principal) -> Session:
    """The session of ``actor``: a cast member (registered with every role and their
    laws on first use), or a principal as it is."""
    if isinstance(actor, Principal):
        return app.as_(actor)
    if actor.kind is not ActorKind.CASEWORKER:
        raise ValueError(f"{actor} is no staff member: send as Principal.citizen(...)")
    known = _registered(app)
    if actor.id not in known:
        try:
            app.as_(SYSTEM).staff_member(actor.id)
        except StaffNotFound:
            assert actor.sector is not None
            register_staff(
                app, actor.id, actor.sector, *actor.authorities, name=actor.name, roles=ALL_ROLES
            )
        known.add(actor.id)
    return app.as_(Principal.staff(actor.id))


def record(app: OnePlan) -> FullRecord:
    """The full record, read by the tests' system job (not logged)."""
    return app.as_(SYSTEM).record


def auditing(app: OnePlan) -> Session:
    """An auditor's session (reads logged)."""
    return app.as_(AUDITOR)


def system(app: OnePlan) -> Session:
    """The tests' system job's session."""
    return app.as_(SYSTEM)


def officer(app: OnePlan) -> Session:
    """A records officer and key custodian."""
    return acting(app, RECORDS)


KARIN = Actor.caseworker("karin", Sector.CHILDREN_AND_FAMILY, Law.BL)
ANNE = Actor.caseworker("anne", Sector.EMPLOYMENT, Law.LAB, Law.LAS, Law.SEL)
PETER = Actor.caseworker("peter", Sector.EMPLOYMENT, Law.LAB, Law.LAS)
LARS = Actor.caseworker("lars", Sector.SOCIAL, Law.SEL)
SOFIE = Actor.caseworker("sofie", Sector.HEALTH, Law.SUL)
HOUSING = Actor.caseworker("hanne", Sector.HOUSING, Law.ABL)
RECORDS = Actor.caseworker("records", Sector.SOCIAL)
"""A records officer and key custodian (every role, no law)."""

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
    citizen = acting(app, ANNE).register_citizen(
        name=name, birth_date=birth_date, effective_at=when
    )
    consent = acting(app, ANNE).grant_consent(
        given_how="in-meeting",
        citizen_id=citizen,
        recipient_sectors=sectors,
        categories=ALL_CATEGORIES,
        purpose="one coordinated plan",
        period=Period(start=when.date(), end=date(2028, 12, 31)),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        effective_at=when,
    )
    return citizen, consent


def open_plan(
    app: OnePlan, *, coordinator: Actor = ANNE, effective_at: datetime | None = None
) -> tuple[UUID, UUID]:
    """An active plan for a new citizen; returns (plan, citizen)."""
    when = effective_at or at(2026, 1, 14)
    citizen, consent = citizen_with_consent(app)
    plan = acting(app, coordinator).open_plan(
        citizen_ids=[citizen],
        consent_ids=[consent],
        legal_bases=["LAB § 30 b"],
        coordinator=coordinator,
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
    """A proposed intervention in ``plan`` (its responsible registered first)."""
    acting(app, responsible)
    return acting(app, ANNE).propose_intervention(
        plan_id=plan,
        citizen_id=citizen,
        sector=sector,
        legal_basis=legal_basis,
        title="Support contact person",
        responsible=responsible,
        planned_period=Period(start=date(2026, 2, 1), end=date(2026, 12, 31)),
        planned_cost="12000.00",
        effective_at=effective_at or at(2026, 2, 1),
    )
