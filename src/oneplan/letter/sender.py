"""The municipality that sends the citizen's letter, from configuration.

``ONEPLAN_MUNICIPALITY_NAME`` and ``ONEPLAN_MUNICIPALITY_ADDRESS`` (address lines
separated by ``;``) name the sender; ``ONEPLAN_MUNICIPALITY_LOGO`` is an optional PNG,
JPEG or SVG file shown in the letterhead; ``ONEPLAN_RECORD_LANGUAGE`` (``da`` or ``en``,
default ``da``) says which language the municipality's staff write the record in, so a
letter in the other language marks the record's words with their own language.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from pathlib import Path

import attrs

from oneplan.errors import LetterConfigurationError
from oneplan.letter.phrases import Language

__all__ = ["Municipality"]

_LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}


@attrs.frozen
class Municipality:
    """The sender of the citizen's letter: the municipality's name and address, its logo
    (optional) and the language its staff write the record in."""

    name: str = ""
    address: tuple[str, ...] = ()
    logo: Path | None = None
    record_language: Language = Language.DA

    @property
    def configured(self) -> bool:
        return bool(self.name)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Municipality:
        """The sender as configured (``ONEPLAN_MUNICIPALITY_NAME``, ``_ADDRESS``, ``_LOGO``,
        ``ONEPLAN_RECORD_LANGUAGE``);
        an unconfigured one has no name. ``LetterConfigurationError`` for a logo that is
        not a readable PNG, JPEG or SVG file, or a record language other than da or en."""
        env = os.environ if env is None else env
        name = " ".join(env.get("ONEPLAN_MUNICIPALITY_NAME", "").split())
        address = tuple(
            " ".join(line.split())
            for line in env.get("ONEPLAN_MUNICIPALITY_ADDRESS", "").split(";")
            if line.strip()
        )
        logo_text = env.get("ONEPLAN_MUNICIPALITY_LOGO", "").strip()
        logo = Path(logo_text) if logo_text else None
        if logo is not None and (logo.suffix.lower() not in _LOGO_TYPES or not logo.is_file()):
            raise LetterConfigurationError(
                f"ONEPLAN_MUNICIPALITY_LOGO: {logo_text} is not a PNG, JPEG or SVG file",
                setting="ONEPLAN_MUNICIPALITY_LOGO",
            )
        language = env.get("ONEPLAN_RECORD_LANGUAGE", "da").strip() or "da"
        try:
            record_language = Language(language)
        except ValueError:
            raise LetterConfigurationError(
                f"ONEPLAN_RECORD_LANGUAGE: {language!r} is not da or en",
                setting="ONEPLAN_RECORD_LANGUAGE",
            ) from None
        return cls(name=name, address=address, logo=logo, record_language=record_language)

    def logo_data_uri(self) -> str | None:
        """The logo as a ``data:`` URI, so the letter is one self-contained file."""
        if self.logo is None:
            return None
        try:
            data = self.logo.read_bytes()
        except OSError as e:
            raise LetterConfigurationError(
                f"ONEPLAN_MUNICIPALITY_LOGO: cannot read {self.logo}: {e.strerror}",
                setting="ONEPLAN_MUNICIPALITY_LOGO",
            ) from None
        media = _LOGO_TYPES.get(self.logo.suffix.lower(), "application/octet-stream")
        return f"data:{media};base64,{base64.b64encode(data).decode('ascii')}"
