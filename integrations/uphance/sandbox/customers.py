"""Customers, their people and addresses, and sales orders whose SKUs are in production orders."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from .catalogue import (
    CITIES,
    COLOURS,
    FIRST_NAMES,
    LAST_NAMES,
    SHOP_WORDS_A,
    SHOP_WORDS_B,
    Organisation,
    slugify,
)
from .errors import SandboxError
from .production import BAD_DATE, BAD_QUANTITY, DAY, HOUR, OrderPlan, iso, iso_date, money, unit

STREETS = (
    "Im Stillen Winkel",
    "Market Street",
    "Rue de Bretagne",
    "Via Tortona",
    "King St",
    "Oak Avenue",
)
PAYMENT_TERMS = ("Net 7", "Net 30", "30% Deposit, Net 30", "PIA")
SALES_NOTES = (
    "",
    "",
    "",
    "Deliver to back door",
    "Hold until deposit paid",
    "<i>VIP</i> account - call first",
)


def customer_orders_modulus(org: Organisation) -> int:
    """Sales order i belongs to customer i % this; the customers above it have no orders."""
    return max(1, org.customer_count - org.customer_count // 8)


def generated_order_count(org: Organisation, customer_index: int) -> int:
    modulus = customer_orders_modulus(org)
    if customer_index >= modulus or customer_index >= org.sales_order_count:
        return 0
    return (org.sales_order_count - 1 - customer_index) // modulus + 1


def customer_active(seed: int, org: Organisation, customer_index: int) -> bool:
    # Every eighth customer (from the fourth) and a few others are inactive.
    return customer_index % 8 != 3 and unit(seed, org.id, "customer-active", customer_index) >= 0.08


def _customer_name(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    return f"{rng.choice(SHOP_WORDS_A)} {rng.choice(SHOP_WORDS_A)} {rng.choice(SHOP_WORDS_B)}"


def customer_base(seed: int, org: Organisation, c: int) -> tuple[random.Random, dict]:
    """The customer's own fields (no order summary); the rng continues for people and addresses."""
    rng = random.Random(f"{seed}:{org.id}:customer:{c}")
    name = _customer_name(rng)
    country, city, _ = rng.choice(CITIES)
    channel = org.channels[
        rng.choices(range(len(org.channels)), weights=[6, 2, 1, 1][: len(org.channels)])[0]
    ]
    return rng, {
        "id": org.ids.customer + c,
        "name": name,
        "company_type": "customer",
        "customer_type": "wholesale" if rng.random() < 0.8 else "retail",
        "country": country,
        "city": city,
        "vat_number": "" if rng.random() < 0.4 else f"{country}{rng.randint(100000, 999999)}",
        "channel_id": channel[0],
        "channel_name": channel[1],
        "currency": channel[2],
        "notes": rng.choice(("", "", "Prefers e-mail", "Credit hold <until> paid")),
        "reference": "".join(w[0] for w in name.split() if w[0].isalpha()).upper() + str(c + 1),
    }


def customer_people(rng: random.Random, org: Organisation, c: int, name: str) -> list[dict]:
    domain = f"{slugify(name)}{c}.example"
    people = []
    for k in range(rng.randint(1, 3)):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        phone = f"+1202555{rng.randint(1000, 9999)}"
        people.append(
            {
                "id": org.ids.person + c * 4 + k,
                "customer_id": org.ids.customer + c,
                "first_name": first if k or rng.random() < 0.8 else "Ship",
                "last_name": last if rng.random() < 0.9 else "",
                "position": rng.choice(("", "Buyer", "Owner", "Accounts")),
                "phone_1": phone,
                "phone_2": phone if rng.random() < 0.5 else "",
                "email": f"{first}.{last}{k or ''}@{domain}".lower(),
                "notes": "",
                "buyer": k == 0 or rng.random() < 0.3,
                "shipping": k == 0,
                "billing": k == 0,
            }
        )
    return people


def customer_addresses(
    rng: random.Random, org: Organisation, c: int, country: str, city: str
) -> list[dict]:
    state = next((s for cc, ci, s in CITIES if ci == city), "")
    addresses = []
    for k in range(rng.randint(1, 2)):
        addresses.append(
            {
                "id": org.ids.address + c * 4 + k,
                "customer_id": org.ids.customer + c,
                "line_1": f"{rng.choice(STREETS)} {rng.randint(1, 200)}",
                "line_2": rng.choice(("", "", "Unit 4")),
                "line_3": "",
                "city": city,
                "state": state,
                "country": country,
                "postcode": str(rng.randint(10000, 99999)),
                "default_for_shipping": k == 0,
                "default_for_billing": k == 0,
            }
        )
    return addresses


def render_customer(
    seed: int,
    org: Organisation,
    c: int,
    *,
    extra_orders: int,
    last_created_order: dict | None,
    sales_summary: Callable[[int], dict],
    extra_people: list[dict],
    extra_addresses: list[dict],
    malformed_rate: float,
) -> dict:
    rng, customer = customer_base(seed, org, c)
    people = customer_people(rng, org, c, customer["name"]) + extra_people
    addresses = (
        customer_addresses(rng, org, c, customer["country"], customer["city"]) + extra_addresses
    )
    generated = generated_order_count(org, c)
    last_order = None
    if last_created_order is not None:
        last_order = last_created_order
    elif generated:
        last_order = sales_summary(c + (generated - 1) * customer_orders_modulus(org))
    currency = customer["currency"]
    invoices = []
    outstanding = 0
    for k in range(rng.randint(0, 2) if generated else 0):
        subtotal = rng.randint(50, 900) * 100 + rng.randint(0, 99)
        paid = subtotal if rng.random() < 0.5 else 0
        outstanding += subtotal - paid
        invoices.append(
            {
                "id": org.ids.invoice + c * 4 + k,
                "subtotal": money(subtotal),
                "total_tax": "0.0",
                "grand_total": money(subtotal),
                "total_quantity": rng.randint(1, 60),
                "total_paid": money(paid),
                "total_credited": "0.0",
                "total_discounted": None,
                "amount_outstanding": money(subtotal - paid),
                "invoice_currency": currency,
            }
        )
    agent_count = rng.choices((0, 1, 2), weights=(2, 6, 1))[0]
    customer.update(
        {
            "orders_count": generated + extra_orders,
            "last_order": last_order,
            "outstanding_amounts": [{"amount": money(outstanding), "currency": currency}]
            if invoices
            else [],
            "purchase_amounts": (
                [
                    {
                        "amount": money(sum(_cents(i["grand_total"]) for i in invoices)),
                        "quantity": sum(i["total_quantity"] for i in invoices),
                        "currency": currency,
                    }
                ]
                if invoices
                else []
            ),
            "invoices": invoices,
            "people": people,
            "addresses": addresses,
            "agents": [dict(a) for a in rng.sample(org.agents, agent_count)],
        }
    )
    u = unit(seed, org.id, "customer-malformed", c)
    if u < malformed_rate:
        kind = int(unit(seed, org.id, "customer-kind", c) * 3)
        if kind == 0:
            del customer["id"]
        elif kind == 1:
            customer["orders_count"] = "many"
        else:
            customer["people"][0]["id"] = "not an id"
    return customer


def _cents(amount: str) -> int:
    whole, _, frac = amount.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def render_sales_order(
    seed: int,
    org: Organisation,
    i: int,
    *,
    plan_for: Callable[[int], OrderPlan],
    malformed_rate: float,
    epoch: int,
) -> dict:
    rng = random.Random(f"{seed}:{org.id}:sales:{i}")
    modulus = customer_orders_modulus(org)
    c = i % modulus
    _, customer = customer_base(seed, org, c)
    n = org.order_count
    j = min(n - 1, i * n // org.sales_order_count + rng.randint(0, 1))
    plan = plan_for(j)
    lines = [line for line in plan.lines if any(q for _, q in line.quantities)]
    picked = rng.sample(lines, min(len(lines), rng.randint(1, 3)))
    picked.sort(key=lambda line: line.j)
    tax_level = rng.choice((0, 0, 10))
    ship_from = max((line.stages[-1][3] for line in picked if line.stages), default=plan.done_ts)
    start_ship = ship_from + rng.randint(-10, 21) * DAY
    created = min(epoch - HOUR, plan.created_ts - rng.randint(0, 20) * DAY + rng.randint(0, DAY))
    season_name = dict(org.seasons)[plan.season_id]
    line_items = []
    items_total = items_tax = total_quantity = 0
    for k, line in enumerate(picked):
        product = line.product
        colour_name, colour_code, _ = COLOURS[product.colours[line.colour_slot]]
        price = max(100, line.original_price * 22 // 10 // 10 * 10)
        unit_tax = price * tax_level // 100
        quantities = []
        for size_slot, produced in line.quantities:
            if not produced or rng.random() < 0.25:
                continue
            size = product.sizes[size_slot]
            qty = rng.randint(1, produced)
            sku_id = org.sku_id(product, line.colour_slot, size_slot)
            quantities.append(_sales_quantity(
                org, product, colour_code, size=size, quantity=qty, sku_id=sku_id,
                quantity_id=org.ids.sales_line_quantity + (i * 4 + k) * 8 + size_slot,
            ))
            total_quantity += qty
            items_total += price * qty
            items_tax += unit_tax * qty
        if not quantities:
            continue
        line_items.append(
            {
                "id": org.ids.sales_line_item + i * 4 + k,
                "product_id": product.id,
                "product_name": product.name,
                "product_identifier": product.identifier,
                "variation_id": org.variation_id(product, line.colour_slot),
                "color": colour_name,
                "unit_tax": money(unit_tax),
                "tax_level": f"{tax_level}.0",
                "unit_price": money(price),
                "original_price": money(price),
                "weight": "0.0",
                "weight_unit": rng.choice(("lb", "kg")),
                "percentage_discount": "0.0",
                "bundle_line_item": False,
                "comments": None,
                "product_brand": product.brand,
                "season": season_name,
                "country_of_origin": product.country,
                "intrastat_code": "",
                "line_quantities": quantities,
            }
        )
    status_u = rng.random()
    status = "draft" if status_u < 0.1 else "cancelled" if status_u < 0.14 else "confirmed"
    confirmed = created + rng.randint(1, 72) * HOUR if status != "draft" else None
    done = plan.done_ts < epoch
    if status == "confirmed" and done and start_ship < epoch:
        fulfillment = "shipped" if rng.random() < 0.7 else "partially_shipped"
    else:
        fulfillment = "not_shipped"
    shipped = fulfillment != "not_shipped"
    shipping = rng.choice((0, 0, 1500))
    shipping_tax = shipping * tax_level // 100
    total_tax = items_tax + shipping_tax
    order = {
        "id": org.ids.sales_order + i,
        "created_at": iso(created, "Z"),
        "updated_at": iso(max(created + 1, confirmed or 0), "Z"),
        "items_total": money(items_total),
        "items_tax": money(items_tax),
        "subtotal": money(items_total),
        "total_tax": money(total_tax),
        "grand_total": money(items_total + total_tax + shipping),
        "total_quantity": total_quantity,
        "shipping_cost": money(shipping),
        "shipping_tax": money(shipping_tax),
        "settlement_discount": "0.0",
        "deposit_percentage": rng.choice(("0.0", "0.0", "30.0")),
        "custom_fields": [
            {"name": "Fuel charges", "field_type": "number", "value": 0.0},
            {
                "name": "Handling charges",
                "field_type": "number",
                "value": float(rng.choice((0, 0, 5, 12))),
            },
        ],
        "start_ship_date": iso_date(start_ship),
        "cancel_ship_date": iso_date(start_ship + rng.randint(14, 30) * DAY),
        "submitted_at": iso(confirmed - HOUR, "Z") if confirmed else None,
        "confirmed_at": iso(confirmed, "Z") if confirmed else None,
        "notes": rng.choice(SALES_NOTES),
        "internal_notes": None,
        "currency": customer["currency"],
        "proforma_number": None,
        "proforma_date": None,
        "order_number": str((1001 if org.slot == 0 else 5001) + i),
        "purchase_order_ref": f"PO {100000 + i}" if rng.random() < 0.7 else None,
        "invoice_numbers": f"INV{20000 + i}" if shipped else "",
        "shipment_numbers": (
            f"SH{30000 + i}"
            + (f", SH{30000 + i}-2" if fulfillment == "shipped" and rng.random() < 0.2 else "")
        )
        if shipped
        else "",
        "next_due_date": iso_date(start_ship + 30 * DAY)
        if shipped and rng.random() < 0.5
        else None,
        "company_name": customer["name"],
        "season_id": plan.season_id,
        "organisation_id": org.id,
        "status": status,
        "channel_id": customer["channel_id"],
        "channel_name": customer["channel_name"],
        "company_id": customer["id"],
        "invoice_method": "SHIPMENTS",
        "warehouse_name": picked[0].warehouse if picked else org.warehouses[0][1],
        "fulfillment_status": fulfillment,
        "financial_status": ("paid" if rng.random() < 0.6 else "not_paid")
        if shipped
        else "not_paid",
        "payment_term_name": rng.choice(PAYMENT_TERMS),
        "shipping_instructions": "",
        "return_label": False,
        "line_items": line_items,
        "agents": [
            dict(a) for a in rng.sample(org.agents, rng.choices((0, 1, 2), weights=(2, 6, 1))[0])
        ],
    }
    if unit(seed, org.id, "sales-malformed", i) < malformed_rate:
        kind = int(unit(seed, org.id, "sales-kind", i) * 3)
        if kind == 0:
            del order["id"]
        elif kind == 1:
            order["created_at"] = BAD_DATE
        elif order["line_items"]:
            order["line_items"][0]["line_quantities"][0]["quantity"] = BAD_QUANTITY
        else:
            del order["id"]
    return order


def sales_summary(order: dict) -> dict:
    return {
        "id": order.get("id"),
        "confirmed_at": order["confirmed_at"],
        "status": order["status"],
        "fulfillment_status": order["fulfillment_status"],
        "financial_status": order["financial_status"],
    }


def find_channel(org: Organisation, channel_id, channel_name=None) -> tuple[int, str, str]:
    for channel in org.channels:
        if str(channel[0]) == str(channel_id) or (channel_name and channel[1] == channel_name):
            return channel
    return org.channels[0]


def build_sales_order(
    org: Organisation, body: dict, *, customer_id: int, customer: dict, now: int
) -> dict:
    """A sales order from the documented POST body for this customer; ids are assigned later."""
    items = body.get("line_items")
    if not isinstance(items, list) or not items:
        raise SandboxError(422, "line_items can't be blank")
    status = str(body.get("order_status") or "draft").lower()
    if status not in ("draft", "confirmed"):
        raise SandboxError(422, "order_status must be draft or confirmed")
    season = next((s for s in org.seasons if s[1] == body.get("season_name")), org.seasons[-1])
    channel = (
        find_channel(org, None, body.get("channel_name"))
        if body.get("channel_name")
        else (customer["channel_id"], customer["channel_name"], customer["currency"])
    )
    try:
        tax_level = int(float(body.get("tax_level") or 0))
        shipping = round(float(body.get("shipping_cost") or 0) * 100)
    except (TypeError, ValueError):
        raise SandboxError(422, "tax_level and shipping_cost must be numbers") from None
    line_items = []
    items_total = items_tax = total_quantity = 0
    for k, item in enumerate(items):
        if not isinstance(item, dict):
            raise SandboxError(422, f"line_items[{k}] must be an object")
        try:
            decoded = org.decode_variation(int(item.get("variation_id")))
        except (TypeError, ValueError):
            decoded = None
        if decoded is None:
            raise SandboxError(422, f"line_items[{k}].variation_id not found")
        product, colour_slot = decoded
        pid = item.get("product_id")
        if (
            pid is not None
            and str(pid) != str(product.id)
            and str(pid).lower() != product.identifier.lower()
        ):
            raise SandboxError(422, f"line_items[{k}].product_id does not match the variation")
        try:
            price = round(float(item.get("unit_price") or 0) * 100)
        except (TypeError, ValueError):
            raise SandboxError(422, f"line_items[{k}].unit_price must be a number") from None
        unit_tax = price * tax_level // 100
        colour_name, colour_code, _ = COLOURS[product.colours[colour_slot]]
        quantities = []
        for q in item.get("line_quantities") or []:
            try:
                sku = org.decode_sku(int(q.get("sku_id")))
                qty = int(q.get("quantity"))
            except (TypeError, ValueError, AttributeError):
                raise SandboxError(
                    422, f"line_items[{k}].line_quantities: sku_id and quantity must be integers"
                ) from None
            if sku is None or sku[0] is not product or sku[1] != colour_slot:
                raise SandboxError(
                    422, f"line_items[{k}]: sku {q.get('sku_id')} is not a SKU of the variation"
                )
            size = product.sizes[sku[2]]
            sku_id = int(q["sku_id"])
            quantities.append(_sales_quantity(
                org, product, colour_code, size=size, quantity=qty, sku_id=sku_id, quantity_id=None,
            ))
            total_quantity += qty
            items_total += price * qty
            items_tax += unit_tax * qty
        line_items.append(
            {
                "id": None,
                "product_id": product.id,
                "product_name": product.name,
                "product_identifier": product.identifier,
                "variation_id": org.variation_id(product, colour_slot),
                "color": colour_name,
                "unit_tax": money(unit_tax),
                "tax_level": f"{tax_level}.0",
                "unit_price": money(price),
                "original_price": money(price),
                "weight": "0.0",
                "weight_unit": "lb",
                "percentage_discount": "0.0",
                "bundle_line_item": False,
                "comments": None,
                "product_brand": product.brand,
                "season": season[1],
                "country_of_origin": product.country,
                "intrastat_code": "",
                "line_quantities": quantities,
            }
        )
    shipping_tax = shipping * tax_level // 100
    total_tax = items_tax + shipping_tax
    agent = next((a for a in org.agents if a["name"] == body.get("agent_name")), None)
    return {
        "id": None,
        "created_at": iso(now, "Z"),
        "updated_at": iso(now, "Z"),
        "items_total": money(items_total),
        "items_tax": money(items_tax),
        "subtotal": money(items_total),
        "total_tax": money(total_tax),
        "grand_total": money(items_total + total_tax + shipping),
        "total_quantity": total_quantity,
        "shipping_cost": money(shipping),
        "shipping_tax": money(shipping_tax),
        "settlement_discount": "0.0",
        "deposit_percentage": "0.0",
        "custom_fields": [
            {"name": "Fuel charges", "field_type": "number", "value": 0.0},
            {"name": "Handling charges", "field_type": "number", "value": 0.0},
        ],
        "start_ship_date": _date_or_none(body.get("startShipDate")),
        "cancel_ship_date": _date_or_none(body.get("endShipDate")),
        "submitted_at": iso(now, "Z") if status == "confirmed" else None,
        "confirmed_at": iso(now, "Z") if status == "confirmed" else None,
        "notes": str(body.get("notes") or ""),
        "internal_notes": None,
        "currency": str(body.get("channel_currency") or channel[2]),
        "proforma_number": None,
        "proforma_date": None,
        "order_number": None,
        "purchase_order_ref": body.get("purchaseOrderRef"),
        "invoice_numbers": "",
        "shipment_numbers": "",
        "next_due_date": None,
        "company_name": customer["name"],
        "season_id": season[0],
        "organisation_id": org.id,
        "status": status,
        "channel_id": channel[0],
        "channel_name": channel[1],
        "company_id": customer_id,
        "invoice_method": "SHIPMENTS",
        "warehouse_name": str(body.get("warehouse_name") or org.warehouses[0][1]),
        "fulfillment_status": "not_shipped",
        "financial_status": "not_paid",
        "payment_term_name": str(body.get("paymentTerm") or ""),
        "shipping_instructions": "",
        "return_label": False,
        "line_items": line_items,
        "agents": [dict(agent)] if agent else [],
    }


def _date_or_none(value) -> str | None:
    if not value:
        return None
    try:
        return datetime.strptime(str(value)[:10], "%Y-%m-%d").date().isoformat()
    except ValueError:
        raise SandboxError(422, f"invalid date {value!r}") from None


def _sales_quantity(org, product, colour_code: str, *, size: str, quantity: int, sku_id: int, quantity_id) -> dict:
    """One size of a sales-order line, shaped as the Orders API's example (generated and POSTed orders alike)."""
    return {
        "id": quantity_id,
        "size": size,
        "quantity": quantity,
        "sku_number": f"{product.identifier.upper()}-{colour_code}-{size}",
        "sku_id": sku_id,
        "upc_number": f"11236{sku_id % 10**8:08d}" if product.has_upc else "",
        "inventory_id": org.ids.inventory + (sku_id - org.ids.sku) * 4,
        "bundle_components": [],
    }
