"""`oneplan keys new` makes a key file once and never overwrites it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from oneplan.cli import app as cli
from oneplan.keys import Keys

runner = CliRunner()


def test_keys_new_writes_a_key_file_with_every_key_set(tmp_path: Path) -> None:
    path = tmp_path / "oneplan.keys"

    result = runner.invoke(cli, ["keys", "new", str(path)])

    assert result.exit_code == 0, result.stderr
    assert f"ONEPLAN_KEY_FILE={path}" in result.stdout
    keys = Keys.read(path)
    assert keys.audit_key is not None
    assert keys.master_key is not None


def test_keys_new_refuses_to_overwrite_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "oneplan.keys"
    Keys.generate().write(path)
    before = path.read_bytes()

    result = runner.invoke(cli, ["keys", "new", str(path)])

    assert result.exit_code == 1
    assert result.stderr == f"oneplan: {path} exists: a key file is never overwritten\n"
    assert path.read_bytes() == before
