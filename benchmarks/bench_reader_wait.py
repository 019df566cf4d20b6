"""Benchmark: how long a reader in another process waits while the views are rebuilt
(issue 17: a reader is never blocked longer than one short transaction; goal < 100 ms).

    python benchmarks/bench_reader_wait.py [--storage sqlite,postgres] [--citizens 150]
                                           [--events-per-citizen 100] [--seconds 4]

The log is ``bench_rebuild``'s (built once; for SQLite a copy of its cached file, for
PostgreSQL a fresh schema). A reader process, as the coordinator of a plan
(``app.as_(Principal.staff(id)).sector_view(plan_id)``: a catch-up, a read of the plan's
row, an access-log event written), reads the same sector view again and again and
records how long each read takes:

1. **quiet**: nothing else runs (``--seconds``);
2. **during a rebuild**: the main process runs ``app.views.rebuild()`` (the views folded
   again from the whole log, written aside and swapped in) while the reader reads;
3. **during a version bump** (``--bump``, default ``journey``): the code of both
   processes gives that view a new version and the main process catches up, which
   rebuilds that view alone, aside, under the lease (the reader's runner meanwhile folds
   every other view and leaves that one to the lease's holder).

Reported: the reader's reads, p50, p99 and longest read in each phase, and the longest
read during the rebuild over the quiet p99 (what the rebuild adds); the version bump's
wall and CPU time beside the whole rebuild's. The erasure's wait is measured by
``bench_erasure.py``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import uuid
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_rebuild as br

from oneplan import OnePlan, Principal


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _bump(view: str | None) -> None:
    """Give ``view`` a new version in this process's code (as a deploy would)."""
    if view is not None:
        from oneplan.projections import VIEWS

        found = next(v for v in VIEWS if v.name == view)
        found.version += 1  # type: ignore[misc]


def _reader(
    url: str, staff_id: str, plan_id: str, seconds: float, out: Any, go: Any, bump: str | None
) -> None:
    _bump(bump)
    app = OnePlan.open(url)
    session = app.as_(Principal.staff(staff_id))
    plan = uuid.UUID(plan_id)
    session.sector_view(plan)  # (warm: connections, caches)
    go.wait()
    waits: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        session.sector_view(plan)
        waits.append((time.perf_counter() - t) * 1000)
    app.close()
    out.put(waits)


def _phase(
    url: str, staff_id: str, plan_id: str, seconds: float, work: Any, bump: str | None = None
) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    out, go = ctx.Queue(), ctx.Event()
    reader = ctx.Process(target=_reader, args=(url, staff_id, plan_id, seconds, out, go, bump))
    reader.start()
    time.sleep(2.0)  # (the reader opens its application)
    go.set()
    t, c = time.perf_counter(), time.process_time()
    did = work() if work is not None else None
    work_s, work_cpu = time.perf_counter() - t, time.process_time() - c
    waits = out.get(timeout=600)
    reader.join(60)
    return {
        "reads": len(waits),
        "p50_ms": round(_percentile(waits, 0.5), 2),
        "p99_ms": round(_percentile(waits, 0.99), 2),
        "max_ms": round(max(waits), 2),
        "work_s": round(work_s, 2),
        "work_cpu_s": round(work_cpu, 2),
        "work": did,
    }


def _bumped(app: OnePlan, view: str) -> int:
    """Catch up after ``view``'s version changed: the view rebuilt alone."""
    _bump(view)
    app.views.versions[view] += 1
    app.views.catch_up()
    assert app.views.store.tracking()[1] == app.views.versions
    return int(app.recorder.max_notification_id() or 0)


def measure(
    kind: str, citizens: int, epc: int, seconds: float, bump: str | None = "journey"
) -> dict[str, Any]:
    log = br.Log(kind, citizens, epc, fresh=False, keep=(kind == "postgres"))
    app = log.open()
    app.close()
    tmp = tempfile.mkdtemp(prefix="oneplan-wait-")
    url = log.url
    schema = None
    try:
        if kind == "sqlite":  # (a copy: the reader writes access events into it)
            source = log.url.removeprefix("sqlite:///")
            copy = os.path.join(tmp, "log.db")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(source + suffix):
                    shutil.copy(source + suffix, copy + suffix)
            url = f"sqlite:///{copy}"
        else:
            import psycopg

            schema = f"bench_wait_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(br.PG_DSN, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            url = f"{br.PG_DSN}?schema={schema}"
            print(f"{kind}: building the log in {schema} ...", file=sys.stderr, flush=True)
            br.build_in_child(url, citizens, epc, kind)
        app = OnePlan.open(url)
        app.views.catch_up()
        plan = next(p for p in app.views.rows("plan", "") if p.coordinator is not None)
        staff_id, plan_id = plan.coordinator.id, str(plan.plan_id)
        events = int(app.recorder.max_notification_id() or 0)
        quiet = _phase(url, staff_id, plan_id, seconds, None)
        during = _phase(url, staff_id, plan_id, seconds, lambda: app.views.rebuild())
        bumped = None
        if bump:  # (the lease first: the reader, whose code has the new version too, waits)
            assert app.views.store.take_lease(app.views._holder, app.views.lease_seconds)
            bumped = _phase(url, staff_id, plan_id, seconds, lambda: _bumped(app, bump), bump)
            bumped["view"] = bump
        app.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if schema is not None:
            import psycopg

            with psycopg.connect(br.PG_DSN, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return {"storage": kind, "events": events, "quiet": quiet, "rebuild": during, "bump": bumped}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default="sqlite,postgres")
    parser.add_argument("--citizens", type=int, default=150)
    parser.add_argument("--events-per-citizen", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument(
        "--bump", default="journey", help="the view whose version changes ('' for none)"
    )
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    rows = []
    for kind in args.storage.split(","):
        r = measure(kind, args.citizens, args.events_per_citizen, args.seconds, args.bump or None)
        rows.append(r)
        q, d = r["quiet"], r["rebuild"]
        print(
            f"{kind} ({r['events']:,} events): quiet {q['reads']} reads p50 {q['p50_ms']} ms "
            f"p99 {q['p99_ms']} ms max {q['max_ms']} ms; during a rebuild ({d['work_s']} s, "
            f"{d['work']:,} events) {d['reads']} reads p50 {d['p50_ms']} ms p99 {d['p99_ms']} "
            f"ms longest {d['max_ms']} ms (goal < 100 ms)"
        )
        b = r["bump"]
        if b is not None:
            print(
                f"  version bump of {b['view']}: {b['work_s']} s wall, {b['work_cpu_s']} s CPU "
                f"(whole rebuild {d['work_s']} s, {d['work_cpu_s']} s CPU: "
                f"x{b['work_cpu_s'] / max(d['work_cpu_s'], 1e-9):.2f} by CPU); reader "
                f"{b['reads']} reads p50 {b['p50_ms']} ms p99 {b['p99_ms']} ms longest "
                f"{b['max_ms']} ms"
            )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
