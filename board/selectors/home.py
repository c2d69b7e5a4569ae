"""Reads about organisations: what the home page shows of the connected organisation."""
from django.db.models import Max, Sum

from board.selectors.cache import board_version
from board.selectors.filters import BoardFilters, line_items_filtered
from board.selectors.rollup import rollup_overview
from production.models import ForecastState, LineItem, ProductionOrder
from production.rules import order_present_q
from production.sync.models import SyncRun

PREDICTED_LATE = BoardFilters(forecast=ForecastState.PREDICTED_LATE)


def _open_line_items(*, organisation) -> dict:
    """What the rollup says (board.selectors.rollup), counted from the line items when it cannot."""
    lines = LineItem.objects.filter(organisation=organisation, is_open=True)
    return {
        "line_items": lines.count(),
        "units": lines.aggregate(units=Sum("units"))["units"] or 0,
        # The board's own filter, so the count is what the link opens.
        "predicted_late": line_items_filtered(organisation=organisation, filters=PREDICTED_LATE).count(),
    }


def organisation_overview(*, organisation) -> dict:
    """Orders (every one Uphance still returns, and the open ones), then the open orders' line items and
    units, and how many of them the forecast puts late: the figures a planner starts the day with. The
    line-item figures come from the board's rollup while it is current (they are the board's own counts),
    the order counts from indexes (production_order_present, production_order_board)."""
    orders = ProductionOrder.objects.filter(organisation=organisation)
    last_sync = SyncRun.objects.filter(organisation=organisation, outcome__in=["succeeded", "partial"]).aggregate(
        at=Max("finished_at")
    )["at"]
    connection = getattr(organisation, "uphance_connection", None)
    lines = rollup_overview(organisation=organisation, version=board_version(organisation=organisation))
    return {
        "connection": connection,
        "orders": orders.filter(order_present_q()).count(),
        "open_orders": orders.filter(is_open=True).count(),  # = production.rules.order_is_open (order_copy)
        **(lines if lines is not None else _open_line_items(organisation=organisation)),
        "last_sync_at": last_sync,
        "predicted_late_query": PREDICTED_LATE.query_string(),
    }
