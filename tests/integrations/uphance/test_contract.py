"""Contract tests: the client against the sandbox on loopback, for every endpoint and filter.

The client's unit tests pin the query strings (over `responses`); these show the two sides agree:
every filter the client sends narrows what the sandbox returns the way the documents say.
"""
import datetime as dt

import pytest

from integrations.uphance import errors
from integrations.uphance.client import UphanceClient
from integrations.uphance.payloads import status_key
from tests.support.sandbox import SANDBOX_ORG, sandbox_client

ORG = SANDBOX_ORG


@pytest.fixture(scope="module")
def sandbox():
    from integrations.uphance.sandbox import SandboxServer

    server = SandboxServer(orders=150, seed=5, time_speed=0).start()
    yield server
    server.stop()


@pytest.fixture
def client(sandbox):
    return sandbox_client(sandbox)


def orders(client, **filters):
    found = []
    for page in client.production_order_pages(**filters):
        assert page.errors == []
        found.extend(page.records)
    return found


@pytest.fixture(scope="module")
def everything(sandbox):
    return orders(sandbox_client(sandbox), include_stages=True)


def test_connection_flow_and_organisations(sandbox):
    client = UphanceClient(sandbox.url, max_requests_per_second=0)
    tokens = client.authenticate(email="multi@sandbox.test", password="sandbox")
    assert tokens.access_token and tokens.expires_at > dt.datetime.now(dt.UTC)
    assert {o.id for o in client.organisations()} == {35802, 35803}
    client.set_current_organisation(35803)
    assert all(o.organisation_id == 35803 for o in orders(client))
    with pytest.raises(errors.InvalidCredentials):
        UphanceClient(sandbox.url).authenticate(email="multi@sandbox.test", password="wrong")


def test_refresh_after_expiry_sets_the_organisation_again(sandbox, client):
    sandbox.state.expire_tokens()
    assert len(orders(client, since_id=10**9)) == 0  # the 401 was refreshed away and the org set again
    assert client.tokens.refresh_token


def test_all_production_orders_page_by_page(client, everything, sandbox):
    assert len(everything) == len(sandbox.state.truth_production_orders(ORG))
    assert len({o.id for o in everything}) == len(everything)
    assert all(li.production_stages is not None or li.production_stages is None for o in everything for li in o.line_items)


def test_without_include_stages_there_are_no_stages(client):
    assert all(li.production_stages is None for o in orders(client) for li in o.line_items)


def test_since_id_and_since_created_at(client, everything):
    pivot = sorted(o.id for o in everything)[len(everything) // 2]
    assert {o.id for o in orders(client, since_id=pivot)} == {o.id for o in everything if o.id > pivot}
    day = sorted(o.created_at for o in everything)[len(everything) // 2].date()
    got = {o.id for o in orders(client, since_created_at=day)}
    assert got and got == {o.id for o in everything if o.created_at.date() >= day}


@pytest.mark.parametrize("attribute,keyword", [("season_id", "seasons"), ("company_id", "companies")])
def test_season_and_manufacturer_filters(client, everything, attribute, keyword):
    values = sorted({getattr(o, attribute) for o in everything})[:2]
    got = orders(client, **{keyword: values})
    assert got and {getattr(o, attribute) for o in got} <= set(values)
    assert len(got) == sum(1 for o in everything if getattr(o, attribute) in values)


def test_warehouse_filter(client, everything):
    name = everything[0].warehouses[0]
    got = orders(client, warehouses=[name])
    assert got and all(name in o.warehouses for o in got)


@pytest.mark.parametrize("states", [["draft"], ["confirmed", "complete"], ["cancelled"]])
def test_state_filter(client, everything, states):
    got = orders(client, states=states)
    assert {o.status_key for o in got} <= set(states)
    assert len(got) == sum(1 for o in everything if o.status_key in states)


@pytest.mark.parametrize("statuses", [["not_received"], ["receiving", "all_received"]])
def test_delivery_status_filter(client, everything, statuses):
    got = orders(client, delivery_statuses=statuses)
    assert got and {o.delivery_status_key for o in got} <= set(statuses)


def test_search_query(client, everything):
    number = everything[3].production_order_number
    assert everything[3].id in {o.id for o in orders(client, q=number)}


@pytest.mark.parametrize("status", ["not_started", "in_progress", "pending", "completed"])
def test_stage_status_filter(client, status):
    got = orders(client, stage_status=status)
    assert got, status
    assert all(any(li.production_stages for li in o.line_items) for o in got)


def test_stage_name_filter(client, everything):
    # "By default, the stage can be in any status": orders whose sequence has Washing still ahead match
    # too, so every order that shows Washing is in, and orders without it in their sequence are out.
    got = {o.id for o in orders(client, stage_names=["Washing"])}
    showing = {o.id for o in everything if any("Washing" in [s.name for s in li.stages] for li in o.line_items)}
    assert showing and showing <= got < {o.id for o in everything}


def test_one_line_items_timeline_and_the_bulk_timeline(client, everything):
    line = next(li for o in everything for li in o.line_items if li.production_stages)
    single = client.production_timeline(line.id)
    assert single.id == line.id and [s.name for s in single.stages] == [s.name for s in line.stages]
    ids = [li.id for o in everything[:3] for li in o.line_items]
    bulk = [t for page in client.production_timeline_bulk_pages(ids=ids) for t in page.records]
    assert {t.id for t in bulk} == set(ids)
    in_progress = [t for page in client.production_timeline_bulk_pages(stage_status="in_progress") for t in page.records]
    assert in_progress and all(t.production_order_id for t in in_progress)
    named = [t for page in client.production_timeline_bulk_pages(ids=ids, stage_names=["Cutting"]) for t in page.records]
    assert all("Cutting" in [s.name for s in t.stages] for t in named)
    with pytest.raises(errors.NotFound):
        client.production_timeline(999_999_999)


def test_sales_orders_and_their_filters(client, sandbox):
    everything = list(client.sales_orders())
    assert len(everything) == len(sandbox.state.truth_sales_orders(ORG))
    pivot = sorted(o.id for o in everything)[len(everything) // 2]
    assert {o.id for o in client.sales_orders(since_id=pivot)} == {o.id for o in everything if o.id > pivot}
    one = everything[0]
    assert client.sales_order(one.id).id == one.id
    assert [o.id for o in client.sales_orders(order_number=one.order_number)] == [one.id]
    with_ref = next((o for o in everything if o.purchase_order_ref), None)
    if with_ref:
        assert with_ref.id in {o.id for o in client.sales_orders(purchase_order_ref=with_ref.purchase_order_ref)}
    shipped = next((o for o in everything if o.shipment_numbers), None)
    if shipped:
        number = shipped.shipment_numbers.split(",")[0].strip()
        assert shipped.id in {o.id for o in client.sales_orders(shipment_number=number)}
    assert {c.id for c in client.channels()} >= {o.channel_id for o in everything if o.channel_id}


def test_customers_and_their_filters(client, sandbox):
    active = list(client.customers())
    every = list(client.customers(status="all"))
    inactive = list(client.customers(status="inactive"))
    assert len(every) == len(active) + len(inactive) and inactive
    customer = next(c for c in every if c.people and c.people[0].email)
    assert client.customer(customer.id).id == customer.id
    assert client.customer_by_email(customer.people[0].email).id == customer.id
    assert [p.id for p in client.customer_contacts(customer.id)] == [p.id for p in customer.people]
    assert [a.id for a in client.customer_addresses(customer.id)] == [a.id for a in customer.addresses]
    agent = next(a for c in every for a in c.agents if a.email)
    assert all(agent.email in [a.email for a in c.agents] for c in client.customers(status="all", agents_contact=agent.email))
    assert {s.id for s in client.seasons()}


def test_the_documented_posts(client):
    customer = client.customer_create({"name": "John Doe's Company 2", "vat_number": "XE554", "country": "US",
                                       "city": "Miami", "customer_type": "wholesale", "paymentTerm": "PIA"})
    customer_id = customer["customer"]["id"]  # the answers are passed on as the API sends them
    contact = client.customer_contact_create(customer_id, {"firstName": "Jon", "lastName": "Doe", "email": "jon@example.test"})
    address = client.customer_address_create(customer_id, {"address1": "Mainstreet 5", "city": "New York City",
                                                           "country": "US", "zipCode": 10013, "default_for_shipping": True})
    assert contact["contact"]["id"] and address["address"]["id"]
    assert client.customer(customer_id).name == "John Doe's Company 2"
    first = next(iter(client.sales_orders()))
    line = first.line_items[0]
    order = client.sales_order_create({
        "customerId": customer_id, "channel_name": first.channel_name, "order_status": "draft",
        "line_items": [{"product_id": line.product_id, "variation_id": line.variation_id, "unit_price": 1,
                        "line_quantities": [{"sku_id": line.line_quantities[0].sku_id, "quantity": 2}]}],
    })
    assert client.sales_order(order["sales_order"]["id"]).id == order["sales_order"]["id"]
    assert status_key("Draft") == "draft"
