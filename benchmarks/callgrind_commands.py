"""Instructions a command: ``bench_commands``' in-memory workload under callgrind.

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=cg.out \\
        python benchmarks/callgrind_commands.py [--plans 10]

Runs a warm-up of 3 plans uninstrumented, then switches callgrind's instrumentation on
(``callgrind_control -i on``) for exactly ``bench_commands.run_oneplan``'s timed loop of
``--plans`` plans (33 commands each) and off after it. Prints the commands; the
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
    args = parser.parse_args()
    bc.run_oneplan("memory://", 3)  # warm-up: imports, adapters, caches
    quiet_gc = bc._quiet_gc

    def start() -> None:  # (called by run_oneplan just before its timed loop)
        quiet_gc()
        _instrument(True)

    bc._quiet_gc = start
    result, _, _ = bc.run_oneplan("memory://", args.plans)
    _instrument(False)
    print(f"commands {result.commands} events {result.events}")


if __name__ == "__main__":
    main()
