"""The stage board: a column per stage in stage order, swimlanes, the first cards of every cell, "show more"."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum, Window
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
from production.colours import text_colour_for
from production.models import LineItem, StageStatus
from production.rules import StuckThreshold, organisation_today, stuck_thresholds
from production.selectors import union_ids

FIRST_SLICE = 15  # cards in a column when there are no swimlanes
LANE_SLICE = 3  # cards in one swimlane cell
LANES_PER_PAGE = 5
DENSE_SCAN_ROWS = 400  # a cell whose index walk would read more rows is fetched by a ranked query


def _stage_like(key: str) -> bool:
    return key.startswith("stage-") or key == UNPLACED


def column_parts(key: str) -> list[Q]:
    """A column as conditions that each read ONE range of an index, in the column's card order:
    a stage's cards in progress (longest in the stage first), then those whose stage is done."""
    if key == NO_STAGES:
        return [Q(stage_status=StageStatus.NO_STAGES)]
    if key == NOT_STARTED:
        return [Q(stage_status=StageStatus.NOT_STARTED)]
    stage_q = Q(current_stage__isnull=True) if key == UNPLACED else Q(current_stage_id=int(key.removeprefix("stage-")))
    return [stage_q & Q(stage_status=StageStatus.IN_PROGRESS), stage_q & Q(stage_status=StageStatus.COMPLETED)]


def _part_ordering(key: str) -> list[str]:
    # Plain ascending columns so the database walks the board index instead of sorting.
    return ["current_stage_started_at", "id"] if _stage_like(key) else ["id"]


def _card_sort_key(key: str):
    """The same order as the SQL, NULL start times where the database puts them."""
    nulls_largest = connection.features.nulls_order_largest
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    rank = {StageStatus.IN_PROGRESS: 0, StageStatus.COMPLETED: 1}
    if _stage_like(key):
        return lambda c: (
            rank.get(c.stage_status, 2),
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
    return {"manufacturer": "order__manufacturer_id", "season": "order__season_id"}.get(swimlane)


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



def _cell_counts(*, organisation, items: QuerySet, filters: BoardFilters, lane_field: str | None, version: int,
                 today: dt.date, thresholds: dict | None) -> dict:
    """{(lane value, current stage id, stage status): (cards, units)}: ONE grouped aggregate query."""

    def compute():
        group = ["current_stage_id", "stage_status"] + ([lane_field] if lane_field else [])
        counts = {}
        for row in items.order_by().values(*group).annotate(n=Count("id"), u=Sum("units")):
            lane = row[lane_field] if lane_field else None
            counts[(lane, row["current_stage_id"], row["stage_status"])] = (row["n"], row["u"] or 0)
        return counts

    key = snapshot_key("counts", organisation=organisation, version=version, today=today, filters=filters,
                        thresholds=thresholds, extra=str(lane_field))
    return cached(key, compute)


def board_columns(
    *, organisation, filters: BoardFilters, options: BoardOptions, items: QuerySet | None = None,
    lane_field: str | None = None, version: int | None = None, now: dt.datetime | None = None,
    thresholds: dict | None = None,
) -> tuple[list[Column], dict]:
    """The board's columns in stage order with their card counts and units (one aggregate).

    Also returns {(lane value, column key): {stage status: cards}} and {(lane, column key): units}.
    """
    now = now or timezone.now()
    if items is None:
        items = line_items_filtered(organisation=organisation, filters=filters, now=now, thresholds=thresholds)
    if version is None:
        version = board_version(organisation=organisation)
    counts = _cell_counts(
        organisation=organisation, items=items, filters=filters, lane_field=lane_field, version=version,
        today=organisation_today(organisation=organisation, now=now), thresholds=thresholds,
    )
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


def _cell_parts(items: QuerySet, *, key: str, lane_condition: Q, statuses: dict, offset: int, limit: int) -> list:
    """Sliced id querysets that together give cards [offset, offset + limit) of one cell."""
    parts = []
    for condition in column_parts(key):
        status = condition.children[-1][1]
        available = statuses.get(status, 0)
        if offset >= available:
            offset -= available
            continue
        take = min(limit, available - offset)
        parts.append(
            items.filter(condition, lane_condition).order_by(*_part_ordering(key)).values_list("id")[offset : offset + take]
        )
        limit -= take
        offset = 0
        if limit <= 0:
            break
    return parts


def _range_sizes(*, organisation, version: int) -> dict:
    """{(current stage id, stage status): line items} of the whole organisation: how long each range
    of the board index is, whatever the filters (cached per sync)."""

    def compute():
        rows = (
            LineItem.objects.filter(organisation=organisation, removed_at__isnull=True)
            .order_by().values_list("current_stage_id", "stage_status").annotate(n=Count("id"))
        )
        return {(stage_id, status): n for stage_id, status, n in rows}

    key = f"seamline:board:ranges:{organisation.pk}:{version}"
    return cached(key, compute)


def _scan_estimate(key: str, statuses: dict, ranges: dict, limit: int) -> float:
    """Rows an index walk of one cell reads before it has `limit` cards (or knows there are none)."""
    rows, need = 0.0, limit
    for condition in column_parts(key):
        status = condition.children[-1][1]
        found = statuses.get(status, 0)
        if not found or need <= 0:
            continue
        if key.startswith("stage-"):
            length = ranges.get((int(key.removeprefix("stage-")), status), 0)
        elif key == UNPLACED:
            length = ranges.get((None, status), 0)
        else:  # one status over every stage
            length = sum(n for (_stage, st), n in ranges.items() if st == status)
        take = min(need, found)
        rows += length if found <= need else take * length / found
        need -= take
    return rows


def _ranked_part(items: QuerySet, *, conditions: list[Q], lane_field: str | None, limit: int) -> QuerySet:
    """The first `limit` cards of each (lane, stage, status) among `conditions`, by a row number: for
    cells so sparse that walking the index in card order would read thousands of rows."""
    condition = Q(pk__in=[])
    for each in conditions:
        condition |= each
    partition = ([F(lane_field)] if lane_field else []) + [F("current_stage_id"), F("stage_status")]
    return (
        items.filter(condition)
        .annotate(board_rank=Window(RowNumber(), partition_by=partition,
                                    order_by=[F("current_stage_started_at").asc(), F("id").asc()]))
        .filter(board_rank__lte=limit)
        .values_list("id")
    )


def _column_q(key: str) -> Q:
    condition = Q(pk__in=[])
    for part in column_parts(key):
        condition |= part
    return condition


def stage_board(
    *, organisation, filters: BoardFilters, options: BoardOptions, now: dt.datetime | None = None,
    version: int | None = None, lane_offset: int = 0,
) -> StageBoard:
    """Columns (one aggregate), then the first cards of every visible cell (two queries)."""
    now = now or timezone.now()
    if version is None:
        version = board_version(organisation=organisation)
    thresholds = stuck_thresholds(organisation=organisation, stages=options.stages, version=version)
    items = line_items_filtered(organisation=organisation, filters=filters, now=now, thresholds=thresholds)
    with_lanes = filters.swimlane != "none"
    columns, per_cell = board_columns(
        organisation=organisation, filters=filters, options=options, items=items,
        lane_field=_lane_field(filters.swimlane), version=version, now=now, thresholds=thresholds,
    )

    # Lanes: every lane value with cards, by name ("none" last).
    lane_totals: dict = defaultdict(lambda: [0, 0])
    for (lane, _key), statuses in per_cell.items():
        lane_totals[lane][0] += sum(n for status, n in statuses.items() if status != "units")
        lane_totals[lane][1] += statuses.get("units", 0)
    names = options.manufacturer_names if filters.swimlane == "manufacturer" else options.season_names
    none_label = {"manufacturer": "No manufacturer", "season": "No season"}.get(filters.swimlane, "All")
    lane_values = sorted(lane_totals, key=lambda v: (v is None, (names.get(v) or "").lower(), v or 0))
    if not with_lanes:
        lane_values = [None]
    lanes_total = len(lane_values)
    visible = lane_values[lane_offset : lane_offset + LANES_PER_PAGE] if with_lanes else lane_values
    limit = LANE_SLICE if with_lanes else FIRST_SLICE

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

    def visible_ids() -> list[int]:
        # Dense cells: walk the board index in card order, a few rows each. Sparse cells (a small
        # manufacturer, a narrow search): one ranked query over just their rows. One statement.
        ranges = _range_sizes(organisation=organisation, version=version)
        parts, sparse = [], []
        for lane in lanes:
            condition = lane_q(filters.swimlane, lane.key)
            for cell in lane.cells:
                if not cell.count:
                    continue
                statuses = per_cell[(lane.value, cell.column.key)]
                if _scan_estimate(cell.column.key, statuses, ranges, limit) <= DENSE_SCAN_ROWS:
                    parts += _cell_parts(items, key=cell.column.key, lane_condition=condition, statuses=statuses,
                                         offset=0, limit=limit)
                else:
                    sparse.append(condition & _column_q(cell.column.key))
        if sparse:
            parts.append(_ranked_part(items, conditions=sparse, lane_field=_lane_field(filters.swimlane), limit=limit))
        return union_ids(parts)

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




def board_cell_cards(
    *, organisation, filters: BoardFilters, options: BoardOptions, column_key: str, lane_key: str,
    offset: int, limit: int = MORE_SLICE, now: dt.datetime | None = None,
) -> CardSlice | None:
    """The next cards of one stage-board column (or one swimlane cell of it): "show more". None if unknown.

    The manufacturer board's columns have their own: manufacturer_column_orders."""
    now = now or timezone.now()
    columns = {f"stage-{s.id}": s for s in options.stages}
    if column_key not in columns and column_key not in (NOT_STARTED, UNPLACED, NO_STAGES):
        return None
    try:
        lane_condition = lane_q(filters.swimlane, lane_key)
    except (ValueError, IndexError):
        return None
    version = board_version(organisation=organisation)
    thresholds = stuck_thresholds(organisation=organisation, stages=options.stages, version=version)
    items = line_items_filtered(organisation=organisation, filters=filters, now=now, thresholds=thresholds)
    _columns, per_cell = board_columns(
        organisation=organisation, filters=filters, options=options, items=items,
        lane_field=_lane_field(filters.swimlane), version=version, now=now, thresholds=thresholds,
    )
    lane_value = None
    if lane_key != "all" and filters.swimlane != "none":
        raw = lane_key.split("-", 1)[1]
        lane_value = None if raw == "none" else int(raw)
    statuses = per_cell.get((lane_value, column_key), {})
    count = sum(n for status, n in statuses.items() if status != "units")
    parts = _cell_parts(items, key=column_key, lane_condition=lane_condition, statuses=statuses, offset=offset,
                        limit=limit)
    ctx = CardContext(organisation=organisation, options=options, thresholds=thresholds, now=now)
    cards = sorted(cards_by_ids(union_ids(parts), ctx), key=_card_sort_key(column_key))
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

