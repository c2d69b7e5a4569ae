"""The seed documents' customers and sales orders sync with every field kept; bad records are skipped."""
import copy
import datetime as dt

import pytest

from customers.models import (
    Address,
    Agent,
    Contact,
    Customer,
    SalesOrder,
    SalesOrderLine,
    SalesOrderQuantity,
)
from customers.services.upsert import customers_upsert, sales_orders_upsert
from integrations.uphance import payloads
from integrations.uphance.client import Page
from integrations.uphance.payloads import parse_records
from production.sync.engine import sync_run
from production.sync.models import SyncIssue, SyncRun
from tests.customers.helpers import same
from tests.support.seed_examples import seed_example

pytestmark = pytest.mark.django_db


def assert_row_keeps(row, raw: dict, *, columns: dict, skip=()) -> None:
    """Every key of `raw` has a home on `row` (a column, or `extra`) holding the same value."""
    for key, value in raw.items():
        if key in skip:
            continue
        column = columns.get(key, key)
        assert hasattr(row, column), f"{type(row).__name__} has no column for {key!r}"
        assert same(getattr(row, column), value), f"{type(row).__name__}.{column}: {getattr(row, column)!r} != {value!r}"
    assert row.extra == {}, "every documented field has a column"


def records(model, name, envelope):
    parsed, errors = parse_records(model, seed_example(name)[envelope], record_type=envelope[:-1])
    assert errors == []
    return parsed


# --- customers ------------------------------------------------------------------------------------

def test_the_customers_example_keeps_every_field(organisation):
    counts = customers_upsert(organisation=organisation, customers=records(payloads.Customer, "customers", "customers"))
    assert (counts.created, counts.updated, counts.issues) == (1, 0, 0)
    raw = seed_example("customers")["customers"][0]
    customer = Customer.objects.get(organisation=organisation, uphance_id=raw["id"])
    assert_row_keeps(
        customer, raw, columns={"id": "uphance_id", "channel_id": "channel_uphance_id"},
        skip=("people", "addresses", "agents"),
    )
    assert customer.channel.uphance_id == 10869 and customer.channel.name == "Wholesale"
    assert customer.is_active and not customer.is_stub
    assert customer.last_order["status"] == "confirmed"  # JSON, as sent

    contacts = list(customer.contacts.all())
    assert len(contacts) == len(raw["people"])
    for contact, person in zip(contacts, raw["people"], strict=True):
        assert_row_keeps(contact, person, columns={"id": "uphance_id"}, skip=("customer_id",))
        assert contact.customer_id == customer.pk and person["customer_id"] == customer.uphance_id
    addresses = list(customer.addresses.all())
    for address, source in zip(addresses, raw["addresses"], strict=True):
        assert_row_keeps(address, source, columns={"id": "uphance_id"}, skip=("customer_id",))
    agents = list(customer.agents.all())
    for agent, source in zip(agents, raw["agents"], strict=True):
        assert_row_keeps(agent, source, columns={"id": "uphance_id"})


def test_an_unchanged_customer_is_not_rewritten_and_a_changed_one_is(organisation):
    parsed = records(payloads.Customer, "customers", "customers")
    customers_upsert(organisation=organisation, customers=parsed)
    before = Customer.objects.get().last_synced_at
    assert customers_upsert(organisation=organisation, customers=parsed).unchanged == 1
    assert Customer.objects.get().last_synced_at == before

    raw = copy.deepcopy(seed_example("customers")["customers"][0])
    raw["people"] = raw["people"][:0] + [dict(raw["people"][0], id=1090941, first_name="Ana")]
    raw["addresses"] = []
    changed, _ = parse_records(payloads.Customer, [raw], record_type="customer")
    counts = customers_upsert(organisation=organisation, customers=changed)
    assert counts.updated == 1
    assert [c.first_name for c in Contact.objects.all()] == ["Ana"]  # the old contact is gone
    assert not Address.objects.exists()


# --- sales orders ---------------------------------------------------------------------------------

ORDER_COLUMNS = {
    "id": "uphance_id", "company_id": "customer_uphance_id", "channel_id": "channel_uphance_id",
    "season_id": "season_uphance_id", "organisation_id": "uphance_organisation_id", "status": "status_raw",
    "fulfillment_status": "fulfillment_status_raw", "financial_status": "financial_status_raw",
}


def test_the_sales_orders_example_keeps_every_field(organisation):
    counts = sales_orders_upsert(organisation=organisation, orders=records(payloads.SalesOrder, "sales_orders", "sales_orders"))
    assert counts.created == 1
    raw = seed_example("sales_orders")["sales_orders"][0]
    order = SalesOrder.objects.get(organisation=organisation, uphance_id=raw["id"])
    assert_row_keeps(order, raw, columns=ORDER_COLUMNS, skip=("line_items", "agents"))
    assert (order.status, order.fulfillment_status, order.financial_status) == ("draft", "not_shipped", "not_paid")
    assert order.start_ship_date == dt.date(2025, 10, 17) and order.cancel_ship_date == dt.date(2025, 11, 11)
    assert order.custom_fields == [
        {"name": "Fuel charges", "field_type": "number", "value": 0.0},
        {"name": "Handling charges", "field_type": "number", "value": 0.0},
    ]
    assert order.is_open
    # Customer, channel and season it names exist (the customer as a stub until the customers sync).
    assert order.customer.uphance_id == 816911 and order.customer.is_stub and order.customer.name == "buyers"
    assert order.channel.uphance_id == 11953 and order.season.uphance_id == 18317

    lines = list(order.lines.all())
    for line, source in zip(lines, raw["line_items"], strict=True):
        assert_row_keeps(
            line, source, columns={"id": "uphance_id", "color": "colour", "product_brand": "brand"},
            skip=("line_quantities",),
        )
        assert line.units == sum(q["quantity"] for q in source["line_quantities"])
        for quantity, q in zip(line.quantities.all(), source["line_quantities"], strict=True):
            assert_row_keeps(quantity, q, columns={"id": "uphance_id"})
    for agent, source in zip(order.agents.all(), raw["agents"], strict=True):
        assert_row_keeps(agent, source, columns={"id": "uphance_id"})


def test_the_seed_customer_and_its_order_share_one_agent_row(organisation):
    customer = copy.deepcopy(seed_example("customers")["customers"][0])
    order = copy.deepcopy(seed_example("sales_orders")["sales_orders"][0])
    order["agents"] = customer["agents"]
    order["company_id"] = customer["id"]
    customers_upsert(organisation=organisation, customers=parse_records(payloads.Customer, [customer], record_type="customer")[0])
    sales_orders_upsert(organisation=organisation, orders=parse_records(payloads.SalesOrder, [order], record_type="sales_order")[0])
    assert Agent.objects.count() == 1
    assert SalesOrder.objects.get().customer == Customer.objects.get(uphance_id=customer["id"])
    assert not Customer.objects.filter(is_stub=True).exists()


class PagesClient:
    """Serves fixed pages the way UphanceClient does (records that parsed, BadPayload for the rest)."""

    request_count = 0

    def __init__(self, orders: list[dict]):
        self.orders = orders

    def channels(self):
        return []

    def seasons(self):
        return []

    def sales_order_pages(self, **filters):
        good, bad = parse_records(payloads.SalesOrder, self.orders, record_type="sales_order")
        yield Page(number=1, next_page=None, total_pages=1, total_count=len(self.orders), records=good, errors=bad)


def test_a_malformed_sales_order_is_reported_and_skipped_the_rest_of_its_page_lands(organisation):
    seed = seed_example("sales_orders")["sales_orders"][0]
    broken = dict(copy.deepcopy(seed), id=seed["id"] + 1, start_ship_date="next Tuesday")
    other = dict(copy.deepcopy(seed), id=seed["id"] + 2)
    for index, line in enumerate(other["line_items"]):  # ids of its own
        line["id"] += 100
        for q in line["line_quantities"]:
            q["id"] += 1000 + index
    result = sync_run(organisation=organisation, kind="sales_orders_full", trigger="command",
                            client=PagesClient([seed, broken, other]))
    assert result.outcome == SyncRun.Outcome.PARTIAL
    assert (result.created, result.issues) == (2, 1)
    assert set(SalesOrder.objects.values_list("uphance_id", flat=True)) == {seed["id"], other["id"]}
    issue = SyncIssue.objects.get(organisation=organisation)
    assert (issue.record_type, issue.record_id, issue.field) == ("sales_order", str(broken["id"]), "start_ship_date")
    assert "next Tuesday" in issue.excerpt and issue.resolved_at is None
    # A complete pass with one unreadable record never marks that record removed or the others.
    assert result.removed == 0

    # Once it reads again, it lands and its issue is closed.
    fixed = dict(broken, start_ship_date="2025-10-20")
    again = sync_run(organisation=organisation, kind="sales_orders_full", trigger="command",
                           client=PagesClient([seed, fixed, other]))
    assert again.outcome == SyncRun.Outcome.SUCCEEDED and again.created == 1 and again.unchanged == 2
    assert SyncIssue.objects.get().resolved_at is not None


def test_sales_order_lines_and_sizes_an_order_drops_are_deleted(organisation):
    seed = copy.deepcopy(seed_example("sales_orders")["sales_orders"][0])
    sales_orders_upsert(organisation=organisation, orders=parse_records(payloads.SalesOrder, [seed], record_type="sales_order")[0])
    assert SalesOrderLine.objects.count() == 2 and SalesOrderQuantity.objects.count() == 4
    seed["line_items"] = seed["line_items"][:1]
    seed["line_items"][0]["line_quantities"] = seed["line_items"][0]["line_quantities"][:1]
    counts = sales_orders_upsert(organisation=organisation, orders=parse_records(payloads.SalesOrder, [seed], record_type="sales_order")[0])
    assert counts.updated == 1
    assert SalesOrderLine.objects.count() == 1 and SalesOrderQuantity.objects.count() == 1
