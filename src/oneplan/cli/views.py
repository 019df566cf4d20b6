"""``oneplan views``: keep the views current in a process of their own, and see how far
behind the log they are. The views hold no evidence (DOMAIN.md rule 16): they are a cache
of the log that reads would otherwise fold themselves."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
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
        lease = oneplan.views.store.lease_holder()
    ours = oneplan.views.versions
    changed = {
        name: {"stored": versions.get(name), "code": version}
        for name, version in ours.items()
        if versions.get(name) != version
    }
    found = {
        "position": position,
        "head": head,
        "behind": max(head - position, 0),
        "versions": versions,
        "current": versions == ours,
        "changed": changed,
        "rebuilding": None if lease is None else {"holder": lease[0], "until": lease[1]},
    }
    if format is ListFormat.JSON:
        echo_json(found)
        return
    typer.echo(f"views at event {position} of {head} ({found['behind']} behind)")
    if not versions:
        typer.echo("the views are not built yet: the next catch-up builds them")
    elif changed:
        names = ", ".join(
            f"{name} (version {v['stored']} -> {v['code']})" for name, v in changed.items()
        )
        typer.echo(
            f"changed in this code: {names}; the next catch-up rebuilds these aside "
            "(readers see the old ones until they are swapped in)"
        )
    if lease is not None:
        until = datetime.fromtimestamp(lease[1], UTC).isoformat(timespec="seconds")
        typer.echo(f"being rebuilt by {lease[0]} (its lease runs until {until})")


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
