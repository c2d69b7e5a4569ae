"""The board's customer filters ("customers waiting", "customer at risk") and waiting units on cards."""
import pytest
from django.urls import reverse

from board.forms import board_filters_from_query
from board.selectors.filters import line_items_filtered
from customers.services.demand import demand_links_rebuild
from tests.customers.conftest import days, demand, production

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(organisation):
    waited = production(organisation, sku=7001, units=10, due=days(20))
    at_risk = production(organisation, sku=7002, units=10, due=days(40))  # after the ship window below
    alone = production(organisation, sku=7003, units=10)
    demand(organisation, sku=7001, units=4, start=days(30), cancel=days(45))
    demand(organisation, sku=7002, units=3, start=days(5), cancel=days(10))
    demand_links_rebuild(organisation=organisation)
    return waited.line_item, at_risk.line_item, alone.line_item


def _ids(organisation, query):
    filters = board_filters_from_query(organisation=organisation, query=query)
    return set(line_items_filtered(organisation=organisation, filters=filters).values_list("id", flat=True))


def test_filters_select_line_items_customers_wait_on_and_those_at_risk(organisation, scene):
    waited, at_risk, alone = scene
    assert _ids(organisation, "waiting=1") == {waited.id, at_risk.id}
    assert _ids(organisation, "at_risk=1") == {at_risk.id}
    assert alone.id in _ids(organisation, "")


def test_cards_show_how_many_customer_units_wait_and_the_filters_live_in_the_url(logged_in_client, scene):
    response = logged_in_client.get(reverse("board"), {"group": "stage", "swimlane": "none", "waiting": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "4 for customers" in html and "3 for customers" in html
    assert 'name="waiting"' in html and "checked" in html
    risky = logged_in_client.get(reverse("board"), {"group": "stage", "swimlane": "none", "at_risk": "1"}).content.decode()
    assert "3 for customers" in risky and "4 for customers" not in risky


def test_the_customer_page_shows_each_sales_orders_shipup_push_log(logged_in_client, organisation):
    from customers.shipup.models import ShipupPush
    from tests.customers.shipup.factories import waiting_order

    so = waiting_order(organisation, stage_name="Sewing")
    ShipupPush.objects.create(
        organisation=organisation, sales_order=so, outcome=ShipupPush.Outcome.REJECTED, status_code="in_production",
        reason="Sewing at Bolide", payload_hash="h", payload={}, response_status=400,
        error="fulfillments.0.trackers.1.tracking_number: Wrong data type <b>",
    )
    html = logged_in_client.get(f"/customers/{so.customer.uphance_id}/").content.decode()
    assert "Rejected by Shipup" in html and "in_production" in html
    assert "fulfillments.0.trackers.1.tracking_number: Wrong data type &lt;b&gt;" in html
