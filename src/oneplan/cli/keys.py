"""``oneplan keys``: make the keys oneplan is configured with."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oneplan.cli.common import app, fail
from oneplan.errors import OnePlanError
from oneplan.keys import Keys

__all__ = ["keys_app"]

keys_app = typer.Typer(help="Make the keys held outside the database.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("new")
def keys_new(
    out: Annotated[Path, typer.Argument(help="The key file to create (it must not exist).")],
) -> None:
    """Write fresh random keys (audit, master, CPR and anchor signing) to a new key
    file, readable by its owner only. Point ONEPLAN_KEY_FILE at it; keep it, and a copy
    of it, away from the database and its backups. Give auditors the audit key and the
    anchor public key (keys anchor-public-key), never the file."""
    try:
        Keys.generate().write(out)
    except FileExistsError:
        raise fail(f"{out} exists: a key file is never overwritten") from None
    except OSError as e:
        raise fail(f"cannot write {out}: {e.strerror}") from None
    typer.echo(f"wrote {out}; use it with: export ONEPLAN_KEY_FILE={out.resolve()}")


@keys_app.command("anchor-public-key")
def anchor_public_key(
    out: Annotated[Path, typer.Argument(help="The PEM file to create (it must not exist).")],
) -> None:
    """Write the public key of the configured anchor signing key (ONEPLAN_KEY_FILE or
    ONEPLAN_ANCHOR_SIGNING_KEY) to a new PEM file: give it to auditors, who check anchors
    with it (audit verify --anchor-public-key) and cannot sign one."""
    try:
        public_key = Keys.from_env().anchor_public_key()
    except OnePlanError as e:
        raise fail(str(e)) from None
    if public_key is None:
        raise fail("no anchor signing key is configured (ONEPLAN_ANCHOR_SIGNING_KEY)")
    try:
        public_key.write(out)
    except FileExistsError:
        raise fail(f"{out} exists: a key file is never overwritten") from None
    except OSError as e:
        raise fail(f"cannot write {out}: {e.strerror}") from None
    typer.echo(f"wrote the anchor public key {public_key.key_id} to {out}")
