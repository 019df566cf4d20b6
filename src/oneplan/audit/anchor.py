"""Anchors: checkpoints of the audit chain, signed with the audit key, kept elsewhere.

An anchor records the chain as it stood: its last position and sequence number, the
global head (the last entry's MAC), every stream's head (its last chained version and
MAC), where the chain starts, the key id and when the anchor was made; all signed with
the audit key (HMAC-SHA256 over the canonical JSON of the rest). Kept away from the
database (``oneplan audit anchor --out FILE``), it lets ``verify`` detect what the chain
alone cannot: a log whose tail was cut off, or whose history up to the anchor was
rewritten by someone holding the key.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import attrs
import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oneplan.audit.chain import ChainKey
from oneplan.errors import AnchorInvalid

__all__ = ["ANCHOR_FORMAT", "Anchor"]

ANCHOR_FORMAT = "oneplan-audit-anchor/1"
_SIGNED = b"oneplan audit anchor v1\n"
_MAX = 2**63 - 1

_Hex32 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
_Position = Annotated[int, Field(ge=0, le=_MAX)]


class _AnchorFile(BaseModel):
    """An anchor file as JSON, checked field by field before anything trusts it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    format: Literal["oneplan-audit-anchor/1"]
    key_id: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
    chain_after: _Position
    position: _Position
    seq: Annotated[int, Field(ge=1, le=_MAX)]
    head: _Hex32
    made_at: Annotated[str, Field(max_length=64)]
    streams: dict[
        Annotated[str, Field(min_length=1, max_length=200)],
        tuple[Annotated[int, Field(ge=1, le=_MAX)], _Hex32],
    ]
    signature: _Hex32


@attrs.frozen
class Anchor:
    """A signed checkpoint of the audit chain (see the module's docstring)."""

    key_id: str
    chain_after: int
    """Positions up to this predate the chain."""
    position: int
    """The last chained position the anchor covers."""
    seq: int
    """That entry's sequence number: how many entries the chain had."""
    head: bytes
    """That entry's MAC: the global head."""
    streams: Mapping[str, tuple[int, bytes]]
    """Every chained stream's last version and MAC at ``position``, by stream id."""
    made_at: str
    """When the anchor was made (ISO 8601)."""
    signature: bytes

    @classmethod
    def make(
        cls,
        key: ChainKey,
        *,
        chain_after: int,
        position: int,
        seq: int,
        head: bytes,
        streams: Mapping[str, tuple[int, bytes]],
        made_at: datetime,
    ) -> Anchor:
        """An anchor of the chain's state, signed with ``key``."""
        unsigned = cls(
            key_id=key.key_id,
            chain_after=chain_after,
            position=position,
            seq=seq,
            head=head,
            streams=dict(sorted(streams.items())),
            made_at=made_at.isoformat(),
            signature=b"",
        )
        return attrs.evolve(unsigned, signature=key.mac(_SIGNED, unsigned.body()))

    def body(self) -> bytes:
        """The canonical JSON the signature covers (everything but the signature)."""
        return orjson.dumps(self._fields(), option=orjson.OPT_SORT_KEYS)

    def signed_by(self, key: ChainKey) -> bool:
        """Whether ``key`` made this anchor and nothing in it changed since."""
        return hmac.compare_digest(key.mac(_SIGNED, self.body()), self.signature)

    def _fields(self) -> dict[str, Any]:
        return {
            "format": ANCHOR_FORMAT,
            "key_id": self.key_id,
            "chain_after": self.chain_after,
            "position": self.position,
            "seq": self.seq,
            "head": self.head.hex(),
            "made_at": self.made_at,
            "streams": {s: [v, mac.hex()] for s, (v, mac) in self.streams.items()},
        }

    def to_json(self) -> bytes:
        return orjson.dumps(
            {**self._fields(), "signature": self.signature.hex()}, option=orjson.OPT_SORT_KEYS
        )

    @classmethod
    def from_json(cls, data: bytes | str, *, source: str = "<data>") -> Anchor:
        """The anchor in ``data``, or ``AnchorInvalid`` naming what is wrong with it."""
        try:
            parsed = _AnchorFile.model_validate_json(data)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(the file)"
            raise AnchorInvalid(
                f"{source} is not an anchor: {where}: {first['msg']}", source=source
            ) from None
        try:
            made_at = datetime.fromisoformat(parsed.made_at)
        except ValueError:
            made_at = None
        if made_at is None or made_at.tzinfo is None:
            raise AnchorInvalid(
                f"{source} is not an anchor: made_at is not a time with a zone", source=source
            )
        if parsed.seq > parsed.position - parsed.chain_after:
            raise AnchorInvalid(
                f"{source} is not an anchor: position {parsed.position}, seq {parsed.seq} and "
                f"chain start {parsed.chain_after} do not fit together",
                source=source,
            )
        return cls(
            key_id=parsed.key_id,
            chain_after=parsed.chain_after,
            position=parsed.position,
            seq=parsed.seq,
            head=bytes.fromhex(parsed.head),
            streams={s: (v, bytes.fromhex(mac)) for s, (v, mac) in parsed.streams.items()},
            made_at=parsed.made_at,
            signature=bytes.fromhex(parsed.signature),
        )

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the anchor to a new file (an anchor is never overwritten)."""
        with open(path, "xb") as f:
            f.write(self.to_json())

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Anchor:
        """The anchor in the file at ``path``; ``AnchorInvalid`` when it cannot be read."""
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise AnchorInvalid(f"cannot read {path}: {e.strerror}", source=str(path)) from None
        return cls.from_json(data, source=str(path))
