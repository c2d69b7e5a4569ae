"""Reads about organisations: what the home page shows of the connected organisation."""
from django.db.models import Count, Max, Q, Sum

from production.models import LineItem, ProductionOrder, SyncRun


def organisation_overview(*, organisation) -> dict:
    orders = ProductionOrder.objects.filter(organisation=organisation).present()
    order_counts = orders.aggregate(
        total=Count("id"),
        open=Count("id", filter=~Q(status__in=["complete", "cancelled"]) & ~Q(delivery_status="all_received")),
    )
    line_counts = LineItem.objects.filter(organisation=organisation, removed_at__isnull=True).aggregate(
        total=Count("id"), units=Sum("units")
    )
    last_sync = SyncRun.objects.filter(organisation=organisation, outcome__in=["succeeded", "partial"]).aggregate(
        at=Max("finished_at")
    )["at"]
    connection = getattr(organisation, "uphance_connection", None)
    return {
        "connection": connection,
        "orders": order_counts["total"],
        "open_orders": order_counts["open"],
        "line_items": line_counts["total"],
        "units": line_counts["units"] or 0,

        "last_sync_at": last_sync,
    }
