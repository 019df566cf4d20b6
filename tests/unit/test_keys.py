"""Keys held outside the database: from the environment, from a key file, never shown."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from oneplan import KeyConfigurationError
from oneplan.keys import Keys


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def test_no_key_configured_means_every_key_is_unset() -> None:
    assert Keys.from_env({}) == Keys(audit_key=None, master_key=None)


def test_keys_come_from_the_environment() -> None:
    keys = Keys.from_env(
        {"ONEPLAN_AUDIT_KEY": _b64(b"a" * 32), "ONEPLAN_MASTER_KEY": _b64(b"m" * 32)}
    )

    assert keys == Keys(audit_key=b"a" * 32, master_key=b"m" * 32)


def test_a_key_file_round_trips_and_only_its_owner_may_read_it(tmp_path: Path) -> None:
    keys = Keys.generate()
    path = tmp_path / "oneplan.keys"
    keys.write(path)

    assert Keys.read(path) == keys
    assert Keys.from_env({"ONEPLAN_KEY_FILE": str(path)}) == keys
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_the_environment_wins_over_the_key_file(tmp_path: Path) -> None:
    path = tmp_path / "oneplan.keys"
    Keys.generate().write(path)

    keys = Keys.from_env({"ONEPLAN_KEY_FILE": str(path), "ONEPLAN_AUDIT_KEY": _b64(b"e" * 32)})

    assert keys.audit_key == b"e" * 32
    assert keys.master_key == Keys.read(path).master_key


def test_a_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "oneplan.keys"
    Keys.generate().write(path)
    before = path.read_bytes()

    with pytest.raises(FileExistsError):
        Keys.generate().write(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("value", "says"),
    [("not base64!", "not base64"), (_b64(b"short"), "must be 32 bytes"), (_b64(b"x" * 33), "33")],
)
def test_a_malformed_key_is_a_key_configuration_error(value: str, says: str) -> None:
    with pytest.raises(KeyConfigurationError, match=says) as raised:
        Keys.from_env({"ONEPLAN_MASTER_KEY": value})
    assert raised.value.key == "ONEPLAN_MASTER_KEY"


def test_a_key_file_with_an_unknown_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "oneplan.keys"
    path.write_text(f"ONEPLAN_AUDIT_KEY={_b64(b'a' * 32)}\nPASSWORD=hunter2\n")

    with pytest.raises(KeyConfigurationError, match="line 2"):
        Keys.read(path)


def test_a_missing_key_file_is_a_key_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigurationError, match="cannot read key file"):
        Keys.from_env({"ONEPLAN_KEY_FILE": str(tmp_path / "nowhere.keys")})


def test_keys_never_show_their_values() -> None:
    keys = Keys.generate()

    shown = repr(keys) + str(keys)

    assert "set" in shown
    assert _b64(keys.audit_key or b"") not in shown
    assert str(keys.audit_key) not in shown
