"""Template helpers of the Shipup push log: the latest pushes of a sales order."""
from django import template

from customers.shipup.selectors import LOG_LENGTH

register = template.Library()


@register.simple_tag
def shipup_log_for(sales_order) -> list:
    """The pushes attached by `shipup_logs_attach` (no query), else the latest few (one query)."""
    attached = getattr(sales_order, "shipup_log", None)
    if attached is not None:
        return attached
    if sales_order is None or not getattr(sales_order, "pk", None):
        return []
    return list(sales_order.shipup_pushes.defer("payload").order_by("-sent_at", "-id")[:LOG_LENGTH])
