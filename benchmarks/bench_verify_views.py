"""Benchmark: verifying the views against the log, beside rebuilding them.

    python benchmarks/bench_verify_views.py [--citizens 3000] [--rounds 2] [--log URL]

Writes a synthetic municipality (``oneplan simulate``, sealed with fresh keys) into a
SQLite file in a temp dir, or takes ``--log URL`` (its keys from ``ONEPLAN_KEY_FILE``),
then alternates, on the same application, ``app.views.rebuild()`` (fold the log into new
views and swap them in) and ``oneplan.audit.verify_views(app)`` (fold the log into fresh
views in memory and compare every stored row, the tracking position, the CPR index and
the data keys), printing wall and CPU time of each and the ratio verify/rebuild by CPU
time (the machine is shared: wall time varies more). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from oneplan import Keys, OnePlan
from oneplan.audit import verify_views

T = TypeVar("T")


def timed(work: Callable[[], T]) -> tuple[float, float, T]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--log", help="an existing record's URL (keys: ONEPLAN_KEY_FILE)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.log:
            url, keys = args.log, Keys.from_env()
        else:
            keys = Keys.generate()
            key_file = Path(folder) / "keys"
            keys.write(key_file)
            url = f"sqlite:///{Path(folder) / 'municipality.db'}"
            env = {**os.environ, "ONEPLAN_KEY_FILE": str(key_file)}
            subprocess.run(
                ["oneplan", "simulate", "--citizens", str(args.citizens), "--db", url],
                env=env,
                check=True,
                stdout=sys.stderr,
            )
        with OnePlan.open(url, keys=keys) as app:
            app.views.catch_up()
            for n in range(1, args.rounds + 1):
                rebuild_wall, rebuild_cpu, _ = timed(app.views.rebuild)
                verify_wall, verify_cpu, found = timed(lambda: verify_views(app))
                print(
                    f"round {n}: {found.events} events, {found.rows} view rows "
                    f"({found.status.value}): rebuild {rebuild_wall:.1f} s wall, "
                    f"{rebuild_cpu:.1f} s CPU; verify_views {verify_wall:.1f} s wall, "
                    f"{verify_cpu:.1f} s CPU; verify/rebuild by CPU {verify_cpu / rebuild_cpu:.2f}"
                )


if __name__ == "__main__":
    main()
