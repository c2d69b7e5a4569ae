"""HTTP client for the Uphance API: connection, polite retries, pagination, typed records."""
from __future__ import annotations

import itertools
import logging
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Generic, Self, TypeVar
from urllib.parse import quote, urlencode

import requests

from . import payloads
from .errors import (
    AuthExpired,
    BadPayload,
    ClientError,
    InvalidCredentials,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    UphanceError,
    redact,
)
from .payloads import (
    Address,
    Channel,
    Customer,
    LineItemTimeline,
    Organisation,
    Person,
    ProductionOrder,
    SalesOrder,
    Season,
    status_key,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.uphance.com"
USER_AGENT = "Seamline/0.1 (+uphance-client)"


@dataclass
class Tokens:
    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def __repr__(self) -> str:  # never print secrets into logs
        refresh = "'***'" if self.refresh_token else "None"
        return (
            f"Tokens(access_token='***', refresh_token={refresh}, expires_at={self.expires_at!r})"
        )


@dataclass
class Page(Generic[T]):
    """One page of a listing: the records that parsed and a BadPayload for each that did not."""

    number: int
    next_page: int | None
    total_pages: int | None
    total_count: int | None
    records: list[T] = field(default_factory=list)
    errors: list[BadPayload] = field(default_factory=list)


def backoff_delay(attempt: int, *, base: float = 0.5, cap: float = 30.0,
                  rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt))."""
    return rand() * min(cap, base * (2**attempt))


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


def _ids(values: Iterable[Any]) -> list[Any]:
    return [value for value in values if value is not None and value != ""]


class UphanceClient:
    """One client per Uphance connection; not thread-safe (one sync task uses one client).

    Tokens live on the client; whenever they change (password grant, refresh) `on_tokens`
    receives the new ones so the caller can persist them, and the current organisation is set
    again because Uphance keeps it per token. `on_auth_expired(exc)` hears once of every
    AuthExpired the client raises (the token is gone and cannot be refreshed).

    `on_refresh(stale, grant)` wraps each refresh the client needs: the caller may serialise
    refreshes of one connection across processes and hand back tokens another process got
    meanwhile, or call `grant(tokens)` to run the refresh grant with `tokens`; the client goes
    on with the tokens it returns. (An OAuth server that rotates refresh tokens refuses a
    refresh token used twice, so two workers must not both use it.)
    """

    bulk_ids_per_request = 100

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        tokens: Tokens | None = None,
        organisation_id: int | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        max_retry_after: float = 60.0,
        max_requests_per_second: float | None = 5.0,
        page_cap: int = 10_000,
        on_tokens: Callable[[Tokens], None] | None = None,
        on_auth_expired: Callable[[AuthExpired], None] | None = None,
        on_refresh: Callable[[Tokens, Callable[[Tokens], Tokens]], Tokens] | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        utcnow: Callable[[], datetime] = lambda: datetime.now(UTC),
        backoff: Callable[[int], float] = backoff_delay,
    ):
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.organisation_id = organisation_id
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self.max_requests_per_second = max_requests_per_second
        self.page_cap = page_cap
        self.on_tokens = on_tokens
        self.on_auth_expired = on_auth_expired
        self.on_refresh = on_refresh
        self.session = session or requests.Session()
        self.session.headers.update(
            {"Accept": "application/json", "User-Agent": USER_AGENT}
        )
        self.request_count = 0
        self.last_errors: list[BadPayload] = []  # bad records skipped by the last list call
        self._sleep = sleep
        self._clock = clock
        self._utcnow = utcnow
        self._backoff = backoff
        self._next_slot: float | None = None
        self._expires_in: int | None = None
        self._renewing = False

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- connection ------------------------------------------------------------------------------

    def authenticate(self, *, email: str, password: str, expires_in: int | None = None) -> Tokens:
        """Password grant. Wrong e-mail or password raises InvalidCredentials."""
        body: dict[str, Any] = {"email": email, "password": password, "grant_type": "password"}
        if expires_in is not None:
            body["expires_in"] = expires_in
        self._expires_in = expires_in
        try:
            response = self._send("POST", "/oauth/token", json=body, auth=False)
        except ClientError as exc:
            if exc.status in (400, 401, 403):
                raise InvalidCredentials() from None
            raise
        return self._accept_tokens(response, previous_refresh=None)

    def refresh_tokens(self) -> Tokens:
        """Refresh grant; without a refresh token, or when Uphance refuses it, AuthExpired."""
        try:
            return self._refresh_grant()
        except AuthExpired as exc:
            self._report_auth_expired(exc)
            raise

    def _report_auth_expired(self, exc: AuthExpired) -> None:
        if self.on_auth_expired is not None and not getattr(exc, "reported", False):
            exc.reported = True
            self.on_auth_expired(exc)

    def _refresh_grant(self) -> Tokens:
        if not self.tokens or not self.tokens.refresh_token:
            raise AuthExpired()
        body: dict[str, Any] = {
            "grant_type": "refresh_token",
            "refresh_token": self.tokens.refresh_token,
        }
        if self._expires_in is not None:
            body["expires_in"] = self._expires_in
        try:
            response = self._send("POST", "/oauth/token", json=body, auth=False)
        except ClientError as exc:
            if exc.status in (400, 401, 403):
                raise AuthExpired() from None
            raise
        return self._accept_tokens(response, previous_refresh=self.tokens.refresh_token)

    def organisations(self) -> list[Organisation]:
        return self._collect("/organisations", "organisations", Organisation, "organisation")

    def set_current_organisation(self, organisation_id: int) -> None:
        """Tell Uphance which organisation this token works on (201 {"Status": "Updated"})."""
        # Sent as query parameter and JSON body: the docs call it a "Param" without saying where.
        self._send(
            "POST",
            "/organisations/set_current_org",
            params=[("organizationId", organisation_id)],
            json={"organizationId": organisation_id},
        )
        self.organisation_id = organisation_id

    def _accept_tokens(
        self, response: requests.Response, *, previous_refresh: str | None
    ) -> Tokens:
        data = payloads.loads_lenient(response.content, record_type="token")
        grant = payloads.parse_record(payloads.TokenResponse, data, record_type="token")
        if not grant.access_token:
            raise BadPayload("token", field="access_token", message="no access token in answer")
        expires_at = None
        if grant.expires_in is not None:
            created = grant.created_at or self._utcnow()
            expires_at = created + timedelta(seconds=grant.expires_in)
        self.tokens = Tokens(
            access_token=grant.access_token,
            refresh_token=grant.refresh_token or previous_refresh,
            expires_at=expires_at,
        )
        if self.on_tokens is not None:
            self.on_tokens(self.tokens)
        if self.organisation_id is not None:
            renewing, self._renewing = self._renewing, True
            try:
                self.set_current_organisation(self.organisation_id)
            finally:
                self._renewing = renewing
        return self.tokens

    # --- production orders -----------------------------------------------------------------------

    def production_order_pages(
        self,
        *,
        since_id: int | None = None,
        since_created_at: date | None = None,
        seasons: Iterable[int] = (),
        warehouses: Iterable[int | str] = (),
        companies: Iterable[int] = (),
        states: Iterable[str] = (),
        delivery_statuses: Iterable[str] = (),
        q: str | None = None,
        include_stages: bool = False,
        stage_status: str | None = None,
        stage_names: Iterable[str] = (),
        start_page: int = 1,
    ) -> Iterator[Page[ProductionOrder]]:
        """Pages of GET /production_orders (50 per page), filters as documented.

        Stage filters need include_stages=true, so they switch it on.
        """
        stage_names = _ids(stage_names)
        include_stages = include_stages or stage_status is not None or bool(stage_names)
        params: list[tuple[str, Any]] = []
        if since_id is not None:
            params.append(("since_id", since_id))
        if since_created_at is not None:
            if not isinstance(since_created_at, date):
                raise TypeError("since_created_at must be a date")
            params.append(("since_created_at", since_created_at.strftime("%d/%m/%Y")))
        params += [("by_season[]", value) for value in _ids(seasons)]
        params += [("by_warehouse[]", value) for value in _ids(warehouses)]
        params += [("by_company[]", value) for value in _ids(companies)]
        params += [("by_state[]", status_key(value)) for value in _ids(states)]
        params += [("by_delivery_status[]", status_key(value)) for value in _ids(delivery_statuses)]
        if q:
            params.append(("by_q", q))
        if include_stages:
            params.append(("include_stages", "true"))
        if stage_status is not None:
            params.append(("by_stage_status", status_key(stage_status)))
        params += [("by_stage_name[]", value) for value in stage_names]
        return self._pages(
            "/production_orders",
            params,
            envelope="production_orders",
            model=ProductionOrder,
            record_type="production_order",
            start_page=start_page,
        )

    def production_orders(self, **filters: Any) -> Iterator[ProductionOrder]:
        """Every production order matching the filters; bad records are logged and skipped."""
        yield from self._records(self.production_order_pages(**filters))

    def production_timeline(self, line_item_id: int) -> LineItemTimeline:
        path = f"/production_order_line_items/{int(line_item_id)}/production_timeline"
        item = self._unwrap_one(
            self._get_json(path), "production_order_line_item", "production_order_line_items"
        )
        return payloads.parse_record(
            LineItemTimeline, item, record_type="production_order_line_item"
        )

    def production_timeline_bulk_pages(
        self,
        *,
        ids: Iterable[int] = (),
        stage_status: str | None = None,
        stage_names: Iterable[str] = (),
    ) -> Iterator[Page[LineItemTimeline]]:
        """Pages of the bulk timeline (100 line items per page), `ids=1,2,3`.

        Long id lists are sent in batches of `bulk_ids_per_request` to keep URLs short; the
        pages of each batch follow one another.
        """
        ids = [int(value) for value in _ids(ids)]
        filters: list[tuple[str, Any]] = []
        if stage_status is not None:
            filters.append(("by_stage_status", status_key(stage_status)))
        filters += [("by_stage_name[]", value) for value in _ids(stage_names)]
        size = self.bulk_ids_per_request
        batches = [ids[i : i + size] for i in range(0, len(ids), size)] or [[]]
        return itertools.chain.from_iterable(
            self._pages(
                "/production_order_line_items/production_timeline_bulk",
                ([("ids", ",".join(map(str, batch)))] if batch else []) + filters,
                envelope="production_order_line_items",
                model=LineItemTimeline,
                record_type="production_order_line_item",
            )
            for batch in batches
        )

    # --- sales orders ----------------------------------------------------------------------------

    def sales_order_pages(
        self,
        *,
        since_id: int | None = None,
        purchase_order_ref: str | None = None,
        shipment_number: str | None = None,
        order_number: str | None = None,
        start_page: int = 1,
    ) -> Iterator[Page[SalesOrder]]:
        params: list[tuple[str, Any]] = []
        if since_id is not None:
            params.append(("since_id", since_id))
        if purchase_order_ref is not None:
            params.append(("by_purchase_order_ref", purchase_order_ref))
        if shipment_number is not None:
            params.append(("by_shipment_number", shipment_number))
        if order_number is not None:
            params.append(("by_order_number", order_number))
        return self._pages(
            "/sales_orders",
            params,
            envelope="sales_orders",
            model=SalesOrder,
            record_type="sales_order",
            start_page=start_page,
        )

    def sales_orders(self, **filters: Any) -> Iterator[SalesOrder]:
        yield from self._records(self.sales_order_pages(**filters))

    def sales_order(self, order_id: int) -> SalesOrder:
        data = self._get_json(f"/sales_orders/{int(order_id)}")
        item = self._unwrap_one(data, "sales_order", "sales_orders")
        return payloads.parse_record(SalesOrder, item, record_type="sales_order")

    def sales_order_create(self, payload: dict) -> dict:
        return self._post_json("/sales_orders", payload)

    # --- customers -------------------------------------------------------------------------------

    def customer_pages(
        self,
        *,
        status: str | None = None,
        agents_contact: str | None = None,
        start_page: int = 1,
    ) -> Iterator[Page[Customer]]:
        """Pages of GET /customers; status is active (Uphance's default), inactive or all."""
        params: list[tuple[str, Any]] = []
        if status is not None:
            status = status_key(status)
            if status not in ("active", "inactive", "all"):
                raise ValueError("status must be 'active', 'inactive' or 'all'")
            params.append(("by_status", status))
        if agents_contact is not None:
            params.append(("by_agents_contact", agents_contact))
        return self._pages(
            "/customers",
            params,
            envelope="customers",
            model=Customer,
            record_type="customer",
            start_page=start_page,
        )

    def customers(self, **filters: Any) -> Iterator[Customer]:
        yield from self._records(self.customer_pages(**filters))

    def customer(self, customer_id: int) -> Customer:
        data = self._get_json(f"/customers/{int(customer_id)}")
        item = self._unwrap_one(data, "customer", "customers")
        return payloads.parse_record(Customer, item, record_type="customer")

    def customer_by_email(self, email: str) -> Customer:
        """The customer one of whose contacts has this e-mail address."""
        data = self._get_json(f"/customers/{quote(email.strip(), safe='@+')}")
        item = self._unwrap_one(data, "customer", "customers")
        return payloads.parse_record(Customer, item, record_type="customer")

    def customer_contacts(self, customer_id: int) -> list[Person]:
        return self._collect(
            f"/customers/{int(customer_id)}/contacts", ("contacts", "people"), Person, "person"
        )

    def customer_addresses(self, customer_id: int) -> list[Address]:
        return self._collect(
            f"/customers/{int(customer_id)}/addresses", ("addresses",), Address, "address"
        )

    def customer_create(self, payload: dict) -> dict:
        return self._post_json("/customers", payload)

    def customer_contact_create(self, customer_id: int, payload: dict) -> dict:
        return self._post_json(f"/customers/{int(customer_id)}/create_contact", payload)

    def customer_address_create(self, customer_id: int, payload: dict) -> dict:
        return self._post_json(f"/customers/{int(customer_id)}/create_address", payload)

    # --- reference data --------------------------------------------------------------------------

    def seasons(self) -> list[Season]:
        return self._collect("/seasons", "seasons", Season, "season")

    def channels(self) -> list[Channel]:
        return self._collect("/channels", "channels", Channel, "channel")

    # --- pagination and envelopes ----------------------------------------------------------------

    def _pages(
        self,
        path: str,
        params: list[tuple[str, Any]],
        *,
        envelope: str | tuple[str, ...],
        model: type,
        record_type: str,
        start_page: int = 1,
    ) -> Iterator[Page]:
        number = start_page
        fetched = 0
        while True:
            if fetched >= self.page_cap:
                raise UphanceError(f"{path}: more than {self.page_cap} pages, giving up")
            fetched += 1
            query = params + ([("page", number)] if number != 1 else [])
            data = self._get_json(path, params=query)
            items = self._unwrap_list(data, envelope)
            records, errors = payloads.parse_records(model, items, record_type=record_type)
            meta = self._meta(data)
            next_page = meta.next_page if meta else None
            yield Page(
                number=(meta.current_page if meta and meta.current_page else number),
                next_page=next_page,
                total_pages=meta.total_pages if meta else None,
                total_count=meta.total_count if meta else None,
                records=records,
                errors=errors,
            )
            if not next_page:
                return
            if next_page <= number:
                raise UphanceError(f"{path}: page {number} points back to page {next_page}")
            number = next_page

    def _records(self, pages: Iterator[Page[T]]) -> Iterator[T]:
        self.last_errors = []
        for page in pages:
            for error in page.errors:
                logger.warning("Skipped a bad Uphance record: %s", error)
            self.last_errors.extend(page.errors)
            yield from page.records

    def _collect(self, path: str, envelope: str | tuple[str, ...], model: type,
                 record_type: str) -> list:
        pages = self._pages(path, [], envelope=envelope, model=model, record_type=record_type)
        return list(self._records(pages))

    @staticmethod
    def _meta(data: Any) -> payloads.PageMeta | None:
        meta = data.get("meta") if isinstance(data, dict) else None
        if meta is None:
            return None
        return payloads.parse_record(payloads.PageMeta, meta, record_type="page")

    @staticmethod
    def _unwrap_list(data: Any, envelope: str | tuple[str, ...]) -> Any:
        keys = (envelope,) if isinstance(envelope, str) else envelope
        if isinstance(data, list):
            return data
        if isinstance(data, dict):
            for key in keys:
                if key in data:
                    return [] if data[key] is None else data[key]
        raise BadPayload(
            "page", message=f"no {' or '.join(keys)!s} list in the response", excerpt=str(data)
        )

    @staticmethod
    def _unwrap_one(data: Any, key: str, plural: str) -> Any:
        """A single object may come bare, as {key: {...}}, or as a one-element {plural: [...]}."""
        if isinstance(data, dict):
            if isinstance(data.get(key), dict):
                return data[key]
            if isinstance(data.get(plural), list) and len(data[plural]) == 1:
                return data[plural][0]
        return data

    # --- HTTP ------------------------------------------------------------------------------------

    def _get_json(self, path: str, *, params: list[tuple[str, Any]] | None = None) -> Any:
        response = self._send("GET", path, params=params)
        return payloads.loads_lenient(response.content)

    def _post_json(self, path: str, payload: dict) -> dict:
        response = self._send("POST", path, json=payload, idempotent=False)
        if not response.content.strip():
            return {}
        data = payloads.loads_lenient(response.content)
        return data if isinstance(data, dict) else {"data": data}

    def _url(self, path: str, params: list[tuple[str, Any]] | None) -> str:
        url = f"{self.base_url}{path}"
        if params:
            # by_season[]=1&by_season[]=2 (requests sends [] percent-encoded), ids=1,2,3 and
            # DD/MM/YYYY with literal commas and slashes as in the docs.
            url += "?" + urlencode([(k, v) for k, v in params if v is not None], safe="[],/")
        return url

    def _throttle(self) -> None:
        """At most max_requests_per_second: each request waits for its slot."""
        if not self.max_requests_per_second:
            return
        interval = 1.0 / self.max_requests_per_second
        now = self._clock()
        if self._next_slot is not None and now < self._next_slot:
            self._sleep(self._next_slot - now)
            now = self._next_slot
        self._next_slot = now + interval

    def _retry_delay(self, attempt: int, response: requests.Response | None) -> float:
        if response is not None:
            retry_after = parse_retry_after(
                response.headers.get("Retry-After"), now=self._utcnow()
            )
            if retry_after is not None:
                return min(retry_after, self.max_retry_after)
        return max(0.0, self._backoff(attempt))

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One logical request: throttled, retried, re-authenticated once on 401."""
        try:
            return self._exchange(method, path, **kwargs)
        except AuthExpired as exc:
            self._report_auth_expired(exc)
            raise

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, Any]] | None = None,
        json: Any = None,
        auth: bool = True,
        idempotent: bool = True,
    ) -> requests.Response:
        if auth and not self._renewing:
            self._refresh_if_expired()
        url = self._url(path, params)
        attempt = 0
        reauthenticated = False
        while True:
            headers = {"Content-Type": "application/json"}  # the docs ask for it on every call
            if auth:
                if not self.tokens:
                    raise AuthExpired("Not connected to Uphance; reconnect needed.")
                headers["Authorization"] = f"Bearer {self.tokens.access_token}"
            self._throttle()
            self.request_count += 1
            try:
                response = self.session.request(
                    method, url, json=json, headers=headers, timeout=self.timeout
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                # A create whose answer timed out may have been applied: never resend it.
                sent_maybe = isinstance(exc, requests.ReadTimeout)
                if attempt >= self.max_retries or (not idempotent and sent_maybe):
                    raise TransportError(f"{method} {path}: {type(exc).__name__}") from exc
                self._sleep(self._retry_delay(attempt, None))
                attempt += 1
                continue

            status = response.status_code
            if status == 401 and auth:
                if reauthenticated or self._renewing:
                    raise AuthExpired()
                reauthenticated = True
                self._renew()
                continue
            if status == 429:
                retry_after = parse_retry_after(response.headers.get("Retry-After"), now=self._utcnow())
                if retry_after is not None and retry_after > self.max_retry_after:
                    # Retrying sooner would land inside the ban window: stop now, the caller waits.
                    raise RateLimited(retry_after)
            if status == 429 or (status >= 500 and idempotent):
                if attempt >= self.max_retries:
                    if status == 429:
                        raise RateLimited(
                            parse_retry_after(response.headers.get("Retry-After"),
                                              now=self._utcnow())
                        )
                    raise ServerError(status, f"{method} {path}: Uphance answered {status} "
                                              f"after {attempt + 1} attempts")
                self._sleep(self._retry_delay(attempt, response))
                attempt += 1
                continue
            if status >= 500:
                raise ServerError(status, f"{method} {path}: Uphance answered {status}")
            if status >= 400:
                body = redact(response.text)
                if status == 404:
                    raise NotFound(404, body, f"{method} {path}: not found on Uphance")
                raise ClientError(status, body)
            return response

    def _refresh_if_expired(self) -> None:
        if (
            self.tokens is not None
            and self.tokens.refresh_token
            and self.tokens.expired(self._utcnow())
        ):
            self._renew()

    def _renew(self) -> None:
        """Refresh the token (which sets the current organisation again) or raise AuthExpired."""
        self._renewing = True
        try:
            if self.on_refresh is None:
                self.refresh_tokens()
            else:
                stale = self.tokens or Tokens(access_token="")
                self.tokens = self.on_refresh(stale, self._grant_with)
        finally:
            self._renewing = False

    def _grant_with(self, tokens: Tokens) -> Tokens:
        """The refresh grant with `tokens` (for on_refresh); AuthExpired is left to the caller to report."""
        self.tokens = tokens
        return self._refresh_grant()
