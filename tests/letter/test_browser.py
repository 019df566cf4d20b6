"""The letter's HTML as a citizen sees it, in headless Chromium (Debian's, started by the
test through Playwright): a screenshot shows the page rendered with its stylesheet, it
fits a phone's screen, and axe-core (bundled by axe-playwright-python) finds no WCAG 2.1
A or AA violation, while it does find one in a page made to fail."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oneplan.letter import CitizenLetter, Language
from tests.letter.conftest import require_modules
from tests.letter.story import household_letter, letter

ACCENT = (0x0B, 0x4A, 0x80)
BACKDROP = (0xF0, 0xF0, 0xEE)
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    tab = browser.new_page(viewport={"width": 1000, "height": 1400})
    try:
        yield tab
    finally:
        tab.close()


def screenshot(page: Any, html: str, path: Path) -> Any:
    """Show ``html`` and take a screenshot of the whole page, kept at ``path``."""
    require_modules("PIL")
    from PIL import Image

    page.set_content(html, wait_until="load")
    path.write_bytes(page.screenshot(full_page=True))
    return Image.open(io.BytesIO(path.read_bytes())).convert("RGB")


def accent_band_rows(image: Any) -> list[int]:
    """Rows where the accent colour runs across more than half the page's width (the
    letterhead's rule)."""
    width, height = image.size
    pixels = image.load()
    return [
        y
        for y in range(min(height, 400))
        if sum(1 for x in range(0, width, 4) if pixels[x, y] == ACCENT) * 4 > width // 2
    ]


def unstyled(document: CitizenLetter) -> str:
    html = document.html()
    start, end = html.index("<style>"), html.index("</style>") + len("</style>")
    return html[:start] + html[end:]


def test_the_page_renders_with_its_stylesheet(page: Any, tmp_path: Path) -> None:
    image = screenshot(page, letter().html(), tmp_path / "letter.da.png")

    assert image.size[0] == 1000
    assert image.size[1] > 2000  # the whole letter, not a blank page
    assert image.getpixel((5, 5)) == BACKDROP  # the sheet lies on the screen's backdrop
    assert image.getpixel((500, 60)) == (255, 255, 255)  # ... and the sheet is white
    assert 4 <= len(accent_band_rows(image)) <= 8  # the letterhead's 6 px rule
    heading = page.eval_on_selector("h1", "e => getComputedStyle(e).color")
    assert heading == "rgb(11, 74, 128)"
    assert page.eval_on_selector("table.access", "e => getComputedStyle(e).borderCollapse") == (
        "collapse"
    )


def test_without_its_stylesheet_the_same_checks_fail(page: Any, tmp_path: Path) -> None:
    image = screenshot(page, unstyled(letter()), tmp_path / "unstyled.png")

    assert image.getpixel((5, 5)) == (255, 255, 255)
    assert accent_band_rows(image) == []
    assert page.eval_on_selector("h1", "e => getComputedStyle(e).color") == "rgb(0, 0, 0)"


def test_the_page_fits_a_phones_screen(browser: Any) -> None:
    phone = browser.new_page(viewport={"width": 360, "height": 780})
    try:
        phone.set_content(letter().html(), wait_until="load")
        width = phone.evaluate("document.documentElement.scrollWidth")
    finally:
        phone.close()

    assert width <= 360


def test_printed_from_the_browser_it_is_a4_with_the_screen_backdrop_gone(page: Any) -> None:
    page.set_content(letter().html(), wait_until="load")
    page.emulate_media(media="print")

    assert page.evaluate("getComputedStyle(document.documentElement).backgroundColor") == (
        "rgb(255, 255, 255)"
    )
    assert page.eval_on_selector(".sheet", "e => getComputedStyle(e).boxShadow") == "none"
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    assert re.search(rb"/MediaBox \[0 0 59[45]\.\d+ 841\.\d+\]", pdf)  # A4, from @page


def axe_violations(page: Any, html: str) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    page.set_content(html, wait_until="load")
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
    assert results.response["testEngine"]["name"] == "axe-core"
    violations: list[dict[str, Any]] = results.response["violations"]
    return violations


@pytest.mark.parametrize(
    "make",
    [
        lambda: letter(Language.DA),
        lambda: letter(Language.EN),
        lambda: household_letter(Language.DA),
    ],
    ids=["da", "en", "household-da"],
)
def test_axe_core_finds_no_wcag_21_aa_violation(page: Any, make: Any) -> None:
    violations = axe_violations(page, make().html())

    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def test_axe_core_finds_the_violations_of_a_page_made_to_fail(page: Any) -> None:
    html = letter().html()
    broken = html.replace('<html lang="da">', "<html>").replace(
        "--muted: #4d4d4d;", "--muted: #b8b8b8;"
    )

    found = {v["id"] for v in axe_violations(page, broken)}

    assert {"html-has-lang", "color-contrast"} <= found
