"""The keys oneplan is configured with. They are held outside the database (in the
environment or in a key file of their own) and never stored with the data.

- ``audit_key``: keys the hash chain of the audit trail (HMAC-SHA256), so that nobody
  with database access alone can rewrite history and re-chain it.
- ``master_key``: wraps the per-citizen data keys that encrypt personal data at rest.
- ``cpr_key``: keys the hash by which a citizen is found from their CPR number
  (HMAC-SHA256); it stays the same when the master key is rotated.
- ``anchor_signing_key``: signs anchors of the audit chain (Ed25519, the 32-byte
  private key); auditors are given its public key only (``anchor_public_key``), which
  checks anchors and cannot make them.

Each is 32 random bytes, written as base64 (``Keys.generate().write(path)`` makes a key
file). Configure them with ``ONEPLAN_AUDIT_KEY``, ``ONEPLAN_MASTER_KEY``,
``ONEPLAN_CPR_KEY`` and ``ONEPLAN_ANCHOR_SIGNING_KEY``, or with
``ONEPLAN_KEY_FILE`` naming a file of ``NAME=value`` lines; a variable set in the
environment wins over the file. A feature whose key is not configured is off.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Self

import attrs

from oneplan.errors import KeyConfigurationError

if TYPE_CHECKING:
    from oneplan.audit.anchor import AnchorPublicKey, AnchorSigningKey

__all__ = ["KEY_BYTES", "Keys"]

KEY_BYTES = 32


def _decode(name: str, value: str) -> bytes:
    text = value.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise KeyConfigurationError(f"{name} is not base64", key=name) from None
    if len(raw) != KEY_BYTES:
        raise KeyConfigurationError(
            f"{name} must be {KEY_BYTES} bytes (base64 of {KEY_BYTES} random bytes), "
            f"not {len(raw)}",
            key=name,
        )
    return raw


def _encode(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


@attrs.frozen(repr=False)
class Keys:
    """The configured keys; ``None`` where a key is not configured."""

    audit_key: bytes | None = None
    master_key: bytes | None = None
    cpr_key: bytes | None = None
    anchor_signing_key: bytes | None = None

    VARIABLES: ClassVar[Mapping[str, str]] = {
        "audit_key": "ONEPLAN_AUDIT_KEY",
        "master_key": "ONEPLAN_MASTER_KEY",
        "cpr_key": "ONEPLAN_CPR_KEY",
        "anchor_signing_key": "ONEPLAN_ANCHOR_SIGNING_KEY",
    }
    """Which environment variable (and key-file line) configures which key."""

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{field}={'set' if getattr(self, field) else 'unset'}" for field in self.VARIABLES
        )
        return f"Keys({shown})"

    def anchor_signer(self) -> AnchorSigningKey | None:
        """The anchor signing key, ready to sign (None: anchors are signed with the
        audit key)."""
        from oneplan.audit.anchor import AnchorSigningKey

        key = self.anchor_signing_key
        return None if key is None else AnchorSigningKey(key)

    def anchor_public_key(self) -> AnchorPublicKey | None:
        """The public key of the anchor signing key: what auditors are given."""
        signer = self.anchor_signer()
        return None if signer is None else signer.public_key

    @classmethod
    def generate(cls) -> Self:
        """Fresh random keys, every one set."""
        return cls(**{field: secrets.token_bytes(KEY_BYTES) for field in cls.VARIABLES})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """The keys in ``ONEPLAN_KEY_FILE`` (if set), overridden by ``ONEPLAN_AUDIT_KEY``,
        ``ONEPLAN_MASTER_KEY``, ``ONEPLAN_CPR_KEY`` and ``ONEPLAN_ANCHOR_SIGNING_KEY``."""
        env = os.environ if environ is None else environ
        values: dict[str, bytes | None] = {}
        key_file = env.get("ONEPLAN_KEY_FILE")
        if key_file:
            values.update(attrs.asdict(cls.read(key_file)))
        for field, variable in cls.VARIABLES.items():
            if env.get(variable):
                values[field] = _decode(variable, env[variable])
        return cls(**values)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Self:
        """The keys in a key file of ``NAME=value`` lines (``#`` starts a comment)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise KeyConfigurationError(f"cannot read key file {path}: {e.strerror}") from None
        by_variable = {variable: field for field, variable in cls.VARIABLES.items()}
        values: dict[str, bytes] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, value = line.partition("=")
            name = name.strip()
            if not sep or name not in by_variable:
                raise KeyConfigurationError(
                    f"key file {path}, line {number}: expected one of "
                    f"{', '.join(by_variable)} as NAME=value"
                )
            values[by_variable[name]] = _decode(name, value)
        return cls(**values)

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the set keys to a new key file readable by its owner only."""
        lines = ["# oneplan keys: keep this file out of the database and its backups"]
        for field, variable in self.VARIABLES.items():
            key: bytes | None = getattr(self, field)
            if key is not None:
                lines.append(f"{variable}={_encode(key)}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
