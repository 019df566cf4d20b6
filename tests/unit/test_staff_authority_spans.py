"""A staff member's authorities at a time (rule 11) are read off spans made by the events
that change them; for every record and every time they are what reading every
delegation gives (``StaffMember._authorities_scanned``, the definition)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from oneplan.aggregates.staff import Delegation, StaffMember, _AuthoritySpans
from oneplan.values import Actor, ActorKind, ContactDetails, Law, Period, Sector

_T0 = datetime(2026, 1, 1, tzinfo=UTC)
_ADMIN = Actor(id="admin", kind=ActorKind.SYSTEM)

instants = st.integers(min_value=-5 * 24 * 60, max_value=60 * 24 * 60).map(
    lambda minutes: _T0 + timedelta(minutes=minutes)
)
days = st.integers(min_value=-5, max_value=60).map(lambda d: date(2026, 1, 1) + timedelta(days=d))


@st.composite
def delegations(draw: st.DrawFn, n: int) -> Delegation:
    start = draw(days)
    end = draw(
        st.none() | st.integers(min_value=0, max_value=30).map(lambda d: start + timedelta(days=d))
    )
    delegated_at = draw(instants)
    revoked = draw(st.none() | st.integers(min_value=0, max_value=40 * 24 * 60))
    return Delegation(
        delegation_id=UUID(int=n),
        law=draw(st.sampled_from(list(Law))),
        basis="delegation plan item 1",
        period=Period(start=start, end=end),
        delegated_by="manager",
        delegated_at=delegated_at,
        revoked_at=None if revoked is None else delegated_at + timedelta(minutes=revoked),
    )


@st.composite
def members(draw: st.DrawFn) -> StaffMember:
    member = StaffMember.register(
        staff_id="cw-1",
        name="Kim",
        sector=Sector.EMPLOYMENT,
        title="",
        contact=ContactDetails(),
        roles=(),
        actor=_ADMIN,
        effective_at=draw(instants),
    )
    count = draw(st.integers(min_value=0, max_value=4))
    member.delegations = {UUID(int=i): draw(delegations(i)) for i in range(count)}
    left = draw(st.none() | instants)
    member.left_at = None if left is None or left < member.began_at else left
    member.authority_spans = _AuthoritySpans.of(member)  # (as the events' apply would)
    return member


@settings(max_examples=300, deadline=None)
@given(members(), st.lists(instants, min_size=1, max_size=20))
def test_authorities_read_off_spans_are_those_of_every_delegation(
    member: StaffMember, times: list[datetime]
) -> None:
    for at in times:
        for edge in (at, at - timedelta(microseconds=1)):
            assert member.authorities_at(edge) == member._authorities_scanned(edge)
            assert member.actor_at(edge).authorities == member._authorities_scanned(edge)


@settings(max_examples=100, deadline=None)
@given(members(), instants)
def test_a_time_outside_utc_is_read_off_every_delegation(member: StaffMember, at: datetime) -> None:
    local = at.astimezone(timezone(timedelta(hours=2)))
    assert member.authorities_at(local) == member._authorities_scanned(local)


def test_the_spans_follow_a_new_version_of_the_record() -> None:
    member = StaffMember.register(
        staff_id="cw-2",
        name="Sara",
        sector=Sector.EMPLOYMENT,
        title="",
        contact=ContactDetails(),
        roles=(),
        actor=_ADMIN,
        effective_at=_T0,
    )
    later = _T0 + timedelta(days=2)
    assert member.authorities_at(later) == ()
    member.delegate_authority(
        delegation_id=UUID(int=7),
        law=Law.LAB,
        basis="delegation plan item 4",
        period=Period(start=date(2026, 1, 2)),
        actor=_ADMIN,
        effective_at=_T0 + timedelta(days=1),
    )
    assert member.authorities_at(later) == (Law.LAB,)
    assert member.actor_at(later).authorities == (Law.LAB,)
