"""What every analytics page shares: its filters and date window, percentiles, and names."""
from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from production.colours import NEUTRAL, safe_colour

WINDOWS = (90, 180, 365)
DEFAULT_WINDOW = 90
MAX_RANGE_DAYS = 3 * 366


@dataclass(frozen=True)
class AnalyticsFilters:
    """The board's own filters (season, warehouse, manufacturer, stage) and a window of days."""

    first: dt.date
    last: dt.date
    window: int | None = DEFAULT_WINDOW  # None: an explicit from/to range
    seasons: tuple[int, ...] = ()
    warehouses: tuple[int, ...] = ()
    manufacturers: tuple[int, ...] = ()
    stages: tuple[int, ...] = ()
    by_manufacturer: bool = False

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def params(self, **overrides) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.window is not None:
            out.append(("window", str(self.window)))
        else:
            out += [("from", self.first.isoformat()), ("to", self.last.isoformat())]
        for name, values in (("season", self.seasons), ("warehouse", self.warehouses),
                             ("manufacturer", self.manufacturers), ("stage", self.stages)):
            out += [(name, str(v)) for v in values]
        if self.by_manufacturer:
            out.append(("by", "manufacturer"))
        drop = {k for k, v in overrides.items() if v is None}
        out = [(k, v) for k, v in out if k not in overrides]
        out += [(k, str(v)) for k, v in overrides.items() if k not in drop]
        return out

    def query_string(self, **overrides) -> str:
        return urlencode(self.params(**overrides))

    def board_query(self) -> str:
        """The same filters as the board's query string (for links to the board)."""
        params = [("group", "stage"), ("swimlane", "manufacturer")]
        for name, values in (("season", self.seasons), ("warehouse", self.warehouses),
                             ("manufacturer", self.manufacturers), ("stage", self.stages)):
            params += [(name, str(v)) for v in values]
        return urlencode(params)


def window_bounds(*, today: dt.date, window: int) -> tuple[dt.date, dt.date]:
    """The last `window` days, today included."""
    return today - dt.timedelta(days=window - 1), today


# --- percentiles -------------------------------------------------------------------------------
# Linear interpolation between closest ranks (the "R-7" rule of spreadsheets and numpy): the median
# of 1, 2, 3, 10 is 2.5 and its p90 is 7.9.

def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def percentile_counted(counts: Iterable[tuple[float, int]], q: float) -> float | None:
    """The same percentile of a distribution given as (value, how many times) pairs."""
    pairs = sorted((v, n) for v, n in counts if n > 0)
    total = sum(n for _, n in pairs)
    if not total:
        return None
    k = (total - 1) * q
    lo, hi = math.floor(k), math.ceil(k)

    def nth(index: int) -> float:
        seen = 0
        for value, n in pairs:
            seen += n
            if index < seen:
                return value
        return pairs[-1][0]

    low = nth(lo)
    return low + (nth(hi) - low) * (k - lo) if hi != lo else low


@dataclass
class Distribution:
    """A distribution of days kept as counts of tenths of a day (how durations are stored)."""

    counts: dict[int, int] = field(default_factory=dict)
    _sorted: tuple | None = field(default=None, repr=False, compare=False)

    def add(self, tenths: int, n: int = 1) -> None:
        self.counts[tenths] = self.counts.get(tenths, 0) + n
        self._sorted = None

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    def _cumulative(self) -> tuple[list[int], list[int]]:
        if self._sorted is None:
            values = sorted(v for v, n in self.counts.items() if n > 0)
            ends, seen = [], 0
            for value in values:
                seen += self.counts[value]
                ends.append(seen)
            self._sorted = (values, ends)
        return self._sorted

    def quantile(self, q: float) -> float | None:
        """The same percentile as `percentile` of the expanded values, read off the cumulative counts."""
        values, ends = self._cumulative()
        if not values:
            return None
        k = (ends[-1] - 1) * q
        lo, hi = math.floor(k), math.ceil(k)
        low = values[bisect.bisect_right(ends, lo)]
        high = values[bisect.bisect_right(ends, hi)]
        return (low + (high - low) * (k - lo)) / 10

    @property
    def median(self) -> float | None:
        return self.quantile(0.5)

    @property
    def p90(self) -> float | None:
        return self.quantile(0.9)

    def box(self) -> list[float] | None:
        """min, q1, median, q3, max (the box plot's five numbers), in days."""
        if not self.counts:
            return None
        return [round(self.quantile(q), 2) for q in (0.0, 0.25, 0.5, 0.75, 1.0)]


def days_1(value: float | None) -> str:
    """Days to one decimal for tables and CSVs ("" when unknown)."""
    return "" if value is None else f"{value:.1f}"


def stage_colour(stage) -> str:
    """The stage's validated colour as #rrggbb (charts add an alpha to it), neutral grey if invalid."""
    colour = safe_colour(getattr(stage, "colour", ""), NEUTRAL)
    return "#" + "".join(c * 2 for c in colour[1:]) if len(colour) == 4 else colour
