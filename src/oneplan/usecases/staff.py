"""Use cases on the staff directory (rule 11): registering staff, their roles and contact
details, and authority delegated under a law (*bemyndigelse*) by a manager of their
sector. The directory is the record that every "who holds authority" check reads."""

from __future__ import annotations

from uuid import UUID, uuid4

from oneplan import commands as c
from oneplan import policies
from oneplan.aggregates.staff import StaffDirectory, StaffMember, staff_member_id
from oneplan.errors import NotFound, StaffNotFound
from oneplan.usecases.base import Area, Deciding, command
from oneplan.values import StaffRole

__all__ = ["StaffCommands"]


class StaffCommands(Area):
    """Commands on the staff directory, and reading it."""

    @command(c.RegisterStaff)
    def register_staff(self, cmd: c.RegisterStaff, d: Deciding) -> UUID:
        """Register a staff member (an administrator's, ``role_held``); returns the id of
        their record."""
        policies.role_held(d.caller, StaffRole.ADMINISTRATOR, "RegisterStaff")
        directory = d.get(StaffDirectory, StaffDirectory.ID)
        actor = d.actor
        directory.add(staff_id=cmd.staff_id, actor=actor, effective_at=d.at)
        member = StaffMember.register(
            staff_id=cmd.staff_id,
            name=cmd.name,
            sector=cmd.sector,
            title=cmd.title,
            contact=cmd.contact,
            roles=cmd.roles,
            actor=actor,
            effective_at=d.at,
        )
        d.add(member)
        return member.id

    @command(c.ChangeStaffContactDetails)
    def change_staff_contact_details(self, cmd: c.ChangeStaffContactDetails, d: Deciding) -> UUID:
        """Change a staff member's name, title or contact details: an administrator, or
        the staff member themself."""
        if d.caller.staff_id != cmd.staff_id:
            policies.role_held(d.caller, StaffRole.ADMINISTRATOR, "ChangeStaffContactDetails")
        member = d.staff(cmd.staff_id)
        member.change_contact_details(
            name=cmd.name, title=cmd.title, contact=cmd.contact, actor=d.actor, effective_at=d.at
        )
        return member.id

    @command(c.GrantStaffRole)
    def grant_staff_role(self, cmd: c.GrantStaffRole, d: Deciding) -> UUID:
        policies.role_held(d.caller, StaffRole.ADMINISTRATOR, "GrantStaffRole")
        member = d.staff(cmd.staff_id)
        member.grant_role(role=cmd.role, actor=d.actor, effective_at=d.at)
        return member.id

    @command(c.RevokeStaffRole)
    def revoke_staff_role(self, cmd: c.RevokeStaffRole, d: Deciding) -> UUID:
        policies.role_held(d.caller, StaffRole.ADMINISTRATOR, "RevokeStaffRole")
        member = d.staff(cmd.staff_id)
        member.revoke_role(role=cmd.role, reason=cmd.reason, actor=d.actor, effective_at=d.at)
        return member.id

    @command(c.DelegateAuthority)
    def delegate_authority(self, cmd: c.DelegateAuthority, d: Deciding) -> UUID:
        """A manager of the staff member's sector delegates authority under a law
        (``delegation_by_a_manager_of_the_sector``); returns the delegation id."""
        member = d.staff(cmd.staff_id)
        policies.delegation_by_a_manager_of_the_sector(d.caller, member)
        delegation_id = cmd.delegation_id or uuid4()
        member.delegate_authority(
            delegation_id=delegation_id,
            law=cmd.law,
            basis=cmd.basis,
            period=cmd.period,
            actor=d.actor,
            effective_at=d.at,
        )
        return delegation_id

    @command(c.RevokeDelegation)
    def revoke_delegation(self, cmd: c.RevokeDelegation, d: Deciding) -> UUID:
        member = d.staff(cmd.staff_id)
        policies.delegation_by_a_manager_of_the_sector(d.caller, member)
        member.revoke_delegation(
            delegation_id=cmd.delegation_id, reason=cmd.reason, actor=d.actor, effective_at=d.at
        )
        return cmd.delegation_id

    @command(c.StaffLeaves)
    def staff_leaves(self, cmd: c.StaffLeaves, d: Deciding) -> UUID:
        policies.role_held(d.caller, StaffRole.ADMINISTRATOR, "StaffLeaves")
        member = d.staff(cmd.staff_id)
        member.leave(reason=cmd.reason, actor=d.actor, effective_at=d.at)
        return member.id

    # --- reading the directory ---------------------------------------------------------

    def staff_member(self, staff_id: str) -> StaffMember:
        """A staff member's record: name, sector, title, contact details, roles and
        delegations (work details, shown to any principal: a citizen's letter names its
        coordinator's)."""
        try:
            return self.app._load(StaffMember, staff_member_id(staff_id))
        except NotFound:
            raise StaffNotFound(staff_id) from None

    def staff(self) -> list[StaffMember]:
        """Everyone in the staff directory, in the order registered."""
        try:
            directory = self.app._load(StaffDirectory, StaffDirectory.ID)
        except NotFound:
            return []
        return [self.staff_member(sid) for sid in directory.staff_ids]
