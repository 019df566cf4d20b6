"""The processes of the reliability tests and of ``scripts/soak_crashes.py``: writers
that send commands to shared plans, and projection runners that tail the log.

They run as separate OS processes (``multiprocessing`` forkserver children, so each
starts without the parent's connections or threads, but with oneplan already imported)
and report through files, one JSON line per fact, written with ``os.write`` on an
``O_APPEND`` descriptor: a line is in the file once ``os.write`` returned, so a process
killed with SIGKILL has reported exactly what it had done before the signal. A writer
writes a command's *intent* before sending it and its *acknowledgement* only after the
command returned, so every acknowledged command must be in the store, and at most the
one command in flight is in doubt.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

import oneplan.application
from oneplan import (
    AchievementStatus,
    ActorKind,
    BudgetArea,
    ConcurrencyConflict,
    ConsentGiver,
    InterventionStatus,
    Keys,
    OnePlan,
    OnePlanError,
    Period,
    Principal,
    Session,
)
from oneplan import commands as c
from oneplan.application import CommandReceipt
from oneplan.persistence import env_for_url
from oneplan.projections import MemoryViewStore, ProjectionRunner
from tests.builders import (
    ALL_CATEGORIES,
    ALL_SECTORS,
    ANNE,
    LARS,
    acting,
    open_plan,
    propose,
    record,
)

STAFF = (ANNE, LARS)
"""Who the writers send as. Each worker process sends as a staff principal the parent
registered in the staff directory before starting it (``register_staff``): processes
never register staff at once."""

# --- starting processes ------------------------------------------------------------


def context() -> BaseContext:
    """Fresh processes forked from a server that has oneplan imported already: each starts
    in milliseconds, with none of the parent's connections, locks or threads."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.reliability.workers"])
    return ctx


# --- reporting -----------------------------------------------------------------------


class Report:
    """An append-only file of JSON lines, each written whole by one ``os.write``."""

    def __init__(self, path: str | Path) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def write(self, **fact: Any) -> None:
        os.write(self.fd, json.dumps(fact, default=str).encode() + b"\n")

    def close(self) -> None:
        os.close(self.fd)


def read_report(path: str | Path) -> list[dict[str, Any]]:
    """The whole lines of a report (a process killed in ``os.write`` cannot leave half a
    line in a regular file, but a trailing fragment is ignored all the same)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    lines = text.split("\n")
    return [json.loads(line) for line in lines[:-1] if line]


def wait_for(path: str | Path, key: str, timeout: float = 60.0) -> dict[str, Any]:
    """The first fact in a report that has ``key`` (a process saying it is ready)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for fact in read_report(path):
            if key in fact:
                return fact
        time.sleep(0.005)
    raise TimeoutError(f"{path} never reported {key!r}")


# --- the shared record -------------------------------------------------------------


@dataclass(frozen=True)
class Shared:
    """Plans every writer sends commands to: (plan, citizen, its goals, an intervention
    in progress) each."""

    plans: tuple[tuple[UUID, UUID, tuple[UUID, ...], UUID], ...]


def register_staff(app: OnePlan) -> None:
    """Register the writers' staff (``STAFF``) in the staff directory, once, before any
    worker starts."""
    for staff in STAFF:
        acting(app, staff)


def as_staff(app: OnePlan, staff: Any) -> Session:
    """The session of a staff member already in the directory (a worker's: registering
    is the parent's, before the workers start)."""
    return app.as_(Principal.staff(staff.id))


def prepare(app: OnePlan, plans: int = 2, goals: int = 2) -> Shared:
    """Register the writers' staff, and open ``plans`` plans, each with ``goals`` goals
    and a running intervention; Lars (responsible for it) joins each plan, so that both
    write to it."""
    register_staff(app)
    made = []
    for _ in range(plans):
        plan, citizen = open_plan(app)
        acting(app, ANNE).add_participant(plan_id=plan, participant=LARS, role="caseworker")
        goal_ids = tuple(
            acting(app, ANNE).set_goal(plan_id=plan, description=f"Goal {n}") for n in range(goals)
        )
        intervention = propose(app, plan, citizen)
        acting(app, ANNE).grant_intervention(intervention_id=intervention)
        acting(app, LARS).start_intervention(intervention_id=intervention)
        made.append((plan, citizen, goal_ids, intervention))
    return Shared(tuple(made))


# --- sending commands ----------------------------------------------------------------

COMMANDS: dict[str, type[c.Command]] = {cls.__name__: cls for cls in c.COMMANDS}


def method_name(command: c.Command) -> str:
    """``RecordGoalProgress`` -> ``record_goal_progress``: the application's method."""
    name = type(command).__name__
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in name).lstrip("_")


SENDERS: dict[str, Any] = {
    "RecordGoalProgress": LARS,
    "ReviseGoal": ANNE,
    "RecordActualCost": LARS,
    "SetGoal": ANNE,
    "PauseIntervention": LARS,
    "ResumeIntervention": LARS,
    "RegisterCitizen": ANNE,
    "GrantConsent": ANNE,
    "OpenPlan": ANNE,
}
"""Who sends each kind of command the writers send (a plan's coordinator, Anne, or
Lars, a participant and the responsible caseworker of its intervention)."""


def send(app: OnePlan, command: c.Command) -> Any:
    session = as_staff(app, SENDERS[type(command).__name__])
    result: Any = getattr(session, method_name(command))(command)
    return result


def as_fact(command: c.Command) -> dict[str, Any]:
    return {"command": type(command).__name__, "body": command.model_dump(mode="json")}


def from_fact(fact: dict[str, Any]) -> c.Command:
    return COMMANDS[fact["command"]].model_validate(fact["body"])


def progress(plan: UUID, goal: UUID, tag: int) -> c.RecordGoalProgress:
    """Progress against a goal, told apart from every other by its measured value."""
    return c.RecordGoalProgress(
        plan_id=plan,
        goal_id=goal,
        achievement=AchievementStatus.IMPROVING,
        measured_value=Decimal(tag),
        command_id=uuid4(),
    )


def revision(plan: UUID, goal: UUID, tag: int) -> c.ReviseGoal:
    """A goal revised (not retried on a conflict: the caller decided on what they saw)."""
    return c.ReviseGoal(
        plan_id=plan,
        goal_id=goal,
        description=f"Revised goal {tag}",
        reason="the citizen asked",
        command_id=uuid4(),
    )


def cost(intervention: UUID, tag: int) -> c.RecordActualCost:
    """An actual cost, told apart by its amount (``tag`` kroner)."""
    return c.RecordActualCost(
        intervention_id=intervention,
        amount=Decimal(tag),
        budget_area=BudgetArea.SERVICE,
        period=Period(start=date(2026, 3, 1), end=date(2026, 3, 31)),
        command_id=uuid4(),
    )


def new_case(tag: int) -> Iterator[c.Command]:
    """A new citizen (with a CPR number), their consent and their plan: three commands,
    each its own transaction; the last saves two aggregates together."""
    citizen, consent = uuid4(), uuid4()
    # a CPR number of its own for every tag below 134 million (serial 0-3999: the 1900s)
    serial, rest = tag % 4000, tag // 4000
    day, month, year = 1 + rest % 28, 1 + rest // 28 % 12, rest // 336 % 100
    cpr = f"{day:02d}{month:02d}{year:02d}{serial:04d}"
    yield c.RegisterCitizen(citizen_id=citizen, name=f"Citizen {tag}", cpr=cpr, command_id=uuid4())
    yield c.GrantConsent(
        given_how="in-meeting",
        citizen_id=citizen,
        consent_id=consent,
        recipient_sectors=ALL_SECTORS,
        categories=ALL_CATEGORIES,
        purpose="one coordinated plan",
        period=Period(start=date(2026, 1, 1), end=date(2028, 12, 31)),
        given_by=(ConsentGiver(kind=ActorKind.CITIZEN),),
        command_id=uuid4(),
    )
    yield c.OpenPlan(
        plan_id=uuid4(),
        citizen_ids=(citizen,),
        consent_ids=(consent,),
        legal_bases=("LAB § 30 b",),
        coordinator=ANNE,
        command_id=uuid4(),
    )


# --- a writer killed at random moments -----------------------------------------------


def crash_writer(
    url: str,
    keys: Keys,
    shared: Shared,
    report_path: str,
    seed: int,
    first_tag: int,
    resend: list[dict[str, Any]],
    racing: bool = False,
) -> None:
    """Send commands until killed: first the commands a killed writer left in doubt (with
    their command ids: each takes effect once), then new ones at random. Reports
    ``intent`` before and ``ack`` after each. ``racing``: other writers send commands to
    the same plans, so a command may be refused (reported as ``refused``, with the
    error's type) on what another writer did first."""
    rng = random.Random(seed)
    report = Report(report_path)
    with OnePlan.open(url, keys=keys) as app:
        report.write(ready=os.getpid())

        def run(command: c.Command) -> bool:
            report.write(intent=str(command.command_id), **as_fact(command))
            try:
                result = send(app, command)
            except OnePlanError as e:
                if not racing:
                    raise
                report.write(refused=str(command.command_id), error=type(e).__name__)
                return False
            report.write(ack=str(command.command_id), result=result, **as_fact(command))
            return True

        for fact in resend:
            run(from_fact(fact))
        tag = first_tag
        while True:
            tag += 1
            plan, _, goals, intervention = rng.choice(shared.plans)
            kind = rng.choices(["progress", "goal", "toggle", "cost", "case"], [5, 1, 1, 1, 1])[0]
            if kind == "progress":
                run(progress(plan, rng.choice(goals), tag))
            elif kind == "goal":
                run(
                    c.SetGoal(
                        plan_id=plan,
                        goal_id=uuid4(),
                        description=f"Goal {tag}",
                        command_id=uuid4(),
                    )
                )
            elif kind == "toggle":
                status = record(app).intervention(intervention).status
                if status is InterventionStatus.IN_PROGRESS:
                    run(
                        c.PauseIntervention(
                            intervention_id=intervention,
                            reason=f"pause {tag}",
                            command_id=uuid4(),
                        )
                    )
                else:
                    run(c.ResumeIntervention(intervention_id=intervention, command_id=uuid4()))
            elif kind == "cost":
                run(cost(intervention, tag))
            else:
                for command in new_case(tag):
                    if not run(command):
                        break


# --- a projection runner tailing the log ---------------------------------------------


def runner(
    url: str,
    keys: Keys,
    report_path: str,
    batch_size: int,
    *,
    rebuild_first: bool = False,
    stop_path: str | None = None,
    interval: float = 0.005,
) -> None:
    """Keep the views caught up (``batch_size`` events a transaction) until killed, or
    until ``stop_path`` exists (then one last catch-up). Reports the notification ids it
    was given, batch by batch, and each commit's positions."""
    report = Report(report_path)
    with OnePlan.open(url, keys=keys) as app:
        views = app.views
        views.batch_size = batch_size
        # The runner reads the log with the recorder's ``select_log_rows`` (oneplan's
        # recorders have it) or ``select_notifications``: each is watched.
        for name in ("select_log_rows", "select_notifications"):
            select = getattr(app.recorder, name)

            def selecting(*args: Any, select: Any = select, **kwargs: Any) -> Any:
                found = select(*args, **kwargs)
                if found:
                    report.write(ids=[n.id for n in found])
                return found

            setattr(app.recorder, name, selecting)
        commit = views.store.commit

        def committing(rows: Any, *, from_position: int, to_position: int) -> None:
            commit(rows, from_position=from_position, to_position=to_position)
            report.write(committed=[from_position, to_position])

        views.store.commit = committing  # type: ignore[method-assign]
        report.write(ready=os.getpid())
        if rebuild_first:
            views.rebuild()
        while stop_path is None or not os.path.exists(stop_path):
            views.catch_up()
            time.sleep(interval)
        views.catch_up()
        report.write(done=views.position)


# --- writers racing on the same plans ------------------------------------------------


@dataclass
class Tally:
    """What one concurrent writer saw."""

    acks: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    """Commands refused with ``ConcurrencyConflict`` (retried to the end, or not retryable)."""
    errors: list[str] = field(default_factory=list)
    """Anything else a command raised: there must be none."""
    store_conflicts: int = 0
    """Writes the store refused because another writer had written the same version."""
    retried: int = 0
    """Commands decided again after a conflict (at the store, or a stale cached copy)."""
    positions: list[int] = field(default_factory=list)
    """The notification ids of this writer's writes, in the order they were written."""


def racing_writer(
    url: str,
    keys: Keys,
    shared: Shared,
    report_path: str,
    seed: int,
    first_tag: int,
    commands: int,
    start: Any,
) -> None:
    """Wait for ``start``, then send ``commands`` commands at random to the shared plans:
    retryable progress and costs, and goal revisions (not retried). Reports a ``Tally``."""
    rng = random.Random(seed)
    tally = Tally()
    with OnePlan.open(url, keys=keys) as app:
        insert = app.recorder.insert_events

        def inserting(*args: Any, **kwargs: Any) -> Any:
            try:
                found = insert(*args, **kwargs)
            except IntegrityError:
                tally.store_conflicts += 1
                raise
            tally.positions.extend(found or ())
            return found

        app.recorder.insert_events = inserting  # type: ignore[method-assign]
        attempts = [0]
        work_init: Callable[..., None] = oneplan.application._Work.__init__

        def attempt(self: Any, *args: Any, **kwargs: Any) -> None:
            attempts[0] += 1  # one _Work per attempt at deciding a command
            work_init(self, *args, **kwargs)

        oneplan.application._Work.__init__ = attempt  # type: ignore[method-assign]
        start.wait()
        for tag in range(first_tag, first_tag + commands):
            plan, _, goals, intervention = rng.choice(shared.plans)
            kind = rng.choices(["progress", "revision", "cost"], [3, 1, 1])[0]
            command: c.Command
            if kind == "progress":
                command = progress(plan, rng.choice(goals), tag)
            elif kind == "revision":
                command = revision(plan, rng.choice(goals), tag)
            else:
                command = cost(intervention, tag)
            fact = {"tag": tag, "kind": kind, **as_fact(command)}
            attempts[0] = 0
            try:
                fact["result"] = str(send(app, command))
                tally.acks.append(fact)
            except ConcurrencyConflict as e:
                fact["error"] = str(e)
                tally.conflicts.append(fact)
            except Exception as e:
                tally.errors.append(f"{kind} {tag}: {type(e).__name__}: {e}")
            fact["attempts"] = attempts[0]
            tally.retried += max(attempts[0] - 1, 0)
    report = Report(report_path)
    report.write(tally=tally.__dict__)
    report.close()


# --- what the store holds ----------------------------------------------------------


def tag_of(event: Any) -> int | None:
    """The tag of the command that made ``event``, for the events these writers tag."""
    name = type(event).__name__
    text = ""
    if name == "GoalProgressRecorded" and event.measured_value is not None:
        return int(event.measured_value)
    if name == "ActualCostRecorded":
        return int(event.amount.amount)
    if name == "GoalRevised":
        text = event.description.removeprefix("Revised goal ")
    elif name == "GoalSet":
        text = event.description.removeprefix("Goal ")
    elif name == "Paused":
        text = event.reason.removeprefix("pause ")
    return int(text) if text.isdigit() and int(text) >= FIRST_TAG else None


FIRST_TAG = 1000
"""Tags start here (the shared plans' own goals are ``Goal 0``, ``Goal 1``...)."""


def tags_in(app: OnePlan) -> Counter[int]:
    """How many events of the whole log carry each tag (each must carry one at most)."""
    return Counter(tag for event in record(app).all_events() if (tag := tag_of(event)) is not None)


def tag_of_fact(fact: dict[str, Any]) -> int | None:
    """The tag a reported command carries (None: a command whose effect is not tagged)."""
    body = fact["body"]
    name = fact["command"]
    if name == "RecordGoalProgress":
        return int(Decimal(body["measured_value"]))
    if name == "RecordActualCost":
        return int(Decimal(body["amount"]["amount"]))
    if name == "ReviseGoal":
        return int(body["description"].removeprefix("Revised goal "))
    if name == "SetGoal":
        return int(body["description"].removeprefix("Goal "))
    if name == "PauseIntervention":
        return int(body["reason"].removeprefix("pause "))
    return None


def views_of(runner: ProjectionRunner) -> dict[str, dict[str, Any]]:
    """Every row of every view, as stored."""
    names = [runner.routes.name, *(p.name for p in runner.projections)]
    return {name: {key: runner.get(name, key) for key in runner.keys(name)} for name in names}


def rebuilt(app: OnePlan) -> dict[str, dict[str, Any]]:
    """The views folded from zero, in memory, from the same log."""
    runner = ProjectionRunner(app, MemoryViewStore())
    runner.rebuild()
    return views_of(runner)


def notification_ids(app: OnePlan) -> list[int]:
    """Every notification id in the log, in the order the log gives them."""
    ids: list[int] = []
    while batch := app.recorder.select_notifications(
        start=ids[-1] if ids else 0, limit=1000, inclusive_of_start=False
    ):
        ids.extend(n.id for n in batch)
    return ids


def receipt_of(app: OnePlan, command_id: str | UUID) -> CommandReceipt | None:
    """The command's receipt (saved with its events), or None: the command left nothing."""
    receipt_id = CommandReceipt.id_for(UUID(str(command_id)))
    if not app.recorder.select_events(receipt_id, limit=1):
        return None
    found: CommandReceipt = app.repository.get(receipt_id)
    return found


# --- rounds of killing ---------------------------------------------------------------


@dataclass
class CrashRun:
    """What rounds of killing a writer and a runner did, and what was found wrong."""

    rounds: int = 0
    writer_kills: int = 0
    runner_kills: int = 0
    acks: list[dict[str, Any]] = field(default_factory=list)
    in_doubt: int = 0
    """Commands in flight when their writer was killed (sent again, with their ids)."""
    in_doubt_stored: int = 0
    """Of those, the ones the store already held (the kill came after the commit)."""
    refused: list[dict[str, Any]] = field(default_factory=list)
    """Commands refused on what a racing writer did first (none with one writer)."""
    counted: set[str] = field(default_factory=set)
    """The commands counted in ``in_doubt``."""
    runner_positions: list[int] = field(default_factory=list)
    """Where each killed runner's views stood."""
    problems: list[str] = field(default_factory=list)

    @property
    def kills(self) -> int:
        return self.writer_kills + self.runner_kills


def integrity(url: str) -> str:
    """SQLite's ``PRAGMA integrity_check`` of the database's file ("ok" when sound)."""
    env = env_for_url(url)
    db = sqlite3.connect(env["SQLITE_DBNAME"])
    try:
        return "; ".join(row[0] for row in db.execute("PRAGMA integrity_check").fetchall())
    finally:
        db.close()


def stored_views_are_a_fold_up_to_their_position(app: OnePlan) -> str | None:
    """None when the stored views equal the log folded from zero up to the position they
    record, without catching up (nothing folded twice, nothing skipped); else what differs."""
    stored = ProjectionRunner(app, app.views.store)
    position, versions = stored.store.tracking()
    if versions != stored.versions:
        return None if position == 0 else f"views at {position} with versions {versions}"
    fresh = ProjectionRunner(app, MemoryViewStore())
    fresh.catch_up(until=position)
    if fresh.position != position:
        return f"the log has no event at the views' position {position}"
    ours, theirs = views_of(stored), views_of(fresh)
    if ours == theirs:
        return None
    differ = sorted(
        f"{view}/{key}"
        for view in ours
        for key in set(ours[view]) | set(theirs[view])
        if ours[view].get(key) != theirs[view].get(key)
    )
    return f"views at {position} differ from the log folded to there: {differ[:5]}"


def check_round(app: OnePlan, url: str, acks: list[dict[str, Any]]) -> list[str]:
    """What a killed writer and runner left wrong: acknowledged commands missing, a
    broken file, a broken audit chain, views not exactly the log up to their position."""
    problems = []
    for fact in acks:
        receipt = receipt_of(app, fact["ack"])
        if receipt is None:
            problems.append(f"acknowledged {fact['command']} {fact['ack']} is not stored")
        elif receipt.result != str(fact["result"]):
            problems.append(f"{fact['ack']}: stored result {receipt.result} != {fact['result']}")
    if url.startswith("sqlite") and (found := integrity(url)) != "ok":
        problems.append(f"integrity_check: {found}")
    verification = app.verify_audit()
    if not verification.intact:
        problems.append(f"audit chain: {verification.summary()}")
    if (views := stored_views_are_a_fold_up_to_their_position(app)) is not None:
        problems.append(views)
    return problems


def crash_rounds(
    url: str,
    keys: Keys,
    shared: Shared,
    workdir: Path,
    rounds: int,
    rng: random.Random,
    *,
    longest: float = 0.4,
    run: CrashRun | None = None,
    writers: int = 1,
) -> CrashRun:
    """``rounds`` times: start a writer and a projection runner on the record, kill each
    with SIGKILL at a random moment (up to ``longest`` seconds after it is ready), and
    check what they left (``check_round``). The commands a killed writer left in doubt are
    sent again by the next writer; after the last round, by this process. Then every
    acknowledged command must be stored exactly once, and the views, caught up from where
    the killed runners left them, must equal the views folded from zero. Give the
    ``run`` of earlier rounds on the same record to go on from it. With ``writers`` > 1,
    that many writers race on the same plans in each round (and each is killed); a
    command refused on what another did first must have left nothing."""
    ctx = context()
    run = run if run is not None else CrashRun()
    in_doubt: dict[str, dict[str, Any]] = {}
    for number in range(run.rounds, run.rounds + rounds):
        writer_reports = [workdir / f"writer{number}-{w}.jsonl" for w in range(writers)]
        runner_report = workdir / f"runner{number}.jsonl"
        processes = [
            ctx.Process(
                target=crash_writer,
                args=(
                    url,
                    keys,
                    shared,
                    str(path),
                    rng.randrange(2**32),
                    FIRST_TAG + number * 100_000 + w * 10_000,
                    list(in_doubt.values()) if w == 0 else [],
                    writers > 1,
                ),
            )
            for w, path in enumerate(writer_reports)
        ]
        processes.append(
            ctx.Process(
                target=runner,
                args=(url, keys, str(runner_report), rng.randint(1, 8)),
                kwargs={"rebuild_first": rng.random() < 0.2},
            )
        )
        for process in processes:
            process.start()
        for path in (*writer_reports, runner_report):
            wait_for(path, "ready")
        began = time.monotonic()
        for delay, process in sorted(
            ((rng.uniform(0.0, longest), p) for p in processes), key=lambda pair: pair[0]
        ):
            time.sleep(max(0.0, began + delay - time.monotonic()))
            process.kill()
        for n, process in enumerate(processes):
            process.join(60)
            if process.exitcode != -signal.SIGKILL:
                name = "runner" if n == writers else f"writer {n}"
                run.problems.append(f"round {number}: {name} exited {process.exitcode}")
        run.rounds += 1
        run.writer_kills += writers
        run.runner_kills += 1
        facts = [fact for path in writer_reports for fact in read_report(path)]
        acks = [fact for fact in facts if "ack" in fact]
        refused = [fact for fact in facts if "refused" in fact]
        run.acks.extend(acks)
        run.refused.extend(refused)
        for fact in facts:
            if "intent" in fact:
                in_doubt[fact["intent"]] = fact
        for fact in (*acks, *refused):
            in_doubt.pop(fact.get("ack") or fact["refused"], None)
        with OnePlan.open(url, keys=keys) as app:
            fresh = [cid for cid in in_doubt if cid not in run.counted]
            run.counted.update(fresh)
            run.in_doubt += len(fresh)
            run.in_doubt_stored += sum(receipt_of(app, cid) is not None for cid in fresh)
            run.runner_positions.append(app.views.position)
            run.problems.extend(f"round {number}: {p}" for p in check_round(app, url, acks))
            run.problems.extend(
                f"round {number}: refused {fact['refused']} left a receipt"
                for fact in refused
                if receipt_of(app, fact["refused"]) is not None
            )
    with OnePlan.open(url, keys=keys) as app:
        for cid, fact in in_doubt.items():
            try:
                result = send(app, from_fact(fact))
            except OnePlanError as e:
                if writers == 1:
                    run.problems.append(f"{fact['command']} {cid} sent again was refused: {e}")
                run.refused.append({**fact, "refused": cid, "error": type(e).__name__})
                continue
            run.acks.append({**fact, "ack": cid, "result": str(result)})
        run.problems.extend(final_problems(app, url, run.acks))
    return run


def final_problems(app: OnePlan, url: str, acks: list[dict[str, Any]]) -> list[str]:
    """After the last kill: every acknowledged command stored once and nothing else, and
    the views resumed from where the killed runners left them equal a rebuild from zero."""
    problems = check_round(app, url, acks)
    tags = tags_in(app)
    twice = sorted(tag for tag, count in tags.items() if count > 1)
    if twice:
        problems.append(f"commands applied more than once: tags {twice[:10]}")
    acked = {tag for fact in acks if (tag := tag_of_fact(fact)) is not None}
    if set(tags) != acked:
        problems.append(
            f"tags stored but never acknowledged: {sorted(set(tags) - acked)[:10]}; "
            f"acknowledged but not stored: {sorted(acked - set(tags))[:10]}"
        )
    receipts = {
        event.originator_id
        for event in record(app).all_events()
        if isinstance(event, CommandReceipt.Recorded)
    }
    expected = {CommandReceipt.id_for(UUID(fact["ack"])) for fact in acks}
    if receipts != expected:
        problems.append(
            f"{len(receipts - expected)} receipts of commands never acknowledged, "
            f"{len(expected - receipts)} acknowledged commands without a receipt"
        )
    app.views.catch_up()
    if views_of(app.views) != rebuilt(app):
        problems.append("the views caught up after the kills differ from a rebuild from zero")
    return problems


# --- an erasure killed half-way ------------------------------------------------------


def killed_erasure(url: str, keys: Keys, now: datetime, citizen_id: UUID, kill_at: str) -> None:
    """Erase a citizen and die (SIGKILL) where ``kill_at`` says: ``"fold"`` as the views
    are about to fold ``Citizen.Erased`` (after it is stored), ``"keys"`` as the data keys
    are about to be destroyed (after the views folded it), ``"scrub"`` as the database's
    files are about to be scrubbed (after the keys are gone)."""

    def die(*args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with OnePlan.open(url, keys=keys, clock=lambda: now) as app:
        if kill_at == "fold":
            app.views.catch_up = die  # type: ignore[method-assign]
        elif kill_at == "keys":
            assert app.sealer is not None
            app.sealer.destroy = die  # type: ignore[method-assign]
        else:
            app.views.store.scrub = die  # type: ignore[method-assign]
        as_staff(app, ANNE).erase_citizen(citizen_id=citizen_id)
    raise AssertionError("the erasure should have been killed")


# --- registrations racing for one CPR number -----------------------------------------


def registering(url: str, keys: Keys, cprs: list[str], start: Any, report_path: str) -> None:
    """Wait for ``start``, then register a citizen with each CPR number; report each
    registration's citizen id, or the type of error that refused it."""
    report = Report(report_path)
    with OnePlan.open(url, keys=keys) as app:
        start.wait()
        for cpr in cprs:
            try:
                citizen = as_staff(app, ANNE).register_citizen(name=f"Citizen {cpr}", cpr=cpr)
                report.write(cpr=cpr, citizen=str(citizen))
            except OnePlanError as e:
                report.write(cpr=cpr, error=type(e).__name__)
            except Exception as e:
                report.write(cpr=cpr, unexpected=f"{type(e).__name__}: {e}")


def killed_after_claiming(url: str, keys: Keys, citizen_id: UUID, cpr: str) -> None:
    """Register a citizen with a CPR number, and die (SIGKILL) as soon as the number is
    claimed, before the registration is saved."""
    with OnePlan.open(url, keys=keys) as app:
        claim = app.key_store.claim_cpr_hash

        def claim_and_die(*args: Any, **kwargs: Any) -> str:
            claim(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
            raise AssertionError("killed")

        app.key_store.claim_cpr_hash = claim_and_die  # type: ignore[method-assign]
        as_staff(app, ANNE).register_citizen(citizen_id=citizen_id, name="Mette", cpr=cpr)
