"""What the stage history says, as of any instant: stage durations, the receiving gap, stage routes.

Everything here is pure (no database): it works on an organisation's history as loaded by
`loaders.history_load`, and answers "as of T" using only what had happened by T, so the live
forecast and the backtest share one code path. Times are float days since the Unix epoch (UTC).

Stage durations (per stage × manufacturer; the figures StageDuration stores):
- a sample is a completed period: start and end known, end within WINDOW_DAYS before T, the last
  MAX_SAMPLES of the pair by end time;
- periods shorter than CLICKED_THROUGH_DAYS (an hour) are records of someone clicking through
  stages (the seed's timeline: three seconds each), not of work, and are left out;
- a line item's periods whose times disagree with their order (a stage starting before the one
  listed before it: Uphance lists past stages in stage order, their timestamps need not agree)
  cannot be told apart, so both periods of such a pair are left out;
- fewer than MIN_SAMPLES at the manufacturer: the stage across every factory; fewer there too:
  DEFAULT_MEDIAN_DAYS / DEFAULT_P90_DAYS (a week, two at worst: the old fixed guess); the
  fallbacks are production.durations' (DurationBook.duration), the one place they are spelled.

Receiving gap (the organisation's usual time from the last stage's end to goods received): per
order that arrived, arrival minus the latest stage end of its line items; orders whose stages were
closed after the goods arrived (data entered late) say nothing about the gap and are left out.
Same window, MAX_GAP_SAMPLES, MIN_SAMPLES, else DEFAULT_GAP_MEDIAN_DAYS / DEFAULT_GAP_P90_DAYS.

Start wait (a line item not started yet): per manufacturer, the days from its order's confirmation
(else creation) to its first stage starting; starts before the confirmation count as no wait. Same
window, MAX_SAMPLES, MIN_SAMPLES, fallback to every factory, else DEFAULT_WAIT_*.

Routes (the stages still ahead of a line item): the stage list of the latest line item of the same
product that completed by T; else the organisation's stage sequence.
"""
from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field

# Durations, their fallbacks and defaults are production.durations' (the stuck rule reads them too).
from production.durations import DEFAULT, MANUFACTURER, MIN_SAMPLES, STAGE, Duration
from production.durations import DurationBook as StoredDurationBook

from .distributions import LogNormal

WINDOW_DAYS = 365.0
MAX_SAMPLES = 200
MAX_GAP_SAMPLES = 500
CLICKED_THROUGH_DAYS = 1 / 24
DEFAULT_GAP_MEDIAN_DAYS = 3.0
DEFAULT_GAP_P90_DAYS = 10.0
DEFAULT_WAIT_MEDIAN_DAYS = 3.0
DEFAULT_WAIT_P90_DAYS = 10.0

# One period: (sequence, stage id, start, end, is_current); start/end float days or None.
Period = tuple[int, int, float | None, float | None, bool]


@dataclass(frozen=True, slots=True)
class LineRow:
    id: int
    order_id: int
    product_id: int | None
    stage_status: str
    removed: bool


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: int
    manufacturer_id: int | None
    due_date: object  # datetime.date | None
    in_warehouse_date: object
    arrived_at: float | None
    is_open: bool
    created_at: float | None = None
    confirmed_at: float | None = None

    @property
    def waiting_since(self) -> float | None:
        """When its line items could start: confirmation, else creation."""
        return self.confirmed_at if self.confirmed_at is not None else self.created_at


@dataclass
class History:
    """An organisation's production as loaded: line items, orders, periods, stage sequence."""

    lines: dict[int, LineRow]
    orders: dict[int, OrderRow]
    periods: dict[int, list[Period]]  # line item id -> periods in sequence order
    sequence: list[int]  # stage ids in the organisation's stage order
    time_zone: str = "UTC"
    lines_by_order: dict[int, list[int]] = field(default_factory=dict)

    def __post_init__(self):
        if not self.lines_by_order:
            by_order = defaultdict(list)
            for line in self.lines.values():
                by_order[line.order_id].append(line.id)
            self.lines_by_order = dict(by_order)

    def manufacturer_of(self, line_id: int) -> int | None:
        order = self.orders.get(self.lines[line_id].order_id)
        return order.manufacturer_id if order else None


def distribution_of(duration: Duration) -> LogNormal:
    """The log-normal through a duration's median and p90."""
    return LogNormal.fit(duration.median_days, duration.p90_days)


DEFAULT_GAP = Duration(DEFAULT_GAP_MEDIAN_DAYS, DEFAULT_GAP_P90_DAYS, 0, DEFAULT)
DEFAULT_WAIT = Duration(DEFAULT_WAIT_MEDIAN_DAYS, DEFAULT_WAIT_P90_DAYS, 0, DEFAULT)


def quantile(ordered: list[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default, statistics' "inclusive")."""
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def duration_fit(values: list[float], source: str = MANUFACTURER) -> Duration:
    ordered = sorted(values)
    return Duration(statistics.median(ordered), quantile(ordered, 0.9), len(ordered), source)


class _Samples:
    """(end, days) samples sorted by end; the ones known as of T are a slice."""

    __slots__ = ("days", "ends")

    def __init__(self, pairs: list[tuple[float, float]]):
        pairs.sort()
        self.ends = [e for e, _ in pairs]
        self.days = [d for _, d in pairs]

    def known(self, as_of: float, *, limit: int) -> list[float]:
        hi = bisect_right(self.ends, as_of)
        lo = max(bisect_left(self.ends, as_of - WINDOW_DAYS), hi - limit)
        return self.days[lo:hi]


def _trusted(periods: list[Period]) -> list[bool]:
    """False for periods whose start disagrees with the order they are listed in (and their neighbour)."""
    ok = [True] * len(periods)
    previous = None
    for k, period in enumerate(periods):
        start = period[2]
        if start is not None and previous is not None and start < previous:
            ok[k] = ok[k - 1] = False
        if start is not None:
            previous = start
    return ok


class DurationSamples:
    """Every usable completed period of an organisation, by stage × manufacturer and by stage."""

    def __init__(self, history: History):
        by_pair: dict[tuple[int, int | None], list[tuple[float, float]]] = defaultdict(list)
        for line_id, periods in history.periods.items():
            manufacturer = history.manufacturer_of(line_id)
            for period, ok in zip(periods, _trusted(periods), strict=True):
                _, stage_id, start, end, _ = period
                if not ok or start is None or end is None:
                    continue
                days = end - start
                if days < CLICKED_THROUGH_DAYS:
                    continue
                by_pair[(stage_id, None)].append((end, days))
                if manufacturer is not None:
                    by_pair[(stage_id, manufacturer)].append((end, days))
        self._pairs = {key: _Samples(values) for key, values in by_pair.items()}

    def book(self, as_of: float) -> DurationBook:
        """The durations as they were known at `as_of`."""
        fitted = {}
        for key, samples in self._pairs.items():
            values = samples.known(as_of, limit=MAX_SAMPLES)
            if values:
                fitted[key] = duration_fit(values, MANUFACTURER if key[1] is not None else STAGE)
        return DurationBook(fitted)


class DurationBook(StoredDurationBook):
    """Stage durations with the fallbacks (production.durations), and the log-normal of each."""

    def __init__(self, fitted: dict[tuple[int, int | None], Duration]):
        super().__init__(fitted)
        self._distributions: dict[tuple[int, int | None], LogNormal] = {}

    def distribution(self, stage_id: int, manufacturer_id: int | None) -> LogNormal:
        key = (stage_id, manufacturer_id)
        found = self._distributions.get(key)
        if found is None:
            found = self._distributions[key] = distribution_of(self.duration(stage_id, manufacturer_id))
        return found


class GapSamples:
    """Last stage end → goods received, per order that arrived."""

    def __init__(self, history: History):
        pairs = []
        for order_id, order in history.orders.items():
            if order.arrived_at is None:
                continue
            ends = [
                p[3]
                for line_id in history.lines_by_order.get(order_id, ())
                for p in history.periods.get(line_id, ())
                if p[3] is not None
            ]
            if not ends or max(ends) > order.arrived_at:
                continue
            pairs.append((order.arrived_at, order.arrived_at - max(ends)))
        self._samples = _Samples(pairs)

    def gap(self, as_of: float) -> Duration:
        values = self._samples.known(as_of, limit=MAX_GAP_SAMPLES)
        if len(values) < MIN_SAMPLES:
            return DEFAULT_GAP
        return duration_fit(values)


class StartWaits:
    """Confirmation → first stage start, per manufacturer and across factories."""

    def __init__(self, history: History):
        by_maker: dict[int | None, list[tuple[float, float]]] = defaultdict(list)
        for line_id, periods in history.periods.items():
            order = history.orders.get(history.lines[line_id].order_id)
            starts = [p[2] for p in periods if p[2] is not None]
            if order is None or order.waiting_since is None or not starts:
                continue
            first = min(starts)
            wait = max(first - order.waiting_since, 0.0)
            by_maker[None].append((first, wait))
            if order.manufacturer_id is not None:
                by_maker[order.manufacturer_id].append((first, wait))
        self._samples = {key: _Samples(values) for key, values in by_maker.items()}

    def book(self, as_of: float) -> dict[int | None, Duration]:
        out = {}
        for key, samples in self._samples.items():
            values = samples.known(as_of, limit=MAX_SAMPLES)
            if len(values) >= MIN_SAMPLES:
                out[key] = duration_fit(values, MANUFACTURER if key is not None else STAGE)
        return out


def start_wait(book: dict[int | None, Duration], manufacturer_id: int | None) -> Duration:
    return book.get(manufacturer_id) or book.get(None) or DEFAULT_WAIT


class Routes:
    """The stage list of the latest line item of each product that completed by a given instant."""

    def __init__(self, history: History):
        by_product: dict[int, list[tuple[float, tuple[int, ...]]]] = defaultdict(list)
        for line_id, periods in history.periods.items():
            line = history.lines[line_id]
            if line.product_id is None or line.stage_status != "completed" or not periods:
                continue
            ends = [p[3] for p in periods if p[3] is not None]
            if ends:
                by_product[line.product_id].append((max(ends), tuple(p[1] for p in periods)))
        self._done: dict[int, list[float]] = {}
        self._routes: dict[int, list[tuple[int, ...]]] = {}
        for product_id, entries in by_product.items():
            entries.sort(key=lambda e: e[0])
            self._done[product_id] = [e[0] for e in entries]
            self._routes[product_id] = [e[1] for e in entries]
        self.sequence = list(history.sequence)
        self._position = {stage_id: k for k, stage_id in enumerate(self.sequence)}

    def route(self, product_id: int | None, as_of: float) -> tuple[int, ...] | None:
        done = self._done.get(product_id)
        if not done:
            return None
        k = bisect_right(done, as_of)
        return self._routes[product_id][k - 1] if k else None

    def ahead(self, *, product_id: int | None, anchor: int, passed: set[int], as_of: float,
              include_anchor: bool) -> list[int]:
        """Stage ids still to go after `anchor` (with it when `include_anchor`), skipping passed ones."""
        route = self.route(product_id, as_of)
        if route is not None and anchor in route:
            after = list(route[route.index(anchor) + 1 :])
        else:
            position = self._position.get(anchor)
            after = [] if position is None else self.sequence[position + 1 :]
        stages = ([anchor] if include_anchor else []) + [s for s in after if s not in passed and s != anchor]
        return stages


@dataclass(frozen=True)
class Known:
    """What the history said at one instant: durations, the receiving gap, start waits, routes."""

    book: DurationBook
    gap: Duration
    waits: dict[int | None, Duration]
    routes: Routes

    def wait(self, manufacturer_id: int | None) -> Duration:
        return start_wait(self.waits, manufacturer_id)


class Learner:
    """Reads the history once; `known(as_of)` answers for any instant (the backtest asks for many)."""

    def __init__(self, history: History):
        self.durations = DurationSamples(history)
        self.gaps = GapSamples(history)
        self.waits = StartWaits(history)
        self.routes = Routes(history)

    def known(self, as_of: float) -> Known:
        return Known(self.durations.book(as_of), self.gaps.gap(as_of), self.waits.book(as_of), self.routes)
