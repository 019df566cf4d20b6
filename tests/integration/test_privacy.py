"""Privacy on every storage: personal fields sealed per citizen, CPR numbers found only by
keyed hash, retention and archive delivery, and erasure by destroying keys, after which
the citizen's events read as erased, other citizens are untouched, and no stored event
has changed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from oneplan import (
    ActorKind,
    ConsentGiver,
    OnePlan,
    Period,
    PlanOutcome,
)
from oneplan.aggregates.personal import ERASED
from oneplan.errors import (
    CitizenErased,
    CprNotFound,
    InvalidInput,
    MasterKeyMissing,
    NotDeliveredToArchive,
    RetentionNotEnded,
)
from oneplan.values import AchievementStatus, LegalBasis, OverarchingGoal, OverarchingGoalKind
from tests.builders import (
    ALL_CATEGORIES,
    ALL_SECTORS,
    ANNE,
    LARS,
    RECORDS,
    acting,
    at,
    auditing,
    officer,
    record,
    system,
)
from tests.conftest import FixedClock

NAME, CPR, NOTE = "Canaryname Zqxjkv", "0101901234", "canarynote-7f3a9"
OTHER_NAME, OTHER_CPR = "Otherperson Wvbnm", "0202851234"
AFTER_RETENTION = datetime(2032, 1, 2, 12, tzinfo=UTC)
"""Plans closed in 2026 under LAB and SEL (5 years) are due on 1 January 2032."""


def staffed(app: OnePlan) -> None:
    """The cast in the staff directory (named in commands, and before any count)."""
    for member in (ANNE, LARS, RECORDS):
        acting(app, member)


def case_file(
    app: OnePlan,
    *,
    name: str = NAME,
    cpr: str = CPR,
    note: str = NOTE,
    household_with: UUID | None = None,
    close: bool = True,
) -> tuple[UUID, UUID]:
    """A citizen with a CPR number, a plan with their wishes, a goal with a progress note
    and an intervention, closed in 2026 (or left open); returns (citizen, plan)."""
    staffed(app)
    when = at(2026, 2, 2)
    citizen = acting(app, ANNE).register_citizen(name=name, cpr=cpr, effective_at=when)
    members = (citizen,) if household_with is None else (household_with, citizen)
    consents = []
    for member in members:
        consents.append(
            acting(app, ANNE).grant_consent(
                given_how="in-meeting",
                citizen_id=member,
                recipient_sectors=ALL_SECTORS,
                categories=ALL_CATEGORIES,
                purpose=f"one plan for {name}",
                period=Period(start=when.date(), end=date(2028, 12, 31)),
                given_by=[ConsentGiver(kind=ActorKind.CITIZEN, name=name)],
                effective_at=when,
            )
        )
    plan = acting(app, ANNE).open_plan(
        citizen_ids=members,
        consent_ids=consents,
        legal_bases=["LAB § 30 b"],
        coordinator=ANNE,
        effective_at=when,
    )
    acting(app, ANNE).record_citizens_wishes(
        plan_id=plan,
        citizen_id=citizen,
        wishes=f"{name} wishes: {note}",
        overarching_goal=OverarchingGoal(kind=OverarchingGoalKind.WORK),
        effective_at=when,
    )
    goal = acting(app, ANNE).set_goal(plan_id=plan, description=f"goal {note}", effective_at=when)
    acting(app, ANNE).record_goal_progress(
        plan_id=plan,
        goal_id=goal,
        achievement=AchievementStatus.IMPROVING,
        note=note,
        effective_at=when,
    )
    intervention = acting(app, ANNE).propose_intervention(
        plan_id=plan,
        citizen_id=citizen,
        sector="social",
        legal_basis="SEL § 85",
        title=f"support for {name}",
        responsible=LARS,
        planned_period=Period(start=when.date()),
        effective_at=when,
    )
    acting(app, LARS).grant_intervention(intervention_id=intervention, note=note, effective_at=when)
    if close:
        acting(app, ANNE).complete_plan(
            plan_id=plan, outcome=PlanOutcome.WORK, effective_at=at(2026, 6, 1)
        )
    return citizen, plan


def archive(app: OnePlan, plan_id: UUID) -> None:
    officer(app).deliver_to_archive(plan_id=plan_id, archive="Rigsarkivet", reference="AVID.SA.1")


def stored_rows(app: OnePlan) -> list[tuple[int, Any, int, str, bytes]]:
    return [
        (n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state))
        for n in app.recorder.select_notifications(start=1, limit=10**6)
    ]


def test_personal_fields_are_stored_sealed_and_read_back_exactly(app: OnePlan) -> None:
    citizen, plan = case_file(app)

    stored = b"".join(row[4] for row in stored_rows(app))
    for canary in (NAME, CPR, NOTE):
        assert canary.encode() not in stored
    assert record(app).citizen(citizen).name == NAME
    assert record(app).citizen(citizen).cpr == CPR
    assert record(app).plan(plan).wishes[citizen] == f"{NAME} wishes: {NOTE}"
    assert NOTE in auditing(app).citizen_plan(plan, language="en")


def test_a_citizen_is_found_by_cpr_number_through_its_keyed_hash(app: OnePlan) -> None:
    citizen, _ = case_file(app, close=False)

    assert system(app).citizen_by_cpr("010190-1234") == citizen
    with pytest.raises(CprNotFound) as unknown:
        system(app).citizen_by_cpr(OTHER_CPR)
    with pytest.raises(InvalidInput) as bad:
        system(app).citizen_by_cpr("3102901234")  # 31 February
    assert "0202" not in str(unknown.value)
    assert "3102" not in str(bad.value)


def test_a_cpr_number_is_registered_once(app: OnePlan) -> None:
    case_file(app, close=False)

    with pytest.raises(InvalidInput) as again:
        acting(app, ANNE).register_citizen(name="Someone", cpr=CPR, effective_at=at(2026, 2, 3))
    assert again.value.fields == "cpr"
    assert CPR not in str(again.value)


def test_a_cpr_number_must_encode_the_birth_date_given(app: OnePlan) -> None:
    with pytest.raises(InvalidInput) as refused:
        acting(app, ANNE).register_citizen(name="Someone", cpr=CPR, birth_date=date(1990, 1, 2))
    assert refused.value.fields == "cpr"


def test_a_cpr_number_is_refused_without_the_keys_that_protect_it(
    memory_app: OnePlan,
) -> None:
    anne = acting(memory_app, ANNE)
    before = memory_app.recorder.max_notification_id()

    with pytest.raises(MasterKeyMissing):
        anne.register_citizen(name="Someone", cpr=CPR)
    assert memory_app.recorder.max_notification_id() == before


def test_erasure_at_the_end_of_retention_leaves_the_citizen_erased_and_others_untouched(
    app: OnePlan, clock: FixedClock
) -> None:
    mette, plan = case_file(app)
    other, other_plan = case_file(app, name=OTHER_NAME, cpr=OTHER_CPR, note="other note")
    for p in (plan, other_plan):
        archive(app, p)
    before = stored_rows(app)
    clock.now = AFTER_RETENTION

    erasure = officer(app).erase_citizen(citizen_id=mette)

    assert erasure.keys_destroyed == 3  # the citizen's record, employment, social
    after = stored_rows(app)
    assert after[: len(before)] == before  # no stored event changed (the chain holds)
    assert [row[3].rsplit(".", 1)[-1] for row in after[len(before) :]] == ["Erased"]
    erased = record(app).citizen(mette)
    assert (erased.name, erased.cpr, erased.birth_date, erased.erased) == (
        ERASED,
        None,
        None,
        True,
    )
    case = record(app).plan(plan)
    assert case.status.value == "completed"
    assert case.legal_bases[0].law.value == "LAB"
    assert case.wishes[mette] == ERASED
    assert {g.description for g in case.goals.values()} == {ERASED}
    assert [i.title for i in record(app).interventions_of(plan)] == [ERASED]
    assert [i.legal_basis for i in record(app).interventions_of(plan)] == [
        LegalBasis.parse("SEL § 85")
    ]
    untouched = record(app).citizen(other)
    assert (untouched.name, untouched.cpr) == (OTHER_NAME, OTHER_CPR)
    assert record(app).plan(other_plan).wishes[other] == f"{OTHER_NAME} wishes: other note"
    assert system(app).citizen_by_cpr(OTHER_CPR) == other
    with pytest.raises(CprNotFound):
        system(app).citizen_by_cpr(CPR)
    shown = auditing(app).citizen_plan(plan, language="en") + repr(auditing(app).journey(mette))
    for canary in (NAME, NOTE):
        assert canary not in shown
    assert app.views.get("citizen", mette).erased


def test_erasure_is_refused_before_the_end_of_retention(app: OnePlan, clock: FixedClock) -> None:
    open_one, _ = case_file(app, close=False)
    closed, plan = case_file(app, name=OTHER_NAME, cpr=OTHER_CPR)
    archive(app, plan)

    with pytest.raises(RetentionNotEnded) as in_open_plan:
        officer(app).erase_citizen(citizen_id=open_one)
    with pytest.raises(RetentionNotEnded) as not_yet:
        officer(app).erase_citizen(citizen_id=closed)
    clock.now = datetime(2031, 12, 31, 23, tzinfo=UTC)
    with pytest.raises(RetentionNotEnded):
        officer(app).erase_citizen(citizen_id=closed, legal_basis="FVL § 2")

    assert in_open_plan.value.due is None
    assert not_yet.value.due == date(2032, 1, 1)
    assert record(app).citizen(closed).name == OTHER_NAME


def test_erasure_before_archive_delivery_needs_a_legal_basis(
    app: OnePlan, clock: FixedClock
) -> None:
    citizen, plan = case_file(app)
    clock.now = AFTER_RETENTION

    with pytest.raises(NotDeliveredToArchive) as refused:
        officer(app).erase_citizen(citizen_id=citizen)
    assert refused.value.plan_ids == (plan,)
    assert record(app).citizen(citizen).name == NAME

    officer(app).erase_citizen(citizen_id=citizen, legal_basis="FVL § 2")

    assert record(app).citizen(citizen).name == ERASED
    assert record(app).history(citizen)[-1].legal_basis == LegalBasis.parse("FVL § 2")  # type: ignore[attr-defined]


def test_nothing_more_is_written_about_an_erased_citizen(app: OnePlan, clock: FixedClock) -> None:
    citizen, plan = case_file(app)
    archive(app, plan)
    clock.now = AFTER_RETENTION
    officer(app).erase_citizen(citizen_id=citizen)

    with pytest.raises(CitizenErased):
        officer(app).erase_citizen(citizen_id=citizen)
    with pytest.raises(CitizenErased):
        acting(app, LARS).record_social_contact_person(citizen_id=citizen, contact_person=LARS)


def household_case_file(app: OnePlan) -> tuple[UUID, UUID, UUID]:
    """Two citizens' household plan, each with wishes of their own, closed and delivered
    to the archive: (first, second, plan)."""
    first = acting(app, ANNE).register_citizen(
        name="First Member", cpr="0303801234", effective_at=at(2026, 2, 1)
    )
    second, plan = case_file(app, household_with=first, close=False)
    acting(app, ANNE).record_citizens_wishes(
        plan_id=plan,
        citizen_id=first,
        wishes="first member's own wishes",
        overarching_goal=OverarchingGoal(kind=OverarchingGoalKind.WORK),
        effective_at=at(2026, 2, 3),
    )
    acting(app, ANNE).complete_plan(
        plan_id=plan, outcome=PlanOutcome.WORK, effective_at=at(2026, 6, 1)
    )
    archive(app, plan)
    return first, second, plan


def test_a_household_plan_keeps_its_shared_fields_until_its_last_member_is_erased(
    app: OnePlan, clock: FixedClock
) -> None:
    first, second, plan = household_case_file(app)
    clock.now = AFTER_RETENTION

    one = officer(app).erase_citizen(citizen_id=second)

    kept = record(app).plan(plan)
    assert one.households == ()
    assert kept.wishes[second] == ERASED  # a member's own wishes go with them
    assert kept.wishes[first] == "first member's own wishes"
    assert {g.description for g in kept.goals.values()} == {f"goal {NOTE}"}

    last = officer(app).erase_citizen(citizen_id=first)

    assert last.households == (plan,)
    assert {g.description for g in record(app).plan(plan).goals.values()} == {ERASED}


def test_retention_due_lists_the_citizens_whose_files_have_been_closed_longer_than_their_period(
    app: OnePlan, clock: FixedClock
) -> None:
    citizen, plan = case_file(app)
    other, other_plan = case_file(app, name=OTHER_NAME, cpr=OTHER_CPR)
    archive(app, other_plan)
    case_file(app, name="Still Open", cpr="0404801234", close=False)

    assert system(app).retention_due() == []
    due = system(app).retention_due(at=date(2032, 1, 1))

    assert [(d.citizen_id, d.due, d.ready) for d in due] == sorted(
        [(citizen, date(2032, 1, 1), False), (other, date(2032, 1, 1), True)],
        key=lambda d: str(d[0]),
    )
    assert due[[d.citizen_id for d in due].index(citizen)].awaiting_archive == (plan,)
