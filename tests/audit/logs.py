"""Logs in memory for the verifier: a ``ChainSource`` over plain lists, chained logs made
with ``oneplan.audit.chain.link`` (what the recorders use), and one tampering function
per kind of breach, each saying where the first broken position is.

A log here is what a database holds: stored event rows ``(position, stream id, version,
topic, state)``, chain entries by position, and the metadata beside them. Tampering
changes those, as someone with database access would.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Callable
from typing import Any

import attrs

from oneplan.audit.anchor import Anchor
from oneplan.audit.chain import (
    ChainEntry,
    ChainKey,
    StoredRow,
    link,
    start_from_meta,
    start_to_meta,
)
from oneplan.audit.verify import Breach, Verifier

TOPICS = (
    "oneplan.aggregates.plan:Plan.GoalSet",
    "oneplan.aggregates.citizen:Citizen.ConsentGranted",
    "oneplan.aggregates.intervention:Intervention.Started",
    "oneplan.aggregates.access:AccessRecord.SectorViewRead",
)
MADE_AT = __import__("datetime").datetime(2026, 11, 1, tzinfo=__import__("datetime").UTC)


@attrs.define
class MemoryLog:
    """A ``ChainSource`` over lists, as a database would hold them."""

    events: list[Any]
    """Stored rows ``(position, stream id, version, topic, state)`` in position order."""
    chain: dict[Any, ChainEntry]
    """Chain entries by position."""
    meta: dict[str, str]

    def copy(self) -> MemoryLog:
        return MemoryLog(list(self.events), dict(self.chain), dict(self.meta))

    # --- ChainSource ---------------------------------------------------------------------

    def chain_start(self) -> Any:
        return start_from_meta(self.meta)

    def chain_rows(self, after: int | None, limit: int) -> list[Any]:
        """Rows after ``after``; a row that is not five columns (junk, in the fuzzer) is
        handed over as it is, for the verifier to report."""
        rows: list[Any] = []
        for event in self.events:
            if len(rows) == limit:
                break
            if not isinstance(event, tuple) or len(event) != 5:
                rows.append(event)
                continue
            try:
                later = after is None or event[0] > after
            except TypeError:
                later = True
            if not later:
                continue
            entry = self.chain.get(_key(event[0]))
            seq, mac = (None, None) if entry is None else (entry.seq, entry.mac)
            stream, topic = event[1], event[3]
            rows.append(
                (
                    event[0],
                    stream.encode() if isinstance(stream, str) else stream,
                    event[2],
                    topic.encode() if isinstance(topic, str) else topic,
                    event[4],
                    seq,
                    mac,
                )
            )
        return rows

    def chain_entry_at(self, position: int) -> ChainEntry | None:
        return self.chain.get(_key(position))

    def chain_entry_after(self, position: int) -> ChainEntry | None:
        later = [p for p in self.chain if _later(p, position)]
        return self.chain[min(later)] if later else None

    def chain_entry_with_seq(self, seq: int) -> ChainEntry | None:
        return next((e for e in self.chain.values() if e.seq == seq), None)

    def chain_entry_of(self, stream_id: str, version: int) -> ChainEntry | None:
        return next(
            (e for e in self.chain.values() if (e.stream_id, e.version) == (stream_id, version)),
            None,
        )

    def last_chain_entry(self) -> ChainEntry | None:
        positions = [p for p in self.chain if type(p) is int]
        return self.chain[max(positions)] if positions else None

    def has_event_at(self, position: int) -> bool:
        return any(isinstance(e, tuple) and e and e[0] == position for e in self.events)

    def max_notification_id(self) -> int | None:
        positions = [e[0] for e in self.events if isinstance(e, tuple) and e and type(e[0]) is int]
        return max(positions) if positions else None


def _key(position: Any) -> Any:
    try:
        hash(position)
    except TypeError:
        return None
    return position


def _later(p: Any, position: Any) -> bool:
    try:
        return bool(p > position)
    except TypeError:
        return False


def chained_log(
    key: ChainKey,
    rng: random.Random,
    *,
    events: int,
    streams: int,
    after: int = 0,
) -> MemoryLog:
    """A log of ``events`` events over about ``streams`` streams, chained after position
    ``after`` (the events up to it written before the chain started)."""
    ids = [uuid.UUID(int=rng.getrandbits(128)).hex for _ in range(streams)]
    versions: dict[str, int] = {}
    rows: list[StoredRow] = []
    for position in range(1, events + 1):
        stream = rng.choice(ids)
        versions[stream] = versions.get(stream, 0) + 1
        state = rng.randbytes(rng.randint(40, 400))
        rows.append(StoredRow(position, stream, versions[stream], rng.choice(TOPICS), state))
    heads: dict[str, bytes] = {}
    entries = link(key, None, heads, [r for r in rows if r.position > after])
    from oneplan.audit.chain import ChainStart

    return MemoryLog(
        events=[tuple(r) for r in rows],
        chain={e.position: e for e in entries},
        meta=start_to_meta(ChainStart(after, key.check)),
    )


def anchor_of(log: MemoryLog, key: ChainKey) -> Anchor:
    from oneplan.audit.verify import make_anchor

    return make_anchor(log, key, made_at=MADE_AT)


def verify(log: MemoryLog, key: ChainKey | None, anchor: Anchor | None = None) -> Any:
    return Verifier(log, key, anchor=anchor).run()


# --- tampering ---------------------------------------------------------------------------

Tampered = tuple[MemoryLog, int, frozenset[Breach]]
"""The tampered log, its first broken position, and the breaches that name it rightly."""


def _pick(rng: random.Random, log: MemoryLog, *, tail: int = 0) -> int:
    """An index into the log's chained events, not among its last ``tail``."""
    after = int(log.meta["after"])
    first = next(i for i, e in enumerate(log.events) if e[0] > after)
    return rng.randrange(first, len(log.events) - tail)


def modify(log: MemoryLog, rng: random.Random, key: ChainKey) -> Tampered:
    """Change the stored bytes of one event: its state (a byte flipped, cut or added)
    or its topic."""
    i = _pick(rng, log)
    position, stream, version, topic, state = log.events[i]
    how = rng.randrange(4)
    if how == 0 and state:
        at = rng.randrange(len(state))
        state = state[:at] + bytes([state[at] ^ (1 << rng.randrange(8))]) + state[at + 1 :]
    elif how == 1:
        state = state + b" "
    elif how == 2 and state:
        state = state[:-1]
    else:
        topic = topic.replace("GoalSet", "GoalRevised") if "GoalSet" in topic else topic + "x"
    log.events[i] = (position, stream, version, topic, state)
    return log, position, frozenset({Breach.MODIFIED})


def delete(log: MemoryLog, rng: random.Random, key: ChainKey) -> Tampered:
    """Delete one event (not the last): alone, or with its chain entry."""
    i = _pick(rng, log, tail=1)
    position = log.events[i][0]
    del log.events[i]
    if rng.random() < 0.5:
        del log.chain[position]
        return log, log.events[i][0], frozenset({Breach.DELETED})
    return log, position, frozenset({Breach.DELETED})


def insert(log: MemoryLog, rng: random.Random, key: ChainKey) -> Tampered:
    """Add an event the chain never saw: at the end, or in a gap, with no chain entry or
    a forged one."""
    streams = sorted({e[1] for e in log.events})
    stream = rng.choice(streams)
    version = max(e[2] for e in log.events if e[1] == stream) + 1
    state = rng.randbytes(rng.randint(40, 200))
    how = rng.randrange(3)
    last = log.events[-1][0]
    if how == 0:  # appended, without a chain entry
        log.events.append((last + 1, stream, version, TOPICS[0], state))
        return log, last + 1, frozenset({Breach.INSERTED})
    if how == 1:  # appended with a forged entry continuing the chain
        log.events.append((last + 1, stream, version, TOPICS[0], state))
        seq = log.chain[last].seq + 1
        log.chain[last + 1] = ChainEntry(last + 1, seq, stream, version, rng.randbytes(32))
        # the last entry: a forged entry and modified bytes look the same there
        return log, last + 1, frozenset({Breach.RECHAINED, Breach.INSERTED, Breach.MODIFIED})
    # in a gap left by renumbering the events after an index one up (chain left as is)
    i = _pick(rng, log)
    position = log.events[i][0]
    shifted = [(e[0] + 1, *e[1:]) for e in log.events[i:]]
    log.events[i:] = [(position, stream, version, TOPICS[0], state), *shifted]
    return (
        log,
        position,
        frozenset({Breach.MOVED, Breach.REORDERED, Breach.MODIFIED, Breach.DELETED}),
    )


def reorder(log: MemoryLog, rng: random.Random, key: ChainKey) -> Tampered:
    """Swap two events' places in the log: the events only, or with their chain entries."""
    i = _pick(rng, log, tail=1)
    j = rng.randrange(i + 1, len(log.events))
    a, b = log.events[i], log.events[j]
    log.events[i], log.events[j] = (a[0], *b[1:]), (b[0], *a[1:])
    if rng.random() < 0.5:
        ca, cb = log.chain[a[0]], log.chain[b[0]]
        log.chain[a[0]] = cb._replace(position=a[0])
        log.chain[b[0]] = ca._replace(position=b[0])
    return log, a[0], frozenset({Breach.REORDERED, Breach.DELETED, Breach.MOVED})


def move(log: MemoryLog, rng: random.Random, key: ChainKey) -> Tampered:
    """Move one event to another stream: an existing one (as its next version, or
    keeping its version), or a new one."""
    i = _pick(rng, log)
    position, stream, version, topic, state = log.events[i]
    others = sorted({e[1] for e in log.events if e[1] != stream})
    how = rng.randrange(3)
    if how == 0 and others:
        target = rng.choice(others)
        earlier = [e[2] for e in log.events[:i] if e[1] == target]
        new_version = (max(earlier) if earlier else 0) + 1
    elif how == 1 and others:
        target, new_version = rng.choice(others), version
    else:
        target, new_version = uuid.UUID(int=rng.getrandbits(128)).hex, 1
    log.events[i] = (position, target, new_version, topic, state)
    return log, position, frozenset({Breach.MOVED, Breach.REORDERED})


def truncate(log: MemoryLog, rng: random.Random, key: ChainKey) -> Tampered:
    """Cut off the last events and their chain entries (only an anchor tells)."""
    count = rng.randint(1, max(1, min(20, len(log.events) // 4)))
    first = log.events[-count][0]
    for event in log.events[-count:]:
        log.chain.pop(event[0], None)
    del log.events[-count:]
    return log, first, frozenset({Breach.TRUNCATED})


def rechain(log: MemoryLog, rng: random.Random, key: ChainKey) -> Tampered:
    """Change an event and chain the log again from there with a key of one's own (as
    someone without the audit key must): keeping the chain's metadata, or also replacing
    its key check; or re-chain the whole log."""
    own = ChainKey(rng.randbytes(32))
    i = _pick(rng, log) if rng.random() < 0.7 else 0
    position, stream, version, topic, state = log.events[i]
    log.events[i] = (position, stream, version, topic, state + b"!")
    after = int(log.meta["after"])
    before = [e for e in log.events[:i] if e[0] > after]
    heads: dict[str, bytes] = {}
    for event in before:
        heads[event[1]] = log.chain[event[0]].mac
    head = (log.chain[before[-1][0]].seq, log.chain[before[-1][0]].mac) if before else None
    rows = [StoredRow(*e) for e in log.events[i:] if e[0] > after]
    for entry in link(own, head, heads, rows):
        log.chain[entry.position] = entry
    if rng.random() < 0.5:
        log.meta["key_check"] = own.check.hex()
        return log, after + 1, frozenset({Breach.RECHAINED})
    last = i == len(log.events) - 1  # the last entry: modified or forged, who can tell
    named = {Breach.RECHAINED, Breach.MODIFIED} if last else {Breach.RECHAINED}
    return log, max(position, after + 1), frozenset(named)


KINDS: dict[str, Callable[[MemoryLog, random.Random, ChainKey], Tampered]] = {
    "modified": modify,
    "deleted": delete,
    "inserted": insert,
    "reordered": reorder,
    "moved": move,
    "truncated": truncate,
    "rechained": rechain,
}


def fresh_key(rng: random.Random | None = None) -> ChainKey:
    return ChainKey(rng.randbytes(32) if rng else os.urandom(32))
