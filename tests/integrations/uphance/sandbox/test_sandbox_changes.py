"""The Uphance sandbox, continued: its clock and changes, sales orders, customers, reference data, factories."""

import json
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import requests

from integrations.uphance.sandbox import NORTHWIND, SOUTHPAW, SandboxServer
from tests.integrations.uphance.sandbox.conftest import CLOCK, all_pages, login

REPO = Path(__file__).resolve().parents[4]


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _line_status(item: dict) -> str | None:
    stages = item["production_stages"]
    current = stages.get("current_stage")
    if current is None:
        return "completed" if stages["past_stages"] else None
    return current["status"].lower().replace(" ", "_")



@pytest.fixture(scope="module")
def truth(sandbox):
    return sandbox.state.truth_production_orders(NORTHWIND)


# --- clock and changes ---


def test_advancing_the_clock_moves_stages_forward_and_touches_updated_at(mutable_sandbox):
    state = mutable_sandbox.state
    before = {
        i["id"]: (o["updated_at"], i)
        for o in state.truth_production_orders(NORTHWIND)
        for i in o["line_items"]
    }
    state.advance(hours=24 * 7)
    after = state.truth_production_orders(NORTHWIND)
    rank = {None: -1, "not_started": 0, "in_progress": 1, "completed": 2}
    moved = 0
    for order in after:
        for item in order["line_items"]:
            if item["id"] not in before:
                continue
            old = before[item["id"]][1]
            old_done = len(old["production_stages"]["past_stages"])
            new_done = len(item["production_stages"]["past_stages"])
            assert rank[_line_status(item)] >= rank[_line_status(old)]
            assert new_done >= old_done
            if item["production_stages"] != old["production_stages"]:
                moved += 1
                assert _ts(order["updated_at"]) > _ts(before[item["id"]][0])
    assert moved > 0


def test_time_speed_makes_production_run_faster_while_the_clock_stays_real(mutable_sandbox):
    state = mutable_sandbox.state
    start, production = state.now, state.now_ts()
    state.set_time_speed(3600)
    time.sleep(0.05)
    assert state.now_ts() - production >= 60  # an hour of production per real second
    assert (state.now - start).total_seconds() < 5  # the sandbox's own clock moves in real time


def test_the_clock_never_runs_ahead_of_the_wall_clock():
    """Started now at 3600x and advanced a month: everything stamped happened by now."""
    with SandboxServer(orders=60, seed=5, time_speed=3600) as server:
        state = server.state
        before = {i["id"]: i for o in state.truth_production_orders(NORTHWIND) for i in o["line_items"]}
        time.sleep(0.2)
        state.advance(days=30)
        wall = time.time() + 1
        moved = 0
        for order in state.truth_production_orders(NORTHWIND):
            assert _ts(order["created_at"]) <= wall and _ts(order["updated_at"]) <= wall
            for item in order["line_items"]:
                stages = item.get("production_stages") or {}
                for entry in [stages.get("current_stage"), *stages.get("past_stages", [])]:
                    for key in ("start_time", "end_time"):
                        if entry and entry[key]:
                            assert _ts(entry[key]) <= wall, (item["id"], entry)
                old = before.get(item["id"])
                moved += old is not None and old.get("production_stages") != item.get("production_stages")
        assert moved > 0
        assert state.now.timestamp() <= wall
    with pytest.raises(ValueError):
        SandboxServer(clock_start=datetime.now(UTC) + timedelta(days=1))


def test_added_orders_are_newest_and_deleted_ones_vanish(mutable_sandbox):
    state, session = mutable_sandbox.state, login(mutable_sandbox)
    url = f"{mutable_sandbox.url}/production_orders"
    newest = session.get(url).json()["production_orders"][0]["id"]
    ids = state.add_orders(NORTHWIND, 3)
    assert ids == [newest + 1, newest + 2, newest + 3]
    since = session.get(url, params={"since_id": newest}).json()
    assert [o["id"] for o in since["production_orders"]] == ids[::-1]
    assert {o["status"] for o in since["production_orders"]} == {"DRAFT"}
    victim = state.truth_production_orders(NORTHWIND)[5]["id"]
    state.delete_order(NORTHWIND, victim)
    listed, metas = all_pages(session, url, "production_orders")
    assert victim not in {o["id"] for o in listed} and metas[0]["total_count"] == 62
    with pytest.raises(KeyError):
        state.delete_order(NORTHWIND, victim)
    assert session.get(f"{url}", params={"since_id": ids[-1]}).json()["meta"]["total_count"] == 0


def test_new_orders_appear_as_simulated_time_passes(mutable_sandbox):
    state = mutable_sandbox.state
    before = state.stats()
    state.advance(hours=48)
    after = state.stats()
    assert after[NORTHWIND]["production_orders"] == before[NORTHWIND]["production_orders"] + 8
    assert after[SOUTHPAW]["production_orders"] == before[SOUTHPAW]["production_orders"] + 2
    newest = state.truth_production_orders(NORTHWIND)[0]
    assert _ts(newest["created_at"]) <= state.now.timestamp()


def test_control_endpoints_drive_the_sandbox_out_of_process(mutable_sandbox):
    url = f"{mutable_sandbox.url}/_sandbox"
    snapshot = requests.get(f"{url}/state").json()
    assert snapshot["organisations"][0]["counts"]["production_orders"] == 60
    assert snapshot["organisations"][0]["stages"][0]["name"] == "Cutting"
    now = requests.post(f"{url}/advance", json={"hours": 2}).json()["now"]
    assert _ts(now) == CLOCK.timestamp() + 7200
    new = requests.post(f"{url}/orders/new", json={"org": SOUTHPAW, "count": 2}).json()["ids"]
    assert len(new) == 2
    assert requests.post(f"{url}/orders/{new[0]}/delete").json()["organisation_id"] == SOUTHPAW
    assert requests.post(f"{url}/orders/{new[0]}/delete").status_code == 404
    assert requests.post(f"{url}/faults", json={"malformed_rate": 0.5}).json() == {
        "fault_rate": 0.0,
        "malformed_rate": 0.5,
    }
    session = login(mutable_sandbox)
    assert requests.post(f"{url}/tokens/expire").json()["expired"] >= 1
    assert session.get(f"{mutable_sandbox.url}/seasons").status_code == 401
    assert mutable_sandbox.state.request_log[-1][1] == "/seasons"


def test_determinism_same_seed_same_bytes(sandbox, session):
    with (
        SandboxServer(orders=120, seed=3, time_speed=0, clock_start=CLOCK) as twin,
        SandboxServer(orders=120, seed=4, time_speed=0, clock_start=CLOCK) as other,
    ):
        for path, params in (
            ("/production_orders", {"include_stages": "true", "page": 2}),
            ("/sales_orders", {}),
            ("/customers", {"by_status": "all"}),
        ):
            mine = session.get(sandbox.url + path, params=params).text.replace(sandbox.url, "BASE")
            theirs = login(twin).get(twin.url + path, params=params).text.replace(twin.url, "BASE")
            different = (
                login(other).get(other.url + path, params=params).text.replace(other.url, "BASE")
            )
            assert mine == theirs
            assert mine != different


# --- faults ---


def _statuses(server, n=10):
    out = []
    for _ in range(n):
        answer = requests.get(f"{server.url}/seasons")
        out.append((answer.status_code, answer.headers.get("Retry-After")))
    return out


def test_faults_at_rate_one_are_rate_limits_server_errors_or_slow_answers_reproducibly():
    with (
        SandboxServer(orders=10, seed=9, fault_rate=1.0, time_speed=0, clock_start=CLOCK) as one,
        SandboxServer(orders=10, seed=9, fault_rate=1.0, time_speed=0, clock_start=CLOCK) as two,
    ):
        first, second = _statuses(one), _statuses(two)
    normalised = [
        [(s, "date" if r and not r.isdigit() else r) for s, r in seq] for seq in (first, second)
    ]
    assert normalised[0] == normalised[1]
    # A slow answer goes on to the handler, which wants a token: 401.
    assert {status for status, _ in first} <= {429, 500, 502, 503, 401}
    for status, retry_after in first:
        if status == 429 and retry_after.isdigit():
            assert int(retry_after) <= 1
        elif status == 429:
            assert parsedate_to_datetime(retry_after)
    state = SandboxServer(orders=10, seed=9, fault_rate=1.0).state
    kinds = {state.fault_for(n).kind for n in range(1, 200)}
    assert kinds == {"rate_limited", "server_error", "slow"}
    assert all(state.fault_for(n).delay <= 1.5 for n in range(1, 200))
    dates = [
        state.fault_for(n).retry_after
        for n in range(1, 200)
        if state.fault_for(n).kind == "rate_limited"
    ]
    assert any(d.isdigit() for d in dates) and any(not d.isdigit() for d in dates)


def test_no_faults_at_rate_zero_and_some_at_a_fraction(mutable_sandbox):
    state = mutable_sandbox.state
    assert all(state.fault_for(n) is None for n in range(1, 300))
    state.set_faults(fault_rate=0.2)
    share = sum(state.fault_for(n) is not None for n in range(1, 1001)) / 1000
    assert 0.12 < share < 0.28


def test_malformed_records_are_the_same_records_every_time(mutable_sandbox):
    state, session = mutable_sandbox.state, login(mutable_sandbox)
    state.set_faults(malformed_rate=0.3)
    url = f"{mutable_sandbox.url}/production_orders"
    first = session.get(url, params={"include_stages": "true"}).text
    assert session.get(url, params={"include_stages": "true"}).text == first
    orders = json.loads(first)["production_orders"]
    broken = [o for o in orders if "id" not in o or _is_broken(o)]
    assert broken and len(broken) < len(orders)
    assert len(state.malformed_production_order_ids(NORTHWIND)) == sum(
        1 for o in state.truth_production_orders(NORTHWIND) if "id" not in o or _is_broken(o)
    )
    # The single timeline answers the seed's trailing-comma JSON for its broken line items.
    invalid = 0
    for order in orders[:20]:
        for item in order["line_items"]:
            if "id" not in item:
                continue
            text = session.get(
                f"{mutable_sandbox.url}/production_order_line_items/{item['id']}"
                "/production_timeline"
            ).text
            try:
                json.loads(text)
            except ValueError:
                invalid += 1
                repaired = json.loads(re.sub(r",\s*}", "}", text))
                assert repaired["production_order_line_item"]["id"] == item["id"]
    assert invalid > 0
    state.set_faults(malformed_rate=0.0)
    assert not any(_is_broken(o) for o in state.truth_production_orders(NORTHWIND))


def _is_broken(order: dict) -> bool:
    for item in order["line_items"]:
        if any(q["quantity"] == "many" for q in item["line_quantities"]):
            return True
        stages = item.get("production_stages") or {}
        for entry in [stages.get("current_stage") or {}] + list(stages.get("past_stages") or []):
            if (
                entry.get("start_time") == "not a date"
                or entry.get("stage_color") == "red;background:url(x)"
            ):
                return True
    return "id" not in order


# --- sales, customers ---


def test_sales_orders_page_by_100_and_filter(sandbox, session):
    url = f"{sandbox.url}/sales_orders"
    orders, metas = all_pages(session, url, "sales_orders")
    assert metas[0]["total_count"] == len(orders) == 60 and len(metas) == 1
    ids = [o["id"] for o in orders]
    assert ids == sorted(ids, reverse=True)
    assert [
        o["id"] for o in session.get(url, params={"since_id": ids[10]}).json()["sales_orders"]
    ] == ids[:10]
    one = orders[7]
    assert session.get(url, params={"by_order_number": one["order_number"]}).json()[
        "sales_orders"
    ] == [one]
    ref = next(o for o in orders if o["purchase_order_ref"])
    assert (
        ref
        in session.get(url, params={"by_purchase_order_ref": ref["purchase_order_ref"]}).json()[
            "sales_orders"
        ]
    )
    shipped = next(o for o in orders if o["shipment_numbers"])
    found = session.get(
        url, params={"by_shipment_number": shipped["shipment_numbers"].split(",")[0]}
    ).json()
    assert [o["id"] for o in found["sales_orders"]] == [shipped["id"]]
    assert session.get(f"{url}/{one['id']}").json() == {"sales_order": one}
    assert session.get(f"{url}/{one['order_number']}").json() == {"sales_order": one}
    assert session.get(f"{url}/1").status_code == 404


def test_sales_order_skus_are_in_production_around_the_due_dates(sandbox, session, truth):
    production_skus = {
        q["sku_id"] for o in truth for i in o["line_items"] for q in i["line_quantities"]
    }
    orders = session.get(f"{sandbox.url}/sales_orders").json()["sales_orders"]
    sales_skus = {
        q["sku_id"] for o in orders for i in o["line_items"] for q in i["line_quantities"]
    }
    assert sales_skus and sales_skus <= production_skus
    assert all(o["start_ship_date"] < o["cancel_ship_date"] for o in orders)
    assert {o["fulfillment_status"] for o in orders} >= {"not_shipped", "shipped"}


def test_posting_a_sales_order_creates_it(mutable_sandbox, truth):
    session = login(mutable_sandbox)
    state = mutable_sandbox.state
    customer = state.truth_customers(NORTHWIND)[0]
    item = state.truth_production_orders(NORTHWIND)[0]["line_items"][0]
    body = {
        "customerId": customer["id"],
        "season_name": "none",
        "channel_name": "Wholesale",
        "notes": "Sale from API",
        "purchaseOrderRef": "PO 0000001",
        "startShipDate": "2026-04-01",
        "endShipDate": "2026-05-01",
        "order_status": "confirmed",
        "tax_level": 10,
        "shipping_cost": 15,
        "line_items": [
            {
                "product_id": item["product_id"],
                "variation_id": item["variation_id"],
                "unit_price": 10,
                "line_quantities": [
                    {"sku_id": q["sku_id"], "quantity": 3} for q in item["line_quantities"]
                ],
            }
        ],
    }
    answer = session.post(f"{mutable_sandbox.url}/sales_orders", json=body)
    assert answer.status_code == 201, answer.text
    created = answer.json()["sales_order"]
    assert created["company_id"] == customer["id"] and created["status"] == "confirmed"
    assert created["total_quantity"] == 3 * len(item["line_quantities"])
    assert (
        created["purchase_order_ref"] == "PO 0000001" and created["start_ship_date"] == "2026-04-01"
    )
    listed = session.get(f"{mutable_sandbox.url}/sales_orders").json()["sales_orders"]
    assert listed[0] == created
    assert (
        session.get(f"{mutable_sandbox.url}/customers/{customer['id']}").json()["customer"][
            "orders_count"
        ]
        == customer["orders_count"] + 1
    )
    body["line_items"][0]["line_quantities"][0]["sku_id"] = 1
    assert session.post(f"{mutable_sandbox.url}/sales_orders", json=body).status_code == 422
    assert (
        session.post(
            f"{mutable_sandbox.url}/sales_orders", json={**body, "customerId": 3}
        ).status_code
        == 422
    )


def test_customers_filter_by_status_and_agent_contact(sandbox, session):
    url = f"{sandbox.url}/customers"
    active, _ = all_pages(session, url, "customers")
    inactive, _ = all_pages(session, url, "customers", [("by_status", "inactive")])
    every, metas = all_pages(session, url, "customers", [("by_status", "all")])
    assert (
        active and inactive and metas[0]["total_count"] == len(every) == len(active) + len(inactive)
    )
    assert sorted(c["id"] for c in active + inactive) == [c["id"] for c in every]
    assert session.get(url, params={"by_status": "gone"}).status_code == 422
    agent = next(a for c in every for a in c["agents"])
    by_email, _ = all_pages(
        session, url, "customers", [("by_agents_contact", agent["email"]), ("by_status", "all")]
    )
    by_phone, _ = all_pages(
        session, url, "customers", [("by_agents_contact", agent["phone"]), ("by_status", "all")]
    )
    expected = [c["id"] for c in every if any(a["email"] == agent["email"] for a in c["agents"])]
    assert [c["id"] for c in by_email] == expected == [c["id"] for c in by_phone]
    assert len(expected) < len(every)


def test_one_customer_by_id_or_contact_email_with_contacts_and_addresses(sandbox, session):
    customer = session.get(f"{sandbox.url}/customers").json()["customers"][3]
    base = f"{sandbox.url}/customers"
    assert session.get(f"{base}/{customer['id']}").json() == {"customer": customer}
    email = customer["people"][-1]["email"]
    assert session.get(f"{base}/{email}").json() == {"customer": customer}
    assert session.get(f"{base}/{customer['id']}/contacts").json() == {
        "contacts": customer["people"]
    }
    assert session.get(f"{base}/{customer['id']}/addresses").json() == {
        "addresses": customer["addresses"]
    }
    assert session.get(f"{base}/nobody@nowhere.example").status_code == 404
    assert session.get(f"{base}/12").status_code == 404


def test_creating_customers_contacts_and_addresses(mutable_sandbox):
    session, base = login(mutable_sandbox), f"{mutable_sandbox.url}/customers"
    created = session.post(
        base,
        json={
            "name": "John Doe's Company 2",
            "vat_number": "XE554",
            "country": "US",
            "city": "Miami",
            "customer_type": "wholesale",
            "channelId": 10870,
            "paymentTerm": "PIA",
        },
    )
    assert created.status_code == 201
    customer = created.json()["customer"]
    assert customer["channel_name"] == "Retail" and customer["people"] == []
    contact = session.post(
        f"{base}/{customer['id']}/create_contact",
        json={
            "firstName": "Jon",
            "lastName": "Doe",
            "position": "CEO",
            "phone": "+305-610-0517",
            "email": "jon@doe.example",
        },
    ).json()["contact"]
    address = session.post(
        f"{base}/{customer['id']}/create_address",
        json={
            "address1": "Mainstreet 5",
            "address2": "Entrance 5",
            "address3": "Floor 10",
            "city": "New York City",
            "state": "NY",
            "country": "US",
            "zipCode": 10013,
            "default_for_shipping": True,
            "default_for_billing": True,
        },
    ).json()["address"]
    assert contact["first_name"] == "Jon" and contact["customer_id"] == customer["id"]
    assert address["postcode"] == "10013" and address["line_3"] == "Floor 10"
    again = session.get(f"{base}/jon@doe.example").json()["customer"]
    assert (
        again["id"] == customer["id"]
        and again["people"] == [contact]
        and again["addresses"] == [address]
    )
    assert customer["id"] in [c["id"] for c in all_pages(session, base, "customers")[0]]
    assert session.post(f"{base}/1/create_contact", json={"firstName": "X"}).status_code == 404
    assert session.post(base, json={"vat_number": "1"}).status_code == 422


def test_reference_data_and_images(sandbox, session, truth):
    seasons = session.get(f"{sandbox.url}/seasons").json()["seasons"]
    assert {o["season_id"] for o in truth} <= {s["id"] for s in seasons} and len(seasons) == 3
    channels = session.get(f"{sandbox.url}/channels").json()["channels"]
    assert {"id", "name"} <= set(channels[0])
    image = next(
        i["variation_images"][0] for o in truth for i in o["line_items"] if i["variation_images"]
    )
    assert image.startswith(sandbox.url + "/images/")
    answer = requests.get(image)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/svg+xml"
    assert re.search(rb'fill="#[0-9a-f]{6}"', answer.content)
    assert requests.get(f"{sandbox.url}/images/product/1/x.svg").status_code == 404


def test_request_log_records_api_requests(mutable_sandbox):
    session = login(mutable_sandbox)
    session.get(
        f"{mutable_sandbox.url}/production_orders", params=[("by_season[]", 1), ("page", 2)]
    )
    method, path, query = mutable_sandbox.state.request_log[-1]
    assert (method, path, query) == (
        "GET",
        "/production_orders",
        {"by_season[]": ["1"], "page": ["2"]},
    )


def test_the_management_command_serves_until_terminated():
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "uphance_sandbox",
            "--port",
            "0",
            "--orders",
            "40",
            "--seed",
            "2",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", first).group(0)
        logins = process.stdout.readline() + process.stdout.readline()
        assert "solo@sandbox.test / sandbox" in logins and "multi@sandbox.test" in logins
        assert requests.get(f"{url}/_sandbox/state", timeout=10).json()["seed"] == 2
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "stopped" in process.stdout.read()


def test_manufacturers_have_their_own_speed_and_orders_get_re_dated(sandbox):
    """What forecasts learn from: per-factory speeds differ; a third of dated orders move, mostly later."""
    from statistics import median

    state = sandbox.state
    org = state.organisation(NORTHWIND)
    sewing = {}
    dated = redated = later = earlier = 0
    for i in range(org.order_count):
        plan = state.plan(org, i)
        for line in plan.lines:
            for name, _, start, end in line.stages or ():
                if name == "Sewing" and end - start > 3600:
                    sewing.setdefault(plan.manufacturer_name, []).append((end - start) / 86400)
        if plan.due_ts or plan.in_warehouse_ts:
            dated += 1
            redated += bool(plan.redates)
            later += sum(1 for _, days in plan.redates if days > 0)
            earlier += sum(1 for _, days in plan.redates if days < 0)
    medians = sorted(median(days) for days in sewing.values() if len(days) >= 10)
    assert medians[-1] > 1.8 * medians[0]
    assert 0.15 < redated / dated < 0.45 and later > 2 * earlier > 0
