"""The OpenAPI document's command schemas: each command model's JSON Schema as pydantic
gives it (the same models the library parses with), every field described.

A field's description is its docstring in ``oneplan.commands`` (the string under it),
else the description of a field of that name shared by many commands (below), else a
sentence naming the command and the field's type, so no field goes undescribed.
"""

from __future__ import annotations

import ast
import inspect
import itertools
from functools import cache
from typing import Any

from pydantic import BaseModel

from oneplan import commands

__all__ = ["command_schemas"]

_SHARED = {
    "effective_at": "When it happened in the citizen's course (ISO 8601 with a time zone; never "
    "in the future; default: now). A command may be backdated, and is judged against the "
    "course as it stood then (rule 15).",
    "command_id": "A caller-chosen id (a UUID): the same command sent again with it takes effect "
    "once and answers as the first time. Over HTTP, send the Idempotency-Key header instead.",
    "citizen_id": "The citizen's id in oneplan.",
    "citizen_ids": "The citizens the plan is for (one, or a household's).",
    "plan_id": "The plan's id.",
    "intervention_id": "The intervention's id (indsats).",
    "goal_id": "The goal's id.",
    "consent_id": "The consent's id (samtykke).",
    "consent_ids": "The consents the plan exists by.",
    "staff_id": "A staff member's id in the staff directory.",
    "legal_basis": "A legal basis: a law and a section, such as 'SEL § 85'.",
    "legal_bases": "The legal bases the plan is made under, such as 'LAB § 30 b'.",
    "sector": "A sector of the municipality (employment, social, health, ...).",
    "reason": "Why, in words.",
    "period": "From when to when (start, and an optional end).",
    "coordinator": "The coordinator, by staff id.",
    "responsible": "The responsible caseworker, by staff id (rule 4).",
    "participant": "A staff member taking part, by staff id.",
    "description": "What it is, in words.",
    "name": "A name.",
    "title": "A title, in words.",
}


@cache
def _docstrings() -> dict[str, dict[str, str]]:
    """The attribute docstrings of every class in ``oneplan.commands``."""
    tree = ast.parse(inspect.getsource(commands))
    found: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        fields: dict[str, str] = {}
        body = node.body
        for here, after in itertools.pairwise(body):
            if (
                isinstance(here, ast.AnnAssign)
                and isinstance(here.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                fields[here.target.id] = " ".join(after.value.value.split())
        found[node.name] = fields
    return found


def _description(model: type[BaseModel], field: str) -> str:
    for cls in model.__mro__:
        text = _docstrings().get(cls.__name__, {}).get(field)
        if text:
            return text
    if field in _SHARED:
        return _SHARED[field]
    return f"{field.replace('_', ' ').capitalize()} ({model.__name__})."


def _describe(schema: dict[str, Any], model: type[BaseModel]) -> None:
    for name, prop in schema.get("properties", {}).items():
        if isinstance(prop, dict) and not prop.get("description"):
            prop["description"] = _description(model, name)
    if not schema.get("description") and model.__doc__:
        schema["description"] = " ".join(model.__doc__.split())


def command_schemas(models: list[type[BaseModel]]) -> dict[str, Any]:
    """The JSON Schemas of ``models`` and every model they use, by name, for the
    document's ``components.schemas`` (references as ``#/components/schemas/NAME``)."""
    out: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        defs = schema.pop("$defs", {})
        _describe(schema, model)
        for name, sub in defs.items():
            found = getattr(commands, name, None)
            if isinstance(found, type) and issubclass(found, BaseModel):
                _describe(sub, found)
            out.setdefault(name, sub)
        out[model.__name__] = schema
    return out
