"""The evaluation's intervals: worked by hand on tiny samples, checked against scipy's own
tests, and checked against distributions whose true value is known (a fixed seed, so
each check gives the same answer every run; the tolerance is the binomial spread of
the coverage over the draws, more than three standard errors wide)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from oneplan.evaluation.statistics import (
    cumulative_incidence,
    difference,
    mean_interval,
    ratio_interval,
    share_interval,
    welch,
)

DRAWS = 1000
LOW, HIGH = 0.93, 0.97
"""95% coverage over 1,000 draws: the standard error is 0.0069, so [0.93, 0.97] is
about three of them either side."""


def test_a_mean_interval_by_hand() -> None:
    e = mean_interval([1.0, 2.0, 3.0, 4.0])

    assert (e.n, e.estimate) == (4, 2.5)
    assert e.sd == pytest.approx(math.sqrt(5 / 3))  # squares 2.25+0.25+0.25+2.25, over 3
    assert e.se == pytest.approx(math.sqrt(5 / 3) / 2)
    assert e.ci_low == pytest.approx(2.5 - 3.182446 * math.sqrt(5 / 3) / 2, abs=1e-5)
    assert e.ci_high == pytest.approx(2.5 + 3.182446 * math.sqrt(5 / 3) / 2, abs=1e-5)


def test_one_value_has_no_interval_and_none_has_no_estimate() -> None:
    assert mean_interval([7.0]).estimate == 7.0
    assert mean_interval([7.0]).ci_low is None
    assert mean_interval([]).estimate is None


def test_welchs_interval_is_scipys() -> None:
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0]
    expected = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)

    d = welch(mean_interval(a), mean_interval(b))

    assert d.estimate == pytest.approx(-1.5)
    assert d.se == pytest.approx(math.sqrt(1.75))  # 5/3/4 + 4/3
    assert d.df == pytest.approx(1.75**2 / ((5 / 12) ** 2 / 3 + (4 / 3) ** 2 / 2))
    assert (d.ci_low, d.ci_high) == (pytest.approx(expected.low), pytest.approx(expected.high))


def test_a_ratio_per_citizen_month_by_hand() -> None:
    # Three citizens: 10 over 1 month, 20 over 2, 30 over 2. R = 60/5 = 12; residuals
    # -2, -4, 6; variance 3/2 * 56 / 25 = 3.36; t(0.975, 2) = 4.302653.
    e = ratio_interval([10.0, 20.0, 30.0], [1.0, 2.0, 2.0])

    assert e.estimate == 12.0
    assert e.se == pytest.approx(math.sqrt(3.36))
    assert e.ci_low == pytest.approx(12 - 4.302653 * math.sqrt(3.36), abs=1e-5)
    assert e.ci_high == pytest.approx(12 + 4.302653 * math.sqrt(3.36), abs=1e-5)


def test_a_share_has_wilsons_interval() -> None:
    e = share_interval(3, 10)
    z = 1.959964
    centre = (0.3 + z**2 / 20) / (1 + z**2 / 10)
    half = z / (1 + z**2 / 10) * math.sqrt(0.3 * 0.7 / 10 + z**2 / 400)

    assert e.estimate == 0.3
    assert (e.ci_low, e.ci_high) == (
        pytest.approx(centre - half, abs=1e-6),
        pytest.approx(centre + half, abs=1e-6),
    )
    assert share_interval(0, 0).estimate is None


def test_the_kaplan_meier_incidence_and_its_greenwood_interval_by_hand() -> None:
    # Events at 1, 2 and 3; censored at 2 and 4. S(1) = 4/5, S(2) = 4/5 * 3/4, S(3) = S(2) / 2.
    points = cumulative_incidence([1, 2, 2, 3, 4], [1, 1, 0, 1, 0], [0.5, 1, 2, 3, 10])

    assert [p.incidence for p in points] == pytest.approx([0.0, 0.2, 0.4, 0.7, 0.7])
    assert [p.at_risk for p in points] == [5, 5, 4, 2, 0]
    assert [p.events for p in points] == [0, 1, 2, 3, 3]
    # Exponential Greenwood at t = 2: var = 1/(5*4) + 1/(4*3); S^exp(±z sqrt(var)/log S).
    s, var = 0.6, 1 / 20 + 1 / 12
    spread = 1.959964 * math.sqrt(var) / abs(math.log(s))
    low, high = 1 - s ** math.exp(-spread), 1 - s ** math.exp(spread)
    assert (points[2].ci_low, points[2].ci_high) == (
        pytest.approx(low, abs=1e-5),
        pytest.approx(high, abs=1e-5),
    )


def _coverage(hits: list[bool]) -> float:
    return sum(hits) / len(hits)


def test_a_mean_interval_covers_a_normal_mean_95_times_in_100_even_for_five() -> None:
    rng = np.random.default_rng(20)
    hits = []
    for _ in range(DRAWS):
        e = mean_interval(rng.normal(10.0, 2.0, size=5))
        assert e.ci_low is not None
        assert e.ci_high is not None
        hits.append(e.ci_low <= 10.0 <= e.ci_high)

    assert LOW <= _coverage(hits) <= HIGH  # (a normal quantile would give about 0.88)


def test_welchs_interval_covers_a_difference_of_unequal_variances() -> None:
    rng = np.random.default_rng(21)
    hits = []
    for _ in range(DRAWS):
        a = mean_interval(rng.normal(5.0, 1.0, size=6))
        b = mean_interval(rng.normal(3.0, 4.0, size=15))
        d = welch(a, b)
        assert d.ci_low is not None
        assert d.ci_high is not None
        hits.append(d.ci_low <= 2.0 <= d.ci_high)

    assert LOW <= _coverage(hits) <= HIGH


def test_the_ratio_interval_covers_a_cost_per_month_when_months_of_one_citizen_go_together() -> (
    None
):
    """Each citizen has their own monthly level (drawn once, around 1,000 DKK) for 1-30
    months: months are not independent, citizens are. The true ratio is 1,000."""
    rng = np.random.default_rng(22)
    hits, naive = [], []
    for _ in range(DRAWS):
        months = rng.integers(1, 31, size=60).astype(float)
        level = rng.gamma(2.0, 500.0, size=60)  # mean 1,000, citizen by citizen
        totals = months * level
        e = ratio_interval(totals, months)
        assert e.ci_low is not None
        assert e.ci_high is not None
        hits.append(e.ci_low <= 1000.0 <= e.ci_high)
        per_month = np.repeat(level, months.astype(int))  # as if every month stood alone
        n = per_month.mean()
        half = 1.96 * per_month.std(ddof=1) / math.sqrt(per_month.size)
        naive.append(n - half <= 1000.0 <= n + half)

    assert LOW <= _coverage(hits) <= HIGH
    assert _coverage(naive) < 0.5  # what treating citizen-months as independent would give


def test_wilsons_interval_covers_a_small_share() -> None:
    rng = np.random.default_rng(23)
    hits = []
    for k in rng.binomial(80, 0.1, size=DRAWS):
        e = share_interval(int(k), 80)
        assert e.ci_low is not None
        assert e.ci_high is not None
        hits.append(e.ci_low <= 0.1 <= e.ci_high)

    assert 0.92 <= _coverage(hits) <= 0.98  # (a discrete share's coverage wobbles)


def test_a_difference_of_shares_covers_the_true_difference() -> None:
    rng = np.random.default_rng(24)
    hits = []
    for a, b in zip(rng.binomial(500, 0.3, DRAWS), rng.binomial(500, 0.2, DRAWS), strict=True):
        d = difference(share_interval(int(a), 500), share_interval(int(b), 500))
        assert d.ci_low is not None
        assert d.ci_high is not None
        hits.append(d.ci_low <= 0.1 <= d.ci_high)

    assert LOW <= _coverage(hits) <= HIGH


def test_the_cumulative_incidence_covers_an_exponentials_distribution_function() -> None:
    """Times to the event exponential with rate 0.1 a month, censored uniformly over 0-30
    months: the true incidence by 6 months is 1 - exp(-0.6)."""
    rng = np.random.default_rng(25)
    truth = 1 - math.exp(-0.6)
    hits, estimates = [], []
    for _ in range(400):
        event = rng.exponential(10.0, size=150)
        censor = rng.uniform(0, 30, size=150)
        point = cumulative_incidence(np.minimum(event, censor), event <= censor, [6.0])[0]
        hits.append(point.ci_low <= truth <= point.ci_high)
        estimates.append(point.incidence)

    assert 0.92 <= _coverage(hits) <= 0.98  # 400 draws: standard error 0.011
    assert abs(float(np.mean(estimates)) - truth) < 0.01  # unbiased under independent censoring
