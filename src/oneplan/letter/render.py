"""Rendering the citizen's letter: Markdown text, one HTML page, a PDF made from that same
HTML (WeasyPrint: tagged PDF/A-2a), or the letter's parts as JSON.

``render_letter(letter, format)`` gives the bytes and the media type of any of them (what
an HTTP service answers with).
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Any

import jinja2
import orjson
from markupsafe import Markup, escape

from oneplan.errors import InvalidInput, LetterRenderingUnavailable
from oneplan.letter.document import CitizenLetter

__all__ = [
    "PDF_VARIANT",
    "LetterFormat",
    "render_html",
    "render_letter",
    "render_markdown",
    "render_pdf",
]

PDF_VARIANT = "pdf/a-2a"
"""PDF/A-2, level A: archivable (fonts embedded, no external content) and tagged (a
structure tree in reading order, the language, and text that extracts as words)."""


class LetterFormat(StrEnum):
    """The forms the citizen's letter comes in."""

    MARKDOWN = "markdown"
    HTML = "html"
    PDF = "pdf"
    JSON = "json"

    @property
    def media_type(self) -> str:
        return {
            LetterFormat.MARKDOWN: "text/markdown; charset=utf-8",
            LetterFormat.HTML: "text/html; charset=utf-8",
            LetterFormat.PDF: "application/pdf",
            LetterFormat.JSON: "application/json",
        }[self]


def render_letter(letter: CitizenLetter, format: LetterFormat | str) -> tuple[bytes, str]:
    """The letter in ``format`` (markdown, html, pdf or json) as bytes, with its media
    type. ``LetterRenderingUnavailable`` for a PDF where WeasyPrint is missing."""
    try:
        chosen = LetterFormat(format)
    except ValueError:
        raise InvalidInput(
            "RenderCitizenPlan",
            [{"loc": ("format",), "msg": f"{format!r} is not markdown, html, pdf or json"}],
        ) from None
    if chosen is LetterFormat.PDF:
        content = render_pdf(letter)
    elif chosen is LetterFormat.JSON:
        content = orjson.dumps(letter.as_dict(), option=orjson.OPT_INDENT_2)
    elif chosen is LetterFormat.HTML:
        content = render_html(letter).encode()
    else:
        content = render_markdown(letter).encode()
    return content, chosen.media_type


# --- Markdown ------------------------------------------------------------------------

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>#&|~])")
"""Characters that can open or close Markdown structure anywhere in a line: code,
emphasis, links, autolinks and HTML, headings' closing ``#``, entities, tables, strikes."""
_LINE_START = re.compile(r"^(?:([-+=])|(\d{1,9})([.)]))")
"""What opens a block at the start of a line: a list item, a setext underline or an
ordered list's number (``#``, ``>``, ``*``, ``_``, fences and indents are handled inline)."""


def md_inline(text: object) -> str:
    """Text inside a line of Markdown (after a label) that renders as exactly that text:
    whitespace (line breaks too) collapsed, and the punctuation that could make structure
    escaped."""
    return _INLINE_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def md_escape(text: object) -> str:
    """Text as a line of Markdown of its own (a paragraph, a list item, a quote): as
    ``md_inline``, and what would open a block at its start escaped too."""
    line = md_inline(text)
    return _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", line)


@cache
def _markdown_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("oneplan.letter", "templates"),
        autoescape=False,  # Markdown, not HTML: every text goes through the md filter
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["mdi"] = md_inline
    return env


def render_markdown(letter: CitizenLetter) -> str:
    """The letter as Markdown: every text escaped, so nothing a person wrote can change
    the document's structure."""
    template = _markdown_environment().get_template("letter.md.j2")
    return template.render(doc=letter, t=letter.phrases)


# --- HTML ----------------------------------------------------------------------------


@cache
def _html_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("oneplan.letter", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def _stylesheet() -> str:
    return files("oneplan.letter").joinpath("templates", "letter.css").read_text("utf-8")


def _css_string(text: str) -> Markup:
    """A CSS string literal for ``text`` (for the page-number phrases)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return Markup(f'"{escaped}"')


def render_html(letter: CitizenLetter) -> str:
    """The letter as one self-contained HTML page: its stylesheet (screen and print: A4,
    page numbers) inline, the logo as a ``data:`` URI, ``lang`` on the record's words
    where they are in another language than the letter."""
    other = letter.record_language is not letter.language

    def record(text: str, part: str | None = None) -> Markup:
        """``text``, its ``part`` (all of it unless given) being words from the record:
        marked with their language where it is not the letter's."""
        part = text if part is None else part
        if not other or not part or part not in text:
            return escape(text)
        before, _, after = text.partition(part)
        lang = letter.record_language.value
        return Markup('{}<span lang="{}">{}</span>{}').format(before, lang, part, after)

    before, between = letter.phrases.page
    template = _html_environment().get_template("letter.html.j2")
    return template.render(
        doc=letter,
        t=letter.phrases,
        record=record,
        record_lang=letter.record_language.value if other else None,
        stylesheet=Markup(_stylesheet()),
        page_before=_css_string(before),
        page_between=_css_string(between),
    )


# --- PDF -----------------------------------------------------------------------------


def render_pdf(letter: CitizenLetter) -> bytes:
    """The letter as a PDF made by WeasyPrint from the same HTML: tagged PDF/A-2a, A4,
    page numbers, fonts embedded, the title and language in its metadata."""
    try:
        import weasyprint  # type: ignore[import-untyped]
    except (ImportError, OSError) as e:  # OSError: Pango or its kin missing
        raise LetterRenderingUnavailable(
            "the letter as PDF needs WeasyPrint: pip install 'oneplan[letter]' "
            f"(and the Pango library); {e}"
        ) from None
    document: Any = weasyprint.HTML(string=render_html(letter), base_url=None)
    pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)
    return pdf
