"""Storage: where events go (memory, SQLite, PostgreSQL) and how they are written.

Events are stored as JSON written by pydantic from the event class's own annotations,
so every value comes back exactly as it went in: enums stay enums, tuples stay tuples,
decimals stay exact, dates stay dates. Old stored shapes are upcast on read through the
event class's ``class_version`` and ``upcast_vN_vN+1`` static methods (the chain the
eventsourcing docs' pydantic mapper lacks, issue #302).
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import TopicError, get_topic, resolve_topic
from pydantic import TypeAdapter, ValidationError

from oneplan.errors import InvalidDatabaseUrl

__all__ = ["OnePlanMapper", "env_for_url"]

_POSITION = {"originator_id", "originator_version"}


@cache
def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    return TypeAdapter(cls)


class OnePlanMapper(Mapper[UUID]):
    """Maps events to stored events with pydantic, exactly, and chains upcasts."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        cls = type(domain_event)
        class_version: int = getattr(cls, "class_version", 1)
        if class_version > 1:
            state = _adapter(cls).dump_python(domain_event, mode="json", exclude=_POSITION)
            state["class_version"] = class_version
            data = orjson.dumps(state)
        else:
            data = _adapter(cls).dump_json(domain_event, exclude=_POSITION)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(cls),
            state=data,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        try:
            cls = resolve_topic(stored_event.topic)
            data = stored_event.state
            if self.cipher:
                data = self.cipher.decrypt(data)
            if self.compressor:
                data = self.compressor.decompress(data)
            state: dict[str, Any] = orjson.loads(data)
            from_version = state.pop("class_version", 1)
            class_version = getattr(cls, "class_version", 1)
            while from_version < class_version:
                getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
                from_version += 1
            state["originator_id"] = stored_event.originator_id
            state["originator_version"] = stored_event.originator_version
            return cast("DomainEventProtocol[UUID]", _adapter(cls).validate_python(state))
        except (ValidationError, ValueError, TypeError, AttributeError, KeyError, TopicError) as e:
            msg = (
                f"cannot read stored event {stored_event.topic} of "
                f"{stored_event.originator_id} version {stored_event.originator_version}: {e}"
            )
            raise MapperDeserialisationError(msg) from e


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
