"""A synthetic municipality for evaluations: citizens' courses, with and without one
coordinated plan, written through the public application (``oneplan simulate``)."""

from oneplan.simulation.distributions import CATALOGUE, InterventionKind, Municipality
from oneplan.simulation.simulator import DEFAULT_START, SimulationSummary, simulate

__all__ = [
    "CATALOGUE",
    "DEFAULT_START",
    "InterventionKind",
    "Municipality",
    "SimulationSummary",
    "simulate",
]
