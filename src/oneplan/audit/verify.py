"""Verification: replay the stored log and its chain, and find the first place where
they no longer agree.

The verifier reads stored rows, never decrypted events: each event as stored (position,
stream id, version, topic, state) with its chain entry (seq, MAC), from any
``ChainSource`` (oneplan's recorders are one; tests use lists). With the audit key it
recomputes every MAC (``oneplan.audit.chain``); without it, it can only check the
chain's structure. The first disagreement becomes a ``Finding``: the position, what kind
of breach (``Breach``), and what exactly differs.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import attrs

from oneplan.audit.anchor import ED25519, Anchor, AnchorPublicKey, AnchorSigningKey
from oneplan.audit.chain import ZERO, ChainEntry, ChainKey, ChainStart
from oneplan.errors import (
    AnchorInvalid,
    AnchorSignatureInvalid,
    AuditChainBroken,
    AuditChainNotStarted,
    AuditKeyRequired,
)

__all__ = [
    "Breach",
    "ChainSource",
    "Finding",
    "Progress",
    "Verification",
    "VerificationStatus",
    "Verifier",
    "make_anchor",
]

Progress = Callable[[int, int], None]
"""Called with (events read so far, the log's last position)."""

_MAX = 2**63 - 1
_JUNK = (TypeError, ValueError, AttributeError, IndexError, KeyError, UnicodeError)
"""What reading junk where rows or entries should be raises (a database's own failures
are not among them: they propagate)."""
_BEFORE = -(2**63) - 1
"""Before any position a database can hold."""


class ChainSource(Protocol):
    """Stored events and chain entries, as stored (see ``oneplan.recorders``)."""

    def chain_start(self) -> ChainStart | None:
        """Where the chain starts (None: no chain); ``ValueError`` when unreadable."""
        ...

    def chain_rows(self, after: int | None, limit: int) -> Sequence[Any]:
        """Up to ``limit`` stored events after position ``after`` (None: from the first,
        whatever its position), in position order, each as
        ``(position, stream id bytes, version, topic bytes, state, seq, mac)`` (seq and
        mac None where the event has no chain entry)."""
        ...

    def chain_entry_at(self, position: int) -> ChainEntry | None: ...

    def chain_entry_after(self, position: int) -> ChainEntry | None: ...

    def chain_entry_with_seq(self, seq: int) -> ChainEntry | None: ...

    def chain_entry_of(self, stream_id: str, version: int) -> ChainEntry | None: ...

    def last_chain_entry(self) -> ChainEntry | None: ...

    def has_event_at(self, position: int) -> bool: ...

    def max_notification_id(self) -> int | None: ...


class Breach(StrEnum):
    """How the log differs from what was chained."""

    MODIFIED = "modified"
    """An event's stored bytes (topic or state) changed after it was chained."""
    DELETED = "deleted"
    """An event was removed (with or without its chain entry)."""
    INSERTED = "inserted"
    """An event that was never chained: added afterwards, or written without the key."""
    REORDERED = "reordered"
    """Events (or chain entries) are not in the order they were chained."""
    MOVED = "moved"
    """An event now belongs to another stream (or version) than it was chained in."""
    TRUNCATED = "truncated"
    """The log ends before the anchor's last position: its tail was cut off."""
    RECHAINED = "rechained"
    """Chain entries that do not verify with the audit key: the chain was rewritten
    without the key (or forged), or it was made with another key."""
    ANCHOR = "anchor"
    """The anchor and the log disagree: the anchor was altered, or history up to it was
    rewritten by someone holding the key, or it is another record's anchor."""
    MALFORMED = "malformed"
    """A stored row or the chain's metadata is not what a recorder writes."""
    SNAPSHOT = "snapshot"
    """A snapshot row oneplan did not write (no MAC, or one that fails under the key) or
    that claims a version beyond its stream's last event: outside the log, never read
    as state (rule 16), and reported once the log itself verifies."""


@attrs.frozen
class Finding:
    """The first place where the log and its chain disagree."""

    position: int
    breach: Breach
    detail: str

    def __str__(self) -> str:
        if self.position <= 0:  # not in the log (a snapshot row)
            return f"{self.breach.value}: {self.detail}"
        return f"position {self.position}: {self.breach.value}: {self.detail}"


class VerificationStatus(StrEnum):
    INTACT = "intact"
    """Every chained event verified with the audit key (and matched the anchor)."""
    BROKEN = "broken"
    """The log differs from what was chained: see ``finding``."""
    UNVERIFIED = "unverified"
    """Nothing wrong was found, but the log could not be verified: no audit key (only the
    structure was checked), no chain at all, or an Ed25519 anchor without its public key
    (its signature unchecked). ``reason`` says which."""


@attrs.frozen
class Verification:
    """What a replay of the log established."""

    status: VerificationStatus
    events: int
    """Stored events read."""
    chained: int
    """Chain entries checked."""
    last_position: int
    """The log's last position read."""
    chain_after: int | None
    """Positions up to this predate the chain and are not covered (None: no chain)."""
    key_id: str | None
    """The id of the key the chain was written with."""
    macs_checked: bool
    """Whether the MACs were recomputed (only with the audit key)."""
    anchor_position: int | None = None
    """The anchor's last position, when an anchor was checked."""
    anchor_signed_by: str | None = None
    """Whose signature on the anchor was checked: ``ed25519 <key id>`` (the anchor
    signing key's public key) or ``hmac-sha256 <key id>`` (the audit key); None when
    no anchor was given or its signature could not be checked."""
    finding: Finding | None = None
    reason: str = ""
    """Why the log is unverified (empty otherwise)."""
    snapshots: int | None = None
    """Snapshot rows checked (their MACs, and their versions against their streams'
    last events); None where none were (no snapshot store, or no key to check them)."""

    @property
    def intact(self) -> bool:
        return self.status is VerificationStatus.INTACT

    def summary(self) -> str:
        """One line: what was verified, or what is wrong."""
        if self.finding is not None:
            return str(self.finding)
        if self.status is VerificationStatus.UNVERIFIED:
            return f"not verified: {self.reason}"
        covered = ""
        if self.chain_after:
            covered = f"; positions 1-{self.chain_after} predate the chain and are not covered"
        anchored = (
            f"; matches the anchor at position {self.anchor_position}"
            + (f" (signature {self.anchor_signed_by})" if self.anchor_signed_by else "")
            if self.anchor_position is not None
            else ""
        )
        snapshots = (
            f"; {self.snapshots} snapshot rows authenticated" if self.snapshots is not None else ""
        )
        return (
            f"intact: {self.events} events read, {self.chained} chain entries verified with "
            f"key {self.key_id} up to position {self.last_position}{anchored}{covered}"
            f"{snapshots}"
        )

    def raise_if_broken(self) -> None:
        """Raise ``AuditChainBroken`` when the verification found a breach."""
        if self.finding is not None:
            raise AuditChainBroken(
                str(self.finding), position=self.finding.position, breach=self.finding.breach
            )


class _Stop(Exception):
    """A finding ends the replay."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(str(finding))
        self.finding = finding


def _malformed(row: Any) -> str | None:
    """What is wrong with a row's shape or types, if anything."""
    if not isinstance(row, tuple | list) or len(row) != 7:
        shape = "(position, stream, version, topic, state, seq, mac)"
        return f"a stored row is not {shape}: {row!r:.60}"
    position, stream, version, topic, state, seq, mac = row
    checks = [
        (type(position) is int and 0 < position <= _MAX, "position", position),
        (type(stream) is bytes and 0 < len(stream) <= 200, "stream id", stream),
        (type(version) is int and 0 < version <= _MAX, "version", version),
        (type(topic) is bytes and 0 < len(topic) <= 1000, "topic", topic),
        (type(state) is bytes, "state", state),
        (seq is None or (type(seq) is int and 0 < seq <= _MAX), "chain seq", seq),
        (mac is None or (type(mac) is bytes and len(mac) == 32), "chain mac", mac),
        ((seq is None) == (mac is None), "chain entry", (seq, mac)),
    ]
    for ok, name, value in checks:
        if not ok:
            return f"the stored {name} is not what a recorder writes: {value!r:.80}"
    try:
        stream.decode("ascii")
        topic.decode("utf-8")
    except UnicodeDecodeError:
        return "the stored stream id or topic is not text"
    return None


class Verifier:
    """One replay of the log from ``source``: ``run()`` returns the ``Verification``;
    afterwards ``heads`` holds every stream's last chained MAC and version, and
    ``head`` the chain's last (position, seq, MAC), from which anchors are made."""

    batch_size = 20_000
    """Stored rows read per query."""

    def __init__(
        self,
        source: ChainSource,
        key: ChainKey | None,
        *,
        anchor: Anchor | None = None,
        public_key: AnchorPublicKey | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.source = source
        self.key = key
        self.anchor = anchor
        self.public_key = public_key
        """Checks an Ed25519 anchor's signature (and then requires one)."""
        self.progress = progress
        self.anchor_signed_by: str | None = None
        self.heads: dict[bytes, tuple[bytes, int]] = {}
        """Each stream's last MAC (zero bytes before the chain) and version."""
        self.head: tuple[int, int, bytes] = (0, 0, ZERO)
        """The chain's last verified entry: (position, seq, MAC)."""
        self.events = 0
        self.start: ChainStart | None = None

    # --- the replay --------------------------------------------------------------------

    def run(self) -> Verification:
        try:
            start = self.source.chain_start()
        except ValueError as e:
            return self._broken(Finding(1, Breach.MALFORMED, f"the chain's metadata: {e}"))
        self.start = start
        collecting = gc.isenabled()
        gc.disable()  # the replay makes no cycles; collecting a million stream heads costs
        try:
            if start is None:
                return self._without_chain()
            self._check_key_and_anchor(start)
            self._replay(start)
            self._check_end(start)
        except _Stop as stop:
            return self._broken(stop.finding)
        finally:
            if collecting:
                gc.enable()
        seq = self.head[1]
        if self.anchor is not None and self.anchor_signed_by is None and self.key is not None:
            return self._result(
                VerificationStatus.UNVERIFIED,
                reason=(
                    f"every MAC verified, and the log matches the anchor at position "
                    f"{self.anchor.position}, but the anchor's signature was not checked: it "
                    f"is signed with Ed25519 key {self.anchor.signing_key_id}; give its public "
                    "key (--anchor-public-key FILE)"
                ),
            )
        if self.key is None:
            return self._result(
                VerificationStatus.UNVERIFIED,
                reason=(
                    "no audit key is configured, so the MACs were not checked (the structure "
                    f"was: {seq} chain entries in order, none missing, up to position "
                    f"{self.head[0]}); set ONEPLAN_AUDIT_KEY or ONEPLAN_KEY_FILE"
                ),
            )
        return self._result(VerificationStatus.INTACT)

    def _result(self, status: VerificationStatus, **fields: Any) -> Verification:
        start = self.start
        return Verification(
            status=status,
            events=self.events,
            chained=self.head[1],
            last_position=max(self._last, 0),
            chain_after=None if start is None else start.after,
            key_id=None if start is None else start.key_id,
            macs_checked=self.key is not None,
            anchor_position=None if self.anchor is None else self.anchor.position,
            anchor_signed_by=self.anchor_signed_by,
            **fields,
        )

    def _broken(self, finding: Finding) -> Verification:
        return self._result(VerificationStatus.BROKEN, finding=finding)

    _last = _BEFORE
    """The last position read (at first, before any position a database can hold, so
    that a row moved to position 0 or below is read, and reported, too)."""
    _anchor_seen = False

    def _without_chain(self) -> Verification:
        entry = self.source.last_chain_entry()
        if entry is not None:
            entry = self.source.chain_entry_with_seq(1) or entry
            return self._broken(
                Finding(
                    _position(entry.position),
                    Breach.MALFORMED,
                    "the log has chain entries but no record of where the chain starts: "
                    "its metadata was removed",
                )
            )
        last = int(self.source.max_notification_id() or 0)
        self._last = last
        if self.anchor is not None:
            return self._broken(
                Finding(
                    self.anchor.chain_after + 1,
                    Breach.TRUNCATED,
                    f"the anchor records a chain up to position {self.anchor.position}, but "
                    "this record has no chain: it was removed",
                )
            )
        if not last:
            return self._result(VerificationStatus.INTACT)
        return self._result(
            VerificationStatus.UNVERIFIED,
            reason=(
                f"this record has no audit chain: its events (up to position {last}) were "
                "written without an audit key"
            ),
        )

    def _check_key_and_anchor(self, start: ChainStart) -> None:
        key, anchor = self.key, self.anchor
        first = start.after + 1
        if key is not None and key.check != start.key_check:
            raise _Stop(
                Finding(
                    first,
                    Breach.RECHAINED,
                    f"the chain was made with another key (key id {start.key_id}; the "
                    f"configured key is {key.key_id}): re-chained, or the wrong audit key "
                    "is configured",
                )
            )
        if anchor is None:
            return
        self._check_anchor_signature(anchor)
        if anchor.key_id != start.key_id:
            raise _Stop(
                Finding(
                    first,
                    Breach.RECHAINED,
                    f"the anchor was made with key {anchor.key_id}, the chain with key "
                    f"{start.key_id}: the chain was re-made, or the anchor is another record's",
                )
            )
        if anchor.chain_after != start.after:
            raise _Stop(
                Finding(
                    min(anchor.chain_after, start.after) + 1,
                    Breach.RECHAINED,
                    f"the chain starts after position {start.after}, the anchor's after "
                    f"position {anchor.chain_after}: the chain was restarted",
                )
            )

    def _check_anchor_signature(self, anchor: Anchor) -> None:
        """The anchor's signature, with the public key when given (then only an Ed25519
        anchor signed by it passes), else with the audit key (an HMAC anchor). Left
        unchecked (``anchor_signed_by`` None) when neither key can check it."""
        key, public_key = self.key, self.public_key
        if public_key is None and (anchor.algorithm == ED25519 or key is None):
            return
        try:
            anchor.check_signature(public_key=public_key, audit_key=key)
        except AnchorSignatureInvalid as e:
            raise _Stop(Finding(anchor.position, Breach.ANCHOR, str(e))) from None
        except AnchorInvalid:  # pragma: no cover - a key for it was given (above)
            return
        self.anchor_signed_by = (
            f"{ED25519} {anchor.signing_key_id}"
            if anchor.algorithm == ED25519
            else f"{anchor.algorithm} {anchor.key_id}"
        )

    def _replay(self, start: ChainStart) -> None:
        source, progress = self.source, self.progress
        total = int(source.max_notification_id() or 0) if progress is not None else 0
        walk = self._verify_batch if self.key is not None else self._check_batch
        while True:
            after = None if self._last == _BEFORE else self._last
            rows = source.chain_rows(after, self.batch_size)
            if not rows:
                return
            walk(rows, start.after)
            self.events += len(rows)
            if progress is not None:
                progress(self.events, max(total, self._last))

    def _verify_batch(self, rows: Sequence[Any], after: int) -> None:
        """The hot loop: every row's MAC recomputed (see ``oneplan.audit.chain``). Anything
        unusual leaves it for ``_diagnose``, which names what is wrong."""
        assert self.key is not None
        inner_copy, outer_copy, pack = self.key.hot()
        heads = self.heads
        get = heads.get
        anchor_at = self.anchor.position if self.anchor is not None else -1
        last = self._last
        head_position, head_seq, g = self.head
        expect = head_seq + 1
        index = -1
        try:
            for index, row in enumerate(rows):  # noqa: B007 - index names the failing row
                position, stream, version, topic, state, seq, mac = row
                if type(position) is not int or position <= last:
                    break
                if seq is None:
                    if position > after or position < 1 or type(version) is not int:
                        break
                    heads[stream] = (ZERO, version)
                    last = position
                    continue
                if (
                    type(seq) is not int
                    or seq != expect
                    or type(version) is not int
                    or position <= after
                ):
                    break
                found = get(stream)
                if found is None:
                    if version != 1:
                        break
                    prev = ZERO
                else:
                    prev, known = found
                    if version != known + 1:
                        break
                inner = inner_copy()
                inner.update(pack(b"e", g, prev, seq, position, version, len(stream), len(topic)))
                inner.update(stream)
                inner.update(topic)
                inner.update(state)
                outer = outer_copy()
                outer.update(inner.digest())
                computed = outer.digest()
                if computed != mac:
                    break
                g = computed
                heads[stream] = (computed, version)
                last = head_position = position
                expect = seq + 1
                if position == anchor_at:
                    self._last, self.head = last, (position, seq, g)
                    self._check_anchor()
            else:
                self._last, self.head = last, (head_position, expect - 1, g)
                return
        except _Stop:
            raise
        except Exception:  # a malformed row: _diagnose names it
            pass
        self._last, self.head = last, (head_position, expect - 1, g)
        self.events += index
        raise _Stop(self._diagnose(rows, index, after))

    def _check_batch(self, rows: Sequence[Any], after: int) -> None:
        """Without the key: the same walk, checking the chain's structure only."""
        heads = self.heads
        anchor_at = self.anchor.position if self.anchor is not None else -1
        for index, row in enumerate(rows):
            if _malformed(row) is not None:
                self.events += index
                raise _Stop(self._diagnose(rows, index, after))
            position, stream, version, _, _, seq, mac = row
            found = heads.get(stream)
            known = 0 if found is None else found[1]
            if position > self._last and seq is None and 0 < position <= after:
                heads[stream] = (ZERO, version)
                self._last = position
                continue
            if (
                position <= self._last
                or position <= after
                or seq is None
                or seq != self.head[1] + 1
                or version != known + 1
            ):
                self.events += index
                raise _Stop(self._diagnose(rows, index, after))
            heads[stream] = (mac, version)
            self._last, self.head = position, (position, seq, mac)
            if position == anchor_at:
                self._check_anchor()

    # --- the ends of the log -----------------------------------------------------------

    def _check_anchor(self) -> None:
        """At the anchor's position: the chain's head, and every stream's, are the anchor's."""
        anchor = self.anchor
        assert anchor is not None
        self._anchor_seen = True
        position, seq, head = self.head
        if seq != anchor.seq or head != anchor.head:
            raise _Stop(
                Finding(
                    position,
                    Breach.ANCHOR,
                    f"the chain at the anchor's position (entry {seq}) differs from the "
                    f"anchor's (entry {anchor.seq}): history up to here was rewritten with the "
                    "audit key, or the anchor is another record's",
                )
            )
        chained = {s: h for s, h in self.heads.items() if h[0] != ZERO}
        for stream, (version, mac) in anchor.streams.items():
            found = chained.pop(stream.encode(), None)
            if found != (mac, version):
                raise _Stop(
                    Finding(
                        position,
                        Breach.ANCHOR,
                        f"stream {stream} stands at "
                        + ("no chained version" if found is None else f"version {found[1]}")
                        + f" here, at version {version} in the anchor",
                    )
                )
        if chained:
            stream = next(iter(chained)).decode(errors="replace")
            raise _Stop(
                Finding(
                    position, Breach.ANCHOR, f"stream {stream} is chained but not in the anchor"
                )
            )

    def _check_end(self, start: ChainStart) -> None:
        """After the last row: no chain entry left over, and the anchor reached."""
        try:
            self._check_leftovers()
        except _JUNK as e:
            raise _Stop(
                Finding(_next(self._last), Breach.MALFORMED, f"the chain's entries: {e!r:.120}")
            ) from None
        self._check_anchor_reached(start)

    def _check_leftovers(self) -> None:
        position, seq, _ = self.head
        extra = self.source.chain_entry_with_seq(seq + 1)
        last = self.source.last_chain_entry()
        if extra is None and last is not None and (last.seq, last.position) != (seq, position):
            extra = last
        if extra is not None:
            raise _Stop(self._entry_without_event(extra, _next(self._last)))

    def _check_anchor_reached(self, start: ChainStart) -> None:
        position, seq, _ = self.head
        anchor = self.anchor
        if anchor is not None and anchor.position <= position and not self._anchor_seen:
            raise _Stop(
                Finding(
                    anchor.position,
                    Breach.DELETED,
                    f"the anchor's last event (entry {anchor.seq}) is not at its position any "
                    "more: deleted, and the chain renumbered after it",
                )
            )
        if anchor is not None and anchor.position > position:
            raise _Stop(
                Finding(
                    _next(max(position, start.after)),
                    Breach.TRUNCATED,
                    f"the log's chain ends at position {position} (entry {seq}), but the "
                    f"anchor records it up to position {anchor.position} (entry {anchor.seq}): "
                    "its tail was cut off",
                )
            )

    # --- naming what is wrong ----------------------------------------------------------

    def _diagnose(self, rows: Sequence[Any], index: int, after: int) -> Finding:
        """The finding for ``rows[index]``, the row the walk could not accept."""
        last = self._last
        row = rows[index]
        problem = _malformed(row)
        if problem is not None:
            return Finding(_next(last), Breach.MALFORMED, problem)
        try:
            return self._name(row, rows[index + 1 :], last, after)
        except _JUNK as e:  # the source itself gave junk
            return Finding(
                _next(last), Breach.MALFORMED, f"the chain cannot be read here: {e!r:.120}"
            )

    def _name(self, row: Any, following: Sequence[Any], last: int, after: int) -> Finding:
        position, stream_b, version, _, _, seq, _ = row
        stream = stream_b.decode()
        expect = self.head[1] + 1
        what = f"stream {stream} version {version}"
        if position <= last:
            return Finding(
                position,
                Breach.REORDERED,
                f"{what} comes after position {last}: the log is out of order",
            )
        if seq is None:
            return Finding(
                position,
                Breach.INSERTED,
                f"{what} has no chain entry: it was inserted after chaining, or written "
                "without the audit key",
            )
        if position <= after:
            return Finding(
                position,
                Breach.MALFORMED,
                f"{what} is chained, but the chain's metadata says it starts after position "
                f"{after}: the metadata was changed",
            )
        if seq > expect:
            missing = self.source.chain_entry_with_seq(expect)
            if missing is not None and missing.position != position:
                return self._entry_without_event(missing, position)
            return Finding(
                position,
                Breach.DELETED,
                f"chain entries {expect}-{seq - 1} are missing before this position: events "
                "were deleted with their chain entries",
            )
        if seq < expect:
            return Finding(
                position,
                Breach.REORDERED,
                f"chain entry {seq} comes again after entry {expect - 1}: entries reordered or "
                "copied",
            )
        hint = self.source.chain_entry_at(position)
        if hint is not None and (hint.stream_id, hint.version) != (stream, version):
            elsewhere = self.source.chain_entry_of(stream, version)
            if elsewhere is not None and elsewhere.position != position:
                return Finding(
                    position,
                    Breach.REORDERED,
                    f"holds {what}, which was chained at position {elsewhere.position}; stream "
                    f"{hint.stream_id} version {hint.version} was chained here",
                )
            if hint.stream_id != stream:
                return Finding(
                    position,
                    Breach.MOVED,
                    f"stream {hint.stream_id} version {hint.version} was chained here; the event "
                    f"now belongs to {what}: moved to another stream",
                )
            return Finding(
                position,
                Breach.MOVED,
                f"stream {stream} version {hint.version} was chained here; the event now has "
                f"version {version}",
            )
        found = self.heads.get(stream_b)
        known = 0 if found is None else found[1]
        if version > known + 1:
            return Finding(
                position,
                Breach.DELETED,
                f"stream {stream} goes from version {known} to {version}: version"
                f"{'s' if version > known + 2 else ''} {known + 1}"
                + (f"-{version - 1}" if version > known + 2 else "")
                + " deleted",
            )
        if version <= known:
            return Finding(
                position,
                Breach.REORDERED,
                f"stream {stream} version {version} comes after its version {known}",
            )
        if self.key is None:  # pragma: no cover - the structural walk does not get here
            raise AssertionError("a row the structural walk accepts")
        verdict = self._next_entry_verifies(row, following)
        if verdict is None:
            return Finding(
                position,
                Breach.MODIFIED,
                f"the stored bytes of {what} differ from what was chained: modified (or its "
                "chain entry forged: it is the last entry, so which cannot be told)",
            )
        if verdict:
            return Finding(
                position,
                Breach.MODIFIED,
                f"the stored bytes of {what} differ from what was chained: modified",
            )
        return Finding(
            position,
            Breach.RECHAINED,
            f"the chain entry of {what} does not verify with the audit key: the chain was "
            "rewritten from here without the key (re-chained), or the entry forged",
        )

    def _entry_without_event(self, entry: ChainEntry, at: int) -> Finding:
        if not self.source.has_event_at(entry.position):
            return Finding(
                _position(entry.position),
                Breach.DELETED,
                f"stream {entry.stream_id} version {entry.version} was chained here (entry "
                f"{entry.seq}) and is gone: deleted (its chain entry remains)",
            )
        return Finding(
            at,
            Breach.REORDERED,
            f"the chain continues with entry {entry.seq} at position {entry.position}, not "
            "here: events or entries reordered",
        )

    def _next_entry_verifies(self, row: Any, following: Sequence[Any]) -> bool | None:
        """Whether the next chained event's MAC holds over this row's *stored* MAC: then
        this row's chain entry is genuine, and the event's bytes are what changed (None:
        there is no next entry to tell)."""
        nxt = following[0] if following else None
        if nxt is None:
            rows = self.source.chain_rows(row[0], 1)
            nxt = rows[0] if rows else None
        if nxt is None:
            return None
        if _malformed(nxt) is not None or nxt[5] is None:
            return False
        assert self.key is not None
        position, stream, version, topic, state, seq, mac = nxt
        if stream == row[1]:
            prev = row[6]
        else:
            found = self.heads.get(stream)
            prev = ZERO if found is None else found[0]
        computed = self.key.entry_mac(row[6], prev, seq, position, stream, version, topic, state)
        return bool(computed == mac)


def _next(position: int) -> int:
    """The position after ``position`` (1 before the first)."""
    return max(position, 0) + 1 if position < _MAX else position


def _position(value: Any) -> int:
    return value if type(value) is int and value > 0 else 0


def make_anchor(
    source: ChainSource,
    key: ChainKey | None,
    *,
    made_at: datetime,
    progress: Progress | None = None,
    signing_key: AnchorSigningKey | None = None,
) -> Anchor:
    """Verify the whole log with ``key``, then sign an anchor of its chain as it stands,
    with ``signing_key`` (Ed25519) when given, else with ``key`` (HMAC); never over a
    broken log (``AuditChainBroken``), nor without the key (``AuditKeyRequired``) or a
    chain (``AuditChainNotStarted``)."""
    if key is None:
        raise AuditKeyRequired("making an anchor needs the audit key")
    verifier = Verifier(source, key, progress=progress)
    result = verifier.run()
    result.raise_if_broken()
    start = verifier.start
    position, seq, head = verifier.head
    if start is None or not seq:
        raise AuditChainNotStarted(
            "the audit chain has no entries yet: there is nothing to anchor",
            position=result.last_position,
        )
    return Anchor.make(
        key,
        chain_after=start.after,
        position=position,
        seq=seq,
        head=head,
        streams={
            stream.decode(): (version, mac)
            for stream, (mac, version) in verifier.heads.items()
            if mac != ZERO
        },
        made_at=made_at,
        signing_key=signing_key,
    )
