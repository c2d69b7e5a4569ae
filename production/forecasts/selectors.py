"""Reads of production.forecasts for the board, summaries, customers, Shipup and analytics.

Everything here reads what `services.forecasts_recompute` stored (StageDuration, ReceivingGap, the
line items' forecast fields, OrderDateChange); nothing computes a forecast per request.

For the stuck rule (production/rules.py, owned there): a card is stuck when its days in stage
exceed `stuck_threshold_days(stage, manufacturer)`: the manager's setting for the stage when there
is one, else that stage × manufacturer's p90 (falling back to the stage across factories, then the
default). For a whole board, `stuck_thresholds(organisation=...)` answers every pair in one query.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from production.models import OrderDateChange, ReceivingGap, Stage, StageDuration

from .history import DEFAULT_GAP, Duration, DurationBook


def stage_durations_book(*, organisation) -> DurationBook:
    """The stored durations of every stage × manufacturer (one query), with the usual fallbacks."""
    fitted = {
        (stage_id, manufacturer_id): Duration(median, p90, samples, "manufacturer" if manufacturer_id else "stage")
        for stage_id, manufacturer_id, median, p90, samples in StageDuration.objects.filter(
            organisation=organisation
        ).values_list("stage_id", "manufacturer_id", "median_days", "p90_days", "samples")
    }
    return DurationBook(fitted)


def stage_duration(*, stage, manufacturer=None, book: DurationBook | None = None) -> Duration:
    """Median and p90 days of `stage` at `manufacturer` (None: every factory), with its source."""
    book = book or stage_durations_book(organisation=stage.organisation)
    return book.duration(stage.pk, getattr(manufacturer, "pk", manufacturer))


def stuck_threshold_days(stage, manufacturer=None, *, book: DurationBook | None = None) -> float:
    """Days after which a card in `stage` at `manufacturer` is stuck: the manager's setting, else the pair's p90."""
    if stage.stuck_after_days is not None:
        return float(stage.stuck_after_days)
    return stage_duration(stage=stage, manufacturer=manufacturer, book=book).p90_days


@dataclass(frozen=True)
class StuckThresholds:
    """Stuck thresholds of a whole organisation: `days(stage_id, manufacturer_id)`, and the pairs for a query."""

    book: DurationBook
    manager: dict[int, float]  # stage id -> the manager's setting

    def days(self, stage_id: int, manufacturer_id: int | None) -> float:
        if stage_id in self.manager:
            return self.manager[stage_id]
        return self.book.duration(stage_id, manufacturer_id).p90_days

    def pairs(self, stage_ids, manufacturer_ids) -> dict[tuple[int, int | None], float]:
        """Every (stage, manufacturer) threshold, plus (stage, None) for orders without a manufacturer."""
        return {
            (stage_id, manufacturer_id): self.days(stage_id, manufacturer_id)
            for stage_id in stage_ids
            for manufacturer_id in [*manufacturer_ids, None]
        }


def stuck_thresholds(*, organisation) -> StuckThresholds:
    manager = {
        pk: float(days)
        for pk, days in Stage.objects.filter(organisation=organisation, stuck_after_days__isnull=False).values_list(
            "pk", "stuck_after_days"
        )
    }
    return StuckThresholds(stage_durations_book(organisation=organisation), manager)


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


def order_slip_days(order) -> int | None:
    """Days the order's expected date moved from the original one (positive: later); None without both."""
    current = order.in_warehouse_date or order.due_date
    original = order.original_in_warehouse_date if order.in_warehouse_date else order.original_due_date
    if current is None or original is None:
        return None
    return (current - original).days
