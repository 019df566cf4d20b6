"""The trust rules (DOMAIN.md rules 11-14, ``oneplan.policies``), one table per rule.

Each row is a principal, a command or a read, and what must come of it: allowed, or the
refusal (its class, and for ``NotPermitted``/``DisclosureRefused`` the ``rule`` naming
the function in ``oneplan.policies`` that refused). Every row is sent through the public
API of a fresh ``OnePlan.open("memory://")`` whose staff are registered one by one
(``tests.builders.register_staff``: each with the roles and the laws given, no more; not
``acting``, which grants every role), and a refused row must have written nothing.

The world of every row: a household plan of Mette and her son Emil (11, in her recorded
custody), coordinated by Anne (employment), with Lars (social) as a participant and Ida
(social) as co-coordinator; in it an employment intervention (Anne responsible), a social
one (Lars) and a health one (Sofie), paused. Ole has a draft plan that Peter opened
without a coordinator; Karl has no plan. Outside every plan: Peter and Jens (employment,
Jens without authority under any law), Sune and Tove (health, Tove without authority),
Hanne (housing, on no plan), the records officer, the administrator, the sectors'
managers; Gone (employment), who left in May; Nina (employment), whose authority under
LAB was delegated from March.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from oneplan import (
    Actor,
    ActorKind,
    AuthorityMissing,
    ConsentGiver,
    DisclosureRefused,
    InformationCategory,
    InvalidInput,
    Law,
    NotPermitted,
    OnePlan,
    OnePlanError,
    Period,
    Principal,
    Sector,
    Session,
    StaffNotFound,
    StaffRole,
)
from tests.builders import ADMIN, AUDITOR, SYSTEM, register_staff
from tests.conftest import NOW, FixedClock

JAN = datetime(2026, 1, 12, 10, tzinfo=UTC)
OPENED = datetime(2026, 1, 14, 10, tzinfo=UTC)
FEB = datetime(2026, 2, 2, 10, tzinfo=UTC)
MARCH = date(2026, 3, 1)
"""Nina's authority under LAB begins."""
APRIL = datetime(2026, 4, 1, 10, tzinfo=UTC)
"""Nina's authority is revoked (in the rows that revoke it)."""
MAY = datetime(2026, 5, 1, 10, tzinfo=UTC)
"""Gone leaves."""
SECTORS = (Sector.EMPLOYMENT, Sector.SOCIAL, Sector.HEALTH)
"""What the plan's consents cover (not housing, not children and family)."""

ALLOWED = "allowed"
Expected = str | tuple[type[OnePlanError], str | None]


@dataclass
class World:
    app: OnePlan
    mette: UUID
    emil: UUID
    ole: UUID
    karl: UUID
    mette_consent: UUID
    plan: UUID
    draft: UUID
    goal: UUID
    employment: UUID
    social: UUID
    health: UUID
    ninas: UUID
    """An employment intervention Nina is responsible for (proposed in February)."""
    ninas_delegation: UUID

    def principal(self, who: str) -> Principal:
        if who in ("mette", "emil", "ole", "karl"):
            return Principal.citizen(getattr(self, who))
        return {"auditor": AUDITOR, "system": SYSTEM}.get(who) or Principal.staff(who)


def build() -> World:
    app = OnePlan.open("memory://", clock=FixedClock(NOW))
    staff: list[tuple[str, Sector, tuple[Law, ...], tuple[StaffRole, ...]]] = [
        ("anne", Sector.EMPLOYMENT, (Law.LAB, Law.LAS), (StaffRole.CASEWORKER,)),
        ("lars", Sector.SOCIAL, (Law.SEL,), (StaffRole.CASEWORKER,)),
        ("ida", Sector.SOCIAL, (Law.SEL,), (StaffRole.CASEWORKER,)),
        ("peter", Sector.EMPLOYMENT, (Law.LAB, Law.LAS), (StaffRole.CASEWORKER,)),
        ("jens", Sector.EMPLOYMENT, (), (StaffRole.CASEWORKER,)),
        ("sofie", Sector.HEALTH, (Law.SUL,), (StaffRole.CASEWORKER,)),
        ("sune", Sector.HEALTH, (Law.SUL,), (StaffRole.CASEWORKER,)),
        ("tove", Sector.HEALTH, (), (StaffRole.CASEWORKER,)),
        ("hanne", Sector.HOUSING, (Law.ABL,), (StaffRole.CASEWORKER,)),
        ("records", Sector.SOCIAL, (), (StaffRole.RECORDS_OFFICER,)),
        ("gone", Sector.EMPLOYMENT, (Law.LAB,), (StaffRole.CASEWORKER,)),
        ("nina", Sector.EMPLOYMENT, (), (StaffRole.CASEWORKER,)),
    ]
    for staff_id, sector, laws, roles in staff:
        register_staff(app, staff_id, sector, *laws, roles=roles)
    anne = app.as_(Principal.staff("anne"))
    mette = anne.register_citizen(name="Mette", birth_date=date(1984, 5, 2), effective_at=JAN)
    emil = anne.register_citizen(name="Emil", birth_date=date(2015, 6, 1), effective_at=JAN)
    ole = anne.register_citizen(name="Ole", birth_date=date(1970, 9, 30), effective_at=JAN)
    karl = anne.register_citizen(name="Karl", birth_date=date(1990, 1, 1), effective_at=JAN)
    anne.record_custody(citizen_id=emil, holder_id=mette, effective_at=JAN)
    consent: dict[str, Any] = {
        "recipient_sectors": SECTORS,
        "categories": tuple(InformationCategory),
        "purpose": "one coordinated plan",
        "period": Period(start=JAN.date(), end=date(2028, 12, 31)),
        "effective_at": JAN,
    }
    mette_consent = app.as_(Principal.citizen(mette)).grant_consent(citizen_id=mette, **consent)
    emil_consent = app.as_(Principal.citizen(mette)).grant_consent(citizen_id=emil, **consent)
    ole_consent = app.as_(Principal.citizen(ole)).grant_consent(citizen_id=ole, **consent)
    plan = anne.open_plan(
        citizen_ids=[mette, emil],
        consent_ids=[mette_consent, emil_consent],
        legal_bases=["LAB § 30 b"],
        coordinator="anne",
        effective_at=OPENED,
    )
    anne.add_participant(plan_id=plan, participant="lars", role="caseworker", effective_at=OPENED)
    anne.add_participant(
        plan_id=plan, participant="ida", role="co-coordinator", effective_at=OPENED
    )
    goal = anne.set_goal(plan_id=plan, description="Works 10 hours a week", effective_at=OPENED)
    draft = app.as_(Principal.staff("peter")).open_plan(
        citizen_ids=[ole],
        consent_ids=[ole_consent],
        legal_bases=["LAB § 30 b"],
        effective_at=OPENED,
    )

    def propose(sector: Sector, basis: str, responsible: str, citizen: UUID = mette) -> UUID:
        return anne.propose_intervention(
            plan_id=plan,
            citizen_id=citizen,
            sector=sector,
            legal_basis=basis,
            title=f"{sector.value} effort",
            responsible=responsible,
            planned_period=Period(start=FEB.date()),
            effective_at=FEB,
        )

    employment = propose(Sector.EMPLOYMENT, "LAB § 32", "anne")
    social = propose(Sector.SOCIAL, "SEL § 85", "lars")
    health = propose(Sector.HEALTH, "SUL § 140", "sofie")
    ninas = propose(Sector.EMPLOYMENT, "LAB § 32", "nina", citizen=emil)
    sofie = app.as_(Principal.staff("sofie"))
    sofie.grant_intervention(intervention_id=health, effective_at=FEB)
    sofie.start_intervention(intervention_id=health, effective_at=FEB)
    sofie.pause_intervention(intervention_id=health, reason="in hospital", effective_at=FEB)
    delegation = app.as_(Principal.staff("manager.employment")).delegate_authority(
        staff_id="nina",
        law=Law.LAB,
        basis="delegation plan, item 3",
        period=Period(start=MARCH),
        effective_at=datetime.combine(MARCH, datetime.min.time(), UTC),
    )
    app.as_(Principal.staff(ADMIN)).staff_leaves(
        staff_id="gone", reason="moved to another municipality", effective_at=MAY
    )
    return World(
        app, mette, emil, ole, karl, mette_consent, plan, draft, goal,
        employment, social, health, ninas, delegation,
    )  # fmt: skip


@pytest.fixture
def world() -> Any:
    found = build()
    try:
        yield found
    finally:
        found.app.close()


def check(
    world: World, who: str, action: Callable[[Session, World], Any], expected: Expected
) -> None:
    """Send ``action`` as ``who``: allowed, or refused as ``expected`` having written
    nothing (no event, so no disclosure logged either)."""
    app = world.app
    session = app.as_(world.principal(who))
    if expected == ALLOWED:
        action(session, world)
        return
    error, rule = expected
    before = app.recorder.max_notification_id()
    with pytest.raises(error) as caught:
        action(session, world)
    assert type(caught.value) is error, repr(caught.value)
    if issubclass(error, NotPermitted):
        assert caught.value.rule == rule, repr(caught.value)  # type: ignore[attr-defined]
        assert caught.value.principal == str(world.principal(who))  # type: ignore[attr-defined]
    assert app.recorder.max_notification_id() == before, "a refusal wrote something"


def rows(*table: tuple[str, str, Expected]) -> Any:
    """A table of (principal, action, expected), each row named after its first two."""
    return pytest.mark.parametrize(
        ("who", "action", "expected"),
        [
            pytest.param(who, ACTIONS[name], expected, id=f"{who}-{name}")
            for who, name, expected in table
        ],
    )


def refused(rule: str) -> Expected:
    return (NotPermitted, rule)


def undisclosed(rule: str) -> Expected:
    return (DisclosureRefused, rule)


UNKNOWN_STAFF: Expected = (StaffNotFound, None)
NO_AUTHORITY: Expected = (AuthorityMissing, None)


def _lab_grant(intervention: str, at: datetime | None = None) -> Callable[[Session, World], Any]:
    def grant(s: Session, w: World) -> Any:
        return s.grant_intervention(
            intervention_id=getattr(w, intervention), **({"effective_at": at} if at else {})
        )

    return grant


ACTIONS: dict[str, Callable[[Session, World], Any]] = {
    # --- casework (staff_only) ---
    "register_citizen": lambda s, w: s.register_citizen(name="Sara", birth_date=date(1990, 1, 1)),
    "record_outcome": lambda s, w: s.record_outcome(citizen_id=w.karl, outcome="work"),
    "record_custody": lambda s, w: s.record_custody(citizen_id=w.karl, holder_id=w.ole),
    "act_before_leaving": lambda s, w: s.record_outcome(
        citizen_id=w.karl, outcome="work", effective_at=datetime(2026, 4, 20, tzinfo=UTC)
    ),
    # --- roles (role_held) ---
    "retention_due": lambda s, w: s.retention_due(),
    "erase_citizen": lambda s, w: s.erase_citizen(citizen_id=w.karl, legal_basis="RSL § 12"),
    "register_staff": lambda s, w: s.register_staff(
        staff_id="new", name="New caseworker", sector="social"
    ),
    "grant_records_role": lambda s, w: s.grant_staff_role(staff_id="jens", role="records-officer"),
    "jens_leaves": lambda s, w: s.staff_leaves(staff_id="jens", reason="retired"),
    # --- delegation (delegation_by_a_manager_of_the_sector) ---
    "delegate_las_to_jens": lambda s, w: s.delegate_authority(
        staff_id="jens", law="LAS", basis="delegation plan, item 4", period=Period(start=NOW.date())
    ),
    "delegate_las_to_myself": lambda s, w: s.delegate_authority(
        staff_id="manager.employment",
        law="LAS",
        basis="delegation plan, item 4",
        period=Period(start=NOW.date()),
    ),
    "revoke_ninas_delegation": lambda s, w: s.revoke_delegation(
        staff_id="nina", delegation_id=w.ninas_delegation, reason="reorganised"
    ),
    # --- a decision under a law (staff_decides_under_its_authority) ---
    "sanction_under_las": lambda s, w: s.impose_sanction(
        citizen_id=w.karl, legal_basis="LAS § 36", reason="missed three meetings"
    ),
    # --- the plan (plan_changed_by_those_holding_it) ---
    "set_goal": lambda s, w: s.set_goal(plan_id=w.plan, description="Takes the bus alone"),
    "record_progress": lambda s, w: s.record_goal_progress(
        plan_id=w.plan, goal_id=w.goal, achievement="improving"
    ),
    "propose_intervention": lambda s, w: s.propose_intervention(
        plan_id=w.plan,
        citizen_id=w.mette,
        sector="social",
        legal_basis="SEL § 85",
        title="Contact person",
        responsible="lars",
        planned_period=Period(start=NOW.date()),
    ),
    "put_on_hold": lambda s, w: s.put_plan_on_hold(plan_id=w.plan, reason="in hospital"),
    "set_goal_in_draft": lambda s, w: s.set_goal(plan_id=w.draft, description="A first goal"),
    "wishes_as_staff": lambda s, w: s.record_citizens_wishes(
        plan_id=w.plan,
        citizen_id=w.mette,
        wishes="To work with animals",
        overarching_goal={"kind": "work"},
    ),
    # --- pulling sectors in (coordinator_pulls_sectors_in) ---
    "add_peter": lambda s, w: s.add_participant(plan_id=w.plan, participant="peter"),
    "add_myself": lambda s, w: s.add_participant(plan_id=w.plan, participant="hanne"),
    "hand_over_to_lars": lambda s, w: s.hand_over_coordinator(
        plan_id=w.plan, new_coordinator="lars", reason="the family's needs changed"
    ),
    "remove_ida": lambda s, w: s.remove_participant(
        plan_id=w.plan, caseworker_id="ida", reason="done"
    ),
    "remove_lars": lambda s, w: s.remove_participant(
        plan_id=w.plan, caseworker_id="lars", reason="done"
    ),
    "assign_coordinator_to_draft": lambda s, w: s.assign_coordinator(
        plan_id=w.draft, coordinator="peter"
    ),
    # --- interventions (intervention_changed_by_those_holding_it) ---
    "grant_employment": _lab_grant("employment"),
    "grant_social": _lab_grant("social"),
    "resume_health": lambda s, w: s.resume_intervention(intervention_id=w.health),
    "record_health_cost": lambda s, w: s.record_actual_cost(
        intervention_id=w.health,
        amount="100.00",
        budget_area="service",
        period=Period(start=FEB.date(), end=FEB.date()),
    ),
    # --- a sector's own (staff_of_the_sector) ---
    "employment_effort_for_karl": lambda s, w: s.propose_intervention_under_sector_plan(
        citizen_id=w.karl,
        sector_plan="employment:LAB § 30",
        legal_basis="LAB § 32",
        title="Job training",
        responsible="peter",
        planned_period=Period(start=NOW.date()),
    ),
    "employment_benefit_for_karl": lambda s, w: s.record_benefit_paid(
        citizen_id=w.karl,
        sector="employment",
        legal_basis="LAS § 25",
        amount="11902.00",
        period=Period(start=date(2026, 9, 1), end=date(2026, 9, 30)),
    ),
    # --- the citizen acting (citizen_acts_for_self_or_child_in_custody) ---
    "wishes_of_mette": lambda s, w: s.record_citizens_wishes(
        plan_id=w.plan,
        citizen_id=w.mette,
        wishes="To work with animals",
        overarching_goal={"kind": "work"},
    ),
    "wishes_of_emil": lambda s, w: s.record_citizens_wishes(
        plan_id=w.plan,
        citizen_id=w.emil,
        wishes="To play football",
        overarching_goal={"kind": "education"},
    ),
    "withdraw_the_plan": lambda s, w: s.withdraw_plan(plan_id=w.plan, reason="no, thank you"),
    # --- consent (consent_is_the_citizens) ---
    "consent_of_mette": lambda s, w: s.grant_consent(
        citizen_id=w.mette,
        recipient_sectors=["housing"],
        categories=["goals"],
        purpose="housing support",
        period=Period(start=NOW.date()),
    ),
    "consent_of_emil": lambda s, w: s.grant_consent(
        citizen_id=w.emil,
        recipient_sectors=["housing"],
        categories=["goals"],
        purpose="housing support",
        period=Period(start=NOW.date()),
    ),
    "consent_of_mette_given_in_a_meeting": lambda s, w: s.grant_consent(
        citizen_id=w.mette,
        recipient_sectors=["housing"],
        categories=["goals"],
        purpose="housing support",
        period=Period(start=NOW.date()),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        given_how="in-meeting",
    ),
    "consent_of_mette_not_saying_how": lambda s, w: s.grant_consent(
        citizen_id=w.mette,
        recipient_sectors=["housing"],
        categories=["goals"],
        purpose="housing support",
        period=Period(start=NOW.date()),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
    ),
    "revoke_mettes_consent": lambda s, w: s.revoke_consent(
        citizen_id=w.mette, consent_id=w.mette_consent, sectors=["health"], reason="not health"
    ),
    "revoke_mettes_consent_by_phone": lambda s, w: s.revoke_consent(
        citizen_id=w.mette,
        consent_id=w.mette_consent,
        sectors=["health"],
        reason="not health",
        given_how="by-phone",
    ),
    # --- reads ---
    "citizen_plan": lambda s, w: s.citizen_plan(w.plan),
    "citizen_plan_of_draft": lambda s, w: s.citizen_plan(w.draft),
    "journey_of_mette": lambda s, w: s.journey(w.mette),
    "journey_of_emil": lambda s, w: s.journey(w.emil),
    "record_plan": lambda s, w: s.record.plan(w.plan),
    "record_citizen": lambda s, w: s.record.citizen(w.mette),
    "evaluation_events": lambda s, w: list(s.evaluation_events()),
    "access_log_of_mette": lambda s, w: s.access_log(w.mette),
    "access_log_of_emil": lambda s, w: s.access_log(w.emil),
    "audit_trail": lambda s, w: list(s.audit_trail(citizen_id=w.mette)),
    "sector_view": lambda s, w: s.sector_view(w.plan),
    "caseload_own": lambda s, w: s.caseload(),
    "caseload_of_anne": lambda s, w: s.caseload("anne"),
    "fhir_export": lambda s, w: s.fhir_bundle(w.plan, recipient="the-hospital-system"),
    "fhir_export_of_draft": lambda s, w: s.fhir_bundle(w.draft, recipient="the-hospital-system"),
}


# --- rule 11: competence from the record -----------------------------------------------


@rows(
    ("anne", "register_citizen", ALLOWED),
    ("jens", "record_outcome", ALLOWED),  # (no authority under any law: casework all the same)
    ("hanne", "record_custody", ALLOWED),
    ("admin", "register_citizen", ALLOWED),  # (the first administrator is a caseworker too)
    ("manager.social", "register_citizen", refused("staff_only")),  # (a manager only)
    ("records", "record_outcome", refused("staff_only")),  # (a records officer only)
    ("mette", "register_citizen", refused("staff_only")),
    ("auditor", "record_outcome", refused("staff_only")),
    ("system", "record_custody", refused("staff_only")),
    ("gone", "record_outcome", refused("staff_only")),  # (left in May)
    ("gone", "act_before_leaving", ALLOWED),  # (backdated to April, when Gone was staff)
    ("ghost", "register_citizen", UNKNOWN_STAFF),
)
def test_staff_only(world: World, who: str, action: Any, expected: Expected) -> None:
    check(world, who, action, expected)


@rows(
    ("records", "retention_due", ALLOWED),
    ("system", "retention_due", ALLOWED),  # (the retention run)
    ("anne", "retention_due", refused("role_held")),
    ("mette", "retention_due", refused("role_held")),
    ("anne", "erase_citizen", refused("role_held")),
    ("auditor", "erase_citizen", refused("role_held")),
    ("admin", "register_staff", ALLOWED),
    ("admin", "grant_records_role", ALLOWED),
    ("admin", "jens_leaves", ALLOWED),
    ("anne", "register_staff", refused("role_held")),
    ("manager.employment", "grant_records_role", refused("role_held")),
    ("records", "jens_leaves", refused("role_held")),
    ("jens", "jens_leaves", refused("role_held")),
)
def test_role_held(world: World, who: str, action: Any, expected: Expected) -> None:
    check(world, who, action, expected)


@rows(
    ("manager.employment", "delegate_las_to_jens", ALLOWED),
    ("manager.employment", "revoke_ninas_delegation", ALLOWED),
    ("manager.social", "delegate_las_to_jens", refused("delegation_by_a_manager_of_the_sector")),
    ("manager.health", "revoke_ninas_delegation", refused("delegation_by_a_manager_of_the_sector")),
    ("anne", "delegate_las_to_jens", refused("delegation_by_a_manager_of_the_sector")),
    ("jens", "delegate_las_to_jens", refused("delegation_by_a_manager_of_the_sector")),
    ("admin", "delegate_las_to_jens", refused("delegation_by_a_manager_of_the_sector")),
    (
        "manager.employment",
        "delegate_las_to_myself",
        refused("delegation_by_a_manager_of_the_sector"),
    ),
    ("mette", "delegate_las_to_jens", refused("delegation_by_a_manager_of_the_sector")),
)
def test_delegation_by_a_manager_of_the_sector(
    world: World, who: str, action: Any, expected: Expected
) -> None:
    check(world, who, action, expected)


@rows(
    ("anne", "sanction_under_las", ALLOWED),
    ("peter", "sanction_under_las", ALLOWED),
    ("lars", "sanction_under_las", refused("staff_decides_under_its_authority")),
    ("jens", "sanction_under_las", refused("staff_decides_under_its_authority")),
    ("hanne", "sanction_under_las", refused("staff_decides_under_its_authority")),
    ("mette", "sanction_under_las", refused("staff_only")),
    ("records", "sanction_under_las", refused("staff_only")),
)
def test_staff_decides_under_its_authority(
    world: World, who: str, action: Any, expected: Expected
) -> None:
    check(world, who, action, expected)


# --- rule 12: writes come from those who hold the case ---------------------------------


@rows(
    ("anne", "set_goal", ALLOWED),  # the coordinator
    ("lars", "set_goal", ALLOWED),  # a participant
    ("ida", "record_progress", ALLOWED),  # a co-coordinator
    ("lars", "propose_intervention", ALLOWED),
    ("anne", "put_on_hold", ALLOWED),
    ("lars", "wishes_as_staff", ALLOWED),
    ("peter", "set_goal", refused("plan_changed_by_those_holding_it")),  # (authority, no plan)
    ("hanne", "set_goal", refused("plan_changed_by_those_holding_it")),
    ("sofie", "put_on_hold", refused("plan_changed_by_those_holding_it")),  # (an intervention's)
    ("hanne", "propose_intervention", refused("plan_changed_by_those_holding_it")),
    ("peter", "wishes_as_staff", refused("plan_changed_by_those_holding_it")),
    ("peter", "set_goal_in_draft", ALLOWED),  # the opener, while there is no coordinator
    ("anne", "set_goal_in_draft", refused("plan_changed_by_those_holding_it")),
    ("mette", "set_goal", refused("staff_only")),
    ("auditor", "set_goal", refused("staff_only")),
    ("gone", "set_goal", refused("staff_only")),
    ("ghost", "set_goal", UNKNOWN_STAFF),
)
def test_plan_changed_by_those_holding_it(
    world: World, who: str, action: Any, expected: Expected
) -> None:
    check(world, who, action, expected)


@rows(
    ("anne", "add_peter", ALLOWED),
    ("ida", "add_peter", ALLOWED),  # a co-coordinator pulls sectors in too
    ("anne", "hand_over_to_lars", ALLOWED),
    ("anne", "remove_ida", ALLOWED),
    ("lars", "remove_lars", ALLOWED),  # a participant leaves by themself
    ("peter", "assign_coordinator_to_draft", ALLOWED),  # the opener gives it its coordinator
    ("lars", "add_peter", refused("coordinator_pulls_sectors_in")),  # a participant only
    ("lars", "remove_ida", refused("coordinator_pulls_sectors_in")),
    ("lars", "hand_over_to_lars", refused("coordinator_pulls_sectors_in")),
    ("hanne", "add_myself", refused("coordinator_pulls_sectors_in")),
    ("peter", "add_peter", refused("coordinator_pulls_sectors_in")),
    ("anne", "assign_coordinator_to_draft", refused("coordinator_pulls_sectors_in")),
    ("mette", "add_peter", refused("staff_only")),
)
def test_coordinator_pulls_sectors_in(
    world: World, who: str, action: Any, expected: Expected
) -> None:
    check(world, who, action, expected)


@rows(
    ("anne", "grant_employment", ALLOWED),  # responsible (and the coordinator)
    ("peter", "grant_employment", ALLOWED),  # employment staff with authority under LAB
    ("lars", "grant_social", ALLOWED),  # responsible
    ("sofie", "resume_health", ALLOWED),  # responsible
    ("sune", "resume_health", ALLOWED),  # health staff with authority under SUL
    ("ida", "resume_health", ALLOWED),  # the plan's co-coordinator
    ("ida", "grant_employment", NO_AUTHORITY),  # a co-coordinator without LAB: rule 3
    ("jens", "grant_employment", refused("intervention_changed_by_those_holding_it")),
    ("lars", "grant_employment", refused("intervention_changed_by_those_holding_it")),
    ("tove", "resume_health", refused("intervention_changed_by_those_holding_it")),
    ("hanne", "grant_employment", refused("intervention_changed_by_those_holding_it")),
    ("hanne", "resume_health", refused("intervention_changed_by_those_holding_it")),
    ("peter", "record_health_cost", refused("intervention_changed_by_those_holding_it")),
    ("mette", "resume_health", refused("staff_only")),
    ("gone", "grant_employment", refused("staff_only")),
)
def test_intervention_changed_by_those_holding_it(
    world: World, who: str, action: Any, expected: Expected
) -> None:
    check(world, who, action, expected)


@rows(
    ("peter", "employment_effort_for_karl", ALLOWED),
    ("jens", "employment_effort_for_karl", ALLOWED),  # (a proposal: no decision yet)
    ("peter", "employment_benefit_for_karl", ALLOWED),
    ("jens", "employment_benefit_for_karl", NO_AUTHORITY),  # (of the sector: rule 3 decides)
    ("lars", "employment_effort_for_karl", refused("staff_of_the_sector")),
    ("hanne", "employment_effort_for_karl", refused("staff_of_the_sector")),
    ("sofie", "employment_benefit_for_karl", refused("staff_of_the_sector")),
    ("karl", "employment_effort_for_karl", refused("staff_only")),
)
def test_staff_of_the_sector(world: World, who: str, action: Any, expected: Expected) -> None:
    check(world, who, action, expected)


# --- rule 13: consent is the citizen's ---------------------------------------------------


@rows(
    ("mette", "wishes_of_mette", ALLOWED),
    ("mette", "wishes_of_emil", ALLOWED),  # her son, in her recorded custody
    ("emil", "wishes_of_emil", ALLOWED),
    ("mette", "withdraw_the_plan", ALLOWED),
    ("ole", "wishes_of_mette", refused("citizen_acts_for_self_or_child_in_custody")),
    ("emil", "wishes_of_mette", refused("citizen_acts_for_self_or_child_in_custody")),
    ("ole", "withdraw_the_plan", refused("citizen_acts_for_self_or_child_in_custody")),
    ("ole", "consent_of_mette", refused("citizen_acts_for_self_or_child_in_custody")),
    ("ole", "revoke_mettes_consent", refused("citizen_acts_for_self_or_child_in_custody")),
    ("emil", "consent_of_mette", refused("citizen_acts_for_self_or_child_in_custody")),
)
def test_citizen_acts_for_self_or_child_in_custody(
    world: World, who: str, action: Any, expected: Expected
) -> None:
    check(world, who, action, expected)


@rows(
    ("mette", "consent_of_mette", ALLOWED),
    ("mette", "consent_of_emil", ALLOWED),  # as the holder of custody of a child of 11
    ("mette", "revoke_mettes_consent", ALLOWED),
    ("lars", "consent_of_mette_given_in_a_meeting", ALLOWED),  # recorded, saying how
    ("hanne", "revoke_mettes_consent_by_phone", ALLOWED),
    ("lars", "consent_of_mette_not_saying_how", refused("consent_is_the_citizens")),
    ("anne", "revoke_mettes_consent", refused("consent_is_the_citizens")),
    ("auditor", "consent_of_mette_given_in_a_meeting", refused("consent_is_the_citizens")),
    ("system", "consent_of_mette", refused("consent_is_the_citizens")),
    ("records", "consent_of_mette_given_in_a_meeting", refused("staff_only")),
)
def test_consent_is_the_citizens(world: World, who: str, action: Any, expected: Expected) -> None:
    check(world, who, action, expected)


# --- rule 14: every disclosure has a basis, and is logged --------------------------------


@rows(
    ("mette", "citizen_plan", ALLOWED),
    ("emil", "citizen_plan", ALLOWED),  # a household member
    ("anne", "citizen_plan", ALLOWED),
    ("lars", "citizen_plan", ALLOWED),
    ("auditor", "citizen_plan", ALLOWED),
    ("peter", "citizen_plan_of_draft", ALLOWED),  # the opener holds a plan without coordinator
    ("ole", "citizen_plan", undisclosed("citizen_plan_to_the_citizen_or_those_holding_it")),
    ("peter", "citizen_plan", undisclosed("citizen_plan_to_the_citizen_or_those_holding_it")),
    ("hanne", "citizen_plan", undisclosed("citizen_plan_to_the_citizen_or_those_holding_it")),
    ("records", "citizen_plan", undisclosed("citizen_plan_to_the_citizen_or_those_holding_it")),
    ("system", "citizen_plan", undisclosed("citizen_plan_to_the_citizen_or_those_holding_it")),
    (
        "anne",
        "citizen_plan_of_draft",
        undisclosed("citizen_plan_to_the_citizen_or_those_holding_it"),
    ),
    ("gone", "citizen_plan", UNKNOWN_STAFF),
    ("ghost", "citizen_plan", UNKNOWN_STAFF),
)
def test_citizen_plan_to_the_citizen_or_those_holding_it(
    world: World, who: str, action: Any, expected: Expected
) -> None:
    check(world, who, action, expected)


@rows(
    ("mette", "journey_of_mette", ALLOWED),
    ("mette", "journey_of_emil", ALLOWED),  # holder of custody
    ("ida", "journey_of_mette", ALLOWED),
    ("auditor", "journey_of_emil", ALLOWED),
    ("emil", "journey_of_mette", undisclosed("journey_to_the_citizen_or_those_holding_it")),
    ("ole", "journey_of_mette", undisclosed("journey_to_the_citizen_or_those_holding_it")),
    ("hanne", "journey_of_mette", undisclosed("journey_to_the_citizen_or_those_holding_it")),
    ("sofie", "journey_of_emil", undisclosed("journey_to_the_citizen_or_those_holding_it")),
    ("system", "journey_of_mette", undisclosed("journey_to_the_citizen_or_those_holding_it")),
)
def test_journey_to_the_citizen_or_those_holding_it(
    world: World, who: str, action: Any, expected: Expected
) -> None:
    check(world, who, action, expected)


@rows(
    ("auditor", "record_plan", ALLOWED),
    ("system", "record_citizen", ALLOWED),
    ("auditor", "evaluation_events", ALLOWED),
    ("system", "evaluation_events", ALLOWED),
    ("anne", "record_plan", undisclosed("full_record_to_auditors_and_system_jobs")),
    ("records", "record_citizen", undisclosed("full_record_to_auditors_and_system_jobs")),
    ("mette", "record_citizen", undisclosed("full_record_to_auditors_and_system_jobs")),
    ("anne", "evaluation_events", undisclosed("full_record_to_auditors_and_system_jobs")),
    ("ghost", "record_plan", UNKNOWN_STAFF),
)
def test_full_record_to_auditors_and_system_jobs(
    world: World, who: str, action: Any, expected: Expected
) -> None:
    check(world, who, action, expected)


@rows(
    ("mette", "access_log_of_mette", ALLOWED),
    ("mette", "access_log_of_emil", ALLOWED),  # holder of custody
    ("auditor", "access_log_of_mette", ALLOWED),
    ("records", "access_log_of_emil", ALLOWED),  # the data protection officer's inquiry
    ("emil", "access_log_of_mette", undisclosed("access_log_to_the_citizen_or_auditors")),
    ("ole", "access_log_of_mette", undisclosed("access_log_to_the_citizen_or_auditors")),
    ("anne", "access_log_of_mette", undisclosed("access_log_to_the_citizen_or_auditors")),
)
def test_access_log_to_the_citizen_or_auditors(
    world: World, who: str, action: Any, expected: Expected
) -> None:
    check(world, who, action, expected)


@rows(
    ("auditor", "audit_trail", ALLOWED),
    ("system", "audit_trail", undisclosed("audit_export_to_auditors")),
    ("records", "audit_trail", undisclosed("audit_export_to_auditors")),
    ("anne", "audit_trail", undisclosed("audit_export_to_auditors")),
    ("mette", "audit_trail", undisclosed("audit_export_to_auditors")),
)
def test_audit_export_to_auditors(world: World, who: str, action: Any, expected: Expected) -> None:
    check(world, who, action, expected)


@rows(
    ("anne", "sector_view", ALLOWED),
    ("hanne", "sector_view", ALLOWED),  # (shown only what consents let housing see)
    ("records", "sector_view", ALLOWED),
    ("mette", "sector_view", undisclosed("sector_view_to_staff")),
    ("auditor", "sector_view", undisclosed("sector_view_to_staff")),
    ("system", "sector_view", undisclosed("sector_view_to_staff")),
    ("gone", "sector_view", UNKNOWN_STAFF),
    ("ghost", "sector_view", UNKNOWN_STAFF),
)
def test_sector_view_to_staff(world: World, who: str, action: Any, expected: Expected) -> None:
    check(world, who, action, expected)


@rows(
    ("anne", "caseload_own", ALLOWED),
    ("anne", "caseload_of_anne", ALLOWED),
    ("auditor", "caseload_of_anne", ALLOWED),
    ("lars", "caseload_of_anne", undisclosed("caseload_to_its_coordinator")),
    ("mette", "caseload_of_anne", undisclosed("caseload_to_its_coordinator")),
    ("system", "caseload_own", undisclosed("caseload_to_its_coordinator")),
)
def test_caseload_to_its_coordinator(
    world: World, who: str, action: Any, expected: Expected
) -> None:
    check(world, who, action, expected)


@rows(
    ("anne", "fhir_export", ALLOWED),
    ("lars", "fhir_export", ALLOWED),
    ("auditor", "fhir_export", ALLOWED),
    ("system", "fhir_export", ALLOWED),
    ("peter", "fhir_export_of_draft", ALLOWED),  # the opener
    ("hanne", "fhir_export", undisclosed("fhir_export_to_a_named_recipient")),
    ("peter", "fhir_export", undisclosed("fhir_export_to_a_named_recipient")),
    ("mette", "fhir_export", undisclosed("fhir_export_to_a_named_recipient")),
)
def test_fhir_export_to_a_named_recipient(
    world: World, who: str, action: Any, expected: Expected
) -> None:
    check(world, who, action, expected)


def test_a_fhir_export_needs_an_active_consent_or_a_named_legal_basis(world: World) -> None:
    app, anne = world.app, world.app.as_(Principal.staff("anne"))
    mette = app.as_(Principal.citizen(world.mette))
    mette.revoke_consent(citizen_id=world.mette, consent_id=world.mette_consent)
    emil_consent = next(iter(app.as_(SYSTEM).record.plan(world.plan).consent_ids[1:]))
    mette.revoke_consent(citizen_id=world.emil, consent_id=emil_consent)

    check(world, "anne", ACTIONS["fhir_export"], undisclosed("fhir_export_to_a_named_recipient"))
    anne.fhir_bundle(world.plan, recipient="the-hospital-system", legal_basis="SEL § 12")


# --- rule 11 at the effective time ---------------------------------------------------


def test_a_grant_backdated_to_before_the_delegation_began_finds_no_authority(
    world: World,
) -> None:
    """Nina is the intervention's responsible caseworker (she may take its steps), but
    her authority under LAB begins in March: a grant dated February is refused by rule 3,
    since the Actor the record gives her then holds no law; dated March, it is granted."""
    nina = world.app.as_(Principal.staff("nina"))
    check(world, "nina", _lab_grant("ninas", datetime(2026, 2, 20, tzinfo=UTC)), NO_AUTHORITY)

    nina.grant_intervention(
        intervention_id=world.ninas, effective_at=datetime(2026, 3, 2, tzinfo=UTC)
    )
    decision = world.app.as_(SYSTEM).record.intervention(world.ninas).decision
    assert decision is not None
    assert decision.decided_by.id == "nina"
    assert decision.decided_by.authorities == (Law.LAB,)


def test_a_delegation_revoked_then_a_grant_is_refused_but_one_dated_before_stands(
    world: World,
) -> None:
    app = world.app
    app.as_(Principal.staff("manager.employment")).revoke_delegation(
        staff_id="nina", delegation_id=world.ninas_delegation, reason="moved", effective_at=APRIL
    )

    check(world, "nina", _lab_grant("ninas", datetime(2026, 4, 10, tzinfo=UTC)), NO_AUTHORITY)
    check(world, "nina", _lab_grant("ninas"), NO_AUTHORITY)  # (now)
    check(world, "nina", _lab_grant("ninas", datetime(2026, 3, 20, tzinfo=UTC)), ALLOWED)


def test_a_staff_member_who_left_cannot_act_nor_read_nor_be_named(world: World) -> None:
    gone = world.app.as_(Principal.staff("gone"))
    with pytest.raises(NotPermitted) as caught:
        gone.register_citizen(name="Sara", birth_date=date(1990, 1, 1))
    assert caught.value.rule == "staff_only"  # type: ignore[attr-defined]
    with pytest.raises(StaffNotFound):
        gone.sector_view(world.plan)
    with pytest.raises(StaffNotFound):  # (named as a participant after leaving)
        world.app.as_(Principal.staff("anne")).add_participant(
            plan_id=world.plan, participant="gone"
        )
    # before leaving, Gone was staff (a command backdated to April)
    gone.register_citizen(
        name="Sara", birth_date=date(1990, 1, 1), effective_at=datetime(2026, 4, 20, tzinfo=UTC)
    )


# --- the reported cases ----------------------------------------------------------------

EVERY_LAW = Actor.caseworker("hanne", Sector.EMPLOYMENT, *Law)
"""What a housing caseworker on no plan used to be able to claim to be."""


@pytest.mark.parametrize(
    "action", ["set_goal", "grant_employment", "resume_health"], ids=lambda name: name
)
def test_a_housing_caseworker_on_no_plan_claiming_every_law_cannot_change_the_plan(
    world: World, action: str
) -> None:
    """Hanne (housing, ABL, on no plan) cannot set a goal, grant an employment
    intervention or resume a health one: the principal carries no laws, the directory
    gives her ABL only, and she holds neither the plan nor the interventions. A claim in
    the command itself (the ``actor`` it used to take) is refused as input."""
    rule = (
        "plan_changed_by_those_holding_it"
        if action == "set_goal"
        else ("intervention_changed_by_those_holding_it")
    )
    check(world, "hanne", ACTIONS[action], refused(rule))
    hanne = world.app.as_(Principal.staff("hanne"))
    before = world.app.recorder.max_notification_id()
    claims: dict[str, Callable[[], Any]] = {
        "set_goal": lambda: hanne.set_goal(
            plan_id=world.plan, description="A goal", actor=EVERY_LAW
        ),
        "grant_employment": lambda: hanne.grant_intervention(
            intervention_id=world.employment, actor=EVERY_LAW
        ),
        "resume_health": lambda: hanne.resume_intervention(
            intervention_id=world.health, actor=EVERY_LAW
        ),
    }
    with pytest.raises(InvalidInput, match="actor"):
        claims[action]()
    assert world.app.recorder.max_notification_id() == before


@pytest.mark.parametrize("action", ["consent_of_mette", "revoke_mettes_consent"])
def test_a_citizen_principal_who_is_not_the_citizen_cannot_consent_in_their_name(
    world: World, action: str
) -> None:
    check(world, "ole", ACTIONS[action], refused("citizen_acts_for_self_or_child_in_custody"))
    consents = world.app.as_(SYSTEM).record.citizen(world.mette).consents
    assert consents[world.mette_consent].revoked_at is None
    assert len(consents) == 1


def test_a_housing_reader_gets_no_coordinator_access_in_a_sector_view_by_anything_passed(
    world: World,
) -> None:
    """The plan's consents do not cover housing: Anne, its coordinator, sees its goals
    under them; Hanne sees none, as housing, whatever she passes. Coordinator access is
    matched against the authenticated principal, never input."""
    app = world.app
    hanne = app.as_(Principal.staff("hanne"))
    coordinator = app.as_(Principal.staff("anne")).sector_view(world.plan)
    assert coordinator.goals
    assert coordinator.coordinator is not None

    for view in (
        hanne.sector_view(world.plan),
        hanne.sector_view(world.plan, sector="housing"),
        hanne.sector_view(world.plan, sector=Sector.HOUSING, as_of=datetime.now(UTC)),
    ):
        assert view.sector is Sector.HOUSING
        assert view.goals == ()
        assert view.coordinator is None
        assert list(view.shown()) == []
    before = app.recorder.max_notification_id()
    for sector in ("employment", Sector.EMPLOYMENT, "social"):  # (anne's, the coordinator's)
        with pytest.raises(InvalidInput, match="sector"):
            hanne.sector_view(world.plan, sector=sector)
    with pytest.raises(TypeError):  # (there is nothing else to pass)
        hanne.sector_view(world.plan, reader=Actor.caseworker("anne", Sector.EMPLOYMENT))  # type: ignore[call-arg]
    assert app.recorder.max_notification_id() == before


def test_every_rule_of_oneplan_policies_has_a_table_here() -> None:
    """Each named trust rule (and the reads' rules) is exercised by a test named after it."""
    import oneplan.policies as policies

    named = {name for name in policies.__all__ if name != "Caller"}
    named |= {
        "sector_view_to_staff",
        "caseload_to_its_coordinator",
        "fhir_export_to_a_named_recipient",
    }
    tests = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert named - tests == set()
