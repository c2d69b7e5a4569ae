"""How long things take, as log-normal distributions fitted to a median and a p90 (days).

Stage durations are right-skewed (most periods near the median, a few far longer), which a
log-normal describes with two numbers: exactly what StageDuration stores. On top of it:
- the remainder of a stage already under way, from the conditional distribution given the days
  already spent (a stage past its median is not forecast from zero: P(T > t | T > e) = S(t) / S(e));
- the sum of consecutive stages, by Fenton–Wilkinson (match the mean and variance of the sum of
  independent log-normals with one log-normal), accumulated stage by stage and kept monotone.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import NormalDist

_NORMAL = NormalDist()
Z90 = _NORMAL.inv_cdf(0.9)
MIN_DAYS = 1 / 24  # an hour: the shortest duration worth modelling
MIN_SPREAD = 1.02  # p90 at least 2% above the median (a spread of zero has no log-normal)
_SURVIVAL_FLOOR = 1e-12


@dataclass(frozen=True, slots=True)
class LogNormal:
    mu: float
    sigma: float

    @classmethod
    def fit(cls, median: float, p90: float) -> LogNormal:
        median = max(median, MIN_DAYS)
        p90 = max(p90, median * MIN_SPREAD)
        return cls(math.log(median), math.log(p90 / median) / Z90)

    @property
    def median(self) -> float:
        return math.exp(self.mu)

    @property
    def p90(self) -> float:
        return math.exp(self.mu + Z90 * self.sigma)

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma * self.sigma / 2)

    @property
    def variance(self) -> float:
        s2 = self.sigma * self.sigma
        return math.expm1(s2) * math.exp(2 * self.mu + s2)

    def remainder(self, elapsed: float) -> tuple[float, float]:
        """Median and p90 of the days still to go after `elapsed` days, given it has not ended yet."""
        if elapsed <= 0:
            return self.median, self.p90
        survival = 1.0 - _NORMAL.cdf((math.log(elapsed) - self.mu) / self.sigma)
        survival = max(survival, _SURVIVAL_FLOOR)
        out = []
        for q in (0.5, 0.9):
            total = math.exp(self.mu + self.sigma * _NORMAL.inv_cdf(1.0 - (1.0 - q) * survival))
            out.append(max(total - elapsed, MIN_DAYS))
        return out[0], max(out[1], out[0] * MIN_SPREAD)

    def remaining(self, elapsed: float) -> LogNormal:
        """The remainder after `elapsed` days as a log-normal (fitted to its median and p90)."""
        return self if elapsed <= 0 else LogNormal.fit(*self.remainder(elapsed))


def cumulative(parts: Iterable[LogNormal]) -> list[tuple[float, float]]:
    """(p50, p90) days of the running sums part 1, 1+2, 1+2+3 …; never decreasing.

    The sum of positive durations can only take longer as parts are added; the approximation can
    dip when a very spread part follows a tight one, so each figure is at least the one before.
    """
    out: list[tuple[float, float]] = []
    mean = variance = 0.0
    p50 = p90 = 0.0
    for part in parts:
        mean += part.mean
        variance += part.variance
        s2 = math.log1p(variance / (mean * mean))
        mu = math.log(mean) - s2 / 2
        sigma = math.sqrt(s2)
        p50 = max(math.exp(mu), p50)
        p90 = max(math.exp(mu + Z90 * sigma), p90, p50)
        out.append((p50, p90))
    return out
