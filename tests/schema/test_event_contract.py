"""The event contract other systems read: a JSON Schema for every event and command,
generated from the code, committed in docs/schemas with its catalogue docs/events.md,
and never stale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from eventsourcing.utils import get_topic
from typer.testing import CliRunner

from oneplan.cli import app
from oneplan.commands import COMMANDS
from oneplan.interop.schemas import (
    REGENERATE,
    command_schemas,
    contract_event_classes,
    event_schemas,
    stale_files,
    write_schemas,
)
from oneplan.usecases import Session
from tests.fixtures.record_event_fixtures import FIXTURES, SHAPES

ROOT = Path(__file__).parents[2]
EVENTS = event_schemas()
COMMAND_SCHEMAS = command_schemas()
_ANNOTATIONS = ("$schema", "$id", "title", "description")


def test_the_committed_schemas_and_catalogue_are_what_the_code_generates_now() -> None:
    stale = stale_files(ROOT / "docs" / "schemas", ROOT / "docs" / "events.md")

    assert not stale, f"the event contract is stale ({', '.join(stale)}): run `{REGENERATE}`"


def test_every_event_class_and_every_command_has_a_schema() -> None:
    assert set(EVENTS) == {cls.__qualname__ for cls in contract_event_classes()}
    assert set(COMMAND_SCHEMAS) == {command.__name__ for command in COMMANDS}
    assert "CommandReceipt.Recorded" in EVENTS


@pytest.mark.parametrize("name", sorted(n for n in EVENTS if n != "CommandReceipt.Recorded"))
def test_an_events_schema_is_its_recorded_stored_shape_with_its_name_and_topic(
    name: str,
) -> None:
    schema = EVENTS[name]
    key = f"{schema['x-oneplan-topic']}@v{schema['x-oneplan-class-version']}"
    recorded: dict[str, dict[str, Any]] = json.loads(SHAPES.read_text())
    assert key in recorded, "record it: python tests/fixtures/record_event_fixtures.py"

    published = {k: v for k, v in schema.items() if k not in _ANNOTATIONS and k[:2] != "x-"}
    published["properties"] = {
        k: v for k, v in published["properties"].items() if k != "class_version"
    }
    published["required"] = [r for r in published["required"] if r != "class_version"]
    stored = {k: v for k, v in recorded[key]["schema"].items() if k not in _ANNOTATIONS}

    assert published == stored
    assert schema["description"], f"{name} needs a docstring"


def test_every_recorded_stored_event_is_valid_under_its_published_schema() -> None:
    fixtures: dict[str, dict[str, Any]] = json.loads(FIXTURES.read_text())
    by_key = {f"{s['x-oneplan-topic']}@v{s['x-oneplan-class-version']}": s for s in EVENTS.values()}
    checked = 0
    for key, fixture in fixtures.items():
        if key in by_key:
            jsonschema.Draft202012Validator(by_key[key]).validate(fixture["state"])
            checked += 1

    assert checked >= len(EVENTS) - 1  # all but the receipt have a stored fixture


def test_a_stored_event_that_breaks_its_contract_is_refused_by_the_schema() -> None:
    fixtures: dict[str, dict[str, Any]] = json.loads(FIXTURES.read_text())
    schema = EVENTS["Intervention.Paused"]
    state = dict(fixtures[f"{schema['x-oneplan-topic']}@v1"]["state"])
    del state["reason"]

    with pytest.raises(jsonschema.ValidationError, match="reason"):
        jsonschema.Draft202012Validator(schema).validate(state)


def test_every_events_schema_is_a_valid_json_schema() -> None:
    for schema in EVENTS.values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_a_commands_schema_names_the_method_that_takes_it() -> None:
    schema = COMMAND_SCHEMAS["PauseIntervention"]

    assert schema["x-oneplan-method"] == "Session.pause_intervention"
    assert {"intervention_id", "reason"} <= set(schema["required"])
    assert "actor" not in schema["properties"]  # who sends it is the session's principal
    for command in COMMAND_SCHEMAS.values():
        owner, method = command["x-oneplan-method"].split(".")
        assert owner == "Session"
        assert callable(getattr(Session, method)), method


def test_regenerating_removes_the_schema_of_an_event_that_no_longer_exists(
    tmp_path: Path,
) -> None:
    write_schemas(tmp_path / "schemas", tmp_path / "events.md")
    gone = tmp_path / "schemas" / "events" / "Plan.Renamed.json"
    gone.write_text("{}\n")

    assert stale_files(tmp_path / "schemas", tmp_path / "events.md") == [
        f"{gone} (no such event or command any more)"
    ]
    write_schemas(tmp_path / "schemas", tmp_path / "events.md")
    assert not gone.exists()
    assert stale_files(tmp_path / "schemas", tmp_path / "events.md") == []


def test_the_schema_command_writes_and_then_checks_the_contract(tmp_path: Path) -> None:
    runner = CliRunner()
    out, catalogue = tmp_path / "schemas", tmp_path / "events.md"

    written = runner.invoke(app, ["schema", "--out", str(out), "--catalogue", str(catalogue)])
    (out / "events" / "Plan.GoalSet.json").write_text("{}\n")
    checked = runner.invoke(
        app, ["schema", "--out", str(out), "--catalogue", str(catalogue), "--check"]
    )

    assert written.exit_code == 0, written.stderr
    assert (out / "index.json").exists()
    assert "[`schemas/`](schemas/)" in catalogue.read_text()
    assert checked.exit_code == 1
    assert checked.stderr.startswith("oneplan: 1 stale: ")
    assert REGENERATE in checked.stderr
    assert len(checked.stderr.strip().splitlines()) == 1


def test_the_catalogue_gives_each_event_its_aggregate_version_topic_and_danish_term() -> None:
    catalogue = (ROOT / "docs" / "events.md").read_text()

    for cls in contract_event_classes():
        version = getattr(cls, "class_version", 1)
        assert f"#### {cls.__qualname__} (v{version})" in catalogue
        assert f"`{get_topic(cls)}`" in catalogue
    assert "### Intervention (*indsats*)" in catalogue
    assert "Danish: *afgørelse*." in catalogue
    assert "| `LAB` | Lov om en aktiv beskæftigelsesindsats" in catalogue
