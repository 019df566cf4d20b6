"""Trusted decoders: events read back from oneplan's own store, built from their JSON
without validating every field again.

The mapper (``oneplan.persistence``) validated each event when it was created and wrote
it as JSON from its class's annotations, so what the store holds is already the
validated shape: every enum a member's value, every tuple a list, every value object the
dict of its fields, every text trimmed. Reading it back, a rebuild or a catch-up does not
need pydantic to check it all once more (28% of a rebuild's time did just that): a
decoder made once per event class converts each field by its annotation (a UUID from its
text, an enum member by value, a value object's fields into the object) and sets the
fields on the instance directly, as pydantic would have. That the stored JSON is the
one written is what the audit chain proves (``oneplan audit verify``), not the decoder.

What the decoder cannot convert by annotation (a union of several types, a value object
given in another shape, such as a legal basis stored as ``"SEL § 85"``) it hands to
pydantic, field by field, so an unusual value is read exactly as the validating path
reads it. Upcasts and sealed fields are the mapper's business and come first: the
decoder is given the state the validating path would have been given
(``OnePlanMapper.to_trusted_event``).

Only for rows oneplan wrote. Anything from outside (an import, a file, a caller) goes
through the validating path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, get_args, get_origin, get_type_hints
from uuid import UUID

from pydantic import BaseModel, TypeAdapter

__all__ = ["event_decoder"]

Convert = Callable[[Any], Any]
EventDecoder = Callable[[dict[str, Any], Any, int], Any]
"""``decode(state, originator_id, originator_version) -> event``."""

_AS_STORED = (str, int, bool, float, type(None))
_NONE = type(None)

_new = object.__new__
_set = object.__setattr__


def _validated(tp: Any) -> Convert:
    """pydantic's own reading of a value of type ``tp`` (for what the decoder does not
    convert itself)."""
    return TypeAdapter(tp).validate_python


def _uuid(value: Any) -> UUID:
    return UUID(value) if type(value) is str else _validated_uuid(value)


def _datetime(value: Any) -> datetime:
    return datetime.fromisoformat(value) if type(value) is str else _validated_datetime(value)


def _date(value: Any) -> date:
    return date.fromisoformat(value) if type(value) is str else _validated_date(value)


def _decimal(value: Any) -> Decimal:
    return Decimal(value) if type(value) is str or type(value) is int else _validated_decimal(value)


_validated_uuid = _validated(UUID)
_validated_datetime = _validated(datetime)
_validated_date = _validated(date)
_validated_decimal = _validated(Decimal)

_CONVERTERS: dict[Any, Convert | None] = {}


def converter(tp: Any) -> Convert | None:
    """How a stored (JSON) value of type ``tp`` becomes the Python value; None: it is
    stored as it is (text, numbers, booleans)."""
    try:
        return _CONVERTERS[tp]
    except (KeyError, TypeError):  # (an unhashable annotation is made each time)
        pass
    found = _converter(tp)
    with contextlib.suppress(TypeError):
        _CONVERTERS[tp] = found
    return found


def _converter(tp: Any) -> Convert | None:
    origin = get_origin(tp)
    if origin is typing.Annotated:
        return converter(get_args(tp)[0])
    if tp is Any or tp in _AS_STORED:
        return None
    if tp is UUID:
        return _uuid
    if tp is datetime:
        return _datetime
    if tp is date:
        return _date
    if tp is Decimal:
        return _decimal
    if origin is None and isinstance(tp, type):
        if issubclass(tp, Enum):
            members = tp._value2member_map_
            return lambda value: members[value]
        if issubclass(tp, BaseModel):
            return _model_decoder(tp)
        return _validated(tp)
    if origin in (typing.Union, types.UnionType):
        return _optional(tp)
    if origin is tuple:
        return _sequence(tp, tuple)
    if origin is frozenset:
        return _sequence(tp, frozenset)
    if origin is list:
        return _sequence(tp, list)
    if origin is dict:
        return _mapping(tp)
    return _validated(tp)


def _optional(tp: Any) -> Convert | None:
    """``X | None``; any other union is pydantic's to decide."""
    args = get_args(tp)
    others = [a for a in args if a is not _NONE]
    if len(others) != 1 or len(args) != 2:
        return _validated(tp)
    inner = converter(others[0])
    if inner is None:
        return None
    return lambda value: None if value is None else inner(value)


def _sequence(tp: Any, kind: type[Any]) -> Convert:
    args = get_args(tp)
    validated = _validated(tp)
    if kind is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        if not args:
            return lambda value: tuple(value) if type(value) is list else validated(value)
        items = [converter(a) for a in args]
        count = len(items)

        def fixed(value: Any) -> Any:
            if type(value) is not list or len(value) != count:
                return validated(value)
            return tuple(v if c is None else c(v) for c, v in zip(items, value, strict=True))

        return fixed
    inner = converter(args[0]) if args else None
    if inner is None:
        return lambda value: kind(value) if type(value) is list else validated(value)
    return lambda value: kind(map(inner, value)) if type(value) is list else validated(value)


def _mapping(tp: Any) -> Convert:
    args = get_args(tp)
    key, item = (converter(args[0]), converter(args[1])) if args else (None, None)
    validated = _validated(tp)
    if key is None and item is None:
        return lambda value: dict(value) if type(value) is dict else validated(value)
    k = key or (lambda v: v)
    i = item or (lambda v: v)
    return lambda value: (
        {k(a): i(b) for a, b in value.items()} if type(value) is dict else validated(value)
    )


def _compile(
    head: str, fields: list[tuple[str, Convert | None, Any]], tail: list[str]
) -> tuple[list[str], dict[str, Any]]:
    """The lines that build the dict of ``fields`` (name, converter, default: ``_MISSING``
    for none, a ``_Factory`` for a default factory) from ``value``, and their scope."""
    scope: dict[str, Any] = {"_new": _new, "_set": _set}
    lines = [head, "    d = {"]
    later: list[str] = []
    for n, (field, convert, default) in enumerate(fields):
        c = f"c{n}"
        scope[c] = convert
        read = f"value[{field!r}]"
        value = read if convert is None else f"{c}({read})"
        if default is _MISSING:
            lines.append(f"        {field!r}: {value},")
            continue
        # An optional field: its default when the stored shape lacks it (an older one).
        lines.append(f"        {field!r}: None,")
        d = f"d{n}"
        scope[d] = default.make if isinstance(default, _Factory) else default
        fallback = f"{d}()" if isinstance(default, _Factory) else d
        later.append(f"    d[{field!r}] = {value} if {field!r} in value else {fallback}")
    lines.append("    }")
    lines += later
    lines += tail
    return lines, scope


class _Factory:
    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


_MISSING: Any = object()


def _model_decoder(cls: type[BaseModel]) -> Convert:
    """A value object from the dict of its fields, as ``model_construct`` builds it
    (pydantic's own checks left out); another shape (text, a number) goes to pydantic."""
    validated = TypeAdapter(cls).validate_python
    hints = get_type_hints(cls, include_extras=True)
    fields: list[tuple[str, Convert | None, Any]] = []
    for name, info in cls.model_fields.items():
        if info.alias is not None or info.validation_alias is not None:
            return validated
        if info.is_required():
            default = _MISSING
        elif info.default_factory is not None:
            default = _Factory(typing.cast(Callable[[], Any], info.default_factory))
        else:
            default = info.default
        fields.append((name, converter(hints.get(name, info.annotation)), default))
    names = frozenset(name for name, _, _ in fields)
    lines, scope = _compile(
        "def decode(value):\n    if type(value) is not dict:\n        return validated(value)",
        fields,
        [
            "    m = _new(cls)",
            "    _set(m, '__dict__', d)",
            "    _set(m, '__pydantic_fields_set__', names.intersection(value))",
            "    _set(m, '__pydantic_extra__', None)",
            "    _set(m, '__pydantic_private__', None)",
            "    return m",
        ],
    )
    if cls.__pydantic_root_model__ or cls.__pydantic_post_init__ or cls.__private_attributes__:
        return validated
    if cls.model_config.get("extra") == "allow":
        return validated
    scope.update(cls=cls, names=names, validated=validated)
    exec("\n".join(lines), scope)  # names are the model's fields (identifiers), not input
    return typing.cast(Convert, scope["decode"])


_POSITION = ("originator_id", "originator_version")
_EVENT_DECODERS: dict[type[Any], EventDecoder] = {}


def event_decoder(cls: type[Any]) -> EventDecoder:
    """The decoder of stored events of ``cls`` (a dataclass event), made once."""
    found = _EVENT_DECODERS.get(cls)
    if found is None:
        found = _EVENT_DECODERS[cls] = _event_decoder(cls)
    return found


def _event_decoder(cls: type[Any]) -> EventDecoder:
    if not dataclasses.is_dataclass(cls):
        validated = TypeAdapter(cls).validate_python

        def by_pydantic(state: dict[str, Any], originator_id: Any, version: int) -> Any:
            state.update(originator_id=originator_id, originator_version=version)
            return validated(state)

        return by_pydantic
    hints = get_type_hints(cls, include_extras=True)
    fields: list[tuple[str, Convert | None, Any]] = []
    position: list[str] = []
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        if field.name in _POSITION:
            position.append(field.name)
            continue
        if field.default is not dataclasses.MISSING:
            default = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = _Factory(field.default_factory)
        else:
            default = _MISSING
        fields.append((field.name, converter(hints[field.name]), default))
    if position != list(_POSITION):
        raise TypeError(f"{cls.__qualname__} does not begin with originator_id, originator_version")
    lines, scope = _compile(
        "def decode(value, originator_id, originator_version):",
        fields,
        ["    e = _new(cls)", "    _set(e, '__dict__', d)", "    return e"],
    )
    # The position first, as the dataclass (and pydantic) order the fields.
    lines.insert(
        2, "        'originator_id': originator_id, 'originator_version': originator_version,"
    )
    scope["cls"] = cls
    exec("\n".join(lines), scope)  # names are the dataclass's fields (identifiers), not input
    return typing.cast(EventDecoder, scope["decode"])
