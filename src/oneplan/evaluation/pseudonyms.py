"""Keyed pseudonyms for evaluation exports (the privacy issue's definition): a separate
key per evaluation, given by the evaluator; never the master key or the audit key.

A pseudonym is HMAC-SHA256 of the id under the evaluation key, so the same citizen gets
the same pseudonym in every table of one evaluation, and unrelated pseudonyms in another
evaluation (another key). Without the key nobody can tell which citizen a pseudonym
stands for; with it, only someone who already holds a citizen's id can find their rows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Self
from uuid import UUID

from oneplan.errors import KeyConfigurationError
from oneplan.keys import KEY_BYTES, Keys

__all__ = ["EVALUATION_KEY_VARIABLE", "Pseudonymiser"]

EVALUATION_KEY_VARIABLE = "ONEPLAN_EVALUATION_KEY"
_DOMAIN = b"oneplan-evaluation-pseudonym"


class Pseudonymiser:
    """Turns ids into keyed pseudonyms: ``c-`` citizens, ``p-`` plans, ``g-`` goals,
    ``w-`` caseworkers (16 base32 characters, 80 bits)."""

    PREFIXES = {"citizen": "c", "plan": "p", "goal": "g", "caseworker": "w", "intervention": "i"}

    def __init__(self, key: bytes, *, not_one_of: Keys | None = None) -> None:
        if len(key) != KEY_BYTES:
            raise KeyConfigurationError(
                f"an evaluation key is {KEY_BYTES} random bytes, not {len(key)}",
                key=EVALUATION_KEY_VARIABLE,
            )
        if not_one_of is not None and key in (not_one_of.master_key, not_one_of.audit_key):
            raise KeyConfigurationError(
                "the evaluation key must be a key of its own, never the master or audit key",
                key=EVALUATION_KEY_VARIABLE,
            )
        self._key = key

    def __repr__(self) -> str:
        return "Pseudonymiser(key=<hidden>)"

    @classmethod
    def generate(cls) -> Self:
        """A pseudonymiser with a fresh random key (pseudonyms link to no other export)."""
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def from_text(cls, text: str, *, not_one_of: Keys | None = None) -> Self:
        """From the key written as base64 (as ``write_key`` and ``oneplan keys`` write)."""
        value = text.strip()
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except ValueError:
            raise KeyConfigurationError(
                "the evaluation key is not base64", key=EVALUATION_KEY_VARIABLE
            ) from None
        return cls(raw, not_one_of=not_one_of)

    @classmethod
    def from_env_or_file(
        cls, path: str | os.PathLike[str] | None, *, not_one_of: Keys | None = None
    ) -> Self | None:
        """The key in ``path`` (a file holding the base64 key), else in the environment
        variable ``ONEPLAN_EVALUATION_KEY``; None when neither is given."""
        if path is not None:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as e:
                raise KeyConfigurationError(
                    f"cannot read evaluation key file {path}: {e.strerror}",
                    key=EVALUATION_KEY_VARIABLE,
                ) from None
            return cls.from_text(text, not_one_of=not_one_of)
        if os.environ.get(EVALUATION_KEY_VARIABLE):
            return cls.from_text(os.environ[EVALUATION_KEY_VARIABLE], not_one_of=not_one_of)
        return None

    @staticmethod
    def write_key(path: str | os.PathLike[str]) -> None:
        """Write a fresh evaluation key to a new file readable by its owner only."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n")

    def pseudonym(self, kind: str, value: UUID | str) -> str:
        """The pseudonym of ``value`` (an id of the given ``kind``)."""
        message = b"\x00".join((_DOMAIN, kind.encode(), str(value).encode()))
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        code = base64.b32encode(digest[:10]).decode().lower()
        return f"{self.PREFIXES.get(kind, 'x')}-{code}"

    def citizen(self, citizen_id: UUID) -> str:
        return self.pseudonym("citizen", citizen_id)
