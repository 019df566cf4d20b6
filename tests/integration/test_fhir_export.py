"""A plan exported as a FHIR R5 Bundle: it parses back with ``fhir.resources`` (R5)
unchanged, every reference resolves inside it, its codes come from R5's required value
sets, and it says what the plan says: statuses, milestones, pauses and their reasons,
dependencies, consents, the team, and who changed what; as it stands now or stood then."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from fhir.resources import __fhir_version__
from fhir.resources.bundle import Bundle
from typer.testing import CliRunner

from oneplan import (
    Actor,
    ActorKind,
    ConsentGiver,
    DependencyType,
    EffectiveTimeInvalid,
    InformationCategory,
    Law,
    OnePlan,
    ParticipantRole,
    Period,
    PlanNotFound,
    Sector,
)
from oneplan.cli import app as cli
from tests.builders import acting, record
from tests.conftest import FixedClock

KARIN = Actor.caseworker("karin.f", Sector.CHILDREN_AND_FAMILY, Law.BL, name="Karin Friis")
ANNE = Actor.caseworker("anne.t", Sector.EMPLOYMENT, Law.LAB, Law.LAS, Law.SEL, name="Anne")
LARS = Actor.caseworker("lars.s", Sector.SOCIAL, Law.SEL, name="Lars Skov")
SOFIE = Actor.caseworker("sofie.h", Sector.HEALTH, Law.SUL, name="Sofie Holm")
RECIPIENT = "the region's electronic health record"

# R5's required value sets (hl7.org/fhir/R5), the oracle the codes are checked against.
R5_REQUEST_STATUS = {
    "draft",
    "active",
    "on-hold",
    "revoked",
    "completed",
    "entered-in-error",
    "unknown",
}
R5_GOAL_STATUS = {
    "proposed", "planned", "accepted", "active", "on-hold", "completed", "cancelled",
    "entered-in-error", "rejected",
}  # fmt: skip
R5_GOAL_ACHIEVEMENT = {
    "in-progress", "improving", "worsening", "no-change", "achieved", "sustaining",
    "not-achieved", "no-progress", "not-attainable",
}  # fmt: skip
R5_TASK_STATUS = {
    "draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
    "in-progress", "on-hold", "failed", "completed", "entered-in-error",
}  # fmt: skip
R5_TASK_INTENT = {
    "unknown", "proposal", "plan", "order", "original-order", "reflex-order",
    "filler-order", "instance-order", "option",
}  # fmt: skip
R5_CONSENT_STATE = {"draft", "active", "inactive", "not-done", "entered-in-error", "unknown"}
R5_CARE_TEAM_STATUS = {"proposed", "active", "suspended", "inactive", "entered-in-error"}
R5_ACTION_RELATIONSHIP = {
    "before", "before-start", "before-end", "concurrent", "concurrent-with-start",
    "concurrent-with-end", "after", "after-start", "after-end",
}  # fmt: skip
R5_CARE_PLAN_ACTIVITY_STATUS = {
    "not-started", "scheduled", "in-progress", "on-hold", "completed", "cancelled", "stopped",
    "unknown", "entered-in-error",
}  # fmt: skip


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


@dataclass
class Story:
    """A family plan (Mette and Jonas, 16) told far enough to use every resource."""

    app: OnePlan
    plan: UUID
    mette: UUID
    jonas: UUID
    mette_consent: UUID
    jonas_consent: UUID
    old_consent: UUID
    work_goal: UUID
    bus_goal: UUID
    physio: UUID
    contact: UUID
    training: UUID
    dropped: UUID
    while_paused: datetime
    """A recorded time when the physiotherapy was paused (it resumed later)."""


def tell(app: OnePlan) -> Story:
    for member in (KARIN, ANNE, LARS, SOFIE):
        acting(app, member)  # (in the staff directory before they are named)
    mette = acting(app, KARIN).register_citizen(
        name="Mette Hansen", birth_date=date(1984, 5, 2), effective_at=at(1, 12)
    )
    jonas = acting(app, KARIN).register_citizen(
        name="Jonas Hansen", birth_date=date(2009, 6, 1), effective_at=at(1, 12)
    )
    period = Period(start=date(2026, 1, 12), end=date(2027, 12, 31))
    everything = list(InformationCategory)
    old_consent = acting(app, KARIN).grant_consent(
        given_how="in-meeting", citizen_id=mette, recipient_sectors=[Sector.HOUSING],
        categories=["goals"], purpose="an earlier housing case", period=period,
        effective_at=at(1, 12),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
    )  # fmt: skip
    mette_consent = acting(app, KARIN).grant_consent(
        given_how="in-meeting", citizen_id=mette, purpose="one coordinated family plan",
        period=period,
        recipient_sectors=[Sector.EMPLOYMENT, Sector.SOCIAL, Sector.HEALTH,
                           Sector.CHILDREN_AND_FAMILY],
        categories=everything, effective_at=at(1, 12),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN, name="Mette Hansen")],
    )  # fmt: skip
    jonas_consent = acting(app, KARIN).grant_consent(
        given_how="in-meeting", citizen_id=jonas, purpose="one coordinated family plan",
        period=period,
        recipient_sectors=[Sector.CHILDREN_AND_FAMILY, Sector.SOCIAL, Sector.EMPLOYMENT],
        categories=["goals", "interventions"], effective_at=at(1, 12),
        given_by=[ConsentGiver(kind=ActorKind.GUARDIAN, name="Mette Hansen"),
                  ConsentGiver(kind=ActorKind.CITIZEN, name="Jonas Hansen")],
    )  # fmt: skip
    plan = acting(app, KARIN).open_plan(
        citizen_ids=[mette, jonas], consent_ids=[mette_consent, jonas_consent],
        legal_bases=["LAB § 30 b", "BL § 110"], coordinator=KARIN,
        replaces=[{"sector": "employment", "legal_basis": "LAB § 30 b", "reference": "jobplan"}],
        effective_at=at(1, 14),
    )  # fmt: skip
    acting(app, KARIN).record_citizens_wishes(
        plan_id=plan, citizen_id=mette, wishes="Jeg vil arbejde med mennesker igen",
        overarching_goal={"kind": "partial-self-support", "hours_per_week": 20},
        effective_at=at(1, 14),
    )  # fmt: skip
    work_goal = acting(app, KARIN).set_goal(
        plan_id=plan, description="In work 20 hours a week", due=date(2027, 6, 30),
        target={"measure": "hours of work a week", "value": "20", "unit": "hours"},
        effective_at=at(1, 14),
    )  # fmt: skip
    bus_goal = acting(app, KARIN).set_goal(
        plan_id=plan, parent_id=work_goal, description="Takes the bus alone",
        due=date(2026, 3, 31), effective_at=at(1, 14),
    )  # fmt: skip
    acting(app, KARIN).hand_over_coordinator(
        plan_id=plan, new_coordinator=ANNE, previous_stays_as=ParticipantRole.FAMILY_COORDINATOR,
        reason="the family plan is in place", effective_at=at(2, 2),
    )  # fmt: skip

    def propose(title: str, sector: Sector, basis: str, who: Actor, goal: UUID) -> UUID:
        return acting(app, ANNE).propose_intervention(
            plan_id=plan, citizen_id=mette, sector=sector, legal_basis=basis, title=title,
            goal_ids=[goal], responsible=who, planned_cost="14400.00",
            planned_period=Period(start=date(2026, 2, 9), end=date(2026, 5, 29)),
            effective_at=at(2, 3),
        )  # fmt: skip

    physio = propose("Physiotherapy", Sector.HEALTH, "SUL § 140", SOFIE, work_goal)
    contact = propose("Support contact person", Sector.SOCIAL, "SEL § 85", LARS, bus_goal)
    training = propose("Job training", Sector.EMPLOYMENT, "LAB § 32", ANNE, work_goal)
    dropped = propose("Mentor", Sector.EMPLOYMENT, "LAB § 31", ANNE, work_goal)
    acting(app, ANNE).add_dependency(
        intervention_id=training, on_intervention_id=physio, type=DependencyType.AFTER_END,
        effective_at=at(2, 3),
    )  # fmt: skip
    for intervention, who in ((physio, SOFIE), (contact, ANNE), (training, ANNE)):
        acting(app, who).grant_intervention(intervention_id=intervention, effective_at=at(2, 4))
    for intervention, who in ((physio, SOFIE), (contact, LARS)):
        acting(app, who).start_intervention(intervention_id=intervention, effective_at=at(2, 9))
    acting(app, SOFIE).pause_intervention(
        intervention_id=physio, reason="Mette is admitted to hospital",
        expected_resume=date(2026, 3, 16), effective_at=at(3, 2),
    )  # fmt: skip
    acting(app, ANNE).cancel_intervention(
        intervention_id=dropped, reason="not needed after all", effective_at=at(3, 2)
    )
    acting(app, LARS).stop_intervention(
        intervention_id=contact, reason="Mette moved to another town", effective_at=at(3, 2),
    )  # fmt: skip
    acting(app, ANNE).revoke_consent(
        given_how="in-meeting", citizen_id=mette, consent_id=mette_consent, sectors=[Sector.HEALTH],
        reason="the back treatment is over", effective_at=at(3, 2),
    )  # fmt: skip
    acting(app, ANNE).revoke_consent(
        given_how="in-meeting", citizen_id=mette, consent_id=old_consent,
        reason="the housing case is closed", effective_at=at(3, 2),
    )  # fmt: skip
    while_paused = datetime.now(UTC)
    acting(app, SOFIE).resume_intervention(intervention_id=physio, effective_at=at(3, 16))
    return Story(
        app, plan, mette, jonas, mette_consent, jonas_consent, old_consent, work_goal, bus_goal,
        physio, contact, training, dropped, while_paused,
    )  # fmt: skip


@pytest.fixture
def story(memory_app: OnePlan) -> Story:
    return tell(memory_app)


def bundle_of(story: Story, plan: UUID, as_of: datetime | None = None) -> Bundle:
    """``plan`` as a FHIR bundle, exported by its coordinator to the region's record."""
    return acting(story.app, ANNE).fhir_bundle(plan, recipient=RECIPIENT, as_of=as_of)


def export(story: Story, as_of: datetime | None = None) -> dict[str, Any]:
    """The bundle as the JSON another system receives."""
    bundle = bundle_of(story, story.plan, as_of=as_of)
    data: dict[str, Any] = orjson.loads(bundle.model_dump_json())
    return data


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def by_id(bundle: dict[str, Any], resource_id: UUID) -> dict[str, Any]:
    found: dict[str, Any] = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["id"] == str(resource_id)
    )
    return found


def references(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if "reference" in value and isinstance(value["reference"], str):
            yield value
        for child in value.values():
            yield from references(child)
    elif isinstance(value, list):
        for child in value:
            yield from references(child)


def test_the_bundle_is_fhir_r5_and_parses_back_with_fhir_resources_unchanged(
    story: Story,
) -> None:
    text = bundle_of(story, story.plan).model_dump_json()

    parsed = Bundle.model_validate_json(text)

    assert __fhir_version__ == "5.0.0"
    assert parsed.model_dump_json() == text
    assert parsed.type == "collection"
    assert all(type(e.resource).__name__ == e.resource.get_resource_type() for e in parsed.entry)
    kinds = Counter(e.resource.get_resource_type() for e in parsed.entry)
    assert kinds == Counter(
        CarePlan=1, Patient=2, Group=1, CareTeam=1, Goal=2, Task=4, RequestOrchestration=1,
        Consent=3, Provenance=7, PractitionerRole=4,
    )  # fmt: skip


def test_every_reference_resolves_to_a_resource_of_its_type_inside_the_bundle(
    story: Story,
) -> None:
    bundle = export(story)
    types = {e["fullUrl"]: e["resource"]["resourceType"] for e in bundle["entry"]}

    found = list(references(bundle))

    assert len(found) > 50
    for reference in found:
        assert reference["reference"] in types, reference
        assert types[reference["reference"]] == reference["type"], reference


def test_every_status_and_code_comes_from_r5s_value_sets(story: Story) -> None:
    bundle = export(story)

    for care_plan in resources(bundle, "CarePlan"):
        assert care_plan["status"] in R5_REQUEST_STATUS
    for goal in resources(bundle, "Goal"):
        assert goal["lifecycleStatus"] in R5_GOAL_STATUS
        for coding in goal.get("achievementStatus", {}).get("coding", []):
            assert coding["code"] in R5_GOAL_ACHIEVEMENT
    for task in resources(bundle, "Task"):
        assert task["status"] in R5_TASK_STATUS
        assert task["intent"] in R5_TASK_INTENT
        assert task["businessStatus"]["coding"][0]["code"] in R5_CARE_PLAN_ACTIVITY_STATUS
    for consent in resources(bundle, "Consent"):
        assert consent["status"] in R5_CONSENT_STATE
        assert consent["decision"] in {"permit", "deny"}
    for team in resources(bundle, "CareTeam"):
        assert team["status"] in R5_CARE_TEAM_STATUS
    for orchestration in resources(bundle, "RequestOrchestration"):
        assert orchestration["status"] in R5_REQUEST_STATUS
        for action in orchestration["action"]:
            for related in action.get("relatedAction", []):
                assert related["relationship"] in R5_ACTION_RELATIONSHIP


def test_the_plan_is_a_care_plan_of_the_household_with_its_goals_activities_and_team(
    story: Story,
) -> None:
    bundle = export(story)
    care_plan = by_id(bundle, story.plan)
    household = resources(bundle, "Group")[0]

    assert care_plan["status"] == "active"
    assert care_plan["intent"] == "plan"
    assert care_plan["subject"]["reference"] == f"urn:uuid:{household['id']}"
    assert [m["entity"]["display"] for m in household["member"]] == ["Mette Hansen", "Jonas Hansen"]
    assert care_plan["custodian"]["display"] == "Anne (employment)"
    assert {g["reference"] for g in care_plan["goal"]} == {
        f"urn:uuid:{story.work_goal}",
        f"urn:uuid:{story.bus_goal}",
    }
    assert [a["plannedActivityReference"]["display"] for a in care_plan["activity"]] == [
        "Physiotherapy", "Support contact person", "Job training", "Mentor",
    ]  # fmt: skip
    assert care_plan["description"] == "Overarching goal: partial self support, 20 hours a week"
    assert "The citizen's own wishes: Jeg vil arbejde med mennesker igen" in [
        n["text"] for n in care_plan["note"]
    ]
    assert care_plan["replaces"][0]["identifier"]["value"] == "jobplan"
    legal_bases = [e["valueCodeableConcept"]["coding"][0]["code"] for e in care_plan["extension"]]
    assert legal_bases == ["LAB § 30 b", "BL § 110"]


def test_a_sub_goal_is_a_milestone_of_its_parent_goal(story: Story) -> None:
    bundle = export(story)
    parent = by_id(bundle, story.work_goal)
    sub_goal = by_id(bundle, story.bus_goal)

    (relationship,) = parent["extension"]
    parts = {p["url"]: p for p in relationship["extension"]}

    assert relationship["url"] == "http://hl7.org/fhir/StructureDefinition/goal-relationship"
    assert parts["type"]["valueCodeableConcept"]["coding"][0]["code"] == "milestone"
    assert parts["target"]["valueReference"]["reference"] == f"urn:uuid:{story.bus_goal}"
    assert "extension" not in sub_goal
    assert sub_goal["target"] == [{"dueDate": "2026-03-31"}]
    assert parent["target"][0]["detailQuantity"] == {"value": 20, "unit": "hours"}


def test_a_paused_intervention_is_an_on_hold_task_that_keeps_its_reason_and_resume_date(
    story: Story,
) -> None:
    then = export(story, as_of=story.while_paused)
    now = export(story)

    paused, running = by_id(then, story.physio), by_id(now, story.physio)

    assert paused["status"] == "on-hold"
    assert paused["businessStatus"]["coding"][0]["code"] == "on-hold"
    assert paused["statusReason"] == {"concept": {"text": "Mette is admitted to hospital"}}
    assert paused["extension"] == [
        {"url": "urn:oneplan:fhir:expected-resume", "valueDate": "2026-03-16"}
    ]
    assert running["status"] == "in-progress"
    assert "statusReason" not in running
    assert "extension" not in running


def test_stopped_and_cancelled_interventions_are_cancelled_tasks_told_apart_by_business_status(
    story: Story,
) -> None:
    bundle = export(story)
    stopped, cancelled = by_id(bundle, story.contact), by_id(bundle, story.dropped)

    assert stopped["status"] == cancelled["status"] == "cancelled"
    assert stopped["businessStatus"]["coding"][0]["code"] == "stopped"
    assert cancelled["businessStatus"]["coding"][0]["code"] == "cancelled"
    assert stopped["statusReason"]["concept"]["text"] == "Mette moved to another town"
    assert "executionPeriod" in stopped
    assert "executionPeriod" not in cancelled
    assert cancelled["intent"] == "proposal"  # never granted
    assert stopped["intent"] == "order"


def test_a_granted_intervention_waiting_for_another_is_an_accepted_task_after_its_end(
    story: Story,
) -> None:
    bundle = export(story)
    training = by_id(bundle, story.training)
    (orchestration,) = resources(bundle, "RequestOrchestration")

    actions = {a["linkId"]: a for a in orchestration["action"]}

    assert training["status"] == "accepted"
    assert actions[str(story.training)]["relatedAction"] == [
        {"targetId": str(story.physio), "relationship": "after-end"}
    ]
    assert actions[str(story.physio)]["resource"]["reference"] == f"urn:uuid:{story.physio}"
    decision = next(i for i in training["input"] if i["type"]["coding"][0]["code"] == "decision")
    assert decision["valueReference"]["display"].startswith("granted by Anne (employment) under")


def test_a_consent_names_its_recipients_purpose_period_categories_and_who_gave_it(
    story: Story,
) -> None:
    bundle = export(story)
    mette, jonas = by_id(bundle, story.mette_consent), by_id(bundle, story.jonas_consent)
    old = by_id(bundle, story.old_consent)

    (provision,) = mette["provision"]

    assert mette["status"] == "active"
    assert mette["decision"] == "permit"
    assert [a["reference"]["identifier"]["value"] for a in provision["actor"]] == [
        "children-and-family",
        "employment",
        "social",
    ]  # fmt: skip  (health was revoked)
    assert provision["purpose"][1]["display"] == "one coordinated family plan"
    assert provision["period"] == {"start": "2026-01-12", "end": "2027-12-31"}
    assert len(provision["code"]) == len(InformationCategory)
    assert mette["grantor"][0]["reference"] == f"urn:uuid:{story.mette}"
    assert [g.get("display") for g in jonas["grantor"]] == [
        "Mette Hansen (holder of custody or guardian)",
        "Jonas Hansen",
    ]
    assert old["status"] == "inactive"


def test_the_family_coordinator_who_stepped_back_stays_in_the_team_in_her_lighter_role(
    story: Story,
) -> None:
    (team,) = resources(export(story), "CareTeam")

    roles = {(p["role"]["coding"][0]["code"], p["member"]["display"]) for p in team["participant"]}

    assert ("coordinator", "Anne (employment)") in roles
    assert ("family-coordinator", "Karin Friis (children-and-family)") in roles
    assert ("responsible", "Sofie Holm (health)") in roles


def test_provenance_names_every_author_the_legal_bases_and_the_event_stream(
    story: Story,
) -> None:
    bundle = export(story)
    plan_events = record(story.app).history(story.plan)
    provenance = next(
        p
        for p in resources(bundle, "Provenance")
        if p["entity"][0]["what"]["identifier"]["value"] == str(story.plan)
    )

    authors = {a["who"]["display"] for a in provenance["agent"]}

    assert authors == {"Karin Friis (children-and-family)", "Anne (employment)"}
    assert f"urn:uuid:{story.plan}" in {t["reference"] for t in provenance["target"]}
    assert [a["concept"]["coding"][0]["code"] for a in provenance["authorization"]] == [
        "LAB § 30 b", "BL § 110",
    ]  # fmt: skip
    assert provenance["recorded"] == plan_events[-1].timestamp.isoformat().replace("+00:00", "Z")
    assert provenance["entity"][0]["what"]["display"] == (
        f"{len(plan_events)} events, versions 1 to {len(plan_events)}"
    )


def test_as_of_a_time_before_the_plan_existed_finds_no_plan(story: Story) -> None:
    before = record(story.app).history(story.plan)[0].timestamp - timedelta(microseconds=1)

    with pytest.raises(PlanNotFound):
        bundle_of(story, story.plan, as_of=before)


@pytest.mark.parametrize(
    ("as_of", "refusal"),
    [
        (datetime(2026, 3, 1, 12), EffectiveTimeInvalid),  # no time zone
        (datetime.now(UTC) + timedelta(days=1), EffectiveTimeInvalid),
    ],
)
def test_an_as_of_that_is_naive_or_in_the_future_is_refused(
    story: Story, as_of: datetime, refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        bundle_of(story, story.plan, as_of=as_of)


def test_an_unknown_id_or_a_citizens_id_is_no_plan(story: Story) -> None:
    for not_a_plan in (uuid4(), story.mette):
        with pytest.raises(PlanNotFound):
            bundle_of(story, not_a_plan)


def test_the_export_is_logged_with_its_recipient_and_the_consents_it_travels_under(
    story: Story,
) -> None:
    bundle_of(story, story.plan)

    (logged,) = [
        e
        for e in record(story.app).all_events()
        if type(e).__qualname__ == "AccessRecord.Disclosed"
    ]
    assert (logged.what, logged.recipient, logged.actor.id, logged.plan_id) == (
        "fhir-export",
        RECIPIENT,
        ANNE.id,
        story.plan,
    )
    assert set(logged.citizen_ids) == {story.mette, story.jonas}
    assert set(logged.consent_ids) == {story.mette_consent, story.jonas_consent}


def test_the_export_reads_the_same_plan_on_every_storage(app: OnePlan) -> None:
    told = tell(app)

    bundle = export(told)

    assert by_id(bundle, told.physio)["status"] == "in-progress"
    assert len(bundle["entry"]) == 26


def test_the_cli_writes_the_bundle_as_it_stood_to_a_file(tmp_path: Path, clock: FixedClock) -> None:
    db = tmp_path / "record.db"
    with OnePlan.open(f"sqlite:///{db}", clock=clock) as app:
        told = tell(app)
    out = tmp_path / "plan.fhir.json"

    result = CliRunner().invoke(
        cli,
        ["export", "fhir", str(told.plan), "--db", str(db), "--out", str(out),
         "--as-of", told.while_paused.isoformat(), "--recipient", RECIPIENT,
         "--as", f"staff:{ANNE.id}"],
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("wrote FHIR 5.0.0 bundle of plan")
    bundle = Bundle.model_validate_json(out.read_text())
    task = next(e.resource for e in bundle.entry if e.resource.id == str(told.physio))
    assert task.status == "on-hold"
