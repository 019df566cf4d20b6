"""Commands on the record and its views: the demo, a plan, replay, caseloads, journeys."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
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
    Db,
    Format,
    ListFormat,
    app,
    as_of_option,
    caseworker_option,
    database_url,
    echo_json,
    fail,
    opened,
    progress_bar,
    refuse_another_programs_database,
)
from oneplan.demo import run_demo
from oneplan.errors import OnePlanError
from oneplan.keys import Keys
from oneplan.projections.sector_view import SectorView
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


@plan_app.command("show")
def plan_show(
    plan_id: Annotated[UUID, typer.Argument(help="The plan's id.")],
    sector: Annotated[
        Sector | None,
        typer.Option(help="Show the plan as this sector may see it (under consent)."),
    ] = None,
    reader: Annotated[
        str | None,
        typer.Option(help="Who reads, as a caseworker id (needed with --sector; logged)."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The plan as it stood then (ISO, with zone).")
    ] = None,
    format: Annotated[Format, typer.Option(help="text, json, md or html.")] = Format.TEXT,
    language: Annotated[str, typer.Option(help="da or en (the citizen's plan).")] = "da",
    db: Db = None,
) -> None:
    """Show a plan: the citizen's own plan document, or with --sector the sector view,
    whose every item names the consent or legal basis that allowed it. A sector read is
    recorded in the access log."""
    moment = as_of_option(as_of)
    with opened(db) as oneplan:
        if sector is None:
            document = oneplan.citizen_plan(
                plan_id,
                as_of=moment,
                language=language,
                format="html" if format is Format.HTML else "markdown",
            )
            if format is Format.JSON:
                echo_json(
                    {
                        "plan_id": plan_id,
                        "as_of": moment,
                        "language": language,
                        "markdown": document,
                    }
                )
            else:
                typer.echo(document, nl=False)
            return
        if reader is None:
            raise fail("--sector needs --reader: every read of a sector view is logged")
        if format in (Format.MD, Format.HTML):
            raise fail("a sector view is shown as text or json; md and html are the citizen's plan")
        view = oneplan.sector_view(
            plan_id,
            sector=sector,
            reader=caseworker_option(reader, sector, "--reader"),
            as_of=moment,
        )
        if format is Format.JSON:
            echo_json(view)
        else:
            _print_sector_view(view)


def _print_sector_view(view: SectorView) -> None:
    console = Console()
    when = f" as of {view.as_of.isoformat()}" if view.as_of else ""
    console.print(Text(f"Plan {view.plan_id} ({view.status.value}){when}", style="bold"))
    console.print(f"as the {view.sector.value} sector may see it at {view.read_at.isoformat()}\n")
    table = Table("item", "what", "allowed by", show_lines=False)
    for kind, _, shown in view.shown():
        table.add_row(kind, Text(_describe(kind, shown.item)), str(shown.allowed_by))
    console.print(table)


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
        str | None, typer.Argument(help="A coordinator's caseworker id.")
    ] = None,
    paused_days: Annotated[
        int, typer.Option(help="Show interventions paused longer than this many days.")
    ] = 14,
    format: Annotated[ListFormat, typer.Option(help="text or json.")] = ListFormat.TEXT,
    db: Db = None,
) -> None:
    """A coordinator's caseload: active plans, goals past due, long pauses, hand-overs
    received. Without an id, every coordinator's figures."""
    with opened(db) as oneplan:
        ids = [coordinator] if coordinator else oneplan.coordinators()
        loads = [oneplan.caseload(i, paused_longer_than=timedelta(days=paused_days)) for i in ids]
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
        for pause in load.long_pauses:
            console.print(Text(f"paused {pause.days_paused} days: {pause.title}: {pause.reason}"))
        for hand_over in load.hand_overs_received:
            giver = hand_over.from_coordinator.id
            console.print(Text(f"received {hand_over.at.date()} from {giver}: {hand_over.reason}"))


@app.command()
def journey(
    citizen_id: Annotated[UUID, typer.Argument(help="The citizen's id.")],
    format: Annotated[ListFormat, typer.Option(help="text or json.")] = ListFormat.TEXT,
    db: Db = None,
) -> None:
    """A citizen's journey: every contact and change, and the distinct caseworkers and
    sectors met so far."""
    with opened(db) as oneplan:
        state = oneplan.journey(citizen_id)
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


@app.command()
def version(
    format: Annotated[ListFormat, typer.Option(help="text or json.")] = ListFormat.TEXT,
) -> None:
    """Print the installed version of oneplan."""
    if format is ListFormat.JSON:
        echo_json({"version": __version__})
    else:
        typer.echo(__version__)
