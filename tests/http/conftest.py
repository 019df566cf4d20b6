"""The HTTP service under test: a real ``oneplan serve`` (uvicorn) on 127.0.0.1, started
by the tests on a record they prepared through the library, its callers' tokens signed by
a key made in the test (``idp.py``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from oneplan import Keys, OnePlan, Period, Principal
from tests.http.idp import IdentityProvider

STAFF = {
    # staff id: (sector, laws, roles)
    "anne.t": ("employment", ("LAB", "LAS"), ("caseworker",)),
    "lars.s": ("social", ("SEL",), ("caseworker",)),
    "sofie.h": ("health", ("SUL",), ("caseworker",)),
    "social.system": ("social", (), ("caseworker",)),
    "health.system": ("health", (), ("caseworker",)),
    "housing.system": ("housing", (), ("caseworker",)),
}
"""The staff directory of the record under test (besides its administrator and each
sector's manager); ``*.system`` are sectors' systems' service accounts."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_record(url: str, keys: Keys) -> None:
    """Bootstrap the staff directory of ``STAFF`` through the library."""
    with OnePlan.open(url, keys=keys) as app:
        app.bootstrap(staff_id="it.admin", name="Ida Thorsen", sector="employment")
        admin = app.as_(Principal.staff("it.admin"))
        managers: dict[str, str] = {}
        for staff_id, (sector, laws, roles) in STAFF.items():
            if sector not in managers:
                managers[sector] = f"manager.{sector}"
                admin.register_staff(
                    staff_id=managers[sector],
                    name=f"Manager of {sector}",
                    sector=sector,
                    roles=["manager"],
                )
            admin.register_staff(staff_id=staff_id, name=staff_id, sector=sector, roles=roles)
            for law in laws:
                app.as_(Principal.staff(managers[sector])).delegate_authority(
                    staff_id=staff_id,
                    law=law,
                    basis="delegation plan (tests)",
                    period=Period(start=date(2020, 1, 1)),
                )


@dataclass
class Service:
    """A running ``oneplan serve``."""

    url: str
    idp: IdentityProvider
    process: subprocess.Popen[bytes]
    log: Path
    db_url: str
    keys: Keys
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, subject: str, **claims: Any) -> str:
        return self.idp.token(subject, **claims)

    def client(self, subject: str | None = None, **claims: Any) -> httpx.Client:
        headers = {}
        if subject is not None:
            headers["Authorization"] = f"Bearer {self.token(subject, **claims)}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> bool:
        """SIGTERM, as systemd stops it; whether it stopped gracefully: it finished its
        requests and closed the record (uvicorn then ends by the signal it was sent,
        which systemd counts as a clean stop)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        stopped = '"message": "stopped"' in self.log.read_text()
        return stopped and self.process.returncode in (0, -signal.SIGTERM)


def start_service(
    tmp: Path,
    idp: IdentityProvider,
    *,
    db_url: str | None = None,
    jwks: str | None = None,
    workers: int = 1,
    prepare: bool = True,
    env: dict[str, str] | None = None,
) -> Service:
    """Prepare a record (SQLite in ``tmp`` unless ``db_url``) and start ``oneplan serve``
    on it; returns once ``/healthz`` answers."""
    keys = Keys.generate()
    key_file = tmp / "oneplan.keys"
    keys.write(key_file)
    url = db_url or f"sqlite:///{tmp / 'oneplan.db'}"
    if prepare:
        prepare_record(url, keys)
    jwks = jwks or str(idp.write_jwks(tmp / "jwks.json"))
    port = free_port()
    log = tmp / f"server-{port}.log"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ONEPLAN_")},
        **idp.env(jwks),
        "ONEPLAN_KEY_FILE": str(key_file),
        **(env or {}),
    }
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [sys.executable, "-m", "oneplan", "serve", "--db", url, "--port", str(port)]
    command += ["--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=environment, stdout=out, stderr=subprocess.STDOUT)
    service = Service(f"http://127.0.0.1:{port}", idp, process, log, url, keys)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"oneplan serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{service.url}/healthz", timeout=1).status_code == 200:
                return service
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    service.stop()
    raise RuntimeError(f"oneplan serve did not answer: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def idp() -> IdentityProvider:
    return IdentityProvider()


@pytest.fixture(scope="session")
def service(idp: IdentityProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One service on SQLite, shared by the tests of a session (each test makes citizens
    and plans of its own)."""
    running = start_service(tmp_path_factory.mktemp("service"), idp)
    yield running
    assert running.stop(), f"the service did not stop cleanly: {running.log.read_text()[-2000:]}"
