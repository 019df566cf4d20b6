"""Derived data verified against the log (rule 16): each tampering an independent tester
made with SQL on a view row, the views' tracking position, the CPR index or the key
store, on a SQLite file and a PostgreSQL schema, is named by ``verify_views`` (and the
CLI's ``oneplan audit verify --views``) as the first difference; an untampered record
verifies intact after the demo, after an erasure and after a rebuild; a tracking
position beyond the log is refused when the views start."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import orjson
import pytest

from oneplan import Keys, OnePlan, Principal, Sector, ViewsAheadOfLog
from oneplan.audit import Check, VerificationStatus, ViewsVerification, verify_views
from oneplan.demo import run_demo
from oneplan.projections import CitizenState, CitizenView, JourneyView, PlanView
from tests.builders import ANNE, acting, officer, system
from tests.conftest import FixedClock
from tests.integration.test_privacy import AFTER_RETENTION, archive, case_file

MINE, OTHERS = "0101901234", "0202851234"
"""Two CPR numbers registered on top of the demo."""


@dataclass
class Database:
    url: str
    run: Callable[..., list[tuple[object, ...]]]
    """SQL with ``?`` placeholders, on the record's own database (and schema)."""
    prefix: str

    def table(self, name: str) -> str:
        return self.prefix + name


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    url = str(request.getfixturevalue(f"{request.param}_url"))
    if request.param == "sqlite":
        path = url.removeprefix("sqlite:///")

        def run_sqlite(statement: str, *params: object) -> list[tuple[object, ...]]:
            with sqlite3.connect(path) as db:
                return db.execute(statement, params).fetchall()

        yield Database(url, run_sqlite, "")
        return
    import psycopg

    schema = parse_qs(urlsplit(url).query)["schema"][0]
    base = url.split("?")[0]

    def run_postgres(statement: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(base, autocommit=True) as db:
            cursor = db.execute(statement.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

    yield Database(url, run_postgres, f'"{schema}".')


@dataclass
class Demo:
    db: Database
    keys: Keys
    plan: UUID
    mette: UUID
    """The demo's first citizen, in its plan."""
    mine: UUID
    others: UUID
    """Citizens registered with CPR numbers ``MINE`` and ``OTHERS``."""

    def open(self) -> OnePlan:
        return OnePlan.open(self.db.url, keys=self.keys)

    def verify(self) -> ViewsVerification:
        with self.open() as app:
            return verify_views(app)

    def row(self, view: str, key: UUID) -> Any:
        """A stored view row as JSON data, opened (rows are sealed under their subjects'
        keys); an edit written back as plain JSON is what someone without the keys can do."""
        with self.open() as app:
            return orjson.loads(app.views.store.read(view, [str(key)])[str(key)])

    def position(self) -> int:
        found = self.db.run(
            f"SELECT position FROM {self.db.table('oneplan_view_tracking')} WHERE name = 'oneplan'"
        )
        return int(found[0][0])  # type: ignore[call-overload]

    def move_position(self, position: int) -> None:
        self.db.run(
            f"UPDATE {self.db.table('oneplan_view_tracking')} SET position = ? "
            "WHERE name = 'oneplan'",
            position,
        )


@pytest.fixture
def demo(database: Database) -> Demo:
    """The demo's record, two citizens registered with CPR numbers, the views caught up."""
    keys = Keys.generate()
    with OnePlan.open(database.url, keys=keys) as app:
        plan = run_demo(app, say=lambda _: None)
        mine = acting(app, ANNE).register_citizen(name="Cpr Canary", cpr=MINE)
        others = acting(app, ANNE).register_citizen(name="Other Canary", cpr=OTHERS)
        app.views.catch_up()
        mette = app.views.get(PlanView.name, plan).citizen_ids[0]
    return Demo(database, keys, plan, mette, mine, others)


def difference(result: ViewsVerification) -> tuple[Check, str, str, str]:
    assert result.status is VerificationStatus.BROKEN, result.summary()
    assert result.difference is not None
    found = result.difference
    return found.check, found.view, found.key, found.detail


# --- clean records -------------------------------------------------------------------


def test_an_untampered_record_verifies_intact_after_the_demo(demo: Demo) -> None:
    result = demo.verify()

    assert result.status is VerificationStatus.INTACT, result.summary()
    assert (result.position, result.head) == (demo.position(), result.head)
    assert result.rows > 50
    assert result.cpr_entries == 2
    assert result.data_keys >= 6
    assert result.differences == {}
    assert result.summary().startswith(f"views intact: {result.rows} rows match the log")


def test_an_untampered_record_verifies_intact_after_a_rebuild(demo: Demo) -> None:
    with demo.open() as app:
        app.views.rebuild()

    assert demo.verify().intact


def test_views_behind_the_log_verify_intact_up_to_their_position(demo: Demo) -> None:
    with demo.open() as app:
        acting(app, ANNE).register_citizen(name="Not Folded Yet", birth_date="1990-01-01")
        result = verify_views(app)

    assert result.intact, result.summary()
    assert result.head == result.position + 1
    assert "1 events of the log not folded yet" in result.summary()


def test_an_untampered_record_verifies_intact_after_an_erasure(
    database: Database, clock: FixedClock
) -> None:
    keys = Keys.generate()
    with OnePlan.open(database.url, clock=clock, keys=keys) as app:
        erased, plan = case_file(app)
        _kept, other_plan = case_file(app, name="Other Person", cpr=OTHERS, note="other")
        archive(app, plan)
        archive(app, other_plan)
        clock.now = AFTER_RETENTION
        officer(app).erase_citizen(citizen_id=erased)

        result = verify_views(app)

    assert result.status is VerificationStatus.INTACT, result.summary()
    assert result.cpr_entries == 1  # the erased citizen's hash went with their keys
    assert result.data_keys == 6


def test_a_record_in_memory_verifies_intact(clock: FixedClock) -> None:
    with OnePlan.open("memory://", clock=clock, keys=Keys.generate()) as app:
        run_demo(app, say=lambda _: None)
        app.views.catch_up()

        assert verify_views(app).intact


# --- the tester's tamperings ---------------------------------------------------------


def test_a_citizen_view_row_edited_to_add_housing_to_a_consent_is_named(demo: Demo) -> None:
    citizen_table = demo.db.table(f"oneplan_view_{CitizenView.name}")
    row = demo.row(CitizenView.name, demo.mette)
    consent = next(iter(row["consents"]))
    row["consents"][consent]["recipient_sectors"].append("housing")
    demo.db.run(
        f"UPDATE {citizen_table} SET state = ? WHERE key = ?", orjson.dumps(row), str(demo.mette)
    )
    with demo.open() as app:  # the harm: the housing sector is now covered
        state: CitizenState = app.views.get(CitizenView.name, demo.mette)
        assert Sector.HOUSING in state.consents[UUID(consent)].recipient_sectors

    assert difference(demo.verify()) == (
        Check.ROW,
        "citizen",
        str(demo.mette),
        f"consents[{consent}].recipient_sectors: stored holds housing, the log does not",
    )


def test_a_tracking_position_moved_forward_past_a_revocation_is_named(demo: Demo) -> None:
    with demo.open() as app:
        consent = next(iter(app.views.get(CitizenView.name, demo.mette).consents))
        app.as_(Principal.citizen(demo.mette)).revoke_consent(
            citizen_id=demo.mette, consent_id=consent, sectors=[Sector.SOCIAL], reason="done"
        )
        head = int(app.recorder.max_notification_id())
    demo.move_position(head)  # the revocation is never folded
    with demo.open() as app:  # the harm: the citizen's row still lets social services in
        state: CitizenState = app.views.get(CitizenView.name, demo.mette)
        assert Sector.SOCIAL in state.consents[consent].recipient_sectors

    check, view, key, detail = difference(demo.verify())

    assert (check, view, key) == (Check.ROW, "citizen", str(demo.mette))
    assert detail == (
        f"consents[{consent}].recipient_sectors: stored holds social, the log does not"
    )


def test_a_tracking_position_moved_back_to_0_is_named_before_and_after_a_catch_up(
    demo: Demo,
) -> None:
    with demo.open() as app:
        journey_rows = len(app.views.keys(JourneyView.name))
    demo.move_position(0)

    check, view, _, detail = difference(demo.verify())
    assert (check, view) == (Check.ROW, "route")
    assert detail == "stored, but the log does not make this row (up to the tracked position)"

    with demo.open() as app:
        app.views.catch_up()  # every event folded a second time over the rows
    result = demo.verify()
    assert result.status is VerificationStatus.BROKEN
    assert result.differences[JourneyView.name] == journey_rows  # every journey doubled


def test_a_tracking_position_beyond_the_log_is_refused_at_start_and_named(demo: Demo) -> None:
    head = demo.position()
    demo.move_position(head + 5)

    with demo.open() as app, pytest.raises(ViewsAheadOfLog) as refused:
        app.views.catch_up()
    assert (refused.value.position, refused.value.head) == (head + 5, head)
    assert difference(demo.verify())[:3] == (Check.POSITION, "tracking", str(head + 5))

    with demo.open() as app:
        app.views.rebuild()  # the way out: fold the log again
    assert demo.verify().intact


def test_a_cpr_index_row_pointed_at_another_citizen_is_named(demo: Demo) -> None:
    demo.db.run(
        f"UPDATE {demo.db.table('oneplan_cpr_index')} SET citizen_id = ? WHERE citizen_id = ?",
        str(demo.others),
        str(demo.mine),
    )
    with demo.open() as app:  # the harm: the lookup finds the wrong person
        assert system(app).citizen_by_cpr(MINE) == demo.others

    assert difference(demo.verify()) == (
        Check.CPR_INDEX,
        "cpr_index",
        str(demo.mine),
        f"the index points the citizen's CPR number at citizen {demo.others}",
    )


def test_a_cpr_index_row_deleted_is_named(demo: Demo) -> None:
    demo.db.run(
        f"DELETE FROM {demo.db.table('oneplan_cpr_index')} WHERE citizen_id = ?", str(demo.mine)
    )

    check, view, key, _ = difference(demo.verify())

    assert (check, view, key) == (Check.CPR_INDEX, "cpr_index", str(demo.mine))


def test_keys_set_to_null_without_an_erased_event_are_named(demo: Demo) -> None:
    demo.db.run(
        f"UPDATE {demo.db.table('oneplan_data_keys')} SET wrapped = NULL WHERE subject = ?",
        str(demo.mine),
    )

    result = demo.verify()
    check, view, key, detail = difference(result)

    assert (check, view, key) == (Check.DATA_KEY, "data_keys", str(demo.mine))
    assert detail.endswith(
        f"is destroyed, but the log records no erasure of {demo.mine} (Citizen.Erased)"
    )
    assert result.differences["data_keys"] == 1
    assert result.differences["citizen"] == 1  # the fold now reads them as erased


def test_a_data_key_deleted_is_named(demo: Demo) -> None:
    (key_id,) = demo.db.run(
        f"SELECT key_id FROM {demo.db.table('oneplan_data_keys')} WHERE subject = ?",
        str(demo.mine),
    )[0]
    demo.db.run(f"DELETE FROM {demo.db.table('oneplan_data_keys')} WHERE key_id = ?", key_id)

    check, view, key, detail = difference(demo.verify())

    assert (check, view, key) == (Check.DATA_KEY, "data_keys", key_id)
    assert detail.endswith(
        f"data key {key_id}, which is not in the key store: destroyed "
        "without an erasure recorded in the log"
    )


def test_a_view_row_deleted_is_named(demo: Demo) -> None:
    plans = demo.db.table(f"oneplan_view_{PlanView.name}")
    demo.db.run(f"DELETE FROM {plans} WHERE key = ?", str(demo.plan))

    assert difference(demo.verify()) == (
        Check.ROW,
        "plan",
        str(demo.plan),
        "the log makes this row; it is not stored",
    )


def test_a_view_row_of_junk_is_named(demo: Demo) -> None:
    plans = demo.db.table(f"oneplan_view_{PlanView.name}")
    demo.db.run(f"UPDATE {plans} SET state = ? WHERE key = ?", b"{junk", str(demo.plan))

    check, view, key, detail = difference(demo.verify())

    assert (check, view, key) == (Check.ROW, "plan", str(demo.plan))
    assert detail.startswith("the stored row cannot be read")


def test_a_report_withholds_text_that_may_be_personal(demo: Demo) -> None:
    citizen_table = demo.db.table(f"oneplan_view_{CitizenView.name}")
    row = demo.row(CitizenView.name, demo.mine)
    row["name"] = "Forged Name"
    demo.db.run(
        f"UPDATE {citizen_table} SET state = ? WHERE key = ?", orjson.dumps(row), str(demo.mine)
    )

    detail = difference(demo.verify())[3]

    assert detail == "name: stored a text, the log gives a text"
    assert "Canary" not in detail
    assert "Forged" not in detail
