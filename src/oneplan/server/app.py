"""The HTTP service: FastAPI over the library, not beside it.

Every command is ``POST /commands/{name}`` with the command's own pydantic model as its
body, sent through ``app.as_(principal)`` like any Python caller's: parsed by the same
``parse`` (``InvalidInput`` naming the field), checked by the same trust rule, decided
and saved by the same loop. Every read is a ``GET`` of a session read (each checked and
logged, rule 14). The principal comes from the verified OIDC token only
(``oneplan.server.auth``); errors are the library's typed errors as problem details
(``oneplan.server.problems``).
"""

import asyncio
import contextlib
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson
from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

import oneplan
from oneplan import commands
from oneplan.aggregates.staff import StaffMember
from oneplan.application import OnePlan
from oneplan.errors import InvalidInput, OnePlanError
from oneplan.letter import render_letter
from oneplan.principals import (
    AuditorPrincipal,
    Principal,
    StaffPrincipal,
    SystemPrincipal,
)
from oneplan.projections import codec
from oneplan.projections.access_log import access_log_json
from oneplan.projections.sector_view import NOTES_LIMIT
from oneplan.server.auth import Forbidden, OidcSettings, TokenVerifier, Unauthenticated
from oneplan.server.auth import principal_for as _principal_for
from oneplan.server.observability import (
    FEED_CHANGES,
    VIEW_LAG,
    RequestMiddleware,
    metrics_payload,
)
from oneplan.server.openapi import command_schemas
from oneplan.server.problems import PROBLEM, Problem, problem_for, service_problem
from oneplan.usecases import Session
from oneplan.usecases.changes import ChangePage

__all__ = [
    "FEED_MAX_WAIT",
    "NOTES_LIMIT_MAX",
    "STOPPING",
    "command_routes",
    "create_app",
    "idempotency_command_id",
]

_log = logging.getLogger("oneplan.http")

NOTES_LIMIT_MAX = 1000
"""The most progress notes one ``GET /plans/{id}/sector-view`` shows (``notes_limit``)."""
FEED_MAX_WAIT = 30.0
"""The longest ``GET /feed`` waits for a change (seconds)."""
STOPPING = threading.Event()
"""Set when the server is asked to stop (``oneplan serve``): long polls answer at once."""
_IDEMPOTENCY = uuid5(NAMESPACE_URL, "urn:oneplan:idempotency-key")
_AREAS = {
    "citizens": "citizens",
    "plans": "plans",
    "interventions": "interventions",
    "staff": "staff",
    "privacy": "privacy",
}


def idempotency_command_id(principal: Principal, key: str) -> UUID:
    """The ``command_id`` an ``Idempotency-Key`` stands for: one per caller and key (two
    callers' keys never collide; the same caller's retry names the same command)."""
    return uuid5(_IDEMPOTENCY, f"{principal}\n{key}")


def command_routes() -> list[tuple[str, str, type[BaseModel], str]]:
    """(path name, method name, command model, area) of every command of a session: each
    command model of ``oneplan.commands`` with its session method (``SetGoal``:
    ``set_goal``)."""
    found = []
    for model in commands.COMMANDS:
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()
        method = getattr(Session, name, None)
        if method is None or name.startswith("_"):
            continue
        area = method.__module__.rsplit(".", 1)[-1]
        found.append((name.replace("_", "-"), name, model, _AREAS.get(area, area)))
    return sorted(found)


class CommandResult(BaseModel):
    """A command carried out (or, sent again with the same Idempotency-Key, carried out
    before: the same answer)."""

    result: str = Field(
        description="What the command returns: the id it created or changed (a delivery's "
        "number for deliver-plan)"
    )
    command_id: UUID | None = Field(
        default=None, description="The command's id (from the Idempotency-Key, or as sent)"
    )


class Health(BaseModel):
    status: Literal["ok"] = Field(description="The service answers and its store does")
    version: str = Field(description="The installed oneplan")
    position: int = Field(description="The log's last position")


class Me(BaseModel):
    principal: str = Field(description="The principal the token maps to (kind:id)")
    kind: str = Field(description="staff, citizen, auditor or system")
    sector: str | None = Field(default=None, description="A staff member's sector, per directory")


class FeedItem(BaseModel):
    kind: str = Field(description="goal, intervention, meeting, coordinator, wishes, ...")
    id: str = Field(description="The item's id in the plan")
    item: Any = Field(description="The item, as the sector view shows it")
    allowed_by: dict[str, Any] = Field(description="The consent(s) or legal basis that allowed it")
    withheld: list[str] = Field(description="Parts left out because nothing allowed them")


class FeedRemoved(BaseModel):
    kind: str
    id: str


class FeedChange(BaseModel):
    cursor: str = Field(description="The event's position: resume after it with after=CURSOR")
    plan_id: UUID
    event: str = Field(description="The event, as Aggregate.EventName")
    recorded_at: datetime
    status: str = Field(description="The plan's status after the change")
    resync: bool = Field(description="shown is the whole view: replace what you hold")
    shown: list[FeedItem] = Field(description="Items now shown, or shown differently")
    removed: list[FeedRemoved] = Field(description="Items no longer shown")


class FeedPage(BaseModel):
    sector: str = Field(description="The reader's sector, per the staff directory")
    cursor: str = Field(description="Read on with after=CURSOR")
    changes: list[FeedChange]


def _json(value: Any, media_type: str = "application/json", status: int = 200) -> Response:
    return Response(
        orjson.dumps(codec.unstructure(value)), status_code=status, media_type=media_type
    )


def _problem_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM, headers=headers)


_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    words = {
        401: "No token, or a token that does not verify",
        403: "The caller may not (rules 11-14): a NotPermitted or DisclosureRefused naming "
        "the rule",
        404: "Something named does not exist",
        409: "A rule of the domain, or a concurrent writer, refused it; nothing was written",
        422: "The input is invalid (InvalidInput names each field)",
        501: "A PDF was asked for where the letter extra (WeasyPrint) is not installed",
        503: "The store failed, or the service is not configured for this",
    }
    return {
        code: {"description": words[code], "content": {PROBLEM: {"schema": _PROBLEM_REF}}}
        for code in codes
    }


_READ_PROBLEMS = _problems(401, 403, 404, 422, 503)
_COMMAND_PROBLEMS = _problems(401, 403, 404, 409, 422, 503)


def _object(
    description: str, media_type: str = "application/json", kind: str = "object"
) -> dict[int | str, Any]:
    return {200: {"description": description, "content": {media_type: {"schema": {"type": kind}}}}}


def create_app(
    oneplan_app: OnePlan,
    verifier: TokenVerifier,
    *,
    owns: bool = False,
    stopping: Callable[[], bool] | None = None,
) -> FastAPI:
    """The service over ``oneplan_app``, its callers verified by ``verifier``. With
    ``owns``, the record is closed when the service stops."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        _log.info("started", extra={"store": type(oneplan_app.recorder).__name__})
        try:
            yield
        finally:
            if owns:
                oneplan_app.close()
            _log.info("stopped")

    api = FastAPI(
        title="oneplan",
        version=oneplan.__version__,
        summary="One coordinated plan with the citizen, across a municipality's sectors",
        description="Commands and reads of the oneplan library over HTTP, for the systems of "
        "every sector. Callers authenticate with OIDC bearer tokens; every read of personal "
        "data is logged (rule 14). See docs/http.md.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    api.add_middleware(RequestMiddleware)
    is_stopping: Callable[[], bool] = stopping or STOPPING.is_set
    bearer = HTTPBearer(auto_error=False, description="An OIDC access token (JWT)")
    settings = verifier.settings

    # --- errors ------------------------------------------------------------------------

    def request_id(request: Request) -> str | None:
        return getattr(request.state, "request_id", None)

    @api.exception_handler(OnePlanError)
    async def library_error(request: Request, error: OnePlanError) -> Response:
        principal = getattr(request.state, "principal_object", None)
        status, body = problem_for(error, principal=principal, request_id=request_id(request))
        request.state.error = type(error).__name__
        if status >= 500:
            _log.error("refused by the store", exc_info=error)
        return _problem_response(status, body)

    @api.exception_handler(Unauthenticated)
    async def unauthenticated(request: Request, error: Unauthenticated) -> Response:
        request.state.error = "Unauthenticated"
        _log.info("token refused", extra={"reason": error.reason})
        challenge = 'Bearer realm="oneplan"'
        if not error.missing:
            challenge += ', error="invalid_token"'
        detail = "send Authorization: Bearer <token>" if error.missing else "the token is invalid"
        body = service_problem(
            401, "Unauthenticated", "No valid bearer token", detail, request_id=request_id(request)
        )
        return _problem_response(401, body, {"WWW-Authenticate": challenge})

    @api.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        request.state.error = "Forbidden"
        body = service_problem(
            403,
            "Forbidden",
            "The token names no principal",
            str(error),
            request_id=request_id(request),
        )
        return _problem_response(403, body)

    @api.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        errors = [
            {"loc": tuple(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in error.errors()
        ]
        return await library_error(request, InvalidInput("Request", errors))

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        name = {404: "RouteNotFound", 405: "MethodNotAllowed"}.get(error.status_code, "HttpError")
        body = service_problem(
            error.status_code,
            name,
            str(error.detail),
            str(error.detail),
            request_id=request_id(request),
        )
        return _problem_response(error.status_code, body, dict(error.headers or {}))

    @api.exception_handler(Exception)
    async def fault(request: Request, error: Exception) -> Response:  # (a fault of ours)
        _log.error("unexpected error", exc_info=error)
        body = service_problem(
            500,
            "InternalError",
            "A fault in the service",
            "the service failed; give the request id to its operators",
            request_id=request_id(request),
        )
        return _problem_response(500, body)

    # --- who is calling ------------------------------------------------------------

    def caller(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        header = f"Bearer {credentials.credentials}" if credentials is not None else None
        claims = verifier.claims(header)
        principal = _principal_for(claims, settings)
        request.state.principal = str(principal)
        request.state.principal_object = principal
        return principal

    Caller = Annotated[Principal, Depends(caller)]  # noqa: N806

    # --- service -------------------------------------------------------------------

    @api.get("/healthz", tags=["service"], response_model=Health, responses=_problems(503))
    def healthz() -> Any:
        """The service answers and its store does (no token needed; nothing disclosed)."""
        try:
            position = int(oneplan_app.recorder.max_notification_id() or 0)
        except Exception as e:
            _log.error("health check failed", exc_info=e)
            body = service_problem(
                503, "StoreUnavailable", "The store does not answer", str(type(e).__name__)
            )
            return _problem_response(503, body)
        return Health(status="ok", version=api.version, position=position)

    @api.get(
        "/metrics",
        tags=["service"],
        response_class=Response,
        responses={
            200: {
                "description": "Prometheus text format",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    )
    def metrics() -> Response:
        """Prometheus metrics: requests, latency, the views' lag behind the log, feed
        changes delivered (no token; expose only to the monitoring network)."""
        with contextlib.suppress(Exception):
            head = int(oneplan_app.recorder.max_notification_id() or 0)
            VIEW_LAG.set(max(0, head - oneplan_app.views.position))
        payload, media_type = metrics_payload()
        return Response(payload, media_type=media_type)

    @api.get("/me", tags=["service"], response_model=Me, responses=_problems(401, 403, 503))
    def me(principal: Caller) -> Any:
        """The principal your token maps to, and (for staff) your sector per the directory."""
        sector = None
        if isinstance(principal, StaffPrincipal):
            session = oneplan_app.as_(principal)
            sector = session.caller_now().staff.sector.value  # type: ignore[union-attr]
        return Me(principal=str(principal), kind=principal.kind, sector=sector)

    # --- commands ------------------------------------------------------------------

    def add_command(path: str, method: str, model: type[BaseModel], area: str) -> None:
        async def send(
            request: Request,
            principal: Caller,
            idempotency_key: Annotated[
                str | None,
                Header(
                    alias="Idempotency-Key",
                    min_length=1,
                    max_length=255,
                    description="A key of the caller's for this command: sent again (a "
                    "retry), it takes effect once and gets the first answer",
                ),
            ] = None,
        ) -> Any:
            body = await request.body()
            try:
                fields = orjson.loads(body) if body.strip() else {}
            except orjson.JSONDecodeError:
                raise InvalidInput(
                    model.__name__, [{"loc": ("body",), "msg": "is not JSON (UTF-8)"}]
                ) from None
            if not isinstance(fields, dict):
                raise InvalidInput(
                    model.__name__, [{"loc": ("body",), "msg": "is not a JSON object"}]
                )
            if idempotency_key is not None:
                if fields.get("command_id") is not None:
                    raise InvalidInput(
                        model.__name__,
                        [
                            {
                                "loc": ("command_id",),
                                "msg": "give the Idempotency-Key header or command_id, not both",
                            }
                        ],
                    )
                fields["command_id"] = str(idempotency_command_id(principal, idempotency_key))
            handler = getattr(oneplan_app.as_(principal), method)
            result = await run_in_threadpool(lambda: handler(**fields))
            command_id = fields.get("command_id")
            return CommandResult(
                result=str(result), command_id=UUID(str(command_id)) if command_id else None
            )

        send.__doc__ = " ".join((model.__doc__ or f"The command {model.__name__}.").split())
        api.post(
            f"/commands/{path}",
            tags=[f"commands: {area}"],
            name=method,
            operation_id=method,
            summary=model.__name__,
            response_model=CommandResult,
            responses=_COMMAND_PROBLEMS,
            openapi_extra={
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{model.__name__}"}
                        }
                    },
                }
            },
        )(send)

    models: list[type[BaseModel]] = []
    for path, method, model, area in command_routes():
        add_command(path, method, model, area)
        models.append(model)

    # --- reads ---------------------------------------------------------------------

    AsOf = Annotated[  # noqa: N806
        datetime | None,
        Query(description="The plan as it stood at this recorded time (ISO 8601 with a zone)"),
    ]
    PlanId = Annotated[UUID, Path(description="The plan's id")]  # noqa: N806
    CitizenId = Annotated[UUID, Path(description="The citizen's id")]  # noqa: N806

    def session(principal: Principal) -> Session:
        return oneplan_app.as_(principal)

    @api.get(
        "/plans/{plan_id}/sector-view",
        tags=["reads"],
        responses={
            **_object("The sector view: items shown, each with what allowed it"),
            **_READ_PROBLEMS,
        },
    )
    def sector_view(
        principal: Caller,
        plan_id: PlanId,
        as_of: AsOf = None,
        sector: Annotated[
            str | None, Query(max_length=40, description="Must be the reader's own")
        ] = None,
        notes_limit: Annotated[
            int,
            Query(
                ge=1,
                le=NOTES_LIMIT_MAX,
                description="Progress notes shown: the most recent this many the sector may see",
            ),
        ] = NOTES_LIMIT,
        notes_before: Annotated[
            str | None,
            Query(
                max_length=100,
                description="Show the notes before this cursor: the older_notes of the page "
                "read before",
            ),
        ] = None,
    ) -> Response:
        """The plan as the reader's sector may see it under consent (staff; logged): its
        progress notes a page at a time, the most recent first (``older_notes`` is the
        cursor for the page before, ``null`` on the last)."""
        return _json(
            session(principal).sector_view(
                plan_id,
                sector=sector,
                as_of=as_of,
                notes_limit=notes_limit,
                notes_before=notes_before,
            )
        )

    @api.get(
        "/plans/{plan_id}/citizen-plan",
        tags=["reads"],
        responses={
            200: {
                "description": "The citizen's own plan, as the letter fit for Digital Post "
                "(docs/letter.md)",
                "content": {
                    "text/markdown": {"schema": {"type": "string"}},
                    "text/html": {"schema": {"type": "string"}},
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                    "application/json": {"schema": {"type": "object"}},
                },
            },
            **_READ_PROBLEMS,
            **_problems(501),
        },
    )
    def citizen_plan(
        principal: Caller,
        plan_id: PlanId,
        as_of: AsOf = None,
        language: Annotated[Literal["da", "en"], Query(description="Danish or English")] = "da",
        format: Annotated[
            Literal["markdown", "html", "pdf", "json"],
            Query(
                description="markdown, html, pdf (tagged PDF/A-2a; needs the letter extra) "
                "or json (the letter's parts as data: sender, goals, coordinator, access, ...)"
            ),
        ] = "markdown",
    ) -> Response:
        """The citizen's own plan (borgerens plan) as their letter: to the citizen, a holder
        of custody, staff holding the plan, an auditor; logged."""
        letter = session(principal).citizen_letter(plan_id, as_of=as_of, language=language)
        content, media_type = render_letter(letter, format)
        return Response(content, media_type=media_type)

    @api.get(
        "/plans/{plan_id}/fhir",
        tags=["reads"],
        responses={**_object("A FHIR R5 Bundle", "application/fhir+json"), **_READ_PROBLEMS},
    )
    def fhir(
        principal: Caller,
        plan_id: PlanId,
        recipient: Annotated[
            str, Query(min_length=1, max_length=200, description="The system it goes to")
        ],
        legal_basis: Annotated[
            str | None, Query(max_length=100, description="A legal basis instead of consent")
        ] = None,
        as_of: AsOf = None,
    ) -> Response:
        """The plan as a FHIR R5 Bundle to a named system (staff holding the plan,
        auditors, system jobs; logged with the recipient)."""
        bundle = session(principal).fhir_bundle(
            plan_id, recipient=recipient, legal_basis=legal_basis, as_of=as_of
        )
        return Response(bundle.model_dump_json(), media_type="application/fhir+json")

    @api.get("/caseload", tags=["reads"], responses={**_object("The caseload"), **_READ_PROBLEMS})
    def caseload(
        principal: Caller,
        coordinator_id: Annotated[
            str | None, Query(max_length=64, description="Whose (auditors)")
        ] = None,
        paused_longer_than_days: Annotated[
            int, Query(ge=0, le=3650, description="A long pause")
        ] = 14,
    ) -> Response:
        """A coordinator's caseload (staff their own; auditors anyone's, logged)."""
        return _json(
            session(principal).caseload(
                coordinator_id, paused_longer_than=timedelta(days=paused_longer_than_days)
            )
        )

    @api.get(
        "/citizens/{citizen_id}/journey",
        tags=["reads"],
        responses={**_object("The journey"), **_READ_PROBLEMS},
    )
    def journey(principal: Caller, citizen_id: CitizenId) -> Response:
        """The citizen's journey: every contact and change (logged)."""
        return _json(session(principal).journey(citizen_id))

    @api.get(
        "/citizens/{citizen_id}/access-log",
        tags=["reads"],
        responses={**_object("The access log"), **_READ_PROBLEMS},
    )
    def access_log(principal: Caller, citizen_id: CitizenId) -> Response:
        """Who has seen the citizen's data, and on which basis (rule 14)."""
        return _json(access_log_json(session(principal).access_log(citizen_id)))

    @api.get(
        "/staff",
        tags=["reads"],
        responses={**_object("The staff directory", kind="array"), **_READ_PROBLEMS},
    )
    def staff(principal: Caller) -> Response:
        """The staff directory: work details (not personal data; not logged)."""
        now = oneplan_app.clock()
        return _json([_member(m, now) for m in session(principal).staff()])

    @api.get(
        "/staff/{staff_id}",
        tags=["reads"],
        responses={**_object("A staff member"), **_READ_PROBLEMS},
    )
    def staff_member(principal: Caller, staff_id: Annotated[str, Path(max_length=64)]) -> Response:
        """One staff member's work details, roles and authority now."""
        return _json(_member(session(principal).staff_member(staff_id), oneplan_app.clock()))

    @api.get(
        "/audit/verify",
        tags=["reads"],
        responses={**_object("What the replay established"), **_READ_PROBLEMS},
    )
    def audit_verify(principal: Caller) -> Response:
        """Verify the log and its audit chain by replay (auditors and system jobs: it
        reads the whole log)."""
        if not isinstance(principal, AuditorPrincipal | SystemPrincipal):
            raise oneplan.DisclosureRefused(
                "verify the audit chain: auditors and system jobs",
                rule="audit_verification_to_auditors",
                principal=str(principal),
            )
        verification = oneplan_app.verify_audit()
        return _json({**codec.unstructure(verification), "summary": verification.summary()})

    # --- the change feed -------------------------------------------------------------

    @api.get("/feed", tags=["reads"], response_model=FeedPage, responses=_READ_PROBLEMS)
    async def feed(
        principal: Caller,
        sector: Annotated[
            str | None, Query(max_length=40, description="Must be the reader's own")
        ] = None,
        after: Annotated[
            str, Query(pattern=r"^[0-9]{1,18}$", description="A cursor: the position to read after")
        ] = "0",
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many changes")] = 100,
        wait: Annotated[
            float,
            Query(ge=0, le=FEED_MAX_WAIT, description="Seconds to wait for a change (long poll)"),
        ] = 0,
    ) -> Any:
        """The changes to the reader's sector view of every plan after the cursor: a long
        poll (``wait``). Filtered exactly like the sector view, logged like it; resume with
        the returned cursor. Staff (a sector's system: a service account in the staff
        directory)."""
        reader = oneplan_app.as_(principal)
        deadline = time.monotonic() + wait
        cursor = int(after)
        pause = 0.02
        while True:
            page: ChangePage = await run_in_threadpool(
                reader.changes, after=cursor, sector=sector, limit=limit
            )
            if page.changes or time.monotonic() >= deadline or is_stopping():
                break
            cursor = page.cursor
            while True:  # wait for the log to grow
                left = deadline - time.monotonic()
                if left <= 0 or is_stopping():
                    break
                await asyncio.sleep(min(pause, left))
                pause = min(pause * 1.5, 0.2)
                head = await run_in_threadpool(oneplan_app.recorder.max_notification_id)
                if int(head or 0) > cursor:
                    break
        if page.changes:
            FEED_CHANGES.labels(page.sector.value).inc(len(page.changes))
        return _json(_feed_page(page))

    def custom_openapi() -> dict[str, Any]:
        if api.openapi_schema:
            return api.openapi_schema
        document = get_openapi(
            title=api.title,
            version=api.version,
            summary=api.summary,
            description=api.description,
            routes=api.routes,
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(command_schemas(models))
        schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        api.openapi_schema = document
        return document

    api.openapi = custom_openapi  # type: ignore[method-assign]
    return api


def _feed_page(page: ChangePage) -> dict[str, Any]:
    return {
        "sector": page.sector.value,
        "cursor": str(page.cursor),
        "changes": [
            {
                "cursor": str(change.cursor),
                "plan_id": change.plan_id,
                "event": change.event,
                "recorded_at": change.recorded_at,
                "status": change.status.value,
                "resync": change.resync,
                "shown": [
                    {
                        "kind": item.kind,
                        "id": item.item_id,
                        "item": item.shown.item,
                        "allowed_by": item.shown.allowed_by,
                        "withheld": list(item.shown.withheld),
                    }
                    for item in change.shown
                ],
                "removed": [{"kind": kind, "id": item_id} for kind, item_id in change.removed],
            }
            for change in page.changes
        ],
    }


def _member(member: StaffMember, at: datetime) -> dict[str, Any]:
    return {
        "staff_id": member.staff_id,
        "name": member.name,
        "sector": member.sector,
        "title": member.title,
        "contact": member.contact,
        "active": member.active_at(at),
        "roles_now": [role for role in member.roles if member.holds_role(role, at)],
        "authorities_now": list(member.authorities_at(at)),
    }


def create_app_from_env() -> FastAPI:
    """The service as configured by the environment (``oneplan serve`` sets it):
    ``ONEPLAN_DATABASE_URL``, the keys (``ONEPLAN_KEY_FILE``, docs/keys.md) and
    ``ONEPLAN_OIDC_ISSUER`` and the others (docs/http.md). For uvicorn's ``--factory``."""
    import os

    from oneplan.server.observability import configure_logging

    configure_logging(os.environ.get("ONEPLAN_LOG_LEVEL", "info"))
    settings = OidcSettings.from_env()
    url = os.environ.get("ONEPLAN_DATABASE_URL") or "sqlite:///oneplan.db"
    if "://" not in url:
        url = f"sqlite:///{url}"
    from oneplan.cli.common import configured_keys

    record = OnePlan.open(url, keys=configured_keys(url))
    return create_app(record, TokenVerifier(settings), owns=True)
