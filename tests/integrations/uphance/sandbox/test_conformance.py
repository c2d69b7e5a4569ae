"""The sandbox answers with the keys, key order and JSON types of the API documents' examples."""

import json
import os
import re
from pathlib import Path

import pytest

from integrations.uphance.sandbox import NORTHWIND
from tests.integrations.uphance.sandbox.conftest import login

REPO = Path(__file__).resolve().parents[4]
FIXTURES = REPO / "tests" / "fixtures" / "uphance"
# name -> (seed document prefix, n-th "Example response:"/"Example request:" block, fixture file)
EXAMPLES = {
    "production_orders": ("002", "response", 0, "production_orders.json"),
    "production_orders_with_stages": ("002", "response", 1, "production_orders_with_stages.json"),
    "production_timeline": ("002", "response", 2, "production_timeline.json"),
    "sales_orders": ("000", "response", 0, "sales_orders.json"),
    "sales_order_create_request": ("000", "request", 0, "sales_order_create_request.json"),
    "customers": ("003", "response", 0, "customers.json"),
    "customer_create_request": ("003", "request", 0, "customer_create_request.json"),
    "customer_contact_create_request": (
        "003",
        "request",
        1,
        "customer_contact_create_request.json",
    ),
    "customer_address_create_request": (
        "003",
        "request",
        2,
        "customer_address_create_request.json",
    ),
}


def _seeds_dir() -> Path | None:
    configured = os.environ.get("SEAMLINE_SEEDS_DIR")
    for candidate in (
        Path(configured) if configured else None,
        REPO.parent / "shared" / "seeds",
        Path("/work/shared/seeds"),
    ):
        if candidate is not None and candidate.is_dir():
            return candidate
    return None


def extract_blocks(text: str, kind: str) -> list:
    """JSON values after each "Example <kind>:" line; trailing commas (as in the seed) repaired."""
    decoder = json.JSONDecoder()
    blocks = []
    for match in re.finditer(rf"Example {kind}:\s*", text):
        start = text.find("{", match.end())
        if start < 0 or text[match.end() : start].strip():
            continue  # a fragment without braces (the connection document)
        depth, end = 0, start
        for end in range(start, len(text)):  # find the matching brace, then parse that slice
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
        chunk = text[start : end + 1]
        try:
            blocks.append(decoder.raw_decode(chunk)[0])
        except ValueError:
            blocks.append(json.loads(re.sub(r",(\s*[}\]])", r"\1", chunk)))
    return blocks


def example(name: str):
    prefix, kind, index, fixture = EXAMPLES[name]
    seeds = _seeds_dir()
    if seeds is not None:
        document = next(seeds.glob(f"{prefix}_*.txt"))
        return extract_blocks(document.read_text(encoding="utf-8").replace("\xa0", " "), kind)[
            index
        ]
    if (FIXTURES / fixture).exists():
        return json.loads((FIXTURES / fixture).read_text())
    pytest.skip(
        "neither ../shared/seeds nor tests/fixtures/uphance is here: no examples to compare with"
    )


NULL_ONLY_TYPES = {"next_page": {"number"}, "prev_page": {"number"}}


def _type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def shape(value, path="$", out=None) -> dict[str, set[str]]:
    """JSON path -> the JSON types seen there, over every element of every array."""
    out = {} if out is None else out
    out.setdefault(path, set()).add(_type(value))
    if isinstance(value, dict):
        for key, item in value.items():
            shape(
                item,
                f"{path}.{'product_cover_image' if key == 'Product_cover_image' else key}",
                out,
            )
    elif isinstance(value, list):
        for item in value:
            shape(item, f"{path}[]", out)
    return out


def assert_conforms(ours, seed, optional: tuple[str, ...] = ()):
    """Same paths; where the seed shows a non-null type ours use only that type (or null)."""
    mine, theirs = shape(ours), shape(seed)
    missing = {p for p in theirs if p not in mine and not p.startswith(optional)}
    extra = {p for p in mine if p not in theirs and not p.startswith(optional)}
    assert not missing, f"paths of the example the sandbox never sends: {sorted(missing)}"
    assert not extra, f"paths the sandbox sends that the example does not have: {sorted(extra)}"
    for path, types in theirs.items():
        if path not in mine:
            continue
        ours_non_null, seed_non_null = mine[path] - {"null"}, types - {"null"}
        # A field the example only shows as null holds text, except page numbers.
        allowed = seed_non_null or NULL_ONLY_TYPES.get(path.rsplit(".", 1)[-1], {"string"})
        assert ours_non_null <= allowed, f"{path}: sandbox sends {mine[path]}, the example {types}"


def assert_key_order(ours: dict, seed: dict):
    def norm(keys):
        return ["product_cover_image" if k == "Product_cover_image" else k for k in keys]

    assert norm(ours) == norm(seed)


@pytest.fixture(scope="module")
def listing(sandbox, session):
    return {
        "plain": session.get(f"{sandbox.url}/production_orders").json(),
        "stages": session.get(
            f"{sandbox.url}/production_orders", params={"include_stages": "true"}
        ).json(),
    }


def test_production_orders_conform_to_the_documented_listing(listing):
    seed = example("production_orders")
    assert_conforms(listing["plain"], seed)
    assert_key_order(listing["plain"]["production_orders"][0], seed["production_orders"][0])
    assert_key_order(
        listing["plain"]["production_orders"][0]["line_items"][0],
        seed["production_orders"][0]["line_items"][0],
    )
    assert_key_order(
        listing["plain"]["production_orders"][0]["line_items"][0]["line_quantities"][0],
        seed["production_orders"][0]["line_items"][0]["line_quantities"][0],
    )
    assert list(listing["plain"]["meta"]) == list(seed["meta"])


def test_production_orders_with_stages_conform_to_the_documented_listing(listing):
    seed = example("production_orders_with_stages")
    assert_conforms(listing["stages"], seed)
    item = next(
        i
        for o in listing["stages"]["production_orders"]
        for i in o["line_items"]
        if i["production_stages"].get("past_stages") and i["production_stages"].get("current_stage")
    )
    seed_item = seed["production_orders"][0]["line_items"][0]
    assert_key_order(item, seed_item)
    assert_key_order(item["production_stages"], seed_item["production_stages"])
    assert_key_order(
        item["production_stages"]["current_stage"], seed_item["production_stages"]["current_stage"]
    )
    assert_key_order(
        item["production_stages"]["past_stages"][0],
        seed_item["production_stages"]["past_stages"][0],
    )


def test_the_timeline_conforms_to_the_documented_one(sandbox, session, listing):
    seed = example("production_timeline")
    item = next(
        i
        for o in listing["stages"]["production_orders"]
        for i in o["line_items"]
        if i["production_stages"].get("past_stages") and i["production_stages"].get("current_stage")
    )
    ours = session.get(
        f"{sandbox.url}/production_order_line_items/{item['id']}/production_timeline"
    ).json()
    assert_conforms(ours, seed)
    assert_key_order(ours["production_order_line_item"], seed["production_order_line_item"])
    bulk = session.get(
        f"{sandbox.url}/production_order_line_items/production_timeline_bulk",
        params={"ids": item["id"]},
    ).json()
    entry = bulk["production_order_line_items"][0]
    assert entry.pop("production_order_id") > 0
    assert_conforms({"production_order_line_item": entry}, seed)


def test_sales_orders_conform_to_the_documented_listing(sandbox, session):
    seed = example("sales_orders")
    ours = session.get(f"{sandbox.url}/sales_orders").json()
    ours.pop("meta")  # the example shows no meta; the listing is paginated like every other
    assert_conforms(ours, seed)
    order, seed_order = ours["sales_orders"][0], seed["sales_orders"][0]
    assert_key_order(order, seed_order)
    assert_key_order(order["line_items"][0], seed_order["line_items"][0])
    assert_key_order(
        order["line_items"][0]["line_quantities"][0],
        seed_order["line_items"][0]["line_quantities"][0],
    )
    assert_key_order(order["custom_fields"][0], seed_order["custom_fields"][0])
    agent = next(a for o in ours["sales_orders"] for a in o["agents"])
    assert_key_order(agent, seed_order["agents"][0])


def test_customers_conform_to_the_documented_listing(sandbox, session):
    seed = example("customers")
    ours = session.get(f"{sandbox.url}/customers", params={"by_status": "all"}).json()
    ours.pop("meta")
    assert_conforms(ours, seed)
    full = next(c for c in ours["customers"] if c["invoices"] and c["agents"] and c["last_order"])
    seed_customer = seed["customers"][0]
    assert_key_order(full, seed_customer)
    for key in (
        "people",
        "addresses",
        "invoices",
        "agents",
        "purchase_amounts",
        "outstanding_amounts",
    ):
        assert_key_order(full[key][0], seed_customer[key][0])
    assert_key_order(full["last_order"], seed_customer["last_order"])


def test_the_documented_create_requests_are_accepted(mutable_sandbox):
    session, url = login(mutable_sandbox), mutable_sandbox.url
    customer_body = example("customer_create_request")
    customer = session.post(f"{url}/customers", json=customer_body)
    assert customer.status_code == 201, customer.text
    customer_id = customer.json()["customer"]["id"]
    contact = session.post(
        f"{url}/customers/{customer_id}/create_contact",
        json=example("customer_contact_create_request"),
    )
    address = session.post(
        f"{url}/customers/{customer_id}/create_address",
        json=example("customer_address_create_request"),
    )
    assert contact.status_code == 201 and address.status_code == 201
    seed_customer = example("customers")["customers"][0]
    assert_key_order(contact.json()["contact"], seed_customer["people"][0])
    assert_key_order(address.json()["address"], seed_customer["addresses"][0])

    # The documented sales order, with ids that exist in this sandbox in place of the example's.
    body = example("sales_order_create_request")
    line = mutable_sandbox.state.truth_production_orders(NORTHWIND)[0]["line_items"][0]
    body["customerId"] = customer_id
    body.pop("billing_contact_id"), body.pop("shipping_contact_id")
    body.pop("billing_address_id"), body.pop("shipping_address_id")
    body["line_items"] = [
        {
            "product_id": line["product_identifier"],
            "variation_id": line["variation_id"],
            "unit_price": 1,
            "line_quantities": [
                {"sku_id": q["sku_id"], "quantity": 10} for q in line["line_quantities"]
            ],
        }
    ]
    created = session.post(f"{url}/sales_orders", json=body)
    assert created.status_code == 201, created.text
    assert_conforms(
        {"sales_orders": [created.json()["sales_order"]]},
        example("sales_orders"),
        optional=("$.sales_orders[].agents",),
    )
