"""Storage: where events go (memory, SQLite, PostgreSQL) and how they are written.

Events are stored as JSON written by pydantic from the event class's own annotations,
so every value comes back exactly as it went in: enums stay enums, tuples stay tuples,
decimals stay exact, dates stay dates. Old stored shapes are upcast on read through the
event class's ``class_version`` and ``upcast_vN_vN+1`` static methods (the chain the
eventsourcing docs' pydantic mapper lacks, issue #302).

With a ``sealer`` (``OnePlan`` gives it one whenever a master key is configured), every
declared personal field (``oneplan.aggregates.personal``) is sealed under its citizen's
data key and stored as its erased placeholder; reading puts back what can still be
opened. Whatever a stream stores (events, and snapshots: ``oneplan.snapshots``) goes
through here, so it is sealed the same way: a snapshot class declares its personal
fields like an event. A field declared ``by_citizen`` (citizen id -> value) is sealed
entry by entry under each citizen's key (stored in its part as ``field/citizen``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, cast, get_type_hints
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import TopicError, get_topic, resolve_topic
from pydantic import TypeAdapter, ValidationError

from oneplan.aggregates.personal import personal_fields
from oneplan.errors import InvalidDatabaseUrl, MasterKeyMissing, OnePlanError
from oneplan.privacy.sealing import SEALED, Sealer
from oneplan.trusted_events import FAST_MISSES, event_decoder, fast_event_decoder

__all__ = ["OnePlanMapper", "env_for_url"]

_POSITION = {"originator_id", "originator_version"}


@cache
def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    return TypeAdapter(cls)


_WRITERS: dict[type[Any], tuple[Callable[..., bytes], str, int]] = {}


def _writer(cls: Any) -> tuple[Callable[..., bytes], str, int]:
    """How events of ``cls`` are written, read once a class: the serializer's own
    ``to_json`` (what ``TypeAdapter.dump_json`` calls), the topic, the class version."""
    found = _WRITERS[cls] = (
        _adapter(cls).serializer.to_json,
        get_topic(cls),
        getattr(cls, "class_version", 1),
    )
    return found


_FIELD_ADAPTERS: dict[tuple[type[Any], str], TypeAdapter[Any]] = {}


def _field_adapter(cls: type[Any], name: str) -> TypeAdapter[Any]:
    """Writes one field's value as JSON data (for a placeholder)."""
    found = _FIELD_ADAPTERS.get((cls, name))
    if found is None:
        found = _FIELD_ADAPTERS[cls, name] = TypeAdapter(get_type_hints(cls)[name])
    return found


def _redactions(event: Any) -> dict[str, Any]:
    """The personal fields of ``event`` that hold something, with their placeholders."""
    found = {}
    for name, field in personal_fields(type(event)).items():
        value = getattr(event, name)
        placeholder = field.redact(value)
        if placeholder is not value and placeholder != value:
            found[name] = placeholder
    return found


_Trusted = tuple[
    Any,
    Callable[[dict[str, Any], Any, int], Any],
    Callable[[bytes, Any, int], Any] | None,
    bool,
]
_TRUSTED: dict[str, _Trusted] = {}
"""By topic: the event class, its trusted decoder from the stored dict and from the
stored JSON (None: a class msgspec cannot read), and whether it has upcasts (a class
version after the first)."""


def _trusted(topic: str) -> _Trusted:
    cls = resolve_topic(topic)
    found = _TRUSTED[topic] = (
        cls,
        event_decoder(cls),
        fast_event_decoder(cls, SEALED),
        getattr(cls, "class_version", 1) > 1,
    )
    return found


class OnePlanMapper(Mapper[UUID]):
    """Maps events to stored events with pydantic, exactly, and chains upcasts; seals
    personal fields when it has a ``sealer``."""

    sealer: Sealer | None = None
    """Seals personal fields (None: encryption is off, and sealed events are refused)."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        cls = type(domain_event)
        to_json, topic, class_version = _WRITERS.get(cls) or _writer(cls)
        redactions = None
        if self.sealer is not None:
            self.sealer.remember(domain_event)
            redactions = _redactions(domain_event)
        if redactions:
            data = self._sealed_state(domain_event, redactions, class_version)
        elif class_version > 1:
            state = _adapter(cls).serializer.to_python(  # (``TypeAdapter.dump_python``)
                domain_event, mode="json", exclude=_POSITION
            )
            state["class_version"] = class_version
            data = orjson.dumps(state)
        else:
            data = to_json(domain_event, exclude=_POSITION)  # (``TypeAdapter.dump_json``)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=topic,
            state=data,
        )

    def _sealed_state(
        self, event: DomainEventProtocol[UUID], redactions: dict[str, Any], class_version: int
    ) -> bytes:
        """The event's JSON with each personal field sealed under its owner's key and
        its placeholder in the clear."""
        assert self.sealer is not None
        cls = type(event)
        state = _adapter(cls).dump_python(event, mode="json", exclude=_POSITION)
        owner = self.sealer.owner(event)
        declared = personal_fields(cls)
        parts: dict[tuple[UUID, str], dict[str, Any]] = {}
        for name, placeholder in redactions.items():
            if declared[name].by_citizen:
                for citizen, value in state[name].items():
                    if placeholder[citizen] != value:
                        key = (UUID(citizen), owner.retention_class)
                        parts.setdefault(key, {})[f"{name}/{citizen}"] = value
                state[name] = _field_adapter(cls, name).dump_python(placeholder, mode="json")
                continue
            citizen_field = declared[name].of_citizen_in
            subject = getattr(event, citizen_field) if citizen_field else owner.subject
            parts.setdefault((subject, owner.retention_class), {})[name] = state[name]
            state[name] = (
                placeholder
                if placeholder is None or type(placeholder) is str
                else _field_adapter(cls, name).dump_python(placeholder, mode="json")
            )
        state[SEALED] = self.sealer.seal(
            event.originator_id, event.originator_version, get_topic(cls), parts
        )
        if class_version > 1:
            state["class_version"] = class_version
        return orjson.dumps(state)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """The stored event as its object, every field validated by pydantic again (what
        eventsourcing calls, for aggregates; and for anything not written by oneplan)."""
        try:
            cls, state = self._state(stored_event)
            state["originator_id"] = stored_event.originator_id
            state["originator_version"] = stored_event.originator_version
            return cast("DomainEventProtocol[UUID]", _adapter(cls).validate_python(state))
        except OnePlanError:
            raise
        except (ValidationError, ValueError, TypeError, AttributeError, KeyError, TopicError) as e:
            raise self._unreadable(stored_event, e) from e

    def to_trusted_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """The stored event as its object, built from the JSON this mapper wrote without
        validating every field again (``oneplan.trusted_events``): for rebuilds and
        catch-ups of the views, which read oneplan's own store. Decryption, sealed fields
        and upcasts as ``to_domain_event``; the same object, field for field."""
        try:
            topic = stored_event.topic
            found = _TRUSTED.get(topic)
            if found is None:
                found = _trusted(topic)
            cls, decode, fast, upcast = found
            data = self._stored_data(stored_event)
            if fast is not None:
                try:
                    event = fast(data, stored_event.originator_id, stored_event.originator_version)
                except FAST_MISSES:  # (an unusual shape: the dict path reads it or refuses it)
                    event = None
                if event is not None:
                    return cast("DomainEventProtocol[UUID]", event)
            state: dict[str, Any] = orjson.loads(data)
            if upcast or SEALED in state or "class_version" in state:
                self._open(stored_event, cls, state)  # (else there is nothing to open)
            return cast(
                "DomainEventProtocol[UUID]",
                decode(state, stored_event.originator_id, stored_event.originator_version),
            )
        except OnePlanError:
            raise
        except (ValidationError, ValueError, TypeError, AttributeError, KeyError, TopicError) as e:
            raise self._unreadable(stored_event, e) from e

    def _state(self, stored_event: StoredEvent) -> tuple[Any, dict[str, Any]]:
        """The event's class and its fields as stored, opened and upcast to the class's
        version (every field but the position)."""
        cls = resolve_topic(stored_event.topic)
        state = self._stored_state(stored_event)
        self._open(stored_event, cls, state)
        return cls, state

    def _stored_state(self, stored_event: StoredEvent) -> dict[str, Any]:
        """The stored JSON, decrypted and decompressed, as it was written (sealed fields
        still sealed, not upcast)."""
        state: dict[str, Any] = orjson.loads(self._stored_data(stored_event))
        return state

    def _stored_data(self, stored_event: StoredEvent) -> bytes:
        """The stored JSON (bytes), decrypted and decompressed."""
        data = stored_event.state
        if self.cipher:
            data = self.cipher.decrypt(data)
        if self.compressor:
            data = self.compressor.decompress(data)
        return data

    def _open(self, stored_event: StoredEvent, cls: Any, state: dict[str, Any]) -> None:
        """Put back the sealed fields of the stored ``state`` that can be opened, and
        upcast it to the class's version."""
        sealed = state.pop(SEALED, None)
        if sealed is not None:
            if self.sealer is None:
                raise MasterKeyMissing(
                    f"stored event {stored_event.originator_id} version "
                    f"{stored_event.originator_version} holds sealed personal data: "
                    "configure ONEPLAN_MASTER_KEY (docs/keys.md)"
                )
            opened = self.sealer.open(
                cast(UUID, stored_event.originator_id),
                stored_event.originator_version,
                stored_event.topic,
                sealed,
            )
            for key in [k for k in opened if "/" in k]:  # a field sealed by citizen
                name, citizen = key.split("/", 1)
                state[name][citizen] = opened.pop(key)
            state.update(opened)
        from_version = state.pop("class_version", 1)
        class_version = getattr(cls, "class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1

    @staticmethod
    def _unreadable(stored_event: StoredEvent, e: Exception) -> MapperDeserialisationError:
        return MapperDeserialisationError(
            f"cannot read stored event {stored_event.topic} of "
            f"{stored_event.originator_id} version {stored_event.originator_version}: {e}"
        )


def env_for_url(url: str) -> dict[str, str]:
    """The eventsourcing environment for a oneplan database URL.

    ``memory://``; ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or
    ``sqlite:///:memory:``; ``postgresql://user[:password]@host[:port]/dbname[?schema=s]``.
    """
    env = {"MAPPER_TOPIC": get_topic(OnePlanMapper)}
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "memory":
        env["PERSISTENCE_MODULE"] = "eventsourcing.popo"
        env["APPLICATION_RECORDER_TOPIC"] = "oneplan.recorders:MemoryRecorder"
        return env
    if scheme == "sqlite":
        if parts.netloc:
            raise InvalidDatabaseUrl(
                f"sqlite URL must be sqlite:///path (three slashes), not {url!r}", url=url
            )
        path = unquote(parts.path[1:]) if parts.path.startswith("/") else ""
        if not path:
            raise InvalidDatabaseUrl(f"sqlite URL names no file: {url!r}", url=url)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            APPLICATION_RECORDER_TOPIC="oneplan.recorders:SQLiteRecorder",
            SQLITE_DBNAME=path,
            SQLITE_LOCK_TIMEOUT="10",
            CREATE_TABLE="true",
        )
        return env
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname or not parts.hostname:
            raise InvalidDatabaseUrl(
                f"PostgreSQL URL must be postgresql://user@host:port/dbname, not {url!r}", url=url
            )
        query = parse_qs(parts.query)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            APPLICATION_RECORDER_TOPIC="oneplan.postgres_recorder:PostgresRecorder",
            POSTGRES_DBNAME=dbname,
            POSTGRES_HOST=parts.hostname,
            POSTGRES_PORT=str(parts.port or 5432),
            POSTGRES_USER=unquote(parts.username or "postgres"),
            POSTGRES_PASSWORD=unquote(parts.password or ""),
            CREATE_TABLE="true",
        )
        if "schema" in query:
            env["POSTGRES_SCHEMA"] = query["schema"][0]
        return env
    raise InvalidDatabaseUrl(
        f"unknown database URL {url!r}: use memory://, sqlite:///path or postgresql://...",
        url=url,
    )
