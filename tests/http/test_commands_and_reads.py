"""Commands and reads over HTTP are the library's: the same models, rules, typed errors
and logged reads."""

from __future__ import annotations

from typing import Any

import httpx

from tests.http.conftest import Service
from tests.http.story import case, send


def test_a_course_sent_over_http_is_read_back_through_the_sessions_reads(service: Service) -> None:
    with service.client("anne.t") as anne:
        ids = case(anne)
        goal = send(anne, "set-goal", plan_id=ids["plan"], description="take the bus alone")
        training = send(
            anne,
            "propose-intervention",
            plan_id=ids["plan"],
            citizen_id=ids["citizen"],
            sector="employment",
            legal_basis="LAB § 32",
            title="Job training",
            responsible="anne.t",
            planned_period={"start": "2026-02-01"},
        )

        view = anne.get(f"/plans/{ids['plan']}/sector-view").json()
        markdown = anne.get(f"/plans/{ids['plan']}/citizen-plan", params={"language": "en"})
        html = anne.get(f"/plans/{ids['plan']}/citizen-plan", params={"format": "html"})
        letter = anne.get(f"/plans/{ids['plan']}/citizen-plan", params={"format": "json"})
        pdf = anne.get(f"/plans/{ids['plan']}/citizen-plan", params={"format": "pdf"})
        bundle = anne.get(f"/plans/{ids['plan']}/fhir", params={"recipient": "EOJ Nord"})
        caseload = anne.get("/caseload").json()
        journey = anne.get(f"/citizens/{ids['citizen']}/journey").json()

    assert [g["item"]["goal_id"] for g in view["goals"]] == [goal]
    assert [i["item"]["intervention_id"] for i in view["interventions"]] == [training]
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "take the bus alone" in markdown.text
    assert html.headers["content-type"].startswith("text/html")
    assert "<html" in html.text
    assert letter.json()["plan_id"] == ids["plan"]
    assert [g["description"] for g in letter.json()["goals"]] == ["take the bus alone"]
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert bundle.headers["content-type"] == "application/fhir+json"
    assert bundle.json()["resourceType"] == "Bundle"
    assert ids["plan"] in [p["plan_id"] for p in caseload["active_plans"]]
    assert journey["citizen_id"] == ids["citizen"]

    auditor = service.client(
        "rev-7", roles=["oneplan.auditor"], oneplan_audit_basis="Kommunestyrelsesloven § 42"
    )
    log = auditor.get(f"/citizens/{ids['citizen']}/access-log").json()
    verified = auditor.get("/audit/verify").json()
    whats = [e["what"] for e in log["entries"]]
    assert {"sector-view", "citizen-plan", "fhir-export"} <= set(whats)
    assert verified["status"] == "intact"


def test_refusals_are_the_librarys_typed_errors_as_problem_details(service: Service) -> None:
    with service.client("anne.t") as anne:
        ids = case(anne)
    lars = service.client("lars.s")  # social; does not hold the plan
    anne = service.client("anne.t")

    not_permitted = lars.post(
        "/commands/set-goal", json={"plan_id": ids["plan"], "description": "x"}
    )
    not_found = anne.get("/plans/00000000-0000-4000-8000-000000000000/sector-view")
    invalid = anne.post("/commands/set-goal", json={"plan_id": ids["plan"], "description": ""})
    rule = anne.post("/commands/resume-plan", json={"plan_id": ids["plan"]})
    not_json = anne.post(
        "/commands/set-goal", content=b"{nope", headers={"content-type": "application/json"}
    )
    naive = anne.get(f"/plans/{ids['plan']}/sector-view", params={"as_of": "2026-01-01T00:00"})

    for response, status, error in (
        (not_permitted, 403, "NotPermitted"),
        (not_found, 404, "PlanNotFound"),
        (invalid, 422, "InvalidInput"),
        (rule, 409, "IllegalTransition"),
        (not_json, 422, "InvalidInput"),
        (naive, 422, "EffectiveTimeInvalid"),
    ):
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["error"] == error
        assert body["type"] == f"urn:oneplan:error:{error}"
        assert body["request_id"] == response.headers["x-request-id"]
    assert not_permitted.json()["ids"]["rule"] == "plan_changed_by_those_holding_it"
    assert not_found.json()["ids"]["plan_id"] == "00000000-0000-4000-8000-000000000000"
    assert invalid.json()["errors"][0]["loc"] == ["description"]


def test_an_idempotency_key_sent_again_takes_effect_once_and_answers_the_same(
    service: Service,
) -> None:
    with service.client("anne.t") as anne:
        ids = case(anne)
        body = {"plan_id": ids["plan"], "description": "one goal"}
        first = anne.post("/commands/set-goal", json=body, headers={"Idempotency-Key": "g-1"})
        again = anne.post("/commands/set-goal", json=body, headers={"Idempotency-Key": "g-1"})
        other = anne.post(
            "/commands/set-goal",
            json={**body, "description": "another"},
            headers={"Idempotency-Key": "g-1"},
        )
        goals = anne.get(f"/plans/{ids['plan']}/sector-view").json()["goals"]

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert other.status_code == 422
    assert other.json()["error"] == "CommandIdReused"
    assert [g["item"]["description"] for g in goals] == ["one goal"]


def test_every_response_names_its_request_id_and_the_service_reports_health_and_metrics(
    service: Service,
) -> None:
    given = httpx.get(f"{service.url}/healthz", headers={"X-Request-ID": "trace-42"})
    junk = httpx.get(f"{service.url}/healthz", headers={"X-Request-ID": "bad id;" * 40})
    metrics = httpx.get(f"{service.url}/metrics")

    assert given.headers["x-request-id"] == "trace-42"
    assert junk.headers["x-request-id"] != "bad id;" * 40
    assert given.json()["status"] == "ok"
    assert 'oneplan_http_requests_total{method="GET",route="/healthz",status="200"}' in (
        metrics.text
    )
    assert "oneplan_view_lag_events" in metrics.text
    assert '"request_id": "trace-42"' in service.log.read_text()


def test_the_openapi_document_is_3_1_with_every_command_and_its_fields_described(
    service: Service,
) -> None:
    document = httpx.get(f"{service.url}/openapi.json").json()

    assert document["openapi"].startswith("3.1")
    set_goal = document["paths"]["/commands/set-goal"]["post"]
    assert set_goal["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SetGoal"
    }
    schemas = document["components"]["schemas"]
    commands = [p for p in document["paths"] if p.startswith("/commands/")]
    assert len(commands) == 51
    for path in commands:
        name = document["paths"][path]["post"]["summary"]
        for field, spec in schemas[name]["properties"].items():
            assert spec.get("description"), f"{name}.{field} has no description"


def test_a_sector_view_pages_its_progress_notes_over_http_and_logs_each_page(
    service: Service,
) -> None:
    with service.client("anne.t") as anne:
        ids = case(anne)
        goal = send(anne, "set-goal", plan_id=ids["plan"], description="take the bus alone")
        for k in range(5):
            send(
                anne,
                "record-goal-progress",
                plan_id=ids["plan"],
                goal_id=goal,
                achievement="improving",
                note=f"week {k}",
            )
        url = f"/plans/{ids['plan']}/sector-view"
        every = anne.get(url).json()  # the default page holds all 5 (up to 50)
        pages = [anne.get(url, params={"notes_limit": 2}).json()]
        while pages[-1]["older_notes"] is not None:
            params = {"notes_limit": 2, "notes_before": pages[-1]["older_notes"]}
            pages.append(anne.get(url, params=params).json())
        junk = anne.get(url, params={"notes_before": "last tuesday"})
        zero = anne.get(url, params={"notes_limit": 0})

    auditor = service.client(
        "rev-7", roles=["oneplan.auditor"], oneplan_audit_basis="Kommunestyrelsesloven § 42"
    )
    log = auditor.get(f"/citizens/{ids['citizen']}/access-log").json()

    def notes(view: dict[str, Any]) -> list[str]:
        return [n["item"]["note"]["note"] for n in view["notes"]]

    assert notes(every) == [f"week {k}" for k in range(5)]
    assert every["older_notes"] is None
    assert [notes(p) for p in pages] == [["week 3", "week 4"], ["week 1", "week 2"], ["week 0"]]
    for response, field in ((junk, "notes_before"), (zero, "notes_limit")):
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "InvalidInput"
        assert field in response.json()["errors"][0]["loc"]
    reads = [e for e in log["entries"] if e["what"] == "sector-view"]
    assert len(reads) == 4  # every page, none of the refused reads
    for page, entry in zip(pages, reads[1:], strict=True):
        logged = [i["item_id"] for i in entry["items"] if i["kind"] == "progress-note"]
        assert logged == [f"{goal}/{n['item']['index']}" for n in page["notes"]]
