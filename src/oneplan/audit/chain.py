"""The audit chain: how each stored event is linked to the ones before it.

Every event written while an audit key is configured gets one **chain entry** beside it,
in the same transaction: its position in the log (the notification id), its sequence
number in the chain (1, 2, 3, ... with no gaps, unlike notification ids), and a MAC:

    mac = HMAC-SHA256(audit key,
                      "e" | previous entry's mac in the log | previous entry's mac in
                      the event's stream | seq | position | version | len(stream id) |
                      len(topic) | stream id | topic | stored state)

So each MAC is one link of two chains at once: the **global chain** over the
notification log (it covers the previous entry's MAC, whatever its stream) and the
**stream chain** of the event's aggregate (it covers the MAC of the stream's previous
event). It is computed over the bytes as stored (the stream id as stored, the topic, the
state as the mapper wrote it, encrypted or not), never over decrypted events, so it
survives encryption and erasure (which destroys keys and never rewrites a row). The
first entry of the chain, and the first chained event of each stream, link to 32 zero
bytes.

The key never goes near the database: what is stored beside the chain is only a **key
check** (the HMAC of a fixed text), from which the first 8 bytes, in hex, are the key
id that anchors and reports name.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

__all__ = [
    "KEY_CHECK_TEXT",
    "ZERO",
    "ChainEntry",
    "ChainKey",
    "ChainStart",
    "StoredRow",
    "link",
    "start_from_meta",
    "start_to_meta",
]

ZERO = bytes(32)
"""What the first entry of the chain, and of each stream, links to."""
KEY_CHECK_TEXT = b"oneplan audit key check v1"
SCHEME = 1
"""The version of this scheme, stored beside the chain."""

_HEADER = struct.Struct(">c32s32sQQQII")
"""tag, previous global mac, previous stream mac, seq, position, version, len(stream
id), len(topic); then the stream id, the topic and the state follow."""
_TAG = b"e"


class ChainEntry(NamedTuple):
    """One event's entry in the chain, as stored beside the event. ``stream_id`` and
    ``version`` repeat where the event was when chained: they are not covered by the
    MAC themselves (the event's own are), and serve to name what went wrong."""

    position: int
    seq: int
    stream_id: str
    version: int
    mac: bytes


class ChainStart(NamedTuple):
    """Where the chain starts and with which key: every event after position ``after``
    is chained; those up to it predate the chain."""

    after: int
    key_check: bytes

    @property
    def key_id(self) -> str:
        return self.key_check[:8].hex()


class StoredRow(NamedTuple):
    """A stored event as the recorder writes it: what its chain entry covers."""

    position: int
    stream_id: str
    version: int
    topic: str
    state: bytes


class ChainKey:
    """The audit key, ready to MAC chain entries: HMAC-SHA256 with its inner and outer
    pads hashed once (one MAC then costs two hash updates, not a fresh HMAC)."""

    __slots__ = ("_inner", "_outer", "check", "key_id")

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the audit key is 32 bytes")
        block = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        self.check: bytes = hmac.digest(key, KEY_CHECK_TEXT, "sha256")
        """The key check stored beside the chain (reveals nothing of the key)."""
        self.key_id: str = self.check[:8].hex()

    def __repr__(self) -> str:
        return f"ChainKey(key_id={self.key_id})"

    def mac(self, *parts: bytes) -> bytes:
        """HMAC-SHA256 of the concatenated ``parts``."""
        inner = self._inner.copy()
        for part in parts:
            inner.update(part)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def entry_mac(
        self,
        prev_global: bytes,
        prev_stream: bytes,
        seq: int,
        position: int,
        stream_id: bytes,
        version: int,
        topic: bytes,
        state: bytes,
    ) -> bytes:
        """The MAC of one chain entry (see the module's docstring)."""
        inner = self._inner.copy()
        inner.update(
            _HEADER.pack(
                _TAG,
                prev_global,
                prev_stream,
                seq,
                position,
                version,
                len(stream_id),
                len(topic),
            )
        )
        inner.update(stream_id)
        inner.update(topic)
        inner.update(state)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def hot(self) -> tuple[Callable[[], Any], Callable[[], Any], Callable[..., bytes]]:
        """What the verifier's loop inlines: the padded hashes' ``copy`` methods and the
        header's ``pack`` (see ``oneplan.audit.verify``)."""
        return self._inner.copy, self._outer.copy, _HEADER.pack


def start_to_meta(start: ChainStart) -> dict[str, str]:
    """The rows stored beside the chain that say where it starts and with which key."""
    return {"scheme": str(SCHEME), "after": str(start.after), "key_check": start.key_check.hex()}


def start_from_meta(meta: Mapping[str, str]) -> ChainStart | None:
    """Where the chain starts, from the rows stored beside it (None: there is no chain);
    ``ValueError`` when they are not what ``start_to_meta`` writes."""
    if not meta:
        return None
    if set(meta) != {"scheme", "after", "key_check"} or meta["scheme"] != str(SCHEME):
        raise ValueError(f"the chain's metadata is not scheme {SCHEME}: {sorted(meta)}")
    after, key_check = meta["after"], meta["key_check"]
    if not (isinstance(after, str) and after.isdigit() and len(after) < 19):
        raise ValueError(f"the chain's start {after!r} is not a position")
    if not isinstance(key_check, str) or len(key_check) != 64:
        raise ValueError("the chain's key check is not 32 bytes in hex")
    return ChainStart(int(after), bytes.fromhex(key_check))


def link(
    key: ChainKey,
    head: tuple[int, bytes] | None,
    stream_heads: dict[str, bytes],
    rows: list[StoredRow],
) -> list[ChainEntry]:
    """The chain entries of ``rows`` (in position order), after the chain's ``head``
    (its last entry's seq and MAC; None: the chain starts here) and the MAC of each
    stream's previous entry (``stream_heads``, updated in place; a stream missing from it
    starts its chain here)."""
    seq, prev = head if head is not None else (0, ZERO)
    entries: list[ChainEntry] = []
    for row in sorted(rows, key=lambda r: r.position):
        seq += 1
        stream = row.stream_id
        prev = key.entry_mac(
            prev,
            stream_heads.get(stream, ZERO),
            seq,
            row.position,
            stream.encode(),
            row.version,
            row.topic.encode(),
            row.state,
        )
        stream_heads[stream] = prev
        entries.append(ChainEntry(row.position, seq, stream, row.version, prev))
    return entries
