"""HTTP client for Shipup's orders API: auth, client-side leaky bucket, retries, typed errors."""
from __future__ import annotations

import datetime as dt
import email.utils
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from .errors import (
    ShipupAuthError,
    ShipupError,
    ShipupRateLimited,
    ShipupServerError,
    ShipupTransportError,
    ShipupValidationError,
)
from .payloads import ShipupOrder
from .ratelimit import LeakyBucket

USER_AGENT = "Seamline (+shipup client)"
RETRY_STATUSES = frozenset({500, 502, 503, 504})


def retry_after_seconds(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Parse a Retry-After header: delta seconds or an HTTP date; None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempt: int, *, base: float = 0.5, cap: float = 8.0,
                  rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: half the step is fixed, half random (attempt counts from 0)."""
    step = min(cap, base * (2 ** attempt))
    return step / 2 + rand() * step / 2


class ShipupClient:
    """Shipup REST client. Knows nothing of Django; one `requests.Session` per client.

    Requests leave at most `requests_per_second` apart (client-side leaky bucket, capacity 1);
    429 honours Retry-After (capped at `max_retry_after`); 5xx and timeouts retry with backoff.
    `POST /v2/orders` is an upsert by merchant_id, so retrying it is safe.
    """

    def __init__(self, base_url: str = "https://api.shipup.co", *, api_key: str,
                 timeout: float = 15.0, max_retries: int = 5, max_retry_after: float = 30.0,
                 requests_per_second: float = 2.0, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        if not api_key:
            raise ValueError("api_key is required")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self.session = session or requests.Session()
        self.request_count = 0
        # The HTTP status of the last answer to the last call (None before any, or when none came):
        # what Shipup finally said, after the client's own retries.
        self.last_status: int | None = None
        # Shipup's remaining-calls header from the last answer, e.g. "3/5"; None if not sent.
        self.last_call_limit: str | None = None
        self._api_key = api_key
        self._sleep = sleep
        self._bucket = LeakyBucket(rate=requests_per_second, capacity=1, clock=clock)

    def __repr__(self) -> str:  # never show the key
        return f"<ShipupClient {self.base_url}>"

    # -- endpoints ---------------------------------------------------------------------------

    def order_upsert(self, payload: Mapping[str, Any] | ShipupOrder) -> dict:
        """`POST /v2/orders`: create or update the order (and its fulfillments, line items,
        trackers) found by merchant_id. Returns Shipup's answer (the order)."""
        body = payload.to_json() if isinstance(payload, ShipupOrder) else dict(payload)
        data = self._request("POST", "/v2/orders", json=body)
        if isinstance(data, Mapping) and isinstance(data.get("order"), Mapping):
            return dict(data["order"])
        return data if isinstance(data, dict) else {}

    def orders_by_number(self, order_number: str) -> list[dict]:
        """`GET /v2/orders?order_number=...`: the orders with this shop order reference."""
        data = self._request("GET", "/v2/orders", params={"order_number": order_number})
        if isinstance(data, list):
            return data
        if isinstance(data, Mapping):
            for key in ("orders", "data"):
                if isinstance(data.get(key), list):
                    return data[key]
        return []

    # -- transport ---------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                 json: Any = None) -> Any:
        url = f"{self.base_url}{path}"
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        last_retry_after: float | None = None
        self.last_status = None
        for attempt in range(self.max_retries + 1):
            last_attempt = attempt == self.max_retries
            self._bucket.acquire(self._sleep)
            self.request_count += 1
            try:
                response = self.session.request(method, url, params=params, json=json,
                                                headers=headers, timeout=self.timeout)
            except (requests.Timeout, requests.ConnectionError) as exc:
                if last_attempt:
                    raise ShipupTransportError(
                        f"Shipup did not answer {method} {path}: {exc.__class__.__name__}"
                    ) from exc
                self._sleep(backoff_delay(attempt))
                continue

            status = self.last_status = response.status_code
            self.last_call_limit = response.headers.get("X-Shipup-Api-Call-Limit",
                                                        self.last_call_limit)
            if 200 <= status < 300:
                return _json_or_none(response)
            if status == 429 or status in RETRY_STATUSES:
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                last_retry_after = retry_after
                if last_attempt:
                    if status == 429:
                        raise ShipupRateLimited(retry_after=retry_after,
                                                body=_json_or_none(response))
                    raise ShipupServerError(f"Shipup answered {status} to {method} {path}",
                                            status=status, body=_json_or_none(response))
                if retry_after is not None:
                    self._sleep(min(retry_after, self.max_retry_after))
                else:
                    self._sleep(backoff_delay(attempt))
                continue
            body = _json_or_none(response)
            if status == 400:
                raise ShipupValidationError.from_body(body)
            if status in (401, 402, 403):
                raise ShipupAuthError(status, body=body)
            raise ShipupError(f"Shipup answered {status} to {method} {path}", status=status,
                              body=body)
        # Unreachable: the last attempt always returns or raises.
        raise ShipupRateLimited(retry_after=last_retry_after)


def _json_or_none(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text[:2000]
