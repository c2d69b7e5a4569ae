"""Factories and scenes of the Shipup push tests: customers with contacts and addresses, orders waiting on production."""
import datetime as dt

import factory

from customers.models import Address, Channel, Contact, SalesOrder
from customers.services.demand import demand_links_rebuild
from production.models import Stage
from tests.customers.conftest import (
    CustomerFactory,
    SalesOrderFactory,
    SalesOrderLineFactory,
    SalesOrderQuantityFactory,
    days,
)
from tests.support.factories import (
    LineItemFactory,
    LineQuantityFactory,
    ProductionOrderFactory,
    StageFactory,
)

ORDERED_AT = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    organisation = factory.SubFactory("tests.support.factories.OrganisationFactory")
    uphance_id = factory.Sequence(lambda n: 4400 + n)
    name = factory.Sequence(lambda n: f"Channel {n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    organisation = factory.SelfAttribute("customer.organisation")
    uphance_id = factory.Sequence(lambda n: 770000 + n)
    first_name = "Inès"
    last_name = "Martin"
    email = "ines@boutique.test"
    phone_1 = "+49 201 555 0101"
    shipping = True


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    organisation = factory.SelfAttribute("customer.organisation")
    uphance_id = factory.Sequence(lambda n: 880000 + n)
    line_1 = "Rüttenscheider Str. 12"
    city = "Essen"
    postcode = "45130"
    country = "DE"
    default_for_shipping = True


def shop(organisation, *, email="ines@boutique.test", contact=True, address=True, **fields):
    """A customer with one shipping contact and a default shipping address."""
    customer = CustomerFactory(organisation=organisation, name=fields.pop("name", "Boutique Essen"), **fields)
    if contact:
        ContactFactory(customer=customer, email=email)
    if address:
        AddressFactory(customer=customer)
    return customer


def stage_named(organisation, name: str):
    return Stage.objects.filter(organisation=organisation, name=name).first() or StageFactory(
        organisation=organisation, name=name
    )


def factory_order(organisation, *, delivery_status="not_received", due=None, **fields):
    return ProductionOrderFactory(
        organisation=organisation, delivery_status=delivery_status, due_date=due or days(20), **fields
    )


def factory_line(order, *, sku, units=10, size="M", stage=None, stage_status="not_started", **fields):
    """A production line item of one size; in `stage` (a Stage) when given."""
    item = LineItemFactory(
        order=order, units=units, current_stage=stage, stage_status=stage_status, has_stages=stage is not None,
        **fields,
    )
    LineQuantityFactory(line_item=item, sku_id=sku, size=size, quantity=units)
    return item


def sales_order(organisation, *, customer=None, lines=(), **fields) -> SalesOrder:
    """A sales order with `lines`: dicts of sku, product_name, colour, size, quantity, is_cancelled."""
    fields.setdefault("created_at", ORDERED_AT)
    order = SalesOrderFactory(customer=customer or shop(organisation), **fields)
    for spec in lines:
        spec = dict(spec)
        size, quantity, sku = spec.pop("size", "M"), spec.pop("quantity", 4), spec.pop("sku")
        line = SalesOrderLineFactory(sales_order=order, units=quantity, **spec)
        SalesOrderQuantityFactory(line=line, sku_id=sku, size=size, quantity=quantity, sku_number=f"SKU-{sku}-{size}")
    return order


def waiting_order(organisation, *, sku=5001, stage_name=None, delivery_status="not_received", **fields) -> SalesOrder:
    """One production order (in `stage_name` when given) and one sales order waiting on it, linked."""
    stage = stage_named(organisation, stage_name) if stage_name else None
    order = factory_order(organisation, delivery_status=delivery_status)
    factory_line(order, sku=sku, stage=stage, stage_status="in_progress" if stage else "not_started",
                 product_name="Knit Sweater", colour="Black")
    so = sales_order(organisation, lines=[{"sku": sku, "product_name": "Knit Sweater", "colour": "Black"}], **fields)
    demand_links_rebuild(organisation=organisation)
    so.refresh_from_db()
    return so
