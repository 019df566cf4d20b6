"""The OnePlan application: the record, its storage, keys and views, and the loop every
command runs in.

Commands and reads are sent by a principal: ``app.as_(principal)`` returns a
``oneplan.usecases.Session`` whose methods are the use cases, one module per area
(citizens, plans, interventions, staff, privacy, reads). Each parses its input with
pydantic (a bad value raises ``InvalidInput`` naming the field), checks its trust rule
(``oneplan.policies``), loads what it needs, lets the aggregates decide, and saves every
changed aggregate in one atomic ``save`` (``OnePlan._run``). A refused command raises a
typed ``OnePlanError`` and persists nothing. Cross-aggregate rules are named functions
in ``oneplan.rules``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    IntegrityError,
    MapperDeserialisationError,
    PersistenceError,
)
from eventsourcing.utils import get_topic
from pydantic import BaseModel

from oneplan import commands as c
from oneplan.aggregates.access import AccessRecord
from oneplan.aggregates.base import RECORDING_TIME, OnePlanAggregate
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.aggregates.staff import StaffDirectory, StaffMember
from oneplan.audit.anchor import Anchor, AnchorPublicKey
from oneplan.audit.chain import ChainKey
from oneplan.audit.trail import AuditEntry, audit_entries
from oneplan.audit.verify import ChainSource, Progress, Verification, Verifier, make_anchor
from oneplan.errors import (
    CitizenNotFound,
    CommandIdReused,
    ConcurrencyConflict,
    EffectiveTimeInvalid,
    IllegalTransition,
    InterventionNotFound,
    InvalidInput,
    MasterKeyMissing,
    NotFound,
    OnePlanError,
    PlanNotFound,
    SnapshotRejected,
    StorageError,
)
from oneplan.keys import Keys
from oneplan.persistence import OnePlanMapper, env_for_url
from oneplan.principals import Principal
from oneplan.privacy.keystore import KeyStore, key_store_for_env
from oneplan.privacy.retention import (
    RetentionPolicy,
)
from oneplan.privacy.sealing import Sealer, cpr_hash
from oneplan.projections.caseload import (
    CaseloadView,
)
from oneplan.projections.citizen_view import CitizenState, CitizenView
from oneplan.projections.plan_view import PlanState, PlanView
from oneplan.projections.runner import ProjectionRunner
from oneplan.projections.sealed_rows import sealed_store
from oneplan.projections.stores import store_for_env
from oneplan.recorders import READ_VERSIONS, AuditedRecorder, application_recorder
from oneplan.snapshots import (
    SNAPSHOT_INTERVAL_VARIABLE,
    AggregateSnapshot,
    SnapshotAuthenticator,
    SnapshotMapper,
    beyond_head,
    check_snapshots,
    recorded_until,
    snapshot_interval,
    snapshotted,
    with_snapshot_check,
)
from oneplan.usecases.base import Deciding, parse
from oneplan.usecases.privacy import Erasure
from oneplan.values import Actor, ActorKind, ContactDetails, Sector, StaffRole

if TYPE_CHECKING:
    from oneplan.usecases import Session

__all__ = ["Clock", "CommandReceipt", "Erasure", "OnePlan", "system_clock"]

Clock = Callable[[], datetime]
A = TypeVar("A", bound=OnePlanAggregate)
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)

_log = logging.getLogger(__name__)

_READ_ERRORS = (PersistenceError, MapperDeserialisationError)
"""What the store raises when it cannot give back what it holds."""
_RECEIPTS = uuid5(NAMESPACE_URL, "urn:oneplan:command-receipt")
_NOT_FOUND: dict[type[OnePlanAggregate], Callable[[UUID], NotFound]] = {
    Citizen: CitizenNotFound,
    Plan: PlanNotFound,
    Intervention: InterventionNotFound,
    StaffMember: lambda i: NotFound(f"staff record {i} not found", staff_record_id=i),
    StaffDirectory: lambda i: NotFound("the staff directory is not bootstrapped"),
}


def system_clock() -> datetime:
    """The default clock: now, in UTC."""
    return datetime.now(UTC)


class CommandReceipt(Aggregate):
    """That a command with a caller-supplied id was carried out, and its result; saved
    atomically with the command's events so that a repeat adds nothing."""

    def __init__(self) -> None:
        self.command = ""
        self.fingerprint = ""
        self.result = ""

    class Recorded(Aggregate.Created):
        command: str
        fingerprint: str
        result: str

        def apply(self, aggregate: Any) -> None:
            aggregate.command = self.command
            aggregate.fingerprint = self.fingerprint
            aggregate.result = self.result

    @staticmethod
    def id_for(command_id: UUID) -> UUID:
        return uuid5(_RECEIPTS, str(command_id))


def _fingerprint(command: c.Command, key: bytes | None, principal: Principal) -> str:
    """What a command id was first used for, and by whom, to tell a repeat from a reuse.
    Keyed (HMAC-SHA256 under the CPR key) when keys are configured: the body holds names
    and CPR numbers, whose plain hashes could be reversed by trying every number."""
    body = (
        command.model_dump_json(exclude={"command_id"}) + "|principal:" + str(principal)
    ).encode()
    name = type(command).__name__
    if key is None:
        return f"{name}:{hashlib.sha256(body).hexdigest()}"
    return f"{name}:hmac:{hmac.new(key, b'oneplan-command|' + body, hashlib.sha256).hexdigest()}"


class _Work:
    """The aggregates one attempt at a command has loaded or created.

    Kept by ``UUID.int``: a ``UUID``'s hash is Python code (``uuid.UUID.__hash__``), an
    ``int``'s is not, and a command looks its aggregates up a dozen times."""

    def __init__(self, app: OnePlan, *, optimistic: bool) -> None:
        self.app = app
        self.optimistic = optimistic
        self.aggregates: dict[int, OnePlanAggregate] = {}
        self.unverified: set[int] = set()
        """Taken from the cache without asking the store for newer events."""
        self.peeked: dict[int, OnePlanAggregate] = {}
        """Only read (``peek``), not cloned."""
        self.peeked_unverified: dict[int, tuple[UUID, int]] = {}
        """Of ``peeked``, those taken from the cache: their ids and the versions read."""

    def get(self, cls: type[A], aggregate_id: UUID) -> A:
        key = aggregate_id.int
        found = self.aggregates.get(key)
        if found is None:
            cached = self.peeked.pop(key, None)  # (read first: the same version)
            if cached is not None:
                self.peeked_unverified.pop(key, None)
            elif self.optimistic:
                cached = self.app._cache.get(aggregate_id)
                if cached is not None:
                    self.unverified.add(key)
            found = cached.clone() if cached is not None else self.app._load(cls, aggregate_id)
            self.aggregates[key] = found
        if not isinstance(found, cls):
            raise _NOT_FOUND[cls](aggregate_id)
        return found

    def peek(self, cls: type[A], aggregate_id: UUID) -> A:
        """An aggregate the command only reads (a caller's staff record, a plan a policy
        asks about): the one this attempt changes if it has it, else the cached copy
        itself, uncloned (cached objects are never changed). The caller must not change
        it; its version is checked at the save like any other read."""
        key = aggregate_id.int
        found = self.aggregates.get(key) or self.peeked.get(key)
        if found is None:
            found = self.app._cache.get(aggregate_id) if self.optimistic else None
            if found is None:
                found = self.app._load(cls, aggregate_id)
            else:
                self.unverified.add(key)
                self.peeked_unverified[key] = (aggregate_id, found.version)
            self.peeked[key] = found
        if not isinstance(found, cls):
            raise _NOT_FOUND[cls](aggregate_id)
        return found

    def stale(self, *, including_changed: bool = False) -> list[UUID]:
        """Unverified aggregates that have newer events in the store (one query each:
        asked only when a command is refused, or writes nothing). Those being written
        are left to the save, which checks that their versions follow on."""
        found = []
        for key in self.unverified:
            aggregate = self._read(key)
            if (including_changed or not aggregate.pending_events) and (
                self.app.recorder.select_events(aggregate.id, gt=aggregate.version, limit=1)
            ):
                found.append(aggregate.id)
        return found

    def _read(self, key: int) -> OnePlanAggregate:
        return self.aggregates.get(key) or self.peeked[key]

    def read_versions(self) -> dict[UUID, int]:
        """The unverified aggregates the command read and does not write, at the
        versions it was decided on: the save checks them under the write lock, in its
        own transaction (``oneplan.recorders.StaleRead``), instead of a query each."""
        found = dict(self.peeked_unverified.values())
        if len(found) < len(self.unverified):  # some were taken to change: unless they did
            aggregates = self.aggregates
            for key in self.unverified:
                aggregate = aggregates.get(key)
                if aggregate is not None and not aggregate.pending_events:
                    found[aggregate.id] = aggregate.version
        return found

    def ids(self) -> list[UUID]:
        """Every aggregate this attempt read or changed."""
        return [a.id for a in (*self.aggregates.values(), *self.peeked.values())]

    def add(self, aggregate: OnePlanAggregate) -> None:
        self.aggregates[aggregate.id.int] = aggregate

    def changed(self) -> list[OnePlanAggregate]:
        return [a for a in self.aggregates.values() if a.pending_events]


class _AggregateCache:
    """Least-recently-used aggregates, shared by the threads of one process. The cached
    objects are never changed: they are cloned before use. Kept by ``UUID.int`` (see
    ``_Work``)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[int, OnePlanAggregate] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, aggregate_id: UUID) -> OnePlanAggregate | None:
        key = aggregate_id.int
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, aggregate: OnePlanAggregate) -> None:
        if self.size <= 0:
            return
        key = aggregate.id.int
        items = self._items
        with self._lock:
            current = items.get(key)
            if current is not None:
                if current.version > aggregate.version:
                    return  # another thread cached a newer one
                items.move_to_end(key)
            items[key] = aggregate
            if len(items) > self.size:
                while len(items) > self.size:
                    items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def evict(self, aggregate_ids: Iterable[UUID]) -> None:
        with self._lock:
            for aggregate_id in aggregate_ids:
                self._items.pop(aggregate_id.int, None)


class OnePlan(Application[UUID]):
    """The one record every sector writes to: commands in, ids out, state on request."""

    name = "oneplan"
    max_retries = 3
    """How many times a command that is safe to retry is decided again after a version
    conflict with a concurrent writer, before ``ConcurrencyConflict`` is raised."""
    cache_size = 10_000
    """How many aggregates are kept in memory between commands. A cached aggregate is
    always brought up to date from the store before use (one query for newer events),
    so several processes may write to the same database."""
    cpr_claim_lease = timedelta(minutes=5)
    """How long a registration's claim on a CPR number keeps other registrations of the
    number out while its citizen is not saved (it may still be, by a slow writer). A
    claim older than this whose citizen was never saved is taken over; the same
    registration sent again (same ``citizen_id``) takes its claim back at once."""
    clock_skew = timedelta(seconds=60)
    """How far ``effective_at`` may lie ahead of the clock (callers' clocks differ)."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Clock | None = None,
        keys: Keys | None = None,
        retention: RetentionPolicy | None = None,
    ) -> None:
        self.keys: Keys = keys if keys is not None else Keys.from_env()
        """The keys held outside the database (``oneplan.keys``): from the environment
        unless given."""
        self.retention: RetentionPolicy = retention or RetentionPolicy.from_env()
        """Retention periods by legal area (``oneplan.privacy.retention``)."""
        settings = dict(env or env_for_url("memory://"))
        settings["MAPPER_TOPIC"] = get_topic(OnePlanMapper)
        try:
            self.snapshot_interval: int = snapshot_interval({**os.environ, **settings})
            """A snapshot every this many events of a plan or an intervention (0: none;
            ``ONEPLAN_SNAPSHOT_INTERVAL``, ``oneplan.snapshots``)."""
        except ValueError as e:
            raise InvalidInput(
                "OnePlan", [{"loc": (SNAPSHOT_INTERVAL_VARIABLE,), "msg": str(e)}]
            ) from None
        try:
            super().__init__(env=settings)
            self.snapshots = self._snapshot_store(settings)
        except (PersistenceError, sqlite3.Error) as e:  # (a file that is not a database)
            raise StorageError(f"cannot open the event store: {e}") from e
        self.clock: Clock = clock or system_clock
        self._cache = _AggregateCache(self.cache_size)
        self.snapshots_rejected = 0
        """Snapshot rows this process met and ignored (rule 16): each is logged once, and
        ``verify_audit`` reports every one in the store."""
        self._snapshots_logged: set[tuple[str, int]] = set()
        self._snapshots_lock = threading.Lock()
        self._settings = settings
        self._views: ProjectionRunner | None = None
        self._views_lock = threading.Lock()
        self._batch: ProcessingEvent[UUID] | None = None
        self._batch_thread = 0
        self.sealer: Sealer | None = None
        """Seals personal data: present whenever a master key is configured."""
        try:
            self._open_key_store(settings)
        except (PersistenceError, sqlite3.Error) as e:
            super().close()
            raise StorageError(f"cannot open the key store: {e}") from e
        except BaseException:
            super().close()
            raise

    def construct_snapshot_store(self) -> EventStore[UUID]:
        """The snapshot store: rows MACed under a key held outside the database
        (``oneplan.snapshots.SnapshotMapper``; rule 16)."""
        return EventStore(
            mapper=SnapshotMapper(self.mapper, SnapshotAuthenticator.for_keys(self.keys)),
            recorder=self.factory.aggregate_recorder(purpose="snapshots"),
        )

    def _snapshot_store(self, settings: Mapping[str, str]) -> EventStore[UUID] | None:
        """The snapshot store, or None: with an interval of 0, and in a database file
        opened without any key (nothing would tell its snapshots from anyone's)."""
        if not self.snapshot_interval:
            return None
        in_memory = settings.get("PERSISTENCE_MODULE", "eventsourcing.popo") == "eventsourcing.popo"
        if not in_memory and SnapshotAuthenticator.for_keys(self.keys) is None:
            _log.info("snapshots are off: no audit or master key to authenticate them")
            return None
        return self.snapshots or self.construct_snapshot_store()

    def _open_key_store(self, settings: Mapping[str, str]) -> None:
        """Encryption is on whenever a master key is configured; a database that holds
        sealed data refuses to open without one, and with another one."""
        if self.keys.master_key is None:
            if settings.get("PERSISTENCE_MODULE", "eventsourcing.popo") != "eventsourcing.popo":
                store = key_store_for_env(settings)
                try:
                    sealed = store.master_key_id() is not None
                finally:
                    store.close()
                if sealed:
                    raise MasterKeyMissing(
                        "this database holds encrypted personal data: configure its master "
                        "key (ONEPLAN_MASTER_KEY or ONEPLAN_KEY_FILE, docs/keys.md)"
                    )
            return
        store = key_store_for_env(settings)
        try:
            self.sealer = Sealer(store, self.keys.master_key, self._first_event)
        except BaseException:
            store.close()
            raise
        cast(OnePlanMapper, self.mapper).sealer = self.sealer

    def _first_event(self, stream_id: UUID) -> Any | None:
        found = self.recorder.select_events(stream_id, limit=1)
        return self.mapper.to_domain_event(found[0]) if found else None

    @property
    def key_store(self) -> KeyStore:
        """The key store (data keys, stream owners, CPR hashes); needs the master key."""
        if self.sealer is None:
            raise MasterKeyMissing(
                "personal data is not encrypted: no master key is configured (docs/keys.md)"
            )
        return self.sealer.store

    @classmethod
    def open(
        cls,
        url: str = "sqlite:///oneplan.db",
        *,
        clock: Clock | None = None,
        keys: Keys | None = None,
    ) -> OnePlan:
        """Open the record at ``memory://``, ``sqlite:///path`` or
        ``postgresql://user@host:port/db``, with ``keys`` (default: from the environment,
        see ``oneplan.keys``)."""
        return cls(env_for_url(url), clock=clock, keys=keys)

    def __enter__(self) -> Self:
        return self

    def construct_recorder(self) -> ApplicationRecorder:
        """oneplan's recorder for the store, writing the audit chain when an audit key is
        configured (``oneplan.recorders``)."""
        return application_recorder(self.factory, self.keys.audit_key)

    @property
    def views(self) -> ProjectionRunner:
        """The projection runner keeping this record's views, in the same database as
        its events (SQL tables beside them; in memory for ``memory://``)."""
        with self._views_lock:
            if self._views is None:
                from oneplan.projections import VIEWS

                names = ["route", *(view.name for view in VIEWS)]
                store = sealed_store(store_for_env(self._settings, names), self.sealer)
                self._views = ProjectionRunner(self, store)
            return self._views

    def close(self) -> None:
        if self._views is not None:
            self._views.store.close()
        if self.sealer is not None:
            self.sealer.store.close()
        super().close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- who is asking ---------------------------------------------------------------

    def as_(self, principal: Principal) -> Session:
        """Every command and every read of personal data, sent by ``principal``: the one
        the host authenticated (``Principal.staff(id)``, ``Principal.citizen(id)``,
        ``Principal.auditor(id, basis=...)``, ``Principal.system(job)``). oneplan reads
        what they may do from the record (rules 11-14, ``oneplan.policies``)."""
        from oneplan.usecases import Session

        return Session(self, principal)

    def bootstrap(
        self,
        *,
        staff_id: str,
        name: str,
        sector: Sector | str,
        contact: ContactDetails | Mapping[str, str] | None = None,
        effective_at: datetime | None = None,
    ) -> UUID:
        """Begin a fresh municipality's staff directory with its first administrator
        (from configuration: ``oneplan staff bootstrap``, or the host's own setup),
        recorded by the system job ``bootstrap``. Refused once the directory exists
        (``IllegalTransition``): from then on, administrators register staff. Returns
        the administrator's record id."""
        cmd = parse(
            c.RegisterStaff,
            None,
            {
                "staff_id": staff_id,
                "name": name,
                "sector": sector,
                "contact": contact or ContactDetails(),
                "roles": (StaffRole.ADMINISTRATOR, StaffRole.CASEWORKER),
                **({"effective_at": effective_at} if effective_at else {}),
            },
        )
        system = Actor(id="bootstrap", kind=ActorKind.SYSTEM)

        def decide(d: Deciding) -> UUID:
            at = d.at
            if self._exists(StaffDirectory.ID):
                raise IllegalTransition(
                    "the staff directory exists already: an administrator registers staff",
                    staff_id=cmd.staff_id,
                )
            directory = StaffDirectory.bootstrap(
                first_administrator=cmd.staff_id, actor=system, effective_at=at
            )
            directory.add(staff_id=cmd.staff_id, actor=system, effective_at=at)
            member = StaffMember.register(
                staff_id=cmd.staff_id,
                name=cmd.name,
                sector=cmd.sector,
                title=cmd.title,
                contact=cmd.contact,
                roles=cmd.roles,
                actor=system,
                effective_at=at,
            )
            d.add(directory)
            d.add(member)
            return member.id

        return self._run(cmd, decide, UUID, Principal.system("bootstrap"))

    def _log_access(self, record: AccessRecord, what: str) -> None:
        """Save an access-log record (rule 14); a read that cannot be logged fails."""
        try:
            self._save([record])
        except _READ_ERRORS as e:
            raise StorageError(f"{what} could not be logged: {e}") from e

    def _cpr_hash(self, cpr: str) -> str:
        if self.sealer is None or self.keys.cpr_key is None:
            raise MasterKeyMissing(
                "a CPR number is kept only sealed and found only by a keyed hash: configure "
                "ONEPLAN_MASTER_KEY and ONEPLAN_CPR_KEY (docs/keys.md)"
            )
        return cpr_hash(self.keys.cpr_key, cpr)

    def _claim_cpr(self, cpr: str, citizen_id: UUID) -> None:
        """One citizen per CPR number. The hash is claimed before the registration is
        saved. Another registration's claim keeps the number while that one may still be
        saved (for ``cpr_claim_lease``); after that, a claim whose citizen was never
        saved (its writer refused or killed) is taken over."""
        digest = self._cpr_hash(cpr)
        now = time.time_ns() // 1_000_000
        lease = int(self.cpr_claim_lease.total_seconds() * 1000)
        for _ in range(2):
            owner = self.key_store.claim_cpr_hash(digest, str(citizen_id), at=now)
            if owner == str(citizen_id):
                return
            if self._exists(UUID(owner)):
                raise InvalidInput(
                    "RegisterCitizen", [{"loc": ("cpr",), "msg": "is already registered"}]
                )
            if not self.key_store.release_cpr_hash(digest, owner, claimed_before=now - lease):
                raise ConcurrencyConflict(
                    "another registration of the same CPR number is not saved yet: if it "
                    f"is not saved within {self.cpr_claim_lease}, send this one again",
                    aggregate_ids=(citizen_id, UUID(owner)),
                )
        raise ConcurrencyConflict(  # pragma: no cover - three racing registrations
            "another registration claimed the same CPR number", aggregate_ids=(citizen_id,)
        )

    # --- reading (through a session; these are the application's own) ----------

    def coordinators(self) -> list[str]:
        """The ids of every caseworker who has coordinated a plan."""
        self.views.catch_up()
        return self.views.keys(CaseloadView.name)

    def verify_audit(
        self,
        *,
        anchor: Anchor | None = None,
        anchor_public_key: AnchorPublicKey | None = None,
        progress: Progress | None = None,
    ) -> Verification:
        """Replay the stored log and its audit chain (the bytes as stored, never decrypted)
        and report the first place they disagree, checked against ``anchor`` if given
        (its signature with ``anchor_public_key`` when given: then only an Ed25519
        anchor signed by it passes; else an Ed25519 anchor with the configured signing
        key's public key, an HMAC one with the audit key). Without the audit key only
        the chain's structure can be checked. An auditor without write access or the
        personal-data keys: ``oneplan.audit.verify_read_only``."""
        public_key = anchor_public_key
        if public_key is None and anchor is not None and anchor.algorithm == "ed25519":
            public_key = self.keys.anchor_public_key()
        try:
            result = Verifier(
                self._chain_source(),
                self._audit_key(),
                anchor=anchor,
                public_key=public_key,
                progress=progress,
            ).run()
            return self._verify_snapshots(result)
        except _READ_ERRORS as e:
            raise StorageError(f"cannot read the log to verify it: {e}") from e

    def make_audit_anchor(self, *, progress: Progress | None = None) -> Anchor:
        """Verify the log, then sign an anchor of its chain to keep elsewhere
        (``Anchor.write``): with the anchor signing key (Ed25519) when one is configured,
        else with the audit key (HMAC)."""
        try:
            return make_anchor(
                self._chain_source(),
                self._audit_key(),
                made_at=self.clock(),
                progress=progress,
                signing_key=self.keys.anchor_signer(),
            )
        except _READ_ERRORS as e:
            raise StorageError(f"cannot read the log to anchor it: {e}") from e

    def _start_audit_chain(self) -> int:
        """Start the audit chain on a record that holds events written without an audit
        key; returns the last position it does not cover. Needs the audit key."""
        recorder: Any = self.recorder
        try:
            return int(recorder.start_chain().after)
        except _READ_ERRORS as e:
            raise StorageError(f"cannot start the audit chain: {e}") from e

    def _audit_entries(self, **filters: Any) -> Iterator[AuditEntry]:
        try:
            yield from audit_entries(self, **filters)
        except _READ_ERRORS as e:
            raise StorageError(f"cannot read the audit trail: {e}") from e

    def _audit_key(self) -> ChainKey | None:
        return getattr(self.recorder, "audit_key", None)

    def _verify_snapshots(self, result: Verification) -> Verification:
        """Rule 16: every stored snapshot row checked (its MAC, its version against its
        stream's last event) once the log verifies; a row that fails makes the
        verification broken (``Breach.SNAPSHOT``, naming the first). Unchecked without a
        snapshot store or a key to check it with."""
        if self.snapshots is None or result.finding is not None:
            return result
        mapper = cast(SnapshotMapper, self.snapshots.mapper)
        if mapper.authenticator is None:
            return result

        def head_of(stream_id: UUID | str) -> int | None:
            last = self.recorder.select_events(cast(UUID, stream_id), desc=True, limit=1)
            return last[0].originator_version if last else None

        check = check_snapshots(self.snapshots.recorder, mapper, head_of)
        return with_snapshot_check(result, check)

    def _chain_source(self) -> ChainSource:
        if not isinstance(self.recorder, AuditedRecorder):
            raise StorageError(f"{type(self.recorder).__qualname__} keeps no audit chain")
        return cast(ChainSource, self.recorder)

    def _plan_state(self, plan_id: UUID, as_of: datetime | None) -> PlanState:
        """The whole plan and its interventions, now (from the views: catch them up
        first) or as it stood at recorded time ``as_of`` (folded from its streams)."""
        state: PlanState | None
        if as_of is None:
            state = self.views.get(PlanView.name, plan_id)
        else:
            aggregate = self._read(Plan, plan_id, None, as_of)
            streams = (plan_id, *aggregate.intervention_ids)
            events = sorted(
                (e for sid in streams for e in self._history(sid) if e.timestamp <= as_of),
                key=lambda e: e.timestamp,
            )
            fold = PlanView()
            state = fold.initial(str(plan_id))
            for event in events:
                state = fold.evolve(state, event)
        if state is None or not state.exists:
            raise PlanNotFound(plan_id)
        return state

    def _citizen_state(self, citizen_id: UUID) -> CitizenState:
        state: CitizenState | None = self.views.get(CitizenView.name, citizen_id)
        if state is None:
            raise CitizenNotFound(citizen_id)
        return state

    def _history(self, aggregate_id: UUID) -> list[OnePlanAggregate.Event]:
        """Every event of one citizen, plan or intervention, oldest first."""
        try:
            return cast(list[OnePlanAggregate.Event], list(self.events.get(aggregate_id)))
        except _READ_ERRORS as e:
            raise StorageError(f"cannot read {aggregate_id}: {e}") from e

    def _read(
        self, cls: type[A], aggregate_id: UUID, version: int | None, as_of: datetime | None
    ) -> A:
        if as_of is None:
            return self._load(cls, aggregate_id, version)
        if as_of.tzinfo is None:
            raise EffectiveTimeInvalid.because("read", "must be timezone-aware", "as_of")
        aggregate = self._fold_until(aggregate_id, as_of, version, cls in snapshotted())
        if not isinstance(aggregate, cls):
            raise _NOT_FOUND[cls](aggregate_id)
        return aggregate

    def _fold_until(
        self, aggregate_id: UUID, as_of: datetime, version: int | None, snapshots: bool
    ) -> object:
        """The aggregate folded from its events up to the first one recorded after
        ``as_of`` (and up to ``version``): from the latest snapshot that holds only
        events recorded by ``as_of``, then its later events."""
        # With snapshots, the fold stops within the interval after the one it starts
        # from (the next one holds an event recorded after ``as_of``): read in pages.
        page = self.snapshot_interval if snapshots and self.snapshots is not None else None
        try:
            snapshot = self._snapshot(aggregate_id, version, as_of) if page else None
            aggregate: Any = snapshot.mutate() if snapshot else None
            after = aggregate.version if aggregate else None
            while True:
                stored = self.recorder.select_events(
                    aggregate_id, gt=after, lte=version, limit=page or None
                )
                for row in stored:
                    event = cast(OnePlanAggregate.Event, self.mapper.to_domain_event(row))
                    if event.timestamp > as_of:
                        return aggregate
                    aggregate = event.mutate(aggregate)
                if not page or len(stored) < page:
                    return aggregate
                after = stored[-1].originator_version
        except _READ_ERRORS as e:
            raise StorageError(f"cannot read {aggregate_id}: {e}") from e

    def _snapshot(
        self, aggregate_id: UUID, version: int | None, as_of: datetime | None = None
    ) -> AggregateSnapshot | None:
        """The latest usable snapshot of ``aggregate_id`` at or before ``version`` whose
        events were all recorded by ``as_of`` (None: there is none; fold from the start).
        Rule 16: a row that is not oneplan's (no MAC, or one that fails) or that claims a
        version its stream does not hold is passed over and reported, never used."""
        if self.snapshots is None:
            return None
        mapper = cast(SnapshotMapper, self.snapshots.mapper)
        lte, limit = version, 6  # newest first, in growing pages (a query costs a round trip)
        while True:
            found = self.snapshots.recorder.select_events(
                aggregate_id, lte=lte, desc=True, limit=limit
            )
            for row in found:
                try:
                    stored = mapper.authentic(row)
                except SnapshotRejected as e:
                    self._snapshot_rejected(e)
                    continue
                if as_of is not None and recorded_until(stored, mapper.inner) > as_of:
                    continue
                snapshot = mapper.inner.to_domain_event(stored)
                if not (isinstance(snapshot, AggregateSnapshot) and snapshot.usable):
                    return None  # erased (older ones too) or written with another schema
                at = snapshot.originator_version
                if not self.recorder.select_events(aggregate_id, gt=at - 1, lte=at, limit=1):
                    last = self.recorder.select_events(aggregate_id, desc=True, limit=1)
                    head = last[0].originator_version if last else 0
                    self._snapshot_rejected(beyond_head(aggregate_id, at, head))
                    continue
                return snapshot
            if len(found) < limit:
                return None
            lte, limit = found[-1].originator_version - 1, limit * 2

    def _snapshot_rejected(self, rejected: SnapshotRejected) -> None:
        """Count a snapshot row passed over, and log it (once per row and process)."""
        row = (str(rejected.stream_id), rejected.version)
        with self._snapshots_lock:
            self.snapshots_rejected += 1
            if row in self._snapshots_logged:
                return
            if len(self._snapshots_logged) > 10_000:
                self._snapshots_logged.clear()
            self._snapshots_logged.add(row)
        _log.warning("snapshot ignored, the events are folded instead: %s", rejected.message)

    def _load(self, cls: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        """The aggregate now (from the cache, brought up to date) or at ``version``."""
        try:
            if version is None:
                cached = self._cache.get(aggregate_id)
                aggregate = self._replay(
                    aggregate_id, cached.clone() if cached else None, None, cls in snapshotted()
                )
                if aggregate is not None and (
                    cached is None or aggregate.version != cached.version
                ):
                    self._cache.put(aggregate.clone())
            else:
                aggregate = self._replay(aggregate_id, None, version, cls in snapshotted())
        except _READ_ERRORS as e:
            raise StorageError(f"cannot read {aggregate_id}: {e}") from e
        if not isinstance(aggregate, cls):
            raise _NOT_FOUND[cls](aggregate_id)
        return aggregate

    def _replay(
        self, aggregate_id: UUID, aggregate: Any, version: int | None, snapshots: bool = False
    ) -> Any:
        """Apply the stored events after ``aggregate``'s version (up to ``version``);
        with no ``aggregate``, from its latest snapshot (up to ``version``) if it is of
        a ``snapshotted`` kind."""
        if aggregate is None and snapshots:
            snapshot = self._snapshot(aggregate_id, version)
            aggregate = snapshot.mutate() if snapshot else None
        after = aggregate.version if aggregate is not None else None
        for event in self.events.get(aggregate_id, gt=after, lte=version):
            aggregate = cast(OnePlanAggregate.Event, event).mutate(aggregate)
        return aggregate

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    # --- running a command -----------------------------------------------------------

    def _run(
        self,
        cmd: c.Command,
        decide: Callable[[Deciding], R],
        load: Callable[[str], R],
        principal: Principal,
    ) -> R:
        """Decide and save, atomically: ``decide`` is given each attempt's ``Deciding``
        (what it loaded, the effective time, who sends it); retry on conflict where
        safe; idempotent by ``command_id``. A store that fails is reported as
        ``StorageError``."""
        try:
            receipt_id = CommandReceipt.id_for(cmd.command_id) if cmd.command_id else None
            fingerprint = _fingerprint(cmd, self.keys.cpr_key, principal) if receipt_id else ""
            if receipt_id is not None:
                earlier = self._receipt(receipt_id, cmd, fingerprint, load, principal)
                if earlier is not None:
                    return earlier[0]
            at = self._effective_at(cmd)
            attempts = 1 + (self.max_retries if cmd.retry_on_conflict else 0)
            for _ in range(attempts):
                work = _Work(self, optimistic=cmd.retry_on_conflict)
                recorded = RECORDING_TIME.set(datetime.now(UTC))  # (as ``recording``)
                try:
                    result = decide(Deciding(principal, work, at))
                except OnePlanError:
                    stale = work.stale(including_changed=True)
                    if not stale:
                        raise  # refused on up-to-date state
                    self._cache.evict(stale)  # refused on a stale cached copy: decide again
                    continue
                finally:
                    RECORDING_TIME.reset(recorded)
                ours = work.changed()
                changed: list[Aggregate] = list(ours)
                if receipt_id is not None:
                    changed.append(
                        CommandReceipt._create(
                            CommandReceipt.Recorded,
                            id=receipt_id,
                            command=type(cmd).__name__,
                            fingerprint=fingerprint,
                            result=str(result),
                        )
                    )
                if not changed:
                    stale = work.stale()
                    if stale:  # decided on a stale cached copy, and nothing to save
                        self._cache.evict(stale)
                        continue
                try:
                    self._save(changed, work.read_versions())
                except IntegrityError:  # (a concurrent writer, or a stale read: StaleRead)
                    self._cache.evict(work.ids())
                    if receipt_id is not None:
                        earlier = self._receipt(receipt_id, cmd, fingerprint, load, principal)
                        if earlier is not None:
                            return earlier[0]
                    continue
                except PersistenceError as e:
                    self._cache.evict(work.ids())
                    raise StorageError(f"{type(cmd).__name__} was not saved: {e}") from e
                cache = self._cache
                for aggregate in ours:  # (not the receipt)
                    cache.put(aggregate)
                return result
            raise ConcurrencyConflict(
                f"{type(cmd).__name__}: another writer changed "
                f"{', '.join(str(a.id) for a in work.aggregates.values())} first"
                + (f" (tried {attempts} times)" if attempts > 1 else ""),
                aggregate_ids=tuple(a.id for a in work.aggregates.values()),
            )
        except _READ_ERRORS as e:
            if isinstance(e, IntegrityError):
                raise
            raise StorageError(f"{type(cmd).__name__} was not carried out: {e}") from e

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Write the events of every command sent inside the block together, in one
        transaction, when the block ends (for bulk loading by one writer, such as
        ``oneplan simulate``). Each command is still parsed, decided and checked against
        the rules as it is sent, and a refused command still raises and adds nothing.
        The batch is written whole or not at all: if the block raises, none of it is
        saved; if another writer changed the same aggregates meanwhile, none of it is
        saved and ``ConcurrencyConflict`` is raised. Views and command receipts see the
        batch only after it is written; other threads' commands are not part of it."""
        if self._batch is not None:
            raise InvalidInput("Batch", [{"loc": (), "msg": "batches do not nest"}])
        batch = self._batch = ProcessingEvent[UUID]()
        self._batch_thread = threading.get_ident()
        try:
            yield
        except BaseException:
            self._cache.evict(batch.aggregates)
            raise
        finally:
            self._batch = None
        if batch.events:
            try:
                recordings = self._record(batch)
            except IntegrityError:
                self._cache.evict(batch.aggregates)
                raise ConcurrencyConflict(
                    f"another writer changed {len(batch.aggregates)} aggregates of the batch "
                    "first: none of the batch was saved",
                    aggregate_ids=tuple(batch.aggregates),
                ) from None
            except _READ_ERRORS as e:
                self._cache.evict(batch.aggregates)
                raise StorageError(
                    f"the batch of {len(batch.events)} events was not saved: {e}"
                ) from e
            self._take_snapshots(batch)
            self._notify(recordings)

    def _save(self, aggregates: list[Aggregate], read: dict[UUID, int] | None = None) -> None:
        """``Application.save`` for our own aggregates, without its per-object protocol
        checks (which cost more than the rest of an in-memory save on Python 3.11).
        ``read``: the aggregates the command was decided on and does not write, with
        their versions; the write is refused (``StaleRead``) if any has a later one.
        Inside ``batched()`` the events wait for the end of the batch."""
        batch = self._batch if self._batch_thread == threading.get_ident() else None
        processing: ProcessingEvent[UUID] = batch if batch is not None else ProcessingEvent()
        if read and processing is not batch:
            processing.saved_kwargs[READ_VERSIONS] = read
        elif read:
            reads = processing.saved_kwargs.setdefault(READ_VERSIONS, {})
            for aggregate_id, version in read.items():
                reads[aggregate_id] = min(version, reads.get(aggregate_id, version))
        for aggregate in aggregates:
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        if processing is batch:
            return
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """After a save: snapshot each plan and intervention whose new events reach a
        multiple of ``snapshot_interval``. A snapshot is a cache: one that cannot be
        written is logged and left out (the events are saved already)."""
        interval = self.snapshot_interval
        if not interval or self.snapshots is None:
            return
        kinds: tuple[type[OnePlanAggregate], ...] | None = None
        for event in processing_event.events:
            if event.originator_version % interval:
                continue
            kinds = kinds or snapshotted()
            if not isinstance(processing_event.aggregates.get(event.originator_id), kinds):
                continue
            try:
                self.take_snapshot(event.originator_id, event.originator_version)
            except (PersistenceError, MapperDeserialisationError, OnePlanError) as e:
                _log.warning(
                    "no snapshot of %s at version %d: %s",
                    event.originator_id,
                    event.originator_version,
                    e,
                )

    def take_snapshot(
        self, aggregate_id: UUID, version: int | None = None, projector_func: Any = None
    ) -> None:
        """Snapshot the plan or intervention ``aggregate_id`` as it was at ``version``
        (now, if None), folded from its latest snapshot and the events after it."""
        if self.snapshots is None:
            raise StorageError(
                f"snapshots are off ({SNAPSHOT_INTERVAL_VARIABLE}=0, or a database file "
                "opened without an audit or master key)"
            )
        snapshot = self._snapshot(aggregate_id, version)
        aggregate: Any = snapshot.mutate() if snapshot else None
        until = snapshot.recorded_until if snapshot else None
        for event in cast(
            Iterable[OnePlanAggregate.Event],
            self.events.get(aggregate_id, gt=aggregate.version if aggregate else None, lte=version),
        ):
            aggregate = event.mutate(aggregate)
            until = event.timestamp if until is None else max(until, event.timestamp)
        if not isinstance(aggregate, snapshotted()) or until is None:
            raise StorageError(f"{aggregate_id} is not a plan or an intervention")
        self.snapshots.put([AggregateSnapshot.of(aggregate, until)])

    def _receipt(
        self,
        receipt_id: UUID,
        cmd: c.Command,
        fingerprint: str,
        load: Callable[[str], R],
        principal: Principal,
    ) -> tuple[R] | None:
        try:
            receipt: CommandReceipt = self.repository.get(receipt_id)
        except AggregateNotFoundError:
            return None
        if receipt.fingerprint != fingerprint and (
            ":hmac:" in receipt.fingerprint
            or receipt.fingerprint != _fingerprint(cmd, None, principal)
        ):  # (a receipt written before keys were configured has an unkeyed fingerprint)
            raise CommandIdReused(
                f"command id was used before for another {receipt.command} or other input",
                receipt_id=receipt_id,
            )
        return (load(receipt.result),)

    def _repeats(self, cmd: c.Command, principal: Principal) -> bool:
        """Whether ``cmd`` repeats, by its ``command_id``, a command ``principal`` carried
        out already (``CommandIdReused`` if that id was used for another command)."""
        if cmd.command_id is None:
            return False
        fingerprint = _fingerprint(cmd, self.keys.cpr_key, principal)
        receipt_id = CommandReceipt.id_for(cmd.command_id)
        return self._receipt(receipt_id, cmd, fingerprint, str, principal) is not None

    def _effective_at(self, cmd: c.Command) -> datetime:
        now = self.clock()
        at = cmd.effective_at or now
        if at > now + self.clock_skew:
            raise EffectiveTimeInvalid.because(
                type(cmd).__name__, f"{at.isoformat()} is in the future"
            )
        return at

    def _all_events(self) -> Iterator[Any]:
        """Every event in recorded order (the notification log), mapped to objects."""
        last = 0
        while True:
            notifications = self.recorder.select_notifications(
                start=last, limit=1000, inclusive_of_start=False
            )
            if not notifications:
                return
            for notification in notifications:
                yield self.mapper.to_domain_event(notification)
            last = notifications[-1].id
