"""``oneplan simulate`` and ``oneplan evaluate``: a synthetic municipality, and the
evaluation's tables, plots and report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

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
from oneplan.errors import OnePlanError
from oneplan.principals import Principal
from oneplan.simulation import DEFAULT_START, Municipality, simulate
from oneplan.simulation.simulator import years_after

__all__ = ["evaluate_cmd", "simulate_cmd"]

EXTRA = "the evaluation extra is not installed: pip install 'oneplan[evaluation]'"


@app.command("simulate")
def simulate_cmd(
    citizens: Annotated[
        int, typer.Option(help="How many citizens (whole households: a few more).")
    ],
    seed: Annotated[int, typer.Option(help="The same seed gives the same municipality.")] = 0,
    start: Annotated[
        str, typer.Option(help="First day of the simulated period (ISO date).")
    ] = DEFAULT_START.isoformat(),
    years: Annotated[int, typer.Option(help="Length of the simulated period in years.")] = 3,
    format: Annotated[ListFormat, typer.Option(help="text or json.")] = ListFormat.TEXT,
    db: Db = None,
) -> None:
    """Write a synthetic municipality into a new database, through the public
    application: households and single citizens over years of courses, half with one
    coordinated plan and half under their sectors' own plans (the comparison), with
    interventions, decisions, pauses, costs, benefits and outcomes. Its distributions and
    their sources are in docs/evaluation.md."""
    if citizens < 1 or years < 1:
        raise fail("--citizens and --years must be at least 1")
    try:
        first = date.fromisoformat(start)
    except ValueError:
        raise fail(f"--start {start!r} is not an ISO date") from None
    end = years_after(first, years)
    url = database_url(db)
    refuse_another_programs_database(url)
    clock_at = datetime.combine(end, time(), tzinfo=UTC) + timedelta(hours=12)
    try:
        with OnePlan.open(url, clock=lambda: clock_at) as oneplan:
            if oneplan.recorder.max_notification_id():
                raise fail(f"{url} already holds events: simulate into a new database")
            with progress_bar() as progress:
                task = progress.add_task("simulating citizens", total=citizens)
                summary = simulate(
                    oneplan,
                    citizens=citizens,
                    seed=seed,
                    start=first,
                    municipality=Municipality(years=years),
                    progress=lambda done, total: progress.update(task, completed=done),
                )
            events = int(oneplan.recorder.max_notification_id() or 0)
    except OnePlanError as e:
        raise fail(str(e)) from None
    if format is ListFormat.JSON:
        echo_json({**vars(summary), "events": events, "database": url})
        return
    typer.echo(
        f"{summary.citizens} citizens ({summary.plan_citizens} with a plan, "
        f"{summary.comparison_citizens} comparison; {summary.households} households), "
        f"{summary.interventions} interventions, {events} events, "
        f"{summary.start}..{summary.end}, in {url}"
    )


EVALUATION_JOB = Principal.system("evaluate")
"""Who reads the record for ``oneplan evaluate`` when no ``--as`` names anyone: the
application's own system job (the extract is logged as a disclosure of the record)."""


def _with_progress(events: Iterator[Any], progress: Any, task: Any) -> Iterator[Any]:
    for n, event in enumerate(events, start=1):
        if n % 5000 == 0:
            progress.update(task, completed=n)
        yield event


@app.command("evaluate")
def evaluate_cmd(
    out: Annotated[Path, typer.Option(help="Directory for the tables, plots and report.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Only what took effect by then (ISO, with zone)."),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            help="The evaluation's pseudonym key (base64, one line; made with "
            "`oneplan evaluate-key FILE`). Default: $ONEPLAN_EVALUATION_KEY, else a fresh "
            "key that is not kept (pseudonyms then link to no other export)."
        ),
    ] = None,
    coarsen_dates: Annotated[
        bool, typer.Option("--coarsen-dates", help="Dates in the tables as months.")
    ] = False,
    plots: Annotated[bool, typer.Option(help="Draw the PNG plots.")] = True,
    format: Annotated[ListFormat, typer.Option(help="text or json.")] = ListFormat.TEXT,
    principal: PrincipalText = None,
    basis: AuditBasis = None,
    db: Db = None,
) -> None:
    """Compute the evaluation's metrics from the event log (by effective time) and write
    pseudonymised tables (CSV and Parquet), PNG plots and report.md into --out.

    It reads every event, as the system job system:evaluate unless --as (or
    ONEPLAN_PRINCIPAL) names another system job or an auditor (with --basis); the
    extract is logged once as a disclosure of the whole record."""
    moment = as_of_option(as_of)
    who = principal_option(principal, basis, default=EVALUATION_JOB)
    try:
        from oneplan.evaluation import Pseudonymiser, evaluate
        from oneplan.evaluation.report import write_evaluation
    except ImportError:
        raise fail(EXTRA) from None
    with opened(db) as oneplan:
        pseudonyms = Pseudonymiser.from_env_or_file(key_file, not_one_of=oneplan.keys)
        pseudonyms = pseudonyms or Pseudonymiser.generate()
        head = int(oneplan.recorder.max_notification_id() or 0)
        events = oneplan.as_(who).evaluation_events()  # checked and logged, then read
        with progress_bar() as progress:
            task = progress.add_task("reading events", total=head)
            evaluation = evaluate(_with_progress(events, progress, task), as_of=moment)
            progress.update(task, completed=head)
        try:
            written = write_evaluation(
                evaluation, out, pseudonyms, coarsen_dates=coarsen_dates, plots=plots
            )
        except ImportError:
            raise fail(EXTRA) from None
        except OSError as e:
            raise fail(f"cannot write to {out}: {e.strerror}") from None
    if format is ListFormat.JSON:
        echo_json(
            {
                "citizens": len(evaluation.citizens),
                "events": evaluation.events,
                "horizon": evaluation.horizon,
                "files": [str(p) for p in written],
            }
        )
        return
    typer.echo(
        f"{len(evaluation.citizens)} citizens from {evaluation.events} events, up to "
        f"{evaluation.horizon.date()}: {len(written)} files in {out} (see {out / 'report.md'})"
    )


@app.command("evaluate-key")
def evaluate_key_cmd(
    out: Annotated[Path, typer.Argument(help="The key file to create (it must not exist).")],
) -> None:
    """Write a fresh pseudonym key for one evaluation (never the master key). Keep it with
    the evaluator, away from the exports: whoever holds it and a citizen's id can find
    that citizen's rows."""
    from oneplan.evaluation.pseudonyms import Pseudonymiser

    try:
        Pseudonymiser.write_key(out)
    except FileExistsError:
        raise fail(f"{out} exists: a key file is never overwritten") from None
    except OSError as e:
        raise fail(f"cannot write {out}: {e.strerror}") from None
    typer.echo(f"wrote {out}; use it with: oneplan evaluate --key-file {out}")
