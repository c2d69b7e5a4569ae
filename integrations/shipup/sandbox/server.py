"""A local fake of Shipup's orders API on loopback: auth, validation, upsert, leaky-bucket 429s."""
from __future__ import annotations

import copy
import json
import math
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple, Self

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ..ratelimit import LeakyBucket
from .validation import validate_order

# Lists whose items Shipup finds by a key: found items are updated, others created.
KEYED_LISTS = {"fulfillments": "merchant_id", "line_items": "merchant_id",
               "trackers": "tracking_number"}


class Received(NamedTuple):
    """One request the sandbox answered; `path` keeps the query string (`/v2/orders?order_number=A1`)."""

    method: str
    path: str
    body: Any
    status: int


class ShipupSandboxState:
    """What the sandbox received and stored; thread-safe, readers get copies."""

    def __init__(self, *, api_key: str, rate_per_second: float, burst: int,
                 clock: Callable[[], float] = time.monotonic):
        self.api_key = api_key
        self.bucket = LeakyBucket(rate=rate_per_second, capacity=burst, clock=clock)
        self._lock = threading.RLock()
        self._received: list[Received] = []
        self._orders: dict[str, dict] = {}
        self._ids: dict[str, int] = {}
        self._faults: list[tuple[int, dict[str, str], Any]] = []

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    @property
    def orders(self) -> dict[str, dict]:
        """merchant_id -> the order as stored (all upserts merged, without Shipup's own `id`)."""
        with self._lock:
            return copy.deepcopy(self._orders)

    def orders_by_number(self, order_number: str | None) -> list[dict]:
        with self._lock:
            return [
                {"id": self._ids[mid], **copy.deepcopy(order)}
                for mid, order in self._orders.items()
                if order_number is None or order.get("order_number") == order_number
            ]

    def fail_next(self, status: int, *, times: int = 1, retry_after: float | None = None,
                  body: Any = None) -> None:
        """Answer the next `times` authenticated API requests with `status` (402, 403, 500, 503…)."""
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        with self._lock:
            self._faults.extend([(status, headers, body or {"error": f"Injected {status}"})] * times)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
            self._orders.clear()
            self._ids.clear()
            self._faults.clear()

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "received": [r._asdict() for r in self._received],
                "orders": copy.deepcopy(self._orders),
            }

    # -- used by the app -------------------------------------------------------------------

    def record(self, method: str, path: str, body: Any, status: int) -> None:
        with self._lock:
            self._received.append(Received(method, path, body, status))

    def pop_fault(self) -> tuple[int, dict[str, str], Any] | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def upsert(self, payload: dict) -> tuple[dict, bool]:
        merchant_id = str(payload["merchant_id"])
        with self._lock:
            existing = self._orders.get(merchant_id)
            created = existing is None
            order = _relocate_line_items(_merge(existing or {}, payload))
            self._orders[merchant_id] = order
            if created:
                self._ids[merchant_id] = len(self._ids) + 1
            return {"id": self._ids[merchant_id], **copy.deepcopy(order)}, created


def _merge(existing: dict, incoming: dict) -> dict:
    merged = copy.deepcopy(existing)
    for name, value in incoming.items():
        key = KEYED_LISTS.get(name)
        if key and isinstance(value, list) and isinstance(merged.get(name), list):
            merged[name] = _merge_list(merged[name], value, key)
        else:
            merged[name] = copy.deepcopy(value)
    return merged


def _merge_list(existing: list, incoming: list, key: str) -> list:
    merged = list(existing)
    position = {str(item.get(key)): i for i, item in enumerate(merged) if isinstance(item, dict)}
    for item in incoming:
        found = position.get(str(item.get(key)))
        if found is None:
            position[str(item.get(key))] = len(merged)
            merged.append(copy.deepcopy(item))
        else:
            merged[found] = _merge(merged[found], item)
    return merged


def _relocate_line_items(order: dict) -> dict:
    """A line item lives in one place: the order until fulfilled, the fulfillment until
    shipped, then its tracker. Keep only its furthest placement."""
    fulfillments = order.get("fulfillments") or []
    in_trackers = {str(li.get("merchant_id")) for f in fulfillments
                   for t in f.get("trackers") or [] for li in t.get("line_items") or []}
    for fulfillment in fulfillments:
        if fulfillment.get("line_items"):
            fulfillment["line_items"] = [li for li in fulfillment["line_items"]
                                         if str(li.get("merchant_id")) not in in_trackers]
    in_fulfillments = in_trackers | {str(li.get("merchant_id")) for f in fulfillments
                                     for li in f.get("line_items") or []}
    if order.get("line_items"):
        order["line_items"] = [li for li in order["line_items"]
                               if str(li.get("merchant_id")) not in in_fulfillments]
    return order


class ShipupSandboxApp:
    """The WSGI application; `/_sandbox/*` are control endpoints for out-of-process tests."""

    def __init__(self, state: ShipupSandboxState):
        self.state = state

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if request.path.startswith("/_sandbox/"):
            return self.control(request)
        path = request.full_path.rstrip("?")
        raw = request.get_data(as_text=True)
        body: Any = None
        body_ok = True
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body, body_ok = raw, False
        response = self.api(request, body, body_ok)
        self.state.record(request.method, path, body, response.status_code)
        return response

    def api(self, request: Request, body: Any, body_ok: bool) -> Response:
        state = self.state
        if request.headers.get("Authorization", "") != f"Bearer {state.api_key}":
            return _json({"error": "Unauthorized: missing or invalid API key"}, 401)
        if fault := state.pop_fault():
            status, headers, fault_body = fault
            return _json(fault_body, status, headers)
        wait = state.bucket.take()
        capacity = int(state.bucket.capacity)
        if wait > 0:
            return _json({"error": "Too many requests"}, 429, {
                "Retry-After": str(max(1, math.ceil(wait))),
                "X-Shipup-Api-Call-Limit": f"{capacity}/{capacity}",
            })
        limit = {"X-Shipup-Api-Call-Limit": f"{math.ceil(state.bucket.level)}/{capacity}"}

        if request.path != "/v2/orders":
            return _json({"error": "Not found"}, 404, limit)
        if request.method == "GET":
            orders = state.orders_by_number(request.args.get("order_number"))
            return _json({"orders": orders}, 200, limit)
        if request.method != "POST":
            return _json({"error": "Method not allowed"}, 405, limit)
        if not body_ok:
            return _json({"errors": {"base": "Invalid JSON"}}, 400, limit)
        if errors := validate_order(body):
            return _json({"errors": errors}, 400, limit)
        order, created = state.upsert(body)
        return _json(order, 201 if created else 200, limit)

    def control(self, request: Request) -> Response:
        state = self.state
        if request.path == "/_sandbox/state" and request.method == "GET":
            return _json(state.snapshot(), 200)
        if request.method != "POST":
            return _json({"error": "Not found"}, 404)
        data = request.get_json(silent=True) or {}
        if request.path == "/_sandbox/reset":
            state.clear()
            return _json({"ok": True}, 200)
        if request.path == "/_sandbox/fail_next":
            state.fail_next(int(data["status"]), times=int(data.get("times", 1)),
                            retry_after=data.get("retry_after"))
            return _json({"ok": True}, 200)
        return _json({"error": "Not found"}, 404)


def _json(data: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers or {},
                    mimetype="application/json")


class ShipupSandboxServer:
    """Threaded HTTP server on loopback speaking Shipup's `/v2/orders`.

    Default burst 5 is much stricter than real Shipup (documented burst of 60) so that rate
    discipline shows in tests; the leak rate is Shipup's 2 requests/s.
    """

    def __init__(self, *, port: int = 0, host: str = "127.0.0.1", api_key: str = "sandbox-key",
                 rate_per_second: float = 2.0, burst: int = 5):
        self.host = host
        self.port = port
        self.state = ShipupSandboxState(api_key=api_key, rate_per_second=rate_per_second,
                                        burst=burst)
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def api_key(self) -> str:
        return self.state.api_key

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("sandbox not started")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._server = make_server(self.host, self.port, ShipupSandboxApp(self.state),
                                   threaded=True)
        # A short poll keeps stop() quick (the default waits up to half a second).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="shipup-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def serve_forever(self) -> None:
        """Block until interrupted (management command)."""
        self.start()
        assert self._thread is not None
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
