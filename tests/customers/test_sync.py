"""The customer and sales-order sync against the Uphance sandbox on loopback."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from customers.models import Customer, DemandLink, SalesOrder, SalesOrderQuantity
from production.models import LineQuantity
from production.rules import order_is_open
from production.sync.engine import SyncLocked, sync_run
from production.sync.log import sync_run_close, sync_run_open
from production.sync.models import SyncIssue, SyncRun
from production.sync.tasks import sync_dispatch, sync_queue, sync_task
from tests.customers.conftest import SANDBOX_ORG, sandbox_client
from tests.customers.helpers import same

pytestmark = pytest.mark.django_db
Kind = SyncRun.Kind


def sync(organisation, client, kind):
    return sync_run(organisation=organisation, kind=kind, trigger="command", client=client)


def test_customers_of_every_status_sync_with_inactive_ones_flagged(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    result = sync(organisation, client, Kind.CUSTOMERS)
    assert result.outcome == SyncRun.Outcome.SUCCEEDED, result.message
    truth = fresh_sandbox.state.truth_customers(SANDBOX_ORG, "all")
    inactive = {c["id"] for c in fresh_sandbox.state.truth_customers(SANDBOX_ORG, "inactive")}
    assert inactive, "the sandbox has inactive customers"
    held = {c.uphance_id: c for c in Customer.objects.filter(organisation=organisation).prefetch_related("contacts", "addresses", "agents")}
    assert set(held) == {c["id"] for c in truth}
    for data in truth:
        customer = held[data["id"]]
        assert customer.is_active == (data["id"] not in inactive)
        assert (customer.name, customer.reference, customer.city, customer.country) == (
            data["name"], data["reference"], data["city"], data["country"])
        assert customer.channel_uphance_id == data["channel_id"] and customer.channel.name == data["channel_name"]
        assert same(customer.invoices, data["invoices"]) and same(customer.last_order, data["last_order"])
        assert [(p.uphance_id, p.email, p.buyer) for p in customer.contacts.all()] == [
            (p["id"], p["email"], p["buyer"]) for p in data["people"]]
        assert [(a.uphance_id, a.line_1, a.postcode) for a in customer.addresses.all()] == [
            (a["id"], a["line_1"], a["postcode"]) for a in data["addresses"]]
        assert {a.uphance_id for a in customer.agents.all()} == {a["id"] for a in data["agents"]}
    # Every status was asked for, and the inactive listing once more to flag them.
    statuses = [q.get("by_status") for method, path, q in fresh_sandbox.state.request_log if path == "/customers"]
    assert ["all"] in statuses and ["inactive"] in statuses


def test_a_second_customers_sync_rewrites_nothing(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    sync(organisation, client, Kind.CUSTOMERS)
    before = dict(Customer.objects.values_list("pk", "last_synced_at"))
    again = sync(organisation, client, Kind.CUSTOMERS)
    assert (again.created, again.updated, again.removed) == (0, 0, 0) and again.unchanged == len(before)
    assert dict(Customer.objects.values_list("pk", "last_synced_at")) == before


def assert_sales_orders_match(organisation, truth):
    held = {o.uphance_id: o for o in SalesOrder.objects.filter(organisation=organisation).prefetch_related("lines__quantities", "agents")}
    assert set(held) == {o["id"] for o in truth}
    for data in truth:
        order = held[data["id"]]
        assert (order.order_number, order.status_raw, order.fulfillment_status_raw) == (
            data["order_number"], data["status"], data["fulfillment_status"])
        assert order.customer.uphance_id == data["company_id"] and order.season_uphance_id == data["season_id"]
        assert order.start_ship_date == dt.date.fromisoformat(data["start_ship_date"])
        assert order.cancel_ship_date == dt.date.fromisoformat(data["cancel_ship_date"])
        assert order.grand_total == Decimal(data["grand_total"]) and order.custom_fields == data["custom_fields"]
        assert order.is_open == (data["status"] != "cancelled" and data["fulfillment_status"] != "shipped")
        assert [(q.uphance_id, q.size, q.quantity, q.sku_id) for line in order.lines.all() for q in line.quantities.all()] == [
            (q["id"], q["size"], q["quantity"], q["sku_id"]) for line in data["line_items"] for q in line["line_quantities"]]
        assert {a.uphance_id for a in order.agents.all()} == {a["id"] for a in data["agents"]}


def test_sales_orders_full_sync_equals_the_sandbox_and_a_second_one_writes_nothing(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    result = sync(organisation, client, Kind.SALES_ORDERS_FULL)
    assert result.outcome == SyncRun.Outcome.SUCCEEDED, result.message
    truth = fresh_sandbox.state.truth_sales_orders(SANDBOX_ORG)
    assert result.created == len(truth)
    assert_sales_orders_match(organisation, truth)

    before = dict(SalesOrder.objects.values_list("pk", "last_synced_at"))
    quantities = set(SalesOrderQuantity.objects.values_list("pk", flat=True))
    again = sync(organisation, client, Kind.SALES_ORDERS_FULL)
    assert (again.created, again.updated, again.removed, again.unchanged) == (0, 0, 0, len(truth))
    assert dict(SalesOrder.objects.values_list("pk", "last_synced_at")) == before
    assert set(SalesOrderQuantity.objects.values_list("pk", flat=True)) == quantities


def test_new_sales_orders_arrive_with_the_new_orders_pass(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    sync(organisation, client, Kind.SALES_ORDERS_FULL)
    some = fresh_sandbox.state.truth_sales_orders(SANDBOX_ORG)[0]
    line = some["line_items"][0]
    client.sales_order_create({
        "customerId": some["company_id"], "startShipDate": "2030-01-10", "endShipDate": "2030-02-01",
        "order_status": "confirmed", "line_items": [{
            "product_id": line["product_id"], "variation_id": line["variation_id"], "unit_price": 10,
            "line_quantities": [{"sku_id": line["line_quantities"][0]["sku_id"], "quantity": 3}],
        }],
    })
    requests_before = client.request_count
    result = sync(organisation, client, Kind.SALES_ORDERS_NEW)
    assert result.outcome == SyncRun.Outcome.SUCCEEDED, result.message
    assert (result.created, result.updated) == (1, 0)
    assert client.request_count - requests_before == 1  # one page: only what is new
    assert_sales_orders_match(organisation, fresh_sandbox.state.truth_sales_orders(SANDBOX_ORG))


def test_the_open_orders_pass_refreshes_held_open_orders(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    sync(organisation, client, Kind.SALES_ORDERS_FULL)
    # Pretend the local copy of a cancelled order is stale (still open, as it was before).
    stale = SalesOrder.objects.filter(status="cancelled").first()
    assert stale is not None
    SalesOrder.objects.filter(pk=stale.pk).update(status="confirmed", is_open=True, content_hash="stale")
    result = sync(organisation, client, Kind.SALES_ORDERS_OPEN)
    assert result.outcome == SyncRun.Outcome.SUCCEEDED, result.message
    assert result.updated == 1
    stale.refresh_from_db()
    assert stale.status == "cancelled" and not stale.is_open
    # Closed orders were not fetched one by one.
    assert not any(path == f"/sales_orders/{stale.uphance_id}" for _, path, _ in fresh_sandbox.state.request_log)


def test_malformed_sales_orders_are_reported_and_skipped(organisation, fresh_sandbox):
    fresh_sandbox.state.set_faults(malformed_rate=0.3)
    client = sandbox_client(fresh_sandbox)
    result = sync(organisation, client, Kind.SALES_ORDERS_FULL)
    assert result.outcome == SyncRun.Outcome.PARTIAL
    total = len(fresh_sandbox.state.truth_sales_orders(SANDBOX_ORG))
    assert result.issues > 0 and result.created + result.issues == total
    assert SalesOrder.objects.count() == result.created
    issues = SyncIssue.objects.filter(organisation=organisation, record_type="sales_order")
    # Records without an id are one issue seen several times.
    assert issues.aggregate(n=Sum("occurrences"))["n"] == result.issues
    assert result.removed == 0


def test_sales_orders_link_to_the_sandbox_production_by_sku(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    sync_run(organisation=organisation, kind=Kind.PRODUCTION_FULL, trigger="command", client=client)
    sync(organisation, client, Kind.CUSTOMERS)
    result = sync(organisation, client, Kind.SALES_ORDERS_FULL)
    assert "demand links" in result.message
    links = DemandLink.objects.filter(organisation=organisation).select_related("sales_order_quantity", "line_quantity")
    assert links.exists()
    for link in links:
        assert link.sales_order_quantity.sku_id == link.line_quantity.sku_id
        assert link.sales_order.is_open and order_is_open(link.production_order)
    # Every open sales-order unit whose SKU is in open production is allocated somewhere.
    open_skus = set(LineQuantity.objects.filter(
        line_item__order__in=[link.production_order_id for link in links], quantity__gt=0
    ).values_list("sku_id", flat=True))
    demand = SalesOrderQuantity.objects.filter(
        sales_order__is_open=True, sku_id__in=open_skus, quantity__gt=0, line__is_cancelled=False)
    allocated = sum(link.units for link in links if link.is_allocated)
    assert allocated == sum(q.quantity for q in demand)


def test_the_command_and_the_celery_tasks_run_the_same_sync(fresh_sandbox, settings, django_capture_on_commit_callbacks):
    from accounts.services import uphance_connect

    settings.UPHANCE_MAX_REQUESTS_PER_SECOND = 0
    organisation = uphance_connect(api_url=fresh_sandbox.url, email="solo@sandbox.test", password="sandbox").organisation
    call_command("uphance_sync", "customers", "--no-progress")
    run = SyncRun.objects.get(organisation=organisation, kind=Kind.CUSTOMERS)
    assert run.trigger == "command" and run.outcome == SyncRun.Outcome.SUCCEEDED, run.message
    assert Customer.objects.filter(organisation=organisation).count() == len(
        fresh_sandbox.state.truth_customers(SANDBOX_ORG, "all"))

    outcome = sync_task.delay(organisation.pk, "sales_orders_full", "manual").get()
    assert outcome == SyncRun.Outcome.SUCCEEDED
    assert SalesOrder.objects.filter(organisation=organisation).count() == len(
        fresh_sandbox.state.truth_sales_orders(SANDBOX_ORG))

    with django_capture_on_commit_callbacks(execute=True):
        queued = sync_queue(organisation=organisation, kind="sales_orders_full")
    queued.refresh_from_db()
    assert queued.kind == Kind.SALES_ORDERS_FULL and queued.outcome == SyncRun.Outcome.SUCCEEDED
    assert queued.unchanged == SalesOrder.objects.filter(organisation=organisation).count()
    assert sync_dispatch.delay("sales_orders_new").get() == 1  # one connected organisation


def test_an_organisation_without_a_connection_is_skipped(organisation):
    result = sync_run(organisation=organisation, kind=Kind.CUSTOMERS, trigger="schedule")
    assert result.outcome == SyncRun.Outcome.SKIPPED and "not connected" in result.message


def test_one_run_of_a_kind_at_a_time(organisation, fresh_sandbox):
    holder = sync_run_open(organisation=organisation, kind=Kind.CUSTOMERS, trigger="schedule")
    with pytest.raises(SyncLocked):
        sync(organisation, sandbox_client(fresh_sandbox), Kind.CUSTOMERS)
    sync_run_close(run=holder)
    assert sync(organisation, sandbox_client(fresh_sandbox), Kind.CUSTOMERS).outcome == SyncRun.Outcome.SUCCEEDED


@pytest.mark.parametrize("bad_id", ["²", "123456789012345678901234"])
def test_a_sales_order_whose_id_is_not_an_id_is_a_sync_issue_and_the_rest_of_its_page_lands(organisation, fresh_sandbox,
                                                                                            bad_id):
    from tests.production.sync.test_services import corrupt_first_record

    client = sandbox_client(fresh_sandbox)
    corrupted = corrupt_first_record(client, "sales_orders", bad_id)

    result = sync(organisation, client, Kind.SALES_ORDERS_FULL)

    assert result.outcome == SyncRun.Outcome.PARTIAL, result.message
    truth = {o["id"] for o in fresh_sandbox.state.truth_sales_orders(SANDBOX_ORG)}
    assert set(SalesOrder.objects.values_list("uphance_id", flat=True)) == truth - {corrupted["id"]}
    issue = SyncIssue.objects.get(resolved_at__isnull=True)
    assert (issue.record_type, issue.record_id, issue.field) == ("sales_order", bad_id, "id")
