"""Flow: a cumulative flow diagram per stage per day, weekly throughput, and WIP aging.

The flow diagram reads FlowDay, counted from production.history's spans (the board on a past day
reads the same spans); filters on two or more of manufacturer, season and warehouse at once are
counted from the spans themselves (slower, the same numbers).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from analytics.models import AnalyticsBuild, FlowDay
from board.selectors.filters import BoardFilters, order_filters_q
from production.history.models import StageDay
from production.history.selectors import history_build, spans_overlapping
from production.history.spans import OPEN_END, local_day
from production.models import LineItem, ProductionOrder, StageDuration
from production.models.orders import StageStatus
from production.rules import orders_open, organisation_zone
from production.selectors import union_rows

from .common import AnalyticsFilters, days_1, stage_colour
from .durations import completions_in_window

FLOW_CSV_HEADER = ["date", "stage", "line_items", "units"]
DOTS_PER_STAGE = 300  # the longest in each stage are drawn; the table counts every open line item


@dataclass
class StageInfo:
    id: int
    name: str
    colour: str


def _stages(options, filters: AnalyticsFilters) -> list[StageInfo]:
    return [StageInfo(s.id, s.name, stage_colour(s)) for s in options.stages if not filters.stages or s.id in filters.stages]


# --- cumulative flow ---------------------------------------------------------------------------

@dataclass
class Flow:
    filters: AnalyticsFilters
    days: list[dt.date]
    stages: list[StageInfo]
    items: dict[int, list[int]]  # stage id -> line items per day
    units: dict[int, list[int]]
    source: str  # "daily" (FlowDay) or "spans"
    built: bool = True

    def chart(self) -> dict:
        return {
            "days": [d.isoformat() for d in self.days],
            "stages": [{"name": s.name, "colour": s.colour, "line_items": self.items[s.id], "units": self.units[s.id]}
                       for s in self.stages],
        }

    def csv_rows(self):
        yield FLOW_CSV_HEADER
        for i, day in enumerate(self.days):
            for stage in self.stages:
                yield [day.isoformat(), stage.name, self.items[stage.id][i], self.units[stage.id][i]]

    def table(self) -> list[dict]:
        """One row per day, newest first (what the chart draws); cells formatted here, the template
        only prints them (a few hundred of them)."""
        return [
            {"day": day, "label": day.strftime("%a %-d %b"),
             "cells": [f"{self.items[s.id][i]:,} · {self.units[s.id][i]:,}" for s in self.stages]}
            for i, day in reversed(list(enumerate(self.days)))
        ]


def _dimension(filters: AnalyticsFilters) -> tuple[str, tuple[int, ...]] | None:
    chosen = [(dim, keys) for dim, keys in (
        (FlowDay.Dimension.MANUFACTURER, filters.manufacturers), (FlowDay.Dimension.SEASON, filters.seasons),
        (FlowDay.Dimension.WAREHOUSE, filters.warehouses),
    ) if keys]
    if not chosen:
        return FlowDay.Dimension.ALL, ()
    return chosen[0] if len(chosen) == 1 else None


def cumulative_flow(*, organisation, filters: AnalyticsFilters, options) -> Flow:
    stages = _stages(options, filters)
    days = [filters.first + dt.timedelta(days=n) for n in range(filters.days)]
    index = {day: i for i, day in enumerate(days)}
    items = {s.id: [0] * len(days) for s in stages}
    units = {s.id: [0] * len(days) for s in stages}
    wanted = {s.id for s in stages}
    dimension = _dimension(filters)
    if dimension is None:
        _flow_from_spans(organisation=organisation, filters=filters, days=days, items=items, units=units, wanted=wanted)
        return Flow(filters, days, stages, items, units, source="spans")

    build = AnalyticsBuild.objects.filter(organisation=organisation).values_list("started_at", flat=True).first()
    if build is None:
        return Flow(filters, days, stages, items, units, source="daily", built=False)
    built_on = local_day(build, organisation_zone(organisation))
    dim, keys = dimension
    # The last built day stands for the days after it until the next build (nothing moved in between
    # that Seamline knows of: the next sync rebuilds).
    rows = FlowDay.objects.filter(organisation=organisation, dimension=dim, day__gte=filters.first,
                                  day__lte=min(filters.last, built_on))
    if keys:
        rows = rows.filter(key__in=keys)
    if filters.stages:
        rows = rows.filter(stage_id__in=filters.stages)
    for day, stage_id, n, u in rows.order_by().values_list("day", "stage_id").annotate(n=Sum("line_items"),
                                                                                          u=Sum("units")):
        if stage_id in wanted and day in index and n:
            items[stage_id][index[day]] = n
            units[stage_id][index[day]] = u
    if built_on in index:
        last = index[built_on]
        for stage_id in wanted:
            for i in range(last + 1, len(days)):
                items[stage_id][i], units[stage_id][i] = items[stage_id][last], units[stage_id][last]
    return Flow(filters, days, stages, items, units, source="daily")


def _flow_from_spans(*, organisation, filters, days, items, units, wanted) -> None:
    spans = spans_overlapping(organisation=organisation, first=filters.first, last=filters.last).filter(
        stage_id__in=wanted
    )
    if filters.manufacturers:
        spans = spans.filter(manufacturer_id__in=filters.manufacturers)
    if filters.seasons:
        spans = spans.filter(season_id__in=filters.seasons)
    if filters.warehouses:
        spans = spans.filter(warehouse_id__in=filters.warehouses)
    first, count = days[0], len(days)
    for stage_id, first_day, until, n_units in spans.values_list("stage_id", "first_day", "until", "units").iterator(
        chunk_size=5000
    ):
        lo = max(0, (first_day - first).days)
        hi = count if until == OPEN_END else min(count, (until - first).days)
        series_items, series_units = items[stage_id], units[stage_id]
        for i in range(lo, hi):
            series_items[i] += 1
            series_units[i] += n_units


# --- throughput --------------------------------------------------------------------------------

@dataclass
class Throughput:
    weeks: list[dt.date]  # Mondays
    stages: list[StageInfo]
    items: dict[int, list[int]]
    units: dict[int, list[int]]

    def chart(self) -> dict:
        return {"weeks": [w.isoformat() for w in self.weeks],
                "stages": [{"name": s.name, "colour": s.colour, "line_items": self.items[s.id],
                            "units": self.units[s.id]} for s in self.stages]}

    def table(self) -> list[dict]:
        return [{"week": week, "label": week.strftime("%-d %b %Y"),
                 "cells": [(f"{self.items[s.id][i]:,}", f"{self.units[s.id][i]:,}") for s in self.stages]}
                for i, week in enumerate(self.weeks)]

    def csv_rows(self):
        yield ["week", "stage", "line_items", "units"]
        for i, week in enumerate(self.weeks):
            for stage in self.stages:
                yield [week.isoformat(), stage.name, self.items[stage.id][i], self.units[stage.id][i]]


def weekly_throughput(*, organisation, filters: AnalyticsFilters, options) -> Throughput:
    """Line items and units that completed each stage, per week (Monday) of the window."""
    stages = _stages(options, filters)
    monday = filters.first - dt.timedelta(days=filters.first.weekday())
    weeks = []
    while monday <= filters.last:
        weeks.append(monday)
        monday += dt.timedelta(days=7)
    items = {s.id: [0] * len(weeks) for s in stages}
    units = {s.id: [0] * len(weeks) for s in stages}
    dimension = _dimension(filters)
    if dimension is None:  # two dimensions at once: every completion of the window
        rows = (
            completions_in_window(organisation=organisation, filters=filters, durations=False)
            .order_by().values_list("stage_id", "ended_on").annotate(n=Count("id"), u=Sum("units"))
        )
    else:  # the daily flow counts them (the same numbers)
        dim, keys = dimension
        rows = FlowDay.objects.filter(organisation=organisation, dimension=dim, day__gte=filters.first,
                                      day__lte=filters.last, completed_line_items__gt=0)
        if keys:
            rows = rows.filter(key__in=keys)
        if filters.stages:
            rows = rows.filter(stage_id__in=filters.stages)
        rows = rows.order_by().values_list("stage_id", "day").annotate(n=Sum("completed_line_items"),
                                                                      u=Sum("completed_units"))
    for stage_id, ended_on, n, u in rows:
        if stage_id in items:
            i = (ended_on - weeks[0]).days // 7
            items[stage_id][i] += n
            units[stage_id][i] += u or 0
    return Throughput(weeks, stages, items, units)


# --- WIP aging ---------------------------------------------------------------------------------

@dataclass
class AgingStage:
    stage: StageInfo
    open: int
    p50: float | None
    p90: float | None
    past_p90: int
    oldest_days: float | None = None
    cap: int = DOTS_PER_STAGE

    @property
    def past_label(self) -> str:
        """"300+" when every dot drawn for the stage is past its p90 (counting stops at the dots)."""
        return f"{self.cap:,}+" if self.past_p90 >= self.cap else f"{self.past_p90:,}"


@dataclass
class AgingDot:
    stage_index: int
    days: float
    uphance_id: int
    label: str
    past_p90: bool


@dataclass
class WipAging:
    stages: list[AgingStage]
    dots: list[AgingDot] = field(default_factory=list)
    line_item_url: str = "/line-items/"

    def chart(self) -> dict:
        return {
            "stages": [{"name": s.stage.name, "colour": s.stage.colour, "p50": s.p50, "p90": s.p90} for s in self.stages],
            "dots": [[d.stage_index + _jitter(d.uphance_id), round(d.days, 1), d.label,
                      f"{self.line_item_url}{d.uphance_id}/" if d.past_p90 else None] for d in self.dots],
        }

    cap: int = DOTS_PER_STAGE

    @property
    def past_p90_dots(self) -> list[AgingDot]:
        return sorted((d for d in self.dots if d.past_p90), key=lambda d: -d.days)

    def csv_rows(self):
        yield ["stage", "open_line_items", "p50_days", "p90_days", "past_p90"]
        for s in self.stages:
            yield [s.stage.name, s.open, days_1(s.p50), days_1(s.p90), s.past_label.replace(",", "")]


def _jitter(uphance_id: int) -> float:
    """A stable horizontal offset in [-0.3, 0.3] so dots of one stage do not sit on one line."""
    digest = hashlib.blake2s(str(uphance_id).encode(), digest_size=2).digest()
    return round((int.from_bytes(digest, "big") / 65535 - 0.5) * 0.6, 3)


def _stage_percentiles(*, organisation, stages: list[StageInfo]) -> dict[int, tuple]:
    """The stage's usual time: production.forecasts' StageDuration over every factory, else the
    completed durations of the last 365 days counted at the last analytics build."""
    learned = {
        stage_id: (median, p90) for stage_id, median, p90 in StageDuration.objects.filter(
            organisation=organisation, manufacturer__isnull=True, stage_id__in=[s.id for s in stages]
        ).values_list("stage_id", "median_days", "p90_days")
    }
    if len(learned) < len(stages):
        usual = AnalyticsBuild.objects.filter(organisation=organisation).values_list("stage_usual", flat=True).first()
        for stage in stages:
            if stage.id not in learned and usual and str(stage.id) in usual:
                median, p90, _count = usual[str(stage.id)]
                learned[stage.id] = (median, p90)
    return learned


def open_in_progress(*, organisation, filters: AnalyticsFilters, stage_ids: list[int],
                     joined: bool = False) -> QuerySet[LineItem]:
    """Present line items in progress in a stage, on open orders, matching the filters; stages as a
    list so the board index is sought per stage. The open orders as a sub-select (one pass for an
    aggregate), or `joined` (the board's own order filters, for index walks that stop early)."""
    items = LineItem.objects.filter(
        organisation=organisation, current_stage_id__in=stage_ids, stage_status=StageStatus.IN_PROGRESS,
        current_stage_started_at__isnull=False, removed_at__isnull=True,
    )
    if joined:
        board = BoardFilters(seasons=filters.seasons, manufacturers=filters.manufacturers)
        items = items.filter(order_filters_q(filters=board, today=filters.last))
    else:
        orders = orders_open(ProductionOrder.objects.filter(organisation=organisation))
        if filters.seasons:
            orders = orders.filter(season_id__in=filters.seasons)
        if filters.manufacturers:
            orders = orders.filter(manufacturer_id__in=filters.manufacturers)
        items = items.filter(order_id__in=orders.values("id"))
    if filters.warehouses:
        items = items.filter(warehouse_id__in=filters.warehouses)
    return items




def _open_counts(*, organisation, filters: AnalyticsFilters, stages: list[StageInfo]) -> dict[int, int]:
    """Open line items in progress per stage: today's board as production.history counted it
    (StageDay), or with a season or warehouse filter the line items themselves."""
    counts = {s.id: 0 for s in stages}
    build = history_build(organisation=organisation)
    if build is not None and build.built_on is not None and not filters.seasons and not filters.warehouses:
        rows = StageDay.objects.filter(organisation=organisation, day=build.built_on, state=StageStatus.IN_PROGRESS,
                                       stage_id__in=list(counts))
        if filters.manufacturers:
            rows = rows.filter(manufacturer_id__in=filters.manufacturers)
        for stage_id, n in rows.order_by().values_list("stage_id").annotate(n=Sum("line_items")):
            counts[stage_id] = n
        return counts
    items = open_in_progress(organisation=organisation, filters=filters, stage_ids=list(counts))
    for stage_id, n in items.order_by().values_list("current_stage_id").annotate(n=Count("id")):
        counts[stage_id] = n
    return counts


def _aware(value) -> dt.datetime:
    """A raw row's datetime (SQLite's driver gives text) as an aware datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


def wip_aging(*, organisation, filters: AnalyticsFilters, options, now: dt.datetime | None = None,
              line_item_url: str = "/line-items/") -> WipAging:
    """Every open line item in progress as a dot at its days in its current stage, per stage."""
    now = now or timezone.now()
    stages = _stages(options, filters)
    usual = _stage_percentiles(organisation=organisation, stages=stages)
    counts = _open_counts(organisation=organisation, filters=filters, stages=stages)
    # The longest in each stage: walk the board index per stage, the open-order test joined per row
    # (an IN list would be rebuilt by every part of the union). One stage each: with the list of every
    # stage as well PostgreSQL misjudged the rows and sorted the whole stage instead of walking it.
    # The dots' own columns come with the walk (the PO number is the line item's copy of it): one statement.
    parts = [
        open_in_progress(organisation=organisation, filters=filters, stage_ids=[s.id], joined=True)
        .order_by("current_stage_started_at", "id").values_list(
            "order_id", "uphance_id", "current_stage_id", "current_stage_started_at", "product_name", "colour",
            "order_number",
        )[:DOTS_PER_STAGE]
        for s in stages if counts[s.id]
    ]
    position = {s.id: i for i, s in enumerate(stages)}
    dots = []
    oldest: dict[int, float] = {}
    # In the line items' own order (by PO), as the chart has always listed them.
    for _order_id, uphance_id, stage_id, started, product, colour, number in sorted(union_rows(parts)):
        started = _aware(started)
        days = max(0.0, (now - started).total_seconds() / 86400)
        p90 = usual.get(stage_id, (None, None))[1]
        oldest[stage_id] = max(oldest.get(stage_id, 0.0), days)
        label = f"{product or 'Line item'} {colour}".strip() + f" · PO {number or ''}"
        dots.append(AgingDot(position[stage_id], days, uphance_id, label, p90 is not None and days > p90))
    # The dots are the longest in each stage: those past the p90 are all among them, unless every
    # dot of the stage is (then "300+").
    past = {s.id: 0 for s in stages}
    for dot in dots:
        if dot.past_p90:
            past[stages[dot.stage_index].id] += 1
    rows = [
        AgingStage(stage=s, open=counts[s.id], p50=usual.get(s.id, (None, None))[0], p90=usual.get(s.id, (None, None))[1],
                   past_p90=past[s.id], oldest_days=oldest.get(s.id), cap=DOTS_PER_STAGE)
        for s in stages
    ]
    return WipAging(stages=rows, dots=dots, line_item_url=line_item_url, cap=DOTS_PER_STAGE)
