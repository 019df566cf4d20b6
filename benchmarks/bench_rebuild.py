"""Benchmark: rebuilding every projection from a large log, against bare read-and-map.

    python benchmarks/bench_rebuild.py [--storage sqlite,postgres] [--citizens 1000]
                                       [--events-per-citizen 100] [--rounds 3]
                                       [--json FILE] [--profile] [--fresh] [--keep]

For every storage:

1. **The log** is built once through the public ``OnePlan`` application (command
   methods, keyword fields, each command sent as the caseworker or citizen who makes it,
   after the municipality's staff directory): households of one citizen (every fifth a
   parent and a child), each with consents, a plan, wishes, goals and sub-goals,
   participants, a coordinator hand-over, interventions across sectors (proposed,
   dependent on the one before, granted, started, paused, resumed, costs, completed),
   progress notes, coordinating meetings that reassign responsibility, sector-view reads
   (which record ``AccessRecord`` events), deliveries, a partial consent revocation, a
   sanction after the social-services contact, and the plan completed. The households'
   courses are staggered over 18 months and their commands are interleaved in
   effective-time order, as in a municipality, so one batch of the log touches hundreds
   of rows. The SQLite file is cached in the temp dir, keyed by the parameters
   (``--fresh`` rebuilds); PostgreSQL gets a fresh schema, dropped at the end unless
   ``--keep``. The build runs in a process of its own.
2. **baseline** (bare read-and-map): page through
   ``app.recorder.select_notifications(start, limit=1000, inclusive_of_start=False)``
   and map each notification with ``app.mapper.to_domain_event``: what eventsourcing
   does to read this log with the mapper oneplan uses; nothing else.
3. **candidate**: ``app.views.rebuild()``: the ``ProjectionRunner`` reads and maps the
   log the same way, folds every event into every view (``oneplan.projections.VIEWS``
   and its routes) in memory, writes each row once into tables aside and swaps them in
   with the tracking position in one transaction, in the same database. Timed end to end.

``--log URL`` measures an existing log instead (such as ``oneplan simulate``'s
municipality): read-and-map and rebuild, each pass in a fresh process (its own peak RSS),
with wall and CPU time.

Each storage is measured in a process of its own: after a warm-up, baseline and
candidate alternate for ``--rounds`` rounds on the same application; the median events/s
of each and their ratio (goal: at least 0.5, issue 17; a step toward 1.0) are reported,
with each pass's peak RSS.
``--profile`` then profiles one more candidate run (pyinstrument if installed, else
cProfile) and prints the top 25 functions by cumulative time, a breakdown by phase, and
the rows and bytes written per view.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from oneplan import OnePlan, Principal, Session
from oneplan.values import (
    AchievementStatus,
    Actor,
    ActorKind,
    BudgetArea,
    ConsentGivenHow,
    ConsentGiver,
    DeliveryChannel,
    DependencyType,
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
    Responsibility,
    Sector,
    SectorPlanRef,
    StaffRole,
    Target,
)

PG_DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
STORAGES = ("memory", "sqlite", "postgres")
DEFAULT_STORAGES = ("sqlite", "postgres")
DEFAULT_CITIZENS = 1000
DEFAULT_EVENTS_PER_CITIZEN = 100
PAGE = 1000
"""Notifications per select in the baseline (the runner's ``batch_size`` is the same)."""
GOAL = 0.5
"""Rebuild events/s over read-and-map events/s (issue 17, item 4; was 0.75)."""
WORKLOAD_VERSION = 2
"""Bump when the workload changes: cached logs of another version are not reused."""
CACHE_DIR = os.path.join(tempfile.gettempdir(), "oneplan-bench-rebuild")

# --- the workload ---------------------------------------------------------------------

ALL_SECTORS = [Sector.EMPLOYMENT, Sector.SOCIAL, Sector.HEALTH, Sector.CHILDREN_AND_FAMILY]
ALL_CATEGORIES = list(InformationCategory)
FIRST_DAY = date(2024, 1, 8)
INTAKE_DAYS = 540
"""Households start their course evenly over this many days."""
EPISODE_DAYS = 25
"""A new intervention every this many days of a course; each runs about 40 days."""
FIXED_EVENTS = 27
EPISODE_EVENTS = 13
"""Roughly the events of a household outside its episodes, and of one episode (with
its share of meetings); used to size the episodes to ``--events-per-citizen``."""


class Cast:
    """The municipality's caseworkers: about one per 40 citizens in each role, so
    caseloads, journeys and meetings are spread as in a real municipality."""

    def __init__(self, citizens: int) -> None:
        n = max(2, citizens // 40)

        def pool(prefix: str, sector: Sector, *laws: Law) -> list[Actor]:
            return [
                Actor.caseworker(f"{prefix}.{i:03d}", sector, *laws, name=f"{prefix} {i}")
                for i in range(n)
            ]

        self.family = pool("family", Sector.CHILDREN_AND_FAMILY, Law.BL)
        self.job = pool("job", Sector.EMPLOYMENT, Law.LAB, Law.LAS)
        self.cross = pool("cross", Sector.EMPLOYMENT, Law.LAB, Law.LAS, Law.SEL)
        self.social = pool("social", Sector.SOCIAL, Law.SEL)
        self.health = pool("health", Sector.HEALTH, Law.SUL)

    @staticmethod
    def pick(pool: list[Actor], i: int) -> Actor:
        return pool[i % len(pool)]

    def register(self, app: OnePlan) -> None:
        """The municipality's staff directory (rule 11), before the first course: its
        first administrator, a manager per sector, every caseworker, and authority under
        each of their laws delegated by their sector's manager."""
        since = datetime.combine(FIRST_DAY - timedelta(days=30), datetime.min.time(), tzinfo=UTC)
        app.bootstrap(
            staff_id="it.admin", name="IT admin", sector=Sector.SOCIAL, effective_at=since
        )
        admin = app.as_(Principal.staff("it.admin"))
        staff = [*self.family, *self.job, *self.cross, *self.social, *self.health]
        for sector in dict.fromkeys(a.sector for a in staff):
            assert sector is not None
            admin.register_staff(
                staff_id=f"leder.{sector.value}",
                name=f"Leder, {sector.value}",
                sector=sector,
                roles=[StaffRole.MANAGER],
                effective_at=since,
            )
        for who in staff:
            assert who.sector is not None
            admin.register_staff(
                staff_id=who.id, name=who.name, sector=who.sector, effective_at=since
            )
            manager = app.as_(Principal.staff(f"leder.{who.sector.value}"))
            for law in who.authorities:
                manager.delegate_authority(
                    staff_id=who.id,
                    law=law,
                    basis="delegationsplan",
                    period=Period(start=since.date()),
                    effective_at=since,
                )


def as_(app: OnePlan, who: Actor) -> Session:
    """The caseworker ``who``, signed in: every command is sent as the one who makes it."""
    return app.as_(Principal.staff(who.id))


StepFn = Callable[..., Any]
"""A step: (app, ids, effective time) -> result (keyword defaults carry loop values)."""


@dataclass(order=True)
class Step:
    at: datetime
    household: int
    seq: int
    name: str = field(compare=False)
    run: Callable[[OnePlan, dict[str, Any], datetime], Any] = field(compare=False)


# (sector, legal basis, title, which pool, for the child)
INTERVENTIONS: list[tuple[Sector, str, str, str, bool]] = [
    (Sector.HEALTH, "SUL § 140", "Physiotherapy for back pain", "health", False),
    (Sector.SOCIAL, "SEL § 85", "Support contact person", "social", False),
    (Sector.EMPLOYMENT, "LAB § 32", "Job training in a care home", "job", False),
    (Sector.CHILDREN_AND_FAMILY, "BL § 32", "Family treatment at home", "family", True),
    (Sector.EMPLOYMENT, "LAB § 31", "Mentor at the workplace", "job", False),
    (Sector.SOCIAL, "SEL § 102", "Activity and social contact", "social", False),
]


def household_steps(h: int, cast: Cast, citizens: int, episodes: int) -> list[Step]:
    """The commands of one household's course, in effective-time order; each step runs
    one command (or one sector-view read) and may remember an id in ``ids``."""
    family = citizens == 2
    start = FIRST_DAY + timedelta(days=(h * 7919) % INTAKE_DAYS)
    steps: list[Step] = []

    def at(day: int) -> datetime:
        when = datetime.combine(start + timedelta(days=day), datetime.min.time(), tzinfo=UTC)
        return when + timedelta(hours=9, minutes=len(steps))

    def step(day: int, name: str, key: str | None = None) -> Callable[[StepFn], StepFn]:
        def add(fn: StepFn) -> StepFn:
            def run(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
                result = fn(app, ids, when)
                if key is not None:
                    ids[key] = result
                return result

            steps.append(Step(at(day), h, len(steps), name, run))
            return fn

        return add

    first = Cast.pick(cast.family if family else cast.job, h)
    coordinator = Cast.pick(cast.cross, h)
    job, social, health = (
        Cast.pick(cast.job, h + 1),
        Cast.pick(cast.social, h),
        Cast.pick(cast.health, h),
    )
    pools = {"health": cast.health, "social": cast.social, "job": cast.job, "family": cast.family}
    period = Period(start=start, end=start + timedelta(days=3 * 365))

    @step(0, "register_citizen", "adult")
    def _register_citizen(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
        return as_(app, first).register_citizen(
            name=f"Citizen {h}",
            birth_date=date(1970 + h % 30, 1 + h % 12, 1 + h % 28),
            effective_at=when,
        )

    @step(0, "grant_consent", "adult_consent")
    def _grant_consent(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
        return as_(app, first).grant_consent(
            citizen_id=ids["adult"],
            recipient_sectors=ALL_SECTORS,
            categories=ALL_CATEGORIES,
            purpose="one coordinated plan",
            period=period,
            given_by=[ConsentGiver(kind=ActorKind.CITIZEN, name=f"Citizen {h}")],
            given_how=ConsentGivenHow.IN_MEETING,
            effective_at=when,
        )

    if family:

        @step(0, "register_citizen", "child")
        def _register_citizen_2(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
            return as_(app, first).register_citizen(
                name=f"Child {h}", birth_date=date(2014, 3, 9), effective_at=when
            )

        @step(0, "grant_consent", "child_consent")
        def _grant_consent_2(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
            return as_(app, first).grant_consent(
                citizen_id=ids["child"],
                recipient_sectors=ALL_SECTORS,
                categories=[InformationCategory.GOALS, InformationCategory.INTERVENTIONS],
                purpose="one coordinated family plan",
                period=period,
                given_by=[ConsentGiver(kind=ActorKind.GUARDIAN, name=f"Citizen {h}")],
                given_how=ConsentGivenHow.IN_MEETING,
                effective_at=when,
            )

    @step(1, "open_plan", "plan")
    def _open_plan(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
        who = [ids["adult"], ids["child"]] if family else [ids["adult"]]
        consents = (
            [ids["adult_consent"], ids["child_consent"]] if family else [ids["adult_consent"]]
        )
        return as_(app, first).open_plan(
            citizen_ids=who,
            consent_ids=consents,
            legal_bases=["LAB § 30 b", "SEL § 141 stk. 7"] + (["BL § 110"] if family else []),
            replaces=[
                SectorPlanRef(
                    sector=Sector.EMPLOYMENT,
                    legal_basis=LegalBasis.parse("LAB § 30 b"),
                    reference=f"jobplan {h}",
                )
            ],
            coordinator=first,
            effective_at=when,
        )

    @step(1, "record_citizens_wishes")
    def _record_citizens_wishes(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
        return as_(app, first).record_citizens_wishes(
            plan_id=ids["plan"],
            citizen_id=ids["adult"],
            wishes="Jeg vil gerne arbejde med mennesker igen, og der skal være ro derhjemme.",
            overarching_goal=OverarchingGoal(
                kind=OverarchingGoalKind.PARTIAL_SELF_SUPPORT, hours_per_week=20
            ),
            effective_at=when,
        )

    course_end = 10 + EPISODE_DAYS * episodes + 60

    @step(1, "set_goal", "goal")
    def _set_goal(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
        return as_(app, first).set_goal(
            plan_id=ids["plan"],
            description="In work 20 hours a week",
            due=start + timedelta(days=course_end + 365),
            target=Target(measure="hours of work a week", value=Decimal(20), unit="hours"),
            effective_at=when,
        )

    for key, text in (("sub1", "Takes the bus alone"), ("sub2", "Four hours without pain")):

        @step(1, "set_goal", key)
        def _set_goal_2(app: OnePlan, ids: dict[str, Any], when: datetime, text: str = text) -> Any:
            return as_(app, first).set_goal(
                plan_id=ids["plan"],
                parent_id=ids["goal"],
                description=text,
                due=start + timedelta(days=course_end),
                effective_at=when,
            )

    for who in (job, social, health):

        @step(2, "add_participant")
        def _add_participant(
            app: OnePlan, ids: dict[str, Any], when: datetime, who: Actor = who
        ) -> Any:
            return as_(app, first).add_participant(
                plan_id=ids["plan"], participant=who, effective_at=when
            )

    @step(2, "deliver_plan")
    def _deliver_plan(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
        return as_(app, first).deliver_plan(
            plan_id=ids["plan"],
            channel=DeliveryChannel.DIGITAL_POST,
            effective_at=when,
        )

    @step(3, "sector_view")
    def _sector_view(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
        return as_(app, health).sector_view(ids["plan"])

    @step(5, "record_social_contact_person")
    def _record_social_contact_person(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
        return as_(app, social).record_social_contact_person(
            citizen_id=ids["adult"], contact_person=social, effective_at=when
        )

    @step(8, "hand_over_coordinator")
    def _hand_over_coordinator(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
        return as_(app, first).hand_over_coordinator(
            plan_id=ids["plan"],
            new_coordinator=coordinator,
            previous_stays_as=ParticipantRole.FAMILY_COORDINATOR
            if family
            else ParticipantRole.ADVISORY_PARTNER,
            reason="the plan is in place; the cross-authority caseworker takes over",
            effective_at=when,
        )

    kinds = [k for k in INTERVENTIONS if family or not k[4]]
    for e in range(episodes):
        sector, basis, title, pool, for_child = kinds[e % len(kinds)]
        responsible = Cast.pick(pools[pool], h + e)
        colleague = Cast.pick(pools[pool], h + e + 1)
        d = 10 + EPISODE_DAYS * e
        iv = f"iv{e}"
        first_day = start + timedelta(days=d + 5)

        @step(d, "propose_intervention", iv)
        def _propose_intervention(
            app: OnePlan,
            ids: dict[str, Any],
            when: datetime,
            sector: Sector = sector,
            basis: str = basis,
            title: str = title,
            responsible: Actor = responsible,
            for_child: bool = for_child,
            e: int = e,
            first_day: date = first_day,
        ) -> Any:
            return as_(app, coordinator).propose_intervention(
                plan_id=ids["plan"],
                citizen_id=ids["child" if for_child else "adult"],
                sector=sector,
                legal_basis=basis,
                title=title,
                goal_ids=[ids["sub1" if e % 2 else "sub2"]],
                responsible=responsible,
                planned_period=Period(start=first_day, end=first_day + timedelta(days=35)),
                planned_cost=Money.dkk(f"{12000 + 100 * (e % 50)}.00"),
                effective_at=when,
            )

        if e > 0:

            @step(d + 1, "add_dependency")
            def _add_dependency(
                app: OnePlan, ids: dict[str, Any], when: datetime, e: int = e
            ) -> Any:
                return as_(app, coordinator).add_dependency(
                    intervention_id=ids[f"iv{e}"],
                    on_intervention_id=ids[f"iv{e - 1}"],
                    type=DependencyType.AFTER_START,
                    effective_at=when,
                )

        r = responsible

        @step(d + 2, "grant_intervention")
        def _grant(
            app: OnePlan, ids: dict[str, Any], when: datetime, iv: str = iv, r: Actor = r
        ) -> Any:
            return as_(app, r).grant_intervention(
                intervention_id=ids[iv],
                note="granted at the plan meeting",
                effective_at=when,
            )

        @step(d + 5, "start_intervention")
        def _start(
            app: OnePlan, ids: dict[str, Any], when: datetime, iv: str = iv, r: Actor = r
        ) -> Any:
            return as_(app, r).start_intervention(intervention_id=ids[iv], effective_at=when)

        @step(d + 10, "record_goal_progress")
        def _record_goal_progress(
            app: OnePlan, ids: dict[str, Any], when: datetime, e: int = e
        ) -> Any:
            # by the coordinator: the responsible caseworker is not always on the plan
            return as_(app, coordinator).record_goal_progress(
                plan_id=ids["plan"],
                goal_id=ids["sub1" if e % 2 else "sub2"],
                achievement=AchievementStatus.IMPROVING,
                measured_value=Decimal(e + 1),
                note=f"progress noted after {e + 1} interventions",
                effective_at=when,
            )

        @step(d + 12, "pause_intervention")
        def _pause(
            app: OnePlan, ids: dict[str, Any], when: datetime, iv: str = iv, r: Actor = r
        ) -> Any:
            return as_(app, r).pause_intervention(
                intervention_id=ids[iv],
                reason="the citizen is admitted to hospital",
                expected_resume=when.date() + timedelta(days=4),
                effective_at=when,
            )

        @step(d + 15, "sector_view")
        def _read(app: OnePlan, ids: dict[str, Any], when: datetime, r: Actor = r) -> Any:
            return as_(app, r).sector_view(ids["plan"])  # their own sector's view

        @step(d + 16, "resume_intervention")
        def _resume(
            app: OnePlan, ids: dict[str, Any], when: datetime, iv: str = iv, r: Actor = r
        ) -> Any:
            return as_(app, r).resume_intervention(intervention_id=ids[iv], effective_at=when)

        for n, day in enumerate((20, 30)):

            @step(d + day, "record_actual_cost")
            def _cost(
                app: OnePlan,
                ids: dict[str, Any],
                when: datetime,
                iv: str = iv,
                r: Actor = r,
                n: int = n,
                fd: date = first_day,
            ) -> Any:
                return as_(app, r).record_actual_cost(
                    intervention_id=ids[iv],
                    amount=Money.dkk(f"{3000 + 250 * n}.00"),
                    budget_area=BudgetArea.SERVICE,
                    period=Period(start=fd, end=fd + timedelta(days=10 * (n + 1))),
                    effective_at=when,
                )

        if e % 2 == 1:

            @step(d + 25, "hold_meeting")
            def _hold_meeting(
                app: OnePlan,
                ids: dict[str, Any],
                when: datetime,
                iv: str = iv,
                r: Actor = r,
                c: Actor = colleague,
            ) -> Any:
                return as_(app, coordinator).hold_meeting(
                    plan_id=ids["plan"],
                    attendees=[
                        MeetingAttendee(id=coordinator.id, sector=coordinator.sector),
                        MeetingAttendee(id=r.id, sector=r.sector),
                        MeetingAttendee(id=c.id, sector=c.sector),
                        MeetingAttendee(id=str(ids["adult"]), kind=ActorKind.CITIZEN),
                    ],
                    decisions=["The intervention goes on", f"{c.name} takes over from {r.name}"],
                    responsibilities=[Responsibility(intervention_id=ids[iv], caseworker=c)],
                    next_meeting=when.date() + timedelta(days=50),
                    effective_at=when,
                )

        @step(d + 40, "complete_intervention")
        def _complete(
            app: OnePlan,
            ids: dict[str, Any],
            when: datetime,
            iv: str = iv,
            r: Actor = r,
            e: int = e,
        ) -> Any:
            return as_(app, r).complete_intervention(
                intervention_id=ids[iv],
                outcome=InterventionOutcome.GOALS_MET if e % 3 else InterventionOutcome.PARTLY_MET,
                effective_at=when,
            )

    end = 10 + EPISODE_DAYS * episodes + 45
    if h % 3 == 0:

        @step(end, "record_social_contact_made")
        def _record_social_contact_made(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
            return as_(app, job).record_social_contact_made(
                citizen_id=ids["adult"],
                regarding="missed job training twice",
                effective_at=when,
            )

        @step(end + 2, "impose_sanction")
        def _impose_sanction(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
            return as_(app, job).impose_sanction(
                citizen_id=ids["adult"],
                legal_basis="LAS § 36",
                reason="missed job training",
                effective_at=when,
            )

    if h % 2 == 0:

        @step(end + 5, "revoke_consent")
        def _revoke_consent(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
            return app.as_(Principal.citizen(ids["adult"])).revoke_consent(
                citizen_id=ids["adult"],
                consent_id=ids["adult_consent"],
                sectors=[Sector.HEALTH],
                reason="the treatment is over",
                effective_at=when,
            )

    @step(end + 6, "sector_view")
    def _sector_view_3(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
        return as_(app, coordinator).sector_view(ids["plan"])

    @step(end + 6, "deliver_plan")
    def _deliver_plan_2(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
        return as_(app, coordinator).deliver_plan(
            plan_id=ids["plan"],
            channel=DeliveryChannel.LETTER,
            effective_at=when,
        )

    for key in ("sub1", "sub2", "goal"):

        @step(end + 8, "complete_goal")
        def _complete_goal(
            app: OnePlan, ids: dict[str, Any], when: datetime, key: str = key
        ) -> Any:
            return as_(app, coordinator).complete_goal(
                plan_id=ids["plan"], goal_id=ids[key], effective_at=when
            )

    @step(end + 10, "complete_plan")
    def _complete_plan(app: OnePlan, ids: dict[str, Any], when: datetime) -> Any:
        return as_(app, coordinator).complete_plan(
            plan_id=ids["plan"],
            outcome=PlanOutcome.PARTIAL_SELF_SUPPORT,
            effective_at=when,
        )

    steps.sort()
    return steps


def workload(citizens: int, events_per_citizen: int) -> tuple[list[list[Step]], int]:
    """Every household's steps (one plan each; every fifth a parent and a child), and
    the number of households."""
    cast = Cast(citizens)
    households: list[list[Step]] = []
    left, h = citizens, 0
    while left > 0:
        size = 2 if (h % 5 == 4 and left >= 2) else 1
        episodes = max(1, round((events_per_citizen * size - FIXED_EVENTS) / EPISODE_EVENTS))
        households.append(household_steps(h, cast, size, episodes))
        left -= size
        h += 1
    return households, h


def interleaved(households: list[list[Step]]) -> Iterator[Step]:
    """All households' steps in effective-time order (each household's own in order)."""
    return heapq.merge(*households)


# --- building (in a child process) ---------------------------------------------------


class SimClock:
    """The application's clock follows the simulated course: each command happens
    just after its effective time (the application refuses effective times ahead of
    its clock, and reads sector views under the consents active at the clock)."""

    def __init__(self) -> None:
        self.now = datetime(2024, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def build_log(url: str, citizens: int, events_per_citizen: int, label: str) -> dict[str, Any]:
    """Run the workload through ``OnePlan`` on ``url``; return what was built."""
    households, count = workload(citizens, events_per_citizen)
    total_steps = sum(len(s) for s in households)
    clock = SimClock()
    app = OnePlan.open(url, clock=clock)
    Cast(citizens).register(app)
    ids: list[dict[str, Any]] = [{} for _ in households]
    t0 = last_report = time.perf_counter()
    done = 0
    try:
        for step in interleaved(households):
            clock.now = step.at + timedelta(minutes=1)
            try:
                step.run(app, ids[step.household], step.at)
            except Exception as e:
                raise RuntimeError(
                    f"household {step.household} step {step.seq} ({step.name}) failed: {e}"
                ) from e
            done += 1
            now = time.perf_counter()
            if now - last_report > 10:
                last_report = now
                events = app.recorder.max_notification_id() or 0
                print(
                    f"  {label}: {done:,}/{total_steps:,} commands, {events:,} events, "
                    f"{done / (now - t0):,.0f} commands/s, {now - t0:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
        events = int(app.recorder.max_notification_id() or 0)
    finally:
        app.close()
    return {
        "url": url,
        "citizens": citizens,
        "households": count,
        "events_per_citizen_target": events_per_citizen,
        "commands": total_steps,
        "events": events,
        "build_s": time.perf_counter() - t0,
        "workload_version": WORKLOAD_VERSION,
    }


def build_in_child(url: str, citizens: int, epc: int, label: str) -> dict[str, Any]:
    """Build in a spawned process (its memory does not count in the measuring process)."""
    return in_child(build_log, url, citizens, epc, label)


# --- storage -------------------------------------------------------------------------


KEY_VARIABLES = (
    "ONEPLAN_AUDIT_KEY",
    "ONEPLAN_MASTER_KEY",
    "ONEPLAN_CPR_KEY",
    "ONEPLAN_ANCHOR_SIGNING_KEY",
    "ONEPLAN_KEY_FILE",
)


def use_keys(on: bool) -> None:
    """Keys on (``--keys``): the bench's own fixed keys in the environment, so every
    personal field of the log and of the view rows is sealed, as in production, and the
    cached log opens again in a later run; off: no key at all, whatever the caller's
    environment holds. Spawned children inherit the environment."""
    import base64
    import hashlib

    for name in KEY_VARIABLES:
        os.environ.pop(name, None)
    if on:
        for name in KEY_VARIABLES[:4]:
            digest = hashlib.sha256(f"oneplan bench_rebuild {name}".encode()).digest()
            os.environ[name] = base64.b64encode(digest).decode()


def keys_on() -> bool:
    return "ONEPLAN_MASTER_KEY" in os.environ


def cache_key(citizens: int, epc: int) -> str:
    return f"c{citizens}_e{epc}_w{WORKLOAD_VERSION}" + ("_keys" if keys_on() else "")


class Log:
    """A built log on one storage: cached SQLite file, PostgreSQL schema, or memory."""

    def __init__(self, kind: str, citizens: int, epc: int, *, fresh: bool, keep: bool) -> None:
        self.kind = kind
        self.citizens = citizens
        self.epc = epc
        self.fresh = fresh
        self.keep = keep
        self.key = cache_key(citizens, epc)
        self.info: dict[str, Any] = {}
        self.cached = False
        self.schema: str | None = None
        self.url = ""

    def open(self) -> OnePlan:
        """Build (or find) the log; return an application on it."""
        if self.kind == "memory":
            self.url = "memory://"
            print("memory: building the log in this process ...", file=sys.stderr, flush=True)
            # Build straight into the application that is measured.
            households, count = workload(self.citizens, self.epc)
            clock = SimClock()
            app = OnePlan.open(self.url, clock=clock)
            Cast(self.citizens).register(app)
            ids: list[dict[str, Any]] = [{} for _ in households]
            t0 = time.perf_counter()
            for step in interleaved(households):
                clock.now = step.at + timedelta(minutes=1)
                step.run(app, ids[step.household], step.at)
            self.info = {
                "households": count,
                "commands": sum(len(s) for s in households),
                "events": int(app.recorder.max_notification_id() or 0),
                "build_s": time.perf_counter() - t0,
            }
            return app
        if self.kind == "sqlite":
            os.makedirs(CACHE_DIR, exist_ok=True)
            path = os.path.join(CACHE_DIR, f"rebuild_{self.key}.db")
            marker = path + ".json"
            self.url = f"sqlite:///{path}"
            if self.fresh or not os.path.exists(marker) or not os.path.exists(path):
                for suffix in ("", "-wal", "-shm", ".json"):
                    if os.path.exists(path + suffix):
                        os.remove(path + suffix)
                print(f"sqlite: building the log in {path} ...", file=sys.stderr, flush=True)
                self.info = build_in_child(self.url, self.citizens, self.epc, "sqlite")
                with open(marker, "w") as f:
                    json.dump(self.info, f)
            else:
                with open(marker) as f:
                    self.info = json.load(f)
                self.cached = True
                print(f"sqlite: using the cached log {path}", file=sys.stderr, flush=True)
            return self._check(OnePlan.open(self.url))
        # PostgreSQL: a schema of its own, named after the parameters.
        import psycopg

        self.schema = f"bench_rebuild_{self.key}"
        self.url = f"{PG_DSN}?schema={self.schema}"
        marker = os.path.join(CACHE_DIR, f"pg_{self.schema}.json")
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (self.schema,)
            ).fetchone()
            if exists and not self.fresh and os.path.exists(marker):
                with open(marker) as f:
                    self.info = json.load(f)
                self.cached = True
                print(f"postgres: using the kept schema {self.schema}", file=sys.stderr, flush=True)
                return self._check(OnePlan.open(self.url))
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{self.schema}"')
        if os.path.exists(marker):
            os.remove(marker)
        print(
            f"postgres: building the log in schema {self.schema} ...", file=sys.stderr, flush=True
        )
        self.info = build_in_child(self.url, self.citizens, self.epc, "postgres")
        os.makedirs(CACHE_DIR, exist_ok=True)
        with open(marker, "w") as f:
            json.dump(self.info, f)
        return self._check(OnePlan.open(self.url))

    def _check(self, app: OnePlan) -> OnePlan:
        stored = int(app.recorder.max_notification_id() or 0)
        if stored != self.info["events"]:
            app.close()
            raise RuntimeError(
                f"{self.kind}: the log holds {stored} events, {self.info['events']} expected; "
                "run with --fresh"
            )
        return app

    def close(self) -> None:
        if self.kind == "postgres" and self.schema and not self.keep:
            import psycopg

            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            marker = os.path.join(CACHE_DIR, f"pg_{self.schema}.json")
            if os.path.exists(marker):
                os.remove(marker)


# --- the two measured passes ---------------------------------------------------------


def read_and_map(app: OnePlan) -> int:
    """Baseline: page through the notification log and map every notification back to
    its event with the application's mapper; nothing else. Returns the count."""
    return _read_mapping(app, app.mapper.to_domain_event)


def _read_mapping(app: OnePlan, to_event: Any) -> int:
    """Page through the notification log, ``to_event`` on every notification."""
    select = app.recorder.select_notifications
    start, count = 0, 0
    while True:
        notifications = select(start, limit=PAGE, inclusive_of_start=False)
        if not notifications:
            return count
        for notification in notifications:
            to_event(notification)
        count += len(notifications)
        start = notifications[-1].id


def read_and_map_trusted(app: OnePlan) -> int:
    """For reference (not the baseline): read-and-map as the runner reads the log, with
    the trusted decoder (``OnePlanMapper.to_trusted_event``) and the garbage collector
    off (the decoder's caches start empty after a rebuild, and collecting them while
    they fill costs more than the decoding): how much of the baseline's time is pydantic
    validating events again. 0 where the code has no trusted decoder."""
    to_event = getattr(app.mapper, "to_trusted_event", None)
    if to_event is None:
        return 0
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _read_mapping(app, to_event)
    finally:
        if collecting:
            gc.enable()


def rebuild(app: OnePlan) -> int:
    """Candidate: empty every view and fold the whole log again, writing the views."""
    return app.views.rebuild()


def _keeping_class() -> Any:
    """The rebuild aside that keeps views found unchanged (SQLite and PostgreSQL; in
    code before 7 December 2026, SQLite's alone), or None."""
    from oneplan.projections import stores

    for name in ("_KeepingRebuilding", "_SQLiteRebuilding"):
        found = getattr(stores, name, None)
        if found is not None and hasattr(found, "keep_unchanged"):
            return found
    return None


def rebuild_rewriting(app: OnePlan) -> int:
    """The candidate with every row written aside and every old table emptied, as a
    rebuild whose views all changed does (a view found unchanged is kept:
    ``keep_unchanged``; the bench's rebuilds find them all unchanged). 0 where the code
    keeps none."""
    keeping = _keeping_class()
    store = getattr(app.views.store, "inner", app.views.store)  # (beneath the sealing)
    if keeping is None or (
        keeping.__name__ == "_SQLiteRebuilding" and "sqlite" not in type(store).__name__.lower()
    ):
        return 0
    keeping.keep_unchanged = False
    try:
        return app.views.rebuild()
    finally:
        keeping.keep_unchanged = True


@dataclass
class Run:
    events: int
    elapsed_s: float
    cpu_s: float = 0.0
    """This process's CPU time (``time.process_time``) during the pass: on a shared
    machine the figure other people's work does not inflate (for PostgreSQL the
    server's CPU is not in it)."""
    rss_before_mib: float = 0.0
    peak_rss_mib: float = 0.0
    """The process's peak RSS during this pass (since the peak was reset before it),
    or since the process started where the peak cannot be reset."""

    @property
    def ev_per_s(self) -> float:
        return self.events / self.elapsed_s


def timed(fn: Callable[[OnePlan], int], app: OnePlan) -> Run:
    gc.collect()
    before = current_rss_mib()
    reset_peak_rss()
    c0, t0 = time.process_time(), time.perf_counter()
    events = fn(app)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    return Run(events, elapsed, cpu, before, peak_rss_mib())


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_PEAK_RESETTABLE: bool | None = None


def reset_peak_rss() -> bool:
    """Reset the peak RSS that getrusage reports (Linux: ``5`` to /proc/self/clear_refs),
    so each pass reports its own peak; False where that is not possible."""
    global _PEAK_RESETTABLE
    if _PEAK_RESETTABLE is False:
        return False
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        _PEAK_RESETTABLE = True
    except OSError:
        _PEAK_RESETTABLE = False
    return _PEAK_RESETTABLE


def current_rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def warm_up(app: OnePlan, events: int) -> None:
    """Imports, pydantic adapters, cattrs hooks and the page cache: a full baseline
    pass, and the runner's folds and codec over the first few thousand events into a
    runner of its own with a memory store (the measured views are left alone)."""
    from oneplan.projections import ProjectionRunner

    read_and_map(app)
    ProjectionRunner(app).catch_up(until=min(events, 5000))


def bench_storage(
    kind: str,
    citizens: int,
    epc: int,
    rounds: int,
    *,
    fresh: bool,
    keep: bool,
    batch_size: int | None = None,
) -> tuple[dict[str, Any], OnePlan, Log]:
    log = Log(kind, citizens, epc, fresh=fresh, keep=keep)
    app = log.open()
    events = int(log.info["events"])
    if batch_size is not None:
        setattr(app.views, _batch_attr(app), batch_size)
    print(
        f"{kind}: {events:,} events; warm-up, then {rounds} rounds of baseline and rebuild ...",
        file=sys.stderr,
        flush=True,
    )
    warm_up(app, events)
    base: list[Run] = []
    cand: list[Run] = []
    trusted: list[Run] = []
    rewriting: list[Run] = []
    for r in range(rounds):
        # Alternate which goes first, so neither always follows the other.
        order = ("baseline", "candidate") if r % 2 == 0 else ("candidate", "baseline")
        for which in order:
            if which == "baseline":
                run = timed(read_and_map, app)
                base.append(run)
            else:
                run = timed(rebuild, app)
                cand.append(run)
            if run.events != events:
                raise RuntimeError(f"{kind} {which}: {run.events} events, expected {events}")
            print(
                f"  {kind} round {r + 1} {which}: {run.events / run.elapsed_s:,.0f} events/s "
                f"({run.elapsed_s:.2f} s, {run.cpu_s:.2f} s CPU; RSS after "
                f"{current_rss_mib():,.0f} MiB)",
                file=sys.stderr,
                flush=True,
            )
        run = timed(rebuild_rewriting, app)
        if run.events:
            rewriting.append(run)
            print(
                f"  {kind} round {r + 1} rebuild, every row rewritten: "
                f"{run.events / run.elapsed_s:,.0f} events/s ({run.elapsed_s:.2f} s, "
                f"{run.cpu_s:.2f} s CPU)",
                file=sys.stderr,
                flush=True,
            )
        run = timed(read_and_map_trusted, app)
        if run.events:
            trusted.append(run)
            print(
                f"  {kind} round {r + 1} read-and-map, trusted decoder (reference): "
                f"{run.events / run.elapsed_s:,.0f} events/s ({run.elapsed_s:.2f} s, "
                f"{run.cpu_s:.2f} s CPU)",
                file=sys.stderr,
                flush=True,
            )
    rows = {name: len(app.views.keys(name)) for name in ("route", *_view_names())}
    result = {
        "events": events,
        "build": log.info,
        "cached_log": log.cached,
        "batch_size": getattr(app.views, _batch_attr(app)),
        "batch_size_attribute": _batch_attr(app),
        "baseline": summarise(base),
        "candidate": summarise(cand),
        "read_and_map_trusted": summarise(trusted) if trusted else None,
        "rebuild_rewriting": summarise(rewriting) if rewriting else None,
        "ratio_rewriting": statistics.median(r.ev_per_s for r in rewriting)
        / statistics.median(r.ev_per_s for r in base)
        if rewriting
        else None,
        "ratio_rewriting_cpu": statistics.median(r.cpu_s for r in base)
        / statistics.median(r.cpu_s for r in rewriting)
        if rewriting
        else None,
        "ratio": statistics.median(r.ev_per_s for r in cand)
        / statistics.median(r.ev_per_s for r in base),
        "ratio_cpu": statistics.median(r.cpu_s for r in base)
        / statistics.median(r.cpu_s for r in cand),
        "view_rows": rows,
        "rss_mib": {
            # Round 1 runs read-and-map before any rebuild: afterwards the runner keeps
            # every row it folded in memory, which later read-and-map passes carry along.
            "read_and_map_peak": base[0].peak_rss_mib,
            "rebuild_peak": max(r.peak_rss_mib for r in cand),
            "before_first_read_and_map": base[0].rss_before_mib,
            "before_first_rebuild": cand[0].rss_before_mib,
            "after_rebuilds": current_rss_mib(),
            "peak_is_per_pass": bool(_PEAK_RESETTABLE),
        },
    }
    return result, app, log


def _batch_attr(app: OnePlan) -> str:
    """The runner's attribute for events per transaction in a rebuild."""
    return "rebuild_batch_size" if hasattr(app.views, "rebuild_batch_size") else "batch_size"


def _view_names() -> list[str]:
    from oneplan.projections import VIEWS

    return [v.name for v in VIEWS]


def summarise(runs: list[Run]) -> dict[str, Any]:
    med = statistics.median
    return {
        "runs": len(runs),
        "events_per_s": med(r.ev_per_s for r in runs),
        "elapsed_s": med(r.elapsed_s for r in runs),
        "cpu_s": med(r.cpu_s for r in runs),
        "cpu_s_all": [round(r.cpu_s, 2) for r in runs],
        "events_per_s_all": [round(r.ev_per_s) for r in runs],
    }


# --- profiling -----------------------------------------------------------------------

PHASES: list[tuple[str, str, str]] = [
    # (label, function name, file path ends with)
    ("rebuild (total)", "rebuild", "projections/runner.py"),
    ("  reset the view tables", "reset", "projections/stores.py"),
    ("  read notifications", "select_notifications", ".py"),
    ("  map to events (_event)", "_event", "projections/runner.py"),
    ("  fold (_fold: routes, keys, rows, evolve)", "_fold", "projections/runner.py"),
    ("    fold functions (evolve)", "evolve", "projections/base.py"),
    ("    rows on a miss (_row)", "_row", "projections/runner.py"),
    ("  dump changed rows (codec.dumps)", "dumps", "cattrs/preconf/orjson.py"),
    ("  write rows + position (store.commit)", "commit", "projections/stores.py"),
    ("  write rows aside (Rebuilding.write)", "write", "projections/stores.py"),
    ("  swap in the new views (Rebuilding.finish)", "finish", "projections/stores.py"),
]


def profile_candidate(app: OnePlan, profiler: str, top: int = 25) -> dict[str, Any]:
    """Profile one more rebuild; print the top functions by cumulative time."""
    if profiler == "auto":
        try:
            import pyinstrument  # noqa: F401

            profiler = "pyinstrument"
        except ImportError:
            profiler = "cprofile"
    writes = WriteCounter(app)
    gc.collect()
    if profiler == "pyinstrument":
        from pyinstrument import Profiler

        prof = Profiler(interval=0.0005)
        t0 = time.perf_counter()
        prof.start()
        rebuild(app)
        prof.stop()
        wall = time.perf_counter() - t0
        session = prof.last_session
        assert session is not None
        rows = _flatten_pyinstrument(session.root_frame(trim_stem=False))
        path = os.path.join(CACHE_DIR, "rebuild-profile.txt")
        os.makedirs(CACHE_DIR, exist_ok=True)
        with open(path, "w") as f:
            f.write(prof.output_text(unicode=True, color=False, show_all=False))
    else:
        import cProfile
        import pstats

        prof_c = cProfile.Profile()
        t0 = time.perf_counter()
        prof_c.enable()
        rebuild(app)
        prof_c.disable()
        wall = time.perf_counter() - t0
        stats = pstats.Stats(prof_c)
        rows = [
            {
                "function": name,
                "file": file,
                "line": line,
                "calls": nc,
                "self_s": tt,
                "cumulative_s": ct,
            }
            for (file, line, name), (_cc, nc, tt, ct, _callers) in stats.stats.items()  # type: ignore[attr-defined]
        ]
        path = os.path.join(CACHE_DIR, "rebuild-profile.pstats")
        os.makedirs(CACHE_DIR, exist_ok=True)
        stats.dump_stats(path)
    total = next(
        (
            r["cumulative_s"]
            for r in rows
            if r["function"] == "rebuild" and r["file"].endswith("projections/runner.py")
        ),
        wall,
    )
    # Only what runs inside the runner's rebuild (not the frames above it: this script,
    # the child process's bootstrap).
    rows = [
        r
        for r in rows
        if r["cumulative_s"] <= total * 1.000001
        and r["file"] != os.path.abspath(__file__)
        and not r["file"].startswith("<thread>")
    ]
    rows.sort(key=lambda r: r["cumulative_s"], reverse=True)
    print(f"\nprofile of one rebuild ({profiler}; {wall:.2f} s wall with the profiler on)")
    print(f"details: {path}")
    print(f"{'cumulative s':>12} {'share':>6} {'self s':>8} {'calls':>10}  function")
    for r in rows[:top]:
        print(
            f"{r['cumulative_s']:12.3f} {r['cumulative_s'] / total:6.1%} {r['self_s']:8.3f} "
            f"{r['calls'] if r['calls'] is not None else '':>10}  "
            f"{r['function']}  {_short(r['file'])}:{r['line']}"
        )
    by_self = sorted(rows, key=lambda r: r["self_s"], reverse=True)[:15]
    print(f"\ntop 15 by own (self) time\n{'self s':>8} {'share':>6}  function")
    for r in by_self:
        print(
            f"{r['self_s']:8.3f} {r['self_s'] / total:6.1%}  {r['function']}  "
            f"{_short(r['file'])}:{r['line']}"
        )
    phases = []
    print("\nwhere the rebuild's time goes")
    for label, name, suffix in PHASES:
        found = [r for r in rows if r["function"] == name and r["file"].endswith(suffix)]
        if name == "select_notifications":
            found = [r for r in found if "eventsourcing" in r["file"]]
        secs = sum(r["cumulative_s"] for r in found)
        phases.append({"phase": label.strip(), "seconds": secs, "share": secs / total})
        print(f"{secs:9.3f} s {secs / total:6.1%}  {label}")
    writes.restore()
    written = writes.report(app)
    return {
        "profiler": profiler,
        "wall_s": wall,
        "writes": written,
        "details": path,
        "top": [
            {**r, "share": r["cumulative_s"] / total, "file": _short(r["file"])} for r in rows[:top]
        ],
        "phases": phases,
    }


class WriteCounter:
    """Counts what the runner writes (rows and bytes per view, per commit or per write
    aside in a rebuild) by wrapping ``commit`` and ``rebuilding`` on this application's
    view store instance."""

    def __init__(self, app: OnePlan) -> None:
        self.store = app.views.store
        self.commits = 0
        self.by_view: dict[str, list[int]] = {}
        original = self.store.commit

        def count(rows: Any) -> None:
            self.commits += 1
            for (view, _key), row in rows.items():
                counts = self.by_view.setdefault(view, [0, 0])
                counts[0] += 1
                counts[1] += len(row) if row is not None else 0

        def commit(rows: Any, *, from_position: int, to_position: int) -> None:
            count(rows)
            original(rows, from_position=from_position, to_position=to_position)

        self.store.commit = commit  # type: ignore[method-assign]
        rebuilding = getattr(self.store, "rebuilding", None)
        if rebuilding is not None:

            def counted(versions: Any) -> Any:
                target = rebuilding(versions)
                write = target.write

                def counting_write(rows: Any, **kwargs: Any) -> None:
                    count(rows)
                    write(rows, **kwargs)

                target.write = counting_write
                return target

            self.store.rebuilding = counted  # type: ignore[method-assign]

    def restore(self) -> None:
        del self.store.commit
        if "rebuilding" in vars(self.store):
            del self.store.rebuilding

    def report(self, app: OnePlan) -> dict[str, Any]:
        """Print rows and bytes written against the views' final rows and bytes."""
        events = int(app.recorder.max_notification_id() or 0)
        out: dict[str, Any] = {"commits": self.commits, "events": events, "views": {}}
        print(
            f"\nwhat the rebuild wrote: {self.commits} commits (or writes aside) for "
            f"{events:,} events\n"
            f"{'view':<12}{'rows written':>14}{'per event':>11}{'MB written':>12}"
            f"{'final rows':>12}{'final MB':>10}{'written/final':>15}"
        )
        totals = [0, 0, 0, 0]
        for view in ("route", *_view_names()):
            written_rows, written_bytes = self.by_view.get(view, [0, 0])
            keys = app.views.keys(view)
            final_bytes = sum(
                len(row)
                for start in range(0, len(keys), 500)
                for row in app.views.store.read(view, keys[start : start + 500]).values()
            )
            totals = [
                totals[0] + written_rows,
                totals[1] + written_bytes,
                totals[2] + len(keys),
                totals[3] + final_bytes,
            ]
            out["views"][view] = {
                "rows_written": written_rows,
                "bytes_written": written_bytes,
                "final_rows": len(keys),
                "final_bytes": final_bytes,
            }
        for view, (wr, wb, fr, fb) in [
            *((v, tuple(d.values())) for v, d in out["views"].items()),
            ("all", tuple(totals)),
        ]:
            print(
                f"{view:<12}{wr:>14,}{wr / events:>11.2f}{wb / 1e6:>12.1f}{fr:>12,}"
                f"{fb / 1e6:>10.1f}{(wb / fb if fb else 0):>14.1f}x"
            )
        return out


def _short(path: str) -> str:
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _flatten_pyinstrument(root: Any) -> list[dict[str, Any]]:
    """Cumulative and own time per function from pyinstrument's call tree; a function
    that recurses into itself is counted once on the outermost frame."""
    totals: dict[tuple[str, str, int], dict[str, Any]] = {}

    def visit(frame: Any, active: frozenset[tuple[str, str, int]]) -> None:
        key = (frame.function or "?", frame.file_path or "", frame.line_no or 0)
        row = totals.setdefault(
            key,
            {
                "function": key[0],
                "file": key[1],
                "line": key[2],
                "calls": None,
                "self_s": 0.0,
                "cumulative_s": 0.0,
            },
        )
        if key not in active:
            row["cumulative_s"] += frame.time
        row["self_s"] += frame.total_self_time
        for child in frame.children:
            visit(child, active | {key})

    visit(root, frozenset())
    return [r for r in totals.values() if not r["function"].startswith("[")]


# --- output --------------------------------------------------------------------------


def print_table(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=(
            f"projection rebuild vs bare read-and-map: {args.citizens:,} citizens, "
            f"median of {args.rounds} rounds, "
            + ("keys on (every personal field sealed)" if args.keys else "no keys")
        )
    )
    for col, just in [
        ("storage", "left"),
        ("pass", "left"),
        ("events", "right"),
        ("median s", "right"),
        ("events/s", "right"),
        ("events/s each round", "right"),
        ("rebuild/read-and-map", "right"),
        ("CPU s", "right"),
        ("by CPU", "right"),
        ("peak RSS MiB", "right"),
    ]:
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for kind, res in results.items():
        ratio = res["ratio"]
        for which, label in (("baseline", "read-and-map"), ("candidate", "rebuild")):
            r = res[which]
            table.add_row(
                kind if which == "baseline" else "",
                label,
                f"{res['events']:,}",
                f"{r['elapsed_s']:.2f}",
                f"{r['events_per_s']:,.0f}",
                " ".join(f"{x:,}" for x in r["events_per_s_all"]),
                ""
                if which == "baseline"
                else f"[{'green' if ratio >= GOAL else 'red'}]{ratio:.2f}[/]",
                f"{r['cpu_s']:.2f}",
                "" if which == "baseline" else f"{res['ratio_cpu']:.2f}",
                f"{res['rss_mib']['read_and_map_peak']:,.0f} "
                f"(from {res['rss_mib']['before_first_read_and_map']:,.0f})"
                if which == "baseline"
                else f"{res['rss_mib']['rebuild_peak']:,.0f} "
                f"(from {res['rss_mib']['before_first_rebuild']:,.0f})",
            )
        rewritten = res.get("rebuild_rewriting")
        if rewritten:
            table.add_row(
                "",
                "rebuild, every row rewritten",
                f"{res['events']:,}",
                f"{rewritten['elapsed_s']:.2f}",
                f"{rewritten['events_per_s']:,.0f}",
                " ".join(f"{x:,}" for x in rewritten["events_per_s_all"]),
                f"{res['ratio_rewriting']:.2f}",
                f"{rewritten['cpu_s']:.2f}",
                f"{res['ratio_rewriting_cpu']:.2f}",
                "",
            )
        table.add_section()
    Console(width=170).print(table)
    per_pass = all(res["rss_mib"]["peak_is_per_pass"] for res in results.values())
    print(
        "CPU s: this process's CPU time (median); by CPU: read-and-map CPU s over rebuild "
        "CPU s (PostgreSQL's own CPU is not counted). rebuild: over the views the last "
        "rebuild left (a view found unchanged is kept: nothing written); every row "
        "rewritten: the same with keep_unchanged off, as a rebuild whose views all changed."
    )
    print(
        f"goal: rebuild >= {GOAL:.2f} of read-and-map events/s. Peak RSS (getrusage) "
        + (
            "during the pass (reset before each): the first read-and-map, the largest rebuild."
            if per_pass
            else "of the process so far (could not be reset between passes)."
        )
    )
    for kind, res in results.items():
        rss = res["rss_mib"]
        trusted = res.get("read_and_map_trusted")
        print(
            f"{kind}: RSS {rss['before_first_rebuild']:,.0f} MiB before the first rebuild, "
            f"{rss['after_rebuilds']:,.0f} MiB after the last (kept by the process)"
            + (
                f"; read-and-map with the trusted decoder (reference): "
                f"{trusted['cpu_s']:.2f} CPU s (median)"
                if trusted
                else ""
            )
        )
    for kind, res in results.items():
        b = res["build"]
        print(
            f"{kind}: {b['households']:,} households, {b['commands']:,} commands, "
            f"{res['events']:,} events; runner {res['batch_size_attribute']} "
            f"{res['batch_size']:,}; "
            f"log {'cached' if res['cached_log'] else 'built'} "
            f"(build {b['build_s']:.0f} s); view rows: "
            + ", ".join(f"{k} {v:,}" for k, v in res["view_rows"].items())
        )


def measure_storage(
    kind: str,
    citizens: int,
    epc: int,
    rounds: int,
    fresh: bool,
    keep: bool,
    batch_size: int | None,
    profiler: str | None,
) -> dict[str, Any]:
    """Measure one storage (and profile it if ``profiler``): the child's whole work."""
    result, app, log = bench_storage(
        kind, citizens, epc, rounds, fresh=fresh, keep=keep, batch_size=batch_size
    )
    try:
        profile = profile_candidate(app, profiler) if profiler else None
    finally:
        app.close()
        log.close()
    return {"result": result, "profile": profile}


def measure_existing(url: str, which: str) -> dict[str, Any]:
    """One pass (``read-and-map`` or ``rebuild``) over an existing log, such as the
    municipality ``oneplan simulate`` writes (keys from the environment, as the CLI):
    wall and CPU time and the process's peak RSS. Run it in a process of its own."""
    fn = {"read-and-map": read_and_map, "rebuild": rebuild}[which]
    app = OnePlan.open(url)
    try:
        run = timed(fn, app)
    finally:
        app.close()
    return {
        "pass": which,
        "events": run.events,
        "wall_s": run.elapsed_s,
        "cpu_s": run.cpu_s,
        "events_per_cpu_s": run.events / run.cpu_s if run.cpu_s else 0.0,
        "peak_rss_mib": peak_rss_mib(),
    }


def bench_existing(url: str, rounds: int = 1) -> dict[str, Any]:
    """Read-and-map and rebuild of an existing log, each pass in a fresh process (its
    own peak RSS), alternating, ``rounds`` times; medians and the ratios."""
    runs: dict[str, list[dict[str, Any]]] = {"read-and-map": [], "rebuild": []}
    for r in range(rounds):
        order = ("read-and-map", "rebuild") if r % 2 == 0 else ("rebuild", "read-and-map")
        for which in order:
            run = in_child(measure_existing, url, which)
            runs[which].append(run)
            print(
                f"  {which}: {run['events']:,} events, {run['wall_s']:.1f} s wall, "
                f"{run['cpu_s']:.1f} s CPU, peak RSS {run['peak_rss_mib']:,.0f} MiB",
                file=sys.stderr,
                flush=True,
            )
    med = statistics.median
    summary = {
        which: {
            key: med(run[key] for run in found)
            for key in ("events", "wall_s", "cpu_s", "peak_rss_mib")
        }
        for which, found in runs.items()
    }
    base, cand = summary["read-and-map"], summary["rebuild"]
    return {
        "url": url,
        "rounds": rounds,
        "runs": runs,
        "median": summary,
        "ratio": base["wall_s"] / cand["wall_s"],
        "ratio_cpu": base["cpu_s"] / cand["cpu_s"],
    }


def _child(fn: Callable[..., dict[str, Any]], out: str, *args: Any) -> None:
    with open(out, "w") as f:
        json.dump(fn(*args), f, default=str)


def in_child(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``fn(*args)`` in a spawned process; its JSON-able result."""
    fd, out = tempfile.mkstemp(suffix=".json", prefix="oneplan-bench-rebuild-")
    os.close(fd)
    try:
        proc = multiprocessing.get_context("spawn").Process(target=_child, args=(fn, out, *args))
        proc.start()
        proc.join()
        if proc.exitcode != 0:
            raise RuntimeError(f"{fn.__name__}{args[:1]} failed (exit {proc.exitcode})")
        with open(out) as f:
            return dict(json.load(f))
    finally:
        os.remove(out)


def code_fingerprint() -> dict[str, str]:
    """Which oneplan source was measured: a hash of its .py files and the newest change
    (others may be editing it while benchmarks run)."""
    import hashlib

    import oneplan

    root = os.path.dirname(oneplan.__file__)
    digest = hashlib.sha256()
    newest = 0.0
    for folder, _dirs, files in sorted(os.walk(root)):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, "rb") as f:
                    digest.update(path[len(root) :].encode() + b"\0" + f.read())
                newest = max(newest, os.path.getmtime(path))
    return {
        "sha256": digest.hexdigest()[:12],
        "newest_change": datetime.fromtimestamp(newest, UTC).isoformat(timespec="seconds"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--storage",
        default=",".join(DEFAULT_STORAGES),
        help="comma-separated: sqlite,postgres (memory optional)",
    )
    parser.add_argument(
        "--citizens",
        type=int,
        default=DEFAULT_CITIZENS,
        help=f"citizens in the log (default {DEFAULT_CITIZENS:,})",
    )
    parser.add_argument(
        "--events-per-citizen",
        type=int,
        default=DEFAULT_EVENTS_PER_CITIZEN,
        help=f"about this many events per citizen (default {DEFAULT_EVENTS_PER_CITIZEN})",
    )
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (median)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--profile", action="store_true", help="profile one more rebuild")
    parser.add_argument(
        "--profiler",
        choices=("auto", "pyinstrument", "cprofile"),
        default="auto",
        help="auto: pyinstrument if installed, else cProfile",
    )
    parser.add_argument(
        "--profile-storage", help="which storage to profile (default: the first measured)"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        help="events per read of the log in a rebuild (per transaction in runners before the "
        "rebuild aside): sets the runner's rebuild_batch_size "
        "(or batch_size, if it has none) on the instance (default: the runner's own)",
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild cached logs")
    parser.add_argument(
        "--keep", action="store_true", help="keep the PostgreSQL schema (reused next run)"
    )
    parser.add_argument(
        "--log",
        metavar="URL",
        help="measure an existing log instead (such as a municipality written by "
        "`oneplan simulate`; keys from the environment): read-and-map and rebuild, "
        "each in a fresh process, --rounds times",
    )
    parser.add_argument(
        "--keys",
        action="store_true",
        help="every personal field sealed, as in production (the bench's own fixed keys; "
        "a log of its own); without it no key is used, whatever the environment holds",
    )
    args = parser.parse_args(argv)
    if args.log:
        found = bench_existing(args.log, args.rounds)
        m = found["median"]
        for which in ("read-and-map", "rebuild"):
            print(
                f"{which:<13} {m[which]['events']:>10,.0f} events {m[which]['wall_s']:8.1f} s wall "
                f"{m[which]['cpu_s']:8.1f} s CPU  peak RSS {m[which]['peak_rss_mib']:7,.0f} MiB"
            )
        print(
            f"rebuild/read-and-map: {found['ratio']:.2f} by wall time, "
            f"{found['ratio_cpu']:.2f} by CPU time (median of {args.rounds})"
        )
        if args.json:
            with open(args.json, "w") as f:
                json.dump({**found, "oneplan_source": code_fingerprint()}, f, indent=2)
        return 0
    use_keys(args.keys)
    kinds = [k.strip() for k in args.storage.split(",") if k.strip()]
    for k in kinds:
        if k not in STORAGES:
            parser.error(f"unknown storage {k!r}; choose from {', '.join(STORAGES)}")
    profile_kind = args.profile_storage or kinds[0]
    if args.profile and profile_kind not in kinds:
        parser.error(f"--profile-storage {profile_kind} is not among --storage")

    code = code_fingerprint()
    results: dict[str, dict[str, Any]] = {}
    profile: dict[str, Any] | None = None
    started = time.perf_counter()
    for kind in kinds:
        # Each storage is measured in a process of its own, so its peak RSS and what it
        # leaves on the heap do not count for the next.
        result = in_child(
            measure_storage,
            kind,
            args.citizens,
            args.events_per_citizen,
            args.rounds,
            args.fresh,
            args.keep,
            args.batch_size,
            args.profiler if args.profile and kind == profile_kind else None,
        )
        results[kind] = result["result"]
        if result["profile"] is not None:
            profile = {**result["profile"], "storage": kind}
    print()
    print_table(results, args)
    print(
        f"oneplan source {code['sha256']} (newest change {code['newest_change']}); "
        f"total wall time {time.perf_counter() - started:.1f} s"
    )
    if args.json:
        out = {
            "citizens": args.citizens,
            "events_per_citizen": args.events_per_citizen,
            "rounds": args.rounds,
            "page": PAGE,
            "python": sys.version.split()[0],
            "workload_version": WORKLOAD_VERSION,
            "keys": args.keys,
            "oneplan_source": code,
            "storages": results,
            "profile": profile,
        }
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
