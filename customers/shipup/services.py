"""Shipup pre-shipment notifications: maps sales orders waiting on production to Shipup orders and pushes what changed.

What is sent (one `POST /v2/orders` per sales order, an upsert by merchant_id):
- the order: `merchant_id` "uphance-so-<Uphance sales order id>" (stable), `order_number`,
  `ordered_at` (created, else submitted, else confirmed), the customer's e-mail, phone, first and
  last name from one contact (the first with a valid e-mail, shipping contacts before buyers),
  `shipping_address` from the customer's default shipping address (`country_code` ISO 3166-1
  alpha-2) and `canceled` once the sales order is cancelled;
- one fulfillment per sales order ("uphance-so-<id>-production") holding the line items, one per
  size (`merchant_id` "uphance-soq-<quantity id>", `sku`, `title`, `variant_title`
  "colour / size", `quantity`; a cancelled line is sent with `canceled: true`), and the
  `status_code` derived from the production the order waits on (its allocated demand links).

Status precedence, first match wins:
  canceled            the sales order is cancelled (sent once, only if Shipup has the order)
  production_delay    the sales order is at risk (customers' risk rule: SalesOrder.at_risk, judged by
                      the same stored forecast as the board's "predicted late")
  preparing_shipment  all the production it waited on is received (its demand links are gone
                      and every production order of the last accepted push is all received)
  in_transit_to_stock a production order it waits on is receiving
  in_production       a line item it waits on is in a stage (in progress or stages completed)
  pending             otherwise: production has not started
A sales order that no longer waits on production for another reason (its production order
was cancelled or removed) is left as Shipup has it.

A payload is sent only when its hash differs from the last payload Shipup accepted or refused.
Errors: a refusal (400) is logged readably on that order and not retried; 401/402/403 pause the
organisation's pushes until an admin resumes them; 429/5xx/timeouts (after the client's own
retries) stop the pass and the task tries again later. A missing contact e-mail is no error:
the order goes without it and the log flags it. A push is a run of the sync engine (kind
shipup_push): one at a time per organisation, in the sync log with what it sent.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import pycountry
import pydantic
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from customers.models import Address, Contact, SalesOrder
from customers.shipup.models import ShipupOrderState, ShipupPush, ShipupSettings
from customers.shipup.selectors import (
    shipup_sales_orders,
    shipup_sales_orders_load,
    shipup_settings_get,
)
from integrations.shipup import (
    ShipupAuthError,
    ShipupClient,
    ShipupError,
    ShipupOrder,
    ShipupRateLimited,
    ShipupServerError,
    ShipupValidationError,
)
from production.models import ProductionOrder
from production.models.orders import StageStatus
from production.rules import has_started, order_is_received, order_is_receiving
from production.sync.engine import SyncLocked, SyncPaused, sync_pass, sync_run
from production.sync.log import Counts
from production.sync.models import SyncRun

logger = logging.getLogger(__name__)

__all__ = [
    "PushResult",
    "ShipupPlan",
    "merchant_id_for",
    "payload_hash",
    "shipup_client_for",
    "shipup_payload_for",
    "shipup_plans",
    "shipup_push",
    "shipup_push_pass",
    "shipup_pushes_resume",
    "shipup_settings_update",
]

Flag = ShipupPush.Flag
EXCERPT_CHARS = 2000
# Uphance country values seen that are not ISO names or codes.
COUNTRY_ALIASES = {"UK": "GB", "ENGLAND": "GB", "SCOTLAND": "GB", "WALES": "GB", "NORTHERN IRELAND": "GB",
                   "GREAT BRITAIN": "GB", "THE NETHERLANDS": "NL", "HOLLAND": "NL", "DEUTSCHLAND": "DE"}


# --- mapping --------------------------------------------------------------------------------------

@dataclass
class ShipupPlan:
    """What a push would send for one sales order, and why."""

    sales_order: SalesOrder
    payload: dict[str, Any] | None
    status_code: str
    reason: str
    flags: list[str] = field(default_factory=list)
    payload_hash: str = ""
    production_order_ids: list[int] = field(default_factory=list)
    changed: bool = True  # differs from what Shipup last accepted or refused

    @property
    def sendable(self) -> bool:
        return self.payload is not None

    @property
    def payload_json(self) -> str:
        return json.dumps(self.payload, indent=2, ensure_ascii=False) if self.payload is not None else ""

    @property
    def flag_labels(self) -> list[str]:
        labels = dict(Flag.choices)
        return [labels.get(f, f) for f in self.flags]


def merchant_id_for(sales_order: SalesOrder) -> str:
    return f"uphance-so-{sales_order.uphance_id}"


def payload_hash(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _email(value: str | None) -> str | None:
    text = _text(value)
    if text is None:
        return None
    try:
        validate_email(text)
    except ValidationError:
        return None
    return text


def contact_for(sales_order: SalesOrder) -> Contact | None:
    """The customer's contact to notify: one with a valid e-mail first, shipping before buyer."""
    customer = sales_order.customer
    contacts = list(customer.contacts.all()) if customer else []
    if not contacts:
        return None
    return min(contacts, key=lambda c: (_email(c.email) is None, not c.shipping, not c.buyer, c.sequence, c.pk))


def shipping_address_for(sales_order: SalesOrder) -> Address | None:
    customer = sales_order.customer
    addresses = [a for a in customer.addresses.all() if a.default_for_shipping] if customer else []
    return min(addresses, key=lambda a: (a.sequence, a.pk)) if addresses else None


def country_of(value: str | None):
    """The pycountry record for an Uphance country (ISO code, alpha-3 or name), else None."""
    text = _text(value)
    if text is None:
        return None
    text = COUNTRY_ALIASES.get(text.upper(), text)
    try:
        return pycountry.countries.lookup(text)
    except LookupError:
        return None


def _state_code(state: str | None, country_code: str | None) -> str | None:
    if country_code not in ("US", "CA") or not state:
        return None
    state = state.strip()
    if len(state) == 2 and state.isalpha():
        return state.upper()
    for subdivision in pycountry.subdivisions.get(country_code=country_code) or ():
        if subdivision.name.casefold() == state.casefold():
            return subdivision.code.split("-", 1)[1]
    return None


def _address_payload(address: Address, contact: Contact | None, customer_name: str | None,
                     flags: list[str]) -> dict[str, Any]:
    country = country_of(address.country)
    code = country.alpha_2 if country else None
    if address.country and country is None:
        flags.append(Flag.UNKNOWN_COUNTRY)
    extra_lines = " ".join(line for line in (address.line_2, address.line_3) if _text(line))
    state_code = _state_code(address.state, code)
    return {
        "address1": _text(address.line_1),
        "address2": _text(extra_lines),
        "city": _text(address.city),
        "zip": _text(address.postcode),
        "state": _text(address.state) if not state_code else None,
        "state_code": state_code,
        "country": (getattr(country, "common_name", None) or country.name) if country else _text(address.country),
        "country_code": code,
        "first_name": _text(contact.first_name) if contact else None,
        "last_name": _text(contact.last_name) if contact else None,
        "company_title": _text(customer_name),
    }


def _line_items(sales_order: SalesOrder) -> list[dict[str, Any]]:
    items = []
    for line in sales_order.lines.all():
        for quantity in line.quantities.all():
            if quantity.quantity <= 0:
                continue
            variant = " / ".join(p for p in (_text(line.colour), _text(quantity.size)) if p)
            items.append({
                "merchant_id": f"uphance-soq-{quantity.uphance_id}",
                "sku": _text(quantity.sku_number),
                "title": _text(line.product_name),
                "variant_title": variant or None,
                "quantity": quantity.quantity,
                "canceled": True if line.is_cancelled else None,
            })
    return items


def _numbers(orders) -> str:
    numbers = sorted({f"PO {o.number}" for o in orders})
    return ", ".join(numbers[:5]) + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")


def _status(sales_order: SalesOrder, links: list, known_orders: dict[int, ProductionOrder],
            state: ShipupOrderState | None) -> tuple[str, str, list[int]]:
    """(status_code, reason, production order pks); an empty status_code means "send nothing"."""
    if sales_order.is_cancelled:
        return "canceled", f"The sales order is cancelled in Uphance ({sales_order.status_raw or sales_order.status})", []
    if links:
        orders = {link.production_order_id: link.production_order for link in links}
        ids = sorted(orders)
        if sales_order.at_risk:
            return "production_delay", f"At risk: {sales_order.risk_reason or 'production will not be ready in time'}", ids
        receiving = [o for o in orders.values() if order_is_receiving(o)]
        if receiving:
            verb = "is" if len(receiving) == 1 else "are"
            return "in_transit_to_stock", f"{_numbers(receiving)} {verb} being received into stock", ids
        in_stage = [link for link in links if has_started(link.line_item.stage_status)]
        if in_stage:
            first = min(in_stage, key=lambda link: link.line_item_id)
            line_item = first.line_item
            if line_item.current_stage is not None:
                stage = line_item.current_stage.name
            elif line_item.stage_status == StageStatus.COMPLETED:
                stage = "production (stages completed)"
            else:
                stage = "production"
            more = len({link.line_item_id for link in in_stage}) - 1
            tail = f" and {more} more line item{'s' if more != 1 else ''}" if more else ""
            what = " ".join(p for p in (line_item.product_name, line_item.colour) if p) or "a line item"
            return "in_production", f"In {stage}: {what} ({_numbers([first.production_order])}){tail}", ids
        return "pending", f"Waiting for production to start ({_numbers(orders.values())})", ids
    ids = list(state.accepted_production_order_ids) if state else []
    orders = [known_orders.get(pk) for pk in ids]
    if ids and all(o is not None and order_is_received(o) for o in orders):
        return "preparing_shipment", f"All production received ({_numbers(orders)}): preparing the shipment", ids
    return "", "No longer waits on production (its production order was cancelled or removed): nothing sent", ids


def _state_of(sales_order: SalesOrder) -> ShipupOrderState | None:
    try:
        return sales_order.shipup_state
    except ShipupOrderState.DoesNotExist:
        return None


def _plan(sales_order: SalesOrder, known_orders: dict[int, ProductionOrder]) -> ShipupPlan:
    state = _state_of(sales_order)
    links = getattr(sales_order, "shipup_links", None)
    if links is None:
        links = list(sales_order.demand_links.filter(is_allocated=True, units__gt=0)
                     .select_related("line_item__current_stage", "production_order"))
    status_code, reason, production_ids = _status(sales_order, links, known_orders, state)
    if not status_code:
        return ShipupPlan(sales_order, None, "", reason, production_order_ids=production_ids, changed=False)

    flags: list[str] = []
    contact = contact_for(sales_order)
    email = _email(contact.email) if contact else None
    if email is None:
        flags.append(Flag.MISSING_EMAIL)
    address = shipping_address_for(sales_order)
    if address is None:
        flags.append(Flag.MISSING_ADDRESS)
    ordered_at = sales_order.created_at or sales_order.submitted_at or sales_order.confirmed_at
    if ordered_at is None:
        flags.append(Flag.MISSING_ORDERED_AT)
    order_number = _text(sales_order.order_number) or str(sales_order.uphance_id)
    merchant_id = merchant_id_for(sales_order)
    customer_name = sales_order.customer.name if sales_order.customer else sales_order.company_name
    raw = {
        "merchant_id": merchant_id,
        "order_number": order_number,
        "ordered_at": ordered_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if ordered_at else None,
        "email": email,
        "phone": (_text(contact.phone_1) or _text(contact.phone_2)) if contact else None,
        "first_name": _text(contact.first_name) if contact else None,
        "last_name": _text(contact.last_name) if contact else None,
        "canceled": True if status_code == "canceled" else None,
        "shipping_address": _address_payload(address, contact, customer_name, flags) if address else None,
        "fulfillments": [{
            "merchant_id": f"{merchant_id}-production",
            "fulfillment_number": f"{order_number}_1",
            "status_code": status_code,
            "line_items": _line_items(sales_order) or None,
        }],
    }
    payload = _clean(raw)
    try:
        payload = ShipupOrder.model_validate(payload).to_json()
    except pydantic.ValidationError:
        # Send it as built: Shipup's answer (logged on the order) says what is wrong.
        logger.warning("Shipup payload of sales order %s does not validate locally", sales_order.pk)
    digest = payload_hash(payload)
    return ShipupPlan(
        sales_order, payload, status_code, reason[:500], flags, digest, production_ids,
        changed=state is None or state.payload_hash != digest,
    )


def _clean(value: Any) -> Any:
    """Drop None values (Shipup treats absent and null alike; absent keeps payloads small)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def shipup_plans(*, sales_orders) -> list[ShipupPlan]:
    """A plan per sales order (queryset or list), loaded in a constant number of queries."""
    orders = shipup_sales_orders_load(sales_orders)
    needed = {
        pk for o in orders if not getattr(o, "shipup_links", None) and (state := _state_of(o))
        for pk in state.accepted_production_order_ids
    }
    known = {o.pk: o for o in ProductionOrder.objects.filter(pk__in=needed)} if needed else {}
    return [_plan(o, known) for o in orders]


def shipup_payload_for(*, sales_order: SalesOrder) -> tuple[dict[str, Any] | None, str, str, list[str]]:
    """(payload dict, status_code, reason, flags) for one sales order; payload None = nothing to send."""
    plan = shipup_plans(sales_orders=[sales_order])[0]
    return plan.payload, plan.status_code, plan.reason, plan.flags


# --- pushing --------------------------------------------------------------------------------------

@dataclass
class PushResult:
    organisation_id: int
    dry_run: bool = False
    considered: int = 0
    sent: int = 0
    unchanged: int = 0
    rejected: int = 0
    failed: int = 0
    not_waiting: int = 0
    stopped: str = ""  # why the pass did not run (or stopped early), in words
    retry: bool = False  # a transient problem stopped the pass: run again later
    retry_after: float | None = None
    paused: bool = False
    error: ShipupError | None = None  # the transient error that stopped the pass
    planned: list[ShipupPlan] = field(default_factory=list)  # dry run: what would be sent

    def summary(self) -> str:
        verb = "would send" if self.dry_run else "sent"
        count = len(self.planned) if self.dry_run else self.sent
        orders = "sales order" if self.considered == 1 else "sales orders"
        text = (f"{self.considered} {orders}: {count} {verb}, {self.unchanged} unchanged, "
                f"{self.rejected} rejected, {self.failed} failed")
        if self.not_waiting:
            text += f", {self.not_waiting} no longer waiting"
        return f"{text}. {self.stopped}".strip() if self.stopped else text


def shipup_client_for(*, organisation=None) -> ShipupClient | None:
    """A client on SHIPUP_API_URL with SHIPUP_API_KEY; None while the key is not set (integration off)."""
    if not django_settings.SHIPUP_API_KEY:
        return None
    return ShipupClient(django_settings.SHIPUP_API_URL, api_key=django_settings.SHIPUP_API_KEY)


def _settings_ready(organisation, result: PushResult | None = None) -> ShipupSettings:
    """The organisation's Shipup settings when pushes may run; else SyncPaused saying why."""
    settings = shipup_settings_get(organisation=organisation)
    if not settings.enabled:
        raise SyncPaused("Shipup is switched off for this organisation.")
    if settings.is_paused:
        if result is not None:
            result.paused = True
        raise SyncPaused(f"Pushes are paused: {settings.paused_reason}")
    return settings


def _pass_client(organisation) -> ShipupClient:
    _settings_ready(organisation)
    client = shipup_client_for(organisation=organisation)
    if client is None:
        raise SyncPaused("SHIPUP_API_KEY is not set: the Shipup integration is off.")
    return client


def _excerpt(body: Any) -> str:
    if body is None:
        return ""
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return text[:EXCERPT_CHARS]


def _push_pass(*, organisation, client: ShipupClient, run, result: PushResult) -> Counts:
    """Send what changed, under the sync's lock and in its run log; a transient error is raised
    again once the pass has stopped, so the task tries later."""
    settings = _settings_ready(organisation, result)
    try:
        _push_all(result, organisation=organisation, settings=settings, client=client)
    finally:
        ShipupSettings.objects.filter(pk=settings.pk).update(
            last_run_at=timezone.now(), last_run_summary=result.summary()[:300]
        )
    run.message = result.summary()
    if result.error is not None:
        raise result.error
    return Counts(updated=result.sent, unchanged=result.unchanged + result.not_waiting,
                  issues=result.rejected + result.failed)


@sync_pass(client=_pass_client)
def shipup_push_pass(*, organisation, client, run, progress) -> Counts:
    """The registered pass of SyncRun.Kind.SHIPUP_PUSH (run by production.sync.engine.sync_run)."""
    return _push_pass(organisation=organisation, client=client, run=run,
                      result=PushResult(organisation_id=organisation.pk))


def shipup_push(*, organisation, dry_run: bool = False, client: ShipupClient | None = None,
                trigger: str = SyncRun.Trigger.COMMAND) -> PushResult:
    """Send every sales order whose payload changed (or, with `dry_run`, return them as `planned`).

    A real push is a run of the sync engine: it holds the organisation's shipup_push lock and shows
    in the sync log; the result says what happened in detail.
    """
    result = PushResult(organisation_id=organisation.pk, dry_run=dry_run)
    if dry_run:
        settings = shipup_settings_get(organisation=organisation)
        if not settings.is_active:
            result.stopped = ("Pushes are paused: nothing is sent until an admin resumes them." if settings.is_paused
                              else "Shipup is switched off for this organisation: nothing is sent until it is on.")
        _push_all(result, organisation=organisation, settings=settings, client=None)
        return result

    @sync_pass(client=_pass_client)
    def work(*, organisation, client, run, progress):
        return _push_pass(organisation=organisation, client=client, run=run, result=result)

    try:
        run = sync_run(organisation=organisation, kind=SyncRun.Kind.SHIPUP_PUSH, trigger=trigger, client=client,
                       work=work)
    except SyncLocked:
        result.retry = True
        result.stopped = "Another push for this organisation is running."
        return result
    if run.outcome == SyncRun.Outcome.SKIPPED:
        result.stopped = run.message
    logger.info("Shipup push for organisation %s: %s", organisation.pk, result.summary())
    return result


def _push_all(result: PushResult, *, organisation, settings: ShipupSettings, client: ShipupClient | None) -> None:
    queryset = shipup_sales_orders(organisation=organisation, settings=settings)
    pks = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(pks), 200):
        for plan in shipup_plans(sales_orders=queryset.filter(pk__in=pks[start:start + 200])):
            result.considered += 1
            if not plan.sendable:
                result.not_waiting += 1
            elif not plan.changed:
                result.unchanged += 1
            elif result.dry_run:
                result.planned.append(plan)
            elif not _send(result, plan, organisation=organisation, settings=settings, client=client):
                return


def _send(result: PushResult, plan: ShipupPlan, *, organisation, settings: ShipupSettings,
          client: ShipupClient) -> bool:
    """Send one plan and log it; False when the pass must stop (account problem, Shipup unwell)."""
    push = ShipupPush(
        organisation=organisation, sales_order=plan.sales_order, sent_at=timezone.now(),
        status_code=plan.status_code, reason=plan.reason, flags=[str(f) for f in plan.flags],
        payload_hash=plan.payload_hash, payload=plan.payload,
    )
    go_on = True
    status = None
    try:
        answer = client.order_upsert(plan.payload)
    except ShipupValidationError as exc:
        status = exc.status
        push.outcome = ShipupPush.Outcome.REJECTED
        push.error = str(exc)
        push.response_excerpt = _excerpt(exc.body)
        result.rejected += 1
    except ShipupAuthError as exc:
        status = exc.status
        push.outcome = ShipupPush.Outcome.AUTH_FAILED
        push.error = exc.message
        push.response_excerpt = _excerpt(exc.body)
        now = timezone.now()
        ShipupSettings.objects.filter(pk=settings.pk).update(
            paused_reason=exc.message, paused_status=exc.status, paused_at=now
        )
        settings.paused_reason, settings.paused_status, settings.paused_at = exc.message, exc.status, now
        result.failed += 1
        result.paused = True
        result.stopped = f"Pushes are paused: {exc.message}"
        go_on = False
    except (ShipupRateLimited, ShipupServerError) as exc:
        status = exc.status
        push.outcome = ShipupPush.Outcome.FAILED
        push.error = f"{exc.message} — Seamline tries again later."
        push.response_excerpt = _excerpt(exc.body)
        result.failed += 1
        result.retry = True
        result.retry_after = getattr(exc, "retry_after", None)
        result.error = exc
        result.stopped = f"Stopped early, will retry: {exc.message}"
        go_on = False
    except ShipupError as exc:
        status = exc.status
        # An answer no retry would change (404, 409, 422…): logged like a refusal.
        push.outcome = ShipupPush.Outcome.REJECTED
        push.error = exc.message
        push.response_excerpt = _excerpt(exc.body)
        result.rejected += 1
    else:
        push.outcome = ShipupPush.Outcome.SENT
        push.response_excerpt = _excerpt(answer)
        result.sent += 1
    # The last HTTP answer the client had; else the error's status, if it had one.
    push.response_status = client.last_status if client.last_status is not None else status
    _record(push, plan)
    return go_on


def _record(push: ShipupPush, plan: ShipupPlan) -> None:
    with transaction.atomic():
        push.save()
        if push.outcome not in (ShipupPush.Outcome.SENT, ShipupPush.Outcome.REJECTED):
            return
        fields = {"payload_hash": plan.payload_hash, "updated_at": push.sent_at}
        if push.outcome == ShipupPush.Outcome.SENT:
            fields.update(accepted_hash=plan.payload_hash, accepted_status_code=plan.status_code,
                          accepted_at=push.sent_at, accepted_production_order_ids=plan.production_order_ids)
        ShipupOrderState.objects.update_or_create(
            sales_order=plan.sales_order, defaults={"organisation_id": push.organisation_id, **fields}
        )


# --- settings -------------------------------------------------------------------------------------

def shipup_settings_update(*, organisation, enabled: bool, channels=()) -> ShipupSettings:
    """Switch pushes on or off and choose the channels (none = every channel)."""
    settings, _ = ShipupSettings.objects.get_or_create(organisation=organisation)
    settings.enabled = enabled
    settings.save(update_fields=["enabled", "updated_at"])
    settings.channels.set([c for c in channels if c.organisation_id == organisation.pk])
    return settings


def shipup_pushes_resume(*, organisation) -> ShipupSettings:
    """An admin fixed the Shipup account: clear the pause (pushes start again on the next run)."""
    settings, _ = ShipupSettings.objects.get_or_create(organisation=organisation)
    settings.paused_reason, settings.paused_status, settings.paused_at = "", None, None
    settings.save(update_fields=["paused_reason", "paused_status", "paused_at", "updated_at"])
    return settings
