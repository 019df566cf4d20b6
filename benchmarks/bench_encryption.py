"""Benchmark: encryption on (a master key configured: personal fields sealed per citizen;
and the CPR key) against encryption off, in the same run, on the same workload; the audit
chain on for both, under the same key.

    python benchmarks/bench_encryption.py [--storage memory,sqlite,postgres] [--plans N]
                                          [--repeat 3] [--json FILE]

For every storage and for each mode (off, on), on a fresh store:

1. **write**: the scripted workload of ``bench_commands.py`` (per plan 33 commands: two
   citizens, consents, a plan, wishes, goals, interventions and their lifecycle, a
   meeting, a sanction, delivery) through the public ``OnePlan`` application, each
   command sent as the caseworker or citizen who makes it (the staff directory
   registered first, not timed);
2. **rebuild**: every view rebuilt from the log (``views.rebuild()``);
3. **read-and-map**: every stored event read back and mapped to its object
   (``all_events()`` of the full record, read by a system job), which is where opening
   sealed fields costs;
4. **aggregate loads**: a second application on the same store (cold caches) loads
   every citizen, plan and intervention (from the full record, by a system job).

The modes alternate (off, on, off, on, ...), every measurement is repeated (default 3)
and the median reported; the goal is a ratio on/off of at most 1.20 (20% slower).
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
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

from bench_commands import _plan_script, staffed

from oneplan import Keys, OnePlan, Principal

SYSTEM = Principal.system("bench-encryption")
"""Reads of the full record, as a system job of the application's own (not logged)."""

PG_DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
GOAL = 1.20
AUDIT_KEY = Keys.generate().audit_key


def _url(kind: str, tmp: str) -> tuple[str, Any]:
    """A fresh store of ``kind`` and a function that drops it."""
    if kind == "memory":
        return "memory://", lambda: None
    if kind == "sqlite":
        path = os.path.join(tmp, f"bench-{uuid.uuid4().hex[:8]}.db")

        def drop() -> None:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)

        return f"sqlite:///{path}", drop
    import psycopg

    schema = f"bench_privacy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')  # type: ignore[arg-type]

    def drop_schema() -> None:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')  # type: ignore[arg-type]

    return f"{PG_DSN}?schema={schema}", drop_schema


CPU: dict[str, float] = {}
"""This process's CPU seconds of the last ``_timed`` call (the machine is shared: wall
time moves with other work, this process's CPU time much less)."""


def _timed(fn: Any) -> tuple[float, Any]:
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    CPU["last"] = time.process_time() - cpu
    return time.perf_counter() - start, result


def run_once(kind: str, plans: int, encrypted: bool, tmp: str) -> dict[str, float]:
    url, drop = _url(kind, tmp)
    # Only the privacy keys differ: the audit chain is on for both sides (it has its own
    # benchmark, bench_audit.py), so the ratio is the cost of sealing and of the keyed
    # CPR hashes and receipts, not of the chain.
    fresh = Keys.generate()
    keys = Keys(
        audit_key=AUDIT_KEY,
        master_key=fresh.master_key if encrypted else None,
        cpr_key=fresh.cpr_key if encrypted else None,
    )
    scripts = [_plan_script(i) for i in range(plans)]
    try:
        app = OnePlan.open(url, keys=keys)
        cast = staffed(app)  # the staff directory, before timing (set-up, not workload)

        def write() -> int:
            for script in scripts:
                ids: dict[str, Any] = {}
                for _name, step in script:
                    step(cast, ids)
            return int(app.recorder.max_notification_id() or 0)

        write_s, events = _timed(write)
        write_cpu = CPU["last"]
        rebuild_s, _ = _timed(app.views.rebuild)
        rebuild_cpu = CPU["last"]
        record = app.as_(SYSTEM).record
        map_s, mapped = _timed(lambda: sum(1 for _ in record.all_events()))
        map_cpu = CPU["last"]
        plan_ids = app.views.keys("plan")
        citizen_ids = app.views.keys("citizen")
        intervention_ids = [i for p in plan_ids for i in app.views.get("plan", p).interventions]
        if kind != "memory":
            app.close()
            reader = OnePlan.open(url, keys=keys)
        else:
            reader = app
            reader._cache.clear()
        reading = reader.as_(SYSTEM).record

        def loads() -> int:
            for p in plan_ids:
                reading.plan(uuid.UUID(p))
            for c in citizen_ids:
                reading.citizen(uuid.UUID(c))
            for i in intervention_ids:
                reading.intervention(i)
            return len(plan_ids) + len(citizen_ids) + len(intervention_ids)

        load_s, aggregates = _timed(loads)
        load_cpu = CPU["last"]
        reader.close()
        if mapped != events:
            raise RuntimeError(f"{mapped} events mapped of {events}")
        return {
            "events": events,
            "aggregates": aggregates,
            "write_s": write_s,
            "rebuild_s": rebuild_s,
            "map_s": map_s,
            "load_s": load_s,
            "write_cpu": write_cpu,
            "rebuild_cpu": rebuild_cpu,
            "map_cpu": map_cpu,
            "load_cpu": load_cpu,
        }
    finally:
        drop()


def bench(kind: str, plans: int, repeat: int, tmp: str) -> dict[str, Any]:
    run_once(kind, max(2, plans // 10), False, tmp)  # warm-up
    run_once(kind, max(2, plans // 10), True, tmp)
    runs: dict[str, list[dict[str, float]]] = {"off": [], "on": []}
    for _ in range(repeat):
        runs["off"].append(run_once(kind, plans, False, tmp))
        runs["on"].append(run_once(kind, plans, True, tmp))
    result: dict[str, Any] = {"events": runs["off"][0]["events"]}
    for phase in ("write", "rebuild", "map", "load"):
        off = statistics.median(r[f"{phase}_s"] for r in runs["off"])
        on = statistics.median(r[f"{phase}_s"] for r in runs["on"])
        off_cpu = statistics.median(r[f"{phase}_cpu"] for r in runs["off"])
        on_cpu = statistics.median(r[f"{phase}_cpu"] for r in runs["on"])
        result[phase] = {
            "off_s": off,
            "on_s": on,
            "ratio": on / off,
            "off_cpu_s": off_cpu,
            "on_cpu_s": on_cpu,
            "cpu_ratio": on_cpu / off_cpu,
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", default="memory,sqlite")
    parser.add_argument("--plans", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.storage.split(","):
            results[kind] = bench(kind, args.plans, args.repeat, tmp)
    print(f"encryption on vs off: {args.plans} plans, median of {args.repeat} (goal <= {GOAL})")
    print(
        f"{'storage':<9}{'phase':<9}{'off (s)':>9}{'on (s)':>9}{'on/off':>8}"
        f"{'off cpu':>9}{'on cpu':>9}{'cpu on/off':>11}"
    )
    for kind, result in results.items():
        for phase in ("write", "rebuild", "map", "load"):
            r = result[phase]
            mark = "" if min(r["ratio"], r["cpu_ratio"]) <= GOAL else "  (over goal)"
            print(
                f"{kind:<9}{phase:<9}{r['off_s']:>9.3f}{r['on_s']:>9.3f}{r['ratio']:>8.2f}"
                f"{r['off_cpu_s']:>9.3f}{r['on_cpu_s']:>9.3f}{r['cpu_ratio']:>11.2f}{mark}"
            )
        print(f"{'':<9}({result['events']} events)")
    out = {"plans": args.plans, "repeat": args.repeat, "goal": GOAL, "results": results}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    else:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
