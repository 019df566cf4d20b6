"""Whatever course a plan's interventions take (any sequence of grants, schedules,
starts, pauses, resumes, completions, stops and cancellations, refused ones included),
its FHIR export is valid R5 for fhir.resources, every reference resolves inside
it, and each Task says what its intervention is: the R5 status mapped from it, the
intervention's own status kept, a pause's reason and expected resume kept."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from oneplan import (
    ActorKind,
    ConsentGiver,
    InformationCategory,
    InterventionOutcome,
    InterventionStatus,
    OnePlan,
    OnePlanError,
    Period,
    Sector,
)
from oneplan.interop.fhir import task_status
from tests.builders import ANNE, LARS, SOFIE, acting, record
from tests.conftest import FixedClock
from tests.integration.test_fhir_export import R5_TASK_STATUS, references

START = datetime(2026, 2, 2, 10, tzinfo=UTC)
ACTIONS = ("grant", "schedule", "start", "pause", "resume", "complete", "stop", "cancel")
RESPONSIBLE = {Sector.SOCIAL: LARS, Sector.HEALTH: SOFIE, Sector.EMPLOYMENT: ANNE}
BASIS = {Sector.SOCIAL: "SEL § 85", Sector.HEALTH: "SUL § 140", Sector.EMPLOYMENT: "LAB § 32"}

steps = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(ACTIONS)), max_size=14)


def _plan(app: OnePlan) -> tuple[UUID, list[UUID]]:
    for who in RESPONSIBLE.values():  # (staff are in the directory before they are named)
        acting(app, who)
    citizen = acting(app, ANNE).register_citizen(
        name="Mette", birth_date=date(1984, 5, 2), effective_at=START
    )
    consent = acting(app, ANNE).grant_consent(
        given_how="in-meeting", citizen_id=citizen, recipient_sectors=list(RESPONSIBLE),
        purpose="one plan",
        categories=list(InformationCategory), period=Period(start=START.date()),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN)], effective_at=START,
    )  # fmt: skip
    plan = acting(app, ANNE).open_plan(
        citizen_ids=[citizen], consent_ids=[consent], legal_bases=["LAB § 30 b"],
        coordinator=ANNE, effective_at=START,
    )  # fmt: skip
    interventions = [
        acting(app, ANNE).propose_intervention(
            plan_id=plan,
            citizen_id=citizen,
            sector=sector,
            legal_basis=BASIS[sector],
            title=f"{sector.value} effort",
            responsible=who,
            effective_at=START,
            planned_period=Period(start=START.date()),
        )
        for sector, who in RESPONSIBLE.items()
    ]
    return plan, interventions


def _act(app: OnePlan, intervention: UUID, action: str, at: datetime) -> None:
    who = record(app).intervention(intervention).responsible
    ids: dict[str, Any] = {"intervention_id": intervention, "effective_at": at}
    session = acting(app, who)  # (its responsible caseworker takes each step)
    match action:
        case "grant":
            session.grant_intervention(**ids)
        case "schedule":
            session.schedule_intervention(start_on=at.date() + timedelta(days=7), **ids)
        case "start":
            session.start_intervention(**ids)
        case "pause":
            session.pause_intervention(
                reason=f"paused on {at.date()}", expected_resume=at.date() + timedelta(14), **ids
            )
        case "resume":
            session.resume_intervention(**ids)
        case "complete":
            session.complete_intervention(outcome=InterventionOutcome.PARTLY_MET, **ids)
        case "stop":
            session.stop_intervention(reason="ended early", **ids)
        case "cancel":
            session.cancel_intervention(reason="not needed", **ids)


@settings(max_examples=min(settings().max_examples, 40))  # each export costs ~50 ms
@given(steps)
def test_any_course_of_interventions_exports_as_valid_fhir_saying_what_each_is(
    course: list[tuple[int, str]],
) -> None:
    with OnePlan.open("memory://", clock=FixedClock()) as app:
        plan, interventions = _plan(app)
        for day, (which, action) in enumerate(course, start=1):
            with contextlib.suppress(OnePlanError):  # a refused step: the course goes on
                _act(app, interventions[which], action, START + timedelta(days=day))

        exported = acting(app, ANNE).fhir_bundle(plan, recipient="tests")  # validated as R5
        bundle = orjson.loads(exported.model_dump_json())

        full_urls = {e["fullUrl"]: e["resource"]["resourceType"] for e in bundle["entry"]}
        assert all(full_urls.get(r["reference"]) == r["type"] for r in references(bundle))
        tasks = {
            e["resource"]["id"]: e["resource"]
            for e in bundle["entry"]
            if e["resource"]["resourceType"] == "Task"
        }
        for intervention_id in interventions:
            intervention = record(app).intervention(intervention_id)
            task = tasks[str(intervention_id)]
            granted = intervention.decision is not None
            assert task["status"] == task_status(intervention.status, granted=granted)
            assert task["status"] in R5_TASK_STATUS
            assert task["businessStatus"]["coding"][0]["code"] == intervention.status.value
            assert task["intent"] == ("order" if granted else "proposal")
            paused = intervention.status is InterventionStatus.ON_HOLD
            assert ("extension" in task) is paused
            if paused:
                assert task["statusReason"]["concept"]["text"] == intervention.pause_reason
            assert ("executionPeriod" in task) is intervention.status.has_started
