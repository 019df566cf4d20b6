"""A stand-in identity provider for the tests: a signing key made in the test, its JWKS
(as a file, and served over HTTP on 127.0.0.1), and tokens signed with it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://idp.test.invalid/realms/kommune"
AUDIENCE = "oneplan"


class IdentityProvider:
    """Signs tokens with RSA keys of its own; ``jwks()`` publishes the public halves."""

    def __init__(self, issuer: str = ISSUER, audience: str = AUDIENCE) -> None:
        self.issuer = issuer
        self.audience = audience
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.current = self.rotate()

    def rotate(self) -> str:
        """A new signing key, published beside the old ones; returns its kid."""
        kid = f"key-{len(self.keys) + 1}"
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.current = kid
        return kid

    def jwks(self) -> dict[str, Any]:
        return {
            "keys": [
                {
                    **json.loads(RSAAlgorithm.to_jwk(key.public_key())),
                    "kid": kid,
                    "alg": "RS256",
                    "use": "sig",
                }
                for kid, key in self.keys.items()
            ]
        }

    def write_jwks(self, path: Path) -> Path:
        path.write_text(json.dumps(self.jwks()))
        return path

    def token(
        self,
        subject: str,
        *,
        lifetime: float = 600,
        kid: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        **claims: Any,
    ) -> str:
        """A token for ``subject`` (its ``preferred_username`` too), signed by the current
        key; ``claims`` add or override (``iss``, ``aud``, ``exp``, ``roles``, ...)."""
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "preferred_username": subject,
            "iat": now,
            "exp": now + int(lifetime),
            **claims,
        }
        kid = kid or self.current
        signing = key or self.keys[kid]
        return jwt.encode(payload, signing, algorithm="RS256", headers={"kid": kid})

    def env(self, jwks: str) -> dict[str, str]:
        """The service's environment for this provider, its JWKS at ``jwks``."""
        return {
            "ONEPLAN_OIDC_ISSUER": self.issuer,
            "ONEPLAN_OIDC_AUDIENCE": self.audience,
            "ONEPLAN_OIDC_JWKS": jwks,
        }


@contextmanager
def serving_jwks(idp: IdentityProvider) -> Iterator[tuple[str, list[int]]]:
    """The provider's JWKS over HTTP on 127.0.0.1 (always its current keys); yields the
    URL and a list counting the fetches."""
    fetches: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(idp.jwks()).encode()
            fetches.append(1)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/certs", fetches
    finally:
        server.shutdown()
        server.server_close()
