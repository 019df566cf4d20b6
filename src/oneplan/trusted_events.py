"""Trusted decoders: events read back from oneplan's own store, built from their JSON
without validating every field again.

The mapper (``oneplan.persistence``) validated each event when it was created and wrote
it as JSON from its class's annotations, so what the store holds is already the
validated shape: every enum a member's value, every tuple a list, every value object the
dict of its fields, every text trimmed. Reading it back, a rebuild or a catch-up does not
need pydantic to check it all once more (mapping was 28% of a rebuild's time, most of it
that): a decoder generated once per event class converts each field by its annotation
(a UUID from its text, an enum member by value, a value object's fields into the
object) and sets the fields on the instance directly, as pydantic would have. It checks
no constraint (lengths, patterns, control characters, validators): the stored values met
them when written, and that the stored JSON is the one written is what the audit chain
proves (``oneplan audit verify``), not the decoder. The objects equal the validating
path's field for field and type for type (``tests/unit/test_trusted_events.py``); a
datetime's ``tzinfo`` may be ``datetime.timezone.utc`` where pydantic gives its own
``TzInfo`` of the same offset (as for events made in the process).

A UUID that recurs is parsed once, and a value object stored the same way again (an
actor, a legal basis: the same JSON, compared as orjson writes it, so ``1``, ``1.0`` and
``true`` are not the same) is the same frozen object again: bounded caches, emptied by
``forget()`` (a rebuild does at its end).

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

import dataclasses
import itertools
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, get_args, get_origin, get_type_hints
from uuid import UUID

import orjson
from pydantic import BaseModel, TypeAdapter

__all__ = ["converter", "event_decoder", "forget", "uuid_of", "uuid_text"]

Convert = Callable[[Any], Any]
EventDecoder = Callable[[dict[str, Any], Any, int], Any]
"""``decode(state, originator_id, originator_version) -> event``."""

_AS_STORED = (str, int, bool, float, type(None))
_NONE = type(None)
_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "MISSING"})()

_UUIDS: dict[str, UUID] = {}
"""The UUIDs read, by their text: one object for each id that recurs (a citizen's, a
plan's), parsed once."""
_TEXTS: dict[int, str] = {}
"""The text of the UUIDs folded, by their number."""
_VALUES: list[dict[Any, Any]] = []
"""Each value object decoder's cache of the objects it made (actors, legal bases, ...:
frozen, and the same few hundred recur in every event)."""
LIMIT = 1 << 16
"""Entries a cache holds before it is emptied (memory stays bounded)."""


def forget() -> None:
    """Empty the caches (a rebuild does at its end, so its memory goes with it)."""
    _UUIDS.clear()
    _TEXTS.clear()
    for cache in _VALUES:
        cache.clear()


def uuid_of(text: str) -> UUID:
    """``UUID(text)``, parsed once for a text seen before (the log repeats every stream
    id over and over)."""
    found = _UUIDS.get(text)
    if found is None:
        found = UUID(text)
        if len(_UUIDS) >= LIMIT:
            _UUIDS.clear()
        _UUIDS[text] = found
    return found


def uuid_text(value: UUID) -> str:
    """``str(value)``, without formatting it again for an id seen before (folds turn the
    same ids into row keys many times over)."""
    number = value.int
    found = _TEXTS.get(number)
    if found is None:
        found = str(value)
        if len(_TEXTS) >= LIMIT:
            _TEXTS.clear()
        _TEXTS[number] = found
    return found


class _Code:
    """Python source that converts stored values, and the names it refers to."""

    def __init__(self) -> None:
        self.scope: dict[str, Any] = {
            "_new": object.__new__,
            "_set": object.__setattr__,
            "MISSING": _MISSING,
            "U": uuid_of,
            "UG": _UUIDS.get,
            "DT": datetime.fromisoformat,
            "D": date.fromisoformat,
            "DEC": Decimal,
        }
        self._names = itertools.count()

    def name(self, value: Any, prefix: str = "n") -> str:
        name = f"{prefix}{next(self._names)}"
        self.scope[name] = value
        return name

    def temp(self) -> str:
        return f"t{next(self._names)}"

    def run(self, source: str, name: str) -> None:
        """Define the functions of ``source`` (generated from annotations, not from
        input) in the scope, named ``<name>`` in tracebacks and profiles."""
        exec(compile(source, f"<{name}>", "exec"), self.scope)


_SIMPLE = {UUID: "U", datetime: "DT", date: "D", Decimal: "DEC"}


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    return tp


def _optional_of(tp: Any) -> Any | None:
    """X of ``X | None`` (None: not such a union)."""
    if get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = get_args(tp)
    others = [a for a in args if a is not _NONE]
    return others[0] if len(others) == 1 and len(args) == 2 else None


def _function(tp: Any, code: _Code) -> str | None:
    """The name of a function converting one stored value of ``tp`` (None: stored as
    it is; an expression is needed where it returns ``""``)."""
    tp = _unwrap(tp)
    if tp is Any or tp in _AS_STORED:
        return None
    if tp in _SIMPLE:
        return _SIMPLE[tp]
    if isinstance(tp, type) and get_origin(tp) is None:
        if issubclass(tp, Enum):
            return code.name(tp._value2member_map_.__getitem__, "E")
        if issubclass(tp, BaseModel):
            return code.name(model_decoder(tp), "M")
    return ""


def _expr(tp: Any, src: str, code: _Code) -> str:
    """An expression converting the stored value ``src`` (an expression evaluated once)
    of type ``tp``."""
    tp = _unwrap(tp)
    if tp is UUID:  # (``uuid_of`` without a call where the text was seen before)
        t = code.temp()
        return f"(UG({t} := {src}) or U({t}))"
    function = _function(tp, code)
    if function is None:
        return src
    if function:
        return f"{function}({src})"
    inner = _optional_of(tp)
    if inner is not None:
        t = code.temp()
        converted = _expr(inner, t, code)
        if converted == t:
            return src
        return f"(None if ({t} := {src}) is None else {converted})"
    origin, args = get_origin(tp), get_args(tp)
    kind = {tuple: "tuple", frozenset: "frozenset", list: "list"}.get(origin)
    if kind is not None and (origin is not tuple or (len(args) == 2 and args[1] is Ellipsis)):
        item = _function(args[0], code) if args else None
        if item is None:
            return f"{kind}({src})"
        if item:
            return f"{kind}(map({item}, {src}))"
        x = code.temp()
        return f"{kind}([{_expr(args[0], x, code)} for {x} in {src}])"
    if origin is dict and args:
        a, b = code.temp(), code.temp()
        key, item = _expr(args[0], a, code), _expr(args[1], b, code)
        return f"{{{key}: {item} for {a}, {b} in {src}.items()}}"
    return f"{code.name(TypeAdapter(tp).validate_python, 'V')}({src})"


def converter(tp: Any) -> Convert:
    """How a stored (JSON) value of type ``tp`` becomes its Python value."""
    code = _Code()
    source = f"def convert(value):\n    return {_expr(tp, 'value', code)}"
    code.run(source, f"converter of {tp!r}")
    return typing.cast(Convert, code.scope["convert"])


def _fields_dict(fields: list[tuple[str, Any, Any]], code: _Code) -> list[str]:
    """Lines of a dict display of ``fields`` (name, type, default: ``_MISSING`` for none,
    a ``_Factory`` for a default factory) converted from ``value``."""
    lines = []
    for name, tp, default in fields:
        converted = _expr(tp, f"value[{name!r}]", code)
        if default is _MISSING:
            lines.append(f"        {name!r}: {converted},")
            continue
        # A field with a default: the default where the stored shape lacks it (an older one).
        made = (
            f"{code.name(default.make, 'F')}()"
            if isinstance(default, _Factory)
            else code.name(default, "d")
        )
        lines.append(f"        {name!r}: {converted} if {name!r} in value else {made},")
    return lines


class _Factory:
    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


_MODEL_DECODERS: dict[type[Any], Convert] = {}


def model_decoder(cls: type[BaseModel]) -> Convert:
    """The decoder of stored value objects of ``cls``, made once."""
    found = _MODEL_DECODERS.get(cls)
    if found is None:
        found = _MODEL_DECODERS[cls] = _model_decoder(cls)
    return found


def _model_decoder(cls: type[BaseModel]) -> Convert:
    """A value object from the dict of its fields, as ``model_construct`` builds it
    (pydantic's own checks left out), the same object again for the same stored value;
    another shape (text, a number) goes to pydantic."""
    validated = TypeAdapter(cls).validate_python
    if (
        cls.__pydantic_root_model__
        or cls.__pydantic_post_init__
        or cls.__private_attributes__
        or cls.model_config.get("extra") == "allow"
    ):
        return validated
    hints = get_type_hints(cls, include_extras=True)
    fields: list[tuple[str, Any, Any]] = []
    for name, info in cls.model_fields.items():
        if info.alias is not None or info.validation_alias is not None:
            return validated
        if info.is_required():
            default = _MISSING
        elif info.default_factory is not None:
            default = _Factory(typing.cast(Callable[[], Any], info.default_factory))
        else:
            default = info.default
        fields.append((name, hints.get(name, info.annotation), default))
    code = _Code()
    cache: dict[str, Any] = {}
    _VALUES.append(cache)
    code.scope.update(
        cls=cls,
        validated=validated,
        names=frozenset(name for name, _, _ in fields),
        cache=cache,
        LIMIT=LIMIT,
        dumps=orjson.dumps,
    )
    built = _fields_dict(fields, code)  # (the value objects inside are made first)
    # The objects made are kept by their stored value's JSON (compact, in C: exact,
    # types and all, nested values included): the same object again for the same text.
    # (As text: orjson's bytes keep a buffer of 4 KiB each.)
    lines = [
        "def decode(value):",
        "    if type(value) is not dict:",
        "        return validated(value)",
        "    try:",
        "        k = dumps(value).decode()",
        "    except TypeError:  # (not JSON: made, not kept)",
        "        k = None",
        "    else:",
        "        m = cache.get(k)",
        "        if m is not None:",
        "            return m",
    ]
    lines += ["    d = {", *built, "    }"]
    lines += [
        "    m = _new(cls)",
        "    _set(m, '__dict__', d)",
        "    _set(m, '__pydantic_fields_set__', names.intersection(value))",
        "    _set(m, '__pydantic_extra__', None)",
        "    _set(m, '__pydantic_private__', None)",
        "    if k is not None:",
        "        if len(cache) >= LIMIT:",
        "            cache.clear()",
        "        cache[k] = m",
    ]
    lines.append("    return m")
    code.run("\n".join(lines), f"decoder of {cls.__qualname__}")
    return typing.cast(Convert, code.scope["decode"])


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
    fields: list[tuple[str, Any, Any]] = []
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
        fields.append((field.name, hints[field.name], default))
    if position != list(_POSITION):
        raise TypeError(f"{cls.__qualname__} does not begin with originator_id, originator_version")
    code = _Code()
    code.scope["cls"] = cls
    lines = [
        "def decode(value, originator_id, originator_version):",
        "    d = {",
        # The position first, as the dataclass (and pydantic) order the fields.
        "        'originator_id': originator_id, 'originator_version': originator_version,",
        *_fields_dict(fields, code),
        "    }",
        "    e = _new(cls)",
        "    _set(e, '__dict__', d)",
        "    return e",
    ]
    code.run("\n".join(lines), f"decoder of {cls.__qualname__}")
    return typing.cast(EventDecoder, code.scope["decode"])
