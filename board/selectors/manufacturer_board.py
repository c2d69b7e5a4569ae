"""The manufacturer board: a column per manufacturer, a card per production order (most urgent first).

Counts read the line items' copies of their order's fields (one table, an index alone); each factory's
most urgent orders are two short ranges of the open orders' index (dated, then undated), all of them
in ONE statement.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.utils import timezone

from board.selectors.cache import board_version, cached, snapshot_key
from board.selectors.cards import (
    MORE_SLICE,
    NO_STAGES,
    NOT_STARTED,
    SPECIAL_COLUMNS,
    UNPLACED,
    CardSlice,
    Column,
    column_key_of,
)
from board.selectors.filters import (
    BoardFilters,
    BoardOptions,
    item_filters_q,
    line_items_filtered,
    order_filters_q,
)
from board.selectors.ranges import RangeUnion
from board.selectors.rollup import rollup_maker_counts
from integrations.numbers import ascii_int
from production.colours import NEUTRAL, text_colour_for
from production.models import DeliveryStatus, LineItem, OrderStatus, ProductionOrder, Stage
from production.rules import (
    days_late,
    expected_date_expression,
    order_expected_date,
    order_is_late,
    organisation_today,
    stuck_thresholds,
)

ORDER_SLICE = 6  # order cards in a manufacturer column


@dataclass
class Segment:
    label: str
    colour: str
    units: int
    items: int
    percent: float


@dataclass
class OrderCard:
    id: int
    uphance_id: int
    number: str
    season: str
    manufacturer: str
    expected_date: dt.date | None
    late: bool | None
    days_late: int
    items: int
    units: int
    segments: list[Segment]
    least_advanced: str
    least_advanced_colour: str
    status: str
    delivery_status: str

    @property
    def expected_label(self) -> str:
        return self.expected_date.strftime("%-d %b %Y") if self.expected_date else ""


@dataclass
class ManufacturerColumn:
    key: str
    label: str
    orders: int
    items: int
    units: int
    cards: list[OrderCard] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.orders - len(self.cards)


@dataclass
class ManufacturerBoard:
    columns: list[ManufacturerColumn]
    orders: int
    count: int
    units: int
    stages: list[Stage]


def _orders_matching(*, organisation, filters: BoardFilters, now: dt.datetime, today: dt.date,
                     thresholds: dict | None) -> QuerySet[ProductionOrder]:
    """Orders the filters select: theirs, with at least one present line item the filters select."""
    lines = LineItem.objects.filter(order_id=OuterRef("pk"), removed_at__isnull=True).filter(
        item_filters_q(organisation=organisation, filters=filters, now=now, thresholds=thresholds)
    )
    return ProductionOrder.objects.filter(organisation=organisation).filter(
        order_filters_q(filters=filters, today=today, prefix=""), Exists(lines)
    )


def _urgent_orders(orders: QuerySet[ProductionOrder], *, makers, offset: int, limit: int) -> dict:
    """{manufacturer id: ids of its orders [offset, offset + limit), most urgent first (expected date first,
    undated last, then the Uphance id)}: two ranges of the board's order index per manufacturer (dated,
    undated), ONE statement."""
    expected = orders.annotate(expected=expected_date_expression())
    columns = ("id", "manufacturer_id", "expected", "uphance_id")
    dated = expected.filter(expected__isnull=False).order_by("expected", "uphance_id").values_list(*columns)
    undated = (expected.filter(in_warehouse_date__isnull=True, due_date__isnull=True)  # production_order_board_undated
               .order_by("uphance_id").values_list(*columns))
    ranges = RangeUnion()
    for maker_id in makers:
        ranges.add("dated", dated, values={"manufacturer_id": maker_id}, offset=0, limit=offset + limit)
        ranges.add("undated", undated, values={"manufacturer_id": maker_id}, offset=0, limit=offset + limit)
    by_maker = defaultdict(list)
    # Raw rows: the expected date is text on SQLite, a date on PostgreSQL; either sorts right.
    for pk, maker_id, *_key in sorted(
        ranges.rows(), key=lambda row: (row[2] is None, row[2] if row[2] is not None else "", row[3])
    ):
        by_maker[maker_id].append(pk)
    return {maker_id: ids[offset : offset + limit] for maker_id, ids in by_maker.items()}


def manufacturer_board(
    *, organisation, filters: BoardFilters, options: BoardOptions, now: dt.datetime | None = None,
    version: int | None = None,
) -> ManufacturerBoard:
    """A column per manufacturer, a card per production order (most urgent first)."""
    now = now or timezone.now()
    today = organisation_today(organisation=organisation, now=now)
    if version is None:
        version = board_version(organisation=organisation)
    thresholds = (
        stuck_thresholds(organisation=organisation, stages=options.stages, version=version) if filters.stuck else None
    )
    items = line_items_filtered(organisation=organisation, filters=filters, now=now, thresholds=thresholds)

    def counts():
        rolled = rollup_maker_counts(organisation=organisation, filters=filters, version=version)
        if rolled is not None:
            return rolled
        return list(
            items.order_by().values_list("order_manufacturer_id").annotate(
                orders=Count("order_id", distinct=True), n=Count("id"), u=Sum("units")
            )
        )

    snapshot = {"organisation": organisation, "version": version, "today": today, "filters": filters,
                "thresholds": thresholds}
    names = options.manufacturer_names
    rows = cached(snapshot_key("maker-counts", **snapshot), counts)
    columns = sorted(
        (
            ManufacturerColumn(
                key=f"m-{maker_id or 'none'}", label=names.get(maker_id, "No manufacturer"),
                orders=n_orders, items=n, units=u or 0,
            )
            for maker_id, n_orders, n, u in rows
        ),
        key=lambda c: (c.key == "m-none", c.label.lower()),
    )

    def first_orders():
        orders = _orders_matching(organisation=organisation, filters=filters, now=now, today=today,
                                  thresholds=thresholds)
        urgent = _urgent_orders(orders, makers=[row[0] for row in rows], offset=0, limit=ORDER_SLICE)
        return [pk for ids in urgent.values() for pk in ids]

    cards = _order_cards(cached(snapshot_key("maker-orders", **snapshot), first_orders), options=options, today=today)
    by_column = defaultdict(list)
    for card in cards:
        by_column[card._key].append(card)
    for column in columns:
        column.cards = sorted(by_column.get(column.key, []), key=_order_sort_key)
    return ManufacturerBoard(
        columns=columns, orders=sum(c.orders for c in columns), count=sum(c.items for c in columns),
        units=sum(c.units for c in columns), stages=options.stages,
    )


def _order_sort_key(card: OrderCard):
    return (card.expected_date is None, card.expected_date or dt.date.max, card.uphance_id)


def manufacturer_column_orders(
    *, organisation, filters: BoardFilters, options: BoardOptions, column_key: str, offset: int,
    limit: int = MORE_SLICE, now: dt.datetime | None = None,
) -> CardSlice | None:
    if not column_key.startswith("m-"):
        return None
    value = column_key[2:]
    maker_id = None if value == "none" else ascii_int(value, minimum=0)
    if value != "none" and maker_id is None:
        return None
    now = now or timezone.now()
    today = organisation_today(organisation=organisation, now=now)
    thresholds = (
        stuck_thresholds(organisation=organisation, stages=options.stages,
                         version=board_version(organisation=organisation))
        if filters.stuck else None
    )
    orders = _orders_matching(organisation=organisation, filters=filters, now=now, today=today, thresholds=thresholds)
    # The next `limit` orders, and one more to know whether there are more.
    ids = _urgent_orders(orders, makers=[maker_id], offset=offset, limit=limit + 1).get(maker_id, [])
    cards = sorted(_order_cards(ids[:limit], options=options, today=today), key=_order_sort_key)
    label = "No manufacturer" if maker_id is None else options.manufacturer_names.get(maker_id, "")
    column = Column(column_key, label, NEUTRAL, text_colour_for(NEUTRAL))
    return CardSlice(
        column=column, lane_key="all", lane_label="", cards=cards, offset=offset,
        next_offset=offset + limit if len(ids) > limit else None, count=len(cards),
    )


def _order_cards(ids: list[int], *, options: BoardOptions, today: dt.date) -> list[OrderCard]:
    if not ids:
        return []
    # Plain rows, not model instances: the rules read an order's attributes, the labels its choices.
    fields = ("id", "uphance_id", "number", "season_id", "manufacturer_id", "due_date", "in_warehouse_date",
              "status", "status_raw", "delivery_status", "delivery_status_raw")
    orders = [SimpleNamespace(**dict(zip(fields, row, strict=True)))
              for row in ProductionOrder.objects.filter(id__in=ids).order_by().values_list(*fields)]
    lines = defaultdict(list)
    for row in LineItem.objects.filter(order_id__in=ids, removed_at__isnull=True).order_by().values_list(
        "order_id", "current_stage_id", "stage_status", "units"
    ):
        lines[row[0]].append(row[1:])
    stage_by_id = options.stage_by_id
    season_names, manufacturer_names = options.season_names, options.manufacturer_names
    status_labels, delivery_labels = dict(OrderStatus.choices), dict(DeliveryStatus.choices)
    rank = {f"stage-{s.id}": i + 1 for i, s in enumerate(options.stages)}
    rank.update({NOT_STARTED: 0, UNPLACED: len(options.stages) + 1, NO_STAGES: len(options.stages) + 2})
    cards = []
    for order in orders:
        per_key: dict = defaultdict(lambda: [0, 0])
        for stage_id, status, units in lines.get(order.id, []):
            key = column_key_of(stage_id, status)
            per_key[key][0] += 1
            per_key[key][1] += units or 0
        total_units = sum(u for _, u in per_key.values())
        total_items = sum(n for n, _ in per_key.values())
        segments = []
        for key in sorted(per_key, key=lambda k: rank.get(k, 99)):
            n, u = per_key[key]
            stage = stage_by_id.get(int(key[6:])) if key.startswith("stage-") else None
            label = stage.name if stage else SPECIAL_COLUMNS[key]
            colour = stage.safe_colour if stage else ("#d1d5db" if key == NOT_STARTED else "#f3f4f6")
            weight = (u / total_units) if total_units else (n / total_items)
            segments.append(Segment(label=label, colour=colour, units=u, items=n, percent=round(100 * weight, 2)))
        staged = [s for s in segments if s.label != "No stages"]
        least = staged[0] if staged else None
        card = OrderCard(
            id=order.id, uphance_id=order.uphance_id, number=order.number,
            season=season_names.get(order.season_id, ""),
            manufacturer=manufacturer_names.get(order.manufacturer_id, ""),
            expected_date=order_expected_date(order), late=order_is_late(order, today=today),
            days_late=days_late(order, today=today),
            items=total_items, units=total_units, segments=segments,
            least_advanced=least.label if least else "No stages",
            least_advanced_colour=least.colour if least else "#f3f4f6",
            status=order.status_raw or status_labels.get(order.status, order.status),
            delivery_status=order.delivery_status_raw or delivery_labels.get(order.delivery_status, order.delivery_status),
        )
        card._key = f"m-{order.manufacturer_id or 'none'}"
        cards.append(card)
    return cards


# --- export ------------------------------------------------------------------------------------
