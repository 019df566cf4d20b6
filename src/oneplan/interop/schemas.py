"""The event contract: a JSON Schema for every event and every command, generated from
the code, and a Markdown catalogue of them (``docs/events.md``).

Events are a storage format forever, and other systems read them. An event's schema
describes the JSON stored as the ``state`` of its row: the row's ``topic`` names the
event class (``module:Aggregate.Event``); the aggregate's id and version are columns of
their own. An event of ``class_version`` 2 or more also stores ``class_version``; older
stored shapes are upcast on read (their recorded shapes are kept in
``tests/fixtures/event_shapes.json``). A command's schema describes what a caller may
send to the ``Session`` method named after it (``OnePlan.as_(principal).<method>``).

The files are deterministic (sorted keys, one file per event and command), so that
regenerating after adding an event changes only what the event changed::

    oneplan schema --out docs/schemas --catalogue docs/events.md
"""

from __future__ import annotations

import ast
import inspect
import itertools
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from eventsourcing.utils import get_topic
from pydantic import TypeAdapter

from oneplan import commands as command_module
from oneplan import values
from oneplan.aggregates import EVENT_CLASSES
from oneplan.application import CommandReceipt
from oneplan.commands import COMMANDS
from oneplan.usecases import Session

__all__ = [
    "DIALECT",
    "REGENERATE",
    "command_schemas",
    "contract_event_classes",
    "event_schemas",
    "generated_files",
    "render_catalogue",
    "stale_files",
    "stored_state_schema",
    "write_schemas",
]

REGENERATE = "oneplan schema --out docs/schemas --catalogue docs/events.md"
"""The one command that regenerates the committed schemas and catalogue."""

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_POSITION = ("originator_id", "originator_version")
"""Stored as columns of the row, not in its state."""

_COMMON = ("timestamp", "originator_topic", "actor", "effective_at", "class_version")
"""Fields every event (or every first event of an aggregate) carries."""

_COMMAND_COMMON = ("actor", "effective_at", "command_id")


def contract_event_classes() -> tuple[type[Any], ...]:
    """Every event class in the event store: the aggregates' events, and the receipt of
    a command sent with a ``command_id`` (bookkeeping that makes repeats add nothing)."""
    return (*EVENT_CLASSES, CommandReceipt.Recorded)


def stored_state_schema(cls: type[Any]) -> dict[str, Any]:
    """The JSON Schema pydantic writes for ``cls``'s stored state (the position fields
    left out): the shape the storage guard records in ``tests/fixtures``."""
    schema = TypeAdapter(cls).json_schema(mode="serialization")
    for name in _POSITION:
        schema.get("properties", {}).pop(name, None)
        if name in schema.get("required", []):
            schema["required"].remove(name)
    return schema


def _name(cls: type[Any]) -> str:
    return cls.__qualname__


def _aggregate_of(cls: type[Any]) -> str:
    return cls.__qualname__.split(".")[0]


def _aggregate_class(cls: type[Any]) -> type[Any]:
    module = inspect.getmodule(cls)
    found: type[Any] = getattr(module, _aggregate_of(cls))
    return found


def event_schema(cls: type[Any]) -> dict[str, Any]:
    """The published schema of one event class: its stored state, with its name, topic,
    class version, aggregate and docstring."""
    schema = stored_state_schema(cls)
    version: int = getattr(cls, "class_version", 1)
    if version > 1:
        schema["properties"]["class_version"] = {"const": version, "type": "integer"}
        schema["required"].append("class_version")
    return {
        "$schema": DIALECT,
        "$id": f"urn:oneplan:event:{_name(cls)}:v{version}",
        **schema,
        "title": _name(cls),
        "description": _doc(cls) or _doc(_aggregate_class(cls)),
        "x-oneplan-aggregate": _aggregate_of(cls),
        "x-oneplan-class-version": version,
        "x-oneplan-topic": get_topic(cls),
    }


def _method_name(command: type[Any]) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", command.__name__).lower()


def _command_doc(command: type[Any]) -> str:
    method = getattr(Session, _method_name(command), None)
    return _doc(command) or (_doc(method) if method is not None else "")


def command_schema(command: type[Any]) -> dict[str, Any]:
    """The published schema of one command: what a caller may send."""
    return {
        "$schema": DIALECT,
        "$id": f"urn:oneplan:command:{command.__name__}",
        **TypeAdapter(command).json_schema(mode="validation"),
        "title": command.__name__,
        "description": _command_doc(command),
        "x-oneplan-method": f"Session.{_method_name(command)}",
    }


def event_schemas() -> dict[str, dict[str, Any]]:
    """Every event's schema, by ``Aggregate.Event`` name."""
    return {_name(cls): event_schema(cls) for cls in contract_event_classes()}


def command_schemas() -> dict[str, dict[str, Any]]:
    """Every command's schema, by command name."""
    return {command.__name__: command_schema(command) for command in COMMANDS}


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generated_files(schema_link: str = "schemas") -> dict[str, str]:
    """Every generated file and its text, by path: ``events/*.json``, ``commands/*.json``
    and ``index.json`` under the schema directory, and ``catalogue`` (the Markdown, whose
    links to the schemas go to ``schema_link``)."""
    return dict(_generated_files(schema_link))


@cache
def _generated_files(schema_link: str) -> dict[str, str]:
    """The generated files (the code cannot change while it runs: made once)."""
    events = event_schemas()
    commands = command_schemas()
    files = {f"events/{name}.json": _dump(schema) for name, schema in events.items()}
    files.update({f"commands/{name}.json": _dump(schema) for name, schema in commands.items()})
    files["index.json"] = _dump(
        {
            "events": {
                name: {
                    "aggregate": schema["x-oneplan-aggregate"],
                    "class_version": schema["x-oneplan-class-version"],
                    "schema": f"events/{name}.json",
                    "topic": schema["x-oneplan-topic"],
                }
                for name, schema in events.items()
            },
            "commands": {
                name: {"method": schema["x-oneplan-method"], "schema": f"commands/{name}.json"}
                for name, schema in commands.items()
            },
        }
    )
    files["catalogue"] = render_catalogue(events, commands, schema_link)
    return files


def _expected(out: Path, catalogue: Path | None) -> dict[Path, str]:
    link = os.path.relpath(out.resolve(), catalogue.resolve().parent) if catalogue else "schemas"
    files = generated_files(Path(link).as_posix())
    text = files.pop("catalogue")
    expected = {out / name: content for name, content in files.items()}
    if catalogue is not None:
        expected[catalogue] = text
    return expected


def _extra(out: Path, expected: Iterable[Path]) -> list[Path]:
    keep = set(expected)
    return sorted(
        p
        for folder in ("events", "commands")
        for p in (out / folder).glob("*.json")
        if p not in keep
    )


def write_schemas(out: Path, catalogue: Path | None = None) -> list[Path]:
    """Write every schema under ``out`` (and the catalogue to ``catalogue``), removing
    schemas of events and commands that no longer exist. Returns the files written."""
    expected = _expected(out, catalogue)
    for path in _extra(out, expected):
        path.unlink()
    written = []
    for path, text in expected.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def stale_files(out: Path, catalogue: Path | None = None) -> list[str]:
    """The files under ``out`` (and the catalogue) that are missing, differ from what the
    code generates now, or belong to nothing any more: empty when all are up to date."""
    expected = _expected(out, catalogue)
    stale = [
        f"{path} ({'missing' if not path.exists() else 'out of date'})"
        for path, text in expected.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    return stale + [f"{path} (no such event or command any more)" for path in _extra(out, expected)]


# --- the catalogue -------------------------------------------------------------------


@cache
def _class_defs(module_name: str) -> dict[str, ast.ClassDef]:
    """Every class statement of a module, by qualified name (parsed once per module)."""
    module = sys.modules.get(module_name)
    try:
        tree = ast.parse(inspect.getsource(module)) if module is not None else None
    except (OSError, TypeError):
        tree = None
    found: dict[str, ast.ClassDef] = {}

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                found[prefix + node.name] = node
                walk(node.body, f"{prefix}{node.name}.")

    if tree is not None:
        walk(tree.body, "")
    return found


def _class_def(cls: type[Any]) -> ast.ClassDef | None:
    return _class_defs(cls.__module__).get(cls.__qualname__)


def _doc(obj: Any) -> str:
    """A class's docstring as written in its source (an event class's ``__doc__`` is the
    signature its dataclass made), or a function's or module's docstring."""
    node = _class_def(obj) if isinstance(obj, type) else None
    if node is not None:
        return ast.get_docstring(node) or ""
    return inspect.cleandoc(obj.__doc__) if getattr(obj, "__doc__", None) else ""


def _attribute_docs(cls: type[Any]) -> dict[str, str]:
    """The docstrings written under a class's fields (or enum members), base classes'
    included, from the source."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        node = _class_def(klass) if klass.__module__.startswith("oneplan") else None
        if node is None:
            continue
        for statement, after in itertools.pairwise(node.body):
            target = None
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                target = statement.target.id
            elif isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
                target = statement.targets[0].id
            if (
                target is not None
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                docs[target] = " ".join(after.value.value.split())
    return docs


def _danish(doc: str) -> str:
    """The Danish terms a docstring gives in italics (``*samtykke*``)."""
    terms = re.findall(r"\*([^*\s][^*]*?)\*", doc)
    return ", ".join(dict.fromkeys(terms))


def _anchor(kind: str, name: str) -> str:
    return f"{kind}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}"


def _type(schema: Mapping[str, Any]) -> str:
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return f"[{name}](#{_anchor('value', name)})"
    if "anyOf" in schema:
        return " or ".join(_type(option) for option in schema["anyOf"])
    if "const" in schema:
        return f"`{schema['const']}`"
    if "enum" in schema:
        return " or ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        return f"list of {_type(items)}" if isinstance(items, Mapping) else "list"
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return f"map of {_type(schema['additionalProperties'])}"
    if kind == "string" and "format" in schema:
        return f"{schema['format']}"
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    return str(kind or "any")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _fields(
    schema: Mapping[str, Any], docs: Mapping[str, str], skip: Iterable[str] = ()
) -> list[str]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    rows = ["| field | type | about |", "|---|---|---|"]
    for name, prop in properties.items():
        if name in skip:
            continue
        about = docs.get(name, "")
        if name not in required and "default" in prop:
            about = f"{about} (default `{json.dumps(prop['default'], ensure_ascii=False)}`)"
        elif name not in required:
            about = f"{about} (optional)"
        rows.append(f"| `{name}` | {_cell(_type(prop))} | {_cell(about.strip())} |")
    return rows if len(rows) > 2 else []


def _classes_by_name() -> dict[str, type[Any]]:
    found: dict[str, type[Any]] = {}
    for module in (values,):
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if isinstance(obj, type):
                found[obj.__name__] = obj
    return found


def _render_value(name: str, schema: Mapping[str, Any], cls: type[Any] | None) -> list[str]:
    doc = " ".join(str(schema.get("description") or (_doc(cls) if cls else "")).split())
    lines = [f'<a id="{_anchor("value", name)}"></a>', f"### {name}", ""]
    if doc:
        lines += [doc, ""]
    docs = _attribute_docs(cls) if cls is not None else {}
    if "enum" in schema:
        members = {str(m.value): m.name for m in cls} if cls is not None and _is_enum(cls) else {}
        lines += ["| value | about |", "|---|---|"]
        for value in schema["enum"]:
            lines.append(f"| `{value}` | {_cell(docs.get(members.get(str(value), ''), ''))} |")
    else:
        lines += _fields(schema, docs)
    return [*lines, ""]


def _is_enum(cls: type[Any]) -> bool:
    return issubclass(cls, Enum)


def render_catalogue(
    events: Mapping[str, Mapping[str, Any]] | None = None,
    commands: Mapping[str, Mapping[str, Any]] | None = None,
    schema_link: str = "schemas",
) -> str:
    """The Markdown catalogue of every event, command and value they carry."""
    events = events if events is not None else event_schemas()
    commands = commands if commands is not None else command_schemas()
    classes = {_name(cls): cls for cls in contract_event_classes()}
    lines = [
        "# Events and commands",
        "",
        "<!-- Generated from the code: do not edit. Regenerate with",
        f"     {REGENERATE} -->",
        "",
        "The event contract. Every change to the record is an event that is stored forever",
        "and never edited; other systems read these events, so their shapes are a contract.",
        f"Each event and command has a JSON Schema in [`{schema_link}/`]({schema_link}/)",
        f"(`events/`, `commands/`, and `index.json`), generated from the code by `{REGENERATE}`;",
        "a test fails when the schemas or this page are stale.",
        "",
        "How to read a stored event: the row's `topic` names its class",
        "(`module:Aggregate.Event`), its `originator_id` is the aggregate's id and its",
        "`originator_version` the event's position in that aggregate; the `state` is JSON",
        "matching the event's schema. Every event carries `timestamp` (when it was recorded);",
        "every event of a citizen, plan, intervention, access record or the staff directory",
        "also carries `actor` (who made the change, derived from the authenticated principal",
        "and the staff directory; nobody is anonymous) and `effective_at` (when it happened in",
        "the citizen's course), and an aggregate's first event `originator_topic`.",
        "`CommandReceipt.Recorded` is bookkeeping: it makes a repeated `command_id` add nothing.",
        "An event's `class_version` changes only with an upcast from the old shape, and an event",
        "of version 2 or more stores `class_version` in its state. The tables below list each",
        "event's own fields.",
        "",
        "## Events",
        "",
    ]
    by_aggregate: dict[str, list[str]] = {}
    for name, schema in events.items():
        by_aggregate.setdefault(str(schema["x-oneplan-aggregate"]), []).append(name)
    for aggregate, names in by_aggregate.items():
        aggregate_cls = _aggregate_class(classes[names[0]])
        aggregate_doc = _doc(aggregate_cls)
        terms = _danish(aggregate_doc) or _danish(_doc(inspect.getmodule(aggregate_cls)))
        danish = terms.split(", ")[0]
        title = f"{aggregate} (*{danish}*)" if danish else aggregate
        lines += [f'<a id="{_anchor("aggregate", aggregate)}"></a>', f"### {title}", ""]
        if aggregate_doc:
            lines += [" ".join(aggregate_doc.split()), ""]
        for name in names:
            schema = events[name]
            cls = classes[name]
            version = schema["x-oneplan-class-version"]
            lines += [
                f'<a id="{_anchor("event", name)}"></a>',
                f"#### {name} (v{version})",
                "",
                " ".join(str(schema["description"]).split()),
                "",
            ]
            term = _danish(_doc(cls))
            if term:
                lines += [f"Danish: *{term}*.", ""]
            lines += [
                f"Topic `{schema['x-oneplan-topic']}`; schema "
                f"[`events/{name}.json`]({schema_link}/events/{name}.json).",
                "",
            ]
            table = _fields(schema, _attribute_docs(cls), skip=_COMMON)
            lines += [*table, ""] if table else ["No fields of its own.", ""]
    lines += [
        "## Commands",
        "",
        "What a caller sends: each command is a pydantic model in `oneplan.commands`, taken by",
        "the `Session` method named after it, on the session of the principal the host",
        "authenticated (`app.as_(principal).method(...)`, or keyword fields to that method).",
        "Who sends it is the session's principal, never a field: the events' `actor` is",
        "derived from it and the staff directory. Every command may give `effective_at` and",
        "`command_id`.",
        "",
    ]
    for name, schema in commands.items():
        lines += [
            f'<a id="{_anchor("command", name)}"></a>',
            f"### {name}",
            "",
            f"`{schema['x-oneplan-method']}(...)`: "
            + (" ".join(str(schema["description"]).split()) or "(no description yet)"),
            "",
            f"Schema [`commands/{name}.json`]({schema_link}/commands/{name}.json).",
            "",
        ]
        table = _fields(
            schema, _attribute_docs(getattr(command_module, name)), skip=_COMMAND_COMMON
        )
        lines += [*table, ""] if table else ["No fields but the common ones.", ""]
    definitions: dict[str, Mapping[str, Any]] = {}
    for schema in (*commands.values(), *events.values()):  # the stored shape wins
        definitions.update(schema.get("$defs", {}))
    lines += [
        "## Values",
        "",
        "The value objects and vocabularies the events and commands carry (`oneplan.values`).",
        "",
    ]
    known = _classes_by_name()
    for name in sorted(definitions):
        lines += _render_value(name, definitions[name], known.get(name))
    return "\n".join(lines).rstrip() + "\n"
