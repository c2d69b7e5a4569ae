import json
import logging
import runpy
from pathlib import Path

import pytest
from django.test import Client

from accounts.models import UphanceConnection
from accounts.services import uphance_connect, uphance_disconnect
from production.models import ProductionOrder
from production.sync.engine import sync_run
from production.sync.models import SyncRun, WebhookEvent
from tests.accounts.conftest import SOLO
from tests.support.factories import OrganisationFactory, ProductionOrderFactory
from tests.support.sandbox import SANDBOX_ORG, sandbox_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def refreshes(monkeypatch):
    """Calls of the sync's production_order_refresh_queue (which enqueues a Celery task)."""
    from production.sync import webhooks as sync

    calls = []
    monkeypatch.setattr(
        sync,
        "production_order_refresh_queue",
        lambda *, organisation, uphance_order_id: calls.append((organisation, uphance_order_id)),
    )
    return calls


HELD = (20123, 777, 2, 2**63 - 1)  # the production orders these tests' tickets are about


@pytest.fixture
def hook(organisation, sandbox_server):
    """POST a JSON body to the organisation's webhook URL, as Uphance does: no login, no CSRF token."""
    uphance_connect(api_url=sandbox_server.url, **SOLO)
    for uphance_id in HELD:
        ProductionOrderFactory(organisation=organisation, uphance_id=uphance_id, number=f"PO-{uphance_id}")
    secret = UphanceConnection.objects.get(organisation=organisation).webhook_secret
    anonymous = Client(enforce_csrf_checks=True)

    def post(body, *, to=secret):
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return anonymous.post(f"/webhooks/uphance/{to}/", data=data, content_type="application/json")

    post.secret = secret
    post.client = anonymous
    return post


def ticket(event="receiving_ticket_update", production_order_id=20123, ticket_id=5501):
    return {"event": event, "receiving_ticket": {"id": ticket_id, "production_order_id": production_order_id}}


def test_receiving_ticket_update_refreshes_its_production_order(hook, organisation, refreshes):
    response = hook(ticket())

    assert response.status_code == 202
    assert response.json() == {"status": "queued"}
    assert refreshes == [(organisation, 20123)]
    event = WebhookEvent.objects.get()
    assert (event.event, event.uphance_object_id, event.handled) == ("receiving_ticket_update", 20123, True)


@pytest.mark.parametrize("event", ["receiving_ticket_create", "receiving_ticket_delete"])
def test_every_receiving_ticket_event_refreshes(hook, organisation, refreshes, event):
    assert hook(ticket(event=event, production_order_id="777")).status_code == 202
    assert refreshes == [(organisation, 777)]


def test_a_repeated_delivery_is_handled_once(hook, refreshes):
    first = hook(ticket())
    second = hook(ticket())

    assert first.status_code == 202
    assert second.status_code == 200 and second.json() == {"status": "duplicate"}
    assert len(refreshes) == 1
    assert WebhookEvent.objects.count() == 1


def test_an_unknown_event_is_acknowledged_and_ignored(hook, refreshes):
    response = hook({"event": "product_update", "product": {"id": 1}})

    assert response.status_code == 200 and response.json() == {"status": "ignored"}
    assert refreshes == []
    assert WebhookEvent.objects.get().handled is False


def test_a_ticket_without_production_order_is_ignored(hook, refreshes):
    assert hook({"event": "receiving_ticket_update", "receiving_ticket": {"id": 3}}).json() == {"status": "ignored"}
    assert refreshes == []


def test_a_wrong_secret_is_404(hook, refreshes):
    assert hook(ticket(), to=hook.secret[:-1] + ("A" if hook.secret[-1] != "A" else "B")).status_code == 404
    assert hook(ticket(), to=hook.secret[:8]).status_code == 404
    assert hook(ticket(), to="x" * 43).status_code == 404
    assert refreshes == [] and not WebhookEvent.objects.exists()


def test_the_secret_names_the_organisation(hook, organisation, refreshes, sandbox_server):
    other = OrganisationFactory(name="Other Brand")
    other_connection = UphanceConnection.objects.create(
        organisation=other, api_url=sandbox_server.url, uphance_organisation_id=1, access_token="t"
    )
    ProductionOrderFactory(organisation=other, uphance_id=1)

    hook(ticket(production_order_id=1), to=other_connection.webhook_secret)
    hook(ticket(production_order_id=2))

    assert refreshes == [(other, 1), (organisation, 2)]


def test_get_is_not_allowed(hook):
    assert hook.client.get(f"/webhooks/uphance/{hook.secret}/").status_code == 405


def test_a_body_that_is_not_an_event_is_400(hook, refreshes):
    assert hook(b"not json").status_code == 400
    assert hook([1, 2]).status_code == 400
    assert hook({"receiving_ticket": {}}).status_code == 400
    assert refreshes == []


def test_a_disconnected_organisation_acknowledges_but_does_not_sync(hook, organisation, refreshes):
    uphance_disconnect(organisation=organisation)
    assert hook(ticket()).json() == {"status": "ignored"}
    assert refreshes == []


TICKET_WITH_RAW_ID = '{"event": "receiving_ticket_update", "receiving_ticket": {"id": 5501, "production_order_id": %s}}'


@pytest.mark.parametrize("raw_id", ["Infinity", "-Infinity", "NaN", "1e30", "12345678901234567890", '"12345678901234567890"',
                                    "20123.5", '"²"', '"١٢"', "true", "0", "-7", '{"id": 1}'])
def test_a_production_order_id_that_is_not_an_id_is_refused_with_400(hook, refreshes, raw_id):
    response = hook(TICKET_WITH_RAW_ID % raw_id)

    assert response.status_code == 400
    assert "production_order_id" in response.content.decode()
    assert refreshes == [] and not WebhookEvent.objects.exists()


def test_the_largest_id_a_database_holds_is_taken(hook, organisation, refreshes):
    assert hook(TICKET_WITH_RAW_ID % (2**63 - 1)).status_code == 202
    assert refreshes == [(organisation, 2**63 - 1)]


@pytest.mark.parametrize("depth", [100_000, 20_000])
def test_a_deeply_nested_body_is_refused_with_400(hook, refreshes, depth):
    body = '{"event": "receiving_ticket_update", "receiving_ticket": ' + "[" * depth + "]" * depth + "}"
    assert hook(body).status_code == 400
    assert refreshes == [] and not WebhookEvent.objects.exists()


def test_a_body_over_the_size_cap_is_refused_unread(hook, refreshes):
    padding = "x" * (64 * 1024)
    response = hook(json.dumps({"event": "receiving_ticket_update", "note": padding,
                                "receiving_ticket": {"production_order_id": 1}}))
    assert response.status_code == 400 and "larger than 64 KiB" in response.content.decode()
    assert refreshes == [] and not WebhookEvent.objects.exists()


def test_webhooks_for_orders_not_held_queue_one_locked_logged_new_orders_run(
        organisation, fresh_sandbox, settings, django_capture_on_commit_callbacks):
    settings.UPHANCE_MAX_REQUESTS_PER_SECOND = 0
    uphance_connect(api_url=fresh_sandbox.url, **SOLO)
    secret = UphanceConnection.objects.get(organisation=organisation).webhook_secret
    sync_run(organisation=organisation, kind=SyncRun.Kind.PRODUCTION_FULL, client=sandbox_client(fresh_sandbox))
    new_ids = fresh_sandbox.state.add_orders(SANDBOX_ORG, 10)
    fresh_sandbox.state.clear_request_log()

    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            Client().post(f"/webhooks/uphance/{secret}/", data=json.dumps(ticket(production_order_id=i, ticket_id=i)),
                          content_type="application/json")
            for i in new_ids
        ]

    assert [a.json() for a in answers] == [{"status": "queued"}] * 10
    run = SyncRun.objects.get(kind=SyncRun.Kind.PRODUCTION_NEW)  # one run for the ten, in the log
    assert (run.trigger, run.outcome, run.created) == ("webhook", "succeeded", 10)
    listings = [path for _, path, _ in fresh_sandbox.state.request_log if path == "/production_orders"]
    assert listings == ["/production_orders"]  # one page of new orders, not one listing per webhook
    assert set(new_ids) <= set(ProductionOrder.objects.values_list("uphance_id", flat=True))


def test_the_event_is_logged_as_a_quoted_string_so_a_newline_cannot_forge_a_line(hook, caplog):
    caplog.set_level(logging.INFO, logger="production.sync.webhooks")
    hook({"event": "receiving_ticket_update\n2026-12-01 09:00:00 INFO accounts: admin logged in",
          "receiving_ticket": {"id": 1, "production_order_id": 20123}})

    line = next(r.getMessage() for r in caplog.records if r.name == "production.sync.webhooks")
    assert "\n" not in line
    assert line.startswith("Uphance webhook 'receiving_ticket_update\\n2026-12-01 09:00:00 INFO accounts")


@pytest.mark.parametrize("body", [b"not json", b'{"event": "receiving_ticket_update", '
                                               b'"receiving_ticket": {"production_order_id": 1e30}}'])
def test_request_log_lines_never_show_the_webhook_secret(hook, caplog, body):
    caplog.set_level(logging.INFO)
    assert hook(body).status_code == 400
    wrong = hook(ticket(), to=hook.secret[:-4] + "AAAA")  # a near miss: 404
    assert wrong.status_code == 404

    lines = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert lines == ["Bad Request: /webhooks/uphance/***/", "Not Found: /webhooks/uphance/***/"]
    assert hook.secret not in caplog.text and hook.secret[:-4] not in caplog.text


def test_gunicorn_access_lines_mask_the_webhook_secret():
    import datetime as dt
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.util import load_class

    conf = runpy.run_path(str(Path(__file__).resolve().parents[3] / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = load_class(conf["logger_class"], section="gunicorn.loggers")(cfg)
    logger.setup(cfg)  # as on a reload
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logger.access_log.addHandler(handler)
    secret = "s3cr3t-" + "x" * 40
    environ = {"REQUEST_METHOD": "POST", "RAW_URI": f"/webhooks/uphance/{secret}/", "PATH_INFO": f"/webhooks/uphance/{secret}/",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.7", "HTTP_REFERER": f"https://x.test/webhooks/uphance/{secret}/"}

    logger.access(SimpleNamespace(status="202 Accepted", sent=21, headers=[]), SimpleNamespace(headers=[]), environ,
                  dt.timedelta(milliseconds=12))

    assert len(lines) == 1 and secret not in lines[0]
    assert '"POST /webhooks/uphance/***/ HTTP/1.1" 202 21 "https://x.test/webhooks/uphance/***/"' in lines[0]
    assert [type(f).__name__ for f in logger.access_log.filters] == ["WebhookSecretFilter"]
