"""The audit trail: one entry per stored event, saying who did what, when, why and on
which legal basis.

Every entry is derived from one event of the log, read through the mapper (so it shows
what the record says, and an erased citizen's fields read as erased), and numbered by
its position in the log: the same position ``oneplan audit verify`` names. Reads of a
plan's sector view are events too (``AccessRecord.SectorViewRead``), so the access log
is part of the trail. An event that cannot be read at all still gets an entry, marked
unreadable: an audit trail never skips.

Queries by citizen, plan or actor read only the streams the audit index names for them
(``oneplan.projections.audit_index``); a query by period alone reads the whole log.
Periods are by recorded time (when the record was written).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any
from uuid import UUID

import attrs
import orjson

from oneplan.aggregates.access import AccessRecord
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.aggregates.staff import StaffDirectory, StaffMember
from oneplan.projections.audit_index import AuditIndexView

if TYPE_CHECKING:
    from eventsourcing.persistence import Notification

    from oneplan.application import OnePlan

__all__ = [
    "CSV_COLUMNS",
    "AuditEntry",
    "audit_entries",
    "describe",
    "write_csv",
    "write_json",
    "write_jsonl",
]


@attrs.frozen
class AuditEntry:
    """One event of the log, as an auditor reads it."""

    position: int
    """The event's position in the log (its notification id)."""
    recorded_at: datetime | None
    """When it was recorded (None: unreadable)."""
    effective_at: datetime | None
    """When it took effect in the citizen's course."""
    actor_id: str | None
    actor_kind: str | None
    actor_sector: str | None
    action: str
    """The event, such as ``"Plan.GoalSet"``."""
    description: str
    """What happened, in plain words."""
    stream_id: UUID
    version: int
    plan_id: UUID | None = None
    intervention_id: UUID | None = None
    citizen_ids: tuple[UUID, ...] = ()
    legal_bases: tuple[str, ...] = ()
    """The legal bases the action was taken under, or that it names."""
    consent_ids: tuple[UUID, ...] = ()
    """The consents it names (granted, revoked, or that allowed a disclosure)."""
    reason: str | None = None
    readable: bool = True
    """False when the stored event could not be read at all (``description`` says why)."""


@attrs.frozen
class _Context:
    """What a stream's first events say about it, that later events do not repeat."""

    plan_id: UUID | None = None
    citizen_ids: tuple[UUID, ...] = ()
    legal_bases: tuple[str, ...] = ()


def _advance(context: _Context | None, e: Any) -> _Context | None:
    if isinstance(e, Plan.Opened):
        return _Context(e.originator_id, e.citizen_ids, tuple(str(b) for b in e.legal_bases))
    if isinstance(e, Intervention.Proposed):
        return _Context(e.plan_id, (e.citizen_id,), (str(e.legal_basis),))
    if isinstance(e, Intervention.ProposedUnderSectorPlan):
        return _Context(None, (e.citizen_id,), (str(e.legal_basis),))
    if isinstance(e, Citizen.Registered):
        return _Context(None, (e.originator_id,), ())
    return context


def _who(actor: Any) -> str:
    return str(getattr(actor, "name", "") or getattr(actor, "id", "someone"))


def _join(values: Iterable[Any]) -> str:
    return ", ".join(str(getattr(v, "value", v)) for v in values)


def _because(text: str, reason: Any) -> str:
    return f"{text}: {reason}" if reason else text


_DISCLOSED = {
    "citizen-plan": "The citizen's plan",
    "journey": "The citizen's journey",
    "access-log": "The citizen's access log",
    "fhir-export": "The plan as a FHIR bundle",
    "audit-export": "The audit trail",
    "full-record": "The full record",
    "evaluation-extract": "An evaluation extract (pseudonymised)",
    "cpr-lookup": "A citizen found by CPR number",
}
"""What each kind of disclosure (``AccessRecord.DISCLOSURES``) shows, in plain words."""


def _disclosed(e: Any) -> str:
    what = _DISCLOSED.get(e.what, f"{e.what!r}")
    about = f" (plan {e.plan_id})" if e.plan_id else ""
    return f"{what}{about} disclosed to {e.recipient} on the basis: {e.basis}" + (
        f" ({e.detail})" if e.detail else ""
    )


_DESCRIPTIONS: dict[type[Any], Callable[[Any], str]] = {
    Citizen.Registered: lambda e: "Citizen registered",
    Citizen.ConsentGranted: lambda e: (
        f"Consent {e.consent_id} granted: {_join(e.recipient_sectors)} may receive "
        f"{_join(e.categories)} for {e.purpose!r}"
    ),
    Citizen.ConsentRevoked: lambda e: _because(
        f"Consent {e.consent_id} revoked"
        + (f" for {_join(e.sectors)}" if e.sectors else " wholly"),
        e.reason,
    ),
    Citizen.SocialContactPersonRecorded: lambda e: (
        f"Social-services contact person recorded: {_who(e.contact_person)}"
    ),
    Citizen.SocialContactPersonContacted: lambda e: (
        f"Social-services contact person {e.contact_person_id} contacted"
    ),
    Citizen.SanctionImposed: lambda e: f"Sanction imposed under {e.legal_basis}",
    Citizen.BenefitPaid: lambda e: (
        f"Benefit paid by {_join([e.sector])} under {e.legal_basis}: "
        f"{getattr(e.amount, 'amount', e.amount)} DKK for {e.period.start} to {e.period.end}"
    ),
    Citizen.OutcomeRecorded: lambda e: f"Outcome recorded: {_join([e.outcome])}",
    Citizen.JoinedPlan: lambda e: f"Citizen joined plan {e.plan_id}",
    Citizen.LeftPlan: lambda e: f"Citizen left plan {e.plan_id}",
    Citizen.InterventionIncludedInSectorPlan: lambda e: (
        f"Intervention {e.intervention_id} included in the citizen's sector plan "
        f"{e.sector_plan} (a case file of theirs)"
    ),
    Citizen.SectorPlanDeliveredToArchive: lambda e: (
        f"Sector plan {e.sector_plan} ({len(e.intervention_ids)} intervention(s)) delivered "
        f"to {e.archive} as {e.reference}"
    ),
    Citizen.CustodyRecorded: lambda e: (
        f"Custody of the citizen recorded: held by citizen {e.holder_id}"
        + (f", under {e.legal_basis}" if e.legal_basis else "")
    ),
    Citizen.CustodyEnded: lambda e: f"Custody held by citizen {e.holder_id} ended",
    Citizen.Erased: lambda e: (
        f"The citizen's personal data erased (data keys destroyed), with {len(e.plan_ids)} "
        "plan(s)" + (f", under {e.legal_basis}" if e.legal_basis else "")
    ),
    Plan.Opened: lambda e: (
        f"Plan opened for {len(e.citizen_ids)} citizen(s) under {_join(e.legal_bases)}"
        + (f", replacing {len(e.replaces)} sector plan(s)" if e.replaces else "")
    ),
    Plan.CitizensWishesRecorded: lambda e: f"The citizen's wishes recorded ({e.citizen_id})",
    Plan.CoordinatorAssigned: lambda e: (
        f"Coordinator assigned: {_who(e.coordinator)}"
        + (f", shared under {e.shared_under_law}" if e.shared_under_law else "")
    ),
    Plan.CoordinatorHandedOver: lambda e: (
        f"Coordinator handed over from {_who(e.previous_coordinator)} to {_who(e.new_coordinator)}"
        + (f", shared under {e.shared_under_law}" if e.shared_under_law else "")
    ),
    Plan.ParticipantJoined: lambda e: (
        f"{_who(e.participant)} ({_join([e.participant.sector or ''])}) joined as "
        f"{_join([e.role])}"
        + (f", shared under {e.shared_under_law}" if e.shared_under_law else "")
    ),
    Plan.ParticipantLeft: lambda e: f"{e.caseworker_id} left the plan",
    Plan.GoalSet: lambda e: f"{'Goal' if e.parent_id is None else 'Sub-goal'} {e.goal_id} set",
    Plan.GoalRevised: lambda e: f"Goal {e.goal_id} revised",
    Plan.GoalProgressRecorded: lambda e: (
        f"Progress on goal {e.goal_id} recorded: {_join([e.achievement])}"
    ),
    Plan.GoalCompleted: lambda e: f"Goal {e.goal_id} completed: {_join([e.achievement])}",
    Plan.GoalCancelled: lambda e: f"Goal {e.goal_id} cancelled",
    Plan.InterventionIncluded: lambda e: f"Intervention {e.intervention_id} included",
    Plan.MeetingHeld: lambda e: (
        f"Coordinating meeting held with {len(e.attendees)} attendee(s), "
        f"{len(e.decisions)} decision(s), {len(e.responsibilities)} responsibility(ies)"
    ),
    Plan.Delivered: lambda e: f"Plan version {e.version} delivered by {_join([e.channel])}",
    Plan.PutOnHold: lambda e: "Plan put on hold",
    Plan.Resumed: lambda e: "Plan resumed",
    Plan.Completed: lambda e: f"Plan completed: {_join([e.outcome])}",
    Plan.WithdrawnByCitizen: lambda e: "Plan withdrawn by the citizen",
    Plan.EnteredInError: lambda e: "Plan marked as entered in error",
    Plan.DeliveredToArchive: lambda e: f"Plan delivered to {e.archive} as {e.reference}",
    Intervention.Proposed: lambda e: (
        f"Intervention proposed: {e.title!r} by {_join([e.sector])} under {e.legal_basis}, "
        f"responsible {_who(e.responsible)}, planned cost {getattr(e.planned_cost, 'amount', '')}"
    ),
    Intervention.ProposedUnderSectorPlan: lambda e: (
        f"Intervention proposed under the citizen's {_join([e.sector_plan.sector])} sector "
        f"plan: {e.title!r} under {e.legal_basis}, responsible {_who(e.responsible)}, "
        f"planned cost {getattr(e.planned_cost, 'amount', '')}"
    ),
    Intervention.Granted: lambda e: f"Intervention granted by decision {e.decision_id}",
    Intervention.Scheduled: lambda e: f"Intervention scheduled to start {e.start_on}",
    Intervention.Started: lambda e: "Intervention started",
    Intervention.Paused: lambda e: (
        "Intervention paused" + (f" until {e.expected_resume}" if e.expected_resume else "")
    ),
    Intervention.Resumed: lambda e: "Intervention resumed",
    Intervention.Completed: lambda e: f"Intervention completed: {_join([e.outcome])}",
    Intervention.Stopped: lambda e: "Intervention stopped",
    Intervention.Cancelled: lambda e: "Intervention cancelled",
    Intervention.ResponsibleReassigned: lambda e: (
        f"Responsibility moved from {_who(e.previous_responsible)} to {_who(e.new_responsible)}"
    ),
    Intervention.ActualCostRecorded: lambda e: (
        f"Actual cost recorded: {getattr(e.amount, 'amount', e.amount)} DKK "
        f"({_join([e.budget_area])})"
    ),
    Intervention.DependencyAdded: lambda e: (
        f"Now waits for intervention {e.on_intervention_id} ({_join([e.type])})"
    ),
    AccessRecord.SectorViewRead: lambda e: (
        f"Plan {e.plan_id} read as {_join([e.sector])}"
        + (f" as of {e.as_of.isoformat()}" if e.as_of else "")
        + f": {len(e.items)} item(s) shown"
    ),
    AccessRecord.Disclosed: _disclosed,
    StaffDirectory.Bootstrapped: lambda e: (
        f"Staff directory begun, with {e.first_administrator} as its first administrator"
    ),
    StaffDirectory.StaffAdded: lambda e: f"{e.staff_id} added to the staff directory",
    StaffMember.Registered: lambda e: (
        f"Staff member {e.staff_id} ({e.name}) registered in {_join([e.sector])}"
        + (f" as {e.title}" if e.title else "")
        + f", role(s) {_join(e.roles) or 'none'}"
    ),
    StaffMember.ContactDetailsChanged: lambda e: (
        f"Staff member's name, title or contact details changed: {e.name}"
        + (f", {e.title}" if e.title else "")
    ),
    StaffMember.RoleGranted: lambda e: f"Staff role {_join([e.role])} granted",
    StaffMember.RoleRevoked: lambda e: f"Staff role {_join([e.role])} revoked",
    StaffMember.AuthorityDelegated: lambda e: (
        f"Authority under {_join([e.law])} delegated by {e.delegated_by} from "
        f"{e.period.start}" + (f" to {e.period.end}" if e.period.end else "") + f" ({e.basis})"
    ),
    StaffMember.DelegationRevoked: lambda e: f"Delegation {e.delegation_id} revoked",
    StaffMember.Left: lambda e: "Staff member left: no longer acts nor is assigned",
}


def describe(event: Any) -> str:
    """What ``event`` did, in plain words (never raises: an event whose fields read as
    erased or unexpected is still described by its name)."""
    describer = _DESCRIPTIONS.get(type(event))
    name = type(event).__qualname__
    if describer is None:
        if name == "CommandReceipt.Recorded":
            return f"Receipt of command {getattr(event, 'command', '?')} kept (idempotency)"
        return name
    try:
        return describer(event)
    except Exception:  # a field erased or of an unexpected shape: name the event only
        return f"{name} (details unreadable)"


def _legal_bases(e: Any, context: _Context | None) -> tuple[str, ...]:
    if isinstance(e, Plan.Opened | Intervention.Proposed | Intervention.ProposedUnderSectorPlan):
        return context.legal_bases if context else ()
    if isinstance(e, Citizen.SanctionImposed | Citizen.BenefitPaid):
        return (str(e.legal_basis),)
    if isinstance(e, Citizen.Erased):
        return (str(e.legal_basis),) if e.legal_basis else ()
    if isinstance(e, Citizen.InterventionIncludedInSectorPlan):
        return tuple(dict.fromkeys((str(e.sector_plan.legal_basis), str(e.legal_basis))))
    if isinstance(e, Citizen.SectorPlanDeliveredToArchive):
        return (str(e.sector_plan.legal_basis),)
    if isinstance(e, Citizen.CustodyRecorded):
        return (str(e.legal_basis),) if e.legal_basis else ()
    if isinstance(e, StaffMember.AuthorityDelegated):
        return (str(e.law.value),)
    if isinstance(
        e, Plan.ParticipantJoined | Plan.CoordinatorAssigned | Plan.CoordinatorHandedOver
    ):
        own = context.legal_bases if context else ()
        return (*own, str(e.shared_under_law)) if e.shared_under_law else own
    if isinstance(e, AccessRecord.SectorViewRead):
        return tuple(dict.fromkeys(str(i.legal_basis) for i in e.items if i.legal_basis))
    if isinstance(e, Plan.Event | Intervention.Event) and context is not None:
        return context.legal_bases
    return ()


def _consents(e: Any) -> tuple[UUID, ...]:
    if isinstance(e, Citizen.ConsentGranted | Citizen.ConsentRevoked):
        return (e.consent_id,)
    if isinstance(e, Plan.Opened):
        return tuple(e.consent_ids)
    if isinstance(
        e, Plan.ParticipantJoined | Plan.CoordinatorAssigned | Plan.CoordinatorHandedOver
    ):
        return tuple(e.shared_under_consents)
    if isinstance(e, AccessRecord.SectorViewRead):
        return tuple(dict.fromkeys(c for i in e.items for c in i.consent_ids))
    if isinstance(e, AccessRecord.Disclosed):
        return tuple(e.consent_ids)
    return ()


def _entry(position: int, e: Any, context: _Context | None) -> AuditEntry:
    actor = getattr(e, "actor", None)
    sector = getattr(actor, "sector", None)
    plan_id: UUID | None = None
    citizen_ids = context.citizen_ids if context else ()
    intervention_id: UUID | None = None
    if isinstance(e, AccessRecord.SectorViewRead | AccessRecord.Disclosed):
        plan_id, citizen_ids = e.plan_id, tuple(e.citizen_ids)
    elif isinstance(e, Citizen.JoinedPlan | Citizen.LeftPlan):
        plan_id = e.plan_id
    elif isinstance(e, Plan.Event | Intervention.Event):
        plan_id = context.plan_id if context else None
    if isinstance(e, Intervention.Event):
        intervention_id = e.originator_id
    elif isinstance(e, Plan.InterventionIncluded | Citizen.InterventionIncludedInSectorPlan):
        intervention_id = e.intervention_id
    reason = getattr(e, "reason", None) or getattr(e, "note", None) or None
    if isinstance(e, Citizen.SocialContactPersonContacted):
        reason = e.regarding or None
    return AuditEntry(
        position=position,
        recorded_at=e.timestamp,
        effective_at=getattr(e, "effective_at", None),
        actor_id=getattr(actor, "id", None),
        actor_kind=str(actor.kind.value) if actor is not None else None,
        actor_sector=str(sector.value) if sector is not None else None,
        action=type(e).__qualname__,
        description=describe(e),
        stream_id=e.originator_id,
        version=e.originator_version,
        plan_id=plan_id,
        intervention_id=intervention_id,
        citizen_ids=tuple(citizen_ids),
        legal_bases=_legal_bases(e, context),
        consent_ids=_consents(e),
        reason=None if reason is None else str(reason),
    )


def _unreadable(n: Notification, error: Exception, context: _Context | None) -> AuditEntry:
    return AuditEntry(
        position=n.id,
        recorded_at=None,
        effective_at=None,
        actor_id=None,
        actor_kind=None,
        actor_sector=None,
        action=n.topic.rpartition(":")[2],
        description=f"unreadable: {type(error).__name__}: {error}",
        stream_id=n.originator_id,  # type: ignore[arg-type]
        version=n.originator_version,
        plan_id=context.plan_id if context else None,
        citizen_ids=context.citizen_ids if context else (),
        readable=False,
    )


def _entries(
    app: OnePlan, notifications: Iterable[Notification], contexts: dict[UUID, _Context]
) -> Iterator[AuditEntry]:
    """Entries for ``notifications`` in order, keeping each stream's context."""
    mapper = app.mapper
    for n in notifications:
        stream: UUID = n.originator_id  # type: ignore[assignment]
        context = contexts.get(stream)
        try:
            event = mapper.to_domain_event(n)
        except Exception as error:  # erased, encrypted without its key, or junk: never skip
            yield _unreadable(n, error, context)
            continue
        context = _advance(context, event)
        if context is not None:
            contexts[stream] = context
        yield _entry(n.id, event, context)


def audit_entries(
    app: OnePlan,
    *,
    citizen_id: UUID | None = None,
    plan_id: UUID | None = None,
    actor_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[AuditEntry]:
    """The audit trail, in the order recorded: every entry, or those of one citizen,
    plan or actor (all that are given), recorded at or after ``since`` and before
    ``until``. Unreadable entries of the streams asked for are always included."""
    if citizen_id is None and plan_id is None and actor_id is None:
        entries = _entries(app, _whole_log(app), {})
    else:
        entries = _of_streams(app, _streams(app, citizen_id, plan_id, actor_id))
    for entry in entries:
        if entry.readable:
            if plan_id is not None and entry.plan_id != plan_id:
                continue
            if actor_id is not None and entry.actor_id != actor_id:
                continue
            at = entry.recorded_at
            if at is not None and (
                (since is not None and at < since) or (until is not None and at >= until)
            ):
                continue
        yield entry


def _streams(
    app: OnePlan, citizen_id: UUID | None, plan_id: UUID | None, actor_id: str | None
) -> list[UUID]:
    app.views.catch_up()
    found: set[UUID] | None = None
    for kind, value in (("c", citizen_id), ("p", plan_id), ("a", actor_id)):
        if value is None:
            continue
        streams = set(_listed(app, kind, value))
        citizen = _as_citizen(value) if kind == "a" else None
        if citizen is not None:  # (a citizen's own acts: actor rows are staff's only)
            streams.update(_listed(app, "c", citizen))
        found = streams if found is None else found & streams
    return sorted(found or ())


def _listed(app: OnePlan, kind: str, value: object) -> list[UUID]:
    """The streams the audit index lists for a citizen (``c``), plan (``p``) or actor
    (``a``), as stored."""
    view = AuditIndexView
    rows = app.views.store.read_prefix(view.name, view.prefix(kind, value))
    return view.streams(rows, kind, value)


def _as_citizen(actor_id: object) -> UUID | None:
    """An actor id that may be a citizen's (a UUID), or None."""
    try:
        return UUID(str(actor_id))
    except ValueError:
        return None


def _of_streams(app: OnePlan, streams: list[UUID]) -> Iterator[AuditEntry]:
    recorder: Any = app.recorder
    entries: list[AuditEntry] = []
    for stream in streams:
        entries.extend(_entries(app, recorder.stream_notifications(stream), {}))
    entries.sort(key=lambda e: e.position)
    return iter(entries)


def _whole_log(app: OnePlan, batch: int = 5_000) -> Iterator[Notification]:
    last = 0
    while True:
        notifications = app.recorder.select_notifications(
            start=last, limit=batch, inclusive_of_start=False
        )
        if not notifications:
            return
        yield from notifications
        last = notifications[-1].id


# --- export --------------------------------------------------------------------------

CSV_COLUMNS = tuple(f.name for f in attrs.fields(AuditEntry))


def _row(entry: AuditEntry) -> dict[str, Any]:
    return attrs.asdict(entry, recurse=False)


def write_jsonl(entries: Iterable[AuditEntry], out: IO[bytes]) -> int:
    """Write one JSON object per line; returns how many."""
    count = 0
    for entry in entries:
        out.write(orjson.dumps(_row(entry), option=orjson.OPT_APPEND_NEWLINE))
        count += 1
    return count


def write_json(entries: Iterable[AuditEntry], out: IO[bytes]) -> int:
    """Write one JSON array of the entries (streamed, entry by entry); returns how many."""
    count = 0
    out.write(b"[")
    for entry in entries:
        out.write(b",\n" if count else b"\n")
        out.write(orjson.dumps(_row(entry)))
        count += 1
    out.write(b"\n]\n")
    return count


def write_csv(entries: Iterable[AuditEntry], out: IO[str]) -> int:
    """Write a header and one row per entry (lists joined by spaces); returns how many."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for entry in entries:
        row = _row(entry)
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
        count += 1
    return count


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
