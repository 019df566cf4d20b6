"""The citizen's letter as golden files: HTML in Danish and English, a household's in
Danish, and the Markdown and JSON forms of the Danish one.

Regenerate after an intended change with
``ONEPLAN_UPDATE_GOLDEN=1 pytest tests/letter/test_golden.py`` and read the diff.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from oneplan.letter import CitizenLetter, Language
from tests.letter.story import household_letter, letter

GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("ONEPLAN_UPDATE_GOLDEN") == "1"

CASES: dict[str, Callable[[], str]] = {
    "letter.da.html": lambda: letter(Language.DA).html(),
    "letter.en.html": lambda: letter(Language.EN).html(),
    "letter.household.da.html": lambda: household_letter(Language.DA).html(),
    "letter.da.md": lambda: letter(Language.DA).markdown(),
    "letter.da.json": lambda: (
        orjson.dumps(letter(Language.DA).as_dict(), option=orjson.OPT_INDENT_2).decode() + "\n"
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_letter_renders_as_its_golden_file(name: str) -> None:
    document = CASES[name]()
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(exist_ok=True)
        path.write_text(document, encoding="utf-8", newline="\n")
    assert path.exists(), f"{path} is missing: run with ONEPLAN_UPDATE_GOLDEN=1 to write it"
    assert document == path.read_text(encoding="utf-8"), (
        f"the letter differs from {name}; if the change is intended, regenerate with "
        "ONEPLAN_UPDATE_GOLDEN=1 pytest tests/letter/test_golden.py and read the diff"
    )


@pytest.mark.parametrize("make", [letter, household_letter])
def test_the_same_letter_renders_the_same_twice(make: Callable[[], CitizenLetter]) -> None:
    assert make().html() == make().html()
    assert make().markdown() == make().markdown()
