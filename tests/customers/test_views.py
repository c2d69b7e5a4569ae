"""The customers pages: the list (search, status, counts, pages) and one customer with what they wait for."""
import pytest
from django.urls import reverse

from customers.models import Agent, Contact
from customers.services.demand import demand_links_rebuild
from tests.customers.conftest import (
    CustomerFactory,
    SalesOrderLineFactory,
    SalesOrderQuantityFactory,
    days,
    demand,
    production,
)
from tests.support.factories import StageFactory

pytestmark = pytest.mark.django_db

LIST = reverse("customers:list")


def detail(customer):
    return reverse("customers:detail", args=[customer.uphance_id])


def names(response) -> list[str]:
    return [c.name for c in response.context["page"].object_list]


def test_pages_need_a_login(client, organisation):
    customer = CustomerFactory(organisation=organisation)
    for url in (LIST, detail(customer)):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_list_shows_active_customers_of_the_organisation_only(logged_in_client, organisation, other_organisation):
    CustomerFactory(organisation=organisation, name="Rosa Stork")
    CustomerFactory(organisation=organisation, name="Sleepy Shop", is_active=False)
    CustomerFactory(organisation=other_organisation, name="Not Ours")
    response = logged_in_client.get(LIST)
    assert response.status_code == 200
    assert names(response) == ["Rosa Stork"]
    assert b"customers.css" in response.content and b'aria-current="page"' in response.content
    assert names(logged_in_client.get(LIST, {"status": "inactive"})) == ["Sleepy Shop"]
    assert names(logged_in_client.get(LIST, {"status": "all"})) == ["Rosa Stork", "Sleepy Shop"]
    assert names(logged_in_client.get(LIST, {"status": "bogus"})) == ["Rosa Stork"]  # invalid → the default


def test_search_finds_customers_by_name_reference_city_or_contact(logged_in_client, organisation):
    rosa = CustomerFactory(organisation=organisation, name="Rosa Stork", reference="RS1", city="Essen")
    CustomerFactory(organisation=organisation, name="Cora Shop", reference="CS9", city="Milan")
    Contact.objects.create(organisation=organisation, customer=rosa, uphance_id=1, email="buyer@stork.example")
    for q in ("stork", "RS1", "essen", "buyer@stork", str(rosa.uphance_id)):
        assert names(logged_in_client.get(LIST, {"q": q})) == ["Rosa Stork"], q
    assert names(logged_in_client.get(LIST, {"q": "nobody"})) == []


def test_the_list_counts_open_and_at_risk_orders_per_customer_in_one_query(
    logged_in_client, organisation, django_assert_max_num_queries
):
    rosa = CustomerFactory(organisation=organisation, name="Rosa Stork")
    cora = CustomerFactory(organisation=organisation, name="Cora Shop")
    production(organisation, sku=1, due=days(10))
    production(organisation, sku=2, due=None)
    demand(organisation, sku=1, customer=rosa)
    demand(organisation, sku=2, customer=rosa)  # no date from Uphance: at risk
    demand(organisation, sku=1, customer=rosa, status="cancelled", is_open=False)
    demand(organisation, sku=1, customer=cora)
    for n in range(20):
        CustomerFactory(organisation=organisation, name=f"Zed {n:02d}")
    demand_links_rebuild(organisation=organisation)

    logged_in_client.get(LIST)  # warm the session
    with django_assert_max_num_queries(8):
        response = logged_in_client.get(LIST)
    rows = {c.name: (c.open_orders, c.at_risk_orders) for c in response.context["page"].object_list}
    assert rows["Rosa Stork"] == (2, 1) and rows["Cora Shop"] == (1, 0) and rows["Zed 00"] == (0, 0)
    assert b"1 at risk" in response.content
    assert names(logged_in_client.get(LIST, {"at_risk": "on"})) == ["Rosa Stork"]


def test_the_list_is_paginated_and_htmx_gets_the_results_only(logged_in_client, organisation):
    for n in range(60):
        CustomerFactory(organisation=organisation, name=f"Shop {n:02d}")
    first = logged_in_client.get(LIST, {"q": "shop"})
    assert len(names(first)) == 50 and b"Page 1 of 2" in first.content
    assert b"q=shop&amp;page=2" in first.content
    second = logged_in_client.get(LIST, {"q": "shop", "page": 2}, headers={"HX-Request": "true"})
    page = second.content.decode()
    assert "<html" not in page and 'id="customer-results"' in page
    assert "Shop 50" in page and "Shop 59" in page and "Shop 49" not in page and "Page 2 of 2" in page


def test_another_organisations_customer_is_a_404(logged_in_client, other_organisation):
    stranger = CustomerFactory(organisation=other_organisation, name="Not Ours")
    assert logged_in_client.get(detail(stranger)).status_code == 404
    assert logged_in_client.get(reverse("customers:detail", args=[123456789])).status_code == 404


def test_a_customer_shows_contacts_addresses_agents_and_what_each_order_line_waits_on(logged_in_client, organisation):
    rosa = CustomerFactory(organisation=organisation, name="Rosa Stork")
    Contact.objects.create(organisation=organisation, customer=rosa, uphance_id=1, first_name="Ana", last_name="Berg",
                           email="ana@stork.example", buyer=True)
    rosa.addresses.create(organisation=organisation, uphance_id=2, line_1="Im Stillen Winkel 7", city="Essen",
                          postcode="45149", country="DE", default_for_shipping=True)
    rosa.agents.add(Agent.objects.create(organisation=organisation, uphance_id=9171, name="Cora Agencies"))
    sewing = StageFactory(organisation=organisation, name="Sewing", colour="#89D7CA")
    supply = production(organisation, sku=1, due=days(50), number="1307", manufacturer="Bolide")
    item = supply.line_item
    item.current_stage, item.stage_status, item.has_stages = sewing, "in_progress", True
    item.save()
    production(organisation, sku=1, due=None, number="1399")  # the same SKU, no date: comes after
    wanted = demand(organisation, sku=1, units=4, customer=rosa, order_number="1181")
    demand_links_rebuild(organisation=organisation)

    response = logged_in_client.get(detail(rosa))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Rosa Stork", "Ana Berg", "ana@stork.example", "Im Stillen Winkel 7", "Cora Agencies", "SO 1181",
                 "PO 1307", "Bolide", "Also on", "PO 1399", "At risk", "PO 1307 at Bolide expected "):
        assert text in page, text
    assert 'style="background:#89d7ca;color:#111827"' in page  # the stage in its colour
    assert f'href="{reverse("order_detail", args=[item.order.uphance_id])}"' in page
    assert f'href="{reverse("line_item_timeline", args=[item.uphance_id])}"' in page
    order = response.context["orders"][0]
    assert order == wanted.sales_order and order.at_risk and order.waiting_units == 4


def test_untrusted_text_is_escaped_and_a_bad_colour_never_reaches_a_style(logged_in_client, organisation):
    evil = CustomerFactory(organisation=organisation, name='<script>alert("x")</script>', notes="<b>VIP</b>")
    stage = StageFactory(organisation=organisation, name="<i>Sewing</i>", colour="url(x)")  # junk that fits the column
    supply = production(organisation, sku=1, manufacturer='<img src=x onerror="y">')
    supply.line_item.current_stage = stage
    supply.line_item.save()
    order = demand(organisation, sku=1, customer=evil).sales_order
    SalesOrderQuantityFactory(line=SalesOrderLineFactory(sales_order=order, product_name="<svg onload=z>"), sku_id=1)
    demand_links_rebuild(organisation=organisation)
    for url in (LIST + "?q=script", detail(evil)):
        page = logged_in_client.get(url).content.decode()
        assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page and "<svg onload" not in page and "<i>Sewing" not in page
    assert "url(//x)" not in page and 'style="background:#9ca3af;' in page


@pytest.mark.parametrize("q", ["²", "¹²³", "①", "99999999999999999999999"])
def test_a_search_for_digits_that_are_not_ascii_is_text_not_a_500(logged_in_client, organisation, q):
    # Issue 12 item 3: "²".isdigit() is true and int("²") raised.
    CustomerFactory(organisation=organisation, name=f"Shop {q}")
    response = logged_in_client.get(LIST, {"q": q})
    assert response.status_code == 200 and names(response) == [f"Shop {q}"]
