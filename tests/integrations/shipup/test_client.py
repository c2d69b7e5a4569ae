"""Shipup client over a faked transport: auth, errors, retries and client-side rate limiting."""
import datetime as dt
import json

import pytest
import requests
import responses

from integrations.shipup import (
    ShipupAuthError,
    ShipupClient,
    ShipupOrder,
    ShipupRateLimited,
    ShipupServerError,
    ShipupTransportError,
    ShipupValidationError,
)
from integrations.shipup.client import backoff_delay, retry_after_seconds

BASE = "https://api.shipup.test"
ORDERS = f"{BASE}/v2/orders"


@pytest.fixture
def client(fake_time):
    return ShipupClient(BASE, api_key="sk_test_123", sleep=fake_time.sleep, clock=fake_time.clock)


@responses.activate
def test_upsert_sends_the_body_with_bearer_auth(client, seed_examples):
    responses.post(ORDERS, json={"id": 1, **seed_examples.valid}, status=201)

    answer = client.order_upsert(ShipupOrder.model_validate(seed_examples.valid))

    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == "Bearer sk_test_123"
    assert sent.headers["Content-Type"] == "application/json"
    assert json.loads(sent.body) == seed_examples.valid
    assert answer["merchant_id"] == "O_MER_TEST5"


@responses.activate
def test_orders_by_number(client):
    responses.get(ORDERS, json={"orders": [{"merchant_id": "M1", "order_number": "SO 1"}]},
                  match=[responses.matchers.query_param_matcher({"order_number": "SO 1"})])

    assert client.orders_by_number("SO 1") == [{"merchant_id": "M1", "order_number": "SO 1"}]


@responses.activate
def test_400_lists_every_rejected_field_by_path(client, seed_examples):
    responses.post(ORDERS, json=seed_examples.invalid_response, status=400)

    with pytest.raises(ShipupValidationError) as excinfo:
        client.order_upsert(seed_examples.invalid)

    expected = [
        "fulfillments.0.country: Wrong data type: given, Hash ({}) expected: String",
        ("fulfillments.0.trackers.1.tracking_number: "
         "Wrong data type: given, TrueClass (true) expected: String or Numeric"),
        "fulfillments.0.trackers.1.line_items.0.merchant_id: Required",
        ("fulfillments.0.line_items.0.canceled: "
         "Wrong data type: given, String (true) expected: TrueClass or FalseClass"),
    ]
    assert [str(e) for e in excinfo.value.errors] == expected
    assert excinfo.value.errors[2].path == "fulfillments.0.trackers.1.line_items.0.merchant_id"
    assert str(excinfo.value) == "\n".join(expected)
    assert len(responses.calls) == 1  # a bad payload is not retried


@pytest.mark.parametrize(("status", "reason", "words"), [
    (401, "invalid_key", "missing or invalid"),
    (402, "payment_required", "payment"),
    (403, "forbidden", "permission"),
])
@responses.activate
def test_account_problems_stop_pushes_without_retrying(client, status, reason, words):
    responses.post(ORDERS, json={"error": "nope"}, status=status)

    with pytest.raises(ShipupAuthError) as excinfo:
        client.order_upsert({"merchant_id": "O1"})

    assert excinfo.value.status == status
    assert excinfo.value.reason == reason
    assert words in str(excinfo.value)
    assert "Pushes stop for this organisation" in str(excinfo.value)
    assert len(responses.calls) == 1


@responses.activate
def test_429_waits_for_retry_after_then_succeeds(client, fake_time):
    responses.post(ORDERS, status=429, headers={"Retry-After": "3"}, json={})
    responses.post(ORDERS, status=201, json={"merchant_id": "O1"})

    assert client.order_upsert({"merchant_id": "O1"}) == {"merchant_id": "O1"}
    assert 3.0 in fake_time.sleeps
    assert client.request_count == 2


@responses.activate
def test_retry_after_is_capped(fake_time):
    client = ShipupClient(BASE, api_key="k", max_retry_after=30.0, sleep=fake_time.sleep,
                          clock=fake_time.clock)
    responses.post(ORDERS, status=429, headers={"Retry-After": "3600"})
    responses.post(ORDERS, status=201, json={})

    client.order_upsert({"merchant_id": "O1"})

    assert 30.0 in fake_time.sleeps and 3600.0 not in fake_time.sleeps


def test_retry_after_accepts_seconds_and_http_dates():
    now = dt.datetime(2024, 5, 2, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("2", now=now) == 2.0
    assert retry_after_seconds("Thu, 02 May 2024 12:00:07 GMT", now=now) == 7.0
    assert retry_after_seconds("Thu, 02 May 2024 11:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds("soon", now=now) is None
    assert retry_after_seconds(None) is None


@responses.activate
def test_still_rate_limited_after_every_retry(fake_time):
    client = ShipupClient(BASE, api_key="k", max_retries=2, sleep=fake_time.sleep,
                          clock=fake_time.clock)
    responses.post(ORDERS, status=429, headers={"Retry-After": "1"})

    with pytest.raises(ShipupRateLimited) as excinfo:
        client.order_upsert({"merchant_id": "O1"})

    assert excinfo.value.retry_after == 1.0
    assert len(responses.calls) == 3


@responses.activate
def test_server_errors_and_timeouts_are_retried_with_backoff(client, fake_time):
    responses.post(ORDERS, status=503)
    responses.post(ORDERS, body=requests.ConnectTimeout("slow"))
    responses.post(ORDERS, status=201, json={"merchant_id": "O1"})

    assert client.order_upsert({"merchant_id": "O1"}) == {"merchant_id": "O1"}
    assert len(responses.calls) == 3
    assert fake_time.sleeps  # it waited between attempts


def test_backoff_grows_with_jitter_up_to_a_cap():
    assert backoff_delay(0, rand=lambda: 0.0) == 0.25
    assert backoff_delay(0, rand=lambda: 1.0) == 0.5
    assert backoff_delay(3, rand=lambda: 0.0) == 2.0
    assert backoff_delay(30, rand=lambda: 1.0) == 8.0


@responses.activate
def test_server_error_after_every_retry(fake_time):
    client = ShipupClient(BASE, api_key="k", max_retries=1, sleep=fake_time.sleep,
                          clock=fake_time.clock)
    responses.post(ORDERS, status=500)

    with pytest.raises(ShipupServerError) as excinfo:
        client.order_upsert({"merchant_id": "O1"})
    assert excinfo.value.status == 500


@responses.activate
def test_no_answer_after_every_retry(fake_time):
    client = ShipupClient(BASE, api_key="k", max_retries=1, sleep=fake_time.sleep,
                          clock=fake_time.clock)
    responses.post(ORDERS, body=requests.ConnectionError("refused"))

    with pytest.raises(ShipupTransportError):
        client.order_upsert({"merchant_id": "O1"})


@responses.activate
def test_requests_leave_half_a_second_apart(client, fake_time):
    sent_at = []

    def answer(request):
        sent_at.append(fake_time.now)
        return 201, {}, "{}"

    responses.add_callback(responses.POST, ORDERS, callback=answer)

    for n in range(5):
        client.order_upsert({"merchant_id": f"O{n}"})

    assert sent_at == [0.0, 0.5, 1.0, 1.5, 2.0]


@responses.activate
def test_no_waiting_when_requests_are_already_spaced(client, fake_time):
    responses.post(ORDERS, status=201, json={})

    client.order_upsert({"merchant_id": "O1"})
    fake_time.now += 10
    client.order_upsert({"merchant_id": "O2"})

    assert fake_time.sleeps == []


def test_repr_never_shows_the_key():
    assert "sk_live_secret" not in repr(ShipupClient(api_key="sk_live_secret"))
