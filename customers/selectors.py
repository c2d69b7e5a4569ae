"""Reads of the customers app: customer pages, and who waits on which production (board, summaries, Shipup)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum

from customers.models import Contact, Customer, DemandLink, SalesOrder, SalesOrderLine
from integrations.numbers import ascii_int
from production.models import LineItem, ProductionOrder

CUSTOMER_STATUSES = ("active", "inactive", "all")


# --- customer pages -------------------------------------------------------------------------------

def customers_list(*, organisation, q: str = "", status: str = "active", at_risk: bool = False) -> QuerySet:
    """Customers with `open_orders` and `at_risk_orders` counted in the same query."""
    customers = Customer.objects.filter(organisation=organisation).present()
    if status == "active":
        customers = customers.filter(is_active=True)
    elif status == "inactive":
        customers = customers.filter(is_active=False)
    q = (q or "").strip()
    if q:
        by_contact = Contact.objects.filter(organisation=organisation).filter(
            Q(email__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q)
        )
        match = (
            Q(name__icontains=q) | Q(reference__icontains=q) | Q(city__icontains=q) | Q(country__iexact=q)
            | Q(Exists(by_contact.filter(customer=OuterRef("pk"))))
        )
        number = ascii_int(q, minimum=0)  # "²".isdigit() is true and int("²") fails
        if number is not None:
            match |= Q(uphance_id=number)
        customers = customers.filter(match)
    open_orders = Q(sales_orders__is_open=True, sales_orders__removed_at__isnull=True)
    customers = customers.annotate(
        open_orders=Count("sales_orders", filter=open_orders),
        at_risk_orders=Count("sales_orders", filter=open_orders & Q(sales_orders__at_risk=True)),
    )
    if at_risk:
        customers = customers.filter(at_risk_orders__gt=0)
    return customers.order_by("name", "uphance_id")


def customer_get(*, organisation, uphance_id: int) -> Customer | None:
    return (
        Customer.objects.filter(organisation=organisation, uphance_id=uphance_id)
        .select_related("channel")
        .prefetch_related("contacts", "addresses", "agents")
        .first()
    )


@dataclass
class ProductionWait:
    """The production one sales-order line waits on (one production line item), summed over sizes."""

    line_item: LineItem
    production_order: ProductionOrder
    units: int = 0
    is_allocated: bool = False
    at_risk: bool = False
    risk_reason: str = ""
    expected_date: dt.date | None = None
    sizes: list[str] = field(default_factory=list)


def _waits(links) -> dict[int, list[ProductionWait]]:
    """ProductionWaits per sales-order line, allocated first, then by expected date."""
    by_line: dict[int, dict[int, ProductionWait]] = defaultdict(dict)
    for link in links:
        wait = by_line[link.sales_order_line_id].get(link.line_item_id)
        if wait is None:
            wait = by_line[link.sales_order_line_id][link.line_item_id] = ProductionWait(
                line_item=link.line_item, production_order=link.production_order, expected_date=link.expected_date
            )
        wait.units += link.units
        wait.is_allocated |= link.is_allocated
        if link.at_risk and not wait.at_risk:
            wait.at_risk, wait.risk_reason = True, link.risk_reason
        size = link.sales_order_quantity.size
        if link.is_allocated and size and size not in wait.sizes:
            wait.sizes.append(size)
    return {
        line_id: sorted(waits.values(), key=lambda w: (not w.is_allocated, w.expected_date is None,
                                                       w.expected_date or dt.date.max, w.production_order.uphance_id))
        for line_id, waits in by_line.items()
    }


def _links(**filters) -> QuerySet:
    return DemandLink.objects.filter(**filters).select_related(
        "line_item", "line_item__current_stage", "production_order", "production_order__manufacturer",
        "sales_order_quantity",
    )


def customer_open_orders(*, organisation, customer) -> list[SalesOrder]:
    """The customer's open sales orders, each line with `.waits` (the production it waits on)."""
    orders = list(
        SalesOrder.objects.filter(organisation=organisation, customer=customer)
        .open()
        .select_related("season", "channel")
        .prefetch_related(
            Prefetch("lines", queryset=SalesOrderLine.objects.prefetch_related("quantities")),
            "agents",
        )
        .order_by("cancel_ship_date", "start_ship_date", "uphance_id")
    )
    waits = _waits(_links(organisation=organisation, sales_order__in=[o.pk for o in orders]))
    for order in orders:
        order.waiting_units = 0
        for line in order.lines.all():
            line.waits = waits.get(line.pk, [])
            order.waiting_units += sum(w.units for w in line.waits if w.is_allocated)
    return orders


def sales_order_production(*, organisation, sales_order) -> list[ProductionWait]:
    """Every production a sales order waits on (for Shipup's status), allocated first."""
    waits = _waits(_links(organisation=organisation, sales_order=sales_order))
    return [w for line_waits in waits.values() for w in line_waits]


# --- the board's selectors ----------------------------------------------------------------------

def waiting_units_by_line_item(*, organisation, line_item_ids) -> dict[int, int]:
    """Customer units allocated to each of `line_item_ids` (a page of cards); absent = none."""
    rows = (
        DemandLink.objects.filter(organisation=organisation, line_item_id__in=line_item_ids, is_allocated=True)
        .values("line_item_id")
        .annotate(units=Sum("units"))
        .order_by()
    )
    return {row["line_item_id"]: row["units"] for row in rows}


def line_items_with_waiting_customers(*, organisation) -> QuerySet:
    """Ids of line items customers wait on, as a subquery: `LineItem.objects.filter(id__in=…)`."""
    return (
        DemandLink.objects.filter(organisation=organisation, is_allocated=True, units__gt=0)
        .values("line_item_id")
        .order_by()
    )


def line_items_with_customers_at_risk(*, organisation) -> QuerySet:
    """Ids of line items whose waiting sales orders are at risk, as a subquery."""
    return (
        DemandLink.objects.filter(organisation=organisation, is_allocated=True, at_risk=True)
        .values("line_item_id")
        .order_by()
    )


@dataclass
class Demand:
    """A customer's sales order waiting on a production order or line item, and for how many units."""

    sales_order: SalesOrder
    customer: Customer | None
    units: int = 0
    is_allocated: bool = False  # False: it is allocated to other production of the same SKU
    at_risk: bool = False
    risk_reason: str = ""
    ship_by: dt.date | None = None
    products: list[str] = field(default_factory=list)


def _demand(links) -> list[Demand]:
    by_order: dict[int, Demand] = {}
    for link in links:
        demand = by_order.get(link.sales_order_id)
        if demand is None:
            demand = by_order[link.sales_order_id] = Demand(
                sales_order=link.sales_order, customer=link.customer, ship_by=link.ship_by
            )
        demand.units += link.units
        demand.is_allocated |= link.is_allocated
        if link.at_risk and not demand.at_risk:
            demand.at_risk, demand.risk_reason = True, link.risk_reason
        product = str(link.sales_order_line)
        if product not in demand.products:
            demand.products.append(product)
    return sorted(
        by_order.values(),
        key=lambda d: (not d.is_allocated, not d.at_risk, d.ship_by is None, d.ship_by or dt.date.max,
                       str(d.customer or "").casefold()),
    )


def _demand_links(**filters) -> QuerySet:
    return DemandLink.objects.filter(**filters).select_related("sales_order", "customer", "sales_order_line")


def _pk(value) -> int:
    return value if isinstance(value, int) else value.pk


def demand_for_order(*, organisation, order) -> list[Demand]:
    """Customers and sales orders waiting on a production order (instance or pk), units each."""
    return _demand(_demand_links(organisation=organisation, production_order_id=_pk(order)))


def demand_for_line_item(*, organisation, line_item) -> list[Demand]:
    """Customers and sales orders waiting on a line item (instance or pk), units each."""
    return _demand(_demand_links(organisation=organisation, line_item_id=_pk(line_item)))


# --- summaries and Shipup ---------------------------------------------------------------------

def sales_orders_at_risk(*, organisation, line_items: QuerySet | None = None, customers=()) -> QuerySet:
    """Open sales orders at risk (most urgent first), with `customer`; `ship_by` and `risk_reason` per order.

    `line_items` (a LineItem queryset, e.g. the board's for a saved view) narrows to orders with
    at-risk demand on those line items; `customers` (Uphance ids) narrows to those customers.
    """
    orders = (
        SalesOrder.objects.filter(organisation=organisation, at_risk=True)
        .open()
        .select_related("customer")
        .order_by("cancel_ship_date", "start_ship_date", "uphance_id")
    )
    if customers:
        orders = orders.filter(customer__uphance_id__in=list(customers))
    if line_items is not None:
        orders = orders.filter(
            Exists(DemandLink.objects.filter(
                sales_order=OuterRef("pk"), at_risk=True, line_item_id__in=line_items.values("id")
            ))
        )
    return orders


def sales_orders_waiting(*, organisation) -> QuerySet:
    """Open sales orders with units allocated to open production (Shipup's pre-shipment candidates)."""
    return (
        SalesOrder.objects.filter(organisation=organisation)
        .open()
        .filter(Exists(DemandLink.objects.filter(sales_order=OuterRef("pk"), is_allocated=True)))
        .select_related("customer")
    )
