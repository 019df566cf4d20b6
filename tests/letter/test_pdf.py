"""The letter as a PDF (WeasyPrint), read back as a citizen's reader would with pypdf: its
text holds the heading, the citizen's own words and the coordinator's phone, and none
of the internal notes, costs, decisions or reasons; A4 pages, numbered; tagged PDF/A-2a
with the letter's language and title."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from oneplan.letter import Language, render_letter
from tests.letter.conftest import require_modules
from tests.letter.story import ANNE_PHONE, INTERNAL, letter

A4_POINTS = (595.28, 841.89)


@pytest.fixture(scope="module", params=list(Language), ids=lambda language: language.value)
def pdf(request: pytest.FixtureRequest) -> tuple[Language, Any]:
    require_modules("weasyprint", "pypdf")
    import pypdf

    content, media_type = render_letter(letter(request.param), "pdf")
    assert media_type == "application/pdf"
    assert content.startswith(b"%PDF-1.7")
    return request.param, pypdf.PdfReader(io.BytesIO(content))


def text_of(reader: Any) -> str:
    """The PDF's text, each run of whitespace one space (lines break anywhere)."""
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_pdf_text_holds_the_heading_the_citizens_words_and_the_coordinators_phone(
    pdf: tuple[Language, Any],
) -> None:
    language, reader = pdf
    text = text_of(reader)

    heading = {Language.DA: "Din plan", Language.EN: "Your plan"}[language]
    assert f"{heading} \N{EN DASH} Mette Hansen" in text
    assert "Jeg vil gerne arbejde med planter igen, men min ryg skal have det bedre først." in text
    assert "Jeg vil ikke møde nye sagsbehandlere hele tiden." in text
    assert ANNE_PHONE in text
    assert "anne.t@furesoe.dk" in text
    assert "Furesø Kommune" in text
    who = {Language.DA: "Hvem har set dine oplysninger", Language.EN: "Who has looked at your"}
    assert who[language] in text


def test_the_pdf_holds_no_internal_notes_costs_decisions_or_reasons(
    pdf: tuple[Language, Any],
) -> None:
    _, reader = pdf
    text = text_of(reader)

    for internal in INTERNAL:
        assert internal not in text


def test_the_pdf_has_numbered_a4_pages(pdf: tuple[Language, Any]) -> None:
    language, reader = pdf
    pages = len(reader.pages)
    word = {Language.DA: ("Side", "af"), Language.EN: ("Page", "of")}[language]

    assert pages >= 2
    for number, page in enumerate(reader.pages, start=1):
        box = page.mediabox
        assert (round(float(box.width), 2), round(float(box.height), 2)) == A4_POINTS
        assert f"{word[0]} {number} {word[1]} {pages}" in " ".join(page.extract_text().split())


def test_the_pdf_is_tagged_pdf_a_2a_in_the_letters_language(pdf: tuple[Language, Any]) -> None:
    language, reader = pdf
    root = reader.trailer["/Root"]
    xmp = reader.xmp_metadata.stream.get_data().decode()

    assert root["/Lang"] == language.value
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert re.search(r'pdfaid:part="2"', xmp)
    assert re.search(r'pdfaid:conformance="A"', xmp)
    assert "/OutputIntents" in root
    title = {Language.DA: "Din plan", Language.EN: "Your plan"}[language]
    assert reader.metadata.title == f"{title} \N{EN DASH} Mette Hansen"
    assert reader.metadata.author == "Furesø Kommune"
