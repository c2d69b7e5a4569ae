"""Slips as an order page tells them: "Due date moved +9 d twice: 12 Mar → 16 Mar → 21 Mar"."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from production.forecasts.selectors import order_date_history, order_slip_days
from production.models import OrderDateChange

TIMES = {1: "once", 2: "twice"}


@dataclass(frozen=True)
class DateHistory:
    """The moves of one of an order's dates, oldest first."""

    label: str  # "Due date", "In-warehouse date"
    dates: list[dt.date | None]  # the original, then each new date (None: Uphance cleared it)
    moves: int

    @property
    def net_days(self) -> int | None:
        """From the first known date to the last (positive: later); None when either end is unknown."""
        known = [d for d in self.dates if d is not None]
        if len(known) < 2 or self.dates[0] is None or self.dates[-1] is None:
            return None
        return (known[-1] - known[0]).days

    @property
    def text(self) -> str:
        """'Due date moved +9 d twice' (the dates follow, as <time> elements, in the template)."""
        times = TIMES.get(self.moves, f"{self.moves} times")
        net = self.net_days
        amount = "" if net is None else (" back to where it was" if net == 0 else f" {net:+d} d")
        return f"{self.label} moved{amount} {times}"


@dataclass(frozen=True)
class OrderSlips:
    histories: list[DateHistory]
    slip_days: int | None  # the expected date against its original (positive: later)

    @property
    def slipped(self) -> bool:
        return bool(self.slip_days and self.slip_days > 0)


def order_slips(*, order) -> OrderSlips:
    """Every moved due and in-warehouse date of `order` (two queries), and its slip from the original."""
    histories = []
    for field in (OrderDateChange.Field.DUE_DATE, OrderDateChange.Field.IN_WAREHOUSE_DATE):
        changes = order_date_history(order=order, field=field)
        if changes:
            dates = [changes[0].old_date] + [c.new_date for c in changes]
            histories.append(DateHistory(label=OrderDateChange.Field(field).label, dates=dates, moves=len(changes)))
    return OrderSlips(histories=histories, slip_days=order_slip_days(order))
