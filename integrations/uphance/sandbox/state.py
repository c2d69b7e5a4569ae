"""The sandbox's world: production clock (never ahead of the wall clock), lazily generated records, overlays, tokens and faults."""

from __future__ import annotations

import email.utils
import math
import random
import secrets
import threading
import time
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from . import customers as cust
from .catalogue import LOGINS, Organisation, build_organisations
from .errors import SandboxError
from .production import (
    HOUR,
    LINES_PER_ORDER_SLOTS,
    STAGE_STATUS_FILTERS,
    OrderPlan,
    OrderRenderer,
    base_created_ts,
    iso,
    line_count,
    line_is_malformed,
    line_matches_stage_filter,
    order_is_malformed,
    order_state,
    plan_order,
    unit,
)

DEFAULT_TOKEN_SECONDS = 604800
FILTER_CACHE_SIM_SECONDS = 300  # a filtered listing is recomputed once the clock moved this far
LOG_LIMIT = 20_000


@dataclass(frozen=True)
class OrderFilters:
    since_id: int | None = None
    since_created_ts: int | None = None
    seasons: frozenset[int] = frozenset()
    warehouses: frozenset[str] = frozenset()  # ids (as text) or lower-case names
    companies: frozenset[int] = frozenset()
    states: frozenset[str] = frozenset()
    delivery_statuses: frozenset[str] = frozenset()
    q: str | None = None
    stage_status: str | None = None  # only honoured with include_stages
    stage_names: frozenset[str] = frozenset()

    @property
    def needs_scan(self) -> bool:
        return bool(
            self.seasons
            or self.warehouses
            or self.companies
            or self.states
            or self.delivery_statuses
            or self.q
            or self.stage_status
            or self.stage_names
        )


@dataclass(frozen=True)
class SalesFilters:
    since_id: int | None = None
    purchase_order_ref: str | None = None
    shipment_number: str | None = None
    order_number: str | None = None


@dataclass
class Token:
    access_token: str
    refresh_token: str
    email: str
    organisations: tuple[int, ...]
    created_at: int
    expires_in: int
    expires_at: float  # real time
    expired: bool = False
    organisation_id: int | None = None

    def valid(self) -> bool:
        return not self.expired and time.time() < self.expires_at


@dataclass(frozen=True)
class Fault:
    kind: str  # rate_limited | server_error | slow
    status: int = 200
    retry_after: str | None = None
    delay: float = 0.0


class SandboxClock:
    """Production time and the real time events are written with; the latter never passes the wall clock.

    History is generated up to the start (production time = real time before it). From the start
    the world runs at `time_speed` x real time: at 3600 an hour of production passes every real
    second, so stages start and end, orders arrive and complete 3600 times as often, and each is
    stamped with the real time it happened (the stamps of what happens after the start are
    compressed). 0 freezes both. `advance(seconds)` moves production on at once: its events are
    stamped over the real time left up to the wall clock (when the clock is already at the wall
    clock, at the same instant), never after it.
    """

    def __init__(self, start: int, time_speed: float):
        if start > time.time() + 1:
            raise ValueError("the sandbox clock never runs ahead of the wall clock: start it now or earlier")
        self.start = start
        self.time_speed = float(time_speed)
        # Segments: (real start, production start, production seconds per real second); the last runs now.
        self._segments: list[tuple[float, float, float]] = [(start, start, self.time_speed)]
        self._mono = time.monotonic()

    def _real_now(self) -> float:
        real, _, rate = self._segments[-1]
        if rate > 0:
            real += time.monotonic() - self._mono
        return min(real, max(time.time(), self._segments[-1][0]))

    def now(self) -> tuple[int, int]:
        """(real time, production time) now, as epoch seconds."""
        real_start, production_start, rate = self._segments[-1]
        real = self._real_now()
        return int(real), int(production_start + (real - real_start) * rate)

    def set_time_speed(self, time_speed: float) -> None:
        real, production = self._exact_now()
        self._segments.append((real, production, float(time_speed)))
        self._mono = time.monotonic()
        self.time_speed = float(time_speed)

    def advance(self, seconds: float) -> None:
        real, production = self._exact_now()
        room = max(0.0, min(seconds, time.time() - real))
        self._segments.append((real, production, seconds / room if room > 0 else math.inf))
        self._segments.append((real + room, production + seconds, self.time_speed))
        self._mono = time.monotonic()

    def _exact_now(self) -> tuple[float, float]:
        real_start, production_start, rate = self._segments[-1]
        real = self._real_now()
        return real, production_start + (real - real_start) * rate

    def stamp(self, production_ts: int) -> int:
        """The real time an event of production time `production_ts` happened (or will happen)."""
        if production_ts <= self.start:
            return production_ts
        segments = self._segments
        k = len(segments) - 1
        while k > 0 and segments[k][1] > production_ts:
            k -= 1
        real_start, production_start, rate = segments[k]
        if rate == math.inf:
            return int(real_start)
        return int(real_start + (production_ts - production_start) / (rate if rate > 0 else 1.0))


@dataclass
class _OrgOverlay:
    added: list[int] = field(default_factory=list)  # created_ts of orders index N, N+1, ...
    deleted: set[int] = field(default_factory=set)  # indices
    auto_next: int = 1
    sales: list[dict] = field(default_factory=list)
    customers: list[dict] = field(default_factory=list)


class SandboxState:
    """Everything the fake Uphance knows; thread-safe. Records are generated, changes kept."""

    def __init__(
        self,
        *,
        orders: int = 200,
        seed: int = 1,
        latency_ms: float = 0,
        fault_rate: float = 0.0,
        malformed_rate: float = 0.0,
        time_speed: float = 1.0,
        clock_start: datetime | None = None,
        new_order_hours: float = 6.0,
        base_url: str = "http://127.0.0.1",
        revoke_used_refresh_tokens: bool = False,
    ):
        start = clock_start or datetime.now(UTC).replace(second=0, microsecond=0)
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self.seed = seed
        self.latency_ms = latency_ms
        self.fault_rate = float(fault_rate)
        self.malformed_rate = float(malformed_rate)
        self.new_order_hours = float(new_order_hours)
        self.epoch = int(start.timestamp())
        self.clock = SandboxClock(self.epoch, time_speed)
        self.organisations: dict[int, Organisation] = build_organisations(
            seed=seed, orders=orders, epoch_year=start.year
        )
        self._lock = threading.RLock()
        self._overlay = {org_id: _OrgOverlay() for org_id in self.organisations}
        self._version = 0
        self._sales_version = 0
        self._tokens: dict[str, Token] = {}
        self._refresh_tokens: dict[str, str] = {}
        # Like an OAuth server that rotates refresh tokens: one that was used once is refused after.
        self.revoke_used_refresh_tokens = bool(revoke_used_refresh_tokens)
        self._request_count = 0
        self._log: list[tuple[str, str, dict[str, list[str]]]] = []
        self._extra_people: dict[int, list[dict]] = {}
        self._extra_addresses: dict[int, list[dict]] = {}
        self._next_person = 0
        self._next_address = 0
        self._next_sales_line = 0
        self._next_sales_quantity = 0
        self._cache: OrderedDict[tuple, tuple[int, int, object]] = OrderedDict()
        self._plan = lru_cache(maxsize=4096)(self._build_plan)
        self.base_url = base_url

    @property
    def base_url(self) -> str:
        """Where the sandbox is reached; image URLs in records start with it."""
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._base_url = value.rstrip("/")
        self._renderers = {
            org.id: OrderRenderer(org, seed=self.seed, base_url=self._base_url)
            for org in self.organisations.values()
        }
        for renderer in self._renderers.values():
            renderer.stamp = self.clock.stamp

    def renderer(self, org: Organisation) -> OrderRenderer:
        return self._renderers[org.id]

    # ---------------------------------------------------------------- clock
    @property
    def time_speed(self) -> float:
        return self.clock.time_speed

    def now_ts(self) -> int:
        """Production time (epoch seconds): what the API shows has happened up to it; new
        scheduled orders appear as it passes. Events are written with `clock.stamp()` of theirs."""
        with self._lock:
            _, production = self.clock.now()
            self._catch_up(production)
            return production

    def real_ts(self) -> int:
        """The sandbox's own time (epoch seconds): never after the wall clock."""
        with self._lock:
            return self.clock.now()[0]

    @property
    def now(self) -> datetime:
        """The sandbox's time now, as its timestamps are written (never after the wall clock)."""
        self.now_ts()  # lets scheduled orders appear first
        return datetime.fromtimestamp(self.real_ts(), UTC)

    def advance(self, *, hours: float = 0.0, days: float = 0.0, seconds: float = 0.0) -> datetime:
        """Move production forward: stages move on, orders complete, new orders appear (stamped no
        later than the wall clock)."""
        delta = hours * 3600 + days * 86400 + seconds
        if delta < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self.clock.advance(delta)
        return self.now

    def set_time_speed(self, time_speed: float) -> None:
        with self._lock:
            self.clock.set_time_speed(time_speed)

    def _catch_up(self, now: int) -> None:
        if self.new_order_hours <= 0:
            return
        for org in self.organisations.values():
            overlay = self._overlay[org.id]
            interval = int(self.new_order_hours * HOUR * (1 if org.slot == 0 else 4))
            for _ in range(10_000):  # bounded per call, the rest on the next one
                k = overlay.auto_next
                created = (
                    self.epoch
                    + k * interval
                    - int(unit(self.seed, org.id, "auto", k) * interval / 2)
                )
                if created > now:
                    break
                overlay.added.append(created)
                overlay.auto_next += 1
                self._version += 1

    # ---------------------------------------------------------------- orders: structure
    def organisation(self, org_id: int) -> Organisation:
        try:
            return self.organisations[int(org_id)]
        except (KeyError, ValueError, TypeError):
            raise KeyError(f"unknown organisation {org_id}") from None

    def _total(self, org: Organisation) -> int:
        return org.order_count + len(self._overlay[org.id].added)

    def created_ts(self, org: Organisation, index: int) -> int:
        if index < org.order_count:
            return base_created_ts(self.seed, org.id, index, org.order_count, self.epoch)
        return self._overlay[org.id].added[index - org.order_count]

    def _build_plan(self, org_id: int, index: int, created: int) -> OrderPlan:
        org = self.organisations[org_id]
        return plan_order(
            org, seed=self.seed, index=index, created_ts=created, is_new=index >= org.order_count
        )

    def plan(self, org: Organisation, index: int) -> OrderPlan:
        return self._plan(org.id, index, self.created_ts(org, index))

    def _live(self, org: Organisation) -> Sequence[int]:
        """Indices of the orders that exist now, ascending (= id order = creation order)."""
        with self._lock:
            overlay = self._overlay[org.id]
            total = self._total(org)
            if not overlay.deleted:
                return range(total)
            return self._cached(
                ("live", org.id),
                self._version,
                None,
                lambda: [i for i in range(total) if i not in overlay.deleted],
            )

    def _cached(self, key: tuple, version: int, now: int | None, compute):
        with self._lock:
            hit = self._cache.get(key)
            if (
                hit is not None
                and hit[0] == version
                and (now is None or abs(now - hit[1]) <= FILTER_CACHE_SIM_SECONDS)
            ):
                self._cache.move_to_end(key)
                return hit[2]
        value = compute()
        with self._lock:
            self._cache[key] = (version, now or 0, value)
            self._cache.move_to_end(key)
            while len(self._cache) > 64:
                self._cache.popitem(last=False)
        return value

    def index_for_order_id(self, org: Organisation, order_id: int) -> int | None:
        index = order_id - org.ids.production_order
        with self._lock:
            if 0 <= index < self._total(org) and index not in self._overlay[org.id].deleted:
                return index
        return None

    def locate_line_item(self, org: Organisation, line_item_id: int) -> tuple[int, int] | None:
        local = line_item_id - org.ids.line_item
        if local < 0:
            return None
        index, j = divmod(local, LINES_PER_ORDER_SLOTS)
        with self._lock:
            if index >= self._total(org) or index in self._overlay[org.id].deleted:
                return None
        if j >= line_count(self.seed, org.id, index):
            return None
        return index, j

    # ---------------------------------------------------------------- orders: listing
    def matching_orders(
        self, org: Organisation, filters: OrderFilters, now: int, include_stages: bool
    ) -> Sequence[int]:
        """Indices of orders the listing returns, newest first."""
        live = self._live(org)
        lo = 0
        if filters.since_id is not None:
            lo = max(lo, filters.since_id - org.ids.production_order + 1)
        if filters.since_created_ts is not None:
            lo = max(
                lo,
                bisect_left(
                    range(self._total(org)),
                    filters.since_created_ts,
                    key=lambda i: self.clock.stamp(self.created_ts(org, i)),
                ),
            )
        candidates = live[bisect_left(live, lo) :] if lo > 0 else live
        scan = filters.needs_scan and (
            include_stages
            or any(
                (
                    filters.seasons,
                    filters.warehouses,
                    filters.companies,
                    filters.states,
                    filters.delivery_statuses,
                    filters.q,
                )
            )
        )
        if not scan:
            return candidates[::-1]
        key = ("orders", org.id, filters, include_stages)
        return self._cached(
            key,
            self._version,
            now,
            lambda: [
                i
                for i in reversed(candidates)
                if self._order_matches(org, i, filters, now, include_stages)
            ],
        )

    def _order_matches(
        self, org: Organisation, index: int, f: OrderFilters, now: int, include_stages: bool
    ) -> bool:
        plan = self.plan(org, index)
        if f.seasons and plan.season_id not in f.seasons:
            return False
        if f.companies and plan.manufacturer_id not in f.companies:
            return False
        if f.warehouses:
            names = {name.lower() for name in plan.warehouses}
            ids = {str(wid) for wid, name in org.warehouses if name.lower() in names}
            if not (f.warehouses & (names | ids)):
                return False
        if f.q:
            q = f.q
            if not (
                q in plan.number.lower()
                or q in plan.manufacturer_name.lower()
                or any(
                    q in line.product.name.lower() or q in line.product.identifier.lower()
                    for line in plan.lines
                )
            ):
                return False
        if (
            f.states
            or f.delivery_statuses
            or (include_stages and (f.stage_status or f.stage_names))
        ):
            state = order_state(plan, now)
            if f.states and state.status.lower() not in f.states:
                return False
            if (
                f.delivery_statuses
                and state.delivery_status.lower().replace(" ", "_") not in f.delivery_statuses
            ):
                return False
            if include_stages and (f.stage_status or f.stage_names):
                statuses = STAGE_STATUS_FILTERS[f.stage_status] if f.stage_status else None
                if not any(
                    line_matches_stage_filter(line, state.stage_now, statuses, f.stage_names)
                    for line in plan.lines
                ):
                    return False
        return True

    def render_orders_text(
        self, org: Organisation, indices: Sequence[int], now: int, include_stages: bool
    ) -> str:
        """The listed orders as a JSON array (text: the listing never builds dicts)."""
        renderer, rate = self.renderer(org), self.malformed_rate
        return (
            "["
            + ",".join(
                renderer.order_text(
                    self.plan(org, i), now, include_stages=include_stages, malformed_rate=rate
                )
                for i in indices
            )
            + "]"
        )

    def truth_production_orders(self, org_id: int) -> list[dict]:
        """Exactly what a full `include_stages=true` listing returns now, all pages concatenated."""
        return list(self.iter_truth_production_orders(org_id))

    def iter_truth_production_orders(self, org_id: int) -> Iterator[dict]:
        org = self.organisation(org_id)
        now = self.now_ts()
        renderer = self.renderer(org)
        for i in self.matching_orders(org, OrderFilters(), now, True):
            yield renderer.order(
                self.plan(org, i), now, include_stages=True, malformed_rate=self.malformed_rate
            )

    def truth_production_order(self, org_id: int, order_id: int) -> dict | None:
        org = self.organisation(org_id)
        index = self.index_for_order_id(org, order_id)
        if index is None:
            return None
        return self.renderer(org).order(
            self.plan(org, index),
            self.now_ts(),
            include_stages=True,
            malformed_rate=self.malformed_rate,
        )

    def production_order_ids(self, org_id: int) -> list[int]:
        org = self.organisation(org_id)
        return [org.ids.production_order + i for i in self._live(org)[::-1]]

    def malformed_production_order_ids(self, org_id: int) -> list[int]:
        """Orders whose listing record is broken at the current malformed rate."""
        org = self.organisation(org_id)
        rate = self.malformed_rate
        return [
            org.ids.production_order + i
            for i in self._live(org)[::-1]
            if order_is_malformed(self.seed, org.id, i, rate)
        ]

    def line_item_ids(self, org_id: int) -> list[int]:
        org = self.organisation(org_id)
        return list(self._all_line_items(org))

    def _all_line_items(self, org: Organisation) -> Sequence[int]:
        live = self._live(org)

        def compute():
            ids = array("q")
            for i in reversed(live):
                base = org.ids.line_item + i * LINES_PER_ORDER_SLOTS
                ids.extend(range(base, base + line_count(self.seed, org.id, i)))
            return ids

        return self._cached(("line_items", org.id), self._version, None, compute)

    def matching_line_items(
        self,
        org: Organisation,
        ids: list[int] | None,
        stage_status: str | None,
        names: frozenset[str],
        now: int,
    ) -> Sequence[int]:
        """Line item ids for the bulk timeline: the given ones (existing, in order) or all."""
        if ids is not None:
            seen: set[int] = set()
            candidates = []
            for line_id in ids:
                if line_id not in seen and self.locate_line_item(org, line_id) is not None:
                    seen.add(line_id)
                    candidates.append(line_id)
        else:
            candidates = self._all_line_items(org)
        if not stage_status and not names:
            return candidates
        statuses = STAGE_STATUS_FILTERS[stage_status] if stage_status else None

        def compute():
            out = []
            for line_id in candidates:
                index, j = self.locate_line_item(org, line_id)
                plan = self.plan(org, index)
                if line_matches_stage_filter(
                    plan.lines[j], order_state(plan, now).stage_now, statuses, names
                ):
                    out.append(line_id)
            return out

        if ids is not None:
            return compute()
        return self._cached(("bulk", org.id, stage_status, names), self._version, now, compute)

    def render_timeline(
        self, org: Organisation, line_item_id: int, now: int, *, bulk: bool
    ) -> dict | None:
        found = self.locate_line_item(org, line_item_id)
        if found is None:
            return None
        index, j = found
        plan = self.plan(org, index)
        return self.renderer(org).timeline(
            plan, plan.lines[j], now, bulk=bulk, malformed_rate=self.malformed_rate
        )

    def timeline_is_malformed(self, org: Organisation, line_item_id: int) -> bool:
        return line_is_malformed(self.seed, org.id, line_item_id, self.malformed_rate)

    # ---------------------------------------------------------------- orders: changes
    def add_orders(self, org_id: int, n: int = 1) -> list[int]:
        """Create n new production orders now (ids above every existing one); returns their ids."""
        org = self.organisation(org_id)
        with self._lock:
            now = self.now_ts()
            overlay = self._overlay[org.id]
            start = self._total(org)
            overlay.added.extend([now] * int(n))
            self._version += 1
            return [org.ids.production_order + i for i in range(start, start + int(n))]

    def delete_order(self, org_id: int, order_id: int) -> None:
        """Remove a production order from the API (as if deleted in Uphance)."""
        org = self.organisation(org_id)
        with self._lock:
            index = self.index_for_order_id(org, int(order_id))
            if index is None:
                raise KeyError(f"no production order {order_id} in organisation {org.id}")
            self._overlay[org.id].deleted.add(index)
            self._version += 1

    def organisation_of_order(self, order_id: int) -> int | None:
        for org in self.organisations.values():
            if self.index_for_order_id(org, order_id) is not None:
                return org.id
        return None

    # ---------------------------------------------------------------- sales orders
    def _sales_index(self, org: Organisation, order_id: int) -> int | None:
        index = order_id - org.ids.sales_order
        with self._lock:
            if 0 <= index < org.sales_order_count + len(self._overlay[org.id].sales):
                return index
        return None

    def sales_order(self, org: Organisation, index: int, *, malformed: bool = True) -> dict:
        if index >= org.sales_order_count:
            with self._lock:
                return _copy(self._overlay[org.id].sales[index - org.sales_order_count])
        return cust.render_sales_order(
            self.seed,
            org,
            index,
            plan_for=lambda j: self.plan(org, j),
            malformed_rate=self.malformed_rate if malformed else 0.0,
            epoch=self.epoch,
        )

    def matching_sales_orders(self, org: Organisation, f: SalesFilters) -> Sequence[int]:
        with self._lock:
            total = org.sales_order_count + len(self._overlay[org.id].sales)
            version = self._sales_version
        lo = 0 if f.since_id is None else max(0, f.since_id - org.ids.sales_order + 1)
        candidates = range(total - 1, lo - 1, -1)
        if not (f.purchase_order_ref or f.shipment_number or f.order_number):
            return candidates

        def match(order: dict) -> bool:
            if f.order_number and order.get("order_number") != f.order_number:
                return False
            if (
                f.purchase_order_ref
                and (order.get("purchase_order_ref") or "") != f.purchase_order_ref
            ):
                return False
            return not f.shipment_number or f.shipment_number in [
                s.strip() for s in (order.get("shipment_numbers") or "").split(",")
            ]

        if f.order_number and not (f.purchase_order_ref or f.shipment_number):
            index = self._sales_index_by_number(org, f.order_number, total)
            return [index] if index is not None and index in candidates else []
        return self._cached(
            ("sales", org.id, f),
            version,
            None,
            lambda: [i for i in candidates if match(self.sales_order(org, i, malformed=False))],
        )

    def _sales_index_by_number(self, org: Organisation, number: str, total: int) -> int | None:
        base = 1001 if org.slot == 0 else 5001
        if number.isdigit() and 0 <= int(number) - base < total and str(int(number)) == number:
            return int(number) - base
        return None

    def find_sales_order(self, org: Organisation, ident: str) -> dict | None:
        """By id, else by order number (the API accepts either)."""
        if not ident.isdigit():
            return None
        index = self._sales_index(org, int(ident))
        if index is None:
            with self._lock:
                total = org.sales_order_count + len(self._overlay[org.id].sales)
            index = self._sales_index_by_number(org, ident, total)
        return None if index is None else self.sales_order(org, index)

    def truth_sales_orders(self, org_id: int) -> list[dict]:
        org = self.organisation(org_id)
        return [self.sales_order(org, i) for i in self.matching_sales_orders(org, SalesFilters())]

    def create_sales_order(self, org: Organisation, body: dict) -> dict:
        try:
            customer_id = int(body.get("customerId"))
        except (TypeError, ValueError):
            raise SandboxError(422, "customerId is required") from None
        index = self.customer_index(org, customer_id)
        if index is None:
            raise SandboxError(422, f"Customer {customer_id} not found")
        order = cust.build_sales_order(
            org,
            body,
            customer_id=customer_id,
            customer=self.customer(org, index),
            now=self.real_ts(),
        )
        with self._lock:
            overlay = self._overlay[org.id]
            index = org.sales_order_count + len(overlay.sales)
            order["id"] = org.ids.sales_order + index
            order["order_number"] = str((1001 if org.slot == 0 else 5001) + index)
            for line in order["line_items"]:
                line["id"] = org.ids.sales_line_item + 30_000_000 + self._next_sales_line
                self._next_sales_line += 1
                for q in line["line_quantities"]:
                    q["id"] = org.ids.sales_line_quantity + 300_000_000 + self._next_sales_quantity
                    self._next_sales_quantity += 1
            overlay.sales.append(order)
            self._sales_version += 1
            return _copy(order)

    # ---------------------------------------------------------------- customers
    def _customer_total(self, org: Organisation) -> int:
        with self._lock:
            return org.customer_count + len(self._overlay[org.id].customers)

    def customer_index(self, org: Organisation, customer_id: int) -> int | None:
        index = customer_id - org.ids.customer
        return index if 0 <= index < self._customer_total(org) else None

    def customer_is_active(self, org: Organisation, index: int) -> bool:
        if index >= org.customer_count:
            return True
        return cust.customer_active(self.seed, org, index)

    def customer(self, org: Organisation, index: int) -> dict:
        customer_id = org.ids.customer + index
        with self._lock:
            created = [o for o in self._overlay[org.id].sales if o["company_id"] == customer_id]
            people = _copy(self._extra_people.get(customer_id, []))
            addresses = _copy(self._extra_addresses.get(customer_id, []))
            base = (
                _copy(self._overlay[org.id].customers[index - org.customer_count])
                if index >= org.customer_count
                else None
            )
        last_created = cust.sales_summary(created[-1]) if created else None
        if base is not None:
            base["orders_count"] = len(created)
            base["last_order"] = last_created
            base["people"] += people
            base["addresses"] += addresses
            return base
        return cust.render_customer(
            self.seed,
            org,
            index,
            extra_orders=len(created),
            last_created_order=last_created,
            sales_summary=lambda i: cust.sales_summary(self.sales_order(org, i, malformed=False)),
            extra_people=people,
            extra_addresses=addresses,
            malformed_rate=self.malformed_rate,
        )

    def customer_people(self, org: Organisation, index: int) -> list[dict]:
        customer_id = org.ids.customer + index
        with self._lock:
            extra = _copy(self._extra_people.get(customer_id, []))
            if index >= org.customer_count:
                return (
                    _copy(self._overlay[org.id].customers[index - org.customer_count]["people"])
                    + extra
                )
        rng, base = cust.customer_base(self.seed, org, index)
        return cust.customer_people(rng, org, index, base["name"]) + extra

    def matching_customers(
        self, org: Organisation, status: str, agents_contact: str | None
    ) -> Sequence[int]:
        total = self._customer_total(org)
        with self._lock:
            version = (self._sales_version, len(self._overlay[org.id].customers), self._next_person)

        def compute():
            out = []
            needle = (agents_contact or "").strip().lower()
            digits = "".join(ch for ch in needle if ch.isdigit())
            for i in range(total):
                active = self.customer_is_active(org, i)
                if status == "active" and not active or status == "inactive" and active:
                    continue
                if needle:
                    agents = self.customer(org, i).get("agents", [])
                    if not any(
                        (a.get("email") or "").lower() == needle
                        or (
                            digits
                            and "".join(ch for ch in str(a.get("phone") or "") if ch.isdigit())
                            == digits
                        )
                        for a in agents
                    ):
                        continue
                out.append(i)
            return out

        return self._cached(
            ("customers", org.id, status, agents_contact), hash(version), None, compute
        )

    def find_customer_by_email(self, org: Organisation, address: str) -> int | None:
        wanted = address.strip().lower()
        for i in range(self._customer_total(org)):
            if any((p.get("email") or "").lower() == wanted for p in self.customer_people(org, i)):
                return i
        return None

    def truth_customers(self, org_id: int, status: str = "all") -> list[dict]:
        org = self.organisation(org_id)
        return [self.customer(org, i) for i in self.matching_customers(org, status, None)]

    def create_customer(self, org: Organisation, body: dict) -> dict:
        name = str(body.get("name") or "").strip()
        if not name:
            raise SandboxError(422, "name can't be blank")
        channel = cust.find_channel(org, body.get("channelId"), body.get("channel_name"))
        with self._lock:
            overlay = self._overlay[org.id]
            customer = {
                "id": org.ids.customer + org.customer_count + len(overlay.customers),
                "name": name,
                "company_type": "customer",
                "customer_type": str(body.get("customer_type") or "wholesale"),
                "country": str(body.get("country") or ""),
                "city": str(body.get("city") or ""),
                "vat_number": str(body.get("vat_number") or ""),
                "channel_id": channel[0],
                "channel_name": channel[1],
                "currency": channel[2],
                "notes": str(body.get("notes") or ""),
                "reference": str(body.get("reference") or ""),
                "orders_count": 0,
                "last_order": None,
                "outstanding_amounts": [],
                "purchase_amounts": [],
                "invoices": [],
                "people": [],
                "addresses": [],
                "agents": [],
            }
            overlay.customers.append(customer)
            self._sales_version += 1
            return _copy(customer)

    def create_contact(self, org: Organisation, customer_id: int, body: dict) -> dict:
        if self.customer_index(org, customer_id) is None:
            raise SandboxError(404, "Customer not found")
        if not (body.get("firstName") or body.get("email")):
            raise SandboxError(422, "firstName or email is required")
        phone = str(body.get("phone") or "")
        with self._lock:
            person = {
                "id": org.ids.person + 5_000_000 + self._next_person,
                "customer_id": customer_id,
                "first_name": str(body.get("firstName") or ""),
                "last_name": str(body.get("lastName") or ""),
                "position": str(body.get("position") or ""),
                "phone_1": phone,
                "phone_2": "",
                "email": str(body.get("email") or ""),
                "notes": "",
                "buyer": bool(body.get("buyer", False)),
                "shipping": bool(body.get("shipping", False)),
                "billing": bool(body.get("billing", False)),
            }
            self._next_person += 1
            self._extra_people.setdefault(customer_id, []).append(person)
            self._sales_version += 1
            return _copy(person)

    def create_address(self, org: Organisation, customer_id: int, body: dict) -> dict:
        if self.customer_index(org, customer_id) is None:
            raise SandboxError(404, "Customer not found")
        if not body.get("address1"):
            raise SandboxError(422, "address1 is required")
        with self._lock:
            address = {
                "id": org.ids.address + 5_000_000 + self._next_address,
                "customer_id": customer_id,
                "line_1": str(body.get("address1") or ""),
                "line_2": str(body.get("address2") or ""),
                "line_3": str(body.get("address3") or ""),
                "city": str(body.get("city") or ""),
                "state": str(body.get("state") or ""),
                "country": str(body.get("country") or ""),
                "postcode": str(body.get("zipCode") or body.get("postcode") or ""),
                "default_for_shipping": bool(body.get("default_for_shipping", False)),
                "default_for_billing": bool(body.get("default_for_billing", False)),
            }
            self._next_address += 1
            self._extra_addresses.setdefault(customer_id, []).append(address)
            self._sales_version += 1
            return _copy(address)

    # ---------------------------------------------------------------- tokens
    def authenticate(
        self, email_address: str, password: str, expires_in: int | None = None
    ) -> Token | None:
        login = LOGINS.get(str(email_address or "").strip().lower())
        if login is None or login[0] != password:
            return None
        return self._issue(str(email_address).strip().lower(), login[1], expires_in)

    def refresh(self, refresh_token: str, expires_in: int | None = None) -> Token | None:
        with self._lock:
            key = str(refresh_token or "")
            if self.revoke_used_refresh_tokens:
                email_address = self._refresh_tokens.pop(key, None)
            else:
                email_address = self._refresh_tokens.get(key)
        if email_address is None:
            return None
        return self._issue(email_address, LOGINS[email_address][1], expires_in)

    def _issue(self, email_address: str, orgs: tuple[int, ...], expires_in: int | None) -> Token:
        seconds = DEFAULT_TOKEN_SECONDS if expires_in is None else max(0, int(expires_in))
        token = Token(
            access_token=secrets.token_hex(32),
            refresh_token=secrets.token_hex(32),
            email=email_address,
            organisations=orgs,
            created_at=int(time.time()),
            expires_in=seconds,
            expires_at=time.time() + seconds,
        )
        with self._lock:
            self._tokens[token.access_token] = token
            self._refresh_tokens[token.refresh_token] = email_address
        return token

    def token(self, access_token: str) -> Token | None:
        with self._lock:
            token = self._tokens.get(access_token)
        return token if token is not None and token.valid() else None

    def set_refresh_token_rotation(self, *, revoke_used: bool) -> None:
        """With `revoke_used`, a refresh token works once (the next grant must use the new one)."""
        with self._lock:
            self.revoke_used_refresh_tokens = bool(revoke_used)

    def expire_tokens(self) -> int:
        """Expire every access token issued so far (refresh tokens keep working)."""
        with self._lock:
            count = 0
            for token in self._tokens.values():
                if not token.expired:
                    token.expired = True
                    count += 1
            return count

    # ---------------------------------------------------------------- faults and the request log
    def set_faults(
        self, *, fault_rate: float | None = None, malformed_rate: float | None = None
    ) -> None:
        with self._lock:
            if fault_rate is not None:
                self.fault_rate = float(fault_rate)
            if malformed_rate is not None:
                self.malformed_rate = float(malformed_rate)
            self._cache.clear()

    def record_request(self, method: str, path: str, query: dict[str, list[str]]) -> int:
        with self._lock:
            self._request_count += 1
            self._log.append((method, path, query))
            if len(self._log) > LOG_LIMIT:
                del self._log[: LOG_LIMIT // 2]
            return self._request_count

    @property
    def request_log(self) -> list[tuple[str, str, dict[str, list[str]]]]:
        """(method, path, query as {name: [values]}) of every API request, oldest first."""
        with self._lock:
            return list(self._log)

    def clear_request_log(self) -> None:
        with self._lock:
            self._log.clear()

    @property
    def request_count(self) -> int:
        with self._lock:
            return self._request_count

    def fault_for(self, request_number: int) -> Fault | None:
        """The fault injected into the n-th API request: fixed by the seed and n."""
        if self.fault_rate <= 0:
            return None
        rng = random.Random(f"{self.seed}:fault:{request_number}")
        if rng.random() >= self.fault_rate:
            return None
        roll = rng.random()
        if roll < 0.35:
            if rng.random() < 0.75:
                retry_after = str(rng.choice((0, 1, 1)))
            else:
                retry_after = email.utils.formatdate(time.time() + 1, usegmt=True)
            return Fault("rate_limited", 429, retry_after=retry_after)
        if roll < 0.8:
            return Fault("server_error", rng.choice((500, 502, 503)))
        return Fault("slow", 200, delay=round(rng.uniform(0.2, 1.5), 3))

    # ---------------------------------------------------------------- overview
    def stats(self) -> dict[int, dict[str, int]]:
        out = {}
        self.now_ts()  # lets scheduled orders appear first
        for org in self.organisations.values():
            active = sum(
                1 for i in range(self._customer_total(org)) if self.customer_is_active(org, i)
            )
            with self._lock:
                sales = org.sales_order_count + len(self._overlay[org.id].sales)
            out[org.id] = {
                "production_orders": len(self._live(org)),
                "line_items": len(self._all_line_items(org)),
                "customers": self._customer_total(org),
                "active_customers": active,
                "sales_orders": sales,
            }
        return out

    def snapshot(self) -> dict:
        return {
            "now": iso(int(self.now.timestamp()), "Z"),
            "production_now": iso(self.now_ts(), "Z"),
            "epoch": iso(self.epoch, "Z"),
            "seed": self.seed,
            "time_speed": self.time_speed,
            "latency_ms": self.latency_ms,
            "fault_rate": self.fault_rate,
            "malformed_rate": self.malformed_rate,
            "requests": self.request_count,
            "organisations": [
                {
                    "id": org.id,
                    "name": org.name,
                    "stages": [{"name": s.name, "stage_color": s.colour} for s in org.stages],
                    "seasons": [{"id": i, "name": n} for i, n in org.seasons],
                    "warehouses": [{"id": i, "name": n} for i, n in org.warehouses],
                    "manufacturers": [{"id": m.id, "name": m.name} for m in org.manufacturers],
                    "counts": counts,
                }
                for org, counts in zip(
                    self.organisations.values(), self.stats().values(), strict=True
                )
            ],
        }


def _copy(value):
    """A deep copy of JSON-shaped data (faster than copy.deepcopy)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
