"""What every projection shares: a pure fold, the key(s) an event folds into, and how
its frozen state is written as JSON.

A projection is ``initial(key) -> state`` and ``evolve(state, event) -> state`` over
frozen attrs state, plus ``keys(event, route)``: which rows of the view an event
changes (a plan, a citizen, a coordinator). It knows nothing of storage; the runner
(``oneplan.projections.runner``) loads, folds and writes rows, and tracks its position.
"""

from __future__ import annotations

import threading
import types
import typing
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast
from uuid import UUID

import attrs
import msgspec
import orjson
from cattrs.fns import identity
from cattrs.preconf.orjson import OrjsonConverter, configure_converter
from pydantic import BaseModel

from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan

__all__ = [
    "Fold",
    "KeysOf",
    "Projection",
    "Route",
    "RowCodec",
    "codec",
    "no_keys",
    "replace",
    "route_of",
]

S = TypeVar("S")
T = TypeVar("T")


@attrs.frozen
class Route:
    """Which plan and which citizens a stream (a plan, intervention or citizen) is about.

    Events after a stream's first do not repeat these ids, so the runner keeps the
    route of every stream and hands it to the projections with each event."""

    plan_id: UUID | None = None
    citizen_ids: tuple[UUID, ...] = ()


def route_of(event: Any, known: Route | None) -> Route | None:
    """The route of an event's stream after the event (None: not about a citizen)."""
    if isinstance(event, Plan.Opened):
        return Route(plan_id=event.originator_id, citizen_ids=event.citizen_ids)
    if isinstance(event, Intervention.Proposed):
        return Route(plan_id=event.plan_id, citizen_ids=(event.citizen_id,))
    if isinstance(event, Intervention.ProposedUnderSectorPlan):
        return Route(plan_id=None, citizen_ids=(event.citizen_id,))
    if isinstance(event, Citizen.Registered):
        return Route(plan_id=None, citizen_ids=(event.originator_id,))
    if isinstance(event, Citizen.JoinedPlan) and known is not None:
        return attrs.evolve(known, plan_id=event.plan_id)
    return known


KeysOf = Callable[[Any, Route | None], tuple[str, ...]]
"""``keys(event, route)`` of one view, for events of one class (``Fold.keys_for``)."""


def no_keys(event: Any, route: Route | None) -> tuple[str, ...]:
    """The ``KeysOf`` of a class of events that concern no row of a view."""
    return ()


class Projection(Protocol[S]):
    """A pure fold of events into rows of frozen state, one row per key."""

    name: ClassVar[str]
    """The view's name; its rows are stored under it."""
    version: ClassVar[int]
    """Bumped whenever the fold or the state's shape changes: the view is rebuilt."""
    state_type: ClassVar[type[Any]]

    def keys(self, event: Any, route: Route | None) -> tuple[str, ...]:
        """The rows this event changes (none: the event does not concern this view)."""
        ...

    def initial(self, key: str) -> S:
        """The row before any event."""
        ...

    def evolve(self, state: S, event: Any) -> S:
        """The row after the event. Pure: no clock, no I/O, no randomness."""
        ...


class Fold(Generic[S]):
    """A projection whose ``evolve`` dispatches on the event's class: register one
    function per event class with ``@on(EventClass)``; other events leave the row as is.

    The runner asks a Fold for ``keys`` only of events it ``handles`` (by default, the
    classes it registers a fold for), so its rows are made and changed by those alone;
    override ``handles`` for a view whose rows other events make (the audit index)."""

    name: ClassVar[str]
    version: ClassVar[int]
    state_type: ClassVar[type[Any]]
    _handlers: ClassVar[dict[type[Any], Callable[[Any, Any], Any]]]

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls._handlers = {}

    @classmethod
    def on(
        cls, *event_classes: type[Any]
    ) -> Callable[[Callable[[S, Any], S]], Callable[[S, Any], S]]:
        def register(fn: Callable[[S, Any], S]) -> Callable[[S, Any], S]:
            for event_class in event_classes:
                cls._handlers[event_class] = fn
            return fn

        return register

    def handles(self, event: Any) -> bool:
        return type(event) in self._handlers

    def keys(self, event: Any, route: Route | None) -> tuple[str, ...]:
        """The rows this event changes (none: the event does not concern this view).
        Every view says this itself (a ``Fold`` has no keys of its own to guess)."""
        raise NotImplementedError(f"{type(self).__name__} must define keys(event, route)")

    def keys_for(self, event_class: type[Any]) -> KeysOf:
        """``keys`` for events of ``event_class`` (the runner asks once per class): a view
        whose keys depend on the class can work that out here, once, and give a function
        that only reads the event; the same keys as ``keys``."""
        return self.keys

    def evolve(self, state: S, event: Any) -> S:
        handler = self._handlers.get(type(event))
        return state if handler is None else handler(state, event)


def _is_model(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, BaseModel)


@lru_cache(maxsize=65_536)
def _dump_equal_model(model: BaseModel) -> Any:
    return model.model_dump(mode="json")


class _ModelDumps:
    """A frozen value object as JSON-ready data; the same actors, legal bases and periods
    recur in thousands of rows, so their dumps are cached (never mutated by callers):
    by the object itself first (the trusted decoder gives the same object for a value
    stored again, and a value seen once, such as a read's items, is not hashed), then by
    equal value (pydantic hashes every field)."""

    size = 65_536

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[BaseModel, Any]] = {}

    def __call__(self, model: BaseModel) -> Any:
        found = self._by_id.get(id(model))
        if found is not None and found[0] is model:
            return found[1]
        data = _dump_equal_model(model)
        by_id = self._by_id
        if len(by_id) >= self.size:
            by_id.clear()
        by_id[id(model)] = (model, data)  # (the model is kept: its id is not reused)
        return data

    def cache_clear(self) -> None:
        """Forget every dump (a rebuild does at its end)."""
        self._by_id.clear()
        _dump_equal_model.cache_clear()


_dump_model = _ModelDumps()


_new = object.__new__
_set = object.__setattr__


class RowCodec(OrjsonConverter):
    """View state (frozen attrs holding frozen pydantic values) to JSON bytes and back.

    ``dumps`` writes the bytes cattrs and orjson would write, without cattrs building the
    unstructured row first: orjson walks the state itself and asks the codec only for what
    it cannot write (an attrs instance, by a function generated once per class that gives
    its fields by name; a frozen value object, by its JSON written once and kept,
    ``_written_once``), and a field whose declared type cattrs would write otherwise than
    orjson (a mapping keyed by dates, a class with a hook of its own) is unstructured by
    cattrs, so the bytes are the same (``tests/property/test_row_codec.py``). ``loads``
    reads **trusted** rows, those this codec wrote (view rows, snapshots of them): it
    decodes with msgspec straight into the attrs classes and builds the pydantic values
    without validating them again (they were validated when the event that carried them was
    made), sharing one instance of a value that recurs (the same actor on a thousand notes)
    through a memo of at most ``memo_size`` values. A state type whose classes have a hook
    of their own (``register_structure_hook``, as the journey's entries) is read through
    cattrs, which validates. What comes from outside is never read with ``loads``: parse it
    with pydantic at the boundary."""

    memo_size = 65_536
    """Values (actors, legal bases, periods, ...) the decoder keeps to share between
    rows; past it the memo is emptied and fills again as rows are read."""
    large_row = 64 * 1024
    """A row of at least this many bytes is kept decoded, by its bytes: the same bytes
    read again (a long plan's row, unchanged between reads) give the same state without
    decoding them (comparing bytes is a hundred times cheaper)."""
    large_rows_kept = 32
    """Large rows kept decoded; past it the least recently read is dropped."""
    fragments_kept = 32_768
    """Value objects whose JSON ``dumps`` keeps (``_written_once``); past it they are
    forgotten and written again as they recur."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._own_hooks: set[Any] = set()
        self._own_dumps: set[Any] = set()
        """Classes with an unstructure hook of their own (dumped through cattrs)."""
        self._dumpers: dict[type[Any], Callable[[Any], Any]] = {}
        self._fragments: dict[int, tuple[Any, orjson.Fragment]] = {}
        self._alike: dict[type[Any], type[Any]] = {}
        """Classes written as an attrs class with the same fields (``write_as``)."""
        self._default = self._make_default()  # type: ignore[method-assign,assignment]
        self._tracking_hooks = False
        """Set once the codec's own configuration is done: hooks registered after it are
        a state type's own (the journey's entries)."""
        self._decoders: dict[Any, msgspec.json.Decoder[Any] | None] = {}
        self._mirrors: dict[type[BaseModel], tuple[type[msgspec.Struct], tuple[str, ...]]] = {}
        self._memo: dict[tuple[Any, ...], BaseModel] = {}
        self._large: OrderedDict[tuple[Any, bytes], Any] = OrderedDict()
        self._lock = threading.Lock()

    def register_structure_hook(self, cl: Any, func: Any = None) -> Any:
        if self._tracking_hooks:
            with self._lock:
                self._own_hooks.add(cl)
                self._decoders.clear()
        return super().register_structure_hook(cl, func)

    def register_unstructure_hook(self, cls: Any = None, func: Any = None) -> Any:
        if self._tracking_hooks:
            with self._lock:
                self._own_dumps.add(cls)
                self._dumpers.clear()
        return super().register_unstructure_hook(cls, func)

    # --- writing -----------------------------------------------------------------

    def dumps(self, obj: Any, unstructure_as: Any = None, **kwargs: Any) -> bytes:
        """A row (an attrs instance) as the JSON bytes cattrs and orjson write (see the
        class); anything else, or with options, through cattrs."""
        cls = obj.__class__
        if unstructure_as is not None or kwargs or not (attrs.has(cls) or cls in self._alike):
            return super().dumps(obj, unstructure_as=unstructure_as, **kwargs)
        return orjson.dumps(obj, default=self._default, option=orjson.OPT_NON_STR_KEYS)

    def _default(self, obj: Any) -> Any:
        """What orjson cannot write itself, as what it can (called by orjson; ``__init__``
        puts a closure of the same in its place, a call cheaper for each object)."""
        cls = obj.__class__
        dumper = self._dumpers.get(cls)
        if dumper is None:
            dumper = self._dumper(cls)
        return dumper(obj)

    def _make_default(self) -> Callable[[Any], Any]:
        known = self._dumpers.get
        make = self._dumper

        def default(obj: Any) -> Any:
            dumper = known(obj.__class__)
            if dumper is None:
                dumper = make(obj.__class__)
            return dumper(obj)

        return default

    def _dumper(self, cls: type[Any]) -> Callable[[Any], Any]:
        dumper: Callable[[Any], Any]
        if _is_model(cls):
            dumper = self._model_dumper(cls) or _dump_model
            if cls.model_config.get("frozen"):
                dumper = self._written_once(dumper)
        elif cls is Decimal:
            dumper = str
        elif issubclass(cls, (set, frozenset)):
            dumper = list  # (as ``unstruct_collection_overrides``: in iteration order)
        elif attrs.has(cls) and cls not in self._own_dumps:
            dumper = self._attrs_dumper(cls)
        elif cls in self._alike:
            dumper = self._attrs_dumper(self._alike[cls])
        else:
            dumper = self.unstructure
        with self._lock:
            self._dumpers[cls] = dumper
        return dumper

    def write_as(self, cls: type[Any], like: type[Any]) -> None:
        """Write an instance of ``cls`` as the instance of attrs class ``like`` with the
        same fields: for a view's working rows (``oneplan.projections.working``), whose
        classes have the fields of the frozen ones by the same names, so that a working
        row is written without building the frozen row first (the same bytes)."""
        if not attrs.has(like) or like in self._own_dumps:
            raise TypeError(f"{like.__name__} is not an attrs class written field by field")
        with self._lock:
            self._alike[cls] = like
            self._dumpers.pop(cls, None)

    def _written_once(self, dumper: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """``dumper`` for a frozen value object, giving its JSON as a fragment that orjson
        copies as it is: written once for each object (kept by its id, as
        ``_ModelDumps``), so the same actor or period on a thousand rows is not walked
        a thousand times. The bytes are those orjson writes for what ``dumper`` gives,
        with the options of ``dumps``."""
        fragments = self._fragments
        default = self._default

        def dump(model: Any) -> Any:
            found = fragments.get(id(model))
            if found is not None and found[0] is model:
                return found[1]
            data = orjson.dumps(dumper(model), default=default, option=orjson.OPT_NON_STR_KEYS)
            # A copy of its own size: orjson's bytes keep the block it wrote into (about
            # 4 kB whatever the length), 120 MiB more at the peak of a rebuild if kept.
            fragment = orjson.Fragment(memoryview(data).tobytes())
            if len(fragments) >= self.fragments_kept:
                fragments.clear()
            fragments[id(model)] = (model, fragment)  # (the model is kept: its id is not reused)
            return fragment

        return dump

    def forget(self) -> None:
        """Forget the value objects' JSON kept (``_written_once``; a rebuild does at its
        end) and their cached dumps, and what reading rows kept: value objects read
        (``_value``'s memo: a consent giver's name among them) and large rows read
        (a runner folding an erasure calls this, so none outlives it in memory)."""
        self._fragments.clear()
        _dump_model.cache_clear()
        with self._lock:
            self._memo.clear()
            self._large.clear()

    def _attrs_dumper(self, cls: type[Any]) -> Callable[[Any], Any]:
        """A function giving an instance of ``cls`` as the dict of its fields, each as
        it is (orjson writes it, or asks ``_default``) where orjson writes it as cattrs
        would, else unstructured by cattrs for its declared type."""
        hints = typing.get_type_hints(cls)
        scope: dict[str, Any] = {}
        items = []
        for n, field in enumerate(attrs.fields(cls)):
            tp = hints.get(field.name, field.type)
            value = f"inst.{field.name}"
            if not self._as_orjson_writes(tp):
                scope[f"h{n}"] = self.get_unstructure_hook(tp)
                value = f"h{n}({value})"
            items.append(f"{field.name!r}: {value}")
        source = f"def dump(inst):\n    return {{{', '.join(items)}}}"
        exec(source, scope)  # generated from the attrs fields (identifiers), not from input
        return cast(Callable[[Any], Any], scope["dump"])

    def _model_dumper(self, cls: type[BaseModel]) -> Callable[[Any], Any] | None:
        """A function giving a value object of ``cls`` as the dict of its fields, each
        as it is, where orjson writes every field as pydantic's ``model_dump(mode="json")``
        gives it (None: a model that pydantic writes otherwise, with serializers, aliases,
        computed or extra fields, or a field such as a datetime or a Decimal, which
        pydantic writes in a form of its own)."""
        if (
            cls.__pydantic_root_model__
            or cls.model_config.get("extra") == "allow"
            or _serializes_itself(cls.__pydantic_core_schema__)
        ):
            return None
        names = []
        for name, info in cls.model_fields.items():
            if info.alias is not None or info.serialization_alias is not None or info.exclude:
                return None
            if not _model_field_as_orjson_writes(info.annotation):
                return None
            names.append(name)
        items = ", ".join(f"{name!r}: d[{name!r}]" for name in names)
        scope: dict[str, Any] = {}
        source = f"def dump(model):\n    d = model.__dict__\n    return {{{items}}}"
        exec(source, scope)  # generated from the model's field names, not from input
        return cast(Callable[[Any], Any], scope["dump"])

    def _as_orjson_writes(self, tp: Any) -> bool:
        """Whether a value of declared type ``tp``, handed to orjson as it is (with
        ``_default``), is written as cattrs would write it."""
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            return self._as_orjson_writes(typing.get_args(tp)[0])
        if origin is None:
            if tp in (str, int, float, bool, type(None), None, UUID, datetime, date, Decimal):
                return True
            if isinstance(tp, type) and issubclass(tp, Enum):
                return self.get_unstructure_hook(tp) is identity
            if _is_model(tp):
                return True
            return attrs.has(tp) and tp not in self._own_dumps
        args = typing.get_args(tp)
        if origin in (typing.Union, types.UnionType):
            return all(self._as_orjson_writes(a) for a in args)
        if origin in (tuple, list, frozenset, set, AbstractSet):
            items = args[:1] if len(args) == 2 and args[1] is Ellipsis else args
            return all(self._as_orjson_writes(a) for a in items)
        if origin is dict and len(args) == 2:
            key, value = args
            # cattrs writes a key with str() (a str enum: its value), as orjson does
            # these; a date key it would write otherwise.
            keyed = (
                key is str
                or key is UUID
                or (isinstance(key, type) and issubclass(key, str) and issubclass(key, Enum))
            )
            return keyed and self._as_orjson_writes(value)
        return False

    # --- reading -----------------------------------------------------------------

    def loads(self, data: bytes | bytearray | memoryview | str, cl: type[T]) -> T:
        """A trusted row of state ``cl`` from its bytes (see the class)."""
        decoder = self._decoders[cl] if cl in self._decoders else self._decoder(cl)
        if decoder is None:
            return super().loads(data, cl)
        if len(data) < self.large_row or not isinstance(data, bytes):
            return cast(T, decoder.decode(data))
        key = (cl, data)
        with self._lock:
            found = self._large.get(key)
            if found is not None:
                self._large.move_to_end(key)
                return cast(T, found)
        state = decoder.decode(data)
        with self._lock:
            self._large[key] = state
            while len(self._large) > self.large_rows_kept:
                self._large.popitem(last=False)
        return cast(T, state)

    def loads_validated(self, data: bytes | bytearray | memoryview | str, cl: type[T]) -> T:
        """The same row read through cattrs and pydantic, every value validated (slower:
        for rows not known to be this codec's own, and to check ``loads`` against)."""
        return super().loads(data, cl)

    # --- the trusted decoder -------------------------------------------------------

    def _decoder(self, cl: Any) -> msgspec.json.Decoder[Any] | None:
        decoder = (
            msgspec.json.Decoder(cl, dec_hook=self._value)
            if attrs.has(cl) and not self._has_own_hook(cl, set())
            else None
        )
        with self._lock:
            self._decoders[cl] = decoder
        return decoder

    def _has_own_hook(self, tp: Any, seen: set[Any]) -> bool:
        """Whether ``tp``, or a type it holds, is read by a hook registered here."""
        if tp in seen:
            return False
        seen.add(tp)
        if tp in self._own_hooks:
            return True
        if attrs.has(tp):
            hints = typing.get_type_hints(tp)
            return any(self._has_own_hook(hints[f.name], seen) for f in attrs.fields(tp))
        if _is_model(tp) or isinstance(tp, type):
            return False
        return any(self._has_own_hook(arg, seen) for arg in typing.get_args(tp))

    def _value(self, cls: type[Any], obj: Any) -> Any:
        """msgspec's hook for what it cannot build itself: a pydantic value, built from
        its stored fields without validation (they were written by ``model_dump``)."""
        if not _is_model(cls) or not isinstance(obj, dict):
            # (a TypeError in a hook is reported by msgspec as the row's ValidationError,
            # a ValueError naming where in the row: a malformed row, never a crash)
            raise TypeError(f"expected {cls.__name__} as an object, got {type(obj).__name__}")
        try:
            key: tuple[Any, ...] | None = (
                cls,
                *[tuple(v) if v.__class__ is list else v for v in obj.values()],
            )
            found = self._memo.get(key)  # type: ignore[arg-type]
        except TypeError:  # a nested value (a dict): not kept
            key, found = None, None
        if found is not None:
            return found
        mirror = self._mirrors.get(cls)
        if mirror is None:
            mirror = self._mirrors[cls] = _mirror(cls)
        struct, names = mirror
        fields = msgspec.convert(obj, struct, dec_hook=self._value)
        value = _new(cls)
        _set(value, "__dict__", {n: getattr(fields, n) for n in names})
        _set(value, "__pydantic_fields_set__", set(names))
        _set(value, "__pydantic_extra__", None)
        _set(value, "__pydantic_private__", None)
        if key is not None:
            if len(self._memo) >= self.memo_size:
                self._memo.clear()
            self._memo[key] = value
        return value


def _serializes_itself(schema: Any) -> bool:
    """Whether a pydantic core schema holds a serializer of its own (a field or model
    serializer, a computed field) anywhere."""
    if isinstance(schema, dict):
        if "serialization" in schema or schema.get("computed_fields"):
            return True
        return any(_serializes_itself(value) for value in schema.values())
    if isinstance(schema, list | tuple):
        return any(_serializes_itself(value) for value in schema)
    return False


def _model_field_as_orjson_writes(tp: Any) -> bool:
    """Whether orjson writes a value of a value object's field of type ``tp`` as
    pydantic's JSON mode gives it (a nested value object: asked again, by ``_default``)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _model_field_as_orjson_writes(typing.get_args(tp)[0])
    if origin is None:
        if tp in (str, int, bool, type(None), None, UUID, date):
            return True
        return isinstance(tp, type) and (issubclass(tp, Enum) or _is_model(tp))
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return all(_model_field_as_orjson_writes(a) for a in args)
    if origin in (tuple, list, frozenset, set, AbstractSet):
        items = args[:1] if len(args) == 2 and args[1] is Ellipsis else args
        return all(_model_field_as_orjson_writes(a) for a in items)
    if origin is typing.Literal:
        return all(type(a) in (str, int, bool) for a in args)
    return False


def _mirror(cls: type[BaseModel]) -> tuple[type[msgspec.Struct], tuple[str, ...]]:
    """A msgspec struct with the fields of pydantic model ``cls`` (their types, less
    pydantic's constraints), to decode its stored fields into."""
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for name, info in cls.model_fields.items():
        kind = _unconstrained(info.annotation)
        fields.append((name, kind) if info.is_required() else (name, kind, info.default))
    return msgspec.defstruct(f"Stored{cls.__name__}", fields), tuple(cls.model_fields)


def _unconstrained(tp: Any) -> Any:
    """``tp`` with pydantic's ``Annotated`` constraints taken off (msgspec ignores what it
    does not know, but a row is not checked again)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unconstrained(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        args = tuple(_unconstrained(a) for a in typing.get_args(tp))
        return typing.Union[args]  # noqa: UP007 (built from a tuple)
    if origin is not None:
        args = tuple(_unconstrained(a) for a in typing.get_args(tp))
        return origin[args] if args else tp
    return tp


def _make_codec() -> RowCodec:
    # orjson writes UUIDs, dates and datetimes itself (RFC 3339); these read them back.
    converter = RowCodec(unstruct_collection_overrides={AbstractSet: list})
    configure_converter(converter)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_unstructure_hook_func(_is_model, _dump_model)
    converter.register_structure_hook(UUID, lambda value, _: UUID(value))
    converter.register_structure_hook(Decimal, lambda value, _: Decimal(value))
    converter.register_structure_hook(date, lambda value, _: date.fromisoformat(value))
    converter.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))
    converter.register_structure_hook_func(_is_model, lambda value, cls: cls.model_validate(value))
    converter._tracking_hooks = True
    return converter


_REPLACERS: dict[tuple[type[Any], tuple[str, ...]], Callable[[Any, dict[str, Any]], Any]] = {}


def _replacer(cls: type[Any], changed: tuple[str, ...]) -> Callable[[Any, dict[str, Any]], Any]:
    """A function that copies an instance of ``cls`` with the fields ``changed`` taken
    from a dict: written out field by field for this class and these fields (generated
    once for each, as attrs writes its ``__init__``)."""
    names = tuple(f.name for f in attrs.fields(cast(Any, cls)))
    unknown = set(changed) - set(names)
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {sorted(unknown)}")
    lines = ["def replace(inst, changes):", "    twin = new(cls)"]
    lines += [
        f"    setattr(twin, {n!r}, changes[{n!r}])"
        if n in changed
        else f"    setattr(twin, {n!r}, inst.{n})"
        for n in names
    ]
    lines.append("    return twin")
    scope: dict[str, Any] = {"cls": cls, "new": object.__new__, "setattr": object.__setattr__}
    exec("\n".join(lines), scope)  # the names are attrs fields (identifiers), not input
    return cast(Callable[[Any, dict[str, Any]], Any], scope["replace"])


def replace(inst: T, **changes: Any) -> T:
    """``attrs.evolve`` for frozen view state, without running ``__init__`` again: a copy
    with ``changes`` applied (the hot path of every fold)."""
    key = (type(inst), tuple(changes))
    fn = _REPLACERS.get(key)
    if fn is None:
        fn = _REPLACERS[key] = _replacer(*key)
    return cast(T, fn(inst, changes))


codec = _make_codec()
"""Writes view state (frozen attrs) to JSON bytes and back, exactly: ``codec.dumps(state)``
and ``codec.loads(data, StateClass)`` (a trusted row, not validated again: ``RowCodec``)."""
