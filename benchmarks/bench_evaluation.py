"""Benchmark: simulate a municipality and evaluate it, at two sizes, on SQLite and
PostgreSQL: time, events/s, peak memory, and how cost grows with size.

    python benchmarks/bench_evaluation.py [--sizes 2000,20000] [--storage sqlite,postgres]
                                          [--seed 1] [--json FILE] [--repeat N]
                                          [--phases simulate,read,evaluate,export]
                                          [--databases DIR]

For every storage and size, each phase runs in a process of its own (so its peak RSS,
``resource.getrusage(RUSAGE_SELF).ru_maxrss``, is its own):

1. **simulate**: ``oneplan.simulate`` writes the municipality into a fresh database
   through the public application (every command parsed and decided by ``OnePlan``; the
   commands of 25 courses written per transaction with ``OnePlan.batched()``).
2. **read** (the baseline): every event of the full record read to the end by a system
   job (``app.as_(job).record.all_events()``): paging the notification log and mapping
   every event, which any evaluation of the log must do.
3. **evaluate**: ``oneplan.evaluate(app.as_(job).evaluation_events())``: the same read
   (logged once as a disclosure of the whole record), folded into every citizen's
   metrics.
4. **export**: the pseudonymised tables and cohort summaries (polars), written as CSV
   and Parquet, the six PNG plots and the report.

Reported per row: wall seconds, this process's CPU seconds (the machine is shared: CPU
time is what load does not inflate), events/s (wall), peak RSS; ``evaluate/read`` (CPU
time of the metrics over CPU time of reading the same log, in the same run); and
``growth``: CPU time per citizen at the larger size over that at the smallest (1.0 =
linear). ``--repeat N`` runs every phase but simulate N times (each in a fresh process)
and keeps the run with the least CPU time: on a shared machine the fastest of a few runs
is the figure least disturbed by the others' load. ``--phases`` picks the phases
measured. SQLite files go to the temp dir, or to ``--databases DIR``, where they are
kept: a database already there for that size is used again instead of being simulated
anew. PostgreSQL uses a schema ``evaluation_bench`` (dropped and made again for each
size) at ``postgresql://postgres@127.0.0.1:5432/test`` (override with
``BENCH_PG_DSN``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CLOCK = datetime(2026, 6, 1, tzinfo=UTC)
PG_DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
SCHEMA = "evaluation_bench"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker(phase: str, url: str, citizens: int, seed: int, out: str) -> dict[str, Any]:
    from oneplan import OnePlan, Principal, Pseudonymiser, evaluate, simulate

    with OnePlan.open(url, clock=lambda: CLOCK) as app:
        job = app.as_(Principal.system("evaluation"))
        started, cpu = time.perf_counter(), _cpu()
        if phase == "simulate":
            summary = simulate(app, citizens=citizens, seed=seed)
            result: dict[str, Any] = {"citizens": summary.citizens}
        elif phase == "read":
            result = {"read": sum(1 for _ in job.record.all_events())}
        elif phase == "evaluate":
            evaluation = evaluate(job.evaluation_events())
            result = {"citizens": len(evaluation.citizens)}
        else:
            evaluation = evaluate(job.evaluation_events())
            started, cpu = time.perf_counter(), _cpu()
            files = evaluation.write(Path(out), Pseudonymiser.generate())
            result = {"files": len(files)}
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
        events = int(app.recorder.max_notification_id() or 0)
    return {**result, "seconds": seconds, "cpu_s": cpu, "events": events, "peak_mib": _peak_mib()}


def _url(storage: str, size: int, tmp: Path, databases: Path | None) -> tuple[str, bool]:
    """The database's URL, and whether it holds a simulated municipality already."""
    if storage == "sqlite":
        file = (databases or tmp) / f"municipality-{size}.db"
        return f"sqlite:///{file}", databases is not None and file.exists()
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{SCHEMA}"')
    return f"{PG_DSN}?schema={SCHEMA}", False


def _run(phase: str, url: str, size: int, seed: int, out: Path) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            phase,
            "--url",
            url,
            "--citizens",
            str(size),
            "--seed",
            str(seed),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--storage", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--phases", default="simulate,read,evaluate,export")
    parser.add_argument("--databases", type=Path)
    parser.add_argument("--worker")
    parser.add_argument("--url")
    parser.add_argument("--citizens", type=int, default=0)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.url, args.citizens, args.seed, args.out)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    phases = [p for p in ("simulate", "read", "evaluate", "export") if p in args.phases.split(",")]
    if args.databases:
        args.databases.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="oneplan-bench-evaluation-") as tmp_dir:
        tmp = Path(tmp_dir)
        for storage in args.storage.split(","):
            for size in sizes:
                url, simulated = _url(storage, size, tmp, args.databases)
                if not simulated and "simulate" not in phases:
                    _run("simulate", url, size, args.seed, tmp)  # (not measured)
                for phase in phases:
                    if phase == "simulate" and simulated:
                        continue
                    runs = [
                        _run(phase, url, size, args.seed, tmp / f"out-{storage}-{size}")
                        for _ in range(1 if phase == "simulate" else max(1, args.repeat))
                    ]
                    result = min(runs, key=lambda r: float(r["cpu_s"]))
                    result["runs"] = len(runs)
                    row = {"storage": storage, "citizens": size, "phase": phase, **result}
                    row["events_per_s"] = row["events"] / row["seconds"]
                    rows.append(row)
                    print(
                        f"{storage:8} {size:>6} {phase:8} {row['seconds']:8.1f} s "
                        f"({row['cpu_s']:7.1f} s CPU) "
                        f"{row['events']:>9,} events {row['events_per_s']:>9,.0f} ev/s "
                        f"{row['peak_mib']:7.0f} MiB",
                        flush=True,
                    )
    by = {(r["storage"], r["citizens"], r["phase"]): r for r in rows}
    print(
        "\n| storage | citizens | phase | seconds | CPU s | events/s | peak MiB | evaluate/read "
        "| growth (CPU) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        key = (r["storage"], r["citizens"])
        first = by.get((r["storage"], sizes[0], r["phase"]), r)
        growth = (r["cpu_s"] / r["citizens"]) / (first["cpu_s"] / first["citizens"])
        ratio = ""
        if r["phase"] == "evaluate" and (*key, "read") in by:
            ratio = f"{r['cpu_s'] / by[(*key, 'read')]['cpu_s']:.2f}"
            r["evaluate_over_read"] = float(ratio)
        r["growth"] = growth
        print(
            f"| {r['storage']} | {r['citizens']:,} | {r['phase']} | {r['seconds']:.1f} | "
            f"{r['cpu_s']:.1f} | "
            f"{r['events_per_s']:,.0f} | {r['peak_mib']:.0f} | {ratio} | {growth:.2f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
