"""Anchors: signed checkpoints of the audit chain, kept elsewhere.

An anchor records the chain as it stood: its last position and sequence number, the
global head (the last entry's MAC), every stream's head (its last chained version and
MAC), where the chain starts, the audit key's id and when the anchor was made; all
signed over the canonical JSON of the rest. Kept away from the database (``oneplan
audit anchor --out FILE``), it lets ``verify`` detect what the chain alone cannot: a
log whose tail was cut off, or whose history up to the anchor was rewritten by someone
holding the audit key.

Two signatures:

- **Ed25519** (format ``oneplan-audit-anchor/2``), with the municipality's anchor
  signing key (``ONEPLAN_ANCHOR_SIGNING_KEY``): the file names the signing key's id,
  and anyone holding only the public key (``AnchorPublicKey``) can check it but cannot
  make one. Anchors are signed so whenever a signing key is configured.
- **HMAC-SHA256** with the audit key (format ``oneplan-audit-anchor/1``): what anchors
  were before, and are without a signing key. They still verify with the audit key,
  but anyone holding the audit key (an auditor too) could make one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import attrs
import orjson
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from oneplan.audit.chain import ChainKey
from oneplan.errors import AnchorInvalid, AnchorSignatureInvalid

__all__ = [
    "ANCHOR_FORMAT",
    "ED25519",
    "HMAC_SHA256",
    "SIGNED_ANCHOR_FORMAT",
    "Anchor",
    "AnchorPublicKey",
    "AnchorSigningKey",
]

ANCHOR_FORMAT = "oneplan-audit-anchor/1"
"""An anchor signed with the audit key (HMAC-SHA256)."""
SIGNED_ANCHOR_FORMAT = "oneplan-audit-anchor/2"
"""An anchor signed with the anchor signing key (Ed25519)."""
HMAC_SHA256 = "hmac-sha256"
ED25519 = "ed25519"
_FORMATS = ((ANCHOR_FORMAT,), (SIGNED_ANCHOR_FORMAT,))
_SIGNED = b"oneplan audit anchor v1\n"
_SIGNED_ED25519 = b"oneplan audit anchor v2 ed25519\n"
_MAX = 2**63 - 1

_Hex32 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
_Position = Annotated[int, Field(ge=0, le=_MAX)]


def _public_key_id(raw: bytes) -> str:
    """The id of an Ed25519 public key: the first 8 bytes of its SHA-256, in hex."""
    return hashlib.sha256(b"oneplan anchor public key\n" + raw).digest()[:8].hex()


@attrs.frozen(repr=False)
class AnchorPublicKey:
    """The public half of the anchor signing key: checks anchors, cannot make them.
    Kept as a PEM file (SubjectPublicKeyInfo), which is what auditors are given."""

    key: Ed25519PublicKey

    def __repr__(self) -> str:
        return f"AnchorPublicKey(key_id={self.key_id})"

    @property
    def raw(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        """What anchors signed with the matching signing key name (16 hex digits)."""
        return _public_key_id(self.raw)

    def verifies(self, signature: bytes, data: bytes) -> bool:
        try:
            self.key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def to_pem(self) -> bytes:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the public key to a new PEM file (never overwritten)."""
        with open(path, "xb") as f:
            f.write(self.to_pem())

    @classmethod
    def from_pem(cls, data: bytes, *, source: str = "<data>") -> AnchorPublicKey:
        """The Ed25519 public key in PEM ``data``; ``AnchorInvalid`` otherwise."""
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise AnchorInvalid(
                f"{source} is not a public key in PEM (-----BEGIN PUBLIC KEY-----)",
                source=source,
            ) from None
        if not isinstance(key, Ed25519PublicKey):
            raise AnchorInvalid(
                f"{source} holds a public key that is not Ed25519 ({type(key).__name__})",
                source=source,
            )
        return cls(key)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> AnchorPublicKey:
        """The anchor public key in the PEM file at ``path``; ``AnchorInvalid`` when it
        cannot be read as one."""
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise AnchorInvalid(f"cannot read {path}: {e.strerror}", source=str(path)) from None
        return cls.from_pem(data, source=str(path))


class AnchorSigningKey:
    """The anchor signing key (Ed25519), from its 32-byte seed: the municipality keeps
    it (``ONEPLAN_ANCHOR_SIGNING_KEY``); auditors get only ``public_key``."""

    __slots__ = ("_key", "public_key")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValueError("the anchor signing key is 32 bytes")
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = AnchorPublicKey(self._key.public_key())

    def __repr__(self) -> str:
        return f"AnchorSigningKey(key_id={self.key_id})"

    @property
    def key_id(self) -> str:
        return self.public_key.key_id

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)


_Ed25519Signature = Annotated[str, Field(pattern=r"^[0-9a-f]{128}$")]
_KeyId = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]


class _AnchorFields(BaseModel):
    """An anchor file as JSON, checked field by field before anything trusts it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    key_id: _KeyId
    chain_after: _Position
    position: _Position
    seq: Annotated[int, Field(ge=1, le=_MAX)]
    head: _Hex32
    made_at: Annotated[str, Field(max_length=64)]
    streams: dict[
        Annotated[str, Field(min_length=1, max_length=200)],
        tuple[Annotated[int, Field(ge=1, le=_MAX)], _Hex32],
    ]


class _HmacAnchorFile(_AnchorFields):
    """Signed with the audit key."""

    format: Literal["oneplan-audit-anchor/1"]
    signature: _Hex32


class _SignedAnchorFile(_AnchorFields):
    """Signed with Ed25519: it names the algorithm and the signing key."""

    format: Literal["oneplan-audit-anchor/2"]
    signature_algorithm: Literal["ed25519"]
    signing_key_id: _KeyId
    signature: _Ed25519Signature


_ANCHOR_FILE: TypeAdapter[_HmacAnchorFile | _SignedAnchorFile] = TypeAdapter(
    Annotated[_HmacAnchorFile | _SignedAnchorFile, Field(discriminator="format")]
)


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
    algorithm: str = HMAC_SHA256
    """``ed25519`` (signed with the anchor signing key) or ``hmac-sha256`` (with the
    audit key)."""
    signing_key_id: str | None = None
    """The id of the Ed25519 key that signed it (None for an HMAC anchor)."""

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
        signing_key: AnchorSigningKey | None = None,
    ) -> Anchor:
        """An anchor of the chain's state (made with audit key ``key``), signed with
        ``signing_key`` (Ed25519) when given, else with ``key`` (HMAC)."""
        unsigned = cls(
            key_id=key.key_id,
            chain_after=chain_after,
            position=position,
            seq=seq,
            head=head,
            streams=dict(sorted(streams.items())),
            made_at=made_at.isoformat(),
            signature=b"",
            algorithm=HMAC_SHA256 if signing_key is None else ED25519,
            signing_key_id=None if signing_key is None else signing_key.key_id,
        )
        if signing_key is None:
            return attrs.evolve(unsigned, signature=key.mac(_SIGNED, unsigned.body()))
        return attrs.evolve(unsigned, signature=signing_key.sign(_SIGNED_ED25519 + unsigned.body()))

    @property
    def format(self) -> str:
        return SIGNED_ANCHOR_FORMAT if self.algorithm == ED25519 else ANCHOR_FORMAT

    def body(self) -> bytes:
        """The canonical JSON the signature covers (everything but the signature)."""
        return orjson.dumps(self._fields(), option=orjson.OPT_SORT_KEYS)

    def signed_by(self, key: ChainKey) -> bool:
        """Whether audit key ``key`` made this (HMAC) anchor and nothing in it changed
        since. False for an Ed25519 anchor: only its public key checks that."""
        if self.algorithm != HMAC_SHA256:
            return False
        return hmac.compare_digest(key.mac(_SIGNED, self.body()), self.signature)

    def check_signature(
        self,
        *,
        public_key: AnchorPublicKey | None = None,
        audit_key: ChainKey | None = None,
    ) -> None:
        """Check the signature, or raise ``AnchorSignatureInvalid`` saying why.

        With ``public_key``, the anchor must be an Ed25519 one signed by that key: an
        HMAC anchor is refused then, since anyone holding the audit key can make one.
        Without it, an HMAC anchor is checked with ``audit_key``. ``AnchorInvalid`` when
        neither key can check this anchor (nothing proven either way)."""
        if public_key is not None:
            if self.algorithm != ED25519:
                raise AnchorSignatureInvalid(
                    "the anchor is signed with the audit key (HMAC), not with the anchor "
                    f"signing key {public_key.key_id}: anyone holding the audit key can make "
                    "such an anchor, so it cannot stand for the public key's",
                    position=self.position,
                    signing_key_id=None,
                    public_key_id=public_key.key_id,
                )
            if self.signing_key_id != public_key.key_id:
                raise AnchorSignatureInvalid(
                    f"the anchor names signing key {self.signing_key_id}, the public key given "
                    f"is {public_key.key_id}: another key's anchor",
                    position=self.position,
                    signing_key_id=self.signing_key_id,
                    public_key_id=public_key.key_id,
                )
            if not public_key.verifies(self.signature, _SIGNED_ED25519 + self.body()):
                raise AnchorSignatureInvalid(
                    f"the anchor's signature does not verify with public key "
                    f"{public_key.key_id}: the anchor was altered, or forged",
                    position=self.position,
                    signing_key_id=self.signing_key_id,
                    public_key_id=public_key.key_id,
                )
            return
        if self.algorithm == ED25519:
            raise AnchorInvalid(
                f"the anchor is signed with Ed25519 key {self.signing_key_id}: checking it "
                "needs that key's public key (--anchor-public-key)"
            )
        if audit_key is None:
            raise AnchorInvalid("the anchor is signed with the audit key, which is not given")
        if not self.signed_by(audit_key):
            raise AnchorSignatureInvalid(
                "the anchor's signature does not verify with the audit key: the anchor was "
                "altered, or made with another key",
                position=self.position,
                signing_key_id=None,
                public_key_id=None,
            )

    def _fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "format": self.format,
            "key_id": self.key_id,
            "chain_after": self.chain_after,
            "position": self.position,
            "seq": self.seq,
            "head": self.head.hex(),
            "made_at": self.made_at,
            "streams": {s: [v, mac.hex()] for s, (v, mac) in self.streams.items()},
        }
        if self.algorithm == ED25519:
            fields["signature_algorithm"] = ED25519
            fields["signing_key_id"] = self.signing_key_id
        return fields

    def to_json(self) -> bytes:
        return orjson.dumps(
            {**self._fields(), "signature": self.signature.hex()}, option=orjson.OPT_SORT_KEYS
        )

    @classmethod
    def from_json(cls, data: bytes | str, *, source: str = "<data>") -> Anchor:
        """The anchor in ``data``, or ``AnchorInvalid`` naming what is wrong with it."""
        try:
            parsed = _ANCHOR_FILE.validate_json(data)
        except ValidationError as e:
            first = e.errors()[0]
            loc = first["loc"][1:] if first["loc"][:1] in _FORMATS else first["loc"]
            where = ".".join(str(p) for p in loc) or (
                "format" if first["type"] == "union_tag_invalid" else "(the file)"
            )
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
            **(
                {"algorithm": ED25519, "signing_key_id": parsed.signing_key_id}
                if isinstance(parsed, _SignedAnchorFile)
                else {}
            ),
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
