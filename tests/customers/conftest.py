"""Helpers of the customers tests: a sandbox client, factories for customers and sales orders, demand scenes."""
import datetime as dt

import factory
from django.utils import timezone

from customers.models import Customer, SalesOrder, SalesOrderLine, SalesOrderQuantity
from tests.support.factories import (
    LineItemFactory,
    LineQuantityFactory,
    ManufacturerFactory,
    OrganisationFactory,
    ProductionOrderFactory,
)
from tests.support.sandbox import SANDBOX_ORG, sandbox_client  # noqa: F401  (used by the sync tests)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    organisation = factory.SubFactory(OrganisationFactory)
    uphance_id = factory.Sequence(lambda n: 985000 + n)
    name = factory.Sequence(lambda n: f"Boutique {n}")
    city = "Essen"
    country = "DE"


class SalesOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesOrder

    customer = factory.SubFactory(CustomerFactory)
    organisation = factory.SelfAttribute("customer.organisation")
    uphance_id = factory.Sequence(lambda n: 862000 + n)
    order_number = factory.LazyAttribute(lambda o: str(o.uphance_id - 861000))
    customer_uphance_id = factory.SelfAttribute("customer.uphance_id")
    status = "confirmed"
    status_raw = "confirmed"
    fulfillment_status = "not_shipped"
    fulfillment_status_raw = "not_shipped"
    start_ship_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))
    cancel_ship_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=45))
    is_open = True


class SalesOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesOrderLine

    sales_order = factory.SubFactory(SalesOrderFactory)
    organisation = factory.SelfAttribute("sales_order.organisation")
    uphance_id = factory.Sequence(lambda n: 3662000 + n)
    product_name = factory.Sequence(lambda n: f"Style {n}")
    colour = "Black"
    units = 5


class SalesOrderQuantityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesOrderQuantity

    line = factory.SubFactory(SalesOrderLineFactory)
    organisation = factory.SelfAttribute("line.organisation")
    sales_order = factory.SelfAttribute("line.sales_order")
    uphance_id = factory.Sequence(lambda n: 17606000 + n)
    size = "M"
    quantity = 5


# --- a production order and a sales order in one line each --------------------------------------

TODAY = timezone.localdate()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


IN_20_DAYS, IN_30_DAYS, IN_45_DAYS = days(20), days(30), days(45)


def production(organisation, *, sku=5001, units=10, variation=None, size="M", due=IN_20_DAYS, manufacturer="Bolide",
               **order_fields):
    """An open production order with one line item of one size; returns its LineQuantity."""
    order = ProductionOrderFactory(
        organisation=organisation, due_date=due,
        manufacturer=ManufacturerFactory(organisation=organisation, name=manufacturer), **order_fields,
    )
    item = LineItemFactory(order=order, variation_id=variation, units=units)
    return LineQuantityFactory(line_item=item, sku_id=sku, size=size, quantity=units)


def demand(organisation, *, sku=5001, units=4, variation=None, size="M", start=IN_30_DAYS, cancel=IN_45_DAYS,
           customer=None, **order_fields):
    """An open sales order with one line of one size; returns its SalesOrderQuantity."""
    order = SalesOrderFactory(
        customer=customer or CustomerFactory(organisation=organisation), start_ship_date=start,
        cancel_ship_date=cancel, **order_fields,
    )
    line = SalesOrderLineFactory(sales_order=order, variation_id=variation, units=units)
    return SalesOrderQuantityFactory(line=line, sku_id=sku, size=size, quantity=units)
