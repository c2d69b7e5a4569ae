"""A small, known production history (dates relative to today, UTC days) for analytics and the
board on a past day. The figures the tests expect are worked out by hand in their docstrings.

Adine Undone: A1..A4 received in the last 90 days, A-old 120 days ago, A5 open. Kotka Knits: K1, K2
received. Lone Loom: L-old received 200 days ago, L-open open. Stages Cutting and Sewing.
"""
import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from analytics.services import analytics_rebuild
from production.history.services import stage_history_rebuild
from tests.support.factories import (
    LineItemFactory,
    ManufacturerFactory,
    ProductionOrderFactory,
    SeasonFactory,
    StageFactory,
    StagePeriodFactory,
    WarehouseFactory,
)


def noon(days_ago: int) -> dt.datetime:
    today = timezone.now().astimezone(dt.UTC).date()
    return dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(12), tzinfo=dt.UTC)


def day(days_ago: int) -> dt.date:
    return timezone.now().astimezone(dt.UTC).date() - dt.timedelta(days=days_ago)


@dataclass
class History:
    organisation: object
    cutting: object
    sewing: object
    adine: object
    kotka: object
    lone: object
    ss26: object
    w1: object
    w2: object
    orders: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)


def _order(org, key, maker, *, created, due=None, in_warehouse=None, received=None, original_due=None,
           season=None, uphance_id=None):
    return ProductionOrderFactory(
        organisation=org, manufacturer=maker, season=season, created_at=noon(created),
        due_date=day(due) if due is not None else None, in_warehouse_date=day(in_warehouse) if in_warehouse is not None else None,
        original_due_date=day(original_due if original_due is not None else due) if (due is not None or original_due is not None) else None,
        original_in_warehouse_date=day(in_warehouse) if in_warehouse is not None else None,
        status="complete" if received is not None else "confirmed",
        status_raw="COMPLETE" if received is not None else "CONFIRMED",
        delivery_status="all_received" if received is not None else "not_received",
        delivery_status_raw="All Received" if received is not None else "Not Received",
        updated_at=noon(received) if received is not None else noon(created),
        **({"uphance_id": uphance_id} if uphance_id else {}),
    )


def _item(order, units, warehouse, periods, *, current=None, status="in_progress", name="Style"):
    """periods: [(stage, start days ago, end days ago or None)], in stage order."""
    last = periods[-1] if periods else None
    done = last is not None and last[2] is not None
    item = LineItemFactory(
        order=order, units=units, warehouse=warehouse, product_name=name, has_stages=bool(periods) or status != "no_stages",
        stage_status=("completed" if done else "in_progress") if periods else status,
        current_stage=last[0] if last else current,
        current_stage_started_at=(last[1] if isinstance(last[1], dt.datetime) else noon(last[1])) if last else None,
    )
    for sequence, (stage, start, end) in enumerate(periods):
        StagePeriodFactory(
            line_item=item, stage=stage, sequence=sequence, is_current=sequence == len(periods) - 1,
            start_time=noon(start) if isinstance(start, int) else start,
            end_time=(noon(end) if isinstance(end, int) else end) if end is not None else None,
            status="completed" if end is not None else "in_progress",
        )
    if not periods and current is not None:
        StagePeriodFactory(line_item=item, stage=current, sequence=0, is_current=True, start_time=None,
                           status="not_started")
    return item


def build_history(org) -> History:
    org.time_zone = "UTC"
    org.save()
    cutting = StageFactory(organisation=org, name="Cutting", colour="#b86f6f", position=0)
    sewing = StageFactory(organisation=org, name="Sewing", colour="#973094", position=1)
    adine = ManufacturerFactory(organisation=org, name="Adine Undone")
    kotka = ManufacturerFactory(organisation=org, name="Kotka Knits")
    lone = ManufacturerFactory(organisation=org, name="Lone Loom")
    ss26 = SeasonFactory(organisation=org, name="SS26")
    w1 = WarehouseFactory(organisation=org, name="Primary")
    w2 = WarehouseFactory(organisation=org, name="Porto")
    h = History(org, cutting, sewing, adine, kotka, lone, ss26, w1, w2)
    o, i = h.orders, h.items
    # Received POs in the last 90 days (received = Uphance's last update of the order).
    o["A1"] = _order(org, "A1", adine, created=40, due=20, original_due=25, received=20, season=ss26)
    o["A2"] = _order(org, "A2", adine, created=45, due=27, received=24)
    o["A3"] = _order(org, "A3", adine, created=55, due=40, received=42)
    o["A4"] = _order(org, "A4", adine, created=40, due=15, in_warehouse=10, received=5)
    o["K1"] = _order(org, "K1", kotka, created=25, due=10, received=10)
    o["K2"] = _order(org, "K2", kotka, created=60, due=50, received=48)
    # Outside a 90-day window, inside 180 / 365.
    o["A-old"] = _order(org, "A-old", adine, created=150, due=125, received=120)
    o["L-old"] = _order(org, "L-old", lone, created=230, due=210, received=200)
    # Open.
    o["L-open"] = _order(org, "L-open", lone, created=10, due=-30)
    o["A5"] = _order(org, "A5", adine, created=5, due=-40)

    i["a1"] = _item(o["A1"], 10, w1, [(cutting, 32, 30), (sewing, 30, 25)], name="Wrap Dress")
    i["a2"] = _item(o["A2"], 20, w2, [(cutting, 40, 36), (sewing, 36, 26)], name="Linen Shirt")
    i["a3"] = _item(o["A3"], 30, w1, [(cutting, 50, 44)], name="Knit Sweater")
    click = noon(12)
    i["a4"] = _item(o["A4"], 40, w1, [(cutting, click, click + dt.timedelta(minutes=10))], name="Rib Tank")
    i["k1"] = _item(o["K1"], 5, w2, [(cutting, 20, 19), (sewing, 19, 11)], name="Wool Coat")
    i["k2"] = _item(o["K2"], 6, w1, [(cutting, 55, 52)], name="Hoodie")
    i["l1"] = _item(o["L-open"], 7, w1, [(cutting, 4, None)], name="Cargo Trouser")
    i["a5"] = _item(o["A5"], 50, w2, [(sewing, 2, None)], name="Silk Scarf")
    i["a5_waiting"] = _item(o["A5"], 8, w2, [], current=cutting, status="not_started", name="Chino Short")
    # A line item of a received PO that is not in the window (its history lies outside too).
    i["old"] = _item(o["A-old"], 3, w1, [(cutting, 140, 135)], name="Denim Jacket")
    # The forecasts the line items carried (production.forecasts writes these after syncs).
    for key, p50, p90, made, stages_left in (("a1", 22, 18, 35, 2), ("a2", 26, 25, 40, 1)):
        item = i[key]
        item.forecast_arrival_p50, item.forecast_arrival_p90, item.forecast_at = day(p50), day(p90), noon(made)
        item.forecast_stages = [{"stage_id": sewing.id}] * stages_left
        item.save()
    stage_history_rebuild(organisation=org)
    analytics_rebuild(organisation=org)
    return h
