"""A sector view's progress notes a page at a time, on every storage: the most recent the
sector may see (50 unless told), older ones by cursor, chosen after consent filtering;
the access log names exactly the notes shown."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

import pytest

from oneplan import (
    AchievementStatus,
    ActorKind,
    ConsentGiver,
    InformationCategory,
    OnePlan,
    Period,
    Sector,
    SectorView,
)
from oneplan.errors import InvalidInput
from oneplan.projections.sector_view import NOTES_LIMIT, NoteCursor
from oneplan.values import DisclosureBasis as Basis
from tests.builders import ANNE, LARS, acting, at, auditing, open_plan

C = InformationCategory


def _notes(app: OnePlan, plan: UUID, times: list[tuple[UUID, datetime]]) -> None:
    for k, (goal, when) in enumerate(times):
        acting(app, ANNE).record_goal_progress(
            plan_id=plan,
            goal_id=goal,
            achievement=AchievementStatus.IMPROVING,
            note=f"note {k}",
            effective_at=when,
        )


def _two_goals(app: OnePlan, plan: UUID) -> tuple[UUID, UUID]:
    anne = acting(app, ANNE)
    work = anne.set_goal(plan_id=plan, description="in work", effective_at=at(2026, 2, 2))
    bus = anne.set_goal(plan_id=plan, description="the bus alone", effective_at=at(2026, 2, 2))
    return work, bus


def _texts(view: SectorView) -> list[str]:
    return [n.item.note.note for n in view.notes]


def _pages(app: OnePlan, plan: UUID, limit: int) -> list[SectorView]:
    pages = [acting(app, ANNE).sector_view(plan, notes_limit=limit)]
    while pages[-1].older_notes is not None:
        before = pages[-1].older_notes
        pages.append(acting(app, ANNE).sector_view(plan, notes_limit=limit, notes_before=before))
    return pages


def test_a_page_is_the_most_recent_notes_by_their_time_in_the_views_order(app: OnePlan) -> None:
    plan, _ = open_plan(app)
    work, bus = _two_goals(app, plan)
    start = at(2026, 3, 1)
    # notes 0..5, alternating goals, a day apart; note 6 backdated between notes 1 and 2
    times = [(work if k % 2 == 0 else bus, start + timedelta(days=k)) for k in range(6)]
    _notes(app, plan, [*times, (bus, start + timedelta(days=1, hours=12))])

    view = acting(app, ANNE).sector_view(plan, notes_limit=3)

    # the 3 most recent: notes 3, 4, 5; shown goal by goal, each goal's in recorded order
    assert _texts(view) == ["note 4", "note 3", "note 5"]
    assert [n.item.goal_id for n in view.notes] == [work, bus, bus]
    cursor = NoteCursor.parse(view.older_notes or "")
    assert (cursor.goal_id, cursor.index) == (str(bus), 1)  # note 3: bus's second note
    older = acting(app, ANNE).sector_view(plan, notes_limit=3, notes_before=view.older_notes)
    assert _texts(older) == ["note 2", "note 1", "note 6"]  # note 6: between 1 and 2
    oldest = acting(app, ANNE).sector_view(plan, notes_limit=3, notes_before=older.older_notes)
    assert _texts(oldest) == ["note 0"]
    assert oldest.older_notes is None


def test_paging_shows_every_note_once_and_the_full_view_is_the_pages_together(
    app: OnePlan,
) -> None:
    plan, _ = open_plan(app)
    work, bus = _two_goals(app, plan)
    start = at(2026, 3, 1)
    _notes(app, plan, [(work if k % 3 else bus, start + timedelta(hours=k)) for k in range(11)])

    pages = _pages(app, plan, 4)
    every = acting(app, ANNE).sector_view(plan, notes_limit=None)

    assert [len(p.notes) for p in pages] == [4, 4, 3]
    assert every.older_notes is None
    shown = [(n.item.goal_id, n.item.index) for p in pages for n in p.notes]
    assert sorted(shown) == sorted((n.item.goal_id, n.item.index) for n in every.notes)
    assert len(set(shown)) == 11
    # what is not a note is the same on every page
    assert {(p.goals, p.interventions, p.meetings, p.wishes) for p in pages} == {
        (every.goals, every.interventions, every.meetings, every.wishes)
    }


def test_by_default_a_read_shows_the_50_most_recent_notes(app: OnePlan) -> None:
    plan, _ = open_plan(app)
    work, _ = _two_goals(app, plan)
    start = at(2026, 3, 1)
    _notes(app, plan, [(work, start + timedelta(hours=k)) for k in range(NOTES_LIMIT + 3)])

    view = acting(app, ANNE).sector_view(plan)

    assert NOTES_LIMIT == 50
    assert [n.item.index for n in view.notes] == list(range(3, NOTES_LIMIT + 3))
    assert view.older_notes is not None
    rest = acting(app, ANNE).sector_view(plan, notes_before=view.older_notes)
    assert [n.item.index for n in rest.notes] == [0, 1, 2]
    assert rest.older_notes is None


def test_the_access_log_names_exactly_the_notes_shown(app: OnePlan) -> None:
    plan, citizen = open_plan(app)
    work, bus = _two_goals(app, plan)
    start = at(2026, 3, 1)
    _notes(app, plan, [(work if k % 2 else bus, start + timedelta(days=k)) for k in range(7)])

    pages = _pages(app, plan, 3)

    entries = auditing(app).access_log(citizen).entries[-len(pages) :]
    for page, entry in zip(pages, entries, strict=True):
        assert entry.items == page.items()
        logged = {i.item_id for i in entry.items if i.kind == "progress-note"}
        assert logged == {f"{n.item.goal_id}/{n.item.index}" for n in page.notes}
    assert sum(len(p.notes) for p in pages) == 7


def test_a_sector_that_sees_only_its_own_notes_pages_through_them_alone(app: OnePlan) -> None:
    """No consent covers progress notes: each sector sees the notes it wrote itself,
    and neither a page, its size nor its cursor tells of the others'."""
    anne, _ = acting(app, ANNE), acting(app, LARS)  # (both in the staff directory)
    when = at(2026, 1, 12)
    citizen = anne.register_citizen(name="Mette", birth_date=date(1984, 5, 2), effective_at=when)
    consent = anne.grant_consent(
        given_how="in-meeting",
        citizen_id=citizen,
        recipient_sectors=[Sector.EMPLOYMENT, Sector.SOCIAL],
        categories=[C.GOALS],
        purpose="one coordinated plan",
        period=Period(start=when.date(), end=date(2028, 12, 31)),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        effective_at=when,
    )
    plan = anne.open_plan(
        citizen_ids=[citizen],
        consent_ids=[consent],
        legal_bases=["LAB § 30 b"],
        coordinator=ANNE,
        effective_at=at(2026, 1, 14),
    )
    anne.add_participant(plan_id=plan, participant=LARS, effective_at=at(2026, 1, 15))
    goal = anne.set_goal(plan_id=plan, description="in work", effective_at=at(2026, 2, 2))
    start = at(2026, 3, 1)
    # Lars writes notes 0 and 1, then Anne 2..9 (newer than both of his)
    for k in range(10):
        acting(app, LARS if k < 2 else ANNE).record_goal_progress(
            plan_id=plan,
            goal_id=goal,
            achievement=AchievementStatus.IMPROVING,
            note=f"note {k}",
            effective_at=start + timedelta(days=k),
        )

    first = acting(app, LARS).sector_view(plan, notes_limit=1)
    second = acting(app, LARS).sector_view(plan, notes_limit=1, notes_before=first.older_notes)
    both = acting(app, LARS).sector_view(plan, notes_limit=2)
    annes = acting(app, ANNE).sector_view(plan, notes_limit=8)

    assert _texts(first) == ["note 1"]
    assert _texts(second) == ["note 0"]
    assert second.older_notes is None
    assert _texts(both) == ["note 0", "note 1"]
    assert both.older_notes is None  # Anne's notes are neither shown nor hinted at
    assert {n.allowed_by.basis for n in both.notes} == {Basis.OWN_SECTOR}
    assert _texts(annes) == [f"note {k}" for k in range(2, 10)]
    assert annes.older_notes is None


def test_a_page_as_of_a_past_time_is_of_the_notes_recorded_by_then(
    app: OnePlan,
) -> None:
    plan, _ = open_plan(app)
    work, _ = _two_goals(app, plan)
    _notes(app, plan, [(work, at(2026, 3, 1) + timedelta(days=k)) for k in range(5)])
    then = acting(app, ANNE).sector_view(plan, notes_limit=None).notes[2]
    as_of = auditing(app).record.history(plan)[-3].timestamp  # after note 2 was recorded

    view = acting(app, ANNE).sector_view(plan, as_of=as_of, notes_limit=2)
    older = acting(app, ANNE).sector_view(
        plan, as_of=as_of, notes_limit=2, notes_before=view.older_notes
    )

    assert _texts(view) == ["note 1", "note 2"]
    assert view.notes[-1] == then
    assert _texts(older) == ["note 0"]
    assert older.older_notes is None


@pytest.mark.parametrize(
    ("limit", "before", "field"),
    [
        (0, None, "notes_limit"),
        (-1, None, "notes_limit"),
        (None, "last tuesday", "notes_before"),
        (5, "20260301T100000.000000Z~not-a-goal~1", "notes_before"),
        (5, f"20261399T100000.000000Z~{UUID(int=1)}~1", "notes_before"),
    ],
)
def test_a_bad_limit_or_cursor_is_refused_naming_it_and_nothing_is_logged(
    app: OnePlan, limit: int | None, before: str | None, field: str
) -> None:
    plan, _ = open_plan(app)
    head = app.recorder.max_notification_id()

    with pytest.raises(InvalidInput) as refused:
        acting(app, ANNE).sector_view(plan, notes_limit=limit, notes_before=before)

    assert refused.value.command == "ReadSectorView"
    assert [e["loc"] for e in refused.value.errors] == [(field,)]
    assert app.recorder.max_notification_id() == head
