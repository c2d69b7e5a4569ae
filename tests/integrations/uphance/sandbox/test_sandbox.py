"""The Uphance sandbox over HTTP: auth, per-token organisation, listings, filters, clock, faults."""

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from integrations.uphance.sandbox import NORTHWIND, SOUTHPAW
from tests.integrations.uphance.sandbox.conftest import all_pages, login

REPO = Path(__file__).resolve().parents[4]


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _line_status(item: dict) -> str | None:
    stages = item["production_stages"]
    current = stages.get("current_stage")
    if current is None:
        return "completed" if stages["past_stages"] else None
    return current["status"].lower().replace(" ", "_")


# --- auth ---


def test_password_grant_answers_a_bearer_token_with_refresh_token(sandbox):
    answer = requests.post(
        f"{sandbox.url}/oauth/token",
        json={"email": "solo@sandbox.test", "password": "sandbox", "grant_type": "password"},
    )
    assert answer.status_code == 200
    token = answer.json()
    assert list(token) == [
        "access_token",
        "token_type",
        "expires_in",
        "created_at",
        "refresh_token",
    ]
    assert token["token_type"] == "Bearer" and token["expires_in"] == 604800
    assert abs(token["created_at"] - time.time()) < 60


def test_wrong_credentials_are_refused_with_invalid_grant(sandbox):
    for body in (
        {"email": "solo@sandbox.test", "password": "nope", "grant_type": "password"},
        {"email": "nobody@sandbox.test", "password": "sandbox", "grant_type": "password"},
        {"grant_type": "refresh_token", "refresh_token": "made-up"},
    ):
        answer = requests.post(f"{sandbox.url}/oauth/token", json=body)
        assert answer.status_code == 401
        assert answer.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic c29sbzpzYW5kYm94"])
def test_data_needs_a_valid_bearer_token(sandbox, header):
    headers = {"Authorization": header} if header else {}
    for path in ("/organisations", "/production_orders", "/customers", "/seasons"):
        assert requests.get(sandbox.url + path, headers=headers).status_code == 401


def test_each_login_sees_its_organisations(sandbox):
    solo = login(sandbox, "solo@sandbox.test", org=None).get(f"{sandbox.url}/organisations").json()
    multi = (
        login(sandbox, "multi@sandbox.test", org=None).get(f"{sandbox.url}/organisations").json()
    )
    assert solo == {"organisations": [{"id": NORTHWIND, "name": "Northwind Apparel"}]}
    assert multi == {
        "organisations": [
            {"id": NORTHWIND, "name": "Northwind Apparel"},
            {"id": SOUTHPAW, "name": "Southpaw Studio"},
        ]
    }


def test_the_current_organisation_is_held_per_token(sandbox):
    first = login(sandbox, org=NORTHWIND)
    second = login(sandbox, org=None)
    no_org = second.get(f"{sandbox.url}/production_orders")
    assert no_org.status_code == 422 and "organisation" in no_org.json()["error"]
    assert second.post(
        f"{sandbox.url}/organisations/set_current_org", data={"organizationId": SOUTHPAW}
    ).json() == {"Status": "Updated"}
    north = first.get(f"{sandbox.url}/production_orders").json()["production_orders"]
    south = second.get(f"{sandbox.url}/production_orders").json()["production_orders"]
    assert {o["organisation_id"] for o in north} == {NORTHWIND}
    assert {o["organisation_id"] for o in south} == {SOUTHPAW}
    assert not {o["id"] for o in north} & {o["id"] for o in south}


def test_set_current_org_takes_json_form_or_query_and_refuses_foreign_organisations(sandbox):
    session = login(sandbox, "solo@sandbox.test", org=None)
    url = f"{sandbox.url}/organisations/set_current_org"
    assert session.post(url, json={"organizationId": NORTHWIND}).status_code == 201
    assert session.post(url, data={"organizationId": str(NORTHWIND)}).status_code == 201
    assert session.post(url, params={"organizationId": NORTHWIND}).status_code == 201
    assert session.post(url, json={"organizationId": SOUTHPAW}).status_code == 403
    assert session.post(url, json={}).status_code == 422


def test_expired_tokens_are_refused_and_the_refresh_token_gets_a_new_one(mutable_sandbox):
    session = login(mutable_sandbox)
    assert session.get(f"{mutable_sandbox.url}/seasons").status_code == 200
    assert mutable_sandbox.state.expire_tokens() >= 1
    assert session.get(f"{mutable_sandbox.url}/seasons").status_code == 401
    answer = requests.post(
        f"{mutable_sandbox.url}/oauth/token",
        json={"grant_type": "refresh_token", "refresh_token": session.refresh_token},
    )
    assert answer.status_code == 200
    session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    # A new token starts without a current organisation.
    assert session.get(f"{mutable_sandbox.url}/seasons").status_code == 422
    session.post(
        f"{mutable_sandbox.url}/organisations/set_current_org", json={"organizationId": NORTHWIND}
    )
    assert session.get(f"{mutable_sandbox.url}/seasons").status_code == 200


def refresh_grant(server, refresh_token):
    return requests.post(f"{server.url}/oauth/token",
                         json={"grant_type": "refresh_token", "refresh_token": refresh_token})


def test_refresh_tokens_are_reusable_unless_the_sandbox_revokes_used_ones(mutable_sandbox):
    session = login(mutable_sandbox)
    assert refresh_grant(mutable_sandbox, session.refresh_token).status_code == 200
    assert refresh_grant(mutable_sandbox, session.refresh_token).status_code == 200  # the default: reusable

    switched = requests.post(f"{mutable_sandbox.url}/_sandbox/tokens/rotation",
                             json={"revoke_used_refresh_tokens": True})
    assert switched.json() == {"revoke_used_refresh_tokens": True}
    first = refresh_grant(mutable_sandbox, session.refresh_token)
    assert first.status_code == 200
    again = refresh_grant(mutable_sandbox, session.refresh_token)
    assert again.status_code == 401 and again.json()["error"] == "invalid_grant"  # used once: revoked
    assert refresh_grant(mutable_sandbox, first.json()["refresh_token"]).status_code == 200  # the new one works once
    assert requests.post(f"{mutable_sandbox.url}/_sandbox/tokens/rotation",
                         json={"revoke_used_refresh_tokens": "yes"}).status_code == 422
    mutable_sandbox.state.set_refresh_token_rotation(revoke_used=False)


def test_tokens_expire_after_the_asked_expires_in(mutable_sandbox):
    answer = requests.post(
        f"{mutable_sandbox.url}/oauth/token",
        json={
            "email": "solo@sandbox.test",
            "password": "sandbox",
            "grant_type": "password",
            "expires_in": 1,
        },
    )
    assert answer.json()["expires_in"] == 1
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    assert requests.get(f"{mutable_sandbox.url}/organisations", headers=headers).status_code == 200
    time.sleep(1.1)
    assert requests.get(f"{mutable_sandbox.url}/organisations", headers=headers).status_code == 401


# --- production orders ---


def test_pagination_walks_every_order_once_newest_first(sandbox, session):
    orders, metas = all_pages(session, f"{sandbox.url}/production_orders", "production_orders")
    assert len(orders) == 120 == metas[0]["total_count"]
    assert [m["current_page"] for m in metas] == [1, 2, 3]
    assert metas[0] == {
        "current_page": 1,
        "next_page": 2,
        "prev_page": None,
        "total_pages": 3,
        "total_count": 120,
    }
    assert metas[-1]["next_page"] is None and metas[-1]["prev_page"] == 2
    ids = [o["id"] for o in orders]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    created = [_ts(o["created_at"]) for o in orders]
    assert created == sorted(created, reverse=True)
    beyond = session.get(f"{sandbox.url}/production_orders", params={"page": 9}).json()
    assert beyond["production_orders"] == [] and beyond["meta"]["next_page"] is None


def test_include_stages_adds_production_stages_to_every_line_item_only_when_asked(sandbox, session):
    plain = session.get(f"{sandbox.url}/production_orders").json()["production_orders"]
    staged = session.get(
        f"{sandbox.url}/production_orders", params={"include_stages": "true"}
    ).json()
    assert all("production_stages" not in item for o in plain for item in o["line_items"])
    assert all(
        "production_stages" in item for o in staged["production_orders"] for item in o["line_items"]
    )
    for order in staged["production_orders"]:
        for item in order["line_items"]:
            item.pop("production_stages")
    assert staged["production_orders"] == plain


def test_the_truth_is_the_full_listing_with_stages(sandbox, session):
    listed, _ = all_pages(
        session,
        f"{sandbox.url}/production_orders",
        "production_orders",
        [("include_stages", "true")],
    )
    assert sandbox.state.truth_production_orders(NORTHWIND) == listed
    stats = sandbox.state.stats()[NORTHWIND]
    assert stats["production_orders"] == len(listed)
    assert stats["line_items"] == sum(len(o["line_items"]) for o in listed)


@pytest.fixture(scope="module")
def truth(sandbox):
    return sandbox.state.truth_production_orders(NORTHWIND)


def _expected_filters(truth):
    order = truth[len(truth) // 2]
    company = truth[3]["company_id"]
    season = truth[7]["season_id"]
    product = truth[11]["line_items"][0]
    cutoff = datetime.fromisoformat(truth[40]["created_at"]).astimezone(UTC).date()
    return {
        "since_id": ([("since_id", order["id"])], lambda o: o["id"] > order["id"]),
        "since_created_at": (
            [("since_created_at", cutoff.strftime("%d/%m/%Y"))],
            lambda o: datetime.fromisoformat(o["created_at"]).astimezone(UTC).date() >= cutoff,
        ),
        "by_season": ([("by_season[]", season)], lambda o: o["season_id"] == season),
        "by_company": (
            [("by_company[]", company), ("by_company[]", 59576)],
            lambda o: o["company_id"] in (company, 59576),
        ),
        "by_warehouse_name": (
            [("by_warehouse[]", "Leeds DC")],
            lambda o: "Leeds DC" in o["warehouses"],
        ),
        "by_warehouse_id": (
            [("by_warehouse[]", 3202), ("by_warehouse[]", 3203)],
            lambda o: {"Leeds DC", "Porto Hub"} & set(o["warehouses"]),
        ),
        "by_state": (
            [("by_state[]", "draft"), ("by_state[]", "cancelled")],
            lambda o: o["status"] in ("DRAFT", "CANCELLED"),
        ),
        "by_delivery_status": (
            [("by_delivery_status[]", "all_received")],
            lambda o: o["delivery_status"] == "All Received",
        ),
        "by_q_product": (
            [("by_q", product["product_name"].upper())],
            lambda o: (
                any(
                    product["product_name"].lower() in i["product_name"].lower()
                    or product["product_name"].lower() in i["product_identifier"].lower()
                    for i in o["line_items"]
                )
                or product["product_name"].lower() in o["company_name"].lower()
            ),
        ),
        "by_q_number": (
            [("by_q", order["production_order_number"])],
            lambda o: order["production_order_number"] in o["production_order_number"],
        ),
        "by_stage_status_in_progress": (
            [("by_stage_status", "in_progress")],
            lambda o: any(_line_status(i) == "in_progress" for i in o["line_items"]),
        ),
        "by_stage_status_pending": (
            [("by_stage_status", "pending")],
            lambda o: any(
                _line_status(i) in ("in_progress", "not_started") for i in o["line_items"]
            ),
        ),
        "by_stage_status_completed": (
            [("by_stage_status", "completed")],
            lambda o: any(_line_status(i) == "completed" for i in o["line_items"]),
        ),
        "by_stage_name_completed": (
            [("by_stage_name[]", "Sewing"), ("by_stage_status", "completed")],
            lambda o: any(
                s.get("name") == "Sewing" and s.get("status") == "Completed"
                for i in o["line_items"]
                for s in [i["production_stages"].get("current_stage") or {}]
                + i["production_stages"]["past_stages"]
            ),
        ),
    }


FILTERS = [
    "since_id",
    "since_created_at",
    "by_season",
    "by_company",
    "by_warehouse_name",
    "by_warehouse_id",
    "by_state",
    "by_delivery_status",
    "by_q_product",
    "by_q_number",
    "by_stage_status_in_progress",
    "by_stage_status_pending",
    "by_stage_status_completed",
    "by_stage_name_completed",
]


@pytest.mark.parametrize("name", FILTERS)
def test_each_filter_returns_exactly_the_matching_orders(sandbox, session, truth, name):
    params, predicate = _expected_filters(truth)[name]
    expected = [o["id"] for o in truth if predicate(o)]
    got, metas = all_pages(
        session,
        f"{sandbox.url}/production_orders",
        "production_orders",
        [("include_stages", "true"), *params],
    )
    assert [o["id"] for o in got] == expected
    assert metas[0]["total_count"] == len(expected)
    assert 0 < len(expected) < len(truth) or name == "by_q_number"


def test_stage_name_filter_knows_the_organisations_stage_sequence(sandbox, session, truth):
    url = f"{sandbox.url}/production_orders"
    washing = session.get(
        url, params={"include_stages": "true", "by_stage_name[]": "Washing"}
    ).json()
    visible = {
        o["id"]
        for o in truth
        for i in o["line_items"]
        for s in [i["production_stages"].get("current_stage") or {}]
        + i["production_stages"]["past_stages"]
        if s.get("name") == "Washing"
    }
    assert visible <= {
        o["id"]
        for o in all_pages(
            session,
            url,
            "production_orders",
            [("include_stages", "true"), ("by_stage_name[]", "Washing")],
        )[0]
    }
    assert 0 < washing["meta"]["total_count"] < len(truth)
    # Southpaw's sequence has no Washing; Northwind's has no Embroidery.
    none = session.get(
        url, params={"include_stages": "true", "by_stage_name[]": "Embroidery"}
    ).json()
    assert none["meta"]["total_count"] == 0


def test_stage_filters_need_include_stages_and_valid_values(sandbox, session):
    url = f"{sandbox.url}/production_orders"
    assert (
        session.get(url, params={"by_stage_status": "completed"}).json()["meta"]["total_count"]
        == 120
    )
    assert (
        session.get(url, params={"include_stages": "true", "by_stage_status": "done"}).status_code
        == 422
    )
    assert session.get(url, params={"since_created_at": "2026-01-01"}).status_code == 422


def test_record_quirks_of_the_seeds_appear_in_a_share_of_records(truth):
    items = [i for o in truth for i in o["line_items"]]
    assert any("Product_cover_image" in i for i in items) and any(
        "product_cover_image" in i for i in items
    )
    assert any(i["product_brand"] is None for i in items)
    stamps = [
        s
        for i in items
        for s in [i["production_stages"].get("current_stage") or {}]
        + i["production_stages"]["past_stages"]
        if s.get("start_time")
    ]
    assert {s["start_time"][-6:] for s in stamps if not s["start_time"].endswith("Z")} >= {
        "+01:00",
        "+05:30",
    }
    assert any(s["start_time"].endswith("Z") for s in stamps)
    assert any("current_stage" not in i["production_stages"] for i in items)
    assert any(i["production_stages"].get("current_stage", 0) is None for i in items)
    assert any(
        i["production_stages"] in ({"current_stage": None, "past_stages": []}, {"past_stages": []})
        for i in items
    )
    assert any(
        len(p := i["production_stages"]["past_stages"]) >= 2
        and p[0]["start_time"] > p[1]["start_time"]
        for i in items
    )
    assert {o["status"] for o in truth} == {"DRAFT", "CONFIRMED", "COMPLETE", "CANCELLED"}
    assert {o["delivery_status"] for o in truth} == {"Not Received", "Receiving", "All Received"}
    assert any(o["due_date"] is None for o in truth) and any(o["due_date"] for o in truth)
    assert len({o["company_id"] for o in truth}) >= 10


# --- timelines ---


def test_single_timeline_matches_the_listing_and_unknown_ids_are_404(sandbox, session, truth):
    item = truth[20]["line_items"][-1]
    answer = session.get(
        f"{sandbox.url}/production_order_line_items/{item['id']}/production_timeline"
    )
    timeline = answer.json()["production_order_line_item"]
    assert timeline["id"] == item["id"]
    assert timeline["production_stages"] == item["production_stages"]
    assert list(timeline) == [
        "id",
        "product_id",
        "product_name",
        "product_identifier",
        "variation_id",
        "color",
        "unit_tax",
        "tax_level",
        "unit_price",
        "original_price",
        "percentage_discount",
        "production_stages",
    ]
    for missing in (1, item["id"] + 9, 999_999_999):
        assert (
            session.get(
                f"{sandbox.url}/production_order_line_items/{missing}/production_timeline"
            ).status_code
            == 404
        )
    south = login(sandbox, org=SOUTHPAW)  # another organisation's line item is not found either
    assert (
        south.get(
            f"{sandbox.url}/production_order_line_items/{item['id']}/production_timeline"
        ).status_code
        == 404
    )


def test_bulk_timeline_by_ids_in_both_syntaxes(sandbox, session, truth):
    items = {i["id"]: (o["id"], i) for o in truth[:4] for i in o["line_items"]}
    ids = list(items)
    url = f"{sandbox.url}/production_order_line_items/production_timeline_bulk"
    comma = session.get(url, params={"ids": ",".join(map(str, ids + [1]))}).json()
    brackets = session.get(url, params=[("ids[]", i) for i in ids]).json()
    assert comma == brackets
    assert comma["meta"]["total_count"] == len(ids)
    for timeline in comma["production_order_line_items"]:
        order_id, item = items[timeline["id"]]
        assert timeline["production_order_id"] == order_id
        assert timeline["production_stages"] == item["production_stages"]


def test_bulk_timeline_pages_by_100_and_filters_by_stage(sandbox, session, truth):
    url = f"{sandbox.url}/production_order_line_items/production_timeline_bulk"
    every, metas = all_pages(session, url, "production_order_line_items")
    all_items = [i for o in truth for i in o["line_items"]]
    assert [t["id"] for t in every] == [i["id"] for i in all_items]
    assert len(metas) == -(-len(all_items) // 100) and all(
        len(every[k * 100 : (k + 1) * 100]) for k in range(len(metas))
    )
    completed, _ = all_pages(
        session, url, "production_order_line_items", [("by_stage_status", "completed")]
    )
    assert [t["id"] for t in completed] == [
        i["id"] for i in all_items if _line_status(i) == "completed"
    ]
    cutting, _ = all_pages(
        session,
        url,
        "production_order_line_items",
        [("by_stage_name[]", "Cutting"), ("by_stage_status", "in_progress")],
    )
    assert [t["id"] for t in cutting] == [
        i["id"]
        for i in all_items
        if (i["production_stages"].get("current_stage") or {}).get("name") == "Cutting"
        and i["production_stages"]["current_stage"]["status"] == "In Progress"
    ]
