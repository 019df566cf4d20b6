"""``oneplan export``: the record in other systems' formats (FHIR R5)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from oneplan.cli.common import (
    AuditBasis,
    Db,
    JsonFormat,
    PrincipalText,
    app,
    as_of_option,
    fail,
    opened,
    principal_option,
)
from oneplan.values import LegalBasis

__all__ = ["export_app"]

export_app = typer.Typer(
    help="Export the record in other systems' formats (FHIR R5).", no_args_is_help=True
)
app.add_typer(export_app, name="export")


@export_app.command("fhir")
def export_fhir(
    plan_id: Annotated[UUID, typer.Argument(help="The plan's id.")],
    recipient: Annotated[
        str,
        typer.Option(help="The system the bundle goes to (named in the citizen's access log)."),
    ],
    legal_basis: Annotated[
        str | None,
        typer.Option(
            help="The legal basis of the disclosure, such as 'RSL § 12 c', where it is not "
            "the plan's active consents."
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The plan as it stood then (ISO date and time, with zone)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the bundle to this file instead of stdout.")
    ] = None,
    format: Annotated[JsonFormat, typer.Option(help="json (FHIR's JSON).")] = JsonFormat.JSON,
    principal: PrincipalText = None,
    basis: AuditBasis = None,
    db: Db = None,
) -> None:
    """Export a plan as a FHIR R5 Bundle for a named --recipient system: CarePlan, Goals
    (sub-goals as milestones), CareTeam, Consents, a Task per intervention and
    Provenance. The bundle holds personal data and the whole plan, unfiltered by
    consent: give it only to systems entitled to all of it (docs/fhir.md). Exported by
    staff holding the plan, an auditor or a system job, under the plan's active
    consents or --legal-basis; logged in the citizens' access logs."""
    from oneplan.interop.fhir import FHIR_VERSION  # fhir.resources is big

    moment = as_of_option(as_of)
    who = principal_option(principal, basis)
    law: LegalBasis | None = None
    if legal_basis is not None:
        try:
            law = LegalBasis.parse(legal_basis)
        except ValueError:
            raise fail(
                f"--legal-basis {legal_basis[:80]!r} is not a legal basis, such as 'RSL § 12 c'"
            ) from None
    with opened(db, views=True) as oneplan:
        bundle = oneplan.as_(who).fhir_bundle(
            plan_id, recipient=recipient, as_of=moment, legal_basis=law
        )
    text = bundle.model_dump_json(indent=2)
    if out is None:
        typer.echo(text)
        return
    try:
        out.write_text(text + "\n", encoding="utf-8")
    except OSError as e:
        raise fail(f"cannot write {out}: {e.strerror}") from None
    typer.echo(f"wrote FHIR {FHIR_VERSION} bundle of plan {plan_id} to {out}", err=True)
