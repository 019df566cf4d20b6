"""Who is asking (rule 11): the principal the host service authenticated.

oneplan never authenticates anyone and never takes a caller's word for what they may
do. The host (a web service behind OIDC, a batch job, the command line) tells it *who*
is asking, with one of four small typed principals, and oneplan reads *what they may
do* from the record: a staff member's sector, roles and authority under each law from
the staff directory, a citizen's custody of a child from the citizen's record, a plan's
coordinator and participants from the plan.

    from oneplan import Principal

    app.as_(Principal.staff("anne.t")).set_goal(plan_id=plan, description="...")
    app.as_(Principal.citizen(mette)).grant_consent(...)
    app.as_(Principal.auditor("rev-7", basis="Kommunestyrelsesloven § 42")).record.plan(plan)
    app.as_(Principal.system("retention-run")).retention_due()
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import ClassVar
from uuid import UUID

import attrs

from oneplan.errors import InvalidInput

__all__ = [
    "AuditorPrincipal",
    "CitizenPrincipal",
    "Principal",
    "StaffPrincipal",
    "SystemPrincipal",
]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def _valid_id(kind: str, value: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidInput(
            "Principal",
            [{"loc": (kind,), "msg": "1-64 letters, digits and . _ @ -, starting alphanumeric"}],
        )
    return value


@attrs.frozen
class Principal(ABC):
    """Base of the four principals. Build them with ``Principal.staff(id)``,
    ``Principal.citizen(id)``, ``Principal.auditor(id, basis=...)`` and
    ``Principal.system(job)``; ``Principal.parse("staff:anne.t")`` reads the text form
    the command line and configuration use."""

    kind: ClassVar[str] = ""

    @staticmethod
    def staff(staff_id: str) -> StaffPrincipal:
        """A staff member of the municipality, by their id in the staff directory."""
        return StaffPrincipal(_valid_id("staff_id", staff_id))

    @staticmethod
    def citizen(citizen_id: UUID | str) -> CitizenPrincipal:
        """A citizen, by their id in oneplan (the host has authenticated them, for
        example with MitID, and mapped them to this id)."""
        try:
            return CitizenPrincipal(UUID(str(citizen_id)))
        except ValueError:
            raise InvalidInput(
                "Principal", [{"loc": ("citizen_id",), "msg": "is not a UUID"}]
            ) from None

    @staticmethod
    def auditor(auditor_id: str, *, basis: str) -> AuditorPrincipal:
        """An auditor, and the legal basis of the audit (named on every read logged)."""
        basis = (basis or "").strip()
        if not basis or len(basis) > 200:
            raise InvalidInput(
                "Principal", [{"loc": ("basis",), "msg": "an auditor names the legal basis"}]
            )
        return AuditorPrincipal(_valid_id("auditor_id", auditor_id), basis)

    @staticmethod
    def system(job: str) -> SystemPrincipal:
        """A system job of the municipality's (the application's own use: a bootstrap, a
        batch import, an evaluation extract), named by the host."""
        return SystemPrincipal(_valid_id("job", job))

    @staticmethod
    def parse(text: str, *, basis: str | None = None) -> Principal:
        """``staff:ID``, ``citizen:UUID``, ``auditor:ID`` (with ``basis``) or
        ``system:JOB``."""
        kind, _, rest = (text or "").strip().partition(":")
        if kind == "staff":
            return Principal.staff(rest)
        if kind == "citizen":
            return Principal.citizen(rest)
        if kind == "auditor":
            return Principal.auditor(rest, basis=basis or "")
        if kind == "system":
            return Principal.system(rest)
        raise InvalidInput(
            "Principal",
            [
                {
                    "loc": ("principal",),
                    "msg": "give staff:ID, citizen:UUID, auditor:ID or system:JOB",
                }
            ],
        )

    @property
    @abstractmethod
    def id(self) -> str:
        """The principal's id: a staff id, a citizen's UUID, an auditor's id, a job."""

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


@attrs.frozen
class StaffPrincipal(Principal):
    """A staff member; their sector, roles and authorities are read from the directory."""

    kind: ClassVar[str] = "staff"
    staff_id: str

    @property
    def id(self) -> str:
        return self.staff_id


@attrs.frozen
class CitizenPrincipal(Principal):
    """A citizen acting for themself, or for a child in their recorded custody."""

    kind: ClassVar[str] = "citizen"
    citizen_id: UUID

    @property
    def id(self) -> str:
        return str(self.citizen_id)


@attrs.frozen
class AuditorPrincipal(Principal):
    """An auditor reading the full record under a legal basis; never writes."""

    kind: ClassVar[str] = "auditor"
    auditor_id: str
    basis: str

    @property
    def id(self) -> str:
        return self.auditor_id


@attrs.frozen
class SystemPrincipal(Principal):
    """A system job: the application's own processing (no person is shown anything)."""

    kind: ClassVar[str] = "system"
    job: str

    @property
    def id(self) -> str:
        return self.job
