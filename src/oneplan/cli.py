"""The ``oneplan`` command line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from oneplan import __version__
from oneplan.application import OnePlan
from oneplan.demo import run_demo
from oneplan.errors import OnePlanError

__all__ = ["app", "main"]

DEFAULT_DB = "oneplan.db"

app = typer.Typer(
    name="oneplan",
    help="One coordinated plan with the citizen, across a municipality's sectors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def database_url(db: str | None) -> str:
    """A path or URL from ``--db``, else ``ONEPLAN_DATABASE_URL``, else ``oneplan.db``."""
    value = db or os.environ.get("ONEPLAN_DATABASE_URL") or DEFAULT_DB
    if "://" in value:
        return value
    return f"sqlite:///{Path(value)}"


@app.command()
def demo(
    db: Annotated[
        str | None,
        typer.Option(help="SQLite file or database URL (default: oneplan-demo.db)."),
    ] = None,
) -> None:
    """Tell the seeds' story end to end on SQLite and print a readable account."""
    url = database_url(db or os.environ.get("ONEPLAN_DATABASE_URL") or "oneplan-demo.db")
    try:
        with OnePlan.open(url) as oneplan:
            run_demo(oneplan)
    except OnePlanError as e:
        typer.echo(f"oneplan: {e}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"\nStored in {url}")


@app.command()
def version() -> None:
    """Print the installed version."""
    typer.echo(__version__)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
