"""Payload models against the seed examples: nothing lost, quirks tolerated, bad records named."""
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from integrations.uphance import BadPayload
from integrations.uphance import payloads as p
from tests.support.seed_examples import (
    fixture_path,
    parse_example_text,
    repair_json_fragment,
    seed_example,
    seed_example_names,
    seed_example_text,
    seeds_dir,
)

needs_seeds = pytest.mark.skipif(seeds_dir() is None, reason="../shared/seeds not present")

# example -> how its records are found and which model parses them
CONFORMANCE = {
    "production_orders": (lambda d: d["production_orders"], p.ProductionOrder),
    "production_orders_with_stages": (lambda d: d["production_orders"], p.ProductionOrder),
    "production_timeline": (lambda d: [d["production_order_line_item"]], p.LineItemTimeline),
    "sales_orders": (lambda d: d["sales_orders"], p.SalesOrder),
    "customers": (lambda d: d["customers"], p.Customer),
    "organisations": (lambda d: d["organisations"], p.Organisation),
    "token": (lambda d: [d], p.TokenResponse),
    "set_current_org": (lambda d: [d], p.CurrentOrganisation),
    "pagination_meta": (lambda d: [d["meta"]], p.PageMeta),
    "production_orders_pagination_meta": (lambda d: [d["meta"]], p.PageMeta),
}
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T")
_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


def _same_value(source, dumped) -> bool:
    if isinstance(source, bool) or isinstance(dumped, bool):
        return source is dumped
    if isinstance(source, str) and isinstance(dumped, str) and _TIMESTAMP.match(source):
        return datetime.fromisoformat(source) == datetime.fromisoformat(dumped)
    if isinstance(source, int | float) and isinstance(dumped, str) and _TIMESTAMP.match(dumped):
        return datetime.fromtimestamp(source, UTC) == datetime.fromisoformat(dumped)
    numeric = (int, float, str)
    if (
        isinstance(source, numeric) and isinstance(dumped, numeric)
        and _DECIMAL.fullmatch(str(source)) and _DECIMAL.fullmatch(str(dumped))
    ):
        return Decimal(str(source)) == Decimal(str(dumped))
    return source == dumped


def assert_nothing_lost(source, dumped, path="record"):
    """Every key and value of the source is in the dump (keys compared case-insensitively, as
    the API's casing is not reliable); keys the dump adds are only empty defaults."""
    if isinstance(source, dict):
        assert isinstance(dumped, dict), path
        folded = {key.lower(): key for key in dumped}
        for key, value in source.items():
            target = key if key in dumped else folded.get(key.lower())
            assert target is not None, f"{path}.{key} lost"
            assert_nothing_lost(value, dumped[target], f"{path}.{key}")
        source_keys = {key.lower() for key in source}
        for key, value in dumped.items():
            if key.lower() not in source_keys:
                assert value in (None, [], {}), f"{path}.{key} invented: {value!r}"
    elif isinstance(source, list):
        assert isinstance(dumped, list) and len(dumped) == len(source), path
        for index, (a, b) in enumerate(zip(source, dumped, strict=True)):
            assert_nothing_lost(a, b, f"{path}.{index}")
    else:
        assert _same_value(source, dumped), f"{path}: {source!r} became {dumped!r}"


@pytest.mark.parametrize("name", list(CONFORMANCE))
def test_every_seed_example_parses_without_losing_anything(name):
    records_of, model = CONFORMANCE[name]
    source = records_of(seed_example(name))

    parsed, errors = p.parse_records(model, source, record_type=name)

    assert errors == []
    assert len(parsed) == len(source)
    for raw, record in zip(source, parsed, strict=True):
        assert_nothing_lost(raw, record.model_dump(mode="json", by_alias=True))


@needs_seeds
@pytest.mark.parametrize("name", seed_example_names())
def test_fixtures_match_the_seed_documents(name):
    fixture = json.loads(fixture_path(name).read_text(encoding="utf-8"))
    assert fixture == seed_example(name, source="seeds")


def test_examples_fall_back_to_the_fixtures_without_seeds(monkeypatch, tmp_path):
    monkeypatch.setenv("SEAMLINE_SEEDS_DIR", str(tmp_path / "absent"))
    assert seeds_dir() is None
    assert seed_example("production_timeline")["production_order_line_item"]["id"] == 140828


@needs_seeds
def test_the_seed_timeline_is_broken_json_and_gets_repaired():
    text = seed_example_text("production_timeline")
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert parse_example_text(text)["production_order_line_item"]["production_stages"][
        "current_stage"]["name"] == "Packing"


def test_connection_fragments_get_their_braces_back():
    fragment = '"organisations": [\n  "id": 9579,\n  "name": "Uphance Demo"\n'
    assert json.loads(repair_json_fragment(fragment)) == {
        "organisations": [{"id": 9579, "name": "Uphance Demo"}]
    }
    assert json.loads(repair_json_fragment('"a": "x, ]", "b": [1, 2,],')) == {
        "a": "x, ]", "b": [1, 2]
    }


# --- quirks --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("CONFIRMED", "confirmed"), ("COMPLETE", "complete"), ("All Received", "all_received"),
        ("all_received", "all_received"), ("Not Paid", "not_paid"), ("not_paid", "not_paid"),
        ("In Progress", "in_progress"), ("Not Started", "not_started"),
        (" Receiving ", "receiving"),
        (None, None), ("", None),
    ],
)
def test_status_key(raw, key):
    assert p.status_key(raw) == key


def test_statuses_keep_the_raw_spelling_and_offer_a_key():
    order = p.ProductionOrder.model_validate(
        seed_example("production_orders_with_stages")["production_orders"][0]
    )
    assert (order.status, order.status_key) == ("COMPLETE", "complete")
    assert (order.delivery_status, order.delivery_status_key) == ("All Received", "all_received")
    assert order.financial_status_key == "not_paid"
    (line,) = order.line_items
    assert [(s.name, s.status_key) for s in line.stages] == [
        ("Cutting", "completed"), ("Sewing", "completed"), ("Packing", "in_progress"),
    ]
    sales = p.SalesOrder.model_validate(seed_example("sales_orders")["sales_orders"][0])
    assert (sales.status_key, sales.fulfillment_status_key) == ("draft", "not_shipped")


def test_timestamps_with_mixed_offsets_become_aware_utc():
    timeline = p.LineItemTimeline.model_validate(
        seed_example("production_timeline")["production_order_line_item"]
    )
    current = timeline.current_stage
    assert current.start_time == datetime(2025, 3, 28, 12, 53, 15, tzinfo=UTC)  # was +05:30
    assert current.start_time.utcoffset().total_seconds() == 0 and current.end_time is None
    assert timeline.stages[0].start_time == datetime(2025, 3, 28, 12, 53, tzinfo=UTC)  # was Z
    order = p.ProductionOrder.model_validate(
        seed_example("production_orders")["production_orders"][0]
    )
    assert order.created_at == datetime(2025, 4, 28, 14, 11, 18, tzinfo=UTC)  # was +01:00


def test_both_spellings_of_the_cover_image_are_read():
    order = p.ProductionOrder.model_validate(
        seed_example("production_orders_with_stages")["production_orders"][0]
    )
    image = "https://uphance.com/uploads/product/image/111591/3465o-3206-1813-A.jpg"
    assert order.line_items[0].product_cover_image == image
    dumped = order.line_items[0].model_dump(by_alias=True)
    assert dumped["product_cover_image"] == image and "Product_cover_image" not in dumped
    both = p.ProductionLineItem.model_validate(
        {"id": 1, "product_cover_image": None, "Product_cover_image": image}
    )
    assert both.product_cover_image == image


@pytest.mark.parametrize(
    "stages",
    [
        {},
        {"production_stages": None},
        {"production_stages": {"current_stage": None, "past_stages": []}},
        {"production_stages": {"current_stage": None}},
        {"production_stages": {"past_stages": None}},
    ],
    ids=["absent", "null", "null-current", "no-past", "null-past"],
)
def test_line_items_without_stages(stages):
    line = p.ProductionLineItem.model_validate({"id": 1, **stages})
    assert line.stages == [] and line.current_stage is None


def test_a_line_item_in_its_first_stage_has_no_past():
    line = p.ProductionLineItem.model_validate({"id": 1, "production_stages": {
        "current_stage": {"name": "Cutting", "start_time": "2025-04-01T08:00:00Z",
                          "end_time": None, "stage_color": "#abc", "status": "Not Started"}}})
    assert [s.name for s in line.stages] == ["Cutting"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("2025-05-01", date(2025, 5, 1)),
        ("2025-05-01T10:00:00.000+02:00", datetime(2025, 5, 1, 8, 0, tzinfo=UTC)),
        ("2025-05-01T23:30:00Z", datetime(2025, 5, 1, 23, 30, tzinfo=UTC)),
    ],
)
def test_due_and_in_warehouse_dates(raw, expected):
    order = p.ProductionOrder.model_validate({"id": 1, "due_date": raw, "in_warehouse_date": raw})
    assert order.due_date == expected and order.in_warehouse_date == expected
    assert type(order.due_date) is type(expected)


def test_a_due_date_that_is_no_date_is_a_bad_record():
    with pytest.raises(BadPayload) as caught:
        p.parse_record(p.ProductionOrder, {"id": 9, "due_date": "next week"},
                       record_type="production_order")
    assert caught.value.field == "due_date"


def test_money_is_decimal():
    order = p.ProductionOrder.model_validate(
        seed_example("production_orders")["production_orders"][1]
    )
    assert order.grand_total == Decimal("309.0") and order.total_tax == Decimal("9.0")
    assert order.line_items[0].unit_price == Decimal("20.0")
    customer = p.Customer.model_validate(seed_example("customers")["customers"][0])
    assert customer.outstanding_amounts[0].amount == Decimal("355.18")
    assert customer.invoices[0].total_discounted is None


@pytest.mark.parametrize(
    ("raw", "colour"),
    [
        ("#89d7ca", "#89d7ca"),
        ("#ABC", "#abc"),
        (" #A29090 ", "#a29090"),
        ("red", None),
        ("#12345", None),
        ("#89d7ca;background:url(https://evil.test)", None),
        ("javascript:alert(1)", None),
        (None, None),
    ],
)
def test_stage_colour_is_strict(raw, colour):
    stage = p.StageEntry.model_validate({"name": "Sewing", "stage_color": raw})
    assert stage.colour == colour and stage.stage_color == raw


def test_unknown_fields_survive():
    order = p.ProductionOrder.model_validate({
        "id": 1, "factory_eta": "2025-06-01",
        "line_items": [{"id": 2, "fabric": {"code": "F1"},
                        "production_stages": {"current_stage": {"name": "Dye", "batch": 7}}}],
    })
    dumped = order.model_dump(mode="json")
    assert dumped["factory_eta"] == "2025-06-01"
    assert dumped["line_items"][0]["fabric"] == {"code": "F1"}
    assert dumped["line_items"][0]["production_stages"]["current_stage"]["batch"] == 7


def test_numbers_where_text_is_expected_are_kept_as_text():
    address = p.Address.model_validate({"id": 1, "postcode": 10013})
    assert address.postcode == "10013"


# --- bad records ---------------------------------------------------------------------------------

def test_a_bad_record_names_its_type_id_field_and_a_redacted_excerpt():
    good = seed_example("production_orders_with_stages")["production_orders"][0]
    bad = json.loads(json.dumps(good))
    bad["id"] = 777
    bad["line_items"][0]["production_stages"]["current_stage"]["start_time"] = (
        "see rosa.stork@shop.test Bearer abcdefghijklmnopqrstuvwxyz0123456789 " + "x" * 400
    )

    records, errors = p.parse_records(p.ProductionOrder, [bad, good, "oops"],
                                      record_type="production_order")

    assert [r.id for r in records] == [23621]
    first, second = errors
    assert (first.record_type, first.record_id, first.field) == (
        "production_order", 777, "line_items.0.production_stages.current_stage.start_time",
    )
    assert first.excerpt.startswith("line_items.0.production_stages.current_stage.start_time=")
    assert "rosa.stork" not in first.excerpt and "abcdefghijklmnop" not in first.excerpt
    assert len(first.excerpt) <= 300
    assert "777" in str(first) and "start_time" in str(first)
    assert (second.record_id, second.field) == (None, "")


def test_a_record_without_id_is_bad():
    _, (error,) = p.parse_records(p.Customer, [{"name": "No Id"}], record_type="customer")
    assert (error.record_type, error.field, error.record_id) == ("customer", "", None)
    assert "id" in error.message.lower() or "field required" in error.message.lower()


def test_trailing_commas_are_only_removed_outside_strings():
    text = '{"notes": "sizes: S, M,]", "ids": [1, 2,], "x": {"a": 1,},}'
    assert p.loads_lenient(text) == {"notes": "sizes: S, M,]", "ids": [1, 2], "x": {"a": 1}}


def test_json_beyond_repair_is_a_bad_payload_for_the_whole_response():
    with pytest.raises(BadPayload) as caught:
        p.loads_lenient('{"customers": [{"id": 1, "email": "a@b.test" "name": "x"}]}')
    assert caught.value.record_type == "page" and caught.value.record_id is None
    assert "a@b.test" not in caught.value.excerpt
