"""Benchmark: several writer processes and projection runners on one PostgreSQL schema.

    python benchmarks/bench_scale.py [--writers 1,2,3,4] [--runners 2] [--plans 12]
                                     [--json FILE]

For each number of writers, on a fresh schema: ``--runners`` projection runner processes
(each ``OnePlan.views.catch_up()`` in a loop, 50 ms apart, sharing the view tables: the
runner's tracking makes a batch another runner folded first start again) and that many
writer processes, each writing ``--plans`` family plans of ``bench_commands`` (33
commands, 40 events a plan) for citizens and plans of its own, through ``OnePlan`` with
every key set (personal fields sealed, the audit chain kept), each command sent as the
caseworker or citizen who makes it (the staff directory is registered once on the fresh
schema before the writers start). The writers start together (a barrier); throughput is
the events all of them wrote over the wall time from the barrier until the last one
finished. Each command is timed. When the writers are done, the time until the views
have caught up is measured (view lag).

No loss, checked at the end of every run: the events table holds exactly the events the
writers saved, after the staff directory's (``count(*)`` and the highest notification id
both equal their sum; the notification ids have no gap), every writer's citizens and
plans are in the citizen and plan views, the views' tracked position is the last
notification id, and the audit chain verifies.

The machine's cores are shared by the writers, the runners and the PostgreSQL server
(and whatever else runs): on 2 cores more than about two busy processes cannot add
throughput, only share it. The output gives the CPU time of the writers and runners and
the load average, so the figures can be read against that.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

import bench_commands as bc

from oneplan import Keys, OnePlan
from oneplan.projections.plan_view import PlanView

PG_DSN = bc.PG_DSN


def _keys(raw: dict[str, bytes]) -> Keys:
    return Keys(**raw)


def writer(
    url: str, raw_keys: dict[str, bytes], number: int, plans: int, barrier: Any, out: Any
) -> None:
    """Write ``plans`` family plans of writer ``number``'s own; report what was written."""
    app = OnePlan.open(url, keys=_keys(raw_keys))
    saved = [0]
    original = app._record

    def record(processing_event: Any) -> Any:
        recordings = original(processing_event)
        saved[0] += len(recordings)
        return recordings

    app._record = record  # type: ignore[method-assign]
    cast = bc.Cast(app)  # the staff directory was registered before the writers started
    scripts = [bc._plan_script(number * 100_000 + i) for i in range(plans)]
    latencies: list[int] = []
    plan_ids: list[str] = []
    citizen_ids: list[str] = []
    barrier.wait()
    cpu0, t0 = time.process_time(), time.perf_counter()
    for script in scripts:
        ids: dict[str, Any] = {}
        for _name, step in script:
            s = time.perf_counter_ns()
            step(cast, ids)
            latencies.append(time.perf_counter_ns() - s)
        plan_ids.append(str(ids["plan"]))
        citizen_ids += [str(ids["mette"]), str(ids["jonas"])]
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    app.close()
    out.put(
        {
            "writer": number,
            "commands": len(latencies),
            "events": saved[0],
            "elapsed_s": elapsed,
            "cpu_s": cpu,
            "finished_at": time.time(),
            "p50_ms": statistics.median(latencies) / 1e6,
            "p99_ms": sorted(latencies)[int(0.99 * (len(latencies) - 1))] / 1e6,
            "plan_ids": plan_ids,
            "citizen_ids": citizen_ids,
        }
    )


def runner(url: str, raw_keys: dict[str, bytes], number: int, stop: Any, out: Any) -> None:
    """Keep the views caught up until ``stop`` is set; report the events folded."""
    app = OnePlan.open(url, keys=_keys(raw_keys))
    folded, cpu0 = 0, time.process_time()
    while not stop.is_set():
        folded += app.views.catch_up()
        stop.wait(0.05)
    folded += app.views.catch_up()
    out.put({"runner": number, "folded": folded, "cpu_s": time.process_time() - cpu0})
    app.close()


def fresh_schema() -> tuple[str, str]:
    import psycopg

    schema = f"bench_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')  # type: ignore[arg-type]
    return schema, f"{PG_DSN}?schema={schema}"


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')  # type: ignore[arg-type]


def count_events(schema: str) -> tuple[int, int]:
    """The rows of the events table and the highest notification id."""
    import psycopg

    with psycopg.connect(PG_DSN) as conn:
        row = conn.execute(
            f'SELECT count(*), coalesce(max(notification_id), 0) FROM "{schema}".oneplan_events'  # type: ignore[arg-type]
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def run_level(writers: int, runners: int, plans: int, keep: bool = False) -> dict[str, Any]:
    """One run: ``writers`` writers and ``runners`` runners on a fresh schema."""
    ctx = multiprocessing.get_context("spawn")
    keys = Keys.generate()
    raw = {name: getattr(keys, name) for name in Keys.VARIABLES}
    schema, url = fresh_schema()
    try:
        with OnePlan.open(url, keys=keys) as app:  # the tables, before the processes race
            bc.register_staff(app)  # and the staff directory the writers' commands need
            app.views.catch_up()
            setup_events = int(app.recorder.max_notification_id() or 0)
        barrier = ctx.Barrier(writers + 1)
        stop = ctx.Event()
        out = ctx.Queue()
        view_out = ctx.Queue()
        load_before = os.getloadavg()[0]
        procs = [
            ctx.Process(target=runner, args=(url, raw, r, stop, view_out)) for r in range(runners)
        ]
        procs += [
            ctx.Process(target=writer, args=(url, raw, w, plans, barrier, out))
            for w in range(writers)
        ]
        for p in procs:
            p.start()
        barrier.wait()
        started = time.time()
        results = [out.get(timeout=1800) for _ in range(writers)]
        done = max(r["finished_at"] for r in results)
        wall = done - started
        load_during = os.getloadavg()[0]
        events = sum(r["events"] for r in results)
        with OnePlan.open(url, keys=keys) as app:
            lag_started = time.time()
            head = int(app.recorder.max_notification_id() or 0)
            while app.views.position < head and time.time() - lag_started < 600:
                time.sleep(0.02)
            lag = time.time() - lag_started
            stop.set()
            folded = [view_out.get(timeout=600) for _ in range(runners)]
            for p in procs:
                p.join(timeout=600)
            rows, last = count_events(schema)
            plan_ids = {p for r in results for p in r["plan_ids"]}
            citizen_ids = {c for r in results for c in r["citizen_ids"]}
            plans_in_view = set(app.views.keys(PlanView.name))
            citizens_in_view = set(app.views.keys("citizen"))
            position = app.views.position
            verification = app.verify_audit()
        checks = {
            "staff_directory_events": setup_events,
            "events_saved": events,
            "events_stored": rows,
            "last_notification_id": last,
            "views_position": position,
            "plans_written": len(plan_ids),
            "plans_in_view": len(plan_ids & plans_in_view),
            "citizens_written": len(citizen_ids),
            "citizens_in_view": len(citizen_ids & citizens_in_view),
            "audit_intact": verification.intact,
        }
        lossless = (
            rows == last == setup_events + events == position
            and len(plan_ids) == writers * plans == len(plan_ids & plans_in_view)
            and len(citizen_ids) == 2 * writers * plans == len(citizen_ids & citizens_in_view)
            and verification.intact
        )
        return {
            "writers": writers,
            "runners": runners,
            "plans_per_writer": plans,
            "events": events,
            "commands": sum(r["commands"] for r in results),
            "wall_s": wall,
            "events_per_s": events / wall,
            "commands_per_s": sum(r["commands"] for r in results) / wall,
            "writer_cpu_s": sum(r["cpu_s"] for r in results),
            "runner_cpu_s": sum(f["cpu_s"] for f in folded),
            "runner_folded": [f["folded"] for f in folded],
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": max(r["p99_ms"] for r in results),
            "view_lag_s": lag,
            "load_before": load_before,
            "load_during": load_during,
            "checks": checks,
            "lossless": lossless,
        }
    finally:
        if not keep:
            drop_schema(schema)


def bench(levels: list[int], runners: int, plans: int) -> list[dict[str, Any]]:
    results = []
    for n in levels:
        print(f"scale: {n} writer(s), {runners} runner(s), {plans} plans each ...", file=sys.stderr)
        results.append(run_level(n, runners, plans))
        r = results[-1]
        print(
            f"  {r['events_per_s']:,.0f} events/s, lag {r['view_lag_s']:.1f} s, "
            f"lossless {r['lossless']}",
            file=sys.stderr,
        )
    return results


def print_table(results: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="writers and projection runners on one PostgreSQL schema")
    for col in (
        "writers",
        "runners",
        "events",
        "wall s",
        "events/s",
        "x 1 writer",
        "cmd p50 ms",
        "cmd p99 ms",
        "writer CPU s",
        "runner CPU s",
        "view lag s",
        "load avg",
        "no loss",
    ):
        table.add_column(col, justify="right")
    one = results[0]["events_per_s"]
    for r in results:
        table.add_row(
            str(r["writers"]),
            str(r["runners"]),
            f"{r['events']:,}",
            f"{r['wall_s']:.1f}",
            f"{r['events_per_s']:,.0f}",
            f"{r['events_per_s'] / one:.2f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            f"{r['writer_cpu_s']:.1f}",
            f"{r['runner_cpu_s']:.1f}",
            f"{r['view_lag_s']:.1f}",
            f"{r['load_during']:.1f}",
            "yes" if r["lossless"] else "[red]NO[/]",
        )
    Console(width=160).print(table)
    print(f"{os.cpu_count()} CPUs on this machine, shared by writers, runners and PostgreSQL")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", default="1,2,3,4", help="writer counts to run")
    parser.add_argument("--runners", type=int, default=2, help="projection runner processes")
    parser.add_argument("--plans", type=int, default=12, help="plans per writer")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.writers.split(",") if n.strip()]
    results = bench(levels, args.runners, args.plans)
    print_table(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0 if all(r["lossless"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
