"""How a use case is written once: parse, resolve the caller, check its policy, decide,
save.

A command handler is a method of an area (``citizens``, ``plans``, ...) decorated with
``@command(Model)``: the decorator gives it the public shape (a command object or
keyword fields), parses the input with pydantic (``InvalidInput`` naming the field),
and runs the handler inside ``OnePlan``'s decide-and-save loop (atomic, retried on a
version conflict where safe, idempotent by ``command_id``). The handler receives a
``Deciding``: the aggregates loaded so far, the effective time, and the **caller**: the
principal resolved against the record at that time (``oneplan.policies.Caller``). It
checks its policy first (a named rule from ``oneplan.policies``), then lets the
aggregates decide, with the ``Actor`` the record gives the caller.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload
from uuid import UUID

from pydantic import BaseModel, ValidationError

from oneplan import commands as c
from oneplan.aggregates.base import OnePlanAggregate
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.staff import StaffMember, staff_member_id
from oneplan.errors import EffectiveTimeInvalid, InvalidInput, NotFound, StaffNotFound
from oneplan.policies import Caller, citizen_acts_for_self_or_child_in_custody
from oneplan.principals import (
    CitizenPrincipal,
    Principal,
    StaffPrincipal,
    SystemPrincipal,
)
from oneplan.values import Actor, ActorKind, MeetingAttendee, Responsibility

if TYPE_CHECKING:
    from oneplan.application import OnePlan, _Work

__all__ = ["Area", "Deciding", "command", "parse"]

A = TypeVar("A", bound=OnePlanAggregate)
C = TypeVar("C", bound=c.Command)
M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


class _Load(Protocol):
    def __call__(self, cls: type[A], aggregate_id: UUID, /) -> A: ...


class Deciding:
    """One attempt at deciding a command: what it loaded, its effective time, and who
    sent it as the record says at that time."""

    __slots__ = ("_actor", "_caller", "add", "at", "get", "principal", "read", "work")

    def __init__(self, principal: Principal, work: _Work, at: datetime) -> None:
        self.principal = principal
        self.work = work
        self.at = at
        self._caller: Caller | None = None
        self._actor: Actor | None = None
        self.get: _Load = work.get
        """An aggregate this command may change (``_Work.get``)."""
        self.read: _Load = work.peek
        """An aggregate this command only reads and never changes (``_Work.peek``)."""
        self.add: Callable[[OnePlanAggregate], None] = work.add
        """A new aggregate this command creates."""

    @property
    def caller(self) -> Caller:
        """The principal, with their staff record when they are staff (rule 11)."""
        caller = self._caller
        if caller is None:
            p = self.principal
            staff = None
            if isinstance(p, StaffPrincipal):
                try:  # (``staff(changing=False)``, once a command)
                    staff = self.work.peek(StaffMember, staff_member_id(p.staff_id))
                except NotFound:
                    raise StaffNotFound(p.staff_id) from None
            caller = self._caller = Caller(p, self.at, staff)
        return caller

    def staff(self, staff_id: str, *, changing: bool = True) -> StaffMember:
        """A staff member's record; ``StaffNotFound`` if the directory has none. With
        ``changing=False``, one only read (a caller's, a colleague named in a command)."""
        try:
            if changing:
                return self.work.get(StaffMember, staff_member_id(staff_id))
            return self.work.peek(StaffMember, staff_member_id(staff_id))
        except NotFound:
            raise StaffNotFound(staff_id) from None

    def staff_actor(self, staff_id: str) -> Actor:
        """A staff member named in a command, as the directory gives them at the effective
        time (their sector and their authorities then)."""
        member = self.staff(staff_id, changing=False)
        if not member.active_at(self.at):
            raise StaffNotFound(staff_id)
        return member.actor_at(self.at)

    @property
    def actor(self) -> Actor:
        """Who the events record as having made the change: derived from the principal
        and the record, never from input."""
        actor = self._actor
        if actor is None:
            actor = self._actor = self._derive_actor()
        return actor

    def _derive_actor(self) -> Actor:
        p = self.principal
        caller = self._caller or self.caller
        if caller.staff is not None:
            if not caller.active:
                raise caller.refuse(
                    f"act at {self.at.isoformat()}: not in the staff directory then",
                    "staff_only",
                )
            return caller.staff.actor_at(self.at)
        if isinstance(p, SystemPrincipal):
            return Actor(id=p.job, kind=ActorKind.SYSTEM)
        if isinstance(p, CitizenPrincipal):
            return Actor(id=str(p.citizen_id), kind=ActorKind.CITIZEN)
        raise caller.refuse("write to the record: auditors read only", "auditors_read_only")

    def actor_for(self, citizen: Citizen) -> Actor:
        """The actor of a citizen principal acting on ``citizen``'s record: the citizen
        themself, or a holder of their custody (rule 13). Staff act as themselves."""
        if isinstance(self.principal, CitizenPrincipal):
            as_holder = citizen_acts_for_self_or_child_in_custody(self.caller, citizen)
            kind = ActorKind.GUARDIAN if as_holder else ActorKind.CITIZEN
            return Actor(id=str(self.principal.citizen_id), kind=kind)
        return self.actor

    def responsibilities(
        self, given: tuple[c.ResponsibilityFor, ...]
    ) -> tuple[Responsibility, ...]:
        """A meeting's responsibilities with each caseworker read from the directory."""
        return tuple(
            Responsibility(
                intervention_id=r.intervention_id, caseworker=self.staff_actor(r.caseworker)
            )
            for r in given
        )

    def attendees(self, given: tuple[MeetingAttendee, ...]) -> tuple[MeetingAttendee, ...]:
        """A meeting's attendees; a caseworker's sector is read from the directory."""
        found = []
        for who in given:
            if who.kind is ActorKind.CASEWORKER:
                who = MeetingAttendee(id=who.id, sector=self.staff_actor(who.id).sector)
            found.append(who)
        return tuple(found)


class Area:
    """The use cases of one area, sent by one principal (``OnePlan.as_(principal)``)."""

    def __init__(self, app: OnePlan, principal: Principal) -> None:
        if not isinstance(principal, Principal) or type(principal) is Principal:
            raise InvalidInput(
                "Principal",
                [{"loc": ("principal",), "msg": "use Principal.staff/citizen/auditor/system"}],
            )
        self.app = app
        self.principal = principal

    def _send(
        self,
        cmd: c.Command,
        decide: Callable[[Deciding], R],
        load: Callable[[str], R],
    ) -> R:
        """Decide and save ``cmd`` for this principal (``OnePlan._run``)."""
        return self.app._run(cmd, decide, load, self.principal)

    def caller_now(self) -> Caller:
        """The principal resolved against the record now, for what is no command on one
        aggregate (reads, erasure, keys): ``StaffNotFound`` for a staff id the directory
        does not hold now."""
        at = self.app.clock()
        staff = None
        if isinstance(self.principal, StaffPrincipal):
            try:
                staff = self.app._load(StaffMember, staff_member_id(self.principal.staff_id))
            except NotFound:
                raise StaffNotFound(self.principal.staff_id) from None
            if not staff.active_at(at):
                raise StaffNotFound(self.principal.staff_id)
        return Caller(self.principal, at, staff)


@overload
def command(
    model: type[C],
) -> Callable[[Callable[[Any, C, Deciding], UUID]], Callable[..., UUID]]: ...


@overload
def command(
    model: type[C], result: Callable[[str], R]
) -> Callable[[Callable[[Any, C, Deciding], R]], Callable[..., R]]: ...


def command(model: type[C], result: Callable[[str], Any] = UUID) -> Any:
    """Make ``handler(self, cmd, deciding)`` the public command method of its area:
    ``area.name(command=None, /, **fields)``, parsed, decided and saved atomically."""

    def decorate(handler: Callable[[Any, C, Deciding], Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def send(self: Area, command: C | None = None, /, **fields: Any) -> Any:
            cmd = parse(model, command, fields)
            return self._send(cmd, functools.partial(handler, self, cmd), result)

        del send.__wrapped__  # (the public signature is the command's, not the handler's)
        send.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY),
                inspect.Parameter(
                    "command",
                    inspect.Parameter.POSITIONAL_ONLY,
                    default=None,
                    annotation=f"{model.__name__} | None",
                ),
                inspect.Parameter("fields", inspect.Parameter.VAR_KEYWORD, annotation=Any),
            ],
            return_annotation=inspect.signature(handler).return_annotation,
        )
        send.command_model = model  # type: ignore[attr-defined]
        return send

    return decorate


def parse(model: type[M], command: M | None, fields: Mapping[str, Any]) -> M:
    """Parse outside input into a command, or raise ``InvalidInput`` naming the fields."""
    if command is not None:
        if fields:
            raise InvalidInput(
                model.__name__, [{"loc": (), "msg": "give a command or fields, not both"}]
            )
        if not isinstance(command, model):
            raise InvalidInput(model.__name__, [{"loc": (), "msg": f"expected {model.__name__}"}])
        parsed = command
    else:
        if "actor" in fields and issubclass(model, c.Command):
            raise InvalidInput(
                model.__name__,
                [
                    {
                        "loc": ("actor",),
                        "msg": "a command does not say who sends it: send it as a principal "
                        "(app.as_(Principal.staff(...)))",
                    }
                ],
            )
        try:
            parsed = model.__pydantic_validator__.validate_python(fields)  # (model_validate)
        except ValidationError as e:
            errors = [
                {"loc": err["loc"], "msg": err["msg"], "type": err["type"]} for err in e.errors()
            ]
            raise refusal(model.__name__, errors) from None
    if isinstance(parsed, c.Command):
        out_of_range = c.dates_out_of_range(parsed)
        if out_of_range:
            raise refusal(model.__name__, out_of_range)
    return parsed


def refusal(command: str, errors: list[dict[str, Any]]) -> InvalidInput:
    """The typed error for ``errors``: ``EffectiveTimeInvalid`` when one is about
    ``effective_at``, else ``InvalidInput``."""
    if any(tuple(err["loc"])[:1] == ("effective_at",) for err in errors):
        return EffectiveTimeInvalid(command, errors)
    return InvalidInput(command, errors)
