"""Sealing: the personal fields of stored events, encrypted per citizen and retention
class (AES-GCM), with data keys wrapped by the master key.

- Every stream (a citizen's record, a plan, an intervention) belongs to an owner: a
  citizen, or a household (a plan of several citizens), in a retention class. Its first
  event names them in its clear fields (``oneplan.privacy.retention.stream_owner``), so
  the owner of any later event is read from the stream's first event: there is no
  separate index to keep in step with the events, and nothing to go wrong between them.
- Each owner has one data key per retention class: 32 random bytes, stored wrapped by
  the master key (AES-GCM, its associated data naming the key, owner and class). A key
  is written to the key store, in its own transaction, *before* the first event sealed
  with it (a crash in between leaves an unused key, never an event without its key).
- A stored event's personal fields are sealed into ``"__sealed__": [{"k": key id, "c":
  nonce + ciphertext}]``, one part per key (a household member's own wishes go under
  their own key), and the clear fields hold each one's erased placeholder. The
  associated data of each part names the stream, version, topic and key id, so a part
  moved to another row, stream, version or event class fails (``CiphertextRejected``).
- Destroying an owner's keys (erasure) leaves every sealed part unreadable: its events
  read as their placeholders. The stored bytes never change (the audit chain over them
  still verifies).
- Rotating the master key wraps every live data key again, in one transaction; no event
  is encrypted again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from uuid import UUID, uuid4

import attrs
import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from oneplan.errors import (
    CiphertextRejected,
    CitizenErased,
    MasterKeyMismatch,
    StorageError,
)
from oneplan.privacy.keystore import DataKeyRow, KeyStore
from oneplan.privacy.retention import StreamOwner, stream_owner

__all__ = ["SEALED", "Sealer", "cpr_hash", "master_key_id"]

SEALED = "__sealed__"
"""The key of a stored event's sealed parts."""
_NONCE = 12


def master_key_id(master_key: bytes) -> str:
    """A master key's public id: a keyed hash that names it without revealing it."""
    return hmac.new(master_key, b"oneplan master key id", hashlib.sha256).hexdigest()[:32]


def cpr_hash(cpr_key: bytes, cpr: str) -> str:
    """The keyed hash by which a citizen is found from their CPR number (10 digits)."""
    return hmac.new(cpr_key, b"oneplan-cpr|" + cpr.encode(), hashlib.sha256).hexdigest()


def _wrap_ad(row: DataKeyRow) -> bytes:
    return f"oneplan-data-key|{row.key_id}|{row.subject}|{row.retention_class}".encode()


def _seal_ad(stream_id: UUID, version: int, topic: str, key_id: str) -> bytes:
    """The associated data of a sealed part: the row it belongs in, and its key."""
    return b"oneplan-event|%b|%d|%b|%b" % (
        stream_id.bytes,
        version,
        topic.encode(),
        key_id.encode(),
    )


class Sealer:
    """Seals and opens the personal fields of one database's events."""

    key_ttl = 60.0
    """Seconds a data key is kept in memory before the key store is asked again (so a
    key destroyed by another process is let go here within this time)."""
    max_cached_keys = 100_000
    """The most data keys (and subjects' key ids) kept in memory; past it the memory is
    emptied and keys are read from the key store again as they are used (a municipality
    of 100,000 citizens with a key per retention class fits; a rebuild of a larger one
    does not grow without bound)."""

    def __init__(
        self, store: KeyStore, master_key: bytes, first_event: Callable[[UUID], Any | None]
    ) -> None:
        self.store = store
        self._first_event = first_event
        """The stored first event of a stream (None: the stream has no events yet)."""
        self._master = AESGCM(master_key)
        self.master_key_id = master_key_id(master_key)
        stored = store.claim_master_key_id(self.master_key_id)
        if stored != self.master_key_id:
            raise MasterKeyMismatch(
                "the configured master key (id "
                f"{self.master_key_id}) is not the one this database's data keys are "
                f"wrapped with (id {stored}): use the key file that goes with it",
                key_id=self.master_key_id,
                expected=stored,
            )
        self._owners: dict[UUID, StreamOwner] = {}
        self._key_ids: dict[tuple[str, str], str] = {}
        self._ciphers: dict[str, tuple[AESGCM | None, float]] = {}
        self._erasing: set[str] = set()
        """Key ids of subjects whose erasure this process has folded (``Citizen.Erased``)
        but whose keys may not be destroyed yet: read, and never used, as destroyed."""
        self._lock = threading.Lock()

    # --- owners and keys -------------------------------------------------------------

    def remember(self, event: Any) -> None:
        """Note the owner a stream's first event names, for the events saved with it."""
        first = stream_owner(event)
        if first is not None:
            self._remember(event.originator_id, first)

    def _remember(self, stream_id: UUID, owner: StreamOwner) -> None:
        if len(self._owners) > 200_000:
            self._owners.clear()
        self._owners[stream_id] = owner

    def owner(self, event: Any) -> StreamOwner:
        """The owner of ``event``'s stream, as its first event names it."""
        stream_id: UUID = event.originator_id
        found = self._owners.get(stream_id) or stream_owner(event)
        if found is None:
            first = self._first_event(stream_id)
            found = None if first is None else stream_owner(first)
            if found is None:
                raise StorageError(
                    f"stream {stream_id} has no first event naming whose data it holds",
                    stream_id=stream_id,
                )
        self._remember(stream_id, found)
        return found

    def _key_for(self, subject: UUID, retention_class: str) -> tuple[str, AESGCM]:
        """The data key of ``subject`` in ``retention_class``, made on first use."""
        slot = (str(subject), retention_class)
        key_id = self._key_ids.get(slot)
        if key_id is None:
            if len(self._key_ids) >= self.max_cached_keys:
                self._key_ids.clear()  # (a slot's key id never changes: read again)
            key_id = self._key_ids[slot] = self._stored_or_new_key(*slot)
        cipher = self._cipher(key_id)
        if cipher is None:
            raise CitizenErased(
                f"the personal data of {subject} was erased: nothing more can be written "
                "about them",
                citizen_id=subject,
            )
        return key_id, cipher

    def _stored_or_new_key(self, subject: str, retention_class: str) -> str:
        """The id of the stored data key of ``subject`` in ``retention_class``; a new
        one is made and stored (before any event is sealed with it) when there is none
        (the key store keeps the first of two racing writers')."""
        key = AESGCM.generate_key(bit_length=256)
        row = DataKeyRow(
            key_id=str(uuid4()),
            subject=subject,
            retention_class=retention_class,
            wrapped=None,
            master_key_id=self.master_key_id,
        )
        nonce = os.urandom(_NONCE)
        wrapped = nonce + self._master.encrypt(nonce, key, _wrap_ad(row))
        stored = self.store.add_data_key(attrs.evolve(row, wrapped=wrapped))
        if stored.key_id == row.key_id:  # ours: no need to read it back
            self._keep_cipher(row.key_id, AESGCM(key), time.monotonic() + self.key_ttl)
        return stored.key_id

    def let_go_of_destroyed(self) -> int:
        """Let go at once of every data key in memory that another process destroyed
        (not only after ``key_ttl``), as a rebuild does before it reads the log; returns
        how many keys are destroyed."""
        destroyed = self.store.destroyed_ids()
        with self._lock:
            for key_id in destroyed:
                if key_id in self._ciphers:
                    self._ciphers[key_id] = (None, 0.0)
        return len(destroyed)

    def _keep_cipher(self, key_id: str, cipher: AESGCM | None, until: float) -> None:
        """Keep a data key (None: destroyed) in memory, within ``max_cached_keys``."""
        if len(self._ciphers) >= self.max_cached_keys and key_id not in self._ciphers:
            self._ciphers.clear()
        self._ciphers[key_id] = (cipher, until)

    def _cipher(self, key_id: str) -> AESGCM | None:
        """The data key ``key_id`` (None: destroyed, or its subject being erased)."""
        if key_id in self._erasing:
            return None
        cached = self._ciphers.get(key_id)
        now = time.monotonic()
        if cached is not None and (cached[0] is None or cached[1] > now):
            return cached[0]
        row = self.store.data_key(key_id)
        if row is None:
            raise CiphertextRejected(
                f"data key {key_id} is not in the key store: the event was sealed elsewhere",
                key_id=key_id,
            )
        cipher = None if row.wrapped is None else AESGCM(self._unwrap(row))
        self._keep_cipher(key_id, cipher, now + self.key_ttl)
        return cipher

    def _unwrap(self, row: DataKeyRow, master: AESGCM | None = None) -> bytes:
        assert row.wrapped is not None
        try:
            return (master or self._master).decrypt(
                row.wrapped[:_NONCE], row.wrapped[_NONCE:], _wrap_ad(row)
            )
        except InvalidTag:
            raise MasterKeyMismatch(
                f"data key {row.key_id} cannot be unwrapped with the configured master key "
                f"(id {self.master_key_id}; the key says {row.master_key_id})",
                key_id=self.master_key_id,
                expected=row.master_key_id,
            ) from None

    # --- sealing ---------------------------------------------------------------------

    def seal(
        self,
        stream_id: UUID,
        version: int,
        topic: str,
        parts: Mapping[tuple[UUID, str], Mapping[str, Any]],
    ) -> list[dict[str, str]]:
        """Seal each part (fields as JSON data) under the key of its (subject, class)."""
        sealed = []
        for (subject, retention_class), fields in parts.items():
            key_id, cipher = self._key_for(subject, retention_class)
            nonce = os.urandom(_NONCE)
            ciphertext = cipher.encrypt(
                nonce, orjson.dumps(fields), _seal_ad(stream_id, version, topic, key_id)
            )
            sealed.append({"k": key_id, "c": base64.b64encode(nonce + ciphertext).decode()})
        return sealed

    def open(
        self,
        stream_id: UUID,
        version: int,
        topic: str,
        sealed: Iterable[Mapping[str, str]],
    ) -> dict[str, Any]:
        """The fields of every sealed part whose key still exists (an erased part is
        left out: its placeholders stand)."""
        fields: dict[str, Any] = {}
        for part in sealed:
            try:
                key_id, blob = str(part["k"]), base64.b64decode(part["c"], validate=True)
            except (KeyError, TypeError, ValueError):
                raise CiphertextRejected(
                    f"a sealed part of {stream_id} version {version} is malformed",
                    stream_id=stream_id,
                    version=version,
                ) from None
            cipher = self._cipher(key_id)
            if cipher is None:
                continue
            try:
                plain = cipher.decrypt(
                    blob[:_NONCE], blob[_NONCE:], _seal_ad(stream_id, version, topic, key_id)
                )
            except InvalidTag:
                raise CiphertextRejected(
                    f"the sealed data of {stream_id} version {version} ({topic}) fails "
                    "authentication: it was altered, or moved from another row",
                    stream_id=stream_id,
                    version=version,
                ) from None
            fields.update(orjson.loads(plain))
        return fields

    # --- view rows (``oneplan.projections.sealed_rows``) ------------------------------

    def subject_key(self, subject: UUID, retention_class: str) -> tuple[str, AESGCM] | None:
        """The data key a view row of ``subject``'s is sealed under (made on first use);
        None once the subject is erased (its keys destroyed, or being destroyed)."""
        try:
            return self._key_for(subject, retention_class)
        except CitizenErased:
            return None

    def data_key(self, key_id: str) -> AESGCM | None:
        """The data key ``key_id`` (None: destroyed, or its subject being erased);
        ``CiphertextRejected`` when the key store has no such key."""
        return self._cipher(key_id)

    def owner_of(self, stream_id: UUID) -> StreamOwner | None:
        """The owner of a stream, as its first event names it (None: no such stream)."""
        found = self._owners.get(stream_id)
        if found is None:
            first = self._first_event(stream_id)
            found = None if first is None else stream_owner(first)
            if found is not None:
                self._remember(stream_id, found)
        return found

    def first_event(self, stream_id: UUID) -> Any | None:
        """The stored first event of a stream (None: the stream has no events yet)."""
        return self._first_event(stream_id)

    def erasing(self, subjects: Iterable[UUID]) -> None:
        """From now on, in this process, read ``subjects``' data as erased and seal
        nothing more under their keys, before the keys are destroyed (an erasure folds
        the citizen's rows again without them, then destroys the keys)."""
        rows = self.store.keys_of({str(s) for s in subjects})
        with self._lock:
            self._erasing.update(row.key_id for row in rows)

    def destroyed(self, subject: UUID) -> bool:
        """Whether ``subject`` has data keys and every one of them is destroyed."""
        rows = self.store.keys_of([str(subject)])
        return bool(rows) and all(row.wrapped is None for row in rows)

    # --- erasure and rotation --------------------------------------------------------

    def destroy(self, subjects: Iterable[UUID], *, at: str) -> list[str]:
        """Destroy every data key of ``subjects``; returns the ids destroyed."""
        names = {str(s) for s in subjects}
        destroyed = self.store.destroy(names, at=at)
        with self._lock:
            for key_id in destroyed:
                self._keep_cipher(key_id, None, 0.0)
            for row in self.store.keys_of(names):
                self._keep_cipher(row.key_id, None, 0.0)
        return destroyed

    def rotate(self, new_master_key: bytes) -> int:
        """Wrap every live data key with ``new_master_key`` instead, in one transaction,
        and use it from now on; returns how many keys were wrapped again."""
        new = AESGCM(new_master_key)
        new_id = master_key_id(new_master_key)

        def rewrap(row: DataKeyRow) -> bytes:
            key = self._unwrap(row)
            nonce = os.urandom(_NONCE)
            return nonce + new.encrypt(nonce, key, _wrap_ad(row))

        count = self.store.rewrap(rewrap, self.master_key_id, new_id)
        with self._lock:
            self._master, self.master_key_id = new, new_id
            self._ciphers.clear()
        return count
