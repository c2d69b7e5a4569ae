"""How good the forecasts are: replay the history and compare what would have been said with what happened.

For every line item (with stages) of an order whose goods arrived, the forecast is made as it would
have been `as_of_days` before the arrival, from only what was known then: the periods started by
then (those not ended by then as under way), durations and the receiving gap learned from periods
and arrivals before then, routes of products completed before then. Orders created after that
instant are left out (there was nothing to forecast yet).

Compared, in the organisation's local dates (what pages show), against the arrival:
- Seamline's forecast: the p50 arrival; and how often the arrival fell below the p50, inside
  p50–p90, above the p90 (well calibrated: about 50 % / 40 % / 10 %);
- the PO's own date (in-warehouse date, else due date) as it stood then (the date changes the
  syncs recorded; the current date when none were recorded);
- a fixed guess: 7 days per remaining stage (what is left of 7 for the stage under way), plus the
  same learned receiving gap (so the comparison is about stage durations).
`mae_days` is the median absolute error in days (issue 13's definition); the mean is printed too.
"""
from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass, field

from .history import History, Known, Learner, Routes
from .loaders import date_changes_load, history_load
from .predict import LocalDates, line_forecast, order_arrival, position_at

FIXED_STAGE_DAYS = 7.0


@dataclass
class Errors:
    values: list[float] = field(default_factory=list)

    def summary(self) -> dict:
        if not self.values:
            return {"mae_days": None, "mean_abs_days": None, "n": 0}
        return {
            "mae_days": round(statistics.median(self.values), 2),
            "mean_abs_days": round(statistics.fmean(self.values), 2),
            "n": len(self.values),
        }


def _known_date(changes, current: dt.date | None, as_of: float) -> dt.date | None:
    """The date as it stood at `as_of`: the old value of the first change seen after it, else the current one."""
    for seen, old, _new in changes or ():
        if seen > as_of:
            return old
    return current


def _known_instant(value: float | None, as_of: float) -> float | None:
    """An instant only if it had happened by `as_of` (an order still a draft then had not been confirmed)."""
    return value if value is not None and value <= as_of else None


def _fixed_done(position, *, as_of: float, routes: Routes, product_id) -> float:
    """7 days per remaining stage (what is left of 7 for the stage under way)."""
    days = 0.0
    passed = set(position.passed)
    if position.current is not None:
        elapsed = 0.0 if position.current_start is None else max(0.0, as_of - position.current_start)
        days += max(0.0, FIXED_STAGE_DAYS - elapsed)
        anchor = position.current
        passed.add(anchor)
    else:
        anchor = position.passed[-1] if position.passed else None
    if anchor is not None and not position.completed:
        ahead = routes.ahead(product_id=product_id, anchor=anchor, passed=passed, as_of=as_of, include_anchor=False)
        days += FIXED_STAGE_DAYS * len(ahead)
    if days == 0 and position.last_end is not None:
        return position.last_end
    return as_of + days


def forecast_backtest(*, organisation=None, as_of_days: float = 14.0, history: History | None = None,
                      date_changes: dict | None = None, per_manufacturer: bool = True) -> dict:
    """Replay the history; returns {"forecast": {...}, "due_date": {...}, "fixed": {...}, "line_items": N}."""
    if history is None:
        history = history_load(organisation=organisation)
    if date_changes is None:
        date_changes = date_changes_load(organisation=organisation) if organisation is not None else {}
    learner = Learner(history)
    routes = learner.routes
    dates = LocalDates(history.time_zone)
    known_by_day: dict[int, Known] = {}
    forecast, due, fixed = Errors(), Errors(), Errors()
    below = inside = above = 0
    line_items = 0
    for order_id, order in history.orders.items():
        if order.arrived_at is None:
            continue
        as_of = order.arrived_at - as_of_days
        if order.created_at is not None and order.created_at > as_of:
            continue
        # What was known by the start of that day (a day's figures serve every order of the day).
        day = math.floor(as_of)
        known = known_by_day.get(day)
        if known is None:
            known = known_by_day[day] = learner.known(float(day))
        gap = known.gap
        manufacturer = order.manufacturer_id if per_manufacturer else None
        lines, fixed_done, counted = [], [], 0
        for line_id in history.lines_by_order.get(order_id, ()):
            line = history.lines[line_id]
            position = position_at(history.periods.get(line_id, []), as_of)
            if line.removed or position is None:
                continue
            lines.append(line_forecast(
                position, product_id=line.product_id, manufacturer_id=manufacturer, as_of=as_of, book=known.book,
                routes=routes, wait=known.wait(manufacturer), waiting_since=_known_instant(order.waiting_since, as_of),
            ))
            fixed_done.append(_fixed_done(position, as_of=as_of, routes=routes, product_id=line.product_id))
            counted += 1
        arrival = order_arrival(lines, as_of=as_of, gap=gap, arrived_at=None)
        if arrival is None:
            continue
        actual = dates.date(order.arrived_at)
        p50, p90 = dates.date(arrival[0]), dates.date(arrival[1])
        fixed_arrival = dates.date(max(max(fixed_done), as_of) + gap.median_days)
        expected = (
            _known_date(date_changes.get((order_id, "in_warehouse_date")), order.in_warehouse_date, as_of)
            or _known_date(date_changes.get((order_id, "due_date")), order.due_date, as_of)
        )
        for _ in range(counted):
            line_items += 1
            forecast.values.append(abs((p50 - actual).days))
            fixed.values.append(abs((fixed_arrival - actual).days))
            if expected is not None:
                due.values.append(abs((expected - actual).days))
            if actual < p50:
                below += 1
            elif actual > p90:
                above += 1
            else:
                inside += 1
    share = (lambda k: round(k / line_items, 3)) if line_items else (lambda k: None)
    return {
        "forecast": {**forecast.summary(), "below_p50": share(below), "in_range": share(inside),
                     "above_p90": share(above)},
        "due_date": due.summary(),
        "fixed": fixed.summary(),
        "line_items": line_items,
        "as_of_days": as_of_days,
    }
