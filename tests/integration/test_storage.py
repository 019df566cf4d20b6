"""Where the record is kept: database URLs, and what one instance writes a new instance
reads back exactly (enums, exact money, dates, tuples) on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from oneplan import (
    AchievementStatus,
    ActorKind,
    BudgetArea,
    DependencyType,
    GoalStatus,
    IllegalTransition,
    InformationCategory,
    InterventionOutcome,
    InterventionStatus,
    InvalidDatabaseUrl,
    Law,
    LegalBasis,
    OnePlan,
    OverarchingGoalKind,
    ParticipantRole,
    PlanStatus,
    Sector,
    StorageError,
    demo,
)
from oneplan.demo import run_demo
from oneplan.persistence import OnePlanMapper, env_for_url
from tests.builders import ANNE, acting, open_plan, record
from tests.conftest import FixedClock

MAPPER = "oneplan.persistence:OnePlanMapper"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest) -> str:
    """A database a later OnePlan instance can open again."""
    return str(request.getfixturevalue(f"{request.param}_url"))


# --- database URLs ------------------------------------------------------------------


def test_memory_url_keeps_the_record_in_process() -> None:
    assert env_for_url("memory://") == {
        "MAPPER_TOPIC": MAPPER,
        "PERSISTENCE_MODULE": "eventsourcing.popo",
        "APPLICATION_RECORDER_TOPIC": "oneplan.recorders:MemoryRecorder",
    }


@pytest.mark.parametrize(
    ("url", "dbname"),
    [
        ("sqlite:///oneplan.db", "oneplan.db"),
        ("sqlite:///data/oneplan.db", "data/oneplan.db"),
        ("sqlite:////var/lib/oneplan/oneplan.db", "/var/lib/oneplan/oneplan.db"),
        ("sqlite:///:memory:", ":memory:"),
        ("sqlite:///my%20plans.db", "my plans.db"),
        ("SQLITE:///oneplan.db", "oneplan.db"),
    ],
)
def test_sqlite_url_names_the_file(url: str, dbname: str) -> None:
    env = env_for_url(url)

    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["APPLICATION_RECORDER_TOPIC"] == "oneplan.recorders:SQLiteRecorder"
    assert env["SQLITE_DBNAME"] == dbname
    assert env["CREATE_TABLE"] == "true"
    assert env["MAPPER_TOPIC"] == MAPPER


def test_sqlite_writes_wait_for_a_busy_database_instead_of_failing_at_once(
    sqlite_url: str, clock: FixedClock
) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    with OnePlan.open(sqlite_url, clock=clock) as app:
        acting(app, ANNE).register_citizen(name="Mette", birth_date=date(1984, 5, 2))
        before = app.recorder.max_notification_id()
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock...
        release = threading.Timer(0.5, lambda: other.execute("COMMIT"))
        release.start()  # ...for half a second
        started = time.monotonic()
        try:
            acting(app, ANNE).register_citizen(name="Jonas", birth_date=date(2010, 3, 9))
        finally:
            release.join()
            other.close()
        waited = time.monotonic() - started

        assert waited >= 0.4
        assert app.recorder.max_notification_id() == before + 1


def test_sqlite_writes_begin_immediate(sqlite_url: str, clock: FixedClock) -> None:
    statements: list[str] = []
    with OnePlan.open(sqlite_url, clock=clock) as app:
        anne = acting(app, ANNE)  # (in the staff directory before the trace)
        with app.recorder.datastore.get_connection(commit=True) as connection:  # type: ignore[attr-defined]
            connection._sqlite_conn.set_trace_callback(statements.append)
        anne.register_citizen(name="Mette", birth_date=date(1984, 5, 2))

    # Reading the sender's staff record may take a deferred read transaction; every
    # transaction that writes takes the write lock first.
    transactions: list[list[str]] = []
    for statement in statements:
        if statement.startswith("BEGIN"):
            transactions.append([statement])
        elif transactions:
            transactions[-1].append(statement)
    writing = ("INSERT", "UPDATE", "DELETE")
    writes = [t for t in transactions if any(s.lstrip().upper().startswith(writing) for s in t[1:])]
    assert writes
    assert all(t[0] == "BEGIN IMMEDIATE" for t in writes)


def test_postgresql_url_names_user_password_host_port_database_and_schema() -> None:
    env = env_for_url("postgresql://anne:p%40ss%3Aword@db.example.dk:6543/oneplan?schema=furesoe")

    assert env == {
        "MAPPER_TOPIC": MAPPER,
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": "oneplan.postgres_recorder:PostgresRecorder",
        "POSTGRES_DBNAME": "oneplan",
        "POSTGRES_HOST": "db.example.dk",
        "POSTGRES_PORT": "6543",
        "POSTGRES_USER": "anne",
        "POSTGRES_PASSWORD": "p@ss:word",
        "POSTGRES_SCHEMA": "furesoe",
        "CREATE_TABLE": "true",
    }


@pytest.mark.parametrize(
    "url",
    ["postgres://db.example.dk/oneplan", "postgresql+psycopg://db.example.dk/oneplan"],
)
def test_postgresql_url_defaults_to_user_postgres_on_port_5432_without_a_schema(url: str) -> None:
    env = env_for_url(url)

    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_USER"], env["POSTGRES_PORT"], env["POSTGRES_PASSWORD"]) == (
        "postgres",
        "5432",
        "",
    )
    assert "POSTGRES_SCHEMA" not in env


JUNK_URLS = [
    "sqlite://x",
    "sqlite://oneplan.db",
    "sqlite:///",
    "mysql://root@localhost/oneplan",
    "postgresql:///nodb",
    "postgresql://db.example.dk/",
    "oneplan.db",
    "",
]


@pytest.mark.parametrize("url", JUNK_URLS)
def test_a_junk_url_is_refused_naming_it(url: str) -> None:
    with pytest.raises(InvalidDatabaseUrl) as refused:
        env_for_url(url)

    assert refused.value.url == url  # type: ignore[attr-defined]


@pytest.mark.parametrize("url", JUNK_URLS)
def test_opening_a_junk_url_is_refused_before_touching_any_store(url: str) -> None:
    with pytest.raises(InvalidDatabaseUrl):
        OnePlan.open(url)


def test_a_sqlite_file_in_a_missing_directory_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        OnePlan.open(f"sqlite:///{tmp_path / 'missing' / 'oneplan.db'}")


def test_a_stored_event_that_cannot_be_read_is_reported_as_a_storage_error(
    tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "oneplan.db"
    url = f"sqlite:///{path}"
    with OnePlan.open(url, clock=clock) as writer:
        plan_id, _ = open_plan(writer)
    db = sqlite3.connect(path)
    with db:
        damaged = db.execute(
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = 2",
            (b'{"nonsense": 1}', plan_id.hex),
        ).rowcount
    db.close()
    assert damaged == 1

    with OnePlan.open(url, clock=clock) as reader:
        before = len(reader.recorder.select_notifications(start=1, limit=10**6))
        with pytest.raises(StorageError):
            record(reader).plan(plan_id)
        with pytest.raises(StorageError):
            record(reader).history(plan_id)
        with pytest.raises(StorageError):
            acting(reader, ANNE).set_goal(plan_id=plan_id, description="In work")
        assert len(reader.recorder.select_notifications(start=1, limit=10**6)) == before


def test_an_in_memory_sqlite_database_keeps_the_record_while_open(clock: FixedClock) -> None:
    with OnePlan.open("sqlite:///:memory:", clock=clock) as app:
        plan_id, _ = open_plan(app)

        assert record(app).plan(plan_id).status is PlanStatus.ACTIVE


def test_every_instance_writes_events_with_the_oneplan_mapper(app: OnePlan) -> None:
    assert isinstance(app.mapper, OnePlanMapper)


# --- what is written is read back exactly -------------------------------------------


def _state(aggregate: Any) -> dict[str, Any]:
    return dict(vars(aggregate))


def _everything(app: OnePlan, plan_id: UUID) -> dict[UUID, dict[str, Any]]:
    plan = record(app).plan(plan_id)
    states = {plan_id: _state(plan)}
    states.update({c: _state(record(app).citizen(c)) for c in plan.citizen_ids})
    states.update({i: _state(record(app).intervention(i)) for i in plan.intervention_ids})
    return states


def test_a_new_instance_reads_back_exactly_what_another_instance_wrote(
    shared_url: str, clock: FixedClock
) -> None:
    with OnePlan.open(shared_url, clock=clock) as writer:
        plan_id = run_demo(writer, say=lambda _: None)
        written = _everything(writer, plan_id)
        written_log = [
            (type(e), e.originator_id, e.originator_version) for e in record(writer).all_events()
        ]

    with OnePlan.open(shared_url, clock=clock) as reader:
        assert _everything(reader, plan_id) == written
        read_log = [
            (type(e), e.originator_id, e.originator_version) for e in record(reader).all_events()
        ]
        assert read_log == written_log
        assert len(read_log) == len(reader.recorder.select_notifications(start=1, limit=10**6))


def test_an_open_instance_reads_and_decides_on_what_another_instance_wrote_since(
    shared_url: str, clock: FixedClock
) -> None:
    with (
        OnePlan.open(shared_url, clock=clock) as a,
        OnePlan.open(shared_url, clock=clock) as b,
    ):
        plan_id, _ = open_plan(a)
        goal = acting(a, ANNE).set_goal(plan_id=plan_id, description="Takes the bus alone")
        assert record(a).plan(plan_id).goals[goal].status is GoalStatus.ACTIVE

        acting(b, ANNE).complete_goal(plan_id=plan_id, goal_id=goal)

        assert record(a).plan(plan_id).goals[goal].status is GoalStatus.COMPLETED
        assert record(a).plan(plan_id).version == record(b).plan(plan_id).version
        with pytest.raises(IllegalTransition):
            acting(a, ANNE).record_goal_progress(
                plan_id=plan_id, goal_id=goal, achievement=AchievementStatus.ACHIEVED
            )


def test_values_come_back_with_their_exact_types(shared_url: str, clock: FixedClock) -> None:
    with OnePlan.open(shared_url, clock=clock) as writer:
        plan_id = run_demo(writer, say=lambda _: None)
        back_goal = next(
            g.goal_id
            for g in record(writer).plan(plan_id).goals.values()
            if g.description.startswith("Kan arbejde fire timer")
        )
        writer.as_(demo.ANNE).record_goal_progress(
            plan_id=plan_id,
            goal_id=back_goal,
            achievement=AchievementStatus.IMPROVING,
            measured_value="2.50",
        )

    with OnePlan.open(shared_url, clock=clock) as reader:
        plan = record(reader).plan(plan_id)
        mette_id, jonas_id = plan.citizen_ids
        physio, _, training = record(reader).interventions_of(plan_id)
        mette = record(reader).citizen(mette_id)

    assert plan.status is PlanStatus.ACTIVE
    assert type(plan.citizen_ids) is tuple
    assert type(plan.replaces) is tuple
    assert plan.replaces[0].sector is Sector.EMPLOYMENT
    assert plan.replaces[0].legal_basis == LegalBasis(law=Law.LAB, section="30 b")
    assert plan.legal_bases[1].law is Law.SEL
    assert plan.legal_bases[1].section == "141 stk. 7"
    assert plan.overarching_goal is not None
    assert plan.overarching_goal.kind is OverarchingGoalKind.PARTIAL_SELF_SUPPORT
    assert plan.overarching_goal.hours_per_week == 20
    assert plan.coordinator is not None
    assert plan.coordinator.sector is Sector.EMPLOYMENT
    assert plan.coordinator.authorities == (Law.LAB, Law.LAS, Law.SEL)
    assert plan.participants["karin.f"].role is ParticipantRole.FAMILY_COORDINATOR
    assert type(plan.participants["karin.f"].shared_under_consents) is tuple

    goals = {g.description: g for g in plan.goals.values()}
    work = goals["I arbejde 20 timer om ugen"]
    assert type(work.due) is date
    assert work.due == date(2027, 6, 30)
    assert work.target is not None
    assert type(work.target.value) is Decimal
    assert work.target.value == Decimal(20)
    back = goals["Kan arbejde fire timer ad gangen uden rygsmerter"]
    assert back.achievement is AchievementStatus.IMPROVING
    assert type(back.measured_value) is Decimal
    assert str(back.measured_value) == "2.50"

    (meeting,) = plan.meetings
    assert type(meeting.attendees) is tuple
    assert meeting.attendees[-1].kind is ActorKind.CITIZEN
    assert type(meeting.decisions) is tuple
    assert meeting.next_meeting == date(2026, 9, 1)

    assert physio.status is InterventionStatus.COMPLETED
    assert physio.outcome is InterventionOutcome.GOALS_MET
    assert physio.sector is Sector.HEALTH
    assert type(physio.planned_cost.amount) is Decimal
    assert str(physio.planned_cost.amount) == "14400.00"
    (cost,) = physio.actual_costs
    assert (str(cost.amount.amount), cost.amount.currency) == ("13650.00", "DKK")
    assert cost.budget_area is BudgetArea.SERVICE
    assert type(cost.period.start) is date
    assert (cost.period.start, cost.period.end) == (date(2026, 2, 9), date(2026, 5, 29))
    assert physio.decision is not None
    assert physio.decision.legal_basis == LegalBasis.parse("SUL § 140")
    assert type(training.goal_ids) is tuple
    assert training.dependencies[0].type is DependencyType.AFTER_END
    assert training.dependencies[0].on_intervention_id == physio.id

    assert type(mette.birth_date) is date
    assert mette.birth_date == date(1984, 5, 2)
    (consent,) = mette.consents.values()
    assert consent.recipient_sectors == frozenset(
        {Sector.EMPLOYMENT, Sector.SOCIAL, Sector.CHILDREN_AND_FAMILY}
    )
    assert all(type(s) is Sector for s in consent.recipient_sectors)
    assert InformationCategory.PROGRESS_NOTES in consent.categories
    assert type(consent.given_by) is tuple
    assert consent.given_by[0].kind is ActorKind.CITIZEN
    assert type(mette.sanction_ids) is tuple
    assert mette.social_contact_person is not None
    assert mette.social_contact_person.sector is Sector.SOCIAL
    assert jonas_id not in mette.consents


def test_stored_events_keep_tuples_and_enums_in_their_own_fields(
    shared_url: str, clock: FixedClock
) -> None:
    with OnePlan.open(shared_url, clock=clock) as writer:
        plan_id = run_demo(writer, say=lambda _: None)

    with OnePlan.open(shared_url, clock=clock) as reader:
        opened, *_ = record(reader).history(plan_id)

    assert type(opened).__name__ == "Opened"
    assert type(opened.citizen_ids) is tuple  # type: ignore[attr-defined]
    assert type(opened.replaces) is tuple  # type: ignore[attr-defined]
    assert opened.replaces[0].sector is Sector.EMPLOYMENT  # type: ignore[attr-defined]
    assert opened.actor.id == "karin.f"
    assert opened.effective_at.tzinfo is not None
    assert opened.timestamp.tzinfo is not None


def test_the_views_read_the_log_as_plain_rows_that_match_its_notifications(
    app: OnePlan,
) -> None:
    """``select_log_rows`` (the runner's read) gives what ``select_notifications``
    gives after a position, up to a stop, at most a limit: the same ids, streams (the
    same UUIDs), versions, topics and bytes."""
    run_demo(app, say=lambda _: None)
    recorder: Any = app.recorder
    head = int(recorder.max_notification_id())
    assert head > 20
    for start, limit, stop in [
        (0, 10**6, None),
        (0, 7, None),
        (5, 3, None),
        (head - 2, 10, None),
        (head, 10, None),
        (3, 100, 9),
        (3, 2, 9),
        (9, 100, 9),
        (0, 100, head + 5),
    ]:
        rows = recorder.select_log_rows(start, limit, stop)
        notifications = recorder.select_notifications(
            start=start, limit=limit, stop=stop, inclusive_of_start=False
        )
        assert [tuple(r) for r in rows] == [
            (n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in notifications
        ], (start, limit, stop)
        for r in rows:
            assert type(r.originator_id) is UUID
            assert type(r.state) is bytes
