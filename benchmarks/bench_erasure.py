"""Benchmark: erasing one citizen, at several sizes of municipality, beside the old path
(empty the views and rebuild them from the whole log), and a reader's longest wait.

    python benchmarks/bench_erasure.py [--sizes 500,2000,8000] [--erasures 5]
                                       [--no-old] [--no-reader] [--json FILE]

For each size a synthetic municipality is written (``oneplan simulate --citizens N``,
sealed with fresh keys, SQLite; cached in the temp dir and copied for each run, since an
erasure changes it). Then, in one process, on a clock far past every retention period:

1. **erasure** (candidate): ``erase_citizen`` of ``--erasures`` citizens due for
   erasure (``retention_due``; ``legal_basis`` given, so archive delivery is not
   needed), one at a time, each timed (CPU: ``time.process_time``, and wall): record
   ``Citizen.Erased``, fold the citizen's view rows again, destroy their keys, scrub.
   Goal: flat in the municipality's size, at most 50 ms CPU each.
2. **old path** (baseline, ``--no-old`` leaves it out): what an erasure cost before,
   less the event and the keys: ``views.store.reset()`` then ``views.rebuild()``.
3. **reader**: another process reads a sector view of a plan (as its coordinator) in a
   loop throughout, each read timed; the longest read while erasures run, and while the
   old path runs, against its median read when nothing else runs. Goal: the longest
   under 100 ms (reads here write an access event and catch the views up, as every
   read does).

Figures are printed (and written with ``--json``); nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from oneplan import Keys, OnePlan, Principal, StaffRole
from oneplan.values import LegalBasis, Sector

CACHE = Path(tempfile.gettempdir()) / "oneplan-bench-erasure"
LATER = datetime(2075, 1, 2, 12, tzinfo=UTC)
"""A clock past every retention period of the simulated years (children's: 20 years)."""
OFFICER = "bench-records"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def municipality(citizens: int) -> tuple[Path, Path]:
    """The cached municipality of ``citizens`` (its SQLite file and its key file)."""
    folder = CACHE / f"c{citizens}"
    db, keys = folder / "municipality.db", folder / "keys"
    if db.exists() and keys.exists():
        return db, keys
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    Keys.generate().write(keys)
    print(f"{citizens}: writing the municipality (oneplan simulate) ...", file=sys.stderr)
    t0 = time.perf_counter()
    subprocess.run(
        ["oneplan", "simulate", "--citizens", str(citizens), "--db", f"sqlite:///{db}"],
        env={**os.environ, "ONEPLAN_KEY_FILE": str(keys)},
        check=True,
        stdout=sys.stderr,
    )
    with OnePlan.open(f"sqlite:///{db}", keys=Keys.read(keys), clock=Clock(LATER)) as app:
        app.views.catch_up()  # folded once here, not in every run
        admin = app.as_(Principal.staff("sim-admin"))
        admin.register_staff(
            staff_id=OFFICER,
            name="Records officer",
            sector=Sector.SOCIAL,
            roles=[StaffRole.RECORDS_OFFICER],
            effective_at=datetime(2070, 1, 1, tzinfo=UTC),
        )
        app.views.catch_up()
    print(f"{citizens}: written in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return db, keys


def working_copy(db: Path, folder: Path) -> Path:
    copy = folder / db.name
    for part in db.parent.glob(db.name + "*"):
        shutil.copyfile(part, folder / part.name)
    return copy


def reader(url: str, key_file: str, plan_id: str, staff_id: str, out: Any, stop: Any) -> None:
    """Read a sector view in a loop until ``stop``; send (start, seconds) of each read."""
    with OnePlan.open(url, keys=Keys.read(key_file), clock=Clock(LATER)) as app:
        session = app.as_(Principal.staff(staff_id))
        reads = []
        while not stop.is_set():
            t0 = time.time()
            session.sector_view(UUID(plan_id))
            reads.append((t0, time.time() - t0))
        out.send(reads)


def longest(reads: list[tuple[float, float]], windows: list[tuple[float, float]]) -> float:
    """The longest read that overlapped any of ``windows``."""
    found = [s for t, s in reads for a, b in windows if t < b and t + s > a]
    return max(found, default=0.0)


def measure(citizens: int, erasures: int, *, old: bool, read: bool) -> dict[str, Any]:
    db, key_file = municipality(citizens)
    keys = Keys.read(key_file)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{working_copy(db, Path(folder))}"
        with OnePlan.open(url, keys=keys, clock=Clock(LATER)) as app:
            app.views.catch_up()
            events = int(app.recorder.max_notification_id() or 0)
            system = app.as_(Principal.system("bench"))
            due = [d for d in system.retention_due() if d.plan_ids]
            chosen = [d.citizen_id for d in due[:erasures]]
            # A plan of a citizen not erased here, read by its coordinator meanwhile.
            plan_id, staff_id = None, None
            for d in due[erasures:]:
                plan = app.views.get("plan", d.plan_ids[0])
                if plan is not None and plan.coordinator is not None:
                    plan_id, staff_id = str(plan.plan_id), plan.coordinator.id
                    break
            out = stop = process = None
            if read and plan_id is not None:
                spawn = multiprocessing.get_context("spawn")
                out, into = spawn.Pipe(duplex=False)
                stop = spawn.Event()
                process = spawn.Process(
                    target=reader, args=(url, str(key_file), plan_id, staff_id, into, stop)
                )
                process.start()
                time.sleep(3.0)  # its start, and some reads alone
            quiet_until = time.time()
            officer = app.as_(Principal.staff(OFFICER))
            runs, windows = [], []
            for citizen_id in chosen:
                w0, c0 = time.time(), time.process_time()
                done = officer.erase_citizen(
                    citizen_id=citizen_id,
                    legal_basis=LegalBasis.parse("FVL § 2"),
                    reason="retention ended",
                )
                cpu, wall = time.process_time() - c0, time.time() - w0
                windows.append((w0, w0 + wall))
                runs.append({"cpu_s": cpu, "wall_s": wall, "events_refolded": done.events_refolded})
                time.sleep(0.2)
            old_path: dict[str, Any] = {}
            if old:
                time.sleep(0.5)
                w0, c0 = time.time(), time.process_time()
                app.views.store.reset(app.views.versions)
                app.views.rebuild()
                old_path = {
                    "cpu_s": time.process_time() - c0,
                    "wall_s": time.time() - w0,
                    "window": (w0, time.time()),
                }
                time.sleep(0.5)
            reads: list[tuple[float, float]] = []
            if process is not None and out is not None and stop is not None:
                stop.set()
                reads = out.recv()
                process.join()
    quiet = [s for t, s in reads if t + s < quiet_until]
    cpus = [r["cpu_s"] for r in runs]
    return {
        "citizens": citizens,
        "events": events,
        "erasures": runs,
        "erasure_cpu_median_s": statistics.median(cpus) if cpus else None,
        "erasure_cpu_max_s": max(cpus, default=None),
        "erasure_wall_median_s": statistics.median(r["wall_s"] for r in runs) if runs else None,
        "events_refolded_median": statistics.median(r["events_refolded"] for r in runs)
        if runs
        else None,
        "old_path_cpu_s": old_path.get("cpu_s"),
        "old_path_wall_s": old_path.get("wall_s"),
        "reads": len(reads),
        "read_quiet_median_s": statistics.median(quiet) if quiet else None,
        "read_longest_during_erasures_s": longest(reads, windows) if reads else None,
        "read_longest_during_old_path_s": longest(reads, [old_path["window"]])
        if reads and old_path
        else None,
    }


def show(r: dict[str, Any]) -> str:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value * 1000:,.1f} ms"

    line = (
        f"{r['citizens']:>6,} citizens, {r['events']:>8,} events: erasure CPU median "
        f"{ms(r['erasure_cpu_median_s'])} (max {ms(r['erasure_cpu_max_s'])}, wall median "
        f"{ms(r['erasure_wall_median_s'])}, {r['events_refolded_median']} events folded again)"
    )
    if r["old_path_cpu_s"] is not None:
        line += (
            f"; old path (reset + rebuild) CPU {ms(r['old_path_cpu_s'])}, "
            f"{r['old_path_cpu_s'] / r['erasure_cpu_median_s']:,.0f}x"
        )
    if r["reads"]:
        line += (
            f"\n        reader ({r['reads']} sector-view reads): quiet median "
            f"{ms(r['read_quiet_median_s'])}, longest during erasures "
            f"{ms(r['read_longest_during_erasures_s'])}, during the old path "
            f"{ms(r['read_longest_during_old_path_s'])}"
        )
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000,8000")
    parser.add_argument("--erasures", type=int, default=5)
    parser.add_argument("--no-old", action="store_true", help="leave out the old path")
    parser.add_argument("--no-reader", action="store_true", help="no reader process")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        result = measure(size, args.erasures, old=not args.no_old, read=not args.no_reader)
        print(show(result), flush=True)
        results.append(result)
    if len(results) > 1 and results[0]["erasure_cpu_median_s"]:
        growth = results[-1]["erasure_cpu_median_s"] / results[0]["erasure_cpu_median_s"]
        print(
            f"erasure CPU from {results[0]['citizens']:,} to {results[-1]['citizens']:,} "
            f"citizens: {growth:.2f}x (flat: 1.00)"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
