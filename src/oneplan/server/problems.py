"""Errors as ``application/problem+json`` (RFC 9457): every refusal the library makes is
its typed error (``oneplan.errors``), sent with a 4xx status, the error's class and the
ids it carries. A 5xx means the store failed or a fault of ours, never bad input."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from oneplan.errors import (
    AnchorInvalid,
    AuditChainBroken,
    AuditChainNotStarted,
    CommandIdReused,
    ConcurrencyConflict,
    InvalidInput,
    KeyConfigurationError,
    LetterConfigurationError,
    LetterRenderingUnavailable,
    NotFound,
    NotPermitted,
    OnePlanError,
    RuleViolation,
    StaffNotFound,
    StorageError,
)
from oneplan.principals import Principal, StaffPrincipal
from oneplan.projections import codec

__all__ = ["PROBLEM", "Problem", "problem_for", "status_for"]

PROBLEM = "application/problem+json"


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="urn:oneplan:error:CLASS, naming the error class (docs/errors.md)"
    )
    title: str = Field(description="The error class's meaning, in one line")
    status: int = Field(description="The HTTP status")
    detail: str = Field(description="What went wrong, in words")
    error: str = Field(description="The error's class in oneplan.errors (or the service's own)")
    ids: dict[str, Any] = Field(
        default_factory=dict, description="The ids the error carries (plan_id, rule, ...)"
    )
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="For InvalidInput: each bad field, with loc and msg"
    )
    request_id: str | None = Field(default=None, description="The request's X-Request-ID")


def status_for(error: OnePlanError, principal: Principal | None = None) -> int:
    """The HTTP status of a library error."""
    if isinstance(error, StaffNotFound):
        if isinstance(principal, StaffPrincipal) and principal.staff_id == error.ids.get(
            "staff_id"
        ):
            return 403  # (the caller is not in the staff directory: no competence)
        return 404
    if isinstance(error, CommandIdReused):
        return 422  # (an Idempotency-Key reused for another request)
    if isinstance(error, InvalidInput | AnchorInvalid):
        return 422
    if isinstance(error, NotPermitted):
        return 403
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, RuleViolation | ConcurrencyConflict):
        return 409
    if isinstance(error, AuditChainNotStarted | AuditChainBroken):
        return 409
    if isinstance(error, LetterRenderingUnavailable):
        return 501  # (a PDF where the letter extra is not installed)
    if isinstance(error, KeyConfigurationError | StorageError | LetterConfigurationError):
        return 503
    return 400


def _first_sentence(text: str) -> str:
    words = " ".join(text.split())
    head, dot, _ = words.partition(". ")
    return head + ("." if dot else "")


def _plain(value: Any) -> Any:
    try:
        return codec.unstructure(value)
    except Exception:  # (an id of a type the codec does not know)
        return str(value)


def problem_for(
    error: OnePlanError, *, principal: Principal | None = None, request_id: str | None = None
) -> tuple[int, dict[str, Any]]:
    """(status, body) for a library error."""
    status = status_for(error, principal)
    name = type(error).__name__
    body = Problem(
        type=f"urn:oneplan:error:{name}",
        title=_first_sentence(type(error).__doc__ or name),
        status=status,
        detail=str(error) if status < 500 else f"{name}: the service cannot do this now",
        error=name,
        ids={k: _plain(v) for k, v in error.ids.items()} if status < 500 else {},
        errors=[
            {k: _plain(v) for k, v in e.items() if k in ("loc", "msg", "type")}
            for e in error.errors
        ]
        if isinstance(error, InvalidInput)
        else None,
        request_id=request_id,
    )
    return status, body.model_dump(exclude_none=True)


def service_problem(
    status: int, name: str, title: str, detail: str, *, request_id: str | None = None
) -> dict[str, Any]:
    """A problem the service itself raises (401, 403 from the token, 404 of a route)."""
    return Problem(
        type=f"urn:oneplan:error:{name}",
        title=title,
        status=status,
        detail=detail,
        error=name,
        request_id=request_id,
    ).model_dump(exclude_none=True)
