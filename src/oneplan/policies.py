"""Who may do what: the trust rules (DOMAIN.md rules 11-14), one named function each.

Each rule reads the caller (the principal the host authenticated, resolved against the
record at the command's effective time: ``Caller``) and the aggregates the command
touches, and either returns or raises ``NotPermitted`` naming itself in ``rule``. Reads
of personal data are refused with ``DisclosureRefused``. A reader finds "who may pause
an intervention" with ``grep -n intervention_changed_by_those_holding_it src/``.

Rules inside one aggregate live in that aggregate; rules across aggregates in
``oneplan.rules``; the trust rules here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from uuid import UUID

from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.aggregates.staff import StaffMember
from oneplan.errors import DisclosureRefused as DisclosureRefused
from oneplan.errors import NotPermitted
from oneplan.principals import (
    AuditorPrincipal,
    CitizenPrincipal,
    Principal,
    StaffPrincipal,
    SystemPrincipal,
)
from oneplan.values import ConsentGivenHow, Law, ParticipantRole, Sector, StaffRole

__all__ = [
    "Caller",
    "access_log_to_the_citizen_or_auditors",
    "audit_export_to_auditors",
    "citizen_acts_for_self_or_child_in_custody",
    "citizen_plan_to_the_citizen_or_those_holding_it",
    "consent_is_the_citizens",
    "coordinator_pulls_sectors_in",
    "delegation_by_a_manager_of_the_sector",
    "full_record_to_auditors_and_system_jobs",
    "intervention_changed_by_those_holding_it",
    "journey_to_the_citizen_or_those_holding_it",
    "plan_changed_by_those_holding_it",
    "role_held",
    "staff_decides_under_its_authority",
    "staff_of_the_sector",
    "staff_only",
]


class Caller:
    """The principal, and what the record says of them at ``at``; ``staff``: the staff
    member's record (a staff principal only). Made once per command: a plain class."""

    __slots__ = ("active", "at", "principal", "staff", "staff_id")

    def __init__(self, principal: Principal, at: datetime, staff: StaffMember | None = None):
        self.principal = principal
        self.at = at
        self.staff = staff
        self.staff_id: str | None = (
            principal.staff_id if isinstance(principal, StaffPrincipal) else None
        )
        """The staff id of a staff principal (None for any other)."""
        self.active = staff is not None and staff.active_at(at)
        """Whether the staff record says they work here at ``at`` (read once a command)."""

    def __repr__(self) -> str:
        return f"Caller({self.principal!s} at {self.at.isoformat()})"

    @property
    def citizen_id(self) -> UUID | None:
        p = self.principal
        return p.citizen_id if isinstance(p, CitizenPrincipal) else None

    @property
    def sector(self) -> Sector | None:
        return self.staff.sector if self.staff is not None else None

    def holds_role(self, role: StaffRole) -> bool:
        return self.active and self.staff.role_granted_at(role, self.at)  # type: ignore[union-attr]

    def holds_authority_under(self, law: Law) -> bool:
        return self.staff is not None and law in self.staff.authorities_at(self.at)

    def refuse(self, message: str, rule: str, **ids: object) -> NotPermitted:
        return NotPermitted(message, rule=rule, principal=str(self.principal), **ids)


def plan_holders(
    participant_ids: Iterable[str], coordinator_id: str | None, opened_by: str | None
) -> set[str]:
    """The staff ids who hold a plan: its coordinator and every participant (a plan
    opened without a coordinator is held by whoever opened it until it has one). Writes
    judge it on the aggregate, reads on the plan view: both through here."""
    held = set(participant_ids)
    if coordinator_id is not None:
        held.add(coordinator_id)
    elif opened_by:
        held.add(opened_by)
    return held


def _holding_plan(plan: Plan) -> set[str]:
    return plan_holders(
        plan.participants, plan.coordinator.id if plan.coordinator else None, plan.opened_by
    )


def _coordinating(plan: Plan) -> set[str]:
    """The plan's coordinator and co-coordinators (Randers' pair)."""
    held = {
        pid
        for pid, p in plan.participants.items()
        if p.role in (ParticipantRole.CO_COORDINATOR, ParticipantRole.FAMILY_COORDINATOR)
    }
    if plan.coordinator is not None:
        held.add(plan.coordinator.id)
    return held


# --- rule 11: competence from the record -----------------------------------------------


def staff_only(caller: Caller, command: str) -> StaffMember:
    """Casework is done by staff in the directory, holding the caseworker role."""
    if caller.staff is None or not caller.holds_role(StaffRole.CASEWORKER):
        raise caller.refuse(f"{command} is casework, done by staff holding cases", "staff_only")
    return caller.staff


def role_held(caller: Caller, role: StaffRole, command: str) -> None:
    """Erasure, retention and archive delivery (records officer), keys (key custodian),
    the staff directory (administrator): only staff holding the role at the time."""
    if not caller.holds_role(role):
        raise caller.refuse(f"{command} needs the role {role.value}", "role_held", role=role)


def delegation_by_a_manager_of_the_sector(caller: Caller, member: StaffMember) -> None:
    """Authority under a law is delegated (*bemyndigelse*) by a manager of the staff
    member's own sector, never by the member themself."""
    if (
        caller.staff is None
        or not caller.holds_role(StaffRole.MANAGER)
        or caller.staff.sector is not member.sector
        or caller.staff.staff_id == member.staff_id
    ):
        raise caller.refuse(
            f"delegate authority to {member.staff_id}: only a manager of the "
            f"{member.sector.value} sector delegates",
            "delegation_by_a_manager_of_the_sector",
            staff_id=member.staff_id,
        )


def staff_decides_under_its_authority(caller: Caller, law: Law, command: str) -> None:
    """A decision under a law (a sanction, a benefit) is made by staff holding authority
    under it at the time (rule 3 for decisions outside interventions)."""
    staff_only(caller, command)
    if not caller.holds_authority_under(law):
        raise caller.refuse(
            f"{command} under {law.value}: no authority under it at {caller.at.isoformat()}",
            "staff_decides_under_its_authority",
            law=law,
        )


# --- rule 12: writes come from those who hold the case ---------------------------------


def plan_changed_by_those_holding_it(caller: Caller, plan: Plan, command: str) -> None:
    """A plan is changed by its coordinator, co-coordinators and participants."""
    staff_only(caller, command)
    if caller.staff_id not in _holding_plan(plan):
        raise caller.refuse(
            f"{command} on plan {plan.id}: only its coordinator and participants change it "
            "(ask the coordinator to add you to the plan)",
            "plan_changed_by_those_holding_it",
            plan_id=plan.id,
        )


def coordinator_pulls_sectors_in(caller: Caller, plan: Plan, command: str) -> None:
    """A sector joins a plan only through its coordinator (the ad-hoc team: the
    coordinator pulls a sector in, and it may not refuse); so do coordinator changes.
    A plan opened without a coordinator gets one from whoever opened it."""
    staff_only(caller, command)
    coordinating = _coordinating(plan)
    if not coordinating and plan.coordinator is None:
        coordinating = {plan.opened_by} if plan.opened_by else set()
    if caller.staff_id not in coordinating:
        raise caller.refuse(
            f"{command} on plan {plan.id}: only its coordinator does that",
            "coordinator_pulls_sectors_in",
            plan_id=plan.id,
        )


def intervention_changed_by_those_holding_it(
    caller: Caller,
    intervention: Intervention,
    plan: Plan | Callable[[], Plan | None] | None,
    command: str,
) -> None:
    """An intervention's steps are taken by its responsible caseworker, the plan's
    coordinator (or co-coordinator), or staff of its sector holding authority under its
    law at the time. ``plan``: its plan, or how to read it (only when needed)."""
    staff_only(caller, command)
    if caller.staff_id == intervention.responsible.id:
        return
    if callable(plan):
        plan = plan()
    if plan is not None and caller.staff_id in _coordinating(plan):
        return
    if caller.sector is intervention.sector and caller.holds_authority_under(
        intervention.legal_basis.law
    ):
        return
    raise caller.refuse(
        f"{command} on intervention {intervention.id}: only its responsible caseworker, "
        f"the plan's coordinator, or {intervention.sector.value} staff with authority "
        f"under {intervention.legal_basis.law.value}",
        "intervention_changed_by_those_holding_it",
        intervention_id=intervention.id,
    )


def staff_of_the_sector(caller: Caller, sector: Sector, command: str) -> None:
    """What a sector does on its own (an effort under its own sector plan, outside a
    coordinated plan; a benefit it pays) is done by that sector's staff."""
    staff_only(caller, command)
    if caller.sector is not sector:
        raise caller.refuse(
            f"{command}: done by the {sector.value} sector's own staff",
            "staff_of_the_sector",
            sector=sector,
        )


# --- rule 13: consent is the citizen's ---------------------------------------------------


def citizen_acts_for_self_or_child_in_custody(caller: Caller, citizen: Citizen) -> bool:
    """A citizen principal acts only for themself, or for a child in their recorded
    custody. Returns whether they act as the holder of custody."""
    who = caller.citizen_id
    if who is None:
        raise caller.refuse(
            f"act as citizen {citizen.id}", "citizen_acts_for_self_or_child_in_custody"
        )
    if who == citizen.id:
        return False
    if who in citizen.custody_holders_at(caller.at):
        return True
    raise caller.refuse(
        f"act for citizen {citizen.id}: a citizen acts for themself, or for a child in "
        "their recorded custody",
        "citizen_acts_for_self_or_child_in_custody",
        citizen_id=citizen.id,
    )


def consent_is_the_citizens(
    caller: Caller, citizen: Citizen, given_how: ConsentGivenHow | None, command: str
) -> bool:
    """A consent is given or revoked by the citizen (or a holder of their custody), or
    recorded by a caseworker saying how the citizen gave it; nobody else. Returns
    whether the caller is the citizen's holder of custody."""
    if isinstance(caller.principal, CitizenPrincipal):
        return citizen_acts_for_self_or_child_in_custody(caller, citizen)
    if isinstance(caller.principal, StaffPrincipal):
        staff_only(caller, command)
        if given_how is None:
            raise caller.refuse(
                f"{command} for citizen {citizen.id}: a caseworker records a consent the "
                "citizen gave, saying how (given_how)",
                "consent_is_the_citizens",
                citizen_id=citizen.id,
            )
        return False
    raise caller.refuse(
        f"{command} for citizen {citizen.id}: consent is the citizen's",
        "consent_is_the_citizens",
        citizen_id=citizen.id,
    )


# --- rule 14: every disclosure has a basis, and is logged --------------------------------


def _refuse_read(caller: Caller, what: str, rule: str, **ids: object) -> DisclosureRefused:
    return DisclosureRefused(what, rule=rule, principal=str(caller.principal), **ids)


def citizen_plan_to_the_citizen_or_those_holding_it(
    caller: Caller, plan_holders: Iterable[str], citizens: Iterable[Citizen]
) -> str:
    """The citizen's plan is read by the citizen (a household member), a holder of
    custody of one, staff holding the plan, or an auditor. Returns the basis to log."""
    p = caller.principal
    citizens = list(citizens)
    if isinstance(p, CitizenPrincipal):
        for citizen in citizens:
            if p.citizen_id == citizen.id:
                return "the citizen's own plan"
            if p.citizen_id in citizen.custody_holders_at(caller.at):
                return "holder of custody"
    elif isinstance(p, StaffPrincipal) and caller.staff is not None:
        if caller.staff_id in set(plan_holders):
            return "staff holding the plan"
    elif isinstance(p, AuditorPrincipal):
        return p.basis
    raise _refuse_read(
        caller,
        "read the citizen's plan: only the citizen, a holder of custody, staff holding the "
        "plan, or an auditor",
        "citizen_plan_to_the_citizen_or_those_holding_it",
    )


def journey_to_the_citizen_or_those_holding_it(
    caller: Caller, citizen: Citizen, plan_holders: Iterable[str]
) -> str:
    """A citizen's journey (every contact and change) is read by the citizen, a holder of
    custody, staff holding the citizen's current plan, or an auditor."""
    p = caller.principal
    if isinstance(p, CitizenPrincipal) and (
        p.citizen_id == citizen.id or p.citizen_id in citizen.custody_holders_at(caller.at)
    ):
        return "the citizen's own journey"
    if isinstance(p, StaffPrincipal) and caller.staff_id in set(plan_holders):
        return "staff holding the citizen's plan"
    if isinstance(p, AuditorPrincipal):
        return p.basis
    raise _refuse_read(
        caller,
        f"read the journey of citizen {citizen.id}",
        "journey_to_the_citizen_or_those_holding_it",
        citizen_id=citizen.id,
    )


def full_record_to_auditors_and_system_jobs(caller: Caller, what: str) -> None:
    """The full record (every sector's content, unfiltered) is read only by an auditor
    (logged, with the audit's legal basis) or by a system job of the application's own."""
    if not isinstance(caller.principal, AuditorPrincipal | SystemPrincipal):
        raise _refuse_read(
            caller,
            f"read {what} from the full record: only auditors and system jobs do; staff "
            "read a sector view, citizens their own plan",
            "full_record_to_auditors_and_system_jobs",
        )


def access_log_to_the_citizen_or_auditors(caller: Caller, citizen: Citizen) -> None:
    """Who has looked at a citizen's data is shown to the citizen, a holder of custody,
    an auditor, or staff holding the role of records officer (the data protection
    officer's inquiries)."""
    p = caller.principal
    if isinstance(p, CitizenPrincipal) and (
        p.citizen_id == citizen.id or p.citizen_id in citizen.custody_holders_at(caller.at)
    ):
        return
    if isinstance(p, AuditorPrincipal | SystemPrincipal) or caller.holds_role(
        StaffRole.RECORDS_OFFICER
    ):
        return
    raise _refuse_read(
        caller,
        f"read the access log of citizen {citizen.id}",
        "access_log_to_the_citizen_or_auditors",
        citizen_id=citizen.id,
    )


def audit_export_to_auditors(caller: Caller) -> str:
    """The audit trail (every change and read, of every sector) is exported to auditors
    only, under their legal basis."""
    p = caller.principal
    if isinstance(p, AuditorPrincipal):
        return p.basis
    raise _refuse_read(caller, "export the audit trail: auditors only", "audit_export_to_auditors")
