"""Reads about organisations: what the home page shows of the connected organisation."""
from django.db.models import Max, Sum

from production.models import LineItem, ProductionOrder
from production.rules import order_present_q, orders_open
from production.sync.models import SyncRun


def organisation_overview(*, organisation) -> dict:
    orders = ProductionOrder.objects.filter(organisation=organisation)
    lines = LineItem.objects.filter(organisation=organisation, removed_at__isnull=True)
    last_sync = SyncRun.objects.filter(organisation=organisation, outcome__in=["succeeded", "partial"]).aggregate(
        at=Max("finished_at")
    )["at"]
    connection = getattr(organisation, "uphance_connection", None)
    return {
        "connection": connection,
        "orders": orders.filter(order_present_q()).count(),
        "open_orders": orders_open(orders).count(),
        "line_items": lines.count(),
        "units": lines.aggregate(units=Sum("units"))["units"] or 0,
        "last_sync_at": last_sync,
    }
