"""Manufacturer scorecards: received POs on time, days late, slips, days per stage, work in progress."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Count, Exists, OuterRef, Sum

from analytics.models import AnalyticsBuild, FlowDay
from analytics.models import ReceivedOrder as ReceivedOrderRow
from production.history.selectors import spans_on
from production.history.spans import local_day
from production.models import LineItem
from production.models.orders import StageStatus
from production.rules import organisation_today, organisation_zone

from .common import AnalyticsFilters, Distribution, days_1, percentile, stage_colour
from .durations import completions_in_window, duration_distributions
from .forecasts import accuracy_by_manufacturer

MIN_RANKED = 3  # received POs a manufacturer needs in the window to be ranked
MANUFACTURERS_CSV_HEADER = ["manufacturer", "pos_received", "on_time_pct", "on_time_original_pct",
                            "median_days_late", "p90_days_late", "median_slip_days"]


@dataclass(frozen=True)
class ReceivedOrder:
    """A PO received in the window, judged against its current and its original expected date."""

    id: int
    manufacturer_id: int | None
    received_on: dt.date
    expected: dt.date | None  # in-warehouse date, else due date (as lateness is judged everywhere)
    original: dt.date | None  # the same, as Seamline first saw them

    @property
    def days_late(self) -> int | None:
        """Positive: late by that many days; negative: early."""
        return None if self.expected is None else (self.received_on - self.expected).days

    @property
    def on_time(self) -> bool | None:
        return None if self.expected is None else self.received_on <= self.expected

    @property
    def on_time_original(self) -> bool | None:
        return None if self.original is None else self.received_on <= self.original

    @property
    def slip_days(self) -> int | None:
        """How far the expected date moved from the original (positive: later)."""
        if self.expected is None or self.original is None:
            return None
        return (self.expected - self.original).days


def received_orders(*, organisation, filters: AnalyticsFilters, manufacturer_ids=None) -> list[ReceivedOrder]:
    """POs received (all received) within the window, matching the filters. One query.

    Received on: see production.history.services.order_closed_at (Uphance's last update of it).
    """
    qs = ReceivedOrderRow.objects.filter(organisation=organisation, received_on__gte=filters.first,
                                         received_on__lte=filters.last)
    makers = manufacturer_ids if manufacturer_ids is not None else filters.manufacturers
    if makers:
        qs = qs.filter(manufacturer_id__in=makers)
    if filters.seasons:
        qs = qs.filter(season_id__in=filters.seasons)
    if filters.warehouses:
        qs = qs.filter(Exists(LineItem.objects.filter(order_id=OuterRef("order_id"), warehouse_id__in=filters.warehouses)))
    return [ReceivedOrder(*row) for row in qs.order_by().values_list(
        "order_id", "manufacturer_id", "received_on", "expected_on", "original_on")]


@dataclass
class OrderFigures:
    """On-time and lateness figures of a set of received POs."""

    orders: list[ReceivedOrder]

    @cached_property
    def received(self) -> int:
        return len(self.orders)

    @cached_property
    def dated(self) -> list[ReceivedOrder]:
        return [o for o in self.orders if o.expected is not None]

    @cached_property
    def on_time_pct(self) -> float | None:
        dated = self.dated
        return round(100 * sum(o.on_time for o in dated) / len(dated), 1) if dated else None

    @cached_property
    def on_time_original_pct(self) -> float | None:
        dated = [o for o in self.orders if o.original is not None]
        return round(100 * sum(o.on_time_original for o in dated) / len(dated), 1) if dated else None

    @cached_property
    def median_days_late(self) -> float | None:
        return percentile([o.days_late for o in self.dated], 0.5)

    @cached_property
    def p90_days_late(self) -> float | None:
        return percentile([o.days_late for o in self.dated], 0.9)

    @cached_property
    def median_slip_days(self) -> float | None:
        return percentile([o.slip_days for o in self.orders if o.slip_days is not None], 0.5)

    @cached_property
    def slipped(self) -> int:
        return sum(1 for o in self.orders if o.slip_days)


@dataclass
class StageFigure:
    stage_id: int
    stage: str
    colour: str
    median: float | None
    p90: float | None
    count: int
    org_median: float | None
    org_p90: float | None

    @property
    def slower(self) -> bool:
        return self.median is not None and self.org_median is not None and self.median > self.org_median


@dataclass
class Scorecard:
    manufacturer_id: int | None
    name: str
    figures: OrderFigures
    stages: list[StageFigure]
    units_in_progress: int = 0
    line_items_in_progress: int = 0
    forecast: dict | None = None  # {"line_items", "mae_days", "in_range_pct"} when forecast data exist
    rank: int | None = None

    @property
    def ranked(self) -> bool:
        return self.rank is not None

    def csv_row(self) -> list:
        f = self.figures
        return [self.name, f.received, _pct(f.on_time_pct), _pct(f.on_time_original_pct), days_1(f.median_days_late),
                days_1(f.p90_days_late), days_1(f.median_slip_days)]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


@dataclass
class Scorecards:
    filters: AnalyticsFilters
    rows: list[Scorecard]  # ranked first (best first), then the unranked by name
    organisation_figures: OrderFigures
    stages: list = field(default_factory=list)
    organisation_stages: list[StageFigure] = field(default_factory=list)

    def csv_rows(self):
        yield MANUFACTURERS_CSV_HEADER
        for row in self.rows:
            yield row.csv_row()

    def chart(self) -> dict:
        return {
            "manufacturers": [
                {"name": r.name, "ranked": r.ranked, "pos_received": r.figures.received,
                 "on_time_pct": r.figures.on_time_pct, "on_time_original_pct": r.figures.on_time_original_pct,
                 "median_days_late": r.figures.median_days_late}
                for r in self.rows if r.figures.received
            ],
        }


def _stage_figures(stages, per_maker: dict, overall: dict, maker_id) -> list[StageFigure]:
    out = []
    for stage in stages:
        mine = per_maker.get((stage.id, maker_id), Distribution())
        org = overall.get(stage.id, Distribution())
        out.append(StageFigure(stage.id, stage.name, stage_colour(stage), mine.median, mine.p90, mine.count,
                               org.median, org.p90))
    return out


def _in_progress(*, organisation, filters: AnalyticsFilters, today: dt.date, stage_ids: list[int]) -> dict:
    """{manufacturer id: (line items, units)} of open line items in a stage today: the board of today
    as production.history holds it. From the daily flow counts per manufacturer unless a season or
    warehouse filter needs each line item (then from the spans)."""
    if not filters.seasons and not filters.warehouses:
        built = AnalyticsBuild.objects.filter(organisation=organisation).values_list("started_at", flat=True).first()
        if built is not None:
            on = min(today, local_day(built, organisation_zone(organisation)))
            rows = FlowDay.objects.filter(organisation=organisation, dimension=FlowDay.Dimension.MANUFACTURER, day=on,
                                          stage_id__in=stage_ids)
            if filters.manufacturers:
                rows = rows.filter(key__in=filters.manufacturers)
            return {maker: (n, u or 0) for maker, n, u in rows.order_by().values_list("key").annotate(
                n=Sum("line_items"), u=Sum("units"))}
    # Stages and states as lists: the span index is then sought, not scanned, per manufacturer.
    spans = spans_on(organisation=organisation, day=today).filter(
        stage_id__in=stage_ids, state__in=[StageStatus.IN_PROGRESS, StageStatus.COMPLETED]
    )
    for name, values in (("season_id__in", filters.seasons), ("warehouse_id__in", filters.warehouses),
                         ("manufacturer_id__in", filters.manufacturers)):
        if values:
            spans = spans.filter(**{name: values})
    rows = spans.order_by().values_list("manufacturer_id").annotate(n=Count("id"), u=Sum("units"))
    return {maker: (n, u or 0) for maker, n, u in rows}


def manufacturer_scorecards(*, organisation, filters: AnalyticsFilters, options,
                            today: dt.date | None = None) -> Scorecards:
    """One scorecard per manufacturer (those the filters keep); a constant number of queries."""
    today = today or organisation_today(organisation=organisation)
    orders = received_orders(organisation=organisation, filters=filters)
    overall, per_maker = duration_distributions(organisation=organisation, filters=filters, manufacturers=False)
    # The organisation's figures are every factory's (the manufacturer filter picks the cards).
    stages = [s for s in options.stages if not filters.stages or s.id in filters.stages]
    progress = _in_progress(organisation=organisation, filters=filters, today=today, stage_ids=[s.id for s in stages])
    forecasts = accuracy_by_manufacturer(organisation=organisation, filters=filters)
    by_maker = defaultdict(list)
    for order in orders:
        by_maker[order.manufacturer_id].append(order)
    makers = [m for m in options.manufacturers if not filters.manufacturers or m.id in filters.manufacturers]
    cards = []
    for maker in makers:
        n, units = progress.get(maker.id, (0, 0))
        has_any = by_maker.get(maker.id) or n or any(key[1] == maker.id for key in per_maker)
        if not has_any:
            continue
        cards.append(Scorecard(
            manufacturer_id=maker.id, name=maker.name, figures=OrderFigures(by_maker.get(maker.id, [])),
            stages=_stage_figures(stages, per_maker, overall, maker.id), units_in_progress=units,
            line_items_in_progress=n, forecast=forecasts.get(maker.id),
        ))
    ranked = sorted(
        (c for c in cards if c.figures.received >= MIN_RANKED and c.figures.on_time_pct is not None),
        key=lambda c: (-c.figures.on_time_pct, c.figures.median_days_late if c.figures.median_days_late is not None
                       else 0, c.name.lower()),
    )
    for rank, card in enumerate(ranked, start=1):
        card.rank = rank
    unranked = sorted((c for c in cards if c.rank is None), key=lambda c: c.name.lower())
    org_orders = orders if not filters.manufacturers else [o for o in orders if o.manufacturer_id in filters.manufacturers]
    organisation_stages = [
        StageFigure(s.id, s.name, stage_colour(s), overall.get(s.id, Distribution()).median,
                    overall.get(s.id, Distribution()).p90, overall.get(s.id, Distribution()).count,
                    overall.get(s.id, Distribution()).median, overall.get(s.id, Distribution()).p90)
        for s in stages
    ]
    return Scorecards(filters=filters, rows=ranked + unranked, organisation_figures=OrderFigures(org_orders),
                      stages=stages, organisation_stages=organisation_stages)


# --- one manufacturer over time ----------------------------------------------------------------

@dataclass
class TrendBucket:
    first: dt.date
    last: dt.date
    figures: OrderFigures
    stage_medians: dict[int, float | None]
    completed: int
    units_completed: int

    @property
    def label(self) -> str:
        return self.first.strftime("%-d %b") if (self.last - self.first).days < 7 else self.first.strftime("%b %Y")


@dataclass
class ManufacturerTrends:
    filters: AnalyticsFilters
    manufacturer: object
    scorecard: Scorecard | None
    buckets: list[TrendBucket]
    stages: list
    bucket: str  # "week" or "month"

    def chart(self) -> dict:
        return {
            "labels": [b.label for b in self.buckets],
            "on_time_pct": [b.figures.on_time_pct for b in self.buckets],
            "median_days_late": [b.figures.median_days_late for b in self.buckets],
            "stages": [
                {"name": s.name, "colour": stage_colour(s), "medians": [b.stage_medians.get(s.id) for b in self.buckets]}
                for s in self.stages
            ],
        }

    def csv_rows(self):
        yield ["period_start", "period_end", "pos_received", "on_time_pct", "median_days_late", "completed_stages",
               "units_completed", *[f"median_days_{s.name}" for s in self.stages]]
        for b in self.buckets:
            yield [b.first.isoformat(), b.last.isoformat(), b.figures.received, _pct(b.figures.on_time_pct),
                   days_1(b.figures.median_days_late), b.completed, b.units_completed,
                   *[days_1(b.stage_medians.get(s.id)) for s in self.stages]]


def _buckets(first: dt.date, last: dt.date) -> tuple[str, list[tuple[dt.date, dt.date]]]:
    """Weeks (from Monday) for windows up to about four months, else calendar months."""
    out = []
    if (last - first).days <= 130:
        start = first - dt.timedelta(days=first.weekday())
        while start <= last:
            out.append((max(start, first), min(start + dt.timedelta(days=6), last)))
            start += dt.timedelta(days=7)
        return "week", out
    start = first.replace(day=1)
    while start <= last:
        following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        out.append((max(start, first), min(following - dt.timedelta(days=1), last)))
        start = following
    return "month", out


def manufacturer_trends(*, organisation, filters: AnalyticsFilters, options, manufacturer) -> ManufacturerTrends:
    """One manufacturer's figures per week or month of the window (its scorecard on top)."""
    mine = AnalyticsFilters(**{**filters.__dict__, "manufacturers": (manufacturer.id,)})
    cards = manufacturer_scorecards(organisation=organisation, filters=mine, options=options)
    card = next((c for c in cards.rows if c.manufacturer_id == manufacturer.id), None)
    kind, ranges = _buckets(filters.first, filters.last)
    orders = received_orders(organisation=organisation, filters=mine)
    rows = (
        completions_in_window(organisation=organisation, filters=mine, durations=False)
        .order_by().values_list("ended_on", "stage_id", "tenths", "click_through").annotate(n=Count("id"), u=Sum("units"))
    )
    starts = [start for start, _ in ranges]

    def index_of(day: dt.date) -> int:
        # The last bucket starting on or before the day (buckets are few: a linear walk is fine).
        found = 0
        for i, start in enumerate(starts):
            if start <= day:
                found = i
        return found

    dists: dict[tuple[int, int], Distribution] = defaultdict(Distribution)
    completed = defaultdict(lambda: [0, 0])
    for ended_on, stage_id, tenths, click_through, n, units in rows:
        i = index_of(ended_on)
        completed[i][0] += n
        completed[i][1] += units or 0
        if not click_through:
            dists[(i, stage_id)].add(tenths, n)
    per_bucket = defaultdict(list)
    for order in orders:
        per_bucket[index_of(order.received_on)].append(order)
    stages = cards.stages
    buckets = [
        TrendBucket(first=start, last=end, figures=OrderFigures(per_bucket.get(i, [])),
                    stage_medians={s.id: dists[(i, s.id)].median if (i, s.id) in dists else None for s in stages},
                    completed=completed[i][0], units_completed=completed[i][1])
        for i, (start, end) in enumerate(ranges)
    ]
    return ManufacturerTrends(filters=filters, manufacturer=manufacturer, scorecard=card, buckets=buckets,
                              stages=stages, bucket=kind)

