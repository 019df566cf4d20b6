"""Checks shared by the rule tests (``test_*_rules.py``).

A refusal is exact: the one error class (not a subclass), the ids it carries and
nothing more (``error.ids``), a message that names what was refused, and nothing
recorded. An accepted command records exactly one event, by its actor, at its
effective time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from oneplan.aggregates.base import OnePlanAggregate
from oneplan.errors import InvalidInput, OnePlanError
from oneplan.values import Actor


def refusal(
    aggregate: OnePlanAggregate | None,
    error: type[OnePlanError],
    command: Callable[[], object],
    *,
    ids: dict[str, Any],
    says: str = "",
) -> Any:
    """Run ``command``; expect exactly ``error`` carrying exactly ``ids``, a message
    containing ``says``, and no event recorded on ``aggregate``."""
    if aggregate is not None:
        assert aggregate.collect_events() == [], "collect the setup's events first"
        version = aggregate.version
    with pytest.raises(error) as caught:
        command()
    refused = caught.value
    assert type(refused) is error
    assert refused.ids == ids
    message = str(refused)
    assert message
    assert says in message
    if aggregate is not None:
        assert aggregate.collect_events() == []
        assert aggregate.version == version
    return refused


def invalid(
    aggregate: OnePlanAggregate | None,
    command: Callable[[], object],
    *,
    name: str,
    field: str,
) -> InvalidInput:
    """Run ``command``; expect exactly ``InvalidInput`` for command ``name``, naming
    ``field`` with a message, and nothing recorded."""
    refused: InvalidInput = refusal(
        aggregate,
        InvalidInput,
        command,
        ids={"command": name, "fields": field},
        says=f"invalid {name}: {field}: ",
    )
    assert refused.command == name
    assert [e["msg"] for e in refused.errors if not e["msg"]] == []
    return refused


def recorded(
    aggregate: OnePlanAggregate,
    command: Callable[[], object],
    *,
    event: type[Any],
    actor: Actor,
    effective_at: datetime,
) -> Any:
    """Run ``command``; expect exactly one new ``event``, by ``actor`` at ``effective_at``."""
    assert aggregate.collect_events() == [], "collect the setup's events first"
    command()
    [found] = aggregate.collect_events()
    new: Any = found
    assert type(new) is event
    assert new.actor == actor
    assert new.effective_at == effective_at
    return new
