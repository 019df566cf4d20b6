"""Request ids, structured logs and Prometheus metrics for the HTTP service.

Every request gets an id (the caller's ``X-Request-ID`` if it is a sane one, else a new
UUID), sent back in ``X-Request-ID`` and named in every log line written while it is
handled and in every problem body. Logs are JSON lines on stderr. Metrics
(``prometheus-client``) are served at ``/metrics``: requests by route, method and
status; latency by route; the views' lag behind the log; feed changes delivered. With
several workers, set ``PROMETHEUS_MULTIPROC_DIR`` (``oneplan serve`` does) and each
worker's figures are summed.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

__all__ = [
    "FEED_CHANGES",
    "REQUEST_ID",
    "VIEW_LAG",
    "JsonFormatter",
    "RequestMiddleware",
    "configure_logging",
    "metrics_payload",
]

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "oneplan_request_id", default=None
)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_log = logging.getLogger("oneplan.http")

_MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REQUESTS = Counter(
    "oneplan_http_requests_total", "HTTP requests handled", ["method", "route", "status"]
)
LATENCY = Histogram(
    "oneplan_http_request_duration_seconds",
    "Time to handle an HTTP request",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
VIEW_LAG = Gauge(
    "oneplan_view_lag_events",
    "Events in the log not yet folded into the views (measured at each scrape)",
    **({"multiprocess_mode": "mostrecent"} if _MULTIPROCESS else {}),  # type: ignore[arg-type]
)
FEED_CHANGES = Counter(
    "oneplan_feed_changes_total", "Changes delivered by the change feed", ["sector"]
)


def metrics_payload() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format (every worker's, with several)."""
    if _MULTIPROCESS:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id, and any
    ``extra`` fields given to the log call."""

    _PLAIN = frozenset(vars(logging.makeLogRecord({})))

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in self._PLAIN and key not in line and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(level: str = "info") -> None:
    """JSON lines on stderr for oneplan's loggers and uvicorn's (its access log is off:
    each request is logged once, by the service, with its id)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("oneplan", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestMiddleware:
    """Gives each HTTP request its id, logs it when it ends, and counts it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next(
            (v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-request-id"),
            "",
        )
        request_id = given if _SANE_ID.match(given) else str(uuid.uuid4())
        token = REQUEST_ID.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            path = getattr(route, "path", None) or "(no route)"
            method = scope.get("method", "")
            REQUESTS.labels(method, path, str(status)).inc()
            LATENCY.labels(method, path).observe(elapsed)
            state = scope.get("state", {})
            _log.info(
                "request",
                extra={
                    "method": method,
                    "path": scope.get("path", ""),
                    "route": path,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "principal": state.get("principal"),
                    "error": state.get("error"),
                },
            )
            REQUEST_ID.reset(token)
