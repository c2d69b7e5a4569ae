"""The stage board: a column per stage in stage order, swimlanes, the first cards of every cell, "show more".

It reads one table: line items carry copies of their order's fields (production.order_copy), and the
board's partial indexes over open line items (production.models.LineItem) are ordered (organisation,
[lane,] current stage, stage status, start time, id). The grouped counts read one of them alone, in its
order; each cell's first cards are one short range of it, and all of them come in ONE statement.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.db import connection
from django.db.models import Count, ExpressionWrapper, F, IntegerField, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from board.selectors.cache import board_version, cached, snapshot_key
from board.selectors.cards import (
    MORE_SLICE,
    NO_STAGES,
    NOT_STARTED,
    SPECIAL_COLUMNS,
    UNPLACED,
    Card,
    CardContext,
    CardSlice,
    Column,
    cards_by_ids,
    column_key_of,
)
from board.selectors.filters import BoardFilters, BoardOptions, line_items_filtered
from board.selectors.ranges import RangeUnion
from board.selectors.rollup import rollup_cell_counts
from production.colours import text_colour_for
from production.models import Manufacturer, StageStatus
from production.rules import StuckThreshold, organisation_today, stuck_thresholds

FIRST_SLICE = 15  # cards in a column when there are no swimlanes
LANE_SLICE = 3  # cards in one swimlane cell
LANES_PER_PAGE = 5
LANE_FIELDS = {"manufacturer": "order_manufacturer_id", "season": "order_season_id"}  # the line item's copies


def _stage_like(key: str) -> bool:
    return key.startswith("stage-") or key == UNPLACED


def _column_q(key: str) -> Q:
    """A column as a condition: a stage's cards in progress or done with it; the special columns by status."""
    if key == NO_STAGES:
        return Q(stage_status=StageStatus.NO_STAGES)
    if key == NOT_STARTED:
        return Q(stage_status=StageStatus.NOT_STARTED)
    stage_q = Q(current_stage__isnull=True) if key == UNPLACED else Q(current_stage_id=int(key.removeprefix("stage-")))
    return stage_q & Q(stage_status__in=[StageStatus.IN_PROGRESS, StageStatus.COMPLETED])


def _status_rank(status: str) -> int:
    # A stage's column: its cards in progress first (longest in the stage first), then those done with it.
    return {StageStatus.IN_PROGRESS: 0, StageStatus.COMPLETED: 1}.get(status, 2)


def _card_sort_key(key: str):
    """The column's card order, NULL start times where the database puts them (as the index does)."""
    nulls_largest = connection.features.nulls_order_largest
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    if _stage_like(key):
        return lambda c: (
            _status_rank(c.stage_status),
            (c.started_at is None) if nulls_largest else (c.started_at is not None),
            c.started_at or epoch,
            c.id,
        )
    return lambda c: c.id


@dataclass
class Cell:
    column: Column
    lane_key: str
    count: int
    cards: list[Card] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


@dataclass
class Lane:
    key: str
    label: str
    count: int
    units: int
    cells: list[Cell] = field(default_factory=list)
    value: int | None = None


@dataclass
class StageBoard:
    columns: list[Column]
    lanes: list[Lane]
    lanes_total: int
    lane_offset: int
    next_lane_offset: int | None
    count: int
    units: int
    thresholds: dict[int, StuckThreshold]

    @property
    def lanes_remaining(self) -> int:
        return max(0, self.lanes_total - (self.next_lane_offset or self.lanes_total))


def _lane_field(swimlane: str) -> str | None:
    return LANE_FIELDS.get(swimlane)


def lane_key_of(swimlane: str, value) -> str:
    if swimlane == "none":
        return "all"
    return f"{swimlane[0]}-{value if value is not None else 'none'}"


def lane_q(swimlane: str, key: str) -> Q:
    """The condition of one lane key ("m-12", "s-none", "all")."""
    field_name = _lane_field(swimlane)
    if field_name is None or key == "all":
        return Q()
    value = key.split("-", 1)[1]
    return Q(**{f"{field_name}__isnull": True}) if value == "none" else Q(**{field_name: int(value)})


def _lane_value(swimlane: str, key: str) -> int | None:
    if swimlane == "none" or key == "all":
        return None
    raw = key.split("-", 1)[1]
    return None if raw == "none" else int(raw)


def _stuck_counts(unstuck: QuerySet, *, group: list[str], cutoffs: list[tuple]) -> dict:
    """The stuck filter's counts: for every (manufacturer, stage, cut-off) the in-progress line items of
    `unstuck` (the filters but stuck) that started before it, grouped by `group`: each an index range of
    the stuck ones only, all in ONE statement (production.rules.stuck_q reads every in-progress row)."""
    ranges = RangeUnion()
    shape = unstuck.order_by().values_list(*group).annotate(n=Count("id"), u=Sum("units"))
    for maker_id, stage_id, cutoff in cutoffs:
        ranges.add("stuck", shape, limit=None, values={
            "order_manufacturer_id": maker_id, "current_stage_id": stage_id,
            "stage_status": StageStatus.IN_PROGRESS, "current_stage_started_at__lt": cutoff,
        })
    counts: dict = {}
    for *key, n, u in ranges.rows():
        lane, stage_id, status = key if len(key) == 3 else (None, *key)
        was = counts.get((lane, stage_id, status), (0, 0))
        counts[(lane, stage_id, status)] = (was[0] + n, was[1] + (u or 0))
    return counts


def _stuck_cutoffs(*, organisation, filters: BoardFilters, thresholds, now: dt.datetime) -> list[tuple]:
    """(manufacturer id or None, stage id, cut-off) of every manufacturer the filters allow × stage."""
    makers = list(filters.manufacturers) or [
        *Manufacturer.objects.filter(organisation=organisation).values_list("id", flat=True), None]
    return [
        (maker_id, stage_id, now - dt.timedelta(days=days))
        for maker_id in makers for stage_id in thresholds.stage_ids
        if (days := thresholds.days(stage_id, maker_id)) is not None
    ]


def _narrowed_by_another_index(filters: BoardFilters, lane_field: str | None) -> bool:
    """A season or manufacturer filter selects a range of its own index, not the lane's (whose order the
    grouped count would otherwise walk, every open line item)."""
    narrowing = "order_season_id" if filters.seasons else "order_manufacturer_id" if filters.manufacturers else None
    return narrowing is not None and narrowing != lane_field


def _cell_counts(*, organisation, items: QuerySet, filters: BoardFilters, lane_field: str | None, version: int,
                 today: dt.date, thresholds: dict | None, rollup: bool = True, now: dt.datetime | None = None) -> dict:
    """{(lane value, current stage id, stage status): (cards, units)}: from the board's rollup when it
    holds them (facet filters only, current version: board.selectors.rollup), else ONE grouped aggregate
    query over `items`, grouped in the order of the board index, so the database streams it instead of
    sorting; the stuck filter by ranges of the stuck line items (_stuck_counts; with `now`). `rollup`
    False: `items` are not exactly the line items `filters` select."""

    def compute():
        if rollup:
            rolled = rollup_cell_counts(organisation=organisation, filters=filters, lane_field=lane_field,
                                        version=version)
            if rolled is not None:
                return rolled
        group = ([lane_field] if lane_field else []) + ["current_stage_id", "stage_status"]
        if rollup and filters.stuck and now is not None and thresholds is not None:
            unstuck = line_items_filtered(organisation=organisation, filters=replace(filters, stuck=False), now=now)
            return _stuck_counts(unstuck, group=group, cutoffs=_stuck_cutoffs(
                organisation=organisation, filters=filters, thresholds=thresholds, now=now))
        counts = {}
        rows = items.order_by()
        if _narrowed_by_another_index(filters, lane_field):
            # Grouped by `first + 0`: no index then gives the grouping's order for free, and SQLite reads
            # the filter's own index range (a season's line items) and sorts them, instead of walking
            # every open line item in the lane index's order (80k orders: 55 -> 17 ms).
            first = group[0]
            rows = rows.annotate(board_group=ExpressionWrapper(F(first) + 0, output_field=IntegerField()))
            group = ["board_group", *group[1:]]
        for row in rows.values(*group).annotate(n=Count("id"), u=Sum("units")):
            values = [row[name] for name in group]
            lane, stage_id, status = values if lane_field else (None, *values)
            counts[(lane, stage_id, status)] = (row["n"], row["u"] or 0)
        return counts

    key = snapshot_key("counts", organisation=organisation, version=version, today=today, filters=filters,
                        thresholds=thresholds, extra=str(lane_field))
    return cached(key, compute)


def _columns_and_cells(counts: dict, options: BoardOptions) -> tuple[list[Column], dict]:
    per_cell: dict = defaultdict(dict)
    totals: dict = defaultdict(lambda: [0, 0])
    for (lane, stage_id, status), (n, u) in counts.items():
        key = column_key_of(stage_id, status)
        per_cell[(lane, key)][status] = per_cell[(lane, key)].get(status, 0) + n
        per_cell[(lane, key)]["units"] = per_cell[(lane, key)].get("units", 0) + u
        totals[key][0] += n
        totals[key][1] += u
    light = "#e5e7eb"
    columns = [Column(NOT_STARTED, "Not started", light, text_colour_for(light))]
    for stage in options.stages:
        colour = stage.safe_colour
        columns.append(Column(f"stage-{stage.id}", stage.name, colour, text_colour_for(colour), stage=stage))
    if totals.get(UNPLACED):
        columns.append(Column(UNPLACED, "No current stage", light, text_colour_for(light)))
    columns.append(Column(NO_STAGES, "No stages", "#f3f4f6", text_colour_for("#f3f4f6"), muted=True))
    for column in columns:
        column.count, column.units = totals.get(column.key, (0, 0))
    return columns, per_cell


def board_columns(
    *, organisation, filters: BoardFilters, options: BoardOptions, items: QuerySet | None = None,
    lane_field: str | None = None, version: int | None = None, now: dt.datetime | None = None,
    thresholds: dict | None = None,
) -> tuple[list[Column], dict]:
    """The board's columns in stage order with their card counts and units (one aggregate).

    Also returns {(lane value, column key): {stage status: cards, "units": units}}.
    """
    now = now or timezone.now()
    own_items = items is None
    if own_items:
        items = line_items_filtered(organisation=organisation, filters=filters, now=now, thresholds=thresholds)
    if version is None:
        version = board_version(organisation=organisation)
    counts = _cell_counts(
        organisation=organisation, items=items, filters=filters, lane_field=lane_field, version=version,
        today=organisation_today(organisation=organisation, now=now), thresholds=thresholds, rollup=own_items,
    )
    return _columns_and_cells(counts, options)


# --- the first cards of many cells: ranges of the board index ------------------------------------

def _cell_ranges(items: QuerySet, lane_field: str | None,
                 stuck_cutoff: Callable[[int, int], dt.datetime | None] | None = None,
                 ) -> tuple[RangeUnion, Callable[..., None]]:
    """A RangeUnion and how to add one (lane, stage, status) range of `items` to it, in card order.

    `stuck_cutoff(stage, manufacturer)`: `items` are the stuck filter's without it, and each range (a
    manufacturer lane's cell: both fixed) ends at that cut-off, a bound of the index range instead of
    the stuck CASE on every row (which SQLite evaluated four times slower inside one UNION ALL)."""
    ranges = RangeUnion()
    # The board index's own order, its leading columns (fixed in a range) named too: PostgreSQL then walks
    # it for a cell whose stage IS NULL (not started, no stages) instead of sorting the whole cell.
    index_order = [*([lane_field] if lane_field else []), "current_stage_id", "stage_status"]
    ordered = items.order_by(*index_order, "current_stage_started_at", "id").values_list("id")

    def add(*, lane, stage_id, status, offset=0, limit):
        values = {"current_stage_id": stage_id, "stage_status": status}
        if lane_field:
            values[lane_field] = lane
        if stuck_cutoff is not None:
            cutoff = stuck_cutoff(stage_id, lane)
            if cutoff is None or status != StageStatus.IN_PROGRESS:
                return  # nothing in this cell is stuck
            values["current_stage_started_at__lt"] = cutoff
        ranges.add("cell", ordered, values=values, offset=offset, limit=limit)

    return ranges, add


def _ranked_ids(items: QuerySet, *, lane_field: str | None, lanes: list, limit: int) -> list[int]:
    """The first `limit` cards of every (lane, stage, status) in `lanes`, by a row number: ONE statement.

    For filters that are subqueries (customers waiting, at risk), which a UNION of ranges would run once
    per range."""
    if lane_field:
        present = [v for v in lanes if v is not None]
        items = items.filter(Q(**{f"{lane_field}__in": present}) | (
            Q(**{f"{lane_field}__isnull": True}) if None in lanes else Q(pk__in=[])
        ))
    partition = [F("current_stage_id"), F("stage_status")] + ([F(lane_field)] if lane_field else [])
    ranked = items.annotate(board_rank=Window(
        RowNumber(), partition_by=partition, order_by=[F("current_stage_started_at").asc(), F("id").asc()]
    ))
    return list(ranked.filter(board_rank__lte=limit).values_list("id", flat=True))


def _by_ranges(filters: BoardFilters) -> bool:
    return not (filters.waiting or filters.at_risk)


def visible_lanes(per_cell: dict, *, filters: BoardFilters, options: BoardOptions, columns: list[Column],
                  lane_offset: int) -> tuple[list[Lane], int]:
    """The lanes on this page of the board (LANES_PER_PAGE from `lane_offset`; one lane without swimlanes)
    with their cells' counts, and how many lanes there are: every lane value with cards, by name, "none"
    last. `per_cell` {(lane value, column key): {stage status: cards, "units": units}} (the stage board's
    counts, or a past day's: board.selectors.as_of)."""
    lane_totals: dict = defaultdict(lambda: [0, 0])
    for (lane, _key), statuses in per_cell.items():
        lane_totals[lane][0] += sum(n for status, n in statuses.items() if status != "units")
        lane_totals[lane][1] += statuses.get("units", 0)
    names = options.manufacturer_names if filters.swimlane == "manufacturer" else options.season_names
    none_label = {"manufacturer": "No manufacturer", "season": "No season"}.get(filters.swimlane, "All")
    with_lanes = filters.swimlane != "none"
    lane_values = sorted(lane_totals, key=lambda v: (v is None, (names.get(v) or "").lower(), v or 0))
    if not with_lanes:
        lane_values = [None]
    visible = lane_values[lane_offset : lane_offset + LANES_PER_PAGE] if with_lanes else lane_values
    lanes = []
    for value in visible:
        key = lane_key_of(filters.swimlane, value)
        label = none_label if value is None else names.get(value, f"#{value}")
        totals = lane_totals.get(value, [0, 0])
        lane = Lane(key=key, label=label, count=totals[0], units=totals[1], value=value)
        for column in columns:
            statuses = per_cell.get((value, column.key), {})
            count = sum(n for status, n in statuses.items() if status != "units")
            lane.cells.append(Cell(column=column, lane_key=key, count=count))
        lanes.append(lane)
    return lanes, len(lane_values)


def stage_board(
    *, organisation, filters: BoardFilters, options: BoardOptions, now: dt.datetime | None = None,
    version: int | None = None, lane_offset: int = 0,
) -> StageBoard:
    """Columns and lanes (one aggregate), then the first cards of every visible cell (one statement), then the cards."""
    now = now or timezone.now()
    if version is None:
        version = board_version(organisation=organisation)
    thresholds = stuck_thresholds(organisation=organisation, stages=options.stages, version=version)
    items = line_items_filtered(organisation=organisation, filters=filters, now=now, thresholds=thresholds)
    with_lanes = filters.swimlane != "none"
    lane_field = _lane_field(filters.swimlane)
    today = organisation_today(organisation=organisation, now=now)
    counts = _cell_counts(organisation=organisation, items=items, filters=filters, lane_field=lane_field,
                          version=version, today=today, thresholds=thresholds, now=now)
    columns, per_cell = _columns_and_cells(counts, options)

    lanes, lanes_total = visible_lanes(per_cell, filters=filters, options=options, columns=columns,
                                       lane_offset=lane_offset)
    visible = [lane.value for lane in lanes]
    limit = LANE_SLICE if with_lanes else FIRST_SLICE

    def visible_ids() -> list[int]:
        if not _by_ranges(filters):
            return _ranked_ids(items, lane_field=lane_field, lanes=visible, limit=limit)
        # Every (lane, stage, status) with cards is one range of the board index; a column's cards
        # are the first of its ranges (a stage's: in progress, then done; not started: every stage's).
        ranges, add = _cell_ranges(items, lane_field)
        if filters.stuck and lane_field == "order_manufacturer_id":
            def cutoff(stage_id, maker_id):
                days = thresholds.days(stage_id, maker_id)
                return None if days is None else now - dt.timedelta(days=days)

            unstuck = line_items_filtered(organisation=organisation, filters=replace(filters, stuck=False), now=now)
            ranges, add = _cell_ranges(unstuck, lane_field, stuck_cutoff=cutoff)
        shown = set(visible)
        for (lane, stage_id, status), (n, _units) in sorted(counts.items(), key=_group_order):
            if n and lane in shown:
                add(lane=lane, stage_id=stage_id, status=status, limit=limit)
        return ranges.ids()

    ctx = CardContext(organisation=organisation, options=options, thresholds=thresholds, now=now)
    ids_key = snapshot_key("cells", organisation=organisation, version=version, today=ctx.today, filters=filters,
                            thresholds=thresholds, extra=str(lane_offset))
    cards = cards_by_ids(cached(ids_key, visible_ids), ctx)
    field_name = {"manufacturer": "manufacturer_id", "season": "season_id"}.get(filters.swimlane)
    by_cell = defaultdict(list)
    for card in cards:
        lane_value = getattr(card, field_name) if field_name else None
        by_cell[(lane_key_of(filters.swimlane, lane_value), card.column_key)].append(card)
    for lane in lanes:
        for cell in lane.cells:
            cards_here = sorted(by_cell.get((lane.key, cell.column.key), []), key=_card_sort_key(cell.column.key))
            cell.cards = cards_here[:limit]

    next_offset = lane_offset + LANES_PER_PAGE
    return StageBoard(
        columns=columns,
        lanes=lanes,
        lanes_total=lanes_total,
        lane_offset=lane_offset,
        next_lane_offset=next_offset if with_lanes and next_offset < lanes_total else None,
        count=sum(c.count for c in columns),
        units=sum(c.units for c in columns),
        thresholds=thresholds,
    )


def _group_order(item):
    (lane, stage_id, status), _ = item
    return (lane is None, lane or 0, stage_id is None, stage_id or 0, status)


def board_cell_cards(
    *, organisation, filters: BoardFilters, options: BoardOptions, column_key: str, lane_key: str,
    offset: int, limit: int = MORE_SLICE, now: dt.datetime | None = None,
) -> CardSlice | None:
    """The next cards of one stage-board column (or one swimlane cell of it): "show more". None if unknown.

    Counts only that cell (one grouped query over its ranges), then its cards (one statement).
    The manufacturer board's columns have their own: manufacturer_column_orders."""
    now = now or timezone.now()
    columns = {f"stage-{s.id}": s for s in options.stages}
    if column_key not in columns and column_key not in (NOT_STARTED, UNPLACED, NO_STAGES):
        return None
    try:
        lane_condition = lane_q(filters.swimlane, lane_key)
        lane_value = _lane_value(filters.swimlane, lane_key)
    except (ValueError, IndexError):
        return None
    version = board_version(organisation=organisation)
    thresholds = stuck_thresholds(organisation=organisation, stages=options.stages, version=version)
    items = line_items_filtered(organisation=organisation, filters=filters, now=now, thresholds=thresholds)
    lane_field = _lane_field(filters.swimlane) if lane_key != "all" else None
    cell = items.filter(lane_condition, _column_q(column_key))
    groups = {
        (row["current_stage_id"], row["stage_status"]): row["n"]
        for row in cell.order_by().values("current_stage_id", "stage_status").annotate(n=Count("id"))
    }
    count = sum(groups.values())
    ranges, add = _cell_ranges(items, lane_field)
    if _stage_like(column_key):
        # In progress, then done: the offset runs over the first range, then the second.
        skip, need = offset, limit
        for (stage_id, status), n in sorted(groups.items(), key=lambda g: _status_rank(g[0][1])):
            if skip >= n:
                skip -= n
                continue
            add(lane=lane_value, stage_id=stage_id, status=status, offset=skip, limit=min(need, n - skip))
            need -= min(need, n - skip)
            skip = 0
            if need <= 0:
                break
    else:
        # Every stage's range, merged in id order below: the first offset + limit of each.
        for stage_id, status in groups:
            add(lane=lane_value, stage_id=stage_id, status=status, limit=offset + limit)
    ctx = CardContext(organisation=organisation, options=options, thresholds=thresholds, now=now)
    cards = sorted(cards_by_ids(ranges.ids(), ctx), key=_card_sort_key(column_key))
    if not _stage_like(column_key):
        cards = cards[offset : offset + limit]
    has_more = offset + len(cards) < count
    stage = columns.get(column_key)
    label = stage.name if stage else SPECIAL_COLUMNS[column_key]
    colour = stage.safe_colour if stage else "#e5e7eb"
    column = Column(column_key, label, colour, text_colour_for(colour), stage=stage)
    return CardSlice(
        column=column, lane_key=lane_key, lane_label=_lane_label(filters.swimlane, lane_key, options),
        cards=cards, offset=offset, next_offset=offset + len(cards) if has_more else None, count=len(cards),
    )


def _lane_label(swimlane: str, key: str, options: BoardOptions) -> str:
    if swimlane == "none" or key == "all":
        return ""
    value = key.split("-", 1)[1]
    if swimlane == "manufacturer":
        return "No manufacturer" if value == "none" else options.manufacturer_names.get(int(value), "")
    return "No season" if value == "none" else options.season_names.get(int(value), "")


# --- the manufacturer board --------------------------------------------------------------------

