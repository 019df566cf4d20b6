"""Benchmark: does a command cost more as the in-memory record grows? (issue 17: the
memory recorder once took ``max()`` of the chain on every insert, 170 -> 662 us per
command over 20,000 commands).

    python benchmarks/bench_growth.py [--plans 650] [--every 2000]

Sends ``bench_commands``' workload (33 commands a plan, each as the caseworker or citizen
who makes it) to one in-memory ``OnePlan`` without stopping, and prints the CPU time per
command of every ``--every`` commands, and the last block's over the first's (flat: about
1.0; the machine is shared, so one block may jump; the median of the last three against
the first three is the figure to read).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_commands as bc

from oneplan.application import OnePlan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=650)
    parser.add_argument("--every", type=int, default=2000)
    args = parser.parse_args(argv)
    app = OnePlan.open("memory://")
    cast = bc.staffed(app)
    blocks: list[float] = []
    sent = 0
    start = time.process_time()
    for i in range(args.plans):
        ids: dict[str, object] = {}
        for _name, step in bc._plan_script(i):
            step(cast, ids)
            sent += 1
            if sent % args.every == 0:
                now = time.process_time()
                blocks.append((now - start) / args.every * 1e6)
                start = now
    app.close()
    if len(blocks) < 6:
        raise SystemExit("too few blocks: raise --plans or lower --every")
    first, last = statistics.median(blocks[:3]), statistics.median(blocks[-3:])
    print(f"{sent} commands; CPU us per command, every {args.every}:")
    print("  " + " ".join(f"{b:.0f}" for b in blocks))
    print(f"last three / first three (medians): {last:.1f} / {first:.1f} = {last / first:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
