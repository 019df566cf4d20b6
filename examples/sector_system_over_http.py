"""Two sectors' systems use the one plan over HTTP (docs/http.md).

The job centre's case system sends a citizen's course as its caseworker; the social
services' system follows what its sector may see through the change feed, and stops
seeing it the moment the citizen revokes the consent. The service is a real
``oneplan serve`` on 127.0.0.1; a key made here stands in for the municipality's
identity provider (in production: Keycloak, Entra ID or the MitID Erhverv broker).

    pip install -e ".[server]" && python examples/sector_system_over_http.py
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from oneplan import Keys, OnePlan, Principal

ISSUER = "https://login.kommune.example/realms/kommune"
folder = Path(tempfile.mkdtemp(prefix="oneplan-http-"))

# --- the identity provider's part: a signing key and its public JWKS ------------------
signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
public = {**json.loads(RSAAlgorithm.to_jwk(signing_key.public_key())), "kid": "k1", "alg": "RS256"}
(folder / "jwks.json").write_text(json.dumps({"keys": [public]}))


def token(staff_id: str) -> str:
    """An access token for a staff member or a sector system's service account."""
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "oneplan", "sub": staff_id, "preferred_username": staff_id}
    return jwt.encode({**claims, "iat": now, "exp": now + 300}, signing_key, "RS256", {"kid": "k1"})


# --- the municipality's setup: keys, the staff directory -------------------------------
keys = Keys.generate()
keys.write(folder / "oneplan.keys")
url = f"sqlite:///{folder / 'oneplan.db'}"
with OnePlan.open(url, keys=keys) as app:
    app.bootstrap(staff_id="it.admin", name="Ida Thorsen", sector="employment")
    admin = app.as_(Principal.staff("it.admin"))
    admin.register_staff(staff_id="anne.t", name="Anne Thomsen", sector="employment")
    admin.register_staff(staff_id="social.system", name="Social case system", sector="social")

# --- the service ------------------------------------------------------------------------
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
environment = {
    **os.environ,
    "ONEPLAN_KEY_FILE": str(folder / "oneplan.keys"),
    "ONEPLAN_OIDC_ISSUER": ISSUER,
    "ONEPLAN_OIDC_AUDIENCE": "oneplan",
    "ONEPLAN_OIDC_JWKS": str(folder / "jwks.json"),
}
server = subprocess.Popen(
    [sys.executable, "-m", "oneplan", "serve", "--db", url, "--port", str(port)],
    env=environment,
    stderr=(folder / "server.log").open("wb"),
)
api = f"http://127.0.0.1:{port}"
for _ in range(300):
    try:
        if httpx.get(f"{api}/healthz", timeout=1).status_code == 200:
            break
    except httpx.HTTPError:
        time.sleep(0.1)

job_centre = httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token('anne.t')}"})
social = httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token('social.system')}"})


def send(command: str, key: str, **body: Any) -> str:
    """A command, with an idempotency key: sent again after a timeout, it counts once."""
    response = job_centre.post(f"/commands/{command}", json=body, headers={"Idempotency-Key": key})
    response.raise_for_status()
    return str(response.json()["result"])


try:
    cursor = social.get("/feed", params={"sector": "social"}).json()["cursor"]

    mette = send("register-citizen", "reg-mette", name="Mette Hansen", birth_date="1984-05-02")
    consent = send(
        "grant-consent",
        "consent-mette",
        citizen_id=mette,
        recipient_sectors=["employment", "social"],
        categories=["goals", "interventions", "contact-details"],
        purpose="one coordinated plan",
        period={"start": "2026-01-01"},
        given_by=[{"kind": "citizen"}],
        given_how="in-meeting",
    )
    plan = send(
        "open-plan",
        "plan-mette",
        citizen_ids=[mette],
        consent_ids=[consent],
        legal_bases=["LAB § 30 b"],
        coordinator="anne.t",
    )
    send("set-goal", "goal-1", plan_id=plan, description="take the bus alone to job training")
    send("set-goal", "goal-1", plan_id=plan, description="take the bus alone to job training")
    print(f"job centre: a plan for Mette ({plan[:8]}), one goal (its retry stored once)")

    page = social.get("/feed", params={"sector": "social", "after": cursor, "wait": 5}).json()
    for change in page["changes"]:
        for item in change["shown"]:
            basis = item["allowed_by"]["basis"]
            print(f"social system: {change['event']}: {item['kind']} shown under {basis}")
    cursor = page["cursor"]

    send(
        "revoke-consent",
        "revoke-social",
        citizen_id=mette,
        consent_id=consent,
        sectors=["social"],
        given_how="in-meeting",
    )
    send("set-goal", "goal-2", plan_id=plan, description="a goal social may no longer see")
    page = social.get("/feed", params={"sector": "social", "after": cursor, "wait": 5}).json()
    [change] = page["changes"]
    print(
        f"social system: {change['event']}: resync with {len(change['shown'])} items "
        "(the revocation stops the feed at once)"
    )
    replay = social.get("/feed", params={"sector": "social"}).json()
    shown = [i for c in replay["changes"] for i in c["shown"]]
    assert not shown, shown
    log = social.get(f"/citizens/{mette}/access-log")
    print(f"social system reads Mette's access log: {log.status_code} {log.json()['error']}")
finally:
    job_centre.close()
    social.close()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)
print("service stopped")
