"""The staff directory (rule 11): who works for the municipality, in which sector and
role, how a citizen reaches them, and the authority under each law delegated to them
(*bemyndigelse*) by a named manager, for a period, until revoked.

Identity comes from the host; competence comes from here. Rule 3 (only a caseworker
with authority under an intervention's law grants it) and every other "who holds
authority" check read a staff member's record **at the command's effective time**.
A staff member's work contact details are not the citizen's personal data: they are
stored in the clear, like the caseworker named on an event.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import attrs

from oneplan.aggregates.base import OnePlanAggregate, require_text
from oneplan.errors import IllegalTransition, InvalidInput
from oneplan.values import (
    Actor,
    ContactDetails,
    Law,
    Period,
    Sector,
    StaffRole,
)

__all__ = ["Delegation", "StaffDirectory", "StaffMember", "staff_member_id"]

_STAFF = uuid5(NAMESPACE_URL, "urn:oneplan:staff")


@functools.lru_cache(maxsize=8192)
def staff_member_id(staff_id: str) -> UUID:
    """The stream id of a staff member's record (one per directory id)."""
    return uuid5(_STAFF, staff_id)


@functools.lru_cache(maxsize=8192)
def _caseworker(staff_id: str, sector: Sector, authorities: tuple[Law, ...], name: str) -> Actor:
    """``Actor.caseworker``, made once per distinct value (an ``Actor`` is frozen)."""
    return Actor.caseworker(staff_id, sector, *authorities, name=name)


@attrs.frozen
class Delegation:
    """Authority under a law delegated to a staff member (*bemyndigelse*)."""

    delegation_id: UUID
    law: Law
    basis: str
    """The delegation's basis (the municipality's delegation plan and its item)."""
    period: Period
    delegated_by: str
    """The manager who delegated it (a staff id)."""
    delegated_at: datetime
    revoked_at: datetime | None = None

    def holds_at(self, at: datetime) -> bool:
        return (
            self.delegated_at <= at
            and self.period.contains(at)
            and (self.revoked_at is None or at < self.revoked_at)
        )


_ZERO = timedelta(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@attrs.frozen
class _AuthoritySpans:
    """A staff member's authorities (and the ``Actor`` they act as) over time, as the
    times where they change and what holds from each one on (for times in UTC: a
    period's dates begin and end at UTC midnight). Every condition of
    ``_authorities_scanned`` changes only at one of these times, so the answer read off
    at a span's first moment holds for the whole span: one bisection per command
    instead of reading every delegation. Made again by every event that changes one of
    them (state derived from the events, as the rest of the record is)."""

    starts: tuple[datetime, ...]
    held: tuple[tuple[tuple[Law, ...], Actor], ...]
    """What holds before ``starts[0]``, then from each start on."""

    @classmethod
    def of(cls, member: StaffMember) -> _AuthoritySpans:
        points: set[datetime] = set()
        if member.began_at is not None:
            points.add(member.began_at)
        if member.left_at is not None:
            points.add(member.left_at)
        for d in member.delegations.values():
            points.add(d.delegated_at)
            points.add(_midnight(d.period.start))
            if d.period.end is not None:
                points.add(_midnight(d.period.end + timedelta(days=1)))
            if d.revoked_at is not None:
                points.add(d.revoked_at)
        starts = tuple(sorted(p.astimezone(UTC) for p in points))
        before = starts[0] - timedelta(microseconds=1) if starts else _EPOCH
        held = []
        for at in (before, *starts):
            laws = member._authorities_scanned(at)
            held.append((laws, _caseworker(member.staff_id, member.sector, laws, member.name)))
        return cls(starts, tuple(held))

    def at(self, at: datetime) -> tuple[tuple[Law, ...], Actor]:
        return self.held[bisect_right(self.starts, at)]


_NO_SPANS = _AuthoritySpans((), ())


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class StaffMember(OnePlanAggregate):
    """A staff member of the municipality (*medarbejder*) in the staff directory."""

    def __init__(self) -> None:
        super().__init__()
        self.staff_id: str
        self.name: str
        self.sector: Sector
        self.title: str = ""
        self.contact: ContactDetails = ContactDetails()
        self.roles: dict[StaffRole, tuple[datetime, datetime | None]] = {}
        """Each role ever held: (granted at, revoked at or None)."""
        self.delegations: dict[UUID, Delegation] = {}
        self.left_at: datetime | None = None
        self.authority_spans: _AuthoritySpans = _NO_SPANS
        """Authorities and actor over time (``authorities_at``, ``actor_at``)."""

    # --- events ----------------------------------------------------------------------

    class Registered(OnePlanAggregate.Created):
        """A staff member was registered in the directory."""

        staff_id: str
        name: str
        sector: Sector
        title: str
        contact: ContactDetails
        roles: tuple[StaffRole, ...]

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            aggregate.staff_id = self.staff_id
            aggregate.name = self.name
            aggregate.sector = self.sector
            aggregate.title = self.title
            aggregate.contact = self.contact
            aggregate.roles = dict.fromkeys(self.roles, (self.effective_at, None))
            aggregate.delegations = {}
            aggregate.left_at = None
            aggregate.authority_spans = _AuthoritySpans.of(aggregate)

    class ContactDetailsChanged(OnePlanAggregate.Event):
        """The staff member's name, title or contact details changed."""

        name: str
        title: str
        contact: ContactDetails

        def apply(self, aggregate: Any) -> None:
            aggregate.name = self.name
            aggregate.title = self.title
            aggregate.contact = self.contact
            aggregate.authority_spans = _AuthoritySpans.of(aggregate)

    class RoleGranted(OnePlanAggregate.Event):
        """An administrator granted the staff member a role (records officer, key
        custodian, manager, ...)."""

        role: StaffRole

        def apply(self, aggregate: Any) -> None:
            aggregate.roles[self.role] = (self.effective_at, None)

    class RoleRevoked(OnePlanAggregate.Event):
        """An administrator revoked one of the staff member's roles, from then on."""

        role: StaffRole
        reason: str

        def apply(self, aggregate: Any) -> None:
            granted, _ = aggregate.roles[self.role]
            aggregate.roles[self.role] = (granted, self.effective_at)

    class AuthorityDelegated(OnePlanAggregate.Event):
        """A manager delegated authority under a law (*bemyndigelse*)."""

        delegation_id: UUID
        law: Law
        basis: str
        period: Period
        delegated_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.delegations[self.delegation_id] = Delegation(
                delegation_id=self.delegation_id,
                law=self.law,
                basis=self.basis,
                period=self.period,
                delegated_by=self.delegated_by,
                delegated_at=self.effective_at,
            )
            aggregate.authority_spans = _AuthoritySpans.of(aggregate)

    class DelegationRevoked(OnePlanAggregate.Event):
        """A delegation of authority under a law was revoked, from then on."""

        delegation_id: UUID
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.delegations[self.delegation_id] = attrs.evolve(
                aggregate.delegations[self.delegation_id], revoked_at=self.effective_at
            )
            aggregate.authority_spans = _AuthoritySpans.of(aggregate)

    class Left(OnePlanAggregate.Event):
        """The staff member left: from now on they neither act nor are assigned."""

        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.left_at = self.effective_at
            aggregate.authority_spans = _AuthoritySpans.of(aggregate)

    # --- commands --------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        staff_id: str,
        name: str,
        sector: Sector,
        title: str,
        contact: ContactDetails,
        roles: tuple[StaffRole, ...],
        actor: Actor,
        effective_at: datetime,
    ) -> StaffMember:
        """Register a staff member in the directory."""
        return cls._begin(
            cls.Registered,
            id=staff_member_id(staff_id),
            actor=actor,
            effective_at=effective_at,
            staff_id=staff_id,
            name=require_text("RegisterStaff", "name", name),
            sector=sector,
            title=title,
            contact=contact,
            roles=tuple(sorted(set(roles))),
        )

    def change_contact_details(
        self,
        *,
        name: str | None,
        title: str | None,
        contact: ContactDetails | None,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        self._require_here("ChangeStaffContactDetails", effective_at)
        self._record(
            self.ContactDetailsChanged,
            actor=actor,
            effective_at=effective_at,
            name=require_text("ChangeStaffContactDetails", "name", name or self.name),
            title=self.title if title is None else title,
            contact=contact or self.contact,
        )

    def grant_role(self, *, role: StaffRole, actor: Actor, effective_at: datetime) -> None:
        self._require_here("GrantStaffRole", effective_at)
        if self.holds_role(role, effective_at):
            return
        self._record(self.RoleGranted, actor=actor, effective_at=effective_at, role=role)

    def revoke_role(
        self, *, role: StaffRole, reason: str, actor: Actor, effective_at: datetime
    ) -> None:
        if not self.holds_role(role, effective_at):
            raise IllegalTransition(
                f"{self.staff_id} does not hold the role {role.value}",
                staff_id=self.staff_id,
                role=role,
            )
        self._record(
            self.RoleRevoked,
            actor=actor,
            effective_at=effective_at,
            role=role,
            reason=require_text("RevokeStaffRole", "reason", reason),
        )

    def delegate_authority(
        self,
        *,
        delegation_id: UUID,
        law: Law,
        basis: str,
        period: Period,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        """Delegate authority under ``law`` for ``period`` (rule 11). A cross-authority
        caseworker (*tværmyndig sagsbehandler*) holds authority under laws of other
        sectors than their own; rule 2 binds interventions, not staff."""
        self._require_here("DelegateAuthority", effective_at)
        if delegation_id in self.delegations:
            raise InvalidInput(
                "DelegateAuthority", [{"loc": ("delegation_id",), "msg": "is already in use"}]
            )
        self._record(
            self.AuthorityDelegated,
            actor=actor,
            effective_at=effective_at,
            delegation_id=delegation_id,
            law=law,
            basis=require_text("DelegateAuthority", "basis", basis),
            period=period,
            delegated_by=actor.id,
        )

    def revoke_delegation(
        self, *, delegation_id: UUID, reason: str, actor: Actor, effective_at: datetime
    ) -> None:
        found = self.delegations.get(delegation_id)
        if found is None or found.revoked_at is not None:
            raise IllegalTransition(
                f"no delegation {delegation_id} of {self.staff_id} is in force",
                staff_id=self.staff_id,
                delegation_id=delegation_id,
            )
        self._record(
            self.DelegationRevoked,
            actor=actor,
            effective_at=effective_at,
            delegation_id=delegation_id,
            reason=require_text("RevokeDelegation", "reason", reason),
        )

    def leave(self, *, reason: str, actor: Actor, effective_at: datetime) -> None:
        self._require_here("StaffLeft", effective_at)
        self._record(
            self.Left,
            actor=actor,
            effective_at=effective_at,
            reason=require_text("StaffLeft", "reason", reason),
        )

    def _require_here(self, command: str, at: datetime) -> None:
        if not self.active_at(at):
            state = (
                "has left the municipality"
                if self.left_at is not None and at >= self.left_at
                else f"is not registered yet at {at.isoformat()}"
            )
            raise IllegalTransition(f"{self.staff_id} {state}", staff_id=self.staff_id)

    # --- what the record says, at a time ---------------------------------------------

    def active_at(self, at: datetime) -> bool:
        """Registered by ``at`` and not left."""
        return (
            self.began_at is not None
            and self.began_at <= at
            and (self.left_at is None or at < self.left_at)
        )

    def holds_role(self, role: StaffRole, at: datetime) -> bool:
        return self.active_at(at) and self.role_granted_at(role, at)

    def role_granted_at(self, role: StaffRole, at: datetime) -> bool:
        """Whether ``role`` was granted by ``at`` and not revoked (``holds_role`` of a
        member known to be ``active_at(at)``)."""
        held = self.roles.get(role)
        return held is not None and held[0] <= at and (held[1] is None or at < held[1])

    def authorities_at(self, at: datetime) -> tuple[Law, ...]:
        """The laws this staff member may decide under at ``at`` (rule 11)."""
        if at.utcoffset() == _ZERO:
            return self.authority_spans.at(at)[0]
        return self._authorities_scanned(at)

    def _authorities_scanned(self, at: datetime) -> tuple[Law, ...]:
        """``authorities_at`` read off every delegation (the definition)."""
        if not self.active_at(at):
            return ()
        return tuple(sorted({d.law for d in self.delegations.values() if d.holds_at(at)}))

    def actor_at(self, at: datetime) -> Actor:
        """The ``Actor`` recorded on events this staff member makes at ``at``: their
        sector and the authorities the directory gives them then."""
        if at.utcoffset() == _ZERO:
            spans = self.authority_spans
            return spans.held[bisect_right(spans.starts, at)][1]
        return _caseworker(self.staff_id, self.sector, self._authorities_scanned(at), self.name)


class StaffDirectory(OnePlanAggregate):
    """The municipality's staff directory (*medarbejderfortegnelse*): that it was
    bootstrapped (its first administrator, from configuration) and who is in it."""

    ID = uuid5(_STAFF, "directory")

    def __init__(self) -> None:
        super().__init__()
        self.first_administrator: str
        self.staff_ids: dict[str, None] = {}

    class Bootstrapped(OnePlanAggregate.Created):
        """A fresh municipality's directory began with its first administrator."""

        first_administrator: str

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            aggregate.first_administrator = self.first_administrator
            aggregate.staff_ids = {}

    class StaffAdded(OnePlanAggregate.Event):
        """A staff member was added to the directory (their record is registered in
        the same save)."""

        staff_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.staff_ids[self.staff_id] = None

    @classmethod
    def bootstrap(
        cls, *, first_administrator: str, actor: Actor, effective_at: datetime
    ) -> StaffDirectory:
        return cls._begin(
            cls.Bootstrapped,
            id=cls.ID,
            actor=actor,
            effective_at=effective_at,
            first_administrator=first_administrator,
        )

    def _check_effective_at(self, what: str, effective_at: datetime) -> None:
        """The directory is an index of who is in it: a member registered with an
        effective time before the bootstrap (a municipality adopting oneplan records
        its staff as they were) is still added."""
        if effective_at.tzinfo is None:
            super()._check_effective_at(what, effective_at)

    def add(self, *, staff_id: str, actor: Actor, effective_at: datetime) -> None:
        if staff_id in self.staff_ids:
            raise InvalidInput(
                "RegisterStaff", [{"loc": ("staff_id",), "msg": "is already registered"}]
            )
        self._record(self.StaffAdded, actor=actor, effective_at=effective_at, staff_id=staff_id)
