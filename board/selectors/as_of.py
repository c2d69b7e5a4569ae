"""The board on a past day: every line item in the column it was in at the end of that day.

Reads production.history's spans (the same reconstruction the cumulative flow diagram counts), and
returns the board's own StageBoard / CardSlice / CSV rows so the board's templates draw it as they
draw today's board. Filters that describe the past (stage, stage status, late, stuck) are judged on
that day; filters on today's demand (customers waiting, at risk) and on today's order and delivery
status do not apply to a past day and are reported as ignored.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

# One import of the board's selectors module: its cards, columns and filters are the board's own.
from board.selectors.cards import (
    CARD_FIELDS,
    MORE_SLICE,
    NO_STAGES,
    NOT_STARTED,
    SPECIAL_COLUMNS,
    Card,
    CardSlice,
    Column,
    column_key_of,
)
from board.selectors.filters import (
    ORDER_STATUS_ANY,
    ORDER_STATUS_OPEN,
    BoardFilters,
    BoardOptions,
    board_options,
    line_items_filtered,
)
from board.selectors.stage_board import (
    FIRST_SLICE,
    LANE_SLICE,
    LANES_PER_PAGE,
    StageBoard,
    lane_key_of,
    visible_lanes,
)
from board.selectors.swatches import colour_swatch
from production.colours import text_colour_for
from production.history.models import StageDay, StageSpan
from production.history.selectors import history_build
from production.history.spans import end_of_day
from production.images import safe_image_url
from production.models import LineItem
from production.models.orders import StageStatus
from production.rules import (
    expected_date_q,
    order_expected_date,
    organisation_zone,
    stuck_thresholds,
)

IGNORED_FILTERS = (
    ("waiting", "customers waiting"), ("at_risk", "customer at risk"), ("delivery_status", "delivery status"),
    ("order_status", "order status"),
)
CHANGES_LISTED = 50


@dataclass(frozen=True)
class AsOf:
    day: dt.date
    since: dt.date | None = None


def ignored_filters(filters: BoardFilters) -> list[str]:
    """Names of the filters a past day's board does not apply."""
    out = []
    for name, label in IGNORED_FILTERS:
        value = getattr(filters, name)
        if value and value != ORDER_STATUS_OPEN:
            out.append(label)
    return out


def _column_key(stage_id: int | None, state: str) -> str:
    return column_key_of(stage_id, state)


def _cell_q(key: str) -> Q:
    if key == NO_STAGES:
        return Q(state=StageStatus.NO_STAGES)
    if key == NOT_STARTED:
        return Q(state=StageStatus.NOT_STARTED)
    return Q(stage_id=int(key.removeprefix("stage-")))


def _static_q(*, organisation, filters: BoardFilters) -> Q:
    """The filters that do not depend on the day (who, where, which stage, what status)."""
    q = Q()
    if filters.seasons:
        q &= Q(season_id__in=filters.seasons)
    if filters.manufacturers:
        q &= Q(manufacturer_id__in=filters.manufacturers)
    if filters.warehouses:
        q &= Q(warehouse_id__in=filters.warehouses)
    if filters.stages:
        q &= Q(stage_id__in=filters.stages)
    if filters.stage_status == "pending":
        q &= Q(state__in=[StageStatus.NOT_STARTED, StageStatus.IN_PROGRESS])
    elif filters.stage_status:
        q &= Q(state=filters.stage_status)
    if filters.q:
        matching = line_items_filtered(
            organisation=organisation, filters=BoardFilters(q=filters.q, order_status=ORDER_STATUS_ANY)
        )
        q &= Q(Exists(matching.filter(id=OuterRef("line_item_id"))))
    return q


def _day_q(*, organisation, filters: BoardFilters, day: dt.date, thresholds=None) -> Q:
    """On the board at the end of `day`, and late / stuck as judged that day."""
    q = Q(first_day__lte=day, until__gt=day)
    if filters.late:
        q &= expected_date_q(lookup="lt", value=day, prefix="order__")
    if filters.stuck:
        # The same rule as today's board (production.rules.stuck_q), judged at the end of that day.
        ends = end_of_day(day, organisation_zone(organisation))
        whens = [
            When(stage_id=stage_id, manufacturer_id=manufacturer_id, then=Value(ends - dt.timedelta(days=days)))
            for stage_id, manufacturer_id, days in thresholds.own_pairs()
        ] + [
            When(stage_id=stage_id, then=Value(ends - dt.timedelta(days=thresholds.days(stage_id, None))))
            for stage_id in thresholds.stage_ids
        ]
        if not whens:
            return Q(pk__in=[])
        cutoff = Case(*whens, default=None, output_field=DateTimeField())
        q &= Q(state=StageStatus.IN_PROGRESS, entered_at__lt=cutoff)
    return q


def spans_filtered(*, organisation, filters: BoardFilters, day: dt.date, thresholds=None) -> QuerySet[StageSpan]:
    """The spans of `day` that the board's filters select (as the line items were on that day)."""
    return StageSpan.objects.filter(organisation=organisation).filter(
        _static_q(organisation=organisation, filters=filters),
        _day_q(organisation=organisation, filters=filters, day=day, thresholds=thresholds),
    )


def _lane_field(swimlane: str) -> str | None:
    return {"manufacturer": "manufacturer_id", "season": "season_id"}.get(swimlane)


def _counts(spans: QuerySet, lane_field: str | None, *, day_q: Q | None = None, since_q: Q | None = None,
            since: dt.date | None = None) -> tuple[dict, dict]:
    """{(lane value, column key): {state: n, "units": u}} of the day: one grouped query. With a second
    day (`since_q`), the same pass also counts each cell then, what arrived in it and what left it:
    {(lane, column key): [then, then units, arrived, arrived units, left, left units]}."""
    group = ["stage_id", "state"] + ([lane_field] if lane_field else [])
    aggregates = {"n": Count("id"), "u": Sum("units")}
    if since_q is not None:
        # What left a cell follows: then + arrived - left = now.
        arrived = day_q & Q(first_day__gt=since)
        aggregates = {
            "n": Count("id", filter=day_q), "u": Sum("units", filter=day_q),
            "n_then": Count("id", filter=since_q), "u_then": Sum("units", filter=since_q),
            "n_in": Count("id", filter=arrived), "u_in": Sum("units", filter=arrived),
        }
    per_cell: dict = defaultdict(dict)
    moves: dict = defaultdict(lambda: [0] * 6)
    for row in spans.order_by().values(*group).annotate(**aggregates):
        lane = row[lane_field] if lane_field else None
        key = (lane, _column_key(row["stage_id"], row["state"]))
        if row["n"]:
            cell = per_cell[key]
            cell[row["state"]] = cell.get(row["state"], 0) + row["n"]
            cell["units"] = cell.get("units", 0) + (row["u"] or 0)
        if since_q is not None:
            figures = moves[key]
            then, then_u, arrived_n, arrived_u = (row[k] or 0 for k in ("n_then", "u_then", "n_in", "u_in"))
            now, now_u = row["n"] or 0, row["u"] or 0
            for i, value in enumerate((then, then_u, arrived_n, arrived_u, then + arrived_n - now,
                                       then_u + arrived_u - now_u)):
                figures[i] += value
    return per_cell, moves


def _counted_cells(*, organisation, filters: BoardFilters, day: dt.date,
                   oldest: dict | None = None) -> dict | None:
    """The cells' counts from StageDay (the spans counted per day, stage, state and manufacturer)
    when the filters need nothing else; None: count the spans themselves. `oldest` (a dict) is given
    {(lane, column key, state): first day of the longest held span there} for a day up to the last
    build: a cell's walk for its first cards starts on that day instead of at the oldest span."""
    if (filters.seasons or filters.warehouses or filters.q or filters.late or filters.stuck
            or filters.swimlane not in ("manufacturer", "none")):
        return None
    build = history_build(organisation=organisation)
    if build is None or build.built_on is None:
        return None
    # After the last build nothing moved that Seamline knows of: that day's counts stand for later days.
    rows = StageDay.objects.filter(organisation=organisation, day=min(day, build.built_on))
    if filters.manufacturers:
        rows = rows.filter(manufacturer_id__in=filters.manufacturers)
    if filters.stages:
        rows = rows.filter(stage_id__in=filters.stages)
    if filters.stage_status == "pending":
        rows = rows.filter(state__in=[StageStatus.NOT_STARTED, StageStatus.IN_PROGRESS])
    elif filters.stage_status:
        rows = rows.filter(state=filters.stage_status)
    by_maker = filters.swimlane == "manufacturer"
    per_cell: dict = defaultdict(dict)
    bounded = oldest is not None and day <= build.built_on
    for stage_id, state, maker, n, u, first in rows.values_list("stage_id", "state", "manufacturer_id", "line_items",
                                                                "units", "oldest_first_day"):
        lane, key = maker if by_maker else None, _column_key(stage_id, state)
        cell = per_cell[(lane, key)]
        cell[state] = cell.get(state, 0) + n
        cell["units"] = cell.get("units", 0) + u
        if bounded:
            # Without lanes a cell is every manufacturer's: the earliest of their first days.
            known = oldest.get((lane, key, state), dt.date.max)
            oldest[(lane, key, state)] = None if first is None or known is None else min(known, first)
    return per_cell


def _arrived(*, organisation, filters: BoardFilters, options: BoardOptions, since: dt.date,
             day: dt.date) -> dict:
    """{(lane, column key): [line items, units]} that came into their cell after `since` and were
    there at the end of `day`. Stages, states and manufacturers as lists so that the span index is
    sought to the days after `since` in every cell (a handful of rows read, not every span)."""
    stage_ids = [s.id for s in options.stages if not filters.stages or s.id in filters.stages]
    makers = list(filters.manufacturers) or [m.id for m in options.manufacturers]
    states = [StageStatus.NOT_STARTED, StageStatus.IN_PROGRESS, StageStatus.COMPLETED, StageStatus.NO_STAGES]
    if filters.stage_status == "pending":
        states = [StageStatus.NOT_STARTED, StageStatus.IN_PROGRESS]
    elif filters.stage_status:
        states = [filters.stage_status]
    base = StageSpan.objects.filter(organisation=organisation, state__in=states, first_day__gt=since,
                                    first_day__lte=day, until__gt=day)
    stage_choices = [Q(stage_id__in=stage_ids)] + ([] if filters.stages else [Q(stage__isnull=True)])
    maker_choices = [Q(manufacturer_id__in=makers)] + ([] if filters.manufacturers else [Q(manufacturer__isnull=True)])
    parts = [
        base.filter(stage_q, maker_q).order_by().values("stage_id", "state", "manufacturer_id").annotate(
            n=Count("*"), u=Sum("units"))
        for stage_q in stage_choices for maker_q in maker_choices
    ]
    by_maker = filters.swimlane == "manufacturer"
    out: dict = defaultdict(lambda: [0, 0])
    for row in parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]:
        cell = out[(row["manufacturer_id"] if by_maker else None, _column_key(row["stage_id"], row["state"]))]
        cell[0] += row["n"]
        cell[1] += row["u"] or 0
    return out


def _moves(now: dict, then: dict, arrived: dict) -> dict:
    """{(lane, column key): [then, then units, arrived, arrived units, left, left units]}."""
    out = {}
    for key in set(now) | set(then) | set(arrived):
        n_now = sum(v for k, v in now.get(key, {}).items() if k != "units")
        n_then = sum(v for k, v in then.get(key, {}).items() if k != "units")
        u_now, u_then = now.get(key, {}).get("units", 0), then.get(key, {}).get("units", 0)
        n_in, u_in = arrived.get(key, [0, 0])
        out[key] = [n_then, u_then, n_in, u_in, n_then + n_in - n_now, u_then + u_in - u_now]
    return out


def _columns(options: BoardOptions, per_cell: dict) -> list[Column]:
    totals: dict = defaultdict(lambda: [0, 0])
    for (_lane, key), cell in per_cell.items():
        totals[key][0] += sum(n for state, n in cell.items() if state != "units")
        totals[key][1] += cell.get("units", 0)
    light = "#e5e7eb"
    columns = [Column(NOT_STARTED, "Not started", light, text_colour_for(light))]
    for stage in options.stages:
        colour = stage.safe_colour
        columns.append(Column(f"stage-{stage.id}", stage.name, colour, text_colour_for(colour), stage=stage))
    columns.append(Column(NO_STAGES, "No stages", "#f3f4f6", text_colour_for("#f3f4f6"), muted=True))
    for column in columns:
        column.count, column.units = totals.get(column.key, (0, 0))
    return columns


_SPAN_COLUMN = {name: f'"{StageSpan._meta.db_table}"."{name}"' for name in (
    "stage_id", "state", "manufacturer_id", "season_id", "first_day", "until", "line_item_id")}
# The index's own order, its leading columns named too: PostgreSQL then walks it for a cell whose stage
# IS NULL (not started) instead of sorting the cell.
_WALK_ORDER = ", ".join(_SPAN_COLUMN[c] for c in ("stage_id", "state", "manufacturer_id", "first_day", "until",
                                                  "line_item_id"))


def _lane_sql(swimlane: str, lane_key: str) -> tuple[str, list]:
    """The same condition as `_lane_q`, as SQL for a walk."""
    field_name = _lane_field(swimlane)
    if field_name is None or lane_key == "all":
        return "", []
    value = lane_key.split("-", 1)[1]
    column = _SPAN_COLUMN[field_name]
    return (f" AND {column} IS NULL", []) if value == "none" else (f" AND {column} = %s", [int(value)])


def _cell_parts(*, key: str, lane: tuple[str, list], statuses: dict, offset: int, limit: int,
                oldest: dict | None = None) -> list[tuple[str, list, int, int]]:
    """The walks giving cards [offset, offset + limit) of one cell, each ONE range of the span index
    walked in its order: in progress, then stage done; longest in the column first (per manufacturer
    when the lanes are not manufacturers: the index walks them one after the other). `oldest`: {state:
    first day of the cell's longest held span}, where the walk can start (the spans of the cell that
    began and ended before it are not read). (condition SQL, its parameters, offset, rows) each:
    `_walk_ids` runs them all as one statement."""
    stage, state_col, first_col = _SPAN_COLUMN["stage_id"], _SPAN_COLUMN["state"], _SPAN_COLUMN["first_day"]
    if key in (NO_STAGES, NOT_STARTED):
        state = StageStatus.NO_STAGES if key == NO_STAGES else StageStatus.NOT_STARTED
        conditions = [(state, f"{stage} IS NULL AND {state_col} = %s", [state])]
    else:
        stage_id = int(key.removeprefix("stage-"))
        conditions = [(state, f"{stage} = %s AND {state_col} = %s", [stage_id, state])
                      for state in (StageStatus.IN_PROGRESS, StageStatus.COMPLETED)]
    lane_sql, lane_params = lane
    parts = []
    for state, condition, params in conditions:
        available = statuses.get(state, 0)
        if offset >= available:
            offset -= available
            continue
        take = min(limit, available - offset)
        first = (oldest or {}).get(state)
        if first is not None:
            condition, params = condition + f" AND {first_col} >= %s", [*params, first]
        parts.append((condition + lane_sql, [*params, *lane_params], offset, take))
        limit -= take
        offset = 0
        if limit <= 0:
            break
    return parts


def _walk_ids(spans: QuerySet, parts: list[tuple[str, list, int, int]]) -> list[int]:
    """The span ids of every walk, in ONE `UNION ALL` statement. The filtered spans' statement is
    compiled once and each walk adds its cell's condition to it (compiling a queryset per walk cost
    more than the database did: 40 of them a board)."""
    if not parts:
        return []
    connection = connections[spans.db]
    sql, base_params = spans.order_by().values_list("id").query.get_compiler(using=spans.db).as_sql()
    head, where = sql.split(" WHERE ", 1)
    adapt = connection.ops.adapt_datefield_value
    statements, params = [], []
    for i, (condition, condition_params, offset, take) in enumerate(parts):
        statements.append(f"SELECT * FROM ({head} WHERE ({where}) AND {condition} ORDER BY {_WALK_ORDER} "
                          f"LIMIT {int(take)} OFFSET {int(offset)}) part{i}")
        params += [*base_params, *(adapt(p) if isinstance(p, dt.date) else p for p in condition_params)]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(statements), params)
        return [row[0] for row in cursor.fetchall()]


def _lane_q(swimlane: str, lane_key: str) -> Q:
    field_name = _lane_field(swimlane)
    if field_name is None or lane_key == "all":
        return Q()
    value = lane_key.split("-", 1)[1]
    return Q(**{f"{field_name}__isnull": True}) if value == "none" else Q(**{field_name: int(value)})


def _cards(span_ids: list[int], *, organisation, options: BoardOptions, day: dt.date,
           thresholds, by_manufacturer: bool = True) -> list[Card]:
    """The board's cards of these spans, judged on `day` (days in stage, late, stuck)."""
    if not span_ids:
        return []
    spans = {s.line_item_id: s for s in StageSpan.objects.filter(id__in=span_ids).only(
        "id", "line_item_id", "stage_id", "state", "entered_at", "first_day", "until")}
    items = LineItem.objects.filter(id__in=list(spans)).select_related("order").only(*CARD_FIELDS)
    ends = end_of_day(day, organisation_zone(organisation))
    stage_by_id = options.stage_by_id
    cards = []
    for item in items:
        span = spans[item.id]
        order = item.order
        started = span.entered_at
        active = span.state in (StageStatus.IN_PROGRESS, StageStatus.COMPLETED)
        threshold = thresholds.threshold(span.stage_id, order.manufacturer_id)
        stuck = bool(span.state == StageStatus.IN_PROGRESS and started and threshold
                     and (ends - started).total_seconds() > threshold.days * 86400)
        expected = order_expected_date(order)
        late = None if expected is None else expected < day
        variation_images = item.variation_images if isinstance(item.variation_images, list) else []
        image = safe_image_url(item.cover_image) or next(
            (u for u in variation_images[:3] if safe_image_url(u)), "")
        card = Card(
            id=item.id, uphance_id=item.uphance_id, product_name=item.product_name or f"Line item {item.uphance_id}",
            product_identifier=item.product_identifier, colour_name=item.colour, swatch=colour_swatch(item.colour),
            image_url=image, order_uphance_id=order.uphance_id, po_number=order.number,
            manufacturer=options.manufacturer_names.get(order.manufacturer_id, ""),
            season=options.season_names.get(order.season_id, ""), units=item.units,
            stage=stage_by_id.get(span.stage_id), stage_status=span.state, started_at=started,
            days_in_stage=max(0, (ends - started).days) if started and active else None, starts_in_days=None, usual=None,
            expected_date=expected, late=late, days_late=(day - expected).days if late else 0, stuck=stuck,
            stuck_after_days=round(threshold.days, 1) if threshold else None,
            column_key=_column_key(span.stage_id, span.state), manufacturer_id=order.manufacturer_id,
            season_id=order.season_id,
        )
        card._first_day, card._until = span.first_day, span.until
        cards.append(card)
    rank = {StageStatus.IN_PROGRESS: 0, StageStatus.COMPLETED: 1}
    key = (lambda c: (rank.get(c.stage_status, 0), c._first_day, c._until, c.id)) if by_manufacturer else (
        lambda c: (rank.get(c.stage_status, 0), c.manufacturer_id is not None, c.manufacturer_id or 0, c._first_day,
                   c._until, c.id))
    return sorted(cards, key=key)


def as_of_board(*, organisation, filters: BoardFilters, options: BoardOptions, day: dt.date,
                lane_offset: int = 0, since: dt.date | None = None) -> StageBoard:
    """The stage board at the end of `day`: counts in one grouped query (with `since`, the same pass
    also says what changed in every column since then: `board.changes`), the first cards of every
    visible cell in one UNION ALL of index walks, their details in one more."""
    thresholds = stuck_thresholds(organisation=organisation, stages=options.stages)
    spans = spans_filtered(organisation=organisation, filters=filters, day=day, thresholds=thresholds)
    lane_field = _lane_field(filters.swimlane)
    oldest: dict = {}
    counted = _counted_cells(organisation=organisation, filters=filters, day=day, oldest=oldest)
    if counted is not None and since not in (None, day):
        # Then and now from the daily counts; what arrived from the spans that began in between.
        then = _counted_cells(organisation=organisation, filters=filters, day=since)
        arrived = _arrived(organisation=organisation, filters=filters, options=options, since=since, day=day)
        per_cell, moves = counted, _moves(counted, then, arrived)
    elif counted is not None:
        per_cell, moves = counted, {}
    elif since is None or since == day:
        per_cell, moves = _counts(spans, lane_field)
    else:
        static = _static_q(organisation=organisation, filters=filters)
        day_q = _day_q(organisation=organisation, filters=filters, day=day, thresholds=thresholds)
        since_q = _day_q(organisation=organisation, filters=filters, day=since, thresholds=thresholds)
        both = StageSpan.objects.filter(organisation=organisation).filter(static).filter(day_q | since_q)
        per_cell, moves = _counts(both, lane_field, day_q=day_q, since_q=since_q, since=since)
    columns = _columns(options, per_cell)
    with_lanes = filters.swimlane != "none"
    lanes, lanes_total = visible_lanes(per_cell, filters=filters, options=options, columns=columns,
                                       lane_offset=lane_offset)
    limit = LANE_SLICE if with_lanes else FIRST_SLICE
    parts = []
    for lane in lanes:
        lane_condition = _lane_sql(filters.swimlane, lane.key)
        for board_cell in lane.cells:
            if board_cell.count:
                cell = per_cell[(lane.value, board_cell.column.key)]
                bounds = {state: oldest.get((lane.value, board_cell.column.key, state)) for state in cell
                          if state != "units"}
                parts += _cell_parts(key=board_cell.column.key, lane=lane_condition, statuses=cell, offset=0,
                                     limit=limit, oldest=bounds)
    cards = _cards(_walk_ids(spans, parts), organisation=organisation, options=options, day=day,
                   thresholds=thresholds, by_manufacturer=filters.swimlane == "manufacturer")
    field_name = {"manufacturer": "manufacturer_id", "season": "season_id"}.get(filters.swimlane)
    by_cell = defaultdict(list)
    for card in cards:
        lane_value = getattr(card, field_name) if field_name else None
        by_cell[(lane_key_of(filters.swimlane, lane_value), card.column_key)].append(card)
    for lane in lanes:
        for cell in lane.cells:
            cell.cards = by_cell.get((lane.key, cell.column.key), [])[:limit]
    next_offset = lane_offset + LANES_PER_PAGE
    board = StageBoard(
        columns=columns, lanes=lanes, lanes_total=lanes_total, lane_offset=lane_offset,
        next_lane_offset=next_offset if with_lanes and next_offset < lanes_total else None,
        count=sum(c.count for c in columns), units=sum(c.units for c in columns), thresholds=thresholds,
    )
    if since is not None and since != day:
        board.changes = _changes(columns, moves, cards=cards, since=since, day=day)
    return board


def as_of_cell_cards(*, organisation, filters: BoardFilters, options: BoardOptions, day: dt.date,
                     column_key: str, lane_key: str, offset: int, limit: int = MORE_SLICE) -> CardSlice | None:
    """"Show more" of one cell of a past day's board. None for an unknown column or lane."""
    stages = {f"stage-{s.id}": s for s in options.stages}
    if column_key not in stages and column_key not in (NOT_STARTED, NO_STAGES):
        return None
    try:
        lane_condition = _lane_q(filters.swimlane, lane_key)
    except (ValueError, IndexError):
        return None
    thresholds = stuck_thresholds(organisation=organisation, stages=options.stages)
    spans = spans_filtered(organisation=organisation, filters=filters, day=day, thresholds=thresholds)
    lane_value = None
    if lane_key != "all" and filters.swimlane != "none":
        raw = lane_key.split("-", 1)[1]
        lane_value = None if raw == "none" else int(raw)
    statuses = _counts(spans.filter(lane_condition), _lane_field(filters.swimlane))[0].get((lane_value, column_key), {})
    count = sum(n for state, n in statuses.items() if state != "units")
    ids = _walk_ids(spans, _cell_parts(key=column_key, lane=_lane_sql(filters.swimlane, lane_key), statuses=statuses,
                                       offset=offset, limit=limit))
    cards = _cards(ids, organisation=organisation, options=options, day=day, thresholds=thresholds,
                   by_manufacturer=filters.swimlane == "manufacturer")
    stage = stages.get(column_key)
    label = stage.name if stage else SPECIAL_COLUMNS[column_key]
    colour = stage.safe_colour if stage else "#e5e7eb"
    column = Column(column_key, label, colour, text_colour_for(colour), stage=stage)
    has_more = offset + len(cards) < count
    return CardSlice(column=column, lane_key=lane_key, lane_label="", cards=cards, offset=offset,
                          next_offset=offset + len(cards) if has_more else None, count=len(cards))


# --- what changed between two days -------------------------------------------------------------

@dataclass
class ColumnChange:
    label: str
    colour: str
    then: int
    then_units: int
    now: int
    now_units: int
    arrived: int
    arrived_units: int
    left: int
    left_units: int

    @property
    def change(self) -> int:
        return self.now - self.then


@dataclass
class Changes:
    """What changed on the board between the end of `since` and the end of `day`, column by column:
    line items there then and now, those that arrived in the column since, and those that left it
    (moved on, or off the board with their received PO)."""

    since: dt.date
    day: dt.date
    columns: list[ColumnChange]
    moved: list[Card] = field(default_factory=list)  # the board's cards that arrived in their column since

    @property
    def total(self) -> int:
        return sum(c.arrived for c in self.columns)

    @property
    def later(self) -> bool:
        return self.day > self.since


def _changes(columns: list[Column], moves: dict, *, cards: list[Card], since: dt.date,
             day: dt.date) -> Changes:
    per_column: dict = defaultdict(lambda: [0] * 6)
    for (_lane, key), figures in moves.items():
        total = per_column[key]
        for i, value in enumerate(figures):
            total[i] += value
    rows = []
    for column in columns:
        then, then_u, arrived, arrived_u, left, left_u = per_column.get(column.key, [0] * 6)
        rows.append(ColumnChange(column.label, column.colour, then, then_u, column.count, column.units, arrived,
                                 arrived_u, left, left_u))
    moved = [card for card in cards if card._first_day > since][:CHANGES_LISTED]
    return Changes(since=since, day=day, columns=rows, moved=moved)


# --- export --------------------------------------------------------------------------------------

AS_OF_EXPORT_HEADER = [
    "As of", "PO number", "Order id", "Manufacturer", "Season", "Line item id", "Product", "Identifier", "Colour",
    "Warehouse", "Units", "Stage status", "Stage", "Stage started at", "Days in stage", "Late",
]


def as_of_export_rows(*, organisation, filters: BoardFilters, day: dt.date) -> Iterator[list]:
    """Every line item of the filtered board of `day`, in its column that day, a row at a time."""
    zone = organisation_zone(organisation)
    ends = end_of_day(day, zone)
    stages = board_options(organisation=organisation).stages
    stage_names = {s.id: s.name for s in stages}
    thresholds = stuck_thresholds(organisation=organisation, stages=stages) if filters.stuck else None
    spans = spans_filtered(organisation=organisation, filters=filters, day=day, thresholds=thresholds)
    rows = spans.order_by("order__uphance_id", "line_item__uphance_id").values_list(
        "order__number", "order__uphance_id", "order__manufacturer__name", "order__season__name",
        "line_item__uphance_id", "line_item__product_name", "line_item__product_identifier", "line_item__colour",
        "line_item__warehouse__name", "units", "state", "stage_id", "entered_at", "order__due_date",
        "order__in_warehouse_date",
    )
    yield AS_OF_EXPORT_HEADER
    for (number, order_id, manufacturer, season, item_id, product, identifier, colour, warehouse, units, state,
         stage_id, entered, due, in_warehouse) in rows.iterator(chunk_size=2000):
        expected = in_warehouse or due
        active = state in (StageStatus.IN_PROGRESS, StageStatus.COMPLETED)
        yield [
            day.isoformat(), number, order_id, manufacturer or "", season or "", item_id, product, identifier, colour,
            warehouse or "", units, state, stage_names.get(stage_id, ""),
            entered.astimezone(zone).isoformat(timespec="minutes") if entered else "",
            max(0, (ends - entered).days) if entered and active else "",
            "no date" if expected is None else ("yes" if expected < day else "no"),
        ]


def history_ready(*, organisation) -> bool:
    """Whether the organisation's spans were built (else the board cannot look back yet)."""
    return history_build(organisation=organisation) is not None
