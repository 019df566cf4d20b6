"""Eight clients send commands at once, with idempotency keys, and retry after timeouts
and conflicts: every acknowledged command is stored exactly once. On SQLite (one
process) and on PostgreSQL with several workers."""

from __future__ import annotations

import random
import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.conftest import POSTGRES_URL, postgres_schema
from tests.http.conftest import Service, start_service
from tests.http.idp import IdentityProvider
from tests.http.story import case

CLIENTS = 8
COMMANDS = 12
RETRYABLE = {409, 503}
"""A conflict that retries ran out on, a store that was busy: send it again, same key."""


def _client_sends(
    service: Service,
    plan: str,
    client: int,
    acknowledged: dict[str, str],
    retried: Counter[str],
    lock: threading.Lock,
) -> None:
    chance = random.Random(client)
    token = service.token("anne.t")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=service.url, headers=headers, timeout=30) as http:
        for n in range(COMMANDS):
            key = f"client-{client}-goal-{n}"
            body = {"plan_id": plan, "description": f"goal {n} of client {client}"}
            for attempt in range(50):
                # a third of first tries give up almost at once: the server may or may not
                # have stored the command, and the retry must not store it twice
                timeout = 0.003 if attempt == 0 and chance.random() < 0.35 else 30
                try:
                    response = http.post(
                        "/commands/set-goal",
                        json=body,
                        headers={"Idempotency-Key": key},
                        timeout=timeout,
                    )
                except httpx.TimeoutException:
                    with lock:
                        retried["timeout"] += 1
                    continue
                if response.status_code in RETRYABLE:
                    with lock:
                        retried[str(response.status_code)] += 1
                    continue
                assert response.status_code == 200, response.text
                with lock:
                    acknowledged[key] = response.json()["result"]
                break
            # an acknowledged command sent again answers the same
            again = http.post("/commands/set-goal", json=body, headers={"Idempotency-Key": key})
            assert again.status_code == 200, again.text
            assert again.json()["result"] == acknowledged[key]


def _run_clients(service: Service) -> None:
    with service.client("anne.t") as anne:
        plan = case(anne)["plan"]
    acknowledged: dict[str, str] = {}
    retried: Counter[str] = Counter()
    lock = threading.Lock()
    failures: list[BaseException] = []

    def run(client: int) -> None:
        try:
            _client_sends(service, plan, client, acknowledged, retried, lock)
        except BaseException as e:
            failures.append(e)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[0]

    with service.client("anne.t") as anne:
        goals = anne.get(f"/plans/{plan}/sector-view").json()["goals"]
    stored = Counter(g["item"]["description"] for g in goals)
    assert retried["timeout"] > 0  # (the retries after a lost answer did happen)
    assert len(acknowledged) == CLIENTS * COMMANDS
    assert sorted(stored.values()) == [1] * CLIENTS * COMMANDS  # each once
    assert sorted(g["item"]["goal_id"] for g in goals) == sorted(acknowledged.values())


def test_concurrent_clients_with_retries_store_each_command_once_on_sqlite(
    service: Service,
) -> None:
    _run_clients(service)


@pytest.mark.postgres
def test_concurrent_clients_with_retries_store_each_command_once_on_postgres_workers(
    tmp_path: Path,
) -> None:
    with postgres_schema("oneplan_http") as schema:
        running = start_service(
            tmp_path, IdentityProvider(), db_url=f"{POSTGRES_URL}?schema={schema}", workers=2
        )
        try:
            _run_clients(running)
            workers = running.log.read_text().count('"message": "started"')
        finally:
            assert running.stop()
    assert workers == 2
