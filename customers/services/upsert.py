"""Writes a page of Uphance customers or sales orders into the local copy, in bulk, in one transaction.

Each top-level row keeps a hash of the payload it was written from: a record whose hash is
unchanged is not written at all (nor its children). Changed and new rows go in with one
INSERT … ON CONFLICT (organisation, uphance_id) DO UPDATE per table, so re-running a page after a
crash never duplicates anything. Children a changed parent no longer lists are deleted.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence

from django.db import models, transaction
from django.utils import timezone

from customers.models import (
    CANCELLED_STATUSES,
    CLOSED_ORDER_STATUSES,
    SHIPPED_FULFILLMENT_STATUSES,
    Address,
    Agent,
    Channel,
    Contact,
    Customer,
    SalesOrder,
    SalesOrderLine,
    SalesOrderQuantity,
)
from integrations.uphance import payloads
from integrations.uphance.payloads import status_key
from production.models import Season
from production.sync.log import Counts

KEY = ["organisation", "uphance_id"]
BATCH = 500

CHANNEL_FIELDS = ["name", "extra", "content_hash", "last_synced_at"]
AGENT_FIELDS = [
    "name", "email", "phone", "address", "city", "postal_code", "country", "currency", "extra", "content_hash",
    "last_synced_at",
]
CUSTOMER_FIELDS = [
    "name", "company_type", "customer_type", "country", "city", "vat_number", "channel", "channel_uphance_id",
    "channel_name", "currency", "notes", "reference", "orders_count", "last_order", "outstanding_amounts",
    "purchase_amounts", "invoices", "is_active", "status_raw", "is_stub", "removed_at", "extra", "content_hash",
    "last_synced_at",
]
CONTACT_FIELDS = [
    "customer", "first_name", "last_name", "position", "phone_1", "phone_2", "email", "notes", "buyer", "shipping",
    "billing", "sequence", "extra", "content_hash", "last_synced_at",
]
ADDRESS_FIELDS = [
    "customer", "line_1", "line_2", "line_3", "city", "state", "country", "postcode", "default_for_shipping",
    "default_for_billing", "sequence", "extra", "content_hash", "last_synced_at",
]
SALES_ORDER_FIELDS = [
    "order_number", "purchase_order_ref", "customer", "customer_uphance_id", "company_name", "channel",
    "channel_uphance_id", "channel_name", "season", "season_uphance_id", "uphance_organisation_id", "created_at",
    "updated_at", "submitted_at", "confirmed_at", "start_ship_date", "cancel_ship_date", "proforma_number",
    "proforma_date", "next_due_date", "items_total", "items_tax", "subtotal", "total_tax", "grand_total",
    "shipping_cost", "shipping_tax", "settlement_discount", "deposit_percentage", "total_quantity", "currency",
    "custom_fields", "notes", "internal_notes", "invoice_numbers", "shipment_numbers", "invoice_method",
    "warehouse_name", "payment_term_name", "shipping_instructions", "return_label", "status", "status_raw",
    "fulfillment_status", "fulfillment_status_raw", "financial_status", "financial_status_raw", "is_open",
    "removed_at", "extra", "content_hash", "last_synced_at",
]
LINE_FIELDS = [
    "sales_order", "sequence", "product_id", "product_name", "product_identifier", "variation_id", "colour",
    "unit_tax", "tax_level", "unit_price", "original_price", "weight", "weight_unit", "percentage_discount",
    "bundle_line_item", "comments", "brand", "season", "country_of_origin", "intrastat_code", "extra", "units",
    "is_cancelled",
]
QUANTITY_FIELDS = [
    "line", "sales_order", "sequence", "size", "quantity", "sku_number", "sku_id", "upc_number", "inventory_id",
    "bundle_components", "extra",
]

# Keys a customer payload might carry its status under (the documented example has none).
_STATUS_KEYS = ("status", "customer_status", "state")
_ACTIVE_FLAG_KEYS = ("active", "is_active")
_INACTIVE_FLAG_KEYS = ("inactive", "is_inactive", "archived")
INACTIVE_STATUSES = frozenset({"inactive", "archived", "disabled", "deleted", "blocked", "closed"})


# --- small helpers --------------------------------------------------------------------------------

def content_hash(value) -> str:
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def payload_hash(record: payloads.UphanceModel) -> str:
    return content_hash(record.model_dump(mode="json"))


def _extra(record) -> dict:
    """The fields of a payload record that have no column (pydantic keeps them as model_extra)."""
    return dict(record.model_extra or {})


def _json(records: Iterable) -> list:
    """Nested payload objects as JSON, with exactly the keys Uphance sent."""
    return [r.model_dump(mode="json", exclude_unset=True) for r in records]


def _date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _cut(value, length: int):
    return None if value is None else str(value)[:length]


def _key(value) -> str:
    return status_key(value) or ""


def _synthetic_id(parent_id: int, sequence: int) -> int:
    """A stable negative id for a child Uphance sent without one: its parent and its place."""
    return -(int(parent_id) * 1000 + sequence + 1)


def _dedupe(records: Iterable, key=lambda r: r.id) -> list:
    """One record per id, the last one listed winning (a page can list a record twice)."""
    return list({key(r): r for r in records}.values())


def _upsert(model: type[models.Model], rows: list, *, update_fields: list[str]) -> None:
    """INSERT … ON CONFLICT (organisation, uphance_id) DO UPDATE, in batches; every row gets its pk."""
    if not rows:
        return
    model.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=KEY, update_fields=update_fields, batch_size=BATCH
    )
    missing = [r for r in rows if r.pk is None]
    if missing:  # a database that cannot return ids from an upsert
        ids = dict(
            model.objects.filter(
                organisation_id=missing[0].organisation_id, uphance_id__in=[r.uphance_id for r in missing]
            ).values_list("uphance_id", "pk")
        )
        for row in missing:
            row.pk = ids[row.uphance_id]


def _stubs(model, organisation, wanted: dict[int, dict], held: dict[int, int]) -> dict[int, int]:
    """Create placeholder rows for ids not held yet (a later sync fills them in); returns id -> pk."""
    missing = {uid: fields for uid, fields in wanted.items() if uid is not None and uid not in held}
    if missing:
        model.objects.bulk_create(
            [model(organisation=organisation, uphance_id=uid, **fields) for uid, fields in missing.items()],
            ignore_conflicts=True, batch_size=BATCH,
        )
        held.update(
            model.objects.filter(organisation=organisation, uphance_id__in=list(missing)).values_list("uphance_id", "pk")
        )
    return held


def _m2m_replace(through, owner_field: str, owner_pks: list[int], pairs: set[tuple[int, int]]) -> None:
    """Set the agents of `owner_pks` to exactly `pairs` ((owner pk, agent pk))."""
    if not owner_pks:
        return
    through.objects.filter(**{f"{owner_field}__in": owner_pks}).delete()
    if pairs:
        through.objects.bulk_create(
            [through(**{f"{owner_field}_id": owner, "agent_id": agent}) for owner, agent in sorted(pairs)],
            batch_size=BATCH,
        )


# --- reference rows ---------------------------------------------------------------------------------

def channels_upsert(*, organisation, channels: Sequence[payloads.Channel], now=None) -> Counts:
    """Write the organisation's channels (GET /channels); unchanged ones are not rewritten."""
    now = now or timezone.now()
    counts = Counts()
    records = _dedupe(channels)
    held = {
        row["uphance_id"]: row["content_hash"]
        for row in Channel.objects.filter(organisation=organisation, uphance_id__in=[c.id for c in records]).values(
            "uphance_id", "content_hash"
        )
    }
    rows = []
    for channel in records:
        digest = payload_hash(channel)
        if held.get(channel.id) == digest:
            counts.unchanged += 1
            continue
        if channel.id in held:
            counts.updated += 1
        else:
            counts.created += 1
        rows.append(
            Channel(
                organisation=organisation, uphance_id=channel.id, name=_cut(channel.name, 255) or "",
                extra=_extra(channel), content_hash=digest, first_seen_at=now, last_synced_at=now,
            )
        )
    with transaction.atomic():
        _upsert(Channel, rows, update_fields=CHANNEL_FIELDS)
    return counts


def _agent_id(agent: payloads.Agent) -> int:
    if agent.id is not None:
        return agent.id
    # No id: the same name and e-mail is the same agent; a negative id keeps it apart from real ones.
    return -int(content_hash([agent.name, agent.email])[:12], 16)


def agents_upsert(*, organisation, agents: Iterable[payloads.Agent], now) -> dict[int, int]:
    """Write the agents named on a page (shared per organisation); returns Uphance id -> pk."""
    records = _dedupe(agents, key=_agent_id)
    if not records:
        return {}
    held = {
        row["uphance_id"]: row
        for row in Agent.objects.filter(organisation=organisation, uphance_id__in=[_agent_id(a) for a in records]).values(
            "pk", "uphance_id", "content_hash"
        )
    }
    ids = {uid: row["pk"] for uid, row in held.items()}
    rows = []
    for agent in records:
        uid = _agent_id(agent)
        digest = payload_hash(agent)
        if uid in held and held[uid]["content_hash"] == digest:
            continue
        rows.append(
            Agent(
                organisation=organisation, uphance_id=uid, name=_cut(agent.name, 255), email=_cut(agent.email, 255),
                phone=_cut(agent.phone, 64), address=agent.address, city=_cut(agent.city, 255),
                postal_code=_cut(agent.postal_code, 64), country=_cut(agent.country, 64),
                currency=_cut(agent.currency, 8), extra=_extra(agent), content_hash=digest, first_seen_at=now,
                last_synced_at=now,
            )
        )
    _upsert(Agent, rows, update_fields=AGENT_FIELDS)
    ids.update({row.uphance_id: row.pk for row in rows})
    return ids


def _channels_ensure(organisation, wanted: dict[int, str]) -> dict[int, int]:
    held = dict(
        Channel.objects.filter(organisation=organisation, uphance_id__in=list(wanted)).values_list("uphance_id", "pk")
    )
    return _stubs(Channel, organisation, {uid: {"name": (name or "")[:255]} for uid, name in wanted.items()}, held)


# --- customers ----------------------------------------------------------------------------------------

def customer_status(customer: payloads.Customer) -> tuple[bool | None, str]:
    """(is_active, raw status) when the payload says so itself, else (None, "")."""
    extra = customer.model_extra or {}
    for key in _STATUS_KEYS:
        value = extra.get(key)
        if value not in (None, ""):
            return _key(value) not in INACTIVE_STATUSES, str(value)[:64]
    for key in _ACTIVE_FLAG_KEYS:
        if isinstance(extra.get(key), bool):
            return extra[key], ""
    for key in _INACTIVE_FLAG_KEYS:
        if isinstance(extra.get(key), bool):
            return not extra[key], ""
    return None, ""


def customers_upsert(
    *, organisation, customers: Sequence[payloads.Customer], now=None, listed_active: bool | None = None
) -> Counts:
    """Write a page of customers with their contacts, addresses and agents.

    `listed_active` is the status the listing was filtered by (None for by_status=all): a customer
    whose payload carries no status of its own keeps the flag it had (new ones start active) until
    the inactive listing flags it (see customers.services.sync).
    """
    now = now or timezone.now()
    counts = Counts()
    records = _dedupe(customers)
    if not records:
        return counts
    held = {
        row["uphance_id"]: row
        for row in Customer.objects.filter(organisation=organisation, uphance_id__in=[c.id for c in records]).values(
            "pk", "uphance_id", "content_hash", "removed_at", "is_active", "first_seen_at"
        )
    }
    changed: list[tuple[payloads.Customer, str, bool, str]] = []
    for customer in records:
        old = held.get(customer.id)
        active, raw_status = customer_status(customer)
        if active is None:
            active = listed_active if listed_active is not None else (old["is_active"] if old else True)
        digest = payload_hash(customer)
        if old and old["content_hash"] == digest and old["removed_at"] is None and old["is_active"] == active:
            counts.unchanged += 1
            continue
        if old:
            counts.updated += 1
        else:
            counts.created += 1
        changed.append((customer, digest, active, raw_status))
    if not changed:
        return counts

    with transaction.atomic():
        channel_ids = _channels_ensure(
            organisation, {c.channel_id: c.channel_name for c, *_ in changed if c.channel_id is not None}
        )
        agent_ids = agents_upsert(organisation=organisation, agents=[a for c, *_ in changed for a in c.agents], now=now)
        rows = []
        for customer, digest, active, raw_status in changed:
            old = held.get(customer.id)
            rows.append(
                Customer(
                    organisation=organisation, uphance_id=customer.id, name=_cut(customer.name, 255),
                    company_type=_cut(customer.company_type, 64), customer_type=_cut(customer.customer_type, 64),
                    country=_cut(customer.country, 64), city=_cut(customer.city, 255),
                    vat_number=_cut(customer.vat_number, 64), channel_id=channel_ids.get(customer.channel_id),
                    channel_uphance_id=customer.channel_id, channel_name=_cut(customer.channel_name, 255),
                    currency=_cut(customer.currency, 8), notes=customer.notes, reference=_cut(customer.reference, 255),
                    orders_count=customer.orders_count,
                    last_order=_json([customer.last_order])[0] if customer.last_order else None,
                    outstanding_amounts=_json(customer.outstanding_amounts),
                    purchase_amounts=_json(customer.purchase_amounts), invoices=_json(customer.invoices),
                    is_active=active, status_raw=raw_status, is_stub=False, removed_at=None, extra=_extra(customer),
                    content_hash=digest, first_seen_at=old["first_seen_at"] if old else now, last_synced_at=now,
                )
            )
        _upsert(Customer, rows, update_fields=CUSTOMER_FIELDS)
        pks = {row.uphance_id: row.pk for row in rows}
        owners = list(pks.values())

        contacts, addresses, pairs = [], [], set()
        for customer, *_ in changed:
            pk = pks[customer.id]
            for sequence, person in enumerate(customer.people):
                contacts.append(
                    Contact(
                        organisation=organisation, customer_id=pk,
                        uphance_id=person.id if person.id is not None else _synthetic_id(customer.id, sequence),
                        first_name=_cut(person.first_name, 255), last_name=_cut(person.last_name, 255),
                        position=_cut(person.position, 255), phone_1=_cut(person.phone_1, 64),
                        phone_2=_cut(person.phone_2, 64), email=_cut(person.email, 255), notes=person.notes,
                        buyer=person.buyer, shipping=person.shipping, billing=person.billing, sequence=sequence,
                        extra=_extra(person), content_hash=payload_hash(person), first_seen_at=now, last_synced_at=now,
                    )
                )
            for sequence, address in enumerate(customer.addresses):
                addresses.append(
                    Address(
                        organisation=organisation, customer_id=pk,
                        uphance_id=address.id if address.id is not None else _synthetic_id(customer.id, sequence),
                        line_1=address.line_1, line_2=address.line_2, line_3=address.line_3,
                        city=_cut(address.city, 255), state=_cut(address.state, 255),
                        country=_cut(address.country, 64), postcode=_cut(address.postcode, 64),
                        default_for_shipping=address.default_for_shipping,
                        default_for_billing=address.default_for_billing, sequence=sequence, extra=_extra(address),
                        content_hash=payload_hash(address), first_seen_at=now, last_synced_at=now,
                    )
                )
            pairs.update((pk, agent_ids[_agent_id(agent)]) for agent in customer.agents)
        contacts = _dedupe(contacts, key=lambda r: r.uphance_id)
        addresses = _dedupe(addresses, key=lambda r: r.uphance_id)
        _upsert(Contact, contacts, update_fields=CONTACT_FIELDS)
        _upsert(Address, addresses, update_fields=ADDRESS_FIELDS)
        Contact.objects.filter(customer_id__in=owners).exclude(pk__in=[r.pk for r in contacts]).delete()
        Address.objects.filter(customer_id__in=owners).exclude(pk__in=[r.pk for r in addresses]).delete()
        _m2m_replace(Customer.agents.through, "customer", owners, pairs)
    return counts


def customers_flag_inactive(*, organisation, inactive_ids: set[int], listed_ids: set[int]) -> int:
    """After a complete pass: customers the inactive listing returned are inactive, the others of
    `listed_ids` active. Only rows whose flag changes are written; returns how many."""
    held = dict(
        Customer.objects.filter(organisation=organisation, is_stub=False).values_list("uphance_id", "is_active")
    )
    to_inactive = [uid for uid in inactive_ids if held.get(uid) is True]
    to_active = [uid for uid, active in held.items() if active is False and uid in listed_ids and uid not in inactive_ids]
    changed = 0
    with transaction.atomic():
        for ids, flag in ((to_inactive, False), (to_active, True)):
            for start in range(0, len(ids), BATCH):
                changed += Customer.objects.filter(
                    organisation=organisation, uphance_id__in=ids[start : start + BATCH]
                ).update(is_active=flag)
    return changed


# --- sales orders ---------------------------------------------------------------------------------------

def sales_order_is_open(*, status: str, fulfillment_status: str) -> bool:
    return status not in CLOSED_ORDER_STATUSES and fulfillment_status not in SHIPPED_FULFILLMENT_STATUSES


def line_is_cancelled(line: payloads.SalesOrderLineItem) -> bool:
    """A line may carry its own status (not in the documented example): cancelled lines wait for nothing."""
    extra = line.model_extra or {}
    for key in ("status", "line_status", "state"):
        if _key(extra.get(key)) in CANCELLED_STATUSES:
            return True
    return any(extra.get(key) is True for key in ("cancelled", "canceled", "is_cancelled"))


def sales_orders_upsert(*, organisation, orders: Sequence[payloads.SalesOrder], now=None) -> Counts:
    """Write a page of sales orders with their lines, quantities and agents.

    Customers, channels and seasons a sales order names but Seamline does not hold yet are created
    as placeholders (a customer as a stub named after `company_name`) for their own sync to fill in.
    """
    now = now or timezone.now()
    counts = Counts()
    records = _dedupe(orders)
    if not records:
        return counts
    held = {
        row["uphance_id"]: row
        for row in SalesOrder.objects.filter(organisation=organisation, uphance_id__in=[o.id for o in records]).values(
            "pk", "uphance_id", "content_hash", "removed_at", "first_seen_at"
        )
    }
    changed: list[tuple[payloads.SalesOrder, str]] = []
    for order in records:
        old = held.get(order.id)
        digest = payload_hash(order)
        if old and old["content_hash"] == digest and old["removed_at"] is None:
            counts.unchanged += 1
            continue
        if old:
            counts.updated += 1
        else:
            counts.created += 1
        changed.append((order, digest))
    if not changed:
        return counts

    with transaction.atomic():
        customer_ids = dict(
            Customer.objects.filter(
                organisation=organisation, uphance_id__in=[o.company_id for o, _ in changed if o.company_id is not None]
            ).values_list("uphance_id", "pk")
        )
        customer_ids = _stubs(
            Customer, organisation,
            {o.company_id: {"name": _cut(o.company_name, 255), "is_stub": True} for o, _ in changed},
            customer_ids,
        )
        channel_ids = _channels_ensure(
            organisation, {o.channel_id: o.channel_name for o, _ in changed if o.channel_id is not None}
        )
        season_ids = dict(
            Season.objects.filter(
                organisation=organisation, uphance_id__in=[o.season_id for o, _ in changed if o.season_id is not None]
            ).values_list("uphance_id", "pk")
        )
        season_ids = _stubs(Season, organisation, {o.season_id: {} for o, _ in changed}, season_ids)
        agent_ids = agents_upsert(organisation=organisation, agents=[a for o, _ in changed for a in o.agents], now=now)

        rows = []
        for order, digest in changed:
            old = held.get(order.id)
            status = _key(order.status)
            fulfillment = _key(order.fulfillment_status)
            rows.append(
                SalesOrder(
                    organisation=organisation, uphance_id=order.id, order_number=_cut(order.order_number, 64),
                    purchase_order_ref=_cut(order.purchase_order_ref, 255), customer_id=customer_ids.get(order.company_id),
                    customer_uphance_id=order.company_id, company_name=_cut(order.company_name, 255),
                    channel_id=channel_ids.get(order.channel_id), channel_uphance_id=order.channel_id,
                    channel_name=_cut(order.channel_name, 255), season_id=season_ids.get(order.season_id),
                    season_uphance_id=order.season_id, uphance_organisation_id=order.organisation_id,
                    created_at=order.created_at, updated_at=order.updated_at, submitted_at=order.submitted_at,
                    confirmed_at=order.confirmed_at, start_ship_date=_date(order.start_ship_date),
                    cancel_ship_date=_date(order.cancel_ship_date), proforma_number=_cut(order.proforma_number, 64),
                    proforma_date=_date(order.proforma_date), next_due_date=_date(order.next_due_date),
                    items_total=order.items_total, items_tax=order.items_tax, subtotal=order.subtotal,
                    total_tax=order.total_tax, grand_total=order.grand_total, shipping_cost=order.shipping_cost,
                    shipping_tax=order.shipping_tax, settlement_discount=order.settlement_discount,
                    deposit_percentage=order.deposit_percentage, total_quantity=order.total_quantity,
                    currency=_cut(order.currency, 8), custom_fields=_json(order.custom_fields), notes=order.notes,
                    internal_notes=order.internal_notes, invoice_numbers=order.invoice_numbers,
                    shipment_numbers=order.shipment_numbers, invoice_method=_cut(order.invoice_method, 64),
                    warehouse_name=_cut(order.warehouse_name, 255), payment_term_name=_cut(order.payment_term_name, 255),
                    shipping_instructions=order.shipping_instructions, return_label=order.return_label,
                    status=status[:32], status_raw=_cut(order.status, 64), fulfillment_status=fulfillment[:32],
                    fulfillment_status_raw=_cut(order.fulfillment_status, 64),
                    financial_status=_key(order.financial_status)[:32],
                    financial_status_raw=_cut(order.financial_status, 64),
                    is_open=sales_order_is_open(status=status, fulfillment_status=fulfillment), removed_at=None,
                    extra=_extra(order), content_hash=digest, first_seen_at=old["first_seen_at"] if old else now,
                    last_synced_at=now,
                )
            )
        _upsert(SalesOrder, rows, update_fields=SALES_ORDER_FIELDS)
        pks = {row.uphance_id: row.pk for row in rows}
        owners = list(pks.values())

        lines, pairs = [], set()
        for order, _ in changed:
            pk = pks[order.id]
            for sequence, item in enumerate(order.line_items):
                lines.append((item, SalesOrderLine(
                    organisation=organisation, sales_order_id=pk, uphance_id=item.id, sequence=sequence,
                    product_id=item.product_id, product_name=_cut(item.product_name, 255),
                    product_identifier=_cut(item.product_identifier, 255), variation_id=item.variation_id,
                    colour=_cut(item.color, 120), unit_tax=item.unit_tax, tax_level=item.tax_level,
                    unit_price=item.unit_price, original_price=item.original_price, weight=item.weight,
                    weight_unit=_cut(item.weight_unit, 16), percentage_discount=item.percentage_discount,
                    bundle_line_item=item.bundle_line_item, comments=item.comments, brand=_cut(item.product_brand, 255),
                    season=_cut(item.season, 255), country_of_origin=_cut(item.country_of_origin, 64),
                    intrastat_code=_cut(item.intrastat_code, 64), extra=_extra(item), units=item.quantity,
                    is_cancelled=line_is_cancelled(item),
                )))
            pairs.update((pk, agent_ids[_agent_id(agent)]) for agent in order.agents)
        lines = _dedupe(lines, key=lambda pair: pair[1].uphance_id)
        line_rows = [row for _, row in lines]
        _upsert(SalesOrderLine, line_rows, update_fields=LINE_FIELDS)
        SalesOrderLine.objects.filter(sales_order_id__in=owners).exclude(pk__in=[r.pk for r in line_rows]).delete()

        quantities = []
        for item, row in lines:
            for sequence, q in enumerate(item.line_quantities):
                quantities.append(
                    SalesOrderQuantity(
                        organisation=organisation, line_id=row.pk, sales_order_id=row.sales_order_id,
                        uphance_id=q.id if q.id is not None else _synthetic_id(item.id, sequence), sequence=sequence,
                        size=_cut(q.size, 64), quantity=q.quantity or 0, sku_number=_cut(q.sku_number, 255),
                        sku_id=q.sku_id, upc_number=_cut(q.upc_number, 64), inventory_id=q.inventory_id,
                        bundle_components=list(q.bundle_components), extra=_extra(q),
                    )
                )
        quantities = _dedupe(quantities, key=lambda r: r.uphance_id)
        _upsert(SalesOrderQuantity, quantities, update_fields=QUANTITY_FIELDS)
        SalesOrderQuantity.objects.filter(sales_order_id__in=owners).exclude(pk__in=[r.pk for r in quantities]).delete()
        _m2m_replace(SalesOrder.agents.through, "salesorder", owners, pairs)
    return counts


def sales_orders_mark_removed(*, organisation, uphance_ids: Iterable[int], now=None) -> int:
    """Sales orders Uphance no longer returns: kept, but closed and marked removed."""
    return _mark_removed(SalesOrder, organisation=organisation, uphance_ids=uphance_ids, now=now,
                         is_open=False, at_risk=False, risk_reason="")


def customers_mark_removed(*, organisation, uphance_ids: Iterable[int], now=None) -> int:
    """Customers Uphance no longer returns: kept, marked removed."""
    return _mark_removed(Customer, organisation=organisation, uphance_ids=uphance_ids, now=now)


def _mark_removed(model, *, organisation, uphance_ids: Iterable[int], now=None, **also) -> int:
    now = now or timezone.now()
    ids = list(uphance_ids)
    removed = 0
    for start in range(0, len(ids), BATCH):
        removed += model.objects.filter(
            organisation=organisation, uphance_id__in=ids[start : start + BATCH], removed_at__isnull=True
        ).update(removed_at=now, **also)
    return removed
