"""Events are a storage format forever: every stored shape still loads, and no event's
shape changes without a new class version."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from oneplan.aggregates import EVENT_CLASSES
from oneplan.persistence import OnePlanMapper
from tests.fixtures.record_event_fixtures import (
    CONSTRAINTS,
    FIXTURES,
    SHAPES,
    stored_constraints,
    stored_shape,
)

RECORDED: dict[str, dict[str, Any]] = json.loads(FIXTURES.read_text())
SHAPES_RECORDED: dict[str, dict[str, Any]] = json.loads(SHAPES.read_text())
CONSTRAINTS_RECORDED: dict[str, list[str]] = json.loads(CONSTRAINTS.read_text())
MAPPER = OnePlanMapper(transcoder=None)  # type: ignore[arg-type]


def _key(cls: type[Any]) -> str:
    return f"{get_topic(cls)}@v{getattr(cls, 'class_version', 1)}"


def _stored(fixture: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=UUID(fixture["originator_id"]),
        originator_version=fixture["originator_version"],
        topic=fixture["topic"],
        state=orjson.dumps(fixture["state"]),
    )


@pytest.mark.parametrize("key", sorted(RECORDED))
def test_every_recorded_event_still_loads_into_its_class(key: str) -> None:
    fixture = RECORDED[key]
    event = MAPPER.to_domain_event(_stored(fixture))
    assert get_topic(type(event)) == fixture["topic"]
    assert event.originator_version == fixture["originator_version"]
    assert str(event.effective_at.isoformat()).startswith(fixture["state"]["effective_at"][:19])


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__qualname__)
def test_every_event_class_has_a_fixture_at_its_current_version(cls: type[Any]) -> None:
    assert _key(cls) in RECORDED, (
        f"no stored fixture of {_key(cls)}: run python tests/fixtures/record_event_fixtures.py"
    )


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__qualname__)
def test_no_event_changes_its_stored_shape_without_a_new_class_version(cls: type[Any]) -> None:
    recorded = SHAPES_RECORDED.get(_key(cls))
    assert recorded is not None, f"no recorded shape of {_key(cls)}"
    assert stored_shape(cls) == recorded, (
        f"the stored shape of {cls.__qualname__} changed: give it class_version "
        f"{getattr(cls, 'class_version', 1) + 1} with an upcast_v{getattr(cls, 'class_version', 1)}"
        f"_v{getattr(cls, 'class_version', 1) + 1}, then record its new fixture"
    )


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__qualname__)
def test_no_event_changes_what_it_accepts_without_a_new_class_version(cls: type[Any]) -> None:
    """What the JSON schema does not show: a decimal's precision or scale, a validator
    added, removed or renamed (any of which can make stored events stop loading)."""
    recorded = CONSTRAINTS_RECORDED.get(_key(cls))
    assert recorded is not None, f"no recorded constraints of {_key(cls)}"
    now = stored_constraints(cls)
    assert now == recorded, (
        f"what {cls.__qualname__} accepts changed (now {sorted(set(now) - set(recorded))}, "
        f"no longer {sorted(set(recorded) - set(now))}): give it class_version "
        f"{getattr(cls, 'class_version', 1) + 1} with an upcast, then record its fixtures"
    )


@pytest.mark.parametrize("key", sorted(RECORDED))
def test_a_current_version_event_is_stored_again_byte_for_byte_the_same(key: str) -> None:
    fixture = RECORDED[key]
    event = MAPPER.to_domain_event(_stored(fixture))
    if key != _key(type(event)):
        pytest.skip("an old version: it is upcast, not stored again")
    again = MAPPER.to_stored_event(event)
    assert orjson.loads(again.state) == fixture["state"]
