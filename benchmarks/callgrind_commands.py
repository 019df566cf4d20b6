"""Instructions a command: ``bench_commands``' in-memory workload under callgrind.

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=cg.out \\
        python benchmarks/callgrind_commands.py [--plans 10]

Runs a warm-up of 3 plans uninstrumented, then switches callgrind's instrumentation on
(``callgrind_control -i on``) for exactly ``bench_commands.run_oneplan``'s timed loop of
``--plans`` plans (33 commands each) and off after it. With ``--side bare`` it counts
the other side of ``bench_commands``' ratio instead: the same events saved through a bare
eventsourcing ``Application`` (``run_bare``'s timed loop; the oneplan run that makes
the events is not counted). Prints the commands (saves); the
instructions are valgrind's ``Collected :`` line and ``cg.out``'s ``totals:`` line
(``callgrind_annotate cg.out`` names the C functions). Unlike CPU time, the count does
not move with the machine's load: set ``PYTHONHASHSEED=0`` for counts that repeat
exactly (dict layouts follow the hash seed, about 1%), and run the code to compare with
``PYTHONPATH=OTHER/src``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_commands as bc


def _instrument(on: bool) -> None:
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plans", type=int, default=10)
    parser.add_argument("--side", choices=("oneplan", "bare"), default="oneplan")
    args = parser.parse_args()
    if args.side == "bare":
        bare(args.plans)
        return
    bc.run_oneplan("memory://", 3)  # warm-up: imports, adapters, caches
    quiet_gc = bc._quiet_gc

    def start() -> None:  # (called by run_oneplan just before its timed loop)
        quiet_gc()
        _instrument(True)

    bc._quiet_gc = start
    result, _, _ = bc.run_oneplan("memory://", args.plans)
    _instrument(False)
    print(f"commands {result.commands} events {result.events}")


def bare(plans: int) -> None:
    """The bare side: ``run_bare``'s timed loop only (instrumentation off again before
    it computes the payload's size)."""

    def events(n: int) -> tuple[Any, ...]:
        result, batches, app = bc.run_oneplan("memory://", n)
        plain = [bc.to_plain_batches(app, batches)]
        if hasattr(result, "setup"):  # (an older tree's bench saves no staff directory)
            plain.append(bc.to_plain_batches(app, result.setup))
        app.close()
        return tuple(plain)

    bc.run_bare("memory://", *events(3))  # warm-up
    plain = events(plans)
    quiet_gc, payload_bytes = bc._quiet_gc, bc._payload_bytes

    def start() -> None:  # (called by run_bare just before its timed loop)
        quiet_gc()
        _instrument(True)

    def stop(app: Any, plain: Any) -> int:  # (called by run_bare just after it)
        _instrument(False)
        return payload_bytes(app, plain)

    bc._quiet_gc, bc._payload_bytes = start, stop
    result = bc.run_bare("memory://", *plain)
    print(f"saves {result.commands} events {result.events}")


if __name__ == "__main__":
    main()
