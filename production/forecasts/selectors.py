"""Reads of production.forecasts for the board, summaries, customers, Shipup and analytics.

Everything here reads what `services.forecasts_recompute` stored (StageDuration, ReceivingGap, the
line items' forecast fields, OrderDateChange); nothing computes a forecast per request. The stuck
rule built on the stored durations is production.rules' (stuck_thresholds), its fallbacks
production.durations'.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Q

from production.durations import durations_stored
from production.models import OrderDateChange, ReceivingGap

from .history import DEFAULT_GAP, Duration, DurationBook


def stage_durations_book(*, organisation) -> DurationBook:
    """The stored durations of every stage × manufacturer (one query), with the usual fallbacks."""
    return DurationBook(durations_stored(organisation=organisation))


def stage_duration(*, stage, manufacturer=None, book: DurationBook | None = None) -> Duration:
    """Median and p90 days of `stage` at `manufacturer` (None: every factory), with its source."""
    book = book or stage_durations_book(organisation=stage.organisation)
    return book.duration(stage.pk, getattr(manufacturer, "pk", manufacturer))


def receiving_gap(*, organisation) -> Duration:
    """The organisation's usual days from the last stage to goods received (the default before any history)."""
    row = ReceivingGap.objects.filter(organisation=organisation).first()
    if row is None:
        return DEFAULT_GAP
    return Duration(row.median_days, row.p90_days, row.samples, "organisation" if row.samples else "default")


@dataclass(frozen=True)
class ProjectedStage:
    """A stage still ahead of a line item, as the timeline draws it (p50 bar, p90 whisker)."""

    stage_id: int
    p50: dt.date
    p90: dt.date


def line_item_projected_stages(line_item) -> list[ProjectedStage]:
    """The stored forecast of each stage still to finish, in order (empty when none)."""
    return [
        ProjectedStage(entry["stage_id"], dt.date.fromisoformat(entry["p50"]), dt.date.fromisoformat(entry["p90"]))
        for entry in (line_item.forecast_stages or [])
    ]


def order_date_history(*, order, field: str = OrderDateChange.Field.DUE_DATE) -> list[OrderDateChange]:
    """The changes of one of an order's dates, oldest first ("12 Mar → 16 Mar → 21 Mar")."""
    return list(OrderDateChange.objects.filter(order=order, field=field).order_by("seen_at", "id"))


def forecasts_computed_at(*, organisation) -> dt.datetime | None:
    """When the organisation's forecasts were last recomputed (every recompute stores the receiving gap)."""
    return ReceivingGap.objects.filter(organisation=organisation).values_list("computed_at", flat=True).first()


def slip_days(*, due_date, in_warehouse_date, original_due_date, original_in_warehouse_date) -> int | None:
    """Days the expected date moved from the original one (positive: later); None without both.

    The expected date is the in-warehouse date, else the due date (production.rules); its original
    is the same field's as Seamline first saw it. Late is judged against the current date; a slip
    against the original.
    """
    current = in_warehouse_date or due_date
    original = original_in_warehouse_date if in_warehouse_date else original_due_date
    if current is None or original is None:
        return None
    return (current - original).days


def order_slip_days(order) -> int | None:
    return slip_days(due_date=order.due_date, in_warehouse_date=order.in_warehouse_date,
                     original_due_date=order.original_due_date,
                     original_in_warehouse_date=order.original_in_warehouse_date)


def order_slipped_q(*, prefix: str = "") -> Q:
    """Orders whose expected date is later than its original (order_slip_days > 0), as a filter."""
    p = prefix
    return Q(**{f"{p}in_warehouse_date__isnull": False, f"{p}original_in_warehouse_date__isnull": False,
                f"{p}in_warehouse_date__gt": F(f"{p}original_in_warehouse_date")}) | Q(
        **{f"{p}in_warehouse_date__isnull": True, f"{p}due_date__isnull": False,
           f"{p}original_due_date__isnull": False, f"{p}due_date__gt": F(f"{p}original_due_date")}
    )
