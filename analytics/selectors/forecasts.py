"""Forecast accuracy: each forecast against what happened, beside two baselines.

The interface is BacktestRow: one per line item whose PO was received, stored as ForecastOutcome
after each sync by analytics.services from `backtest_source()`. The backtest of production.forecasts
(issue 13) replays history to make the forecast "as it would have been N days before arrival";
until it is merged, `backtest_source()` reads the forecast each line item last carried
(LineItem.forecast_*, written by production.forecasts after syncs) against the day its PO was
received. Swap the body of `backtest_source()` for that backtest's rows; nothing else changes.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from analytics.models import ForecastOutcome, ReceivedOrder
from production.history.spans import local_day
from production.models import LineItem
from production.models.orders import DeliveryStatus
from production.rules import organisation_zone

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


def backtest_source(*, organisation):
    """Every line item with a forecast whose PO was received, as (BacktestRow, season, warehouse)."""
    zone = organisation_zone(organisation)
    orders = {order_id: (maker, season, on, expected) for order_id, maker, season, on, expected in
              ReceivedOrder.objects.filter(organisation=organisation).values_list(
                  "order_id", "manufacturer_id", "season_id", "received_on", "expected_on")}
    if not orders:
        return
    qs = LineItem.objects.filter(organisation=organisation, removed_at__isnull=True, forecast_arrival_p50__isnull=False,
                                 forecast_at__isnull=False, order__delivery_status=DeliveryStatus.ALL_RECEIVED)
    for pk, uphance_id, order_id, warehouse, p50, p90, made_at, remaining in qs.order_by("id").values_list(
        "id", "uphance_id", "order_id", "warehouse_id", "forecast_arrival_p50", "forecast_arrival_p90", "forecast_at",
        "forecast_stages",
    ).iterator(chunk_size=5000):
        if order_id not in orders:
            continue
        maker, season, actual, expected = orders[order_id]
        made_on = local_day(made_at, zone)
        stages_left = len(remaining) if isinstance(remaining, list) else 0
        yield BacktestRow(
            line_item_id=pk, uphance_id=uphance_id, manufacturer_id=maker, made_on=made_on, actual=actual,
            forecast_p50=p50, forecast_p90=p90 or p50, due_date_baseline=expected,
            fixed_baseline=made_on + dt.timedelta(days=FIXED_DAYS_PER_STAGE * stages_left),
        ), season, warehouse


def backtest_rows(*, organisation, filters: AnalyticsFilters) -> list[BacktestRow]:
    """The stored rows of line items that arrived in the window and match the filters. One query."""
    qs = ForecastOutcome.objects.filter(organisation=organisation, actual__gte=filters.first, actual__lte=filters.last)
    if filters.manufacturers:
        qs = qs.filter(manufacturer_id__in=filters.manufacturers)
    if filters.seasons:
        qs = qs.filter(season_id__in=filters.seasons)
    if filters.warehouses:
        qs = qs.filter(warehouse_id__in=filters.warehouses)
    return [BacktestRow(*row) for row in qs.order_by("line_item_id").values_list(
        "line_item_id", "uphance_id", "manufacturer_id", "made_on", "actual", "forecast_p50", "forecast_p90",
        "due_date_baseline", "fixed_baseline")]


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
