"""Reads for timelines: a production order or a line item with its stage periods on a time axis, then
the stages still to come as projected bars (the stored forecast: the p50 as a bar, the p90 as a whisker).

Planned vs actual without a typed plan: actual bars run to now, projected ones after them, and the
PO's expected date is a marker on the same axis.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from board.selectors.cache import board_version
from board.selectors.date_history import OrderSlips, order_slips
from board.selectors.swatches import colour_swatch
from production.colours import text_colour_for
from production.forecasts.selectors import line_item_projected_stages, order_slip_days
from production.images import safe_image_url
from production.models import (
    ForecastState,
    LineItem,
    LineQuantity,
    ProductionOrder,
    Stage,
    StagePeriod,
)
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
    projected: bool = False  # a stage still to come: the bar ends at its p50, the whisker at its p90
    whisker_left: float = 0.0
    whisker_width: float = 0.0


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
    starts_in: int | None = None  # Uphance dates the start ahead: "starts in 3 d"


@dataclass
class TimelineRow:
    key: str
    label: str
    sublabel: str
    url_uphance_id: int | None
    bars: list[Bar] = field(default_factory=list)
    periods: list[PeriodRow] = field(default_factory=list)
    headline: str = ""
    forecast_p50: dt.date | None = None  # the line item in the warehouse (its order's arrival), median
    forecast_p90: dt.date | None = None
    projected: bool = False  # a row of a stage still to come (the line-item page)


@dataclass
class Axis:
    start: dt.datetime
    end: dt.datetime
    ticks: list[tuple[float, str]]
    now_left: float
    due_left: float | None = None  # the PO's expected date on the axis
    due_label: str = ""


@dataclass
class Timeline:
    axis: Axis | None
    rows: list[TimelineRow]

    @property
    def has_projections(self) -> bool:
        return any(bar.projected for row in self.rows for bar in row.bars)


@dataclass(frozen=True)
class Projection:
    """A stage still to come on the axis: from where the previous one is likely done to its own p50, whisker to p90."""

    stage: Stage
    start: dt.datetime
    p50: dt.datetime
    p90: dt.datetime
    p50_date: dt.date
    p90_date: dt.date


def local_noon(day: dt.date, zone) -> dt.datetime:
    """A forecast date on the time axis: the middle of that day where the organisation is."""
    return dt.datetime.combine(day, dt.time(12), tzinfo=zone)


def _short(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def projections_of(item: LineItem, *, stage_by_id: dict[int, Stage], now: dt.datetime, zone) -> list[Projection]:
    """The line item's remaining stages one after another from now (or from a start Uphance dates ahead)."""
    cursor = now
    if item.stage_status == StageStatus.IN_PROGRESS and item.current_stage_started_at:
        cursor = max(now, item.current_stage_started_at)
    out = []
    for projected in line_item_projected_stages(item):
        stage = stage_by_id.get(projected.stage_id)
        if stage is None:
            continue
        p50 = max(local_noon(projected.p50, zone), cursor)
        p90 = max(local_noon(projected.p90, zone), p50)
        out.append(Projection(stage, cursor, p50, p90, projected.p50, projected.p90))
        cursor = p50
    return out


def _period_end(period: StagePeriod, now: dt.datetime) -> dt.datetime | None:
    if period.end_time is not None:
        return period.end_time
    return now if period.is_current and period.status != "completed" else None


def _starts_ahead(period: StagePeriod, now: dt.datetime) -> bool:
    return period.is_current and period.end_time is None and period.start_time is not None and period.start_time > now


def _axis(periods: list[StagePeriod], projections: list[Projection], now: dt.datetime, zone,
          due: dt.date | None = None) -> Axis | None:
    starts = [p.start_time for p in periods if p.start_time] + [p.start for p in projections]
    if not starts:
        return None
    ends = [e for p in periods if (e := _period_end(p, now))] + [now] + [p.p90 for p in projections]
    due_at = local_noon(due, zone) if due else None
    low = min(starts + ([due_at] if due_at else []))
    high = max(ends + starts + ([due_at] if due_at else []))
    span = max(high - low, dt.timedelta(hours=1))
    pad = span * 0.03
    start, end = low - pad, high + pad
    total = (end - start).total_seconds()
    fmt = "%d %b" if span > dt.timedelta(days=3) else "%d %b %H:%M"
    ticks = []
    for i in range(TICKS):
        at = start + (end - start) * (i / (TICKS - 1))
        ticks.append((round(100 * i / (TICKS - 1), 2), at.astimezone(zone).strftime(fmt)))
    return Axis(
        start=start, end=end, ticks=ticks, now_left=round(100 * (now - start).total_seconds() / total, 2),
        due_left=round(100 * (due_at - start).total_seconds() / total, 2) if due_at else None,
        due_label=_short(due) if due else "",
    )


def _percent(at: dt.datetime, axis: Axis) -> float:
    return 100 * (at - axis.start).total_seconds() / (axis.end - axis.start).total_seconds()


def _projected_bar(projection: Projection, axis: Axis) -> Bar:
    stage = projection.stage
    colour = stage.safe_colour
    left = min(max(_percent(projection.start, axis), 0.0), 100 - MIN_BAR_PERCENT)
    width = min(max(MIN_BAR_PERCENT, _percent(projection.p50, axis) - left), 100 - left)
    whisker_left = left + width
    whisker_width = max(0.0, min(_percent(projection.p90, axis), 100.0) - whisker_left)
    title = (f"{stage.name}: forecast, likely done {_short(projection.p50_date)}, "
             f"{_short(projection.p90_date)} at worst (p90)")
    return Bar(
        label=stage.name, colour=colour, text_colour=text_colour_for(colour), left=round(left, 3),
        width=round(width, 3), title=title, is_current=False, status="forecast", projected=True,
        whisker_left=round(whisker_left, 3), whisker_width=round(whisker_width, 3),
    )


def _bar(period: StagePeriod, axis: Axis, now: dt.datetime, zone) -> Bar | None:
    if period.start_time is None:
        return None
    total = (axis.end - axis.start).total_seconds()
    end = _period_end(period, now)
    stage = period.stage
    colour = stage.safe_colour
    left = 100 * (period.start_time - axis.start).total_seconds() / total
    if _starts_ahead(period, now):
        width = MIN_BAR_PERCENT
        length = f"starts in {days_in_stage(started_at=period.start_time, now=now)[0]} d (Uphance dates it ahead)"
    elif end is None or end < period.start_time:
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
    if period.is_current and period.end_time is None and not _starts_ahead(period, now):
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
    starts_in = days_in_stage(started_at=period.start_time, now=now)[0] if _starts_ahead(period, now) else None
    if starts_in is not None:
        duration = f"starts in {starts_in} d"
    elif period.start_time and end and end >= period.start_time:
        duration = duration_text(end - period.start_time)
    else:
        duration = "unknown"
    colour = period.stage.safe_colour
    return PeriodRow(
        stage=period.stage.name, colour=colour, text_colour=text_colour_for(colour),
        status=period.status_raw or period.status, start=period.start_time, end=period.end_time,
        duration=duration, is_current=period.is_current, first_seen_at=period.first_seen_at,
        changed_at=period.changed_at, note=note, starts_in=starts_in,
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
        days, future = days_in_stage(started_at=started, now=now)
        if future:
            return f"{stage.name} starts in {days} d"
        return f"{stage.name} for {duration_text(now - started)}"
    return f"In {stage.name}" if stage else "In progress"


def _timeline(rows: list[tuple[TimelineRow, list[StagePeriod], list[Projection]]], now: dt.datetime, zone,
              due: dt.date | None = None) -> Timeline:
    """Rows of actual bars (their periods), then each row's projected bars, on one axis."""
    axis = _axis([p for _, periods, _ in rows for p in periods], [p for *_, projected in rows for p in projected],
                 now, zone, due)
    out = []
    for row, periods, projected in rows:
        row.periods = [_period_row(p, now) for p in periods]
        if axis:
            row.bars = [b for p in periods if (b := _bar(p, axis, now, zone))]
            row.bars += [_projected_bar(p, axis) for p in projected]
        out.append(row)
    return Timeline(axis=axis, rows=out)


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
    stuck: bool
    periods: list[PeriodRow] = field(default_factory=list)


@dataclass(frozen=True)
class Forecast:
    """When the goods are likely in the warehouse (the stored forecast) against the PO's expected date."""

    state: str  # ForecastState, "" when there is nothing to forecast
    p50: dt.date | None
    p90: dt.date | None

    @property
    def predicted_late(self) -> bool:
        return self.state == ForecastState.PREDICTED_LATE

    @property
    def at_risk(self) -> bool:
        return self.state == ForecastState.AT_RISK


def forecast_of(item: LineItem) -> Forecast:
    return Forecast(item.forecast_state, item.forecast_arrival_p50, item.forecast_arrival_p90)


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
    forecast: Forecast  # the order's: its line items share one arrival
    slips: OrderSlips


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
    stage_by_id = {s.id: s for s in stages}
    thresholds = stuck_thresholds(organisation=organisation, stages=stages,
                                  version=board_version(organisation=organisation))
    views, rows_periods = [], []
    sizes: list[str] = []
    for item in items:
        item.order = order  # the stuck rule reads its manufacturer; no query per line item
        quantities = list(item.quantities.all())
        for q in quantities:
            if q.size not in sizes:
                sizes.append(q.size)
        headline = line_item_headline(item, periods[item.id], now)
        views.append(
            LineItemView(
                item=item, quantities=quantities, swatch=colour_swatch(item.colour),
                image_url=safe_image_url(item.cover_image), headline=headline,
                stuck=line_item_is_stuck(item, thresholds=thresholds, now=now),
            )
        )
        row = TimelineRow(
            key=str(item.uphance_id), label=item.product_name or f"Line item {item.uphance_id}",
            sublabel=" · ".join(x for x in (item.colour, item.product_identifier) if x),
            url_uphance_id=item.uphance_id, headline=headline,
            forecast_p50=item.forecast_arrival_p50, forecast_p90=item.forecast_arrival_p90,
        )
        rows_periods.append((row, periods[item.id], projections_of(item, stage_by_id=stage_by_id, now=now, zone=zone)))
    expected = order_expected_date(order)
    timeline = _timeline(rows_periods, now, zone, due=expected)
    for view, row in zip(views, timeline.rows, strict=False):
        view.periods = row.periods
    forecast = next((forecast_of(i) for i in items if i.forecast_arrival_p50), Forecast("", None, None))
    return OrderDetail(
        order=order, line_items=views, timeline=timeline,
        units=sum(i.units for i in items), expected_date=expected,
        late=order_is_late(order, today=today), days_late=days_late(order, today=today),
        today=today, zone_name=str(zone), sizes=sizes, forecast=forecast, slips=order_slips(order=order),
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
    forecast: Forecast
    projections: list[Projection]
    slipped_days: int | None


def line_item_timeline(*, organisation, item: LineItem, now: dt.datetime | None = None) -> LineItemDetail:
    """One line item's past stages and the current one, a bar each, with when Seamline saw them."""
    now = now or timezone.now()
    zone = organisation_zone(organisation)
    periods = list(
        StagePeriod.objects.filter(organisation=organisation, line_item=item).select_related("stage").order_by("sequence")
    )
    stages = list(Stage.objects.filter(organisation=organisation))
    projections = projections_of(item, stage_by_id={s.id: s for s in stages}, now=now, zone=zone)
    rows = [
        (TimelineRow(key=str(p.sequence), label=p.stage.name, sublabel=p.status_raw or p.status, url_uphance_id=None),
         [p], [])
        for p in periods
    ]
    under_way = next((r for r in rows if r[1][0].is_current and r[1][0].end_time is None), None)
    for n, projection in enumerate(projections):
        if n == 0 and under_way is not None and under_way[1][0].stage_id == projection.stage.id:
            under_way[2].append(projection)  # the stage under way: its rest continues on its own row
        else:
            row = TimelineRow(key=f"forecast-{projection.stage.id}", label=projection.stage.name, sublabel="forecast",
                              url_uphance_id=None, projected=True)
            rows.append((row, [], [projection]))
    timeline = _timeline(rows, now, zone, due=order_expected_date(item.order))
    thresholds = stuck_thresholds(organisation=organisation, stages=stages,
                                  version=board_version(organisation=organisation))
    threshold = thresholds.threshold(item.current_stage_id, item.order.manufacturer_id)
    return LineItemDetail(
        item=item,
        quantities=list(item.quantities.order_by("position", "id")),
        timeline=timeline,
        periods=[r.periods[0] for r in timeline.rows if r.periods],
        headline=line_item_headline(item, periods, now),
        swatch=colour_swatch(item.colour),
        image_url=safe_image_url(item.cover_image),
        stuck=line_item_is_stuck(item, thresholds=thresholds, now=now),
        stuck_after_days=threshold.days if threshold else None,
        stuck_source=threshold.label if threshold else "",
        expected_date=order_expected_date(item.order),
        late=order_is_late(item.order, today=organisation_today(organisation=organisation, now=now)),
        zone_name=str(zone),
        forecast=forecast_of(item),
        projections=projections,
        slipped_days=order_slip_days(item.order),
    )

