"""Evaluation: the metrics effect studies need, computed from the event log by effective
time, with pseudonymised exports, plots and a report (``oneplan evaluate``).

``evaluate`` and ``Pseudonymiser`` need nothing beyond oneplan; the tables, plots and
report need the ``evaluation`` extra (polars and matplotlib):
``pip install "oneplan[evaluation]"``.
"""

from oneplan.evaluation.metrics import (
    CitizenMetrics,
    CostMonth,
    Evaluation,
    FirstStart,
    GoalRecord,
    evaluate,
    spread_by_month,
)
from oneplan.evaluation.pseudonyms import EVALUATION_KEY_VARIABLE, Pseudonymiser

__all__ = [
    "EVALUATION_KEY_VARIABLE",
    "CitizenMetrics",
    "CostMonth",
    "Evaluation",
    "FirstStart",
    "GoalRecord",
    "Pseudonymiser",
    "evaluate",
    "spread_by_month",
]
