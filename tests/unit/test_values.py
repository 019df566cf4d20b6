"""Value objects are frozen and validated on creation; pydantic refuses bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from pydantic import TypeAdapter, ValidationError

from oneplan.values import (
    Actor,
    ActorKind,
    ConsentGiver,
    DependencyType,
    GoalStatus,
    InterventionStatus,
    Law,
    LegalBasis,
    MeetingAttendee,
    Money,
    OverarchingGoal,
    OverarchingGoalKind,
    Period,
    PlanStatus,
    Responsibility,
    Sector,
    SectorPlanRef,
    Target,
    Text,
)

TEXT: TypeAdapter[str] = TypeAdapter(Text)


# --- LegalBasis ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "law", "section"),
    [
        ("SEL § 85", Law.SEL, "85"),
        ("LAB § 30 b", Law.LAB, "30 b"),
        ("SEL § 141 stk. 7", Law.SEL, "141 stk. 7"),
        ("BL § 110", Law.BL, "110"),
        ("LAS § 13", Law.LAS, "13"),
    ],
)
def test_legal_basis_parses_law_and_section(text: str, law: Law, section: str) -> None:
    basis = LegalBasis.parse(text)

    assert basis.law is law
    assert basis.section == section
    assert str(basis) == text


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("LAB § 30b", "LAB § 30 b"),
        ("sel §85", "SEL § 85"),
        ("  SEL  §  141   stk.   7  ", "SEL § 141 stk. 7"),
        ("SEL § 85a stk. 2", "SEL § 85 a stk. 2"),
    ],
)
def test_legal_basis_normalises_spacing_and_case(text: str, normalised: str) -> None:
    assert str(LegalBasis.parse(text)) == normalised


def test_legal_bases_written_differently_are_equal() -> None:
    assert LegalBasis.parse("LAB § 30b") == LegalBasis.parse("LAB § 30 b")
    assert LegalBasis.parse("LAB § 30 b") == LegalBasis(law=Law.LAB, section="30 b")


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "   ",
        "SEL 85",
        "§ 85",
        "SEL §",
        "SEL § ",
        "XYZ § 85",
        "SEL § abc",
        "SEL § 85 stk 7",
        "SEL § 12345",
        "SEL § 85 stk. 123",
        "SEL § 30 B",
        "SEL § 85; DROP TABLE",
    ],
)
def test_legal_basis_refuses_junk(junk: str) -> None:
    with pytest.raises(ValidationError):
        LegalBasis.parse(junk)


def test_legal_basis_refuses_an_unknown_law_given_as_fields() -> None:
    with pytest.raises(ValidationError):
        LegalBasis(law="XYZ", section="85")  # type: ignore[arg-type]


def test_legal_basis_is_frozen() -> None:
    basis = LegalBasis.parse("SEL § 85")

    with pytest.raises(ValidationError):
        basis.section = "86"  # type: ignore[misc]

    assert basis.section == "85"


# --- Money --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (0, Decimal("0")),
        (12000, Decimal("12000")),
        ("1250.50", Decimal("1250.50")),
        (Decimal("0.10"), Decimal("0.10")),
    ],
)
def test_money_holds_an_exact_amount_in_dkk(amount: int | str | Decimal, expected: Decimal) -> None:
    money = Money.dkk(amount)

    assert money.amount == expected
    assert isinstance(money.amount, Decimal)
    assert money.currency == "DKK"


def test_money_keeps_the_written_exponent() -> None:
    assert Money.dkk("1250.50").amount.as_tuple().exponent == -2
    assert Money.dkk("0.1").amount.as_tuple().exponent == -1


@pytest.mark.parametrize("amount", [-1, "-0.01", Decimal("-100")])
def test_money_refuses_a_negative_amount(amount: int | str | Decimal) -> None:
    with pytest.raises(ValidationError):
        Money.dkk(amount)


@pytest.mark.parametrize("amount", ["1.005", "0.001", Decimal("12.345")])
def test_money_refuses_more_than_two_decimals(amount: str | Decimal) -> None:
    with pytest.raises(ValidationError):
        Money.dkk(amount)


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity"])
def test_money_refuses_nan_and_infinity(amount: str) -> None:
    with pytest.raises(ValidationError):
        Money.dkk(amount)


def test_money_refuses_more_than_fourteen_digits() -> None:
    assert Money.dkk("999999999999.99").amount == Decimal("999999999999.99")

    with pytest.raises(ValidationError):
        Money.dkk("9999999999999.99")


def test_money_refuses_another_currency() -> None:
    with pytest.raises(ValidationError):
        Money(amount=Decimal("10"), currency="EUR")


@pytest.mark.parametrize("amount", [0.1, 0.1 + 0.2, 1250.1])
def test_money_dkk_refuses_a_float_whose_binary_value_is_not_the_written_one(
    amount: float,
) -> None:
    # Decimal(0.1) is 0.1000000000000000055511151231257827...: far more than two decimals.
    with pytest.raises(ValidationError):
        Money.dkk(amount)  # type: ignore[arg-type]


def test_money_dkk_refuses_floats_as_its_docstring_promises() -> None:
    # Money.dkk: "floats are refused, they are not exact". 1.5 happens to be exact in
    # binary, but a float is still refused rather than accepted by luck.
    with pytest.raises(ValidationError):
        Money.dkk(1.5)  # type: ignore[arg-type]


def test_money_parses_a_bare_number_as_an_amount() -> None:
    assert Money.model_validate("12.50") == Money.dkk("12.50")
    assert Money.model_validate(7) == Money.dkk(7)


def test_money_refuses_a_bare_boolean() -> None:
    with pytest.raises(ValidationError):
        Money.model_validate(True)


def test_money_adds_exactly() -> None:
    total = Money.dkk("0.10") + Money.dkk("0.20")

    assert total.amount == Decimal("0.30")
    assert str(total) == "DKK 0.30"


def test_money_prints_with_thousands_and_two_decimals() -> None:
    assert str(Money.dkk("1250.5")) == "DKK 1,250.50"


def test_money_is_frozen() -> None:
    money = Money.dkk(10)

    with pytest.raises(ValidationError):
        money.amount = Decimal("11")  # type: ignore[misc]

    assert money.amount == Decimal("10")


# --- Period -------------------------------------------------------------------------


def test_period_refuses_an_end_before_its_start() -> None:
    with pytest.raises(ValidationError):
        Period(start=date(2026, 3, 2), end=date(2026, 3, 1))


def test_period_of_one_day_is_allowed() -> None:
    period = Period(start=date(2026, 3, 1), end=date(2026, 3, 1))

    assert period.contains(date(2026, 3, 1))
    assert not period.contains(date(2026, 3, 2))


def test_period_contains_its_ends_inclusive_and_datetimes_by_their_day() -> None:
    period = Period(start=date(2026, 3, 1), end=date(2026, 3, 31))

    assert period.contains(date(2026, 3, 1))
    assert period.contains(date(2026, 3, 31))
    assert period.contains(datetime(2026, 3, 31, 23, 59, tzinfo=UTC))
    assert not period.contains(date(2026, 2, 28))
    assert not period.contains(date(2026, 4, 1))


def test_period_without_end_is_open_ended() -> None:
    period = Period(start=date(2026, 3, 1))

    assert period.contains(date(2099, 1, 1))
    assert not period.contains(date(2026, 2, 28))
    assert str(period) == "2026-03-01.."


# --- Actor --------------------------------------------------------------------------


def test_caseworker_needs_a_sector() -> None:
    with pytest.raises(ValidationError):
        Actor(id="karin", kind=ActorKind.CASEWORKER)


def test_caseworker_by_default_when_no_kind_is_given_and_so_needs_a_sector() -> None:
    with pytest.raises(ValidationError):
        Actor(id="karin")


def test_caseworker_authorities_are_sorted_and_unique() -> None:
    anne = Actor.caseworker("anne", Sector.EMPLOYMENT, Law.SEL, Law.LAB, Law.LAS, Law.LAB)

    assert anne.authorities == (Law.LAB, Law.LAS, Law.SEL)
    assert type(anne.authorities) is tuple
    assert anne.is_cross_authority
    assert anne.holds_authority_under(Law.LAS)
    assert not anne.holds_authority_under(Law.BL)


def test_caseworker_with_one_authority_is_not_cross_authority() -> None:
    lars = Actor.caseworker("lars", Sector.SOCIAL, Law.SEL)

    assert not lars.is_cross_authority
    assert lars.is_caseworker


@pytest.mark.parametrize("kind", [ActorKind.CITIZEN, ActorKind.GUARDIAN])
def test_citizen_or_guardian_acts_without_a_sector(kind: ActorKind) -> None:
    actor = Actor(id="mette", kind=kind)

    assert not actor.is_caseworker
    assert actor.sector is None


@pytest.mark.parametrize("kind", [ActorKind.CITIZEN, ActorKind.GUARDIAN])
def test_only_caseworkers_hold_authority(kind: ActorKind) -> None:
    with pytest.raises(ValidationError):
        Actor(id="mette", kind=kind, authorities=(Law.SEL,))


@pytest.mark.parametrize("bad_id", ["", "  ", "-karin", "karin jensen", "k" * 65, "karin/1"])
def test_actor_id_must_look_like_a_directory_id(bad_id: str) -> None:
    with pytest.raises(ValidationError):
        Actor.caseworker(bad_id, Sector.SOCIAL, Law.SEL)


def test_actor_id_is_trimmed() -> None:
    assert Actor.caseworker("  karin.j@kommune ", Sector.SOCIAL).id == "karin.j@kommune"


def test_actor_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        Actor.model_validate({"id": "karin", "sector": "social", "role": "boss"})


def test_actor_prints_name_and_sector_or_kind() -> None:
    assert str(Actor.caseworker("karin", Sector.SOCIAL, name="Karin")) == "Karin (social)"
    assert str(Actor(id="mette", kind=ActorKind.CITIZEN)) == "mette (citizen)"


# --- ConsentGiver -------------------------------------------------------------------


def test_consent_is_not_given_by_a_caseworker() -> None:
    with pytest.raises(ValidationError):
        ConsentGiver(kind=ActorKind.CASEWORKER)


@pytest.mark.parametrize("kind", [ActorKind.CITIZEN, ActorKind.GUARDIAN])
def test_consent_is_given_by_the_citizen_or_a_guardian(kind: ActorKind) -> None:
    assert ConsentGiver(kind=kind, name=" Mette ").name == "Mette"


# --- OverarchingGoal ----------------------------------------------------------------


def test_full_self_support_has_no_hours_per_week() -> None:
    with pytest.raises(ValidationError):
        OverarchingGoal(kind=OverarchingGoalKind.FULL_SELF_SUPPORT, hours_per_week=20)


def test_partial_self_support_may_name_hours_per_week() -> None:
    goal = OverarchingGoal(kind=OverarchingGoalKind.PARTIAL_SELF_SUPPORT, hours_per_week=15)

    assert goal.hours_per_week == 15


@pytest.mark.parametrize("hours", [0, -1, 38, 100])
def test_hours_per_week_are_between_1_and_37(hours: int) -> None:
    with pytest.raises(ValidationError):
        OverarchingGoal(kind=OverarchingGoalKind.PARTIAL_SELF_SUPPORT, hours_per_week=hours)


@pytest.mark.parametrize("hours", [1, 37])
def test_hours_per_week_bounds_are_inclusive(hours: int) -> None:
    goal = OverarchingGoal(kind=OverarchingGoalKind.PARTIAL_SELF_SUPPORT, hours_per_week=hours)

    assert goal.hours_per_week == hours


def test_overarching_goal_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValidationError):
        OverarchingGoal.model_validate({"kind": "retirement"})


# --- Text ---------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", " ", "\n\t  "])
def test_text_refuses_blank(blank: str) -> None:
    with pytest.raises(ValidationError):
        TEXT.validate_python(blank)


def test_text_is_trimmed_and_keeps_newlines_and_tabs_inside() -> None:
    assert TEXT.validate_python("  can take the bus\nalone\tby March  ") == (
        "can take the bus\nalone\tby March"
    )


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\r", "\x1f"])
def test_text_refuses_ascii_control_characters(control: str) -> None:
    with pytest.raises(ValidationError):
        TEXT.validate_python(f"wish{control}es")


@pytest.mark.parametrize("control", ["\x7f", "\x85", "\x9b"])
def test_text_refuses_delete_and_c1_control_characters(control: str) -> None:
    # "no control characters": U+007F (DEL) and U+0080..U+009F (C1, e.g. U+009B, the
    # single-character terminal escape CSI) are control characters (Unicode category Cc).
    with pytest.raises(ValidationError):
        TEXT.validate_python(f"wish{control}es")


def test_text_refuses_more_than_ten_thousand_characters() -> None:
    assert len(TEXT.validate_python("x" * 10_000)) == 10_000

    with pytest.raises(ValidationError):
        TEXT.validate_python("x" * 10_001)


# --- Target, SectorPlanRef, MeetingAttendee, Responsibility -------------------------


def test_target_measure_is_text() -> None:
    with pytest.raises(ValidationError):
        Target(measure="   ")

    with pytest.raises(ValidationError):
        Target(measure="bus\x00trips")


def test_target_value_is_exact_and_finite() -> None:
    target = Target(measure="bus trips alone", value=Decimal("3.50"), unit="per week")

    assert target.value == Decimal("3.50")
    assert target.value is not None
    assert target.value.as_tuple().exponent == -2

    with pytest.raises(ValidationError):
        Target(measure="bus trips alone", value=Decimal("NaN"))


def test_sector_plan_ref_parses_its_legal_basis() -> None:
    ref = SectorPlanRef.model_validate(
        {"sector": "employment", "legal_basis": "LAB § 30 b", "reference": "JC-1"}
    )

    assert ref.sector is Sector.EMPLOYMENT
    assert ref.legal_basis == LegalBasis(law=Law.LAB, section="30 b")


def test_sector_plan_ref_refuses_a_bad_legal_basis() -> None:
    with pytest.raises(ValidationError):
        SectorPlanRef.model_validate({"sector": "employment", "legal_basis": "LAB 30"})


def test_meeting_attendee_id_is_a_directory_id() -> None:
    with pytest.raises(ValidationError):
        MeetingAttendee(id="two words")


def test_responsibility_names_an_intervention_and_a_valid_caseworker() -> None:
    data: dict[str, Any] = {"intervention_id": str(uuid4()), "caseworker": {"id": "lars"}}

    with pytest.raises(ValidationError):
        Responsibility.model_validate(data)


# --- status vocabularies ------------------------------------------------------------


def test_finished_intervention_statuses() -> None:
    finished = {s for s in InterventionStatus if s.is_finished}

    assert finished == {
        InterventionStatus.COMPLETED,
        InterventionStatus.STOPPED,
        InterventionStatus.CANCELLED,
    }


def test_a_cancelled_intervention_never_started_nor_ended() -> None:
    assert not InterventionStatus.CANCELLED.has_started
    assert not InterventionStatus.CANCELLED.has_ended
    assert InterventionStatus.STOPPED.has_started
    assert InterventionStatus.STOPPED.has_ended
    assert InterventionStatus.ON_HOLD.has_started
    assert not InterventionStatus.ON_HOLD.has_ended


def test_closed_plan_statuses() -> None:
    closed = {s for s in PlanStatus if s.is_closed}

    assert closed == {PlanStatus.REVOKED, PlanStatus.COMPLETED, PlanStatus.ENTERED_IN_ERROR}


def test_finished_goal_statuses() -> None:
    assert {s for s in GoalStatus if s.is_finished} == {GoalStatus.COMPLETED, GoalStatus.CANCELLED}


@pytest.mark.parametrize(
    ("relation", "other", "allowed"),
    [
        (DependencyType.AFTER_END, InterventionStatus.IN_PROGRESS, False),
        (DependencyType.AFTER_END, InterventionStatus.CANCELLED, True),
        (DependencyType.AFTER_START, InterventionStatus.CANCELLED, True),
        (DependencyType.AFTER_END, InterventionStatus.COMPLETED, True),
        (DependencyType.AFTER_END, InterventionStatus.STOPPED, True),
        (DependencyType.AFTER, InterventionStatus.ON_HOLD, False),
        (DependencyType.AFTER, InterventionStatus.COMPLETED, True),
        (DependencyType.AFTER_START, InterventionStatus.SCHEDULED, False),
        (DependencyType.AFTER_START, InterventionStatus.IN_PROGRESS, True),
        (DependencyType.CONCURRENT, InterventionStatus.NOT_STARTED, True),
        (DependencyType.BEFORE_START, InterventionStatus.NOT_STARTED, True),
    ],
)
def test_dependency_type_decides_when_a_start_is_allowed(
    relation: DependencyType, other: InterventionStatus, allowed: bool
) -> None:
    assert relation.allows_start(other) is allowed
