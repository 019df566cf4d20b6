"""``oneplan audit``: export the audit trail, verify the log by replay, anchor it, and
start the chain on a record that predates it. See docs/audit.md."""

from __future__ import annotations

import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from oneplan.audit.anchor import ED25519, Anchor, AnchorPublicKey
from oneplan.audit.readonly import read_only_log, verify_read_only
from oneplan.audit.trail import write_csv, write_json, write_jsonl
from oneplan.audit.verify import Progress, Verification, VerificationStatus
from oneplan.audit.views import ViewsVerification, verify_views
from oneplan.cli.common import (
    AuditBasis,
    Db,
    ListFormat,
    PrincipalText,
    app,
    as_of_option,
    configured_keys,
    database_url,
    echo_json,
    fail,
    opened,
    principal_option,
    progress_bar,
)
from oneplan.errors import AnchorInvalid, OnePlanError
from oneplan.keys import Keys

__all__ = ["NOT_VERIFIED", "PROGRESS_FROM", "audit_app"]

audit_app = typer.Typer(
    help="The tamper-evident audit trail: export it, verify the log, anchor the chain.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")

NOT_VERIFIED = 2
"""The exit status of ``verify`` when the log could not be verified (no audit key, no
chain, an unreadable anchor): nothing wrong was found, but nothing was proven either."""
PROGRESS_FROM = 10_000
"""Logs at least this long show a progress bar (on stderr) while they are replayed."""


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    JSON = "json"


@audit_app.command("export")
def export(
    citizen: Annotated[UUID | None, typer.Option(help="Only what concerns this citizen.")] = None,
    plan: Annotated[UUID | None, typer.Option(help="Only what concerns this plan.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only what this caseworker did.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Recorded at or after this time (ISO, with zone).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Recorded before this time (ISO, with zone).")
    ] = None,
    format: Annotated[
        ExportFormat, typer.Option(help="jsonl (one entry a line), csv, or json (one array).")
    ] = ExportFormat.JSONL,
    out: Annotated[
        Path | None, typer.Option(help="Write to this file (default: standard output).")
    ] = None,
    principal: PrincipalText = None,
    basis: AuditBasis = None,
    db: Db = None,
) -> None:
    """Export the audit trail: one entry per stored event (reads and other disclosures
    included) with its position, recorded and effective time, actor and sector, the
    action in plain words, the plan, intervention and citizens involved, the legal
    basis, the consents named and the reason. Filters combine; a period alone reads the
    whole log. For auditors (--as auditor:ID --basis ...); the export is itself logged
    before it starts."""
    start, end = as_of_option(since, "--since"), as_of_option(until, "--until")
    who = principal_option(principal, basis)
    with opened(db) as oneplan:
        entries = oneplan.as_(who).audit_trail(
            citizen_id=citizen, plan_id=plan, actor_id=actor, since=start, until=end
        )
        binary = open(out, "wb") if out else sys.stdout.buffer  # noqa: SIM115
        try:
            if format is ExportFormat.JSONL:
                count = write_jsonl(entries, binary)
            elif format is ExportFormat.JSON:
                count = write_json(entries, binary)
            else:
                text = io.TextIOWrapper(binary, encoding="utf-8", newline="", write_through=True)
                count = write_csv(entries, text)
                text.detach()
            binary.flush()
        except BrokenPipeError:  # the reader stopped (``| head``): nothing more to say
            raise typer.Exit(0) from None
        finally:
            if out:
                binary.close()
    typer.echo(f"{count} audit entries exported" + (f" to {out}" if out else ""), err=True)


@audit_app.command("verify")
def verify(
    anchor: Annotated[
        Path | None,
        typer.Option(
            help="An anchor kept elsewhere: also detects a cut-off tail and history "
            "rewritten with the key."
        ),
    ] = None,
    anchor_public_key: Annotated[
        Path | None,
        typer.Option(
            help="The anchor signing key's public key (PEM): the anchor must be signed "
            "with it (Ed25519)."
        ),
    ] = None,
    views: Annotated[
        bool,
        typer.Option(
            "--views",
            help="Also fold the log into fresh views and compare every stored view row, the "
            "views' tracking position, the CPR index and the data keys with it (needs the "
            "master key; docs/audit.md, Views and indexes).",
        ),
    ] = False,
    format: Annotated[ListFormat, typer.Option(help="text or json.")] = ListFormat.TEXT,
    db: Db = None,
) -> None:
    """Replay the stored log and its audit chain, and say whether it is intact.

    Opens the database read-only (a write-protected copy, a PostgreSQL role with SELECT
    only) and needs only the audit key: nothing is decrypted, written or projected.

    Exits 0 when every chained event verifies with the audit key (and matches the
    anchor, whose signature verifies); 1 with one line naming the first broken position
    and what is wrong (a forged anchor too); 2 when the log cannot be verified (no audit
    key: only the chain's structure is checked; no chain; an unreadable anchor or public
    key; an Ed25519 anchor without its public key)."""
    checkpoint = _anchor(anchor)
    url = database_url(db)
    try:
        keys = configured_keys(url)
        public_key = _public_key(anchor_public_key, checkpoint, keys)
        result = _verify_read_only(url, keys.audit_key, checkpoint, public_key)
    except OnePlanError as e:
        raise fail(str(e)) from None
    if views:
        _report_with_views(result, _verify_views(db), format)
        return
    _report(result, format)


def _verify_read_only(
    url: str, audit_key: bytes | None, anchor: Anchor | None, public_key: AnchorPublicKey | None
) -> Verification:
    """``verify_read_only``, with a progress bar (on stderr) for long logs."""
    with read_only_log(url) as log:
        head = int(log.max_notification_id() or 0)
    if head < PROGRESS_FROM:
        return verify_read_only(
            url, audit_key=audit_key, anchor=anchor, anchor_public_key=public_key
        )
    with progress_bar() as progress:
        task = progress.add_task("verifying the log", total=head)
        report: Progress = lambda done, total: progress.update(  # noqa: E731
            task, completed=done, total=total
        )
        return verify_read_only(
            url, audit_key=audit_key, anchor=anchor, anchor_public_key=public_key, progress=report
        )


def _anchor(path: Path | None) -> Anchor | None:
    if path is None:
        return None
    try:
        return Anchor.read(path)
    except AnchorInvalid as e:
        typer.echo(f"oneplan: {e}", err=True)
        raise typer.Exit(NOT_VERIFIED) from None


def _public_key(path: Path | None, anchor: Anchor | None, keys: Keys) -> AnchorPublicKey | None:
    """The public key given (the anchor must then be signed with it); else, for an
    Ed25519 anchor, the configured signing key's."""
    if path is not None:
        try:
            return AnchorPublicKey.read(path)
        except AnchorInvalid as e:
            typer.echo(f"oneplan: {e}", err=True)
            raise typer.Exit(NOT_VERIFIED) from None
    if anchor is not None and anchor.algorithm == ED25519:
        return keys.anchor_public_key()
    return None


def _report(result: Verification, format: ListFormat) -> None:
    if format is ListFormat.JSON:
        echo_json(result)
    if result.status is VerificationStatus.BROKEN:
        typer.echo(f"oneplan: {result.summary()}", err=True)
        raise typer.Exit(1)
    if result.status is VerificationStatus.UNVERIFIED:
        typer.echo(f"oneplan: {result.summary()}", err=True)
        raise typer.Exit(NOT_VERIFIED)
    if format is ListFormat.TEXT:
        typer.echo(result.summary())


@audit_app.command("anchor")
def anchor_cmd(
    out: Annotated[Path, typer.Option(help="The anchor file to create (never overwritten).")],
    db: Db = None,
) -> None:
    """Verify the log, then write a signed anchor of its chain (last position, global
    head, every stream's head) to a new file. Keep it away from the database: with it,
    verify also detects a cut-off tail and history rewritten by someone with the key."""
    if out.exists():
        typer.echo(f"oneplan: {out} exists: an anchor is never overwritten", err=True)
        raise typer.Exit(1)
    with opened(db) as oneplan:
        head = int(oneplan.recorder.max_notification_id() or 0)
        if head >= PROGRESS_FROM:
            with progress_bar() as progress:
                task = progress.add_task("verifying before anchoring", total=head)
                made = oneplan.make_audit_anchor(
                    progress=lambda done, total: progress.update(task, completed=done, total=total)
                )
        else:
            made = oneplan.make_audit_anchor()
    try:
        made.write(out)
    except OSError as e:
        typer.echo(f"oneplan: cannot write {out}: {e.strerror}", err=True)
        raise typer.Exit(1) from None
    signed = (
        f"signed with Ed25519 key {made.signing_key_id}"
        if made.algorithm == ED25519
        else "signed with the audit key (HMAC): set ONEPLAN_ANCHOR_SIGNING_KEY to sign with a "
        "key auditors cannot sign with"
    )
    typer.echo(
        f"anchored position {made.position} (chain entry {made.seq}, {len(made.streams)} "
        f"streams, key {made.key_id}) in {out}, {signed}: keep it away from the database"
    )


@audit_app.command("start")
def start(principal: PrincipalText = None, db: Db = None) -> None:
    """Start the audit chain on a record that holds events written without an audit
    key (a chain starts by itself on an empty record). The events stored before it are
    not covered, and verify says so. Needs the audit key, and a key custodian
    (--as staff:ID holding the role key-custodian)."""
    who = principal_option(principal, writes=True)
    with opened(db) as oneplan:
        after = oneplan.as_(who).start_audit_chain()
    covered = f"positions 1-{after} predate it and are not covered" if after else "it covers all"
    typer.echo(f"the audit chain starts after position {after}: {covered}")


def _verify_views(db: str | None) -> ViewsVerification:
    """``verify_views`` on the record opened as the application opens it (the fold
    decrypts with the master key), with a progress bar (on stderr) for long logs."""
    with opened(db) as oneplan:
        head = int(oneplan.recorder.max_notification_id() or 0)
        if head < PROGRESS_FROM:
            return verify_views(oneplan)
        with progress_bar() as progress:
            task = progress.add_task("folding the log to compare the views", total=head)
            return verify_views(
                oneplan,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )


def _report_with_views(log: Verification, views: ViewsVerification, format: ListFormat) -> None:
    """Both verifications: with --format json one object ``{"log": ..., "views": ...}``.
    A line on stderr for each that is broken or not verified; exit 1 when either is
    broken, else 2 when either could not be verified, else 0 (both lines on stdout)."""
    if format is ListFormat.JSON:
        echo_json({"log": log, "views": views})
    results = (log, views)
    broken = [r for r in results if r.status is VerificationStatus.BROKEN]
    unverified = [r for r in results if r.status is VerificationStatus.UNVERIFIED]
    for result in (*broken, *unverified):
        typer.echo(f"oneplan: {result.summary()}", err=True)
    if broken:
        raise typer.Exit(1)
    if unverified:
        raise typer.Exit(NOT_VERIFIED)
    if format is ListFormat.TEXT:
        typer.echo(log.summary())
        typer.echo(views.summary())
