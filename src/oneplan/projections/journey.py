"""A citizen's journey (*borgerforløb*): every contact and change on their record, in the
order recorded, and the caseworkers and sectors they have met along the way.

The timeline has one entry for every event of the citizen's own record, of every plan
they are in and of every intervention for them (its route names the citizen): what
happened, a short summary in plain English, who did it, and when it took effect and was
recorded. Reads of the record (the access log) are not contacts and are left out.

**Caseworkers met.** The evaluations of the trial found that one citizen could meet 56
different caseworkers in one course; this view counts them the same way for every
citizen. A caseworker counts as met, once, the first time they

- act on the citizen's record (any event whose actor is a caseworker);
- become responsible for one of the citizen's interventions (``Intervention.Proposed``
  or ``Intervention.ProposedUnderSectorPlan`` names them responsible, or
  ``Intervention.ResponsibleReassigned`` moves it to them);
- become the plan's coordinator, or hand it over (``Plan.CoordinatorAssigned``, both
  sides of ``Plan.CoordinatorHandedOver``);
- join the plan as a participant in any role (``Plan.ParticipantJoined``);
- attend a coordinating meeting on the plan (``Plan.MeetingHeld`` attendees who are
  caseworkers).

Each is kept with their sector and when they were first met (the effective time of the
first recorded event that met them), in the order first met. Leaving, handing over or
ending an intervention never un-meets anyone: the count never decreases. The sectors
involved are the distinct sectors of the caseworkers met, in the order first met. A
citizen or guardian acting on the record is a contact in the timeline, not a caseworker.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

import attrs
import orjson

from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.projections.base import Fold, KeysOf, Route, codec, no_keys, replace
from oneplan.trusted_events import uuid_text
from oneplan.values import Actor, ActorKind, MeetingAttendee, Sector

__all__ = ["CaseworkerMet", "JourneyEntry", "JourneyState", "JourneyView"]


@attrs.frozen
class JourneyEntry:
    """One contact or change on the citizen's record."""

    recorded_at: datetime
    effective_at: datetime
    actor_id: str
    actor_kind: ActorKind
    actor_sector: Sector | None
    what: str
    """The event's stable name, such as ``"Plan.GoalSet"``."""
    summary: str
    """What happened, in a short line of plain English."""
    plan_id: UUID | None = None
    intervention_id: UUID | None = None


@attrs.frozen
class CaseworkerMet:
    """A caseworker the citizen has met, their sector, and when and how first met."""

    caseworker_id: str
    sector: Sector | None
    first_met: datetime
    """The effective time of the first recorded event that met them."""
    first_met_through: str
    """That event's name, such as ``"Plan.MeetingHeld"``."""


@attrs.frozen
class JourneyState:
    """One citizen's row: their timeline and the caseworkers met so far."""

    citizen_id: UUID
    entries: tuple[JourneyEntry, ...] = ()
    caseworkers: tuple[CaseworkerMet, ...] = ()
    """In the order first met."""
    intervention_plans: dict[UUID, UUID] = attrs.field(factory=dict)
    """The plan of each of the citizen's interventions (their later events do not say)."""

    @property
    def caseworker_count(self) -> int:
        """How many different caseworkers the citizen has met (never decreases)."""
        return len(self.caseworkers)

    @property
    def sectors(self) -> tuple[Sector, ...]:
        """The distinct sectors of the caseworkers met, in the order first met."""
        found = dict.fromkeys(c.sector for c in self.caseworkers if c.sector is not None)
        return tuple(found)


class JourneyView(Fold[JourneyState]):
    """Every citizen's journey: one row per citizen."""

    name: ClassVar[str] = "journey"
    version: ClassVar[int] = 5
    """3: a sector plan's interventions and its delivery to the archive are on the journey.
    4: each entry is stored as an array of its fields, in order (a third fewer bytes).
    5: custody recorded and ended are on the child's journey."""
    state_type: ClassVar[type[Any]] = JourneyState

    def keys(self, event: Any, route: Route | None) -> tuple[str, ...]:
        if not self.handles(event):
            return ()
        if isinstance(event, Citizen.Event):
            return (uuid_text(event.originator_id),)
        citizen_ids: tuple[UUID, ...]
        if isinstance(event, Plan.Opened):
            citizen_ids = event.citizen_ids
        elif isinstance(event, Intervention.Proposed | Intervention.ProposedUnderSectorPlan):
            citizen_ids = (event.citizen_id,)
        elif route is not None:
            citizen_ids = route.citizen_ids
        else:
            return ()
        return tuple(map(uuid_text, citizen_ids))

    def keys_for(self, event_class: type[Any]) -> KeysOf:
        """``keys``, with the branch for ``event_class`` taken once."""
        if type(self).keys is not JourneyView.keys or type(self).handles is not Fold.handles:
            return self.keys
        if event_class not in self._handlers:
            return no_keys
        if issubclass(event_class, Citizen.Event):
            return lambda event, route: (uuid_text(event.originator_id),)
        if issubclass(event_class, Plan.Opened):
            return lambda event, route: tuple(map(uuid_text, event.citizen_ids))
        if issubclass(event_class, Intervention.Proposed | Intervention.ProposedUnderSectorPlan):
            return lambda event, route: (uuid_text(event.citizen_id),)
        return _routed_citizens

    def initial(self, key: str) -> JourneyState:
        return JourneyState(citizen_id=UUID(key))

    def load_row(self, key: str, data: bytes | None) -> _Working:
        """The row as the runner folds it: in working state (``oneplan.projections.working``)."""
        return _Working.load(key, data)

    def dump_row(self, row: _Working) -> bytes:
        return row.dump()


def _routed_citizens(event: Any, route: Route | None) -> tuple[str, ...]:
    if route is None:
        return ()
    citizen_ids = route.citizen_ids
    if len(citizen_ids) == 1:  # (most streams: one citizen's)
        return (uuid_text(citizen_ids[0]),)
    return tuple(map(uuid_text, citizen_ids))


def _entry_as_array(entry: JourneyEntry) -> list[Any]:
    """A timeline entry as stored: its fields in order, without their names (the
    timeline is most of the view's bytes; orjson writes the datetimes, enums and UUIDs)."""
    return [
        entry.recorded_at,
        entry.effective_at,
        entry.actor_id,
        entry.actor_kind,
        entry.actor_sector,
        entry.what,
        entry.summary,
        entry.plan_id,
        entry.intervention_id,
    ]


def _entry_from_array(data: list[Any], _: Any) -> JourneyEntry:
    recorded, effective, actor_id, kind, sector, what, summary, plan_id, intervention_id = data
    return JourneyEntry(
        recorded_at=datetime.fromisoformat(recorded),
        effective_at=datetime.fromisoformat(effective),
        actor_id=actor_id,
        actor_kind=ActorKind(kind),
        actor_sector=None if sector is None else Sector(sector),
        what=what,
        summary=summary,
        plan_id=None if plan_id is None else UUID(plan_id),
        intervention_id=None if intervention_id is None else UUID(intervention_id),
    )


codec.register_unstructure_hook(JourneyEntry, _entry_as_array)
codec.register_structure_hook(JourneyEntry, _entry_from_array)


class _Working:
    """A journey row while the runner folds it (``oneplan.projections.working``): the
    timeline as the JSON it is stored as (each entry the array of its fields, written
    when it is added, one after another in one buffer) and the caseworkers met as they
    are stored, appended to in place, and written as the bytes the codec writes for the
    frozen row (values read back stay text, which is how they are written)."""

    __slots__ = ("caseworkers", "citizen_id", "entries", "met", "plans")

    def __init__(
        self,
        citizen_id: UUID,
        entries: bytearray,
        caseworkers: list[dict[str, Any]],
        plans: dict[str, Any],
    ) -> None:
        self.citizen_id = citizen_id
        self.entries = entries
        """The timeline's entries as JSON, separated by commas (without the brackets)."""
        self.caseworkers = caseworkers
        self.met = {c["caseworker_id"] for c in caseworkers}
        self.plans = plans
        """The plan of each of the citizen's interventions, by the intervention's id."""

    @classmethod
    def load(cls, key: str, data: bytes | None) -> _Working:
        if data is None:
            return cls(UUID(key), bytearray(), [], {})
        row = orjson.loads(data)
        entries = bytearray(orjson.dumps(row["entries"])[1:-1])  # (as stored: orjson's)
        return cls(UUID(key), entries, row["caseworkers"], row["intervention_plans"])

    def dump(self) -> bytes:
        return orjson.dumps(
            {
                "citizen_id": self.citizen_id,
                "entries": orjson.Fragment(b"[" + self.entries + b"]"),
                "caseworkers": self.caseworkers,
                "intervention_plans": self.plans,
            }
        )

    def meet(self, e: Any, people: Iterable[Met]) -> None:
        """Count those of ``people`` not met before (as ``_meet``)."""
        met = self.met
        for person in people:
            if person.kind is _CASEWORKER and person.id not in met:
                self._met(e, person)

    def _met(self, e: Any, person: Met) -> None:
        """Count ``person``, a caseworker not met before, as met by ``e``."""
        self.met.add(person.id)
        self.caseworkers.append(
            {
                "caseworker_id": person.id,
                "sector": person.sector,
                "first_met": e.effective_at,
                "first_met_through": type(e).__qualname__,
            }
        )

    def frozen(self) -> JourneyState:
        return codec.loads(self.dump(), JourneyState)


_on = JourneyView.on
_dumps = orjson.dumps

Met = Actor | MeetingAttendee


def _who(actor: Actor) -> str:
    return actor.name or actor.id


def _meet(state: JourneyState, e: Any, people: Iterable[Met]) -> tuple[CaseworkerMet, ...]:
    """The caseworkers met after ``e``: those of ``people`` not met before, appended."""
    met = state.caseworkers
    for person in people:
        if person.kind is not ActorKind.CASEWORKER:
            continue
        person_id = person.id
        for known in met:
            if known.caseworker_id == person_id:
                break
        else:
            met = (
                *met,
                CaseworkerMet(
                    caseworker_id=person_id,
                    sector=person.sector,
                    first_met=e.effective_at,
                    first_met_through=type(e).__qualname__,
                ),
            )
    return met


_NAMING = (Citizen.Event, Plan.Opened, Intervention.Proposed, Intervention.ProposedUnderSectorPlan)
"""The events that name the citizen(s) they are about (see ``_concerns``)."""
_NAMES_CITIZEN: dict[type[Any], bool] = {}
"""Whether events of a class are of ``_NAMING``, by class (``isinstance`` on an event
class goes through its metaclass: slower than a lookup, for every entry)."""
_PROPOSALS = (Intervention.Proposed, Intervention.ProposedUnderSectorPlan)
_CASEWORKER = ActorKind.CASEWORKER


def _concerns(state: JourneyState, e: Any) -> bool:
    """Whether ``e`` is about this row's citizen, where the event itself says so; the
    other events of a stream do not name the citizen, and ``keys`` routed them here
    (``_entry`` asks only about events of ``_NAMING``)."""
    if isinstance(e, Citizen.Event):
        return bool(e.originator_id == state.citizen_id)
    if isinstance(e, Plan.Opened):
        return state.citizen_id in e.citizen_ids
    if isinstance(e, _PROPOSALS):
        return bool(e.citizen_id == state.citizen_id)
    return True


def _entry(
    state: JourneyState,
    e: Any,
    summary: str,
    *,
    plan_id: UUID | None,
    intervention_id: UUID | None = None,
    met: Iterable[Met] = (),
    intervention_in: UUID | None = None,
) -> JourneyState:
    """The row with ``e`` on the timeline and everyone it met counted (and, where
    ``intervention_in`` is given, the intervention ``intervention_id`` known to be in that
    plan)."""
    naming = _NAMES_CITIZEN.get(e.__class__)
    if naming is None:
        naming = _NAMES_CITIZEN[e.__class__] = issubclass(e.__class__, _NAMING)
    if naming and not _concerns(state, e):
        return state
    actor: Actor = e.actor
    row: Any = state  # (the runner's working row, or the frozen one)
    if type(row) is _Working:
        working: _Working = row
        entries = working.entries
        if entries:
            entries += b","
        entries += _dumps(
            [
                e.timestamp,
                e.effective_at,
                actor.id,
                actor.kind,
                actor.sector,
                type(e).__qualname__,
                summary,
                plan_id,
                intervention_id,
            ]
        )
        if actor.kind is _CASEWORKER and actor.id not in working.met:
            working._met(e, actor)
        if met:
            working.meet(e, met)
        if intervention_in is not None and intervention_id is not None:
            working.plans[uuid_text(intervention_id)] = intervention_in
        return state
    entry = JourneyEntry(
        recorded_at=e.timestamp,
        effective_at=e.effective_at,
        actor_id=actor.id,
        actor_kind=actor.kind,
        actor_sector=actor.sector,
        what=type(e).__qualname__,
        summary=summary,
        plan_id=plan_id,
        intervention_id=intervention_id,
    )
    plans = state.intervention_plans
    if intervention_in is not None and intervention_id is not None:
        plans = {**plans, intervention_id: intervention_in}
    return replace(
        state,
        entries=(*state.entries, entry),
        caseworkers=_meet(state, e, (actor, *met)),
        intervention_plans=plans,
    )


def _citizen(
    state: JourneyState, e: Any, summary: str, *, plan_id: UUID | None = None
) -> JourneyState:
    return _entry(state, e, summary, plan_id=plan_id)


def _plan(state: JourneyState, e: Any, summary: str, *, met: Iterable[Met] = ()) -> JourneyState:
    return _entry(state, e, summary, plan_id=e.originator_id, met=met)


def _intervention(
    state: JourneyState, e: Any, summary: str, *, met: Iterable[Met] = ()
) -> JourneyState:
    intervention_id = e.originator_id
    row: Any = state
    plan_id = (
        row.plans.get(uuid_text(intervention_id))
        if type(row) is _Working
        else state.intervention_plans.get(intervention_id)
    )
    return _entry(state, e, summary, plan_id=plan_id, intervention_id=intervention_id, met=met)


def _because(text: str, reason: str) -> str:
    return f"{text}: {reason}" if reason else text


# --- citizen events ------------------------------------------------------------------


@_on(Citizen.Registered)
def _registered(state: JourneyState, e: Citizen.Registered) -> JourneyState:
    return _citizen(state, e, "Registered in oneplan")


@_on(Citizen.ConsentGranted)
def _consent_granted(state: JourneyState, e: Citizen.ConsentGranted) -> JourneyState:
    sectors = ", ".join(s.value for s in e.recipient_sectors)
    return _citizen(state, e, f"Consent given to share with {sectors}: {e.purpose}")


@_on(Citizen.ConsentRevoked)
def _consent_revoked(state: JourneyState, e: Citizen.ConsentRevoked) -> JourneyState:
    which = f" for {', '.join(s.value for s in e.sectors)}" if e.sectors else ""
    return _citizen(state, e, _because(f"Consent revoked{which}", e.reason))


@_on(Citizen.SocialContactPersonRecorded)
def _contact_person(state: JourneyState, e: Citizen.SocialContactPersonRecorded) -> JourneyState:
    return _citizen(state, e, f"Social-services contact person recorded: {_who(e.contact_person)}")


@_on(Citizen.SocialContactPersonContacted)
def _contact_made(state: JourneyState, e: Citizen.SocialContactPersonContacted) -> JourneyState:
    return _citizen(
        state, e, f"Social-services contact person {e.contact_person_id} contacted: {e.regarding}"
    )


@_on(Citizen.SanctionImposed)
def _sanction(state: JourneyState, e: Citizen.SanctionImposed) -> JourneyState:
    return _citizen(state, e, f"Sanction imposed under {e.legal_basis}: {e.reason}")


@_on(Citizen.BenefitPaid)
def _benefit(state: JourneyState, e: Citizen.BenefitPaid) -> JourneyState:
    return _citizen(state, e, f"Benefit paid under {e.legal_basis}: {e.amount} ({e.period})")


@_on(Citizen.OutcomeRecorded)
def _outcome(state: JourneyState, e: Citizen.OutcomeRecorded) -> JourneyState:
    return _citizen(state, e, f"Outcome recorded: {e.outcome.value}")


@_on(Citizen.JoinedPlan)
def _joined_plan(state: JourneyState, e: Citizen.JoinedPlan) -> JourneyState:
    return _citizen(state, e, "Joined a coordinated plan", plan_id=e.plan_id)


@_on(Citizen.LeftPlan)
def _left_plan(state: JourneyState, e: Citizen.LeftPlan) -> JourneyState:
    return _citizen(state, e, _because("Left the plan", e.reason), plan_id=e.plan_id)


@_on(Citizen.InterventionIncludedInSectorPlan)
def _included_in_sector_plan(
    state: JourneyState, e: Citizen.InterventionIncludedInSectorPlan
) -> JourneyState:
    return _entry(
        state,
        e,
        f"Intervention included in the {e.sector_plan.sector.value} sector plan "
        f"({e.sector_plan.legal_basis})",
        plan_id=None,
        intervention_id=e.intervention_id,
    )


@_on(Citizen.SectorPlanDeliveredToArchive)
def _sector_plan_archived(
    state: JourneyState, e: Citizen.SectorPlanDeliveredToArchive
) -> JourneyState:
    return _citizen(
        state,
        e,
        f"The {e.sector_plan.sector.value} sector plan ({e.sector_plan.legal_basis}) "
        f"delivered to the archive ({e.archive})",
    )


@_on(Citizen.CustodyRecorded)
def _custody_recorded(state: JourneyState, e: Citizen.CustodyRecorded) -> JourneyState:
    basis = f" under {e.legal_basis}" if e.legal_basis else ""
    return _citizen(state, e, f"Custody recorded{basis}: held by {e.holder_id}")


@_on(Citizen.CustodyEnded)
def _custody_ended(state: JourneyState, e: Citizen.CustodyEnded) -> JourneyState:
    return _citizen(state, e, _because(f"Custody held by {e.holder_id} ended", e.reason))


@_on(Citizen.Erased)
def _erased(state: JourneyState, e: Citizen.Erased) -> JourneyState:
    return _citizen(state, e, _because("Personal data erased", e.reason))


# --- plan events ---------------------------------------------------------------------


@_on(Plan.Opened)
def _opened(state: JourneyState, e: Plan.Opened) -> JourneyState:
    laws = ", ".join(str(basis) for basis in e.legal_bases)
    return _plan(state, e, f"Plan opened under {laws}")


@_on(Plan.CitizensWishesRecorded)
def _wishes(state: JourneyState, e: Plan.CitizensWishesRecorded) -> JourneyState:
    return _plan(state, e, f"Wishes recorded: {e.wishes}")


@_on(Plan.CoordinatorAssigned)
def _coordinator(state: JourneyState, e: Plan.CoordinatorAssigned) -> JourneyState:
    return _plan(state, e, f"Coordinator assigned: {_who(e.coordinator)}", met=(e.coordinator,))


@_on(Plan.CoordinatorHandedOver)
def _handed_over(state: JourneyState, e: Plan.CoordinatorHandedOver) -> JourneyState:
    previous, new = e.previous_coordinator, e.new_coordinator
    return _plan(
        state,
        e,
        f"Coordinator handed over from {_who(previous)} to {_who(new)}",
        met=(previous, new),
    )


@_on(Plan.ParticipantJoined)
def _participant_joined(state: JourneyState, e: Plan.ParticipantJoined) -> JourneyState:
    return _plan(
        state,
        e,
        f"{_who(e.participant)} joined the plan as {e.role.value}",
        met=(e.participant,),
    )


@_on(Plan.ParticipantLeft)
def _participant_left(state: JourneyState, e: Plan.ParticipantLeft) -> JourneyState:
    return _plan(state, e, _because(f"{e.caseworker_id} left the plan", e.reason))


@_on(Plan.GoalSet)
def _goal_set(state: JourneyState, e: Plan.GoalSet) -> JourneyState:
    kind = "Goal" if e.parent_id is None else "Sub-goal"
    return _plan(state, e, f"{kind} set: {e.description}")


@_on(Plan.GoalRevised)
def _goal_revised(state: JourneyState, e: Plan.GoalRevised) -> JourneyState:
    return _plan(state, e, f"Goal revised: {e.description}")


@_on(Plan.GoalProgressRecorded)
def _progress(state: JourneyState, e: Plan.GoalProgressRecorded) -> JourneyState:
    return _plan(state, e, _because(f"Progress recorded ({e.achievement.value})", e.note))


@_on(Plan.GoalCompleted)
def _goal_completed(state: JourneyState, e: Plan.GoalCompleted) -> JourneyState:
    return _plan(state, e, f"Goal completed ({e.achievement.value})")


@_on(Plan.GoalCancelled)
def _goal_cancelled(state: JourneyState, e: Plan.GoalCancelled) -> JourneyState:
    return _plan(state, e, _because("Goal cancelled", e.reason))


@_on(Plan.InterventionIncluded)
def _included(state: JourneyState, e: Plan.InterventionIncluded) -> JourneyState:
    return _entry(
        state,
        e,
        "Intervention included in the plan",
        plan_id=e.originator_id,
        intervention_id=e.intervention_id,
    )


@_on(Plan.MeetingHeld)
def _meeting(state: JourneyState, e: Plan.MeetingHeld) -> JourneyState:
    attendees = len(e.attendees)
    noun = "attendee" if attendees == 1 else "attendees"
    return _plan(state, e, f"Coordinating meeting held with {attendees} {noun}", met=e.attendees)


@_on(Plan.Delivered)
def _delivered(state: JourneyState, e: Plan.Delivered) -> JourneyState:
    return _plan(state, e, f"Plan version {e.version} delivered by {e.channel.value}")


@_on(Plan.DeliveredToArchive)
def _archived(state: JourneyState, e: Plan.DeliveredToArchive) -> JourneyState:
    return _plan(state, e, f"Plan delivered to the archive ({e.archive})")


@_on(Plan.PutOnHold)
def _on_hold(state: JourneyState, e: Plan.PutOnHold) -> JourneyState:
    return _plan(state, e, _because("Plan put on hold", e.reason))


@_on(Plan.Resumed)
def _plan_resumed(state: JourneyState, e: Plan.Resumed) -> JourneyState:
    return _plan(state, e, "Plan resumed")


@_on(Plan.Completed)
def _plan_completed(state: JourneyState, e: Plan.Completed) -> JourneyState:
    return _plan(state, e, f"Plan completed: {e.outcome.value}")


@_on(Plan.WithdrawnByCitizen)
def _withdrawn(state: JourneyState, e: Plan.WithdrawnByCitizen) -> JourneyState:
    return _plan(state, e, _because("Plan withdrawn by the citizen", e.reason))


@_on(Plan.EnteredInError)
def _in_error(state: JourneyState, e: Plan.EnteredInError) -> JourneyState:
    return _plan(state, e, _because("Plan entered in error", e.reason))


# --- intervention events -------------------------------------------------------------


@_on(Intervention.Proposed)
def _proposed(state: JourneyState, e: Intervention.Proposed) -> JourneyState:
    return _entry(
        state,
        e,
        f"Intervention proposed: {e.title} ({e.legal_basis})",
        plan_id=e.plan_id,
        intervention_id=e.originator_id,
        met=(e.responsible,),
        intervention_in=e.plan_id,
    )


@_on(Intervention.ProposedUnderSectorPlan)
def _proposed_under_sector_plan(
    state: JourneyState, e: Intervention.ProposedUnderSectorPlan
) -> JourneyState:
    return _entry(
        state,
        e,
        f"Intervention proposed under the {e.sector_plan.sector.value} sector plan: "
        f"{e.title} ({e.legal_basis})",
        plan_id=None,
        intervention_id=e.originator_id,
        met=(e.responsible,),
    )


@_on(Intervention.Granted)
def _granted(state: JourneyState, e: Intervention.Granted) -> JourneyState:
    return _intervention(state, e, "Intervention granted")


@_on(Intervention.Scheduled)
def _scheduled(state: JourneyState, e: Intervention.Scheduled) -> JourneyState:
    return _intervention(state, e, f"Intervention scheduled to start {e.start_on.isoformat()}")


@_on(Intervention.Started)
def _started(state: JourneyState, e: Intervention.Started) -> JourneyState:
    return _intervention(state, e, "Intervention started")


@_on(Intervention.Paused)
def _paused(state: JourneyState, e: Intervention.Paused) -> JourneyState:
    return _intervention(state, e, _because("Intervention paused", e.reason))


@_on(Intervention.Resumed)
def _intervention_resumed(state: JourneyState, e: Intervention.Resumed) -> JourneyState:
    return _intervention(state, e, "Intervention resumed")


@_on(Intervention.Completed)
def _intervention_completed(state: JourneyState, e: Intervention.Completed) -> JourneyState:
    return _intervention(state, e, f"Intervention completed: {e.outcome.value}")


@_on(Intervention.Stopped)
def _stopped(state: JourneyState, e: Intervention.Stopped) -> JourneyState:
    return _intervention(state, e, _because("Intervention stopped", e.reason))


@_on(Intervention.Cancelled)
def _cancelled(state: JourneyState, e: Intervention.Cancelled) -> JourneyState:
    return _intervention(state, e, _because("Intervention cancelled", e.reason))


@_on(Intervention.ResponsibleReassigned)
def _reassigned(state: JourneyState, e: Intervention.ResponsibleReassigned) -> JourneyState:
    previous, new = e.previous_responsible, e.new_responsible
    return _intervention(
        state,
        e,
        f"Responsibility moved from {_who(previous)} to {_who(new)}",
        met=(new,),
    )


@_on(Intervention.ActualCostRecorded)
def _cost(state: JourneyState, e: Intervention.ActualCostRecorded) -> JourneyState:
    return _intervention(state, e, f"Cost recorded: {e.amount} ({e.budget_area.value})")


@_on(Intervention.DependencyAdded)
def _dependency(state: JourneyState, e: Intervention.DependencyAdded) -> JourneyState:
    return _intervention(state, e, f"Intervention now waits for another ({e.type.value})")


def _on_frozen_row(fold: typing.Callable[[JourneyState, Any], JourneyState]) -> typing.Any:
    """``fold`` on the frozen row, also when the runner holds the row in working state
    (for a fold written against the frozen row only: rare events, such as an erasure)."""

    def on_either(state: Any, e: Any) -> Any:
        if type(state) is not _Working:
            return fold(state, e)
        after = fold(state.frozen(), e)
        return _Working.load(str(state.citizen_id), codec.dumps(after))

    return on_either


_on(Citizen.Erased)(_on_frozen_row(_erased))
