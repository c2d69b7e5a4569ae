"""Links the units customers ordered to the open production that will supply them, and flags what is at risk.

`demand_links_rebuild(organisation=…)` recomputes every DemandLink of an organisation in bulk and
sends `demand_relinked`; it runs after each sales-order sync and after each production sync.

Rules
- Demand: each size (SalesOrderQuantity) with units > 0 of an open sales order (not cancelled
  or closed, not fully shipped, still in Uphance) on a line that is not cancelled.
- Supply: each size (LineQuantity) with units > 0 of a present line item of an open production
  order (not complete/cancelled, not all received: partly received orders still supply).
- Matching: by `sku_id`. A demand whose SKU no open production carries (or that has no SKU)
  falls back to the production of the same `variation_id` and size (sizes compared without
  case or surrounding spaces) where one side has no SKU — two different known SKUs never match.
- Allocation: when several open productions match, they are taken in the order they are
  expected (in-warehouse date, else due date; no date last), then by production-order Uphance
  id. Demand is served most urgent first (ship-by date, no date last, then sales-order id), each
  production supplying at most its units; what no production has units left for goes to the
  last-expected one (the earliest it could come). Every other matching production is linked
  too with no units (`is_allocated=False`) so pages can show "also on PO …".
- Risk: judged per allocated link by `customers.services.risk.risk_assess` (the ship-by date
  against the production's date and its stored forecast); a sales order is at risk when any of
  its links is, with the reason of the most serious one. Rebuilt after production syncs and
  again once the forecasts they change are recomputed (customers.signals).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organisation
from customers.models import DemandLink, SalesOrder, SalesOrderQuantity
from customers.signals import demand_relinked
from production.models import LineQuantity, ProductionOrder, StageStatus
from production.rules import expected_date, orders_open, organisation_today

from .risk import SEVERITY, Production, risk_assess

BATCH = 2000


@dataclass
class _Supply:
    pk: int
    line_item_id: int
    order_id: int
    sku_id: int | None
    variation_id: int | None
    size: str
    units: int
    left: int
    sort_key: tuple
    production: Production


@dataclass
class _Demand:
    pk: int
    line_id: int
    sales_order_id: int
    customer_id: int | None
    sku_id: int | None
    variation_id: int | None
    size: str
    units: int
    ship_by: dt.date | None
    sort_key: tuple


def _size(value) -> str:
    return (value or "").strip().casefold()


def _demand(organisation) -> tuple[list[_Demand], object]:
    queryset = SalesOrderQuantity.objects.filter(
        organisation=organisation, quantity__gt=0, line__is_cancelled=False,
        sales_order__is_open=True, sales_order__removed_at__isnull=True,
    )
    rows = []
    for (pk, line_id, order_id, customer_id, sku_id, variation_id, size, units, cancel, start, order_uid,
         uid) in queryset.values_list(
        "pk", "line_id", "sales_order_id", "sales_order__customer_id", "sku_id", "line__variation_id", "size",
        "quantity", "sales_order__cancel_ship_date", "sales_order__start_ship_date", "sales_order__uphance_id",
        "uphance_id",
    ).iterator(chunk_size=BATCH):
        ship_by = cancel or start
        rows.append(_Demand(
            pk=pk, line_id=line_id, sales_order_id=order_id, customer_id=customer_id, sku_id=sku_id,
            variation_id=variation_id, size=_size(size), units=units, ship_by=ship_by,
            sort_key=(ship_by is None, ship_by or dt.date.max, order_uid, uid),
        ))
    return rows, queryset


def _supply(organisation, demand_queryset) -> list[_Supply]:
    open_orders = orders_open(ProductionOrder.objects.filter(organisation=organisation))
    queryset = LineQuantity.objects.filter(
        line_item__organisation=organisation, line_item__removed_at__isnull=True, line_item__order__in=open_orders,
        quantity__gt=0,
    ).filter(
        # Only production some demand could match (subqueries, never lists of ids).
        Q(sku_id__in=demand_queryset.filter(sku_id__isnull=False).values("sku_id"))
        | Q(line_item__variation_id__in=demand_queryset.filter(line__variation_id__isnull=False).values("line__variation_id"))
    )
    rows = []
    for (pk, line_item_id, order_id, sku_id, variation_id, size, units, in_warehouse, due, order_uid, uid, number,
         manufacturer, delivery_status, stage_status, stage_name, forecast_p50, forecast_p90) in queryset.values_list(
        "pk", "line_item_id", "line_item__order_id", "sku_id", "line_item__variation_id", "size", "quantity",
        "line_item__order__in_warehouse_date", "line_item__order__due_date", "line_item__order__uphance_id",
        "uphance_id", "line_item__order__number", "line_item__order__manufacturer__name",
        "line_item__order__delivery_status", "line_item__stage_status", "line_item__current_stage__name",
        "line_item__forecast_arrival_p50", "line_item__forecast_arrival_p90",
    ).iterator(chunk_size=BATCH):
        expected = expected_date(in_warehouse_date=in_warehouse, due_date=due)
        rows.append(_Supply(
            pk=pk, line_item_id=line_item_id, order_id=order_id, sku_id=sku_id, variation_id=variation_id,
            size=_size(size), units=units, left=units,
            sort_key=(expected is None, expected or dt.date.max, order_uid, uid),
            production=Production(
                order_number=number, manufacturer=manufacturer or "", expected_date=expected,
                delivery_status=delivery_status or "",
                stage_name=(stage_name or "") if stage_status == StageStatus.IN_PROGRESS else "",
                forecast_p50=forecast_p50, forecast_p90=forecast_p90,
            ),
        ))
    return rows


def demand_candidates(demand: _Demand, by_sku: dict, by_variation: dict) -> tuple[list[_Supply], str]:
    """The open production that can supply `demand`, in allocation order, and how it matched."""
    if demand.sku_id is not None and by_sku.get(demand.sku_id):
        return by_sku[demand.sku_id], DemandLink.MatchedBy.SKU
    if demand.variation_id is None:
        return [], ""
    candidates = [
        s for s in by_variation.get((demand.variation_id, demand.size), ())
        if demand.sku_id is None or s.sku_id is None
    ]
    return candidates, DemandLink.MatchedBy.VARIATION_SIZE


def demand_links_rebuild(*, organisation, now: dt.datetime | None = None) -> int:
    """Recompute the organisation's demand links and sales-order risk flags; returns the number of links."""
    now = now or timezone.now()
    today = organisation_today(organisation=organisation, now=now)
    demand, demand_queryset = _demand(organisation)
    supply = _supply(organisation, demand_queryset) if demand else []

    by_sku: dict[int, list[_Supply]] = defaultdict(list)
    by_variation: dict[tuple, list[_Supply]] = defaultdict(list)
    for s in supply:
        if s.sku_id is not None:
            by_sku[s.sku_id].append(s)
        if s.variation_id is not None:
            by_variation[(s.variation_id, s.size)].append(s)
    for group in (*by_sku.values(), *by_variation.values()):
        group.sort(key=lambda s: s.sort_key)

    links: list[DemandLink] = []
    order_risk: dict[int, tuple[int, str]] = {}
    for d in sorted(demand, key=lambda d: d.sort_key):
        candidates, matched_by = demand_candidates(d, by_sku, by_variation)
        if not candidates:
            continue
        allocation: dict[int, int] = {}
        need = d.units
        for s in candidates:
            take = min(need, s.left)
            if take > 0:
                allocation[s.pk] = take
                s.left -= take
                need -= take
            if need == 0:
                break
        if need:
            last = candidates[-1]
            allocation[last.pk] = allocation.get(last.pk, 0) + need
        for s in candidates:
            units = allocation.get(s.pk, 0)
            risk = risk_assess(ship_by=d.ship_by, production=s.production, today=today) if units else None
            links.append(DemandLink(
                organisation=organisation, sales_order_quantity_id=d.pk, sales_order_line_id=d.line_id,
                sales_order_id=d.sales_order_id, customer_id=d.customer_id, line_quantity_id=s.pk,
                line_item_id=s.line_item_id, production_order_id=s.order_id, units=units, is_allocated=bool(units),
                matched_by=matched_by, ship_by=d.ship_by, expected_date=s.production.expected_date,
                at_risk=bool(risk and risk.at_risk), risk_kind=risk.kind if risk else "",
                risk_reason=(risk.reason if risk else "")[:500], rebuilt_at=now,
            ))
            if risk and risk.at_risk:
                severity = SEVERITY[risk.kind]
                if severity > order_risk.get(d.sales_order_id, (0, ""))[0]:
                    order_risk[d.sales_order_id] = (severity, risk.reason[:500])

    with transaction.atomic():
        # Rebuilds of one organisation (after a sales-order and a production sync) take turns.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        DemandLink.objects.filter(organisation=organisation).delete()
        DemandLink.objects.bulk_create(links, batch_size=BATCH)
        sales_orders_risk_write(organisation=organisation, risks={pk: reason for pk, (_, reason) in order_risk.items()})
    demand_relinked.send(sender=demand_links_rebuild, organisation=organisation, links=len(links))
    return len(links)


def sales_orders_risk_write(*, organisation, risks: dict[int, str]) -> int:
    """Set at_risk/risk_reason to `risks` (sales-order pk -> reason); only rows that change are written."""
    flagged = dict(
        SalesOrder.objects.filter(organisation=organisation, at_risk=True).values_list("pk", "risk_reason")
    )
    clear = [pk for pk in flagged if pk not in risks]
    changed = [SalesOrder(pk=pk, at_risk=True, risk_reason=reason) for pk, reason in risks.items() if flagged.get(pk) != reason]
    for start in range(0, len(clear), BATCH):
        SalesOrder.objects.filter(pk__in=clear[start : start + BATCH]).update(at_risk=False, risk_reason="")
    if changed:
        SalesOrder.objects.bulk_update(changed, ["at_risk", "risk_reason"], batch_size=BATCH)
    return len(clear) + len(changed)
