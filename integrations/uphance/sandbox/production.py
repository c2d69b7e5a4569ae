"""Production orders of the sandbox: a static plan per order, rendered against the simulated clock.

Every order is planned lazily and deterministically from (seed, organisation, index); nothing
about it is stored. Stage progress, order status, delivery status and `updated_at` are computed
from the plan at the moment of the request, so they move as the simulated clock moves.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

from .catalogue import COLOURS, Organisation, Product, slugify

HOUR = 3600
DAY = 86400
YEAR = 365 * DAY
LINES_PER_ORDER_SLOTS = 10  # line item ids reserve 10 per order
LINE_COUNT_WEIGHTS = (10, 10, 12, 14, 15, 13, 11, 8, 7)  # 1..9 line items, mean about 5
_LINE_COUNT_CUMULATIVE = tuple(sum(LINE_COUNT_WEIGHTS[: k + 1]) for k in range(len(LINE_COUNT_WEIGHTS)))

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
    "Carton marks as per \"Routing Guide v3\"",
)


def money(cents: int) -> str:
    """Ruby BigDecimal#to_s style, as the API prints money: 4600 -> "46.0", 1738 -> "17.38"."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    text = f"{whole}.{frac:02d}".rstrip("0")
    return sign + (text + "0" if text.endswith(".") else text)


def iso(ts: int, offset: str) -> str:
    """`2025-04-26T18:08:22.000Z` / `...+01:00` - the same instant written in the given offset."""
    shift = 0 if offset == "Z" else (1 if offset[0] == "+" else -1) * (
        int(offset[1:3]) * 3600 + int(offset[4:6]) * 60
    )
    t = time.gmtime(ts + shift)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:"
        f"{t.tm_sec:02d}.000{offset}"
    )


def iso_date(ts: int) -> str:
    t = time.gmtime(ts)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"


def unit(*parts: object) -> float:
    """A uniform number in [0, 1) fixed by its parts (a permanent property of a record)."""
    return random.Random(":".join(map(str, parts))).random()


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
    malformed_u: float
    malformed_kind: str


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
    due_date: str | None
    in_warehouse_date: str | None
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
    malformed_u: float
    malformed_kind: str

    @property
    def warehouses(self) -> list[str]:
        seen: list[str] = []
        for line in self.lines:
            if line.warehouse not in seen:
                seen.append(line.warehouse)
        return seen


@dataclass(slots=True)
class OrderState:
    """An order at one instant: statuses and the stage progress of each line item."""

    status: str
    delivery_status: str
    confirmed_ts: int | None
    stage_now: int  # the instant stages are frozen at (draft, cancelled) or now
    updated_ts: int
    financial_status: str


def plan_order(
    org: Organisation, *, seed: int, index: int, created_ts: int, is_new: bool
) -> OrderPlan:
    rng = random.Random(f"{seed}:{org.id}:{index}")
    ids = org.ids
    n_lines = line_count(seed, org.id, index)
    manufacturer = org.manufacturers[
        rng.choices(range(len(org.manufacturers)), weights=[12 - k % 7 for k in range(len(org.manufacturers))])[0]
    ]
    # Seasons follow time (older orders in older seasons) with some spill-over.
    season_slot = min(2, int(3 * index / max(1, org.order_count)))
    if rng.random() < 0.15:
        season_slot = rng.randrange(3)
    season_id = org.seasons[season_slot][0]
    kind_u = rng.random()
    kind = "live" if is_new else ("draft" if kind_u < 0.06 else "cancelled" if kind_u < 0.11 else "live")
    confirm_ts = created_ts + (rng.randint(1, 48) * HOUR if is_new else rng.randint(60, 3 * DAY))
    tax_level = rng.choice((0, 0, 3, 10, 20))
    main_warehouse = org.warehouses[rng.choices(range(len(org.warehouses)), weights=(7, 2, 1)[: len(org.warehouses)])[0]][1]
    second_warehouse = rng.choice(org.warehouses)[1] if rng.random() < 0.1 else None

    group_start = confirm_ts + rng.randint(0, 10) * DAY + rng.randint(0, 23) * HOUR
    lines: list[LinePlan] = []
    used: set[tuple[int, int]] = set()
    while len(lines) < n_lines:
        product = org.products[rng.randrange(len(org.products))]
        slots = list(range(len(product.colours)))
        rng.shuffle(slots)
        for colour_slot in slots[: rng.randint(1, len(slots))]:
            if len(lines) >= n_lines or (product.index, colour_slot) in used:
                continue
            used.add((product.index, colour_slot))
            lines.append(_plan_line(rng, org, product, colour_slot, index, len(lines), group_start,
                                    main_warehouse, second_warehouse, tax_level, seed))
    staged_ends = [line.stages[-1][3] for line in lines if line.stages]
    done_ts = max(staged_ends) if staged_ends else group_start + 30 * DAY
    cancel_ts = None
    if kind == "cancelled":
        cancel_ts = confirm_ts + int(rng.random() * max(DAY, done_ts - confirm_ts))
    due_date = iso_date(done_ts + rng.randint(-12, 14) * DAY) if rng.random() < 0.4 else None
    in_warehouse_date = iso_date(done_ts + rng.randint(2, 20) * DAY) if rng.random() < 0.25 else None
    notes_u = rng.random()
    malformed_u = unit(seed, org.id, index, "malformed")
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
        shipping=rng.choice((0, 0, 0, 2500, 4000, 12000)),
        due_date=due_date,
        in_warehouse_date=in_warehouse_date,
        notes=rng.choice(NOTES) if notes_u < 0.2 else ("" if notes_u < 0.25 else None),
        internal_notes=rng.choice((None, None, None, "", "Chase factory weekly")),
        payment_terms=rng.choice((None, None, "Net 30", "30% Deposit, Net 30")),
        delivery_terms=rng.choice((None, None, "FOB", "EXW", "DDP")),
        financial_u=rng.random(),
        done_ts=done_ts,
        receiving_delay=rng.randint(1, 5) * DAY + rng.randint(0, 23) * HOUR,
        received_delay=rng.randint(0, 4) * DAY + rng.randint(1, 23) * HOUR,
        offset=rng.choice(org.offsets),
        lines=tuple(lines),
        malformed_u=malformed_u,
        malformed_kind=MALFORMED_ORDER_KINDS[int(unit(seed, org.id, index, "kind") * 4)],
    )


def _plan_line(rng, org, product, colour_slot, index, j, group_start, main_warehouse,
               second_warehouse, tax_level, seed) -> LinePlan:
    line_id = org.ids.line_item + index * LINES_PER_ORDER_SLOTS + j
    quantities = []
    for size_slot in range(len(product.sizes)):
        if len(product.sizes) > 2 and rng.random() < 0.1:
            continue  # size not ordered at all (no line quantity)
        quantities.append((size_slot, 0 if rng.random() < 0.3 else rng.randint(1, 40)))
    if not any(q for _, q in quantities):
        quantities[0] = (quantities[0][0], rng.randint(1, 40))
    discount = 5 if rng.random() < 0.08 else 0
    unit_price = product.unit_cost * (100 - discount) // 100
    stages = None
    if rng.random() >= 0.08:
        sequence = [s for s in org.stages if not s.optional or product.uses_optional_stage]
        start = group_start + rng.randint(0, 72) * HOUR + rng.randint(0, 3599)
        clicked = rng.randint(1, len(sequence) - 1) if rng.random() < 0.08 else 0
        stuck = rng.randrange(len(sequence)) if rng.random() < 0.06 else -1
        planned = []
        t = start
        for k, stage in enumerate(sequence):
            if k < clicked:  # stages clicked through in seconds, as in the seed's timeline
                duration, gap = 3, 4
            else:
                duration, gap = rng.randint(stage.min_hours, stage.max_hours) * HOUR + rng.randint(0, 3599), 0
            if k == stuck:
                duration *= 6
            planned.append((stage.name, stage.colour, t, t + duration))
            t += duration + gap
        stages = tuple(planned)
    offset = rng.choice(("Z", "Z", "Z", "+01:00", "+05:30"))
    malformed_u = unit(seed, org.id, line_id, "malformed-line")
    return LinePlan(
        id=line_id,
        j=j,
        product=product,
        colour_slot=colour_slot,
        warehouse=second_warehouse if second_warehouse and j == 0 else main_warehouse,
        unit_price=unit_price,
        original_price=product.unit_cost,
        unit_tax=(unit_price * tax_level + 50) // 100,
        discount=f"{discount}.0",
        comments="Repeat style" if rng.random() < 0.05 else "",
        quantities=tuple(quantities),
        stages=stages,
        cover_key="Product_cover_image" if rng.random() < 0.1 else "product_cover_image",
        offset=offset,
        current_offset=offset if rng.random() < 0.7 else rng.choice(("Z", "+01:00", "+05:30")),
        swap_past=rng.random() < 0.08,
        null_current_when_done=rng.random() < 0.3,
        absent_current=rng.random() < 0.5,
        malformed_u=malformed_u,
        malformed_kind=MALFORMED_LINE_KINDS[int(unit(seed, org.id, line_id, "kind") * 3)],
    )


def order_state(plan: OrderPlan, now: int) -> OrderState:
    created = plan.created_ts
    events = [created]
    if plan.kind == "draft":
        status, delivery, confirmed, stage_now = "DRAFT", "Not Received", None, created
    elif plan.confirm_ts is not None and now < plan.confirm_ts:
        status, delivery, confirmed, stage_now = "DRAFT", "Not Received", None, now
    elif plan.kind == "cancelled" and now >= plan.cancel_ts:
        status, delivery, confirmed, stage_now = "CANCELLED", "Not Received", plan.confirm_ts, plan.cancel_ts
        events += [plan.confirm_ts, plan.cancel_ts]
    else:
        confirmed, stage_now = plan.confirm_ts, now
        events.append(plan.confirm_ts)
        receiving = plan.done_ts + plan.receiving_delay
        received = receiving + plan.received_delay
        if now >= received:
            status, delivery = "COMPLETE", "All Received"
            events += [receiving, received]
        elif now >= receiving:
            status, delivery = "CONFIRMED", "Receiving"
            events.append(receiving)
        else:
            status, delivery = "CONFIRMED", "Not Received"
    for line in plan.lines:
        if line.stages:
            for _, _, start, end in line.stages:
                if start > stage_now:
                    break
                events.append(start)
                if end <= stage_now:
                    events.append(end)
    u = plan.financial_u
    if status == "COMPLETE":
        financial = "Paid" if u < 0.6 else "Partially Paid" if u < 0.8 else "Not Paid"
    else:
        financial = "Partially Paid" if u < 0.1 else "Not Paid"
    return OrderState(status, delivery, confirmed, stage_now, max(events), financial)


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


def line_matches_stage_filter(line: LinePlan, stage_now: int, statuses: set[str] | None,
                              names: frozenset[str]) -> bool:
    """by_stage_status alone: the line item's overall status; with by_stage_name: the named stage's."""
    if not line.stages:
        return False
    if not names:
        return statuses is None or line_status(line, stage_now) in statuses
    for name, _, start, end in line.stages:
        if name.lower() in names:
            if statuses is None:
                return True
            status = "not_started" if stage_now < start else "in_progress" if stage_now < end else "completed"
            if status in statuses:
                return True
    return False


def _entry(stage: tuple[str, str, int, int], offset: str, status: str, with_start: bool = True,
           with_end: bool = True) -> dict:
    return {
        "name": stage[0],
        "start_time": iso(stage[2], offset) if with_start else None,
        "end_time": iso(stage[3], offset) if with_end else None,
        "stage_color": stage[1],
        "status": status,
    }


def production_stages(line: LinePlan, stage_now: int) -> dict:
    if not line.stages:
        return {"past_stages": []} if line.absent_current else {"current_stage": None, "past_stages": []}
    stages = line.stages
    k = line_progress(stages, stage_now)
    offset = line.offset
    if k < 0:
        current = _entry(stages[0], line.current_offset, STAGE_NOT_STARTED, False, False)
        past: list[dict] = []
    elif k < len(stages):
        current = _entry(stages[k], line.current_offset, STAGE_IN_PROGRESS, True, False)
        past = [_entry(s, offset, STAGE_COMPLETED) for s in stages[:k]]
    elif line.null_current_when_done:
        current = None
        past = [_entry(s, offset, STAGE_COMPLETED) for s in stages]
    else:
        current = _entry(stages[-1], line.current_offset, STAGE_COMPLETED)
        past = [_entry(s, offset, STAGE_COMPLETED) for s in stages[:-1]]
    if line.swap_past and len(past) >= 2:
        # Uphance lists past stages in sequence order; their recorded times need not agree.
        a, b = past[0], past[1]
        a["start_time"], b["start_time"] = b["start_time"], a["start_time"]
        a["end_time"], b["end_time"] = b["end_time"], a["end_time"]
    return {"current_stage": current, "past_stages": past}


def _images(org: Organisation, line: LinePlan, base_url: str) -> tuple[str | None, list[str]]:
    product = line.product
    colour = COLOURS[product.colours[line.colour_slot]][0]
    cover = f"{base_url}/images/product/{product.id}/{product.slug}.svg" if product.has_cover else None
    variation_id = org.variation_id(product, line.colour_slot)
    images = (
        [f"{base_url}/images/product_image/{variation_id}/{product.slug}-{slugify(colour)}.svg"]
        if product.has_variation_images
        else []
    )
    return cover, images


def line_quantities(org: Organisation, line: LinePlan, index: int) -> list[dict]:
    product = line.product
    code = COLOURS[product.colours[line.colour_slot]][1]
    ident = product.identifier.upper() if product.index % 7 else product.identifier
    base_lq = org.ids.line_quantity + (index * LINES_PER_ORDER_SLOTS + line.j) * 10
    out = []
    for size_slot, quantity in line.quantities:
        size = product.sizes[size_slot]
        sku_id = org.sku_id(product, line.colour_slot, size_slot)
        out.append(
            {
                "id": base_lq + size_slot,
                "size": size,
                "quantity": quantity,
                "sku_number": f"{ident}-{code}-{size}",
                "sku_id": sku_id,
                "inventory_id": org.ids.inventory + (sku_id - org.ids.sku) * 4,
                "upc_number": f"11236{sku_id % 10**8:08d}" if product.has_upc else "",
                "bundle_components": [],
            }
        )
    return out


def render_line_item(org: Organisation, plan: OrderPlan, line: LinePlan, state: OrderState,
                     include_stages: bool, base_url: str) -> dict:
    product = line.product
    cover, images = _images(org, line, base_url)
    item = {
        "id": line.id,
        "product_id": product.id,
        "product_name": product.name,
        "product_identifier": product.identifier,
        "variation_id": org.variation_id(product, line.colour_slot),
        "color": COLOURS[product.colours[line.colour_slot]][0],
        "unit_tax": money(line.unit_tax),
        "tax_level": f"{plan.tax_level}.0",
        "unit_price": money(line.unit_price),
        "original_price": money(line.original_price),
        "warehouse": line.warehouse,
        "percentage_discount": line.discount,
        "bundle_line_item": False,
        "comments": line.comments,
        "product_brand": product.brand,
        "country_of_origin": product.country,
        "intrastat_code": "",
        line.cover_key: cover,
        "variation_images": images,
    }
    if include_stages:
        item["production_stages"] = production_stages(line, state.stage_now)
    item["line_quantities"] = line_quantities(org, line, plan.index)
    return item


def render_order(org: Organisation, plan: OrderPlan, now: int, *, include_stages: bool,
                 base_url: str, malformed_rate: float) -> dict:
    state = order_state(plan, now)
    line_items = [render_line_item(org, plan, line, state, include_stages, base_url) for line in plan.lines]
    items_total = items_tax = total_quantity = 0
    for line in plan.lines:
        qty = sum(q for _, q in line.quantities)
        total_quantity += qty
        items_total += line.unit_price * qty
        items_tax += line.unit_tax * qty
    shipping_tax = (plan.shipping * plan.tax_level + 50) // 100
    total_tax = items_tax + shipping_tax
    offset = plan.offset
    order = {
        "id": plan.id,
        "production_order_number": plan.number,
        "created_at": iso(plan.created_ts, offset),
        "updated_at": iso(state.updated_ts, offset),
        "items_total": money(items_total),
        "items_tax": money(items_tax),
        "subtotal": money(items_total),
        "total_tax": money(total_tax),
        "grand_total": money(items_total + total_tax + plan.shipping),
        "total_quantity": total_quantity,
        "tax_level": f"{plan.tax_level}.0",
        "shipping_cost": money(plan.shipping),
        "shipping_tax": money(shipping_tax),
        "confirmed_at": iso(state.confirmed_ts, offset) if state.confirmed_ts is not None else None,
        "due_date": plan.due_date,
        "in_warehouse_date": plan.in_warehouse_date,
        "drop_id": None,
        "notes": plan.notes,
        "internal_notes": plan.internal_notes,
        "currency": plan.currency,
        "company_id": plan.manufacturer_id,
        "company_name": plan.manufacturer_name,
        "season_id": plan.season_id,
        "organisation_id": org.id,
        "status": state.status,
        "delivery_status": state.delivery_status,
        "financial_status": state.financial_status,
        "warehouses": plan.warehouses,
        "payment_terms": plan.payment_terms,
        "delivery_terms": plan.delivery_terms,
        "line_items": line_items,
    }
    if plan.malformed_u < malformed_rate:
        _break_order(order, plan.malformed_kind)
    return order


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


def render_timeline(org: Organisation, plan: OrderPlan, line: LinePlan, now: int, *, bulk: bool,
                    malformed_rate: float) -> dict:
    state = order_state(plan, now)
    product = line.product
    item = {"id": line.id}
    if bulk:
        item["production_order_id"] = plan.id
    item.update(
        {
            "product_id": product.id,
            "product_name": product.name,
            "product_identifier": product.identifier,
            "variation_id": org.variation_id(product, line.colour_slot),
            "color": COLOURS[product.colours[line.colour_slot]][0],
            "unit_tax": money(line.unit_tax),
            "tax_level": f"{plan.tax_level}.0",
            "unit_price": money(line.unit_price),
            "original_price": money(line.original_price),
            "percentage_discount": line.discount,
            "production_stages": production_stages(line, state.stage_now),
        }
    )
    if bulk and line.malformed_u < malformed_rate:
        kind = line.malformed_kind
        entry = _first_stage_entry([item]) if kind != "missing_id" else None
        if entry is None:
            del item["id"]
        elif kind == "bad_start_time":
            entry["start_time"] = BAD_DATE
        else:
            entry["stage_color"] = BAD_COLOUR
    return item
