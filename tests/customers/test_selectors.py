"""The selectors the board, the e-mail summaries and Shipup read: who waits on which production."""
import pytest
from django.utils import timezone

from customers.selectors import (
    demand_for_line_item,
    demand_for_order,
    line_items_with_customers_at_risk,
    line_items_with_waiting_customers,
    sales_order_production,
    sales_orders_at_risk,
    sales_orders_waiting,
    waiting_units_by_line_item,
)
from customers.services.demand import demand_links_rebuild
from production.models import LineItem
from tests.customers.conftest import CustomerFactory, days, demand, production

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(organisation):
    """Two productions of one SKU, a third of another; three customers waiting, one at risk."""
    first = production(organisation, sku=1, due=days(10), units=10, number="1301")
    later = production(organisation, sku=1, due=days(30), units=10, number="1302")
    undated = production(organisation, sku=2, due=None, units=10, number="1303", manufacturer="Adine Undone")
    idle = production(organisation, sku=3, units=5, number="1304")
    rosa = CustomerFactory(organisation=organisation, name="Rosa Stork")
    cora = CustomerFactory(organisation=organisation, name="Cora Shop")
    orders = {
        "rosa": demand(organisation, sku=1, units=6, customer=rosa, cancel=days(40)),
        "cora": demand(organisation, sku=1, units=7, customer=cora, cancel=days(50)),
        "rosa_undated": demand(organisation, sku=2, units=3, customer=rosa, cancel=days(40)),
    }
    demand_links_rebuild(organisation=organisation)
    return {"first": first, "later": later, "undated": undated, "idle": idle, "orders": orders, "rosa": rosa, "cora": cora}


def test_waiting_units_per_line_item_count_allocated_units_only(organisation, scene, django_assert_num_queries):
    ids = [scene[k].line_item_id for k in ("first", "later", "undated", "idle")]
    with django_assert_num_queries(1):
        units = waiting_units_by_line_item(organisation=organisation, line_item_ids=ids)
    # Rosa's 6 and 4 of Cora's 7 fill the first production; Cora's other 3 wait on the later one.
    assert units == {scene["first"].line_item_id: 10, scene["later"].line_item_id: 3, scene["undated"].line_item_id: 3}


def test_board_filters_are_subqueries_of_line_item_ids(organisation, scene, django_assert_num_queries):
    with django_assert_num_queries(1):
        waiting = set(LineItem.objects.filter(id__in=line_items_with_waiting_customers(organisation=organisation)).values_list("pk", flat=True))
    assert waiting == {scene["first"].line_item_id, scene["later"].line_item_id, scene["undated"].line_item_id}
    with django_assert_num_queries(1):
        at_risk = list(LineItem.objects.filter(id__in=line_items_with_customers_at_risk(organisation=organisation)).values_list("pk", flat=True))
    assert at_risk == [scene["undated"].line_item_id]
    assert "SELECT" in str(line_items_with_waiting_customers(organisation=organisation).query)


def test_demand_for_an_order_lists_customers_and_sales_orders_with_units(organisation, scene):
    first = demand_for_order(organisation=organisation, order=scene["first"].line_item.order)
    assert [(d.customer.name, d.sales_order, d.units, d.is_allocated) for d in first] == [
        ("Rosa Stork", scene["orders"]["rosa"].sales_order, 6, True),
        ("Cora Shop", scene["orders"]["cora"].sales_order, 4, True),
    ]
    later = demand_for_order(organisation=organisation, order=scene["later"].line_item.order.pk)
    # Cora waits for 3 units here; Rosa's order is also shown, allocated elsewhere.
    assert [(d.customer.name, d.units, d.is_allocated) for d in later] == [("Cora Shop", 3, True), ("Rosa Stork", 0, False)]
    undated = demand_for_line_item(organisation=organisation, line_item=scene["undated"].line_item)
    assert [(d.customer.name, d.units, d.at_risk) for d in undated] == [("Rosa Stork", 3, True)]
    assert undated[0].risk_reason.startswith("No date from Uphance for PO 1303")
    assert demand_for_order(organisation=organisation, order=scene["idle"].line_item.order) == []


def test_another_organisation_sees_none_of_it(organisation, other_organisation, scene):
    assert waiting_units_by_line_item(organisation=other_organisation, line_item_ids=[scene["first"].line_item_id]) == {}
    assert demand_for_order(organisation=other_organisation, order=scene["first"].line_item.order) == []
    assert not line_items_with_waiting_customers(organisation=other_organisation).exists()
    assert not sales_orders_at_risk(organisation=other_organisation).exists()


def test_sales_orders_at_risk_for_summaries_with_their_customer_and_ship_date(organisation, scene):
    risky = scene["orders"]["rosa_undated"].sales_order
    orders = list(sales_orders_at_risk(organisation=organisation))
    assert orders == [risky]
    assert orders[0].customer.name == "Rosa Stork" and orders[0].ship_by == days(40) and orders[0].risk_reason
    assert list(sales_orders_at_risk(organisation=organisation, customers=[scene["cora"].uphance_id])) == []
    manufacturer = scene["undated"].line_item.order.manufacturer
    by_board = LineItem.objects.filter(order__manufacturer=manufacturer)
    assert list(sales_orders_at_risk(organisation=organisation, line_items=by_board)) == [risky]
    other = scene["first"].line_item.order.manufacturer
    assert list(sales_orders_at_risk(organisation=organisation,
                                     line_items=LineItem.objects.filter(order__manufacturer=other))) == []


def test_shipup_reads_the_orders_waiting_and_their_production(organisation, scene):
    waiting = set(sales_orders_waiting(organisation=organisation))
    assert waiting == {q.sales_order for q in scene["orders"].values()}
    waits = sales_order_production(organisation=organisation, sales_order=scene["orders"]["cora"].sales_order)
    assert [(w.production_order.number, w.units, w.expected_date) for w in waits] == [("1301", 4, days(10)), ("1302", 3, days(30))]
    assert all(w.is_allocated and not w.at_risk for w in waits)


def test_a_removed_sales_order_is_no_longer_waiting(organisation, scene):
    order = scene["orders"]["cora"].sales_order
    order.removed_at = timezone.now()
    order.is_open = False
    order.save()
    demand_links_rebuild(organisation=organisation)
    assert order not in set(sales_orders_waiting(organisation=organisation))
    assert waiting_units_by_line_item(organisation=organisation, line_item_ids=[scene["later"].line_item_id]) == {}
