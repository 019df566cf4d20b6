"""The use cases of oneplan, grouped by area, each sent by a principal.

``OnePlan.as_(principal)`` returns a ``Session``: every command and every read of
personal data, for that principal. Each area is a module of its own (``citizens``,
``plans``, ``interventions``, ``staff``, ``privacy``, ``reads``); each command handler
is written once, with the trust rule that says who may send it (``oneplan.policies``)
at its top.
"""

from __future__ import annotations

from oneplan.usecases.changes import Changes
from oneplan.usecases.citizens import CitizenCommands
from oneplan.usecases.interventions import InterventionCommands
from oneplan.usecases.plans import PlanCommands
from oneplan.usecases.privacy import Erasure, PrivacyCommands
from oneplan.usecases.reads import FullRecord, Reads
from oneplan.usecases.staff import StaffCommands

__all__ = ["Erasure", "FullRecord", "Session"]


class Session(
    CitizenCommands,
    PlanCommands,
    InterventionCommands,
    StaffCommands,
    PrivacyCommands,
    Reads,
    Changes,
):
    """Every command and read of oneplan, sent by one principal (``OnePlan.as_``). The
    principal says who; what they may do is read from the record."""

    def __repr__(self) -> str:
        return f"<oneplan session as {self.principal}>"
