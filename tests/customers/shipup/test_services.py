"""Pushing sales orders to the Shipup sandbox on loopback: only what changed, errors on the order's log, pauses."""
import json

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string

from customers.services.demand import demand_links_rebuild
from customers.shipup import services as shipup_service
from customers.shipup.models import ShipupOrderState, ShipupPush, ShipupSettings
from customers.shipup.services import payload_hash, shipup_push
from customers.shipup.tasks import shipup_push_queue
from integrations.shipup import ShipupClient
from integrations.shipup.sandbox import ShipupSandboxServer
from production.sync.log import sync_run_close, sync_run_open
from production.sync.models import SyncRun
from production.sync.tasks import sync_task
from tests.customers.shipup.factories import shop, waiting_order
from tests.integrations.shipup.conftest import SEED, extract_seed_examples, load_fixture_examples

pytestmark = pytest.mark.django_db

API_KEY = "sandbox-key"


@pytest.fixture
def sandbox():
    with ShipupSandboxServer(api_key=API_KEY) as server:
        yield server


@pytest.fixture
def seed():
    return extract_seed_examples(SEED.read_text(encoding="utf-8")) if SEED.exists() else load_fixture_examples()


@pytest.fixture
def shipup_on(organisation, sandbox, settings):
    settings.SHIPUP_API_URL = sandbox.url
    settings.SHIPUP_API_KEY = API_KEY
    return ShipupSettings.objects.create(organisation=organisation, enabled=True)


def quick_client(server, **kwargs) -> ShipupClient:
    """Pacing is not what these tests are about: a few requests, well inside the sandbox's burst."""
    kwargs.setdefault("requests_per_second", 50.0)
    return ShipupClient(server.url, api_key=kwargs.pop("api_key", API_KEY), timeout=5.0, **kwargs)


def posts(server) -> list:
    return [r for r in server.state.received if r.method == "POST"]


def test_orders_waiting_on_production_are_upserted_and_logged(organisation, sandbox, shipup_on):
    first = waiting_order(organisation, sku=1, stage_name="Sewing", order_number="A-1")
    second = waiting_order(organisation, sku=2, order_number="A-2")

    result = shipup_push(organisation=organisation, client=quick_client(sandbox))

    assert (result.sent, result.rejected, result.failed) == (2, 0, 0)
    stored = sandbox.state.orders
    assert stored[f"uphance-so-{first.uphance_id}"]["fulfillments"][0]["status_code"] == "in_production"
    assert stored[f"uphance-so-{second.uphance_id}"]["fulfillments"][0]["status_code"] == "pending"
    log = first.shipup_pushes.get()
    assert (log.outcome, log.status_code, log.response_status, log.error) == ("sent", "in_production", 201, "")
    assert log.reason.startswith("In Sewing: Knit Sweater Black")
    sent_bodies = {r.body["merchant_id"]: r.body for r in posts(sandbox)}
    assert log.payload == sent_bodies[f"uphance-so-{first.uphance_id}"]  # the log keeps exactly what was sent
    assert log.payload_hash == payload_hash(log.payload)
    assert json.loads(log.response_excerpt)["merchant_id"] == f"uphance-so-{first.uphance_id}"


def test_a_second_run_sends_nothing_and_a_change_sends_only_that_order(organisation, sandbox, shipup_on):
    moving = waiting_order(organisation, sku=1, order_number="B-1")
    waiting_order(organisation, sku=2, order_number="B-2")
    client = quick_client(sandbox)
    shipup_push(organisation=organisation, client=client)
    assert len(posts(sandbox)) == 2

    again = shipup_push(organisation=organisation, client=client)

    assert (again.sent, again.unchanged) == (0, 2)
    assert len(posts(sandbox)) == 2
    assert ShipupPush.objects.count() == 2

    # Production of B-1 starts being received: only B-1 changes.
    po = moving.demand_links.get().production_order
    po.delivery_status = "receiving"
    po.save()
    changed = shipup_push(organisation=organisation, client=client)

    assert (changed.sent, changed.unchanged) == (1, 1)
    assert sandbox.state.orders[f"uphance-so-{moving.uphance_id}"]["fulfillments"][0]["status_code"] == (
        "in_transit_to_stock")
    assert [p.status_code for p in moving.shipup_pushes.all()] == ["in_transit_to_stock", "pending"]


def test_once_all_production_is_received_the_order_is_preparing_shipment_then_left_alone(
        organisation, sandbox, shipup_on):
    so = waiting_order(organisation, sku=1, stage_name="Packing", delivery_status="receiving")
    client = quick_client(sandbox)
    shipup_push(organisation=organisation, client=client)
    po = so.demand_links.get().production_order
    po.delivery_status = "all_received"
    po.save()
    demand_links_rebuild(organisation=organisation)  # all-received production supplies no demand any more
    assert not so.demand_links.exists()

    result = shipup_push(organisation=organisation, client=client)

    assert result.sent == 1
    push = so.shipup_pushes.first()
    assert push.status_code == "preparing_shipment"
    assert push.reason == f"All production received (PO {po.number}): preparing the shipment"
    assert shipup_push(organisation=organisation, client=client).sent == 0


def test_a_cancelled_sales_order_that_shipup_has_is_sent_cancelled_once(organisation, sandbox, shipup_on):
    so = waiting_order(organisation, sku=1)
    client = quick_client(sandbox)
    shipup_push(organisation=organisation, client=client)
    so.status, so.status_raw, so.is_open = "cancelled", "CANCELLED", False
    so.save()
    demand_links_rebuild(organisation=organisation)

    assert shipup_push(organisation=organisation, client=client).sent == 1
    stored = sandbox.state.orders[f"uphance-so-{so.uphance_id}"]
    assert stored["canceled"] is True and stored["fulfillments"][0]["status_code"] == "canceled"
    assert shipup_push(organisation=organisation, client=client).considered == 0


def test_missing_contact_e_mail_is_sent_without_it_and_flagged_on_the_log(organisation, sandbox, shipup_on):
    so = waiting_order(organisation, customer=shop(organisation, email=""))

    shipup_push(organisation=organisation, client=quick_client(sandbox))

    stored = sandbox.state.orders[f"uphance-so-{so.uphance_id}"]
    assert "email" not in stored and stored["last_name"] == "Martin"
    push = so.shipup_pushes.get()
    assert (push.outcome, push.flags) == ("sent", ["missing_email"])
    html = render_to_string("customers/shipup/_log.html", {"sales_order": so})
    assert "No contact e-mail: sent without it" in html


def test_the_seeds_invalid_payload_is_refused_with_its_error_shape_logged_readably_and_not_retried(
        organisation, sandbox, shipup_on, seed, monkeypatch):
    so = waiting_order(organisation)
    real_plans = shipup_service.shipup_plans

    def plans_with_the_seed_payload(**kwargs):
        plans = real_plans(**kwargs)
        for plan in plans:
            plan.payload, plan.payload_hash = seed.invalid, payload_hash(seed.invalid)
            plan.changed = _state_hash(plan.sales_order) != plan.payload_hash
        return plans

    monkeypatch.setattr(shipup_service, "shipup_plans", plans_with_the_seed_payload)
    client = quick_client(sandbox)

    result = shipup_push(organisation=organisation, client=client)

    assert (result.sent, result.rejected, result.retry) == (0, 1, False)
    assert sandbox.state.received[-1].status == seed.invalid_status == 400
    push = so.shipup_pushes.get()
    assert (push.outcome, push.response_status) == ("rejected", 400)
    assert json.loads(push.response_excerpt) == seed.invalid_response
    assert push.error_lines == [
        "fulfillments.0.country: Wrong data type: given, Hash ({}) expected: String",
        ("fulfillments.0.trackers.1.tracking_number: Wrong data type: given, TrueClass (true) expected: "
         "String or Numeric"),
        "fulfillments.0.trackers.1.line_items.0.merchant_id: Required",
        ("fulfillments.0.line_items.0.canceled: Wrong data type: given, String (true) expected: "
         "TrueClass or FalseClass"),
    ]
    html = render_to_string("customers/shipup/_log.html", {"sales_order": so})
    assert "Rejected by Shipup" in html
    assert "<li>fulfillments.0.trackers.1.line_items.0.merchant_id: Required</li>" in html
    assert "Hash ({}) expected: String" in html

    # The same payload is not sent again.
    again = shipup_push(organisation=organisation, client=client)
    assert (again.sent, again.rejected, again.unchanged) == (0, 0, 1)
    assert len(posts(sandbox)) == 1


def _state_hash(sales_order):
    state = ShipupOrderState.objects.filter(sales_order=sales_order).first()
    return state.payload_hash if state else None


def test_a_burst_of_pushes_stays_under_the_rate_limit_no_429_reaches_shipup_or_the_log(organisation, shipup_on):
    orders = [waiting_order(organisation, sku=sku) for sku in range(10)]
    # Shipup's leaky bucket scaled up: 5 requests/s, a burst of 3; the client paces itself at the same rate.
    with ShipupSandboxServer(api_key=API_KEY, rate_per_second=5.0, burst=3) as strict:
        result = shipup_push(organisation=organisation,
                             client=ShipupClient(strict.url, api_key=API_KEY, requests_per_second=5.0))

        assert result.sent == 10
        assert [r.status for r in strict.state.received] == [201] * 10
        assert set(strict.state.orders) == {f"uphance-so-{o.uphance_id}" for o in orders}
    assert set(ShipupPush.objects.values_list("outcome", "response_status")) == {("sent", 201)}


def test_when_shipup_answers_429_the_client_waits_and_the_log_only_shows_success(organisation, shipup_on):
    for sku in range(5):
        waiting_order(organisation, sku=sku)
    with ShipupSandboxServer(api_key=API_KEY, rate_per_second=5.0, burst=2) as strict:
        # A client far faster than Shipup allows: Shipup answers 429 and the client honours Retry-After.
        result = shipup_push(organisation=organisation,
                             client=ShipupClient(strict.url, api_key=API_KEY, requests_per_second=100.0))

        statuses = [r.status for r in strict.state.received]
    assert 429 in statuses and statuses.count(201) == 5
    assert (result.sent, result.failed) == (5, 0)
    assert set(ShipupPush.objects.values_list("outcome", "response_status")) == {("sent", 201)}


def test_a_401_pauses_the_organisation_and_nothing_more_is_sent_until_an_admin_resumes(
        organisation, sandbox, shipup_on):
    waiting_order(organisation, sku=1)
    waiting_order(organisation, sku=2)

    result = shipup_push(organisation=organisation, client=quick_client(sandbox, api_key="revoked-key"))

    assert result.paused and not result.retry
    assert len(posts(sandbox)) == 1  # stopped at the first refusal
    settings = ShipupSettings.objects.get(organisation=organisation)
    assert settings.paused_status == 401
    assert settings.paused_reason.startswith("Shipup rejected the API key (401)")
    assert settings.paused_reason.endswith("Pushes stop for this organisation until it is fixed.")
    push = ShipupPush.objects.get()
    assert (push.outcome, push.response_status) == ("auth_failed", 401)

    later = shipup_push(organisation=organisation, client=quick_client(sandbox))
    assert later.paused and later.sent == 0
    assert len(posts(sandbox)) == 1
    assert shipup_push_queue(organisation=organisation) is False


def test_a_402_pauses_with_the_reason_and_resuming_sends_again(organisation, sandbox, shipup_on, client,
                                                                  admin_user):
    so = waiting_order(organisation)
    sandbox.state.fail_next(402)

    result = shipup_push(organisation=organisation, client=quick_client(sandbox))

    assert result.paused
    settings = ShipupSettings.objects.get(organisation=organisation)
    assert (settings.paused_status, settings.enabled) == (402, True)
    assert "Shipup requires payment (402)" in settings.paused_reason
    assert so.shipup_pushes.get().outcome == "auth_failed"
    assert not ShipupOrderState.objects.exists()

    client.force_login(admin_user)
    page = client.get("/customers/shipup/settings/")
    assert "Pushes to Shipup are paused" in page.content.decode()
    assert "Shipup requires payment (402)" in page.content.decode()
    client.post("/customers/shipup/settings/", {"enabled": "on", "resume": "1"})

    assert not ShipupSettings.objects.get(organisation=organisation).is_paused
    result = shipup_push(organisation=organisation, client=quick_client(sandbox))
    assert result.sent == 1
    assert [p.outcome for p in so.shipup_pushes.all()] == ["sent", "auth_failed"]


def test_a_server_error_is_logged_and_the_order_goes_on_the_next_run(organisation, sandbox, shipup_on):
    so = waiting_order(organisation)
    sandbox.state.fail_next(503, times=2)
    impatient = quick_client(sandbox, max_retries=1, sleep=lambda seconds: None)

    result = shipup_push(organisation=organisation, client=impatient)

    assert (result.sent, result.failed, result.retry) == (0, 1, True)
    failed = so.shipup_pushes.get()
    assert (failed.outcome, failed.response_status) == ("failed", 503)
    assert "tries again later" in failed.error
    assert not ShipupSettings.objects.get(organisation=organisation).is_paused

    assert shipup_push(organisation=organisation, client=impatient).sent == 1
    assert [p.outcome for p in so.shipup_pushes.all()] == ["sent", "failed"]


def test_the_task_retries_after_a_transient_error(organisation, sandbox, shipup_on, monkeypatch):
    from config.celery import app

    # Eager retries re-run at once; with propagation on, the first Retry would surface instead.
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    so = waiting_order(organisation)
    sandbox.state.fail_next(500)
    monkeypatch.setattr(shipup_service, "shipup_client_for",
                        lambda **kwargs: quick_client(sandbox, max_retries=0, sleep=lambda seconds: None))

    sync_task.apply(args=[organisation.pk, "shipup_push", "sync"])

    assert [p.outcome for p in so.shipup_pushes.all()] == ["sent", "failed"]
    assert f"uphance-so-{so.uphance_id}" in sandbox.state.orders


def test_relinked_demand_queues_one_push_after_commit_and_it_shows_in_the_sync_log(
        organisation, sandbox, shipup_on, django_capture_on_commit_callbacks, logged_in_client):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        so = waiting_order(organisation)  # relinks demand: demand_relinked queues a push
        assert shipup_push_queue(organisation=organisation) is True  # one is waiting already: not twice
        assert not sandbox.state.received  # nothing before the commit

    assert len(callbacks) == 1
    assert so.shipup_pushes.get().outcome == "sent"
    assert list(sandbox.state.orders) == [f"uphance-so-{so.uphance_id}"]
    run = SyncRun.objects.get(organisation=organisation, kind=SyncRun.Kind.SHIPUP_PUSH)
    assert (run.outcome, run.trigger, run.updated, run.requests) == ("succeeded", "sync", 1, 1)
    assert run.message.startswith("1 sales order: 1 sent")
    page = logged_in_client.get("/sync/").content.decode()
    assert "Shipup push" in page and "Succeeded" in page


def test_a_push_takes_the_sync_lock_and_a_second_waits(organisation, sandbox, shipup_on):
    waiting_order(organisation)
    holder = sync_run_open(organisation=organisation, kind=SyncRun.Kind.SHIPUP_PUSH, trigger="schedule")

    result = shipup_push(organisation=organisation, client=quick_client(sandbox))

    assert result.retry and result.stopped == "Another push for this organisation is running."
    assert not sandbox.state.received
    sync_run_close(run=holder)
    assert shipup_push(organisation=organisation, client=quick_client(sandbox)).sent == 1


def test_nothing_is_sent_while_switched_off_or_without_an_api_key(organisation, sandbox, settings):
    waiting_order(organisation)
    settings.SHIPUP_API_URL, settings.SHIPUP_API_KEY = sandbox.url, API_KEY

    assert shipup_push(organisation=organisation).stopped == "Shipup is switched off for this organisation."
    assert shipup_push_queue(organisation=organisation) is False
    ShipupSettings.objects.create(organisation=organisation, enabled=True)
    settings.SHIPUP_API_KEY = ""
    assert "SHIPUP_API_KEY is not set" in shipup_push(organisation=organisation).stopped
    assert shipup_push_queue(organisation=organisation) is False
    assert not sandbox.state.received


def test_the_command_prints_the_dry_run_and_pushes_the_same_changes(organisation, sandbox, shipup_on, capsys):
    so = waiting_order(organisation, order_number="C-7")

    call_command("shipup_push", "--dry-run", "--organisation", str(organisation.pk))

    out = capsys.readouterr().out
    assert "C-7 → pending (Waiting for production to start" in out
    assert f'"merchant_id": "uphance-so-{so.uphance_id}"' in out
    assert "1 would send" in out
    assert not sandbox.state.received

    call_command("shipup_push")

    assert "1 sent" in capsys.readouterr().out
    assert so.shipup_pushes.get().outcome == "sent"
    call_command("shipup_push", "--dry-run")
    assert "0 would send, 1 unchanged" in capsys.readouterr().out
