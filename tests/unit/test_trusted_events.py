"""The trusted decoder (rebuilds and catch-ups) reads every stored event into the same
object the validating mapper makes: field for field, type for type, on every recorded
shape (old class versions upcast), on a simulated municipality with sealed personal
data, and on an erased citizen's placeholders. What it cannot read is refused as the
validating path refuses it."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent
from pydantic import BaseModel

from oneplan import Keys, OnePlan
from oneplan.aggregates.plan import Plan
from oneplan.errors import MasterKeyMissing
from oneplan.persistence import OnePlanMapper
from oneplan.privacy.sealing import SEALED
from oneplan.simulation import Municipality, simulate
from oneplan.trusted_events import FAST_MISSES, converter
from oneplan.values import LegalBasis, Money, SectorPlanRef
from tests.builders import ANNE, acting
from tests.conftest import NOW, FixedClock
from tests.fixtures.record_event_fixtures import FIXTURES

RECORDED: dict[str, dict[str, Any]] = json.loads(FIXTURES.read_text())
AFTER_THE_SIMULATION = datetime(2027, 1, 1, tzinfo=UTC)


def same(a: Any, b: Any, where: str = "event") -> None:
    """``a`` and ``b`` are the same value of the same types all the way down (a
    datetime's tzinfo may be another object for the same offset)."""
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, datetime):
        assert a == b, where
        assert a.utcoffset() == b.utcoffset(), where
        assert (a.tzinfo is None) == (b.tzinfo is None), where
    elif isinstance(a, BaseModel):
        assert list(a.__dict__) == list(b.__dict__), where
        assert a.__pydantic_fields_set__ == b.__pydantic_fields_set__, where
        assert a.__pydantic_extra__ == b.__pydantic_extra__, where
        assert a.__pydantic_private__ == b.__pydantic_private__, where
        for name in a.__dict__:
            same(a.__dict__[name], b.__dict__[name], f"{where}.{name}")
    elif dataclasses.is_dataclass(a):
        assert list(vars(a)) == list(vars(b)), where
        for name in vars(a):
            same(vars(a)[name], vars(b)[name], f"{where}.{name}")
    elif isinstance(a, tuple | list | frozenset):
        assert len(a) == len(b), where
        for n, (x, y) in enumerate(
            zip(
                sorted(a, key=repr) if isinstance(a, frozenset) else a,
                sorted(b, key=repr) if isinstance(b, frozenset) else b,
                strict=True,
            )
        ):
            same(x, y, f"{where}[{n}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            same(key, next(k for k in b if k == key), f"{where} key {key!r}")
            same(a[key], b[key], f"{where}[{key!r}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _stored(fixture: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=UUID(fixture["originator_id"]),
        originator_version=fixture["originator_version"],
        topic=fixture["topic"],
        state=orjson.dumps(fixture["state"]),
    )


MAPPER = OnePlanMapper(transcoder=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", sorted(RECORDED))
def test_every_recorded_shape_decodes_to_the_object_the_validating_mapper_makes(
    key: str,
) -> None:
    stored = _stored(RECORDED[key])
    same(MAPPER.to_trusted_event(stored), MAPPER.to_domain_event(stored))


def _every_event_decodes_the_same(app: OnePlan) -> set[str]:
    mapper: OnePlanMapper = app.mapper  # type: ignore[assignment]
    topics = set()
    for n in app.recorder.select_notifications(start=1, limit=1_000_000):
        same(mapper.to_trusted_event(n), mapper.to_domain_event(n), f"{n.topic}@{n.id}")
        topics.add(n.topic)
    return topics


def test_a_simulated_municipality_with_sealed_personal_data_decodes_the_same() -> None:
    with OnePlan.open("memory://", clock=lambda: AFTER_THE_SIMULATION, keys=Keys.generate()) as app:
        simulate(app, citizens=40, seed=11, municipality=Municipality(years=2))
        assert len(_every_event_decodes_the_same(app)) > 20


def test_an_erased_citizens_placeholders_decode_the_same() -> None:
    clock = FixedClock(NOW)
    with OnePlan.open("memory://", clock=clock, keys=Keys.generate()) as app:
        citizen = acting(app, ANNE).register_citizen(name="Sara", birth_date=date(1990, 1, 1))
        clock.now += timedelta(days=365 * 6)
        acting(app, ANNE).erase_citizen(citizen_id=citizen)
        assert any("Citizen.Erased" in t for t in _every_event_decodes_the_same(app))
        registered = next(
            n
            for n in app.recorder.select_notifications(start=1, limit=1_000_000)
            if n.topic.endswith("Citizen.Registered")
        )
        assert app.mapper.to_trusted_event(registered).name == "[erased]"  # type: ignore[attr-defined]


def test_a_value_stored_in_another_shape_is_read_as_pydantic_reads_it() -> None:
    basis = converter(LegalBasis)
    assert basis is not None
    same(basis("SEL § 85"), LegalBasis.parse("SEL § 85"))
    same(basis({"law": "SEL", "section": "85"}), LegalBasis.parse("SEL § 85"))
    money = converter(Money)
    assert money is not None
    same(money("12.50"), Money.dkk("12.50"))
    ref = converter(SectorPlanRef | None)
    assert ref is not None
    same(ref("social:SEL § 141"), SectorPlanRef.parse("social:SEL § 141"))
    assert ref(None) is None
    day = converter(tuple[date, ...])
    assert day is not None
    assert day(["2026-01-02"]) == (date(2026, 1, 2),)


def test_what_cannot_be_read_is_refused_as_the_validating_mapper_refuses_it() -> None:
    key = next(k for k in RECORDED if k.startswith("oneplan.aggregates.plan:Plan.GoalSet"))
    fixture = RECORDED[key]
    for broken in (
        {k: v for k, v in fixture["state"].items() if k != "goal_id"},  # a field missing
        {**fixture["state"], "status": "no-such-status"},  # not a member
        {**fixture["state"], "goal_id": "not a uuid"},
        {**fixture["state"], "effective_at": "yesterday"},
    ):
        stored = _stored({**fixture, "state": broken})
        with pytest.raises(MapperDeserialisationError, match="cannot read stored event"):
            MAPPER.to_domain_event(stored)
        with pytest.raises(MapperDeserialisationError, match="cannot read stored event"):
            MAPPER.to_trusted_event(stored)


def test_an_unknown_topic_is_refused() -> None:
    stored = StoredEvent(
        originator_id=uuid4(), originator_version=1, topic="oneplan.nowhere:Gone", state=b"{}"
    )
    with pytest.raises(MapperDeserialisationError):
        MAPPER.to_trusted_event(stored)


def test_the_decoder_sets_fields_in_the_dataclass_order() -> None:
    key = next(k for k in RECORDED if k.startswith("oneplan.aggregates.plan:Plan.Opened"))
    event = MAPPER.to_trusted_event(_stored(RECORDED[key]))
    assert isinstance(event, Plan.Opened)
    assert list(vars(event)) == [f.name for f in dataclasses.fields(Plan.Opened)]


class _Loose(BaseModel, frozen=True):
    value: Any
    note: str = ""


def test_a_value_object_stored_the_same_way_again_is_the_same_object_and_only_then() -> None:
    from oneplan.trusted_events import model_decoder

    decode = model_decoder(_Loose)
    first = decode({"value": [1, "a"], "note": "n"})
    assert decode({"value": [1, "a"], "note": "n"}) is first
    # Equal in Python, not the same stored value: each read as stored.
    for stored in ({"value": True, "note": "n"}, {"value": 1.0, "note": "n"}, {"value": 1}):
        assert decode({"value": 1, "note": "n"}).value == 1
        found = decode(stored)
        same(found, _Loose.model_validate(stored))
        assert found.__pydantic_fields_set__ == set(stored)
    assert type(decode({"value": True, "note": "n"}).value) is bool
    assert decode({"value": {"b": 1, "a": 2}}).value == {"b": 1, "a": 2}


def _class_version(topic: str) -> int:
    from eventsourcing.utils import resolve_topic

    return int(getattr(resolve_topic(topic), "class_version", 1))


@pytest.mark.parametrize("key", sorted(RECORDED))
def test_msgspec_reads_every_recorded_shape_of_its_class_version_as_the_dict_path_does(
    key: str,
) -> None:
    from eventsourcing.utils import resolve_topic

    from oneplan.trusted_events import event_decoder, fast_event_decoder

    fixture = RECORDED[key]
    cls = resolve_topic(fixture["topic"])
    fast = fast_event_decoder(cls, SEALED)
    assert fast is not None
    stored = _stored(fixture)
    if fixture["state"].get("class_version", 1) != _class_version(fixture["topic"]):
        # To upcast first (the mapper's): handed back, or not read (a field it lacks).
        with contextlib.suppress(FAST_MISSES):
            assert fast(stored.state, stored.originator_id, stored.originator_version) is None
        return
    found = fast(stored.state, stored.originator_id, stored.originator_version)
    by_dict = event_decoder(cls)(
        dict(fixture["state"]), stored.originator_id, stored.originator_version
    )
    same(found, by_dict)
    same(found, MAPPER.to_domain_event(stored))


def test_an_event_with_sealed_fields_is_handed_back_to_the_mapper_to_open() -> None:
    from oneplan.trusted_events import fast_event_decoder

    key = next(k for k in RECORDED if k.startswith("oneplan.aggregates.plan:Plan.GoalSet"))
    fixture = RECORDED[key]
    fast = fast_event_decoder(Plan.GoalSet, SEALED)
    assert fast is not None
    sealed = orjson.dumps({**fixture["state"], SEALED: {"anything": 1}})
    assert fast(sealed, UUID(fixture["originator_id"]), 1) is None
    # The mapper then opens it: without a sealer, refused as the validating path refuses it.
    stored = _stored({**fixture, "state": orjson.loads(sealed)})
    with pytest.raises(MasterKeyMissing):
        MAPPER.to_trusted_event(stored)
    with pytest.raises(MasterKeyMissing):
        MAPPER.to_domain_event(stored)


def test_a_value_object_stored_as_the_same_bytes_again_is_the_same_object() -> None:
    from oneplan.trusted_events import forget, model_decoder, raw_decoder

    stored = b'{"law":"SEL","section":"85"}'
    first = raw_decoder(LegalBasis)(stored)
    same(first, LegalBasis.model_validate_json(stored))
    same(first, model_decoder(LegalBasis)(orjson.loads(stored)))
    assert raw_decoder(LegalBasis)(bytes(stored)) is first
    forget()  # (an erasure relies on it: nothing decoded outlives it)
    assert raw_decoder(LegalBasis)(stored) is not first
    # Another shape, read as pydantic reads it; a field with a default left out of the
    # stored shape is left out of the fields set, as pydantic leaves it.
    same(raw_decoder(LegalBasis)(b'"SEL \xc2\xa7 85"'), LegalBasis.parse("SEL § 85"))
    for value in ({"value": [1, "a"]}, {"value": 1.0, "note": "n"}, {"value": True}):
        found = raw_decoder(_Loose)(orjson.dumps(value))
        same(found, _Loose.model_validate(value))
        assert found.__pydantic_fields_set__ == set(value)


def test_forget_empties_the_caches_of_value_objects_kept_by_their_stored_bytes() -> None:
    from oneplan import trusted_events

    stored = _stored(RECORDED["oneplan.aggregates.citizen:Citizen.Registered@v2"])
    MAPPER.to_trusted_event(stored)
    assert any(type(k) is bytes for cache in trusted_events._VALUES for k in cache)
    trusted_events.forget()
    assert not any(cache for cache in trusted_events._VALUES)
