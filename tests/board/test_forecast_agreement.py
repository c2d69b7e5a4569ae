"""The board, its CSV, customers' at-risk orders and Shipup's production_delay agree: one stored forecast.

One data set, forecasts recomputed from the stage history of two factories (production.forecasts):
each sales order ships by its production order's own date, so a customer order is at risk exactly
when its production is predicted late (the likely arrival after that date). "At risk" on the board
(only the p90 after it) is not a customer order at risk, nor a production delay for Shipup.
"""
import pytest

from board.selectors.export import board_export_rows
from board.selectors.filters import BoardFilters, board_options
from board.selectors.stage_board import stage_board
from customers.models import SalesOrder
from customers.services.demand import demand_links_rebuild
from customers.shipup.services import shipup_plans
from tests.customers.conftest import (
    CustomerFactory,
    SalesOrderFactory,
    SalesOrderLineFactory,
    SalesOrderQuantityFactory,
)

pytestmark = pytest.mark.django_db


def _cards(organisation, **filters):
    board = stage_board(organisation=organisation, filters=BoardFilters(swimlane="none", **filters),
                        options=board_options(organisation=organisation))
    return [card for lane in board.lanes for cell in lane.cells for card in cell.cards]


def test_board_csv_customers_and_shipup_agree_on_what_will_be_late(forecast_shop):
    organisation = forecast_shop.organisation
    sales_orders = {}
    for key, item in forecast_shop.items.items():
        ships_by = item.order.due_date
        order = SalesOrderFactory(customer=CustomerFactory(organisation=organisation), start_ship_date=ships_by,
                                  cancel_ship_date=ships_by, order_number=f"SO-{key}")
        SalesOrderQuantityFactory(line=SalesOrderLineFactory(sales_order=order), sku_id=item.quantities.get().sku_id,
                                  quantity=4)
        sales_orders[key] = order
    demand_links_rebuild(organisation=organisation)

    predicted = {c.product_name for c in _cards(organisation, forecast="predicted_late")}
    at_risk = {c.product_name for c in _cards(organisation, forecast="at_risk")}
    cards = {c.product_name: c for c in _cards(organisation)}
    assert predicted == {n for n, c in cards.items() if c.predicted_late} == {"Merino Crew"}
    assert at_risk == {n for n, c in cards.items() if c.at_risk} == {"Field Overshirt"}

    header, *rows = list(board_export_rows(organisation=organisation, filters=BoardFilters()))
    rows = [dict(zip(header, row, strict=True)) for row in rows]
    assert {r["Product"] for r in rows if r["forecast_state"] == "predicted_late"} == predicted
    assert {r["Product"] for r in rows if r["forecast_state"] == "at_risk"} == at_risk
    for row in rows:
        card = cards[row["Product"]]
        assert (row["forecast_arrival_p50"], row["forecast_arrival_p90"]) == (
            card.forecast_p50.isoformat(), card.forecast_p90.isoformat())

    product_of = {sales_orders[k].pk: item.product_name for k, item in forecast_shop.items.items()}
    at_risk_orders = SalesOrder.objects.filter(organisation=organisation, at_risk=True)
    assert {product_of[o.pk] for o in at_risk_orders} == predicted
    assert all(o.risk_reason.startswith("PO 2001 at Kotka Knits likely in the warehouse") for o in at_risk_orders)

    plans = shipup_plans(sales_orders=SalesOrder.objects.filter(organisation=organisation))
    delayed = {product_of[p.sales_order.pk] for p in plans if p.status_code == "production_delay"}
    assert delayed == predicted
    assert {p.status_code for p in plans if product_of[p.sales_order.pk] != "Merino Crew"} == {"in_production"}
