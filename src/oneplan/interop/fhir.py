"""A plan as a FHIR R5 Bundle, for systems that read FHIR (health systems, national
services, archives).

**Personal data.** The bundle holds the whole plan: the citizens' names and birth
dates, their wishes in their own words, every goal, intervention, consent and who
changed what. It is meant for systems entitled to the whole plan (the municipality's
own systems, an archive, an auditor). It does not filter by consent the way a sector
view does, and the export itself is not recorded in the access log: a sector reads
through ``OnePlan.sector_view``, never through this export.

What goes where (``docs/fhir.md`` gives the whole mapping):

- the plan: a ``CarePlan`` (``status`` is the plan's status, the same R5 codes), with
  the citizen's wishes and the coordinating meetings as notes, the sector plans it
  replaces in ``replaces`` and its legal bases in an extension;
- its goals: ``Goal`` resources (lifecycle and achievement status, the same R5 codes);
  a sub-goal (*delmål*) is a ``milestone`` of its parent goal (the ``goal-relationship``
  extension on the parent);
- the coordinator, co-coordinators, advisory partners and caseworkers: a ``CareTeam``
  of ``PractitionerRole`` resources (one per caseworker and sector);
- every intervention (*indsats*): a ``Task`` whose ``businessStatus`` is the
  intervention's status (FHIR's care-plan activity status codes) and whose ``status``
  is the nearest Task status; a pause keeps its reason in ``statusReason`` and its
  expected resume date in an extension; dependencies are ``relatedAction`` s of a
  ``RequestOrchestration`` over the tasks;
- every consent (*samtykke*) of the plan's citizens: a ``Consent`` (permit), its
  provision naming the receiving sectors, the purpose, the period and the categories;
- who changed what: a ``Provenance`` per citizen, plan and intervention, naming every
  actor, the legal bases and the event stream it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from fhir.resources import __fhir_version__ as _fhir_version
from fhir.resources.bundle import Bundle

from oneplan.aggregates.base import OnePlanAggregate
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Goal, Plan
from oneplan.application import OnePlan
from oneplan.errors import EffectiveTimeInvalid, PlanNotFound
from oneplan.values import (
    Actor,
    ActorKind,
    InterventionStatus,
    LegalBasis,
    ParticipantRole,
    PlanStatus,
    Sector,
)

__all__ = [
    "CARE_TEAM_STATUS",
    "EXTENSIONS",
    "FHIR_VERSION",
    "SYSTEMS",
    "plan_bundle",
    "task_status",
]

FHIR_VERSION: str = _fhir_version
"""The FHIR release the bundle is made for and validated against (5.0.0, R5)."""

_NS = uuid5(NAMESPACE_URL, "urn:oneplan:fhir")

SYSTEMS: dict[str, str] = {
    "plan": "urn:oneplan:plan",
    "citizen": "urn:oneplan:citizen",
    "intervention": "urn:oneplan:intervention",
    "goal": "urn:oneplan:goal",
    "consent": "urn:oneplan:consent",
    "decision": "urn:oneplan:decision",
    "caseworker": "urn:oneplan:caseworker",
    "actor": "urn:oneplan:actor",
    "sector": "urn:oneplan:sector",
    "authority": "urn:oneplan:authority",
    "legal-basis": "urn:oneplan:legal-basis",
    "sector-plan": "urn:oneplan:sector-plan",
    "participant-role": "urn:oneplan:participant-role",
    "information-category": "urn:oneplan:information-category",
    "consent-purpose": "urn:oneplan:consent-purpose",
    "overarching-goal": "urn:oneplan:overarching-goal",
    "plan-outcome": "urn:oneplan:plan-outcome",
    "intervention-outcome": "urn:oneplan:intervention-outcome",
    "budget-area": "urn:oneplan:budget-area",
    "task-parameter": "urn:oneplan:task-parameter",
    "event-stream": "urn:oneplan:event-stream",
    "activity-status": "http://hl7.org/fhir/care-plan-activity-status",
    "goal-achievement": "http://terminology.hl7.org/CodeSystem/goal-achievement",
    "goal-relationship-type": "http://terminology.hl7.org/CodeSystem/goal-relationship-type",
    "provenance-participant-type": (
        "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
    ),
    "participation-type": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
    "act-reason": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
    "confidentiality": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
}
"""The identifier and code systems the bundle uses: oneplan's own (``urn:oneplan:``)
and HL7's."""

EXTENSIONS: dict[str, str] = {
    "legal-basis": "urn:oneplan:fhir:legal-basis",
    "plan-outcome": "urn:oneplan:fhir:plan-outcome",
    "expected-resume": "urn:oneplan:fhir:expected-resume",
    "status-reason": "http://hl7.org/fhir/StructureDefinition/request-statusReason",
    "goal-relationship": "http://hl7.org/fhir/StructureDefinition/goal-relationship",
}
"""The extensions the bundle uses: oneplan's own, and two of HL7's extension pack."""

CARE_TEAM_STATUS: dict[PlanStatus, str] = {
    PlanStatus.DRAFT: "proposed",
    PlanStatus.ACTIVE: "active",
    PlanStatus.ON_HOLD: "suspended",
    PlanStatus.COMPLETED: "inactive",
    PlanStatus.REVOKED: "inactive",
    PlanStatus.ENTERED_IN_ERROR: "entered-in-error",
}
"""CareTeam.status for the plan's status."""

_TASK_STATUS: dict[InterventionStatus, str] = {
    InterventionStatus.IN_PROGRESS: "in-progress",
    InterventionStatus.ON_HOLD: "on-hold",
    InterventionStatus.COMPLETED: "completed",
    InterventionStatus.STOPPED: "cancelled",
    InterventionStatus.CANCELLED: "cancelled",
}


def task_status(status: InterventionStatus, *, granted: bool) -> str:
    """Task.status for an intervention's status: before it starts, ``requested`` until a
    decision grants it, then ``accepted`` (or ``ready`` once scheduled); a stopped and a
    cancelled intervention are both ``cancelled`` (``businessStatus`` tells them apart)."""
    if status is InterventionStatus.NOT_STARTED:
        return "accepted" if granted else "requested"
    if status is InterventionStatus.SCHEDULED:
        return "ready" if granted else "requested"
    return _TASK_STATUS[status]


Json = dict[str, Any]


def plan_bundle(app: OnePlan, plan_id: UUID, *, as_of: datetime | None = None) -> Bundle:
    """The plan ``plan_id`` as a FHIR R5 ``Bundle`` (type ``collection``), as it stood at
    recorded time ``as_of`` (default: now), validated by ``fhir.resources``. The bundle's
    ``identifier`` is ``<plan id>@<as_of or now>``, its ``meta.lastUpdated`` the time of
    the last change it includes; consents are judged active at ``as_of`` (or now).

    The bundle holds personal data and the whole plan: give it only to systems entitled
    to all of it (see the module's docstring). Write it with ``bundle.model_dump_json()``.
    Raises ``PlanNotFound`` (no such plan, or not yet at ``as_of``) and
    ``EffectiveTimeInvalid`` (``as_of`` naive or in the future)."""
    if as_of is not None:
        if as_of.tzinfo is None:
            raise EffectiveTimeInvalid.because("ExportFhir", "must be timezone-aware", "as_of")
        if as_of > datetime.now(UTC) + app.clock_skew:  # recorded time is the system's
            raise EffectiveTimeInvalid.because("ExportFhir", "is in the future", "as_of")
    record = _Record.read(app, plan_id, as_of)
    return Bundle.model_validate(_Builder(record, as_of, assembled=app.clock()).bundle())


class _Record:
    """The plan, its interventions and its citizens, and every event of each, as they
    stood at one recorded time (folded from one read of each stream)."""

    def __init__(
        self,
        plan: Plan,
        interventions: list[Intervention],
        citizens: list[Citizen],
        events: dict[UUID, list[OnePlanAggregate.Event]],
    ) -> None:
        self.plan = plan
        self.interventions = interventions
        self.citizens = citizens
        self.events = events

    @classmethod
    def read(cls, app: OnePlan, plan_id: UUID, as_of: datetime | None) -> _Record:
        events: dict[UUID, list[OnePlanAggregate.Event]] = {}

        def fold(aggregate_id: UUID) -> Any:
            history = [
                e for e in app._history(aggregate_id) if as_of is None or e.timestamp <= as_of
            ]
            events[aggregate_id] = history
            aggregate: Any = None
            for event in history:
                aggregate = event.mutate(aggregate)
            return aggregate

        plan = fold(plan_id)
        if not isinstance(plan, Plan):
            raise PlanNotFound(plan_id)
        interventions = [cast(Intervention, fold(i)) for i in plan.intervention_ids]
        citizens = [cast(Citizen, fold(c)) for c in plan.citizen_ids]
        return cls(plan, interventions, citizens, events)


def _urn(resource_id: UUID | str) -> str:
    return f"urn:uuid:{resource_id}"


def _coding(system: str, code: str, display: str | None = None) -> Json:
    coding = {"system": SYSTEMS.get(system, system), "code": code}
    if display:
        coding["display"] = display
    return coding


def _concept(system: str, code: str, display: str | None = None, text: str | None = None) -> Json:
    concept: Json = {"coding": [_coding(system, code, display)]}
    if text:
        concept["text"] = text
    return concept


def _text(text: str) -> Json:
    return {"text": text}


def _identifier(system: str, value: str) -> Json:
    return {"system": SYSTEMS[system], "value": value}


def _legal_basis(basis: LegalBasis) -> Json:
    return _concept("legal-basis", str(basis), str(basis))


def _day(value: date) -> str:
    return value.isoformat()


def _instant(value: datetime) -> str:
    return value.isoformat()


def _period(start: date | datetime | None, end: date | datetime | None) -> Json:
    period: Json = {}
    if start is not None:
        period["start"] = start.isoformat()
    if end is not None:
        period["end"] = end.isoformat()
    return period


def _role_id(actor: Actor) -> UUID:
    return uuid5(_NS, f"practitioner-role:{actor.id}:{actor.sector}")


class _Builder:
    def __init__(self, record: _Record, as_of: datetime | None, *, assembled: datetime) -> None:
        self.record = record
        self.plan = record.plan
        self.as_of = as_of
        self.assembled = assembled
        self.moment = as_of or assembled
        """When consents are judged active: at ``as_of``, else now."""
        self.roles: dict[UUID, Actor] = {}
        self.care_team_id = uuid5(_NS, f"care-team:{self.plan.id}")
        self.orchestration_id = uuid5(_NS, f"request-orchestration:{self.plan.id}")
        self.group_id = uuid5(_NS, f"household:{self.plan.id}")

    # --- references ------------------------------------------------------------------

    def who(self, actor: Actor) -> Json:
        """A caseworker's PractitionerRole in the bundle; a citizen or guardian by name."""
        if actor.kind is ActorKind.CASEWORKER:
            role_id = _role_id(actor)
            self.roles[role_id] = actor  # the latest seen wins (authorities change)
            return {
                "reference": _urn(role_id),
                "type": "PractitionerRole",
                "display": str(actor),
            }
        return {
            "identifier": _identifier("actor", actor.id),
            "display": f"{actor.name or actor.id} ({actor.kind.value})",
        }

    def patient(self, citizen_id: UUID) -> Json:
        name = next((c.name for c in self.record.citizens if c.id == citizen_id), None)
        ref: Json = {"reference": _urn(citizen_id), "type": "Patient"}
        if name:
            ref["display"] = name
        return ref

    def subject(self) -> Json:
        if self.plan.is_household:
            return {"reference": _urn(self.group_id), "type": "Group", "display": "household"}
        return self.patient(self.plan.citizen_ids[0])

    @staticmethod
    def entry(resource: Json) -> Json:
        return {"fullUrl": _urn(resource["id"]), "resource": resource}

    # --- the bundle ------------------------------------------------------------------

    def bundle(self) -> Json:
        care_plan = self.care_plan()
        goals = [self.goal(g) for g in self.plan.goals.values()]
        tasks = [self.task(i) for i in self.record.interventions]
        orchestration = [self.request_orchestration()] if self.record.interventions else []
        consents = [
            self.consent(c, consent)
            for c in self.record.citizens
            for consent in c.consents.values()
        ]
        care_team = self.care_team()
        provenance = self.provenance(care_plan, goals, care_team, orchestration, tasks, consents)
        subjects = [self.patient_resource(c) for c in self.record.citizens]
        if self.plan.is_household:
            subjects.append(self.household())
        roles = [self.practitioner_role(role_id, actor) for role_id, actor in self.roles.items()]
        resources = [
            care_plan,
            *subjects,
            care_team,
            *roles,
            *goals,
            *tasks,
            *orchestration,
            *consents,
            *provenance,
        ]
        last_change = max(e.timestamp for events in self.record.events.values() for e in events)
        return {
            "resourceType": "Bundle",
            "id": str(uuid5(_NS, f"bundle:{self.plan.id}:{self.moment.isoformat()}")),
            "meta": {
                "lastUpdated": _instant(last_change),
                "security": [_coding("confidentiality", "R", "restricted")],
            },
            "identifier": _identifier("plan", f"{self.plan.id}@{self.moment.isoformat()}"),
            "type": "collection",
            "timestamp": _instant(self.assembled),
            "entry": [self.entry(r) for r in resources],
        }

    # --- the plan --------------------------------------------------------------------

    def care_plan(self) -> Json:
        plan = self.plan
        resource: Json = {
            "resourceType": "CarePlan",
            "id": str(plan.id),
            "identifier": [_identifier("plan", str(plan.id))],
            "status": plan.status.value,
            "intent": "plan",
            "category": [_text("coordinated plan with the citizen (én plan)")],
            "title": "Én plan",
            "subject": self.subject(),
            "careTeam": [{"reference": _urn(self.care_team_id), "type": "CareTeam"}],
        }
        extensions = [
            {"url": EXTENSIONS["legal-basis"], "valueCodeableConcept": _legal_basis(basis)}
            for basis in plan.legal_bases
        ]
        reason = self._status_reason()
        if reason:
            extensions.append(
                {"url": EXTENSIONS["status-reason"], "valueCodeableConcept": _text(reason)}
            )
        if plan.outcome is not None:
            extensions.append(
                {
                    "url": EXTENSIONS["plan-outcome"],
                    "valueCodeableConcept": _concept("plan-outcome", plan.outcome.value),
                }
            )
        if extensions:
            resource["extension"] = extensions
        if plan.overarching_goal is not None:
            goal = plan.overarching_goal
            hours = f", {goal.hours_per_week} hours a week" if goal.hours_per_week else ""
            resource["description"] = (
                f"Overarching goal: {goal.kind.value.replace('-', ' ')}{hours}"
            )
            resource["category"].append(
                _concept("overarching-goal", goal.kind.value, text=resource["description"])
            )
        if plan.began_at is not None:
            resource["created"] = _instant(plan.began_at)
            resource["period"] = _period(plan.began_at, plan.closed_at)
        if plan.coordinator is not None:
            resource["custodian"] = self.who(plan.coordinator)
            resource["contributor"] = [self.who(a) for a in plan.coordinators()]
        if plan.replaces:
            resource["replaces"] = [
                {
                    "type": "CarePlan",
                    "identifier": {
                        "system": f"{SYSTEMS['sector-plan']}:{ref.sector.value}",
                        "value": ref.reference or str(ref.legal_basis),
                    },
                    "display": f"the {ref.sector.value} sector's plan under {ref.legal_basis}"
                    + (f" ({ref.reference})" if ref.reference else ""),
                }
                for ref in plan.replaces
            ]
        if plan.goals:
            resource["goal"] = [{"reference": _urn(g), "type": "Goal"} for g in plan.goals]
        if self.record.interventions:
            resource["activity"] = [
                {
                    "plannedActivityReference": {
                        "reference": _urn(i.id),
                        "type": "Task",
                        "display": i.title,
                    }
                }
                for i in self.record.interventions
            ]
        supporting = [
            {"reference": _urn(consent_id), "type": "Consent"}
            for c in self.record.citizens
            for consent_id in c.consents
        ]
        if self.record.interventions:
            supporting.append(
                {"reference": _urn(self.orchestration_id), "type": "RequestOrchestration"}
            )
        if supporting:
            resource["supportingInfo"] = supporting
        notes = [
            {
                "authorReference": self.patient(citizen_id),
                "text": f"The citizen's own wishes: {wishes}",
            }
            for citizen_id, wishes in plan.wishes.items()
        ]
        notes += [self._meeting_note(m) for m in plan.meetings]
        if notes:
            resource["note"] = notes
        return resource

    def _status_reason(self) -> str | None:
        plan = self.plan
        if plan.status is PlanStatus.ON_HOLD:
            return plan.hold_reason
        closing = {
            PlanStatus.REVOKED: Plan.WithdrawnByCitizen,
            PlanStatus.ENTERED_IN_ERROR: Plan.EnteredInError,
        }.get(plan.status)
        if closing is None:
            return None
        last = next(
            (e for e in reversed(self.record.events[plan.id]) if isinstance(e, closing)), None
        )
        reason = getattr(last, "reason", "") if last is not None else ""
        return str(reason) or None

    def _meeting_note(self, meeting: Any) -> Json:
        attendees = ", ".join(a.id for a in meeting.attendees)
        text = f"Coordinating meeting with {attendees}."
        if meeting.decisions:
            text += " Decided: " + "; ".join(meeting.decisions) + "."
        titles = {i.id: i.title for i in self.record.interventions}
        for responsibility in meeting.responsibilities:
            title = titles.get(responsibility.intervention_id, str(responsibility.intervention_id))
            text += f" {responsibility.caseworker} is responsible for {title}."
        if meeting.next_meeting is not None:
            text += f" Next meeting {meeting.next_meeting.isoformat()}."
        return {"time": _instant(meeting.held_at), "text": text}

    def patient_resource(self, citizen: Citizen) -> Json:
        patient: Json = {
            "resourceType": "Patient",
            "id": str(citizen.id),
            "identifier": [_identifier("citizen", str(citizen.id))],
            "name": [{"text": citizen.name}],
        }
        if citizen.birth_date is not None:  # None once the citizen is erased
            patient["birthDate"] = _day(citizen.birth_date)
        return patient

    def household(self) -> Json:
        return {
            "resourceType": "Group",
            "id": str(self.group_id),
            "type": "person",
            "membership": "enumerated",
            "name": "Household (family plan)",
            "quantity": len(self.plan.citizen_ids),
            "member": [{"entity": self.patient(c)} for c in self.plan.citizen_ids],
        }

    def practitioner_role(self, role_id: UUID, actor: Actor) -> Json:
        resource: Json = {
            "resourceType": "PractitionerRole",
            "id": str(role_id),
            "identifier": [_identifier("caseworker", actor.id)],
            "active": True,
            "practitioner": {
                "identifier": _identifier("caseworker", actor.id),
                "display": actor.name or actor.id,
            },
        }
        if actor.sector is not None:
            resource["code"] = [
                _concept("sector", actor.sector.value, f"{actor.sector.value} sector")
            ]
        if actor.authorities:
            resource["characteristic"] = [
                _concept("authority", law.value, f"authority to decide under {law.value}")
                for law in actor.authorities
            ]
        return resource

    def care_team(self) -> Json:
        plan = self.plan
        participants: list[Json] = []
        if plan.coordinator is not None:
            participants.append(
                {
                    "role": _concept("participant-role", "coordinator", "plan coordinator"),
                    "member": self.who(plan.coordinator),
                    "coveragePeriod": _period(self._coordinator_since(), None),
                }
            )
        for participant in plan.participants.values():
            participants.append(
                {
                    "role": _concept(
                        "participant-role",
                        participant.role.value,
                        _ROLE_DISPLAY[participant.role],
                    ),
                    "member": self.who(participant.actor),
                    "coveragePeriod": _period(participant.joined_at, None),
                }
            )
        for intervention in self.record.interventions:
            if intervention.status.is_finished:
                continue
            participants.append(
                {
                    "role": _concept(
                        "participant-role",
                        "responsible",
                        "responsible caseworker",
                        text=f"responsible for {intervention.title}",
                    ),
                    "member": self.who(intervention.responsible),
                }
            )
        resource: Json = {
            "resourceType": "CareTeam",
            "id": str(self.care_team_id),
            "status": CARE_TEAM_STATUS[plan.status],
            "name": "The plan's team",
            "subject": self.subject(),
        }
        if plan.began_at is not None:
            resource["period"] = _period(plan.began_at, plan.closed_at)
        if participants:
            resource["participant"] = participants
        return resource

    def _coordinator_since(self) -> datetime | None:
        changes = (Plan.CoordinatorAssigned, Plan.CoordinatorHandedOver)
        last = next(
            (e for e in reversed(self.record.events[self.plan.id]) if isinstance(e, changes)),
            None,
        )
        return last.effective_at if last is not None else None

    # --- goals -----------------------------------------------------------------------

    def goal(self, goal: Goal) -> Json:
        resource: Json = {
            "resourceType": "Goal",
            "id": str(goal.goal_id),
            "identifier": [_identifier("goal", str(goal.goal_id))],
            "lifecycleStatus": goal.status.value,
            "description": _text(goal.description),
            "subject": self.subject(),
        }
        if goal.achievement is not None:
            resource["achievementStatus"] = _concept("goal-achievement", goal.achievement.value)
        events = [
            e
            for e in self.record.events[self.plan.id]
            if getattr(e, "goal_id", None) == goal.goal_id
        ]
        if events:
            resource["startDate"] = _day(events[0].effective_at.date())
        target: Json = {}
        if goal.target is not None:
            target["measure"] = _text(goal.target.measure)
            if goal.target.value is not None:
                quantity: Json = {"value": goal.target.value}
                if goal.target.unit:
                    quantity["unit"] = goal.target.unit
                target["detailQuantity"] = quantity
        if goal.due is not None:
            target["dueDate"] = _day(goal.due)
        if target:
            resource["target"] = [target]
        sub_goals = [g.goal_id for g in self.plan.goals.values() if g.parent_id == goal.goal_id]
        if sub_goals:
            resource["extension"] = [
                {
                    "url": EXTENSIONS["goal-relationship"],
                    "extension": [
                        {
                            "url": "type",
                            "valueCodeableConcept": _concept(
                                "goal-relationship-type", "milestone", "Milestone"
                            ),
                        },
                        {"url": "target", "valueReference": {"reference": _urn(s), "type": "Goal"}},
                    ],
                }
                for s in sub_goals
            ]
        notes = [self._goal_note(e) for e in events if not isinstance(e, Plan.GoalSet)]
        if notes:
            resource["note"] = notes
        cancelled = next((e for e in events if isinstance(e, Plan.GoalCancelled)), None)
        if cancelled is not None:
            resource["statusReason"] = cancelled.reason
        return resource

    def _goal_note(self, event: OnePlanAggregate.Event) -> Json:
        if isinstance(event, Plan.GoalProgressRecorded):
            measured = (
                f" (measured {event.measured_value})" if event.measured_value is not None else ""
            )
            text = f"Progress: {event.achievement.value}{measured}" + (
                f". {event.note}" if event.note else ""
            )
        elif isinstance(event, Plan.GoalRevised):
            text = f"Revised: {event.reason}"
        elif isinstance(event, Plan.GoalCompleted):
            text = f"Completed: {event.achievement.value}"
        elif isinstance(event, Plan.GoalCancelled):
            text = f"Cancelled: {event.reason}"
        else:
            text = type(event).__name__
        return {
            "authorReference": self.who(event.actor),
            "time": _instant(event.effective_at),
            "text": text,
        }

    # --- interventions ---------------------------------------------------------------

    def task(self, intervention: Intervention) -> Json:
        granted = intervention.decision is not None
        events = self.record.events[intervention.id]
        resource: Json = {
            "resourceType": "Task",
            "id": str(intervention.id),
            "identifier": [_identifier("intervention", str(intervention.id))],
            "basedOn": [{"reference": _urn(self.plan.id), "type": "CarePlan"}],
            "status": task_status(intervention.status, granted=granted),
            "businessStatus": _concept("activity-status", intervention.status.value),
            "intent": "order" if granted else "proposal",
            "code": _concept(
                "legal-basis",
                str(intervention.legal_basis),
                str(intervention.legal_basis),
                text=intervention.title,
            ),
            "description": intervention.title,
            "for": self.patient(intervention.citizen_id),
            "owner": self.who(intervention.responsible),
            "requestedPeriod": _period(
                intervention.planned_period.start, intervention.planned_period.end
            ),
            "requestedPerformer": [
                {
                    "concept": _concept(
                        "sector",
                        intervention.sector.value,
                        f"{intervention.sector.value} sector",
                    )
                }
            ],
            "input": self._task_input(intervention),
        }
        if events:
            resource["requester"] = self.who(events[0].actor)
            resource["authoredOn"] = _instant(events[0].effective_at)
            resource["lastModified"] = _instant(events[-1].timestamp)
        if intervention.goal_ids:
            resource["reason"] = [
                {"reference": {"reference": _urn(g), "type": "Goal"}} for g in intervention.goal_ids
            ]
        reason = self._task_status_reason(intervention)
        if reason:
            resource["statusReason"] = {"concept": _text(reason)}
        if intervention.expected_resume is not None:
            resource["extension"] = [
                {
                    "url": EXTENSIONS["expected-resume"],
                    "valueDate": _day(intervention.expected_resume),
                }
            ]
        if intervention.started_at is not None:
            resource["executionPeriod"] = _period(intervention.started_at, intervention.ended_at)
        output = self._task_output(intervention)
        if output:
            resource["output"] = output
        return resource

    @staticmethod
    def _task_status_reason(intervention: Intervention) -> str | None:
        if intervention.status is InterventionStatus.ON_HOLD:
            return intervention.pause_reason
        if intervention.status in (InterventionStatus.STOPPED, InterventionStatus.CANCELLED):
            return intervention.end_reason
        return None

    @staticmethod
    def _parameter(code: str, text: str) -> Json:
        return _concept("task-parameter", code, text=text)

    def _task_input(self, intervention: Intervention) -> list[Json]:
        inputs: list[Json] = [
            {
                "type": self._parameter("planned-cost", "planned cost"),
                "valueMoney": {"value": intervention.planned_cost.amount, "currency": "DKK"},
            },
            {
                "type": self._parameter("budget-area", "budget area"),
                "valueCodeableConcept": _concept("budget-area", intervention.budget_area.value),
            },
        ]
        decision = intervention.decision
        if decision is not None:
            inputs.append(
                {
                    "type": self._parameter("decision", "decision (afgørelse)"),
                    "valueReference": {
                        "identifier": _identifier("decision", str(decision.decision_id)),
                        "display": (
                            f"granted by {decision.decided_by} under {decision.legal_basis} "
                            f"on {decision.decided_at.date().isoformat()}"
                        ),
                    },
                }
            )
            self.who(decision.decided_by)
        if intervention.scheduled_start is not None:
            inputs.append(
                {
                    "type": self._parameter("scheduled-start", "scheduled start"),
                    "valueDate": _day(intervention.scheduled_start),
                }
            )
        return inputs

    def _task_output(self, intervention: Intervention) -> list[Json]:
        output: list[Json] = []
        if intervention.outcome is not None:
            output.append(
                {
                    "type": self._parameter("outcome", "outcome"),
                    "valueCodeableConcept": _concept(
                        "intervention-outcome", intervention.outcome.value
                    ),
                }
            )
        for cost in intervention.actual_costs:
            output.append(
                {
                    "type": self._parameter(
                        "actual-cost",
                        f"actual cost ({cost.budget_area.value}, {cost.period})",
                    ),
                    "valueMoney": {"value": cost.amount.amount, "currency": "DKK"},
                }
            )
        return output

    def request_orchestration(self) -> Json:
        actions = []
        for intervention in self.record.interventions:
            action: Json = {
                "linkId": str(intervention.id),
                "title": intervention.title,
                "resource": {"reference": _urn(intervention.id), "type": "Task"},
            }
            if intervention.dependencies:
                action["relatedAction"] = [
                    {"targetId": str(d.on_intervention_id), "relationship": d.type.value}
                    for d in intervention.dependencies
                ]
            actions.append(action)
        return {
            "resourceType": "RequestOrchestration",
            "id": str(self.orchestration_id),
            "basedOn": [{"reference": _urn(self.plan.id), "type": "CarePlan"}],
            "status": self.plan.status.value,
            "intent": "plan",
            "subject": self.subject(),
            "action": actions,
        }

    # --- consents --------------------------------------------------------------------

    def consent(self, citizen: Citizen, consent: Any) -> Json:
        grantors = [
            self.patient(citizen.id)
            if giver.kind is ActorKind.CITIZEN
            else {"display": f"{giver.name or 'a guardian'} (holder of custody or guardian)"}
            for giver in consent.given_by
        ]
        sectors: Sequence[Sector] = sorted(consent.recipient_sectors)
        provision: Json = {
            "period": _period(consent.period.start, consent.period.end),
            "actor": [
                {
                    "role": _concept("participation-type", "IRCP", "information recipient"),
                    "reference": {
                        "identifier": _identifier("sector", sector.value),
                        "display": f"the {sector.value} sector",
                    },
                }
                for sector in sectors
            ],
            "purpose": [
                _coding("act-reason", "COC", "coordination of care"),
                {"system": SYSTEMS["consent-purpose"], "display": consent.purpose},
            ],
            "code": [
                _concept("information-category", category.value, category.value.replace("-", " "))
                for category in sorted(consent.categories)
            ],
        }
        return {
            "resourceType": "Consent",
            "id": str(consent.consent_id),
            "identifier": [_identifier("consent", str(consent.consent_id))],
            "status": "active" if consent.is_active_at(self.moment) else "inactive",
            "category": [_text("sharing between the municipality's sectors")],
            "subject": self.patient(citizen.id),
            "date": _day(consent.granted_at.date()),
            "period": _period(consent.period.start, consent.period.end),
            "grantor": grantors,
            "grantee": [p["reference"] for p in provision["actor"]],
            "decision": "permit",
            "provision": [provision],
        }

    # --- provenance ------------------------------------------------------------------

    def provenance(
        self,
        care_plan: Json,
        goals: list[Json],
        care_team: Json,
        orchestration: list[Json],
        tasks: list[Json],
        consents: list[Json],
    ) -> list[Json]:
        sources: list[tuple[UUID, list[Json], Iterable[LegalBasis]]] = [
            (self.plan.id, [care_plan, care_team, *goals, *orchestration], self.plan.legal_bases)
        ]
        for intervention, task in zip(self.record.interventions, tasks, strict=True):
            sources.append((intervention.id, [task], (intervention.legal_basis,)))
        for citizen in self.record.citizens:
            own = [c for c in consents if c["id"] in {str(i) for i in citizen.consents}]
            sources.append(
                (citizen.id, [{"resourceType": "Patient", "id": str(citizen.id)}, *own], ())
            )
        return [self._provenance(*source) for source in sources]

    def _provenance(
        self, aggregate_id: UUID, targets: list[Json], bases: Iterable[LegalBasis]
    ) -> Json:
        events = self.record.events[aggregate_id]
        actors: dict[tuple[str, str], Actor] = {}
        for event in events:
            actors[(event.actor.id, str(event.actor.sector))] = event.actor
        resource: Json = {
            "resourceType": "Provenance",
            "id": str(uuid5(_NS, f"provenance:{aggregate_id}:{len(events)}")),
            "target": [{"reference": _urn(t["id"]), "type": t["resourceType"]} for t in targets],
            "recorded": _instant(events[-1].timestamp),
            "occurredPeriod": _period(events[0].effective_at, events[-1].effective_at),
            "agent": [
                {
                    "type": _concept("provenance-participant-type", "author", "Author"),
                    "who": self.who(actor),
                }
                for actor in actors.values()
            ],
            "entity": [
                {
                    "role": "source",
                    "what": {
                        "identifier": _identifier("event-stream", str(aggregate_id)),
                        "display": (
                            f"{len(events)} events, versions 1 to {events[-1].originator_version}"
                        ),
                    },
                }
            ],
        }
        authorizations = [{"concept": _legal_basis(b)} for b in bases]
        if authorizations:
            resource["authorization"] = authorizations
        return resource


_ROLE_DISPLAY: dict[ParticipantRole, str] = {
    ParticipantRole.CASEWORKER: "caseworker",
    ParticipantRole.CO_COORDINATOR: "co-coordinator (paired caseworkers, makkerpar)",
    ParticipantRole.ADVISORY_PARTNER: "advisory partner (sparringspartner)",
    ParticipantRole.FAMILY_COORDINATOR: "family coordinator (familiekoordinator)",
}
