"""Commands on the record and its views: the demo, a plan, replay, caseloads, journeys."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from oneplan import __version__
from oneplan.application import OnePlan
from oneplan.cli.common import (
    AuditBasis,
    Db,
    ListFormat,
    PrincipalText,
    app,
    as_of_option,
    database_url,
    echo_json,
    fail,
    opened,
    principal_option,
    progress_bar,
    refuse_another_programs_database,
)
from oneplan.demo import run_demo
from oneplan.errors import OnePlanError
from oneplan.keys import Keys
from oneplan.letter import CitizenLetter, LetterFormat, render_letter
from oneplan.principals import AuditorPrincipal
from oneplan.projections.access_log import AccessLogState, access_log_json
from oneplan.projections.sector_view import NOTES_LIMIT, SectorView
from oneplan.values import Sector

__all__ = ["plan_app"]


@app.command()
def demo(
    db: Annotated[
        str | None,
        typer.Option(help="SQLite file or database URL (default: oneplan-demo.db)."),
    ] = None,
) -> None:
    """Tell the seeds' story end to end on SQLite and print a readable account.

    With no keys configured (ONEPLAN_KEY_FILE, ONEPLAN_AUDIT_KEY, ONEPLAN_MASTER_KEY), it
    makes throwaway keys in a key file beside the database, and says so."""
    url = database_url(db or os.environ.get("ONEPLAN_DATABASE_URL") or "oneplan-demo.db")
    refuse_another_programs_database(url)
    try:
        keys, note = demo_keys(url)
        with OnePlan.open(url, keys=keys) as oneplan:
            run_demo(oneplan)
    except OnePlanError as e:
        raise fail(str(e)) from None
    typer.echo(f"\nStored in {url}")
    if note:
        typer.echo(note)


def demo_keys(url: str) -> tuple[Keys, str]:
    """The configured keys, or for a demo without any: throwaway keys kept in
    ``<database>.keys`` (made on the first run, reused after), and a line saying so."""
    configured = Keys.from_env()
    if configured != Keys() or not url.startswith("sqlite:///"):
        return configured, ""
    path = Path(url.removeprefix("sqlite:///") + ".keys")
    if not path.exists():
        Keys.generate().write(path)
    return Keys.read(path), (
        f"No keys were configured, so the demo uses throwaway keys in {path}: fine for a "
        "demo, never for real data (see docs/keys.md)."
    )


plan_app = typer.Typer(help="Read a plan.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")


class ShowFormat(StrEnum):
    """What ``plan show`` prints: the citizen's letter as text (Markdown), its parts as
    JSON, Markdown, HTML or PDF; a sector view as text or JSON."""

    TEXT = "text"
    JSON = "json"
    MD = "md"
    HTML = "html"
    PDF = "pdf"


@plan_app.command("show")
def plan_show(
    plan_id: Annotated[UUID, typer.Argument(help="The plan's id.")],
    sector: Annotated[
        Sector | None,
        typer.Option(
            help="Show the sector view: the plan as your sector may see it (under consent); "
            "the sector must be yours in the staff directory."
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The plan as it stood then (ISO, with zone).")
    ] = None,
    format: Annotated[
        ShowFormat,
        typer.Option(
            help="text, json, md, html or pdf (the citizen's letter; pdf needs --out); "
            "a sector view: text or json."
        ),
    ] = ShowFormat.TEXT,
    language: Annotated[str, typer.Option(help="da or en (the citizen's letter).")] = "da",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the letter to this file instead of printing it."),
    ] = None,
    notes_limit: Annotated[
        int,
        typer.Option(
            min=1,
            help="A sector view: show this many of the most recent progress notes.",
        ),
    ] = NOTES_LIMIT,
    notes_before: Annotated[
        str | None,
        typer.Option(help="A sector view: show the notes before this cursor (older notes)."),
    ] = None,
    all_notes: Annotated[
        bool, typer.Option("--all-notes", help="A sector view: show every progress note.")
    ] = False,
    principal: PrincipalText = None,
    basis: AuditBasis = None,
    db: Db = None,
) -> None:
    """Show a plan: the citizen's letter (the plan in plain words, the coordinator's
    contact details, what the citizen can do, who has looked at their data since the
    last letter; to the citizen, a holder of custody, staff holding the plan, or an
    auditor), or with --sector the sector view of a staff member (--as staff:ID), whose
    every item names the consent or legal basis that allowed it, with the 50 most recent
    progress notes (--notes-limit, --notes-before for older ones, --all-notes). Every
    read is recorded in the access log; sending the letter is recorded with
    deliver_plan, as before.

    The letter's sender is the municipality configured by ONEPLAN_MUNICIPALITY_NAME and
    ONEPLAN_MUNICIPALITY_ADDRESS (docs/letter.md)."""
    moment = as_of_option(as_of)
    who = principal_option(principal, basis)
    if sector is not None and format not in (ShowFormat.TEXT, ShowFormat.JSON):
        raise fail("a sector view is shown as text or json; md, html and pdf are the letter's")
    if sector is not None and out is not None:
        raise fail("--out writes the citizen's letter; a sector view is printed")
    if sector is None and (notes_before is not None or all_notes):
        raise fail("--notes-before and --all-notes page a sector view's notes: add --sector")
    if format is ShowFormat.PDF and out is None:
        raise fail("a PDF is written to a file: add --out FILE")
    with opened(db, views=True) as oneplan:
        session = oneplan.as_(who)
        if sector is None:
            letter = session.citizen_letter(plan_id, as_of=moment, language=language)
            content = _render(letter, format)
            if out is None:
                typer.echo(content.decode(), nl=False)
            else:
                try:
                    out.write_bytes(content)
                except OSError as e:
                    raise fail(f"cannot write {out}: {e.strerror}") from None
            return
        view = session.sector_view(
            plan_id,
            sector=sector,
            as_of=moment,
            notes_limit=None if all_notes else notes_limit,
            notes_before=notes_before,
        )
    if format is ShowFormat.JSON:
        echo_json(view)
    else:
        _print_sector_view(view)


def _render(letter: CitizenLetter, format: ShowFormat) -> bytes:
    """The letter in the chosen format (text is its Markdown; JSON ends in a newline)."""
    text = format in (ShowFormat.TEXT, ShowFormat.MD)
    content, _ = render_letter(letter, LetterFormat.MARKDOWN if text else format.value)
    return content + b"\n" if format is ShowFormat.JSON else content


def _print_sector_view(view: SectorView) -> None:
    console = Console()
    when = f" as of {view.as_of.isoformat()}" if view.as_of else ""
    console.print(Text(f"Plan {view.plan_id} ({view.status.value}){when}", style="bold"))
    console.print(f"as the {view.sector.value} sector may see it at {view.read_at.isoformat()}\n")
    shown = list(view.shown())
    if not shown:
        console.print(
            f"nothing: no consent or legal basis lets the {view.sector.value} sector see "
            "anything of this plan"
        )
        return
    table = Table("item", "what", "allowed by", show_lines=False)
    for kind, _, item in shown:
        table.add_row(kind, Text(_describe(kind, item.item)), str(item.allowed_by))
    console.print(table)
    if view.older_notes is not None:
        console.print(
            f"the {len(view.notes)} most recent progress notes; older ones: "
            f"--notes-before {view.older_notes}",
            soft_wrap=True,
        )


def _describe(kind: str, item: Any) -> str:
    describe: dict[str, Callable[[Any], str]] = {
        "coordinator": lambda a: f"{a.name or a.id} ({a.sector})",
        "wishes": lambda w: w.wishes,
        "goal": lambda g: f"{g.description} [{g.status}]" + (f", due {g.due}" if g.due else ""),
        "progress-note": lambda n: f"{n.note.achievement}: {n.note.note}",
        "intervention": lambda i: f"{i.title} ({i.sector}, {i.legal_basis}) [{i.status}]",
        "withheld-intervention": lambda w: f"an intervention of {w.sector} [{w.status}]",
        "meeting": lambda m: f"{m.held_at.date()}: " + "; ".join(m.decisions),
    }
    return describe[kind](item)


@app.command()
def replay(db: Db = None) -> None:
    """Rebuild every view (sector views, citizens' plans, caseloads, journeys, access
    log) from the event log, with a progress bar."""
    with opened(db) as oneplan:
        head = int(oneplan.recorder.max_notification_id() or 0)
        with progress_bar() as progress:
            task = progress.add_task("folding events", total=head)
            folded = oneplan.views.rebuild(
                progress=lambda done, total: progress.update(task, completed=done, total=total)
            )
    typer.echo(f"{folded} events folded into {len(oneplan.views.versions)} views")


@app.command("caseload")
def caseload_cmd(
    coordinator: Annotated[
        str | None,
        typer.Argument(
            help="A coordinator's staff id: your own (staff), anyone's (an auditor). "
            "Without it, every coordinator's figures (an auditor only)."
        ),
    ] = None,
    paused_days: Annotated[
        int, typer.Option(help="Show interventions paused longer than this many days.")
    ] = 14,
    format: Annotated[ListFormat, typer.Option(help="text or json.")] = ListFormat.TEXT,
    principal: PrincipalText = None,
    basis: AuditBasis = None,
    db: Db = None,
) -> None:
    """A coordinator's caseload: active plans, goals past due, long pauses, hand-overs
    received. Staff read their own; an auditor reads anyone's, and without an id every
    coordinator's figures (each read logged)."""
    who = principal_option(principal, basis)
    if paused_days < 0:
        raise fail("--paused-days must be 0 or more")
    if coordinator is None and not isinstance(who, AuditorPrincipal):
        raise fail(
            "every coordinator's caseload is read by an auditor: name a coordinator "
            f"(your own id{', ' + who.id if who.kind == 'staff' else ''})"
        )
    with opened(db, views=True) as oneplan:
        session = oneplan.as_(who)
        ids = [coordinator] if coordinator else oneplan.coordinators()
        pause = timedelta(days=paused_days)
        loads = [session.caseload(i, paused_longer_than=pause) for i in ids]
    if format is ListFormat.JSON:
        echo_json(loads if coordinator is None else loads[0])
        return
    console = Console()
    table = Table(
        "coordinator",
        "active plans",
        "goals past due",
        f"paused > {paused_days} d",
        "hand-overs received",
    )
    for load in loads:
        table.add_row(
            load.coordinator_id,
            str(len(load.active_plans)),
            str(len(load.goals_past_due)),
            str(len(load.long_pauses)),
            str(len(load.hand_overs_received)),
        )
    console.print(table)
    if coordinator is not None:
        load = loads[0]
        for goal in load.goals_past_due:
            console.print(Text(f"past due {goal.due}: {goal.description} (plan {goal.plan_id})"))
        for pause_ in load.long_pauses:
            console.print(
                Text(f"paused {pause_.days_paused} days: {pause_.title}: {pause_.reason}")
            )
        for hand_over in load.hand_overs_received:
            giver = hand_over.from_coordinator.id
            console.print(Text(f"received {hand_over.at.date()} from {giver}: {hand_over.reason}"))


@app.command()
def journey(
    citizen_id: Annotated[UUID, typer.Argument(help="The citizen's id.")],
    format: Annotated[ListFormat, typer.Option(help="text or json.")] = ListFormat.TEXT,
    principal: PrincipalText = None,
    basis: AuditBasis = None,
    db: Db = None,
) -> None:
    """A citizen's journey: every contact and change, and the distinct caseworkers and
    sectors met so far. To the citizen, a holder of custody, staff holding the
    citizen's plan, or an auditor (logged)."""
    who = principal_option(principal, basis)
    with opened(db, views=True) as oneplan:
        state = oneplan.as_(who).journey(citizen_id)
    if format is ListFormat.JSON:
        echo_json(state)
        return
    console = Console()
    table = Table("effective", "who", "sector", "what")
    for entry in state.entries:
        table.add_row(
            entry.effective_at.date().isoformat(),
            entry.actor_id,
            entry.actor_sector.value if entry.actor_sector else "",
            Text(entry.summary),
        )
    console.print(table)
    console.print(
        f"{state.caseworker_count} caseworkers met across {len(state.sectors)} sectors: "
        + ", ".join(s.value for s in state.sectors)
    )


@app.command("access-log")
def access_log_cmd(
    citizen_id: Annotated[UUID, typer.Argument(help="The citizen's id.")],
    format: Annotated[ListFormat, typer.Option(help="text or json.")] = ListFormat.TEXT,
    principal: PrincipalText = None,
    basis: AuditBasis = None,
    db: Db = None,
) -> None:
    """Who has seen a citizen's data: every sector view read (when, by whom, as which
    sector, which items, under which consent or legal basis) and every other disclosure
    (the citizen's plan, journeys, exports, an auditor's reads). To the citizen, a
    holder of custody, an auditor or a records officer; a read by anyone but the
    citizen is itself logged."""
    who = principal_option(principal, basis)
    with opened(db, views=True) as oneplan:
        log = oneplan.as_(who).access_log(citizen_id)
    if format is ListFormat.JSON:
        echo_json(access_log_json(log))
        return
    _print_access_log(log)


def _print_access_log(log: AccessLogState) -> None:
    console = Console()
    table = Table("read at", "who", "as", "what", "items shown", "allowed by")
    for entry in log.entries:
        reader = entry.reader
        who = reader.id + (f" ({reader.name})" if reader.name else "")
        if entry.what == "sector-view":
            shown = ", ".join(f"{n} {kind}" for kind, n in entry.item_counts.items()) or "nothing"
            allowed = ", ".join(
                [b.value for b in entry.bases]
                + [str(c) for c in entry.consent_ids]
                + [str(b) for b in entry.legal_bases]
            )
        else:
            to_another = entry.recipient and not entry.recipient.endswith(f":{reader.id}")
            shown = f"to {entry.recipient}" if to_another else ""
            allowed = entry.basis
        table.add_row(
            entry.read_at.isoformat(timespec="seconds"),
            Text(who),
            entry.sector.value if entry.sector else reader.kind.value,
            entry.what,
            Text(shown),
            Text(allowed),
        )
    console.print(table)
    console.print(f"{len(log.entries)} reads and disclosures of citizen {log.citizen_id}")


@app.command()
def version(
    format: Annotated[ListFormat, typer.Option(help="text or json.")] = ListFormat.TEXT,
) -> None:
    """Print the installed version of oneplan."""
    if format is ListFormat.JSON:
        echo_json({"version": __version__})
    else:
        typer.echo(__version__)
