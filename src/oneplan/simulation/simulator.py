"""A synthetic municipality: years of citizens' courses written through the public
application, with nothing written to the store directly.

Each *unit* (a single citizen or a household) gets a course drawn from its own random
generator (seeded by the simulation's seed and the unit's number), so the same seed
gives the same municipality: the same ids, effective times, amounts and texts. A unit is
either given one coordinated plan or is a comparison unit whose efforts stay under the
sectors' own plans. The course is first laid out as steps (commands at effective
times), then the steps are sent to ``OnePlan`` in order of effective time.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from oneplan.application import OnePlan
from oneplan.errors import InvalidInput
from oneplan.principals import Principal

if TYPE_CHECKING:
    from oneplan.usecases import Session
from oneplan.simulation.distributions import (
    BENEFIT_RATES,
    CATALOGUE,
    SECTOR_LAWS,
    SECTOR_PLANS,
    InterventionKind,
    Municipality,
)
from oneplan.values import (
    AchievementStatus,
    Actor,
    ActorKind,
    BudgetArea,
    ConsentGivenHow,
    ConsentGiver,
    InformationCategory,
    InterventionOutcome,
    Law,
    LegalBasis,
    MeetingAttendee,
    Money,
    OverarchingGoal,
    OverarchingGoalKind,
    ParticipantRole,
    Period,
    PlanOutcome,
    Sector,
    SectorPlanRef,
    StaffRole,
)

__all__ = ["DEFAULT_START", "SimulationSummary", "simulate", "years_after"]

DEFAULT_START = date(2023, 1, 1)
"""The default first day of the simulated period (fixed, so a seed always gives the
same municipality)."""

BATCH_COURSES = 25
"""Courses written per transaction (``OnePlan.batched``): a few thousand events."""

Progress = Callable[[int, int], None]
"""Called with (citizens simulated so far, citizens in all)."""

_FIRST = ("Mette", "Jens", "Aisha", "Lars", "Sofie", "Omar", "Karen", "Mikkel", "Ida", "Ali")
_LAST = ("Hansen", "Nielsen", "Jensen", "Pedersen", "Andersen", "Larsen", "Yilmaz", "Holm")
_WISHES = (
    "I want to work with my hands again",
    "I want a steady job and a calm home for my children",
    "I want to finish an education",
    "I want to be able to manage my own days",
    "I want to work a few hours a week, at my own pace",
)
_PAUSE_REASONS = ("hospital stay", "sick leave", "family crisis", "moved temporarily")
_STOP_REASONS = ("did not show up", "the offer closed", "needs changed")
_CANCEL_REASONS = ("no longer needed", "another effort came first")
_REASSIGN_REASONS = ("caseworker changed jobs", "caseworker on leave", "workload")
_HANDOVER_REASONS = ("coordinator changed jobs", "the family's needs changed", "workload")

_DELEGATIONS = uuid5(NAMESPACE_URL, "urn:oneplan:simulation:delegation")
"""The simulated delegations' ids: the same municipality from the same seed."""


@dataclass
class SimulationSummary:
    """What a simulation wrote."""

    citizens: int = 0
    plan_citizens: int = 0
    comparison_citizens: int = 0
    households: int = 0
    plans: int = 0
    interventions: int = 0
    commands: int = 0
    start: date = DEFAULT_START
    end: date = DEFAULT_START


# --- staff ---------------------------------------------------------------------------


class Staff:
    """The municipality's caseworkers: intake workers, coordinators (cross-authority
    caseworkers and family coordinators) and each sector's practitioners."""

    def __init__(self, rng: random.Random, citizens: int, m: Municipality) -> None:
        def pool(prefix: str, sector: Sector, laws: tuple[Law, ...], size: int) -> list[Actor]:
            return [
                Actor.caseworker(f"{prefix}-{n:04d}", sector, *laws) for n in range(max(2, size))
            ]

        per_sector = {
            sector: pool(
                sector.value[:4],
                sector,
                SECTOR_LAWS[sector],
                math.ceil(citizens * weight / m.citizens_per_caseworker),
            )
            for sector, weight in m.sector_weights.items()
        }
        self.practitioners = per_sector
        active_plans = citizens * m.plan_share * 0.5
        coordinators = math.ceil(active_plans / m.caseload)
        cross = (Law.LAB, Law.LAS, Law.SEL)
        self.coordinators = pool("coord-emp", Sector.EMPLOYMENT, cross, coordinators // 2 + 1)
        self.coordinators += pool("coord-soc", Sector.SOCIAL, cross, coordinators // 2 + 1)
        self.family_coordinators = pool(
            "coord-fam", Sector.CHILDREN_AND_FAMILY, (Law.BL, Law.SEL), coordinators // 6 + 1
        )
        self.intake = pool(
            "intake",
            Sector.EMPLOYMENT,
            (Law.LAB, Law.LAS),
            math.ceil(citizens / (m.citizens_per_caseworker * 4)),
        )
        rng.shuffle(self.coordinators)

    def everyone(self) -> list[Actor]:
        """Every caseworker of the municipality, once each."""
        found: dict[str, Actor] = {}
        for actor in (
            *self.intake,
            *self.coordinators,
            *self.family_coordinators,
            *(a for pool in self.practitioners.values() for a in pool),
        ):
            found.setdefault(actor.id, actor)
        return list(found.values())

    def register(self, app: OnePlan, since: datetime) -> None:
        """Register the staff in the record's staff directory (rule 11): a first
        administrator by configuration, a manager per sector, and each caseworker with
        their laws delegated by their sector's manager from ``since``. Staff already in
        the directory are left as they are."""
        system = app.as_(Principal.system("simulate"))
        known = {member.staff_id for member in system.staff()}
        if "sim-admin" not in known:
            app.bootstrap(
                staff_id="sim-admin", name="Administrator", sector=Sector.SOCIAL, effective_at=since
            )
        admin = app.as_(Principal.staff("sim-admin"))
        with app.batched():
            for sector in Sector:
                manager = f"manager-{sector.value}"
                if manager not in known:
                    admin.register_staff(
                        staff_id=manager,
                        name=f"Manager, {sector.value}",
                        sector=sector,
                        roles=[StaffRole.MANAGER],
                        effective_at=since,
                    )
            for actor in self.everyone():
                if actor.id in known:
                    continue
                assert actor.sector is not None
                admin.register_staff(
                    staff_id=actor.id, name=actor.id, sector=actor.sector, effective_at=since
                )
                manager_of = app.as_(Principal.staff(f"manager-{actor.sector.value}"))
                for law in actor.authorities:
                    manager_of.delegate_authority(
                        delegation_id=uuid5(_DELEGATIONS, f"{actor.id}/{law.value}"),
                        staff_id=actor.id,
                        law=law,
                        basis="the municipality's delegation plan",
                        period=Period(start=since.date()),
                        effective_at=since,
                    )


# --- laying out a course ---------------------------------------------------------------


@dataclass
class _Step:
    at: datetime
    seq: int
    run: Callable[[OnePlan, datetime], Any]


@dataclass
class _Person:
    citizen_id: UUID
    name: str
    birth_date: date
    adult: bool
    provider: bool


@dataclass
class _Effort:
    """One intervention's life, decided before it is written."""

    intervention_id: UUID
    person: _Person
    kind: InterventionKind
    responsible: Actor
    proposed: datetime
    granted: datetime | None = None
    started: datetime | None = None
    ended: datetime | None = None
    fate: str = "running"
    waits_for: UUID | None = None
    decider: Actor | None = None
    """Who grants it: the sector's own caseworker without a plan; with one, the
    coordinator where they hold authority under its law, else the responsible."""
    coordinator_at: Callable[[datetime], Actor] | None = None
    """The plan's coordinator at a time (None: no coordinated plan)."""
    reassigned: tuple[datetime, Actor] | None = None
    """When, and to whom, responsibility moved."""

    def holder(self, at: datetime) -> Actor:
        """Who takes the intervention's steps at ``at``: its responsible caseworker then
        (rule 12: those who hold it)."""
        if self.reassigned is not None and at >= self.reassigned[0]:
            return self.reassigned[1]
        return self.responsible

    def grantor(self) -> Actor:
        """Who grants it: the decider, unless they no longer coordinate the plan when
        the decision is made (a hand-over in between): then the responsible."""
        decider = self.decider or self.responsible
        if (
            self.coordinator_at is not None
            and self.granted is not None
            and decider.id != self.responsible.id
            and self.coordinator_at(self.granted).id != decider.id
        ):
            return self.responsible
        return decider


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later (28 February for a 29th without a leap year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def _money(amount: Decimal) -> Money:
    return Money(amount=amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _slices(first: date, last: date, months: int) -> list[tuple[date, date]]:
    """[first, last] cut into consecutive periods of about ``months`` months."""
    out: list[tuple[date, date]] = []
    start = first
    while start <= last:
        end = min(last, start + timedelta(days=round(30.44 * months)) - timedelta(days=1))
        out.append((start, end))
        start = end + timedelta(days=1)
    return out


class _Course:
    """Lays out one unit's course as steps, then writes them in order."""

    def __init__(
        self,
        number: int,
        seed: int,
        m: Municipality,
        staff: Staff,
        start: date,
        end: date,
    ) -> None:
        self.rng = random.Random(f"oneplan-simulation:{seed}:{number}")
        self.m, self.staff, self.start, self.end = m, staff, start, end
        self.steps: list[_Step] = []
        self.with_plan = self.rng.random() < m.plan_share
        self.household = self.rng.random() < m.household_share
        self.interventions = 0

    # helpers

    def uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def add(self, at: datetime, run: Callable[[OnePlan, datetime], Any]) -> None:
        self.steps.append(_Step(at, len(self.steps), run))

    def days(self, low: int, high: int) -> timedelta:
        return timedelta(days=self.rng.randint(low, high), hours=self.rng.randint(0, 6))

    def person(self, course_start: date, *, adult: bool, provider: bool = False) -> _Person:
        age = self.rng.randint(20, 62) if adult else self.rng.randint(2, 17)
        born = course_start - timedelta(days=365 * age + self.rng.randint(0, 364))
        name = f"{self.rng.choice(_FIRST)} {self.rng.choice(_LAST)}"
        return _Person(self.uuid(), name, born, adult, provider)

    def people(self, course_start: date) -> list[_Person]:
        if not self.household:
            return [self.person(course_start, adult=True)]
        size = self.rng.randint(*self.m.household_size)
        adults = 2 if size >= 3 and self.rng.random() < 0.4 else 1
        people = [self.person(course_start, adult=True, provider=True) for _ in range(adults)]
        return people + [self.person(course_start, adult=False) for _ in range(size - adults)]

    # the course

    def lay_out(self) -> list[_Person]:
        m, rng = self.m, self.rng
        span = (self.end - self.start).days
        course_start = self.start + timedelta(days=rng.randint(0, span * 2 // 3))
        follow_up = course_start + timedelta(days=round(30.44 * rng.randint(*m.course_months)))
        people = self.people(course_start)
        intake = rng.choice(self.staff.intake)
        registered = _at(course_start)
        for person in people:
            self.add(registered, _register(person, intake))
        outcomes = {
            p.citizen_id: self.choose(m.outcomes[self.with_plan]) for p in people if p.adult
        }
        closes = min(_at(follow_up, 15), _at(self.end, 15))
        efforts = self.efforts(people, registered, closes)
        if self.with_plan:
            self.plan(intake, people, registered, closes, efforts, outcomes, follow_up)
        else:
            self.sector_plans(efforts)
        for effort in efforts:
            self.lifecycle(effort)
        self.benefits(people, intake, course_start, follow_up, outcomes)
        if follow_up <= self.end:
            for person in people:
                if person.adult:
                    outcome = outcomes[person.citizen_id]
                    self.add(_at(follow_up, 16), _outcome(person, outcome, intake))
        self.interventions = len(efforts)
        return people

    def choose(self, weights: dict[Any, float]) -> Any:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def efforts(self, people: list[_Person], begin: datetime, closes: datetime) -> list[_Effort]:
        m, rng = self.m, self.rng
        latest = begin + (closes - begin) * 0.6
        efforts: list[_Effort] = []
        for person in people:
            if person.adult:
                count = rng.randint(*m.interventions)
                sectors = [self.choose(m.sector_weights) for _ in range(count)]
            else:
                count = rng.randint(1, 2)
                sectors = [
                    rng.choice((Sector.CHILDREN_AND_FAMILY, Sector.EDUCATION)) for _ in range(count)
                ]
            for sector in sectors:
                kind = rng.choice([k for k in CATALOGUE if k.sector is sector])
                proposed = (
                    begin
                    + timedelta(days=rng.randint(15, 20))
                    + (latest - begin) * (rng.random() ** 2)
                )
                efforts.append(
                    _Effort(
                        self.uuid(),
                        person,
                        kind,
                        rng.choice(self.staff.practitioners[sector]),
                        proposed,
                    )
                )
        efforts.sort(key=lambda e: e.proposed)
        for effort in efforts:
            self.timeline(effort, closes)
        self.dependencies(efforts)
        return efforts

    def timeline(self, effort: _Effort, closes: datetime) -> None:
        """When it is granted, starts and ends, and how (decided up front)."""
        m, rng = self.m, self.rng
        effort.granted = effort.proposed + self.days(*m.wait_to_grant_days[self.with_plan])
        roll = rng.random()
        if roll < m.cancel_share:
            effort.fate = "cancelled"
            effort.ended = effort.granted + self.days(1, 20)
            return
        effort.started = effort.granted + self.days(*m.wait_to_start_days[self.with_plan])
        months = rng.randint(*effort.kind.months)
        effort.ended = effort.started + timedelta(days=round(30.44 * months))
        effort.fate = "stopped" if roll < m.cancel_share + m.stop_share else "completed"
        if effort.fate == "stopped":
            effort.ended = effort.started + (effort.ended - effort.started) * rng.uniform(0.2, 0.8)
        if effort.ended > closes + timedelta(days=180):
            effort.fate, effort.ended = "running", None

    def dependencies(self, efforts: list[_Effort]) -> None:
        """With a plan, an employment effort may wait for the same citizen's health effort
        to end (rule 6). Sector plans cannot wait for each other's efforts."""
        if not self.with_plan:
            return
        for later in efforts:
            if later.kind.sector is not Sector.EMPLOYMENT or later.started is None:
                continue
            for earlier in efforts:
                if (
                    earlier.person is later.person
                    and earlier.kind.sector is Sector.HEALTH
                    and earlier.proposed < later.proposed
                    and earlier.fate in ("completed", "stopped")
                    and earlier.ended is not None
                    and earlier.ended.date() < self.end
                    and self.rng.random() < self.m.dependency_share
                ):
                    later.waits_for = earlier.intervention_id
                    shift = max(timedelta(0), earlier.ended + timedelta(days=1) - later.started)
                    later.started += shift
                    if later.ended is not None:
                        later.ended += shift
                    break

    def lifecycle(self, e: _Effort) -> None:
        """Grant, start, pauses, reassignment, costs and the end, as steps."""
        m, rng = self.m, self.rng
        assert e.granted is not None  # set by timeline()
        self.add(e.granted, _grant(e, e.grantor(), self.uuid()))
        actor = e.holder
        if e.fate == "cancelled":
            assert e.ended is not None
            self.add(e.ended, _cancel(e, actor, rng.choice(_CANCEL_REASONS)))
            return
        assert e.started is not None
        if e.started.date() > self.end:
            return
        self.add(e.started, _start(e, actor))
        finish = e.ended if e.ended is not None and e.ended.date() <= self.end else None
        last_day = finish.date() if finish else self.end
        running_days = (last_day - e.started.date()).days
        if running_days > 20 and rng.random() < m.pause_share:
            paused = e.started + timedelta(days=rng.randint(3, running_days // 2))
            resumed = paused + self.days(7, 60)
            if finish is not None and resumed >= finish - timedelta(days=1):
                resumed = paused + (finish - paused) / 2
            self.add(paused, _pause(e, actor, rng.choice(_PAUSE_REASONS), resumed.date()))
            self.add(resumed, _resume(e, actor))
        if running_days > 30 and rng.random() < m.reassign_share[self.with_plan]:
            moved = e.started + timedelta(days=rng.randint(10, running_days - 10), hours=1)
            new = rng.choice(self.staff.practitioners[e.kind.sector])
            if new.id != e.responsible.id:
                self.add(moved, _reassign(e, new, actor, rng.choice(_REASSIGN_REASONS)))
                e.reassigned = (moved, new)
        for first, last in _slices(e.started.date(), last_day, m.cost_months):
            days = (last - first).days + 1
            amount = e.kind.monthly_cost * Decimal(days) / Decimal("30.44")
            booked = min(_at(last, 17), finish - timedelta(hours=1)) if finish else _at(last, 17)
            self.add(booked, _cost(e, actor, _money(amount), Period(start=first, end=last)))
        if finish is not None:
            if e.fate == "stopped":
                self.add(finish, _stop(e, actor, rng.choice(_STOP_REASONS)))
            else:
                outcome = self.choose(
                    {
                        InterventionOutcome.GOALS_MET: 0.5,
                        InterventionOutcome.PARTLY_MET: 0.35,
                        InterventionOutcome.NOT_MET: 0.15,
                    }
                )
                self.add(finish, _complete(e, actor, outcome))

    def sector_plans(self, efforts: list[_Effort]) -> None:
        """A comparison unit: every effort under its sector's own plan, proposed by the
        sector's own caseworker for the citizen."""
        managers: dict[tuple[UUID, Sector], Actor] = {}
        for e in efforts:
            key = (e.person.citizen_id, e.kind.sector)
            if key not in managers or self.rng.random() < self.m.sector_caseworker_turnover:
                managers[key] = self.rng.choice(self.staff.practitioners[e.kind.sector])
            manager = e.decider = managers[key]
            self.add(e.proposed, _propose_under_sector_plan(e, manager))
            self.wait(e, manager)

    def wait(self, e: _Effort, actor: Actor) -> None:
        if e.waits_for is not None:
            self.add(e.proposed + timedelta(minutes=30), _depend(e, actor))

    def plan(
        self,
        intake: Actor,
        people: list[_Person],
        registered: datetime,
        closes: datetime,
        efforts: list[_Effort],
        outcomes: dict[UUID, PlanOutcome],
        follow_up: date,
    ) -> None:
        m, rng = self.m, self.rng
        plan_id = self.uuid()
        consents = {p.citizen_id: self.uuid() for p in people}
        for person in people:
            self.add(
                registered + timedelta(minutes=30), _consent(person, consents, self.end, intake)
            )
        opened = registered + self.days(0, 14) + timedelta(hours=1)
        pool = self.staff.family_coordinators if self.household else self.staff.coordinators
        coordinators = [(opened, rng.choice(pool))]
        withdrawn = rng.random() < m.withdraw_share
        if withdrawn:
            closes = opened + (closes - opened) * rng.uniform(0.3, 0.8)
        if rng.random() < m.handover_per_year * (closes - opened).days / 365:
            when = opened + (closes - opened) * rng.uniform(0.2, 0.8)
            new = rng.choice([c for c in self.staff.coordinators if c != coordinators[0][1]])
            stays = ParticipantRole.FAMILY_COORDINATOR if self.household else None
            coordinators.append((when, new))
            self.add(when, _hand_over(plan_id, new, coordinators[0][1], stays, rng))

        def coordinator_at(at: datetime) -> Actor:
            return [c for since, c in coordinators if since <= at][-1]

        first = coordinators[0][1]
        self.add(opened, _open_plan(plan_id, people, consents, first, self.household))
        adults = [p for p in people if p.adult]
        goal_kind = self.choose(m.overarching_goal)
        for person in adults:
            self.add(opened + timedelta(minutes=5), _wishes(plan_id, person, goal_kind, first, rng))
        self.goals(plan_id, opened, closes, coordinator_at)
        joined = {first.id}
        open_efforts = [e for e in efforts if e.proposed < closes]
        efforts[:] = open_efforts
        for e in open_efforts:
            coordinator = coordinator_at(e.proposed)
            law = LegalBasis.parse(e.kind.legal_basis).law
            does = e.person.adult and coordinator.holds_authority_under(law)
            if does and rng.random() < m.coordinator_does_share:
                e.responsible = coordinator
            e.decider = coordinator if coordinator.holds_authority_under(law) else e.responsible
            e.coordinator_at = coordinator_at
            if e.responsible.id not in joined and e.responsible.id != coordinator.id:
                joined.add(e.responsible.id)
                self.add(
                    e.proposed - timedelta(minutes=5), _join(plan_id, e.responsible, coordinator)
                )
            self.add(e.proposed, _propose(plan_id, e, coordinator))
            self.wait(e, coordinator)
        self.meetings(plan_id, opened, closes, open_efforts, coordinator_at)
        if rng.random() < m.hold_share:
            held = opened + (closes - opened) * rng.uniform(0.3, 0.6)
            resumed = held + self.days(20, 60)
            if resumed < closes:
                self.add(held, _hold(plan_id, coordinator_at(held)))
                self.add(resumed, _resume_plan(plan_id, coordinator_at(resumed)))
        if rng.random() < m.revoke_share and open_efforts:
            revoked = max(e.proposed for e in open_efforts) + self.days(1, 60)
            if revoked < closes:
                person = rng.choice(people)
                self.add(revoked, _revoke(person, consents[person.citizen_id], first))
        if withdrawn:
            self.add(closes, _withdraw(plan_id, adults[0]))
        elif follow_up <= self.end:
            outcome = outcomes[adults[0].citizen_id]
            self.add(
                _at(follow_up, 15, 30), _complete_plan(plan_id, outcome, coordinator_at(closes))
            )

    def goals(
        self,
        plan_id: UUID,
        opened: datetime,
        closes: datetime,
        coordinator_at: Callable[[datetime], Actor],
    ) -> None:
        m, rng = self.m, self.rng
        for number in range(rng.randint(*m.goals)):
            set_at = opened + timedelta(hours=1, minutes=number)
            due = (set_at + timedelta(days=rng.randint(90, 365))).date()
            goal_id = self.uuid()
            by = coordinator_at(set_at)
            self.add(set_at, _set_goal(plan_id, goal_id, None, due, by, rng))
            subs: list[UUID] = []
            for _ in range(rng.randint(0, 2)):
                sub_id = self.uuid()
                sub_due = due - timedelta(days=rng.randint(10, 60))
                self.add(set_at, _set_goal(plan_id, sub_id, goal_id, sub_due, by, rng))
                subs.append(sub_id)
            achieved = rng.random() < m.goal_achieved_share
            finish = _at(due, 11) + timedelta(days=rng.randint(-60, 60) if achieved else 30)
            finish = max(finish, set_at + timedelta(days=20))
            at = set_at + timedelta(days=rng.randint(30, 90))
            while at < min(finish, closes):
                self.add(at, _progress(plan_id, goal_id, coordinator_at(at), rng))
                at += timedelta(days=rng.randint(45, 100))
            if finish >= closes:
                continue
            result = AchievementStatus.ACHIEVED if achieved else AchievementStatus.NOT_ACHIEVED
            for n, sub_id in enumerate(subs):
                when = finish - timedelta(hours=2, minutes=n)
                self.add(when, _complete_goal(plan_id, sub_id, result, coordinator_at(when)))
            self.add(finish, _complete_goal(plan_id, goal_id, result, coordinator_at(finish)))

    def meetings(
        self,
        plan_id: UUID,
        opened: datetime,
        closes: datetime,
        efforts: list[_Effort],
        coordinator_at: Callable[[datetime], Actor],
    ) -> None:
        rng = self.rng
        at = opened + self.days(7, 21)
        delivered = False
        while at < closes:
            following = at + self.days(*self.m.meeting_every_days)
            coordinator = coordinator_at(at)
            present = {coordinator.id: coordinator}
            for e in efforts:
                if e.proposed <= at and (e.ended is None or e.ended > at):
                    present.setdefault(e.responsible.id, e.responsible)
            attendees = tuple(MeetingAttendee(id=a.id, sector=a.sector) for a in present.values())
            nxt = following.date() if following < closes else None
            self.add(at, _meeting(plan_id, attendees, coordinator, nxt, rng))
            if not delivered and at + timedelta(hours=2) < closes:
                self.add(at + timedelta(hours=2), _deliver(plan_id, coordinator))
                delivered = True
            at = following

    def benefits(
        self,
        people: list[_Person],
        intake: Actor,
        course_start: date,
        follow_up: date,
        outcomes: dict[UUID, PlanOutcome],
    ) -> None:
        """Kontanthjælp for each adult from the course's start: stopped by work or
        education at follow-up, halved by partial self-support."""
        for person in people:
            if not person.adult:
                continue
            age = (course_start - person.birth_date).days // 365
            rate = BENEFIT_RATES[
                "under 30" if age < 30 else "30+ provider" if person.provider else "30+ other"
            ]
            outcome = outcomes[person.citizen_id]
            until = self.end
            if follow_up <= self.end and outcome in (PlanOutcome.WORK, PlanOutcome.EDUCATION):
                until = follow_up
            for first, last in _slices(course_start, until, self.m.benefit_months):
                share = Decimal(1)
                if outcome is PlanOutcome.PARTIAL_SELF_SUPPORT and first >= follow_up:
                    share = self.m.partial_benefit_share
                amount = rate * share * Decimal((last - first).days + 1) / Decimal("30.44")
                self.add(
                    _at(last, 18),
                    _benefit(person, intake, _money(amount), Period(start=first, end=last), self),
                )

    def write(self, app: OnePlan) -> int:
        """Send the steps in order of effective time; what falls after the period is
        not written (the course goes on beyond the evaluation's horizon)."""
        horizon = _at(self.end, 23, 59)
        steps = sorted((s for s in self.steps if s.at <= horizon), key=lambda s: (s.at, s.seq))
        for step in steps:
            step.run(app, step.at)
        return len(steps)


# --- the commands, one small function each ---------------------------------------------

Run = Callable[[OnePlan, datetime], Any]


By = Actor | Callable[[datetime], Actor]
"""A caseworker, or who it is at a time (an intervention's holder)."""


def _as(app: OnePlan, actor: By, at: datetime | None = None) -> Session:
    """The session of a simulated caseworker (registered in the staff directory)."""
    if not isinstance(actor, Actor):
        assert at is not None
        actor = actor(at)
    return app.as_(Principal.staff(actor.id))


def _register(p: _Person, intake: Actor) -> Run:
    return lambda app, at: _as(app, intake).register_citizen(
        citizen_id=p.citizen_id, name=p.name, birth_date=p.birth_date, effective_at=at
    )


def _givers(p: _Person, on: date) -> list[ConsentGiver]:
    age = (on - p.birth_date).days // 365
    if age >= 18:
        return [ConsentGiver(kind=ActorKind.CITIZEN)]
    givers = [ConsentGiver(kind=ActorKind.GUARDIAN)]
    return [*givers, ConsentGiver(kind=ActorKind.CITIZEN)] if age >= 16 else givers


def _consent(p: _Person, consents: dict[UUID, UUID], end: date, by: Actor) -> Run:
    def run(app: OnePlan, at: datetime) -> Any:
        return _as(app, by).grant_consent(
            citizen_id=p.citizen_id,
            consent_id=consents[p.citizen_id],
            recipient_sectors=tuple(Sector),
            categories=tuple(InformationCategory),
            purpose="one coordinated plan",
            period=Period(start=at.date(), end=end + timedelta(days=365)),
            given_by=_givers(p, at.date()),
            given_how=ConsentGivenHow.IN_MEETING,
            effective_at=at,
        )

    return run


def _open_plan(
    plan_id: UUID, people: list[_Person], consents: dict[UUID, UUID], by: Actor, family: bool
) -> Run:
    bases = ["LAB § 30 b", "SEL § 141 stk. 7"] + (["BL § 110"] if family else [])
    sectors = [Sector.EMPLOYMENT, Sector.SOCIAL] + ([Sector.CHILDREN_AND_FAMILY] if family else [])
    replaces = [
        SectorPlanRef(sector=s, legal_basis=LegalBasis.parse(SECTOR_PLANS[s])) for s in sectors
    ]
    return lambda app, at: _as(app, by).open_plan(
        plan_id=plan_id,
        citizen_ids=[p.citizen_id for p in people],
        consent_ids=[consents[p.citizen_id] for p in people],
        legal_bases=bases,
        replaces=replaces,
        coordinator=by,
        effective_at=at,
    )


def _wishes(
    plan_id: UUID, p: _Person, kind: OverarchingGoalKind, by: Actor, rng: random.Random
) -> Run:
    wishes = rng.choice(_WISHES)
    hours = rng.randint(8, 30) if kind is OverarchingGoalKind.PARTIAL_SELF_SUPPORT else None
    goal = OverarchingGoal(kind=kind, hours_per_week=hours)
    return lambda app, at: _as(app, by).record_citizens_wishes(
        plan_id=plan_id, citizen_id=p.citizen_id, wishes=wishes, overarching_goal=goal,
        effective_at=at,
    )  # fmt: skip


def _set_goal(
    plan_id: UUID, goal_id: UUID, parent: UUID | None, due: date, by: Actor, rng: random.Random
) -> Run:
    text = rng.choice(
        ("takes the bus alone", "keeps appointments", "works 10 hours a week", "sleeps well")
    )
    return lambda app, at: _as(app, by).set_goal(
        plan_id=plan_id, goal_id=goal_id, parent_id=parent, description=text, due=due,
        effective_at=at,
    )  # fmt: skip


def _progress(plan_id: UUID, goal_id: UUID, by: Actor, rng: random.Random) -> Run:
    achievement = rng.choice(
        (AchievementStatus.IMPROVING, AchievementStatus.NO_CHANGE, AchievementStatus.WORSENING)
    )
    return lambda app, at: _as(app, by).record_goal_progress(
        plan_id=plan_id, goal_id=goal_id, achievement=achievement, note="followed up",
        effective_at=at,
    )  # fmt: skip


def _complete_goal(plan_id: UUID, goal_id: UUID, result: AchievementStatus, by: Actor) -> Run:
    return lambda app, at: _as(app, by).complete_goal(
        plan_id=plan_id, goal_id=goal_id, achievement=result, effective_at=at
    )


def _join(plan_id: UUID, who: Actor, by: Actor) -> Run:
    return lambda app, at: _as(app, by).add_participant(
        plan_id=plan_id, participant=who, effective_at=at
    )


def _propose(plan_id: UUID, e: _Effort, by: Actor) -> Run:
    return lambda app, at: _as(app, by).propose_intervention(
        plan_id=plan_id,
        intervention_id=e.intervention_id,
        citizen_id=e.person.citizen_id,
        sector=e.kind.sector,
        legal_basis=e.kind.legal_basis,
        title=e.kind.title,
        responsible=e.responsible,
        planned_period=_planned(e),
        planned_cost=_money(e.kind.monthly_cost * e.kind.months[1]),
        budget_area=BudgetArea.SERVICE,
        effective_at=at,
    )


def _propose_under_sector_plan(e: _Effort, by: Actor) -> Run:
    sector_plan = SectorPlanRef(
        sector=e.kind.sector, legal_basis=LegalBasis.parse(SECTOR_PLANS[e.kind.sector])
    )
    return lambda app, at: _as(app, by).propose_intervention_under_sector_plan(
        intervention_id=e.intervention_id,
        citizen_id=e.person.citizen_id,
        sector_plan=sector_plan,
        legal_basis=e.kind.legal_basis,
        title=e.kind.title,
        responsible=e.responsible,
        planned_period=_planned(e),
        planned_cost=_money(e.kind.monthly_cost * e.kind.months[1]),
        budget_area=BudgetArea.SERVICE,
        effective_at=at,
    )


def _planned(e: _Effort) -> Period:
    start = e.proposed.date() + timedelta(days=14)
    return Period(start=start, end=start + timedelta(days=round(30.44 * e.kind.months[1])))


def _depend(e: _Effort, by: Actor) -> Run:
    assert e.waits_for is not None
    waits_for = e.waits_for
    return lambda app, at: _as(app, by).add_dependency(
        intervention_id=e.intervention_id, on_intervention_id=waits_for, effective_at=at
    )


def _grant(e: _Effort, by: Actor, decision_id: UUID) -> Run:
    return lambda app, at: _as(app, by).grant_intervention(
        intervention_id=e.intervention_id, decision_id=decision_id, effective_at=at
    )


def _start(e: _Effort, by: By) -> Run:
    return lambda app, at: _as(app, by, at).start_intervention(
        intervention_id=e.intervention_id, effective_at=at
    )


def _pause(e: _Effort, by: By, reason: str, resume: date) -> Run:
    return lambda app, at: _as(app, by, at).pause_intervention(
        intervention_id=e.intervention_id, reason=reason, expected_resume=resume, effective_at=at,
    )  # fmt: skip


def _resume(e: _Effort, by: By) -> Run:
    return lambda app, at: _as(app, by, at).resume_intervention(
        intervention_id=e.intervention_id, effective_at=at
    )


def _reassign(e: _Effort, new: Actor, by: By, reason: str) -> Run:
    return lambda app, at: _as(app, by, at).reassign_responsible(
        intervention_id=e.intervention_id, new_responsible=new, reason=reason, effective_at=at,
    )  # fmt: skip


def _cost(e: _Effort, by: By, amount: Money, period: Period) -> Run:
    return lambda app, at: _as(app, by, at).record_actual_cost(
        intervention_id=e.intervention_id, amount=amount, budget_area=BudgetArea.SERVICE,
        period=period, effective_at=at,
    )  # fmt: skip


def _complete(e: _Effort, by: By, outcome: InterventionOutcome) -> Run:
    return lambda app, at: _as(app, by, at).complete_intervention(
        intervention_id=e.intervention_id, outcome=outcome, effective_at=at
    )


def _stop(e: _Effort, by: By, reason: str) -> Run:
    return lambda app, at: _as(app, by, at).stop_intervention(
        intervention_id=e.intervention_id, reason=reason, effective_at=at
    )


def _cancel(e: _Effort, by: By, reason: str) -> Run:
    return lambda app, at: _as(app, by, at).cancel_intervention(
        intervention_id=e.intervention_id, reason=reason, effective_at=at
    )


def _meeting(
    plan_id: UUID,
    attendees: tuple[MeetingAttendee, ...],
    by: Actor,
    next_meeting: date | None,
    rng: random.Random,
) -> Run:
    meeting_id = UUID(int=rng.getrandbits(128), version=4)
    return lambda app, at: _as(app, by).hold_meeting(
        plan_id=plan_id, meeting_id=meeting_id, attendees=attendees,
        decisions=("agreed who does what until the next meeting",), next_meeting=next_meeting,
        effective_at=at,
    )  # fmt: skip


def _deliver(plan_id: UUID, by: Actor) -> Run:
    return lambda app, at: _as(app, by).deliver_plan(plan_id=plan_id, effective_at=at)


def _hand_over(
    plan_id: UUID, new: Actor, old: Actor, stays: ParticipantRole | None, rng: random.Random
) -> Run:
    reason = rng.choice(_HANDOVER_REASONS)
    return lambda app, at: _as(app, old).hand_over_coordinator(
        plan_id=plan_id, new_coordinator=new, reason=reason, previous_stays_as=stays,
        effective_at=at,
    )  # fmt: skip


def _hold(plan_id: UUID, by: Actor) -> Run:
    return lambda app, at: _as(app, by).put_plan_on_hold(
        plan_id=plan_id, reason="the citizen is in hospital", effective_at=at
    )


def _resume_plan(plan_id: UUID, by: Actor) -> Run:
    return lambda app, at: _as(app, by).resume_plan(plan_id=plan_id, effective_at=at)


def _revoke(p: _Person, consent_id: UUID, by: Actor) -> Run:
    return lambda app, at: _as(app, by).revoke_consent(
        citizen_id=p.citizen_id, consent_id=consent_id, sectors=[Sector.HEALTH],
        reason="does not want health data shared", given_how=ConsentGivenHow.BY_PHONE,
        effective_at=at,
    )  # fmt: skip


def _withdraw(plan_id: UUID, p: _Person) -> Run:
    citizen = Principal.citizen(p.citizen_id)
    return lambda app, at: app.as_(citizen).withdraw_plan(
        plan_id=plan_id, reason="I want my own plans back", effective_at=at
    )


def _complete_plan(plan_id: UUID, outcome: PlanOutcome, by: Actor) -> Run:
    return lambda app, at: _as(app, by).complete_plan(
        plan_id=plan_id, outcome=outcome, effective_at=at
    )


def _outcome(p: _Person, outcome: PlanOutcome, by: Actor) -> Run:
    return lambda app, at: _as(app, by).record_outcome(
        citizen_id=p.citizen_id, outcome=outcome, effective_at=at
    )


def _benefit(p: _Person, by: Actor, amount: Money, period: Period, course: _Course) -> Run:
    benefit_id = course.uuid()
    return lambda app, at: _as(app, by).record_benefit_paid(
        citizen_id=p.citizen_id, benefit_id=benefit_id, sector=Sector.EMPLOYMENT,
        legal_basis="LAS § 11", amount=amount, period=period, effective_at=at,
    )  # fmt: skip


# --- the simulation ---------------------------------------------------------------------


def simulate(
    app: OnePlan,
    *,
    citizens: int,
    seed: int = 0,
    start: date = DEFAULT_START,
    municipality: Municipality | None = None,
    progress: Progress | None = None,
) -> SimulationSummary:
    """Write a synthetic municipality of about ``citizens`` citizens (whole households,
    so a few more) into ``app``, through its public commands: ``municipality.years`` of
    courses from ``start``. The same seed gives the same municipality. ``app``'s clock
    must be past the simulated period (every command is in the past). The commands of
    every ``BATCH_COURSES`` courses are written in one transaction (``app.batched()``):
    each is still decided by the application and its rules."""
    m = municipality or Municipality()
    if citizens < 1 or m.years < 1:
        raise InvalidInput(
            "Simulate", [{"loc": ("citizens",), "msg": "at least one citizen and one year"}]
        )
    end = years_after(start, m.years) - timedelta(days=1)
    if app.clock() < _at(end, 23):
        raise InvalidInput(
            "Simulate",
            [{"loc": ("start",), "msg": f"the period ends {end}, after the application's clock"}],
        )
    staff = Staff(random.Random(f"oneplan-staff:{seed}"), citizens, m)
    staff.register(app, _at(start - timedelta(days=365)))
    summary = SimulationSummary(start=start, end=end)
    number = 0
    while summary.citizens < citizens:
        with app.batched():  # one transaction per batch of courses
            for _ in range(BATCH_COURSES):
                course = _Course(number, seed, m, staff, start, end)
                people = course.lay_out()
                summary.commands += course.write(app)
                summary.citizens += len(people)
                summary.interventions += course.interventions
                if course.with_plan:
                    summary.plan_citizens += len(people)
                    summary.plans += 1
                else:
                    summary.comparison_citizens += len(people)
                summary.households += course.household
                number += 1
                if summary.citizens >= citizens:
                    break
        if progress is not None:
            progress(min(summary.citizens, citizens), citizens)
    return summary
