"""``oneplan views``: keep the views current in a process of their own, and see how far
behind the log they are. The views hold no evidence (DOMAIN.md rule 16): they are a cache
of the log that reads would otherwise fold themselves."""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Any

import typer

from oneplan.cli.common import Db, ListFormat, app, echo_json, opened
from oneplan.projections.follow import ViewFollower

views_app = typer.Typer(
    help="The views (sector views, citizens' plans, caseloads, journeys, access log): "
    "keep them current (follow) and see how far behind the log they are (status).",
    no_args_is_help=True,
)
app.add_typer(views_app, name="views")


@views_app.command("status")
def status(
    format: Annotated[ListFormat, typer.Option(help="text or json.")] = ListFormat.TEXT,
    db: Db = None,
) -> None:
    """How far the stored views are behind the log (without folding anything): their
    position, the log's last event, and each view's version."""
    with opened(db) as oneplan:
        position, versions = oneplan.views.store.tracking()
        head = int(oneplan.recorder.max_notification_id() or 0)
    found = {
        "position": position,
        "head": head,
        "behind": max(head - position, 0),
        "versions": versions,
        "current": versions == oneplan.views.versions,
    }
    if format is ListFormat.JSON:
        echo_json(found)
        return
    typer.echo(f"views at event {position} of {head} ({found['behind']} behind)")
    if not versions:
        typer.echo("the views are not built yet: the next catch-up builds them")
    elif not found["current"]:
        typer.echo("a view's version changed: the next catch-up rebuilds them")


@views_app.command("follow")
def follow(
    poll: Annotated[
        float,
        typer.Option(
            min=0.01,
            help="On SQLite, look at the log at most this many seconds apart while "
            "nothing happens (PostgreSQL is woken by LISTEN/NOTIFY).",
        ),
    ] = 0.5,
    once: Annotated[bool, typer.Option(help="Catch up once and stop.")] = False,
    db: Db = None,
) -> None:
    """Keep the views current until stopped (Ctrl-C or SIGTERM), so that reads rarely
    fold anything themselves. A lost database is tried again; views beyond the log stop
    it (rebuild them with `oneplan replay`). Several may run on one database."""
    with opened(db, views=True) as oneplan:  # (far behind the log: caught up with a progress bar)
        first = ViewFollower(oneplan).once()
        typer.echo(f"views at event {oneplan.views.position} ({first} folded)", err=True)
        if once:
            return
        stop = threading.Event()

        def stopping(*_: Any) -> None:
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, stopping)
        report = ViewFollower(oneplan, poll=poll).run(stop)
    typer.echo(
        f"stopped at event {report.position}: {report.events} events folded in "
        f"{report.catch_ups} catch-ups, {report.failures} failures recovered",
        err=True,
    )
