"""Benchmark: what the audit chain costs writers, and how fast a log verifies.

    python benchmarks/bench_audit.py [--storage sqlite,postgres] [--plans 40] [--repeat 3]
                                     [--events 200000] [--json FILE]

For every storage, in one run (so that the ratios compare like with like):

1. **commands, chain on vs off**: the command workload of ``bench_commands.py`` (per plan
   33 commands through the public ``OnePlan``, each sent as the caseworker or citizen
   who makes it; the staff directory registered first, not timed) on two fresh stores
   at once, one with an audit key configured (every event chained in the same
   transaction) and one without (the same master and CPR keys on both: personal data is
   sealed on both sides), taking turns command by command so that the load of a shared
   machine falls on both alike. Wall time (and CPU time) is added up per side; the
   median of ``--repeat`` runs is reported. Goal: chain on at most 10% slower
   (throughput ratio on/off >= 0.90).
2. **saves, chain on vs off**: the worst case, with nothing but the write: 20,000 stored
   events saved through the recorder, 10 per save (one aggregate's events), taking
   turns in the same way.
3. **verification**: a log of ``--events`` events over 20,000 streams is written through
   the recorder with the chain on (not timed), then verified ``--repeat`` times (plain
   SQL in batches of 20,000 rows, one thread); reported in events/s of wall time and of
   the process's CPU time (on a shared machine the second is the one-core figure), with
   how much of the wall time is reading rows (the same batches read without checking).
   Goal: >= 200,000 events/s on one core.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import attrs
from eventsourcing.persistence import StoredEvent

from oneplan import Keys, OnePlan
from oneplan.audit import ChainKey, Verifier

HERE = Path(__file__).parent
PG_DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
TOPICS = (
    "oneplan.aggregates.plan:Plan.GoalSet",
    "oneplan.aggregates.citizen:Citizen.ConsentGranted",
    "oneplan.aggregates.intervention:Intervention.Started",
    "oneplan.aggregates.access:AccessRecord.SectorViewRead",
)


def _commands_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_commands", HERE / "bench_commands.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_commands"] = module
    spec.loader.exec_module(module)
    return module


COMMANDS = _commands_module()


def _keys() -> tuple[Keys, Keys]:
    """Keys with the audit key, and the same keys without it: only the chain differs
    (personal data is sealed on both sides)."""
    keys = Keys.generate()
    return keys, attrs.evolve(keys, audit_key=None)


def run_commands(urls: tuple[str, str], plans: int) -> dict[str, Any]:
    """The command workload on two fresh stores at once, one with the chain on and one
    off, taking turns command by command (so that the machine's load falls on both
    alike); each command's wall and CPU time is added to its side."""
    keys = _keys()
    with (
        OnePlan.open(urls[0], keys=keys[0]) as on,
        OnePlan.open(urls[1], keys=keys[1]) as off,
    ):
        # The staff directory on both, before timing (set-up, not workload).
        casts = {True: COMMANDS.staffed(on), False: COMMANDS.staffed(off)}
        setup_events = int(on.recorder.max_notification_id() or 0)
        scripts = [COMMANDS._plan_script(i) for i in range(plans)]
        wall = {True: 0.0, False: 0.0}
        cpu = {True: 0.0, False: 0.0}
        commands = 0
        gc.collect()
        for n, script in enumerate(scripts):
            ids = {True: {}, False: {}}  # type: dict[bool, dict[str, Any]]
            for _name, step in script:
                for chain in (True, False) if n % 2 == 0 else (False, True):
                    cast = casts[chain]
                    w, c = time.perf_counter(), time.process_time()
                    step(cast, ids[chain])
                    wall[chain] += time.perf_counter() - w
                    cpu[chain] += time.process_time() - c
                commands += 1
        events = int(on.recorder.max_notification_id() or 0) - setup_events
        assert on.verify_audit().intact
    return {
        "commands": commands,
        "events": events,
        "on": commands / wall[True],
        "off": commands / wall[False],
        "ratio": wall[False] / wall[True],
        "cpu_ratio": cpu[False] / cpu[True],
        "unit": "commands/s",
    }


def _stored_events(count: int, streams: int, seed: str) -> list[StoredEvent]:
    rng = random.Random(seed)
    ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(streams)]
    versions = [0] * streams
    pad = rng.randbytes(150).hex().encode()
    events = []
    for n, which in enumerate(rng.choices(range(streams), k=count)):
        versions[which] += 1
        state = b'{"n":%d,"note":"%s"}' % (n, pad)
        events.append(StoredEvent(ids[which], versions[which], TOPICS[n % 4], state))
    return events


def run_saves(urls: tuple[str, str], events: int) -> dict[str, Any]:
    """``events`` stored events saved 10 per save (one aggregate's) through the
    recorder, chain on and off taking turns save by save."""
    keys = _keys()
    with (
        OnePlan.open(urls[0], keys=keys[0]) as on,
        OnePlan.open(urls[1], keys=keys[1]) as off,
    ):
        saves = [
            [
                StoredEvent(stream, version, TOPICS[version % 4], b'{"v":%d}' % version)
                for version in range(1, 11)
            ]
            for stream in (uuid.uuid4() for _ in range(events // 10))
        ]
        wall = {True: 0.0, False: 0.0}
        cpu = {True: 0.0, False: 0.0}
        gc.collect()
        for n, save in enumerate(saves):
            for chain in (True, False) if n % 2 == 0 else (False, True):
                recorder = (on if chain else off).recorder
                w, c = time.perf_counter(), time.process_time()
                recorder.insert_events(save)
                wall[chain] += time.perf_counter() - w
                cpu[chain] += time.process_time() - c
    return {
        "on": events / wall[True],
        "off": events / wall[False],
        "ratio": wall[False] / wall[True],
        "cpu_ratio": cpu[False] / cpu[True],
        "unit": "events/s",
    }


def build_log(url: str, events: int, keys: Keys) -> None:
    with OnePlan.open(url, keys=keys) as app:
        pending = _stored_events(events, 20_000, "verify")
        for start in range(0, len(pending), 5_000):
            app.recorder.insert_events(pending[start : start + 5_000])


def run_verify(url: str, keys: Keys) -> dict[str, float]:
    """One verification of the log at ``url``; and the same rows read without checking."""
    with OnePlan.open(url, keys=keys) as app:
        recorder: Any = app.recorder
        key = ChainKey(keys.audit_key or b"")
        started, cpu = time.perf_counter(), time.process_time()
        result = Verifier(recorder, key).run()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert result.intact, result.summary()
        started = time.perf_counter()
        after, rows = None, 0
        while batch := recorder.chain_rows(after, Verifier.batch_size):
            rows += len(batch)
            after = batch[-1][0]
        reading = time.perf_counter() - started
    return {
        "events": result.events,
        "events_per_s": result.events / elapsed,
        "events_per_cpu_s": result.events / cpu,
        "reading_share": reading / elapsed,
    }


class Stores:
    """Fresh stores of one kind, cleaned up at the end."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.folder = tempfile.mkdtemp(prefix="oneplan-bench-audit-")
        self.schemas: list[str] = []

    def fresh(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.folder}/{uuid.uuid4().hex}.db"
        import psycopg

        schema = f"bench_audit_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        self.schemas.append(schema)
        return f"{PG_DSN}?schema={schema}"

    def close(self) -> None:
        for name in os.listdir(self.folder):
            os.remove(os.path.join(self.folder, name))
        os.rmdir(self.folder)
        if self.schemas:
            import psycopg

            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                for schema in self.schemas:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _repeated(stores: Stores, repeat: int, run: Any, *args: Any) -> dict[str, Any]:
    """``repeat`` runs of ``run`` on fresh stores; the median of each figure."""
    runs = [run((stores.fresh(), stores.fresh()), *args) for _ in range(repeat)]
    summary = {
        name: statistics.median(r[name] for r in runs)
        for name in ("on", "off", "ratio", "cpu_ratio")
    }
    return {
        **summary,
        "unit": runs[0]["unit"],
        "ratios": [r["ratio"] for r in runs],
        "cpu_ratios": [r["cpu_ratio"] for r in runs],
    }


def bench(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    stores = Stores(kind)
    try:
        run_commands((stores.fresh(), stores.fresh()), 3)  # warm up
        commands = _repeated(stores, args.repeat, run_commands, args.plans)
        saves = _repeated(stores, args.repeat, run_saves, 20_000)
        url, keys = stores.fresh(), Keys.generate()
        build_log(url, args.events, keys)
        verifies = [run_verify(url, keys) for _ in range(args.repeat)]
    finally:
        stores.close()
    return {
        "commands": commands,
        "saves": saves,
        "verify": {
            "events": verifies[0]["events"],
            "events_per_s": statistics.median(v["events_per_s"] for v in verifies),
            "runs": [v["events_per_s"] for v in verifies],
            "events_per_cpu_s": statistics.median(v["events_per_cpu_s"] for v in verifies),
            "reading_share": statistics.median(v["reading_share"] for v in verifies),
        },
    }


def print_table(results: dict[str, dict[str, Any]]) -> None:
    print(
        f"\n{'storage':<10} {'measure':<28} {'chain on':>12} {'chain off':>12} {'on/off':>8} "
        f"{'cpu on/off':>11}"
    )
    for kind, r in results.items():
        for name in ("commands", "saves"):
            m = r[name]
            label = f"{name} ({m['unit']})"
            print(
                f"{kind:<10} {label:<28} {m['on']:>12,.0f} {m['off']:>12,.0f} "
                f"{m['ratio']:>8.2f} {m['cpu_ratio']:>11.2f}"
            )
        v = r["verify"]
        label = f"verify ({v['events']:,} events)"
        print(
            f"{kind:<10} {label:<28} {v['events_per_s']:>12,.0f} events/s wall, "
            f"{v['events_per_cpu_s']:,.0f} per CPU second ({v['reading_share']:.0%} of the "
            "wall time reading rows)"
        )
    print("\ngoals: commands on/off >= 0.90; verify >= 200,000 events/s on one core")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default="sqlite,postgres")
    parser.add_argument("--plans", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    results = {kind: bench(kind, args) for kind in args.storage.split(",")}
    print_table(results)
    document = {"args": vars(args), "results": results}
    print(json.dumps(document, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(document, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
