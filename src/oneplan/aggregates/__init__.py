"""The aggregates: Citizen, Plan and Intervention, each with its events and rules."""

from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan

__all__ = ["Citizen", "Intervention", "Plan"]
