"""Schemathesis against the running server's own OpenAPI document: over a thousand
generated requests (valid and invalid bodies, paths, queries and headers) to every
operation, as a staff member with a valid token. No response is a 5xx, and every one
matches the status codes, content types and schemas the document gives."""

from __future__ import annotations

from collections.abc import Callable

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.http.conftest import Service
from tests.http.story import case

PER_OPERATION = 22
"""Generated requests per operation (62 operations: over 1,000 in all)."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _sender(
    operation: schemathesis.APIOperation,
    base_url: str,
    headers: dict[str, str],
    sent: list[str],
) -> Callable[[], None]:
    @given(data=st.data())
    @settings(
        max_examples=PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send(data: st.DataObject) -> None:
        generated = data.draw(operation.as_strategy())
        if generated.query and "wait" in generated.query:
            generated.query["wait"] = 0  # (a long poll waits by design)
        response = generated.call(base_url=base_url, headers=headers)
        sent.append(operation.label)
        generated.validate_response(response, checks=CHECKS)  # (raises what it finds)

    return send  # type: ignore[no-any-return]


def test_generated_requests_get_no_5xx_and_every_response_matches_the_document(
    service: Service,
) -> None:
    with service.client("anne.t") as anne:
        case(anne)  # (a plan and citizen exist: not every request is a 404)
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json")
    headers = {"Authorization": f"Bearer {service.token('anne.t', lifetime=3600)}"}
    sent: list[str] = []

    for result in schema.get_all_operations():
        _sender(result.ok(), service.url, headers, sent)()

    print(f"{len(sent)} generated requests to {len(set(sent))} operations")
    assert len(sent) >= 1000, len(sent)
    assert "InternalError" not in service.log.read_text()
