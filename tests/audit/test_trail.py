"""The audit trail: one entry per stored event (reads included) saying who did what,
when, why and on which legal basis; queried by citizen, plan, actor and period;
exported as JSON lines and CSV; never skipping an event it cannot read."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from oneplan import OnePlan, Period, Plan, Sector
from oneplan.aggregates import EVENT_CLASSES
from oneplan.audit.trail import AuditEntry, describe, write_csv, write_jsonl
from oneplan.errors import EffectiveTimeInvalid
from tests.builders import (
    ANNE,
    LARS,
    SOFIE,
    acting,
    at,
    auditing,
    citizen_with_consent,
    open_plan,
    propose,
)
from tests.conftest import FixedClock
from tests.schema.test_stored_events import MAPPER, RECORDED, _stored


def _two_plans(app: OnePlan, clock: FixedClock) -> dict[str, Any]:
    """Mette's plan with a paused SEL § 85 intervention read by social services, then
    another citizen's plan."""
    acting(app, LARS)  # (in the staff directory: named responsible below)
    plan, mette = open_plan(app)
    support = propose(app, plan, mette)
    acting(app, LARS).grant_intervention(intervention_id=support, effective_at=at(2026, 2, 2))
    acting(app, LARS).start_intervention(intervention_id=support, effective_at=at(2026, 2, 3))
    acting(app, LARS).pause_intervention(
        intervention_id=support,
        reason="back pain flared up",
        effective_at=at(2026, 2, 4),
    )
    acting(app, LARS).sector_view(plan, sector=Sector.SOCIAL)
    other_plan, jonas = open_plan(app)
    return {
        "plan": plan,
        "mette": mette,
        "support": support,
        "other_plan": other_plan,
        "jonas": jonas,
    }


def test_every_stored_event_has_one_entry_in_the_order_recorded(
    app: OnePlan, clock: FixedClock
) -> None:
    _two_plans(app, clock)

    entries = list(auditing(app).audit_trail())

    assert [e.position for e in entries] == list(range(1, app.recorder.max_notification_id() + 1))
    assert all(e.readable for e in entries)
    export = entries[-1]  # the export itself, logged before it began (rule 14)
    assert (export.action, export.actor_id, export.actor_kind) == (
        "AccessRecord.Disclosed",
        "auditor",
        "auditor",
    )
    assert export.description.startswith("The audit trail disclosed to ")


def test_an_entry_says_who_what_when_why_and_under_which_law(
    app: OnePlan, clock: FixedClock
) -> None:
    ids = _two_plans(app, clock)

    entries = {e.action: e for e in auditing(app).audit_trail(plan_id=ids["plan"])}

    paused = entries["Intervention.Paused"]
    assert (paused.actor_id, paused.actor_kind, paused.actor_sector) == (
        "lars",
        "caseworker",
        "social",
    )
    assert paused.effective_at == at(2026, 2, 4)
    assert paused.recorded_at is not None
    assert paused.reason == "back pain flared up"
    assert paused.legal_bases == ("SEL § 85",)
    assert (paused.plan_id, paused.intervention_id, paused.citizen_ids) == (
        ids["plan"],
        ids["support"],
        (ids["mette"],),
    )
    assert paused.description == "Intervention paused"
    opened = entries["Plan.Opened"]
    assert opened.legal_bases == ("LAB § 30 b",)
    assert len(opened.consent_ids) == 1
    assert "under LAB § 30 b" in opened.description


def test_a_read_of_a_sector_view_is_an_entry_naming_what_allowed_it(
    app: OnePlan, clock: FixedClock
) -> None:
    ids = _two_plans(app, clock)

    (read,) = [
        e
        for e in auditing(app).audit_trail(citizen_id=ids["mette"])
        if e.action == "AccessRecord.SectorViewRead"
    ]

    assert (read.actor_id, read.actor_sector, read.plan_id) == ("lars", "social", ids["plan"])
    assert read.citizen_ids == (ids["mette"],)
    assert read.legal_bases == ("SEL § 85",)  # its own intervention, under its own law
    assert read.consent_ids  # the rest, under the citizen's consent
    assert "read as social" in read.description


def test_a_citizens_trail_holds_their_record_plan_interventions_and_reads_only(
    app: OnePlan, clock: FixedClock
) -> None:
    ids = _two_plans(app, clock)

    entries = list(auditing(app).audit_trail(citizen_id=ids["mette"]))

    streams = {e.stream_id for e in entries}
    assert {ids["mette"], ids["plan"], ids["support"]} <= streams
    assert ids["jonas"] not in streams
    assert ids["other_plan"] not in streams
    assert [e.position for e in entries] == sorted(e.position for e in entries)


def test_a_citizens_trail_holds_their_efforts_under_their_own_sector_plan(
    app: OnePlan,
) -> None:
    jens, _ = citizen_with_consent(app, name="Jens")
    physio = acting(app, SOFIE).propose_intervention_under_sector_plan(
        citizen_id=jens,
        sector_plan={"sector": "health", "legal_basis": "SUL § 119"},
        legal_basis="SUL § 140",
        title="Physiotherapy",
        responsible=SOFIE,
        planned_period=Period(start=date(2026, 2, 1)),
        effective_at=at(2026, 1, 20),
    )
    acting(app, ANNE).record_benefit_paid(
        citizen_id=jens,
        sector="employment",
        legal_basis="LAS § 25",
        amount="12000.00",
        period=Period(start=date(2026, 1, 1), end=date(2026, 1, 31)),
        effective_at=at(2026, 2, 1),
    )

    entries = {e.action: e for e in auditing(app).audit_trail(citizen_id=jens)}

    proposed = entries["Intervention.ProposedUnderSectorPlan"]
    assert proposed.stream_id == physio
    assert proposed.legal_bases == ("SUL § 140",)
    assert "health sector plan" in proposed.description
    assert entries["Citizen.BenefitPaid"].legal_bases == ("LAS § 25",)


def test_a_plans_trail_leaves_out_the_citizens_other_business(
    app: OnePlan, clock: FixedClock
) -> None:
    ids = _two_plans(app, clock)

    entries = list(auditing(app).audit_trail(plan_id=ids["plan"]))

    assert all(e.plan_id == ids["plan"] for e in entries)
    assert "Citizen.ConsentGranted" not in {e.action for e in entries}
    assert {
        "Plan.Opened",
        "Citizen.JoinedPlan",
        "Intervention.Proposed",
        "AccessRecord.SectorViewRead",
    } <= {e.action for e in entries}


def test_an_actors_trail_is_what_they_did_and_read(app: OnePlan, clock: FixedClock) -> None:
    ids = _two_plans(app, clock)

    lars = list(auditing(app).audit_trail(actor_id="lars"))
    anne_in_mettes = list(auditing(app).audit_trail(actor_id=ANNE.id, citizen_id=ids["mette"]))

    assert [e.action for e in lars] == [
        "Intervention.Granted",
        "Intervention.Started",
        "Intervention.Paused",
        "AccessRecord.SectorViewRead",
    ]
    assert anne_in_mettes
    assert all(e.actor_id == "anne" for e in anne_in_mettes)
    assert ids["jonas"] not in {c for e in anne_in_mettes for c in e.citizen_ids}


def test_a_period_is_by_recorded_time(app: OnePlan, clock: FixedClock) -> None:
    ids = _two_plans(app, clock)
    everything = list(auditing(app).audit_trail())
    split = min(e.recorded_at for e in everything if e.stream_id == ids["jonas"])  # type: ignore[type-var]

    later = list(auditing(app).audit_trail(since=split))
    earlier = list(auditing(app).audit_trail(until=split))
    mettes_later = list(auditing(app).audit_trail(citizen_id=ids["mette"], since=split))

    assert later
    assert all(e.recorded_at >= split for e in later)  # type: ignore[operator]
    assert {e.stream_id for e in later} >= {ids["jonas"], ids["other_plan"]}
    # Each export is logged before it is read: ``later`` holds its own and that of
    # ``everything``; the two periods split the log as it stood when ``later`` was read.
    positions = sorted(e.position for e in (*later, *earlier))
    assert positions == list(range(1, len(everything) + 2))
    # Mette's business was all done before: only the export of her trail is later.
    assert [(e.action, e.actor_id) for e in mettes_later] == [("AccessRecord.Disclosed", "auditor")]


def test_a_period_needs_times_with_a_zone(memory_app: OnePlan) -> None:
    with pytest.raises(EffectiveTimeInvalid):
        list(auditing(memory_app).audit_trail(since=at(2026, 1, 1).replace(tzinfo=None)))


def test_an_event_that_cannot_be_read_still_has_an_entry(
    memory_app: OnePlan, clock: FixedClock
) -> None:
    ids = _two_plans(memory_app, clock)
    memory_app.recorder.insert_events(
        [
            StoredEvent(
                ids["support"], 5, "oneplan.aggregates.intervention:Intervention.Gone", b"\x00"
            )
        ]
    )

    entries = list(auditing(memory_app).audit_trail())

    unreadable, export = entries[-2:]  # (the export's own disclosure is logged after it)
    assert export.action == "AccessRecord.Disclosed"
    assert not unreadable.readable
    assert (unreadable.stream_id, unreadable.version) == (ids["support"], 5)
    assert unreadable.action == "Intervention.Gone"
    assert unreadable.plan_id == ids["plan"]  # from the stream's earlier events
    assert unreadable.description.startswith("unreadable:")


@pytest.mark.parametrize("key", sorted(RECORDED))
def test_every_event_class_is_described_in_plain_words(key: str) -> None:
    event = MAPPER.to_domain_event(_stored(RECORDED[key]))

    text = describe(event)

    assert text != type(event).__qualname__
    assert "unreadable" not in text


def test_every_event_class_has_a_recorded_fixture_to_describe() -> None:
    described = {key.split(":")[1].split("@")[0] for key in RECORDED}
    assert {cls.__qualname__ for cls in EVENT_CLASSES} <= described


def test_an_event_whose_fields_read_as_erased_is_still_described_by_name() -> None:
    erased = object.__new__(Plan.GoalSet)  # none of its fields

    assert describe(erased) == "Plan.GoalSet (details unreadable)"


def _entry(**changes: Any) -> AuditEntry:
    fields: dict[str, Any] = {
        "position": 1,
        "recorded_at": at(2026, 1, 1),
        "effective_at": at(2026, 1, 1),
        "actor_id": "anne",
        "actor_kind": "caseworker",
        "actor_sector": "employment",
        "action": "Plan.Opened",
        "description": 'Plan opened, "quoted", with a comma',
        "stream_id": UUID(int=1),
        "version": 1,
        "citizen_ids": (UUID(int=2), UUID(int=3)),
        "legal_bases": ("LAB § 30 b",),
    }
    return AuditEntry(**{**fields, **changes})


def test_entries_export_as_json_lines_and_csv() -> None:
    entries = [_entry(), _entry(position=2, reason="a reason", plan_id=uuid4())]
    binary, text = io.BytesIO(), io.StringIO()

    assert write_jsonl(entries, binary) == 2
    assert write_csv(entries, text) == 2

    lines = [orjson.loads(line) for line in binary.getvalue().splitlines()]
    assert lines[1]["reason"] == "a reason"
    assert lines[0]["citizen_ids"] == [str(UUID(int=2)), str(UUID(int=3))]
    assert json.loads(binary.getvalue().splitlines()[0])["legal_bases"] == ["LAB § 30 b"]
    rows = list(csv.DictReader(io.StringIO(text.getvalue())))
    assert rows[0]["description"] == 'Plan opened, "quoted", with a comma'
    assert rows[0]["citizen_ids"] == f"{UUID(int=2)} {UUID(int=3)}"
    assert rows[0]["plan_id"] == ""
