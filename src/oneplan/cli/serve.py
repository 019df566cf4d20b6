"""``oneplan serve``: the record over HTTP (docs/http.md)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from oneplan.cli.common import Db, app, database_url, fail, refuse_another_programs_database

__all__ = ["serve"]


@app.command("serve")
def serve(
    db: Db = None,
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="The port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="Worker processes (PostgreSQL only; SQLite is one process)."
        ),
    ] = 1,
    log_level: Annotated[
        str, typer.Option(help="debug, info, warning or error (JSON lines on stderr).")
    ] = "info",
) -> None:
    """Serve the record over HTTP: every command as POST /commands/NAME, the reads and the
    sector's change feed as GET, OpenAPI at /openapi.json, /healthz and /metrics. Callers
    authenticate with OIDC bearer tokens, verified against ONEPLAN_OIDC_ISSUER,
    ONEPLAN_OIDC_AUDIENCE and ONEPLAN_OIDC_JWKS (a URL or a file); needs the `server`
    extra (pip install 'oneplan[server]'). Stops gracefully on SIGTERM."""
    try:
        import uvicorn

        from oneplan.server.app import FEED_MAX_WAIT, STOPPING
        from oneplan.server.auth import OidcSettings
    except ImportError as e:
        raise fail(
            f"the server needs its extra: pip install 'oneplan[server]' ({e.name})"
        ) from None
    if log_level.lower() not in ("debug", "info", "warning", "error"):
        raise fail(f"--log-level {log_level!r}: give debug, info, warning or error")
    try:
        OidcSettings.from_env()
    except ValueError as e:
        raise fail(str(e)) from None
    url = database_url(db)
    if url.startswith("memory://") and workers > 1:
        raise fail("memory:// is one process: serve it with --workers 1")
    if url.startswith("sqlite:///"):
        if workers > 1:
            raise fail("SQLite is one process: use --workers 1, or PostgreSQL for several")
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise fail(f"no database at {path} (begin one with `oneplan staff bootstrap`)")
    refuse_another_programs_database(url)
    os.environ["ONEPLAN_DATABASE_URL"] = url
    os.environ["ONEPLAN_LOG_LEVEL"] = log_level.lower()
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="oneplan-metrics-")

    class Server(uvicorn.Server):
        """uvicorn's server, telling long polls to answer when asked to stop."""

        def handle_exit(self, sig: int, frame: Any) -> None:
            STOPPING.set()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(
        "oneplan.server.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(FEED_MAX_WAIT) + 5,
    )
    server = Server(config)
    if workers > 1:
        from uvicorn.supervisors import Multiprocess

        # (each worker runs uvicorn's own server: a stop waits for open long polls to
        # answer, within FEED_MAX_WAIT)
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        server.run()
