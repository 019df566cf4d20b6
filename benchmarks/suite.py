"""The benchmark suite: every measure beside its baseline, in the same run, as a ratio.

    python benchmarks/suite.py                      # everything (7-15 minutes on 2 cores)
    python benchmarks/suite.py --quick              # a small run of each (a few minutes)
    python benchmarks/suite.py --json out.json --markdown out.md
    python benchmarks/suite.py --storage sqlite --only commands,asof

Sections (``--only`` / ``--skip``; storages from ``--storage``, default all three):

- ``commands``: oneplan commands, each sent as the caseworker or citizen who makes it
  (the staff directory registered before timing), against bare eventsourcing saving
  the same events (``bench_commands``): events/s and p50/p99 latency, memory, SQLite,
  PostgreSQL. Goal: at least 0.8 of bare eventsourcing's events/s.
- ``asof``: ``app.as_(system).record.plan(plan_id, as_of=t)`` of a plan of 1,000+
  events, with and without snapshots (``bench_asof``). Goal: p50 under 5 ms with
  snapshots.
- ``rebuild``: every view rebuilt against a bare read-and-map of the same log
  (``bench_rebuild``'s log, passes and child process; SQLite and PostgreSQL), without
  keys and with keys on (every personal field sealed, as in production).
  Goal: at least 0.5 (issue 17; a step toward 1.0).
- ``audit``: the audit chain's verification against reading the same rows unchecked,
  and commands with the chain against without (``bench_audit``). Goals: 200,000 events
  per CPU second; commands with the chain at least 0.90.
- ``encryption``: commands, rebuild, read-and-map and cold loads with every personal
  field sealed against no keys (``bench_encryption``). Goal: at most 1.20x the time.
- ``raw``: raw limits for reference: ``sqlite3`` ``executemany`` of the stored rows of
  the command workload in one transaction, and ``orjson.loads`` of their payloads,
  against oneplan writing them (commands, SQLite) and mapping them back.
- ``scale``: 1-4 writer processes and two projection runners on one PostgreSQL schema
  (``bench_scale``), with no-loss checks; not in ``--quick`` unless named in ``--only``.
- ``erasure``: ``erase_citizen`` of a municipality's citizens (``oneplan simulate``,
  SQLite; 500 and 2,000 citizens, 500 in ``--quick``) against the old path, emptying the
  views and rebuilding them (``bench_erasure``); and a reader process's longest
  sector-view read during the erasures against during the old path. Goals: at most
  50 ms CPU an erasure, flat in the municipality's size; the longest read under 100 ms.
  8,000 citizens: ``python benchmarks/bench_erasure.py``.
- ``reads``: ``sector_view`` and ``citizen_plan`` of a 2,000-event plan against the
  same reads of a 50-event plan, now and as of a past time (``bench_reads``). Goal: the
  long plan's read within 2x of the short one's (by CPU time).

Every row gives the baseline and oneplan's figure, the ratio (oneplan over the baseline
for rates, the baseline over oneplan for times: above 1 is faster than the baseline),
the goal and whether it is met, and CPU time (``process_time``) beside wall time: the
machine is shared, and CPU time moves much less with other people's load (for
PostgreSQL the server's CPU is not in it).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_asof  # noqa: E402
import bench_audit  # noqa: E402  (imports bench_commands itself)
import bench_commands  # noqa: E402
import bench_encryption  # noqa: E402
import bench_erasure  # noqa: E402
import bench_follow  # noqa: E402
import bench_reader_wait  # noqa: E402
import bench_reads  # noqa: E402
import bench_rebuild  # noqa: E402
import bench_scale  # noqa: E402
import orjson  # noqa: E402

SECTIONS = (
    "commands",
    "asof",
    "rebuild",
    "audit",
    "encryption",
    "raw",
    "scale",
    "erasure",
    "reads",
    "wait",
    "follow",
)
STORAGES = ("memory", "sqlite", "postgres")


@dataclass(frozen=True)
class Size:
    plans: int
    repeat: int
    asof_events: int
    asof_reads: int
    rebuild_citizens: int
    rebuild_rounds: int
    audit_events: int
    audit_plans: int
    encryption_plans: int
    scale_plans: int
    erasure_citizens: tuple[int, ...] = (500, 2000)
    wait_citizens: int = 100
    wait_seconds: float = 4.0
    follow_commands: int = 60


QUICK = Size(20, 1, 1000, 60, 60, 1, 20_000, 4, 8, 4, (500,), 40, 2.0, 20)
FULL = Size(100, 3, 1200, 200, 150, 3, 100_000, 20, 20, 10)


@dataclass
class Row:
    """One measure beside its baseline."""

    section: str
    what: str
    storage: str
    baseline_name: str
    baseline: float
    ours: float
    unit: str
    ratio: float
    """Above 1: oneplan is faster than the baseline (rates: ours/baseline; times:
    baseline/ours)."""
    goal: str = ""
    met: bool | None = None
    cpu_baseline: float | None = None
    cpu_ours: float | None = None
    cpu_unit: str = ""
    cpu_ratio: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def rate(
    section: str,
    what: str,
    storage: str,
    baseline_name: str,
    baseline: float,
    ours: float,
    unit: str,
    **kw: Any,
) -> Row:
    return Row(section, what, storage, baseline_name, baseline, ours, unit, ours / baseline, **kw)


def duration(
    section: str,
    what: str,
    storage: str,
    baseline_name: str,
    baseline: float,
    ours: float,
    unit: str,
    **kw: Any,
) -> Row:
    return Row(section, what, storage, baseline_name, baseline, ours, unit, baseline / ours, **kw)


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- sections ------------------------------------------------------------------------


def section_commands(kinds: list[str], size: Size) -> list[Row]:
    rows = []
    for kind in kinds:
        log(f"commands: {kind}, {size.repeat} x {size.plans} plans (and a warm-up)")
        res = bench_commands.bench_storage(kind, size.plans, size.repeat, max(2, size.plans // 4))
        one, bare = res["oneplan"], res["bare"]
        ratio = one["events_per_s"] / bare["events_per_s"]
        rows.append(
            rate(
                "commands",
                f"commands, events/s ({one['commands']} commands, {one['events']} events)",
                kind,
                "bare eventsourcing saving the same events",
                bare["events_per_s"],
                one["events_per_s"],
                "events/s",
                goal=">= 0.80",
                met=ratio >= 0.8,
                cpu_baseline=bare["events_per_cpu_s"],
                cpu_ours=one["events_per_cpu_s"],
                cpu_unit="events/CPU s",
                cpu_ratio=one["events_per_cpu_s"] / bare["events_per_cpu_s"],
                extra={"oneplan": one, "bare": bare},
            )
        )
        for q in ("p50", "p99"):
            rows.append(
                duration(
                    "commands",
                    f"command latency {q} (bare: one save)",
                    kind,
                    "bare eventsourcing saving the same events",
                    bare[f"{q}_ms"],
                    one[f"{q}_ms"],
                    "ms",
                )
            )
    return rows


def section_asof(kinds: list[str], size: Size) -> list[Row]:
    rows = []
    stores = bench_asof.Stores()
    try:
        for kind in kinds:
            log(f"asof: {kind}, a plan of {size.asof_events} events, {size.asof_reads} reads")
            r = bench_asof.measure(stores.url(kind), size.asof_events, size.asof_reads)
            w, wo = r["as_of"]["with"], r["as_of"]["without"]
            note = (
                f"{r['plan_events']} events, {r['snapshots']} snapshots (every "
                f"{r['interval']}); {r['reads']} reads at random recorded times"
            )
            rows.append(
                duration(
                    "asof",
                    "as-of read of a long-lived plan, p50",
                    kind,
                    "the same read without snapshots",
                    wo["p50_ms"],
                    w["p50_ms"],
                    "ms",
                    goal="< 5 ms with snapshots",
                    met=w["p50_ms"] < bench_asof.GOAL_MS,
                    cpu_baseline=wo["cpu_ms_per_read"],
                    cpu_ours=w["cpu_ms_per_read"],
                    cpu_unit="CPU ms/read (mean)",
                    cpu_ratio=wo["cpu_ms_per_read"] / w["cpu_ms_per_read"],
                    note=note,
                    extra=r,
                )
            )
            rows.append(
                duration(
                    "asof",
                    "as-of read of a long-lived plan, p99",
                    kind,
                    "the same read without snapshots",
                    wo["p99_ms"],
                    w["p99_ms"],
                    "ms",
                )
            )
            lw, lwo = r["load_now"]["with"], r["load_now"]["without"]
            rows.append(
                duration(
                    "asof",
                    "cold load of the plan now, p50",
                    kind,
                    "the same load without snapshots",
                    lwo["p50_ms"],
                    lw["p50_ms"],
                    "ms",
                    cpu_baseline=lwo["cpu_ms_per_read"],
                    cpu_ours=lw["cpu_ms_per_read"],
                    cpu_unit="CPU ms/load (mean)",
                    cpu_ratio=lwo["cpu_ms_per_read"] / lw["cpu_ms_per_read"],
                )
            )
    finally:
        stores.close()
    return rows


def section_reads(kinds: list[str], size: Size) -> list[Row]:
    rows = []
    reads = 5 if size is QUICK else 20
    for kind in kinds:
        log(f"reads: {kind}, plans of 50 and 2,000 events, {reads} reads of each kind")
        r = bench_reads.run([kind], 50, 2000, reads)[kind]
        short, long = r["short"], r["long"]
        for what in bench_reads.READS:
            rows.append(
                duration(
                    "reads",
                    f"{what.replace('_', ' ')}, median ({long['events']}-event plan; access "
                    f"event {long['access_event_bytes']:,} bytes)",
                    kind,
                    f"the same read of a {short['events']}-event plan",
                    short[what]["wall_ms"],
                    long[what]["wall_ms"],
                    "ms",
                    goal="long within 2x of short (>= 0.50, by CPU)",
                    met=short[what]["cpu_ms"] / long[what]["cpu_ms"] >= 1 / bench_reads.GOAL_RATIO,
                    cpu_baseline=short[what]["cpu_ms"],
                    cpu_ours=long[what]["cpu_ms"],
                    cpu_unit="CPU ms/read (median)",
                    cpu_ratio=short[what]["cpu_ms"] / long[what]["cpu_ms"],
                    extra=r,
                )
            )
    return rows


def measure_rebuild(
    kind: str, citizens: int, rounds: int, keep: bool, keys: bool = False
) -> dict[str, Any]:
    """In a process of its own: bench_rebuild's log, warm-up and two passes (read-and-map,
    rebuild), taking turns, each timed by wall and CPU time; a third after them,
    the rebuild with every row rewritten (``bench_rebuild.rebuild_rewriting``). ``keys``:
    every personal field sealed, in events and view rows (``bench_rebuild --keys``)."""
    br = bench_rebuild
    br.use_keys(keys)
    rebuild_log = br.Log(kind, citizens, br.DEFAULT_EVENTS_PER_CITIZEN, fresh=False, keep=keep)
    app = rebuild_log.open()
    try:
        events = int(rebuild_log.info["events"])
        br.warm_up(app, events)
        passes: dict[str, list[tuple[float, float]]] = {"read_and_map": [], "rebuild": []}
        fns = {
            "read_and_map": br.read_and_map,
            "rebuild": br.rebuild,
            "rewriting": br.rebuild_rewriting,  # (0 events where no view is ever kept)
        }
        for r in range(rounds):
            order = ("read_and_map", "rebuild") if r % 2 == 0 else ("rebuild", "read_and_map")
            for which in (*order, "rewriting"):
                gc.collect()
                c0, w0 = time.process_time(), time.perf_counter()
                seen = fns[which](app)
                wall, cpu = time.perf_counter() - w0, time.process_time() - c0
                if which == "rewriting" and not seen:
                    continue
                if seen != events:
                    raise RuntimeError(f"{kind} {which}: {seen} events, expected {events}")
                passes.setdefault(which, []).append((wall, cpu))
        out: dict[str, Any] = {"events": events, "build": rebuild_log.info}
        for which, runs in passes.items():
            out[which] = {
                "events_per_s": statistics.median(events / w for w, _ in runs),
                "events_per_cpu_s": statistics.median(events / c for _, c in runs),
                "wall_s": [w for w, _ in runs],
            }
        return out
    finally:
        app.close()
        rebuild_log.close()


def section_rebuild(kinds: list[str], size: Size, keep: bool) -> list[Row]:
    rows = []
    for kind, keys in itertools.product(kinds, (False, True)):
        sealed = ", keys on" if keys else ""
        log(
            f"rebuild: {kind}{sealed}, {size.rebuild_citizens} citizens, "
            f"{size.rebuild_rounds} rounds"
        )
        r = bench_rebuild.in_child(
            measure_rebuild, kind, size.rebuild_citizens, size.rebuild_rounds, keep, keys
        )
        base = r["read_and_map"]
        for which, what, note in (
            ("rebuild", "", "bench_rebuild's log and passes; its README explains the figures"),
            # (a view found unchanged is kept: the same with every row written)
            ("rewriting", ", every row rewritten", "as a rebuild whose views all changed"),
        ):
            what += sealed
            ours = r.get(which)
            if not ours:
                continue
            ratio = ours["events_per_s"] / base["events_per_s"]
            rows.append(
                rate(
                    "rebuild",
                    f"rebuild of every view{what} ({r['events']:,} events)",
                    kind,
                    "bare read-and-map of the same log",
                    base["events_per_s"],
                    ours["events_per_s"],
                    "events/s",
                    goal=f">= {bench_rebuild.GOAL}",
                    met=ratio >= bench_rebuild.GOAL,
                    cpu_baseline=base["events_per_cpu_s"],
                    cpu_ours=ours["events_per_cpu_s"],
                    cpu_unit="events/CPU s",
                    cpu_ratio=ours["events_per_cpu_s"] / base["events_per_cpu_s"],
                    note=note,
                    extra=r if which == "rebuild" else {},
                )
            )
    return rows


def section_audit(kinds: list[str], size: Size) -> list[Row]:
    rows = []
    for kind in kinds:
        stores = bench_audit.Stores(kind)
        try:
            log(f"audit: {kind}, commands with and without the chain ({size.audit_plans} plans)")
            bench_audit.run_commands((stores.fresh(), stores.fresh()), 2)  # warm-up
            runs = [
                bench_audit.run_commands((stores.fresh(), stores.fresh()), size.audit_plans)
                for _ in range(max(1, size.repeat))
            ]
            on = statistics.median(r["on"] for r in runs)
            off = statistics.median(r["off"] for r in runs)
            ratio = statistics.median(r["ratio"] for r in runs)
            cpu_ratio = statistics.median(r["cpu_ratio"] for r in runs)
            rows.append(
                Row(
                    "audit",
                    "commands with the audit chain",
                    kind,
                    "the same commands without it (taking turns)",
                    off,
                    on,
                    "commands/s",
                    ratio,
                    goal=">= 0.90",
                    met=ratio >= 0.9,
                    cpu_ratio=cpu_ratio,
                    cpu_unit="(CPU ratio only)",
                )
            )
            log(f"audit: {kind}, verification of {size.audit_events:,} events")
            url, keys = stores.fresh(), bench_audit.Keys.generate()
            bench_audit.build_log(url, size.audit_events, keys)
            verifies = [bench_audit.run_verify(url, keys) for _ in range(max(1, size.repeat))]
            speed = statistics.median(v["events_per_s"] for v in verifies)
            per_cpu = statistics.median(v["events_per_cpu_s"] for v in verifies)
            share = statistics.median(v["reading_share"] for v in verifies)
            rows.append(
                rate(
                    "audit",
                    f"audit verification ({verifies[0]['events']:,} events)",
                    kind,
                    "reading the same rows unchecked",
                    speed / share,
                    speed,
                    "events/s",
                    goal=">= 200,000 events/CPU s",
                    met=per_cpu >= 200_000,
                    cpu_ours=per_cpu,
                    cpu_unit="events/CPU s",
                    extra={"runs": verifies},
                )
            )
        finally:
            stores.close()
    return rows


def section_encryption(kinds: list[str], size: Size) -> list[Row]:
    rows = []
    for kind in kinds:
        log(f"encryption: {kind}, {size.repeat} x {size.encryption_plans} plans off and on")
        with tempfile.TemporaryDirectory(prefix="oneplan-suite-enc-") as tmp:
            r = bench_encryption.bench(kind, size.encryption_plans, max(1, size.repeat), tmp)
        for phase, what in (
            ("write", "commands"),
            ("rebuild", "rebuild of every view"),
            ("map", "read-and-map of the log"),
            ("load", "cold loads of every aggregate"),
        ):
            p = r[phase]
            rows.append(
                duration(
                    "encryption",
                    f"{what}, every personal field sealed ({r['events']} events)",
                    kind,
                    "the same without keys",
                    p["off_s"],
                    p["on_s"],
                    "s",
                    goal="<= 1.20x the time (>= 0.83)",
                    met=p["cpu_ratio"] <= bench_encryption.GOAL,
                    cpu_baseline=p["off_cpu_s"],
                    cpu_ours=p["on_cpu_s"],
                    cpu_unit="CPU s",
                    cpu_ratio=1 / p["cpu_ratio"],
                    note="met by CPU time",
                )
            )
    return rows


def _workload_rows(plans: int) -> tuple[list[Any], float, float]:
    """The stored events of the command workload (memory), with the wall and CPU time
    oneplan's mapper takes to map them back."""
    _result, batches, app = bench_commands.run_oneplan("memory://", plans)
    stored = [app.mapper.to_stored_event(e) for b in batches for e in b]
    to_event = app.mapper.to_domain_event
    for s in stored[:200]:
        to_event(s)
    gc.collect()
    c0, w0 = time.process_time(), time.perf_counter()
    for s in stored:
        to_event(s)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    app.close()
    return stored, wall, cpu


def section_raw(kinds: list[str], size: Size, commands: list[Row]) -> list[Row]:
    log(f"raw: the stored rows of {size.plans} plans")
    stored, map_wall, map_cpu = _workload_rows(size.plans)
    n = len(stored)
    rows = []
    # orjson.loads of the same payloads against oneplan's mapper.
    payloads = [s.state for s in stored]
    for p in payloads[:200]:
        orjson.loads(p)
    gc.collect()
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(5):
        for p in payloads:
            orjson.loads(p)
    loads_wall, loads_cpu = (time.perf_counter() - w0) / 5, (time.process_time() - c0) / 5
    rows.append(
        rate(
            "raw",
            f"map stored events back to objects ({n} events, in memory)",
            "memory",
            "orjson.loads of the same payloads",
            n / loads_wall,
            n / map_wall,
            "events/s",
            goal="reference",
            cpu_baseline=n / loads_cpu,
            cpu_ours=n / map_cpu,
            cpu_unit="events/CPU s",
            cpu_ratio=loads_cpu / map_cpu,
        )
    )
    # sqlite3 executemany of the same rows, one transaction, against oneplan's commands.
    with tempfile.TemporaryDirectory(prefix="oneplan-suite-raw-") as tmp:
        walls, cpus = [], []
        for i in range(3):
            db = sqlite3.connect(os.path.join(tmp, f"raw{i}.db"), isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
                "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
            )
            data = [(str(s.originator_id), s.originator_version, s.topic, s.state) for s in stored]
            c0, w0 = time.process_time(), time.perf_counter()
            db.execute("BEGIN")
            db.executemany("INSERT INTO stored_events VALUES (?, ?, ?, ?)", data)
            db.execute("COMMIT")
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
            db.close()
    raw_wall, raw_cpu = statistics.median(walls), statistics.median(cpus)
    ours = next((r for r in commands if r.storage == "sqlite" and "events/s" in r.unit), None)
    if ours is not None:
        rows.append(
            rate(
                "raw",
                "commands on SQLite (the commands row above)",
                "sqlite",
                "sqlite3 executemany of the same rows, one transaction",
                n / raw_wall,
                ours.ours,
                "events/s",
                goal="reference",
                cpu_baseline=n / raw_cpu,
                cpu_ours=ours.cpu_ours,
                cpu_unit="events/CPU s",
                cpu_ratio=(ours.cpu_ours or 0) / (n / raw_cpu),
                note="oneplan: one command, one transaction and fsync, at a time",
            )
        )
    else:
        rows.append(
            Row(
                "raw",
                "sqlite3 executemany of the workload's rows, one transaction",
                "sqlite",
                "-",
                n / raw_wall,
                n / raw_wall,
                "events/s",
                1.0,
                goal="reference",
                note="run the commands section on SQLite for the comparison",
            )
        )
    return rows


def section_scale(size: Size, writers: list[int]) -> list[Row]:
    rows = []
    results = bench_scale.bench(writers, 2, size.scale_plans)
    one = results[0]
    for r in results:
        rows.append(
            rate(
                "scale",
                f"{r['writers']} writer process(es) + {r['runners']} projection runners, "
                f"{r['events']:,} events",
                "postgres",
                f"{one['writers']} writer",
                one["events_per_s"],
                r["events_per_s"],
                "events/s",
                goal="no loss (counts checked)",
                met=bool(r["lossless"]),
                cpu_ours=r["writer_cpu_s"] + r["runner_cpu_s"],
                cpu_unit="CPU s (writers + runners)",
                note=(
                    f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms a command; view lag "
                    f"{r['view_lag_s']:.1f} s; load average {r['load_during']:.1f}"
                ),
                extra=r,
            )
        )
    return rows


def section_erasure(size: Size) -> list[Row]:
    rows = []
    for citizens in size.erasure_citizens:
        r = bench_erasure.measure(citizens, 5, old=True, read=True)
        rows.append(
            duration(
                "erasure",
                f"erase one citizen of {citizens:,} ({r['events']:,} events; "
                f"{r['events_refolded_median']} folded again)",
                "sqlite",
                "reset + rebuild (the old path)",
                r["old_path_cpu_s"],
                r["erasure_cpu_median_s"],
                "CPU s",
                goal="<= 0.050 CPU s (median), flat",
                met=r["erasure_cpu_median_s"] <= 0.050,
                note=(
                    f"max {r['erasure_cpu_max_s'] * 1000:.0f} ms CPU (the first: cold caches); "
                    f"wall median {r['erasure_wall_median_s'] * 1000:.0f} ms"
                ),
                extra=r,
            )
        )
        if r["reads"]:
            rows.append(
                duration(
                    "erasure",
                    f"a reader's longest sector-view read during erasures ({citizens:,})",
                    "sqlite",
                    "during the old path",
                    r["read_longest_during_old_path_s"],
                    r["read_longest_during_erasures_s"],
                    "s",
                    goal="< 0.100 s",
                    met=r["read_longest_during_erasures_s"] < 0.100,
                    note=f"quiet median {r['read_quiet_median_s'] * 1000:.1f} ms",
                )
            )
    return rows


def section_wait(kinds: list[str], size: Size) -> list[Row]:
    """A reader's longest read during a rebuild and during a view's version bump."""
    rows = []
    for kind in kinds:
        log(f"wait: {kind}, a reader during a rebuild and a version bump ({size.wait_citizens})")
        r = bench_reader_wait.measure(kind, size.wait_citizens, 100, size.wait_seconds)
        quiet, during, bump = r["quiet"], r["rebuild"], r["bump"]
        for phase, what in ((during, "a rebuild of every view"), (bump, "a version bump")):
            rows.append(
                duration(
                    "wait",
                    f"a reader's longest sector-view read during {what} ({r['events']:,} events)",
                    kind,
                    "the longest read with nothing else running",
                    quiet["max_ms"] / 1000,
                    phase["max_ms"] / 1000,
                    "s",
                    goal="< 0.100 s",
                    met=phase["max_ms"] < 100,
                    note=(
                        f"p50 {phase['p50_ms']} ms, p99 {phase['p99_ms']} ms; the work "
                        f"{phase['work_s']} s wall, {phase['work_cpu_s']} s CPU"
                    ),
                    extra=r,
                )
            )
        rows.append(
            duration(
                "wait",
                f"rebuild of the {bump['view']} view alone after its version changed",
                kind,
                "a rebuild of every view",
                during["work_cpu_s"],
                bump["work_cpu_s"],
                "CPU s",
                goal="reference (only that view folded)",
                note=f"wall {bump['work_s']} s vs {during['work_s']} s",
            )
        )
    return rows


def section_follow(kinds: list[str], size: Size) -> list[Row]:
    """How soon the views are current after a commit: the follower against a plain loop."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            log(f"follow: {kind}, {size.follow_commands} commands")
            follower = bench_follow.measure(kind, "follower", size.follow_commands, 0.5, tmp)
            loop = bench_follow.measure(kind, "plain loop", size.follow_commands, 0.5, tmp)
            rows.append(
                duration(
                    "follow",
                    "commit to views current, p50 (oneplan views follow)",
                    kind,
                    "a plain loop every 0.5 s (run_forever)",
                    loop["p50_ms"],
                    follower["p50_ms"],
                    "ms",
                    goal="reference",
                    note=(
                        f"p99 {follower['p99_ms']:.1f} ms vs {loop['p99_ms']:.1f} ms; idle CPU "
                        f"{follower['idle_cpu_ms_per_s']:.2f} ms/s"
                    ),
                    extra={"follower": follower, "loop": loop},
                )
            )
    return rows


# --- the machine and the output -----------------------------------------------------


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
    }
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in lscpu.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("Model name", "CPU(s)", "Thread(s) per core", "CPU MHz"):
                info[key.strip()] = value.strip()
        info["lscpu"] = lscpu
    except (OSError, subprocess.CalledProcessError):
        pass
    try:
        import psycopg

        with psycopg.connect(bench_commands.PG_DSN, connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            info["postgresql"] = row[0] if row else "?"
    except Exception as e:
        info["postgresql"] = f"unavailable: {e}"
    from importlib.metadata import version

    for package in ("eventsourcing", "pydantic", "orjson", "psycopg"):
        info[package] = version(package)
    info["oneplan_source"] = bench_rebuild.code_fingerprint()
    return info


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _met(row: Row, rich: bool) -> str:
    if row.met is None:
        return ""
    if rich:
        return "[green]yes[/]" if row.met else "[red]no[/]"
    return "yes" if row.met else "**no**"


def _cpu(row: Row) -> str:
    if row.cpu_baseline is None and row.cpu_ours is None:
        return f"ratio {row.cpu_ratio:.2f}" if row.cpu_ratio is not None else ""
    text = f"{_fmt(row.cpu_baseline) or '-'} / {_fmt(row.cpu_ours)} {row.cpu_unit}"
    if row.cpu_ratio is not None:
        text += f" ({row.cpu_ratio:.2f})"
    return text


COLUMNS = ("section", "what", "storage", "baseline", "ours", "ratio", "goal", "met?", "CPU")


def cells(row: Row, rich: bool) -> list[str]:
    return [
        row.section,
        row.what + (f" ({row.note})" if row.note and not rich else ""),
        row.storage,
        f"{_fmt(row.baseline)} {row.unit}: {row.baseline_name}",
        f"{_fmt(row.ours)} {row.unit}",
        f"{row.ratio:.2f}",
        row.goal,
        _met(row, rich),
        _cpu(row),
    ]


def print_table(rows: list[Row]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="oneplan benchmark suite: each beside its baseline, in the same run")
    for name in COLUMNS:
        table.add_column(name, justify="right" if name in ("ratio",) else "left")
    section = None
    for row in rows:
        if section is not None and row.section != section:
            table.add_section()
        section = row.section
        table.add_row(*cells(row, rich=True))
    Console(width=200).print(table)
    print(
        "ratio: oneplan against the baseline, above 1 = faster (rates: ours/baseline; times: "
        "baseline/ours). CPU: baseline / ours (ratio): this process's CPU time."
    )


def markdown(rows: list[Row], meta: dict[str, Any]) -> str:
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---:" if c == "ratio" else "---" for c in COLUMNS) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells(row, False)) + " |")
    m = meta["machine"]
    lines += [
        "",
        f"Run {meta['started']} to {meta['finished']} ({meta['wall_s'] / 60:.1f} min), "
        f"`{meta['command']}`; load average {meta['load_before']:.1f} before, "
        f"{meta['load_after']:.1f} after.",
        f"Machine: {m.get('Model name', '?')}, {m.get('cpus')} CPUs; Python {m['python']}, "
        f"SQLite {m['sqlite']}, PostgreSQL {m.get('postgresql')}, eventsourcing "
        f"{m['eventsourcing']}; oneplan source {m['oneplan_source']['sha256']}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run of each section")
    parser.add_argument("--storage", default=",".join(STORAGES), help="memory,sqlite,postgres")
    parser.add_argument("--only", help=f"comma-separated sections: {','.join(SECTIONS)}")
    parser.add_argument("--skip", default="", help="comma-separated sections to leave out")
    parser.add_argument("--writers", default="1,2,3,4", help="writer counts for scale")
    parser.add_argument("--keep-logs", action="store_true", help="keep the rebuild log schema")
    parser.add_argument("--json", metavar="FILE", help="write rows, details and the machine")
    parser.add_argument("--markdown", metavar="FILE", help="write the table as Markdown")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.storage.split(",") if k.strip()]
    for k in kinds:
        if k not in STORAGES:
            parser.error(f"unknown storage {k!r}; choose from {', '.join(STORAGES)}")
    chosen = [s.strip() for s in args.only.split(",")] if args.only else list(SECTIONS)
    for s in [*chosen, *[x for x in args.skip.split(",") if x]]:
        if s not in SECTIONS:
            parser.error(f"unknown section {s!r}; choose from {', '.join(SECTIONS)}")
    skip = set(args.skip.split(","))
    if args.quick and not args.only:
        skip.add("scale")
    sections = [s for s in chosen if s not in skip]
    size = QUICK if args.quick else FULL
    on_disk = [k for k in kinds if k != "memory"]

    started, load_before = datetime.now(UTC), os.getloadavg()[0]
    t0 = time.perf_counter()
    rows: list[Row] = []
    runs: dict[str, Callable[[], list[Row]]] = {
        "commands": lambda: section_commands(kinds, size),
        "asof": lambda: section_asof(kinds, size),
        "rebuild": lambda: section_rebuild(on_disk, size, args.keep_logs),
        "audit": lambda: section_audit(on_disk, size),
        "encryption": lambda: section_encryption(kinds, size),
        "raw": lambda: section_raw(kinds, size, rows),
        "erasure": lambda: section_erasure(size) if "sqlite" in kinds else [],
        "scale": lambda: (
            section_scale(size, [int(n) for n in args.writers.split(",")])
            if "postgres" in kinds
            else []
        ),
        "reads": lambda: section_reads(kinds, size),
        "wait": lambda: section_wait(on_disk, size),
        "follow": lambda: section_follow(on_disk, size),
    }
    failed: dict[str, str] = {}
    for name in sections:
        try:
            rows += runs[name]()
        except Exception as e:
            log(f"{name}: FAILED: {e!r}")
            failed[name] = repr(e)
    meta = {
        "command": "python benchmarks/suite.py " + " ".join(argv or sys.argv[1:]),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_s": time.perf_counter() - t0,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "size": asdict(size),
        "sections": sections,
        "failed": failed,
        "machine": machine(),
    }
    print_table(rows)
    if failed:
        print(f"FAILED sections: {failed}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "rows": [asdict(r) for r in rows]}, f, indent=2, default=str)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(rows, meta))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
