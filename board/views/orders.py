"""Timeline pages: a production order with all its line items, and one line item; each with the customers waiting."""
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import organisation_required
from board.selectors.timelines import (
    line_item_get,
    line_item_timeline,
    order_detail,
    order_get,
)
from customers.selectors import demand_for_line_item, demand_for_order


@require_GET
@organisation_required
def order_detail_view(request, uphance_id: int):
    order = order_get(organisation=request.organisation, uphance_id=uphance_id)
    if order is None:
        raise Http404("No such production order in this organisation.")
    detail = order_detail(organisation=request.organisation, order=order)
    return render(request, "board/order_detail.html", {
        "detail": detail, "order": order, "zone_name": detail.zone_name,
        "demand": demand_for_order(organisation=request.organisation, order=order),
    })


@require_GET
@organisation_required
def line_item_timeline_view(request, uphance_id: int):
    item = line_item_get(organisation=request.organisation, uphance_id=uphance_id)
    if item is None:
        raise Http404("No such line item in this organisation.")
    detail = line_item_timeline(organisation=request.organisation, item=item)
    return render(request, "board/line_item_timeline.html", {
        "detail": detail, "item": item, "order": item.order, "zone_name": detail.zone_name,
        "demand": demand_for_line_item(organisation=request.organisation, line_item=item),
    })
