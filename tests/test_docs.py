"""The docs keep up with the code: every error has a row saying what to do, every
environment variable the code reads is documented, and the README leads to every page."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from oneplan import errors
from oneplan.errors import OnePlanError

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"

ERROR_CLASSES = sorted(
    name
    for name, value in vars(errors).items()
    if inspect.isclass(value) and issubclass(value, OnePlanError)
)


def _rows(page: Path) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in page.read_text().splitlines()
        if line.startswith("|") and not line.startswith("|---")
    ]


@pytest.mark.parametrize("name", ERROR_CLASSES)
def test_every_error_has_a_row_saying_what_it_means_and_what_to_do(name: str) -> None:
    rows = [row for row in _rows(DOCS / "errors.md") if f"`{name}`" in row[0]]

    assert rows, f"docs/errors.md has no row for {name}"
    means, todo = rows[0][2], rows[0][3]
    assert len(means.split()) >= 4, f"say what {name} means"
    assert len(todo.split()) >= 3, f"say what to do about {name}"


def test_every_environment_variable_the_code_reads_is_documented() -> None:
    sources = [*(ROOT / "src").rglob("*.py"), ROOT / "tests" / "conftest.py"]
    used = {v for path in sources for v in re.findall(r"\bONEPLAN_[A-Z_]+\b", path.read_text())}
    documented = {
        v
        for row in _rows(DOCS / "configuration.md")
        for v in re.findall(r"ONEPLAN_[A-Z_]+", row[0])
    }

    assert used
    assert not used - documented, f"add {sorted(used - documented)} to docs/configuration.md"


def test_the_readme_leads_to_every_page_of_the_docs() -> None:
    readme = (ROOT / "README.md").read_text()

    missing = [p.name for p in sorted(DOCS.glob("*.md")) if f"(docs/{p.name})" not in readme]

    assert not missing, f"link {missing} from the README"


def test_every_relative_link_in_the_docs_and_the_readme_leads_somewhere() -> None:
    pages = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    not_yet = {"privacy.md", "evaluation.md"}  # written by other issues
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", page.read_text()):
            path = (page.parent / target).resolve()
            if not path.exists() and path.name not in not_yet:
                broken.append(f"{page.name} -> {target}")

    assert not broken


def test_the_architecture_diagram_names_every_part() -> None:
    architecture = (DOCS / "architecture.md").read_text()
    diagram = architecture.split("```mermaid", 1)[1].split("```", 1)[0]

    for part in (
        "Citizen",
        "Plan",
        "Intervention",
        "AccessRecord",
        "OnePlan",
        "ProjectionRunner",
        "Event store",
        "Keys",
    ):
        assert part in diagram
