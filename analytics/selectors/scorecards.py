"""Manufacturer scorecards: received POs on time, days late, slips, days per stage, work in progress."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Sum, Value, When

from analytics.models import AnalyticsBuild, FlowDay
from analytics.models import ReceivedOrder as ReceivedOrderRow
from production.history.selectors import spans_on
from production.history.spans import local_day
from production.models import LineItem
from production.models.orders import StageStatus
from production.rules import organisation_today, organisation_zone

from .common import AnalyticsFilters, Distribution, days_1, percentile_counted, stage_colour
from .durations import completions_in_window, duration_distributions
from .forecasts import accuracy_by_manufacturer

MIN_RANKED = 3  # received POs a manufacturer needs in the window to be ranked
MANUFACTURERS_CSV_HEADER = ["manufacturer", "pos_received", "on_time_pct", "on_time_original_pct",
                            "median_days_late", "p90_days_late", "median_slip_days"]


def _received_in_window(*, organisation, filters: AnalyticsFilters):
    """POs received (all received) within the window, matching the filters.

    Received on: see production.history.services.order_closed_at (Uphance's last update of it).
    """
    qs = ReceivedOrderRow.objects.filter(organisation=organisation, received_on__gte=filters.first,
                                         received_on__lte=filters.last)
    if filters.manufacturers:
        qs = qs.filter(manufacturer_id__in=filters.manufacturers)
    if filters.seasons:
        qs = qs.filter(season_id__in=filters.seasons)
    if filters.warehouses:
        qs = qs.filter(Exists(LineItem.objects.filter(order_id=OuterRef("order_id"), warehouse_id__in=filters.warehouses)))
    return qs.order_by()


def order_figures(*, organisation, filters: AnalyticsFilters, key) -> dict:
    """{key: OrderFigures} of the POs received in the window, grouped by `key` (an expression: the
    manufacturer, or the bucket of the received day). Two grouped queries: the database counts the
    POs per days late (and on time against the original date), then per days of slip."""
    qs = _received_in_window(organisation=organisation, filters=filters).annotate(k=key)
    out: dict = defaultdict(OrderFigures)
    for k, days_late, n, n_original, on_time_original in qs.values_list("k", "days_late").annotate(
        n=Count("id"), n_original=Count("days_late_original"),
        on_time_original=Count("id", filter=Q(days_late_original__lte=0)),
    ):
        figures = out[k]
        figures.received += n
        figures.original_dated += n_original
        figures.original_on_time += on_time_original
        if days_late is not None:
            figures.late[days_late] = figures.late.get(days_late, 0) + n
    for k, slip, n in qs.filter(slip_days__isnull=False).values_list("k", "slip_days").annotate(n=Count("id")):
        out[k].slips[slip] = out[k].slips.get(slip, 0) + n
    return out


def _quantile(counts: dict[int, int], q: float) -> float | None:
    value = percentile_counted(counts.items(), q)
    return None if value is None else float(value)


@dataclass
class OrderFigures:
    """On-time and lateness figures of a set of received POs, from their counts: {days late: POs}
    (those with an expected date), POs judged against an original date and how many were on time
    against it, {days of slip: POs}."""

    received: int = 0
    late: dict[int, int] = field(default_factory=dict)
    original_dated: int = 0
    original_on_time: int = 0
    slips: dict[int, int] = field(default_factory=dict)

    @classmethod
    def merged(cls, parts) -> OrderFigures:
        out = cls()
        for part in parts:
            out.received += part.received
            out.original_dated += part.original_dated
            out.original_on_time += part.original_on_time
            for days, n in part.late.items():
                out.late[days] = out.late.get(days, 0) + n
            for days, n in part.slips.items():
                out.slips[days] = out.slips.get(days, 0) + n
        return out

    @property
    def dated(self) -> int:
        return sum(self.late.values())

    @property
    def on_time_pct(self) -> float | None:
        dated = self.dated
        on_time = sum(n for days, n in self.late.items() if days <= 0)
        return round(100 * on_time / dated, 1) if dated else None

    @property
    def on_time_original_pct(self) -> float | None:
        dated = self.original_dated
        return round(100 * self.original_on_time / dated, 1) if dated else None

    @property
    def median_days_late(self) -> float | None:
        return _quantile(self.late, 0.5)

    @property
    def p90_days_late(self) -> float | None:
        return _quantile(self.late, 0.9)

    @property
    def median_slip_days(self) -> float | None:
        return _quantile(self.slips, 0.5)

    @property
    def slipped(self) -> int:
        return sum(n for days, n in self.slips.items() if days)


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
            # That day's few rows (a stage and manufacturer each) summed here: grouped in SQL, SQLite would
            # walk every day of every manufacturer in key order rather than seek the day.
            out: dict = {}
            for maker, n, u in rows.order_by().values_list("key", "line_items", "units"):
                items, units = out.get(maker, (0, 0))
                out[maker] = (items + n, units + (u or 0))
            return out
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
    figures = order_figures(organisation=organisation, filters=filters, key=F("manufacturer_id"))
    overall, per_maker = duration_distributions(organisation=organisation, filters=filters, manufacturers=False)
    # The organisation's figures are every factory's (the manufacturer filter picks the cards).
    stages = [s for s in options.stages if not filters.stages or s.id in filters.stages]
    progress = _in_progress(organisation=organisation, filters=filters, today=today, stage_ids=[s.id for s in stages])
    forecasts = accuracy_by_manufacturer(organisation=organisation, filters=filters)
    makers = [m for m in options.manufacturers if not filters.manufacturers or m.id in filters.manufacturers]
    cards = []
    for maker in makers:
        n, units = progress.get(maker.id, (0, 0))
        has_any = maker.id in figures or n or any(key[1] == maker.id for key in per_maker)
        if not has_any:
            continue
        cards.append(Scorecard(
            manufacturer_id=maker.id, name=maker.name, figures=figures.get(maker.id, OrderFigures()),
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
    organisation_stages = [
        StageFigure(s.id, s.name, stage_colour(s), overall.get(s.id, Distribution()).median,
                    overall.get(s.id, Distribution()).p90, overall.get(s.id, Distribution()).count,
                    overall.get(s.id, Distribution()).median, overall.get(s.id, Distribution()).p90)
        for s in stages
    ]
    return Scorecards(filters=filters, rows=ranked + unranked, organisation_figures=OrderFigures.merged(figures.values()),
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


def _bucket_of(field_name: str, ranges: list[tuple[dt.date, dt.date]]) -> Case:
    """The index of the bucket a day falls in, in SQL (the buckets are consecutive: the first that ends on
    or after the day)."""
    return Case(*[When(**{f"{field_name}__lte": last}, then=Value(i)) for i, (_first, last) in enumerate(ranges)],
                default=Value(len(ranges) - 1), output_field=IntegerField())


def _completions_per_bucket(*, organisation, filters: AnalyticsFilters, ranges) -> list[tuple]:
    """(bucket, stage id, tenths, click-through, periods, units) of the window's completions. The
    database counts them per day, stage and length in the manufacturer index's own order (no sort),
    then per bucket: a few thousand rows grouped, not every completion."""
    per_day = (
        completions_in_window(organisation=organisation, filters=filters, durations=False).order_by()
        .values_list("ended_on", "click_through", "stage_id", "tenths").annotate(n=Count("*"), u=Sum("units"))
    )
    connection = connections[per_day.db]
    ops = connection.ops
    sql, params = per_day.query.get_compiler(using=per_day.db).as_sql()
    whens = " ".join(f"WHEN {ops.quote_name('ended_on')} <= %s THEN {i}" for i in range(len(ranges)))
    bucket_params = [ops.adapt_datefield_value(last) for _first, last in ranges]
    outer = (f"SELECT CASE {whens} ELSE {len(ranges) - 1} END, {ops.quote_name('stage_id')}, {ops.quote_name('tenths')}, "
             f"{ops.quote_name('click_through')}, SUM({ops.quote_name('n')}), SUM({ops.quote_name('u')}) "
             f"FROM ({sql}) per_day GROUP BY 1, 2, 3, 4")
    with connection.cursor() as cursor:
        cursor.execute(outer, [*bucket_params, *params])
        # PostgreSQL sums integers as numeric: ints here.
        return [(b, stage_id, tenths, bool(click), int(n), int(u or 0)) for b, stage_id, tenths, click, n, u in cursor]


def manufacturer_trends(*, organisation, filters: AnalyticsFilters, options, manufacturer) -> ManufacturerTrends:
    """One manufacturer's figures per week or month of the window (its scorecard on top)."""
    mine = AnalyticsFilters(**{**filters.__dict__, "manufacturers": (manufacturer.id,)})
    cards = manufacturer_scorecards(organisation=organisation, filters=mine, options=options)
    card = next((c for c in cards.rows if c.manufacturer_id == manufacturer.id), None)
    kind, ranges = _buckets(filters.first, filters.last)
    rows = _completions_per_bucket(organisation=organisation, filters=mine, ranges=ranges)
    dists: dict[tuple[int, int], Distribution] = defaultdict(Distribution)
    completed = defaultdict(lambda: [0, 0])
    for i, stage_id, tenths, click_through, n, units in rows:
        completed[i][0] += n
        completed[i][1] += units or 0
        if not click_through:
            dists[(i, stage_id)].add(tenths, n)
    per_bucket = order_figures(organisation=organisation, filters=mine, key=_bucket_of("received_on", ranges))
    stages = cards.stages
    buckets = [
        TrendBucket(first=start, last=end, figures=per_bucket.get(i, OrderFigures()),
                    stage_medians={s.id: dists[(i, s.id)].median if (i, s.id) in dists else None for s in stages},
                    completed=completed[i][0], units_completed=completed[i][1])
        for i, (start, end) in enumerate(ranges)
    ]
    return ManufacturerTrends(filters=filters, manufacturer=manufacturer, scorecard=card, buckets=buckets,
                              stages=stages, bucket=kind)

