"""Days per stage: the distribution of completed stage durations, per stage and per manufacturer."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from analytics.models import AnalyticsBuild, DurationSummary, DurationWindow, StageCompletion
from production.history.spans import local_day
from production.rules import organisation_zone

from .common import WINDOWS, AnalyticsFilters, Distribution, days_1, stage_colour

STAGES_CSV_HEADER = ["stage", "manufacturer", "completed_periods", "median_days", "p90_days"]


def completions_in_window(*, organisation, filters: AnalyticsFilters, manufacturers: bool = True,
                          durations: bool = True) -> QuerySet[StageCompletion]:
    """Completed stage periods that ended in the window and match the filters.

    `durations`: leave out periods clicked through in Uphance (they count as completed, not as a
    duration). `manufacturers=False` ignores the manufacturer filter (the organisation's figures).
    """
    q = Q(organisation=organisation, ended_on__gte=filters.first, ended_on__lte=filters.last)
    if durations:
        q &= Q(click_through=False)
    if filters.stages:
        q &= Q(stage_id__in=filters.stages)
    if filters.seasons:
        q &= Q(season_id__in=filters.seasons)
    if filters.warehouses:
        q &= Q(warehouse_id__in=filters.warehouses)
    if manufacturers and filters.manufacturers:
        q &= Q(manufacturer_id__in=filters.manufacturers)
    return StageCompletion.objects.filter(q)


@dataclass(frozen=True)
class DurationStats:
    """A distribution's figures as the build summed them up (DurationSummary): what Distribution gives."""

    count: int
    low: float
    q1: float
    median: float
    q3: float
    p90: float
    high: float

    def box(self) -> list[float] | None:
        return [round(v, 2) for v in (self.low, self.q1, self.median, self.q3, self.high)] if self.count else None


def _counted_today(*, organisation, filters: AnalyticsFilters) -> bool:
    """Whether the build counted this window: a standard one ending on the build's day, and no filter
    needs the season or warehouse of each period."""
    if filters.window not in WINDOWS or filters.seasons or filters.warehouses:
        return False
    built = AnalyticsBuild.objects.filter(organisation=organisation).values_list("started_at", flat=True).first()
    return built is not None and local_day(built, organisation_zone(organisation)) == filters.last


def _counted_window(*, organisation, filters: AnalyticsFilters, manufacturers: bool):
    """The standard window's counts of each length (see _counted_today)."""
    rows = DurationWindow.objects.filter(organisation=organisation, window=filters.window, last_day=filters.last)
    if filters.stages:
        rows = rows.filter(stage_id__in=filters.stages)
    if manufacturers and filters.manufacturers:
        rows = rows.filter(manufacturer_id__in=filters.manufacturers)
    return rows.order_by().values_list("stage_id", "manufacturer_id", "tenths", "periods")


def _summaries(*, organisation, filters: AnalyticsFilters):
    """({stage id: DurationStats} over every factory, {(stage id, manufacturer id): DurationStats}) as
    the build summed them up; None when it did not (a build before summaries were kept)."""
    rows = DurationSummary.objects.filter(organisation=organisation, window=filters.window, last_day=filters.last)
    if filters.stages:
        rows = rows.filter(stage_id__in=filters.stages)
    overall, per_maker = {}, {}
    for stage_id, every, maker, *figures in rows.order_by().values_list(
        "stage_id", "every_factory", "manufacturer_id", "periods", "low", "q1", "median", "q3", "p90", "high"
    ):
        if every:
            overall[stage_id] = DurationStats(*figures)
        else:
            per_maker[(stage_id, maker)] = DurationStats(*figures)
    return (overall, per_maker) if overall else None


def duration_distributions(*, organisation, filters: AnalyticsFilters, manufacturers: bool = True):
    """({stage id: Distribution} over every factory, {(stage id, manufacturer id): Distribution}).

    The standard window made after the last sync: its figures as the build summed them up (a row per
    stage and manufacturer), or with a manufacturer filter its counts of each length; else every
    completion of the window, counted (the same numbers)."""
    rows = None
    if _counted_today(organisation=organisation, filters=filters):
        if not (manufacturers and filters.manufacturers):
            summed = _summaries(organisation=organisation, filters=filters)
            if summed is not None:
                return summed
        rows = _counted_window(organisation=organisation, filters=filters, manufacturers=manufacturers)
    if rows is None:
        rows = (
            completions_in_window(organisation=organisation, filters=filters, manufacturers=manufacturers)
            .order_by().values_list("stage_id", "manufacturer_id", "tenths").annotate(n=Count("id"))
        )
    overall: dict[int, Distribution] = defaultdict(Distribution)
    per_maker: dict[tuple, Distribution] = defaultdict(Distribution)
    for stage_id, maker_id, tenths, n in rows:
        overall[stage_id].add(tenths, n)
        per_maker[(stage_id, maker_id)].add(tenths, n)
    return overall, per_maker


@dataclass
class DurationRow:
    stage_id: int
    stage: str
    colour: str
    manufacturer_id: int | None
    manufacturer: str  # "" for every factory
    distribution: Distribution

    @property
    def count(self) -> int:
        return self.distribution.count

    @property
    def median(self) -> float | None:
        return self.distribution.median

    @property
    def p90(self) -> float | None:
        return self.distribution.p90


@dataclass
class StageDurations:
    filters: AnalyticsFilters
    stages: list[DurationRow]  # every factory, one per stage in stage order
    by_manufacturer: list[DurationRow] = field(default_factory=list)  # stage order, then manufacturer name

    def chart(self) -> dict:
        """What the box-plot module draws: the same numbers as the table."""
        def entry(row: DurationRow) -> dict:
            return {"stage": row.stage, "colour": row.colour, "manufacturer": row.manufacturer,
                    "box": row.distribution.box(), "median": row.median, "p90": row.p90, "count": row.count}

        return {"stages": [entry(r) for r in self.stages],
                "by_manufacturer": [entry(r) for r in self.by_manufacturer]}

    def csv_rows(self):
        yield STAGES_CSV_HEADER
        makers = defaultdict(list)
        for row in self.by_manufacturer:
            makers[row.stage_id].append(row)
        for row in self.stages:
            yield [row.stage, "", row.count, days_1(row.median), days_1(row.p90)]
            for maker_row in makers.get(row.stage_id, []):
                yield [maker_row.stage, maker_row.manufacturer, maker_row.count, days_1(maker_row.median),
                       days_1(maker_row.p90)]


def stage_durations(*, organisation, filters: AnalyticsFilters, options, with_manufacturers: bool) -> StageDurations:
    """Completed durations per stage over every factory (and per manufacturer when asked, always for the CSV)."""
    overall, per_maker = duration_distributions(organisation=organisation, filters=filters)
    names = options.manufacturer_names
    stages = [s for s in options.stages if not filters.stages or s.id in filters.stages]
    rows = [DurationRow(s.id, s.name, stage_colour(s), None, "", overall.get(s.id, Distribution())) for s in stages]
    by_maker = []
    if with_manufacturers:
        for stage in stages:
            makers = sorted(
                ((maker_id, dist) for (stage_id, maker_id), dist in per_maker.items() if stage_id == stage.id),
                key=lambda pair: (pair[0] is None, names.get(pair[0], "").lower()),
            )
            by_maker += [
                DurationRow(stage.id, stage.name, stage_colour(stage), maker_id,
                            names.get(maker_id, "No manufacturer"), dist)
                for maker_id, dist in makers
            ]
    return StageDurations(filters=filters, stages=rows, by_manufacturer=by_maker)
