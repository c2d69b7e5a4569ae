"""What the board reads instead of joining orders: the order fields every line item carries a copy of, and is_open.

A line item holds its order's number, manufacturer, season, status, delivery status, due and
in-warehouse dates and removal, and `is_open` (production.rules.line_item_is_open: still in Uphance,
its order open); an order holds its own `is_open` (production.rules.order_is_open). The sync's upsert
writes them with the orders and line items, in the same transaction (`order_open_value`,
`order_copy_values`); removals run `line_items_order_copy`, and model saves go through the receivers in
production.receivers. Rules read the copies with prefix "order_" (`order_late_q(prefix="order_")` on
LineItem), exactly as they read the order.
"""
from __future__ import annotations

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, Value, When

from production.models import LineItem, ProductionOrder
from production.rules import order_is_open, order_open_q

# line item field -> the order's field (attribute names)
ORDER_COPY = {
    "order_number": "number",
    "order_manufacturer_id": "manufacturer_id",
    "order_season_id": "season_id",
    "order_status": "status",
    "order_delivery_status": "delivery_status",
    "order_due_date": "due_date",
    "order_in_warehouse_date": "in_warehouse_date",
    "order_removed_at": "removed_at",
}
ORDER_COPY_FIELDS = [*ORDER_COPY, "is_open"]
# The order's fields the copies come from: a save that writes none of them leaves the copies as they are.
ORDER_SOURCE_FIELDS = {"number", "manufacturer", "season", "status", "delivery_status", "due_date", "in_warehouse_date",
                       "removed_at"}


def order_open_value(order) -> bool:
    """ProductionOrder.is_open of `order` (or of anything with its attribute names)."""
    return order_is_open(order)


def order_copy_values(order, *, present: bool = True) -> dict:
    """The copies for a line item of `order` (a ProductionOrder or anything with its attribute names);
    `present`: the line item itself is still in Uphance (not removed)."""
    values = {item_field: getattr(order, order_field) for item_field, order_field in ORDER_COPY.items()}
    values["is_open"] = present and order_is_open(order)
    return values


def line_items_order_copy(line_items: QuerySet[LineItem], **also) -> int:
    """Copy the order fields onto `line_items` again from their orders: ONE UPDATE (with `also`, more
    values to set in it); returns the rows updated."""
    order = ProductionOrder.objects.filter(pk=OuterRef("order_id"))
    copies = {item_field.removesuffix("_id"): Subquery(order.values(order_field)[:1])
              for item_field, order_field in ORDER_COPY.items()}
    # An UPDATE reads the row as it was: a statement that also removes line items says is_open itself.
    is_open = Case(
        When(Q(removed_at__isnull=True) & Exists(order.filter(order_open_q())), then=Value(True)), default=Value(False)
    )
    return line_items.update(**{**copies, "is_open": is_open, **also})


def order_line_items_copy(order: ProductionOrder) -> int:
    """After `order` was saved: its line items take its fields (ONE UPDATE, values from the instance)."""
    values = order_copy_values(order)
    is_open = values.pop("is_open")
    return LineItem.objects.filter(order_id=order.pk).update(
        **values, is_open=Case(When(removed_at__isnull=True, then=Value(is_open)), default=Value(False))
    )
