"""Payload models: they produce exactly the body the Shipup docs describe."""
import datetime as dt

import pytest
from pydantic import ValidationError

from integrations.shipup import STATUS_CODES, ShipupOrder
from tests.integrations.shipup.conftest import SEED, extract_seed_examples, load_fixture_examples


def test_fixtures_are_the_seed_examples():
    if not SEED.exists():
        pytest.skip("../shared/seeds is not available; the saved fixtures are used as they are")
    assert load_fixture_examples() == extract_seed_examples(SEED.read_text(encoding="utf-8"))


def test_seed_valid_example_round_trips_to_the_same_body(seed_examples):
    order = ShipupOrder.model_validate(seed_examples.valid)

    assert order.to_json() == seed_examples.valid


def test_seed_invalid_example_is_refused_before_sending(seed_examples):
    with pytest.raises(ValidationError) as excinfo:
        ShipupOrder.model_validate(seed_examples.invalid)

    failing = {tuple(e["loc"]) for e in excinfo.value.errors()}
    assert ("fulfillments", 0, "trackers", 1, "line_items", 0, "merchant_id") in failing
    assert ("fulfillments", 0, "shipping_address", "country") in failing


def test_pre_shipment_order_body_omits_unset_fields():
    order = ShipupOrder(
        merchant_id=4711,  # Uphance ids are integers; Shipup wants strings
        order_number="SO-4711",
        ordered_at=dt.datetime(2024, 5, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        email="buyer@example.com",
        first_name="Ada",
        last_name="Lovelace",
        shipping_address={"address1": "1 Loom Lane", "city": "London", "zip": "N1 1AA",
                          "country_code": "gb"},
        fulfillments=[{
            "merchant_id": "4711-1",
            "status_code": "production_delay",
            "line_items": [{"merchant_id": "LI-1", "sku": "TEE-BLK-M", "title": "Tee",
                            "variant_title": "Black / M", "quantity": 12}],
        }],
    )

    assert order.to_json() == {
        "merchant_id": "4711",
        "order_number": "SO-4711",
        "ordered_at": "2024-05-02T09:30:00+01:00",
        "email": "buyer@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "shipping_address": {"address1": "1 Loom Lane", "city": "London", "zip": "N1 1AA",
                             "country_code": "GB"},
        "fulfillments": [{
            "merchant_id": "4711-1",
            "status_code": "production_delay",
            "line_items": [{"merchant_id": "LI-1", "sku": "TEE-BLK-M", "title": "Tee",
                            "variant_title": "Black / M", "quantity": 12}],
        }],
    }


@pytest.mark.parametrize("bad", [
    {"fulfillments": [{"merchant_id": "F1", "status_code": "in_the_post"}]},
    {"shipping_address": {"country_code": "GBR"}},
    {"ordered_at": dt.datetime(2024, 5, 2, 9, 30)},  # naive: which time zone?
    {"fulfillments": [{"merchant_id": "F1", "trackers": [{"carrier_code": "ups"}]}]},
    {"colour": "#fff"},  # not a Shipup field: a typo, not something to send
])
def test_payloads_shipup_would_reject_fail_locally(bad):
    with pytest.raises(ValidationError):
        ShipupOrder(merchant_id="O1", **bad)


def test_status_codes_are_shipups_fulfillment_statuses():
    assert STATUS_CODES == (
        "pending", "in_production", "in_transit_to_stock", "preparing_shipment", "shipped",
        "delayed", "production_delay", "transit_to_stock_delay", "partially_shipped", "blocked",
        "canceled",
    )
