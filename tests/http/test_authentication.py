"""Who is calling comes from a verified OIDC token, and from nothing else."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from oneplan.server.auth import Jwks
from tests.http.conftest import Service, start_service
from tests.http.idp import IdentityProvider, serving_jwks


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _attacks(idp: IdentityProvider) -> dict[str, str]:
    good = idp.token("anne.t")
    header, payload, signature = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        idp.keys[idp.current]
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    return {
        "expired": idp.token("anne.t", lifetime=-3600),
        "wrong audience": idp.token("anne.t", aud="another-service"),
        "wrong issuer": idp.token("anne.t", iss="https://evil.example/realms/kommune"),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': idp.current})}.{payload}.",
        "a key not in the JWKS": idp.token("anne.t", key=stranger),
        "an unknown kid": idp.token("anne.t", kid="key-99", key=stranger),
        "tampered payload": f"{header}.{_b64({**claims, 'preferred_username': 'it.admin'})}"
        f".{signature}",
        "HS256 keyed with the public key": jwt.encode(
            claims,
            base64.b64encode(public_pem).decode(),
            algorithm="HS256",
            headers={"kid": idp.current},
        ),
        "no expiry": jwt.encode(
            {k: v for k, v in claims.items() if k != "exp"},
            idp.keys[idp.current],
            algorithm="RS256",
            headers={"kid": idp.current},
        ),
        "not yet valid": idp.token("anne.t", nbf=int(time.time()) + 3600),
        "garbage": "not.a.token",
    }


ATTACKS = [
    "expired",
    "wrong audience",
    "wrong issuer",
    "alg none",
    "a key not in the JWKS",
    "an unknown kid",
    "tampered payload",
    "HS256 keyed with the public key",
    "no expiry",
    "not yet valid",
    "garbage",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_forged_or_invalid_token_is_401(service: Service, attack: str) -> None:
    token = _attacks(service.idp)[attack]

    response = httpx.get(f"{service.url}/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["error"] == "Unauthenticated"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_no_token_is_401_and_a_valid_one_names_the_principal(service: Service) -> None:
    assert httpx.get(f"{service.url}/me").status_code == 401
    assert httpx.get(f"{service.url}/me", headers={"Authorization": "Basic abc"}).status_code == 401

    with service.client("anne.t") as anne:
        assert anne.get("/me").json() == {
            "principal": "staff:anne.t",
            "kind": "staff",
            "sector": "employment",
        }


def test_claims_name_auditors_system_jobs_and_citizens(service: Service) -> None:
    auditor = service.client(
        "rev-7", roles=["oneplan.auditor"], oneplan_audit_basis="Kommunestyrelsesloven § 42"
    )
    system = service.client("svc-1", roles=["oneplan.system"], azp="retention-run")
    citizen = service.client("mitid-123", oneplan_citizen_id="0b1f6a3e-4f35-4a66-9f0c-3f1f2f3e4d5c")

    assert auditor.get("/me").json()["principal"] == "auditor:rev-7"
    assert system.get("/me").json()["principal"] == "system:retention-run"
    assert citizen.get("/me").json()["principal"] == (
        "citizen:0b1f6a3e-4f35-4a66-9f0c-3f1f2f3e4d5c"
    )


def test_a_valid_token_without_a_right_is_403(service: Service) -> None:
    stranger = service.client("not.in.directory")
    two_kinds = service.client(
        "x", roles=["oneplan.system"], oneplan_citizen_id="0b1f6a3e-4f35-4a66-9f0c-3f1f2f3e4d5c"
    )
    auditor_without_basis = service.client("rev-8", roles=["oneplan.auditor"])
    social = service.client("social.system")

    assert stranger.get("/caseload").status_code == 403
    assert two_kinds.get("/me").status_code == 403
    assert auditor_without_basis.get("/me").status_code == 403
    refused = social.get("/audit/verify")
    assert refused.status_code == 403
    assert refused.json()["ids"]["rule"] == "audit_verification_to_auditors"


def test_nothing_in_a_body_changes_who_the_caller_is(service: Service) -> None:
    social = service.client("social.system")

    as_actor = social.post(
        "/commands/register-citizen",
        json={"name": "X", "birth_date": "1990-01-01", "actor": {"id": "it.admin"}},
    )
    as_principal = social.post(
        "/commands/register-citizen",
        json={"name": "X", "birth_date": "1990-01-01", "principal": "staff:it.admin"},
    )

    assert as_actor.status_code == 422
    assert as_actor.json()["errors"][0]["loc"] == ["actor"]
    assert as_principal.status_code == 422  # (no such field: extra fields are refused)


def test_keys_from_a_jwks_url_are_cached_and_a_rotation_is_picked_up(tmp_path: Path) -> None:
    idp = IdentityProvider()
    with serving_jwks(idp) as (url, fetches):
        service = start_service(tmp_path, idp, jwks=url)
        try:
            first = httpx.get(
                f"{service.url}/me", headers={"Authorization": f"Bearer {idp.token('anne.t')}"}
            )
            again = httpx.get(
                f"{service.url}/me", headers={"Authorization": f"Bearer {idp.token('lars.s')}"}
            )
            fetched = len(fetches)
            idp.rotate()  # the provider signs with a new key from now on
            time.sleep(1.1)  # (unknown key ids fetch the set again at most once a second)
            rotated = httpx.get(
                f"{service.url}/me", headers={"Authorization": f"Bearer {idp.token('anne.t')}"}
            )
        finally:
            assert service.stop()

    assert first.status_code == again.status_code == rotated.status_code == 200
    assert fetched == 1  # (cached)
    assert len(fetches) == 2  # (fetched again for the new key id)


def test_a_jwks_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    idp = IdentityProvider()
    path = idp.write_jwks(tmp_path / "jwks.json")
    jwks = Jwks(str(path))
    old = idp.current
    assert jwks.key(old) is not None

    new = idp.rotate()
    idp.write_jwks(path)
    os.utime(path, (time.time() + 5, time.time() + 5))  # (a new modification time)

    assert jwks.key(new) is not None
    assert jwks.key("key-99") is None
