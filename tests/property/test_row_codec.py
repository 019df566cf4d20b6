"""The row codec reads trusted rows without validating them again: for any plan or
access-log state, what it reads equals the state written, equals what the validating
path reads, and writes back to the same bytes; and it writes any view's row as cattrs
would, without cattrs. (Every view's rows, from random courses: ``test_sector_views``'
``every_row_reads_back_exactly``.)"""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest
from cattrs.preconf.orjson import OrjsonConverter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneplan.aggregates.access import ItemsShown
from oneplan.projections import codec
from oneplan.projections.access_log import AccessLogState
from oneplan.projections.audit_index import AuditStreams
from oneplan.projections.caseload import CaseloadState
from oneplan.projections.citizen_view import CitizenState
from oneplan.projections.journey import JourneyState
from oneplan.projections.plan_view import GoalItem, PlanState, ProgressNote
from oneplan.values import (
    AchievementStatus,
    Actor,
    ActorKind,
    ConsentGiver,
    DisclosureBasis,
    GoalStatus,
    Law,
    LegalBasis,
    MeetingAttendee,
    Money,
    OverarchingGoal,
    OverarchingGoalKind,
    Period,
    Responsibility,
    Sector,
    SectorPlanRef,
    Target,
)

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")

ids = st.from_regex(r"\A[a-z][a-z0-9.]{0,12}\Z")
text = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=30).map(
    lambda s: " ".join(s.split())
)
days = st.dates(date(2020, 1, 1), date(2030, 12, 31))
legal_bases = st.builds(
    LegalBasis,
    law=st.sampled_from(list(Law)),
    section=st.sampled_from(["85", "30 b", "141 stk. 7", "32"]),
)
caseworkers = st.builds(
    Actor.caseworker,
    ids,
    st.sampled_from(list(Sector)),
    st.sampled_from(list(Law)),
    name=text,
)
others = st.builds(
    Actor, id=ids, kind=st.sampled_from([k for k in ActorKind if k is not ActorKind.CASEWORKER])
)
VALUES: dict[type[Any], st.SearchStrategy[Any]] = {
    LegalBasis: legal_bases,
    Actor: st.one_of(caseworkers, others),
    Money: st.decimals(0, 10**6, places=2).map(Money.dkk),
    Period: st.tuples(days, st.none() | days).map(
        lambda p: Period(start=p[0], end=None if p[1] is None else max(p))
    ),
    Target: st.builds(
        Target,
        measure=text.filter(bool),
        value=st.none() | st.decimals(0, 1000, places=1),
        unit=text,
    ),
    OverarchingGoal: st.one_of(
        st.builds(OverarchingGoal, kind=st.just(OverarchingGoalKind.FULL_SELF_SUPPORT)),
        st.builds(
            OverarchingGoal,
            kind=st.sampled_from(
                [k for k in OverarchingGoalKind if k is not OverarchingGoalKind.FULL_SELF_SUPPORT]
            ),
            hours_per_week=st.none() | st.integers(1, 37),
        ),
    ),
    SectorPlanRef: st.builds(
        SectorPlanRef, sector=st.sampled_from(list(Sector)), legal_basis=legal_bases, reference=text
    ),
    MeetingAttendee: st.builds(MeetingAttendee, id=ids, sector=st.sampled_from(list(Sector))),
    ConsentGiver: st.builds(
        ConsentGiver, kind=st.sampled_from([ActorKind.CITIZEN, ActorKind.GUARDIAN]), name=text
    ),
    Responsibility: st.builds(Responsibility, caseworker=caseworkers),
    ItemsShown: st.builds(
        ItemsShown,
        kind=st.sampled_from(["goal", "progress-note", "intervention"]),
        item_ids=st.lists(ids, max_size=3).map(tuple),
        basis=st.sampled_from(list(DisclosureBasis)),
        consent_ids=st.lists(st.uuids(), max_size=2).map(tuple),
        legal_basis=st.none() | legal_bases,
    ),
    datetime: st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)),
    Decimal: st.decimals(-(10**6), 10**6, places=2),
    int: st.integers(0, 10**6),
}


def states(cls: type[Any]) -> st.SearchStrategy[Any]:
    for kind, strategy in VALUES.items():
        st.register_type_strategy(kind, strategy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return st.from_type(cls)


def _round_trips(state: Any) -> None:
    raw = codec.dumps(state)
    assert raw == cattrs_dumps(state)
    read = codec.loads(raw, type(state))
    assert read == state
    assert read == codec.loads_validated(raw, type(state))
    assert codec.dumps(read) == raw


def cattrs_dumps(state: Any) -> bytes:
    """The row's bytes as cattrs unstructures it and orjson writes that (what
    ``codec.dumps`` writes without cattrs)."""
    return OrjsonConverter.dumps(codec, state)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
@pytest.mark.parametrize("state_type", [CitizenState, CaseloadState, JourneyState, AuditStreams])
def test_any_row_is_written_as_cattrs_writes_it(state_type: type[Any], data: st.DataObject) -> None:
    state = data.draw(states(state_type))
    assert codec.dumps(state) == cattrs_dumps(state)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_plan_row_reads_back_as_written(data: st.DataObject) -> None:
    _round_trips(data.draw(states(PlanState)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_access_log_row_reads_back_as_written(data: st.DataObject) -> None:
    _round_trips(data.draw(states(AccessLogState)))


def test_a_value_read_twice_is_one_shared_instance() -> None:
    worker = Actor.caseworker("anne.t", Sector.EMPLOYMENT, Law.LAB)
    note = ProgressNote(
        recorded_at=datetime(2026, 3, 1, tzinfo=UTC),
        by=worker,
        achievement=AchievementStatus.IMPROVING,
        measured_value=None,
        note="a little further",
    )
    raw = codec.dumps(note)
    one, two = codec.loads(raw, ProgressNote), codec.loads(raw, ProgressNote)
    assert one == two == note
    assert one.by is two.by


def test_a_value_on_many_rows_is_written_each_time_as_cattrs_writes_it() -> None:
    """The codec keeps the JSON of a value object it wrote (by the object): the same
    actor on several rows, and again after the codec forgot it, gives the same bytes."""
    worker = Actor.caseworker("anne.t", Sector.EMPLOYMENT, Law.LAB, name="Anne T")
    notes = [
        ProgressNote(
            recorded_at=datetime(2026, 3, day, tzinfo=UTC),
            by=worker,
            achievement=AchievementStatus.IMPROVING,
            measured_value=Decimal("1.50"),
            note=f"note {day}",
        )
        for day in range(1, 4)
    ]
    written = [codec.dumps(note) for note in notes]
    assert written == [cattrs_dumps(note) for note in notes]
    codec.forget()
    assert [codec.dumps(note) for note in notes] == written


def test_a_row_holding_a_malformed_value_is_refused_as_a_malformed_row() -> None:
    worker = Actor.caseworker("anne.t", Sector.EMPLOYMENT, Law.LAB)
    note = ProgressNote(
        recorded_at=datetime(2026, 3, 1, tzinfo=UTC),
        by=worker,
        achievement=AchievementStatus.IMPROVING,
        measured_value=None,
        note="a little further",
    )
    raw = codec.dumps(note).replace(codec.dumps(worker), b'"anne.t"')
    assert raw != codec.dumps(note)
    with pytest.raises(ValueError, match=r"expected Actor as an object"):
        codec.loads(raw, ProgressNote)


def test_a_large_row_read_again_is_not_decoded_again_and_the_rows_kept_are_bounded() -> None:
    worker = Actor.caseworker("anne.t", Sector.EMPLOYMENT, Law.LAB)
    notes = tuple(
        ProgressNote(
            recorded_at=datetime(2026, 3, 1, tzinfo=UTC),
            by=worker,
            achievement=AchievementStatus.IMPROVING,
            measured_value=None,
            note=f"note {i}: a little further this week",
        )
        for i in range(2_000)
    )
    small = codec.dumps(PlanState(plan_id=UUID(int=1)))
    assert codec.loads(small, PlanState) is not codec.loads(small, PlanState)
    goal = GoalItem(
        goal_id=UUID(int=2),
        parent_id=None,
        description="work",
        target=None,
        due=None,
        status=GoalStatus.ACTIVE,
        set_at=datetime(2026, 3, 1, tzinfo=UTC),
        set_by=worker,
        notes=notes,
    )
    state = PlanState(plan_id=UUID(int=1), goals={goal.goal_id: goal})
    raw = codec.dumps(state)
    assert len(raw) >= codec.large_row

    one = codec.loads(raw, PlanState)
    assert one == state
    assert codec.loads(bytes(bytearray(raw)), PlanState) is one  # same bytes, not decoded
    other = PlanState(plan_id=UUID(int=3), goals={goal.goal_id: goal})
    assert codec.loads(codec.dumps(other), PlanState) == other
    for n in range(codec.large_rows_kept + 5):
        codec.loads(codec.dumps(attrs.evolve(state, plan_id=UUID(int=100 + n))), PlanState)
    assert len(codec._large) <= codec.large_rows_kept
