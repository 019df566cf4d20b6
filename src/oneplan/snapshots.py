"""Snapshots of long-lived plans and interventions: a cache of an aggregate's state at a
version, so that reading it (now, or as it stood at a recorded time) folds only the
events after the snapshot.

- Every ``ONEPLAN_SNAPSHOT_INTERVAL`` events (default 100; 0: none) of a plan or an
  intervention, after the save that wrote the event, its state at that version is
  stored in the snapshot table beside the events (eventsourcing's snapshot store). The
  snapshot is written after the events commit, not with them: one that is missing (a
  crash in between, a failed write) only means a longer fold.
- A snapshot is sealed like an event (``oneplan.persistence``): its whole state is one
  personal field, sealed under the stream owner's data key, and a household member's
  own wishes are sealed under that member's key. Once the owner's key is destroyed
  (erasure) the state reads as None and the snapshot is not used: the aggregate is
  folded from its events, which read as their erased placeholders. The snapshot table is
  not the notification log, so the audit chain never covers (or notices) snapshots.
- The state is written with the view codec (``oneplan.projections.base.codec``) from a
  declared schema of the aggregate's attributes (``PLAN_STATE``, ``INTERVENTION_STATE``);
  a snapshot records the schema's fingerprint and is ignored once the schema changes, so
  a snapshot never needs an upcast: it is a cache, the events stay the record.
- ``recorded_until`` is the latest recorded time (``timestamp``) among the events the
  snapshot folds. A read as of a recorded time uses the latest snapshot whose
  ``recorded_until`` is at or before it (so it folds exactly the events a fold from
  the start would), then folds the rest of the stream.
"""

from __future__ import annotations

import hashlib
import types
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar, Union, get_args, get_origin
from uuid import UUID

import attrs
import orjson
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from oneplan.aggregates.base import OnePlanAggregate
from oneplan.aggregates.intervention import CostEntry, Decision, Dependency, Intervention
from oneplan.aggregates.personal import Personal, PersonalField, texts_by_citizen
from oneplan.aggregates.plan import Goal, Meeting, Participant, Plan
from oneplan.projections.base import codec
from oneplan.values import (
    Actor,
    BudgetArea,
    InterventionOutcome,
    InterventionStatus,
    LegalBasis,
    Money,
    OverarchingGoal,
    Period,
    PlanOutcome,
    PlanStatus,
    Sector,
    SectorPlanRef,
)

__all__ = [
    "DEFAULT_SNAPSHOT_INTERVAL",
    "INTERVENTION_STATE",
    "PLAN_STATE",
    "SNAPSHOT_INTERVAL_VARIABLE",
    "AggregateSnapshot",
    "SnapshotSchemaOutdated",
    "recorded_until",
    "snapshot_interval",
    "snapshotted",
]

SNAPSHOT_INTERVAL_VARIABLE = "ONEPLAN_SNAPSHOT_INTERVAL"
DEFAULT_SNAPSHOT_INTERVAL = 100
"""A snapshot every this many events of a plan or an intervention."""

_COMMON: dict[str, Any] = {
    "_created_on": datetime,
    "_modified_on": datetime,
    "began_at": datetime | None,
}

PLAN_STATE: dict[str, Any] = {
    **_COMMON,
    "citizen_ids": tuple[UUID, ...],
    "status": PlanStatus,
    "replaces": tuple[SectorPlanRef, ...],
    "legal_bases": tuple[LegalBasis, ...],
    "consent_ids": tuple[UUID, ...],
    "overarching_goal": OverarchingGoal | None,
    "coordinator": Actor | None,
    "opened_by": str | None,
    "participants": dict[str, Participant],
    "goals": dict[UUID, Goal],
    "meetings": tuple[Meeting, ...],
    "intervention_ids": tuple[UUID, ...],
    "delivered_versions": int,
    "hold_reason": str | None,
    "outcome": PlanOutcome | None,
    "closed_at": datetime | None,
    "coordinator_changes": int,
    "archived_at": datetime | None,
}
"""A plan's attributes and their types, but ``wishes`` (each citizen's own: a snapshot
field of its own, sealed per citizen)."""

INTERVENTION_STATE: dict[str, Any] = {
    **_COMMON,
    "plan_id": UUID | None,
    "sector_plan": SectorPlanRef | None,
    "citizen_id": UUID,
    "sector": Sector,
    "legal_basis": LegalBasis,
    "title": str,
    "goal_ids": tuple[UUID, ...],
    "responsible": Actor,
    "planned_period": Period,
    "planned_cost": Money,
    "budget_area": BudgetArea,
    "status": InterventionStatus,
    "decision": Decision | None,
    "scheduled_start": date | None,
    "started_at": datetime | None,
    "ended_at": datetime | None,
    "pause_reason": str | None,
    "expected_resume": date | None,
    "paused_at": datetime | None,
    "outcome": InterventionOutcome | None,
    "end_reason": str | None,
    "actual_costs": tuple[CostEntry, ...],
    "dependencies": tuple[Dependency, ...],
    "last_step": str | None,
    "last_step_at": datetime | None,
    "responsible_since": datetime | None,
}

_SCHEMAS: dict[type[OnePlanAggregate], dict[str, Any]] = {
    Plan: PLAN_STATE,
    Intervention: INTERVENTION_STATE,
}
_SEPARATE: dict[type[OnePlanAggregate], str] = {Plan: "wishes"}
"""Attributes stored in a snapshot field of their own (sealed per citizen)."""
_BOOKKEEPING = {"_id", "_version", "_pending_events"}


class SnapshotSchemaOutdated(TypeError):
    """An aggregate holds an attribute its snapshot schema does not declare (a
    programming error: declare it in ``oneplan.snapshots``)."""


def snapshotted() -> tuple[type[OnePlanAggregate], ...]:
    """The aggregate classes that are snapshotted."""
    return tuple(_SCHEMAS)


def snapshot_interval(settings: Mapping[str, str]) -> int:
    """The interval ``ONEPLAN_SNAPSHOT_INTERVAL`` in ``settings`` names (0: none).

    Raises ``ValueError`` for anything but a whole number of at least 0."""
    raw = settings.get(SNAPSHOT_INTERVAL_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_SNAPSHOT_INTERVAL
    value = int(raw)
    if value < 0:
        raise ValueError(f"{SNAPSHOT_INTERVAL_VARIABLE} must be 0 or more, not {raw!r}")
    return value


def recorded_until(stored: StoredEvent, mapper: Mapper[Any]) -> datetime:
    """A stored snapshot's ``recorded_until``, read from its clear JSON without opening
    or validating the rest (to choose a snapshot before mapping it)."""
    data = stored.state
    if mapper.cipher:
        data = mapper.cipher.decrypt(data)
    if mapper.compressor:
        data = mapper.compressor.decompress(data)
    # The field comes after the state and the wishes, and only a hex fingerprint and
    # base64 parts follow it: its last occurrence as a key is the snapshot's own.
    at = data.rfind(_RECORDED_UNTIL)
    if at < 0:  # pragma: no cover - every snapshot has one
        return datetime.fromisoformat(orjson.loads(data)["recorded_until"])
    start = at + len(_RECORDED_UNTIL)
    return datetime.fromisoformat(data[start : data.index(b'"', start)].decode())


_RECORDED_UNTIL = b'"recorded_until":"'


def _describe(kind: Any) -> str:
    """A type, spelled out down to the fields of the values it holds."""
    args = get_args(kind)
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        return "|".join(sorted(_describe(a) for a in args))
    if origin is not None:
        return f"{getattr(origin, '__name__', origin)}[{','.join(_describe(a) for a in args)}]"
    if kind is Ellipsis:
        return "..."
    name = getattr(kind, "__qualname__", repr(kind))
    if attrs.has(kind):
        fields = attrs.fields(attrs.resolve_types(kind))
        return f"{name}({','.join(f'{f.name}:{_describe(f.type)}' for f in fields)})"
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        inner = ",".join(
            f"{n}:{_describe(f.annotation)}" for n, f in sorted(kind.model_fields.items())
        )
        return f"{name}({inner})"
    return str(name)


def _fingerprint(cls: type[OnePlanAggregate]) -> str:
    schema = _SCHEMAS[cls]
    text = ";".join(f"{n}:{_describe(t)}" for n, t in schema.items())
    return hashlib.sha256(f"{get_topic(cls)}|{text}".encode()).hexdigest()[:16]


_FINGERPRINTS: dict[type[OnePlanAggregate], str] = {}


def _fingerprint_of(cls: type[OnePlanAggregate]) -> str:
    found = _FINGERPRINTS.get(cls)
    if found is None:
        found = _FINGERPRINTS[cls] = _fingerprint(cls)
    return found


def _whole(value: Any) -> None:
    return None


class AggregateSnapshot(Snapshot):
    """A plan's or an intervention's state at a version (a cache of its events' fold)."""

    state: dict[str, Any] | None  # type: ignore[assignment]
    """The attributes as JSON data (None: sealed under a key that was destroyed)."""
    wishes: dict[str, str]
    """A plan's citizens' own wishes by citizen id (empty for an intervention)."""
    recorded_until: datetime
    """The latest recorded time among the events folded into it."""
    schema: str
    """The fingerprint of the state schema it was written with."""

    personal: ClassVar[Personal] = {
        "state": PersonalField(_whole),
        "wishes": texts_by_citizen(),
    }

    @classmethod
    def of(cls, aggregate: OnePlanAggregate, recorded_until: datetime) -> AggregateSnapshot:
        """The snapshot of ``aggregate`` as it is (its pending events are not in it)."""
        kind = type(aggregate)
        schema = _SCHEMAS[kind]
        separate = _SEPARATE.get(kind)
        attributes = vars(aggregate)
        unknown = set(attributes) - set(schema) - _BOOKKEEPING - {separate}
        missing = set(schema) - set(attributes)
        if unknown or missing:
            raise SnapshotSchemaOutdated(
                f"{kind.__qualname__} holds {sorted(unknown)} and lacks {sorted(missing)}: "
                "update its schema in oneplan.snapshots"
            )
        data = {name: codec.unstructure(attributes[name], kind_) for name, kind_ in schema.items()}
        wishes = (
            {str(citizen): text for citizen, text in attributes[separate].items()}
            if separate
            else {}
        )
        fields: dict[str, Any] = {
            "originator_id": aggregate.id,
            "originator_version": aggregate.version,
            "timestamp": cls.create_timestamp(),
            "topic": get_topic(kind),
            "state": orjson.loads(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)),
            "wishes": wishes,
            "recorded_until": recorded_until,
            "schema": _fingerprint_of(kind),
        }
        return cls(**fields)

    @property
    def usable(self) -> bool:
        """Readable (not erased) and written with the current schema."""
        if self.state is None:
            return False
        kind = resolve_topic(self.topic)
        return kind in _SCHEMAS and self.schema == _fingerprint_of(kind)

    def mutate(self, _: Any = None) -> OnePlanAggregate:
        """The aggregate as it was at the snapshot's version (only when ``usable``)."""
        assert self.state is not None
        kind: type[OnePlanAggregate] = resolve_topic(self.topic)
        schema = _SCHEMAS[kind]
        aggregate = object.__new__(kind)
        state = {name: codec.structure(self.state[name], kind_) for name, kind_ in schema.items()}
        separate = _SEPARATE.get(kind)
        if separate:
            state[separate] = {UUID(citizen): text for citizen, text in self.wishes.items()}
        state["_id"] = self.originator_id
        state["_version"] = self.originator_version
        state["_pending_events"] = []
        aggregate.__dict__.update(state)
        return aggregate
