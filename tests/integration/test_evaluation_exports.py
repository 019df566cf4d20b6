"""Evaluation exports on real storage: a small municipality simulated through the public
application on SQLite and PostgreSQL, exported as pseudonymised CSV and Parquet with plots
and a report; canary strings planted in one citizen's personal fields and free text are
found in no file written."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import attrs
import polars as pl
import pytest

from oneplan import (
    Actor,
    ActorKind,
    ConsentGiver,
    InformationCategory,
    KeyConfigurationError,
    Keys,
    Law,
    MeetingAttendee,
    OnePlan,
    Period,
    PlanOutcome,
    Sector,
    StaffRole,
)
from oneplan.evaluation import Pseudonymiser, evaluate
from oneplan.evaluation.exports import frames
from oneplan.evaluation.report import write_evaluation
from oneplan.simulation import Municipality, simulate
from tests.builders import ALL_ROLES, acting, record, register_staff

CLOCK = datetime(2026, 6, 1, tzinfo=UTC)
SHORT = Municipality(years=1)
CANARY_WORKER = Actor.caseworker("canary-worker-7q", Sector.EMPLOYMENT, Law.LAB, Law.LAS, Law.SEL)
CANARY_SINCE = datetime(2023, 1, 1, tzinfo=UTC)
"""When the canary worker joins the simulated municipality's staff directory (begun in
2022 by its own administrator), before the canary's course (2023-03-01)."""
CANARIES = {
    "name": "Kanarie Fuglsang",
    "cpr": "010203-1234",
    "wishes": "CANARY-WISH I want to sing again",
    "goal": "CANARY-GOAL sings in the choir",
    "title": "CANARY-TITLE singing lessons",
    "reason": "CANARY-REASON sore throat",
    "note": "CANARY-NOTE sang twice",
    "decision": "CANARY-DECISION choir on Tuesdays",
    "purpose": "CANARY-PURPOSE one plan",
    "worker": CANARY_WORKER.id,
}


def register_canary_worker(app: OnePlan) -> None:
    """The canary worker in the simulated municipality's staff directory, with every role
    and authority under their laws, delegated by a manager of theirs, from CANARY_SINCE."""
    register_staff(app, CANARY_WORKER.id, Sector.EMPLOYMENT, roles=ALL_ROLES, since=CANARY_SINCE)
    manager = register_staff(
        app, "canary-manager", Sector.EMPLOYMENT, roles=(StaffRole.MANAGER,), since=CANARY_SINCE
    )
    for law in CANARY_WORKER.authorities:
        app.as_(manager).delegate_authority(
            staff_id=CANARY_WORKER.id,
            law=law,
            basis="delegation plan (tests)",
            period=Period(start=CANARY_SINCE.date()),
            effective_at=CANARY_SINCE,
        )


def plant_canaries(app: OnePlan) -> UUID:
    """A citizen whose every personal field and free text holds a canary."""
    register_canary_worker(app)
    at = datetime(2023, 3, 1, 10, tzinfo=UTC)
    citizen = acting(app, CANARY_WORKER).register_citizen(
        name=f"{CANARIES['name']} {CANARIES['cpr']}",
        birth_date=date(1980, 1, 1),
        effective_at=at,
    )
    consent = acting(app, CANARY_WORKER).grant_consent(
        given_how="in-meeting",
        citizen_id=citizen,
        recipient_sectors=list(Sector),
        categories=list(InformationCategory),
        purpose=CANARIES["purpose"],
        period=Period(start=at.date()),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN, name=CANARIES["name"])],
        effective_at=at,
    )
    plan = acting(app, CANARY_WORKER).open_plan(
        citizen_ids=[citizen],
        consent_ids=[consent],
        legal_bases=["LAB § 30 b"],
        coordinator=CANARY_WORKER,
        effective_at=at,
    )
    acting(app, CANARY_WORKER).record_citizens_wishes(
        plan_id=plan,
        citizen_id=citizen,
        wishes=f"{CANARIES['wishes']} {CANARIES['cpr']}",
        overarching_goal={"kind": "work"},
        effective_at=at,
    )
    goal = acting(app, CANARY_WORKER).set_goal(
        plan_id=plan, description=CANARIES["goal"], effective_at=at
    )
    acting(app, CANARY_WORKER).record_goal_progress(
        plan_id=plan,
        goal_id=goal,
        achievement="achieved",
        note=CANARIES["note"],
        effective_at=datetime(2023, 5, 1, tzinfo=UTC),
    )
    lessons = acting(app, CANARY_WORKER).propose_intervention(
        plan_id=plan,
        citizen_id=citizen,
        sector="social",
        legal_basis="SEL § 85",
        title=CANARIES["title"],
        responsible=CANARY_WORKER,
        planned_period=Period(start=at.date()),
        effective_at=at,
    )
    acting(app, CANARY_WORKER).grant_intervention(
        intervention_id=lessons, note=CANARIES["note"], effective_at=at
    )
    acting(app, CANARY_WORKER).start_intervention(intervention_id=lessons, effective_at=at)
    acting(app, CANARY_WORKER).pause_intervention(
        intervention_id=lessons,
        reason=CANARIES["reason"],
        effective_at=datetime(2023, 4, 1, tzinfo=UTC),
    )
    acting(app, CANARY_WORKER).hold_meeting(
        plan_id=plan,
        attendees=[MeetingAttendee(id=CANARY_WORKER.id, sector=Sector.EMPLOYMENT)],
        decisions=[CANARIES["decision"]],
        effective_at=datetime(2023, 4, 2, tzinfo=UTC),
    )
    acting(app, CANARY_WORKER).stop_intervention(
        intervention_id=lessons,
        reason=CANARIES["reason"],
        effective_at=datetime(2023, 5, 1, tzinfo=UTC),
    )
    acting(app, CANARY_WORKER).record_outcome(
        citizen_id=citizen,
        outcome=PlanOutcome.WORK,
        effective_at=datetime(2023, 6, 1, tzinfo=UTC),
    )
    return citizen


def every_text_written(out: Path) -> str:
    """Every byte of every text file written, and every cell of every Parquet table."""
    parts = []
    for path in sorted(out.iterdir()):
        if path.suffix == ".parquet":
            table = pl.read_parquet(path)
            parts.append(table.cast(pl.String).write_csv())
        elif path.suffix in (".csv", ".md"):
            parts.append(path.read_text(encoding="utf-8"))
        else:
            parts.append(path.read_bytes().decode("latin-1"))
    return "\n".join(parts)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def municipality_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


def test_an_export_of_a_municipality_carries_no_name_cpr_or_free_text(
    municipality_url: str, tmp_path: Path
) -> None:
    with OnePlan.open(municipality_url, clock=lambda: CLOCK) as app:
        summary = simulate(app, citizens=12, seed=4, municipality=SHORT)
        canary = plant_canaries(app)
        evaluation = evaluate(record(app).all_events())
        plots = municipality_url.startswith("sqlite")  # (drawn once: they take seconds)
        written = write_evaluation(
            evaluation, tmp_path / "out", Pseudonymiser.generate(), plots=plots
        )

    assert len(evaluation.citizens) == summary.citizens + 1
    assert {p.name for p in written} >= {
        "citizens.csv",
        "citizens.parquet",
        "costs.parquet",
        "goals.csv",
        "balance.csv",
        "panel.parquet",
        "outcomes.csv",
        "cumulative_incidence.parquet",
        "cost_per_citizen_month.csv",
        "entry_cohorts.parquet",
        "baseline.csv",
        "report.md",
    }
    pngs = {
        "caseworkers_per_citizen.png",
        "goal_progression.png",
        "costs_by_sector.png",
        "time_to_first_intervention.png",
        "cumulative_incidence.png",
        "cost_per_citizen_month.png",
    }
    assert pngs <= {p.name for p in written} or not plots
    text = every_text_written(tmp_path / "out")
    for what, canary_text in CANARIES.items():
        assert canary_text not in text, what
        assert canary_text.split()[0] not in text, what
    assert str(canary) not in text
    assert canary.hex not in text
    metrics = evaluation.citizen(canary)
    assert (metrics.caseworkers, metrics.goals_achieved, metrics.outcome) == (
        1,
        1,
        PlanOutcome.WORK,
    )


def test_every_table_names_citizens_by_the_same_keyed_pseudonym(tmp_path: Path) -> None:
    app = OnePlan.open("memory://", clock=lambda: CLOCK)
    simulate(app, citizens=10, seed=2, municipality=SHORT)
    evaluation = evaluate(record(app).all_events())
    key = Pseudonymiser.generate()

    tables = frames(evaluation, key)
    again = frames(evaluation, Pseudonymiser(key._key))
    other = frames(evaluation, Pseudonymiser.generate())

    citizens = set(tables["citizens"]["citizen"])
    assert len(citizens) == len(evaluation.citizens)
    assert all(p.startswith("c-") and len(p) == 18 for p in citizens)
    for name in ("first_interventions", "costs", "goals"):
        assert set(tables[name]["citizen"]) <= citizens
    assert tables["citizens"].equals(again["citizens"])
    assert not citizens & set(other["citizens"]["citizen"])


def test_dates_can_be_coarsened_to_the_month() -> None:
    app = OnePlan.open("memory://", clock=lambda: CLOCK)
    simulate(app, citizens=10, seed=2, municipality=SHORT)

    tables = frames(
        evaluate(record(app).all_events()), Pseudonymiser.generate(), coarsen_dates=True
    )

    for name, table in tables.items():
        for column, dtype in table.schema.items():
            if dtype == pl.Date:
                days = table[column].drop_nulls().dt.day()
                assert days.len() == 0 or set(days) == {1}, (name, column)


def test_an_evaluation_key_is_never_the_master_or_audit_key() -> None:
    keys = Keys.generate()
    assert keys.master_key is not None

    with pytest.raises(KeyConfigurationError, match="never the master or audit key"):
        Pseudonymiser(keys.master_key, not_one_of=keys)
    with pytest.raises(KeyConfigurationError, match="32 random bytes"):
        Pseudonymiser(b"short")
    with pytest.raises(KeyConfigurationError, match="base64"):
        Pseudonymiser.from_text("not base64 !!")
    assert "key" not in repr(Pseudonymiser.generate()).replace("key=<hidden>", "")


def test_the_metrics_are_the_same_with_personal_data_sealed_and_after_an_erasure() -> None:
    """Only the erased citizen's age band changes: it is read from the birth date, which
    the erasure destroyed."""
    later = datetime(2050, 1, 1, tzinfo=UTC)  # every retention period has ended
    plain = OnePlan.open("memory://", clock=lambda: later)
    sealed = OnePlan.open("memory://", clock=lambda: later, keys=Keys.generate())
    simulate(plain, citizens=12, seed=8, municipality=SHORT)
    simulate(sealed, citizens=12, seed=8, municipality=SHORT)
    before = evaluate(record(sealed).all_events())
    assert before == evaluate(record(plain).all_events())

    comparison = next(c for c in before.citizens if c.cohort == "comparison")
    register_canary_worker(sealed)
    for sector_plan in record(sealed).citizen(comparison.citizen_id).sector_plans:
        acting(sealed, CANARY_WORKER).deliver_sector_plan_to_archive(
            citizen_id=comparison.citizen_id,
            sector_plan=sector_plan,
            archive="Rigsarkivet",
            reference="AVID.SA.1",
        )
    acting(sealed, CANARY_WORKER).erase_citizen(
        citizen_id=comparison.citizen_id, reason="retention ended"
    )
    after = evaluate(record(sealed).all_events())

    assert record(sealed).citizen(comparison.citizen_id).erased
    erased = after.citizen(comparison.citizen_id)
    assert comparison.age_band != "unknown"
    assert erased.age_band == "unknown"
    assert (
        tuple(
            attrs.evolve(c, age_band=comparison.age_band) if c is erased else c
            for c in after.citizens
        )
        == before.citizens
    )
    assert after.costs == before.costs
    assert after.outcomes == before.outcomes
    assert after.intervention_spells == before.intervention_spells
