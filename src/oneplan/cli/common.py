"""What every ``oneplan`` sub-command shares: the root Typer app, the database option,
output formats, and the one-line error that every failure becomes.

A feature adds its commands in a module of its own under ``oneplan.cli`` (registering
them on ``app`` or on a sub-app added to it) and is imported by ``oneplan.cli``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.progress import MofNCompleteColumn, Progress, ProgressColumn, TimeRemainingColumn

from oneplan.application import OnePlan
from oneplan.errors import OnePlanError
from oneplan.projections import codec

__all__ = [
    "DEFAULT_DB",
    "Db",
    "Format",
    "ListFormat",
    "app",
    "as_of_option",
    "database_url",
    "echo_json",
    "fail",
    "opened",
    "progress_bar",
]

DEFAULT_DB = "oneplan.db"

app = typer.Typer(
    name="oneplan",
    help="One coordinated plan with the citizen, across a municipality's sectors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Db = Annotated[
    str | None,
    typer.Option(
        help="SQLite file or database URL (default: $ONEPLAN_DATABASE_URL or oneplan.db)."
    ),
]


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    MD = "md"
    HTML = "html"


class ListFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def database_url(db: str | None) -> str:
    """A path or URL from ``--db``, else ``ONEPLAN_DATABASE_URL``, else ``oneplan.db``."""
    value = db or os.environ.get("ONEPLAN_DATABASE_URL") or DEFAULT_DB
    if "://" in value:
        return value
    return f"sqlite:///{Path(value)}"


def fail(message: str) -> typer.Exit:
    """Print ``oneplan: message`` on stderr; raise the returned exit (status 1)."""
    typer.echo(f"oneplan: {message}", err=True)
    return typer.Exit(1)


@contextmanager
def opened(db: str | None) -> Iterator[OnePlan]:
    """The record at ``db``; any oneplan error becomes a one-line message and exit 1."""
    url = database_url(db)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise fail(f"no database at {url.removeprefix('sqlite:///')} (run `oneplan demo`?)")
    try:
        with OnePlan.open(url) as oneplan:
            yield oneplan
    except OnePlanError as e:
        raise fail(str(e)) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as e:  # a database of another program, a corrupt file...
        raise fail(f"cannot read {url}: {type(e).__name__}: {e}") from None


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
