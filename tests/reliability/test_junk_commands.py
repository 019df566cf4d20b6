"""Every command model fuzzed with junk: only typed errors, and nothing stored.

The commands are enumerated from ``oneplan.commands.COMMANDS`` and their fields from the
models themselves, so a command or field added later is fuzzed too. Each example starts
from values that reach past parsing (the ids of a real citizen, plan, goal, consent and
intervention of a record with encryption on), then puts junk into some fields: wrong
types, empty and huge strings, control characters, unknown ids, dates far in the past
and the future, naive times, negative, absurd and non-finite amounts, nested junk,
fields left out and fields that do not exist. Whatever the application does with it:
a refusal is a ``OnePlanError`` and stores nothing; an acceptance is of input that
parses as the command.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from oneplan import Keys, Law, OnePlan, OnePlanError, Period, Principal, Session
from oneplan.commands import COMMANDS, Command
from tests.builders import ANNE, LARS, PETER, acting, citizen_with_consent
from tests.conftest import NOW, FixedClock

UNKNOWN = UUID("00000000-0000-4000-8000-00000000dead")

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(("", " ", "\t\n", "\x00", "a\x00b", "\x1b[2J", "\u202e", "\ud800", "a\udfffb")),
    st.text(max_size=30),
    st.just("x" * 100_000),
    st.binary(max_size=20),
    st.uuids(),
    st.just(UNKNOWN),
    st.sampled_from(("-1", "-0.01", "1e400", "NaN", "Infinity", "-Infinity", "9" * 40)),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from((date(1, 1, 1), date(9999, 12, 31), "0000-00-00", "2026-02-30")),
    st.sampled_from(
        (
            datetime(1, 1, 1, tzinfo=UTC),
            datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
            datetime(2026, 1, 1),  # naive
            NOW + timedelta(days=1),
            "yesterday",
        )
    ),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.just({"amount": "-5"}),
    st.just({"id": "", "kind": "caseworker"}),
    st.just({"id": "x", "kind": "caseworker", "sector": "space"}),
    st.just({"start": "2026-01-10", "end": "2026-01-01"}),
)
"""Wrong types, empty and huge strings, control characters, unknown ids, far dates,
naive times, negative, absurd and non-finite amounts, nested junk."""


def method_of(command: type[Command]) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", command.__name__).lower()


class Record:
    """A small record with encryption on, and a valid value for each field name. The
    junk is sent by Anne (every staff role, the employment sector's laws, the plan's
    coordinator), so that it reaches past the trust rules to what it spoils."""

    def __init__(self) -> None:
        self.app = OnePlan.open("memory://", clock=FixedClock(NOW), keys=Keys.generate())
        app = self.app
        self.session: Session = acting(app, ANNE)
        for staff in (LARS, PETER):  # (in the staff directory before they are named)
            acting(app, staff)
        self.citizen, self.consent = citizen_with_consent(app)
        self.parent, _ = citizen_with_consent(app, name="Hans", birth_date=date(1960, 3, 3))
        self.delegation = self.session.delegate_authority(
            staff_id=PETER.id,
            law=Law.LAS,
            basis="delegation plan (tests)",
            period=Period(start=date(2020, 1, 1)),
        )
        self.plan = acting(app, ANNE).open_plan(
            citizen_ids=[self.citizen],
            consent_ids=[self.consent],
            legal_bases=["LAB § 30 b"],
            coordinator=ANNE,
        )
        self.goal = acting(app, ANNE).set_goal(plan_id=self.plan, description="Works 10 hours")
        self.intervention = acting(app, ANNE).propose_intervention(
            plan_id=self.plan,
            citizen_id=self.citizen,
            sector="employment",
            legal_basis="LAB § 32",
            title="Job training",
            responsible=PETER,
            planned_period={"start": NOW.date()},
        )
        self.other_intervention = acting(app, ANNE).propose_intervention(
            plan_id=self.plan,
            citizen_id=self.citizen,
            sector="social",
            legal_basis="SEL § 85",
            title="Contact person",
            responsible=LARS,
            planned_period={"start": NOW.date()},
        )
        today = NOW.date()
        period = {"start": today - timedelta(days=30), "end": today}
        self.valid: dict[str, Any] = {
            "citizen_id": self.citizen,
            "citizen_ids": [self.citizen],
            "consent_id": self.consent,
            "consent_ids": [self.consent],
            "plan_id": self.plan,
            "goal_id": self.goal,
            "goal_ids": [self.goal],
            "intervention_id": self.intervention,
            "on_intervention_id": self.other_intervention,
            "name": "Mette",
            "birth_date": date(1984, 5, 2),
            "recipient_sectors": ["employment"],
            "categories": ["goals"],
            "purpose": "one plan",
            "period": period,
            "planned_period": period,
            "given_by": [{"kind": "citizen"}],
            "contact_person": LARS,
            "regarding": "a sanction",
            "legal_basis": "LAB § 32",
            "legal_bases": ["LAB § 30 b"],
            "reason": "because",
            "sector": "employment",
            "amount": "100.00",
            "planned_cost": "100.00",
            "outcome": "work",
            "wishes": "to work",
            "overarching_goal": {"kind": "work"},
            "coordinator": ANNE,
            "new_coordinator": LARS,
            "participant": LARS,
            "caseworker_id": "lars",
            "description": "a goal",
            "achievement": "improving",
            "attendees": [{"id": "anne"}],
            "archive": "Rigsarkivet",
            "reference": "AV-1",
            "sector_plan": "employment:LAB § 30",
            "title": "Help",
            "responsible": PETER,
            "start_on": today,
            "new_responsible": LARS,
            "budget_area": "service",
            "holder_id": self.parent,
            "staff_id": PETER.id,
            "role": "records-officer",
            "law": "LAS",
            "basis": "delegation plan (tests)",
            "delegation_id": self.delegation,
        }

    def stored(self) -> int:
        return self.app.recorder.max_notification_id() or 0


@st.composite
def junk_fields(draw: st.DrawFn, command: type[Command], valid: dict[str, Any]) -> dict[str, Any]:
    """Valid values for the fields the record knows, junk in at least one field (or a
    required field left out, or a field that does not exist)."""
    fields = {
        name: valid[name]
        for name, field in command.model_fields.items()
        if name in valid and (field.is_required() or draw(st.booleans()))
    }
    names = sorted(command.model_fields)
    spoiled = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    for name in spoiled:
        how = draw(st.sampled_from(("junk", "junk", "junk", "missing")))
        if how == "missing":
            fields.pop(name, None)
        else:
            fields[name] = draw(JUNK)
    if draw(st.integers(0, 9)) == 0:
        fields[draw(st.sampled_from(("colour", "", "actor ", "__class__")))] = draw(JUNK)
    return fields


def parses(command: type[Command], fields: dict[str, Any]) -> bool:
    try:
        command.model_validate(fields)
    except (ValidationError, ValueError, TypeError):
        return False
    return True


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.__name__)
def test_junk_in_any_command_gives_a_typed_error_and_stores_nothing(
    command: type[Command],
) -> None:
    record = Record()
    method = getattr(record.session, method_of(command))

    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(fields=junk_fields(command, record.valid))
    def sending_junk(fields: dict[str, Any]) -> None:
        before = record.stored()
        refusal: OnePlanError | None = None
        try:
            method(**fields)
        except OnePlanError as error:  # any other exception fails the test
            refusal = error
        if refusal is None:
            assert parses(command, fields), f"{command.__name__} accepted junk: {fields!r}"
        else:
            assert record.stored() == before, f"refused ({refusal!r}) but stored events"
            assert str(refusal), "a refusal says why"

    try:
        sending_junk()
    finally:
        record.app.close()


def test_every_command_is_fuzzed_and_every_field_it_has_can_be_spoiled() -> None:
    """The fuzz walks COMMANDS and each model's fields, so a new command or field is
    covered; this fails if a command has no use case to send it to, or has a field the
    fuzz cannot give a valid value for while it is required (junk would never get past
    the missing field)."""
    record = Record()
    try:
        for command in COMMANDS:
            assert callable(getattr(record.session, method_of(command), None)), command.__name__
            unknown = [
                name
                for name, field in command.model_fields.items()
                if field.is_required() and name not in record.valid
            ]
            assert not unknown, f"give Record.valid a value for {command.__name__}.{unknown}"
    finally:
        record.app.close()


def test_a_command_object_of_another_kind_is_refused_as_invalid_input() -> None:
    record = Record()
    try:
        wrong: Any = COMMANDS[0].model_construct()
        for command in COMMANDS[1:4]:
            with pytest.raises(OnePlanError):
                getattr(record.session, method_of(command))(wrong)
    finally:
        record.app.close()


def test_ids_and_amounts_at_the_edges_are_refused_without_a_trace() -> None:
    """A few junk values that Hypothesis might not draw together, sent to the commands
    they matter most to."""
    record = Record()
    app = record.app
    before = record.stored()
    citizen = app.as_(Principal.citizen(record.citizen))
    cases: list[tuple[str, dict[str, Any]]] = [
        ("record_actual_cost", {"amount": Decimal("1e400")}),
        ("record_benefit_paid", {"amount": float("nan")}),
        ("propose_intervention", {"planned_cost": "99999999999999.999"}),
        ("schedule_intervention", {"start_on": date(1, 1, 1)}),
        ("set_goal", {"due": "9999-12-31T00:00"}),
        ("grant_consent", {"period": {"start": "0001-01-01", "end": "9999-12-31"}}),
        ("register_citizen", {"cpr": "3102991234"}),
        ("register_citizen", {"name": "\x00"}),
        ("withdraw_plan", {"reason": "no\x00thanks"}),
        ("revoke_consent", {"reason": "\x1b[2J"}),
        ("grant_intervention", {"note": "\x07"}),
        ("complete_intervention", {"outcome": "goals-met", "note": "\x9b31m"}),
        ("open_plan", {"citizen_ids": [str(uuid4())] * 21}),
    ]
    try:
        for method, spoiled in cases:
            command = next(c for c in COMMANDS if method_of(c) == method)
            fields = {
                name: record.valid[name]
                for name, field in command.model_fields.items()
                if field.is_required() and name in record.valid
            }
            refusal: OnePlanError | None = None
            sender = citizen if method == "withdraw_plan" else record.session
            try:
                getattr(sender, method)(**{**fields, **spoiled})
            except OnePlanError as error:
                refusal = error
            assert refusal is not None, f"{method} accepted {spoiled}"
        assert record.stored() == before
    finally:
        app.close()
