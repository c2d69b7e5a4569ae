"""UphanceClient over a faked transport: connection, filters, pagination, retries, parsing."""
import json
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import unquote, urlsplit

import pytest
import requests
import responses

from integrations.uphance import (
    AuthExpired,
    BadPayload,
    ClientError,
    InvalidCredentials,
    NotFound,
    RateLimited,
    ServerError,
    Tokens,
    TransportError,
    UphanceError,
    backoff_delay,
)
from tests.support.seed_examples import seed_example

from .conftest import BASE, NOW

PRODUCTION_ORDERS = f"{BASE}/production_orders"
TOKEN = f"{BASE}/oauth/token"
SET_ORG = f"{BASE}/organisations/set_current_org"


def query(call) -> str:
    """The query string as sent, percent-decoding undone (requests always encodes [ and ])."""
    return unquote(urlsplit(call.request.url).query)


def body(call) -> dict:
    return json.loads(call.request.body)


def orders_page(ids, *, current=1, next_page=None, total_pages=1):
    return {
        "production_orders": [{"id": i, "status": "CONFIRMED", "line_items": []} for i in ids],
        "meta": {
            "current_page": current,
            "next_page": next_page,
            "prev_page": current - 1 or None,
            "total_pages": total_pages,
            "total_count": 5,
        },
    }


# --- connection ----------------------------------------------------------------------------------

def test_authenticate_stores_tokens_reports_them_and_sets_the_organisation(rsps, make_client):
    rsps.post(TOKEN, json={
        "access_token": "new-access", "token_type": "Bearer", "expires_in": 604800,
        "refresh_token": "new-refresh", "created_at": 1746100800,
    })
    rsps.post(SET_ORG, status=201, json={"Status": "Updated"})
    seen = []
    client = make_client(tokens=None, on_tokens=seen.append)

    tokens = client.authenticate(email="ops@brand.test", password="s3cret", expires_in=604800)

    assert body(rsps.calls[0]) == {
        "email": "ops@brand.test", "password": "s3cret", "grant_type": "password",
        "expires_in": 604800,
    }
    assert "Authorization" not in rsps.calls[0].request.headers
    assert tokens == Tokens(
        "new-access", "new-refresh", datetime(2025, 5, 8, 12, 0, tzinfo=UTC)
    )
    assert seen == [tokens]
    assert rsps.calls[1].request.headers["Authorization"] == "Bearer new-access"
    assert body(rsps.calls[1]) == {"organizationId": 35802}
    assert "organizationId=35802" in query(rsps.calls[1])
    assert "s3cret" not in repr(tokens) and "new-access" not in repr(tokens)


def test_connection_flow_lists_organisations_then_sets_the_chosen_one(rsps, make_client):
    rsps.post(TOKEN, json={"access_token": "a1", "token_type": "Bearer", "expires_in": 31536000,
                           "created_at": 1542214280})
    rsps.get(f"{BASE}/organisations", json=seed_example("organisations"))
    rsps.post(SET_ORG, status=201, json=seed_example("set_current_org"))
    client = make_client(tokens=None, organisation_id=None)

    tokens = client.authenticate(email="ops@brand.test", password="pw")
    organisations = client.organisations()
    client.set_current_organisation(organisations[0].id)

    assert tokens.refresh_token is None  # older answers carry none
    assert tokens.expires_at == datetime(2018, 11, 14, 16, 51, 20, tzinfo=UTC) + timedelta(
        seconds=31536000
    )
    assert [(o.id, o.name) for o in organisations] == [(9579, "Uphance Demo")]
    assert [c.request.method + " " + urlsplit(c.request.url).path for c in rsps.calls] == [
        "POST /oauth/token", "GET /organisations", "POST /organisations/set_current_org",
    ]
    assert client.organisation_id == 9579


@pytest.mark.parametrize("status", [400, 401])
def test_wrong_password_is_invalid_credentials_in_one_line(rsps, make_client, status):
    rsps.post(TOKEN, status=status, json={
        "error": "invalid_grant",
        "error_description": "The provided authorization grant is invalid",
    })
    client = make_client(tokens=None)

    with pytest.raises(InvalidCredentials) as caught:
        client.authenticate(email="ops@brand.test", password="wrong")

    message = str(caught.value)
    assert "\n" not in message and "wrong" not in message and "e-mail or password" in message
    assert client.tokens is None


def test_401_refreshes_once_sets_the_organisation_again_and_retries(rsps, make_client):
    rsps.get(PRODUCTION_ORDERS, status=401, json={"error": "invalid_token"})
    rsps.post(TOKEN, json={"access_token": "tok-2", "refresh_token": "ref-2", "expires_in": 3600,
                           "created_at": int(NOW.timestamp())})
    rsps.post(SET_ORG, status=201, json={"Status": "Updated"})
    rsps.get(PRODUCTION_ORDERS, json=orders_page([1, 2]))
    seen = []
    client = make_client(on_tokens=seen.append)

    orders = list(client.production_orders())

    assert [o.id for o in orders] == [1, 2]
    calls = [(c.request.method, urlsplit(c.request.url).path,
              c.request.headers.get("Authorization")) for c in rsps.calls]
    assert calls == [
        ("GET", "/production_orders", "Bearer tok-1"),
        ("POST", "/oauth/token", None),
        ("POST", "/organisations/set_current_org", "Bearer tok-2"),
        ("GET", "/production_orders", "Bearer tok-2"),
    ]
    assert body(rsps.calls[1]) == {"grant_type": "refresh_token", "refresh_token": "ref-1"}
    assert seen == [Tokens("tok-2", "ref-2", NOW + timedelta(hours=1))]
    assert client.request_count == 4


@pytest.mark.parametrize("refresh_status", [400, 401])
def test_401_with_refused_refresh_is_auth_expired(rsps, make_client, refresh_status):
    rsps.get(PRODUCTION_ORDERS, status=401)
    rsps.post(TOKEN, status=refresh_status, json={"error": "invalid_grant"})
    seen = []
    client = make_client(on_tokens=seen.append)

    with pytest.raises(AuthExpired, match="reconnect needed"):
        list(client.production_orders())
    assert seen == []


def test_401_without_refresh_token_is_auth_expired_without_trying(rsps, make_client):
    rsps.get(PRODUCTION_ORDERS, status=401)
    client = make_client(tokens=Tokens("tok-1", None, None))

    with pytest.raises(AuthExpired, match="reconnect needed"):
        list(client.production_orders())
    assert len(rsps.calls) == 1


def test_on_auth_expired_hears_once_of_a_token_that_cannot_be_refreshed(rsps, make_client):
    rsps.get(PRODUCTION_ORDERS, status=401)
    rsps.post(TOKEN, status=400, json={"error": "invalid_grant"})
    heard = []
    client = make_client(on_auth_expired=heard.append)

    with pytest.raises(AuthExpired) as raised:
        list(client.production_orders())
    assert heard == [raised.value]  # the refresh grant and the request fail with one error, told once
    with pytest.raises(AuthExpired):
        client.refresh_tokens()
    assert len(heard) == 2


def test_on_auth_expired_is_not_told_of_a_refresh_that_worked(rsps, make_client):
    rsps.get(PRODUCTION_ORDERS, status=401)
    rsps.get(PRODUCTION_ORDERS, json=orders_page([1]))
    rsps.post(TOKEN, json={"access_token": "tok-2", "expires_in": 3600})
    rsps.post(SET_ORG, status=201, json={"Status": "Updated"})
    heard = []

    assert [o.id for o in make_client(on_auth_expired=heard.append).production_orders()] == [1]
    assert heard == []


def test_on_refresh_may_hand_back_tokens_another_process_refreshed(rsps, make_client):
    rsps.get(PRODUCTION_ORDERS, status=401)
    rsps.get(PRODUCTION_ORDERS, json=orders_page([1]))
    asked = []

    def on_refresh(stale, grant):
        asked.append(stale.access_token)
        return Tokens("tok-from-elsewhere", "ref-from-elsewhere", None)

    client = make_client(on_refresh=on_refresh)
    assert [o.id for o in client.production_orders()] == [1]
    assert asked == ["tok-1"] and len(rsps.calls) == 2  # no refresh grant sent
    assert rsps.calls[1].request.headers["Authorization"] == "Bearer tok-from-elsewhere"


def test_401_again_after_a_refresh_is_auth_expired(rsps, make_client):
    rsps.get(PRODUCTION_ORDERS, status=401)
    rsps.post(TOKEN, json={"access_token": "tok-2", "expires_in": 3600})
    rsps.post(SET_ORG, status=201, json={"Status": "Updated"})

    with pytest.raises(AuthExpired):
        list(make_client().production_orders())
    assert len(rsps.calls) == 4  # GET, refresh, set org, GET: one refresh only


def test_expired_token_is_refreshed_before_the_request(rsps, make_client):
    rsps.post(TOKEN, json={"access_token": "tok-2", "refresh_token": "ref-2", "expires_in": 60,
                           "created_at": int(NOW.timestamp())})
    rsps.post(SET_ORG, status=201, json={"Status": "Updated"})
    rsps.get(f"{BASE}/seasons", json={"seasons": [{"id": 12864, "name": "SS25"}]})
    client = make_client(tokens=Tokens("tok-1", "ref-1", NOW - timedelta(seconds=1)))

    seasons = client.seasons()

    assert [s.name for s in seasons] == ["SS25"]
    assert [urlsplit(c.request.url).path for c in rsps.calls] == [
        "/oauth/token", "/organisations/set_current_org", "/seasons",
    ]
    assert rsps.calls[2].request.headers["Authorization"] == "Bearer tok-2"


# --- filters and endpoints -----------------------------------------------------------------------

FILTERS = [
    ("production_order_pages", {}, "/production_orders", ""),
    ("production_order_pages", {"since_id": 23620}, "/production_orders", "since_id=23620"),
    ("production_order_pages", {"since_created_at": date(2025, 3, 5)}, "/production_orders",
     "since_created_at=05/03/2025"),
    ("production_order_pages", {"seasons": [12864, 12328]}, "/production_orders",
     "by_season[]=12864&by_season[]=12328"),
    ("production_order_pages", {"warehouses": [4, 5]}, "/production_orders",
     "by_warehouse[]=4&by_warehouse[]=5"),
    ("production_order_pages", {"companies": [59576, 59578]}, "/production_orders",
     "by_company[]=59576&by_company[]=59578"),
    ("production_order_pages", {"states": ["confirmed", "COMPLETE"]}, "/production_orders",
     "by_state[]=confirmed&by_state[]=complete"),
    ("production_order_pages", {"delivery_statuses": ["All Received", "not_received"]},
     "/production_orders", "by_delivery_status[]=all_received&by_delivery_status[]=not_received"),
    ("production_order_pages", {"q": "knit sweater"}, "/production_orders", "by_q=knit+sweater"),
    ("production_order_pages", {"include_stages": True}, "/production_orders",
     "include_stages=true"),
    ("production_order_pages", {"include_stages": True, "stage_status": "In Progress"},
     "/production_orders", "include_stages=true&by_stage_status=in_progress"),
    # stage filters need include_stages=true, so they bring it along
    ("production_order_pages", {"stage_names": ["Cutting", "Sewing"]}, "/production_orders",
     "include_stages=true&by_stage_name[]=Cutting&by_stage_name[]=Sewing"),
    ("production_order_pages", {"stage_status": "pending", "stage_names": ["Packing"]},
     "/production_orders", "include_stages=true&by_stage_status=pending&by_stage_name[]=Packing"),
    ("production_order_pages", {"start_page": 3}, "/production_orders", "page=3"),
    ("production_timeline_bulk_pages", {"ids": [141953, 141951, 142101]},
     "/production_order_line_items/production_timeline_bulk", "ids=141953,141951,142101"),
    ("production_timeline_bulk_pages", {"stage_status": "completed"},
     "/production_order_line_items/production_timeline_bulk", "by_stage_status=completed"),
    ("production_timeline_bulk_pages", {"stage_names": ["Cutting", "Sewing"]},
     "/production_order_line_items/production_timeline_bulk",
     "by_stage_name[]=Cutting&by_stage_name[]=Sewing"),
    ("sales_order_pages", {"since_id": 12500}, "/sales_orders", "since_id=12500"),
    ("sales_order_pages", {"purchase_order_ref": "PO 0000001"}, "/sales_orders",
     "by_purchase_order_ref=PO+0000001"),
    ("sales_order_pages", {"shipment_number": "S-1181"}, "/sales_orders",
     "by_shipment_number=S-1181"),
    ("sales_order_pages", {"order_number": "1181"}, "/sales_orders", "by_order_number=1181"),
    ("customer_pages", {"status": "inactive"}, "/customers", "by_status=inactive"),
    ("customer_pages", {"status": "all"}, "/customers", "by_status=all"),
    ("customer_pages", {"agents_contact": "agent@agency.test"}, "/customers",
     "by_agents_contact=agent@agency.test"),
    ("customer_pages", {"agents_contact": "9876543210"}, "/customers",
     "by_agents_contact=9876543210"),
]
ENVELOPES = {
    "/production_orders": "production_orders",
    "/production_order_line_items/production_timeline_bulk": "production_order_line_items",
    "/sales_orders": "sales_orders",
    "/customers": "customers",
}


@pytest.mark.parametrize(("method", "filters", "path", "expected"), FILTERS)
def test_every_filter_reaches_the_query_string(rsps, make_client, method, filters, path,
                                                expected):
    rsps.get(f"{BASE}{path}", json={ENVELOPES[path]: [{"id": 7}]})

    pages = list(getattr(make_client(), method)(**filters))

    assert [r.id for r in pages[0].records] == [7]
    assert query(rsps.calls[0]) == expected
    assert urlsplit(rsps.calls[0].request.url).path == path


def test_long_bulk_timeline_id_lists_are_sent_in_batches(rsps, make_client):
    bulk = f"{BASE}/production_order_line_items/production_timeline_bulk"
    rsps.get(bulk, json={"production_order_line_items": [{"id": 1, "production_order_id": 9},
                                                          {"id": 2, "production_order_id": 9}]})
    rsps.get(bulk, json={"production_order_line_items": [{"id": 3, "production_order_id": 8}]})
    client = make_client()
    client.bulk_ids_per_request = 2

    pages = list(client.production_timeline_bulk_pages(ids=[1, 2, 3], stage_status="pending"))

    assert [(r.id, r.production_order_id) for page in pages for r in page.records] == [
        (1, 9), (2, 9), (3, 8),
    ]
    assert [query(c) for c in rsps.calls] == [
        "ids=1,2&by_stage_status=pending", "ids=3&by_stage_status=pending",
    ]


def test_customer_status_outside_the_documented_values_is_refused(make_client):
    with pytest.raises(ValueError, match="active"):
        make_client().customer_pages(status="archived")


@pytest.mark.parametrize("wrapped", [True, False], ids=["wrapped", "bare"])
@pytest.mark.parametrize(
    ("method", "argument", "path", "key"),
    [
        ("production_timeline", 140828,
         "/production_order_line_items/140828/production_timeline", "production_order_line_item"),
        ("sales_order", 862329, "/sales_orders/862329", "sales_order"),
        ("customer", 985765, "/customers/985765", "customer"),
        ("customer_by_email", "buyer@shop.test", "/customers/buyer@shop.test", "customer"),
    ],
)
def test_single_record_endpoints_accept_bare_or_wrapped_objects(rsps, make_client, method,
                                                                 argument, path, key, wrapped):
    record = {"id": 41, "name": "Rosa Stork"}
    rsps.get(f"{BASE}{path}", json={key: record} if wrapped else record)

    result = getattr(make_client(), method)(argument)

    assert result.id == 41
    assert unquote(urlsplit(rsps.calls[0].request.url).path) == path


@pytest.mark.parametrize(
    ("method", "args", "path", "answer", "expected"),
    [
        ("organisations", (), "/organisations",
         {"organisations": [{"id": 35802, "name": "Northwind"}]}, [35802]),
        ("seasons", (), "/seasons", {"seasons": [{"id": 1, "name": "SS25"}]}, [1]),
        ("channels", (), "/channels", {"channels": [{"id": 11953, "name": "Wholesale(CAD)"}]},
         [11953]),
        ("customer_contacts", (985765,), "/customers/985765/contacts",
         {"contacts": [{"id": 1090940, "customer_id": 985765, "first_name": "Ship"}]}, [1090940]),
        ("customer_contacts", (985765,), "/customers/985765/contacts",
         [{"id": 1090941, "customer_id": 985765}], [1090941]),
        ("customer_addresses", (985765,), "/customers/985765/addresses",
         {"addresses": [{"id": 794949, "customer_id": 985765, "postcode": 45149}]}, [794949]),
    ],
)
def test_list_endpoints(rsps, make_client, method, args, path, answer, expected):
    rsps.get(f"{BASE}{path}", json=answer)

    records = getattr(make_client(), method)(*args)

    assert [r.id for r in records] == expected


@pytest.mark.parametrize(
    ("method", "args", "example", "path"),
    [
        ("sales_order_create", (), "sales_order_create_request", "/sales_orders"),
        ("customer_create", (), "customer_create_request", "/customers"),
        ("customer_contact_create", (985765,), "customer_contact_create_request",
         "/customers/985765/create_contact"),
        ("customer_address_create", (985765,), "customer_address_create_request",
         "/customers/985765/create_address"),
    ],
)
def test_create_endpoints_post_the_payload(rsps, make_client, method, args, example, path):
    payload = seed_example(example)
    rsps.post(f"{BASE}{path}", status=201, json={"id": 99})

    answer = getattr(make_client(), method)(*args, payload)

    assert answer == {"id": 99}
    call = rsps.calls[0]
    assert call.request.method == "POST" and urlsplit(call.request.url).path == path
    assert body(call) == payload
    assert call.request.headers["Authorization"] == "Bearer tok-1"
    assert call.request.headers["Content-Type"] == "application/json"


def test_a_refused_create_is_a_client_error_with_a_redacted_body(rsps, make_client):
    rsps.post(f"{BASE}/customers", status=422,
              json={"errors": {"email": ["jon.doe@shop.test is taken"]}})

    with pytest.raises(ClientError) as caught:
        make_client().customer_create({"name": "Jon"})

    assert caught.value.status == 422
    assert "jon.doe@shop.test" not in caught.value.body and "is taken" in caught.value.body


def test_a_create_is_not_resent_after_a_server_error(rsps, make_client):
    rsps.post(f"{BASE}/sales_orders", status=502)

    with pytest.raises(ServerError):
        make_client().sales_order_create({"customerId": 1})
    assert len(rsps.calls) == 1


def test_missing_record_is_not_found(rsps, make_client):
    rsps.get(f"{BASE}/sales_orders/1", status=404, json={"error": "Not found"})

    with pytest.raises(NotFound):
        make_client().sales_order(1)


# --- pagination ----------------------------------------------------------------------------------

def test_pages_follow_meta_next_page(rsps, make_client):
    rsps.get(PRODUCTION_ORDERS, json=orders_page([1, 2], current=1, next_page=2, total_pages=3))
    rsps.get(PRODUCTION_ORDERS, json=orders_page([3, 4], current=2, next_page=3, total_pages=3))
    rsps.get(PRODUCTION_ORDERS, json=orders_page([5], current=3, next_page=None, total_pages=3))

    pages = list(make_client().production_order_pages(include_stages=True))

    assert [[o.id for o in p.records] for p in pages] == [[1, 2], [3, 4], [5]]
    assert [(p.number, p.next_page, p.total_pages, p.total_count) for p in pages] == [
        (1, 2, 3, 5), (2, 3, 3, 5), (3, None, 3, 5),
    ]
    assert [query(c) for c in rsps.calls] == [
        "include_stages=true", "include_stages=true&page=2", "include_stages=true&page=3",
    ]


def test_a_response_without_meta_is_a_single_page(rsps, make_client):
    rsps.get(PRODUCTION_ORDERS, json={"production_orders": [{"id": 1}, {"id": 2}]})

    pages = list(make_client().production_order_pages())

    assert len(pages) == 1 and len(rsps.calls) == 1
    assert (pages[0].number, pages[0].next_page, pages[0].total_count) == (1, None, None)


def test_page_cap_stops_an_endless_listing(rsps, make_client):
    for number in range(1, 5):
        rsps.get(PRODUCTION_ORDERS, json=orders_page([number], current=number,
                                                     next_page=number + 1, total_pages=99))
    client = make_client(page_cap=3)

    with pytest.raises(UphanceError, match="more than 3 pages"):
        list(client.production_orders())
    assert len(rsps.calls) == 3


def test_pages_are_fetched_lazily_one_at_a_time(rsps, make_client):
    rsps.get(PRODUCTION_ORDERS, json=orders_page([1], current=1, next_page=2, total_pages=2))
    rsps.get(PRODUCTION_ORDERS, json=orders_page([2], current=2, next_page=None, total_pages=2))

    pages = make_client().production_order_pages()
    first = next(pages)

    assert [o.id for o in first.records] == [1] and len(rsps.calls) == 1


# --- retries -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("retry_after", "slept"),
    [
        ("7", 7.0),
        ("60", 60.0),  # up to max_retry_after the client waits itself
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(minutes=1), usegmt=True), 0.0),
    ],
    ids=["seconds", "seconds-at-the-cap", "http-date", "http-date-past"],
)
def test_429_waits_for_retry_after(rsps, make_client, fake_time, retry_after, slept):
    rsps.get(PRODUCTION_ORDERS, status=429, headers={"Retry-After": retry_after})
    rsps.get(PRODUCTION_ORDERS, json=orders_page([1]))

    orders = list(make_client(max_retry_after=60.0).production_orders())

    assert [o.id for o in orders] == [1]
    assert fake_time.sleeps == [pytest.approx(slept)]


@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [("600", 600.0), ("61", 61.0), (format_datetime(NOW + timedelta(minutes=10), usegmt=True), 600.0)],
    ids=["ten-minutes", "just-past-the-cap", "http-date"],
)
def test_429_asking_to_wait_past_the_cap_is_rate_limited_at_once(rsps, make_client, fake_time, retry_after, seconds):
    rsps.get(PRODUCTION_ORDERS, status=429, headers={"Retry-After": retry_after})
    rsps.get(PRODUCTION_ORDERS, json=orders_page([1]))

    with pytest.raises(RateLimited) as caught:
        list(make_client(max_retry_after=60.0).production_orders())

    assert caught.value.retry_after == pytest.approx(seconds)
    assert len(rsps.calls) == 1 and fake_time.sleeps == []  # no retry inside the ban window


def test_429_without_retry_after_backs_off(rsps, make_client, fake_time):
    rsps.get(PRODUCTION_ORDERS, status=429)
    rsps.get(PRODUCTION_ORDERS, json=orders_page([1]))

    list(make_client().production_orders())

    assert fake_time.sleeps == [0.25]


def test_429_every_time_is_rate_limited(rsps, make_client, fake_time):
    rsps.get(PRODUCTION_ORDERS, status=429, headers={"Retry-After": "2"})

    with pytest.raises(RateLimited) as caught:
        list(make_client(max_retries=2).production_orders())

    assert caught.value.retry_after == 2.0
    assert fake_time.sleeps == [2.0, 2.0] and len(rsps.calls) == 3


def test_server_errors_are_retried_with_backoff(rsps, make_client, fake_time):
    rsps.get(PRODUCTION_ORDERS, status=502)
    rsps.get(PRODUCTION_ORDERS, status=503)
    rsps.get(PRODUCTION_ORDERS, json=orders_page([1]))

    orders = list(make_client().production_orders())

    assert [o.id for o in orders] == [1]
    assert fake_time.sleeps == [0.25, 0.5]  # the injected backoff for attempts 0 and 1


def test_retries_run_out_on_a_server_error(rsps, make_client, fake_time):
    rsps.get(PRODUCTION_ORDERS, status=500)
    client = make_client(max_retries=3)

    with pytest.raises(ServerError) as caught:
        list(client.production_orders())

    assert caught.value.status == 500
    assert client.request_count == 4 and len(fake_time.sleeps) == 3


def test_a_timeout_is_retried(rsps, make_client, fake_time):
    rsps.get(PRODUCTION_ORDERS, body=requests.exceptions.ReadTimeout("read timed out"))
    rsps.get(PRODUCTION_ORDERS, json=orders_page([1]))

    orders = list(make_client().production_orders())

    assert [o.id for o in orders] == [1] and fake_time.sleeps == [0.25]


def test_connection_errors_become_a_transport_error(rsps, make_client):
    rsps.get(PRODUCTION_ORDERS, body=requests.exceptions.ConnectionError("refused"))

    with pytest.raises(TransportError):
        list(make_client(max_retries=1).production_orders())
    assert len(rsps.calls) == 2


def test_backoff_is_exponential_with_full_jitter():
    assert [backoff_delay(n, rand=lambda: 1.0) for n in range(8)] == [
        0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0,
    ]
    assert backoff_delay(5, rand=lambda: 0.0) == 0.0
    assert 0.0 <= backoff_delay(3) < 4.0


# --- politeness ----------------------------------------------------------------------------------

def test_rate_limiter_spaces_requests(rsps, make_client, fake_time):
    rsps.get(PRODUCTION_ORDERS, json=orders_page([1], current=1, next_page=2, total_pages=3))
    rsps.get(PRODUCTION_ORDERS, json=orders_page([2], current=2, next_page=3, total_pages=3))
    rsps.get(PRODUCTION_ORDERS, json=orders_page([3], current=3, next_page=None, total_pages=3))
    client = make_client(max_requests_per_second=4)

    list(client.production_orders())

    assert fake_time.sleeps == [pytest.approx(0.25), pytest.approx(0.25)]


def test_rate_limiter_does_not_wait_when_requests_are_already_slow(rsps, make_client, fake_time):
    rsps.get(f"{BASE}/seasons", json={"seasons": []})
    client = make_client(max_requests_per_second=4)

    client.seasons()
    fake_time.now += 1.0  # the caller spent a second elsewhere
    client.seasons()
    fake_time.now += 0.1
    client.seasons()

    assert fake_time.sleeps == [pytest.approx(0.15)]


@pytest.mark.parametrize("limit", [0, None])
def test_rate_limiter_off(rsps, make_client, fake_time, limit):
    rsps.get(f"{BASE}/seasons", json={"seasons": []})
    client = make_client(max_requests_per_second=limit)

    for _ in range(3):
        client.seasons()

    assert fake_time.sleeps == []


# --- malformed answers ---------------------------------------------------------------------------

def test_a_trailing_comma_is_repaired(rsps, make_client):
    broken = (
        '{"production_order_line_item": {"id": 140828, "comments": "a, }", '
        '"production_stages": {"past_stages": [], "current_stage": null},}}'
    )
    rsps.get(f"{BASE}/production_order_line_items/140828/production_timeline", body=broken)

    item = make_client().production_timeline(140828)

    assert item.id == 140828 and item.comments == "a, }" and item.current_stage is None


def test_a_body_that_is_not_json_is_a_bad_payload(rsps, make_client):
    rsps.get(PRODUCTION_ORDERS, body='{"production_orders": [{"id": 1, "notes": "x"')

    with pytest.raises(BadPayload) as caught:
        list(make_client().production_order_pages())

    assert caught.value.record_type == "page" and "not valid JSON" in caught.value.message


def test_one_bad_record_is_reported_and_the_rest_of_the_page_kept(rsps, make_client):
    good = seed_example("production_orders_with_stages")["production_orders"][0]
    bad = json.loads(json.dumps(good))
    bad["id"] = 23622
    stage = bad["line_items"][0]["production_stages"]["current_stage"]
    stage["start_time"] = "ask planner@brand.test, token 0123456789abcdef0123456789abcdef99"
    rsps.get(PRODUCTION_ORDERS, json={"production_orders": [good, bad, {"id": 23623}]})
    client = make_client()

    (page,) = client.production_order_pages(include_stages=True)

    assert [o.id for o in page.records] == [23621, 23623]
    (error,) = page.errors
    assert (error.record_type, error.record_id, error.field) == (
        "production_order", 23622, "line_items.0.production_stages.current_stage.start_time",
    )
    assert "planner@brand.test" not in error.excerpt and "0123456789abcdef" not in error.excerpt
    assert len(error.excerpt) <= 300 and "start_time" in error.excerpt

    rsps.replace(responses.GET, PRODUCTION_ORDERS, json={"production_orders": [bad, good]})
    assert [o.id for o in client.production_orders()] == [23621]
    assert [e.record_id for e in client.last_errors] == [23622]
