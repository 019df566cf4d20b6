"""The change feed while several writers commit at once (issue 18: "nothing skipped when
writers commit concurrently"): writers in their own applications (their own connections,
as separate processes would have) set goals on their own plans while a sector's system
pages through the feed. Afterwards the follower has seen every goal exactly once, in the
order of the log, and a read of the whole feed from the start gives the same changes."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from oneplan import ActorKind, ConsentGiver, Keys, OnePlan, Period
from tests.builders import ANNE, LARS, acting

WRITERS = 4
GOALS_EACH = 12


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A database several applications open at once (not memory)."""
    return str(request.getfixturevalue(f"{request.param}_url"))


def _plan_for_a_citizen(app: OnePlan, n: int) -> UUID:
    anne = acting(app, ANNE)
    citizen = anne.register_citizen(name=f"Borger {n}", birth_date=date(1980, 1, 1 + n))
    consent = anne.grant_consent(
        citizen_id=citizen,
        recipient_sectors=["employment", "social"],
        categories=["goals", "interventions"],
        purpose="one coordinated plan",
        period=Period(start=date(2026, 1, 1)),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        given_how="in-meeting",
    )
    return anne.open_plan(
        citizen_ids=[citizen], consent_ids=[consent], legal_bases=["LAB § 30 b"], coordinator="anne"
    )


def _goals(changes: Sequence[Any]) -> list[tuple[int, UUID, str]]:
    """(position, plan, goal id) of every goal shown anew, in the order given."""
    return [
        (change.cursor, change.plan_id, item.item_id)
        for change in changes
        for item in change.shown
        if item.kind == "goal"
    ]


def test_a_follower_misses_nothing_while_writers_commit_concurrently(database_url: str) -> None:
    keys = Keys.generate()
    with OnePlan.open(database_url, keys=keys) as app:
        plans = [_plan_for_a_citizen(app, n) for n in range(WRITERS)]
        lars = acting(app, LARS)
        start = lars.changes(limit=1000).cursor  # (the plans as opened: not what is tested)
        written: dict[UUID, list[str]] = {plan: [] for plan in plans}
        errors: list[BaseException] = []
        done = threading.Event()

        def write(plan: UUID) -> None:
            try:
                with OnePlan.open(database_url, keys=keys) as own:
                    anne = acting(own, ANNE)
                    for i in range(GOALS_EACH):
                        goal = anne.set_goal(plan_id=plan, description=f"step {i}")
                        written[plan].append(str(goal))
                        time.sleep(0.01)  # (so that the follower reads between commits)
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)

        followed: list[Any] = []
        writers = [threading.Thread(target=write, args=(plan,)) for plan in plans]
        for thread in writers:
            thread.start()
        cursor, during = start, 0
        while not done.is_set():
            if not any(t.is_alive() for t in writers):
                done.set()  # (one more page after the last commit, below)
            page = lars.changes(after=cursor, limit=5)
            followed.extend(page.changes)
            cursor = page.cursor
            during += bool(page.changes) and not done.is_set()
        while (page := lars.changes(after=cursor, limit=5)).changes:
            followed.extend(page.changes)
            cursor = page.cursor
        for thread in writers:
            thread.join()

        assert not errors, errors
        assert during >= 1  # (the follower read while the writers wrote)
        whole = lars.changes(after=start, limit=1000)

    seen = _goals(followed)
    assert seen == _goals(whole.changes)  # the same changes, in the same order
    positions = [position for position, _, _ in seen]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    for plan in plans:
        assert [goal for _, p, goal in seen if p == plan] == written[plan]
    assert len(seen) == WRITERS * GOALS_EACH
