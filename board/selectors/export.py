"""The board as CSV rows: every line item the filters select, with its stage, late, stuck, forecast and slip, streamed."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

from board.selectors.cache import board_version
from board.selectors.filters import BoardFilters, line_items_filtered
from production.forecasts.selectors import slip_days
from production.models import Stage
from production.rules import (
    days_in_stage,
    expected_date,
    is_late,
    is_stuck,
    organisation_today,
    organisation_zone,
    stuck_thresholds,
)

EXPORT_HEADER = [
    "PO number", "Order id", "Manufacturer", "Season", "Order status", "Delivery status", "Due date",
    "In warehouse date", "Line item id", "Product", "Identifier", "Colour", "Warehouse", "Units",
    "Stage status", "Current stage", "Stage started at", "Days in stage", "Late", "Stuck",
    "forecast_state", "forecast_arrival_p50", "forecast_arrival_p90", "Original due date",
    "Original in warehouse date", "Slip days",
]
LATE_WORDS = {True: "yes", False: "no", None: "no date"}


def _iso(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def board_export_rows(*, organisation, filters: BoardFilters, now: dt.datetime | None = None) -> Iterator[list]:
    """Every line item of the filtered board with its stage data, a row at a time (streamed).

    Rows are read as plain values (no model instances) and judged by the same rules as the cards:
    stuck against the stage × manufacturer threshold, days in stage never negative ("starts in 3 d"
    for a start Uphance dates ahead), the stored forecast, the slip from the original date.
    """
    now = now or timezone.now()
    zone = organisation_zone(organisation)
    today = organisation_today(organisation=organisation, now=now)
    stages = list(Stage.objects.filter(organisation=organisation))
    thresholds = stuck_thresholds(organisation=organisation, stages=stages,
                                  version=board_version(organisation=organisation))
    stage_names = {s.id: s.name for s in stages}
    items = line_items_filtered(organisation=organisation, filters=filters, now=now, thresholds=thresholds)
    rows = items.order_by("order__uphance_id", "uphance_id").values_list(
        "order__number", "order__uphance_id", "order__manufacturer__name", "order__season__name",
        "order__status_raw", "order__delivery_status_raw", "order__due_date", "order__in_warehouse_date",
        "uphance_id", "product_name", "product_identifier", "colour", "warehouse__name", "units",
        "stage_status", "current_stage_id", "current_stage_started_at", "order__delivery_status", "order__status",
        "order__manufacturer_id", "forecast_state", "forecast_arrival_p50", "forecast_arrival_p90",
        "order__original_due_date", "order__original_in_warehouse_date",
    )
    yield EXPORT_HEADER
    for (number, order_id, manufacturer, season, status_raw, delivery_raw, due, in_warehouse, item_id, product,
         identifier, colour, warehouse, units, stage_status, stage_id, started, delivery, status, manufacturer_id,
         forecast_state, arrival_p50, arrival_p90, original_due, original_in_warehouse) in rows.iterator(
        chunk_size=2000
    ):
        late = is_late(status=status, delivery_status=delivery, today=today,
                       expected=expected_date(in_warehouse_date=in_warehouse, due_date=due))
        stuck = is_stuck(stage_status=stage_status, started_at=started,
                         threshold=thresholds.threshold(stage_id, manufacturer_id), now=now)
        in_stage, future = days_in_stage(stage_status=stage_status, started_at=started, now=now)
        slip = slip_days(due_date=due, in_warehouse_date=in_warehouse, original_due_date=original_due,
                         original_in_warehouse_date=original_in_warehouse)
        yield [
            number, order_id, manufacturer or "", season or "", status_raw, delivery_raw,
            _iso(due), _iso(in_warehouse), item_id, product,
            identifier, colour, warehouse or "", units, stage_status, stage_names.get(stage_id, ""),
            started.astimezone(zone).isoformat(timespec="minutes") if started else "",
            f"starts in {in_stage} d" if future else ("" if in_stage is None else in_stage),
            LATE_WORDS[late], "yes" if stuck else "no",
            forecast_state or "", _iso(arrival_p50), _iso(arrival_p90), _iso(original_due),
            _iso(original_in_warehouse), "" if slip is None else slip,
        ]
