"""The registry of event classes (``EVENT_CLASSES``) is every event of the aggregates,
each once, and nothing else: the storage format the schema tests guard."""

from __future__ import annotations

import json
from pathlib import Path

from eventsourcing.utils import get_topic

from oneplan.aggregates import EVENT_CLASSES, _event_classes
from oneplan.aggregates.base import OnePlanAggregate
from oneplan.aggregates.plan import Plan

SHAPES = Path(__file__).parents[1] / "fixtures" / "event_shapes.json"


def test_the_registry_is_every_recorded_event_class_once() -> None:
    found = _event_classes()
    assert found == EVENT_CLASSES
    assert len(set(found)) == len(found)
    recorded = {key.rsplit("@", 1)[0] for key in json.loads(SHAPES.read_text("utf-8"))}
    assert {get_topic(cls) for cls in found} == recorded


def test_the_registry_holds_events_not_their_base_classes() -> None:
    found = _event_classes()
    assert Plan.Opened in found
    assert Plan.GoalSet in found
    assert all(issubclass(cls, OnePlanAggregate.Event) for cls in found)
    assert not {cls.__name__ for cls in found} & {"Event", "Created"}
