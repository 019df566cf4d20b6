"""``oneplan keys``: make the keys oneplan is configured with."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oneplan.cli.common import app, fail
from oneplan.keys import Keys

__all__ = ["keys_app"]

keys_app = typer.Typer(help="Make the keys held outside the database.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("new")
def keys_new(
    out: Annotated[Path, typer.Argument(help="The key file to create (it must not exist).")],
) -> None:
    """Write fresh random keys (audit and master) to a new key file, readable by its
    owner only. Point ONEPLAN_KEY_FILE at it; keep it, and a copy of it, away from the
    database and its backups."""
    try:
        Keys.generate().write(out)
    except FileExistsError:
        raise fail(f"{out} exists: a key file is never overwritten") from None
    except OSError as e:
        raise fail(f"cannot write {out}: {e.strerror}") from None
    typer.echo(f"wrote {out}; use it with: export ONEPLAN_KEY_FILE={out.resolve()}")
