"""The citizen's own plan document (*borgerens plan*), rendered from the plan's state
alone: the letter of ``oneplan.letter`` without the parts that need more of the record
(the sender's configuration, the coordinator's contact details from the staff directory,
the access log). A session's ``citizen_plan`` and ``citizen_letter`` add those.

It shows the plan as of a given moment: the citizen's wishes in their own words, the
overarching goal, goals and sub-goals, each intervention and who is responsible for it,
what is paused and why, the next meeting and the coordinator. It never shows progress
notes, decision notes, meeting decisions, costs, internal ids or why something ended.
Rendering is deterministic: no clock, no locale or time zone from the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from oneplan.letter.document import build_letter
from oneplan.letter.phrases import Language
from oneplan.letter.sender import Municipality
from oneplan.projections.citizen_view import CitizenState
from oneplan.projections.plan_view import PlanState

__all__ = ["DocumentFormat", "Language", "render_citizen_plan"]


class DocumentFormat(StrEnum):
    """The text formats of the citizen's plan document (the letter also comes as PDF
    and as JSON: ``oneplan.letter``)."""

    MARKDOWN = "markdown"
    HTML = "html"


def render_citizen_plan(
    plan: PlanState,
    citizens: Mapping[UUID, CitizenState],
    *,
    language: Language = Language.DA,
    format: DocumentFormat = DocumentFormat.MARKDOWN,
    as_of: datetime,
) -> str:
    """The plan as the citizen receives it, as it stood at ``as_of``, from the plan's
    state alone (no sender, contact details or access log).

    ``plan`` must already be folded as of ``as_of``; ``as_of`` is the moment printed on
    the document. ``citizens`` holds at least the plan's citizens (for their names).
    """
    letter = build_letter(plan, citizens, as_of=as_of, language=language, sender=Municipality())
    if DocumentFormat(format) is DocumentFormat.MARKDOWN:
        return letter.markdown()
    return letter.html()
