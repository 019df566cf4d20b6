"""A citizen's course, sent over HTTP as a sector's system would send it."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

ALL_CATEGORIES = [
    "goals",
    "interventions",
    "progress-notes",
    "meeting-decisions",
    "contact-details",
    "costs",
    "health",
]


def send(client: httpx.Client, command: str, key: str | None = None, **body: Any) -> str:
    """POST a command; its result (fails the test on a refusal, naming the problem)."""
    headers = {"Idempotency-Key": key or str(uuid4())}
    response = client.post(f"/commands/{command}", json=body, headers=headers)
    assert response.status_code == 200, f"{command}: {response.status_code} {response.text}"
    return str(response.json()["result"])


def case(
    client: httpx.Client,
    *,
    sectors: tuple[str, ...] = ("employment", "social"),
    categories: list[str] | None = None,
    coordinator: str = "anne.t",
) -> dict[str, str]:
    """A citizen with a consent to ``sectors`` and an active plan coordinated by
    ``coordinator``; returns their ids."""
    citizen = send(client, "register-citizen", name="Mette Hansen", birth_date="1984-05-02")
    consent = send(
        client,
        "grant-consent",
        citizen_id=citizen,
        recipient_sectors=list(sectors),
        categories=categories or ALL_CATEGORIES,
        purpose="one coordinated plan",
        period={"start": "2026-01-01", "end": "2030-12-31"},
        given_by=[{"kind": "citizen"}],
        given_how="in-meeting",
    )
    plan = send(
        client,
        "open-plan",
        citizen_ids=[citizen],
        consent_ids=[consent],
        legal_bases=["LAB § 30 b"],
        coordinator=coordinator,
    )
    return {"citizen": citizen, "consent": consent, "plan": plan}
