"""The evaluation's estimates with their uncertainty: means, differences of means,
shares, costs per citizen-month and cumulative incidence, each with a standard error and
a 95% confidence interval. Every interval is analytic (none is bootstrapped), so the same
data always give the same interval:

- a **mean**: Student's t, ``mean ± t(0.975, n-1) · sd/√n``;
- a **difference of means** (plan - comparison): Welch's t, with the Welch-Satterthwaite
  degrees of freedom (the cohorts' variances are not assumed equal);
- a **share**: Wilson's score interval (``scipy.stats.binomtest``);
- a **difference of shares** or of costs per citizen-month: the normal approximation,
  ``d ± 1.96 · √(se₁² + se₂²)`` (independent cohorts);
- a **cost per citizen-month**: the ratio of the cohort's total to its citizen-months,
  with the linearised (sandwich) variance of a ratio clustered by citizen, ``n/(n-1) ·
  Σ(yᵢ - R·mᵢ)² / (Σmᵢ)²``, and t with n-1 degrees of freedom: a citizen's months are
  not independent observations, the citizens are;
- a **cumulative incidence**: one minus the Kaplan-Meier estimate (``lifelines``), with
  its exponential Greenwood interval (log(-log) scale, so it stays within [0, 1]).

Needs the ``evaluation`` extra (numpy, scipy and lifelines).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

__all__ = [
    "LEVEL",
    "Estimate",
    "IncidencePoint",
    "cumulative_incidence",
    "difference",
    "mean_interval",
    "ratio_interval",
    "share_interval",
    "t_interval",
    "welch",
]

LEVEL = 0.95
"""The confidence level of every interval."""


@attrs.frozen
class Estimate:
    """An estimate from ``n`` observations, with its standard deviation (of the
    observations, where one applies), standard error and confidence interval. Any may be
    None where it cannot be computed (no observations; one observation has no spread)."""

    n: int
    estimate: float | None
    sd: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    df: float | None = None
    """Degrees of freedom of the t quantile used (None: normal or Wilson)."""


def _t(df: float, level: float) -> float:
    from scipy import stats  # type: ignore[import-untyped]

    return float(stats.t.ppf(0.5 + level / 2, df))


def _z(level: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(0.5 + level / 2))


def t_interval(n: int, mean: float | None, sd: float | None, level: float = LEVEL) -> Estimate:
    """The t interval of a mean from its summary: ``n``, the mean and the standard
    deviation (``n - 1`` in the denominator)."""
    if n == 0 or mean is None:
        return Estimate(n, None, None, None, None, None)
    if n < 2 or sd is None or math.isnan(sd):
        return Estimate(n, mean, None, None, None, None)
    se = sd / math.sqrt(n)
    half = _t(n - 1, level) * se
    return Estimate(n, mean, sd, se, mean - half, mean + half, df=n - 1)


def mean_interval(values: Sequence[float], level: float = LEVEL) -> Estimate:
    """The mean of ``values`` with its t interval."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return Estimate(0, None, None, None, None, None)
    sd = float(data.std(ddof=1)) if data.size > 1 else None
    return t_interval(int(data.size), float(data.mean()), sd, level)


def welch(a: Estimate, b: Estimate, level: float = LEVEL) -> Estimate:
    """``a`` - ``b`` for two independent means (their t estimates), with Welch's
    interval. ``n`` is both groups' observations together; ``sd`` is None."""
    n = a.n + b.n
    if a.estimate is None or b.estimate is None:
        return Estimate(n, None, None, None, None, None)
    d = a.estimate - b.estimate
    if a.se is None or b.se is None:
        return Estimate(n, d, None, None, None, None)
    va, vb = a.se**2, b.se**2
    se = math.sqrt(va + vb)
    if se == 0:
        return Estimate(n, d, None, 0.0, d, d)
    df = (va + vb) ** 2 / (va**2 / (a.n - 1) + vb**2 / (b.n - 1))
    half = _t(df, level) * se
    return Estimate(n, d, None, se, d - half, d + half, df=df)


def difference(a: Estimate, b: Estimate, level: float = LEVEL) -> Estimate:
    """``a`` - ``b`` for two independent estimates, with the normal interval."""
    n = a.n + b.n
    if a.estimate is None or b.estimate is None:
        return Estimate(n, None, None, None, None, None)
    d = a.estimate - b.estimate
    if a.se is None or b.se is None:
        return Estimate(n, d, None, None, None, None)
    se = math.sqrt(a.se**2 + b.se**2)
    half = _z(level) * se
    return Estimate(n, d, None, se, d - half, d + half)


def share_interval(k: int, n: int, level: float = LEVEL) -> Estimate:
    """The share ``k``/``n`` with Wilson's score interval and the binomial standard
    error √(p(1-p)/n)."""
    if n == 0:
        return Estimate(0, None, None, None, None, None)
    from scipy import stats

    p = k / n
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return Estimate(n, p, None, math.sqrt(p * (1 - p) / n), float(ci.low), float(ci.high))


def ratio_interval(
    totals: Sequence[float] | Any, months: Sequence[float] | Any, level: float = LEVEL
) -> Estimate:
    """Σ``totals`` / Σ``months`` (one of each per citizen: what the citizen cost, and the
    months they were observed), with the linearised variance of a ratio clustered by
    citizen and a t interval on n - 1 degrees of freedom (n citizens)."""
    y = np.asarray(totals, dtype=float)
    m = np.asarray(months, dtype=float)
    n = int(y.size)
    if n == 0 or m.sum() <= 0:
        return Estimate(n, None, None, None, None, None)
    ratio = float(y.sum() / m.sum())
    if n < 2:
        return Estimate(n, ratio, None, None, None, None)
    residuals = y - ratio * m
    se = math.sqrt(n / (n - 1) * float((residuals**2).sum())) / float(m.sum())
    half = _t(n - 1, level) * se
    return Estimate(n, ratio, None, se, ratio - half, ratio + half, df=n - 1)


@attrs.frozen
class IncidencePoint:
    """The cumulative incidence at one time: the share who had the event by ``time``."""

    time: float
    at_risk: int
    """Still followed and without the event just before ``time``."""
    events: int
    """Events by ``time``."""
    incidence: float
    ci_low: float
    ci_high: float


def cumulative_incidence(
    durations: Sequence[float] | Any,
    observed: Sequence[bool] | Any,
    times: Sequence[float],
    level: float = LEVEL,
) -> list[IncidencePoint]:
    """One minus the Kaplan-Meier estimate at each of ``times``, with its exponential
    Greenwood interval (lifelines' ``KaplanMeierFitter``): ``durations`` are the times to
    the event (``observed`` true) or to censoring (false)."""
    t = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    if t.size == 0:
        return []
    from lifelines import KaplanMeierFitter  # type: ignore[import-untyped]

    fitter = KaplanMeierFitter(alpha=1 - level).fit(t, e)
    timeline = fitter.timeline
    incidence = 1 - fitter.survival_function_.to_numpy()[:, 0]
    bounds = fitter.confidence_interval_cumulative_density_.to_numpy()
    order = np.sort(t)
    event_times = np.sort(t[e])
    out = []
    for time in times:
        row = int(np.searchsorted(timeline, time, side="right")) - 1
        if row < 0:
            low = high = value = 0.0
        else:
            value, low, high = float(incidence[row]), float(bounds[row, 0]), float(bounds[row, 1])
        out.append(
            IncidencePoint(
                time=float(time),
                at_risk=int(order.size - np.searchsorted(order, time, side="left")),
                events=int(np.searchsorted(event_times, time, side="right")),
                incidence=value,
                ci_low=min(low, high),
                ci_high=max(low, high),
            )
        )
    return out
