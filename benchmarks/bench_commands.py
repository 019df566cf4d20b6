"""Benchmark: oneplan commands against bare eventsourcing saving the same events.

    python benchmarks/bench_commands.py [--storage memory,sqlite,postgres] [--plans N]
                                        [--repeat 3] [--json FILE]

For every storage:

1. **oneplan**: a scripted workload through the public ``OnePlan`` application, each
   command sent as the caseworker (or citizen) who makes it (``app.as_(principal)``,
   one session per person, made before timing; per plan: two citizens registered,
   consents, a plan opened with a coordinator, wishes, goals and sub-goals, a
   hand-over, a participant, three interventions proposed, a dependency, granted,
   started, paused, resumed, completed, progress, a meeting, a sanction after the
   social-services contact, delivery). The staff directory (an administrator, a
   manager per sector, the five caseworkers and their delegations) is registered on
   each fresh store before timing. Each command is timed with
   ``time.perf_counter_ns``. ``_record`` (which every save goes through) is wrapped on
   the instance to capture the exact events of every save (one per command).
2. **bare**: the same events, in the same per-save groups and order, saved through a
   bare ``eventsourcing.application.Application`` with its default mapper and JSON
   transcoder, on a fresh store of the same kind with equal settings (holding the
   staff directory's events too, saved before timing). Each event is turned into a
   plain event object whose attributes are the oneplan event's fields as JSON-native
   values (see README), so the bare default transcoder writes payloads of the same
   size. Each save is timed.

A warm-up run precedes measurement; every measurement is repeated (default 3) on a
fresh store and the median is reported.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from decimal import Decimal
from typing import Any

import orjson
from eventsourcing.application import Application
from eventsourcing.domain import DomainEvent

from oneplan.application import OnePlan
from oneplan.persistence import env_for_url
from oneplan.principals import Principal
from oneplan.usecases import Session
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
    Responsibility,
    Sector,
    SectorPlanRef,
    StaffRole,
    Target,
)

PG_DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DEFAULT_PLANS = 100
STORAGES = ("memory", "sqlite", "postgres")

# --- the workload ---------------------------------------------------------------------

KARIN = Principal.staff("karin.f")
ANNE = Principal.staff("anne.t")
PETER = Principal.staff("peter.j")
LARS = Principal.staff("lars.s")
SOFIE = Principal.staff("sofie.h")

STAFF: tuple[tuple[str, str, Sector, tuple[Law, ...]], ...] = (
    ("karin.f", "Karin Friis", Sector.CHILDREN_AND_FAMILY, (Law.BL,)),
    ("anne.t", "Anne Thomsen", Sector.EMPLOYMENT, (Law.LAB, Law.LAS, Law.SEL)),
    ("peter.j", "Peter Juhl", Sector.EMPLOYMENT, (Law.LAB, Law.LAS)),
    ("lars.s", "Lars Skov", Sector.SOCIAL, (Law.SEL,)),
    ("sofie.h", "Sofie Holm", Sector.HEALTH, (Law.SUL,)),
)
"""The workload's staff: id, name, sector, the laws delegated to them."""

WISHES = "Jeg vil gerne arbejde med mennesker igen, og der skal være ro derhjemme."


def _at(day: date) -> datetime:
    return datetime.combine(day, dtime(10, 0), tzinfo=UTC)


STAFF_SINCE = _at(date(2025, 12, 1))


def register_staff(app: OnePlan) -> None:
    """The workload's staff directory (rule 11) on a fresh store: the first administrator,
    a manager per sector, the caseworkers, and authority under each law delegated by
    their manager. Written before any timing (it is set-up, not workload)."""
    app.bootstrap(
        staff_id="it.admin", name="Ida Thorsen", sector=Sector.SOCIAL, effective_at=STAFF_SINCE
    )
    admin = app.as_(Principal.staff("it.admin"))
    for sector in dict.fromkeys(sector for _, _, sector, _ in STAFF):
        admin.register_staff(
            staff_id=f"leder.{sector.value}",
            name=f"Leder, {sector.value}",
            sector=sector,
            roles=[StaffRole.MANAGER],
            effective_at=STAFF_SINCE,
        )
    for staff_id, name, sector, laws in STAFF:
        admin.register_staff(staff_id=staff_id, name=name, sector=sector, effective_at=STAFF_SINCE)
        for law in laws:
            app.as_(Principal.staff(f"leder.{sector.value}")).delegate_authority(
                staff_id=staff_id,
                law=law,
                basis="Furesø Kommunes delegationsplan",
                period=Period(start=STAFF_SINCE.date()),
                effective_at=STAFF_SINCE,
            )


class Cast:
    """The workload's caseworkers, each a session of their own (made before timing, as a
    service holds one per authenticated user), and the citizen's own."""

    def __init__(self, app: OnePlan) -> None:
        self.app = app
        self.karin = app.as_(KARIN)
        self.anne = app.as_(ANNE)
        self.peter = app.as_(PETER)
        self.lars = app.as_(LARS)
        self.sofie = app.as_(SOFIE)

    def citizen(self, citizen_id: uuid.UUID) -> Session:
        """The citizen, signed in themself (a session made per command)."""
        return self.app.as_(Principal.citizen(citizen_id))


def staffed(app: OnePlan) -> Cast:
    """Register the workload's staff on a fresh ``app`` and return its cast."""
    register_staff(app)
    return Cast(app)


Step = Callable[[Cast, dict[str, Any]], None]


def _plan_script(i: int) -> list[tuple[str, Step]]:
    """The commands of one family's plan, in order; each step runs exactly one command
    and may remember an id in ``ids`` for later steps."""
    period = Period(start=date(2026, 1, 12), end=date(2027, 12, 31))
    day = date

    def put(key: str, fn: Callable[[Cast, dict[str, Any]], Any]) -> Step:
        def step(cast: Cast, ids: dict[str, Any]) -> None:
            ids[key] = fn(cast, ids)

        return step

    s: list[tuple[str, Step]] = [
        (
            "register_citizen",
            put(
                "mette",
                lambda a, _: a.karin.register_citizen(
                    name=f"Mette Hansen {i}",
                    birth_date=day(1984, 5, 2),
                    effective_at=_at(day(2026, 1, 12)),
                ),
            ),
        ),
        (
            "register_citizen",
            put(
                "jonas",
                lambda a, _: a.karin.register_citizen(
                    name=f"Jonas Hansen {i}",
                    birth_date=day(2010, 3, 9),
                    effective_at=_at(day(2026, 1, 12)),
                ),
            ),
        ),
        (
            "grant_consent",
            put(
                "mc",
                lambda a, ids: a.karin.grant_consent(
                    citizen_id=ids["mette"],
                    effective_at=_at(day(2026, 1, 12)),
                    recipient_sectors=[
                        Sector.EMPLOYMENT,
                        Sector.SOCIAL,
                        Sector.HEALTH,
                        Sector.CHILDREN_AND_FAMILY,
                    ],
                    categories=[
                        InformationCategory.GOALS,
                        InformationCategory.INTERVENTIONS,
                        InformationCategory.PROGRESS_NOTES,
                        InformationCategory.MEETING_DECISIONS,
                    ],
                    purpose="one coordinated family plan",
                    period=period,
                    given_by=[ConsentGiver(kind=ActorKind.CITIZEN, name="Mette Hansen")],
                    given_how=ConsentGivenHow.IN_MEETING,
                ),
            ),
        ),
        (
            "grant_consent",
            put(
                "jc",
                lambda a, ids: a.karin.grant_consent(
                    citizen_id=ids["jonas"],
                    effective_at=_at(day(2026, 1, 12)),
                    recipient_sectors=[
                        Sector.CHILDREN_AND_FAMILY,
                        Sector.SOCIAL,
                        Sector.EMPLOYMENT,
                    ],
                    categories=[InformationCategory.GOALS, InformationCategory.INTERVENTIONS],
                    purpose="one coordinated family plan",
                    period=period,
                    given_by=[ConsentGiver(kind=ActorKind.GUARDIAN, name="Mette Hansen")],
                    given_how=ConsentGivenHow.IN_MEETING,
                ),
            ),
        ),
        (
            "open_plan",
            put(
                "plan",
                lambda a, ids: a.karin.open_plan(
                    citizen_ids=[ids["mette"], ids["jonas"]],
                    consent_ids=[ids["mc"], ids["jc"]],
                    legal_bases=["LAB § 30 b", "SEL § 141 stk. 7", "BL § 110"],
                    replaces=[
                        SectorPlanRef(
                            sector=Sector.EMPLOYMENT,
                            legal_basis=LegalBasis.parse("LAB § 30 b"),
                            reference="jobplan 2025",
                        ),
                        SectorPlanRef(
                            sector=Sector.CHILDREN_AND_FAMILY,
                            legal_basis=LegalBasis.parse("BL § 110"),
                            reference="barnets plan",
                        ),
                    ],
                    coordinator=KARIN,
                    effective_at=_at(day(2026, 1, 14)),
                ),
            ),
        ),
        (
            "record_citizens_wishes",
            put(
                "_",
                lambda a, ids: a.karin.record_citizens_wishes(
                    plan_id=ids["plan"],
                    citizen_id=ids["mette"],
                    effective_at=_at(day(2026, 1, 14)),
                    wishes=WISHES,
                    overarching_goal=OverarchingGoal(
                        kind=OverarchingGoalKind.PARTIAL_SELF_SUPPORT, hours_per_week=20
                    ),
                ),
            ),
        ),
        (
            "set_goal",
            put(
                "work",
                lambda a, ids: a.karin.set_goal(
                    plan_id=ids["plan"],
                    effective_at=_at(day(2026, 1, 14)),
                    description="In work 20 hours a week",
                    due=day(2027, 6, 30),
                    target=Target(measure="hours of work a week", value=Decimal(20), unit="hours"),
                ),
            ),
        ),
        (
            "set_goal",
            put(
                "bus",
                lambda a, ids: a.karin.set_goal(
                    plan_id=ids["plan"],
                    parent_id=ids["work"],
                    effective_at=_at(day(2026, 1, 14)),
                    description="Takes the bus alone to the job training",
                    due=day(2026, 3, 31),
                ),
            ),
        ),
        (
            "set_goal",
            put(
                "back",
                lambda a, ids: a.karin.set_goal(
                    plan_id=ids["plan"],
                    parent_id=ids["work"],
                    effective_at=_at(day(2026, 1, 14)),
                    description="Back pain allows four hours of work at a time",
                    due=day(2026, 9, 30),
                    target=Target(measure="hours without pain", value=Decimal(4), unit="hours"),
                ),
            ),
        ),
        (
            "hand_over_coordinator",
            put(
                "_",
                lambda a, ids: a.karin.hand_over_coordinator(
                    plan_id=ids["plan"],
                    new_coordinator=ANNE,
                    previous_stays_as=ParticipantRole.FAMILY_COORDINATOR,
                    reason="the family plan is in place; the family coordinator steps back",
                    effective_at=_at(day(2026, 2, 2)),
                ),
            ),
        ),
        (
            "add_participant",
            put(
                "_",
                lambda a, ids: a.anne.add_participant(
                    plan_id=ids["plan"],
                    participant=PETER,
                    effective_at=_at(day(2026, 2, 2)),
                ),
            ),
        ),
        (
            "propose_intervention",
            put(
                "physio",
                lambda a, ids: a.anne.propose_intervention(
                    plan_id=ids["plan"],
                    citizen_id=ids["mette"],
                    sector=Sector.HEALTH,
                    legal_basis="SUL § 140",
                    title="Physiotherapy for back pain",
                    goal_ids=[ids["back"]],
                    responsible=SOFIE,
                    planned_period=Period(start=day(2026, 2, 9), end=day(2026, 5, 29)),
                    planned_cost=Money.dkk("14400.00"),
                    effective_at=_at(day(2026, 2, 3)),
                ),
            ),
        ),
        (
            "propose_intervention",
            put(
                "contact",
                lambda a, ids: a.anne.propose_intervention(
                    plan_id=ids["plan"],
                    citizen_id=ids["mette"],
                    sector=Sector.SOCIAL,
                    legal_basis="SEL § 85",
                    title="Support contact person",
                    goal_ids=[ids["bus"]],
                    responsible=LARS,
                    planned_period=Period(start=day(2026, 2, 9), end=day(2026, 12, 31)),
                    planned_cost=Money.dkk("62000.00"),
                    effective_at=_at(day(2026, 2, 3)),
                ),
            ),
        ),
        (
            "propose_intervention",
            put(
                "training",
                lambda a, ids: a.anne.propose_intervention(
                    plan_id=ids["plan"],
                    citizen_id=ids["mette"],
                    sector=Sector.EMPLOYMENT,
                    legal_basis="LAB § 32",
                    title="Job training in a care home",
                    goal_ids=[ids["work"]],
                    responsible=ANNE,
                    planned_period=Period(start=day(2026, 6, 1), end=day(2026, 11, 30)),
                    planned_cost=Money.dkk("18000.00"),
                    effective_at=_at(day(2026, 2, 3)),
                ),
            ),
        ),
        (
            "add_dependency",
            put(
                "_",
                lambda a, ids: a.anne.add_dependency(
                    intervention_id=ids["training"],
                    on_intervention_id=ids["physio"],
                    type=DependencyType.AFTER_END,
                    effective_at=_at(day(2026, 2, 3)),
                ),
            ),
        ),
        (
            "grant_intervention",
            put(
                "_",
                lambda a, ids: a.anne.grant_intervention(
                    intervention_id=ids["contact"],
                    effective_at=_at(day(2026, 2, 4)),
                    note="granted on the spot by the cross-authority caseworker",
                ),
            ),
        ),
        (
            "grant_intervention",
            put(
                "_",
                lambda a, ids: a.sofie.grant_intervention(
                    intervention_id=ids["physio"], effective_at=_at(day(2026, 2, 4))
                ),
            ),
        ),
        (
            "grant_intervention",
            put(
                "_",
                lambda a, ids: a.anne.grant_intervention(
                    intervention_id=ids["training"], effective_at=_at(day(2026, 2, 4))
                ),
            ),
        ),
        (
            "start_intervention",
            put(
                "_",
                lambda a, ids: a.lars.start_intervention(
                    intervention_id=ids["contact"], effective_at=_at(day(2026, 2, 9))
                ),
            ),
        ),
        (
            "record_social_contact_person",
            put(
                "_",
                lambda a, ids: a.lars.record_social_contact_person(
                    citizen_id=ids["mette"],
                    contact_person=LARS,
                    effective_at=_at(day(2026, 2, 9)),
                ),
            ),
        ),
        (
            "start_intervention",
            put(
                "_",
                lambda a, ids: a.sofie.start_intervention(
                    intervention_id=ids["physio"], effective_at=_at(day(2026, 2, 9))
                ),
            ),
        ),
        (
            "pause_intervention",
            put(
                "_",
                lambda a, ids: a.sofie.pause_intervention(
                    intervention_id=ids["physio"],
                    reason="Mette is admitted to hospital",
                    expected_resume=day(2026, 3, 16),
                    effective_at=_at(day(2026, 3, 2)),
                ),
            ),
        ),
        (
            "resume_intervention",
            put(
                "_",
                lambda a, ids: a.sofie.resume_intervention(
                    intervention_id=ids["physio"], effective_at=_at(day(2026, 3, 16))
                ),
            ),
        ),
        (
            "record_goal_progress",
            put(
                "_",
                # The coordinator records it (Lars, the contact person, is not a
                # participant of the plan: only its holders change it).
                lambda a, ids: a.anne.record_goal_progress(
                    plan_id=ids["plan"],
                    goal_id=ids["bus"],
                    achievement=AchievementStatus.ACHIEVED,
                    note="took the bus alone three weeks running",
                    effective_at=_at(day(2026, 3, 27)),
                ),
            ),
        ),
        (
            "complete_goal",
            put(
                "_",
                lambda a, ids: a.anne.complete_goal(
                    plan_id=ids["plan"],
                    goal_id=ids["bus"],
                    effective_at=_at(day(2026, 3, 30)),
                ),
            ),
        ),
        (
            "record_actual_cost",
            put(
                "_",
                lambda a, ids: a.sofie.record_actual_cost(
                    intervention_id=ids["physio"],
                    amount=Money.dkk("13650.00"),
                    budget_area=BudgetArea.SERVICE,
                    period=Period(start=day(2026, 2, 9), end=day(2026, 5, 29)),
                    effective_at=_at(day(2026, 5, 29)),
                ),
            ),
        ),
        (
            "complete_intervention",
            put(
                "_",
                lambda a, ids: a.sofie.complete_intervention(
                    intervention_id=ids["physio"],
                    outcome=InterventionOutcome.GOALS_MET,
                    effective_at=_at(day(2026, 5, 29)),
                ),
            ),
        ),
        (
            "hold_meeting",
            put(
                "_",
                lambda a, ids: a.anne.hold_meeting(
                    plan_id=ids["plan"],
                    effective_at=_at(day(2026, 6, 1)),
                    attendees=[
                        MeetingAttendee(id="anne.t", sector=Sector.EMPLOYMENT),
                        MeetingAttendee(id="peter.j", sector=Sector.EMPLOYMENT),
                        MeetingAttendee(id="lars.s", sector=Sector.SOCIAL),
                        MeetingAttendee(id=str(ids["mette"]), kind=ActorKind.CITIZEN),
                    ],
                    decisions=[
                        "Job training starts now, three days a week",
                        "The contact person goes with Mette the first week",
                    ],
                    responsibilities=[
                        Responsibility(
                            intervention_id=ids["training"],
                            caseworker=Actor.caseworker("peter.j", Sector.EMPLOYMENT),
                        )
                    ],
                    next_meeting=day(2026, 9, 1),
                ),
            ),
        ),
        (
            "start_intervention",
            put(
                "_",
                lambda a, ids: a.peter.start_intervention(
                    intervention_id=ids["training"], effective_at=_at(day(2026, 6, 1))
                ),
            ),
        ),
        (
            "revoke_consent",
            put(
                "_",
                lambda a, ids: a.citizen(ids["mette"]).revoke_consent(
                    citizen_id=ids["mette"],
                    consent_id=ids["mc"],
                    sectors=[Sector.HEALTH],
                    reason="the back treatment is over",
                    effective_at=_at(day(2026, 6, 15)),
                ),
            ),
        ),
        (
            "record_social_contact_made",
            put(
                "_",
                lambda a, ids: a.peter.record_social_contact_made(
                    citizen_id=ids["mette"],
                    regarding="missed job training twice",
                    effective_at=_at(day(2026, 7, 6)),
                ),
            ),
        ),
        (
            "impose_sanction",
            put(
                "_",
                lambda a, ids: a.peter.impose_sanction(
                    citizen_id=ids["mette"],
                    legal_basis="LAS § 36",
                    reason="missed job training",
                    effective_at=_at(day(2026, 7, 8)),
                ),
            ),
        ),
        (
            "deliver_plan",
            put(
                "_",
                lambda a, ids: a.anne.deliver_plan(
                    plan_id=ids["plan"],
                    channel=DeliveryChannel.DIGITAL_POST,
                    effective_at=_at(day(2026, 7, 9)),
                ),
            ),
        ),
    ]
    return s


# --- the bare baseline ---------------------------------------------------------------


class PlainEvent(DomainEvent):
    """A bare eventsourcing event (originator_id, originator_version, timestamp) whose
    other attributes are plain JSON-native values (dict/list/str/int), set per instance.
    The default mapper stores ``vars(event)`` through the default JSON transcoder."""


_PLAIN_CLASSES: dict[type[Any], type[PlainEvent]] = {}


def _plain_class(cls: type[Any]) -> type[PlainEvent]:
    """One bare event class per oneplan event class, with the same qualified name, so
    the stored topics are of about the same length."""
    found = _PLAIN_CLASSES.get(cls)
    if found is None:
        found = type(cls.__name__, (PlainEvent,), {"__qualname__": cls.__qualname__})
        _PLAIN_CLASSES[cls] = found
    return found


def _make_plain(cls: type[PlainEvent], state: dict[str, Any]) -> PlainEvent:
    event = cls.__new__(cls)
    event.__dict__.update(state)
    return event


def to_plain_batches(
    app: OnePlan, batches: list[list[Any]]
) -> list[list[tuple[type[PlainEvent], dict[str, Any]]]]:
    """Each oneplan event as (bare class, state): the fields exactly as oneplan's mapper
    writes them, parsed back to JSON-native values; originator_id, originator_version
    and timestamp keep their types (UUID, int, datetime) as in any eventsourcing event."""
    out = []
    for batch in batches:
        plain_batch = []
        for event in batch:
            stored = app.mapper.to_stored_event(event)
            state = orjson.loads(stored.state)
            state["originator_id"] = event.originator_id
            state["originator_version"] = event.originator_version
            state["timestamp"] = event.timestamp
            plain_batch.append((_plain_class(type(event)), state))
        out.append(plain_batch)
    return out


# --- storage -------------------------------------------------------------------------


class Store:
    """Makes a fresh store of one kind for each run, and cleans up at the end."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.tmpdir = tempfile.mkdtemp(prefix="oneplan-bench-") if kind == "sqlite" else None
        self.schemas: list[str] = []
        self.count = 0

    def fresh_url(self) -> str:
        self.count += 1
        if self.kind == "memory":
            return "memory://"
        if self.kind == "sqlite":
            assert self.tmpdir
            return f"sqlite:///{self.tmpdir}/run{self.count}.db"
        import psycopg

        schema = f"bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        self.schemas.append(schema)
        return f"{PG_DSN}?schema={schema}"

    def close(self) -> None:
        if self.tmpdir:
            for name in os.listdir(self.tmpdir):
                os.remove(os.path.join(self.tmpdir, name))
            os.rmdir(self.tmpdir)
        if self.schemas:
            import psycopg

            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                for schema in self.schemas:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            self.schemas.clear()


BARE_RECORDER = "oneplan"
"""Which recorder the bare side writes through on SQLite and PostgreSQL: ``oneplan``'s
(the same one oneplan writes through, so the comparison isolates everything above the
recorder; the figures quoted since issue 8) or ``eventsourcing``'s own (bare
eventsourcing end to end: ``--bare-recorder eventsourcing``). In memory both sides use
eventsourcing's (its memory factory takes no other)."""


def bare_env(url: str) -> dict[str, str]:
    """The same settings oneplan uses for ``url``, with eventsourcing's default mapper
    (and, with ``BARE_RECORDER = "eventsourcing"``, eventsourcing's own recorder)."""
    env = env_for_url(url)
    env.pop("MAPPER_TOPIC")
    if BARE_RECORDER == "eventsourcing":
        env.pop("APPLICATION_RECORDER_TOPIC", None)
    return env


# --- runs ----------------------------------------------------------------------------


@dataclass
class RunResult:
    commands: int
    events: int
    elapsed_ns: int
    latencies_ns: list[int]
    payload_bytes: int = 0
    cpu_ns: int = 0
    """This process's CPU time over the loop (PostgreSQL's server work is not in it)."""
    setup: list[list[Any]] = field(default_factory=list)
    """The events of the staff directory's saves, written before timing."""

    @property
    def cmd_per_s(self) -> float:
        return self.commands / (self.elapsed_ns / 1e9)

    @property
    def ev_per_s(self) -> float:
        return self.events / (self.elapsed_ns / 1e9)

    @property
    def ev_per_cpu_s(self) -> float:
        return self.events / (self.cpu_ns / 1e9) if self.cpu_ns else 0.0

    def pct_ms(self, q: float) -> float:
        data = sorted(self.latencies_ns)
        k = min(len(data) - 1, max(0, round(q * (len(data) - 1))))
        return data[k] / 1e6


def _quiet_gc() -> None:
    gc.collect()


def run_oneplan(url: str, plans: int) -> tuple[RunResult, list[list[Any]], OnePlan]:
    """Run the workload on a fresh OnePlan; return figures, the events of each save
    (the staff directory's, registered first and not timed, in ``RunResult.setup``)."""
    app = OnePlan.open(url)
    batches: list[list[Any]] = []
    original_record = app._record

    def record(processing_event: Any) -> Any:
        recordings = original_record(processing_event)
        batches.append([r.domain_event for r in recordings])
        return recordings

    app._record = record  # type: ignore[method-assign]
    cast = staffed(app)
    setup = batches[:]
    batches.clear()
    scripts = [_plan_script(i) for i in range(plans)]
    latencies: list[int] = []
    _quiet_gc()
    clock = time.perf_counter_ns
    cpu0 = time.process_time_ns()
    t0 = clock()
    for script in scripts:
        ids: dict[str, Any] = {}
        for _name, step in script:
            s = clock()
            step(cast, ids)
            latencies.append(clock() - s)
    elapsed = clock() - t0
    cpu = time.process_time_ns() - cpu0
    commands = len(latencies)
    if len(batches) != commands:
        raise RuntimeError(f"{commands} commands but {len(batches)} saves")
    events = sum(len(b) for b in batches)
    result = RunResult(commands, events, elapsed, latencies, cpu_ns=cpu, setup=setup)
    return result, batches, app


def run_bare(
    url: str,
    plain: list[list[tuple[type[PlainEvent], dict[str, Any]]]],
    setup: Sequence[list[tuple[type[PlainEvent], dict[str, Any]]]] = (),
) -> RunResult:
    """Save the same events, in the same groups, through a bare Application (the
    ``setup`` saves first, not timed, as oneplan's staff directory is not)."""
    app: Application[Any] = Application(env=bare_env(url))
    latencies: list[int] = []
    try:
        for batch in setup:
            app.save(*[_make_plain(cls, state) for cls, state in batch])
        before = sum(len(b) for b in setup)
        _quiet_gc()
        clock = time.perf_counter_ns
        make = _make_plain
        save = app.save
        cpu0 = time.process_time_ns()
        t0 = clock()
        for batch in plain:
            s = clock()
            save(*[make(cls, state) for cls, state in batch])
            latencies.append(clock() - s)
        elapsed = clock() - t0
        cpu = time.process_time_ns() - cpu0
        events = sum(len(b) for b in plain)
        payload = _payload_bytes(app, plain)
        stored = (app.recorder.max_notification_id() or 0) - before
        if stored != events:
            raise RuntimeError(f"bare stored {stored} events, expected {events}")
    finally:
        app.close()
    return RunResult(len(latencies), events, elapsed, latencies, payload, cpu)


def _payload_bytes(app: Any, plain: list[list[tuple[type[PlainEvent], dict[str, Any]]]]) -> int:
    return sum(
        len(app.mapper.to_stored_event(_make_plain(cls, state)).state)
        for batch in plain
        for cls, state in batch
    )


def bench_storage(kind: str, plans: int, repeat: int, warmup_plans: int) -> dict[str, Any]:
    store = Store(kind)
    try:
        # Warm-up: imports, pydantic adapters, topic caches, connections, page cache.
        wresult, wb, wapp = run_oneplan(store.fresh_url(), warmup_plans)
        wplain = to_plain_batches(wapp, wb)
        wsetup = to_plain_batches(wapp, wresult.setup)
        wapp.close()
        run_bare(store.fresh_url(), wplain, wsetup)

        one_runs: list[RunResult] = []
        bare_runs: list[RunResult] = []
        for _ in range(repeat):
            result, batches, app = run_oneplan(store.fresh_url(), plans)
            plain = to_plain_batches(app, batches)
            setup = to_plain_batches(app, result.setup)
            result.payload_bytes = sum(
                len(app.mapper.to_stored_event(e).state) for b in batches for e in b
            )
            stored = (app.recorder.max_notification_id() or 0) - sum(len(b) for b in setup)
            if stored != result.events:
                raise RuntimeError(f"oneplan stored {stored} events, saw {result.events}")
            app.close()
            one_runs.append(result)
            bare_runs.append(run_bare(store.fresh_url(), plain, setup))
    finally:
        store.close()
    return {"oneplan": summarise(one_runs), "bare": summarise(bare_runs)}


def summarise(runs: list[RunResult]) -> dict[str, Any]:
    med = statistics.median
    return {
        "runs": len(runs),
        "commands": runs[0].commands,
        "events": runs[0].events,
        "payload_bytes": runs[0].payload_bytes,
        "commands_per_s": med(r.cmd_per_s for r in runs),
        "events_per_s": med(r.ev_per_s for r in runs),
        "p50_ms": med(r.pct_ms(0.50) for r in runs),
        "p99_ms": med(r.pct_ms(0.99) for r in runs),
        "elapsed_s": med(r.elapsed_ns / 1e9 for r in runs),
        "events_per_s_all": [r.ev_per_s for r in runs],
        "events_per_cpu_s": med(r.ev_per_cpu_s for r in runs),
        "cpu_s": med(r.cpu_ns / 1e9 for r in runs),
    }


# --- output --------------------------------------------------------------------------


def print_table(results: dict[str, dict[str, Any]], plans: int, repeat: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"oneplan vs bare eventsourcing: {plans} plans, median of {repeat} runs",
    )
    for col, just in [
        ("storage", "left"),
        ("app", "left"),
        ("commands", "right"),
        ("events", "right"),
        ("payload KiB", "right"),
        ("cmd/s", "right"),
        ("events/s", "right"),
        ("p50 ms", "right"),
        ("p99 ms", "right"),
        ("events/s oneplan/bare", "right"),
    ]:
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for kind, res in results.items():
        ratio = res["oneplan"]["events_per_s"] / res["bare"]["events_per_s"]
        for app in ("oneplan", "bare"):
            r = res[app]
            table.add_row(
                kind if app == "oneplan" else "",
                app,
                str(r["commands"]),
                str(r["events"]),
                f"{r['payload_bytes'] / 1024:.0f}",
                f"{r['commands_per_s']:,.0f}",
                f"{r['events_per_s']:,.0f}",
                f"{r['p50_ms']:.3f}",
                f"{r['p99_ms']:.3f}",
                (
                    f"[{'green' if ratio >= 0.8 else 'red'}]{ratio:.2f}[/]"
                    if app == "oneplan"
                    else ""
                ),
            )
        table.add_section()
    Console(width=140).print(table)
    print("commands for bare = saves (one per oneplan command); goal: ratio >= 0.80")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--storage", default=",".join(STORAGES), help="comma-separated: memory,sqlite,postgres"
    )
    parser.add_argument(
        "--plans",
        type=int,
        default=DEFAULT_PLANS,
        help=f"plans per measured run (default {DEFAULT_PLANS})",
    )
    parser.add_argument("--repeat", type=int, default=3, help="measured runs (median)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--bare-recorder",
        choices=("oneplan", "eventsourcing"),
        default="oneplan",
        help="the recorder the bare side writes through on SQLite and PostgreSQL",
    )
    args = parser.parse_args(argv)
    global BARE_RECORDER
    BARE_RECORDER = args.bare_recorder
    kinds = [k.strip() for k in args.storage.split(",") if k.strip()]
    for k in kinds:
        if k not in STORAGES:
            parser.error(f"unknown storage {k!r}; choose from {', '.join(STORAGES)}")
    warmup = max(2, args.plans // 4)

    results: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    for kind in kinds:
        print(
            f"{kind}: warm-up {warmup} plans, then {args.repeat} x {args.plans} plans ...",
            file=sys.stderr,
            flush=True,
        )
        results[kind] = bench_storage(kind, args.plans, args.repeat, warmup)
    print_table(results, args.plans, args.repeat)
    print(f"total wall time {time.perf_counter() - started:.1f} s")
    if args.json:
        out = {
            "plans": args.plans,
            "repeat": args.repeat,
            "python": sys.version.split()[0],
            "bare_recorder": BARE_RECORDER,
            "storages": {
                kind: {
                    **res,
                    "ratio_events_per_s": res["oneplan"]["events_per_s"]
                    / res["bare"]["events_per_s"],
                }
                for kind, res in results.items()
            },
        }
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
