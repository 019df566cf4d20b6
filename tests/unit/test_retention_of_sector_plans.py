"""Sector plans as case files (rule 10): the citizen's record knows each intervention held
under their own sector plan; such a file is open while one of them runs, closes at the
latest finish, is kept for the longest period of its laws, and is delivered to the
public archive before erasure unless a legal basis is given."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from oneplan import (
    IllegalTransition,
    InterventionStatus,
    InvalidInput,
    LegalBasis,
    LegalBasisOutsideSector,
    NotDeliveredToArchive,
    OnePlan,
    Period,
    RetentionNotEnded,
    SectorPlanNotFound,
    SectorPlanRef,
    SectorPlanReplaced,
)
from oneplan.aggregates.citizen import Citizen
from oneplan.privacy.retention import CaseFile, RetentionDue, RetentionPolicy, retention_ends
from oneplan.rules import erasure_only_at_end_of_retention
from oneplan.values import Actor, ActorKind
from tests.builders import ANNE, KARIN, LARS, acting, at, record

SOCIAL = SectorPlanRef.parse("social:SEL § 141")
FAMILY = SectorPlanRef.parse("children-and-family:BL § 140:BF-2026-7")
SUPPORT = LegalBasis.parse("SEL § 85")
POLICY = RetentionPolicy()


def refused(aggregate: Any, error: type[BaseException], command: Callable[[], object]) -> Any:
    version = aggregate.version
    with pytest.raises(error) as caught:
        command()
    assert type(caught.value) is error
    assert aggregate.collect_events() == []
    assert aggregate.version == version
    return caught.value


def citizen() -> Citizen:
    mette = Citizen.register(
        citizen_id=uuid4(),
        name="Mette",
        birth_date=date(1984, 5, 2),
        actor=ANNE,
        effective_at=at(2026, 2, 1),
    )
    mette.collect_events()
    return mette


def include(mette: Citizen, sector_plan: SectorPlanRef = SOCIAL, **changes: Any) -> UUID:
    intervention_id = uuid4()
    fields: dict[str, Any] = {
        "intervention_id": intervention_id,
        "sector_plan": sector_plan,
        "legal_basis": SUPPORT,
        "actor": LARS,
        "effective_at": at(2026, 2, 2),
    }
    mette.include_in_sector_plan(**(fields | changes))
    return intervention_id


def deliver(mette: Citizen, statuses: dict[UUID, InterventionStatus], **changes: Any) -> None:
    fields: dict[str, Any] = {
        "sector_plan": SOCIAL,
        "intervention_statuses": statuses,
        "archive": "Rigsarkivet",
        "reference": "AVID.SA.1",
        "actor": LARS,
        "effective_at": at(2026, 9, 1),
    }
    mette.deliver_sector_plan_to_archive(**(fields | changes))


def sector_plan_file(
    closed_at: datetime | None,
    *,
    bases: tuple[str, ...] = ("SEL § 141", "SEL § 85"),
    archived: bool = False,
    sector_plan: SectorPlanRef = SOCIAL,
) -> CaseFile:
    running = (uuid4(),) if closed_at is None else ()
    return CaseFile(
        plan_id=None,
        sector_plan=sector_plan,
        closed_at=closed_at,
        legal_bases=tuple(LegalBasis.parse(b) for b in bases),
        archived=archived,
        intervention_ids=(*running, uuid4()),
        running=running,
    )


# --- the citizen's record ------------------------------------------------------------


def test_an_intervention_under_a_sector_plan_is_included_in_the_citizens_record() -> None:
    mette = citizen()

    first = include(mette)
    second = include(mette, legal_basis=LegalBasis.parse("SEL § 83"))
    family = include(mette, FAMILY, legal_basis=LegalBasis.parse("BL § 32"), actor=KARIN)

    [event, *_] = mette.collect_events()
    assert isinstance(event, Citizen.InterventionIncludedInSectorPlan)
    assert (event.intervention_id, event.sector_plan, event.legal_basis) == (
        first,
        SOCIAL,
        SUPPORT,
    )
    assert mette.sector_plans[SOCIAL].intervention_ids == (first, second)
    assert [str(b) for b in mette.sector_plans[SOCIAL].legal_bases] == [
        "SEL § 141",
        "SEL § 85",
        "SEL § 83",
    ]
    assert mette.sector_plans[FAMILY].intervention_ids == (family,)
    assert mette.sector_plans[SOCIAL].archived_at is None


def test_a_citizen_in_a_coordinated_plan_includes_nothing_in_a_sector_plan() -> None:
    mette = citizen()
    mette.join_plan(plan_id=uuid4(), actor=ANNE, effective_at=at(2026, 2, 2))
    mette.collect_events()

    refused(mette, SectorPlanReplaced, lambda: include(mette))


def test_a_closed_sector_plan_is_delivered_to_the_archive_with_its_interventions() -> None:
    mette = citizen()
    done, withdrawn = include(mette), include(mette)
    mette.collect_events()

    deliver(mette, {done: InterventionStatus.COMPLETED, withdrawn: InterventionStatus.CANCELLED})

    [event] = mette.collect_events()
    assert isinstance(event, Citizen.SectorPlanDeliveredToArchive)
    assert (event.sector_plan, event.intervention_ids, event.archive, event.reference) == (
        SOCIAL,
        (done, withdrawn),
        "Rigsarkivet",
        "AVID.SA.1",
    )
    assert mette.sector_plans[SOCIAL].archived_at == at(2026, 9, 1)


@pytest.mark.parametrize(
    "status", [InterventionStatus.NOT_STARTED, InterventionStatus.IN_PROGRESS, None]
)
def test_an_open_sector_plan_is_not_delivered_to_the_archive(
    status: InterventionStatus | None,
) -> None:
    mette = citizen()
    done, running = include(mette), include(mette)
    mette.collect_events()
    statuses = {done: InterventionStatus.STOPPED}
    if status is not None:  # (None: the application gave no status for it)
        statuses[running] = status

    error = refused(mette, IllegalTransition, lambda: deliver(mette, statuses))

    assert error.intervention_ids == (running,)
    assert "only a closed case file" in str(error)


def test_a_sector_plan_is_delivered_to_the_archive_once() -> None:
    mette = citizen()
    done = include(mette)
    deliver(mette, {done: InterventionStatus.COMPLETED})
    mette.collect_events()

    refused(mette, IllegalTransition, lambda: deliver(mette, {done: InterventionStatus.COMPLETED}))


def test_a_delivered_sector_plan_takes_no_new_effort_but_another_sector_plan_does() -> None:
    mette = citizen()
    done = include(mette)
    deliver(mette, {done: InterventionStatus.COMPLETED})
    mette.collect_events()

    error = refused(mette, IllegalTransition, lambda: include(mette))

    assert "new sector plan" in str(error)
    again = SOCIAL.model_copy(update={"reference": "S-2027-2"})
    include(mette, again)
    assert mette.sector_plans[again].archived_at is None


def test_a_sector_plan_without_interventions_of_the_citizen_is_not_found() -> None:
    mette = citizen()
    include(mette)
    mette.collect_events()

    error = refused(mette, SectorPlanNotFound, lambda: deliver(mette, {}, sector_plan=FAMILY))

    assert (error.citizen_id, error.sector_plan) == (mette.id, FAMILY)


def test_archive_delivery_is_recorded_by_a_caseworker_naming_archive_and_reference() -> None:
    mette = citizen()
    done = include(mette)
    mette.collect_events()
    statuses = {done: InterventionStatus.COMPLETED}
    herself = Actor(id="mette", kind=ActorKind.CITIZEN)

    refused(mette, InvalidInput, lambda: deliver(mette, statuses, actor=herself))
    refused(mette, InvalidInput, lambda: deliver(mette, statuses, reference=" "))


# --- retention -----------------------------------------------------------------------


def test_a_sector_plan_file_counts_from_its_closing_with_the_longest_period_of_its_laws() -> None:
    registered = datetime(2026, 1, 1, tzinfo=UTC)
    social = sector_plan_file(datetime(2027, 3, 1, tzinfo=UTC))
    family = sector_plan_file(
        datetime(2026, 6, 1, tzinfo=UTC), bases=("BL § 140", "SEL § 85"), sector_plan=FAMILY
    )

    assert retention_ends([social], POLICY, registered_at=registered) == date(2033, 1, 1)
    assert retention_ends([social, family], POLICY, registered_at=registered) == date(2047, 1, 1)
    assert (
        retention_ends([social, sector_plan_file(None)], POLICY, registered_at=registered) is None
    )


def test_a_case_file_is_a_plans_or_a_sector_plans() -> None:
    with pytest.raises(ValueError, match="not both or neither"):
        CaseFile(plan_id=None, closed_at=None, legal_bases=(), archived=False)
    with pytest.raises(ValueError, match="not both or neither"):
        CaseFile(
            plan_id=uuid4(), closed_at=None, legal_bases=(), archived=False, sector_plan=SOCIAL
        )


def test_a_citizen_due_lists_sector_plans_and_is_ready_only_once_both_kinds_are_archived() -> None:
    plan = CaseFile(plan_id=uuid4(), closed_at=at(2026, 3, 1), legal_bases=(), archived=True)
    waiting = sector_plan_file(at(2026, 4, 1))
    archived = sector_plan_file(at(2026, 4, 1), archived=True, sector_plan=FAMILY)

    due = RetentionDue.of(uuid4(), date(2032, 1, 1), [plan, waiting, archived])

    assert (due.plan_ids, due.awaiting_archive) == ((plan.plan_id,), ())
    assert (due.sector_plans, due.sector_plans_awaiting_archive) == ((SOCIAL, FAMILY), (SOCIAL,))
    assert not due.ready
    assert RetentionDue.of(uuid4(), date(2032, 1, 1), [plan, archived]).ready


# --- the rule ------------------------------------------------------------------------


def test_erasure_is_refused_while_an_intervention_of_a_sector_plan_runs() -> None:
    mette = citizen()
    running = sector_plan_file(None)

    with pytest.raises(RetentionNotEnded) as refused_:
        erasure_only_at_end_of_retention(mette, [running], POLICY, date(2060, 1, 1), SUPPORT)

    error = refused_.value
    assert (error.due, error.plan_ids, error.sector_plans) == (None, (), (SOCIAL,))
    assert error.intervention_ids == running.running
    assert "sector plan social:SEL § 141" in str(error)


def test_erasure_waits_for_the_period_of_a_closed_sector_plan() -> None:
    mette = citizen()
    files = [sector_plan_file(at(2026, 10, 1), archived=True)]

    with pytest.raises(RetentionNotEnded) as refused_:
        erasure_only_at_end_of_retention(mette, files, POLICY, date(2031, 12, 31), None)

    assert (refused_.value.due, refused_.value.sector_plans) == (date(2032, 1, 1), (SOCIAL,))
    erasure_only_at_end_of_retention(mette, files, POLICY, date(2032, 1, 1), None)


def test_erasure_before_a_sector_plans_archive_delivery_needs_a_legal_basis() -> None:
    mette = citizen()
    files = [sector_plan_file(at(2026, 10, 1))]

    with pytest.raises(NotDeliveredToArchive) as refused_:
        erasure_only_at_end_of_retention(mette, files, POLICY, date(2032, 1, 1), None)

    assert (refused_.value.plan_ids, refused_.value.sector_plans) == ((), (SOCIAL,))
    erasure_only_at_end_of_retention(
        mette, files, POLICY, date(2032, 1, 1), LegalBasis.parse("FVL § 2")
    )


# --- the reference as text -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["social:SEL § 141", "children-and-family:BL § 140:BF-2026-7", "employment:LAB § 30:a:b"],
)
def test_a_sector_plan_reads_back_from_the_text_it_is_written_as(text: str) -> None:
    assert str(SectorPlanRef.parse(text)) == text


@pytest.mark.parametrize("text", ["social SEL § 141", "nowhere:SEL § 141", "social:SEL"])
def test_a_sector_plan_written_otherwise_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="SectorPlanRef"):
        SectorPlanRef.parse(text)


# --- the application: one save -------------------------------------------------------


def test_the_proposal_and_the_citizens_record_are_saved_together_or_not_at_all(
    memory_app: OnePlan,
) -> None:
    mette = acting(memory_app, ANNE).register_citizen(
        name="Mette", birth_date=date(1984, 5, 2), effective_at=at(2026, 2, 1)
    )
    fields: dict[str, Any] = {
        "citizen_id": mette,
        "sector_plan": "social:SEL § 141",
        "legal_basis": "SEL § 85",
        "title": "Support contact person",
        "responsible": LARS,
        "planned_period": Period(start=date(2026, 3, 1)),
        "effective_at": at(2026, 3, 2),
    }
    lars = acting(memory_app, LARS)  # (in the staff directory before the count)
    before = memory_app.recorder.max_notification_id()

    with pytest.raises(LegalBasisOutsideSector):
        lars.propose_intervention_under_sector_plan(**(fields | {"legal_basis": "BL § 32"}))
    assert memory_app.recorder.max_notification_id() == before

    intervention = lars.propose_intervention_under_sector_plan(**fields)

    added = memory_app.recorder.select_notifications(start=before + 1, limit=10)
    assert {n.topic.rsplit(".", 1)[1] for n in added} == {
        "ProposedUnderSectorPlan",
        "InterventionIncludedInSectorPlan",
    }
    assert len({n.originator_id for n in added}) == 2
    assert record(memory_app).citizen(mette).sector_plans[SOCIAL].intervention_ids == (
        intervention,
    )
