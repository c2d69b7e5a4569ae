"""The production-order and line-item pages show the customers and sales orders waiting on them, in one query."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.services.demand import demand_links_rebuild
from tests.customers.conftest import CustomerFactory, days, demand, production

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(organisation):
    supply = production(organisation, sku=8001, units=10, due=days(20))
    later = production(organisation, sku=8001, units=10, due=days(60))  # same SKU, expected later
    rosa = CustomerFactory(organisation=organisation, name="Rosa Stork")
    cora = CustomerFactory(organisation=organisation, name="Cora <Shop>")
    relaxed = demand(organisation, sku=8001, units=4, start=days(30), cancel=days(45), customer=rosa)
    rushed = demand(organisation, sku=8001, units=3, start=days(5), cancel=days(10), customer=cora)
    demand_links_rebuild(organisation=organisation)
    return {"supply": supply.line_item, "later": later.line_item, "rosa": rosa, "cora": cora,
            "relaxed": relaxed.sales_order, "rushed": rushed.sales_order}


def _rows(html):
    section = re.search(r'<section class="panel waiting-customers".*?</section>', html, re.S).group(0)
    return re.findall(r'<tr[^>]*data-sales-order="(\d+)"[^>]*>(.*?)</tr>', section, re.S)


@pytest.mark.parametrize("page", ["order_detail", "line_item_timeline"])
def test_the_page_lists_who_waits_with_units_ship_by_risk_and_a_link(logged_in_client, scene, page):
    item = scene["supply"]
    uphance_id = item.order.uphance_id if page == "order_detail" else item.uphance_id
    html = logged_in_client.get(reverse(page, args=[uphance_id])).content.decode()
    rows = dict(_rows(html))
    assert list(rows) == [str(scene["rushed"].uphance_id), str(scene["relaxed"].uphance_id)]  # at risk first
    rushed, relaxed = rows[str(scene["rushed"].uphance_id)], rows[str(scene["relaxed"].uphance_id)]
    assert f'href="/customers/{scene["cora"].uphance_id}/"' in rushed and "Cora &lt;Shop&gt;" in rushed
    assert str(scene["rushed"]) in rushed and ">3<" in rushed
    assert f'<time datetime="{days(10):%Y-%m-%d}">' in rushed
    assert "At risk" in rushed and "ships by" in rushed  # the reason, in words
    assert f'href="/customers/{scene["rosa"].uphance_id}/"' in relaxed and ">4<" in relaxed
    assert "At risk" not in relaxed


def test_production_the_orders_are_not_allocated_to_says_so(logged_in_client, scene):
    html = logged_in_client.get(reverse("order_detail", args=[scene["later"].order.uphance_id])).content.decode()
    rows = _rows(html)
    assert len(rows) == 2 and all("also on other production" in row for _, row in rows)


def test_nobody_waiting_is_said_plainly(logged_in_client, organisation):
    alone = production(organisation, sku=9009).line_item
    html = logged_in_client.get(reverse("line_item_timeline", args=[alone.uphance_id])).content.decode()
    assert "No open customer sales order waits on this line item." in html


@pytest.mark.parametrize("page", ["order_detail", "line_item_timeline"])
def test_the_section_is_one_query_however_many_customers_wait(logged_in_client, organisation, scene, page):
    item = scene["supply"]
    url = reverse(page, args=[item.order.uphance_id if page == "order_detail" else item.uphance_id])

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert logged_in_client.get(url).status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    few = queries()
    assert len([sql for sql in few if "customers_demandlink" in sql]) == 1
    for n in range(6):
        demand(organisation, sku=8001, units=1, customer=CustomerFactory(organisation=organisation, name=f"Shop {n}"))
    demand_links_rebuild(organisation=organisation)
    many = queries()
    assert len(many) == len(few)
    assert len(_rows(logged_in_client.get(url).content.decode())) == 8
