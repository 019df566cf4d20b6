"""Soak the record in kills: many rounds of a writer and a projection runner killed with
SIGKILL at random moments, the checks of ``tests/reliability/test_crash_recovery.py``
after every round, and a summary at the end (exit 1 if anything was found wrong).

    python scripts/soak_crashes.py --db sqlite --rounds 500
    python scripts/soak_crashes.py --db postgres --rounds 500 --seed 7

``--db postgres`` uses ``ONEPLAN_TEST_POSTGRES_URL`` (default
postgresql://postgres@127.0.0.1:5432/test) with a schema of its own, dropped at the end.
Needs the test extra (``pip install -e ".[test]"``); run from the repository's root.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.reliability.workers import CrashRun, crash_rounds, prepare

from oneplan import Keys, OnePlan

POSTGRES_URL = os.environ.get(
    "ONEPLAN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def soak(
    url: str, workdir: Path, rounds: int, seed: int, longest: float, chunk: int, writers: int
) -> CrashRun:
    """The rounds, ``chunk`` at a time on the same record (each chunk ends with the full
    checks: everything acknowledged stored once, views resumed equal a rebuild)."""
    keys = Keys.generate()
    with OnePlan.open(url, keys=keys) as app:
        shared = prepare(app)
    rng = random.Random(seed)
    total = CrashRun()
    while total.rounds < rounds:
        crash_rounds(
            url,
            keys,
            shared,
            workdir,
            min(chunk, rounds - total.rounds),
            rng,
            longest=longest,
            run=total,
            writers=writers,
        )
        print(
            f"{total.rounds}/{rounds} rounds, {total.kills} kills, {len(total.acks)} "
            f"acknowledged, {len(total.problems)} problems",
            flush=True,
        )
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--longest", type=float, default=0.4, help="latest kill, seconds")
    parser.add_argument("--chunk", type=int, default=50, help="rounds between full checks")
    parser.add_argument("--writers", type=int, default=1, help="writers racing in each round")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    wall, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="oneplan-soak-") as tmp:
        workdir = Path(tmp)
        schema = None
        if args.db == "sqlite":
            url = f"sqlite:///{workdir / 'soak.db'}"
        else:
            import psycopg

            schema = f"oneplan_soak_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            url = f"{POSTGRES_URL}?schema={schema}"
        try:
            run = soak(url, workdir, args.rounds, seed, args.longest, args.chunk, args.writers)
        finally:
            if schema is not None:
                with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    print(
        f"db={args.db} writers={args.writers} seed={seed} rounds={run.rounds} kills={run.kills} "
        f"(writers {run.writer_kills}, runners {run.runner_kills}) "
        f"acknowledged={len(run.acks)} refused={len(run.refused)} in_doubt={run.in_doubt} "
        f"(already stored {run.in_doubt_stored}, sent again with their ids) "
        f"problems={len(run.problems)} wall={time.perf_counter() - wall:.1f}s "
        f"cpu(parent)={time.process_time() - cpu:.1f}s"
    )
    for problem in run.problems[:50]:
        print("PROBLEM", problem)
    return 1 if run.problems else 0


if __name__ == "__main__":
    sys.exit(main())
