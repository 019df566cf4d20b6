"""``dates_out_of_range`` looks only at the fields whose type may hold a date; it must
find every date a walk over every field of the command finds, in the same order."""

from __future__ import annotations

import types
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from uuid import UUID, uuid4

import pytest
from pydantic import AwareDatetime, BaseModel

from oneplan.commands import COMMANDS, EARLIEST_DATE, LATEST_DATE, Command, dates_out_of_range

FAR_DAY = date(1, 1, 1)
FAR_TIME = datetime(9999, 12, 31, tzinfo=UTC)


def _sample(annotation: Any) -> Any:
    """A value of ``annotation`` in which every date is out of range (models built with
    ``model_construct``, one item in each tuple or list, a union's first member)."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return _sample(args[0])
    if origin is Literal:
        return args[0]
    if origin in (Union, types.UnionType):
        return _sample(next(a for a in args if a is not type(None)))
    if origin in (tuple, list):
        return origin([_sample(args[0])])
    if origin is dict:
        return {}
    if annotation is AwareDatetime or annotation is datetime:
        return FAR_TIME
    if annotation is date:
        return FAR_DAY
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.model_construct(
            **{name: _sample(f.annotation) for name, f in annotation.model_fields.items()}
        )
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return next(iter(annotation))
    for kind, value in ((bool, True), (str, "x"), (int, 1), (Decimal, Decimal(1))):
        if annotation is kind:
            return value
    if annotation is UUID:
        return uuid4()
    raise AssertionError(f"no sample for {annotation!r}")


def _every_date(value: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[Any, date]]:
    """Every date in ``value``, every field looked at (what the check did before)."""
    if isinstance(value, date):
        yield loc, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _every_date(getattr(value, name), (*loc, name))
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            yield from _every_date(item, (*loc, index))


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.__name__)
def test_every_date_anywhere_in_a_command_is_checked(command: type[Command]) -> None:
    sample = _sample(command)
    everywhere = [
        loc for loc, day in _every_date(sample, ()) if not EARLIEST_DATE <= _day(day) <= LATEST_DATE
    ]
    assert ("effective_at",) in everywhere
    assert [error["loc"] for error in dates_out_of_range(sample)] == everywhere


def test_dates_in_range_pass_and_nested_ones_are_named() -> None:
    from oneplan.commands import GrantConsent

    sample = _sample(GrantConsent).model_copy(
        update={"effective_at": datetime(2026, 1, 1, tzinfo=UTC)}
    )
    errors = dates_out_of_range(sample)
    assert [e["loc"] for e in errors] == [("period", "start"), ("period", "end")]
    assert "0001-01-01 is not between 1850-01-01 and 2199-12-31" in errors[0]["msg"]
