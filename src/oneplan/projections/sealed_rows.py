"""View rows sealed under the data keys of the people they are about, so that an erasure
(destroying the keys) reaches every copy of them: the table, PostgreSQL's WAL and
SQLite's, replicas and backups.

A row is sealed at the bytes level, between the runner (which writes the row codec's
bytes) and the SQL tables: ``SealedViewStore`` wraps a ``ViewStore``, seals every row
it writes and opens every row it reads, so the folds, the codec and the reads above it
see the same bytes as before.

**Whose row.** Each view row is about some *subjects* (``row_subjects``): a citizen, or
a household (a household plan's shared fields), each with a data key of the key store
(``oneplan.privacy.sealing.Sealer``; the same keys the events are sealed under):

- ``citizen``, ``journey``: the citizen;
- ``access_log``: the citizen whose log it is (a disclosure of the whole record,
  ``*/...``, names no one: clear);
- ``plan``: its citizen; a household plan: the household and every member;
- ``caseload``: the owner of each plan whose hand-over (with its reason) the row holds
  (none: clear);
- ``route``, ``audit_index``: none, they hold ids only (clear).

A citizen's rows use their ``citizen`` key; a household's, the household plan's own key.

**Format.** ``MAGIC``, then the number of subjects and, for each, its key id and a share
of the row key sealed under that data key (AES-GCM), then the row sealed under the row
key (AES-GCM). The row key is the XOR of all shares, so *every* subject's key is needed
to open the row: destroying any one of them makes it unreadable. The associated data of
every part names the view, the row's key and the key ids, so a sealed row moved to
another row fails (``CiphertextRejected``). A row none of whose subjects has a live key
(every subject erased: it holds only placeholders) and a row with no subject are
written as they are.

A row sealed under a key destroyed since (a row the erasure should have rewritten, say
after a crash between the two steps) reads as *absent*: never garbage, never an error
that breaks a read of other rows. Rows written before sealing was on (JSON, which never
begins with ``MAGIC``) read as they are; the next rebuild (``oneplan replay``) seals them.

**Rebuilds.** A row is sealed afresh each time it is written, so a rebuild cannot tell a
row unchanged by its bytes: where the store's rebuild seals rows itself
(``Rebuilding.seals_with``: SQLite and PostgreSQL), it compares what the stored row
holds (``RowSealer.holds``) and keeps a view whose every row holds what the rebuild made,
sealed under the keys it would use now.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from oneplan.errors import CiphertextRejected, StorageError
from oneplan.privacy.retention import RetentionClass
from oneplan.privacy.sealing import Sealer
from oneplan.projections.stores import Rebuilding, Rows, ViewStore

__all__ = ["MAGIC", "RowSealer", "SealedViewStore", "is_sealed"]

MAGIC = b"\x00oneplan-row-1\x00"
"""How a sealed row begins (a row as the codec writes it is JSON, never beginning so)."""
_NONCE = 12
_KEY = 32
_CITIZEN = RetentionClass.CITIZEN.value
_SUBJECT_CACHE = 100_000

Subject = tuple[UUID, str]
"""A subject of a row and the retention class of the data key its rows are sealed under."""


def is_sealed(row: bytes) -> bool:
    return row.startswith(MAGIC)


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(_KEY, "big")


class RowSealer:
    """Seals and opens view rows under their subjects' data keys."""

    def __init__(self, sealer: Sealer) -> None:
        self.sealer = sealer
        self._plans: dict[str, tuple[Subject, ...]] = {}
        """A plan's subjects (from its first event), and a household plan's own key."""

    # --- whose row -------------------------------------------------------------------

    def row_subjects(self, view: str, key: str, row: bytes) -> tuple[Subject, ...]:
        """The subjects whose data ``row`` of ``view`` may hold."""
        if view in ("citizen", "journey"):
            return ((UUID(key), _CITIZEN),)
        if view == "access_log":
            head = key.split("/", 1)[0]
            return () if head == "*" else ((UUID(head), _CITIZEN),)
        if view == "plan":
            return self._plan(key, members=True)
        if view == "caseload":
            return self._caseload(row)
        return ()

    def _plan(self, plan_id: str, *, members: bool) -> tuple[Subject, ...]:
        found = self._plans.get(plan_id)
        if found is None:
            first = self.sealer.first_event(UUID(plan_id))
            citizen_ids: tuple[UUID, ...] = getattr(first, "citizen_ids", ())
            owner = self.sealer.owner_of(UUID(plan_id)) if first is not None else None
            if owner is None:
                found = tuple((c, _CITIZEN) for c in citizen_ids)
            elif len(citizen_ids) > 1:  # a household: its own key, and each member's
                found = (
                    (owner.subject, owner.retention_class.value),
                    *((c, _CITIZEN) for c in citizen_ids),
                )
            else:
                found = ((owner.subject, _CITIZEN),)
            if len(self._plans) >= _SUBJECT_CACHE:
                self._plans.clear()
            self._plans[plan_id] = found
        return found if members or len(found) == 1 else found[:1]

    def _caseload(self, row: bytes) -> tuple[Subject, ...]:
        """The owners of the plans whose hand-over reasons a coordinator's row holds
        (read from the row's JSON: ``hand_overs_received[].plan_id``)."""
        try:
            received = orjson.loads(row)["hand_overs_received"]
            plans = dict.fromkeys(str(item["plan_id"]) for item in received)
        except (orjson.JSONDecodeError, KeyError, TypeError) as e:
            # Never written in the clear for want of knowing whose it is: a change of
            # the row's shape must change this too.
            raise StorageError(
                "cannot tell whose data a caseload row holds (its JSON has no "
                f"hand_overs_received[].plan_id: {e!r}); update oneplan.projections."
                "sealed_rows with the row's shape"
            ) from e
        subjects: dict[Subject, None] = {}
        for plan_id in plans:
            subjects.update(dict.fromkeys(self._plan(plan_id, members=False)))
        return tuple(subjects)

    # --- sealing ---------------------------------------------------------------------

    def _keys(self, view: str, key: str, row: bytes) -> tuple[bytes, list[AESGCM]]:
        """The header a row of ``view`` holding ``row`` is sealed with now (empty: it is
        written as it is) and the data keys it names, each live key of its subjects."""
        ids: list[str] = []
        ciphers: list[AESGCM] = []
        for subject, retention_class in self.row_subjects(view, key, row):
            found = self.sealer.subject_key(subject, retention_class)
            if found is not None and found[0] not in ids:
                ids.append(found[0])
                ciphers.append(found[1])
        if not ids:
            return b"", ciphers
        header = bytearray(MAGIC)
        header.append(len(ids))
        for key_id in ids:
            encoded = key_id.encode()
            header.append(len(encoded))
            header += encoded
        return bytes(header), ciphers

    def seal(self, view: str, key: str, row: bytes) -> bytes:
        """``row`` sealed under every live key of its subjects (as it is: none)."""
        header, ciphers = self._keys(view, key, row)
        if not ciphers:
            return row
        ad = self._ad(view, key, header)
        row_key = rest = os.urandom(_KEY)
        shares = bytearray()
        for n, cipher in enumerate(ciphers):
            if n < len(ciphers) - 1:  # random shares, and the last one makes up the row key
                share = os.urandom(_KEY)
                rest = _xor(rest, share)
            else:
                share = rest
            nonce = os.urandom(_NONCE)
            shares += nonce + cipher.encrypt(nonce, share, ad + b"|share|%d" % n)
        nonce = os.urandom(_NONCE)
        return header + bytes(shares) + nonce + AESGCM(row_key).encrypt(nonce, row, ad)

    def holds(self, view: str, key: str, stored: bytes, row: bytes) -> bool:
        """Whether the stored row ``stored`` is as good as ``row`` sealed afresh: it
        opens to the same bytes and is sealed under the very keys ``row`` would be now
        (a row stored in the clear before sealing was on, or under a key since replaced,
        is not: it is sealed again). A rebuild compares rows so, to keep what it finds
        unchanged (``Rebuilding.seals_with``)."""
        header, ciphers = self._keys(view, key, row)
        if not ciphers:
            return stored == row
        if (
            not stored.startswith(header)
            or len(stored)
            != len(header) + len(ciphers) * (_NONCE + _KEY + 16) + _NONCE + len(row) + 16
        ):
            return False
        try:
            return self.open(view, key, stored) == row
        except CiphertextRejected:
            return False

    def open(self, view: str, key: str, row: bytes) -> bytes | None:
        """The row's bytes (a row never sealed: as it is); None when a key it was sealed
        under is destroyed (the row reads as absent)."""
        if not row.startswith(MAGIC):
            return row
        try:
            at = len(MAGIC)
            count = row[at]
            at += 1
            key_ids = []
            for _ in range(count):
                size = row[at]
                key_ids.append(row[at + 1 : at + 1 + size].decode())
                at += 1 + size
        except (IndexError, UnicodeDecodeError):
            raise self._rejected(view, key) from None
        ad = self._ad(view, key, row[:at])
        row_key = bytes(_KEY)
        share_size = _NONCE + _KEY + 16
        try:
            for n, key_id in enumerate(key_ids):
                cipher = self.sealer.data_key(key_id)
                if cipher is None:
                    return None
                part = row[at : at + share_size]
                at += share_size
                share = cipher.decrypt(part[:_NONCE], part[_NONCE:], ad + b"|share|%d" % n)
                row_key = _xor(row_key, share)
            return AESGCM(row_key).decrypt(row[at : at + _NONCE], row[at + _NONCE :], ad)
        except (InvalidTag, ValueError):
            raise self._rejected(view, key) from None

    @staticmethod
    def _ad(view: str, key: str, header: bytes) -> bytes:
        return b"oneplan-view|%b|%b|%b" % (view.encode(), key.encode(), header)

    @staticmethod
    def _rejected(view: str, key: str) -> CiphertextRejected:
        return CiphertextRejected(
            f"the sealed row {key} of view {view!r} fails authentication: it was altered, "
            "or moved from another row (rebuild the views: `oneplan replay`)",
            view=view,
            row=key,
        )

    def open_rows(self, view: str, rows: Mapping[str, bytes]) -> dict[str, bytes]:
        opened = {}
        for key, row in rows.items():
            found = self.open(view, key, row)
            if found is not None:
                opened[key] = found
        return opened

    def seal_rows(self, rows: Mapping[tuple[str, str], bytes | None]) -> dict[Any, Any]:
        return {
            slot: None if row is None else self.seal(slot[0], slot[1], row)
            for slot, row in rows.items()
        }


class SealedViewStore(ViewStore):
    """A ``ViewStore`` whose rows are sealed under their subjects' data keys (see the
    module's documentation); everything else is the wrapped store's."""

    def __init__(self, inner: ViewStore, sealer: Sealer) -> None:
        self.inner = inner
        self.rows = RowSealer(sealer)
        self.rebuilds_views_apart = inner.rebuilds_views_apart

    def tracking(self) -> tuple[int, dict[str, int]]:
        return self.inner.tracking()

    def read(self, view: str, keys: Iterable[str]) -> dict[str, bytes]:
        return self.rows.open_rows(view, self.inner.read(view, keys))

    def keys(self, view: str) -> list[str]:
        return self.inner.keys(view)

    def read_prefix(self, view: str, prefix: str) -> list[tuple[str, bytes]]:
        found = []
        for key, row in self.inner.read_prefix(view, prefix):
            opened = self.rows.open(view, key, row)
            if opened is not None:
                found.append((key, opened))
        return found

    def commit(self, rows: Rows, *, from_position: int, to_position: int) -> None:
        self.inner.commit(
            self.rows.seal_rows(rows), from_position=from_position, to_position=to_position
        )

    def reset(self, versions: Mapping[str, int]) -> None:
        self.inner.reset(versions)

    def rebuilding(
        self, versions: Mapping[str, int], views: Iterable[str] | None = None
    ) -> Rebuilding:
        return _SealedRebuilding(self.inner.rebuilding(versions, views), self.rows)

    def take_lease(self, holder: str, seconds: float, *, replacing: str | None = None) -> bool:
        return self.inner.take_lease(holder, seconds, replacing=replacing)

    def drop_lease(self, holder: str) -> None:
        self.inner.drop_lease(holder)

    def lease_holder(self) -> tuple[str, float] | None:
        return self.inner.lease_holder()

    def scrub(self) -> None:
        self.inner.scrub()

    def close(self) -> None:
        self.inner.close()


class _SealedRebuilding(Rebuilding):
    """A rebuild of sealed views: rows are sealed before they are written aside, by the
    wrapped rebuild itself where it can (``Rebuilding.seals_with``: the SQLite and
    PostgreSQL stores then compare a row with the stored one by what it holds, and keep a
    view found unchanged), else here."""

    def __init__(self, inner: Rebuilding, rows: RowSealer) -> None:
        self.inner = inner
        self.rows = rows
        self._inner_seals = inner.seals_with(rows)

    def write(self, rows: Mapping[tuple[str, str], bytes], *, new: bool) -> None:
        self.inner.write(rows if self._inner_seals else self.rows.seal_rows(rows), new=new)

    def read(self, view: str, keys: Iterable[str]) -> dict[str, bytes]:
        return self.rows.open_rows(view, self.inner.read(view, keys))

    def finish(self, position: int, *, expect: int | None = None) -> None:
        self.inner.finish(position, expect=expect)

    def abort(self) -> None:
        self.inner.abort()


def sealed_store(store: ViewStore, sealer: Sealer | None) -> ViewStore:
    """``store``, sealing its rows when there is a sealer (a master key) and the rows
    are kept in a database (in memory they are never written anywhere)."""
    from oneplan.projections.stores import MemoryViewStore

    if sealer is None or isinstance(store, MemoryViewStore):
        return store
    return SealedViewStore(store, sealer)
