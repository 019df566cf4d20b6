"""``oneplan schema``: the event contract as JSON Schema files and a Markdown catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oneplan.cli.common import app, fail
from oneplan.interop.schemas import REGENERATE, stale_files, write_schemas

__all__ = ["schema"]


@app.command()
def schema(
    out: Annotated[
        Path, typer.Option(help="The directory to write events/, commands/ and index.json to.")
    ],
    catalogue: Annotated[
        Path | None,
        typer.Option(help="Also write the Markdown catalogue of events and commands here."),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(help="Write nothing; fail if the files there are not what the code makes."),
    ] = False,
) -> None:
    """Write the JSON Schema of every event and command (the contract other systems read),
    generated from the code, and with --catalogue the Markdown catalogue of them.

    The project's own copy is regenerated with `oneplan schema --out docs/schemas
    --catalogue docs/events.md`; with --check, nothing is written and a stale file fails."""
    if check:
        stale = stale_files(out, catalogue)
        if stale:
            raise fail(f"{len(stale)} stale: {stale[0]}; regenerate with `{REGENERATE}`")
        typer.echo(f"{out} is up to date")
        return
    try:
        written = write_schemas(out, catalogue)
    except OSError as e:
        raise fail(f"cannot write to {out}: {e.strerror}") from None
    typer.echo(
        f"{len(written)} files written under {out}" + (f" and {catalogue}" if catalogue else "")
    )
