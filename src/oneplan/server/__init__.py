"""oneplan over HTTP (the ``server`` extra: FastAPI, uvicorn, PyJWT, prometheus-client).

``oneplan serve --db URL`` runs it; ``create_app(record, verifier)`` builds it for a host
of your own. Commands, reads and the change feed of the library, for callers holding an
OIDC bearer token; see docs/http.md.
"""

from __future__ import annotations

from oneplan.server.app import create_app, create_app_from_env, idempotency_command_id
from oneplan.server.auth import Jwks, OidcSettings, TokenVerifier, principal_for

__all__ = [
    "Jwks",
    "OidcSettings",
    "TokenVerifier",
    "create_app",
    "create_app_from_env",
    "idempotency_command_id",
    "principal_for",
]
