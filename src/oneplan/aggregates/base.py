"""What every oneplan aggregate and event shares: an actor and an effective time."""

from __future__ import annotations

from contextlib import AbstractContextManager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar, Self
from uuid import UUID

from eventsourcing.domain import Aggregate

from oneplan.aggregates.personal import Personal, person
from oneplan.errors import EffectiveTimeInvalid, InvalidInput, OutOfOrderInEffectiveTime
from oneplan.values import Actor, ActorKind

__all__ = [
    "RECORDING_TIME",
    "OnePlanAggregate",
    "recording",
    "require_caseworker",
    "require_in_course_order",
    "require_text",
    "stepped",
]

RECORDING_TIME: ContextVar[datetime | None] = ContextVar("oneplan_recording_time", default=None)
"""The recorded time of the events being created (``recording``; ``OnePlan._run`` sets it
directly, once per command)."""


def recording(at: datetime) -> AbstractContextManager[None]:
    """Give every event created inside the block the recorded time ``at``, so that the
    events one command saves atomically also share one recorded time."""
    return _Recording(at)


class _Recording(AbstractContextManager[None]):
    """``recording``'s block (a class: cheaper than a generator, once per command)."""

    __slots__ = ("at", "token")

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.token: Token[datetime | None] | None = None

    def __enter__(self) -> None:
        self.token = RECORDING_TIME.set(self.at)

    def __exit__(self, *exc_info: object) -> None:
        assert self.token is not None
        RECORDING_TIME.reset(self.token)


class OnePlanAggregate(Aggregate):
    """Base of Citizen, Plan and Intervention.

    Every event records who made the change (``actor``) and when it happened in the
    citizen's course (``effective_at``), besides the recorded ``timestamp``.
    """

    class Event(Aggregate.Event):
        actor: Actor
        effective_at: datetime

        personal: ClassVar[Personal] = {"actor": person()}
        """Personal fields (``oneplan.aggregates.personal``): sealed under the citizen's
        data key when stored, read as their erased placeholder once it is destroyed."""

        @staticmethod
        def create_timestamp() -> datetime:
            """The recorded time: one for all the events a command saves together."""
            return RECORDING_TIME.get() or datetime.now(UTC)

    class Created(Event, Aggregate.Created):
        def apply(self, aggregate: Any) -> None:
            aggregate.began_at = self.effective_at

    if not TYPE_CHECKING:  # (for mypy they stay eventsourcing's own)
        # eventsourcing's ``version`` and ``pending_events`` are Python getters, read
        # several times a command (by every event's ``trigger_event`` and ``mutate``
        # too): the same attributes, read by C code. (eventsourcing refuses an ``id``.)
        version = property(
            attrgetter("_version"), Aggregate.version.fset, doc=Aggregate.version.__doc__
        )
        pending_events = property(
            attrgetter("_pending_events"), doc=Aggregate.pending_events.__doc__
        )

    def __init__(self) -> None:
        self.began_at: datetime | None = None
        """When this aggregate's course began (the effective time of its first event)."""

    @classmethod
    def _begin(
        cls,
        event_class: type[Any],
        /,
        *,
        id: UUID,
        actor: Actor,
        effective_at: datetime,
        **fields: Any,
    ) -> Self:
        """Check the effective time, then create the aggregate with its first event."""
        if effective_at.tzinfo is None:
            raise EffectiveTimeInvalid.because(event_class.__name__, "must be timezone-aware")
        return cls._create(event_class, id=id, actor=actor, effective_at=effective_at, **fields)

    def clone(self) -> Self:
        """A copy that shares the immutable values and copies the mutable containers.

        Apply methods only ever replace values or assign into top-level dicts, so
        copying those dicts is enough for the copy and the original to evolve apart.
        """
        twin = object.__new__(type(self))
        state = self.__dict__.copy()
        for name, value in self.__dict__.items():
            if type(value) is dict:
                state[name] = value.copy()
        state["_pending_events"] = []
        twin.__dict__ = state
        return twin

    def collect_events(self) -> list[Any]:
        """The pending events, oldest first, leaving none (eventsourcing's pops them one
        at a time from the front)."""
        collected = self._pending_events
        self._pending_events = []
        return collected

    def _record(
        self, event_class: type[Any], /, *, actor: Actor, effective_at: datetime, **fields: Any
    ) -> None:
        """Check the effective time, then trigger the event."""
        self._check_effective_at(event_class.__name__, effective_at)
        self.trigger_event(event_class, actor=actor, effective_at=effective_at, **fields)

    def _check_effective_at(self, what: str, effective_at: datetime) -> None:
        if effective_at.tzinfo is None:
            raise EffectiveTimeInvalid.because(what, "must be timezone-aware")
        if self.began_at is not None and effective_at < self.began_at:
            raise EffectiveTimeInvalid.because(
                what, f"is before the course began ({self.began_at.isoformat()})"
            )


def require_caseworker(command: str, field: str, actor: Actor) -> None:
    """Interventions, plans and meetings are held by caseworkers, not by citizens."""
    if actor.kind is not ActorKind.CASEWORKER:
        raise InvalidInput(command, [{"loc": (field,), "msg": "must be a caseworker"}])


def require_text(command: str, field: str, value: str) -> str:
    """A reason or note the domain asks for: not blank."""
    if not value or not value.strip():
        raise InvalidInput(command, [{"loc": (field,), "msg": "must not be blank"}])
    return value.strip()


def stepped(aggregate: Any, step: str, at: datetime) -> None:
    """Keep a plan's or an intervention's latest status step in effective time
    (``last_step``, ``last_step_at``; a stream recorded before rule 15 was checked may
    hold its steps out of order: the latest is still the latest)."""
    if aggregate.last_step_at is None or at >= aggregate.last_step_at:
        aggregate.last_step, aggregate.last_step_at = step, at


def require_in_course_order(
    aggregate: Any, command: str, event: type[Any], effective_at: datetime, **ids: Any
) -> None:
    """Rule 15: a status step of a plan or an intervention is not effective before the
    latest one recorded (a resume before its pause or hold, a start before its schedule,
    an end before a resume would each contradict the course as recorded)."""
    aggregate._check_effective_at(event.__name__, effective_at)
    last_at: datetime | None = aggregate.last_step_at
    if last_at is not None and effective_at < last_at:
        raise OutOfOrderInEffectiveTime(
            f"{command}: {type(aggregate).__name__.lower()} {aggregate.id} at "
            f"{effective_at.isoformat()} would come before its step {aggregate.last_step} "
            f"recorded effective {last_at.isoformat()}; its steps are in the order of the "
            "course",
            command=command,
            effective_at=effective_at,
            recorded_step=aggregate.last_step or "",
            recorded_at=last_at,
            recorded_in=aggregate.id,
            **ids,
        )
