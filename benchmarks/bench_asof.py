"""Benchmark: reading a long-lived plan as of a recorded time, with and without snapshots.

    python benchmarks/bench_asof.py [--storage memory,sqlite,postgres] [--events 1200]
                                    [--reads 200] [--json FILE]

A plan of ``--events`` events (the commands of ``bench_commands``' family plan, then
goal progress notes, new goals and coordinating meetings, written through ``OnePlan`` in
batches of 100 commands) is read ``--reads`` times from the full record by a system job,
``app.as_(SYSTEM).record.plan(plan_id, as_of=t)``, each ``t`` just after the recorded
time of a random event of the plan (so the reads spread evenly over its history). The
same application reads with its snapshot store (a snapshot every
``ONEPLAN_SNAPSHOT_INTERVAL`` events, default 100) and without it (the store set aside:
every read folds the stream from its first event), taking turns read by read, so the
load of a shared machine falls on both alike. Each read is timed (wall,
``perf_counter_ns``); CPU time (``process_time``) is summed per side. Both sides must
return the same version for every read. Also timed: cold loads of the plan now (the
aggregate cache emptied before each). The record has every key (throwaway ones unless
``ONEPLAN_KEY_FILE`` or the key variables name them), so snapshots are sealed and MACed
and each read checks the MAC of the snapshot it uses.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from typing import Any
from uuid import UUID

sys.path.insert(0, os.path.dirname(__file__))

import bench_commands as bc

from oneplan.application import OnePlan
from oneplan.keys import Keys
from oneplan.principals import Principal
from oneplan.values import AchievementStatus, MeetingAttendee, Sector

SYSTEM = Principal.system("bench-asof")
"""The reads go to the full record as a system job of the application's own (not logged:
``OnePlan.as_(SYSTEM).record.plan(plan_id, as_of=t)``)."""

GOAL_MS = 5.0
"""The goal: an as-of read of a plan of 1,000+ events in under 5 ms (p50) with snapshots."""


def build_long_plan(app: OnePlan, events: int) -> UUID:
    """A family plan of about ``events`` events (its staff registered first); returns
    its id."""
    cast = bc.staffed(app)
    anne = cast.anne
    record = app.as_(SYSTEM).record
    ids: dict[str, Any] = {}
    for _name, step in bc._plan_script(0):
        step(cast, ids)
    plan_id: UUID = ids["plan"]
    goal = ids["work"]
    start = bc._at(date(2026, 6, 2))
    k = 0
    while len(record.history(plan_id)) < events:
        with app.batched():
            for _ in range(100):
                k += 1
                at = start + timedelta(minutes=90 * k)
                if k % 25 == 0:
                    goal = anne.set_goal(
                        plan_id=plan_id,
                        description=f"Goal {k}: a step towards work",
                        due=date(2027, 12, 31),
                        effective_at=at,
                    )
                elif k % 40 == 0:
                    anne.hold_meeting(
                        plan_id=plan_id,
                        attendees=[
                            MeetingAttendee(id="anne.t", sector=Sector.EMPLOYMENT),
                            MeetingAttendee(id="lars.s", sector=Sector.SOCIAL),
                        ],
                        decisions=[f"Meeting {k}: the plan goes on as agreed"],
                        effective_at=at,
                    )
                else:
                    anne.record_goal_progress(
                        plan_id=plan_id,
                        goal_id=goal,
                        achievement=AchievementStatus.IMPROVING,
                        note=f"Progress note {k}: a little further this week",
                        effective_at=at,
                    )
    return plan_id


def _pct(data: list[float], q: float) -> float:
    ordered = sorted(data)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def measure(url: str, events: int, reads: int, seed: int = 8) -> dict[str, Any]:
    """Build the plan at ``url`` and time as-of reads and cold loads, with and without
    snapshots. With every key (throwaway ones unless configured): a database file opened
    without an audit or master key keeps no snapshots (rule 16: nothing could tell its
    rows from anyone's), and every documented setup has them."""
    keys = Keys.from_env()
    app = OnePlan.open(url, keys=keys if keys.audit_key and keys.master_key else Keys.generate())
    try:
        t0 = time.perf_counter()
        plan_id = build_long_plan(app, events)
        build_s = time.perf_counter() - t0
        record = app.as_(SYSTEM).record
        history = record.history(plan_id)
        store = app.snapshots
        if store is None:
            raise RuntimeError("snapshots are off: unset ONEPLAN_SNAPSHOT_INTERVAL=0")
        snapshots = len(store.recorder.select_events(plan_id))
        rng = random.Random(seed)
        moments = [rng.choice(history).timestamp + timedelta(microseconds=1) for _ in range(reads)]
        ms: dict[str, list[float]] = {"with": [], "without": []}
        cpu = {"with": 0.0, "without": 0.0}

        def read(side: str, as_of: Any) -> int:
            app.snapshots = store if side == "with" else None
            c0, w0 = time.process_time(), time.perf_counter_ns()
            version = record.plan(plan_id, as_of=as_of).version
            ms[side].append((time.perf_counter_ns() - w0) / 1e6)
            cpu[side] += time.process_time() - c0
            return version

        for as_of in moments[:10]:  # warm-up
            read("with", as_of)
            read("without", as_of)
        ms = {"with": [], "without": []}
        cpu = {"with": 0.0, "without": 0.0}
        for i, as_of in enumerate(moments):
            order = ("with", "without") if i % 2 == 0 else ("without", "with")
            versions = [read(side, as_of) for side in order]
            if versions[0] != versions[1]:
                raise RuntimeError(f"as of {as_of}: versions {versions} differ")
        loads: dict[str, list[float]] = {"with": [], "without": []}
        load_cpu = {"with": 0.0, "without": 0.0}
        for i in range(max(10, reads // 10)):
            for side in ("with", "without") if i % 2 == 0 else ("without", "with"):
                app.snapshots = store if side == "with" else None
                app._cache.clear()
                c0, w0 = time.process_time(), time.perf_counter_ns()
                record.plan(plan_id)
                loads[side].append((time.perf_counter_ns() - w0) / 1e6)
                load_cpu[side] += time.process_time() - c0
        app.snapshots = store
    finally:
        app.close()

    def side(times: list[float], cpu_s: float) -> dict[str, float]:
        return {
            "p50_ms": statistics.median(times),
            "p99_ms": _pct(times, 0.99),
            "mean_ms": statistics.fmean(times),
            "cpu_ms_per_read": cpu_s * 1000 / len(times),
        }

    return {
        "plan_events": len(history),
        "snapshots": snapshots,
        "interval": app.snapshot_interval,
        "reads": reads,
        "build_s": build_s,
        "as_of": {
            "with": side(ms["with"], cpu["with"]),
            "without": side(ms["without"], cpu["without"]),
        },
        "load_now": {
            "with": side(loads["with"], load_cpu["with"]),
            "without": side(loads["without"], load_cpu["without"]),
        },
    }


class Stores:
    """Fresh stores (SQLite files, PostgreSQL schemas), removed at the end."""

    def __init__(self) -> None:
        import tempfile

        self.folder = tempfile.mkdtemp(prefix="oneplan-bench-asof-")
        self.schemas: list[str] = []

    def url(self, kind: str) -> str:
        if kind == "memory":
            return "memory://"
        if kind == "sqlite":
            return f"sqlite:///{self.folder}/{uuid.uuid4().hex[:8]}.db"
        import psycopg

        schema = f"bench_asof_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(bc.PG_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')  # type: ignore[arg-type]
        self.schemas.append(schema)
        return f"{bc.PG_DSN}?schema={schema}"

    def close(self) -> None:
        for name in os.listdir(self.folder):
            os.remove(os.path.join(self.folder, name))
        os.rmdir(self.folder)
        if self.schemas:
            import psycopg

            with psycopg.connect(bc.PG_DSN, autocommit=True) as conn:
                for schema in self.schemas:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", default="memory,sqlite,postgres")
    parser.add_argument("--events", type=int, default=1200, help="events of the plan")
    parser.add_argument("--reads", type=int, default=200, help="as-of reads per side")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    stores = Stores()
    results = {}
    try:
        for kind in [k.strip() for k in args.storage.split(",") if k.strip()]:
            print(f"{kind}: building a plan of {args.events} events ...", file=sys.stderr)
            results[kind] = measure(stores.url(kind), args.events, args.reads)
    finally:
        stores.close()
    for kind, r in results.items():
        w, wo = r["as_of"]["with"], r["as_of"]["without"]
        print(
            f"{kind}: plan of {r['plan_events']} events, {r['snapshots']} snapshots; as-of p50 "
            f"{w['p50_ms']:.2f} ms with, {wo['p50_ms']:.2f} ms without "
            f"(p99 {w['p99_ms']:.2f} / {wo['p99_ms']:.2f}; CPU/read {w['cpu_ms_per_read']:.2f} / "
            f"{wo['cpu_ms_per_read']:.2f} ms); goal p50 < {GOAL_MS} ms: "
            f"{'met' if w['p50_ms'] < GOAL_MS else 'missed'}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
