"""``oneplan staff`` end to end on a fresh SQLite file, as a municipality adopts the staff
directory: the first administrator by configuration (bootstrap), staff registered by
the administrator from the day they really started, authority under a law delegated by
a manager of their sector, roles granted and revoked, a member leaving; each refusal
one line naming the trust rule."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import orjson
from typer.testing import CliRunner

from oneplan import Law, OnePlan, Principal
from oneplan.cli import app as cli

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        cli,
        list(args),
        env={"ONEPLAN_PRINCIPAL": None, "ONEPLAN_DATABASE_URL": None, "COLUMNS": "200"},
    )
    return result.exit_code, result.stdout, result.stderr


def test_bootstrap_register_delegate_and_list_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "municipality.db"
    db = ("--db", str(path))
    admin, manager = ("--as", "staff:ida.t"), ("--as", "staff:leder.social")

    code, out, err = run(
        "staff", "bootstrap", "--id", "ida.t", "--name", "Ida Thorsen", "--sector", "social",
        "--email", "ida.t@kommune.dk", "--effective-at", "2020-01-01T08:00+01:00", *db,
    )  # fmt: skip
    assert code == 0, err
    assert "begins with administrator ida.t" in out
    assert path.exists()

    code, out, err = run(
        "staff", "register", "leder.social", "--name", "Leder, social", "--sector", "social",
        "--role", "manager", "--effective-at", "2020-01-01T09:00+01:00", *db, *admin,
    )  # fmt: skip
    assert code == 0, err
    code, out, err = run(
        "staff", "register", "lars.s", "--name", "Lars Skov", "--sector", "social",
        "--title", "socialrådgiver", "--phone", "72 36 00 00",
        "--effective-at", "2021-03-01T09:00+01:00", *db, *admin,
    )  # fmt: skip
    assert code == 0, err
    assert out == "registered lars.s (social) as caseworker\n"

    code, out, err = run(
        "staff", "delegate", "lars.s", "--law", "SEL", "--basis", "Delegationsplan 2021, pkt. 4",
        "--from", "2021-03-01", "--effective-at", "2021-03-01T10:00+01:00", *db, *manager,
    )  # fmt: skip
    assert code == 0, err
    delegation = UUID(out.strip())  # the delegation's id alone on stdout
    assert "authority under SEL delegated to lars.s from 2021-03-01" in err
    assert "note:" not in err  # it took effect on the day it began

    code, out, err = run("staff", "list", *db, "--as", "staff:lars.s", "--format", "json")
    assert code == 0, err
    listed = orjson.loads(out)
    assert [m["staff_id"] for m in listed] == ["ida.t", "leder.social", "lars.s"]
    lars = listed[2]
    assert (lars["name"], lars["sector"], lars["title"]) == (
        "Lars Skov",
        "social",
        "socialrådgiver",
    )
    assert lars["registered_at"] == "2021-03-01T09:00:00+01:00"
    assert (lars["roles_now"], lars["authorities_now"]) == (["caseworker"], ["SEL"])
    [held] = lars["delegations"]
    assert held["delegation_id"] == str(delegation)
    assert (held["law"], held["delegated_by"], held["period"]["start"]) == (
        "SEL",
        "leder.social",
        "2021-03-01",
    )
    assert listed[0]["roles_now"] == ["administrator", "caseworker"]
    with OnePlan.open(f"sqlite:///{path}") as app:  # the authority holds from its real start
        member = app.as_(Principal.system("tests")).staff_member("lars.s")
        assert member.authorities_at(datetime(2021, 6, 1, tzinfo=UTC)) == (Law.SEL,)
        assert member.authorities_at(datetime(2021, 2, 1, tzinfo=UTC)) == ()

    code, out, _ = run("staff", "show", "lars.s", *db, *admin)
    assert code == 0
    assert "lars.s: Lars Skov (social)" in out
    assert str(delegation) in out

    code, out, err = run("staff", "grant-role", "lars.s", "records-officer", *db, *admin)
    assert (code, out) == (0, "lars.s holds the role records-officer\n"), err
    code, out, err = run(
        "staff", "revoke-role", "lars.s", "records-officer", "--reason", "moved on", *db, *admin
    )
    assert (code, out) == (0, "lars.s no longer holds the role records-officer\n"), err
    code, out, err = run(
        "staff", "revoke-delegation", "lars.s", str(delegation), "--reason", "new plan",
        *db, *manager,
    )  # fmt: skip
    assert code == 0, err
    code, out, err = run("staff", "leave", "lars.s", "--reason", "moved on", *db, *admin)
    assert code == 0, err
    code, out, _ = run("staff", "show", "lars.s", *db, *admin, "--format", "json")
    shown = orjson.loads(out)
    assert (shown["active"], shown["authorities_now"]) == (False, [])
    assert shown["delegations"][0]["revoked_at"] is not None
    assert [r["revoked_at"] is not None for r in shown["roles"]] == [False, True]


def test_the_directory_is_kept_by_its_administrator_and_authority_delegated_by_a_manager(
    tmp_path: Path,
) -> None:
    db = ("--db", str(tmp_path / "municipality.db"))
    assert (
        run("staff", "bootstrap", "--id", "ida.t", "--name", "Ida", "--sector", "social", *db)[0]
        == 0
    )
    for staff_id, sector, role in (
        ("leder.health", "health", "manager"),
        ("lars.s", "social", "caseworker"),
    ):
        code, _, err = run(
            "staff", "register", staff_id, "--name", staff_id, "--sector", sector,
            "--role", role, *db, "--as", "staff:ida.t",
        )  # fmt: skip
        assert code == 0, err

    refusals = [
        (
            ("staff", "bootstrap", "--id", "eve", "--name", "Eve", "--sector", "social"),
            "oneplan: the staff directory exists already: an administrator registers staff\n",
        ),
        (
            ("staff", "register", "eve", "--name", "Eve", "--sector", "social"),
            "oneplan: give --as (or ONEPLAN_PRINCIPAL): who is asking\n",
        ),
        (
            (
                "staff",
                "register",
                "eve",
                "--name",
                "Eve",
                "--sector",
                "social",
                "--as",
                "staff:lars.s",
            ),
            "oneplan: staff:lars.s may not: RegisterStaff needs the role administrator "
            "(role_held)\n",
        ),
        (
            ("staff", "delegate", "lars.s", "--law", "SEL", "--basis", "x", "--as", "staff:lars.s"),
            "oneplan: staff:lars.s may not: delegate authority to lars.s: only a manager of "
            "the social sector delegates (delegation_by_a_manager_of_the_sector)\n",
        ),
        (
            (
                "staff",
                "delegate",
                "lars.s",
                "--law",
                "SEL",
                "--basis",
                "x",
                "--as",
                "staff:leder.health",
            ),
            "oneplan: staff:leder.health may not: delegate authority to lars.s: only a "
            "manager of the social sector delegates (delegation_by_a_manager_of_the_sector)\n",
        ),
        (
            ("staff", "grant-role", "lars.s", "manager", "--as", "staff:nobody"),
            "oneplan: staff member nobody is not in the staff directory\n",
        ),
        (
            ("staff", "leave", "lars.s", "--reason", "x", "--as", "auditor:rev-7"),
            "oneplan: --as 'auditor:rev-7': auditors read only, and this command writes\n",
        ),
        (
            (
                "staff",
                "delegate",
                "lars.s",
                "--law",
                "SEL",
                "--basis",
                "x",
                "--from",
                "2026-05-01",
                "--until",
                "2026-04-01",
                "--as",
                "staff:ida.t",
            ),
            "period ends before it starts",
        ),
        (
            (
                "staff",
                "register",
                "lars.s",
                "--name",
                "L",
                "--sector",
                "social",
                "--as",
                "staff:ida.t",
            ),
            "oneplan: invalid RegisterStaff: staff_id: is already registered\n",
        ),
    ]
    for args, message in refusals:
        code, out, err = run(*args, *db)
        assert code == 1, (args, out, err)
        assert out == ""
        assert err.startswith("oneplan: ")
        assert message in err
        assert len(err.strip().splitlines()) == 1


def test_a_read_of_staff_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    db = ("--db", str(tmp_path / "municipality.db"))
    run("staff", "bootstrap", "--id", "ida.t", "--name", "Ida", "--sector", "social", *db)

    code, out, err = run("staff", "show", "nobody", *db, "--as", "staff:ida.t")

    assert (code, out) == (1, "")
    assert err == "oneplan: staff member nobody is not in the staff directory\n"
