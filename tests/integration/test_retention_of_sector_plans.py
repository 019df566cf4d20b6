"""Retention and erasure of a course held under the citizen's own sector plans, on every
storage: such a case file keeps the citizen from being due or erased while an
intervention in it runs, counts from its latest finish with the period of its laws,
must reach the public archive before erasure (or a legal basis be given), and its
delivery is an event in the audit trail. A citizen with a plan and later sector-plan
interventions waits for both."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from oneplan import (
    Actor,
    IllegalTransition,
    InterventionOutcome,
    NotDeliveredToArchive,
    OnePlan,
    Period,
    Principal,
    RetentionNotEnded,
    SectorPlanRef,
)
from oneplan.aggregates.personal import ERASED
from tests.builders import ANNE, KARIN, LARS, acting, at, auditing, officer, record, system
from tests.conftest import FixedClock
from tests.integration.test_privacy import CPR, NAME, OTHER_CPR, OTHER_NAME, archive, case_file

SOCIAL = SectorPlanRef.parse("social:SEL § 141")
FAMILY = SectorPlanRef.parse("children-and-family:BL § 140:BF-2026-7")
TITLE = "Canarytitle Qwzx support"


def comparison_citizen(app: OnePlan, *, name: str = NAME, cpr: str = CPR) -> UUID:
    """A citizen who never has a coordinated plan (as an evaluation's comparison group)."""
    return acting(app, ANNE).register_citizen(name=name, cpr=cpr, effective_at=at(2026, 2, 2))


def effort(
    app: OnePlan,
    citizen: UUID,
    *,
    sector_plan: SectorPlanRef = SOCIAL,
    legal_basis: str = "SEL § 85",
    by: Actor = LARS,
    when: datetime | None = None,
) -> UUID:
    """An intervention under the citizen's sector plan, granted and started."""
    when = when or at(2026, 3, 2)
    intervention = acting(app, by).propose_intervention_under_sector_plan(
        citizen_id=citizen,
        sector_plan=sector_plan,
        legal_basis=legal_basis,
        title=TITLE,
        responsible=by,
        planned_period=Period(start=when.date()),
        effective_at=when,
    )
    acting(app, by).grant_intervention(intervention_id=intervention, effective_at=when)
    acting(app, by).start_intervention(intervention_id=intervention, effective_at=when)
    return intervention


def finish(app: OnePlan, intervention: UUID, when: datetime, by: Actor = LARS) -> None:
    acting(app, by).complete_intervention(
        intervention_id=intervention,
        outcome=InterventionOutcome.GOALS_MET,
        effective_at=when,
    )


def deliver(app: OnePlan, citizen: UUID, sector_plan: SectorPlanRef = SOCIAL, **more: Any) -> UUID:
    return acting(app, more.pop("actor", LARS)).deliver_sector_plan_to_archive(
        citizen_id=citizen,
        sector_plan=sector_plan,
        archive="Rigsarkivet",
        reference="AVID.SA.2",
        **more,
    )


def test_a_comparison_citizen_with_a_running_sector_plan_intervention_is_neither_due_nor_erasable(
    app: OnePlan, clock: FixedClock
) -> None:
    mette = comparison_citizen(app)
    running = effort(app, mette)
    clock.now = datetime(2040, 1, 2, tzinfo=UTC)  # long past "registration + 5 years"

    assert system(app).retention_due() == []
    with pytest.raises(RetentionNotEnded) as refused:
        officer(app).erase_citizen(citizen_id=mette, legal_basis="FVL § 2")
    with pytest.raises(IllegalTransition):
        deliver(app, mette)

    assert (refused.value.due, refused.value.sector_plans) == (None, (SOCIAL,))
    assert refused.value.intervention_ids == (running,)
    assert f"sector plan {SOCIAL}" in str(refused.value)
    assert record(app).citizen(mette).name == NAME
    assert record(app).intervention(running).title == TITLE


def test_once_its_interventions_finish_a_sector_plan_is_due_after_its_laws_period(
    app: OnePlan, clock: FixedClock
) -> None:
    mette = comparison_citizen(app)
    social = effort(app, mette)
    family = effort(app, mette, sector_plan=FAMILY, legal_basis="BL § 32", by=KARIN)
    jens = comparison_citizen(app, name=OTHER_NAME, cpr=OTHER_CPR)
    effort(app, jens)  # still running
    finish(app, social, at(2026, 5, 1))
    clock.now = datetime(2027, 3, 1, tzinfo=UTC)
    finish(app, family, at(2027, 2, 1), by=KARIN)  # BL: 20 years from the end of 2027

    assert system(app).retention_due(at=date(2047, 12, 31)) == []
    [due] = system(app).retention_due(at=date(2048, 1, 1))

    assert (due.citizen_id, due.due, due.plan_ids) == (mette, date(2048, 1, 1), ())
    assert set(due.sector_plans) == set(due.sector_plans_awaiting_archive) == {SOCIAL, FAMILY}
    assert not due.ready
    clock.now = datetime(2047, 12, 31, tzinfo=UTC)
    with pytest.raises(RetentionNotEnded) as early:
        officer(app).erase_citizen(citizen_id=mette, legal_basis="FVL § 2")
    assert early.value.due == date(2048, 1, 1)


def test_erasure_before_a_sector_plans_archive_delivery_needs_a_legal_basis(
    app: OnePlan, clock: FixedClock
) -> None:
    mette = comparison_citizen(app)
    finish(app, effort(app, mette), at(2026, 5, 1))
    clock.now = datetime(2032, 1, 2, tzinfo=UTC)

    with pytest.raises(NotDeliveredToArchive) as refused:
        officer(app).erase_citizen(citizen_id=mette)
    assert (refused.value.plan_ids, refused.value.sector_plans) == ((), (SOCIAL,))
    assert record(app).citizen(mette).name == NAME

    erasure = officer(app).erase_citizen(citizen_id=mette, legal_basis="FVL § 2")

    assert erasure.sector_plans == (SOCIAL,)
    assert record(app).citizen(mette).name == ERASED


def test_a_delivered_sector_plan_lets_the_citizen_be_erased_and_is_in_the_audit_trail(
    app: OnePlan, clock: FixedClock
) -> None:
    mette = comparison_citizen(app)
    intervention = effort(app, mette)
    finish(app, intervention, at(2026, 5, 1))
    clock.now = datetime(2026, 9, 1, tzinfo=UTC)

    assert deliver(app, mette) == mette

    [delivered] = [
        e
        for e in auditing(app).audit_trail(citizen_id=mette)
        if e.action.endswith("DeliveredToArchive")
    ]
    assert delivered.action == "Citizen.SectorPlanDeliveredToArchive"
    assert delivered.description == (
        f"Sector plan {SOCIAL} (1 intervention(s)) delivered to Rigsarkivet as AVID.SA.2"
    )
    assert (delivered.actor_id, delivered.legal_bases) == ("lars", ("SEL § 141",))
    assert "delivered to the archive" in auditing(app).journey(mette).entries[-1].summary
    [due] = system(app).retention_due(at=date(2032, 1, 1))
    assert (due.sector_plans, due.ready) == ((SOCIAL,), True)
    clock.now = datetime(2032, 1, 2, tzinfo=UTC)

    officer(app).erase_citizen(citizen_id=mette)

    assert record(app).intervention(intervention).title == ERASED
    assert system(app).retention_due(at=date(2032, 1, 2)) == []
    with pytest.raises(IllegalTransition):  # (delivered once; nothing more is recorded)
        deliver(app, mette)


def test_a_citizen_with_a_plan_and_later_sector_plan_interventions_waits_for_both(
    app: OnePlan, clock: FixedClock
) -> None:
    mette, plan = case_file(app)  # a plan closed on 1 June 2026
    archive(app, plan)
    later = effort(app, mette, when=at(2026, 7, 1))

    assert system(app).retention_due(at=date(2040, 1, 1)) == []
    clock.now = datetime(2032, 1, 2, tzinfo=UTC)
    with pytest.raises(RetentionNotEnded) as open_file:
        officer(app).erase_citizen(citizen_id=mette)
    assert (open_file.value.plan_ids, open_file.value.sector_plans) == ((), (SOCIAL,))

    finish(app, later, at(2027, 3, 1))
    [due] = system(app).retention_due(at=date(2033, 1, 1))
    assert (due.due, due.plan_ids, due.awaiting_archive) == (date(2033, 1, 1), (plan,), ())
    assert due.sector_plans_awaiting_archive == (SOCIAL,)
    with pytest.raises(RetentionNotEnded):  # the plan's period is over, the sector plan's not
        officer(app).erase_citizen(citizen_id=mette)
    clock.now = datetime(2033, 1, 2, tzinfo=UTC)
    with pytest.raises(NotDeliveredToArchive) as waiting:
        officer(app).erase_citizen(citizen_id=mette)
    assert (waiting.value.plan_ids, waiting.value.sector_plans) == ((), (SOCIAL,))

    deliver(app, mette)
    erasure = officer(app).erase_citizen(citizen_id=mette)

    assert (erasure.plan_ids, erasure.sector_plans) == ((plan,), (SOCIAL,))
    assert record(app).intervention(later).title == ERASED


def test_a_citizen_who_withdrew_from_a_plan_waits_for_the_sector_plan_efforts_after_it(
    app: OnePlan, clock: FixedClock
) -> None:
    mette, plan = case_file(app, close=False)
    app.as_(Principal.citizen(mette)).withdraw_plan(
        plan_id=plan, reason="my own plans", effective_at=at(2026, 4, 1)
    )
    archive(app, plan)
    effort(app, mette, when=at(2026, 4, 2))
    clock.now = datetime(2040, 1, 1, tzinfo=UTC)

    with pytest.raises(RetentionNotEnded) as refused:
        officer(app).erase_citizen(citizen_id=mette, legal_basis="FVL § 2")

    assert refused.value.sector_plans == (SOCIAL,)
    assert system(app).retention_due() == []
    assert record(app).plan(plan).status.value == "revoked"
