"""Reads about organisations: what the home page shows of the connected organisation."""
from django.db.models import Max, Sum

from board.selectors.filters import BoardFilters, line_items_filtered
from production.models import ForecastState, LineItem, ProductionOrder
from production.rules import order_present_q, orders_open
from production.sync.models import SyncRun

PREDICTED_LATE = BoardFilters(forecast=ForecastState.PREDICTED_LATE)


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
        # The board's own filter, so the count is what the link opens.
        "predicted_late": line_items_filtered(organisation=organisation, filters=PREDICTED_LATE).count(),
        "predicted_late_query": PREDICTED_LATE.query_string(),
    }
