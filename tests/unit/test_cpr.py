"""CPR numbers are validated on input (format and date, the century from the 7th digit),
and a version 1 registration (without one) still loads."""

from __future__ import annotations

import json
from datetime import date
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from pydantic import TypeAdapter, ValidationError

from oneplan.aggregates.citizen import Citizen
from oneplan.persistence import OnePlanMapper
from oneplan.values import CprNumber, cpr_birth_date
from tests.fixtures.record_event_fixtures import FIXTURES

CPR = TypeAdapter(CprNumber)


@pytest.mark.parametrize(
    ("cpr", "born"),
    [
        ("0101901234", date(1990, 1, 1)),  # 7th digit 1: the 1900s
        ("010190-1234", date(1990, 1, 1)),
        ("2902364123", date(2036, 2, 29)),  # 4, up to 36: the 2000s
        ("0101374123", date(1937, 1, 1)),  # 4, from 37: the 1900s
        ("0101575123", date(2057, 1, 1)),  # 5-8, up to 57: the 2000s
        ("0101585123", date(1858, 1, 1)),  # 5-8, from 58: the 1800s
        ("0101999123", date(1999, 1, 1)),  # 9, from 37: the 1900s
    ],
)
def test_a_cpr_number_encodes_its_birth_date_with_the_century_from_the_seventh_digit(
    cpr: str, born: date
) -> None:
    assert cpr_birth_date(cpr) == born
    assert CPR.validate_python(cpr) == cpr.replace("-", "")


@pytest.mark.parametrize(
    "cpr", ["3102901234", "0113901234", "01019012345", "010190 1234", "01019O1234", ""]
)
def test_a_cpr_number_with_a_wrong_format_or_date_is_refused_without_repeating_it(
    cpr: str,
) -> None:
    with pytest.raises(ValidationError) as refused:
        CPR.validate_python(cpr)
    assert all(cpr not in str(e["msg"]) for e in refused.value.errors()) or not cpr


def test_a_version_1_registration_without_a_cpr_number_loads_as_version_2() -> None:
    fixture = json.loads(FIXTURES.read_text())["oneplan.aggregates.citizen:Citizen.Registered@v1"]
    stored = StoredEvent(
        originator_id=UUID(fixture["originator_id"]),
        originator_version=fixture["originator_version"],
        topic=fixture["topic"],
        state=orjson.dumps(fixture["state"]),
    )

    event = OnePlanMapper(transcoder=None).to_domain_event(stored)  # type: ignore[arg-type]

    assert isinstance(event, Citizen.Registered)
    assert event.cpr is None
    assert event.birth_date == date.fromisoformat(fixture["state"]["birth_date"])
    assert "class_version" not in fixture["state"]
    assert Citizen.Registered.class_version == 2
