"""Run oneplan's Hypothesis state machines for a long time, by hand (not in CI).

    python scripts/soak_state_machines.py                      # 10,000 courses of each
    python scripts/soak_state_machines.py --examples 2000 --minutes 30 --machine whole

Runs the machines in rounds of ``--round`` examples (each round with a fresh random
seed) until ``--examples`` have run or ``--minutes`` have passed, and prints how many
ran, in what wall and CPU time. A failure stops the run and prints the shrunk course
that Hypothesis found (a ``state.…`` script to paste into a test). The same as running
``HYPOTHESIS_PROFILE=soak pytest tests/property/test_application_state_machine.py``,
but bounded in time and with the count reported.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.property.test_application_state_machine import WholeApplication
from tests.property.test_plan_and_intervention_state_machine import (
    PlanAndInterventionMachine,
)
from tests.property.test_sector_views import SectorViews

MACHINES: dict[str, tuple[type[RuleBasedStateMachine], int]] = {
    "whole": (WholeApplication, 40),
    "plans": (PlanAndInterventionMachine, 50),
    "sector-views": (SectorViews, 30),
}
"""Each machine with the steps per course it runs in CI."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=10_000, help="courses per machine")
    parser.add_argument("--minutes", type=float, default=None, help="stop after this long")
    parser.add_argument("--round", type=int, default=100, help="courses per round")
    parser.add_argument("--steps", type=int, default=None, help="steps per course")
    parser.add_argument(
        "--machine", choices=sorted(MACHINES), action="append", help="default: all of them"
    )
    args = parser.parse_args()
    names = args.machine or sorted(MACHINES)
    deadline = time.monotonic() + args.minutes * 60 if args.minutes else None
    for name in names:
        machine, steps = MACHINES[name]
        ran = 0
        wall, cpu = time.monotonic(), time.process_time()
        while ran < args.examples and (deadline is None or time.monotonic() < deadline):
            count = min(args.round, args.examples - ran)
            run_state_machine_as_test(
                machine,
                settings=settings(
                    max_examples=count,
                    stateful_step_count=args.steps or steps,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                ),
            )
            ran += count
            print(
                f"{name}: {ran} courses, {time.monotonic() - wall:.0f} s wall, "
                f"{time.process_time() - cpu:.0f} s CPU",
                flush=True,
            )
        print(f"{name}: passed {ran} courses of up to {args.steps or steps} steps", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
