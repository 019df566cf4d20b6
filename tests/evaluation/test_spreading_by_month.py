"""Spreading an amount over the months of its period in whole-øre integers (the fast path
``evaluate()`` takes for every cost and benefit) gives exactly the shares of the Decimal
definition: the cumulative share of the days rounded half to even, each month getting
it less the months before."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from oneplan.evaluation import spread_by_month

CENT = Decimal("0.01")


def by_the_definition(amount: Decimal, first: date, last: date) -> list[tuple[date, Decimal]]:
    """The cumulative share of ``amount`` at the end of each month, rounded half to even
    to øre, less the months before: day by day, in Decimal."""
    total_days = (last - first).days + 1
    shares: list[tuple[date, Decimal]] = []
    booked, done, day = Decimal(0), 0, first
    while day <= last:
        done += 1
        following = day + timedelta(days=1)
        if following.day == 1 or day == last:
            cumulative = (amount * done / total_days).quantize(CENT, rounding=ROUND_HALF_EVEN)
            shares.append((day.replace(day=1), cumulative - booked))
            booked = cumulative
        day = following
    return shares


periods = st.tuples(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(min_value=1, max_value=800),
)


@settings(max_examples=300, deadline=None)
@given(
    amount=st.one_of(
        st.integers(min_value=0, max_value=10**11).map(lambda oere: Decimal(oere).scaleb(-2)),
        st.integers(min_value=-(10**8), max_value=10**8).map(lambda o: Decimal(o).scaleb(-2)),
        st.integers(min_value=0, max_value=10**6).map(Decimal),  # whole kroner
        st.integers(min_value=-(10**7), max_value=10**7).map(lambda o: Decimal(o).scaleb(-3)),
    ),
    period=periods,
)
@example(amount=Decimal("100.00"), period=(date(2026, 1, 1), 89))  # thirds
@example(amount=Decimal("0.05"), period=(date(2026, 1, 31), 1))  # a half øre: to even
@example(amount=Decimal("0.03"), period=(date(2026, 1, 31), 1))  # a half øre: to even
@example(amount=Decimal("-0.05"), period=(date(2023, 8, 10), 677))  # below zero: -0.00 kept
@example(amount=Decimal("0.001"), period=(date(2024, 2, 28), 3))  # not in whole øre
def test_the_shares_are_those_of_the_definition_to_the_last_digit(
    amount: Decimal, period: tuple[date, int]
) -> None:
    first, days = period
    last = first + timedelta(days=days)

    spread = spread_by_month(amount, first, last)

    assert repr(spread) == repr(by_the_definition(amount, first, last))  # digits and signs
    if amount == amount.quantize(CENT):
        assert sum(share for _, share in spread) == amount
