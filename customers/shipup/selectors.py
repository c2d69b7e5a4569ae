"""Reads of the Shipup push: an organisation's settings, the sales orders to send, and push logs."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from customers.models import CANCELLED_STATUSES, Channel, DemandLink, SalesOrder
from customers.shipup.models import ShipupPush, ShipupSettings

LOG_LENGTH = 5  # pushes shown per sales order on the customer page


def shipup_settings_get(*, organisation) -> ShipupSettings:
    """The organisation's settings; an unsaved default (switched off) when it never had any."""
    return ShipupSettings.objects.filter(organisation=organisation).first() or ShipupSettings(
        organisation=organisation
    )


def shipup_channel_ids(*, settings: ShipupSettings) -> list[int]:
    if settings.pk is None:
        return []
    return list(settings.channels.values_list("pk", flat=True))


def shipup_channels(*, organisation) -> QuerySet[Channel]:
    return Channel.objects.filter(organisation=organisation).order_by("name", "uphance_id")


def waiting_links() -> QuerySet[DemandLink]:
    """Demand links that make a sales order wait on production: units allocated to it."""
    return DemandLink.objects.filter(is_allocated=True, units__gt=0)


def shipup_sales_orders(*, organisation, settings: ShipupSettings) -> QuerySet[SalesOrder]:
    """The sales orders a push looks at, without their relations (cheap to count and page).

    - open sales orders that wait on production (allocated demand links);
    - open sales orders Shipup already has, whose links are gone (their production may be all
      received: the order is then being prepared for shipment);
    - cancelled sales orders Shipup already has, so Shipup learns they are cancelled.
    Only the ticked channels when any are ticked.
    """
    waits = Exists(waiting_links().filter(sales_order=OuterRef("pk")))
    known = Q(shipup_state__accepted_at__isnull=False)
    queryset = SalesOrder.objects.filter(organisation=organisation, removed_at__isnull=True).filter(
        (Q(is_open=True) & (waits | known))
        | (Q(status__in=CANCELLED_STATUSES) & known & ~Q(shipup_state__accepted_status_code="canceled"))
    )
    channel_ids = shipup_channel_ids(settings=settings)
    if channel_ids:
        queryset = queryset.filter(channel_id__in=channel_ids)
    return queryset.order_by("-uphance_id")


SALES_ORDER_PREFETCH = (
    "lines__quantities",
    "customer__contacts",
    "customer__addresses",
    Prefetch(
        "demand_links",
        queryset=waiting_links().select_related("line_item__current_stage", "production_order"),
        to_attr="shipup_links",
    ),
)


def shipup_sales_orders_load(sales_orders: Iterable[SalesOrder] | QuerySet[SalesOrder]) -> list[SalesOrder]:
    """The sales orders with everything their payload needs, in a constant number of queries."""
    if isinstance(sales_orders, QuerySet):
        return list(sales_orders.select_related("customer", "channel", "shipup_state").prefetch_related(
            *SALES_ORDER_PREFETCH
        ))
    orders = list(sales_orders)
    pks = [o.pk for o in orders]
    loaded = {o.pk: o for o in shipup_sales_orders_load(SalesOrder.objects.filter(pk__in=pks))}
    return [loaded[pk] for pk in pks if pk in loaded]


def shipup_logs_for(*, sales_orders: Iterable[SalesOrder], limit: int = LOG_LENGTH) -> dict[int, list[ShipupPush]]:
    """The latest pushes of each sales order (newest first), in one query: sales-order pk -> pushes."""
    pks = [o.pk for o in sales_orders]
    logs: dict[int, list[ShipupPush]] = defaultdict(list)
    if not pks:
        return logs
    for push in ShipupPush.objects.filter(sales_order_id__in=pks).defer("payload").order_by(
        "sales_order_id", "-sent_at", "-id"
    ):
        if len(logs[push.sales_order_id]) < limit:
            logs[push.sales_order_id].append(push)
    return logs


def shipup_pushes_recent(*, organisation, limit: int = 20) -> QuerySet[ShipupPush]:
    return (
        ShipupPush.objects.filter(organisation=organisation)
        .select_related("sales_order")
        .defer("payload")
        .order_by("-sent_at", "-id")[:limit]
    )


def shipup_logs_attach(*, sales_orders) -> None:
    """Set `shipup_log` (latest pushes, newest first) on each sales order: the customer page's partial reads it."""
    orders = list(sales_orders)
    logs = shipup_logs_for(sales_orders=orders)
    for order in orders:
        order.shipup_log = logs.get(order.pk, [])
