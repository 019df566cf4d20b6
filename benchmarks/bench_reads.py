"""Benchmark: reads of a short and a long plan, now and as of a past time.

    python benchmarks/bench_reads.py [--storage memory,sqlite,postgres] [--short 50]
                                     [--long 2000] [--reads 20] [--json FILE]
                                     [--baseline-src DIR]

Two plans are built on fresh stores of each storage, one of ``--short`` events of the
plan's own stream and one of ``--long`` (``bench_asof``'s family plan: the commands of
``bench_commands``' plan, then goal progress notes, new goals and coordinating meetings;
its interventions' events besides).
Then, taking turns between the two plans read by read (so a shared machine's load falls
on both alike), ``--reads`` times each:

- ``sector_view``: ``app.as_(staff).sector_view(plan_id)`` by the plan's coordinator
  (who may see every item: the largest view and access record), as a caller reads it by
  default (every goal, intervention and meeting, and the 50 most recent progress notes),
  now and ``as_of`` the recorded time of a random event of the plan after its script,
  once she holds it (seeded, spread over its history);
- ``sector_view_every_note`` (where the code has paging): the same with
  ``notes_limit=None``, every one of the plan's progress notes shown and logged (for
  what that costs; not a goal);
- ``citizen_plan``: ``app.as_(staff).citizen_plan(plan_id)`` (the letter as Markdown,
  with who has looked since the last delivery), now and as of a random past time.

Every read goes through the session as a caller's would: it catches the views up, reads
them, and logs the read (an ``AccessRecord`` event); the bytes of the access event of
the last sector-view read of each plan are given, and how many progress notes it showed.
Wall time (``perf_counter_ns``) and CPU time (``process_time``) are taken per read; the
figures are medians. The goal: the long plan's read within 2x of the short one's (ratio
long/short <= 2), for the reads a caller makes by default.

``--baseline-src DIR`` runs the same measurement first in a child process whose
``oneplan`` is imported from ``DIR`` (``git worktree add /tmp/base main``, then
``--baseline-src /tmp/base/src``), and prints both, before and after, in one run.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from typing import Any
from uuid import UUID

sys.path.insert(0, os.path.dirname(__file__))

import bench_asof
import bench_commands as bc

from oneplan.application import OnePlan
from oneplan.keys import Keys
from oneplan.values import AchievementStatus, MeetingAttendee, Sector

GOAL_RATIO = 2.0
"""The goal: a read of the long plan costs at most twice the short plan's."""
SCRIPT_EVENTS = 15
"""Events of the plan's script (``bench_commands``): as-of reads are of times after it,
when the reader (Anne) holds the plan and may read the citizen's plan."""
READS = ("sector_view", "sector_view_as_of", "citizen_plan", "citizen_plan_as_of")
EVERY_NOTE = "sector_view_every_note"


def _reads() -> tuple[str, ...]:
    """``READS``, and ``EVERY_NOTE`` where the sector view pages its notes."""
    from oneplan.usecases.reads import Reads

    paged = "notes_limit" in inspect.signature(Reads.sector_view).parameters
    return (*READS, EVERY_NOTE) if paged else READS


def build_plan(app: OnePlan, events: int) -> UUID:
    """``bench_asof``'s family plan, stopped at ``events`` events of the plan's own stream
    (at least the 15 of its script): progress notes, new goals and meetings after it."""
    cast = bc.staffed(app)
    record = app.as_(bench_asof.SYSTEM).record
    ids: dict[str, Any] = {}
    for _name, step in bc._plan_script(0):
        step(cast, ids)
    plan_id: UUID = ids["plan"]
    goal = ids["work"]
    start = bc._at(date(2026, 6, 2))
    k = 0
    while (have := len(record.history(plan_id))) < events:
        with app.batched():
            for _ in range(min(100, events - have)):
                k += 1
                at = start + timedelta(minutes=90 * k)
                if k % 25 == 0:
                    goal = cast.anne.set_goal(
                        plan_id=plan_id,
                        description=f"Goal {k}: a step towards work",
                        due=date(2027, 12, 31),
                        effective_at=at,
                    )
                elif k % 40 == 0:
                    cast.anne.hold_meeting(
                        plan_id=plan_id,
                        attendees=[
                            MeetingAttendee(id="anne.t", sector=Sector.EMPLOYMENT),
                            MeetingAttendee(id="lars.s", sector=Sector.SOCIAL),
                        ],
                        decisions=[f"Meeting {k}: the plan goes on as agreed"],
                        effective_at=at,
                    )
                else:
                    cast.anne.record_goal_progress(
                        plan_id=plan_id,
                        goal_id=goal,
                        achievement=AchievementStatus.IMPROVING,
                        note=f"Progress note {k}: a little further this week",
                        effective_at=at,
                    )
    return plan_id


def _keys() -> Keys:
    keys = Keys.from_env()
    return keys if keys.audit_key and keys.master_key else Keys.generate()


class _Plan:
    """One built plan, and how to read it."""

    def __init__(self, url: str, events: int, seed: int) -> None:
        self.app = OnePlan.open(url, keys=_keys())
        t0 = time.perf_counter()
        self.plan_id: UUID = build_plan(self.app, events)
        self.build_s = time.perf_counter() - t0
        history = self.app.as_(bench_asof.SYSTEM).record.history(self.plan_id)
        self.events = len(history)
        rng = random.Random(seed)
        held = history[SCRIPT_EVENTS:] or history[-1:]  # (once the coordinator holds it)
        self.moments = [rng.choice(held).timestamp + timedelta(microseconds=1) for _ in range(1000)]
        self.anne = self.app.as_(bc.ANNE)
        self.reads = _reads()
        self.times: dict[str, list[tuple[float, float]]] = {r: [] for r in self.reads}
        self.access_event_bytes = 0
        self.notes_shown = 0
        self.notes = 0

    def read(self, what: str, i: int) -> None:
        as_of = self.moments[i % len(self.moments)] if what.endswith("_as_of") else None
        c0, w0 = time.process_time(), time.perf_counter_ns()
        if what == EVERY_NOTE:
            view = self.anne.sector_view(self.plan_id, notes_limit=None)
        elif what.startswith("sector_view"):
            view = self.anne.sector_view(self.plan_id, as_of=as_of)
        else:
            self.anne.citizen_plan(self.plan_id, as_of=as_of)
        wall = (time.perf_counter_ns() - w0) / 1e6
        self.times[what].append(((time.process_time() - c0) * 1000, wall))
        if what == "sector_view":
            self.notes_shown = len(view.notes)
        elif what == EVERY_NOTE:
            self.notes = len(view.notes)

    def last_event_bytes(self) -> int:
        recorder: Any = self.app.recorder
        last = recorder.max_notification_id()
        found = recorder.select_notifications(start=last, limit=1)
        return len(found[0].state) if found else 0

    def figures(self) -> dict[str, Any]:
        out: dict[str, Any] = {"events": self.events, "build_s": self.build_s}
        for what, pairs in self.times.items():
            out[what] = {
                "cpu_ms": statistics.median(c for c, _ in pairs),
                "wall_ms": statistics.median(w for _, w in pairs),
            }
        out["access_event_bytes"] = self.access_event_bytes
        out["notes_shown"] = self.notes_shown
        out["notes"] = self.notes or None  # (None: the code shows every note, unpaged)
        return out


def measure(url_of: Any, short: int, long: int, reads: int, seed: int = 17) -> dict[str, Any]:
    """Build both plans (on stores from ``url_of()``) and time their reads."""
    plans = {"short": _Plan(url_of(), short, seed), "long": _Plan(url_of(), long, seed)}
    try:
        kinds = plans["short"].reads
        for i in range(-2, reads):  # two rounds of warm-up
            for what in kinds:
                order = ("short", "long") if i % 2 == 0 else ("long", "short")
                for size in order:
                    plans[size].read(what, i)
                    if what == "sector_view":
                        plans[size].access_event_bytes = plans[size].last_event_bytes()
            if i == -1:
                for p in plans.values():
                    p.times = {r: [] for r in kinds}
        result = {size: p.figures() for size, p in plans.items()}
    finally:
        for p in plans.values():
            p.app.close()
    result["ratio"] = {
        what: {
            unit: result["long"][what][unit] / result["short"][what][unit]
            for unit in ("cpu_ms", "wall_ms")
        }
        for what in kinds
    }
    return result


def run(kinds: list[str], short: int, long: int, reads: int) -> dict[str, Any]:
    stores = bench_asof.Stores()
    try:
        return {kind: measure(lambda k=kind: stores.url(k), short, long, reads) for kind in kinds}
    finally:
        stores.close()


def _baseline(src: str, argv: list[str]) -> dict[str, Any]:
    """The same measurement with ``oneplan`` imported from ``src``, in a child process."""
    env = {**os.environ, "PYTHONPATH": os.path.abspath(src)}
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), *argv, "--emit-json"],
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return dict(json.loads(out.stdout))


def _source() -> str:
    import oneplan

    return os.path.dirname(os.path.dirname(os.path.abspath(oneplan.__file__)))


def report(results: dict[str, Any], label: str) -> None:
    for kind, r in results.items():
        s, lg = r["short"], r["long"]
        print(
            f"{label} {kind}: plans of {s['events']} and {lg['events']} events; access event of a "
            f"sector-view read {s['access_event_bytes']:,} and {lg['access_event_bytes']:,} bytes"
        )
        if lg.get("notes_shown") is not None:
            s_of = f" of {s['notes']:,}" if s.get("notes") else ""
            lg_of = f" of {lg['notes']:,}" if lg.get("notes") else ""
            print(
                f"  progress notes a sector-view read shows by default: "
                f"{s['notes_shown']:,}{s_of} and {lg['notes_shown']:,}{lg_of}"
            )
        for what in r["ratio"]:
            ratio = r["ratio"][what]
            met = "met" if ratio["cpu_ms"] <= GOAL_RATIO else "missed"
            print(
                f"  {what:<22} CPU {s[what]['cpu_ms']:7.2f} / {lg[what]['cpu_ms']:7.2f} ms "
                f"(x{ratio['cpu_ms']:.2f})   wall {s[what]['wall_ms']:7.2f} / "
                f"{lg[what]['wall_ms']:7.2f} ms (x{ratio['wall_ms']:.2f})   "
                + (f"goal x<={GOAL_RATIO:.0f} by CPU: {met}" if what in READS else "(no goal)")
            )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", default="memory,sqlite,postgres")
    parser.add_argument("--short", type=int, default=50, help="events of the short plan")
    parser.add_argument("--long", type=int, default=2000, help="events of the long plan")
    parser.add_argument("--reads", type=int, default=20, help="reads of each kind and plan")
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--baseline-src", metavar="DIR", help="oneplan's src to compare with")
    parser.add_argument("--emit-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.storage.split(",") if k.strip()]
    baseline = None
    if args.baseline_src:
        child = [a for a in argv if not a.startswith("--baseline-src") and a != args.baseline_src]
        child = [a for a in child if not a.startswith("--json") and a != args.json]
        print(f"baseline: oneplan from {args.baseline_src} ...", file=sys.stderr)
        baseline = _baseline(args.baseline_src, child)
    print(f"ours: oneplan from {_source()} ...", file=sys.stderr)
    results = run(kinds, args.short, args.long, args.reads)
    if args.emit_json:
        print(json.dumps(results))
        return 0
    if baseline is not None:
        report(baseline, "before")
    report(results, "after" if baseline is not None else "")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"ours": results, "baseline": baseline}, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
