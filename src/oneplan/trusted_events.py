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

Most events are read straight from their stored JSON (``fast_event_decoder``): msgspec
parses it into a Struct mirroring the stored shape, in C, typed where msgspec reads a
value as the conversion would make it (text, numbers, datetimes, dates, enum members by
value, tuples and frozensets of those; a UUID as its text), every value object left as
its raw JSON, and the fields are converted from the Struct as from the dict. (Against
``orjson.loads`` and conversions in Python, it took a rebuild's decoding from 0.51-0.55
to 0.35-0.41 CPU seconds on a log of 100,438 events.) What msgspec does not read so (a
float, a union, a dict) it leaves as plain JSON for the same conversion; a stored event it
refuses (a shape the class no longer has, a value of another type) is read from the dict
instead, which reads it or refuses it as before.

A UUID that recurs is parsed once, and a value object stored the same way again (an
actor, a legal basis: the same JSON, as stored, or, read from a dict, compared as orjson
writes it, so ``1``, ``1.0`` and ``true`` are not the same) is the same frozen object
again: bounded caches, emptied by ``forget()`` (a rebuild does at its end, a runner
folding an erasure too).

What the decoder cannot convert by annotation (a union of several types, a value object
given in another shape, such as a legal basis stored as ``"SEL § 85"``) it hands to
pydantic, field by field, so an unusual value is read exactly as the validating path
reads it. Upcasts and sealed fields are the mapper's business and come first: a stored
event holding sealed fields, or stored at another class version, is handed back to the
mapper, which opens and upcasts it and gives the decoder from the dict the state the
validating path would have been given (``OnePlanMapper.to_trusted_event``).

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
from enum import Enum, Flag
from typing import Any, get_args, get_origin, get_type_hints
from uuid import UUID

import msgspec
import orjson
from msgspec import UNSET, Raw
from pydantic import BaseModel, TypeAdapter

__all__ = [
    "FAST_MISSES",
    "converter",
    "event_decoder",
    "fast_event_decoder",
    "forget",
    "uuid_of",
    "uuid_text",
]

Convert = Callable[[Any], Any]
EventDecoder = Callable[[dict[str, Any], Any, int], Any]
"""``decode(state, originator_id, originator_version) -> event``."""
FastEventDecoder = Callable[[bytes, Any, int], Any]
"""``decode(stored_json, originator_id, originator_version) -> event`` (None: the stored
event has sealed fields or a class version, for the mapper to open first)."""
FAST_MISSES = (msgspec.DecodeError, ValueError, TypeError, KeyError, AttributeError)
"""What a fast decoder raises for a stored value it cannot read (an unusual shape): the
dict path reads it then, or refuses it with its own error."""

_AS_STORED = (str, int, bool, float, type(None))
_NONE = type(None)
_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "MISSING"})()

_UUIDS: dict[str, UUID] = {}
"""The UUIDs read, by their text: one object for each id that recurs (a citizen's, a
plan's), parsed once."""
_TEXTS: dict[int, str] = {}
"""The text of the UUIDs folded, by their number."""
_VALUES: list[dict[Any, Any]] = []
"""Each value object decoder's caches of the objects it made (actors, legal bases, ...:
frozen, and the same few hundred recur in every event), by their JSON as orjson writes
it and by their JSON as stored."""
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
            "B": bytes,
            "UNSET": UNSET,
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


def _fast(tp: Any, src: str, code: _Code) -> tuple[Any, str]:
    """How msgspec reads a stored value of ``tp`` (its annotation in the Struct of the
    stored shape) and the expression converting the attribute ``src`` so read: by
    annotation where msgspec reads it as the dict path converts it, else as plain JSON
    (``Any``) converted by the dict path's own expression."""
    found = _fast_or_none(tp, src, code)
    if found is not None:
        try:
            msgspec.json.Decoder(found[0])
        except (TypeError, ValueError):  # (a type msgspec does not read)
            found = None
    return found if found is not None else (Any, _expr(tp, src, code))


def _fast_or_none(tp: Any, src: str, code: _Code) -> tuple[Any, str] | None:
    tp = _unwrap(tp)
    if tp in (str, int, bool, _NONE, datetime, date):
        # (msgspec is strict: ``true`` is no int, ``1.0`` no int, a date no datetime; the
        # dict path then reads the value. A datetime's tzinfo: ``timezone.utc`` for "Z".)
        return tp, src
    if tp is UUID:
        t = code.temp()
        return str, f"(UG({t} := {src}) or U({t}))"
    if tp is Decimal:
        return str, f"DEC({src})"
    if isinstance(tp, type) and get_origin(tp) is None:
        if issubclass(tp, Enum):
            # By value, as ``_value2member_map_``: no flag made of several members, no
            # ``_missing_`` (msgspec would call it; the dict path refuses the value).
            if issubclass(tp, Flag) or tp._missing_.__func__ is not Enum._missing_.__func__:  # type: ignore[attr-defined]
                return None
            return tp, src
        if issubclass(tp, BaseModel):
            return Raw, f"{code.name(raw_decoder(tp), 'R')}(B({src}))"
        return None  # (float: as stored, ``1`` stays an int)
    inner = _optional_of(tp)
    if inner is not None:
        inner = _unwrap(inner)
        t = code.temp()
        if isinstance(inner, type) and get_origin(inner) is None and issubclass(inner, BaseModel):
            decode = code.name(raw_decoder(inner), "R")
            return Raw, f"(None if ({t} := B({src})) == b'null' else {decode}({t}))"
        found = _fast_or_none(inner, t, code)
        if found is None or found[0] is Raw:
            return None
        annotation, converted = found
        if converted == t:
            return annotation | None, src
        return annotation | None, f"(None if ({t} := {src}) is None else {converted})"
    origin, args = get_origin(tp), get_args(tp)
    kind = {tuple: "tuple", frozenset: "frozenset", list: "list"}.get(origin)
    if kind is None or not args:
        return None
    if origin is tuple and (len(args) != 2 or args[1] is not Ellipsis):
        return None
    x = code.temp()
    found = _fast_or_none(args[0], x, code)
    if found is None:
        return None
    annotation, converted = found
    if converted == x:  # (msgspec makes the tuple or frozenset itself)
        return {tuple: tuple[annotation, ...], frozenset: frozenset[annotation]}.get(  # type: ignore[valid-type]
            origin,
            list[annotation],  # type: ignore[valid-type]
        ), src
    return list[annotation], f"{kind}([{converted} for {x} in {src}])"  # type: ignore[valid-type]


def _fast_fields(
    fields: list[tuple[str, Any, Any]], code: _Code
) -> tuple[list[tuple[Any, ...]], list[str]]:
    """The Struct fields of the stored shape of ``fields`` (as ``_fields_dict``), and the
    lines of a dict display of them converted from the Struct ``s``: a field with a
    default is ``UNSET`` in the Struct where the stored shape lacks it."""
    struct: list[tuple[Any, ...]] = []
    lines = []
    for name, tp, default in fields:
        if default is _MISSING:
            annotation, converted = _fast(tp, f"s.{name}", code)
            struct.append((name, annotation))
            lines.append(f"        {name!r}: {converted},")
            continue
        t = code.temp()
        annotation, converted = _fast(tp, t, code)
        struct.append((name, annotation, UNSET))
        made = (
            f"{code.name(default.make, 'F')}()"
            if isinstance(default, _Factory)
            else code.name(default, "d")
        )
        lines.append(f"        {name!r}: {made} if ({t} := s.{name}) is UNSET else {converted},")
    return struct, lines


def _struct_decoder(name: str, struct: list[tuple[Any, ...]]) -> Callable[[Any], Any] | None:
    """msgspec's decoder of JSON into a Struct of ``struct``'s fields (None: msgspec does
    not make it, a field's name say)."""
    try:
        shape = msgspec.defstruct(name, struct, kw_only=True, gc=False)
        return typing.cast(Callable[[Any], Any], msgspec.json.Decoder(shape).decode)
    except (TypeError, ValueError):
        return None


_MODEL_DECODERS: dict[type[Any], tuple[Convert, Convert]] = {}


def _decoders_of(cls: type[BaseModel]) -> tuple[Convert, Convert]:
    found = _MODEL_DECODERS.get(cls)
    if found is None:
        found = _MODEL_DECODERS[cls] = _model_decoders(cls)
    return found


def model_decoder(cls: type[BaseModel]) -> Convert:
    """The decoder of stored value objects of ``cls`` (as Python values), made once."""
    return _decoders_of(cls)[0]


def raw_decoder(cls: type[BaseModel]) -> Convert:
    """The decoder of stored value objects of ``cls`` from their JSON as stored (bytes),
    made once."""
    return _decoders_of(cls)[1]


def _model_decoders(cls: type[BaseModel]) -> tuple[Convert, Convert]:
    """A value object from the dict of its fields, as ``model_construct`` builds it
    (pydantic's own checks left out), the same object again for the same stored value;
    another shape (text, a number) goes to pydantic. And the same from its JSON as stored,
    read by msgspec into a Struct of its stored shape (the same object again for the same
    bytes), through the first where msgspec cannot read it so."""
    validated = TypeAdapter(cls).validate_python

    def by_json(stored: bytes) -> Any:
        return decode(orjson.loads(stored))

    if (
        cls.__pydantic_root_model__
        or cls.__pydantic_post_init__
        or cls.__private_attributes__
        or cls.model_config.get("extra") == "allow"
    ):
        decode = validated
        return decode, by_json
    hints = get_type_hints(cls, include_extras=True)
    fields: list[tuple[str, Any, Any]] = []
    for name, info in cls.model_fields.items():
        if info.alias is not None or info.validation_alias is not None:
            decode = validated
            return decode, by_json
        if info.is_required():
            default = _MISSING
        elif info.default_factory is not None:
            default = _Factory(typing.cast(Callable[[], Any], info.default_factory))
        else:
            default = info.default
        fields.append((name, hints.get(name, info.annotation), default))
    code = _Code()
    cache: dict[str, Any] = {}
    raw_cache: dict[bytes, Any] = {}
    _VALUES.extend((cache, raw_cache))
    code.scope.update(
        cls=cls,
        validated=validated,
        names=frozenset(name for name, _, _ in fields),
        cache=cache,
        raw_cache=raw_cache,
        LIMIT=LIMIT,
        dumps=orjson.dumps,
        loads=orjson.loads,
        MISSES=FAST_MISSES,
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
    struct, fast = _fast_fields(fields, code)
    read = _struct_decoder(cls.__name__, struct)
    if read is None:
        lines += ["def decode_raw(k):", "    return decode(loads(k))"]
    else:
        # Kept by the bytes as stored (each made exactly as long as the stored value).
        code.scope["read"] = read
        lines += [
            "def decode_raw(k):",
            "    m = raw_cache.get(k)",
            "    if m is not None:",
            "        return m",
            "    try:",
            "        s = read(k)",
            "        d = {",
            *[f"    {line}" for line in fast],
            "        }",
            "    except MISSES:  # (another shape: text, a number, an unusual value)",
            "        return decode(loads(k))",
            "    m = _new(cls)",
            "    _set(m, '__dict__', d)",
        ]
        defaulted = [name for name, _, default in fields if default is not _MISSING]
        if defaulted:
            pairs = ", ".join(f"({name!r}, s.{name})" for name in defaulted)
            lines += [
                "    f = names",
                f"    if {' or '.join(f's.{name} is UNSET' for name in defaulted)}:",
                f"        f = names.difference([n for n, v in ({pairs},) if v is UNSET])",
                "    _set(m, '__pydantic_fields_set__', f)",
            ]
        else:
            lines.append("    _set(m, '__pydantic_fields_set__', names)")
        lines += [
            "    _set(m, '__pydantic_extra__', None)",
            "    _set(m, '__pydantic_private__', None)",
            "    if len(raw_cache) >= LIMIT:",
            "        raw_cache.clear()",
            "    raw_cache[k] = m",
            "    return m",
        ]
    code.run("\n".join(lines), f"decoder of {cls.__qualname__}")
    decode = code.scope["decode"]
    return typing.cast(Convert, decode), typing.cast(Convert, code.scope["decode_raw"])


_POSITION = ("originator_id", "originator_version")
_EVENT_DECODERS: dict[type[Any], EventDecoder] = {}


def event_decoder(cls: type[Any]) -> EventDecoder:
    """The decoder of stored events of ``cls`` (a dataclass event), made once."""
    found = _EVENT_DECODERS.get(cls)
    if found is None:
        found = _EVENT_DECODERS[cls] = _event_decoder(cls)
    return found


def _event_fields(cls: type[Any]) -> list[tuple[str, Any, Any]]:
    """The fields of a dataclass event but its position (name, type, default)."""
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
    return fields


def _event_decoder(cls: type[Any]) -> EventDecoder:
    if not dataclasses.is_dataclass(cls):
        validated = TypeAdapter(cls).validate_python

        def by_pydantic(state: dict[str, Any], originator_id: Any, version: int) -> Any:
            state.update(originator_id=originator_id, originator_version=version)
            return validated(state)

        return by_pydantic
    fields = _event_fields(cls)
    code = _Code()
    code.scope["cls"] = cls
    lines = _event_source("value", [], _fields_dict(fields, code))
    code.run("\n".join(lines), f"decoder of {cls.__qualname__}")
    return typing.cast(EventDecoder, code.scope["decode"])


def _event_source(argument: str, first: list[str], fields: list[str]) -> list[str]:
    """The lines of an event decoder ``decode(<argument>, originator_id,
    originator_version)``: ``first``, then the event built from the dict display
    ``fields`` (the position first, as the dataclass and pydantic order the fields)."""
    return [
        f"def decode({argument}, originator_id, originator_version):",
        *first,
        "    d = {",
        "        'originator_id': originator_id, 'originator_version': originator_version,",
        *fields,
        "    }",
        "    e = _new(cls)",
        "    _set(e, '__dict__', d)",
        "    return e",
    ]


_FAST_DECODERS: dict[tuple[type[Any], str], FastEventDecoder | None] = {}


def fast_event_decoder(cls: type[Any], sealed: str) -> FastEventDecoder | None:
    """The decoder of stored events of ``cls`` from their JSON as stored, made once:
    msgspec reads the JSON into a Struct of the stored shape, and the fields are converted
    from it as ``event_decoder`` converts them from the dict (a value object kept by its
    bytes as stored, no JSON written again to find it). It gives None for a stored event
    the mapper must open first, holding sealed fields (the key ``sealed``) or stored at
    another class version than ``cls``'s (to upcast; then ``event_decoder``), and raises
    one of ``FAST_MISSES`` for one it cannot read (``event_decoder`` reads it then, or
    refuses it). None for a class it cannot decode (not a dataclass; a field's name
    msgspec does not take)."""
    key = (cls, sealed)
    if key not in _FAST_DECODERS:
        _FAST_DECODERS[key] = _fast_event_decoder(cls, sealed)
    return _FAST_DECODERS[key]


def _fast_event_decoder(cls: type[Any], sealed: str) -> FastEventDecoder | None:
    if not dataclasses.is_dataclass(cls):
        return None
    fields = _event_fields(cls)
    if {"sealed__", "version__"} & {name for name, _, _ in fields}:
        return None
    code = _Code()
    code.scope.update(cls=cls, CV=getattr(cls, "class_version", 1))
    struct, built = _fast_fields(fields, code)
    struct += [
        ("sealed__", Raw, msgspec.field(default=UNSET, name=sealed)),
        ("version__", int, msgspec.field(default=UNSET, name="class_version")),
    ]
    read = _struct_decoder(cls.__name__, struct)
    if read is None:
        return None
    code.scope["read"] = read
    lines = _event_source(
        "data",
        [
            "    s = read(data)",
            "    if s.sealed__ is not UNSET or (1 if s.version__ is UNSET else s.version__) != CV:",
            "        return None",
        ],
        built,
    )
    code.run("\n".join(lines), f"fast decoder of {cls.__qualname__}")
    return typing.cast(FastEventDecoder, code.scope["decode"])
