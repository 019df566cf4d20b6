"""The OnePlan application: one method per use case over Citizen, Plan and Intervention.

Each method parses its input with pydantic (a bad value raises ``InvalidInput`` naming
the field), loads what it needs, lets the aggregates decide, and saves every changed
aggregate in one atomic ``save``. A refused command raises a typed ``OnePlanError`` and
persists nothing. Cross-aggregate rules are named functions in ``oneplan.rules``.
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
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar, cast
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import attrs
from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    MapperDeserialisationError,
    PersistenceError,
)
from eventsourcing.utils import get_topic
from pydantic import BaseModel, TypeAdapter, ValidationError

from oneplan import commands as c
from oneplan import rules
from oneplan.aggregates.access import AccessRecord
from oneplan.aggregates.base import OnePlanAggregate, recording
from oneplan.aggregates.citizen import Citizen, SectorPlanFile
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.audit.anchor import Anchor
from oneplan.audit.chain import ChainKey
from oneplan.audit.trail import AuditEntry, audit_entries
from oneplan.audit.verify import ChainSource, Progress, Verification, Verifier, make_anchor
from oneplan.errors import (
    CitizenErased,
    CitizenNotFound,
    CommandIdReused,
    ConcurrencyConflict,
    CprNotFound,
    EffectiveTimeInvalid,
    InterventionFinished,
    InterventionNotFound,
    InvalidInput,
    KeyConfigurationError,
    MasterKeyMissing,
    NotFound,
    OnePlanError,
    PlanNotFound,
    StorageError,
)
from oneplan.keys import KEY_BYTES, Keys
from oneplan.persistence import OnePlanMapper, env_for_url
from oneplan.privacy.keystore import KeyStore, key_store_for_env
from oneplan.privacy.retention import (
    CaseFile,
    RetentionDue,
    RetentionPolicy,
    retention_ends,
)
from oneplan.privacy.sealing import Sealer, cpr_hash
from oneplan.projections.access_log import AccessLogState, AccessLogView
from oneplan.projections.caseload import (
    DEFAULT_PAUSE_LIMIT,
    Caseload,
    CaseloadState,
    CaseloadView,
    caseload,
)
from oneplan.projections.citizen_plan import DocumentFormat, Language, render_citizen_plan
from oneplan.projections.citizen_view import CitizenState, CitizenView, SectorPlanRow
from oneplan.projections.journey import JourneyState, JourneyView
from oneplan.projections.plan_view import PlanState, PlanView
from oneplan.projections.runner import ProjectionRunner
from oneplan.projections.sector_view import SectorView, sector_view
from oneplan.projections.stores import store_for_env
from oneplan.recorders import AuditedRecorder, application_recorder
from oneplan.snapshots import (
    SNAPSHOT_INTERVAL_VARIABLE,
    AggregateSnapshot,
    recorded_until,
    snapshot_interval,
    snapshotted,
)
from oneplan.values import Actor, CprNumber, Sector, SectorPlanRef, cpr_birth_date

__all__ = ["Clock", "CommandReceipt", "Erasure", "OnePlan", "system_clock"]

Clock = Callable[[], datetime]
A = TypeVar("A", bound=OnePlanAggregate)
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)

_log = logging.getLogger(__name__)

_READ_ERRORS = (PersistenceError, MapperDeserialisationError)
"""What the store raises when it cannot give back what it holds."""
_CPR: TypeAdapter[str] = TypeAdapter(CprNumber)
_RECEIPTS = uuid5(NAMESPACE_URL, "urn:oneplan:command-receipt")
_NOT_FOUND: dict[type[OnePlanAggregate], Callable[[UUID], NotFound]] = {
    Citizen: CitizenNotFound,
    Plan: PlanNotFound,
    Intervention: InterventionNotFound,
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


@attrs.frozen
class Erasure:
    """What an erasure did: the citizen, their case files (plans and sector plans), how
    many data keys were destroyed, and the household plans whose shared key went with
    the last member."""

    citizen_id: UUID
    plan_ids: tuple[UUID, ...]
    keys_destroyed: int
    households: tuple[UUID, ...]
    events_refolded: int
    sector_plans: tuple[SectorPlanRef, ...] = ()
    """The citizen's own sector plans whose case files went with it."""


def _fingerprint(command: c.Command, key: bytes | None) -> str:
    """What a command id was first used for, to tell a repeat from a reuse. Keyed
    (HMAC-SHA256 under the CPR key) when keys are configured: the body holds names and
    CPR numbers, whose plain hashes could be reversed by trying every number."""
    body = command.model_dump_json(exclude={"command_id"}).encode()
    name = type(command).__name__
    if key is None:
        return f"{name}:{hashlib.sha256(body).hexdigest()}"
    return f"{name}:hmac:{hmac.new(key, b'oneplan-command|' + body, hashlib.sha256).hexdigest()}"


class _Work:
    """The aggregates one attempt at a command has loaded or created."""

    def __init__(self, app: OnePlan, *, optimistic: bool) -> None:
        self.app = app
        self.optimistic = optimistic
        self.aggregates: dict[UUID, OnePlanAggregate] = {}
        self.unverified: set[UUID] = set()
        """Taken from the cache without asking the store for newer events."""

    def get(self, cls: type[A], aggregate_id: UUID) -> A:
        found = self.aggregates.get(aggregate_id)
        if found is None:
            cached = self.app._cache.get(aggregate_id) if self.optimistic else None
            if cached is not None:
                found = cached.clone()
                self.unverified.add(aggregate_id)
            else:
                found = self.app._load(cls, aggregate_id)
            self.aggregates[aggregate_id] = found
        if not isinstance(found, cls):
            raise _NOT_FOUND[cls](aggregate_id)
        return found

    def stale(self, *, including_changed: bool = False) -> list[UUID]:
        """Unverified aggregates that have newer events in the store. Those being
        written are left to the save, which checks that their versions follow on."""
        return [
            aggregate_id
            for aggregate_id in self.unverified
            if (including_changed or not self.aggregates[aggregate_id].pending_events)
            and self.app.recorder.select_events(
                aggregate_id, gt=self.aggregates[aggregate_id].version, limit=1
            )
        ]

    def add(self, aggregate: OnePlanAggregate) -> None:
        self.aggregates[aggregate.id] = aggregate

    def changed(self) -> list[OnePlanAggregate]:
        return [a for a in self.aggregates.values() if a.pending_events]


class _AggregateCache:
    """Least-recently-used aggregates, shared by the threads of one process. The cached
    objects are never changed: they are cloned before use."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[UUID, OnePlanAggregate] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, aggregate_id: UUID) -> OnePlanAggregate | None:
        with self._lock:
            found = self._items.get(aggregate_id)
            if found is not None:
                self._items.move_to_end(aggregate_id)
            return found

    def put(self, aggregate: OnePlanAggregate) -> None:
        if self.size <= 0:
            return
        with self._lock:
            current = self._items.get(aggregate.id)
            if current is not None and current.version > aggregate.version:
                return  # another thread cached a newer one
            self._items[aggregate.id] = aggregate
            self._items.move_to_end(aggregate.id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def evict(self, aggregate_ids: Iterable[UUID]) -> None:
        with self._lock:
            for aggregate_id in aggregate_ids:
                self._items.pop(aggregate_id, None)


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
            if self.snapshot_interval and self.snapshots is None:
                self.snapshots = self.construct_snapshot_store()
        except (PersistenceError, sqlite3.Error) as e:  # (a file that is not a database)
            raise StorageError(f"cannot open the event store: {e}") from e
        self.clock: Clock = clock or system_clock
        self._cache = _AggregateCache(self.cache_size)
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
                self._views = ProjectionRunner(self, store_for_env(self._settings, names))
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

    # --- citizen ---------------------------------------------------------------------

    def register_citizen(self, command: c.RegisterCitizen | None = None, /, **fields: Any) -> UUID:
        """Register a citizen (*borger*); returns the citizen id."""
        cmd = _parse(c.RegisterCitizen, command, fields)
        citizen_id = cmd.citizen_id or uuid4()
        birth_date = cmd.birth_date
        if birth_date is None:
            if cmd.cpr is None:
                raise InvalidInput(
                    "RegisterCitizen",
                    [{"loc": ("birth_date",), "msg": "give a birth date or a CPR number"}],
                )
            birth_date = cpr_birth_date(cmd.cpr)

        def decide(work: _Work, at: datetime) -> UUID:
            if cmd.citizen_id is not None and self._exists(citizen_id):
                raise InvalidInput(
                    "RegisterCitizen", [{"loc": ("citizen_id",), "msg": "is already in use"}]
                )
            citizen = Citizen.register(
                citizen_id=citizen_id,
                name=cmd.name,
                birth_date=birth_date,
                cpr=cmd.cpr,
                actor=cmd.actor,
                effective_at=at,
            )
            if cmd.cpr is not None:
                self._claim_cpr(cmd.cpr, citizen_id)
            work.add(citizen)
            return citizen_id

        return self._run(cmd, decide, UUID)

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

    def citizen_by_cpr(self, cpr: str) -> UUID:
        """The id of the citizen registered with CPR number ``cpr`` (found through its
        keyed hash; the number is never stored or shown)."""
        try:
            number: str = _CPR.validate_python(cpr)
        except ValidationError:
            raise InvalidInput(
                "FindCitizenByCpr", [{"loc": ("cpr",), "msg": "is not a valid CPR number"}]
            ) from None
        found = self.key_store.citizen_by_cpr_hash(self._cpr_hash(number))
        if found is None or not self._exists(UUID(found)):
            raise CprNotFound
        return UUID(found)

    def grant_consent(self, command: c.GrantConsent | None = None, /, **fields: Any) -> UUID:
        """Record a consent (*samtykke*); returns the consent id."""
        cmd = _parse(c.GrantConsent, command, fields)
        consent_id = cmd.consent_id or uuid4()

        def decide(work: _Work, at: datetime) -> UUID:
            work.get(Citizen, cmd.citizen_id).grant_consent(
                consent_id=consent_id,
                recipient_sectors=cmd.recipient_sectors,
                categories=cmd.categories,
                purpose=cmd.purpose,
                period=cmd.period,
                given_by=cmd.given_by,
                actor=cmd.actor,
                effective_at=at,
            )
            return consent_id

        return self._run(cmd, decide, UUID)

    def revoke_consent(self, command: c.RevokeConsent | None = None, /, **fields: Any) -> UUID:
        """Revoke a consent, wholly or for some sectors; returns the consent id."""
        cmd = _parse(c.RevokeConsent, command, fields)

        def decide(work: _Work, at: datetime) -> UUID:
            work.get(Citizen, cmd.citizen_id).revoke_consent(
                consent_id=cmd.consent_id,
                sectors=cmd.sectors,
                reason=cmd.reason,
                actor=cmd.actor,
                effective_at=at,
            )
            return cmd.consent_id

        return self._run(cmd, decide, UUID)

    def record_social_contact_person(
        self, command: c.RecordSocialContactPerson | None = None, /, **fields: Any
    ) -> UUID:
        cmd = _parse(c.RecordSocialContactPerson, command, fields)

        def decide(work: _Work, at: datetime) -> UUID:
            work.get(Citizen, cmd.citizen_id).record_social_contact_person(
                contact_person=cmd.contact_person, actor=cmd.actor, effective_at=at
            )
            return cmd.citizen_id

        return self._run(cmd, decide, UUID)

    def record_social_contact_made(
        self, command: c.RecordSocialContactMade | None = None, /, **fields: Any
    ) -> UUID:
        """The employment authority contacted the social-services contact person."""
        cmd = _parse(c.RecordSocialContactMade, command, fields)

        def decide(work: _Work, at: datetime) -> UUID:
            work.get(Citizen, cmd.citizen_id).record_social_contact_made(
                regarding=cmd.regarding, actor=cmd.actor, effective_at=at
            )
            return cmd.citizen_id

        return self._run(cmd, decide, UUID)

    def impose_sanction(self, command: c.ImposeSanction | None = None, /, **fields: Any) -> UUID:
        """Sanction a citizen, under the Randers sanction rule; returns the sanction id."""
        cmd = _parse(c.ImposeSanction, command, fields)
        sanction_id = cmd.sanction_id or uuid4()

        def decide(work: _Work, at: datetime) -> UUID:
            work.get(Citizen, cmd.citizen_id).impose_sanction(
                sanction_id=sanction_id,
                legal_basis=cmd.legal_basis,
                reason=cmd.reason,
                actor=cmd.actor,
                effective_at=at,
            )
            return sanction_id

        return self._run(cmd, decide, UUID)

    def record_benefit_paid(
        self, command: c.RecordBenefitPaid | None = None, /, **fields: Any
    ) -> UUID:
        """Record a benefit (such as kontanthjælp) paid to a citizen for a period, on the
        transfers budget area of the paying sector; returns the benefit id."""
        cmd = _parse(c.RecordBenefitPaid, command, fields)
        benefit_id = cmd.benefit_id or uuid4()

        def decide(work: _Work, at: datetime) -> UUID:
            work.get(Citizen, cmd.citizen_id).pay_benefit(
                benefit_id=benefit_id,
                sector=cmd.sector,
                legal_basis=cmd.legal_basis,
                amount=cmd.amount,
                period=cmd.period,
                actor=cmd.actor,
                effective_at=at,
            )
            return benefit_id

        return self._run(cmd, decide, UUID)

    def record_outcome(self, command: c.RecordOutcome | None = None, /, **fields: Any) -> UUID:
        """Record where a citizen's course stands at a follow-up; returns the citizen id."""
        cmd = _parse(c.RecordOutcome, command, fields)

        def decide(work: _Work, at: datetime) -> UUID:
            work.get(Citizen, cmd.citizen_id).record_outcome(
                outcome=cmd.outcome, actor=cmd.actor, effective_at=at
            )
            return cmd.citizen_id

        return self._run(cmd, decide, UUID)

    # --- plan ------------------------------------------------------------------------

    def open_plan(self, command: c.OpenPlan | None = None, /, **fields: Any) -> UUID:
        """Open one coordinated plan for a citizen or household (rule 1: one plan per
        citizen at a time, by consent); returns the plan id."""
        cmd = _parse(c.OpenPlan, command, fields)
        plan_id = cmd.plan_id or uuid4()

        def decide(work: _Work, at: datetime) -> UUID:
            if cmd.plan_id is not None and self._exists(plan_id):
                raise InvalidInput("OpenPlan", [{"loc": ("plan_id",), "msg": "is already in use"}])
            citizens = [work.get(Citizen, cid) for cid in cmd.citizen_ids]
            rules.plan_needs_consent(citizens, cmd.consent_ids, at)
            plan = Plan.open(
                plan_id=plan_id,
                citizen_ids=cmd.citizen_ids,
                replaces=cmd.replaces,
                legal_bases=cmd.legal_bases,
                consent_ids=cmd.consent_ids,
                actor=cmd.actor,
                effective_at=at,
            )
            work.add(plan)
            for citizen in citizens:
                citizen.join_plan(plan_id=plan_id, actor=cmd.actor, effective_at=at)
            if cmd.coordinator is not None:
                rules.sharing_fails_closed(citizens, cmd.coordinator, at, None)
                plan.assign_coordinator(
                    coordinator=cmd.coordinator, actor=cmd.actor, effective_at=at
                )
            return plan_id

        return self._run(cmd, decide, UUID)

    def record_citizens_wishes(
        self, command: c.RecordCitizensWishes | None = None, /, **fields: Any
    ) -> UUID:
        """Record the citizen's own wishes, in their words."""
        cmd = _parse(c.RecordCitizensWishes, command, fields)

        def decide(work: _Work, at: datetime) -> UUID:
            work.get(Plan, cmd.plan_id).record_wishes(
                citizen_id=cmd.citizen_id,
                wishes=cmd.wishes,
                overarching_goal=cmd.overarching_goal,
                actor=cmd.actor,
                effective_at=at,
            )
            return cmd.plan_id

        return self._run(cmd, decide, UUID)

    def assign_coordinator(
        self, command: c.AssignCoordinator | None = None, /, **fields: Any
    ) -> UUID:
        cmd = _parse(c.AssignCoordinator, command, fields)

        def decide(work: _Work, at: datetime) -> UUID:
            plan = work.get(Plan, cmd.plan_id)
            citizens = [work.get(Citizen, cid) for cid in plan.citizen_ids]
            rules.sharing_fails_closed(citizens, cmd.coordinator, at, cmd.override_legal_basis)
            plan.assign_coordinator(coordinator=cmd.coordinator, actor=cmd.actor, effective_at=at)
            return cmd.plan_id

        return self._run(cmd, decide, UUID)

    def hand_over_coordinator(
        self, command: c.HandOverCoordinator | None = None, /, **fields: Any
    ) -> UUID:
        """Rule 7: hand the plan to a new coordinator, with a reason."""
        cmd = _parse(c.HandOverCoordinator, command, fields)

        def decide(work: _Work, at: datetime) -> UUID:
            plan = work.get(Plan, cmd.plan_id)
            citizens = [work.get(Citizen, cid) for cid in plan.citizen_ids]
            rules.sharing_fails_closed(citizens, cmd.new_coordinator, at, cmd.override_legal_basis)
            plan.hand_over(
                new_coordinator=cmd.new_coordinator,
                reason=cmd.reason,
                previous_stays_as=cmd.previous_stays_as,
                actor=cmd.actor,
                effective_at=at,
            )
            return cmd.plan_id

        return self._run(cmd, decide, UUID)

    def add_participant(self, command: c.AddParticipant | None = None, /, **fields: Any) -> UUID:
        """A caseworker joins the plan in a role, if sharing with their sector is covered
        by consent or by a named legal basis (rule 9)."""
        cmd = _parse(c.AddParticipant, command, fields)

        def decide(work: _Work, at: datetime) -> UUID:
            plan = work.get(Plan, cmd.plan_id)
            citizens = [work.get(Citizen, cid) for cid in plan.citizen_ids]
            consent_ids, law = rules.sharing_fails_closed(
                citizens, cmd.participant, at, cmd.override_legal_basis
            )
            plan.add_participant(
                participant=cmd.participant,
                role=cmd.role,
                shared_under_consents=consent_ids,
                shared_under_law=law,
                actor=cmd.actor,
                effective_at=at,
            )
            return cmd.plan_id

        return self._run(cmd, decide, UUID)

    def remove_participant(
        self, command: c.RemoveParticipant | None = None, /, **fields: Any
    ) -> UUID:
        cmd = _parse(c.RemoveParticipant, command, fields)
        return self._on_plan(
            cmd,
            lambda plan, at: plan.remove_participant(
                caseworker_id=cmd.caseworker_id,
                reason=cmd.reason,
                actor=cmd.actor,
                effective_at=at,
            ),
        )

    def set_goal(self, command: c.SetGoal | None = None, /, **fields: Any) -> UUID:
        """Set a goal or a sub-goal; returns the goal id."""
        cmd = _parse(c.SetGoal, command, fields)
        goal_id = cmd.goal_id or uuid4()

        def decide(work: _Work, at: datetime) -> UUID:
            work.get(Plan, cmd.plan_id).set_goal(
                goal_id=goal_id,
                description=cmd.description,
                target=cmd.target,
                due=cmd.due,
                parent_id=cmd.parent_id,
                status=cmd.status,
                actor=cmd.actor,
                effective_at=at,
            )
            return goal_id

        return self._run(cmd, decide, UUID)

    def revise_goal(self, command: c.ReviseGoal | None = None, /, **fields: Any) -> UUID:
        cmd = _parse(c.ReviseGoal, command, fields)
        return self._on_plan(
            cmd,
            lambda plan, at: plan.revise_goal(
                goal_id=cmd.goal_id,
                reason=cmd.reason,
                description=cmd.description,
                target=cmd.target,
                due=cmd.due,
                status=cmd.status,
                actor=cmd.actor,
                effective_at=at,
            ),
            result=cmd.goal_id,
        )

    def record_goal_progress(
        self, command: c.RecordGoalProgress | None = None, /, **fields: Any
    ) -> UUID:
        cmd = _parse(c.RecordGoalProgress, command, fields)
        return self._on_plan(
            cmd,
            lambda plan, at: plan.record_progress(
                goal_id=cmd.goal_id,
                achievement=cmd.achievement,
                measured_value=cmd.measured_value,
                note=cmd.note,
                actor=cmd.actor,
                effective_at=at,
            ),
            result=cmd.goal_id,
        )

    def complete_goal(self, command: c.CompleteGoal | None = None, /, **fields: Any) -> UUID:
        cmd = _parse(c.CompleteGoal, command, fields)
        return self._on_plan(
            cmd,
            lambda plan, at: plan.complete_goal(
                goal_id=cmd.goal_id,
                achievement=cmd.achievement,
                actor=cmd.actor,
                effective_at=at,
            ),
            result=cmd.goal_id,
        )

    def cancel_goal(self, command: c.CancelGoal | None = None, /, **fields: Any) -> UUID:
        cmd = _parse(c.CancelGoal, command, fields)
        return self._on_plan(
            cmd,
            lambda plan, at: plan.cancel_goal(
                goal_id=cmd.goal_id,
                reason=cmd.reason,
                actor=cmd.actor,
                effective_at=at,
            ),
            result=cmd.goal_id,
        )

    def hold_meeting(self, command: c.HoldMeeting | None = None, /, **fields: Any) -> UUID:
        """Record a coordinating meeting; the responsibilities it decides are assigned
        on the interventions in the same save. Returns the meeting id."""
        cmd = _parse(c.HoldMeeting, command, fields)
        meeting_id = cmd.meeting_id or uuid4()

        def decide(work: _Work, at: datetime) -> UUID:
            plan = work.get(Plan, cmd.plan_id)
            plan.hold_meeting(
                meeting_id=meeting_id,
                attendees=cmd.attendees,
                decisions=cmd.decisions,
                responsibilities=cmd.responsibilities,
                next_meeting=cmd.next_meeting,
                actor=cmd.actor,
                effective_at=at,
            )
            self._meeting_assigns_responsibility(work, cmd, meeting_id, at)
            return meeting_id

        return self._run(cmd, decide, UUID)

    def _meeting_assigns_responsibility(
        self, work: _Work, cmd: c.HoldMeeting, meeting_id: UUID, at: datetime
    ) -> None:
        """A coordinating meeting decides who is responsible for each intervention
        (rule 4 keeps that to exactly one)."""
        for responsibility in cmd.responsibilities:
            intervention = work.get(Intervention, responsibility.intervention_id)
            if intervention.status.is_finished:
                raise InterventionFinished(
                    f"intervention {intervention.id} is {intervention.status.value}; "
                    "nobody can be made responsible for it",
                    intervention_id=intervention.id,
                )
            if intervention.responsible.id != responsibility.caseworker.id:
                intervention.reassign_responsible(
                    new_responsible=responsibility.caseworker,
                    reason=f"assigned at coordinating meeting {meeting_id}",
                    actor=cmd.actor,
                    effective_at=at,
                )

    def deliver_plan(self, command: c.DeliverPlan | None = None, /, **fields: Any) -> int:
        """Deliver the plan to the citizen; returns the delivered version number."""
        cmd = _parse(c.DeliverPlan, command, fields)

        def decide(work: _Work, at: datetime) -> int:
            return work.get(Plan, cmd.plan_id).deliver(
                channel=cmd.channel, actor=cmd.actor, effective_at=at
            )

        return self._run(cmd, decide, int)

    def deliver_to_archive(
        self, command: c.DeliverToArchive | None = None, /, **fields: Any
    ) -> UUID:
        """Record that a closed plan (the case file) was delivered to the public archive
        (*aflevering*); rule 10 erases nothing before that, unless a legal basis allows."""
        cmd = _parse(c.DeliverToArchive, command, fields)
        return self._on_plan(
            cmd,
            lambda plan, at: plan.deliver_to_archive(
                archive=cmd.archive, reference=cmd.reference, actor=cmd.actor, effective_at=at
            ),
        )

    def deliver_sector_plan_to_archive(
        self, command: c.DeliverSectorPlanToArchive | None = None, /, **fields: Any
    ) -> UUID:
        """Record that one of a citizen's own sector plans, closed (every intervention
        held under it finished), was delivered to the public archive as a case file;
        rule 10 erases nothing before that, unless a legal basis allows. Returns the
        citizen id."""
        cmd = _parse(c.DeliverSectorPlanToArchive, command, fields)

        def decide(work: _Work, at: datetime) -> UUID:
            citizen = work.get(Citizen, cmd.citizen_id)
            file = citizen.sector_plan_file(cmd.sector_plan)
            citizen.deliver_sector_plan_to_archive(
                sector_plan=cmd.sector_plan,
                intervention_statuses={
                    i: work.get(Intervention, i).status for i in file.intervention_ids
                },
                archive=cmd.archive,
                reference=cmd.reference,
                actor=cmd.actor,
                effective_at=at,
            )
            return citizen.id

        return self._run(cmd, decide, UUID)

    def put_plan_on_hold(self, command: c.PutPlanOnHold | None = None, /, **fields: Any) -> UUID:
        cmd = _parse(c.PutPlanOnHold, command, fields)
        return self._on_plan(
            cmd,
            lambda plan, at: plan.put_on_hold(reason=cmd.reason, actor=cmd.actor, effective_at=at),
        )

    def resume_plan(self, command: c.ResumePlan | None = None, /, **fields: Any) -> UUID:
        cmd = _parse(c.ResumePlan, command, fields)
        return self._on_plan(cmd, lambda plan, at: plan.resume(actor=cmd.actor, effective_at=at))

    def complete_plan(self, command: c.CompletePlan | None = None, /, **fields: Any) -> UUID:
        """Complete the plan; its citizens are free to get a new one."""
        cmd = _parse(c.CompletePlan, command, fields)
        return self._closing_plan(
            cmd,
            "plan completed",
            lambda plan, at: plan.complete(outcome=cmd.outcome, actor=cmd.actor, effective_at=at),
        )

    def withdraw_plan(self, command: c.WithdrawPlan | None = None, /, **fields: Any) -> UUID:
        """The citizen withdraws: the plan ends, the sector plans resume, history stays."""
        cmd = _parse(c.WithdrawPlan, command, fields)
        return self._closing_plan(
            cmd,
            "withdrawn by the citizen",
            lambda plan, at: plan.withdraw(reason=cmd.reason, actor=cmd.actor, effective_at=at),
        )

    def enter_plan_in_error(
        self, command: c.EnterPlanInError | None = None, /, **fields: Any
    ) -> UUID:
        cmd = _parse(c.EnterPlanInError, command, fields)
        return self._closing_plan(
            cmd,
            "entered in error",
            lambda plan, at: plan.enter_in_error(
                reason=cmd.reason, actor=cmd.actor, effective_at=at
            ),
        )

    def _closing_plan(self, cmd: Any, why: str, act: Callable[[Plan, datetime], None]) -> UUID:
        def decide(work: _Work, at: datetime) -> UUID:
            plan = work.get(Plan, cmd.plan_id)
            act(plan, at)
            for citizen_id in plan.citizen_ids:
                citizen = work.get(Citizen, citizen_id)
                if citizen.plan_id == plan.id:
                    citizen.leave_plan(
                        plan_id=plan.id, reason=why, actor=cmd.actor, effective_at=at
                    )
            return plan.id

        return self._run(cmd, decide, UUID)

    def _on_plan(
        self, cmd: Any, act: Callable[[Plan, datetime], object], result: UUID | None = None
    ) -> UUID:
        def decide(work: _Work, at: datetime) -> UUID:
            act(work.get(Plan, cmd.plan_id), at)
            return result or cast(UUID, cmd.plan_id)

        return self._run(cmd, decide, UUID)

    # --- intervention ----------------------------------------------------------------

    def propose_intervention(
        self, command: c.ProposeIntervention | None = None, /, **fields: Any
    ) -> UUID:
        """Propose an intervention in a plan; returns the intervention id."""
        cmd = _parse(c.ProposeIntervention, command, fields)
        intervention_id = cmd.intervention_id or uuid4()

        def decide(work: _Work, at: datetime) -> UUID:
            if cmd.intervention_id is not None and self._exists(intervention_id):
                raise InvalidInput(
                    "ProposeIntervention",
                    [{"loc": ("intervention_id",), "msg": "is already in use"}],
                )
            plan = work.get(Plan, cmd.plan_id)
            plan.include_intervention(
                intervention_id=intervention_id,
                goal_ids=cmd.goal_ids,
                citizen_id=cmd.citizen_id,
                actor=cmd.actor,
                effective_at=at,
            )
            work.add(
                Intervention.propose(
                    intervention_id=intervention_id,
                    plan_id=cmd.plan_id,
                    citizen_id=cmd.citizen_id,
                    sector=cmd.sector,
                    legal_basis=cmd.legal_basis,
                    title=cmd.title,
                    goal_ids=cmd.goal_ids,
                    responsible=cmd.responsible,
                    planned_period=cmd.planned_period,
                    planned_cost=cmd.planned_cost,
                    budget_area=cmd.budget_area,
                    actor=cmd.actor,
                    effective_at=at,
                )
            )
            return intervention_id

        return self._run(cmd, decide, UUID)

    def propose_intervention_under_sector_plan(
        self, command: c.ProposeInterventionUnderSectorPlan | None = None, /, **fields: Any
    ) -> UUID:
        """Propose an intervention under the citizen's own sector plan (*handleplan*), for a
        citizen with no coordinated plan (rule 2); returns the intervention id."""
        cmd = _parse(c.ProposeInterventionUnderSectorPlan, command, fields)
        intervention_id = cmd.intervention_id or uuid4()

        def decide(work: _Work, at: datetime) -> UUID:
            if cmd.intervention_id is not None and self._exists(intervention_id):
                raise InvalidInput(
                    "ProposeInterventionUnderSectorPlan",
                    [{"loc": ("intervention_id",), "msg": "is already in use"}],
                )
            citizen = work.get(Citizen, cmd.citizen_id)
            citizen.check_effort_outside_plan(cmd.sector_plan)
            work.add(
                Intervention.propose_under_sector_plan(
                    intervention_id=intervention_id,
                    citizen_id=cmd.citizen_id,
                    sector_plan=cmd.sector_plan,
                    legal_basis=cmd.legal_basis,
                    title=cmd.title,
                    responsible=cmd.responsible,
                    planned_period=cmd.planned_period,
                    planned_cost=cmd.planned_cost,
                    budget_area=cmd.budget_area,
                    actor=cmd.actor,
                    effective_at=at,
                )
            )
            # The citizen's record learns of the case file in the same save (rule 10).
            citizen.include_in_sector_plan(
                intervention_id=intervention_id,
                sector_plan=cmd.sector_plan,
                legal_basis=cmd.legal_basis,
                actor=cmd.actor,
                effective_at=at,
            )
            return intervention_id

        return self._run(cmd, decide, UUID)

    def grant_intervention(
        self, command: c.GrantIntervention | None = None, /, **fields: Any
    ) -> UUID:
        """Grant by a decision (*afgørelse*); rule 3. Returns the decision id."""
        cmd = _parse(c.GrantIntervention, command, fields)
        decision_id = cmd.decision_id or uuid4()

        def decide(work: _Work, at: datetime) -> UUID:
            work.get(Intervention, cmd.intervention_id).grant(
                decision_id=decision_id, note=cmd.note, actor=cmd.actor, effective_at=at
            )
            return decision_id

        return self._run(cmd, decide, UUID)

    def schedule_intervention(
        self, command: c.ScheduleIntervention | None = None, /, **fields: Any
    ) -> UUID:
        cmd = _parse(c.ScheduleIntervention, command, fields)
        return self._on_intervention(
            cmd, lambda i, at: i.schedule(start_on=cmd.start_on, actor=cmd.actor, effective_at=at)
        )

    def start_intervention(
        self, command: c.StartIntervention | None = None, /, **fields: Any
    ) -> UUID:
        """Start an intervention; rule 6 waits for the ones it depends on."""
        cmd = _parse(c.StartIntervention, command, fields)

        def decide(work: _Work, at: datetime) -> UUID:
            intervention = work.get(Intervention, cmd.intervention_id)
            statuses = {dep: work.get(Intervention, dep).status for dep in intervention.waits_for}
            intervention.start(dependency_statuses=statuses, actor=cmd.actor, effective_at=at)
            return intervention.id

        return self._run(cmd, decide, UUID)

    def pause_intervention(
        self, command: c.PauseIntervention | None = None, /, **fields: Any
    ) -> UUID:
        cmd = _parse(c.PauseIntervention, command, fields)
        return self._on_intervention(
            cmd,
            lambda i, at: i.pause(
                reason=cmd.reason,
                expected_resume=cmd.expected_resume,
                actor=cmd.actor,
                effective_at=at,
            ),
        )

    def resume_intervention(
        self, command: c.ResumeIntervention | None = None, /, **fields: Any
    ) -> UUID:
        cmd = _parse(c.ResumeIntervention, command, fields)
        return self._on_intervention(cmd, lambda i, at: i.resume(actor=cmd.actor, effective_at=at))

    def complete_intervention(
        self, command: c.CompleteIntervention | None = None, /, **fields: Any
    ) -> UUID:
        cmd = _parse(c.CompleteIntervention, command, fields)
        return self._on_intervention(
            cmd,
            lambda i, at: i.complete(
                outcome=cmd.outcome, note=cmd.note, actor=cmd.actor, effective_at=at
            ),
        )

    def stop_intervention(
        self, command: c.StopIntervention | None = None, /, **fields: Any
    ) -> UUID:
        cmd = _parse(c.StopIntervention, command, fields)
        return self._on_intervention(
            cmd, lambda i, at: i.stop(reason=cmd.reason, actor=cmd.actor, effective_at=at)
        )

    def cancel_intervention(
        self, command: c.CancelIntervention | None = None, /, **fields: Any
    ) -> UUID:
        cmd = _parse(c.CancelIntervention, command, fields)
        return self._on_intervention(
            cmd, lambda i, at: i.cancel(reason=cmd.reason, actor=cmd.actor, effective_at=at)
        )

    def reassign_responsible(
        self, command: c.ReassignResponsible | None = None, /, **fields: Any
    ) -> UUID:
        cmd = _parse(c.ReassignResponsible, command, fields)
        return self._on_intervention(
            cmd,
            lambda i, at: i.reassign_responsible(
                new_responsible=cmd.new_responsible,
                reason=cmd.reason,
                actor=cmd.actor,
                effective_at=at,
            ),
        )

    def record_actual_cost(
        self, command: c.RecordActualCost | None = None, /, **fields: Any
    ) -> UUID:
        cmd = _parse(c.RecordActualCost, command, fields)
        return self._on_intervention(
            cmd,
            lambda i, at: i.record_actual_cost(
                amount=cmd.amount,
                budget_area=cmd.budget_area,
                period=cmd.period,
                actor=cmd.actor,
                effective_at=at,
            ),
        )

    def add_dependency(self, command: c.AddDependency | None = None, /, **fields: Any) -> UUID:
        """Make an intervention wait for (or run with) another of the same plan."""
        cmd = _parse(c.AddDependency, command, fields)

        def decide(work: _Work, at: datetime) -> UUID:
            intervention = work.get(Intervention, cmd.intervention_id)
            other = work.get(Intervention, cmd.on_intervention_id)
            rules.dependency_in_same_plan(intervention, other)
            rules.no_dependency_cycle(
                intervention.id,
                other.id,
                cmd.type,
                lambda iid: (
                    (d.on_intervention_id, d.type) for d in work.get(Intervention, iid).dependencies
                ),
            )
            intervention.add_dependency(
                on_intervention_id=other.id, type=cmd.type, actor=cmd.actor, effective_at=at
            )
            return intervention.id

        return self._run(cmd, decide, UUID)

    def _on_intervention(self, cmd: Any, act: Callable[[Intervention, datetime], object]) -> UUID:
        def decide(work: _Work, at: datetime) -> UUID:
            act(work.get(Intervention, cmd.intervention_id), at)
            return cast(UUID, cmd.intervention_id)

        return self._run(cmd, decide, UUID)

    # --- retention and erasure -------------------------------------------------------

    def retention_due(self, *, at: date | None = None) -> list[RetentionDue]:
        """The citizens whose retention has ended by ``at`` (default: today): every case
        file of theirs (coordinated plans, and their own sector plans that hold
        interventions) closed longer than its period. Each says which files still wait
        for delivery to the public archive. Erased citizens are not listed."""
        self.views.catch_up()
        today = at or self.clock().date()
        files: dict[UUID, list[CaseFile]] = {}
        for plan in cast(list[PlanState], self.views.rows(PlanView.name, "")):
            case_file = CaseFile(
                plan_id=plan.plan_id,
                closed_at=plan.closed_at if plan.status.is_closed else None,
                legal_bases=(
                    *plan.legal_bases,
                    *(i.legal_basis for i in plan.interventions.values()),
                ),
                archived=plan.archived_at is not None,
            )
            for citizen_id in plan.citizen_ids:
                files.setdefault(citizen_id, []).append(case_file)
        due: list[RetentionDue] = []
        for citizen in cast(list[CitizenState], self.views.rows(CitizenView.name, "")):
            if citizen.erased or citizen.registered_at is None:
                continue
            own = [
                *files.get(citizen.citizen_id, []),
                *map(_sector_plan_file, citizen.sector_plans),
            ]
            ends = retention_ends(own, self.retention, registered_at=citizen.registered_at)
            if ends is not None and ends <= today:
                due.append(RetentionDue.of(citizen.citizen_id, ends, own))
        return sorted(due, key=lambda d: (d.due, str(d.citizen_id)))

    def erase_citizen(
        self,
        command: c.EraseCitizen | None = None,
        /,
        *,
        progress: Callable[[int, int], None] | None = None,
        **fields: Any,
    ) -> Erasure:
        """Erase a citizen's personal data at the end of retention (rule 10,
        crypto-shredding): record ``Citizen.Erased``, destroy the citizen's data keys
        (and a household plan's, with its last member), then rebuild the views, so that
        every view row of theirs is redacted and their events read as erased. Stored
        events are never rewritten or deleted. Refused before the end of retention, and
        before archive delivery unless ``legal_basis`` is given."""
        cmd = _parse(c.EraseCitizen, command, fields)
        sealer = self.sealer
        if sealer is None:
            raise MasterKeyMissing(
                "nothing is encrypted, so nothing can be erased by destroying keys: "
                "configure ONEPLAN_MASTER_KEY before the first event (docs/privacy.md)"
            )
        citizen = self._load(Citizen, cmd.citizen_id)
        if citizen.erased:
            live = [k for k in sealer.store.keys_of([str(citizen.id)]) if k.wrapped]
            if not live and not self._repeats(cmd):  # (a repeat destroys nothing more)
                raise CitizenErased(
                    f"citizen {citizen.id} was erased already", citizen_id=citizen.id
                )
            # An erasure recorded, but stopped before its keys were destroyed: finish it.
        else:

            def decide(work: _Work, at: datetime) -> UUID:
                who = work.get(Citizen, cmd.citizen_id)
                plan_ids = (*who.past_plan_ids, *((who.plan_id,) if who.plan_id else ()))
                files = [self._case_file(work, pid) for pid in plan_ids]
                files += [self._sector_plan_case_file(work, f) for f in who.sector_plans.values()]
                rules.erasure_only_at_end_of_retention(
                    who, files, self.retention, at.date(), cmd.legal_basis
                )
                who.erase(
                    plan_ids=plan_ids,
                    legal_basis=cmd.legal_basis,
                    reason=cmd.reason,
                    actor=cmd.actor,
                    effective_at=at,
                )
                return who.id

            self._run(cmd, decide, UUID)
            citizen = self._load(Citizen, cmd.citizen_id)
        households = tuple(
            plan.id
            for plan in (self._load(Plan, pid) for pid in citizen.past_plan_ids)
            if plan.is_household
            and all(self._load(Citizen, member).erased for member in plan.citizen_ids)
        )
        # The views hold the citizen's data in the clear until they are folded again
        # without the keys. Empty them first, in one transaction, so that a crash from
        # here on leaves nothing of the citizen's in them: whatever folds them next starts
        # from zero, after the keys are gone (or, if they are not, after the erasure is
        # finished by running it again).
        self.views.store.reset(self.views.versions)
        destroyed = sealer.destroy([citizen.id, *households], at=self.clock().isoformat())
        self._cache.clear()
        folded = self.views.rebuild(progress=progress)
        self.views.store.scrub()
        return Erasure(
            citizen_id=citizen.id,
            plan_ids=citizen.past_plan_ids,
            sector_plans=tuple(citizen.sector_plans),
            keys_destroyed=len(destroyed),
            households=households,
            events_refolded=folded,
        )

    def _case_file(self, work: _Work, plan_id: UUID) -> CaseFile:
        plan = work.get(Plan, plan_id)
        bases = tuple(work.get(Intervention, i).legal_basis for i in plan.intervention_ids)
        return CaseFile(
            plan_id=plan.id,
            closed_at=plan.closed_at if plan.status.is_closed else None,
            legal_bases=(*plan.legal_bases, *bases),
            archived=plan.archived_at is not None,
        )

    def _sector_plan_case_file(self, work: _Work, file: SectorPlanFile) -> CaseFile:
        """A sector plan of the citizen's as a case file: closed at its interventions'
        latest finish, once every one has finished (read from the interventions)."""
        interventions = [work.get(Intervention, i) for i in file.intervention_ids]
        running = tuple(i.id for i in interventions if not i.status.is_finished)
        ended = [i.ended_at for i in interventions if i.ended_at is not None]
        return CaseFile(
            plan_id=None,
            sector_plan=file.sector_plan,
            closed_at=None if running or not ended else max(ended),
            legal_bases=file.legal_bases,
            archived=file.archived_at is not None,
            intervention_ids=file.intervention_ids,
            running=running,
        )

    def rotate_master_key(self, new_master_key: bytes) -> int:
        """Wrap every data key with ``new_master_key`` instead of the current one, in one
        transaction (no event is encrypted again), and use it from now on. Returns how
        many keys were wrapped again. Configure the new key before the next open."""
        if self.sealer is None:
            raise MasterKeyMissing("no master key is configured, so there is none to rotate")
        if len(new_master_key) != KEY_BYTES:
            raise KeyConfigurationError(
                f"a master key is {KEY_BYTES} random bytes", key="ONEPLAN_MASTER_KEY"
            )
        count = self.sealer.rotate(new_master_key)
        self.keys = attrs.evolve(self.keys, master_key=new_master_key)
        return count

    # --- reading ---------------------------------------------------------------------

    def citizen(
        self, citizen_id: UUID, *, version: int | None = None, as_of: datetime | None = None
    ) -> Citizen:
        """The citizen now, at a past ``version``, or as recorded at ``as_of``."""
        return self._read(Citizen, citizen_id, version, as_of)

    def plan(
        self, plan_id: UUID, *, version: int | None = None, as_of: datetime | None = None
    ) -> Plan:
        """The plan now, at a past ``version``, or as it stood at recorded time ``as_of``."""
        return self._read(Plan, plan_id, version, as_of)

    def intervention(
        self, intervention_id: UUID, *, version: int | None = None, as_of: datetime | None = None
    ) -> Intervention:
        return self._read(Intervention, intervention_id, version, as_of)

    def interventions_of(
        self, plan_id: UUID, *, as_of: datetime | None = None
    ) -> list[Intervention]:
        """The plan's interventions, in the order they were proposed."""
        plan = self.plan(plan_id, as_of=as_of)
        return [self.intervention(i, as_of=as_of) for i in plan.intervention_ids]

    def sector_view(
        self,
        plan_id: UUID,
        *,
        sector: Sector | str,
        reader: Actor,
        as_of: datetime | None = None,
    ) -> SectorView:
        """The plan as ``sector`` may see it (as it stood at ``as_of``, or now), under the
        consents active now. The read is recorded in the access log, naming every item
        shown and the consent or legal basis that allowed it."""
        try:
            sector = Sector(sector)
            reader = Actor.model_validate(reader)
        except (ValueError, ValidationError) as e:
            raise InvalidInput("ReadSectorView", [{"loc": ("sector",), "msg": str(e)}]) from None
        if reader.sector is not sector:
            raise InvalidInput(
                "ReadSectorView",
                [{"loc": ("reader", "sector"), "msg": f"the reader does not act for {sector}"}],
            )
        read_at = self.clock()
        self.views.catch_up()
        plan = self._plan_state(plan_id, as_of)
        citizens = {cid: self._citizen_state(cid) for cid in plan.citizen_ids}
        view = sector_view(plan, citizens, sector=sector, at=read_at, reader=reader, as_of=as_of)
        with recording(datetime.now(UTC)):
            record = AccessRecord.sector_view_read(
                access_id=uuid4(),
                plan_id=plan_id,
                citizen_ids=plan.citizen_ids,
                sector=sector,
                as_of=as_of,
                items=view.items(),
                reader=reader,
                read_at=read_at,
            )
        try:
            self._save([record])
        except _READ_ERRORS as e:
            raise StorageError(f"the read of plan {plan_id} could not be logged: {e}") from e
        return view

    def citizen_plan(
        self,
        plan_id: UUID,
        *,
        as_of: datetime | None = None,
        language: Language | str = Language.DA,
        format: DocumentFormat | str = DocumentFormat.MARKDOWN,
    ) -> str:
        """The citizen's own plan (*borgerens plan*) as a readable document, as it stood at
        ``as_of`` (or now): Danish or English, Markdown or HTML. No internal notes."""
        try:
            lang, fmt = Language(language), DocumentFormat(format)
        except ValueError as e:
            raise InvalidInput("RenderCitizenPlan", [{"loc": (), "msg": str(e)}]) from None
        self.views.catch_up()
        plan = self._plan_state(plan_id, as_of)
        citizens = {cid: self._citizen_state(cid) for cid in plan.citizen_ids}
        return render_citizen_plan(
            plan, citizens, language=lang, format=fmt, as_of=as_of or self.clock()
        )

    def caseload(
        self,
        coordinator_id: str,
        *,
        paused_longer_than: timedelta = DEFAULT_PAUSE_LIMIT,
        at: datetime | None = None,
    ) -> Caseload:
        """A coordinator's caseload now: active plans, goals past due, interventions
        paused longer than ``paused_longer_than``, and the hand-overs they received."""
        self.views.catch_up()
        state: CaseloadState | None = self.views.get(CaseloadView.name, coordinator_id)
        if state is None:
            state = CaseloadState(coordinator_id=coordinator_id)
        plans = {p.plan_id: self._plan_state(p.plan_id, None) for p in state.plans}
        return caseload(state, plans, at=at or self.clock(), paused_longer_than=paused_longer_than)

    def coordinators(self) -> list[str]:
        """The ids of every caseworker who has coordinated a plan."""
        self.views.catch_up()
        return self.views.keys(CaseloadView.name)

    def journey(self, citizen_id: UUID) -> JourneyState:
        """The citizen's journey: every contact and change on their record, and the
        caseworkers and sectors met so far."""
        self.views.catch_up()
        state: JourneyState | None = self.views.get(JourneyView.name, citizen_id)
        if state is None:
            raise CitizenNotFound(citizen_id)
        return state

    def access_log(self, citizen_id: UUID) -> AccessLogState:
        """Who has read the citizen's data, when, as which sector, which items, and under
        which consent or legal basis."""
        self.views.catch_up()
        self._citizen_state(citizen_id)
        rows: list[AccessLogState] = self.views.rows(AccessLogView.name, f"{citizen_id}/")
        return AccessLogView.merged(citizen_id, rows)

    # --- the audit trail ----------------------------------------------------------------

    def audit_trail(
        self,
        *,
        citizen_id: UUID | None = None,
        plan_id: UUID | None = None,
        actor_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[AuditEntry]:
        """The audit trail in the order recorded (one entry per stored event, reads of
        sector views included): who did what, when, why and on which legal basis; of one
        citizen, plan or actor (all that are given), recorded in ``[since, until)``."""
        for name, moment in (("since", since), ("until", until)):
            if moment is not None and moment.tzinfo is None:
                raise EffectiveTimeInvalid.because("AuditTrail", "must be timezone-aware", name)
        try:
            yield from audit_entries(
                self,
                citizen_id=citizen_id,
                plan_id=plan_id,
                actor_id=actor_id,
                since=since,
                until=until,
            )
        except _READ_ERRORS as e:
            raise StorageError(f"cannot read the audit trail: {e}") from e

    def verify_audit(
        self, *, anchor: Anchor | None = None, progress: Progress | None = None
    ) -> Verification:
        """Replay the stored log and its audit chain (the bytes as stored, never decrypted)
        and report the first place they disagree, checked against ``anchor`` if given.
        Without the audit key only the chain's structure can be checked."""
        try:
            return Verifier(
                self._chain_source(), self._audit_key(), anchor=anchor, progress=progress
            ).run()
        except _READ_ERRORS as e:
            raise StorageError(f"cannot read the log to verify it: {e}") from e

    def make_audit_anchor(self, *, progress: Progress | None = None) -> Anchor:
        """Verify the log, then sign an anchor of its chain to keep elsewhere (``Anchor.write``)."""
        try:
            return make_anchor(
                self._chain_source(), self._audit_key(), made_at=self.clock(), progress=progress
            )
        except _READ_ERRORS as e:
            raise StorageError(f"cannot read the log to anchor it: {e}") from e

    def start_audit_chain(self) -> int:
        """Start the audit chain on a record that holds events written without an audit
        key; returns the last position it does not cover. Needs the audit key."""
        recorder: Any = self.recorder
        try:
            return int(recorder.start_chain().after)
        except _READ_ERRORS as e:
            raise StorageError(f"cannot start the audit chain: {e}") from e

    def _audit_key(self) -> ChainKey | None:
        return getattr(self.recorder, "audit_key", None)

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
            aggregate = self.plan(plan_id, as_of=as_of)
            streams = (plan_id, *aggregate.intervention_ids)
            events = sorted(
                (e for sid in streams for e in self.history(sid) if e.timestamp <= as_of),
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

    def history(self, aggregate_id: UUID) -> list[OnePlanAggregate.Event]:
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
        events were all recorded by ``as_of`` (None: there is none; fold from the start)."""
        if self.snapshots is None:
            return None
        lte, limit = version, 6  # newest first, in growing pages (a query costs a round trip)
        while True:
            found = self.snapshots.recorder.select_events(
                aggregate_id, lte=lte, desc=True, limit=limit
            )
            for stored in found:
                if as_of is None or recorded_until(stored, self.mapper) <= as_of:
                    snapshot = self.snapshots.mapper.to_domain_event(stored)
                    if isinstance(snapshot, AggregateSnapshot) and snapshot.usable:
                        return snapshot
                    return None  # erased (older ones too) or written with another schema
            if len(found) < limit:
                return None
            lte, limit = found[-1].originator_version - 1, limit * 2

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
        self, cmd: c.Command, decide: Callable[[_Work, datetime], R], load: Callable[[str], R]
    ) -> R:
        """Decide and save, atomically; retry on conflict where safe; idempotent by
        ``command_id``. A store that fails is reported as ``StorageError``."""
        try:
            return self._decide_and_save(cmd, decide, load)
        except _READ_ERRORS as e:
            if isinstance(e, IntegrityError):
                raise
            raise StorageError(f"{type(cmd).__name__} was not carried out: {e}") from e

    def _decide_and_save(
        self, cmd: c.Command, decide: Callable[[_Work, datetime], R], load: Callable[[str], R]
    ) -> R:
        receipt_id = CommandReceipt.id_for(cmd.command_id) if cmd.command_id else None
        fingerprint = _fingerprint(cmd, self.keys.cpr_key) if receipt_id else ""
        if receipt_id is not None:
            earlier = self._receipt(receipt_id, cmd, fingerprint, load)
            if earlier is not None:
                return earlier[0]
        at = self._effective_at(cmd)
        attempts = 1 + (self.max_retries if cmd.retry_on_conflict else 0)
        for _ in range(attempts):
            work = _Work(self, optimistic=cmd.retry_on_conflict)
            try:
                with recording(datetime.now(UTC)):
                    result = decide(work, at)
            except OnePlanError:
                stale = work.stale(including_changed=True)
                if not stale:
                    raise  # refused on up-to-date state
                self._cache.evict(stale)  # refused on a stale cached copy: decide again
                continue
            stale = work.stale()
            if stale:
                self._cache.evict(stale)
                continue
            changed: list[Aggregate] = list(work.changed())
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
            try:
                self._save(changed)
            except IntegrityError:
                self._cache.evict(work.aggregates)
                if receipt_id is not None:
                    earlier = self._receipt(receipt_id, cmd, fingerprint, load)
                    if earlier is not None:
                        return earlier[0]
                continue
            except PersistenceError as e:
                self._cache.evict(work.aggregates)
                raise StorageError(f"{type(cmd).__name__} was not saved: {e}") from e
            for aggregate in changed:
                if isinstance(aggregate, OnePlanAggregate):
                    self._cache.put(aggregate)
            return result
        raise ConcurrencyConflict(
            f"{type(cmd).__name__}: another writer changed "
            f"{', '.join(str(a) for a in work.aggregates)} first"
            + (f" (tried {attempts} times)" if attempts > 1 else ""),
            aggregate_ids=tuple(work.aggregates),
        )

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

    def _save(self, aggregates: list[Aggregate]) -> None:
        """``Application.save`` for our own aggregates, without its per-object protocol
        checks (which cost more than the rest of an in-memory save on Python 3.11).
        Inside ``batched()`` the events wait for the end of the batch."""
        batch = self._batch if self._batch_thread == threading.get_ident() else None
        processing: ProcessingEvent[UUID] = batch if batch is not None else ProcessingEvent()
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
            raise StorageError(f"snapshots are off ({SNAPSHOT_INTERVAL_VARIABLE}=0)")
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
        self, receipt_id: UUID, cmd: c.Command, fingerprint: str, load: Callable[[str], R]
    ) -> tuple[R] | None:
        try:
            receipt: CommandReceipt = self.repository.get(receipt_id)
        except AggregateNotFoundError:
            return None
        if receipt.fingerprint != fingerprint and (
            ":hmac:" in receipt.fingerprint or receipt.fingerprint != _fingerprint(cmd, None)
        ):  # (a receipt written before keys were configured has an unkeyed fingerprint)
            raise CommandIdReused(
                f"command id was used before for another {receipt.command} or other input",
                receipt_id=receipt_id,
            )
        return (load(receipt.result),)

    def _repeats(self, cmd: c.Command) -> bool:
        """Whether ``cmd`` repeats, by its ``command_id``, a command carried out already
        (``CommandIdReused`` if that id was used for another command)."""
        if cmd.command_id is None:
            return False
        fingerprint = _fingerprint(cmd, self.keys.cpr_key)
        receipt_id = CommandReceipt.id_for(cmd.command_id)
        return self._receipt(receipt_id, cmd, fingerprint, str) is not None

    def _effective_at(self, cmd: c.Command) -> datetime:
        now = self.clock()
        at = cmd.effective_at or now
        if at > now + self.clock_skew:
            raise EffectiveTimeInvalid.because(
                type(cmd).__name__, f"{at.isoformat()} is in the future"
            )
        return at

    def all_events(self) -> Iterator[Any]:
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


def _sector_plan_file(row: SectorPlanRow) -> CaseFile:
    """A sector plan of a citizen's, as the citizen view holds it, as a case file."""
    return CaseFile(
        plan_id=None,
        sector_plan=row.sector_plan,
        closed_at=row.closed_at,
        legal_bases=row.legal_bases,
        archived=row.archived_at is not None,
        intervention_ids=tuple(row.ended),
        running=row.running,
    )


def _parse(model: type[M], command: M | None, fields: Mapping[str, Any]) -> M:
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
        try:
            parsed = model.model_validate(fields)
        except ValidationError as e:
            errors = [
                {"loc": err["loc"], "msg": err["msg"], "type": err["type"]} for err in e.errors()
            ]
            raise _refusal(model.__name__, errors) from None
    if isinstance(parsed, c.Command):
        out_of_range = c.dates_out_of_range(parsed)
        if out_of_range:
            raise _refusal(model.__name__, out_of_range)
    return parsed


def _refusal(command: str, errors: list[dict[str, Any]]) -> InvalidInput:
    """The typed error for ``errors``: ``EffectiveTimeInvalid`` when one is about
    ``effective_at``, else ``InvalidInput``."""
    if any(tuple(err["loc"])[:1] == ("effective_at",) for err in errors):
        return EffectiveTimeInvalid(command, errors)
    return InvalidInput(command, errors)
