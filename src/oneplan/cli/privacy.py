"""``oneplan retention``, ``oneplan erase`` and ``oneplan keys rotate-master``: the end of a
case file's life (archive delivery, retention, erasure by destroying keys) and the
rotation of the master key. See docs/privacy.md."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated
from uuid import UUID

import attrs
import typer
from rich.console import Console
from rich.progress import TaskID
from rich.table import Table

from oneplan.cli.common import (
    AuditBasis,
    Db,
    ListFormat,
    PrincipalText,
    app,
    configured_keys,
    database_url,
    echo_json,
    fail,
    opened,
    principal_option,
    progress_bar,
)
from oneplan.cli.keys import keys_app
from oneplan.errors import OnePlanError
from oneplan.keys import Keys
from oneplan.privacy.retention import RetentionDue
from oneplan.usecases import Erasure, Session
from oneplan.values import LegalBasis, SectorPlanRef

__all__ = ["retention_app"]

retention_app = typer.Typer(
    help="Retention of case files: which citizens are due for erasure, archive delivery.",
    no_args_is_help=True,
)
app.add_typer(retention_app, name="retention")


@retention_app.command("due")
def retention_due(
    at: Annotated[
        str | None, typer.Option("--at", help="As of this date (YYYY-MM-DD; default today).")
    ] = None,
    format: Annotated[ListFormat, typer.Option(help="text or json.")] = ListFormat.TEXT,
    principal: PrincipalText = None,
    basis: AuditBasis = None,
    db: Db = None,
) -> None:
    """List the citizens whose retention has ended (for a records officer, --as
    staff:ID, or the retention run, --as system:JOB).

    Every case file of theirs (each coordinated plan, and each of their own sector plans
    that holds interventions) has been closed longer than its legal area's period.
    'ready': every file is delivered to the public archive; otherwise erasure needs
    --legal-basis. The json lists the plans and sector plans (as SECTOR:LAW § N[:REF],
    what 'retention deliver --sector-plan' takes) and which await the archive."""
    try:
        day = date.fromisoformat(at) if at else None
    except ValueError:
        raise fail(f"--at {at!r} is not a date (YYYY-MM-DD)") from None
    who = principal_option(principal, basis)
    with opened(db, views=True) as oneplan:
        due = oneplan.as_(who).retention_due(at=day)
    if format is ListFormat.JSON:
        echo_json([_due_json(d) for d in due])
        return
    table = Table("citizen", "due since", "case files", "awaiting archive", "status")
    for d in due:
        table.add_row(
            str(d.citizen_id),
            d.due.isoformat(),
            str(len(d.plan_ids) + len(d.sector_plans)),
            str(len(d.awaiting_archive) + len(d.sector_plans_awaiting_archive)),
            "ready" if d.ready else "awaiting archive delivery",
        )
    Console().print(table)
    typer.echo(f"{len(due)} citizens due")


def _due_json(due: RetentionDue) -> dict[str, object]:
    return {
        "citizen_id": due.citizen_id,
        "due": due.due,
        "plan_ids": due.plan_ids,
        "awaiting_archive": due.awaiting_archive,
        "sector_plans": [str(s) for s in due.sector_plans],
        "sector_plans_awaiting_archive": [str(s) for s in due.sector_plans_awaiting_archive],
        "ready": due.ready,
    }


@retention_app.command("deliver")
def retention_deliver(
    archive: Annotated[str, typer.Option(help="The archive that received the case file.")],
    reference: Annotated[str, typer.Option(help="The delivery's reference.")],
    plan_id: Annotated[
        UUID | None,
        typer.Argument(metavar="PLAN_ID", help="The closed plan (case file) delivered."),
    ] = None,
    citizen: Annotated[
        UUID | None,
        typer.Option(help="With --sector-plan: the citizen whose sector plan was delivered."),
    ] = None,
    sector_plan: Annotated[
        str | None,
        typer.Option(
            help="Instead of PLAN_ID: the citizen's own sector plan delivered, as "
            "SECTOR:LAW § N[:REFERENCE] ('social:SEL § 141'), as 'retention due' lists it."
        ),
    ] = None,
    principal: PrincipalText = None,
    db: Db = None,
) -> None:
    """Record that a closed case file was delivered to the public archive (a records
    officer: --as staff:ID holding the role records-officer).

    The case file is a coordinated plan (PLAN_ID), or one of a citizen's own sector
    plans (--citizen and --sector-plan), closed once every intervention held under it
    has finished."""
    who = principal_option(principal, writes=True)
    if (plan_id is None) == (sector_plan is None) or (sector_plan is None) != (citizen is None):
        raise fail("give a PLAN_ID, or --citizen and --sector-plan (not both)")
    if plan_id is not None:
        with opened(db) as oneplan:
            oneplan.as_(who).deliver_to_archive(
                plan_id=plan_id, archive=archive, reference=reference
            )
        typer.echo(f"plan {plan_id} delivered to {archive} ({reference})")
        return
    assert sector_plan is not None
    try:
        ref = SectorPlanRef.parse(sector_plan)
    except ValueError:
        raise fail(
            f"--sector-plan {sector_plan!r} is not SECTOR:LAW § N[:REFERENCE] "
            "(such as 'social:SEL § 141')"
        ) from None
    with opened(db) as oneplan:
        oneplan.as_(who).deliver_sector_plan_to_archive(
            citizen_id=citizen, sector_plan=ref, archive=archive, reference=reference
        )
    typer.echo(f"sector plan {ref} of citizen {citizen} delivered to {archive} ({reference})")


@app.command()
def erase(
    citizen_ids: Annotated[list[UUID], typer.Argument(help="The citizens to erase.")],
    reason: Annotated[str, typer.Option(help="Why (recorded; no personal data).")] = (
        "retention ended"
    ),
    legal_basis: Annotated[
        str | None,
        typer.Option(
            help="The legal basis for erasing case files not delivered to the archive, "
            "such as the archive's rules on destruction ('FVL § 2')."
        ),
    ] = None,
    principal: PrincipalText = None,
    db: Db = None,
) -> None:
    """Erase citizens' personal data at the end of retention (crypto-shredding), as a
    records officer (--as staff:ID holding the role records-officer).

    Records each erasure, folds their view rows again with their data read as erased
    (the views stay in place), and destroys their data keys: all the citizens given in
    one pass. Refused before the end of retention, and before delivery to the archive
    unless --legal-basis is given (a citizen refused stops the run there; those before
    are erased). Stored events are never rewritten or deleted."""
    try:
        basis = LegalBasis.parse(legal_basis) if legal_basis else None
    except ValueError as e:
        raise fail(f"--legal-basis: {e}") from None
    who = principal_option(principal, writes=True)
    with opened(db) as oneplan:
        session = oneplan.as_(who)
        for done in _erase(session, citizen_ids, reason, basis):
            typer.echo(
                f"erased citizen {done.citizen_id}: {done.keys_destroyed} data keys destroyed, "
                f"{len(done.plan_ids)} case files, view rows folded again "
                f"({done.events_refolded} events)"
            )


def _erase(
    session: Session, citizen_ids: list[UUID], reason: str, basis: LegalBasis | None
) -> list[Erasure]:
    """Erase the citizens, with a progress bar while the views fold a long way."""
    progress = progress_bar()
    task: TaskID | None = None

    def report(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            progress.start()
            task = progress.add_task("erased: folding the views", total=total)
        progress.update(task, completed=done, total=total)

    try:
        return session.erase_citizens(
            citizen_ids, reason=reason, legal_basis=basis, progress=report
        )
    finally:
        if task is not None:
            progress.stop()


@keys_app.command("rotate-master")
def rotate_master(
    out: Annotated[Path, typer.Argument(help="The new key file to write (must not exist).")],
    principal: PrincipalText = None,
    db: Db = None,
) -> None:
    """Rotate the master key, without encrypting any event again (a key custodian:
    --as staff:ID holding the role key-custodian).

    Writes a new key file (the same audit, CPR and anchor signing keys, a new master key),
    then wraps every data key with the new master key in one transaction. Afterwards point
    ONEPLAN_KEY_FILE at the new file; keep the old one until every backup made under it
    has expired."""
    who = principal_option(principal, writes=True)
    url = database_url(db)
    try:
        current = configured_keys(url)
    except OnePlanError as e:
        raise fail(str(e)) from None
    if current.master_key is None:
        raise fail("no master key is configured (ONEPLAN_KEY_FILE or ONEPLAN_MASTER_KEY)")
    new = attrs.evolve(current, master_key=Keys.generate().master_key)
    try:
        new.write(out)
    except FileExistsError:
        raise fail(f"{out} exists: a key file is never overwritten") from None
    except OSError as e:
        raise fail(f"cannot write {out}: {e.strerror}") from None
    try:
        with opened(db) as oneplan:
            assert new.master_key is not None
            count = oneplan.as_(who).rotate_master_key(new.master_key)
    except BaseException:
        out.unlink()  # the database still goes with the old key file
        raise
    typer.echo(
        f"{count} data keys wrapped with the new master key in {out}; use it from now on: "
        f"export ONEPLAN_KEY_FILE={out.resolve()}"
    )
