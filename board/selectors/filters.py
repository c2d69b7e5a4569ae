"""The board's filters: what they are (BoardFilters), their choices, and the line items they select."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.utils import timezone

from board.selectors.cache import board_version
from customers.selectors import line_items_with_customers_at_risk, line_items_with_waiting_customers
from integrations.numbers import ascii_int
from production.models import (
    LineItem,
    Manufacturer,
    ProductionOrder,
    Season,
    Stage,
    StageStatus,
    Warehouse,
)
from production.rules import (
    StuckThreshold,
    order_late_q,
    order_open_q,
    order_present_q,
    organisation_today,
    stuck_q,
    stuck_thresholds,
)

GROUPS = (("stage", "Stages"), ("manufacturer", "Manufacturers"))
SWIMLANES = (("manufacturer", "Manufacturer"), ("season", "Season"), ("none", "None"))
STAGE_STATUSES = (
    ("not_started", "Not started"),
    ("in_progress", "In progress"),
    ("pending", "Pending"),
    ("completed", "Completed"),
    ("no_stages", "No stages"),
)
ORDER_STATUS_OPEN = ""  # the default: open orders (production.rules: not complete, cancelled or all received)
ORDER_STATUS_ANY = "any"
LINE_ITEM_COPIES = "order_"  # the prefix of a line item's copies of its order's fields


@dataclass(frozen=True)
class BoardFilters:
    """What the board shows; built from the validated query string (see board.forms)."""

    group: str = "stage"
    swimlane: str = "manufacturer"
    q: str = ""
    seasons: tuple[int, ...] = ()
    warehouses: tuple[int, ...] = ()
    stages: tuple[int, ...] = ()
    manufacturers: tuple[int, ...] = ()
    stage_status: str = ""
    delivery_status: str = ""
    order_status: str = ORDER_STATUS_OPEN
    late: bool = False
    stuck: bool = False
    waiting: bool = False  # customers wait on it (sales orders linked by SKU)
    at_risk: bool = False  # a customer order waiting on it is at risk

    def params(self) -> list[tuple[str, str]]:
        """The canonical query parameters: group and swimlane always, the rest when set."""
        out = [("group", self.group), ("swimlane", self.swimlane)]
        out += [("q", self.q)] if self.q else []
        for name, values in (
            ("season", self.seasons), ("warehouse", self.warehouses), ("stage", self.stages),
            ("manufacturer", self.manufacturers),
        ):
            out += [(name, str(v)) for v in values]
        for name, value in (
            ("stage_status", self.stage_status), ("delivery_status", self.delivery_status),
            ("status", self.order_status),
        ):
            out += [(name, value)] if value else []
        out += [("late", "1")] if self.late else []
        out += [("stuck", "1")] if self.stuck else []
        out += [("waiting", "1")] if self.waiting else []
        out += [("at_risk", "1")] if self.at_risk else []
        return out

    def query_string(self, **extra) -> str:
        params = self.params() + [(k, str(v)) for k, v in extra.items() if v is not None]
        return urlencode(params)

    @property
    def is_filtered(self) -> bool:
        return self.params()[2:] != []


@dataclass
class BoardOptions:
    """The organisation's stages, seasons, manufacturers and warehouses (filter choices, labels)."""

    stages: list[Stage]
    seasons: list[Season]
    manufacturers: list[Manufacturer]
    warehouses: list[Warehouse]

    @property
    def stage_by_id(self) -> dict[int, Stage]:
        return {s.id: s for s in self.stages}

    @property
    def season_names(self) -> dict[int, str]:
        return {s.id: str(s) for s in self.seasons}

    @property
    def manufacturer_names(self) -> dict[int, str]:
        return {m.id: m.name for m in self.manufacturers}


def board_options(*, organisation) -> BoardOptions:
    return BoardOptions(
        stages=list(Stage.objects.filter(organisation=organisation).order_by("position", "name")),
        seasons=list(Season.objects.filter(organisation=organisation).only("id", "uphance_id", "name")),
        manufacturers=list(Manufacturer.objects.filter(organisation=organisation).only("id", "name").order_by("name")),
        warehouses=list(Warehouse.objects.filter(organisation=organisation).only("id", "name").order_by("name")),
    )


def order_filters_q(*, filters: BoardFilters, today: dt.date, prefix: str = "order_") -> Q:
    """The filters that concern the production order (so a board of orders can use them too).

    `prefix` "order_" reads a line item's copies of its order's fields (production.order_copy: the
    board reads one table), "" an order's own, "order__" a line item's order through a join.
    """
    if _open_only(filters):
        return _order_open_q(prefix) & _order_fields_q(filters=filters, today=today, prefix=prefix)
    q = order_present_q(prefix=prefix)
    if filters.order_status not in (ORDER_STATUS_OPEN, ORDER_STATUS_ANY):
        q &= Q(**{f"{prefix}status": filters.order_status})
    if filters.delivery_status:
        q &= Q(**{f"{prefix}delivery_status": filters.delivery_status})
    return q & _order_fields_q(filters=filters, today=today, prefix=prefix)


def _open_only(filters: BoardFilters) -> bool:
    return filters.order_status == ORDER_STATUS_OPEN and not filters.delivery_status


def _order_open_q(prefix: str) -> Q:
    # A line item's is_open says at once that it and its order are open (production.rules.line_item_is_open),
    # an order's that it is (order_is_open); production.order_copy keeps both. The board's partial
    # indexes hold only those rows.
    return Q(is_open=True) if prefix in (LINE_ITEM_COPIES, "") else order_open_q(prefix=prefix)


def _order_fields_q(*, filters: BoardFilters, today: dt.date, prefix: str) -> Q:
    p = prefix
    q = Q()
    if filters.seasons:
        q &= Q(**{f"{p}season_id__in": filters.seasons})
    if filters.manufacturers:
        q &= Q(**{f"{p}manufacturer_id__in": filters.manufacturers})
    if filters.late:
        q &= order_late_q(today=today, prefix=p)
    return q


def item_filters_q(
    *, organisation, filters: BoardFilters, now: dt.datetime, thresholds: dict[int, StuckThreshold] | None = None
) -> Q:
    """The filters that concern the line item itself (free text also matches its order)."""
    q = Q()
    if filters.warehouses:
        q &= Q(warehouse_id__in=filters.warehouses)
    if filters.stages:
        q &= Q(current_stage_id__in=filters.stages)
    if filters.stage_status == "pending":
        q &= Q(stage_status__in=[StageStatus.NOT_STARTED, StageStatus.IN_PROGRESS])
    elif filters.stage_status:
        q &= Q(stage_status=filters.stage_status)
    if filters.stuck:
        if thresholds is None:
            stages = list(Stage.objects.filter(organisation=organisation))
            thresholds = stuck_thresholds(organisation=organisation, stages=stages,
                                          version=board_version(organisation=organisation))
        q &= stuck_q(thresholds=thresholds, now=now)
    if filters.q:
        q &= text_q(organisation=organisation, text=filters.q)
    if filters.waiting:
        q &= Q(id__in=line_items_with_waiting_customers(organisation=organisation))
    if filters.at_risk:
        q &= Q(id__in=line_items_with_customers_at_risk(organisation=organisation))
    return q


def text_q(*, organisation, text: str) -> Q:
    """Free text: product, identifier, colour, PO number, manufacturer name; an id when it is one.

    Reads the line item's copies of its order's number and manufacturer, so it needs no join.
    """
    makers = Manufacturer.objects.filter(organisation=organisation, name__icontains=text).values("id")
    q = (
        Q(product_name__icontains=text)
        | Q(product_identifier__icontains=text)
        | Q(colour__icontains=text)
        | Q(order_number__icontains=text)
        | Q(order_manufacturer_id__in=makers)
    )
    number = ascii_int(text, minimum=0)  # "²".isdigit() is true and int("²") fails
    if number is not None:
        orders = ProductionOrder.objects.filter(organisation=organisation, uphance_id=number).values("id")
        q |= Q(uphance_id=number) | Q(order_id__in=orders)
    return q


def line_items_filtered(
    *, organisation, filters: BoardFilters, now: dt.datetime | None = None,
    thresholds: dict[int, StuckThreshold] | None = None,
) -> QuerySet[LineItem]:
    """The organisation's present line items that the board's filters select.

    A query string becomes BoardFilters through board.forms.board_filters_from_query (the form
    owns validation; invalid values are dropped).
    """
    now = now or timezone.now()
    today = organisation_today(organisation=organisation, now=now)
    present = Q() if _open_only(filters) else Q(removed_at__isnull=True)  # is_open implies it
    return LineItem.objects.filter(organisation=organisation).filter(
        present,
        order_filters_q(filters=filters, today=today),
        item_filters_q(organisation=organisation, filters=filters, now=now, thresholds=thresholds),
    )
