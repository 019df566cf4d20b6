"""The aggregates: Citizen, Plan and Intervention, each with its events and rules, the
staff directory (StaffMember, StaffDirectory) and the AccessRecord of every disclosure."""

from oneplan.aggregates.access import AccessRecord
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.aggregates.staff import StaffDirectory, StaffMember

__all__ = [
    "EVENT_CLASSES",
    "AccessRecord",
    "Citizen",
    "Intervention",
    "Plan",
    "StaffDirectory",
    "StaffMember",
]


def _event_classes() -> tuple[type, ...]:
    found: list[type] = []
    for aggregate in (Citizen, Plan, Intervention, AccessRecord, StaffMember, StaffDirectory):
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
