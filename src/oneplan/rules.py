"""Rules that span aggregates, named as the domain names them.

Each rule reads the aggregates it needs (already loaded by the application) and
either returns what the command should record or raises the rule's typed error.
Rules inside one aggregate live in that aggregate (``grep -ri sanction src/``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from uuid import UUID

from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.errors import (
    ConsentMissing,
    DependencyCycle,
    InterventionOutsidePlan,
    NotDeliveredToArchive,
    RetentionNotEnded,
    SharingNotCovered,
    StartBackdatedBeforeDependency,
)
from oneplan.privacy.retention import CaseFile, RetentionPolicy, retention_ends
from oneplan.values import Actor, DependencyType, InterventionStatus, LegalBasis

__all__ = [
    "dependency_in_same_plan",
    "erasure_only_at_end_of_retention",
    "no_dependency_cycle",
    "plan_needs_consent",
    "sharing_fails_closed",
    "wait_for_dependency_in_the_course",
]

_WAITING = (DependencyType.AFTER_END, DependencyType.AFTER, DependencyType.AFTER_START)


def plan_needs_consent(
    citizens: Iterable[Citizen], consent_ids: tuple[UUID, ...], at: datetime
) -> None:
    """Rule 1: the plan exists by consent. Each citizen in it must have given (or had
    given for them, BL § 110) one of the named consents, active when the plan opens."""
    for citizen in citizens:
        own = [cid for cid in consent_ids if cid in citizen.consents]
        if not any(citizen.consents[cid].is_active_at(at) for cid in own):
            raise ConsentMissing(
                f"citizen {citizen.id} has no active consent among {len(consent_ids)} named "
                "for the plan",
                citizen_id=citizen.id,
                consent_ids=consent_ids,
            )


def sharing_fails_closed(
    citizens: Iterable[Citizen],
    recipient: Actor,
    at: datetime,
    override_legal_basis: LegalBasis | None,
) -> tuple[tuple[UUID, ...], LegalBasis | None]:
    """Rule 9: a caseworker of another sector sees the plan only where each citizen's
    active consent names that sector (for any category), or under a named legal basis
    (an override, recorded as such). Returns what the sharing travels with: the ids of
    every consent naming the sector, and the override's legal basis **whenever one is
    given**, even where consents name the sector too (a consent may name it for other
    categories than the override covers: ``sector_view``). An override given is never
    dropped: the caller and the auditor see it recorded beside the consents."""
    sector = recipient.sector
    if sector is None:
        raise SharingNotCovered(
            f"{recipient.id} acts for no sector; only caseworkers receive a plan",
            caseworker_id=recipient.id,
        )
    consent_ids: list[UUID] = []
    uncovered: list[UUID] = []
    for citizen in citizens:
        covering = citizen.consents_covering(sector, None, at)
        if covering:
            consent_ids.extend(covering)
        else:
            uncovered.append(citizen.id)
    if uncovered and override_legal_basis is None:
        raise SharingNotCovered(
            f"no active consent lets the {sector.value} sector see the plan of "
            f"{', '.join(str(c) for c in uncovered)}; give one, or an override's legal basis",
            citizen_ids=tuple(uncovered),
            sector=sector,
        )
    return tuple(dict.fromkeys(consent_ids)), override_legal_basis


def dependency_in_same_plan(intervention: Intervention, other: Intervention) -> None:
    """Rule 6's frame: an intervention waits only for another of the same plan (the same
    coordinated plan, or the same citizen's same sector plan)."""
    if intervention.held_under != other.held_under:
        raise InterventionOutsidePlan(
            f"intervention {other.id} belongs to another plan than {intervention.id}",
            intervention_id=intervention.id,
            plan_id=intervention.plan_id,
        )


def no_dependency_cycle(
    intervention_id: UUID,
    on_intervention_id: UUID,
    type: DependencyType,
    dependencies_of: Callable[[UUID], Iterable[tuple[UUID, DependencyType]]],
) -> None:
    """Rule 6: interventions cannot wait for each other in a circle (it would never start)."""
    if type not in _WAITING:
        return
    seen: set[UUID] = set()
    frontier = [on_intervention_id]
    while frontier:
        current = frontier.pop()
        if current == intervention_id:
            raise DependencyCycle(
                f"{on_intervention_id} already waits, directly or not, for {intervention_id}",
                intervention_id=intervention_id,
                on_intervention_id=on_intervention_id,
            )
        if current in seen:
            continue
        seen.add(current)
        frontier.extend(dep for dep, kind in dependencies_of(current) if kind in _WAITING)


def erasure_only_at_end_of_retention(
    citizen: Citizen,
    files: Iterable[CaseFile],
    policy: RetentionPolicy,
    today: date,
    legal_basis: LegalBasis | None,
) -> None:
    """Rule 10: a citizen's personal data is erased only when the retention of every
    case file of theirs has ended, and only once each has been delivered to the public
    archive, unless a legal basis for destroying it without delivery is given. Nothing
    is erased on request before that (archive law, the duty to keep notes).

    Their case files are their coordinated plans and their own sector plans that hold
    interventions (``CaseFile``): a sector plan is open while an intervention in it has
    not finished, and counts from its latest finish with the classes of its legal bases."""
    files = list(files)
    assert citizen.began_at is not None
    ends = retention_ends(files, policy, registered_at=citizen.began_at)
    if ends is None:
        open_files = [f for f in files if f.closed_at is None]
        raise RetentionNotEnded(
            f"citizen {citizen.id} has an open case file: "
            + "; ".join(
                f.label + (f" (running: {', '.join(map(str, f.running))})" if f.running else "")
                for f in open_files
            ),
            citizen_id=citizen.id,
            plan_ids=tuple(f.plan_id for f in open_files if f.plan_id),
            sector_plans=tuple(f.sector_plan for f in open_files if f.sector_plan),
            intervention_ids=tuple(i for f in open_files for i in f.running),
            due=None,
        )
    if today < ends:
        raise RetentionNotEnded(
            f"the retention of citizen {citizen.id}'s case files ends on {ends.isoformat()}",
            citizen_id=citizen.id,
            plan_ids=tuple(f.plan_id for f in files if f.plan_id),
            sector_plans=tuple(f.sector_plan for f in files if f.sector_plan),
            intervention_ids=(),
            due=ends,
        )
    waiting = [f for f in files if not f.archived]
    if waiting and legal_basis is None:
        raise NotDeliveredToArchive(
            f"case files of citizen {citizen.id} are not delivered to the archive: "
            f"{', '.join(f.label for f in waiting)}; deliver them, or give the legal basis "
            "for destroying them without delivery",
            citizen_id=citizen.id,
            plan_ids=tuple(f.plan_id for f in waiting if f.plan_id),
            sector_plans=tuple(f.sector_plan for f in waiting if f.sector_plan),
        )


def wait_for_dependency_in_the_course(
    intervention: Intervention, awaited: Iterable[Intervention], at: datetime
) -> None:
    """Rule 6 in the citizen's course (rule 15): an intervention that waits for another
    starts no earlier than the step it waits for is effective. ``after-end``/``after``:
    the other's end (completed or stopped); ``after-start``: its start; a cancelled one
    holds nothing back from its cancellation on. A start backdated before that step is
    ``StartBackdatedBeforeDependency``, naming both; one that has not happened at all is
    the aggregate's ``DependencyNotSatisfied``."""
    kinds = {d.on_intervention_id: d.type for d in intervention.dependencies}
    for other in awaited:
        kind = kinds.get(other.id)
        if kind not in _WAITING:
            continue
        step: str | None
        since: datetime | None
        if other.status is InterventionStatus.CANCELLED:
            step, since = "Cancelled", other.ended_at
        elif kind is DependencyType.AFTER_START:
            step, since = "Started", other.started_at
        elif other.status.has_ended:
            step = "Completed" if other.status is InterventionStatus.COMPLETED else "Stopped"
            since = other.ended_at
        else:
            continue
        if since is not None and at < since:
            raise StartBackdatedBeforeDependency(
                f"rule 6 in the course: intervention {intervention.id} cannot start at "
                f"{at.isoformat()}: it waits ({kind.value}) for {other.id}, "
                f"{step.lower()} only at {since.isoformat()}",
                command="StartIntervention",
                effective_at=at,
                recorded_step=step,
                recorded_at=since,
                recorded_in=other.id,
                intervention_id=intervention.id,
                waits_for_id=other.id,
            )
