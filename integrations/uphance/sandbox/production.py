"""Production orders of the sandbox: a static plan per order, rendered against the production clock.

Every order is planned lazily and deterministically from (seed, organisation, index); nothing
about it is stored. Stage progress, order status, delivery status, re-dated due dates and
`updated_at` are computed from the plan at the moment of the request, so they move as production
time moves. Plan times are production time; every event is written with the real time it happened
(`stamp`, from the state's clock: the identity for everything before the clock started).

Factories differ: each manufacturer has its own speed and spread per stage; a stage's duration is
log-normal around the stage's typical length times the factory's speed (the line items of one PO
share most of that variation: they are made together), and a few line items have one very slow
stage (an outlier). Some orders are re-dated while in production (due and
in-warehouse dates moved later, occasionally earlier).
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import dataclass
from functools import lru_cache
from hashlib import blake2b
from json.encoder import encode_basestring_ascii as _q

from .catalogue import Organisation, Product

HOUR = 3600
DAY = 86400
YEAR = 365 * DAY
LINES_PER_ORDER_SLOTS = 10  # line item ids reserve 10 per order
LINE_COUNT_WEIGHTS = (10, 10, 12, 14, 15, 13, 11, 8, 7)  # 1..9 line items, mean about 5
_LINE_COUNT_CUMULATIVE = tuple(
    sum(LINE_COUNT_WEIGHTS[: k + 1]) for k in range(len(LINE_COUNT_WEIGHTS))
)

STAGE_NOT_STARTED = "Not Started"
STAGE_IN_PROGRESS = "In Progress"
STAGE_COMPLETED = "Completed"

MALFORMED_ORDER_KINDS = ("bad_start_time", "bad_stage_color", "bad_quantity", "missing_id")
MALFORMED_LINE_KINDS = ("bad_start_time", "bad_stage_color", "missing_id")
BAD_DATE = "not a date"
BAD_COLOUR = "red;background:url(x)"
BAD_QUANTITY = "many"

NOTES = (
    "Rush order - ship by sea",
    "Check lab dips before bulk",
    "Trims supplied by buyer",
    "<b>Priority</b> for the launch & press days",
    "Use recycled polybags",
    'Carton marks as per "Routing Guide v3"',
)


@lru_cache(maxsize=65536)
def money(cents: int) -> str:
    """Ruby BigDecimal#to_s style, as the API prints money: 4600 -> "46.0", 1738 -> "17.38"."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    text = f"{whole}.{frac:02d}".rstrip("0")
    return sign + (text + "0" if text.endswith(".") else text)


_OFFSET_SECONDS = {"Z": 0, "+01:00": 3600, "+05:30": 19800}


_DAYS: dict[int, str] = {}
_HOURS_MINUTES = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
_SECONDS = [f"{sec:02d}.000" for sec in range(60)]


def _day(day_number: int) -> str:
    text = _DAYS.get(day_number)
    if text is None:
        t = time.gmtime(day_number * 86400)
        text = _DAYS[day_number] = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"
    return text


def iso(ts: int, offset: str) -> str:
    """`2025-04-26T18:08:22.000Z` / `...+01:00` - the same instant written in the given offset."""
    day, second = divmod(ts + _OFFSET_SECONDS[offset], 86400)
    minute, sec = divmod(second, 60)
    text = _DAYS.get(day) or _day(day)
    return f"{text}T{_HOURS_MINUTES[minute]}{_SECONDS[sec]}{offset}"


def iso_date(ts: int) -> str:
    return _day(ts // 86400)


def _identity(ts: int) -> int:
    return ts


def unit(*parts: object) -> float:
    """A uniform number in [0, 1) fixed by its parts (a permanent property of a record)."""
    digest = blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 18446744073709551616.0


def line_count(seed: int, org_id: int, index: int) -> int:
    u = unit(seed, org_id, index, "n") * _LINE_COUNT_CUMULATIVE[-1]
    for k, edge in enumerate(_LINE_COUNT_CUMULATIVE):
        if u < edge:
            return k + 1
    return len(_LINE_COUNT_CUMULATIVE)


def base_created_ts(seed: int, org_id: int, index: int, count: int, epoch: int) -> int:
    """Creation times spread over the year before the epoch, denser towards it, never decreasing."""
    x = 1.0 - (index + unit(seed, org_id, index, "t")) / count  # (0, 1]
    age = YEAR * x * (0.4 + 0.6 * x)
    return int(epoch - age) - 1


@lru_cache(maxsize=4096)
def maker_profile(seed: int, org_id: int, maker_id: int, stage_name: str) -> tuple[float, float]:
    """(speed factor, log-normal spread) of a manufacturer at a stage: fixed by the seed.

    Speed is log-uniform between 0.55x and 1.8x the stage's typical length (the same factory is
    fast or slow across its stages, give or take a quarter); spread (sigma) between 0.15 (steady)
    and 0.6 (erratic), per factory, give or take 0.05 per stage.
    """
    speed = math.exp(math.log(0.55) + unit(seed, org_id, maker_id, "speed") * math.log(1.8 / 0.55))
    jitter = math.exp((unit(seed, org_id, maker_id, stage_name, "jitter") - 0.5) * 0.5)
    spread = 0.15 + 0.45 * unit(seed, org_id, maker_id, "spread")
    spread += (unit(seed, org_id, maker_id, stage_name, "spread") - 0.5) * 0.1
    return speed * jitter, max(0.1, spread)


ORDER_CORRELATION = 0.8  # line items of one PO are cut, sewn and packed together: they move together


def normal(u1: float, u2: float) -> float:
    """A standard normal number from two uniform ones (Box-Muller)."""
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


def stage_hours(stage, speed: float, spread: float, z: float) -> float:
    """A log-normal duration: the stage's typical hours (geometric middle of its range) x speed x e^(spread z)."""
    return max(2.0, math.sqrt(stage.min_hours * stage.max_hours) * speed * math.exp(spread * z))


@dataclass(slots=True)
class LinePlan:
    id: int
    j: int
    product: Product
    colour_slot: int
    warehouse: str
    unit_price: int
    original_price: int
    unit_tax: int
    discount: str
    comments: str
    quantities: tuple[tuple[int, int], ...]  # (size slot, quantity)
    stages: tuple[tuple[str, str, int, int], ...] | None  # (name, colour, start, end) planned
    cover_key: str
    offset: str
    current_offset: str
    swap_past: bool
    null_current_when_done: bool
    absent_current: bool


@dataclass(slots=True)
class OrderPlan:
    org_id: int
    index: int
    id: int
    number: str
    created_ts: int
    kind: str  # live | draft | cancelled
    confirm_ts: int | None
    cancel_ts: int | None
    manufacturer_id: int
    manufacturer_name: str
    currency: str
    season_id: int
    tax_level: int
    shipping: int
    due_ts: int | None  # production time of the planned date (a calendar plan, not an event)
    in_warehouse_ts: int | None
    redates: tuple[tuple[int, int], ...]  # (when, days moved): due and in-warehouse dates move together
    notes: str | None
    internal_notes: str | None
    payment_terms: str | None
    delivery_terms: str | None
    financial_u: float
    done_ts: int
    receiving_delay: int
    received_delay: int
    offset: str
    lines: tuple[LinePlan, ...]
    total_quantity: int
    items_total: int
    items_tax: int

    def dates(self, stage_now: int, stamp=_identity) -> tuple[str | None, str | None, int]:
        """Due and in-warehouse dates as of `stage_now`, and when they last moved (0: never).

        Dates are plans, not events: they keep their distance from the order's creation in real
        time (a new order due in a month is due a month after it was really created).
        """
        moved, last = 0, 0
        for at, days in self.redates:
            if at > stage_now:
                break
            moved += days
            last = at
        shift = stamp(self.created_ts) - self.created_ts + moved * DAY
        due = None if self.due_ts is None else iso_date(self.due_ts + shift)
        in_warehouse = None if self.in_warehouse_ts is None else iso_date(self.in_warehouse_ts + shift)
        return due, in_warehouse, last

    @property
    def warehouses(self) -> list[str]:
        seen: list[str] = []
        for line in self.lines:
            if line.warehouse not in seen:
                seen.append(line.warehouse)
        return seen


@dataclass(slots=True)
class OrderState:
    """An order at one instant: statuses and the instant its stages are seen at."""

    status: str
    delivery_status: str
    confirmed_ts: int | None
    stage_now: int  # the instant stages are frozen at (draft, cancelled) or now
    updated_ts: int
    financial_status: str


def plan_order(
    org: Organisation, *, seed: int, index: int, created_ts: int, is_new: bool
) -> OrderPlan:
    """Everything about an order that does not depend on the clock, from (seed, org, index)."""
    rng = random.Random(f"{seed}:{org.id}:{index}")
    r = rng.random
    ids = org.ids
    n_lines = line_count(seed, org.id, index)
    makers = org.manufacturers
    # Smaller manufacturers get fewer orders: a triangular pick.
    manufacturer = makers[int(min(r(), r()) * len(makers))]
    # Seasons follow time (older orders in older seasons) with some spill-over.
    season_slot = min(2, int(3 * index / max(1, org.order_count)))
    if r() < 0.15:
        season_slot = int(r() * 3)
    season_id = org.seasons[season_slot][0]
    kind_u = r()
    kind = (
        "live"
        if is_new
        else ("draft" if kind_u < 0.06 else "cancelled" if kind_u < 0.11 else "live")
    )
    confirm_ts = created_ts + ((1 + int(r() * 48)) * HOUR if is_new else 60 + int(r() * 3 * DAY))
    tax_level = (0, 0, 3, 10, 20)[int(r() * 5)]
    warehouses = org.warehouses
    w = r()
    main_warehouse = warehouses[0 if w < 0.7 else 1 if w < 0.9 or len(warehouses) < 3 else 2][1]
    second_warehouse = warehouses[int(r() * len(warehouses))][1] if r() < 0.1 else None

    group_start = confirm_ts + int(r() * 11) * DAY + int(r() * 24) * HOUR
    lines: list[LinePlan] = []
    used: set[tuple[int, int]] = set()
    products = org.products
    while len(lines) < n_lines:
        product = products[int(r() * len(products))]
        slots = list(range(len(product.colours)))
        rng.shuffle(slots)
        for colour_slot in slots[: 1 + int(r() * len(slots))]:
            if len(lines) >= n_lines or (product.index, colour_slot) in used:
                continue
            used.add((product.index, colour_slot))
            lines.append(
                _plan_line(
                    r,
                    org,
                    product,
                    colour_slot,
                    index,
                    len(lines),
                    group_start,
                    main_warehouse,
                    second_warehouse,
                    tax_level,
                    seed=seed,
                    maker_id=manufacturer.id,
                )
            )
    staged_ends = [line.stages[-1][3] for line in lines if line.stages]
    done_ts = max(staged_ends) if staged_ends else group_start + 30 * DAY
    cancel_ts = None
    if kind == "cancelled":
        cancel_ts = confirm_ts + int(r() * max(DAY, done_ts - confirm_ts))
    due_ts = done_ts + (int(r() * 27) - 12) * DAY if r() < 0.4 else None
    in_warehouse_ts = done_ts + (2 + int(r() * 19)) * DAY if r() < 0.25 else None
    redates = _plan_redates(seed, org.id, index, confirm_ts, done_ts) if due_ts or in_warehouse_ts else ()
    notes_u = r()
    total_quantity = items_total = items_tax = 0
    for line in lines:
        qty = sum(q for _, q in line.quantities)
        total_quantity += qty
        items_total += line.unit_price * qty
        items_tax += line.unit_tax * qty
    return OrderPlan(
        org_id=org.id,
        index=index,
        id=ids.production_order + index,
        number=str((1001 if org.slot == 0 else 101) + index),
        created_ts=created_ts,
        kind=kind,
        confirm_ts=None if kind == "draft" else confirm_ts,
        cancel_ts=cancel_ts,
        manufacturer_id=manufacturer.id,
        manufacturer_name=manufacturer.name,
        currency=manufacturer.currency,
        season_id=season_id,
        tax_level=tax_level,
        shipping=(0, 0, 0, 2500, 4000, 12000)[int(r() * 6)],
        due_ts=due_ts,
        in_warehouse_ts=in_warehouse_ts,
        redates=redates,
        notes=NOTES[int(r() * len(NOTES))] if notes_u < 0.2 else ("" if notes_u < 0.25 else None),
        internal_notes=(None, None, None, "", "Chase factory weekly")[int(r() * 5)],
        payment_terms=(None, None, "Net 30", "30% Deposit, Net 30")[int(r() * 4)],
        delivery_terms=(None, None, "FOB", "EXW", "DDP")[int(r() * 5)],
        financial_u=r(),
        done_ts=done_ts,
        receiving_delay=(1 + int(r() * 5)) * DAY + int(r() * 24) * HOUR,
        # Some deliveries arrive in parts over months: those orders stay "Receiving" for long.
        received_delay=((2 + int(r() * 13)) if r() < 0.85 else (60 + int(r() * 121))) * DAY
        + (1 + int(r() * 23)) * HOUR,
        offset=org.offsets[int(r() * len(org.offsets))],
        lines=tuple(lines),
        total_quantity=total_quantity,
        items_total=items_total,
        items_tax=items_tax,
    )


REDATED_SHARE = 0.3


def _plan_redates(seed: int, org_id: int, index: int, confirm_ts: int, done_ts: int) -> tuple[tuple[int, int], ...]:
    """A third of dated orders are re-dated one to three times while in production: mostly later
    (2-14 days), one time in five earlier (2-7 days). Its own random stream: the rest of the plan
    stays as it was."""
    if unit(seed, org_id, index, "redate") >= REDATED_SHARE or done_ts <= confirm_ts:
        return ()
    rng = random.Random(f"{seed}:{org_id}:{index}:redates")
    times = sorted(confirm_ts + int(rng.random() * (done_ts - confirm_ts)) for _ in range(1 + int(rng.random() * 3)))
    return tuple((at, rng.randint(2, 14) if rng.random() < 0.8 else -rng.randint(2, 7)) for at in times)


_LINE_OFFSETS = ("Z", "Z", "Z", "+01:00", "+05:30")
_OTHER_OFFSETS = ("Z", "+01:00", "+05:30")


def _plan_line(
    r, org, product, colour_slot, index, j, group_start, main_warehouse, second_warehouse, tax_level,
    *, seed: int, maker_id: int,
) -> LinePlan:
    quantities = []
    n_sizes = len(product.sizes)
    for size_slot in range(n_sizes):
        if n_sizes > 2 and r() < 0.1:
            continue  # size not ordered at all (no line quantity)
        quantities.append((size_slot, 0 if r() < 0.3 else 1 + int(r() * 40)))
    if not any(q for _, q in quantities):
        quantities[:1] = [(quantities[0][0] if quantities else 0, 1 + int(r() * 40))]
    discount = 5 if r() < 0.08 else 0
    unit_price = product.unit_cost * (100 - discount) // 100
    stages = None
    if r() >= 0.08:
        sequence = org.stage_sequence(product.uses_optional_stage)
        t = group_start + int(r() * 73) * HOUR + int(r() * 3600)
        n = len(sequence)
        clicked = 1 + int(r() * (n - 1)) if r() < 0.08 else 0
        slow = int(r() * n) if r() < 0.04 else -1  # a very slow outlier: one stage 4-6x as long
        planned = []
        for k, stage in enumerate(sequence):
            if k < clicked:  # stages clicked through in seconds, as in the seed's timeline
                duration, gap = 3, 4
            else:
                speed, spread = maker_profile(seed, org.id, maker_id, stage.name)
                shared = normal(unit(seed, org.id, index, stage.name, "a"), unit(seed, org.id, index, stage.name, "b"))
                own = normal(r(), r())
                z = ORDER_CORRELATION * shared + math.sqrt(1 - ORDER_CORRELATION**2) * own
                duration = int(stage_hours(stage, speed, spread, z) * HOUR)
                gap = 0
            if k == slow:
                duration = int(duration * (4 + 2 * unit(seed, org.id, index, j, "slow")))
            planned.append((stage.name, stage.colour, t, t + duration))
            t += duration + gap
        stages = tuple(planned)
    offset = _LINE_OFFSETS[int(r() * 5)]
    current_offset = offset if r() < 0.7 else _OTHER_OFFSETS[int(r() * 3)]
    return LinePlan(
        id=org.ids.line_item + index * LINES_PER_ORDER_SLOTS + j,
        j=j,
        product=product,
        colour_slot=colour_slot,
        warehouse=second_warehouse if second_warehouse and j == 0 else main_warehouse,
        unit_price=unit_price,
        original_price=product.unit_cost,
        unit_tax=(unit_price * tax_level + 50) // 100,
        discount="5.0" if discount else "0.0",
        comments="Repeat style" if r() < 0.05 else "",
        quantities=tuple(quantities),
        stages=stages,
        cover_key="Product_cover_image" if r() < 0.1 else "product_cover_image",
        offset=offset,
        current_offset=current_offset,
        swap_past=r() < 0.08,
        null_current_when_done=r() < 0.3,
        absent_current=r() < 0.5,
    )


def order_state(plan: OrderPlan, now: int) -> OrderState:
    created = plan.created_ts
    updated = created
    if plan.kind == "draft":
        status, delivery, confirmed, stage_now = "DRAFT", "Not Received", None, created
    elif plan.confirm_ts is not None and now < plan.confirm_ts:
        status, delivery, confirmed, stage_now = "DRAFT", "Not Received", None, now
    elif plan.kind == "cancelled" and now >= plan.cancel_ts:
        status, delivery, confirmed, stage_now = (
            "CANCELLED",
            "Not Received",
            plan.confirm_ts,
            plan.cancel_ts,
        )
        updated = max(updated, plan.cancel_ts)
    else:
        confirmed, stage_now = plan.confirm_ts, now
        updated = max(updated, plan.confirm_ts)
        receiving = plan.done_ts + plan.receiving_delay
        received = receiving + plan.received_delay
        if now >= received:
            status, delivery = "COMPLETE", "All Received"
            updated = max(updated, received)
        elif now >= receiving:
            status, delivery = "CONFIRMED", "Receiving"
            updated = max(updated, receiving)
        else:
            status, delivery = "CONFIRMED", "Not Received"
    for at, _ in plan.redates:
        if at <= stage_now:
            updated = max(updated, at)
    for line in plan.lines:
        if line.stages:
            for _, _, start, end in line.stages:
                if start > stage_now:
                    break
                if end <= stage_now:
                    updated = max(updated, end)
                elif start > updated:
                    updated = start
    u = plan.financial_u
    if status == "COMPLETE":
        financial = "Paid" if u < 0.6 else "Partially Paid" if u < 0.8 else "Not Paid"
    else:
        financial = "Partially Paid" if u < 0.1 else "Not Paid"
    return OrderState(status, delivery, confirmed, stage_now, updated, financial)


def line_progress(stages: tuple[tuple[str, str, int, int], ...], now: int) -> int:
    """-1 not started, k in progress at stage k, len(stages) completed."""
    if now < stages[0][2]:
        return -1
    for k, stage in enumerate(stages):
        if now < stage[3]:
            return k
    return len(stages)


def line_status(line: LinePlan, stage_now: int) -> str | None:
    if not line.stages:
        return None
    k = line_progress(line.stages, stage_now)
    return "not_started" if k < 0 else "completed" if k >= len(line.stages) else "in_progress"


STAGE_STATUS_FILTERS = {
    "not_started": {"not_started"},
    "in_progress": {"in_progress"},
    "pending": {"not_started", "in_progress"},
    "completed": {"completed"},
}


def line_matches_stage_filter(
    line: LinePlan, stage_now: int, statuses: set[str] | None, names: frozenset[str]
) -> bool:
    """by_stage_status alone: the line item's status; with by_stage_name, the named stage's."""
    if not line.stages:
        return False
    if not names:
        return statuses is None or line_status(line, stage_now) in statuses
    for name, _, start, end in line.stages:
        if name.lower() in names:
            if statuses is None:
                return True
            status = (
                "not_started"
                if stage_now < start
                else "in_progress"
                if stage_now < end
                else "completed"
            )
            if status in statuses:
                return True
    return False


ABSENT = object()  # a production_stages without a current_stage key at all
Row = tuple[str, str, str | None, str | None, str]  # name, colour, start_time, end_time, status


def stage_rows(
    line: LinePlan, stage_now: int, stamp=_identity
) -> tuple[Row | None | object, list[Row]]:
    """The current stage (a row, None, or ABSENT) and past stages as the API lists them."""
    stages = line.stages
    if not stages:
        return (ABSENT if line.absent_current else None), []
    k = line_progress(stages, stage_now)
    offset, current_offset = line.offset, line.current_offset
    if k < 0:
        first = stages[0]
        return (first[0], first[1], None, None, STAGE_NOT_STARTED), []
    if k < len(stages):
        now_stage = stages[k]
        current = (
            now_stage[0],
            now_stage[1],
            iso(stamp(now_stage[2]), current_offset),
            None,
            STAGE_IN_PROGRESS,
        )
        done = stages[:k]
    elif line.null_current_when_done:
        current, done = None, stages
    else:
        last = stages[-1]
        current = (
            last[0],
            last[1],
            iso(stamp(last[2]), current_offset),
            iso(stamp(last[3]), current_offset),
            STAGE_COMPLETED,
        )
        done = stages[:-1]
    past = [
        (s[0], s[1], iso(stamp(s[2]), offset), iso(stamp(s[3]), offset), STAGE_COMPLETED)
        for s in done
    ]
    if line.swap_past and len(past) >= 2:
        # Uphance lists past stages in sequence order; their recorded times need not agree with it.
        a, b = past[0], past[1]
        past[0], past[1] = (a[0], a[1], b[2], b[3], a[4]), (b[0], b[1], a[2], a[3], b[4])
    return current, past


def _row_dict(row: Row) -> dict:
    return {
        "name": row[0],
        "start_time": row[2],
        "end_time": row[3],
        "stage_color": row[1],
        "status": row[4],
    }


def production_stages(line: LinePlan, stage_now: int, stamp=_identity) -> dict:
    current, past = stage_rows(line, stage_now, stamp)
    out = (
        {}
        if current is ABSENT
        else {"current_stage": None if current is None else _row_dict(current)}
    )
    out["past_stages"] = [_row_dict(row) for row in past]
    return out


def _row_text(row: Row) -> str:
    start = "null" if row[2] is None else f'"{row[2]}"'
    end = "null" if row[3] is None else f'"{row[3]}"'
    return (
        f'{{"name":{_q(row[0])},"start_time":{start},"end_time":{end},"stage_color":{_q(row[1])},'
        f'"status":"{row[4]}"}}'
    )


def production_stages_text(line: LinePlan, stage_now: int, stamp=_identity) -> str:
    current, past = stage_rows(line, stage_now, stamp)
    past_text = ",".join(_row_text(row) for row in past)
    if current is ABSENT:
        return f'{{"past_stages":[{past_text}]}}'
    current_text = "null" if current is None else _row_text(current)
    return f'{{"current_stage":{current_text},"past_stages":[{past_text}]}}'


def _qn(value: str | None) -> str:
    return "null" if value is None else _q(value)


def order_is_malformed(seed: int, org_id: int, index: int, rate: float) -> bool:
    return rate > 0 and unit(seed, org_id, index, "malformed") < rate


def line_is_malformed(seed: int, org_id: int, line_id: int, rate: float) -> bool:
    return rate > 0 and unit(seed, org_id, line_id, "malformed-line") < rate


class OrderRenderer:
    """Writes an organisation's orders as API JSON text from cached per-colour fragments."""

    def __init__(self, org: Organisation, *, seed: int, base_url: str):
        self.org = org
        self.seed = seed
        self.base_url = base_url
        self._fragments: dict[tuple[int, int], tuple] = {}
        self._makers = {m.id: _q(m.name) for m in org.manufacturers}
        self.stamp = _identity  # production time -> the real time an event is written with

    def _variant_fragments(self, product: Product, colour_slot: int) -> tuple:
        key = (product.index, colour_slot)
        found = self._fragments.get(key)
        if found is None:
            v = self.org.variant(product, colour_slot)
            head = (
                f'"product_id":{product.id},"product_name":{_q(product.name)},'
                f'"product_identifier":{_q(product.identifier)},"variation_id":{v.variation_id},'
                f'"color":{_q(v.colour)},'
            )
            brand = (
                f'"product_brand":{_qn(product.brand)},"country_of_origin":{_q(product.country)},'
                f'"intrastat_code":"",'
            )
            cover = _q(self.base_url + v.cover_path) if v.cover_path else "null"
            images = f"[{_q(self.base_url + v.image_path)}]" if v.image_path else "[]"
            skus = tuple(
                (
                    f',"size":{_q(size)},"quantity":',
                    (
                        f',"sku_number":{_q(number)},"sku_id":{sku_id},"inventory_id":{inventory},'
                        f'"upc_number":{_q(upc)},"bundle_components":[]}}'
                    ),
                )
                for size, sku_id, number, inventory, upc in v.skus
            )
            found = (head, brand, cover, images, skus)
            self._fragments[key] = found
        return found

    def line_text(
        self, plan: OrderPlan, line: LinePlan, stage_now: int, include_stages: bool
    ) -> str:
        head, brand, cover, images, skus = self._variant_fragments(line.product, line.colour_slot)
        base_lq = self.org.ids.line_quantity + (plan.index * LINES_PER_ORDER_SLOTS + line.j) * 10
        quantities = ",".join(
            f'{{"id":{base_lq + slot}{skus[slot][0]}{qty}{skus[slot][1]}'
            for slot, qty in line.quantities
        )
        stages = (
            f',"production_stages":{production_stages_text(line, stage_now, self.stamp)}'
            if include_stages
            else ""
        )
        return (
            f'{{"id":{line.id},{head}"unit_tax":"{money(line.unit_tax)}","tax_level":"{plan.tax_level}.0",'
            f'"unit_price":"{money(line.unit_price)}","original_price":"{money(line.original_price)}",'
            f'"warehouse":{_q(line.warehouse)},"percentage_discount":"{line.discount}",'
            f'"bundle_line_item":false,"comments":{_q(line.comments)},{brand}"{line.cover_key}":{cover},'
            f'"variation_images":{images}{stages},"line_quantities":[{quantities}]}}'
        )

    def order_text(
        self, plan: OrderPlan, now: int, *, include_stages: bool, malformed_rate: float
    ) -> str:
        state = order_state(plan, now)
        stamp = self.stamp
        offset = plan.offset
        shipping_tax = (plan.shipping * plan.tax_level + 50) // 100
        total_tax = plan.items_tax + shipping_tax
        confirmed = (
            "null" if state.confirmed_ts is None else f'"{iso(stamp(state.confirmed_ts), offset)}"'
        )
        due_date, in_warehouse_date, _ = plan.dates(state.stage_now, stamp)
        warehouses = ",".join(_q(w) for w in plan.warehouses)
        lines = ",".join(
            self.line_text(plan, line, state.stage_now, include_stages) for line in plan.lines
        )
        text = (
            f'{{"id":{plan.id},"production_order_number":"{plan.number}",'
            f'"created_at":"{iso(stamp(plan.created_ts), offset)}",'
            f'"updated_at":"{iso(stamp(state.updated_ts), offset)}",'
            f'"items_total":"{money(plan.items_total)}","items_tax":"{money(plan.items_tax)}",'
            f'"subtotal":"{money(plan.items_total)}","total_tax":"{money(total_tax)}",'
            f'"grand_total":"{money(plan.items_total + total_tax + plan.shipping)}",'
            f'"total_quantity":{plan.total_quantity},"tax_level":"{plan.tax_level}.0",'
            f'"shipping_cost":"{money(plan.shipping)}","shipping_tax":"{money(shipping_tax)}",'
            f'"confirmed_at":{confirmed},"due_date":{_qn(due_date)},'
            f'"in_warehouse_date":{_qn(in_warehouse_date)},"drop_id":null,"notes":{_qn(plan.notes)},'
            f'"internal_notes":{_qn(plan.internal_notes)},"currency":"{plan.currency}",'
            f'"company_id":{plan.manufacturer_id},"company_name":{self._makers[plan.manufacturer_id]},'
            f'"season_id":{plan.season_id},"organisation_id":{self.org.id},"status":"{state.status}",'
            f'"delivery_status":"{state.delivery_status}","financial_status":"{state.financial_status}",'
            f'"warehouses":[{warehouses}],"payment_terms":{_qn(plan.payment_terms)},'
            f'"delivery_terms":{_qn(plan.delivery_terms)},"line_items":[{lines}]}}'
        )
        if order_is_malformed(self.seed, self.org.id, plan.index, malformed_rate):
            order = json.loads(text)
            _break_order(
                order,
                MALFORMED_ORDER_KINDS[int(unit(self.seed, self.org.id, plan.index, "kind") * 4)],
            )
            text = json.dumps(order, separators=(",", ":"))
        return text

    def order(
        self, plan: OrderPlan, now: int, *, include_stages: bool, malformed_rate: float
    ) -> dict:
        return json.loads(
            self.order_text(plan, now, include_stages=include_stages, malformed_rate=malformed_rate)
        )

    def timeline(
        self, plan: OrderPlan, line: LinePlan, now: int, *, bulk: bool, malformed_rate: float
    ) -> dict:
        org = self.org
        product = line.product
        variant = org.variant(product, line.colour_slot)
        item = {"id": line.id}
        if bulk:
            item["production_order_id"] = plan.id
        item.update(
            {
                "product_id": product.id,
                "product_name": product.name,
                "product_identifier": product.identifier,
                "variation_id": variant.variation_id,
                "color": variant.colour,
                "unit_tax": money(line.unit_tax),
                "tax_level": f"{plan.tax_level}.0",
                "unit_price": money(line.unit_price),
                "original_price": money(line.original_price),
                "percentage_discount": line.discount,
                "production_stages": production_stages(
                    line, order_state(plan, now).stage_now, self.stamp
                ),
            }
        )
        if bulk and line_is_malformed(self.seed, org.id, line.id, malformed_rate):
            kind = MALFORMED_LINE_KINDS[int(unit(self.seed, org.id, line.id, "kind") * 3)]
            entry = _first_stage_entry([item]) if kind != "missing_id" else None
            if entry is None:
                del item["id"]
            elif kind == "bad_start_time":
                entry["start_time"] = BAD_DATE
            else:
                entry["stage_color"] = BAD_COLOUR
        return item


def _first_stage_entry(line_items: list[dict]) -> dict | None:
    for item in line_items:
        stages = item.get("production_stages") or {}
        entries = [stages.get("current_stage")] + list(stages.get("past_stages") or [])
        for entry in entries:
            if entry and entry.get("start_time"):
                return entry
    return None


def _break_order(order: dict, kind: str) -> None:
    """A permanent defect of this record, as a broken upstream would send it."""
    if kind in ("bad_start_time", "bad_stage_color"):
        entry = _first_stage_entry(order["line_items"])
        if entry is not None:
            if kind == "bad_start_time":
                entry["start_time"] = BAD_DATE
            else:
                entry["stage_color"] = BAD_COLOUR
            return
        kind = "bad_quantity"
    if kind == "bad_quantity":
        order["line_items"][0]["line_quantities"][0]["quantity"] = BAD_QUANTITY
    elif kind == "missing_id":
        del order["id"]
