"""Benchmark: the same commands over HTTP and through the library, in the same run; the
change feed's latency from commit to delivery.

    python benchmarks/bench_http.py [--db sqlite|postgres] [--commands 400] [--clients 8]
                                    [--feed 40] [--json FILE]

1. **library**: ``set_goal`` commands sent through ``app.as_(Principal.staff(...))`` in
   this process, one after another, on a fresh record of the same kind; each timed.
2. **HTTP, one client**: the same commands as ``POST /commands/set-goal`` with an
   ``Idempotency-Key``, over one keep-alive httpx connection to a real ``oneplan serve``
   (uvicorn, one worker; SQLite, or PostgreSQL with ``--db postgres``) on 127.0.0.1,
   each timed from request to answer. Every request carries a bearer token verified
   against a JWKS file (the key made here).
3. **HTTP, N clients**: the same, from ``--clients`` threads at once (throughput).
4. **feed**: a sector's system long-polls ``GET /feed?wait=25`` while a writer sends
   ``--feed`` goals one at a time; the latency of each is the time from the writer's
   200 (the command committed) to the poller holding the change. The same through the
   library (``session.changes(wait=...)`` in a thread).

CPU time is shown beside wall time: this process's ``process_time`` and, for HTTP, the
server process's (from ``/proc``). The machine is shared: wall figures move with other
people's work. Figures: docs/http.md, Performance.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from oneplan import ActorKind, ConsentGiver, Keys, OnePlan, Period, Principal

ISSUER = "https://idp.bench.invalid/realms/kommune"
AUDIENCE = "oneplan"
PG = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _figures(
    name: str, latencies: list[float], wall: float, cpu: float, count: int
) -> dict[str, Any]:
    return {
        "name": name,
        "commands": count,
        "per_s": count / wall,
        "p50_ms": _percentile(latencies, 0.5) * 1000 if latencies else None,
        "p99_ms": _percentile(latencies, 0.99) * 1000 if latencies else None,
        "wall_s": wall,
        "cpu_s": cpu,
    }


def _server_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Record:
    """A fresh record (SQLite file, or a PostgreSQL schema) with a staff directory and
    ``plans`` active plans coordinated by anne.t, consented to employment and social."""

    def __init__(self, kind: str, tmp: Path, name: str) -> None:
        self.kind = kind
        self.schema = None
        if kind == "postgres":
            import psycopg

            self.schema = f"bench_http_{name}_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{self.schema}"')
            self.url = f"{PG}?schema={self.schema}"
        else:
            self.url = f"sqlite:///{tmp / f'{name}.db'}"
        self.keys = Keys.generate()
        self.key_file = tmp / f"{name}.keys"
        self.keys.write(self.key_file)

    def prepare(self, plans: int) -> list[str]:
        with OnePlan.open(self.url, keys=self.keys) as app:
            app.bootstrap(staff_id="it.admin", name="Ida", sector="employment")
            admin = app.as_(Principal.staff("it.admin"))
            admin.register_staff(staff_id="anne.t", name="Anne", sector="employment")
            admin.register_staff(staff_id="social.system", name="Social", sector="social")
            anne = app.as_(Principal.staff("anne.t"))
            found = []
            for _ in range(plans):
                citizen = anne.register_citizen(name="Mette", birth_date=date(1984, 5, 2))
                consent = anne.grant_consent(
                    citizen_id=citizen,
                    recipient_sectors=["employment", "social"],
                    categories=["goals", "interventions", "contact-details"],
                    purpose="one coordinated plan",
                    period=Period(start=date(2026, 1, 1)),
                    given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
                    given_how="in-meeting",
                )
                plan = anne.open_plan(
                    citizen_ids=[citizen],
                    consent_ids=[consent],
                    legal_bases=["LAB § 30 b"],
                    coordinator="anne.t",
                )
                found.append(str(plan))
            return found

    def drop(self) -> None:
        if self.schema is not None:
            import psycopg

            with psycopg.connect(PG, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')


class Server:
    """``oneplan serve`` on 127.0.0.1, with tokens signed by a key made here."""

    def __init__(self, record: Record, tmp: Path) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = {
            **json.loads(RSAAlgorithm.to_jwk(self.key.public_key())),
            "kid": "k1",
            "alg": "RS256",
        }
        jwks = tmp / "jwks.json"
        jwks.write_text(json.dumps({"keys": [jwk]}))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ONEPLAN_")},
            "ONEPLAN_KEY_FILE": str(record.key_file),
            "ONEPLAN_OIDC_ISSUER": ISSUER,
            "ONEPLAN_OIDC_AUDIENCE": AUDIENCE,
            "ONEPLAN_OIDC_JWKS": str(jwks),
            "ONEPLAN_LOG_LEVEL": "warning",
        }
        self.log = tmp / "server.log"
        command = [sys.executable, "-m", "oneplan", "serve", "--db", record.url]
        command += ["--port", str(port), "--log-level", "warning"]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(self.log.read_text())

    def token(self, subject: str) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject,
            "preferred_username": subject,
            "iat": now,
            "exp": now + 3600,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "k1"})

    def client(self, subject: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.token(subject)}"},
            timeout=60,
        )

    def cpu(self) -> float:
        return _server_cpu(self.process.pid)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def _timed(send: Callable[[int], None], count: int) -> tuple[list[float], float, float]:
    latencies = []
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(count):
        began = time.perf_counter()
        send(n)
        latencies.append(time.perf_counter() - began)
    return latencies, time.perf_counter() - wall, time.process_time() - cpu


def bench_library(record: Record, plans: list[str], count: int) -> dict[str, Any]:
    with OnePlan.open(record.url, keys=record.keys) as app:
        anne = app.as_(Principal.staff("anne.t"))
        anne.set_goal(plan_id=plans[0], description="warm-up")

        def send(n: int) -> None:
            anne.set_goal(
                plan_id=plans[n % len(plans)], description=f"goal {n}", command_id=uuid.uuid4()
            )

        latencies, wall, cpu = _timed(send, count)
    return _figures("library (in process)", latencies, wall, cpu, count)


def bench_http(server: Server, plans: list[str], count: int, clients: int) -> list[dict[str, Any]]:
    rows = []
    with server.client("anne.t") as http:
        http.post("/commands/set-goal", json={"plan_id": plans[0], "description": "warm-up"})

        def send(n: int) -> None:
            response = http.post(
                "/commands/set-goal",
                json={"plan_id": plans[n % len(plans)], "description": f"goal {n}"},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            assert response.status_code == 200, response.text

        server_cpu = server.cpu()
        latencies, wall, cpu = _timed(send, count)
        row = _figures("HTTP, 1 client", latencies, wall, cpu, count)
        row["server_cpu_s"] = server.cpu() - server_cpu
        rows.append(row)

    per_client = count // clients
    all_latencies: list[float] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        with server.client("anne.t") as http:
            mine = []
            for n in range(per_client):
                plan = plans[(index * per_client + n) % len(plans)]
                began = time.perf_counter()
                for _ in range(20):  # (a version conflict that retries ran out on: again)
                    response = http.post(
                        "/commands/set-goal",
                        json={"plan_id": plan, "description": f"c{index} goal {n}"},
                        headers={"Idempotency-Key": f"c{index}-{n}-{uuid.uuid4()}"},
                    )
                    if response.status_code != 409:
                        break
                assert response.status_code == 200, response.text
                mine.append(time.perf_counter() - began)
            with lock:
                all_latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    server_cpu, cpu, wall = server.cpu(), time.process_time(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    row = _figures(f"HTTP, {clients} clients", all_latencies, wall, cpu, per_client * clients)
    row["server_cpu_s"] = server.cpu() - server_cpu
    rows.append(row)
    return rows


def bench_feed_http(server: Server, plans: list[str], count: int) -> dict[str, Any]:
    """Commit-to-delivery latency of the feed over HTTP (a long-polling reader)."""
    delivered: dict[str, float] = {}
    stop = threading.Event()
    with server.client("social.system") as social:
        cursor = social.get("/feed", params={"sector": "social"}).json()["cursor"]
        while True:  # (drain what was there before)
            page = social.get("/feed", params={"after": cursor, "limit": 1000}).json()
            cursor = page["cursor"]
            if not page["changes"]:
                break

        def poll() -> None:
            nonlocal cursor
            with server.client("social.system") as reader:
                while not stop.is_set():
                    page = reader.get("/feed", params={"after": cursor, "wait": 5}).json()
                    now = time.perf_counter()
                    for change in page["changes"]:
                        for item in change["shown"]:
                            delivered.setdefault(item["id"], now)
                    cursor = page["cursor"]

        poller = threading.Thread(target=poll)
        poller.start()
        committed: dict[str, float] = {}
        with server.client("anne.t") as anne:
            for n in range(count):
                response = anne.post(
                    "/commands/set-goal",
                    json={"plan_id": plans[n % len(plans)], "description": f"feed goal {n}"},
                )
                committed[response.json()["result"]] = time.perf_counter()
                time.sleep(0.05)
        deadline = time.monotonic() + 30
        while set(committed) - set(delivered) and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.set()
        poller.join()
    latencies = [delivered[g] - committed[g] for g in committed if g in delivered]
    return {
        "name": "feed over HTTP: commit to delivery",
        "changes": count,
        "delivered": len(latencies),
        "p50_ms": _percentile(latencies, 0.5) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
    }


def bench_feed_library(record: Record, plans: list[str], count: int) -> dict[str, Any]:
    delivered: dict[str, float] = {}
    stop = threading.Event()
    with OnePlan.open(record.url, keys=record.keys) as app:
        social = app.as_(Principal.staff("social.system"))
        anne = app.as_(Principal.staff("anne.t"))
        cursor = social.changes(limit=1000).cursor
        while True:
            page = social.changes(after=cursor, limit=1000)
            cursor = page.cursor
            if not page.changes:
                break

        def poll() -> None:
            nonlocal cursor
            while not stop.is_set():
                page = social.changes(after=cursor, wait=1, stop=stop.is_set)
                now = time.perf_counter()
                for change in page.changes:
                    for item in change.shown:
                        delivered.setdefault(item.item_id, now)
                cursor = page.cursor

        poller = threading.Thread(target=poll)
        poller.start()
        committed: dict[str, float] = {}
        for n in range(count):
            goal = anne.set_goal(plan_id=plans[n % len(plans)], description=f"feed goal {n}")
            committed[str(goal)] = time.perf_counter()
            time.sleep(0.05)
        deadline = time.monotonic() + 30
        while set(committed) - set(delivered) and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.set()
        poller.join()
    latencies = [delivered[g] - committed[g] for g in committed if g in delivered]
    return {
        "name": "feed in the library: commit to delivery",
        "changes": count,
        "delivered": len(latencies),
        "p50_ms": _percentile(latencies, 0.5) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--commands", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--feed", type=int, default=40)
    parser.add_argument("--plans", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        served = Record(args.db, tmp, "served")
        local = Record(args.db, tmp, "local")
        try:
            served_plans = served.prepare(args.plans)
            local_plans = local.prepare(args.plans)
            library = bench_library(local, local_plans, args.commands)
            server = Server(served, tmp)
            try:
                http = bench_http(server, served_plans, args.commands, args.clients)
                feed_http = bench_feed_http(server, served_plans, args.feed)
            finally:
                server.stop()
            feed_library = bench_feed_library(local, local_plans, args.feed)
        finally:
            served.drop()
            local.drop()

    rows = [library, *http]
    print(f"set_goal commands on {args.db}, {args.plans} plans; CPU s beside wall s")
    print(
        f"{'':28} {'cmd/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'wall s':>7} {'cpu s':>7}"
        f" {'server cpu s':>13}"
    )
    for row in rows:
        server_cpu = row.get("server_cpu_s")
        print(
            f"{row['name']:28} {row['per_s']:8.0f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} "
            f"{row['wall_s']:7.2f} {row['cpu_s']:7.2f} "
            f"{'' if server_cpu is None else f'{server_cpu:13.2f}'}"
        )
    print(f"HTTP, 1 client / library (throughput): {http[0]['per_s'] / library['per_s']:.2f}")
    print(f"HTTP, {args.clients} clients / library: {http[1]['per_s'] / library['per_s']:.2f}")
    for feed in (feed_library, feed_http):
        print(
            f"{feed['name']}: p50 {feed['p50_ms']:.1f} ms, p99 {feed['p99_ms']:.1f} ms "
            f"({feed['delivered']} of {feed['changes']} delivered)"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"rows": rows, "feed": [feed_library, feed_http]}, indent=2)
        )


if __name__ == "__main__":
    main()
