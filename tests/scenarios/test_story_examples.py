"""The examples that tell the sources' stories run, use only the public API, and tell
what the sources say happened (CI runs every example too; this checks the account)."""

from __future__ import annotations

import ast
import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[2] / "examples"

STORIES: dict[str, tuple[str, ...]] = {
    "furesoe_family_plan.py": (
        "must also be given by the child (16 or over)",
        "coordinator: Birgit Krogh (children-and-family)",
        "family-coordinator: Karin Friis (children-and-family)",
        "spent on transfers: DKK 75,000.00",
    ),
    "randers_paired_caseworkers.py": (
        "coordinators: Tine Holm (employment), Mads Riis (social)",
        "Refused (Randers sanction rule): Randers rule: contact mads.r in social services",
        "the sanction is allowed",
        "the next one needs a new contact first",
    ),
    "gribskov_ad_hoc_team.py": (
        "Not yet (sharing fails closed)",
        "advisory-partner: Susanne Lund (education)",
        "Anxiety course for young people: Rikke Dahl (health) is responsible",
        "withheld-intervention: consent",
    ),
    "cross_authority_caseworker.py": (
        "Ole cannot grant the contact person: staff:ole.p may not: GrantIntervention",
        "social staff with authority under SEL (intervention_changed_by_those_holding_it)",
        "grants the SEL § 85 contact person herself, 2 days after the plan",
        "The job training waits",
        "Job training in a canteen kitchen [LAB § 32]: in-progress, granted by Ditte",
    ),
}


@pytest.mark.parametrize("name", sorted(STORIES))
def test_the_story_example_tells_what_the_sources_say(
    name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    runpy.run_path(str(EXAMPLES / name), run_name="__main__")

    account = capsys.readouterr().out
    for line in STORIES[name]:
        assert line in account
    assert len(account.splitlines()) <= 30, "an example prints a short account"


@pytest.mark.parametrize("name", sorted(STORIES))
def test_the_story_example_imports_only_from_the_public_api(name: str) -> None:
    tree = ast.parse((EXAMPLES / name).read_text())

    modules = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    }
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }

    assert not {m for m in modules | imported if m.startswith("oneplan") and m != "oneplan"}
    assert "oneplan" in modules
