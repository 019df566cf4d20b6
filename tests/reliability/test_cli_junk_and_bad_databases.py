"""The CLI given junk arguments, a missing database, a corrupt database file, another
program's database (a SQLite file with other tables; a PostgreSQL schema with other
tables) and an unreachable PostgreSQL server: for every command (walked from the Typer
app, so a command added later is held to it too), a one-line message on stderr, a
non-zero exit, no traceback, and nothing written into the other program's database.

(``tests/scenarios/test_cli_conventions.py`` holds the unknown option and the missing
database of the read commands; this extends them to junk in every argument and a
missing database for every other command that opens one.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from oneplan import Keys, OnePlan, StorageError
from oneplan.cli import app
from oneplan.cli.common import READ_COMMANDS
from oneplan.demo import run_demo
from tests.builders import record as full_record
from tests.conftest import POSTGRES_URL, postgres_schema
from tests.integration.test_canaries_and_keys import key_env
from tests.scenarios.test_cli_conventions import COMMANDS

runner = CliRunner()

PLAN = "00000000-0000-4000-8000-0000000000a1"
CITIZEN = "00000000-0000-4000-8000-0000000000c1"
OFFICER = ("--as", "staff:records")
"""A records officer and key custodian: not in the demo's staff directory, so these
calls get as far as the directory and stop there (in one line)."""
ADMIN = ("--as", "staff:it.admin")
"""The demo's administrator."""
OTHER_EXAMPLES: dict[str, tuple[str, ...]] = {
    "demo": (),
    "replay": (),
    "keys new": ("{tmp}/new.keys",),
    "keys anchor-public-key": ("{tmp}/anchor-public.pem",),
    "keys rotate-master": ("{tmp}/rotated.keys", *OFFICER),
    "schema": ("--out", "{tmp}/schema"),
    "erase": ("{citizen}", *OFFICER),
    "retention deliver": ("{plan}", "--archive", "Rigsarkivet", "--reference", "A-1", *OFFICER),
    "audit verify": (),
    "audit anchor": ("--out", "{tmp}/anchor.json"),
    "audit start": OFFICER,
    "simulate": ("--citizens", "1", "--years", "1"),
    "evaluate": ("--out", "{tmp}/evaluation"),
    "evaluate-key": ("{tmp}/evaluation.key",),
    # (the junk calls give no OIDC settings, so serve refuses before it listens; the
    # database checks give them, pointing at a JWKS file that is never read)
    "serve": ("--port", "0"),
    "staff bootstrap": ("--id", "first.admin", "--name", "Ida Thorsen", "--sector", "social"),
    "staff register": ("ny.kollega", "--name", "Ny Kollega", "--sector", "social", *ADMIN),
    "staff delegate": (
        "lars.s",
        "--law",
        "SEL",
        "--basis",
        "delegation plan, item 4",
        "--as",
        "staff:leder.social",
    ),
    "staff revoke-delegation": (
        "lars.s",
        "00000000-0000-4000-8000-0000000000d1",
        "--reason",
        "a new delegation plan",
        "--as",
        "staff:leder.social",
    ),
    "staff grant-role": ("lars.s", "records-officer", *ADMIN),
    "staff revoke-role": ("lars.s", "records-officer", "--reason", "moved on", *ADMIN),
    "staff leave": ("hanne.b", "--reason", "moved on", *ADMIN),
    "views follow": ("--once",),
}
"""An example call of every command that is not a read (the reads' are in READ_COMMANDS),
its principal included."""

CREATES = {"demo", "simulate", "staff bootstrap"}
"""Commands that make a new database where none is (so a missing one is no error)."""

JUNK = ("", "\x00", "-1", "x" * 5_000, "9999-99-99T99:99", "../", "\u202e;DROP TABLE x")


def examples(path: str, **values: str) -> list[str]:
    template = READ_COMMANDS[path] if path in READ_COMMANDS else OTHER_EXAMPLES[path]
    values = {"plan": PLAN, "citizen": CITIZEN, "coordinator": "anne.t", "as_of": "", **values}
    args = [a.format(**values) for a in template]
    if "--as-of" in args and not values["as_of"]:
        index = args.index("--as-of")
        del args[index : index + 2]
    return [*path.split(), *args]


def takes_db(path: str) -> bool:
    return any("--db" in getattr(p, "opts", ()) for p in COMMANDS[path].params)


DB_COMMANDS = sorted(p for p in COMMANDS if takes_db(p))


def one_line_refusal(result: Result) -> None:
    """A non-zero exit, one line on stderr, and no exception escaping the command."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stderr.startswith("oneplan: "), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output


def tables_of(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return sorted(r[0] for r in db.execute("SELECT name FROM sqlite_master"))


def test_every_command_has_an_example_call() -> None:
    missing = sorted(set(COMMANDS) - set(READ_COMMANDS) - set(OTHER_EXAMPLES))
    assert not missing, f"give {missing} an example call in OTHER_EXAMPLES"
    assert not set(OTHER_EXAMPLES) - set(COMMANDS), "an example of a command that is gone"


# --- bad databases ---------------------------------------------------------------------


@pytest.fixture
def other_programs_file(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("CREATE TABLE stored_events (x TEXT)")  # a name clash, other columns
        db.execute("INSERT INTO customers (name) VALUES ('Jens')")
    return path


@pytest.fixture
def corrupt_file(tmp_path: Path) -> Path:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 20)
    return path


KEYS = key_env(Keys.generate())
"""Keys configured, so that the commands that need them get as far as the database."""
OIDC = {
    "ONEPLAN_OIDC_ISSUER": "https://idp.example.dk",
    "ONEPLAN_OIDC_AUDIENCE": "oneplan",
    "ONEPLAN_OIDC_JWKS": "/nonexistent/jwks.json",
}
"""OIDC settings, so that ``serve`` gets as far as the database."""


def invoke(path: str, db: str, tmp_path: Path, **env: str) -> Result:
    args = [*examples(path, tmp=str(tmp_path)), "--db", db]
    return runner.invoke(app, args, env={**KEYS, **OIDC, **env})


@pytest.mark.parametrize(
    "path", sorted(p for p in DB_COMMANDS if p not in CREATES and p not in READ_COMMANDS)
)
def test_a_database_that_is_not_there_is_one_line_and_nothing_is_made(
    path: str, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.db"

    result = invoke(path, str(missing), tmp_path)

    one_line_refusal(result)
    assert "no database at" in result.stderr
    assert not missing.exists()


@pytest.mark.parametrize("path", DB_COMMANDS)
def test_a_corrupt_database_file_is_one_line(path: str, corrupt_file: Path, tmp_path: Path) -> None:
    before = corrupt_file.read_bytes()

    result = invoke(path, str(corrupt_file), tmp_path)

    one_line_refusal(result)
    assert corrupt_file.read_bytes() == before


@pytest.mark.parametrize("path", DB_COMMANDS)
def test_another_programs_sqlite_file_is_one_line_and_left_alone(
    path: str, other_programs_file: Path, tmp_path: Path
) -> None:
    before = tables_of(other_programs_file)

    result = invoke(path, str(other_programs_file), tmp_path)

    one_line_refusal(result)
    assert "is not a oneplan database" in result.stderr
    assert tables_of(other_programs_file) == before
    assert not Path(f"{other_programs_file}.keys").exists()


@pytest.fixture
def other_programs_schema() -> Iterator[str]:
    """A PostgreSQL schema of another program (a table of its own), dropped afterwards."""
    with postgres_schema("ledger", 'CREATE TABLE "{schema}".customers (id int, name text)') as s:
        yield s


def tables_in(schema: str) -> list[str]:
    import psycopg

    with psycopg.connect(POSTGRES_URL) as db:
        rows: list[Any] = db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        ).fetchall()
    return sorted(r[0] for r in rows)


@pytest.mark.postgres
@pytest.mark.parametrize("path", DB_COMMANDS)
def test_another_programs_postgresql_schema_is_one_line_and_left_alone(
    path: str, other_programs_schema: str, tmp_path: Path
) -> None:
    result = invoke(path, f"{POSTGRES_URL}?schema={other_programs_schema}", tmp_path)

    one_line_refusal(result)
    assert f"schema {other_programs_schema} of" in result.stderr
    assert tables_in(other_programs_schema) == ["customers"]


@pytest.mark.parametrize("path", DB_COMMANDS)
def test_an_unreachable_postgresql_server_is_one_line(path: str, tmp_path: Path) -> None:
    result = invoke(
        path, "postgresql://postgres@127.0.0.1:1/nowhere", tmp_path, POSTGRES_CONNECT_TIMEOUT="1"
    )

    one_line_refusal(result)
    assert "cannot reach PostgreSQL at 127.0.0.1:1/nowhere" in result.stderr


@pytest.mark.parametrize("timeout", ["0.5", "soon", ""])
def test_a_connect_timeout_that_is_no_whole_number_is_no_traceback(
    timeout: str, tmp_path: Path
) -> None:
    result = invoke(
        "replay",
        "postgresql://postgres@127.0.0.1:1/nowhere",
        tmp_path,
        POSTGRES_CONNECT_TIMEOUT=timeout,
    )

    one_line_refusal(result)


def test_the_application_reports_a_corrupt_file_as_a_storage_error(corrupt_file: Path) -> None:
    with pytest.raises(StorageError, match="cannot open the event store"):
        OnePlan.open(f"sqlite:///{corrupt_file}")


# --- junk arguments --------------------------------------------------------------------


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The demo's record on SQLite, whose ids the example calls use."""
    path = tmp_path_factory.mktemp("junk") / "demo.db"
    with OnePlan.open(f"sqlite:///{path}") as oneplan:
        plan_id = run_demo(oneplan, lambda _: None)
        plan = full_record(oneplan).plan(plan_id)
        return {"db": str(path), "plan": str(plan_id), "citizen": str(plan.citizen_ids[0])}


def junk_calls(path: str) -> Iterator[tuple[str, list[str]]]:
    """The example call with each argument in turn given junk (each option given junk
    after its example value: the last one counts)."""
    command = COMMANDS[path]
    n = 0
    for param in command.params:
        if param.name in ("help", "db"):
            continue
        for junk in (JUNK[0], JUNK[1 + n % (len(JUNK) - 1)]):
            n += 1
            opts = getattr(param, "opts", ())
            if param.param_type_name == "argument":
                yield f"{param.name}={junk!r}", ["{argument}", param.name, junk]
            elif getattr(param, "is_flag", False):
                continue
            else:
                yield f"{opts[0]}={junk[:20]!r}", [opts[0], junk]


@pytest.mark.parametrize(
    ("path", "junk"),
    [(path, junk) for path in sorted(COMMANDS) for junk in junk_calls(path)],
    ids=lambda v: v if isinstance(v, str) else v[0],
)
def test_junk_in_any_argument_is_a_one_line_refusal_or_a_valid_call(
    path: str,
    junk: tuple[str, list[str]],
    record: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = examples(path, tmp=str(tmp_path), plan=record["plan"], citizen=record["citizen"])
    spoil = junk[1]
    if spoil[0] == "{argument}":
        # (every example gives its arguments first, in order, then its options)
        names = [p.name for p in COMMANDS[path].params if p.param_type_name == "argument"]
        args[len(path.split()) + names.index(spoil[1])] = spoil[2]
    else:
        args += spoil
    if takes_db(path):
        args += ["--db", record["db"]]

    monkeypatch.chdir(tmp_path)  # (what a junk path makes, it makes here)
    result = runner.invoke(app, args)

    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{args}: {result.exception!r}"
    )
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        assert result.stderr.startswith("oneplan: "), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
