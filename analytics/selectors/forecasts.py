"""Forecast accuracy: each forecast against what happened, beside two baselines.

The interface is `backtest_rows()`: one BacktestRow per line item whose PO was received in the
window. The backtest of production.forecasts (issue 13) replays history to make the forecast "as it
would have been N days before arrival"; until it is merged this module reads the forecast each line
item last carried (LineItem.forecast_*, written by production.forecasts after syncs) against the
day its PO was received. Swap the body of `backtest_rows` for that backtest's rows; nothing else
changes.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from production.history.services import organisation_zone, received_at_expression
from production.history.spans import end_of_day, local_day
from production.models import LineItem
from production.models.orders import DeliveryStatus

from .common import AnalyticsFilters, percentile

FIXED_DAYS_PER_STAGE = 7  # the naive baseline: a week for every stage still to go
SCATTER_CAP = 1500  # points drawn; the table and CSV always carry every figure


@dataclass(frozen=True)
class BacktestRow:
    line_item_id: int
    uphance_id: int
    manufacturer_id: int | None
    made_on: dt.date  # when the forecast was made
    actual: dt.date  # when the line item arrived (its PO was received)
    forecast_p50: dt.date
    forecast_p90: dt.date
    due_date_baseline: dt.date | None  # the PO's own in-warehouse (else due) date
    fixed_baseline: dt.date | None  # made_on + 7 days per stage still to go then

    @property
    def error_days(self) -> int:
        """Actual minus forecast p50 (positive: later than forecast)."""
        return (self.actual - self.forecast_p50).days

    @property
    def band(self) -> str:
        if self.actual < self.forecast_p50:
            return "below_p50"
        return "in_range" if self.actual <= self.forecast_p90 else "above_p90"


def backtest_rows(*, organisation, filters: AnalyticsFilters) -> list[BacktestRow]:
    zone = organisation_zone(organisation)
    start, end = end_of_day(filters.first - dt.timedelta(days=1), zone), end_of_day(filters.last, zone)
    qs = (
        LineItem.objects.filter(organisation=organisation, removed_at__isnull=True, forecast_arrival_p50__isnull=False,
                                forecast_at__isnull=False, order__delivery_status=DeliveryStatus.ALL_RECEIVED)
        .annotate(received=received_at_expression("order__"))
        .filter(received__gte=start, received__lt=end)
    )
    if filters.manufacturers:
        qs = qs.filter(order__manufacturer_id__in=filters.manufacturers)
    if filters.seasons:
        qs = qs.filter(order__season_id__in=filters.seasons)
    if filters.warehouses:
        qs = qs.filter(warehouse_id__in=filters.warehouses)
    rows = []
    for (pk, uphance_id, maker, received, p50, p90, made_at, remaining, due, in_wh) in qs.order_by("id").values_list(
        "id", "uphance_id", "order__manufacturer_id", "received", "forecast_arrival_p50", "forecast_arrival_p90",
        "forecast_at", "forecast_stages", "order__due_date", "order__in_warehouse_date",
    ):
        made_on = local_day(made_at, zone)
        stages_left = len(remaining) if isinstance(remaining, list) else 0
        rows.append(BacktestRow(
            line_item_id=pk, uphance_id=uphance_id, manufacturer_id=maker, made_on=made_on,
            actual=local_day(received, zone), forecast_p50=p50, forecast_p90=p90 or p50,
            due_date_baseline=in_wh or due,
            fixed_baseline=made_on + dt.timedelta(days=FIXED_DAYS_PER_STAGE * stages_left),
        ))
    return rows


def _mae(errors: list[int]) -> float | None:
    return round(sum(abs(e) for e in errors) / len(errors), 1) if errors else None


@dataclass
class Accuracy:
    """Median absolute error is what the backtest command prints; the page shows both."""

    line_items: int
    forecast_mae: float | None
    forecast_median_abs: float | None
    below_p50: float | None
    in_range: float | None
    above_p90: float | None
    due_date_mae: float | None
    fixed_mae: float | None


def accuracy(rows: list[BacktestRow]) -> Accuracy:
    n = len(rows)
    bands = defaultdict(int)
    for row in rows:
        bands[row.band] += 1
    share = (lambda k: round(100 * bands[k] / n, 1)) if n else (lambda k: None)
    due = [(r.actual - r.due_date_baseline).days for r in rows if r.due_date_baseline]
    fixed = [(r.actual - r.fixed_baseline).days for r in rows if r.fixed_baseline]
    errors = [r.error_days for r in rows]
    median_abs = percentile([abs(e) for e in errors], 0.5)
    return Accuracy(
        line_items=n, forecast_mae=_mae(errors), forecast_median_abs=median_abs,
        below_p50=share("below_p50"), in_range=share("in_range"), above_p90=share("above_p90"),
        due_date_mae=_mae(due), fixed_mae=_mae(fixed),
    )


def accuracy_by_manufacturer(*, organisation, filters: AnalyticsFilters) -> dict[int, dict]:
    """{manufacturer id: {"line_items", "mae_days", "in_range_pct"}} for the scorecards."""
    grouped = defaultdict(list)
    for row in backtest_rows(organisation=organisation, filters=filters):
        grouped[row.manufacturer_id].append(row)
    out = {}
    for maker, rows in grouped.items():
        acc = accuracy(rows)
        out[maker] = {"line_items": acc.line_items, "mae_days": acc.forecast_mae, "in_range_pct": acc.in_range}
    return out


@dataclass
class ForecastWeek:
    first: dt.date
    accuracy: Accuracy


@dataclass
class ForecastAccuracy:
    filters: AnalyticsFilters
    rows: list[BacktestRow]
    overall: Accuracy
    weeks: list[ForecastWeek]

    def chart(self) -> dict:
        step = max(1, len(self.rows) // SCATTER_CAP)
        points = [
            [(r.forecast_p50 - r.made_on).days, (r.actual - r.made_on).days, (r.forecast_p90 - r.made_on).days]
            for r in self.rows[::step]
        ]
        return {
            "points": points,
            "weeks": [w.first.isoformat() for w in self.weeks],
            "forecast_mae": [w.accuracy.forecast_mae for w in self.weeks],
            "due_date_mae": [w.accuracy.due_date_mae for w in self.weeks],
            "fixed_mae": [w.accuracy.fixed_mae for w in self.weeks],
        }

    def csv_rows(self):
        yield ["week", "line_items", "forecast_mae_days", "below_p50_pct", "in_range_pct", "above_p90_pct",
               "due_date_mae_days", "fixed_mae_days"]
        for w in self.weeks:
            a = w.accuracy
            yield [w.first.isoformat(), a.line_items, _v(a.forecast_mae), _v(a.below_p50), _v(a.in_range),
                   _v(a.above_p90), _v(a.due_date_mae), _v(a.fixed_mae)]


def _v(value) -> str:
    return "" if value is None else f"{value:.1f}"


def forecast_accuracy(*, organisation, filters: AnalyticsFilters) -> ForecastAccuracy:
    rows = backtest_rows(organisation=organisation, filters=filters)
    weeks = defaultdict(list)
    for row in rows:
        weeks[row.actual - dt.timedelta(days=row.actual.weekday())].append(row)
    return ForecastAccuracy(
        filters=filters, rows=rows, overall=accuracy(rows),
        weeks=[ForecastWeek(first, accuracy(weeks[first])) for first in sorted(weeks)],
    )
