"""A Hypothesis state machine over the OnePlan application: plans and interventions.

Every Plan and Intervention command is drawn, valid and invalid, against a small model
of what the record should say, sent by a principal: mostly one who holds the plan or the
intervention (the model's own reading of rules 11-12: its coordinator, co-coordinators
and participants, its opener while it has no coordinator; an intervention's responsible
caseworker, the plan's coordinators, staff of its sector with authority under its law),
sometimes any caseworker, or a citizen principal acting for nobody they may. A refusal
must be a ``OnePlanError`` (one the model names, where the rule is clear) and must store
nothing. After every step the domain's
invariants hold for every plan and intervention, and replay equals live: each aggregate
folded from its stored events equals the aggregate the command saved.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import Recording
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from oneplan import (
    AchievementStatus,
    Actor,
    ActorKind,
    AuthorityMissing,
    BudgetArea,
    CitizenAlreadyInPlan,
    CitizenNotFound,
    ConsentGiver,
    ConsentMissing,
    CoordinatorRequired,
    DeliveryChannel,
    DependencyCycle,
    DependencyNotSatisfied,
    DependencyType,
    EffectiveTimeInvalid,
    GoalNotFound,
    GoalStatus,
    IllegalTransition,
    InformationCategory,
    InterventionFinished,
    InterventionNotFound,
    InterventionOutcome,
    InterventionOutsidePlan,
    InterventionStatus,
    InvalidInput,
    Law,
    LegalBasisOutsideSector,
    MeetingAttendee,
    NotPermitted,
    OnePlan,
    OnePlanError,
    ParticipantNotFound,
    ParticipantRole,
    Period,
    Plan,
    PlanNotFound,
    PlanOutcome,
    PlanStatus,
    Principal,
    Responsibility,
    Sector,
    Session,
    SharingNotCovered,
    StaffNotFound,
)
from oneplan.aggregates.base import OnePlanAggregate
from tests.builders import ANNE, HOUSING, KARIN, LARS, PETER, SOFIE, acting, record
from tests.conftest import NOW, FixedClock

S = InterventionStatus
R = TypeVar("R")

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
UNKNOWN = UUID("00000000-0000-4000-8000-00000000dead")
OPEN = (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.ON_HOLD)
FINISHED = (S.COMPLETED, S.STOPPED, S.CANCELLED)
STARTED = (S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED, S.STOPPED)
WAITING = (DependencyType.AFTER_END, DependencyType.AFTER, DependencyType.AFTER_START)

MIA = Actor.caseworker("mia", Sector.EDUCATION, Law.STU, Law.FGU)
CITIZEN = Actor(id="mette", kind=ActorKind.CITIZEN)
GUARDIAN = Actor(id="guardian-1", kind=ActorKind.GUARDIAN)
"""Named as staff (a coordinator, a participant, a responsible): ids the staff
directory does not know. Sending a command: citizen principals who are no citizen of
any plan here (acting for someone else)."""
IMPOSTORS = {
    CITIZEN.id: Principal.citizen(UUID("00000000-0000-4000-8000-0000000c1712")),
    GUARDIAN.id: Principal.citizen(UUID("00000000-0000-4000-8000-00000009a4d1")),
}
CASEWORKERS = (ANNE, PETER, LARS, SOFIE, KARIN, HOUSING, MIA)
"""Registered in the staff directory before the course, each with their sector and the
authority under their laws (``acting``)."""
BY_ID = {a.id: a for a in CASEWORKERS}


@dataclass(frozen=True)
class Holder:
    """Send as one of those who hold the plan (or the intervention), as the model says:
    the ``n``-th of them."""

    n: int


SELF = "the citizen"
"""Send as the citizen themself (a citizen principal)."""
Sender = Actor | Holder | str
HOLDERS = st.integers(0, 3).map(Holder)
ACTORS: st.SearchStrategy[Sender] = st.integers(0, 2).flatmap(
    lambda n: st.sampled_from((*CASEWORKERS, CITIZEN, GUARDIAN)) if n == 2 else HOLDERS
)
"""Mostly someone who may (a holder), else any caseworker or an impostor."""

# The model's own table of which sector acts under which law (rule 2).
SECTOR_LAWS = (
    (Sector.SOCIAL, "SEL § 85", True),
    (Sector.EMPLOYMENT, "LAB § 32", True),
    (Sector.HEALTH, "SUL § 140", True),
    (Sector.HEALTH, "SEL § 102", True),
    (Sector.CHILDREN_AND_FAMILY, "BL § 32", True),
    (Sector.EDUCATION, "STU § 2", True),
    (Sector.EMPLOYMENT, "FGU § 2", True),
    (Sector.HOUSING, "ABL § 59", True),
    (Sector.HEALTH, "LAB § 32", False),
    (Sector.EMPLOYMENT, "SEL § 85", False),
    (Sector.SOCIAL, "BL § 32", False),
)

T = TypeVar("T")


def mostly(
    usual: st.SearchStrategy[T], rare: st.SearchStrategy[T], one_in: int = 10
) -> st.SearchStrategy[T]:
    """``usual`` most of the time, ``rare`` about once in ``one_in`` draws (shrinking
    toward ``usual``): valid commands often enough to reach deep states, invalid ones
    often enough to be refused everywhere."""
    return st.integers(0, one_in - 1).flatmap(lambda n: rare if n == one_in - 1 else usual)


ADVANCE = st.integers(min_value=0, max_value=3 * 24 * 60)  # minutes the course moves on
BAD_TEXTS = ("", "   ", "\t\n", "bad\x00char", "x" * 501)
SHORT_TEXTS = mostly(
    st.sampled_from(("sick leave", "  moving house  ")),
    st.one_of(st.sampled_from(BAD_TEXTS), st.text(max_size=12)),
)
DESCRIPTIONS = mostly(
    st.sampled_from(("Takes the bus alone to job training", "  Works 10 hours a week ")),
    st.sampled_from(("", "  ", "x\x01y")),
)
CASEWORKER_OR_NOT = mostly(st.sampled_from(CASEWORKERS), st.sampled_from((CITIZEN, GUARDIAN)))
DUES = st.one_of(
    st.none(), st.sampled_from((date(2026, 3, 1), date(2026, 6, 1), date(2026, 12, 31)))
)
CONSENT_SECTORS = mostly(
    st.just(frozenset(Sector)),
    st.frozensets(st.sampled_from(list(Sector)), min_size=1),
    one_in=3,
)
OVERRIDE = "RSL § 11 c"


def text_ok(value: str, max_length: int = 500) -> bool | None:
    """Whether a ``ShortText``/``Text`` field accepts ``value``; None where the model
    cannot tell (whitespace that Python and pydantic's Rust core strip differently)."""
    if any(not ch.isascii() or "\x1c" <= ch <= "\x1f" for ch in value):
        return None
    stripped = value.strip()
    if not stripped or any(
        (ord(ch) < 32 and ch not in "\n\t") or ord(ch) == 127 for ch in stripped
    ):
        return False
    return len(stripped) <= max_length


def state_of(aggregate: OnePlanAggregate) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def allows_start(kind: DependencyType, other: InterventionStatus) -> bool:
    """Rule 6, as the model reads it: ``after-end`` waits until the other has ended
    (completed or stopped), ``after-start`` until it has started; a cancelled one never
    runs, so it holds nothing back."""
    if other is S.CANCELLED:
        return True
    if kind in (DependencyType.AFTER_END, DependencyType.AFTER):
        return other in (S.COMPLETED, S.STOPPED)
    if kind is DependencyType.AFTER_START:
        return other in STARTED
    return True


def fitting(fits: Callable[[InterventionModel], bool]) -> Any:
    """Mostly an intervention the command fits (by the model), else any intervention:
    lifecycle commands reach deep states without losing their invalid cases."""
    return st.runner().flatmap(lambda machine: machine.interventions_where(fits))


class RecordingOnePlan(OnePlan):
    """The application, keeping the state of every aggregate it saved: the live state
    that replay from the stored events must reproduce."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.saved: dict[UUID, dict[str, Any]] = {}

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """Every save goes through here (eventsourcing's ``Application._record``)."""
        recordings = super()._record(processing_event)
        for aggregate in processing_event.aggregates.values():
            if isinstance(aggregate, OnePlanAggregate):
                self.saved[aggregate.id] = copy.deepcopy(state_of(aggregate))
        return recordings


@dataclass
class Expect:
    """What the model expects of one command: success, or refusal with one of
    ``errors``; ``maybe`` are refusals the model cannot rule out."""

    errors: list[type[OnePlanError]] = field(default_factory=list)
    maybe: list[type[OnePlanError]] = field(default_factory=list)

    def refuse(self, error: type[OnePlanError], when: bool = True) -> None:
        if when:
            self.errors.append(error)

    def text(self, value: str, max_length: int = 500) -> None:
        ok = text_ok(value, max_length)
        if ok is None:
            self.maybe.append(InvalidInput)
        elif not ok:
            self.errors.append(InvalidInput)


@dataclass
class CitizenModel:
    consent_id: UUID
    sectors: frozenset[Sector]
    plan_id: UUID | None = None


@dataclass
class PlanModel:
    citizen_ids: tuple[UUID, ...]
    began_at: datetime
    status: PlanStatus
    opened_by: str
    coordinator: str | None = None
    participants: dict[str, ParticipantRole] = field(default_factory=dict)
    intervention_ids: list[UUID] = field(default_factory=list)
    delivered: int = 0


@dataclass
class GoalModel:
    plan_id: UUID
    parent_id: UUID | None
    description: str
    due: date | None
    status: GoalStatus


@dataclass
class InterventionModel:
    plan_id: UUID
    sector: Sector
    law: Law
    began_at: datetime
    responsible: str
    status: InterventionStatus = S.NOT_STARTED
    granted: bool = False
    scheduled_start: date | None = None
    dependencies: dict[UUID, DependencyType] = field(default_factory=dict)
    finished_version: int | None = None


class PlanAndInterventionMachine(RuleBasedStateMachine):
    plans = Bundle("plans")
    goals = Bundle("goals")
    interventions = Bundle("interventions")

    def __init__(self) -> None:
        super().__init__()
        app = RecordingOnePlan.open("memory://", clock=FixedClock(NOW))
        assert isinstance(app, RecordingOnePlan)
        self.app = app
        for caseworker in CASEWORKERS:  # (the staff directory, before the course)
            acting(app, caseworker)
        self.t = START
        self.citizen_models: dict[UUID, CitizenModel] = {}
        self.plan_models: dict[UUID, PlanModel] = {}
        self.goal_models: dict[UUID, GoalModel] = {}
        self.intervention_models: dict[UUID, InterventionModel] = {}
        self._ids = 0
        self._replayed_at = -1
        self._replayed: dict[UUID, OnePlanAggregate] = {}

    def teardown(self) -> None:
        self.app.close()

    # --- helpers -----------------------------------------------------------------------

    def interventions_where(
        self, fits: Callable[[InterventionModel], bool]
    ) -> st.SearchStrategy[UUID]:
        everyone = st.sampled_from(list(self.intervention_models))
        fit = [i for i, m in self.intervention_models.items() if fits(m)]
        return mostly(st.sampled_from(fit), everyone, one_in=4) if fit else everyone

    def _new_id(self, kind: int) -> UUID:
        """Ids decided by the test, so that a printed failing run replays as printed."""
        self._ids += 1
        return UUID(int=(kind << 96) | self._ids)

    def _tick(self, minutes: int) -> datetime:
        """The course moves on, never past the clock."""
        self.t = min(self.t + timedelta(minutes=minutes), NOW)
        return self.t

    def _events(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def _attempt(self, expect: Expect, call: Callable[[], R]) -> tuple[bool, R | None]:
        """Run a command and hold its outcome to the model's expectation."""
        before = self._events()
        refusal: OnePlanError | None = None
        try:
            result = call()
        except OnePlanError as error:  # anything else is a failure as it stands
            refusal = error
        if refusal is not None:
            assert self._events() == before, f"refused ({refusal!r}) but stored events"
            allowed = (*expect.errors, *expect.maybe)
            assert allowed, f"refused, but the model expected success: {refusal!r}"
            assert isinstance(refusal, allowed), (
                f"refused with {refusal!r}; expected one of {[e.__name__ for e in allowed]}"
            )
            return False, None
        assert not expect.errors, (
            f"accepted, but the model expected one of {[e.__name__ for e in expect.errors]}"
        )
        assert self._events() > before, "accepted but stored nothing"
        return True, result

    def _shares(self, citizen_ids: tuple[UUID, ...], recipient: Actor, override: bool) -> bool:
        """Rule 9 as the model reads it: every citizen's consent covers the sector, or
        an override names a legal basis; an actor without a sector never receives."""
        if recipient.sector is None:
            return False
        covered = all(recipient.sector in self.citizen_models[c].sectors for c in citizen_ids)
        return covered or override

    # --- who may (rules 11-12, as the model reads them) ---------------------------------

    def _session(self, sender: Actor | str, citizen: UUID | None = None) -> Session:
        """The session of a caseworker, of an impostor, or of ``citizen`` (``SELF``)."""
        if sender == SELF:
            assert citizen is not None
            return self.app.as_(Principal.citizen(citizen))
        assert isinstance(sender, Actor)
        if sender.id in IMPOSTORS:
            return self.app.as_(IMPOSTORS[sender.id])
        return self.app.as_(Principal.staff(sender.id))

    @staticmethod
    def _resolve(sender: Sender, who_may: list[str]) -> Actor | str:
        """A ``Holder`` as the caseworker it names among ``who_may`` (any caseworker when
        nobody may, the command is then refused)."""
        if not isinstance(sender, Holder):
            return sender
        ids = who_may or [a.id for a in CASEWORKERS]
        return BY_ID[ids[sender.n % len(ids)]]

    @staticmethod
    def _holding(pm: PlanModel) -> list[str]:
        """Who changes the plan: its coordinator and participants (its opener while it
        has no coordinator)."""
        return sorted({pm.coordinator or pm.opened_by, *pm.participants})

    @staticmethod
    def _coordinating(pm: PlanModel, *, opener: bool = True) -> list[str]:
        """Who pulls sectors in and changes the coordinator: the coordinator and
        co-coordinators (family coordinators too); the opener of a plan that has none."""
        found = {
            cid
            for cid, role in pm.participants.items()
            if role in (ParticipantRole.CO_COORDINATOR, ParticipantRole.FAMILY_COORDINATOR)
        }
        if pm.coordinator is not None:
            found.add(pm.coordinator)
        elif not found and opener:
            found.add(pm.opened_by)
        return sorted(found)

    def _holding_intervention(self, im: InterventionModel) -> list[str]:
        """Who takes an intervention's steps: its responsible caseworker, its plan's
        coordinators, and staff of its sector with authority under its law."""
        pm = self.plan_models[im.plan_id]
        return sorted(
            {
                im.responsible,
                *self._coordinating(pm, opener=False),
                *(a.id for a in CASEWORKERS if a.sector is im.sector and im.law in a.authorities),
            }
        )

    @staticmethod
    def _may(expect: Expect, sender: Actor | str, who_may: list[str]) -> None:
        """``NotPermitted`` unless the sender is a caseworker among ``who_may`` (the
        citizen themself, ``SELF``, is judged by the rule that draws them)."""
        if sender != SELF:
            expect.refuse(
                NotPermitted, when=not (isinstance(sender, Actor) and sender.id in who_may)
            )

    def _open_plans(self) -> int:
        return sum(pm.status in OPEN for pm in self.plan_models.values())

    def _leave(self, plan_id: UUID) -> None:
        for citizen_id in self.plan_models[plan_id].citizen_ids:
            if self.citizen_models[citizen_id].plan_id == plan_id:
                self.citizen_models[citizen_id].plan_id = None

    def _lifecycle(self, expect: Expect, im: InterventionModel, *allowed: S) -> None:
        expect.refuse(InterventionFinished, when=im.status in FINISHED)
        expect.refuse(IllegalTransition, when=im.status not in allowed)

    def _set_status(self, intervention_id: UUID, status: S) -> None:
        im = self.intervention_models[intervention_id]
        im.status = status
        if status in FINISHED:
            im.finished_version = self.app.saved[intervention_id]["_version"]

    def _goal_refusals(self, expect: Expect, goal_id: UUID, plan_id: UUID) -> GoalModel | None:
        """Plan open, goal in that plan, goal not finished; returns the goal if found."""
        expect.refuse(IllegalTransition, when=self.plan_models[plan_id].status not in OPEN)
        goal = self.goal_models[goal_id]
        if goal.plan_id != plan_id:
            expect.refuse(GoalNotFound)
            return None
        expect.refuse(IllegalTransition, when=goal.status.is_finished)
        return goal

    def _open_children(self, goal_id: UUID) -> bool:
        return any(
            g.parent_id == goal_id and not g.status.is_finished for g in self.goal_models.values()
        )

    def _waits_for(self, start: UUID, target: UUID) -> bool:
        """Whether ``start`` waits, directly or not, for ``target``."""
        seen: set[UUID] = set()
        frontier = [start]
        while frontier:
            current = frontier.pop()
            if current == target:
                return True
            if current in seen:
                continue
            seen.add(current)
            frontier.extend(
                other
                for other, kind in self.intervention_models[current].dependencies.items()
                if kind in WAITING
            )
        return False

    def _stored(self) -> dict[UUID, OnePlanAggregate]:
        """Every aggregate folded from its stored events (refolded when events arrive)."""
        count = self._events()
        if count != self._replayed_at:
            replayed: dict[UUID, OnePlanAggregate] = {}
            for aggregate_id in (
                *self.citizen_models,
                *self.plan_models,
                *self.intervention_models,
            ):
                aggregate: Any = None
                for event in record(self.app).history(aggregate_id):
                    aggregate = event.mutate(aggregate)
                replayed[aggregate_id] = aggregate
            self._replayed, self._replayed_at = replayed, count
        return self._replayed

    # --- citizens (the setting the plans need) ---------------------------------------

    def _register(self, sectors: frozenset[Sector], advance: int) -> UUID:
        at = self._tick(advance)
        _, citizen_id = self._attempt(
            Expect(),
            lambda: acting(self.app, ANNE).register_citizen(
                citizen_id=self._new_id(1),
                name="Mette",
                birth_date=date(1984, 5, 2),
                effective_at=at,
            ),
        )
        assert citizen_id is not None
        _, consent_id = self._attempt(
            Expect(),
            lambda: acting(self.app, ANNE).grant_consent(
                given_how="in-meeting",
                citizen_id=citizen_id,
                consent_id=self._new_id(2),
                recipient_sectors=tuple(sorted(sectors)),
                categories=tuple(InformationCategory),
                purpose="one coordinated plan",
                period=Period(start=at.date(), end=date(2028, 12, 31)),
                given_by=(ConsentGiver(kind=ActorKind.CITIZEN),),
                effective_at=at,
            ),
        )
        assert consent_id is not None
        self.citizen_models[citizen_id] = CitizenModel(consent_id, sectors)
        return citizen_id

    @initialize(
        target=plans,
        sectors=CONSENT_SECTORS,
        coordinator=st.sampled_from(CASEWORKERS),
        advance=ADVANCE,
    )
    def open_a_first_plan(
        self, sectors: frozenset[Sector], coordinator: Actor, advance: int
    ) -> Any:
        """A citizen with a plan to begin with (a draft one where the coordinator's sector
        is not covered by the consent)."""
        citizen_id = self._register(sectors, advance)
        covered = coordinator.sector in sectors
        _, plan_id = self._attempt(
            Expect(),
            lambda: acting(self.app, ANNE).open_plan(
                plan_id=self._new_id(3),
                citizen_ids=[citizen_id],
                consent_ids=[self.citizen_models[citizen_id].consent_id],
                legal_bases=["LAB § 30 b"],
                coordinator=coordinator if covered else None,
                effective_at=self.t,
            ),
        )
        assert plan_id is not None
        self.plan_models[plan_id] = PlanModel(
            citizen_ids=(citizen_id,),
            began_at=self.t,
            status=PlanStatus.ACTIVE if covered else PlanStatus.DRAFT,
            opened_by=ANNE.id,
            coordinator=coordinator.id if covered else None,
        )
        self.citizen_models[citizen_id].plan_id = plan_id
        return plan_id

    @initialize(
        target=interventions,
        first_waits=mostly(st.just(False), st.just(True), one_in=3),
        start_first=st.booleans(),
        advance=ADVANCE,
    )
    def a_course_under_way(self, first_waits: bool, start_first: bool, advance: int) -> Any:
        """Another citizen's plan with two granted interventions (the second perhaps
        waiting for the first to end), so that lifecycles get going from the start."""
        citizen_id = self._register(frozenset(Sector), advance)
        plan_id = self._new_id(3)
        self._attempt(
            Expect(),
            lambda: acting(self.app, LARS).open_plan(
                plan_id=plan_id,
                citizen_ids=[citizen_id],
                consent_ids=[self.citizen_models[citizen_id].consent_id],
                legal_bases=["SEL § 141 stk. 7"],
                coordinator=LARS,
                effective_at=self.t,
            ),
        )
        self.plan_models[plan_id] = PlanModel(
            citizen_ids=(citizen_id,),
            began_at=self.t,
            status=PlanStatus.ACTIVE,
            opened_by=LARS.id,
            coordinator=LARS.id,
        )
        self.citizen_models[citizen_id].plan_id = plan_id
        ids = []
        for sector, legal_basis, law, by in (
            (Sector.SOCIAL, "SEL § 85", Law.SEL, LARS),
            (Sector.EMPLOYMENT, "LAB § 32", Law.LAB, PETER),
        ):
            intervention_id = self._new_id(5)
            self._attempt(
                Expect(),
                partial(
                    acting(self.app, LARS).propose_intervention,
                    plan_id=plan_id,
                    intervention_id=intervention_id,
                    citizen_id=citizen_id,
                    sector=sector,
                    legal_basis=legal_basis,
                    title="Support contact person",
                    responsible=by,
                    planned_period=Period(start=date(2026, 2, 1), end=date(2026, 12, 31)),
                    effective_at=self.t,
                ),
            )
            self._attempt(
                Expect(),
                partial(
                    acting(self.app, by).grant_intervention,
                    intervention_id=intervention_id,
                    decision_id=self._new_id(6),
                    effective_at=self.t,
                ),
            )
            self.intervention_models[intervention_id] = InterventionModel(
                plan_id=plan_id,
                sector=sector,
                law=law,
                began_at=self.t,
                responsible=by.id,
                granted=True,
            )
            self.plan_models[plan_id].intervention_ids.append(intervention_id)
            ids.append(intervention_id)
        first, second = ids
        if first_waits:
            self._attempt(
                Expect(),
                lambda: acting(self.app, LARS).add_dependency(
                    intervention_id=second,
                    on_intervention_id=first,
                    effective_at=self.t,
                ),
            )
            self.intervention_models[second].dependencies[first] = DependencyType.AFTER_END
        if start_first:
            self._attempt(
                Expect(),
                lambda: acting(self.app, LARS).start_intervention(
                    intervention_id=first, effective_at=self.t
                ),
            )
            self._set_status(first, S.IN_PROGRESS)
        return multiple(*ids)

    @precondition(lambda self: len(self.citizen_models) < 6)
    @rule(sectors=CONSENT_SECTORS, advance=ADVANCE)
    def register_citizen(self, sectors: frozenset[Sector], advance: int) -> None:
        self._register(sectors, advance)

    # --- plan ----------------------------------------------------------------------------

    @rule(
        target=plans,
        data=st.data(),
        consents=mostly(st.just("each"), st.sampled_from(("first only", "unknown"))),
        coordinator=mostly(
            st.sampled_from(CASEWORKERS), st.sampled_from((None, CITIZEN, GUARDIAN)), one_in=3
        ),
        actor=CASEWORKER_OR_NOT,
        legal_basis=mostly(
            st.sampled_from(("LAB § 30 b", "SEL § 141 stk. 7", "BL § 110")), st.just("not a law")
        ),
        id_in_use=mostly(st.just(False), st.just(True)),
        advance=ADVANCE,
    )
    def open_plan(
        self,
        data: st.DataObject,
        consents: str,
        coordinator: Actor | None,
        actor: Sender,
        legal_basis: str,
        id_in_use: bool,
        advance: int,
    ) -> Any:
        """Also with an id already in use (by a citizen)."""
        at = self._tick(advance)
        new_id = next(iter(self.citizen_models)) if id_in_use else self._new_id(3)
        anyone = st.lists(st.sampled_from(list(self.citizen_models)), min_size=1, max_size=3)
        free = [c for c, m in self.citizen_models.items() if m.plan_id is None]
        citizen_ids = tuple(
            data.draw(
                mostly(st.lists(st.sampled_from(free), min_size=1, max_size=2, unique=True), anyone)
                if free
                else anyone,
                label="citizen_ids",
            )
        )
        models = [self.citizen_models[c] for c in citizen_ids]
        consent_ids = {
            "each": tuple(m.consent_id for m in models),
            "first only": (models[0].consent_id,),
            "unknown": (UNKNOWN,),
        }[consents]
        e = Expect()
        e.refuse(InvalidInput, when=legal_basis == "not a law" or id_in_use)
        e.refuse(ConsentMissing, when=any(m.consent_id not in consent_ids for m in models))
        e.refuse(InvalidInput, when=len(set(citizen_ids)) != len(citizen_ids))
        e.refuse(NotPermitted, when=not actor.is_caseworker)  # staff open plans
        e.refuse(CitizenAlreadyInPlan, when=any(m.plan_id is not None for m in models))
        if coordinator is not None:
            e.refuse(SharingNotCovered, when=not self._shares(citizen_ids, coordinator, False))
            e.refuse(StaffNotFound, when=not coordinator.is_caseworker)
        ok, plan_id = self._attempt(
            e,
            lambda: self._session(actor).open_plan(
                plan_id=new_id,
                citizen_ids=citizen_ids,
                consent_ids=consent_ids,
                legal_bases=[legal_basis],
                coordinator=coordinator,
                effective_at=at,
            ),
        )
        if not ok or plan_id is None:
            return multiple()
        self.plan_models[plan_id] = PlanModel(
            citizen_ids=citizen_ids,
            began_at=at,
            status=PlanStatus.ACTIVE if coordinator else PlanStatus.DRAFT,
            opened_by=actor.id,
            coordinator=coordinator.id if coordinator else None,
        )
        for m in models:
            m.plan_id = plan_id
        return plan_id

    @rule(
        plan=plans,
        data=st.data(),
        wishes=mostly(st.just("I want to work with animals"), SHORT_TEXTS),
        overarching_goal=mostly(
            st.sampled_from(
                ({"kind": "work"}, {"kind": "partial-self-support", "hours_per_week": 15})
            ),
            st.sampled_from(
                (
                    {"kind": "full-self-support", "hours_per_week": 10},
                    {"kind": "education", "hours_per_week": 40},
                )
            ),
        ),
        actor=st.one_of(ACTORS, st.just(SELF)),
        advance=ADVANCE,
    )
    def record_citizens_wishes(
        self,
        plan: UUID,
        data: st.DataObject,
        wishes: str,
        overarching_goal: dict[str, Any],
        actor: Sender,
        advance: int,
    ) -> None:
        at = self._tick(advance)
        pm = self.plan_models[plan]
        citizen = data.draw(
            mostly(st.sampled_from(pm.citizen_ids), st.sampled_from(list(self.citizen_models))),
            label="citizen_id",
        )
        e = Expect()
        who_may = self._holding(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        e.refuse(IllegalTransition, when=pm.status not in OPEN)
        e.refuse(InvalidInput, when=citizen not in pm.citizen_ids)
        e.refuse(
            InvalidInput,
            when=overarching_goal.get("kind") == "full-self-support"
            or overarching_goal.get("hours_per_week", 1) > 37,
        )
        e.text(wishes, max_length=10_000)
        self._attempt(
            e,
            lambda: self._session(sender, citizen).record_citizens_wishes(
                plan_id=plan,
                citizen_id=citizen,
                wishes=wishes,
                overarching_goal=overarching_goal,
                effective_at=at,
            ),
        )

    @rule(
        plan=plans,
        coordinator=CASEWORKER_OR_NOT,
        override=st.booleans(),
        actor=ACTORS,
        advance=ADVANCE,
    )
    def assign_coordinator(
        self, plan: UUID, coordinator: Actor, override: bool, actor: Sender, advance: int
    ) -> None:
        at = self._tick(advance)
        pm = self.plan_models[plan]
        e = Expect()
        who_may = self._coordinating(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        e.refuse(SharingNotCovered, when=not self._shares(pm.citizen_ids, coordinator, override))
        e.refuse(IllegalTransition, when=pm.status not in OPEN)
        e.refuse(StaffNotFound, when=not coordinator.is_caseworker)
        e.refuse(CoordinatorRequired, when=pm.coordinator is not None)
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).assign_coordinator(
                plan_id=plan,
                coordinator=coordinator,
                override_legal_basis=OVERRIDE if override else None,
                effective_at=at,
            ),
        )
        if ok:
            pm.coordinator = coordinator.id
            pm.participants.pop(coordinator.id, None)
            if pm.status is PlanStatus.DRAFT:
                pm.status = PlanStatus.ACTIVE

    @rule(
        plan=plans,
        new=CASEWORKER_OR_NOT,
        reason=SHORT_TEXTS,
        stays_as=st.one_of(st.none(), st.sampled_from(list(ParticipantRole))),
        override=st.booleans(),
        actor=ACTORS,
        advance=ADVANCE,
    )
    def hand_over_coordinator(
        self,
        plan: UUID,
        new: Actor,
        reason: str,
        stays_as: ParticipantRole | None,
        override: bool,
        actor: Sender,
        advance: int,
    ) -> None:
        at = self._tick(advance)
        pm = self.plan_models[plan]
        e = Expect()
        who_may = self._coordinating(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        e.refuse(SharingNotCovered, when=not self._shares(pm.citizen_ids, new, override))
        e.refuse(IllegalTransition, when=pm.status not in OPEN)
        e.refuse(StaffNotFound, when=not new.is_caseworker)
        e.refuse(CoordinatorRequired, when=pm.coordinator in (None, new.id))
        e.text(reason)
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).hand_over_coordinator(
                plan_id=plan,
                new_coordinator=new,
                reason=reason,
                previous_stays_as=stays_as,
                override_legal_basis=OVERRIDE if override else None,
                effective_at=at,
            ),
        )
        if ok:
            previous = pm.coordinator
            assert previous is not None
            pm.coordinator = new.id
            pm.participants.pop(new.id, None)
            if stays_as is not None:
                pm.participants[previous] = stays_as

    @rule(
        plan=plans,
        participant=CASEWORKER_OR_NOT,
        role=st.sampled_from(list(ParticipantRole)),
        override=st.booleans(),
        actor=ACTORS,
        advance=ADVANCE,
    )
    def add_participant(
        self,
        plan: UUID,
        participant: Actor,
        role: ParticipantRole,
        override: bool,
        actor: Sender,
        advance: int,
    ) -> None:
        at = self._tick(advance)
        pm = self.plan_models[plan]
        e = Expect()
        who_may = self._coordinating(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        e.refuse(SharingNotCovered, when=not self._shares(pm.citizen_ids, participant, override))
        e.refuse(IllegalTransition, when=pm.status not in OPEN)
        e.refuse(StaffNotFound, when=not participant.is_caseworker)
        e.refuse(
            IllegalTransition,
            when=participant.id in pm.participants or participant.id == pm.coordinator,
        )
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).add_participant(
                plan_id=plan,
                participant=participant,
                role=role,
                override_legal_basis=OVERRIDE if override else None,
                effective_at=at,
            ),
        )
        if ok:
            pm.participants[participant.id] = role

    @rule(
        plan=plans,
        data=st.data(),
        reason=SHORT_TEXTS,
        actor=ACTORS,
        advance=ADVANCE,
    )
    def remove_participant(
        self, plan: UUID, data: st.DataObject, reason: str, actor: Sender, advance: int
    ) -> None:
        at = self._tick(advance)
        pm = self.plan_models[plan]
        anyone = st.sampled_from([a.id for a in CASEWORKERS] + ["nobody", "bad id!"])
        caseworker_id = data.draw(
            mostly(st.sampled_from(sorted(pm.participants)), anyone) if pm.participants else anyone,
            label="caseworker_id",
        )
        e = Expect()
        who_may = self._coordinating(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, [*who_may, caseworker_id])  # (or they leave by themself)
        e.refuse(InvalidInput, when=caseworker_id == "bad id!")
        e.refuse(IllegalTransition, when=pm.status not in OPEN)
        e.refuse(ParticipantNotFound, when=caseworker_id not in pm.participants)
        e.text(reason)
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).remove_participant(
                plan_id=plan,
                caseworker_id=caseworker_id,
                reason=reason,
                effective_at=at,
            ),
        )
        if ok:
            del pm.participants[caseworker_id]

    @rule(
        target=goals,
        plan=plans,
        data=st.data(),
        due=DUES,
        status=mostly(
            st.sampled_from((GoalStatus.ACTIVE, GoalStatus.PROPOSED, GoalStatus.ACCEPTED)),
            st.sampled_from((GoalStatus.ON_HOLD, GoalStatus.COMPLETED, GoalStatus.CANCELLED)),
        ),
        description=DESCRIPTIONS,
        actor=ACTORS,
        advance=ADVANCE,
    )
    def set_goal(
        self,
        plan: UUID,
        data: st.DataObject,
        due: date | None,
        status: GoalStatus,
        description: str,
        actor: Sender,
        advance: int,
    ) -> Any:
        """A goal, or a sub-goal of any goal drawn (of this plan or not)."""
        at = self._tick(advance)
        pm = self.plan_models[plan]
        own = [g for g, m in self.goal_models.items() if m.plan_id == plan]
        parent_id = data.draw(
            mostly(
                st.one_of(st.none(), st.sampled_from(own)) if own else st.none(),
                st.sampled_from((*self.goal_models, UNKNOWN)),
            ),
            label="parent_id",
        )
        e = Expect()
        who_may = self._holding(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        e.refuse(IllegalTransition, when=pm.status not in OPEN)
        e.refuse(
            InvalidInput,
            when=status not in (GoalStatus.PROPOSED, GoalStatus.ACCEPTED, GoalStatus.ACTIVE),
        )
        if parent_id is not None:
            parent = self.goal_models.get(parent_id)
            if parent is None or parent.plan_id != plan:
                e.refuse(GoalNotFound)
            else:
                e.refuse(IllegalTransition, when=parent.status.is_finished)
                e.refuse(
                    InvalidInput,
                    when=parent.due is not None and (due is None or due > parent.due),
                )
        e.text(description)
        ok, goal_id = self._attempt(
            e,
            lambda: self._session(sender).set_goal(
                plan_id=plan,
                goal_id=self._new_id(4),
                parent_id=parent_id,
                description=description,
                due=due,
                status=status,
                effective_at=at,
            ),
        )
        if not ok or goal_id is None:
            return multiple()
        self.goal_models[goal_id] = GoalModel(plan, parent_id, description.strip(), due, status)
        return goal_id

    @rule(
        goal=goals,
        in_plan=mostly(st.none(), plans),
        reason=SHORT_TEXTS,
        description=st.one_of(st.none(), DESCRIPTIONS),
        due=DUES,
        status=mostly(
            st.sampled_from((None, GoalStatus.ON_HOLD, GoalStatus.ACCEPTED, GoalStatus.ACTIVE)),
            st.sampled_from(list(GoalStatus)),
        ),
        actor=ACTORS,
        advance=ADVANCE,
    )
    def revise_goal(
        self,
        goal: UUID,
        in_plan: UUID | None,
        reason: str,
        description: str | None,
        due: date | None,
        status: GoalStatus | None,
        actor: Sender,
        advance: int,
    ) -> None:
        at = self._tick(advance)
        plan = in_plan or self.goal_models[goal].plan_id
        e = Expect()
        who_may = self._holding(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        gm = self._goal_refusals(e, goal, plan)
        new_status = status or (gm.status if gm else GoalStatus.ACTIVE)
        e.refuse(InvalidInput, when=new_status.is_finished)
        if gm is not None:
            new_due = due if due is not None else gm.due
            if gm.parent_id is not None:
                parent_due = self.goal_models[gm.parent_id].due
                e.refuse(
                    InvalidInput,
                    when=parent_due is not None and (new_due is None or new_due > parent_due),
                )
            e.refuse(  # each sub-goal is due by its parent's due date (an undated one is not)
                InvalidInput,
                when=new_due is not None
                and any(
                    g.parent_id == goal and (g.due is None or g.due > new_due)
                    for g in self.goal_models.values()
                ),
            )
            new_description = gm.description if description is None else description.strip()
            e.refuse(
                InvalidInput,
                when=(new_description, new_due, new_status) == (gm.description, gm.due, gm.status),
            )
        if description is not None:
            e.text(description)
        e.text(reason)
        ok, result = self._attempt(
            e,
            lambda: self._session(sender).revise_goal(
                plan_id=plan,
                goal_id=goal,
                reason=reason,
                description=description,
                due=due,
                status=status,
                effective_at=at,
            ),
        )
        if ok:
            assert gm is not None
            assert result == goal
            gm.description, gm.due, gm.status = new_description, new_due, new_status

    @rule(
        goal=goals,
        in_plan=mostly(st.none(), plans),
        achievement=st.sampled_from(list(AchievementStatus)),
        measured_value=mostly(
            st.sampled_from((None, "3", "12.5")), st.sampled_from(("NaN", "123456789012345"))
        ),
        actor=ACTORS,
        advance=ADVANCE,
    )
    def record_goal_progress(
        self,
        goal: UUID,
        in_plan: UUID | None,
        achievement: AchievementStatus,
        measured_value: str | None,
        actor: Sender,
        advance: int,
    ) -> None:
        at = self._tick(advance)
        plan = in_plan or self.goal_models[goal].plan_id
        e = Expect()
        who_may = self._holding(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        self._goal_refusals(e, goal, plan)
        e.refuse(InvalidInput, when=measured_value in ("NaN", "123456789012345"))
        self._attempt(
            e,
            lambda: self._session(sender).record_goal_progress(
                plan_id=plan,
                goal_id=goal,
                achievement=achievement,
                measured_value=measured_value,
                note="a step forward",
                effective_at=at,
            ),
        )

    @rule(
        goal=goals,
        in_plan=mostly(st.none(), plans),
        achievement=st.sampled_from(list(AchievementStatus)),
        actor=ACTORS,
        advance=ADVANCE,
    )
    def complete_goal(
        self,
        goal: UUID,
        in_plan: UUID | None,
        achievement: AchievementStatus,
        actor: Sender,
        advance: int,
    ) -> None:
        at = self._tick(advance)
        plan = in_plan or self.goal_models[goal].plan_id
        e = Expect()
        who_may = self._holding(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        gm = self._goal_refusals(e, goal, plan)
        e.refuse(IllegalTransition, when=self._open_children(goal))
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).complete_goal(
                plan_id=plan, goal_id=goal, achievement=achievement, effective_at=at
            ),
        )
        if ok:
            assert gm is not None
            gm.status = GoalStatus.COMPLETED

    @rule(
        goal=goals,
        in_plan=mostly(st.none(), plans),
        reason=SHORT_TEXTS,
        actor=ACTORS,
        advance=ADVANCE,
    )
    def cancel_goal(
        self, goal: UUID, in_plan: UUID | None, reason: str, actor: Sender, advance: int
    ) -> None:
        at = self._tick(advance)
        plan = in_plan or self.goal_models[goal].plan_id
        e = Expect()
        who_may = self._holding(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        gm = self._goal_refusals(e, goal, plan)
        e.refuse(IllegalTransition, when=self._open_children(goal))
        e.text(reason)
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).cancel_goal(
                plan_id=plan, goal_id=goal, reason=reason, effective_at=at
            ),
        )
        if ok:
            assert gm is not None
            gm.status = GoalStatus.CANCELLED

    @rule(
        plan=plans,
        data=st.data(),
        attendees=mostly(
            st.lists(st.sampled_from((*CASEWORKERS, CITIZEN)), min_size=1, max_size=3),
            st.lists(CASEWORKER_OR_NOT, max_size=2),
        ),
        decisions=st.lists(mostly(st.just("Lars takes the contact"), SHORT_TEXTS), max_size=2),
        next_in_days=mostly(
            st.one_of(st.none(), st.integers(min_value=0, max_value=30)),
            st.integers(min_value=-3, max_value=-1),
        ),
        actor=ACTORS,
        advance=ADVANCE,
    )
    def hold_meeting(
        self,
        plan: UUID,
        data: st.DataObject,
        attendees: list[Actor],
        decisions: list[str],
        next_in_days: int | None,
        actor: Sender,
        advance: int,
    ) -> None:
        """A coordinating meeting deciding who is responsible for which intervention
        (of this plan, of another, or unknown)."""
        at = self._tick(advance)
        pm = self.plan_models[plan]
        picks: list[tuple[UUID, Actor]] = []
        if self.intervention_models:
            anywhere = st.lists(
                st.tuples(st.sampled_from((*self.intervention_models, UNKNOWN)), CASEWORKER_OR_NOT),
                max_size=3,
            )
            in_plan = st.lists(
                st.tuples(st.sampled_from(pm.intervention_ids), st.sampled_from(CASEWORKERS)),
                max_size=3,
                unique_by=lambda pick: pick[0],
            )
            picks = data.draw(
                mostly(in_plan, anywhere) if pm.intervention_ids else anywhere,
                label="responsibilities",
            )
        next_meeting = (
            at.date() + timedelta(days=next_in_days) if next_in_days is not None else None
        )
        ids = [iid for iid, _ in picks]
        e = Expect()
        who_may = self._holding(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        e.refuse(InvalidInput, when=not attendees)
        e.refuse(IllegalTransition, when=pm.status not in OPEN)
        e.refuse(InterventionOutsidePlan, when=any(i not in pm.intervention_ids for i in ids))
        e.refuse(InvalidInput, when=len(set(ids)) != len(ids))
        e.refuse(StaffNotFound, when=any(not a.is_caseworker for _, a in picks))
        e.refuse(InvalidInput, when=next_meeting is not None and next_meeting < at.date())
        for decision in decisions:
            e.text(decision)
        e.refuse(
            InterventionFinished,
            when=any(
                self.intervention_models[i].status in FINISHED
                for i in ids
                if i in pm.intervention_ids
            ),
        )
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).hold_meeting(
                plan_id=plan,
                meeting_id=self._new_id(7),
                attendees=[
                    MeetingAttendee(id=a.id, kind=a.kind, sector=a.sector) for a in attendees
                ],
                decisions=decisions,
                responsibilities=[
                    Responsibility(intervention_id=i, caseworker=a) for i, a in picks
                ],
                next_meeting=next_meeting,
                effective_at=at,
            ),
        )
        if ok:
            for intervention_id, caseworker in picks:
                self.intervention_models[intervention_id].responsible = caseworker.id

    @rule(plan=plans, channel=st.sampled_from(list(DeliveryChannel)), actor=ACTORS, advance=ADVANCE)
    def deliver_plan(
        self, plan: UUID, channel: DeliveryChannel, actor: Sender, advance: int
    ) -> None:
        at = self._tick(advance)
        pm = self.plan_models[plan]
        e = Expect()
        who_may = self._holding(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        e.refuse(IllegalTransition, when=pm.status not in (PlanStatus.ACTIVE, PlanStatus.ON_HOLD))
        ok, version = self._attempt(
            e,
            lambda: self._session(sender).deliver_plan(
                plan_id=plan, channel=channel, effective_at=at
            ),
        )
        if ok:
            pm.delivered += 1
            assert version == pm.delivered

    @rule(plan=plans, reason=SHORT_TEXTS, actor=ACTORS, advance=ADVANCE)
    def put_plan_on_hold(self, plan: UUID, reason: str, actor: Sender, advance: int) -> None:
        at = self._tick(advance)
        pm = self.plan_models[plan]
        e = Expect()
        who_may = self._holding(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        e.refuse(IllegalTransition, when=pm.status is not PlanStatus.ACTIVE)
        e.text(reason)
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).put_plan_on_hold(
                plan_id=plan, reason=reason, effective_at=at
            ),
        )
        if ok:
            pm.status = PlanStatus.ON_HOLD

    @rule(plan=plans, actor=ACTORS, advance=ADVANCE)
    def resume_plan(self, plan: UUID, actor: Sender, advance: int) -> None:
        at = self._tick(advance)
        pm = self.plan_models[plan]
        e = Expect()
        who_may = self._holding(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        e.refuse(IllegalTransition, when=pm.status is not PlanStatus.ON_HOLD)
        ok, _ = self._attempt(
            e, lambda: self._session(sender).resume_plan(plan_id=plan, effective_at=at)
        )
        if ok:
            pm.status = PlanStatus.ACTIVE

    @precondition(lambda self: self._open_plans() >= 2)  # one stays open for the course
    @rule(plan=plans, outcome=st.sampled_from(list(PlanOutcome)), actor=ACTORS, advance=ADVANCE)
    def complete_plan(self, plan: UUID, outcome: PlanOutcome, actor: Sender, advance: int) -> None:
        at = self._tick(advance)
        pm = self.plan_models[plan]
        e = Expect()
        who_may = self._holding(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        e.refuse(IllegalTransition, when=pm.status not in (PlanStatus.ACTIVE, PlanStatus.ON_HOLD))
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).complete_plan(
                plan_id=plan, outcome=outcome, effective_at=at
            ),
        )
        if ok:
            pm.status = PlanStatus.COMPLETED
            self._leave(plan)

    @precondition(lambda self: self._open_plans() >= 2)  # one stays open for the course
    @rule(
        plan=plans,
        actor=st.one_of(st.just(SELF), ACTORS),
        reason=st.sampled_from(("", "I want my sector plans back")),
        advance=ADVANCE,
    )
    def withdraw_plan(self, plan: UUID, actor: Sender, reason: str, advance: int) -> None:
        at = self._tick(advance)
        pm = self.plan_models[plan]
        e = Expect()
        who_may = self._holding(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        e.refuse(IllegalTransition, when=pm.status not in OPEN)
        # the citizen (or a guardian) withdraws, never a caseworker (the plan's rule)
        e.refuse(InvalidInput, when=isinstance(sender, Actor) and sender.is_caseworker)
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender, pm.citizen_ids[0]).withdraw_plan(
                plan_id=plan, reason=reason, effective_at=at
            ),
        )
        if ok:
            pm.status = PlanStatus.REVOKED
            self._leave(plan)

    @precondition(lambda self: self._open_plans() >= 2)  # one stays open for the course
    @rule(plan=plans, reason=SHORT_TEXTS, actor=ACTORS, advance=ADVANCE)
    def enter_plan_in_error(self, plan: UUID, reason: str, actor: Sender, advance: int) -> None:
        at = self._tick(advance)
        pm = self.plan_models[plan]
        e = Expect()
        who_may = self._holding(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        e.refuse(IllegalTransition, when=pm.status is PlanStatus.ENTERED_IN_ERROR)
        e.text(reason)
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).enter_plan_in_error(
                plan_id=plan, reason=reason, effective_at=at
            ),
        )
        if ok:
            pm.status = PlanStatus.ENTERED_IN_ERROR
            self._leave(plan)

    # --- intervention ------------------------------------------------------------------

    @rule(
        target=interventions,
        plan=plans,
        data=st.data(),
        sector_law=mostly(
            st.sampled_from([s for s in SECTOR_LAWS if s[2]]),
            st.sampled_from([s for s in SECTOR_LAWS if not s[2]]),
        ),
        responsible=CASEWORKER_OR_NOT,
        title=DESCRIPTIONS,
        period_ok=mostly(st.just(True), st.just(False)),
        granted_at_once=st.booleans(),
        id_in_use=mostly(st.just(False), st.just(True)),
        actor=ACTORS,
        advance=ADVANCE,
    )
    def propose_intervention(
        self,
        plan: UUID,
        data: st.DataObject,
        sector_law: tuple[Sector, str, bool],
        responsible: Actor,
        title: str,
        period_ok: bool,
        granted_at_once: bool,
        id_in_use: bool,
        actor: Sender,
        advance: int,
    ) -> Any:
        """Proposed, and if ``granted_at_once``, granted by a caseworker with authority;
        also with an id already in use (by the plan)."""
        at = self._tick(advance)
        new_id = plan if id_in_use else self._new_id(5)
        pm = self.plan_models[plan]
        sector, legal_basis, lawful = sector_law
        citizen = data.draw(
            mostly(st.sampled_from(pm.citizen_ids), st.sampled_from(list(self.citizen_models))),
            label="citizen_id",
        )
        own = [
            g for g, m in self.goal_models.items() if m.plan_id == plan and not m.status.is_finished
        ]
        anywhere = st.lists(st.sampled_from((*self.goal_models, UNKNOWN)), max_size=2)
        goal_ids = data.draw(
            mostly(st.lists(st.sampled_from(own), max_size=2), anywhere) if own else anywhere,
            label="goal_ids",
        )
        e = Expect()
        who_may = self._holding(self.plan_models[plan])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        e.refuse(IllegalTransition, when=pm.status not in OPEN)
        e.refuse(InterventionOutsidePlan, when=citizen not in pm.citizen_ids)
        for goal_id in goal_ids:
            gm = self.goal_models.get(goal_id)
            e.refuse(GoalNotFound, when=gm is None or gm.plan_id != plan)
            e.refuse(IllegalTransition, when=gm is not None and gm.status.is_finished)
        e.refuse(LegalBasisOutsideSector, when=not lawful)
        e.refuse(StaffNotFound, when=not responsible.is_caseworker)
        e.text(title)
        e.refuse(InvalidInput, when=not period_ok or id_in_use)
        ok, intervention_id = self._attempt(
            e,
            lambda: self._session(sender).propose_intervention(
                plan_id=plan,
                intervention_id=new_id,
                citizen_id=citizen,
                sector=sector,
                legal_basis=legal_basis,
                title=title,
                goal_ids=goal_ids,
                responsible=responsible,
                planned_period=(
                    {"start": "2026-02-01", "end": "2026-12-31"}
                    if period_ok
                    else {"start": "2026-12-31", "end": "2026-02-01"}
                ),
                planned_cost="12000.00",
                effective_at=at,
            ),
        )
        if not ok or intervention_id is None:
            return multiple()
        law = Law(legal_basis.split(" ")[0])
        im = self.intervention_models[intervention_id] = InterventionModel(
            plan_id=plan, sector=sector, law=law, began_at=at, responsible=responsible.id
        )
        pm.intervention_ids.append(intervention_id)
        holding = self._holding_intervention(im)
        authorised = next(
            (a for a in CASEWORKERS if a.id in holding and law in a.authorities), None
        )
        if granted_at_once and authorised is not None:
            self._attempt(
                Expect(),
                lambda: acting(self.app, authorised).grant_intervention(
                    intervention_id=intervention_id,
                    decision_id=self._new_id(6),
                    effective_at=at,
                ),
            )
            self.intervention_models[intervention_id].granted = True
        return intervention_id

    @rule(
        intervention=interventions,
        data=st.data(),
        note=st.sampled_from(("", "granted under SEL § 85")),
        advance=ADVANCE,
    )
    def grant_intervention(
        self, intervention: UUID, data: st.DataObject, note: str, advance: int
    ) -> None:
        """With and without authority under the intervention's law (rule 3), by those who
        hold the intervention and by others."""
        at = self._tick(advance)
        im = self.intervention_models[intervention]
        who_may = self._holding_intervention(im)
        authorised = [a for a in CASEWORKERS if a.id in who_may and im.law in a.authorities]
        actor: Sender = data.draw(
            mostly(st.sampled_from(authorised), ACTORS, one_in=3) if authorised else ACTORS,
            label="actor",
        )
        sender = self._resolve(actor, who_may)
        e = Expect()
        self._may(e, sender, who_may)
        self._lifecycle(e, im, S.NOT_STARTED, S.SCHEDULED)
        e.refuse(IllegalTransition, when=im.granted)
        e.refuse(
            AuthorityMissing,
            when=not (isinstance(sender, Actor) and im.law in sender.authorities),
        )
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).grant_intervention(
                intervention_id=intervention,
                decision_id=self._new_id(6),
                note=note,
                effective_at=at,
            ),
        )
        if ok:
            im.granted = True

    @precondition(lambda self: self.intervention_models)
    @rule(
        intervention=fitting(lambda m: m.status in (S.NOT_STARTED, S.SCHEDULED)),
        start_on=st.sampled_from((date(2026, 2, 1), date(2026, 3, 1))),
        actor=ACTORS,
        advance=ADVANCE,
    )
    def schedule_intervention(
        self, intervention: UUID, start_on: date, actor: Sender, advance: int
    ) -> None:
        at = self._tick(advance)
        im = self.intervention_models[intervention]
        e = Expect()
        who_may = self._holding_intervention(self.intervention_models[intervention])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        self._lifecycle(e, im, S.NOT_STARTED, S.SCHEDULED)
        e.refuse(IllegalTransition, when=start_on == im.scheduled_start)
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).schedule_intervention(
                intervention_id=intervention, start_on=start_on, effective_at=at
            ),
        )
        if ok:
            im.scheduled_start = start_on
            self._set_status(intervention, S.SCHEDULED)

    @precondition(lambda self: self.intervention_models)
    @rule(
        intervention=fitting(lambda m: m.granted and m.status in (S.NOT_STARTED, S.SCHEDULED)),
        actor=ACTORS,
        advance=ADVANCE,
    )
    def start_intervention(self, intervention: UUID, actor: Sender, advance: int) -> None:
        """With and without what it waits for having happened (rule 6)."""
        at = self._tick(advance)
        im = self.intervention_models[intervention]
        e = Expect()
        who_may = self._holding_intervention(self.intervention_models[intervention])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        self._lifecycle(e, im, S.NOT_STARTED, S.SCHEDULED)
        e.refuse(IllegalTransition, when=not im.granted)
        e.refuse(
            DependencyNotSatisfied,
            when=not all(
                allows_start(kind, self.intervention_models[other].status)
                for other, kind in im.dependencies.items()
            ),
        )
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).start_intervention(
                intervention_id=intervention, effective_at=at
            ),
        )
        if ok:
            self._set_status(intervention, S.IN_PROGRESS)

    @precondition(lambda self: self.intervention_models)
    @rule(
        intervention=fitting(lambda m: m.status is S.IN_PROGRESS),
        reason=SHORT_TEXTS,
        resume_in_days=mostly(
            st.one_of(st.none(), st.integers(min_value=0, max_value=60)),
            st.integers(min_value=-3, max_value=-1),
        ),
        actor=ACTORS,
        advance=ADVANCE,
    )
    def pause_intervention(
        self,
        intervention: UUID,
        reason: str,
        resume_in_days: int | None,
        actor: Sender,
        advance: int,
    ) -> None:
        """With blank and real reasons (rule 5)."""
        at = self._tick(advance)
        im = self.intervention_models[intervention]
        expected_resume = (
            at.date() + timedelta(days=resume_in_days) if resume_in_days is not None else None
        )
        e = Expect()
        who_may = self._holding_intervention(self.intervention_models[intervention])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        self._lifecycle(e, im, S.IN_PROGRESS)
        e.refuse(InvalidInput, when=expected_resume is not None and expected_resume < at.date())
        e.text(reason)
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).pause_intervention(
                intervention_id=intervention,
                reason=reason,
                expected_resume=expected_resume,
                effective_at=at,
            ),
        )
        if ok:
            self._set_status(intervention, S.ON_HOLD)

    @precondition(lambda self: self.intervention_models)
    @rule(intervention=fitting(lambda m: m.status is S.ON_HOLD), actor=ACTORS, advance=ADVANCE)
    def resume_intervention(self, intervention: UUID, actor: Sender, advance: int) -> None:
        """Only a paused intervention resumes, and a paused one always can (rule 5)."""
        at = self._tick(advance)
        im = self.intervention_models[intervention]
        e = Expect()
        who_may = self._holding_intervention(self.intervention_models[intervention])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        self._lifecycle(e, im, S.ON_HOLD)
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).resume_intervention(
                intervention_id=intervention, effective_at=at
            ),
        )
        if ok:
            self._set_status(intervention, S.IN_PROGRESS)

    @precondition(lambda self: self.intervention_models)
    @rule(
        intervention=fitting(lambda m: m.status is S.IN_PROGRESS),
        outcome=st.sampled_from(list(InterventionOutcome)),
        actor=ACTORS,
        advance=ADVANCE,
    )
    def complete_intervention(
        self, intervention: UUID, outcome: InterventionOutcome, actor: Sender, advance: int
    ) -> None:
        at = self._tick(advance)
        im = self.intervention_models[intervention]
        e = Expect()
        who_may = self._holding_intervention(self.intervention_models[intervention])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        self._lifecycle(e, im, S.IN_PROGRESS)
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).complete_intervention(
                intervention_id=intervention, outcome=outcome, effective_at=at
            ),
        )
        if ok:
            self._set_status(intervention, S.COMPLETED)

    @precondition(lambda self: self.intervention_models)
    @rule(
        intervention=fitting(lambda m: m.status in (S.IN_PROGRESS, S.ON_HOLD)),
        reason=SHORT_TEXTS,
        actor=ACTORS,
        advance=ADVANCE,
    )
    def stop_intervention(
        self, intervention: UUID, reason: str, actor: Sender, advance: int
    ) -> None:
        at = self._tick(advance)
        im = self.intervention_models[intervention]
        e = Expect()
        who_may = self._holding_intervention(self.intervention_models[intervention])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        self._lifecycle(e, im, S.IN_PROGRESS, S.ON_HOLD)
        e.text(reason)
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).stop_intervention(
                intervention_id=intervention, reason=reason, effective_at=at
            ),
        )
        if ok:
            self._set_status(intervention, S.STOPPED)

    @precondition(lambda self: self.intervention_models)
    @rule(
        intervention=fitting(lambda m: m.status in (S.NOT_STARTED, S.SCHEDULED)),
        reason=SHORT_TEXTS,
        actor=ACTORS,
        advance=ADVANCE,
    )
    def cancel_intervention(
        self, intervention: UUID, reason: str, actor: Sender, advance: int
    ) -> None:
        at = self._tick(advance)
        im = self.intervention_models[intervention]
        e = Expect()
        who_may = self._holding_intervention(self.intervention_models[intervention])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        self._lifecycle(e, im, S.NOT_STARTED, S.SCHEDULED)
        e.text(reason)
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).cancel_intervention(
                intervention_id=intervention, reason=reason, effective_at=at
            ),
        )
        if ok:
            self._set_status(intervention, S.CANCELLED)

    @rule(
        intervention=interventions,
        new=CASEWORKER_OR_NOT,
        reason=SHORT_TEXTS,
        actor=ACTORS,
        advance=ADVANCE,
    )
    def reassign_responsible(
        self, intervention: UUID, new: Actor, reason: str, actor: Sender, advance: int
    ) -> None:
        at = self._tick(advance)
        im = self.intervention_models[intervention]
        e = Expect()
        who_may = self._holding_intervention(self.intervention_models[intervention])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        e.refuse(InterventionFinished, when=im.status in FINISHED)
        e.refuse(StaffNotFound, when=not new.is_caseworker)
        e.refuse(IllegalTransition, when=new.id == im.responsible)
        e.text(reason)
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).reassign_responsible(
                intervention_id=intervention,
                new_responsible=new,
                reason=reason,
                effective_at=at,
            ),
        )
        if ok:
            im.responsible = new.id

    @rule(
        intervention=interventions,
        amount=mostly(st.sampled_from(("0", "12000.00", "99.5")), st.sampled_from(("-1", "1.234"))),
        budget_area=st.sampled_from(list(BudgetArea)),
        period_ok=mostly(st.just(True), st.just(False)),
        actor=ACTORS,
        advance=ADVANCE,
    )
    def record_actual_cost(
        self,
        intervention: UUID,
        amount: str,
        budget_area: BudgetArea,
        period_ok: bool,
        actor: Sender,
        advance: int,
    ) -> None:
        at = self._tick(advance)
        im = self.intervention_models[intervention]
        e = Expect()
        who_may = self._holding_intervention(self.intervention_models[intervention])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        e.refuse(InterventionFinished, when=im.status in FINISHED)
        e.refuse(InvalidInput, when=amount in ("-1", "1.234") or not period_ok)
        self._attempt(
            e,
            lambda: self._session(sender).record_actual_cost(
                intervention_id=intervention,
                amount=amount,
                budget_area=budget_area,
                period=(
                    {"start": "2026-02-01", "end": "2026-02-28"}
                    if period_ok
                    else {"start": "2026-02-28", "end": "2026-02-01"}
                ),
                effective_at=at,
            ),
        )

    @rule(
        intervention=interventions,
        data=st.data(),
        kind=mostly(st.sampled_from(WAITING), st.sampled_from(list(DependencyType)), one_in=2),
        actor=ACTORS,
        advance=ADVANCE,
    )
    def add_dependency(
        self,
        intervention: UUID,
        data: st.DataObject,
        kind: DependencyType,
        actor: Sender,
        advance: int,
    ) -> None:
        """Including on itself, across plans, on what does not exist, and closing a cycle."""
        at = self._tick(advance)
        im = self.intervention_models[intervention]
        on = data.draw(
            mostly(
                st.sampled_from(self.plan_models[im.plan_id].intervention_ids),
                st.sampled_from((*self.intervention_models, UNKNOWN)),
            ),
            label="on_intervention_id",
        )
        e = Expect()
        who_may = self._holding_intervention(self.intervention_models[intervention])
        sender = self._resolve(actor, who_may)
        self._may(e, sender, who_may)
        other = self.intervention_models.get(on)
        if other is None:
            e.refuse(InterventionNotFound)
        else:
            e.refuse(InterventionOutsidePlan, when=other.plan_id != im.plan_id)
            e.refuse(DependencyCycle, when=kind in WAITING and self._waits_for(on, intervention))
        e.refuse(InterventionFinished, when=im.status in FINISHED)
        e.refuse(InvalidInput, when=on == intervention)
        e.refuse(IllegalTransition, when=on in im.dependencies)
        e.refuse(IllegalTransition, when=im.status in STARTED and kind in WAITING)
        ok, _ = self._attempt(
            e,
            lambda: self._session(sender).add_dependency(
                intervention_id=intervention,
                on_intervention_id=on,
                type=kind,
                effective_at=at,
            ),
        )
        if ok:
            im.dependencies[on] = kind

    # --- ids that name nothing, times that cannot be -----------------------------------

    @precondition(lambda self: self.plan_models)
    @rule(
        command=st.sampled_from(
            (
                "deliver_plan",
                "hand_over_coordinator",
                "set_goal",
                "propose_intervention",
                "open_plan",
                "start_intervention",
                "pause_intervention",
                "add_dependency",
                "record_goal_progress",
            )
        ),
        of_another_kind=st.booleans(),
        advance=ADVANCE,
    )
    def refer_to_what_does_not_exist(
        self, command: str, of_another_kind: bool, advance: int
    ) -> None:
        """An unknown id, or the id of another kind of aggregate: a typed not-found."""
        at = self._tick(advance)
        some_citizen = next(iter(self.citizen_models))
        some_plan = next(iter(self.plan_models), None)
        wrong = some_citizen if of_another_kind else UNKNOWN
        e = Expect()
        anne = self._session(ANNE)
        call: Callable[[], object]
        if command == "deliver_plan":
            e.refuse(PlanNotFound)
            call = partial(anne.deliver_plan, plan_id=wrong, effective_at=at)
        elif command == "hand_over_coordinator":
            e.refuse(PlanNotFound)
            call = partial(
                anne.hand_over_coordinator,
                plan_id=wrong,
                new_coordinator=LARS,
                reason="leave",
                effective_at=at,
            )
        elif command == "set_goal":
            e.refuse(PlanNotFound)
            call = partial(anne.set_goal, plan_id=wrong, description="a goal", effective_at=at)
        elif command == "propose_intervention":
            e.refuse(PlanNotFound)
            call = partial(
                anne.propose_intervention,
                plan_id=wrong,
                citizen_id=some_citizen,
                sector=Sector.SOCIAL,
                legal_basis="SEL § 85",
                title="Support contact person",
                responsible=LARS,
                planned_period={"start": "2026-02-01"},
                effective_at=at,
            )
        elif command == "open_plan":
            citizen = (some_plan or UNKNOWN) if of_another_kind else UNKNOWN
            e.refuse(CitizenNotFound)
            call = partial(
                anne.open_plan,
                citizen_ids=[citizen],
                consent_ids=[UNKNOWN],
                legal_bases=["LAB § 30 b"],
                effective_at=at,
            )
        elif command == "start_intervention":
            e.refuse(InterventionNotFound)
            call = partial(anne.start_intervention, intervention_id=wrong, effective_at=at)
        elif command == "pause_intervention":
            e.refuse(InterventionNotFound)
            call = partial(
                anne.pause_intervention,
                intervention_id=wrong,
                reason="ill",
                effective_at=at,
            )
        elif command == "add_dependency":
            e.refuse(InterventionNotFound)
            call = partial(
                anne.add_dependency,
                intervention_id=wrong,
                on_intervention_id=wrong,
                effective_at=at,
            )
        else:
            e.refuse(GoalNotFound if some_plan else PlanNotFound)
            holder = (  # (the plan exists: its holder sends it, the goal does not)
                BY_ID[self._holding(self.plan_models[some_plan])[0]] if some_plan else ANNE
            )
            call = partial(
                self._session(holder).record_goal_progress,
                plan_id=some_plan or wrong,
                goal_id=wrong,
                achievement=AchievementStatus.IMPROVING,
                effective_at=at,
            )
        if some_plan is not None and command == "record_goal_progress":
            e.refuse(IllegalTransition, when=self.plan_models[some_plan].status not in OPEN)
        self._attempt(e, call)

    @rule(
        intervention=interventions,
        when=st.sampled_from(("in the future", "before its course began", "without a zone")),
    )
    def record_cost_at_an_impossible_time(self, intervention: UUID, when: str) -> None:
        im = self.intervention_models[intervention]
        effective_at = {
            "in the future": NOW + timedelta(minutes=5),
            "before its course began": im.began_at - timedelta(days=1),
            "without a zone": self.t.replace(tzinfo=None),
        }[when]
        e = Expect()
        e.refuse(EffectiveTimeInvalid if when != "without a zone" else InvalidInput)
        e.refuse(
            InterventionFinished, when=when == "before its course began" and im.status in FINISHED
        )
        responsible = BY_ID[im.responsible]  # (one who may: only the time is wrong)
        self._attempt(
            e,
            lambda: self._session(responsible).record_actual_cost(
                intervention_id=intervention,
                amount="10.00",
                budget_area=BudgetArea.SERVICE,
                period={"start": "2026-02-01"},
                effective_at=effective_at,
            ),
        )

    @rule(plan=plans, when=st.sampled_from(("in the future", "before its course began")))
    def deliver_plan_at_an_impossible_time(self, plan: UUID, when: str) -> None:
        pm = self.plan_models[plan]
        effective_at = (
            NOW + timedelta(minutes=5) if when == "in the future" else pm.began_at - timedelta(1)
        )
        e = Expect()
        e.refuse(EffectiveTimeInvalid)
        e.refuse(
            IllegalTransition,
            when=when != "in the future"
            and pm.status not in (PlanStatus.ACTIVE, PlanStatus.ON_HOLD),
        )
        holder = BY_ID[self._holding(pm)[0]]  # (one who may: only the time is wrong)
        self._attempt(
            e, lambda: self._session(holder).deliver_plan(plan_id=plan, effective_at=effective_at)
        )

    # --- invariants, after every step ----------------------------------------------------

    @invariant()
    def replay_equals_live(self) -> None:
        for aggregate_id, replayed in self._stored().items():
            assert aggregate_id in self.app.saved, f"no save of {aggregate_id} was seen"
            live = self.app.saved[aggregate_id]
            state = state_of(replayed)
            differ = sorted(k for k in state.keys() | live.keys() if state.get(k) != live.get(k))
            assert not differ, (
                f"{type(replayed).__name__} {aggregate_id} replayed differs from live in "
                f"{differ}: replayed {[state.get(k) for k in differ]}, "
                f"live {[live.get(k) for k in differ]}"
            )

    @invariant()
    def reading_equals_replay(self) -> None:
        """What the application hands out (through any cache) is the stored course."""
        for aggregate_id, replayed in self._stored().items():
            read: OnePlanAggregate
            if isinstance(replayed, Plan):
                read = record(self.app).plan(aggregate_id)
            elif aggregate_id in self.intervention_models:
                read = record(self.app).intervention(aggregate_id)
            else:
                read = record(self.app).citizen(aggregate_id)
            assert state_of(read) == state_of(replayed), f"reading {aggregate_id} differs"

    @invariant()
    def the_record_agrees_with_the_model(self) -> None:
        stored = self._stored()
        for plan_id, pm in self.plan_models.items():
            plan = stored[plan_id]
            assert isinstance(plan, Plan)
            assert plan.status is pm.status
            assert (plan.coordinator.id if plan.coordinator else None) == pm.coordinator
            assert {k: p.role for k, p in plan.participants.items()} == pm.participants
            assert list(plan.intervention_ids) == pm.intervention_ids
            assert plan.delivered_versions == pm.delivered
        for goal_id, gm in self.goal_models.items():
            plan = stored[gm.plan_id]
            assert isinstance(plan, Plan)
            goal = plan.goals[goal_id]
            assert (goal.parent_id, goal.description, goal.due, goal.status) == (
                gm.parent_id,
                gm.description,
                gm.due,
                gm.status,
            )
        for intervention_id, im in self.intervention_models.items():
            intervention: Any = stored[intervention_id]
            assert intervention.status is im.status
            assert (intervention.decision is not None) == im.granted
            assert intervention.scheduled_start == im.scheduled_start
            assert {d.on_intervention_id: d.type for d in intervention.dependencies} == (
                im.dependencies
            )
        for citizen_id, cm in self.citizen_models.items():
            citizen: Any = stored[citizen_id]
            assert citizen.plan_id == cm.plan_id

    @invariant()
    def an_active_or_on_hold_plan_has_exactly_one_coordinator(self) -> None:
        for plan_id in self.plan_models:
            plan: Any = self._stored()[plan_id]
            if plan.status in (PlanStatus.ACTIVE, PlanStatus.ON_HOLD):
                assert isinstance(plan.coordinator, Actor), f"plan {plan_id} has no coordinator"
                assert plan.coordinator.is_caseworker
                assert plan.coordinator.id not in plan.participants
            elif plan.status is PlanStatus.DRAFT:
                assert plan.coordinator is None

    @invariant()
    def every_intervention_has_exactly_one_responsible_caseworker(self) -> None:
        for intervention_id, im in self.intervention_models.items():
            intervention: Any = self._stored()[intervention_id]
            assert isinstance(intervention.responsible, Actor)
            assert intervention.responsible.is_caseworker
            assert intervention.responsible.id == im.responsible

    @invariant()
    def a_paused_intervention_has_a_reason(self) -> None:
        for intervention_id in self.intervention_models:
            intervention: Any = self._stored()[intervention_id]
            if intervention.status is S.ON_HOLD:
                reason = intervention.pause_reason
                assert isinstance(reason, str), f"paused without reason {reason!r}"
                assert reason.strip(), f"paused with a blank reason {reason!r}"

    @invariant()
    def a_finished_intervention_never_changes(self) -> None:
        for intervention_id, im in self.intervention_models.items():
            if im.finished_version is not None:
                intervention: Any = self._stored()[intervention_id]
                assert intervention.status in FINISHED
                assert intervention.version == im.finished_version, (
                    f"intervention {intervention_id} changed after it was {intervention.status}"
                )

    @invariant()
    def a_started_intervention_waited_for_what_it_depends_on(self) -> None:
        stored = self._stored()
        for intervention_id in self.intervention_models:
            intervention: Any = stored[intervention_id]
            if intervention.status not in (S.IN_PROGRESS, S.ON_HOLD):
                continue
            for dependency in intervention.dependencies:
                other: Any = stored[dependency.on_intervention_id]
                assert allows_start(dependency.type, other.status), (
                    f"{intervention_id} is {intervention.status} but waits "
                    f"({dependency.type}) for {other.id}, which is {other.status}"
                )

    @invariant()
    def each_citizen_is_in_at_most_one_open_plan(self) -> None:
        stored = self._stored()
        for citizen_id in self.citizen_models:
            open_plans = [
                plan_id
                for plan_id in self.plan_models
                if citizen_id in stored[plan_id].citizen_ids  # type: ignore[attr-defined]
                and stored[plan_id].status in OPEN  # type: ignore[attr-defined]
            ]
            assert len(open_plans) <= 1, f"citizen {citizen_id} is in open plans {open_plans}"
            citizen: Any = stored[citizen_id]
            assert citizen.plan_id == (open_plans[0] if open_plans else None)


# The loaded profile (conftest: dev 50, ci 200, soak 10,000 examples) decides how many
# runs; each run is a course of up to 50 commands.
PlanAndInterventionMachine.TestCase.settings = settings(stateful_step_count=50)
TestPlanAndInterventionStateMachine = PlanAndInterventionMachine.TestCase
