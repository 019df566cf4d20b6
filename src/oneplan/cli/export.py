"""``oneplan export``: the record in other systems' formats (FHIR R5)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from oneplan.cli.common import Db, JsonFormat, app, as_of_option, fail, opened

__all__ = ["export_app"]

export_app = typer.Typer(
    help="Export the record in other systems' formats (FHIR R5).", no_args_is_help=True
)
app.add_typer(export_app, name="export")


@export_app.command("fhir")
def export_fhir(
    plan_id: Annotated[UUID, typer.Argument(help="The plan's id.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The plan as it stood then (ISO date and time, with zone)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the bundle to this file instead of stdout.")
    ] = None,
    format: Annotated[JsonFormat, typer.Option(help="json (FHIR's JSON).")] = JsonFormat.JSON,
    db: Db = None,
) -> None:
    """Export a plan as a FHIR R5 Bundle: CarePlan, Goals (sub-goals as milestones),
    CareTeam, Consents, a Task per intervention and Provenance. The bundle holds
    personal data and the whole plan, unfiltered by consent: give it only to systems
    entitled to all of it (docs/fhir.md)."""
    from oneplan.interop.fhir import FHIR_VERSION, plan_bundle  # fhir.resources is big

    moment = as_of_option(as_of)
    with opened(db) as oneplan:
        bundle = plan_bundle(oneplan, plan_id, as_of=moment)
    text = bundle.model_dump_json(indent=2)
    if out is None:
        typer.echo(text)
        return
    try:
        out.write_text(text + "\n", encoding="utf-8")
    except OSError as e:
        raise fail(f"cannot write {out}: {e.strerror}") from None
    typer.echo(f"wrote FHIR {FHIR_VERSION} bundle of plan {plan_id} to {out}", err=True)
