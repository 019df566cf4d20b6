"""What every projection shares: a pure fold, the key(s) an event folds into, and how
its frozen state is written as JSON.

A projection is ``initial(key) -> state`` and ``evolve(state, event) -> state`` over
frozen attrs state, plus ``keys(event, route)``: which rows of the view an event
changes (a plan, a citizen, a coordinator). It knows nothing of storage; the runner
(``oneplan.projections.runner``) loads, folds and writes rows, and tracks its position.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast
from uuid import UUID

import attrs
from cattrs.preconf.orjson import make_converter
from pydantic import BaseModel

from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan

__all__ = ["Fold", "Projection", "Route", "codec", "replace", "route_of"]

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

    def evolve(self, state: S, event: Any) -> S:
        handler = self._handlers.get(type(event))
        return state if handler is None else handler(state, event)


def _is_model(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, BaseModel)


@lru_cache(maxsize=65_536)
def _dump_model(model: BaseModel) -> Any:
    """A frozen value object as JSON-ready data; the same actors, legal bases and periods
    recur in thousands of rows, so their dumps are cached (never mutated by callers)."""
    return model.model_dump(mode="json")


def _make_codec() -> Any:
    # orjson writes UUIDs, dates and datetimes itself (RFC 3339); these read them back.
    converter = make_converter()
    converter.register_structure_hook(UUID, lambda value, _: UUID(value))
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(Decimal, lambda value, _: Decimal(value))
    converter.register_structure_hook(date, lambda value, _: date.fromisoformat(value))
    converter.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))
    converter.register_unstructure_hook_func(_is_model, _dump_model)
    converter.register_structure_hook_func(_is_model, lambda value, cls: cls.model_validate(value))
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
and ``codec.loads(data, StateClass)``."""
