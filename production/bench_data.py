"""A large organisation for benchmarks, written straight into the database (no sandbox, no sync).

20,000 orders make about 100,000 line items and 300,000+ stage periods: three quarters of the
orders are recent and in production, a quarter are a year of history (completed, received) for
forecasts to learn from. Factories differ in speed and spread (log-normal stage durations), as in
the Uphance sandbox. `bench_organisation_build` returns the organisation and counts;
`bench_organisation_delete` removes it. bench_forecast and bench_board build their data here.
"""
from __future__ import annotations

import datetime as dt
import math
import random
import uuid

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from production.models import (
    LineItem,
    LineQuantity,
    Manufacturer,
    OrderDateChange,
    ProductionOrder,
    ReceivingGap,
    Season,
    Stage,
    StageDuration,
    StagePeriod,
    Warehouse,
)
from production.order_copy import order_copy_values, order_open_value

STAGES = [  # name, colour, typical days
    ("Cutting", "#b86f6f", 1.5), ("Sewing", "#973094", 6.0), ("Embroidery", "#e0a458", 2.0),
    ("Washing", "#80c0d6", 2.0), ("Finishing", "#6a8d73", 2.5), ("Packing", "#89d7ca", 0.8),
]
COLOURS = ["Black", "White", "Navy", "Sand", "Olive", "Burgundy", "Grey Marl", "Ecru", "Sky Blue", "Rust"]
PRODUCTS = ["Knit Sweater", "Linen Shirt", "Wrap Dress", "Cargo Trouser", "Denim Jacket", "Rib Tank", "Wool Coat",
            "Silk Scarf", "Chino Short", "Hoodie"]
BATCH = 5000


def _timeline(rng, start: dt.datetime, stages, speed: float, spread: float) -> list[tuple]:
    out, t = [], start
    for stage, typical in stages:
        days = typical * speed * math.exp(rng.gauss(0, spread))
        out.append((stage, t, t + dt.timedelta(days=days)))
        t = out[-1][2]
    return out


@transaction.atomic
def bench_organisation_build(*, orders: int = 20000, seed: int = 1, name: str = "Benchmark") -> tuple:
    rng = random.Random(seed)
    now = timezone.now()
    organisation = Organisation.objects.create(name=f"{name} {uuid.uuid4().hex[:8]}", time_zone="Europe/London")
    stages = Stage.objects.bulk_create(
        Stage(organisation=organisation, name=n, colour=c, colour_raw=c, position=i) for i, (n, c, _) in enumerate(STAGES)
    )
    typical = {s.pk: STAGES[i][2] for i, s in enumerate(stages)}
    manufacturers = Manufacturer.objects.bulk_create(
        Manufacturer(organisation=organisation, uphance_id=59000 + i, name=f"Factory {chr(65 + i % 26)}{i:02d}")
        for i in range(24)
    )
    profile = {m.pk: (math.exp(rng.uniform(math.log(0.55), math.log(1.8))), rng.uniform(0.15, 0.6)) for m in manufacturers}
    seasons = Season.objects.bulk_create(
        Season(organisation=organisation, uphance_id=12000 + i, name=f"{'SS' if i % 2 else 'AW'}{20 + i // 2}")
        for i in range(8)
    )
    warehouses = Warehouse.objects.bulk_create(
        Warehouse(organisation=organisation, name=n) for n in ("Primary warehouse", "London", "Porto")
    )
    weights = [1 / (i + 1) ** 0.8 for i in range(len(manufacturers))]

    plans, order_rows = [], []
    for n in range(orders):
        history = rng.random() < 0.25
        created = now - dt.timedelta(days=rng.uniform(60, 365) if history else rng.uniform(0, 60))
        maker = rng.choices(manufacturers, weights)[0]
        route = [(s.pk, typical[s.pk]) for s in stages if s.name not in ("Embroidery", "Washing") or rng.random() < 0.4]
        start = created + dt.timedelta(days=rng.uniform(0, 10))
        lines = [_timeline(rng, start + dt.timedelta(hours=rng.uniform(0, 72)), route, *profile[maker.pk])
                 if rng.random() > 0.08 else None for _ in range(rng.choices(range(1, 10), [6, 8, 10, 12, 14, 14, 12, 8, 6])[0])]
        done = max((line[-1][2] for line in lines if line), default=start + dt.timedelta(days=20))
        arrived = done + dt.timedelta(days=rng.uniform(1, 6))
        due = (done + dt.timedelta(days=rng.randint(-12, 14))).date() if rng.random() < 0.6 else None
        if arrived < now:
            status, delivery = ("complete", "all_received") if rng.random() < 0.8 else ("confirmed", "receiving")
        else:
            status, delivery = rng.choices(["confirmed", "draft", "cancelled"], [90, 5, 5])[0], "not_received"
        order_rows.append(ProductionOrder(
            organisation=organisation, uphance_id=100000 + n, number=str(1000 + n), manufacturer=maker,
            season=rng.choice(seasons), status=status, status_raw=status.upper(), delivery_status=delivery,
            delivery_status_raw=delivery.replace("_", " ").title(), currency="EUR", created_at=created,
            confirmed_at=created + dt.timedelta(hours=rng.uniform(1, 48)), due_date=due, original_due_date=due,
            arrived_at=arrived if arrived < now else None, warehouses=["Primary warehouse"], first_seen_at=now,
            last_synced_at=now,
        ))
        plans.append(lines)
    for order in order_rows:
        order.is_open = order_open_value(order)
    created_orders = []
    for i in range(0, len(order_rows), BATCH):
        created_orders += ProductionOrder.objects.bulk_create(order_rows[i : i + BATCH])

    item_rows, item_plans = [], []
    uphance_item = 1_000_000
    for order, lines in zip(created_orders, plans, strict=True):
        for line in lines:
            uphance_item += 1
            started = [p for p in line if p[1] <= now] if line else []
            if line is None:
                status, current, since = "no_stages", None, None
            elif not started:
                status, current, since = "not_started", line[0][0], None
            elif line[-1][2] <= now:
                status, current, since = "completed", None, None
            else:
                status, current, since = "in_progress", started[-1][0], started[-1][1]
            colour = rng.choice(COLOURS)
            item_rows.append(LineItem(
                organisation=organisation, order=order, uphance_id=uphance_item,
                product_id=200000 + rng.randrange(400), product_name=f"{rng.randint(1000, 9999)}_{rng.choice(PRODUCTS)}",
                product_identifier=f"{10 + uphance_item % 90}-{1000 + uphance_item * 7 % 9000} {colour.lower()}",
                colour=colour, units=rng.randint(6, 400), warehouse=rng.choice(warehouses),
                has_stages=line is not None, stage_status=status, current_stage_id=current,
                current_stage_started_at=since, stages_changed_at=now, **order_copy_values(order),
            ))
            item_plans.append((line, started, status))
    created_items = []
    for i in range(0, len(item_rows), BATCH):
        created_items += LineItem.objects.bulk_create(item_rows[i : i + BATCH])

    periods, quantities, counts = [], [], {"stage_periods": 0}

    def flush(force=False):
        nonlocal periods, quantities
        if periods and (force or len(periods) >= BATCH):
            StagePeriod.objects.bulk_create(periods)
            counts["stage_periods"] += len(periods)
            periods = []
        if quantities and (force or len(quantities) >= BATCH):
            LineQuantity.objects.bulk_create(quantities)
            quantities = []

    for item, (line, started, status) in zip(created_items, item_plans, strict=True):
        quantities.append(LineQuantity(line_item=item, uphance_id=item.uphance_id * 10, size="M", quantity=item.units))
        if line is None:
            continue
        shown = line if status == "completed" else (started or line[:1])
        for sequence, (stage_id, start, end) in enumerate(shown):
            ended = end <= now and status != "not_started"
            periods.append(StagePeriod(
                organisation=organisation, line_item=item, stage_id=stage_id, sequence=sequence,
                is_current=sequence == len(shown) - 1, start_time=start if status != "not_started" else None,
                end_time=end if ended else None, status="completed" if ended else status,
                status_raw="Completed" if ended else status.replace("_", " ").title(),
            ))
        flush()
    flush(force=True)
    counts.update(orders=len(created_orders), line_items=len(created_items))
    return organisation, counts


def bench_organisation_delete(organisation) -> None:
    with transaction.atomic():
        StagePeriod.objects.filter(organisation=organisation).delete()
        LineQuantity.objects.filter(line_item__organisation=organisation).delete()
        for model in (StageDuration, ReceivingGap, OrderDateChange):
            model.objects.filter(organisation=organisation).delete()
        organisation.delete()
