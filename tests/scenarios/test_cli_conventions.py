"""The CLI's conventions, checked on every command registered on the Typer app (sub-apps
included), so that a command added later is held to them too: it is registered as a
read or as another kind of command; its ``--help`` explains it and each of its options;
a read takes ``--format json`` and prints valid JSON; a command that discloses personal
data or writes asks who is asking (``--as``, or ``ONEPLAN_PRINCIPAL``) and fails in one
line without a principal, or with one that is malformed or not in the staff directory;
junk arguments give one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
from typer.testing import CliRunner

from oneplan import OnePlan
from oneplan.cli import app
from oneplan.cli.common import OTHER_COMMANDS, READ_COMMANDS
from oneplan.demo import run_demo
from tests.builders import record as full_record

runner = CliRunner()


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    children = getattr(command, "commands", None)
    if children is None:
        yield " ".join(path), command
        return
    for name, child in children.items():
        yield from _walk(child, (*path, name))


def _groups(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    children = getattr(command, "commands", None)
    if children is not None:
        yield " ".join(path) or "oneplan", command
        for name, child in children.items():
            yield from _groups(child, (*path, name))


ROOT = typer.main.get_command(app)
COMMANDS: dict[str, Any] = dict(_walk(ROOT))
GROUPS: dict[str, Any] = dict(_groups(ROOT))


def _takes(command: Any, option: str) -> bool:
    return any(option in getattr(p, "opts", ()) for p in command.params)


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The demo's record on SQLite, and what the read examples' placeholders stand for."""
    path = tmp_path_factory.mktemp("conventions") / "demo.db"
    with OnePlan.open(f"sqlite:///{path}") as oneplan:
        plan_id = run_demo(oneplan, lambda _: None)
        plan = full_record(oneplan).plan(plan_id)
        assert plan.coordinator is not None
        return {
            "db": str(path),
            "plan": str(plan_id),
            "citizen": str(plan.citizen_ids[0]),
            "coordinator": plan.coordinator.id,
            "intervention": str(plan.intervention_ids[0]),
            "as_of": datetime.now(UTC).isoformat(),
        }


def test_every_command_is_registered_as_a_read_or_as_another_kind() -> None:
    registered = set(READ_COMMANDS) | OTHER_COMMANDS

    unregistered = sorted(set(COMMANDS) - registered)
    gone = sorted(registered - set(COMMANDS))

    assert not unregistered, (
        f"add {unregistered} to READ_COMMANDS (it shows something: --format json) or "
        "OTHER_COMMANDS (it writes or works) in oneplan/cli/common.py"
    )
    assert not gone, f"{gone} are registered in oneplan/cli/common.py but no such command exists"
    assert not set(READ_COMMANDS) & OTHER_COMMANDS


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_explains_itself_and_each_of_its_options(path: str) -> None:
    command = COMMANDS[path]

    code, out, err = run(*path.split(), "--help")

    assert code == 0, err
    assert "Usage:" in out
    explanation = " ".join((command.help or "").split())
    assert len(explanation.split()) >= 6, f"`oneplan {path}` needs a docstring that explains it"
    assert explanation.split(".")[0][:40] in " ".join(out.split())
    unexplained = [
        p.name for p in command.params if p.name != "help" and not (getattr(p, "help", "") or "")
    ]
    assert not unexplained, f"`oneplan {path}`: give {unexplained} a help text"


@pytest.mark.parametrize("path", sorted(GROUPS))
def test_every_group_of_commands_says_what_it_is_for(path: str) -> None:
    assert len((GROUPS[path].help or "").split()) >= 3, f"`{path}` needs a help text"


@pytest.mark.parametrize("path", sorted(READ_COMMANDS))
def test_every_read_command_prints_valid_json_with_format_json(
    path: str, record: dict[str, str]
) -> None:
    command = COMMANDS[path]
    assert _takes(command, "--format"), f"`oneplan {path}` is a read: give it --format json"
    args = [*path.split(), *(a.format(**record) for a in READ_COMMANDS[path]), "--format", "json"]
    if _takes(command, "--db"):
        args += ["--db", record["db"]]

    code, out, err = run(*args)

    assert code == 0, err
    orjson.loads(out)


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_an_unknown_option_is_one_line_on_stderr_and_a_non_zero_exit(path: str) -> None:
    code, out, err = run(*path.split(), "--no-such-option")

    assert code != 0
    assert err.startswith("oneplan: ")
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in out + err
    assert f"oneplan {path} --help" in err


@pytest.mark.parametrize("path", sorted(p for p in READ_COMMANDS if _takes(COMMANDS[p], "--db")))
def test_a_read_of_a_database_that_is_not_there_is_one_line_and_a_non_zero_exit(
    path: str, tmp_path: Path, record: dict[str, str]
) -> None:
    missing = tmp_path / "missing.db"
    args = [*path.split(), *(a.format(**record) for a in READ_COMMANDS[path])]

    code, out, err = run(*args, "--db", str(missing), "--format", "json")

    assert code != 0
    assert err == f"oneplan: no database at {missing} (run `oneplan demo`?)\n"
    assert out == ""
    assert not missing.exists()


def test_a_value_that_does_not_parse_is_one_line_naming_the_argument(
    record: dict[str, str],
) -> None:
    code, _, err = run("plan", "show", "not-a-plan-id", "--db", record["db"])

    assert code == 2
    assert err.startswith("oneplan: Invalid value for 'plan_id'")
    assert len(err.strip().splitlines()) == 1


def test_the_database_and_the_principal_come_from_the_environment_when_no_flag_names_them(
    record: dict[str, str],
) -> None:
    result = runner.invoke(
        app,
        ["journey", record["citizen"], "--format", "json"],
        env={
            "ONEPLAN_DATABASE_URL": record["db"],
            "ONEPLAN_PRINCIPAL": f"staff:{record['coordinator']}",
        },
    )

    assert result.exit_code == 0, result.stderr
    assert orjson.loads(result.stdout)["citizen_id"] == record["citizen"]


def test_an_auditors_basis_comes_from_the_environment_too(record: dict[str, str]) -> None:
    call = ["access-log", record["citizen"], "--db", record["db"], "--format", "json"]
    env = {"ONEPLAN_PRINCIPAL": "auditor:rev-8", "ONEPLAN_AUDIT_BASIS": "KL § 42 (tests)"}

    first = runner.invoke(app, call, env=env)
    second = runner.invoke(app, call, env=env)

    assert first.exit_code == second.exit_code == 0, first.stderr + second.stderr
    [read] = [e for e in orjson.loads(second.stdout)["entries"] if e["reader"]["id"] == "rev-8"]
    assert (read["what"], read["basis"]) == ("access-log", "KL § 42 (tests)")


NO_PRINCIPAL = {"ONEPLAN_PRINCIPAL": None, "ONEPLAN_AUDIT_BASIS": None}
"""The environment of a call that names no principal (whatever the caller's shell holds)."""


def _without_principal(args: tuple[str, ...]) -> list[str]:
    """An example call with its ``--as`` and ``--basis`` (and their values) left out."""
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("--as", "--basis"):
            skip = True
        else:
            kept.append(arg)
    return kept


PRINCIPAL_COMMANDS = sorted(p for p in COMMANDS if _takes(COMMANDS[p], "--as"))


def test_every_command_that_discloses_personal_data_or_writes_asks_who_is_asking() -> None:
    anonymous = {"version", "replay", "simulate", "schema", "demo", "evaluate-key", "keys new"}
    anonymous |= {"audit verify", "audit anchor", "staff bootstrap", "keys anchor-public-key"}
    anonymous |= {"serve"}  # (each request's principal comes from its verified OIDC token)
    anonymous |= {"views follow", "views status"}  # (positions only; the views, as replay)

    assert set(PRINCIPAL_COMMANDS) == set(COMMANDS) - anonymous


@pytest.mark.parametrize("path", PRINCIPAL_COMMANDS)
def test_who_is_asking_is_an_option_that_names_its_environment_variable(path: str) -> None:
    code, out, _ = run(*path.split(), "--help")

    assert code == 0
    assert "ONEPLAN_PRINCIPAL" in out
    if _takes(COMMANDS[path], "--basis") and path != "staff delegate":
        assert "ONEPLAN_AUDIT_BASIS" in out


@pytest.mark.parametrize("path", sorted(p for p in READ_COMMANDS if _takes(COMMANDS[p], "--as")))
def test_a_read_without_a_principal_is_one_line_saying_who_must_be_named(
    path: str, record: dict[str, str]
) -> None:
    args = [*path.split(), *_without_principal(READ_COMMANDS[path])]
    args = [a.format(**record) for a in args] + ["--db", record["db"], "--format", "json"]

    result = runner.invoke(app, args, env=NO_PRINCIPAL)

    assert result.exit_code == 1
    assert result.stderr == "oneplan: give --as (or ONEPLAN_PRINCIPAL): who is asking\n"
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("principal", "message"),
    [
        ("staff:nobody", "oneplan: staff member nobody is not in the staff directory\n"),
        ("auditor:rev-7", "needs --basis (or ONEPLAN_AUDIT_BASIS)"),
        ("anne.t", "is not a principal: give staff:ID, citizen:UUID"),
        ("citizen:mette", "after 'citizen:' comes a UUID"),
        ("staff:../etc", "after 'staff:' comes 1-64 letters"),
    ],
)
def test_a_principal_not_in_the_directory_or_malformed_is_one_line(
    principal: str, message: str, record: dict[str, str]
) -> None:
    result = runner.invoke(
        app,
        ["plan", "show", record["plan"], "--as", principal, "--db", record["db"]],
        env=NO_PRINCIPAL,
    )

    assert result.exit_code == 1
    assert result.stderr.startswith("oneplan: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_oneplan_without_a_command_shows_what_it_offers() -> None:
    code, out, _ = run()

    assert code == 0
    assert all(name in out for name in ("demo", "plan", "export", "schema"))
