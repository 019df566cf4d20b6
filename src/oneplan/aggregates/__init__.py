"""The aggregates: Citizen, Plan and Intervention, each with its events and rules, and
the AccessRecord of every read."""

from oneplan.aggregates.access import AccessRecord
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan

__all__ = ["EVENT_CLASSES", "AccessRecord", "Citizen", "Intervention", "Plan"]


def _event_classes() -> tuple[type, ...]:
    found: list[type] = []
    for aggregate in (Citizen, Plan, Intervention, AccessRecord):
        for value in vars(aggregate).values():
            if (
                isinstance(value, type)
                and issubclass(value, aggregate.Event)
                and value.__name__ not in ("Event", "Created")
            ):
                found.append(value)
    return tuple(found)


EVENT_CLASSES: tuple[type, ...] = _event_classes()
"""Every event class of the aggregates: the storage format, versioned with care."""
