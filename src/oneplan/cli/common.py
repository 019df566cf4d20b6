"""What every ``oneplan`` sub-command shares: the root Typer app, the database option,
output formats, and the one-line error that every failure becomes.

A feature adds its commands in a module of its own under ``oneplan.cli`` (registering
them on ``app`` or on a sub-app added to it) and is imported by ``oneplan.cli``. Every
command then joins one of two registries below: ``READ_COMMANDS`` (it shows something,
so it takes ``--format json`` and prints valid JSON with it) or ``OTHER_COMMANDS`` (it
writes or works). ``tests/scenarios/test_cli_conventions.py`` walks every registered
command and fails for one in neither, for a read without ``--format json``, for help
that explains nothing, and for junk arguments that give more than one line on stderr.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.progress import MofNCompleteColumn, Progress, ProgressColumn, TimeRemainingColumn
from typer.core import TyperGroup

from oneplan.application import OnePlan
from oneplan.errors import OnePlanError
from oneplan.keys import Keys
from oneplan.persistence import env_for_url
from oneplan.principals import Principal
from oneplan.projections import codec

__all__ = [
    "DEFAULT_DB",
    "OTHER_COMMANDS",
    "READ_COMMANDS",
    "AuditBasis",
    "Db",
    "Format",
    "JsonFormat",
    "ListFormat",
    "OnePlanGroup",
    "PrincipalText",
    "app",
    "as_of_option",
    "catch_up_showing_progress",
    "configured_keys",
    "database_url",
    "echo_json",
    "fail",
    "opened",
    "principal_option",
    "progress_bar",
    "refuse_another_programs_database",
]

DEFAULT_DB = "oneplan.db"

_AUDITOR = ("--as", "auditor:rev-7", "--basis", "Kommunestyrelsesloven § 42")
"""The example calls' auditor (a principal, not a staff member: no directory entry)."""

READ_COMMANDS: dict[str, tuple[str, ...]] = {
    "plan show": ("{plan}", "--as", "staff:{coordinator}"),
    "caseload": ("{coordinator}", "--as", "staff:{coordinator}"),
    "journey": ("{citizen}", "--as", "staff:{coordinator}"),
    "access-log": ("{citizen}", *_AUDITOR),
    "export fhir": (
        "{plan}",
        "--recipient",
        "EHR of the region",
        "--as-of",
        "{as_of}",
        "--as",
        "staff:{coordinator}",
    ),
    "retention due": ("--at", "2040-01-01", "--as", "system:retention-run"),
    "audit export": ("--plan", "{plan}", *_AUDITOR),
    "staff list": ("--as", "staff:{coordinator}"),
    "staff show": ("{coordinator}", "--as", "staff:{coordinator}"),
    "version": (),
    "views status": (),
}
"""Every command that shows something, by its path under ``oneplan``, with the arguments
of an example call (its arguments first, then its options, the principal ``--as``
included). Each takes ``--format json`` and then prints valid JSON on stdout. A new read
command joins here. In the examples, ``{plan}``, ``{citizen}``, ``{coordinator}``,
``{intervention}`` and ``{as_of}`` stand for a plan, citizen, coordinator (a staff id),
intervention and a time of the demo's record (the conventions test fills them in, and
adds ``--db`` where the command takes it)."""

OTHER_COMMANDS: frozenset[str] = frozenset(
    {
        "demo",
        "replay",
        "keys new",
        "keys anchor-public-key",
        "schema",
        "serve",
        "erase",
        "keys rotate-master",
        "retention deliver",
        "audit verify",
        "audit anchor",
        "audit start",
        "simulate",
        "evaluate",
        "evaluate-key",
        "staff bootstrap",
        "staff register",
        "staff delegate",
        "staff revoke-delegation",
        "staff grant-role",
        "staff revoke-role",
        "staff leave",
        "views follow",
    }
)
"""Every command that writes or works rather than shows (a new one joins here)."""


class OnePlanGroup(TyperGroup):
    """The root command group: a usage error (an unknown option, a value that does not
    parse, a missing argument) becomes one line on stderr, ``oneplan: ...``, naming the
    command's ``--help``, with exit status 2; never a usage box or a traceback. Commands
    are listed in alphabetical order."""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(super().list_commands(ctx))

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            status = super().main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )
        except typer.TyperException as e:  # click's usage and parameter errors
            context = getattr(e, "ctx", None)
            if type(e).__name__ == "NoArgsIsHelpError" and context is not None:
                typer.echo(context.get_help())  # a bare group: show what it offers
                sys.exit(0)
            hint = f" (see `{context.command_path} --help`)" if context is not None else ""
            typer.echo(f"oneplan: {' '.join(e.format_message().split())}{hint}", err=True)
            sys.exit(e.exit_code)
        except typer.Abort:
            typer.echo("oneplan: aborted", err=True)
            sys.exit(1)
        sys.exit(status if isinstance(status, int) else 0)


app = typer.Typer(
    name="oneplan",
    help="One coordinated plan with the citizen, across a municipality's sectors.",
    cls=OnePlanGroup,
    rich_markup_mode="markdown",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Db = Annotated[
    str | None,
    typer.Option(
        envvar="ONEPLAN_DATABASE_URL",
        show_envvar=True,
        help="SQLite file or database URL (default: oneplan.db).",
    ),
]


PrincipalText = Annotated[
    str | None,
    typer.Option(
        "--as",
        metavar="PRINCIPAL",
        envvar="ONEPLAN_PRINCIPAL",
        show_envvar=True,
        help="Who is asking, as the host authenticated them: staff:ID (read against the "
        "staff directory), citizen:UUID, auditor:ID (with --basis) or system:JOB. "
        "What they may do is read from the record; every disclosure is logged.",
    ),
]
"""The ``--as`` option of every command that discloses personal data or writes; parse
it with ``principal_option``."""

AuditBasis = Annotated[
    str | None,
    typer.Option(
        "--basis",
        envvar="ONEPLAN_AUDIT_BASIS",
        show_envvar=True,
        help="An auditor's legal basis for the audit (named on every read logged); "
        "needed with --as auditor:ID, ignored for other principals.",
    ),
]
"""The ``--basis`` option that goes with ``PrincipalText``."""


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    MD = "md"
    HTML = "html"


class ListFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class JsonFormat(StrEnum):
    """For reads whose only output is JSON (they still take ``--format json``)."""

    JSON = "json"


def database_url(db: str | None) -> str:
    """A path or URL from ``--db``, else ``ONEPLAN_DATABASE_URL``, else ``oneplan.db``."""
    value = db or os.environ.get("ONEPLAN_DATABASE_URL") or DEFAULT_DB
    if "://" in value:
        return value
    return f"sqlite:///{Path(value)}"


def fail(message: str) -> typer.Exit:
    """Print ``oneplan: message`` on stderr, on one line (a driver's message of several
    lines is joined); raise the returned exit (status 1)."""
    typer.echo(f"oneplan: {' '.join(message.split())}", err=True)
    return typer.Exit(1)


_EVENT_COLUMNS = {"originator_id", "originator_version", "topic", "state"}
"""The columns of an event store's table (``stored_events`` on SQLite, ``oneplan_events``
on PostgreSQL)."""


def refuse_another_programs_database(url: str) -> None:
    """Fail (one line) when ``url`` is a database that holds tables but no oneplan event
    store: another program's SQLite file or PostgreSQL schema, which oneplan must not
    add its tables to. A new (empty) database, or a file not there yet, is fine."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if ":memory:" in str(path) or not path.is_file() or path.stat().st_size == 0:
            return
        try:
            with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
                tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master")]
                columns = {r[1] for r in db.execute("PRAGMA table_info(stored_events)")}
        except sqlite3.Error as e:
            raise fail(f"cannot read {path}: {e}") from None
        _refuse_unless_event_store(str(path), tables, columns)
    elif url.startswith(("postgresql://", "postgres://")):
        env = env_for_url(url)
        schema = env.get("POSTGRES_SCHEMA") or "public"
        import psycopg

        try:
            with psycopg.connect(
                dbname=env["POSTGRES_DBNAME"],
                host=env["POSTGRES_HOST"],
                port=int(env["POSTGRES_PORT"]),
                user=env["POSTGRES_USER"],
                password=env["POSTGRES_PASSWORD"],
                connect_timeout=_connect_timeout(),
            ) as db:
                tables = [
                    r[0]
                    for r in db.execute(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                        (schema,),
                    )
                ]
                columns = {
                    r[0]
                    for r in db.execute(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_schema = %s AND table_name = 'oneplan_events'",
                        (schema,),
                    )
                }
        except psycopg.Error as e:
            where = f"{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/{env['POSTGRES_DBNAME']}"
            raise fail(f"cannot reach PostgreSQL at {where}: {e}") from None
        _refuse_unless_event_store(f"schema {schema} of {url.split('?')[0]}", tables, columns)


def _connect_timeout() -> int:
    """Seconds to wait for PostgreSQL to answer: eventsourcing's POSTGRES_CONNECT_TIMEOUT
    when it is a whole number, else 10."""
    value = os.environ.get("POSTGRES_CONNECT_TIMEOUT", "")
    return int(value) if value.strip().isdigit() else 10


def _refuse_unless_event_store(where: str, tables: list[str], columns: set[str]) -> None:
    if tables and not columns >= _EVENT_COLUMNS:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise fail(
            f"{where} is not a oneplan database: it holds other tables ({shown}) and no "
            "oneplan events; name a new database or a oneplan one"
        )


def configured_keys(url: str) -> Keys:
    """The keys from the environment; with none configured, the throwaway keys that
    ``oneplan demo`` keeps beside its SQLite file (``<database>.keys``), if there are."""
    keys = Keys.from_env()
    beside = Path(url.removeprefix("sqlite:///") + ".keys")
    if keys == Keys() and url.startswith("sqlite:///") and beside.exists():
        return Keys.read(beside)
    return keys


@contextmanager
def opened(db: str | None, *, create: bool = False, views: bool = False) -> Iterator[OnePlan]:
    """The record at ``db``; any oneplan error becomes a one-line message and exit 1. A
    SQLite file that is not there is an error, unless ``create`` (a command that begins
    a record, such as ``staff bootstrap``) makes it. ``views``: the command reads the
    views, so views far behind the log are caught up first with a progress bar."""
    url = database_url(db)
    missing = url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists()
    if missing and not create:
        raise fail(f"no database at {url.removeprefix('sqlite:///')} (run `oneplan demo`?)")
    refuse_another_programs_database(url)
    try:
        with OnePlan.open(url, keys=configured_keys(url)) as oneplan:
            if views:
                catch_up_showing_progress(oneplan)
            yield oneplan
    except OnePlanError as e:
        raise fail(str(e)) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as e:  # a database of another program, a corrupt file...
        raise fail(f"cannot read {url}: {type(e).__name__}: {e}") from None


CATCH_UP_PROGRESS_FROM = 10_000
"""Views at least this many events behind the log are caught up with a progress bar (on
stderr) before a command runs, instead of its first read folding them in silence."""


def catch_up_showing_progress(oneplan: OnePlan) -> int:
    """Catch the views up with a progress bar when they are far behind the log (after a
    bulk load, a restore or a new version of a view); returns the events folded."""
    position, versions = oneplan.views.store.tracking()
    head = int(oneplan.recorder.max_notification_id() or 0)
    behind = head if versions != oneplan.views.versions else head - position
    if behind < CATCH_UP_PROGRESS_FROM:
        return 0
    with progress_bar() as bar:
        task = bar.add_task("catching up the views", total=head)
        return oneplan.views.catch_up(
            progress=lambda done, total: bar.update(task, completed=done, total=total)
        )


def as_of_option(value: str | None, option: str = "--as-of") -> datetime | None:
    """Parse an ISO date and time with a zone, or fail with one line naming ``option``."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} {value!r} is not an ISO date and time") from None
    if moment.tzinfo is None:
        raise fail(f"{option} {value!r} needs a time zone, e.g. 2026-03-01T12:00+01:00")
    return moment


def principal_option(
    text: str | None,
    basis: str | None = None,
    *,
    default: Principal | None = None,
    writes: bool = False,
) -> Principal:
    """The principal named by ``--as`` (or ``ONEPLAN_PRINCIPAL``), with ``--basis`` (or
    ``ONEPLAN_AUDIT_BASIS``) for an auditor; ``default`` when none is named, else fail
    with one line: oneplan never guesses who is asking. A command that ``writes`` has
    no ``--basis``: an auditor is refused there at once (auditors read only)."""
    if text is None or not text.strip():
        if default is not None:
            return default
        raise fail("give --as (or ONEPLAN_PRINCIPAL): who is asking")
    kind = text.strip().partition(":")[0]
    if writes and kind == "auditor":
        raise fail(f"--as {text[:80]!r}: auditors read only, and this command writes")
    try:
        return Principal.parse(text, basis=basis)
    except OnePlanError:
        shown = repr(text[:80])
        if kind == "auditor" and not (basis or "").strip():
            raise fail(
                f"--as {shown} needs --basis (or ONEPLAN_AUDIT_BASIS): the legal basis of the audit"
            ) from None
        if kind == "auditor" and len((basis or "").strip()) > 200:
            raise fail("--basis: the legal basis of the audit is up to 200 characters") from None
        if kind in ("staff", "citizen", "auditor", "system"):
            what = "a UUID" if kind == "citizen" else "1-64 letters, digits and . _ @ -"
            raise fail(f"--as {shown}: after '{kind}:' comes {what}") from None
        raise fail(
            f"--as {shown} is not a principal: give staff:ID, citizen:UUID, auditor:ID "
            "(with --basis) or system:JOB"
        ) from None


def echo_json(value: Any) -> None:
    """Print ``value`` (views, attrs rows, pydantic values, plain data) as indented JSON."""
    typer.echo(orjson.dumps(codec.unstructure(value), option=orjson.OPT_INDENT_2).decode())


def progress_bar() -> Progress:
    """The progress bar long work shows (on stderr, so JSON on stdout stays clean)."""
    from rich.console import Console

    columns: tuple[str | ProgressColumn, ...] = (
        *Progress.get_default_columns()[:-1],
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    return Progress(*columns, transient=False, console=Console(stderr=True))
