"""Benchmark: how soon a view follower (``oneplan views follow``) has the views current
after a commit, against a plain loop that looks every ``interval`` (``run_forever``).

    python benchmarks/bench_follow.py [--storage sqlite,postgres] [--commands 60]
                                      [--interval 0.5] [--json FILE]

A writer (its own ``OnePlan``) sends ``set_goal`` commands one at a time, 50 ms apart;
a follower in another thread of this process, on its own ``OnePlan`` on the same
database, keeps the views. The latency of each command is the time from its return
(committed) until the follower's views have folded it (their position reaches the
log's head). Compared: ``ViewFollower`` (LISTEN/NOTIFY on PostgreSQL; on SQLite, looking
at the log soon after a change and less often when idle) and the plain loop
``ProjectionRunner.run_forever(interval=...)``. Also the follower's CPU while the
database is idle for 3 s (it should cost next to nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_commands as bc

from oneplan import OnePlan
from oneplan.projections.follow import ViewFollower


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _url(kind: str, tmp: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp}/follow-{uuid.uuid4().hex[:6]}.db"
    import psycopg

    schema = f"bench_follow_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(bc.PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{bc.PG_DSN}?schema={schema}"


def _drop(url: str) -> None:
    if "schema=" in url:
        import psycopg

        with psycopg.connect(bc.PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{url.split("schema=")[1]}" CASCADE')


def measure(kind: str, how: str, commands: int, interval: float, tmp: str) -> dict[str, Any]:
    url = _url(kind, tmp)
    writer = OnePlan.open(url)
    follower_app = OnePlan.open(url)
    try:
        cast = bc.staffed(writer)
        ids: dict[str, Any] = {}
        for _name, step in bc._plan_script(0)[:6]:  # (a plan with a coordinator)
            step(cast, ids)
        follower_app.views.catch_up()
        stop = threading.Event()
        follower = ViewFollower(follower_app, poll=interval)
        run = (
            (lambda: follower.run(stop))
            if how == "follower"
            else (lambda: follower_app.views.run_forever(interval=interval, stop=stop))
        )
        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.3)
        latencies: list[float] = []
        store = follower_app.views.store
        for n in range(commands):
            cast.karin.set_goal(
                plan_id=ids["plan"],
                effective_at=datetime(2026, 3, 2, tzinfo=UTC),
                description=f"goal {n}",
                due=date(2027, 6, 30),
            )
            done = time.perf_counter()
            head = int(writer.recorder.max_notification_id() or 0)
            while store.tracking()[0] < head:
                time.sleep(0.0005)
            latencies.append((time.perf_counter() - done) * 1000)
            time.sleep(0.05)
        cpu0 = time.thread_time()
        proc0 = time.process_time()
        time.sleep(3)
        idle_cpu = time.process_time() - proc0 - (time.thread_time() - cpu0)
        stop.set()
        thread.join(30)
    finally:
        writer.close()
        follower_app.close()
        _drop(url)
    return {
        "storage": kind,
        "how": how,
        "commands": commands,
        "p50_ms": round(_percentile(latencies, 0.5), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2),
        "idle_cpu_ms_per_s": round(idle_cpu * 1000 / 3, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default="sqlite,postgres")
    parser.add_argument("--commands", type=int, default=60)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.storage.split(","):
            for how in ("follower", "plain loop"):
                rows.append(measure(kind, how, args.commands, args.interval, tmp))
                r = rows[-1]
                print(
                    f"{r['storage']:9s} {r['how']:10s} commit->views current p50 "
                    f"{r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  max {r['max_ms']:7.2f} "
                    f"ms; idle CPU {r['idle_cpu_ms_per_s']:.2f} ms/s"
                )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
