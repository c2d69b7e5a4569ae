"""What Seamline would send Shipup for a sales order waiting on production, and the status it picks."""
import datetime as dt

import pytest

from customers.services.demand import demand_links_rebuild
from customers.shipup.models import ShipupSettings
from customers.shipup.selectors import shipup_sales_orders
from customers.shipup.services import shipup_payload_for, shipup_plans
from integrations.shipup.sandbox import validate_order
from tests.customers.conftest import days
from tests.customers.shipup.factories import (
    AddressFactory,
    ChannelFactory,
    ContactFactory,
    CustomerFactory,
    factory_line,
    factory_order,
    sales_order,
    shop,
    stage_named,
    waiting_order,
)

pytestmark = pytest.mark.django_db


def test_an_order_waiting_for_production_to_start_is_sent_pending_with_everything_shipup_needs(organisation):
    so = waiting_order(organisation, sku=5001, order_number="SO-1001")
    line = so.lines.get()
    quantity = line.quantities.get()

    payload, status, reason, flags = shipup_payload_for(sales_order=so)

    po = so.demand_links.get().production_order
    assert (status, flags) == ("pending", [])
    assert reason == f"Waiting for production to start (PO {po.number})"
    assert payload == {
        "merchant_id": f"uphance-so-{so.uphance_id}",
        "order_number": "SO-1001",
        "ordered_at": "2026-01-05T09:30:00Z",
        "email": "ines@boutique.test",
        "phone": "+49 201 555 0101",
        "first_name": "Inès",
        "last_name": "Martin",
        "shipping_address": {
            "address1": "Rüttenscheider Str. 12", "city": "Essen", "zip": "45130", "country": "Germany",
            "country_code": "DE", "first_name": "Inès", "last_name": "Martin", "company_title": "Boutique Essen",
        },
        "fulfillments": [{
            "merchant_id": f"uphance-so-{so.uphance_id}-production",
            "fulfillment_number": "SO-1001_1",
            "status_code": "pending",
            "line_items": [{
                "merchant_id": f"uphance-soq-{quantity.uphance_id}", "sku": "SKU-5001-M", "title": "Knit Sweater",
                "variant_title": "Black / M", "quantity": 4,
            }],
        }],
    }
    assert validate_order(payload) == {}  # what the sandbox (Shipup's rules) accepts


def test_partial_production_one_line_in_a_stage_is_in_production(organisation):
    sewing = stage_named(organisation, "Sewing")
    po = factory_order(organisation)
    factory_line(po, sku=1, stage=sewing, stage_status="in_progress", product_name="Wrap Dress", colour="Rust")
    factory_line(po, sku=2, stage_status="not_started", product_name="Linen Shirt", colour="Sand")
    so = sales_order(organisation, lines=[
        {"sku": 1, "product_name": "Wrap Dress", "colour": "Rust"},
        {"sku": 2, "product_name": "Linen Shirt", "colour": "Sand", "size": "L", "quantity": 2},
    ])
    demand_links_rebuild(organisation=organisation)

    payload, status, reason, _ = shipup_payload_for(sales_order=so)

    assert status == "in_production"
    assert reason == f"In Sewing: Wrap Dress Rust (PO {po.number})"
    items = payload["fulfillments"][0]["line_items"]
    assert [(i["title"], i["variant_title"], i["quantity"]) for i in items] == [
        ("Wrap Dress", "Rust / M", 4), ("Linen Shirt", "Sand / L", 2),
    ]


def test_a_delayed_order_is_production_delay_with_the_risk_reason_even_while_in_a_stage(organisation):
    # Ships by days(10) but the production is due days(20): the customers' risk rule flags it.
    so = waiting_order(organisation, stage_name="Sewing", start_ship_date=days(5), cancel_ship_date=days(10))
    assert so.at_risk

    _, status, reason, _ = shipup_payload_for(sales_order=so)

    assert status == "production_delay"
    assert reason == f"At risk: {so.risk_reason}"
    assert "expected" in so.risk_reason


def test_production_being_received_is_in_transit_to_stock(organisation):
    so = waiting_order(organisation, stage_name="Packing", delivery_status="receiving")
    po = so.demand_links.get().production_order

    _, status, reason, _ = shipup_payload_for(sales_order=so)

    assert (status, reason) == ("in_transit_to_stock", f"PO {po.number} is being received into stock")


def test_a_cancelled_line_is_sent_as_cancelled_with_its_quantity_unchanged(organisation):
    factory_line(factory_order(organisation), sku=1)
    so = sales_order(organisation, lines=[
        {"sku": 1, "product_name": "Wrap Dress"},
        {"sku": 2, "product_name": "Silk Scarf", "colour": "Navy", "quantity": 3, "is_cancelled": True},
    ])
    demand_links_rebuild(organisation=organisation)

    payload, status, _, _ = shipup_payload_for(sales_order=so)

    assert status == "pending"
    scarf = next(i for i in payload["fulfillments"][0]["line_items"] if i["title"] == "Silk Scarf")
    assert scarf["canceled"] is True and scarf["quantity"] == 3
    dress = next(i for i in payload["fulfillments"][0]["line_items"] if i["title"] == "Wrap Dress")
    assert "canceled" not in dress
    assert validate_order(payload) == {}


def test_no_contact_e_mail_sends_the_order_without_it_and_flags_it(organisation):
    so = waiting_order(organisation, customer=shop(organisation, email=None))

    payload, status, _, flags = shipup_payload_for(sales_order=so)

    assert status == "pending"
    assert "email" not in payload
    assert payload["first_name"] == "Inès"  # the rest of the contact still goes
    assert flags == ["missing_email"]


def test_the_contact_with_a_valid_e_mail_is_preferred(organisation):
    customer = CustomerFactory(organisation=organisation)
    ContactFactory(customer=customer, first_name="No", last_name="Mail", email="not an e-mail", sequence=0)
    ContactFactory(customer=customer, first_name="Ada", last_name="Buyer", email="ada@shop.test", shipping=False,
                   buyer=True, phone_1="", phone_2="+44 20 7946 0000", sequence=1)
    AddressFactory(customer=customer, country="United Kingdom", state="Greater London")

    payload, _, _, flags = shipup_payload_for(sales_order=waiting_order(organisation, customer=customer))

    assert (payload["email"], payload["first_name"], payload["phone"]) == ("ada@shop.test", "Ada", "+44 20 7946 0000")
    assert payload["shipping_address"]["country_code"] == "GB"
    assert payload["shipping_address"]["state"] == "Greater London"
    assert flags == []


def test_a_us_state_becomes_its_state_code_and_an_unknown_country_is_flagged(organisation):
    us = CustomerFactory(organisation=organisation)
    AddressFactory(customer=us, country="US", state="New York", default_for_shipping=True)
    nowhere = CustomerFactory(organisation=organisation)
    AddressFactory(customer=nowhere, country="Atlantis")

    us_payload, *_ = shipup_payload_for(sales_order=waiting_order(organisation, sku=1, customer=us))
    far_payload, _, _, far_flags = shipup_payload_for(sales_order=waiting_order(organisation, sku=2, customer=nowhere))

    assert (us_payload["shipping_address"]["country_code"], us_payload["shipping_address"]["state_code"]) == ("US", "NY")
    assert "country_code" not in far_payload["shipping_address"]
    assert far_payload["shipping_address"]["country"] == "Atlantis"
    assert set(far_flags) == {"missing_email", "unknown_country"}


def test_no_default_shipping_address_and_no_order_date_are_flagged(organisation):
    customer = shop(organisation, address=False)
    AddressFactory(customer=customer, default_for_shipping=False, default_for_billing=True)

    payload, _, _, flags = shipup_payload_for(
        sales_order=waiting_order(organisation, customer=customer, created_at=None)
    )

    assert "shipping_address" not in payload and "ordered_at" not in payload
    assert flags == ["missing_shipping_address", "missing_ordered_at"]


def test_only_open_orders_waiting_on_production_of_the_chosen_channels_are_candidates(organisation):
    retail, wholesale = ChannelFactory(organisation=organisation), ChannelFactory(organisation=organisation)
    in_retail = waiting_order(organisation, sku=1, channel=retail)
    in_wholesale = waiting_order(organisation, sku=2, channel=wholesale)
    sales_order(organisation, lines=[{"sku": 3}])  # no production carries SKU 3: not waiting
    closed = waiting_order(organisation, sku=4)
    closed.is_open = False
    closed.save()
    settings = ShipupSettings.objects.create(organisation=organisation, enabled=True)

    assert set(shipup_sales_orders(organisation=organisation, settings=settings)) == {in_retail, in_wholesale}
    settings.channels.set([retail])
    assert list(shipup_sales_orders(organisation=organisation, settings=settings)) == [in_retail]


def test_plans_load_in_a_constant_number_of_queries(organisation, django_assert_max_num_queries):
    for sku in range(8):
        waiting_order(organisation, sku=sku, stage_name="Cutting" if sku % 2 else None)
    settings = ShipupSettings.objects.create(organisation=organisation, enabled=True)

    with django_assert_max_num_queries(12):
        plans = shipup_plans(sales_orders=shipup_sales_orders(organisation=organisation, settings=settings))

    assert len(plans) == 8
    assert {p.status_code for p in plans} == {"pending", "in_production"}


def test_ordered_at_is_utc_whatever_offset_uphance_sent(organisation):
    plus_five = dt.timezone(dt.timedelta(hours=5, minutes=30))
    so = waiting_order(organisation, created_at=dt.datetime(2026, 2, 1, 10, 0, tzinfo=plus_five))

    payload, *_ = shipup_payload_for(sales_order=so)

    assert payload["ordered_at"] == "2026-02-01T04:30:00Z"
