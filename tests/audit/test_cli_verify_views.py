"""``oneplan audit verify --views``: the log's verification and the views', exit 0 when
both are intact, 1 with a line naming the first difference, JSON with both."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
from typer.testing import CliRunner

from oneplan import Keys, OnePlan
from oneplan.cli import app as cli
from oneplan.demo import run_demo

runner = CliRunner()


def demo(folder: Path) -> tuple[Path, Path]:
    keys = Keys.generate()
    keys.write(folder / "keys")
    with OnePlan.open(f"sqlite:///{folder / 'demo.db'}", keys=keys) as app:
        run_demo(app, lambda _: None)
        app.views.catch_up()
    return folder / "demo.db", folder / "keys"


def run(*args: str, key_file: Path) -> tuple[int, str, str]:
    env = {"ONEPLAN_KEY_FILE": str(key_file), "ONEPLAN_AUDIT_KEY": ""}
    result = runner.invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_verify_views_says_both_are_intact_and_exits_0(tmp_path: Path) -> None:
    db, key_file = demo(tmp_path)

    code, out, err = run("audit", "verify", "--views", "--db", str(db), key_file=key_file)

    assert (code, err) == (0, "")
    log, views = out.splitlines()
    assert log.startswith("intact: ")
    assert views.startswith("views intact: ")


def test_verify_views_names_the_first_difference_in_one_line_and_exits_1(tmp_path: Path) -> None:
    db, key_file = demo(tmp_path)
    with sqlite3.connect(db) as tamper:
        (subject,) = tamper.execute(
            "SELECT key FROM oneplan_view_citizen ORDER BY key LIMIT 1"
        ).fetchone()
        tamper.execute("UPDATE oneplan_data_keys SET wrapped = NULL WHERE subject = ?", (subject,))

    code, out, err = run("audit", "verify", "--views", "--db", str(db), key_file=key_file)

    assert (code, out) == (1, "")
    (line,) = err.splitlines()
    assert line.startswith(f"oneplan: views: data-key: data_keys {subject}: data key ")
    assert "is destroyed, but the log records no erasure" in line


def test_verify_views_as_json_holds_both_verifications(tmp_path: Path) -> None:
    db, key_file = demo(tmp_path)
    with sqlite3.connect(db) as tamper:
        tamper.execute("UPDATE oneplan_view_tracking SET position = 0")

    code, out, _ = run(
        "audit", "verify", "--views", "--format", "json", "--db", str(db), key_file=key_file
    )

    assert code == 1
    found = orjson.loads(out)
    assert found["log"]["status"] == "intact"
    assert found["views"]["status"] == "broken"
    assert found["views"]["position"] == 0
    assert found["views"]["difference"]["check"] == "row"
    assert found["views"]["difference"]["view"] == "route"


def test_verify_without_views_compares_no_view(tmp_path: Path) -> None:
    db, key_file = demo(tmp_path)
    with sqlite3.connect(db) as tamper:
        tamper.execute("UPDATE oneplan_view_tracking SET position = 0")

    code, out, _ = run("audit", "verify", "--db", str(db), key_file=key_file)

    assert code == 0
    assert out.startswith("intact: ")
