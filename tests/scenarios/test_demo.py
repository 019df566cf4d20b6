"""`oneplan demo` tells the seeds' story end to end, as a user runs it: the installed
console script, in its own process, on a SQLite file or a PostgreSQL URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from oneplan import Keys, OnePlan
from oneplan.cli.plans import demo_keys

RUN_CONSOLE_SCRIPT = (
    "import sys; from importlib.metadata import entry_points; "
    "(script,) = entry_points(group='console_scripts', name='oneplan'); "
    "sys.exit(script.load()())"
)


def oneplan(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the ``oneplan`` console script (entry point ``oneplan.cli:main``), with no
    ``ONEPLAN_*`` variable but those in ``env``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEPLAN_")} | (env or {})
    return subprocess.run(
        [sys.executable, "-c", RUN_CONSOLE_SCRIPT, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def stored_events(url: str, *, staff: bool = True) -> int:
    """How many events are stored (without the staff directory's, unless ``staff``)."""
    with OnePlan.open(url, keys=demo_keys(url)[0]) as app:
        topics = [n.topic for n in app.recorder.select_notifications(start=1, limit=10**6)]
    return sum(1 for t in topics if staff or not t.rpartition(":")[2].startswith("Staff"))


def assert_tells_the_story(run: subprocess.CompletedProcess[str], url: str) -> None:
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    out = run.stdout
    assert "oneplan demo: one coordinated plan with the citizen" in out
    assert "Job training cannot start yet: DependencyNotSatisfied" in out
    assert "14. The plan (version 1) goes to Mette's digital mailbox." in out
    assert "The plan as it stands" in out
    assert "status: active; coordinator: Anne Thomsen (employment)" in out
    assert "participant: Karin Friis (children-and-family) as family-coordinator" in out
    assert "Fysioterapi mod rygsmerter [SUL § 140] completed" in out
    assert "Jobtræning på et plejecenter [LAB § 32] in-progress, responsible Peter Juhl" in out
    assert "42 events recorded; nothing edited, nothing deleted." in out  # custody, Lars
    assert f"\nStored in {url}\n" in out


def test_the_console_script_is_oneplan_cli_main() -> None:
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="oneplan")

    assert script.value == "oneplan.cli:main"


def test_the_demo_tells_the_story_on_a_sqlite_file_and_again_on_the_same_file(
    tmp_path: Path,
) -> None:
    db = tmp_path / "demo.db"
    url = f"sqlite:///{db}"

    first = oneplan("demo", "--db", str(db), cwd=tmp_path)
    assert_tells_the_story(first, url)
    after_first, staff = stored_events(url), stored_events(url) - stored_events(url, staff=False)

    second = oneplan("demo", "--db", str(db), cwd=tmp_path)
    assert_tells_the_story(second, url)

    assert after_first > staff > 0
    assert stored_events(url, staff=False) == 2 * (after_first - staff)  # the story again
    assert stored_events(url) - stored_events(url, staff=False) == staff  # the same staff
    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["demo.db"]


def test_the_demo_without_keys_makes_throwaway_keys_beside_its_database_and_says_so(
    tmp_path: Path,
) -> None:
    db = tmp_path / "demo.db"

    first = oneplan("demo", "--db", str(db), cwd=tmp_path)
    keys = (tmp_path / "demo.db.keys").read_bytes()
    second = oneplan("demo", "--db", str(db), cwd=tmp_path)

    for run in (first, second):
        assert run.returncode == 0, run.stderr
        assert f"throwaway keys in {db}.keys" in run.stdout
    assert (tmp_path / "demo.db.keys").read_bytes() == keys  # made once, then reused


def test_the_demo_uses_the_configured_keys_and_makes_none(tmp_path: Path) -> None:
    Keys.generate().write(tmp_path / "mine.keys")
    env = {"ONEPLAN_KEY_FILE": str(tmp_path / "mine.keys")}

    run = oneplan("demo", "--db", str(tmp_path / "demo.db"), cwd=tmp_path, env=env)

    assert run.returncode == 0, run.stderr
    assert "throwaway" not in run.stdout
    assert not (tmp_path / "demo.db.keys").exists()


@pytest.mark.postgres
def test_the_demo_tells_the_story_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    run = oneplan("demo", "--db", postgres_url, cwd=tmp_path)

    assert_tells_the_story(run, postgres_url)
    assert stored_events(postgres_url) > 0
    assert list(tmp_path.iterdir()) == []
