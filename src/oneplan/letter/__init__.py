"""The citizen's plan as a letter fit for Digital Post (*borgerens plan*): Danish or
English; Markdown, HTML, PDF (tagged PDF/A-2a, WeasyPrint: the ``letter`` extra) or its
parts as JSON, all from one document; the municipality as sender (configuration), the
coordinator's contact details (the staff directory) and who has looked at the citizen's
data since the last letter (the access log).

Read it through a session, which checks who may and logs the disclosure::

    letter = app.as_(principal).citizen_letter(plan_id, language="da")
    letter.html(); letter.pdf(); letter.as_dict()
    content, media_type = render_letter(letter, "pdf")   # what an HTTP service sends
"""

from __future__ import annotations

from oneplan.letter.document import (
    AccessLine,
    AccessSection,
    Action,
    CitizenLetter,
    Contact,
    Field,
    Goal,
    GoalRef,
    Intervention,
    Sender,
    StaffContact,
    Wishes,
    build_letter,
)
from oneplan.letter.phrases import Language
from oneplan.letter.render import PDF_VARIANT, LetterFormat, render_letter
from oneplan.letter.sender import Municipality

__all__ = [
    "PDF_VARIANT",
    "AccessLine",
    "AccessSection",
    "Action",
    "CitizenLetter",
    "Contact",
    "Field",
    "Goal",
    "GoalRef",
    "Intervention",
    "Language",
    "LetterFormat",
    "Municipality",
    "Sender",
    "StaffContact",
    "Wishes",
    "build_letter",
    "render_letter",
]
