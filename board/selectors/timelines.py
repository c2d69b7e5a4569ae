"""Reads for timelines: a production order or a line item with its stage periods on a time axis."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from board.selectors.cache import board_version
from board.selectors.swatches import colour_swatch, safe_image_url
from production.colours import text_colour_for
from production.models import LineItem, LineQuantity, ProductionOrder, Stage, StagePeriod
from production.models.orders import StageStatus
from production.rules import (
    days_in_stage,
    days_late,
    line_item_is_stuck,
    order_expected_date,
    order_is_late,
    organisation_today,
    organisation_zone,
    stuck_thresholds,
)

MIN_BAR_PERCENT = 0.8  # a stage of a few seconds still shows as a sliver
TICKS = 6


def duration_text(delta: dt.timedelta | None) -> str:
    """'4 seconds', '3 hours', '6 days' — the largest unit that reads naturally."""
    if delta is None:
        return "unknown"
    seconds = max(0, int(delta.total_seconds()))
    for unit, size, threshold in (("day", 86400, 2 * 86400), ("hour", 3600, 2 * 3600), ("minute", 60, 120)):
        if seconds >= threshold:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    if seconds >= 60:
        n = seconds // 60
        return f"{n} minute{'s' if n != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


@dataclass
class Bar:
    label: str
    colour: str
    text_colour: str
    left: float
    width: float
    title: str
    is_current: bool
    status: str


@dataclass
class PeriodRow:
    """One stage of a line item, as text (what the bar shows, plus when Seamline saw it)."""

    stage: str
    colour: str
    text_colour: str
    status: str
    start: dt.datetime | None
    end: dt.datetime | None
    duration: str
    is_current: bool
    first_seen_at: dt.datetime
    changed_at: dt.datetime
    note: str = ""


@dataclass
class TimelineRow:
    key: str
    label: str
    sublabel: str
    url_uphance_id: int | None
    bars: list[Bar] = field(default_factory=list)
    periods: list[PeriodRow] = field(default_factory=list)
    headline: str = ""


@dataclass
class Axis:
    start: dt.datetime
    end: dt.datetime
    ticks: list[tuple[float, str]]
    now_left: float


@dataclass
class Timeline:
    axis: Axis | None
    rows: list[TimelineRow]


def _period_end(period: StagePeriod, now: dt.datetime) -> dt.datetime | None:
    if period.end_time is not None:
        return period.end_time
    return now if period.is_current and period.status != "completed" else None


def _axis(periods: list[StagePeriod], now: dt.datetime, zone) -> Axis | None:
    starts = [p.start_time for p in periods if p.start_time]
    if not starts:
        return None
    ends = [e for p in periods if (e := _period_end(p, now))] + [now]
    low, high = min(starts), max(max(ends), max(starts))
    span = max(high - low, dt.timedelta(hours=1))
    pad = span * 0.03
    start, end = low - pad, high + pad
    total = (end - start).total_seconds()
    fmt = "%d %b" if span > dt.timedelta(days=3) else "%d %b %H:%M"
    ticks = []
    for i in range(TICKS):
        at = start + (end - start) * (i / (TICKS - 1))
        ticks.append((round(100 * i / (TICKS - 1), 2), at.astimezone(zone).strftime(fmt)))
    return Axis(start=start, end=end, ticks=ticks, now_left=round(100 * (now - start).total_seconds() / total, 2))


def _bar(period: StagePeriod, axis: Axis, now: dt.datetime, zone) -> Bar | None:
    if period.start_time is None:
        return None
    total = (axis.end - axis.start).total_seconds()
    end = _period_end(period, now)
    stage = period.stage
    colour = stage.safe_colour
    left = 100 * (period.start_time - axis.start).total_seconds() / total
    if end is None or end < period.start_time:
        width = MIN_BAR_PERCENT
        length = "no end time" if end is None else "end before start"
    else:
        width = max(MIN_BAR_PERCENT, 100 * (end - period.start_time).total_seconds() / total)
        length = duration_text(end - period.start_time)
    left = min(max(left, 0.0), 100 - MIN_BAR_PERCENT)
    width = min(width, 100 - left)
    status = period.status_raw or period.status or ""
    started = period.start_time.astimezone(zone).strftime("%d %b %Y %H:%M")
    title = f"{stage.name}: {length} ({status}), from {started}"
    if period.is_current and period.end_time is None:
        title += " until now"
    return Bar(
        label=stage.name, colour=colour, text_colour=text_colour_for(colour), left=round(left, 3),
        width=round(width, 3), title=title, is_current=period.is_current, status=status,
    )


def _period_row(period: StagePeriod, now: dt.datetime) -> PeriodRow:
    end = _period_end(period, now)
    note = ""
    if period.start_time and period.end_time and period.end_time < period.start_time:
        note = "Uphance gives an end before the start."
    duration = duration_text(end - period.start_time) if period.start_time and end and end >= period.start_time else "unknown"
    colour = period.stage.safe_colour
    return PeriodRow(
        stage=period.stage.name, colour=colour, text_colour=text_colour_for(colour),
        status=period.status_raw or period.status, start=period.start_time, end=period.end_time,
        duration=duration, is_current=period.is_current, first_seen_at=period.first_seen_at,
        changed_at=period.changed_at, note=note,
    )


def line_item_headline(item: LineItem, periods: list[StagePeriod], now: dt.datetime) -> str:
    """'Sewing for 6 days', 'Not started', 'Packing done', 'No stages'."""
    if item.stage_status == StageStatus.NO_STAGES:
        return "No production stages"
    current = next((p for p in periods if p.is_current), None)
    stage = current.stage if current else item.current_stage
    if item.stage_status == StageStatus.NOT_STARTED:
        return f"Not started{f' ({stage.name} next)' if stage else ''}"
    if item.stage_status == StageStatus.COMPLETED:
        return f"{stage.name} completed" if stage else "All stages completed"
    started = (current.start_time if current else None) or item.current_stage_started_at
    if stage and started:
        return f"{stage.name} for {duration_text(now - started)}"
    return f"In {stage.name}" if stage else "In progress"


def _timeline(rows_periods: list[tuple[TimelineRow, list[StagePeriod]]], now: dt.datetime, zone) -> Timeline:
    all_periods = [p for _, periods in rows_periods for p in periods]
    axis = _axis(all_periods, now, zone)
    rows = []
    for row, periods in rows_periods:
        row.periods = [_period_row(p, now) for p in periods]
        if axis:
            row.bars = [b for p in periods if (b := _bar(p, axis, now, zone))]
        rows.append(row)
    return Timeline(axis=axis, rows=rows)


# --- production order ----------------------------------------------------------------------------

def order_get(*, organisation, uphance_id: int) -> ProductionOrder | None:
    return (
        ProductionOrder.objects.filter(organisation=organisation, uphance_id=uphance_id)
        .select_related("manufacturer", "season")
        .first()
    )


@dataclass
class LineItemView:
    item: LineItem
    quantities: list[LineQuantity]
    swatch: str
    image_url: str
    headline: str
    days_in_stage: int | None
    stuck: bool
    periods: list[PeriodRow] = field(default_factory=list)


@dataclass
class OrderDetail:
    order: ProductionOrder
    line_items: list[LineItemView]
    timeline: Timeline
    units: int
    expected_date: dt.date | None
    late: bool | None
    days_late: int
    today: dt.date
    zone_name: str
    sizes: list[str]


def order_detail(*, organisation, order: ProductionOrder, now: dt.datetime | None = None) -> OrderDetail:
    """An order's line items (sizes, current stage) and a timeline of all their stages."""
    now = now or timezone.now()
    zone = organisation_zone(organisation)
    today = organisation_today(organisation=organisation, now=now)
    items = list(
        LineItem.objects.filter(order=order, removed_at__isnull=True)
        .select_related("current_stage", "warehouse")
        .prefetch_related(Prefetch("quantities", queryset=LineQuantity.objects.order_by("position", "id")))
        .order_by("uphance_id")
    )
    periods = defaultdict(list)
    for period in (
        StagePeriod.objects.filter(organisation=organisation, line_item__in=[i.id for i in items])
        .select_related("stage")
        .order_by("line_item_id", "sequence")
    ):
        periods[period.line_item_id].append(period)
    stages = list(Stage.objects.filter(organisation=organisation))
    thresholds = stuck_thresholds(organisation=organisation, stages=stages,
                                  version=board_version(organisation=organisation))
    views, rows_periods = [], []
    sizes: list[str] = []
    for item in items:
        quantities = list(item.quantities.all())
        for q in quantities:
            if q.size not in sizes:
                sizes.append(q.size)
        headline = line_item_headline(item, periods[item.id], now)
        views.append(
            LineItemView(
                item=item, quantities=quantities, swatch=colour_swatch(item.colour),
                image_url=safe_image_url(item.cover_image), headline=headline,
                days_in_stage=days_in_stage(stage_status=item.stage_status, started_at=item.current_stage_started_at,
                                            now=now),
                stuck=line_item_is_stuck(item, thresholds=thresholds, now=now),
            )
        )
        row = TimelineRow(
            key=str(item.uphance_id), label=item.product_name or f"Line item {item.uphance_id}",
            sublabel=" · ".join(x for x in (item.colour, item.product_identifier) if x),
            url_uphance_id=item.uphance_id, headline=headline,
        )
        rows_periods.append((row, periods[item.id]))
    timeline = _timeline(rows_periods, now, zone)
    for view, row in zip(views, timeline.rows, strict=False):
        view.periods = row.periods
    return OrderDetail(
        order=order, line_items=views, timeline=timeline,
        units=sum(i.units for i in items), expected_date=order_expected_date(order),
        late=order_is_late(order, today=today), days_late=days_late(order, today=today),
        today=today, zone_name=str(zone), sizes=sizes,
    )


# --- line item ----------------------------------------------------------------------------------

def line_item_get(*, organisation, uphance_id: int) -> LineItem | None:
    return (
        LineItem.objects.filter(organisation=organisation, uphance_id=uphance_id)
        .select_related("order", "order__manufacturer", "order__season", "current_stage", "warehouse")
        .first()
    )


@dataclass
class LineItemDetail:
    item: LineItem
    quantities: list[LineQuantity]
    timeline: Timeline
    periods: list[PeriodRow]
    headline: str
    swatch: str
    image_url: str
    stuck: bool
    stuck_after_days: float | None
    stuck_source: str
    expected_date: dt.date | None
    late: bool | None
    zone_name: str


def line_item_timeline(*, organisation, item: LineItem, now: dt.datetime | None = None) -> LineItemDetail:
    """One line item's past stages and the current one, a bar each, with when Seamline saw them."""
    now = now or timezone.now()
    zone = organisation_zone(organisation)
    periods = list(
        StagePeriod.objects.filter(organisation=organisation, line_item=item).select_related("stage").order_by("sequence")
    )
    rows_periods = [
        (TimelineRow(key=str(p.sequence), label=p.stage.name, sublabel=p.status_raw or p.status, url_uphance_id=None), [p])
        for p in periods
    ]
    timeline = _timeline(rows_periods, now, zone)
    stages = list(Stage.objects.filter(organisation=organisation))
    thresholds = stuck_thresholds(organisation=organisation, stages=stages,
                                  version=board_version(organisation=organisation))
    threshold = thresholds.get(item.current_stage_id)
    return LineItemDetail(
        item=item,
        quantities=list(item.quantities.order_by("position", "id")),
        timeline=timeline,
        periods=[r.periods[0] for r in timeline.rows],
        headline=line_item_headline(item, periods, now),
        swatch=colour_swatch(item.colour),
        image_url=safe_image_url(item.cover_image),
        stuck=line_item_is_stuck(item, thresholds=thresholds, now=now),
        stuck_after_days=threshold.days if threshold else None,
        stuck_source=threshold.label if threshold else "",
        expected_date=order_expected_date(item.order),
        late=order_is_late(item.order, today=organisation_today(organisation=organisation, now=now)),
        zone_name=str(zone),
    )

