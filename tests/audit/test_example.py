"""The auditor's example runs, uses only the public API, and tells the auditor's story."""

from __future__ import annotations

import ast
import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[2] / "examples" / "auditor_reads_a_past_plan_and_verifies.py"


def test_the_auditor_reads_the_past_plan_and_sees_the_change_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    runpy.run_path(str(EXAMPLE), run_name="__main__")

    account = capsys.readouterr().out
    assert "Support contact person was not-started; now it is on-hold" in account
    assert "Intervention paused [SEL § 85] (back pain flared up)" in account
    # The auditor's reads are disclosures, logged and shown to the citizen.
    assert "Mette's log: rev-7 read audit-export (revision, kommunestyrelsesloven § 42)" in account
    # 13 events of the staff directory (the directory, a manager and a caseworker per sector,
    # a delegation each), 11 of the course (a read), 3 reads by the auditor (logged)
    assert "intact: 27 events read, 27 chain entries verified" in account
    assert "broken - position 23: modified:" in account


def test_the_auditors_example_imports_only_from_the_public_api() -> None:
    tree = ast.parse(EXAMPLE.read_text())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}

    assert not {m for m in modules if m.startswith("oneplan") and m != "oneplan"}
    assert "oneplan" in modules
