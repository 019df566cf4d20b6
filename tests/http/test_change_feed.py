"""A sector's system follows what it may see: the change feed, in the library and over
HTTP, filtered exactly like the sector view, logged like it, resumable and complete."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

import pytest

from oneplan import (
    ActorKind,
    ConsentGiver,
    DisclosureRefused,
    InvalidInput,
    Keys,
    OnePlan,
    Period,
    Principal,
)
from tests.builders import ANNE, LARS, SOFIE, acting, at
from tests.conftest import FixedClock
from tests.http.conftest import Service
from tests.http.story import case, send


def _items_of_view(view: Any) -> dict[tuple[str, str], Any]:
    return {(kind, item_id): shown for kind, item_id, shown in view.shown()}


def _follow(pages: list[Any]) -> dict[tuple[str, str], Any]:
    """What a consumer holds of one plan after applying the changes, in order."""
    held: dict[tuple[str, str], Any] = {}
    for page in pages:
        for change in page.changes:
            if change.resync:
                held = {}
            for key in change.removed:
                held.pop(key, None)
            for item in change.shown:
                held[(item.kind, item.item_id)] = item.shown
    return held


@pytest.fixture
def app() -> OnePlan:
    return OnePlan.open("memory://", clock=FixedClock(at(2026, 3, 1)), keys=Keys.generate())


def _course(app: OnePlan) -> tuple[Any, Any, Any]:
    anne = acting(app, ANNE)
    citizen = anne.register_citizen(name="Mette", birth_date=date(1984, 5, 2))
    consent = anne.grant_consent(
        citizen_id=citizen,
        recipient_sectors=["employment", "social"],
        categories=["goals", "interventions", "contact-details"],
        purpose="one coordinated plan",
        period=Period(start=date(2026, 1, 1)),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        given_how="in-meeting",
    )
    plan = anne.open_plan(
        citizen_ids=[citizen], consent_ids=[consent], legal_bases=["LAB § 30 b"], coordinator="anne"
    )
    return citizen, consent, plan


def test_a_consumer_following_the_feed_holds_exactly_the_sector_view(app: OnePlan) -> None:
    citizen, _, plan = _course(app)
    anne, lars, sofie = acting(app, ANNE), acting(app, LARS), acting(app, SOFIE)
    anne.set_goal(plan_id=plan, description="take the bus alone")
    anne.propose_intervention(
        plan_id=plan,
        citizen_id=citizen,
        sector="health",
        legal_basis="SUL § 140",
        title="Physiotherapy",
        responsible="sofie",
        planned_period=Period(start=date(2026, 2, 1)),
    )
    contact = anne.propose_intervention(
        plan_id=plan,
        citizen_id=citizen,
        sector="social",
        legal_basis="SEL § 85",
        title="Contact person",
        responsible="lars",
        planned_period=Period(start=date(2026, 2, 1)),
    )
    lars.grant_intervention(intervention_id=contact)

    pages = [lars.changes(limit=2)]
    while pages[-1].changes:
        pages.append(lars.changes(after=pages[-1].cursor, limit=2))
    view = lars.sector_view(plan)
    health_view = sofie.sector_view(plan)

    assert _follow(pages) == _items_of_view(view)
    assert ("withheld-intervention", str(contact)) not in _follow(pages)
    # health has no consent: it sees its own intervention only, in the view and the feed
    assert _follow([sofie.changes(limit=1000)]) == _items_of_view(health_view)
    assert [kind for kind, _ in _items_of_view(health_view)] == ["intervention"]


def test_revocation_stops_the_feeds_disclosure_at_once_whatever_the_cursor(app: OnePlan) -> None:
    citizen, consent, plan = _course(app)
    anne, lars = acting(app, ANNE), acting(app, LARS)
    goal = anne.set_goal(plan_id=plan, description="take the bus alone")
    before = lars.changes()
    assert ("goal", str(goal)) in _follow([before])

    anne.revoke_consent(
        citizen_id=citizen, consent_id=consent, sectors=["social"], given_how="in-meeting"
    )
    anne.set_goal(plan_id=plan, description="a second goal")
    after = lars.changes(after=before.cursor)
    replayed = lars.changes()

    assert [c.event for c in after.changes] == ["Citizen.ConsentRevoked"]
    assert after.changes[0].resync
    assert after.changes[0].shown == ()
    assert _follow([replayed]) == {}


def test_every_page_that_shows_something_is_in_the_citizens_access_log(app: OnePlan) -> None:
    citizen, _, plan = _course(app)
    acting(app, ANNE).set_goal(plan_id=plan, description="take the bus alone")
    lars = acting(app, LARS)

    page = lars.changes()
    empty = lars.changes(after=page.cursor)
    log = app.as_(Principal.citizen(citizen)).access_log(citizen)

    reads = [e for e in log.entries if e.reader.id == "lars"]
    assert empty.changes == ()
    assert len(reads) == 1
    assert {(i.kind, i.item_id) for i in reads[0].items} == {
        (item.kind, item.item_id) for change in page.changes for item in change.shown
    }


def test_only_staff_read_the_feed_as_their_own_sector(app: OnePlan) -> None:
    citizen, _, _ = _course(app)
    lars = acting(app, LARS)

    with pytest.raises(DisclosureRefused):
        app.as_(Principal.citizen(citizen)).changes()
    with pytest.raises(InvalidInput):
        lars.changes(sector="health")
    with pytest.raises(InvalidInput):
        lars.changes(after=-1)


def test_a_long_poll_answers_when_a_change_is_committed(app: OnePlan) -> None:
    _, _, plan = _course(app)
    lars = acting(app, LARS)
    start = lars.changes().cursor
    timer = threading.Timer(
        0.3, lambda: acting(app, ANNE).set_goal(plan_id=plan, description="later")
    )

    began = time.monotonic()
    timer.start()
    page = lars.changes(after=start, wait=10)
    waited = time.monotonic() - began
    timer.join()

    assert [c.event for c in page.changes] == ["Plan.GoalSet"]
    assert 0.25 < waited < 5


def test_the_feed_over_http_long_polls_resumes_and_is_filtered(service: Service) -> None:
    with service.client("anne.t") as anne, service.client("social.system") as social:
        start = social.get("/feed", params={"sector": "social"}).json()["cursor"]
        ids = case(anne)
        first = social.get("/feed", params={"sector": "social", "after": start}).json()
        health = service.client("health.system").get("/feed", params={"after": start}).json()

        def later() -> None:
            time.sleep(0.3)
            send(anne, "set-goal", plan_id=ids["plan"], description="take the bus alone")

        writer = threading.Thread(target=later)
        writer.start()
        began = time.monotonic()
        polled = social.get(
            "/feed", params={"sector": "social", "after": first["cursor"], "wait": 10}
        ).json()
        waited = time.monotonic() - began
        writer.join()
        view = social.get(f"/plans/{ids['plan']}/sector-view").json()

    assert [c["event"] for c in first["changes"]] == ["Plan.CoordinatorAssigned"]
    assert health["changes"] == []  # (no consent to health, nothing of its own)
    assert [c["event"] for c in polled["changes"]] == ["Plan.GoalSet"]
    assert waited < 5
    [shown] = polled["changes"][0]["shown"]
    assert shown["item"] == view["goals"][0]["item"]
    assert shown["allowed_by"] == view["goals"][0]["allowed_by"]
