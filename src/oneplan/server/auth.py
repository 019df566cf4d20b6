"""Who is calling: an OIDC bearer token (a JWT), verified against the issuer's keys, and
mapped to a principal (rule 11: identity from outside, competence from the record).

The token is verified with PyJWT: its signature by a key of the issuer's JWKS (chosen by
the token's ``kid``; the algorithm must be the key's own, never ``none`` nor an HMAC), its
issuer, its audience, its expiry (``exp`` is required) and not-before, with a clock skew
(``leeway``). The JWKS is read from a URL (cached; fetched again when a token names a
key it does not hold, at most every ``min_refresh`` seconds, so a rotation at the
identity provider is picked up at once) or from a file (read again when it changes).

Then the claims name the principal, and nothing in a request body ever can:

- role ``oneplan.auditor`` (in the roles claim): ``Principal.auditor(id, basis=...)``,
  its id the staff claim (or ``sub``), its basis the ``oneplan_audit_basis`` claim;
- role ``oneplan.system``: ``Principal.system(job)``, the job the client (``azp`` or
  ``client_id``, else ``sub``);
- the citizen claim (``oneplan_citizen_id`` by default; the identity broker maps the
  citizen's MitID login to their id in oneplan): ``Principal.citizen(id)``;
- otherwise ``Principal.staff(id)`` by the staff claim (``preferred_username`` by
  default, else ``sub``): who they are, and what they may do, is then read from the
  staff directory.

A token that names two kinds is refused (``ambiguous``).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs
import httpx
import jwt

from oneplan.errors import OnePlanError
from oneplan.principals import Principal

__all__ = [
    "AUDITOR_ROLE",
    "SYSTEM_ROLE",
    "Forbidden",
    "Jwks",
    "OidcSettings",
    "TokenVerifier",
    "Unauthenticated",
    "principal_for",
]

AUDITOR_ROLE = "oneplan.auditor"
SYSTEM_ROLE = "oneplan.system"
AUDIT_BASIS_CLAIM = "oneplan_audit_basis"
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
"""Asymmetric algorithms only: a token signed with a shared secret (HS*) or none is refused."""


class Unauthenticated(Exception):
    """No token, or a token that does not verify (HTTP 401). ``reason`` is for the log;
    the caller is told only that the token is missing or invalid."""

    def __init__(self, reason: str, *, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing


class Forbidden(Exception):
    """A verified token that names no principal oneplan can act for (HTTP 403)."""


@attrs.frozen
class OidcSettings:
    """Where tokens come from and how their claims name a principal."""

    issuer: str
    audience: str
    jwks: str
    """A URL (``https://.../certs``) or a file path of the issuer's JWKS."""
    leeway: float = 60.0
    """Seconds of clock skew allowed on ``exp``, ``nbf`` and ``iat``."""
    staff_claim: str = "preferred_username"
    citizen_claim: str = "oneplan_citizen_id"
    roles_claim: str = "roles"
    """A claim name, or a dotted path (``realm_access.roles`` for Keycloak)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OidcSettings:
        """From the environment (``ONEPLAN_OIDC_ISSUER`` and the others of
        docs/configuration.md); ``ValueError`` naming what is missing."""
        env = os.environ if env is None else env
        missing = [
            name
            for name in ("ONEPLAN_OIDC_ISSUER", "ONEPLAN_OIDC_AUDIENCE", "ONEPLAN_OIDC_JWKS")
            if not env.get(name, "").strip()
        ]
        if missing:
            raise ValueError(
                f"set {', '.join(missing)}: the service takes its callers from verified "
                "OIDC tokens only (docs/http.md)"
            )
        leeway = env.get("ONEPLAN_OIDC_LEEWAY", "60").strip()
        try:
            seconds = float(leeway)
        except ValueError:
            raise ValueError(f"ONEPLAN_OIDC_LEEWAY={leeway!r} is not a number of seconds") from None
        if not 0 <= seconds <= 600:
            raise ValueError("ONEPLAN_OIDC_LEEWAY is from 0 to 600 seconds")
        return cls(
            issuer=env["ONEPLAN_OIDC_ISSUER"].strip(),
            audience=env["ONEPLAN_OIDC_AUDIENCE"].strip(),
            jwks=env["ONEPLAN_OIDC_JWKS"].strip(),
            leeway=seconds,
            staff_claim=env.get("ONEPLAN_OIDC_STAFF_CLAIM", "").strip() or "preferred_username",
            citizen_claim=env.get("ONEPLAN_OIDC_CITIZEN_CLAIM", "").strip() or "oneplan_citizen_id",
            roles_claim=env.get("ONEPLAN_OIDC_ROLES_CLAIM", "").strip() or "roles",
        )


class Jwks:
    """The issuer's signing keys, by ``kid``: from a URL (cached for ``ttl`` seconds, and
    fetched again for a key not held, at most every ``min_refresh`` seconds) or a file
    (read again when its modification time changes)."""

    def __init__(
        self, source: str, *, ttl: float = 300.0, min_refresh: float = 1.0, timeout: float = 5.0
    ) -> None:
        self.source = source
        self.is_url = source.startswith(("https://", "http://"))
        self.ttl = ttl
        self.min_refresh = min_refresh
        self.timeout = timeout
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched = float("-inf")
        self._stamp: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str | None) -> jwt.PyJWK | None:
        """The key named ``kid`` (a JWKS of one key may be used without a kid)."""
        with self._lock:
            now = time.monotonic()
            if self._stale(now):
                self._load(now)
            found = self._find(kid)
            if found is None and self.is_url and now - self._fetched >= self.min_refresh:
                self._load(now)  # (a rotation: the token names a key we have not seen)
                found = self._find(kid)
            return found

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return self._keys.get(kid) if kid is not None else None

    def _stale(self, now: float) -> bool:
        if self.is_url:
            return now - self._fetched >= self.ttl
        try:
            stamp = Path(self.source).stat().st_mtime
        except OSError:
            return True
        return stamp != self._stamp

    def _load(self, now: float) -> None:
        """Read the key set; on failure keep the keys held (a key set that cannot be read
        leaves tokens signed by unknown keys unverified, never accepted)."""
        try:
            if self.is_url:
                response = httpx.get(self.source, timeout=self.timeout, follow_redirects=False)
                response.raise_for_status()
                data = response.json()
            else:
                path = Path(self.source)
                self._stamp = path.stat().st_mtime
                data = json.loads(path.read_text())
            keys: dict[str | None, jwt.PyJWK] = {}
            for jwk in data.get("keys", []) if isinstance(data, dict) else []:
                if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
                    continue
                try:
                    key = jwt.PyJWK(jwk)
                except jwt.PyJWTError:
                    continue  # (a key of a type we do not use)
                keys[key.key_id] = key
            self._keys = keys
        except (OSError, ValueError, httpx.HTTPError):
            pass
        finally:
            self._fetched = now


class TokenVerifier:
    """Verifies bearer tokens against the issuer's JWKS (see the module's docstring)."""

    def __init__(self, settings: OidcSettings, jwks: Jwks | None = None) -> None:
        self.settings = settings
        self.jwks = jwks or Jwks(settings.jwks)

    def claims(self, authorization: str | None) -> dict[str, Any]:
        """The verified claims of an ``Authorization: Bearer ...`` header."""
        if not authorization:
            raise Unauthenticated("no bearer token", missing=True)
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("not a bearer token", missing=True)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise Unauthenticated(f"malformed token: {e}") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise Unauthenticated(f"algorithm {alg!r} is not accepted")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise Unauthenticated("malformed key id")
        key = self.jwks.key(kid)
        if key is None:
            raise Unauthenticated(f"no key {kid!r} in the issuer's key set")
        if key.algorithm_name != alg:
            raise Unauthenticated(f"key {kid!r} is for {key.algorithm_name}, not {alg}")
        s = self.settings
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=s.audience,
                issuer=s.issuer,
                leeway=s.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as e:
            raise Unauthenticated(f"{type(e).__name__}: {e}") from None
        return claims


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _text(claims: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = _claim(claims, name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def principal_for(claims: Mapping[str, Any], settings: OidcSettings) -> Principal:
    """The principal a verified token names (see the module's docstring)."""
    roles_claim = _claim(claims, settings.roles_claim)
    if isinstance(roles_claim, str):
        roles = set(roles_claim.split())
    elif isinstance(roles_claim, list):
        roles = {r for r in roles_claim if isinstance(r, str)}
    else:
        roles = set()
    citizen = _claim(claims, settings.citizen_claim)
    kinds = [
        kind
        for kind, present in (
            ("auditor", AUDITOR_ROLE in roles),
            ("system", SYSTEM_ROLE in roles),
            ("citizen", citizen is not None),
        )
        if present
    ]
    if len(kinds) > 1:
        raise Forbidden(f"the token names more than one kind of principal ({', '.join(kinds)})")
    try:
        if kinds == ["auditor"]:
            basis = _text(claims, AUDIT_BASIS_CLAIM)
            if basis is None:
                raise Forbidden(f"an auditor's token names the audit's basis ({AUDIT_BASIS_CLAIM})")
            who = _text(claims, settings.staff_claim, "sub")
            return Principal.auditor(who or "", basis=basis)
        if kinds == ["system"]:
            return Principal.system(_text(claims, "azp", "client_id", "sub") or "")
        if kinds == ["citizen"]:
            return Principal.citizen(UUID(str(citizen)))
        return Principal.staff(_text(claims, settings.staff_claim, "sub") or "")
    except (OnePlanError, ValueError) as e:
        raise Forbidden(f"the token's subject names no principal: {e}") from None
