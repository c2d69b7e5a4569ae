"""The forecast of one line item and one production order at one instant (pure; times in float days).

A line item's forecast: where it stands (the stage under way and since when, the stages passed),
then the remaining stages one by one (its product's route, else the organisation's sequence), each
from its stage × manufacturer duration; the stage under way counts from the conditional remainder
(the days already spent in it are not started again). A stage Uphance dates in the future starts
then. A line item not started yet starts after the factory's usual wait from confirmation to a
first stage (the remainder of it, given how long the order has waited already).

An order's arrival: its line items are made side by side at one factory and move together, so the
order is done when its slowest line item is (the p50 of the latest p50, the p90 of the latest p90:
the comonotone bound), then the organisation's receiving gap. Every line item of the order shares
that arrival: Uphance receives production orders, not line items.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from production.models.orders import ForecastState

from .distributions import MIN_DAYS, MIN_SPREAD, LogNormal, cumulative
from .history import Duration, DurationBook, Period, Routes, distribution_of

DAY_SECONDS = 86400.0


@dataclass(frozen=True, slots=True)
class Position:
    """Where a line item stands: the stage under way (or next up) and what is behind it."""

    current: int | None  # stage id under way, or not started yet
    current_start: float | None  # None: not started
    passed: tuple[int, ...]
    last_end: float | None
    completed: bool


@dataclass(frozen=True, slots=True)
class LineForecast:
    done_p50: float
    done_p90: float
    stages: tuple[tuple[int, float, float], ...]  # (stage id, p50, p90) of the stages still to finish


def position_now(periods: list[Period], *, completed: bool) -> Position | None:
    """From the periods as held now (the last listed is the current one when it has not ended)."""
    if not periods:
        return None
    last = periods[-1]
    ends = [p[3] for p in periods if p[3] is not None]
    last_end = max(ends) if ends else None
    if last[3] is None and not completed:
        return Position(last[1], last[2], tuple(p[1] for p in periods[:-1]), last_end, False)
    return Position(None, None, tuple(p[1] for p in periods), last_end, completed)


def position_at(periods: list[Period], as_of: float) -> Position | None:
    """As it stood at `as_of`, from what had happened by then (the backtest)."""
    if not periods:
        return None
    started = [p for p in periods if p[2] is not None and p[2] <= as_of]
    if not started:
        return Position(periods[0][1], None, (), None, False)
    last = started[-1]
    ends = [p[3] for p in started if p[3] is not None and p[3] <= as_of]
    last_end = max(ends) if ends else None
    if last[3] is None or last[3] > as_of:
        return Position(last[1], last[2], tuple(p[1] for p in started[:-1]), last_end, False)
    return Position(None, None, tuple(p[1] for p in started), last_end, False)


def line_forecast(
    position: Position, *, product_id: int | None, manufacturer_id: int | None, as_of: float,
    book: DurationBook, routes: Routes, wait: Duration | None = None, waiting_since: float | None = None,
) -> LineForecast:
    """The line item's remaining stages; `wait` (with `waiting_since`) delays one not started yet."""
    base = as_of
    parts: list[LogNormal] = []
    stage_ids: list[int] = []
    passed = set(position.passed)
    lead = 0
    if position.current is not None:
        stage = book.distribution(position.current, manufacturer_id)
        start = position.current_start
        if start is None:
            if wait is not None:
                waited = as_of - waiting_since if waiting_since is not None else 0.0
                parts.append(distribution_of(wait).remaining(max(waited, 0.0)))
                lead = 1
            parts.append(stage)
        elif start > as_of:
            base = start
            parts.append(stage)
        else:
            parts.append(stage.remaining(as_of - start))
        stage_ids.append(position.current)
        anchor = position.current
        passed.add(anchor)
    else:
        anchor = position.passed[-1] if position.passed else None
    if not position.completed and anchor is not None:
        for stage_id in routes.ahead(product_id=product_id, anchor=anchor, passed=passed, as_of=as_of,
                                     include_anchor=False):
            parts.append(book.distribution(stage_id, manufacturer_id))
            stage_ids.append(stage_id)
    if not parts:
        done = position.last_end if position.last_end is not None else as_of
        return LineForecast(done, done, ())
    stages = tuple(
        (stage_id, base + p50, base + p90)
        for stage_id, (p50, p90) in zip(stage_ids, cumulative(parts)[lead:], strict=True)
    )
    return LineForecast(stages[-1][1], stages[-1][2], stages)


def order_arrival(
    lines: list[LineForecast], *, as_of: float, gap: Duration, arrived_at: float | None,
) -> tuple[float, float] | None:
    """(p50, p90) of when the order's goods are received; None when no line item says anything."""
    if arrived_at is not None and arrived_at <= as_of:
        return arrived_at, arrived_at
    if not lines:
        return None
    done_p50 = max(f.done_p50 for f in lines)
    done_p90 = max(f.done_p90 for f in lines)
    received = distribution_of(gap)
    if done_p90 <= as_of:
        # Every stage is done: the gap is under way since the last one ended.
        r50, r90 = received.remainder(as_of - done_p50)
        return as_of + r50, as_of + r90
    ahead50 = max(done_p50 - as_of, MIN_DAYS)
    ahead90 = max(done_p90 - as_of, ahead50 * MIN_SPREAD)
    p50, p90 = cumulative([LogNormal.fit(ahead50, ahead90), received])[-1]
    return as_of + p50, as_of + p90


def forecast_state(*, arrival_p50: dt.date | None, arrival_p90: dt.date | None, expected: dt.date | None) -> str:
    """predicted_late: the p50 arrival is after the PO's date; at_risk: only the p90 is; '' without a date."""
    if expected is None or arrival_p50 is None:
        return ""
    if arrival_p50 > expected:
        return ForecastState.PREDICTED_LATE
    if arrival_p90 is not None and arrival_p90 > expected:
        return ForecastState.AT_RISK
    return ForecastState.ON_TRACK


class LocalDates:
    """Float days → the organisation's local dates (cached per quarter hour: every UTC offset is one)."""

    def __init__(self, time_zone: str):
        try:
            self.zone = ZoneInfo(time_zone or "UTC")
        except (KeyError, ValueError):
            self.zone = ZoneInfo("UTC")
        self._cache: dict[int, dt.date] = {}

    def date(self, days: float | None) -> dt.date | None:
        if days is None:
            return None
        seconds = days * DAY_SECONDS
        quarter = int(seconds // 900)
        found = self._cache.get(quarter)
        if found is None:
            found = self._cache[quarter] = dt.datetime.fromtimestamp(quarter * 900, self.zone).date()
        return found


def as_days(value: dt.datetime | None) -> float | None:
    return None if value is None else value.timestamp() / DAY_SECONDS


def as_datetime(days: float | None) -> dt.datetime | None:
    return None if days is None else dt.datetime.fromtimestamp(days * DAY_SECONDS, dt.UTC)
