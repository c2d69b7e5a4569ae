"""Linking sales-order demand to open production, and the at-risk rules, case by case."""
import datetime as dt

import pytest
from django.utils import timezone

from customers.models import DemandLink, SalesOrder
from customers.services.demand import demand_links_rebuild
from customers.services.upsert import sales_orders_upsert
from integrations.uphance import payloads
from tests.customers.conftest import (
    TODAY,
    CustomerFactory,
    SalesOrderFactory,
    SalesOrderLineFactory,
    SalesOrderQuantityFactory,
    days,
    demand,
    production,
)
from tests.support.factories import StageFactory

pytestmark = pytest.mark.django_db

def links(**filters):
    return list(DemandLink.objects.filter(**filters).order_by("-is_allocated", "production_order__due_date"))


# --- linking ----------------------------------------------------------------------------------------

def test_demand_links_to_open_production_by_sku(organisation):
    supply = production(organisation)
    wanted = demand(organisation)
    production(organisation, sku=9999)  # another SKU: not linked
    assert demand_links_rebuild(organisation=organisation) == 1
    (link,) = links()
    assert (link.sales_order_quantity, link.line_quantity, link.line_item, link.production_order) == (
        wanted, supply, supply.line_item, supply.line_item.order)
    assert (link.units, link.is_allocated, link.matched_by) == (4, True, "sku")
    assert link.customer == wanted.sales_order.customer and not link.at_risk


def test_a_sku_in_two_production_orders_goes_to_the_one_expected_first_and_both_show(organisation):
    later = production(organisation, due=days(25))
    first = production(organisation, due=days(10))
    demand(organisation, units=4)
    demand_links_rebuild(organisation=organisation)
    allocated, other = links()
    assert (allocated.line_quantity, allocated.units, allocated.is_allocated) == (first, 4, True)
    assert (other.line_quantity, other.units, other.is_allocated) == (later, 0, False)


def test_demand_beyond_the_first_production_spills_over_to_the_next(organisation):
    first = production(organisation, due=days(10), units=10)
    later = production(organisation, due=days(25), units=10)
    urgent = demand(organisation, units=8, cancel=days(20))
    relaxed = demand(organisation, units=6, cancel=days(60))
    demand_links_rebuild(organisation=organisation)
    # The most urgent order is served first.
    assert [(link.line_quantity, link.units) for link in links(sales_order_quantity=urgent)] == [(first, 8), (later, 0)]
    assert [(link.line_quantity, link.units) for link in links(sales_order_quantity=relaxed)] == [(first, 2), (later, 4)]


def test_same_expected_date_is_decided_by_the_production_order_id_and_no_date_comes_last(organisation):
    undated = production(organisation, due=None, uphance_id=20001)
    high = production(organisation, due=days(10), uphance_id=20300)
    low = production(organisation, due=days(10), uphance_id=20200)
    demand(organisation, units=3)
    demand_links_rebuild(organisation=organisation)
    assert DemandLink.objects.get(is_allocated=True).line_quantity == low
    assert set(DemandLink.objects.filter(is_allocated=False).values_list("line_quantity", flat=True)) == {high.pk, undated.pk}


def test_without_a_sku_demand_falls_back_to_variation_and_size(organisation):
    supply = production(organisation, sku=5001, variation=865429, size="M/N")
    production(organisation, sku=5002, variation=865429, size="S/N")  # another size
    wanted = demand(organisation, sku=None, variation=865429, size=" m/n ")
    demand_links_rebuild(organisation=organisation)
    (link,) = links()
    assert (link.sales_order_quantity, link.line_quantity, link.matched_by) == (wanted, supply, "variation_size")


def test_two_different_known_skus_never_match_by_variation(organisation):
    production(organisation, sku=5001, variation=865429, size="M")
    demand(organisation, sku=7777, variation=865429, size="M")
    assert demand_links_rebuild(organisation=organisation) == 0


def test_production_without_a_sku_is_found_by_variation_and_size(organisation):
    supply = production(organisation, sku=None, variation=865429, size="M")
    demand(organisation, sku=5001, variation=865429, size="M")
    demand_links_rebuild(organisation=organisation)
    assert DemandLink.objects.get().line_quantity == supply


def test_cancelled_shipped_or_removed_sales_orders_and_cancelled_lines_wait_for_nothing(organisation):
    production(organisation)
    demand(organisation, status="cancelled", is_open=False)
    demand(organisation, fulfillment_status="shipped", is_open=False)
    demand(organisation, removed_at=timezone.now())
    demand(organisation, units=0)
    cancelled_line = demand(organisation)
    cancelled_line.line.is_cancelled = True
    cancelled_line.line.save()
    assert demand_links_rebuild(organisation=organisation) == 0


def test_open_is_decided_from_the_payload_statuses(organisation):
    def order(i, **fields):
        return payloads.SalesOrder(id=i, line_items=[{"id": i * 10, "line_quantities": [{"id": i * 100, "quantity": 1}]}], **fields)

    sales_orders_upsert(organisation=organisation, orders=[
        order(1, status="confirmed", fulfillment_status="not_shipped"),
        order(2, status="draft", fulfillment_status="not_shipped"),
        order(3, status="confirmed", fulfillment_status="partially_shipped"),
        order(4, status="Cancelled", fulfillment_status="not_shipped"),
        order(5, status="confirmed", fulfillment_status="shipped"),
    ])
    assert set(SalesOrder.objects.filter(is_open=True).values_list("uphance_id", flat=True)) == {1, 2, 3}
    assert SalesOrder.objects.get(uphance_id=4).status == "cancelled"

    line = {"id": 60, "status": "Cancelled", "line_quantities": [{"id": 600, "quantity": 2}]}
    sales_orders_upsert(organisation=organisation, orders=[payloads.SalesOrder(id=6, line_items=[line])])
    assert SalesOrder.objects.get(uphance_id=6).lines.get().is_cancelled


def test_fully_received_complete_cancelled_or_removed_production_supplies_nothing(organisation):
    production(organisation, delivery_status="all_received")
    production(organisation, status="complete")
    production(organisation, status="cancelled")
    production(organisation, removed_at=timezone.now())
    removed_item = production(organisation)
    removed_item.line_item.removed_at = timezone.now()
    removed_item.line_item.save()
    production(organisation, units=0)
    demand(organisation)
    assert demand_links_rebuild(organisation=organisation) == 0


def test_another_organisations_production_is_never_linked(organisation, other_organisation):
    production(other_organisation)
    demand(organisation)
    assert demand_links_rebuild(organisation=organisation) == 0


def test_a_rebuild_replaces_the_links(organisation):
    supply = production(organisation)
    demand(organisation)
    demand_links_rebuild(organisation=organisation)
    supply.line_item.order.delivery_status = "all_received"
    supply.line_item.order.save()
    assert demand_links_rebuild(organisation=organisation) == 0
    assert not DemandLink.objects.exists()


# --- at risk -------------------------------------------------------------------------------------

def risk_of(wanted):
    demand_links_rebuild(organisation=wanted.organisation)
    link = DemandLink.objects.get(sales_order_quantity=wanted, is_allocated=True)
    wanted.sales_order.refresh_from_db()
    assert wanted.sales_order.at_risk == link.at_risk
    assert wanted.sales_order.risk_reason == (link.risk_reason if link.at_risk else "")
    return link


def test_production_expected_before_the_ship_date_is_not_at_risk(organisation):
    production(organisation, due=days(20))
    link = risk_of(demand(organisation, start=days(30), cancel=days(45)))
    assert not link.at_risk and link.risk_kind == ""


def test_production_without_a_date_is_at_risk_and_says_so(organisation):
    production(organisation, due=None, number="1307")
    link = risk_of(demand(organisation, cancel=days(45)))
    assert link.at_risk and link.risk_kind == "no_date"
    assert link.risk_reason.startswith("No date from Uphance for PO 1307")


def test_production_expected_after_the_cancel_ship_date_is_at_risk(organisation):
    production(organisation, due=days(50), number="1307", manufacturer="Bolide")
    link = risk_of(demand(organisation, start=days(30), cancel=days(45)))
    assert link.at_risk and link.risk_kind == "late"
    expected, ships = days(50), days(45)
    assert link.risk_reason == (
        f"PO 1307 at Bolide expected {expected.day} {expected:%b}{'' if expected.year == TODAY.year else f' {expected.year}'}; "
        f"ships by {ships.day} {ships:%b}{'' if ships.year == TODAY.year else f' {ships.year}'}"
    )


def test_without_a_cancel_date_the_start_ship_date_is_the_deadline(organisation):
    production(organisation, due=days(35))
    link = risk_of(demand(organisation, start=days(30), cancel=None))
    assert link.at_risk and link.risk_kind == "late"


def test_a_sales_order_without_ship_dates_cannot_be_at_risk(organisation):
    production(organisation, due=None)
    assert not risk_of(demand(organisation, start=None, cancel=None)).at_risk


def test_ship_date_passed_with_production_not_received_is_at_risk(organisation):
    production(organisation, due=days(-10))
    link = risk_of(demand(organisation, start=days(-5), cancel=days(-2)))
    assert link.at_risk and link.risk_kind == "overdue" and "was to ship by" in link.risk_reason


def forecast(supply, *, p50, p90=None, stage=None):
    """The stored forecast of the supply's line item, as a recompute leaves it (production.forecasts)."""
    item = supply.line_item
    item.forecast_arrival_p50, item.forecast_arrival_p90 = p50, p90 or p50
    if stage is not None:
        item.current_stage, item.stage_status, item.has_stages = stage, "in_progress", True
        item.current_stage_started_at = timezone.now() - dt.timedelta(days=1)
    item.save()


def day_month(value):
    return f"{value.day} {value:%b}" + ("" if value.year == TODAY.year else f" {value.year}")


def test_a_forecast_after_the_ship_date_is_at_risk_though_uphances_date_looks_fine(organisation):
    supply = production(organisation, due=days(3), manufacturer="Bolide", number="1311")  # Uphance's date looks fine…
    forecast(supply, p50=days(6), p90=days(9), stage=StageFactory(organisation=organisation, name="Sewing"))
    # …but the factory's own speed puts it in the warehouse on day 6; it ships by day 4.
    link = risk_of(demand(organisation, start=days(2), cancel=days(4)))
    assert link.at_risk and link.risk_kind == "slow"
    assert link.risk_reason == f"PO 1311 at Bolide likely in the warehouse {day_month(days(6))} (in Sewing); ships by {day_month(days(4))}"


def test_only_the_p90_after_the_ship_date_is_not_a_customer_order_at_risk(organisation):
    supply = production(organisation, due=days(5))
    forecast(supply, p50=days(9), p90=days(14))
    assert not risk_of(demand(organisation, start=days(8), cancel=days(10))).at_risk


def test_nothing_forecast_is_judged_by_the_dates_alone(organisation):
    production(organisation, due=days(5))  # no stages, no forecast: no guess of days per stage
    assert not risk_of(demand(organisation, start=days(8), cancel=days(10))).at_risk


def test_no_date_from_uphance_says_what_the_forecast_says(organisation):
    supply = production(organisation, due=None, number="1307")
    forecast(supply, p50=days(12))
    link = risk_of(demand(organisation, cancel=days(45)))
    assert link.risk_kind == "no_date"
    assert link.risk_reason == f"No date from Uphance for PO 1307 at Bolide; likely in the warehouse {day_month(days(12))}; ships by {day_month(days(45))}"


def test_partly_received_production_is_judged_by_its_date_only(organisation):
    supply = production(organisation, due=days(5), delivery_status="receiving", number="1311")
    forecast(supply, p50=days(40))  # what came in is in: the forecast of the rest is not the point
    assert not risk_of(demand(organisation, start=days(8), cancel=days(10))).at_risk

    late = production(organisation, sku=6001, due=days(20), delivery_status="receiving", number="1312")
    link = risk_of(demand(organisation, sku=late.sku_id, start=days(8), cancel=days(10)))
    assert link.risk_kind == "late" and "PO 1312 at Bolide is partly received, the rest expected" in link.risk_reason


def test_a_sales_order_is_flagged_by_its_worst_link_and_cleared_when_production_catches_up(organisation):
    order = SalesOrderFactory(customer=CustomerFactory(organisation=organisation), start_ship_date=days(10),
                              cancel_ship_date=days(12))
    slow_date = production(organisation, sku=1, due=None)
    late = production(organisation, sku=2, due=days(30), number="1400")
    for sku in (1, 2):
        line = SalesOrderLineFactory(sales_order=order)
        SalesOrderQuantityFactory(line=line, sku_id=sku, quantity=2)
    demand_links_rebuild(organisation=organisation)
    order.refresh_from_db()
    assert order.at_risk and order.risk_reason.startswith("PO 1400")  # late outranks "no date"
    for supply in (slow_date, late):
        supply.line_item.order.due_date = days(5)
        supply.line_item.order.save()
    demand_links_rebuild(organisation=organisation)
    order.refresh_from_db()
    assert not order.at_risk and order.risk_reason == ""
