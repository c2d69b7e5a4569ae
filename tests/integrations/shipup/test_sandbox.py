"""The Shipup sandbox on loopback: it accepts, refuses, stores and rate-limits like the docs say."""
import pytest
import requests

from integrations.shipup import (
    ShipupAuthError,
    ShipupClient,
    ShipupOrder,
    ShipupValidationError,
)
from integrations.shipup.sandbox import ShipupSandboxServer

AUTH = {"Authorization": "Bearer sandbox-key"}


def client_for(server: ShipupSandboxServer, **kwargs) -> ShipupClient:
    # Tests not about pacing send a handful of requests, well inside the sandbox's burst.
    kwargs.setdefault("requests_per_second", 50.0)
    return ShipupClient(server.url, api_key=server.api_key, timeout=5.0, **kwargs)


def test_seed_valid_example_is_accepted_and_stored(shipup_sandbox, seed_examples):
    answer = requests.post(f"{shipup_sandbox.url}/v2/orders", json=seed_examples.valid,
                           headers=AUTH, timeout=5)

    assert answer.status_code == seed_examples.valid_status == 201
    assert shipup_sandbox.state.orders == {"O_MER_TEST5": seed_examples.valid}
    assert shipup_sandbox.state.received == [
        ("POST", "/v2/orders", seed_examples.valid, 201),
    ]


def test_seed_invalid_example_gets_the_documented_error_body(shipup_sandbox, seed_examples):
    answer = requests.post(f"{shipup_sandbox.url}/v2/orders", json=seed_examples.invalid,
                           headers=AUTH, timeout=5)

    assert answer.status_code == seed_examples.invalid_status == 400
    assert answer.json() == seed_examples.invalid_response
    # Same key order as the seed, so what people read in logs matches the docs.
    assert list(answer.json()["errors"]["fulfillments"]["0"]) == ["country", "trackers",
                                                                  "line_items"]
    assert shipup_sandbox.state.orders == {}


def test_client_reports_the_sandbox_refusal_by_field(shipup_sandbox, seed_examples):
    with pytest.raises(ShipupValidationError) as excinfo:
        client_for(shipup_sandbox).order_upsert(seed_examples.invalid)

    assert [e.path for e in excinfo.value.errors] == [
        "fulfillments.0.country",
        "fulfillments.0.trackers.1.tracking_number",
        "fulfillments.0.trackers.1.line_items.0.merchant_id",
        "fulfillments.0.line_items.0.canceled",
    ]


@pytest.mark.parametrize(("payload", "errors"), [
    ({"order_number": "X"}, {"merchant_id": "Required"}),
    ({"merchant_id": "O1", "fulfillments": [{"trackers": [{"carrier_code": "ups"}]}]},
     {"fulfillments": {"0": {"trackers": {"0": {"tracking_number": "Required"}},
                             "merchant_id": "Required"}}}),
    ({"merchant_id": "O1", "line_items": [{"merchant_id": "L1", "quantity": "3"}]},
     {"line_items": {"0": {"quantity": "Wrong data type: given, String (3) expected: Integer"}}}),
    ({"merchant_id": "O1", "mute_notifications": "yes"},
     {"mute_notifications":
      "Wrong data type: given, String (yes) expected: TrueClass or FalseClass"}),
    ({"merchant_id": "O1", "shipping_address": {"country_code": 33}},
     {"country_code": "Wrong data type: given, Integer (33) expected: String"}),
    # Not in the seed (a sandbox choice): unknown status codes are refused.
    ({"merchant_id": "O1", "fulfillments": [{"merchant_id": "F1", "status_code": "lost"}]},
     {"fulfillments": {"0": {"status_code": "Invalid value: given, String (lost) expected: "
                             "one of pending, in_production, in_transit_to_stock, "
                             "preparing_shipment, shipped, delayed, production_delay, "
                             "transit_to_stock_delay, partially_shipped, blocked, canceled"}}}),
])
def test_sandbox_validation_follows_the_seed_format(shipup_sandbox, payload, errors):
    answer = requests.post(f"{shipup_sandbox.url}/v2/orders", json=payload, headers=AUTH,
                           timeout=5)

    assert answer.status_code == 400
    assert answer.json() == {"errors": errors}


def test_same_merchant_id_twice_updates_one_order(shipup_sandbox):
    client = client_for(shipup_sandbox)
    first = ShipupOrder(merchant_id="SO-1", order_number="1001", email="a@example.com",
                        fulfillments=[{"merchant_id": "SO-1-F1", "status_code": "in_production",
                                       "line_items": [{"merchant_id": "L1", "quantity": 2}]}])
    client.order_upsert(first)
    client.order_upsert({"merchant_id": "SO-1", "email": "b@example.com",
                         "fulfillments": [{"merchant_id": "SO-1-F1",
                                           "status_code": "production_delay"}]})

    orders = shipup_sandbox.state.orders
    assert list(orders) == ["SO-1"]
    assert orders["SO-1"]["email"] == "b@example.com"
    assert orders["SO-1"]["order_number"] == "1001"
    assert orders["SO-1"]["fulfillments"] == [{
        "merchant_id": "SO-1-F1", "status_code": "production_delay",
        "line_items": [{"merchant_id": "L1", "quantity": 2}],
    }]
    assert [r.status for r in shipup_sandbox.state.received] == [201, 200]


def test_orders_read_back_by_order_number(shipup_sandbox, seed_examples):
    client = client_for(shipup_sandbox)
    client.order_upsert(seed_examples.valid)
    client.order_upsert({"merchant_id": "OTHER", "order_number": "O_N_OTHER"})

    found = client.orders_by_number("O_N_TEST5")

    assert [o["merchant_id"] for o in found] == ["O_MER_TEST5"]
    assert found[0]["fulfillments"] == seed_examples.valid["fulfillments"]
    assert client.orders_by_number("NOPE") == []
    assert shipup_sandbox.state.received[-1].path == "/v2/orders?order_number=NOPE"


def test_missing_or_wrong_key_is_refused(shipup_sandbox):
    url = f"{shipup_sandbox.url}/v2/orders"
    assert requests.get(url, params={"order_number": "1"}, timeout=5).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer other"},
                        timeout=5).status_code == 401

    with pytest.raises(ShipupAuthError) as excinfo:
        ShipupClient(shipup_sandbox.url, api_key="wrong").order_upsert({"merchant_id": "O1"})
    assert excinfo.value.reason == "invalid_key"
    assert shipup_sandbox.state.orders == {}


def test_injected_payment_required_stops_the_client(shipup_sandbox):
    shipup_sandbox.state.fail_next(402)

    with pytest.raises(ShipupAuthError) as excinfo:
        client_for(shipup_sandbox).order_upsert({"merchant_id": "O1"})

    assert excinfo.value.reason == "payment_required"


def test_a_burst_is_rate_limited(shipup_sandbox, seed_examples):
    session = requests.Session()
    answers = [session.post(f"{shipup_sandbox.url}/v2/orders", json=seed_examples.valid,
                            headers=AUTH, timeout=5) for _ in range(10)]

    limited = [a for a in answers if a.status_code == 429]
    assert limited, "ten requests at once must overflow the bucket"
    assert any(a.status_code in (200, 201) for a in answers)
    for answer in limited:
        assert int(answer.headers["Retry-After"]) >= 1
        assert answer.headers["X-Shipup-Api-Call-Limit"] == "5/5"
    assert [a.status_code for a in answers] == [r.status for r in shipup_sandbox.state.received]


def test_client_bucket_keeps_under_the_limit(shipup_sandbox):
    # Shipup's own pace (2/s) and no retries: a single 429 would raise.
    client = client_for(shipup_sandbox, requests_per_second=2.0, max_retries=0)

    for n in range(10):
        client.order_upsert({"merchant_id": f"SO-{n}", "order_number": str(n)})

    assert [r.status for r in shipup_sandbox.state.received] == [201] * 10
    assert len(shipup_sandbox.state.orders) == 10
    assert client.last_call_limit is not None
