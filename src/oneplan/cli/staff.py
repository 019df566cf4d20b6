"""``oneplan staff``: the staff directory (rule 11). Its first administrator is begun by
configuration (``staff bootstrap``); from then on an administrator registers staff and
grants roles, and a manager of a sector delegates authority under a law to its staff
(*bemyndigelse*). Every command and read that names a staff member reads them here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from oneplan.aggregates.staff import StaffMember
from oneplan.cli.common import (
    Db,
    ListFormat,
    PrincipalText,
    app,
    as_of_option,
    echo_json,
    fail,
    opened,
    principal_option,
)
from oneplan.values import Law, Sector, StaffRole

__all__ = ["staff_app"]

staff_app = typer.Typer(
    help="The staff directory: who works here, their roles, and authority delegated "
    "under each law.",
    no_args_is_help=True,
)
app.add_typer(staff_app, name="staff")

StaffId = Annotated[str, typer.Argument(metavar="ID", help="The staff member's id.")]
EffectiveAt = Annotated[
    str | None,
    typer.Option(
        "--effective-at",
        help="When it took effect (ISO, with zone; default now). On a record adopted "
        "later, the day it really happened.",
    ),
]
Phone = Annotated[str, typer.Option(help="Phone number a citizen calls.")]
Email = Annotated[str, typer.Option(help="E-mail address a citizen writes to.")]
DigitalPost = Annotated[
    str, typer.Option("--digital-post", help="The Digital Post address (the unit's mailbox).")
]
OpeningHours = Annotated[
    str, typer.Option("--opening-hours", help="When the staff member can be reached.")
]
Reason = Annotated[str, typer.Option(help="Why (recorded; no personal data).")]


def _when(value: str | None) -> dict[str, datetime]:
    moment = as_of_option(value, "--effective-at")
    return {"effective_at": moment} if moment is not None else {}


def _contact(phone: str, email: str, digital_post: str, opening_hours: str) -> dict[str, str]:
    return {
        "phone": phone,
        "email": email,
        "digital_post": digital_post,
        "opening_hours": opening_hours,
    }


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} {value[:40]!r} is not a date (YYYY-MM-DD)") from None


@staff_app.command("bootstrap")
def bootstrap(
    staff_id: Annotated[str, typer.Option("--id", help="The first administrator's staff id.")],
    name: Annotated[str, typer.Option(help="The administrator's name.")],
    sector: Annotated[Sector, typer.Option(help="The administrator's sector.")],
    phone: Phone = "",
    email: Email = "",
    digital_post: DigitalPost = "",
    opening_hours: OpeningHours = "",
    effective_at: EffectiveAt = None,
    db: Db = None,
) -> None:
    """Begin the staff directory with its first administrator (also a caseworker),
    recorded by the system job bootstrap: the one step taken by configuration, not by
    a principal. Makes the database if there is none. Refused once a directory exists:
    from then on an administrator registers staff (`oneplan staff register`)."""
    when = _when(effective_at)
    with opened(db, create=True) as oneplan:
        oneplan.bootstrap(
            staff_id=staff_id,
            name=name,
            sector=sector,
            contact=_contact(phone, email, digital_post, opening_hours),
            **when,
        )
    typer.echo(
        f"the staff directory begins with administrator {staff_id} ({sector.value}); "
        f"register staff with: oneplan staff register ID ... --as staff:{staff_id}"
    )


@staff_app.command("register")
def register(
    staff_id: StaffId,
    name: Annotated[str, typer.Option(help="The staff member's name.")],
    sector: Annotated[Sector, typer.Option(help="The sector they work for.")],
    title: Annotated[str, typer.Option(help="Their title ('socialrådgiver').")] = "",
    role: Annotated[
        list[StaffRole] | None,
        typer.Option(
            help="A role they hold (repeat for several; default caseworker): caseworker, "
            "manager, administrator, records-officer or key-custodian."
        ),
    ] = None,
    phone: Phone = "",
    email: Email = "",
    digital_post: DigitalPost = "",
    opening_hours: OpeningHours = "",
    effective_at: EffectiveAt = None,
    principal: PrincipalText = None,
    db: Db = None,
) -> None:
    """Register a staff member in the directory, with their sector, title, roles and
    contact details (an administrator's: --as staff:ID holding the role administrator).
    Authority under a law is delegated separately, by a manager of their sector
    (`oneplan staff delegate`)."""
    who = principal_option(principal, writes=True)
    when = _when(effective_at)
    roles = tuple(dict.fromkeys(role)) if role else (StaffRole.CASEWORKER,)
    with opened(db) as oneplan:
        oneplan.as_(who).register_staff(
            staff_id=staff_id,
            name=name,
            sector=sector,
            title=title,
            roles=roles,
            contact=_contact(phone, email, digital_post, opening_hours),
            **when,
        )
    typer.echo(f"registered {staff_id} ({sector.value}) as " + ", ".join(r.value for r in roles))


@staff_app.command("delegate")
def delegate(
    staff_id: StaffId,
    law: Annotated[Law, typer.Option(help="The law the authority is under.")],
    basis: Annotated[
        str,
        typer.Option(
            help="The delegation's basis: the municipality's delegation plan and its item."
        ),
    ],
    start: Annotated[
        str | None,
        typer.Option(
            "--from", help="First day the authority holds (YYYY-MM-DD; default the effective day)."
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Last day the authority holds (YYYY-MM-DD; default open-ended)."),
    ] = None,
    effective_at: EffectiveAt = None,
    principal: PrincipalText = None,
    db: Db = None,
) -> None:
    """Delegate authority under a law to a staff member (bemyndigelse), for a period: by
    a manager of the member's sector (--as staff:ID holding the role manager). Prints
    the delegation's id (to revoke it with)."""
    who = principal_option(principal, writes=True)
    when = _when(effective_at)
    first = _day(start, "--from") or (when["effective_at"].date() if when else None)
    last = _day(until, "--until")
    with opened(db) as oneplan:
        now = oneplan.clock()
        period = {"start": first or now.date(), "end": last}
        delegation = oneplan.as_(who).delegate_authority(
            staff_id=staff_id, law=law, basis=basis, period=period, **when
        )
    typer.echo(str(delegation))
    typer.echo(
        f"authority under {law.value} delegated to {staff_id} from {period['start']}"
        + (f" until {last}" if last else "")
        + f": delegation {delegation}",
        err=True,
    )
    if first is not None and first < (when["effective_at"] if when else now).date():
        typer.echo(
            f"note: it holds from when it took effect ({'--effective-at' if when else 'now'}), "
            f"not before: to record a delegation that really began on {first}, give "
            f"--effective-at that day as well",
            err=True,
        )


@staff_app.command("revoke-delegation")
def revoke_delegation(
    staff_id: StaffId,
    delegation_id: Annotated[
        UUID, typer.Argument(help="The delegation's id (as `staff show` lists it).")
    ],
    reason: Reason,
    effective_at: EffectiveAt = None,
    principal: PrincipalText = None,
    db: Db = None,
) -> None:
    """Revoke a delegation of authority from then on: by a manager of the member's
    sector (--as staff:ID holding the role manager). What was decided under it stays."""
    who = principal_option(principal, writes=True)
    when = _when(effective_at)
    with opened(db) as oneplan:
        oneplan.as_(who).revoke_delegation(
            staff_id=staff_id, delegation_id=delegation_id, reason=reason, **when
        )
    typer.echo(f"delegation {delegation_id} of {staff_id} revoked")


@staff_app.command("grant-role")
def grant_role(
    staff_id: StaffId,
    role: Annotated[
        StaffRole,
        typer.Argument(
            help="caseworker, manager, administrator, records-officer or key-custodian."
        ),
    ],
    effective_at: EffectiveAt = None,
    principal: PrincipalText = None,
    db: Db = None,
) -> None:
    """Grant a staff member a role (an administrator's: --as staff:ID holding the role
    administrator). Granting a role they hold already changes nothing."""
    who = principal_option(principal, writes=True)
    when = _when(effective_at)
    with opened(db) as oneplan:
        oneplan.as_(who).grant_staff_role(staff_id=staff_id, role=role, **when)
    typer.echo(f"{staff_id} holds the role {role.value}")


@staff_app.command("revoke-role")
def revoke_role(
    staff_id: StaffId,
    role: Annotated[
        StaffRole,
        typer.Argument(
            help="caseworker, manager, administrator, records-officer or key-custodian."
        ),
    ],
    reason: Reason,
    effective_at: EffectiveAt = None,
    principal: PrincipalText = None,
    db: Db = None,
) -> None:
    """Revoke a role a staff member holds, from then on (an administrator's: --as
    staff:ID holding the role administrator)."""
    who = principal_option(principal, writes=True)
    when = _when(effective_at)
    with opened(db) as oneplan:
        oneplan.as_(who).revoke_staff_role(staff_id=staff_id, role=role, reason=reason, **when)
    typer.echo(f"{staff_id} no longer holds the role {role.value}")


@staff_app.command("leave")
def leave(
    staff_id: StaffId,
    reason: Reason,
    effective_at: EffectiveAt = None,
    principal: PrincipalText = None,
    db: Db = None,
) -> None:
    """Record that a staff member left: from then on they neither act nor are named on
    a plan (an administrator's: --as staff:ID holding the role administrator). What
    they did stays on the record as they did it."""
    who = principal_option(principal, writes=True)
    when = _when(effective_at)
    with opened(db) as oneplan:
        oneplan.as_(who).staff_leaves(staff_id=staff_id, reason=reason, **when)
    typer.echo(f"{staff_id} has left")


@staff_app.command("list")
def list_staff(
    format: Annotated[ListFormat, typer.Option(help="text or json.")] = ListFormat.TEXT,
    principal: PrincipalText = None,
    db: Db = None,
) -> None:
    """List the staff directory: everyone registered, in the order registered, with
    their sector, title, roles and the laws they hold authority under now (work
    details, shown to any principal)."""
    who = principal_option(principal)
    with opened(db) as oneplan:
        members = oneplan.as_(who).staff()
        now = oneplan.clock()
    if format is ListFormat.JSON:
        echo_json([_member_json(m, now) for m in members])
        return
    table = Table("id", "name", "sector", "title", "roles", "authority now", "status")
    for m in members:
        table.add_row(
            m.staff_id,
            Text(m.name),
            m.sector.value,
            Text(m.title),
            ", ".join(r.value for r in _roles_now(m, now)),
            ", ".join(law.value for law in m.authorities_at(now)),
            "active" if m.active_at(now) else "left" if m.left_at else "not yet",
        )
    Console().print(table)
    typer.echo(f"{len(members)} staff members")


@staff_app.command("show")
def show(
    staff_id: StaffId,
    format: Annotated[ListFormat, typer.Option(help="text or json.")] = ListFormat.TEXT,
    principal: PrincipalText = None,
    db: Db = None,
) -> None:
    """Show a staff member's record: name, sector, title, contact details, every role
    with when it was granted and revoked, and every delegation of authority with its
    law, basis, period and the manager who made it (work details, shown to any
    principal)."""
    who = principal_option(principal)
    with opened(db) as oneplan:
        member = oneplan.as_(who).staff_member(staff_id)
        now = oneplan.clock()
    if format is ListFormat.JSON:
        echo_json(_member_json(member, now))
        return
    console = Console()
    status = "active" if member.active_at(now) else "left" if member.left_at else "not yet"
    console.print(Text(f"{member.staff_id}: {member.name} ({member.sector.value})", style="bold"))
    for label, value in (
        ("title", member.title),
        ("status", status),
        ("registered", _iso(member.began_at)),
        ("left", _iso(member.left_at)),
        ("phone", member.contact.phone),
        ("e-mail", member.contact.email),
        ("digital post", member.contact.digital_post),
        ("opening hours", member.contact.opening_hours),
    ):
        if value:
            console.print(Text(f"{label}: {value}"))
    roles = Table("role", "granted", "revoked")
    for role, (granted, revoked) in member.roles.items():
        roles.add_row(role.value, _iso(granted), _iso(revoked))
    console.print(roles)
    if member.delegations:
        delegations = Table("delegation", "law", "period", "basis", "by", "effective", "revoked")
        for d in member.delegations.values():
            delegations.add_row(
                str(d.delegation_id),
                d.law.value,
                str(d.period),
                Text(d.basis),
                d.delegated_by,
                _iso(d.delegated_at),
                _iso(d.revoked_at),
            )
        console.print(delegations)


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="minutes") if moment is not None else ""


def _roles_now(member: StaffMember, at: datetime) -> list[StaffRole]:
    return [role for role in member.roles if member.holds_role(role, at)]


def _member_json(member: StaffMember, at: datetime) -> dict[str, Any]:
    return {
        "staff_id": member.staff_id,
        "name": member.name,
        "sector": member.sector,
        "title": member.title,
        "contact": member.contact,
        "registered_at": member.began_at,
        "left_at": member.left_at,
        "active": member.active_at(at),
        "roles": [
            {"role": role, "granted_at": granted, "revoked_at": revoked}
            for role, (granted, revoked) in member.roles.items()
        ],
        "roles_now": _roles_now(member, at),
        "authorities_now": list(member.authorities_at(at)),
        "delegations": [
            {
                "delegation_id": d.delegation_id,
                "law": d.law,
                "basis": d.basis,
                "period": d.period,
                "delegated_by": d.delegated_by,
                "delegated_at": d.delegated_at,
                "revoked_at": d.revoked_at,
            }
            for d in member.delegations.values()
        ],
    }
