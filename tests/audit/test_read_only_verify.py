"""Auditors without the personal-data key: ``audit verify`` on a read-only copy (a
write-protected SQLite file in a write-protected directory, a PostgreSQL role with
SELECT only), with the audit key alone: no master key, nothing decrypted or written."""

from __future__ import annotations

import base64
import hashlib
import shutil
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oneplan import Keys, OnePlan, StorageError, VerificationStatus, verify_read_only
from oneplan.cli import app as cli
from oneplan.demo import run_demo
from oneplan.privacy.sealing import SEALED
from tests.conftest import POSTGRES_URL

runner = CliRunner()


def audit_key_only(keys: Keys) -> dict[str, str]:
    """The environment of an auditor who holds the audit key and no other."""
    assert keys.audit_key is not None
    return {
        "ONEPLAN_KEY_FILE": "",
        "ONEPLAN_AUDIT_KEY": base64.urlsafe_b64encode(keys.audit_key).decode(),
        "ONEPLAN_MASTER_KEY": "",
        "ONEPLAN_CPR_KEY": "",
        "ONEPLAN_ANCHOR_SIGNING_KEY": "",
        "ONEPLAN_DATABASE_URL": "",
    }


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Keys]:
    """A demo record with every key on: the chain, and personal data sealed."""
    folder = tmp_path_factory.mktemp("read-only")
    keys = Keys.generate()
    with OnePlan.open(f"sqlite:///{folder / 'oneplan.db'}", keys=keys) as app:
        run_demo(app, lambda _: None)
    assert not (folder / "oneplan.db-wal").exists()  # all of it is in the file we copy
    return folder / "oneplan.db", keys


def write_protected_copy(source: Path, folder: Path) -> Path:
    """A copy of ``source``, chmod 444, in a directory chmod 555."""
    folder.mkdir()
    copy = folder / source.name
    shutil.copy(source, copy)
    copy.chmod(0o444)
    folder.chmod(0o555)
    return copy


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every file in ``folder``: its SHA-256, mode and modification time."""
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode, p.stat().st_mtime_ns)
        for p in folder.iterdir()
    }


@pytest.fixture
def protected(record: tuple[Path, Keys], tmp_path: Path) -> Iterator[Path]:
    copy = write_protected_copy(record[0], tmp_path / "archive")
    yield copy
    copy.parent.chmod(0o755)


def test_the_record_holds_sealed_personal_data(record: tuple[Path, Keys]) -> None:
    with sqlite3.connect(record[0]) as db:
        states = [row[0] for row in db.execute("SELECT state FROM stored_events")]
    assert sum(SEALED.encode() in state for state in states) >= 3


def test_verify_on_a_write_protected_copy_with_the_audit_key_alone_is_intact_and_writes_nothing(
    protected: Path, record: tuple[Path, Keys]
) -> None:
    before = snapshot(protected.parent)
    assert stat.S_IMODE(protected.stat().st_mode) == 0o444
    assert stat.S_IMODE(protected.parent.stat().st_mode) == 0o555

    result = runner.invoke(
        cli, ["audit", "verify", "--db", str(protected)], env=audit_key_only(record[1])
    )

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("intact: ")
    assert snapshot(protected.parent) == before  # no -wal, no -shm, not a byte changed


def test_the_library_verifies_a_write_protected_copy_with_the_audit_key_alone(
    protected: Path, record: tuple[Path, Keys]
) -> None:
    before = snapshot(protected.parent)

    result = verify_read_only(f"sqlite:///{protected}", audit_key=record[1].audit_key)

    assert result.status is VerificationStatus.INTACT
    assert result.macs_checked
    with sqlite3.connect(record[0]) as db:
        assert result.events == db.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
    assert snapshot(protected.parent) == before


def test_tampering_is_found_on_a_write_protected_copy(
    record: tuple[Path, Keys], tmp_path: Path
) -> None:
    tampered = tmp_path / "tampered.db"
    shutil.copy(record[0], tampered)
    with closing(sqlite3.connect(tampered)) as db, db:
        db.execute(
            "UPDATE stored_events SET state = CAST(CAST(state AS TEXT) || ' ' AS BLOB) "
            "WHERE rowid = 12"
        )
    assert not tampered.with_name("tampered.db-wal").exists()  # closed: all in the file
    copy = write_protected_copy(tampered, tmp_path / "archive")
    try:
        result = runner.invoke(
            cli, ["audit", "verify", "--db", str(copy)], env=audit_key_only(record[1])
        )
    finally:
        copy.parent.chmod(0o755)

    assert result.exit_code == 1
    assert result.stderr.startswith("oneplan: position 12: modified: ")


def test_verify_reads_a_live_database_in_wal_mode_without_writing_the_file(
    record: tuple[Path, Keys], tmp_path: Path
) -> None:
    live = tmp_path / "live.db"
    shutil.copy(record[0], live)
    before = hashlib.sha256(live.read_bytes()).hexdigest()

    result = verify_read_only(f"sqlite:///{live}", audit_key=record[1].audit_key)

    assert result.status is VerificationStatus.INTACT
    assert hashlib.sha256(live.read_bytes()).hexdigest() == before


def test_a_database_that_is_not_there_or_not_oneplans_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no database at"):
        verify_read_only(f"sqlite:///{tmp_path / 'missing.db'}", audit_key=None)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE things (x)")
    with pytest.raises(StorageError, match="not a oneplan database: it has no table stored_events"):
        verify_read_only(f"sqlite:///{other}", audit_key=None)
    with pytest.raises(StorageError, match="no stored record"):
        verify_read_only("memory://", audit_key=None)


# --- PostgreSQL --------------------------------------------------------------------------


@pytest.fixture
def select_only(postgres_url: str) -> Iterator[tuple[str, Keys]]:
    """A record on PostgreSQL with every key on, and the URL of a role that may only
    SELECT from its three tables (trust authentication: no password)."""
    import psycopg

    keys = Keys.generate()
    with OnePlan.open(postgres_url, keys=keys) as app:
        run_demo(app, lambda _: None)
    schema = postgres_url.split("schema=")[1]
    role = f"oneplan_auditor_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        for table in ("oneplan_events", "oneplan_audit_chain", "oneplan_audit_meta"):
            conn.execute(f'GRANT SELECT ON "{schema}"."{table}" TO "{role}"')
    base, _, database = POSTGRES_URL.rpartition("/")
    host = base.rpartition("@")[2]
    try:
        yield f"postgresql://{role}@{host}/{database}?schema={schema}", keys
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


@pytest.mark.postgres
def test_verify_on_postgresql_with_a_select_only_role_and_the_audit_key_alone(
    select_only: tuple[str, Keys],
) -> None:
    import psycopg

    url, keys = select_only
    schema = url.split("schema=")[1]
    with (
        psycopg.connect(url.split("?")[0]) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(f'DELETE FROM "{schema}".oneplan_audit_meta')

    result = verify_read_only(url, audit_key=keys.audit_key)
    cli_result = runner.invoke(cli, ["audit", "verify", "--db", url], env=audit_key_only(keys))

    assert result.status is VerificationStatus.INTACT
    assert result.events > 50
    assert cli_result.exit_code == 0, cli_result.stderr
    assert cli_result.stdout.startswith(f"intact: {result.events} events read")


@pytest.mark.postgres
def test_tampering_is_found_on_postgresql_through_a_select_only_role(
    select_only: tuple[str, Keys], postgres_url: str
) -> None:
    import psycopg

    url, keys = select_only
    schema = url.split("schema=")[1]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(
            f"UPDATE \"{schema}\".oneplan_events SET state = state || '\\x20'::bytea "
            "WHERE notification_id = (SELECT MIN(notification_id) + 9 "
            f'FROM "{schema}".oneplan_events)'
        )

    result = verify_read_only(url, audit_key=keys.audit_key)

    assert result.status is VerificationStatus.BROKEN
    assert result.finding is not None
    assert result.finding.breach == "modified"
