"""Fixtures of the production tests: a small, known board (stages, manufacturers, orders, periods)."""
import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.support.factories import (
    LineItemFactory,
    LineQuantityFactory,
    ManufacturerFactory,
    ProductionOrderFactory,
    SeasonFactory,
    StageFactory,
    StagePeriodFactory,
    WarehouseFactory,
)


@pytest.fixture
def clear_cache():
    cache.clear()
    yield
    cache.clear()


def staged_line_item(*, order, stage=None, status="in_progress", days_in_stage=None, past=(), now=None, **fields):
    """A line item in `stage` with `status` (board semantics), and its past stages as periods.

    `past` is a list of (stage, days_long) completed before the current stage, oldest first.
    """
    now = now or timezone.now()
    started = now - dt.timedelta(days=days_in_stage) if days_in_stage is not None else None
    item = LineItemFactory(
        order=order,
        has_stages=status != "no_stages",
        stage_status=status,
        current_stage=stage,
        current_stage_started_at=started if status in ("in_progress", "completed") else None,
        **fields,
    )
    cursor = (started or now) - dt.timedelta(days=sum(d for _, d in past))
    for sequence, (past_stage, days_long) in enumerate(past):
        StagePeriodFactory(
            line_item=item, stage=past_stage, sequence=sequence, is_current=False,
            start_time=cursor, end_time=cursor + dt.timedelta(days=days_long),
            status="completed", status_raw="Completed",
        )
        cursor += dt.timedelta(days=days_long)
    if stage is not None and status != "no_stages":
        StagePeriodFactory(
            line_item=item, stage=stage, sequence=len(past), is_current=True, start_time=started,
            end_time=None, status={"not_started": "not_started"}.get(status, status),
            status_raw={"in_progress": "In Progress", "completed": "Completed"}.get(status, "Not Started"),
        )
    return item


@dataclass
class BoardData:
    organisation: object
    cutting: object
    sewing: object
    packing: object
    adine: object
    kotka: object
    ss26: object
    aw26: object
    warehouse: object
    late_order: object
    undated_order: object
    future_order: object
    complete_order: object
    items: dict = field(default_factory=dict)


@pytest.fixture
def board_data(db, organisation, clear_cache) -> BoardData:
    """Three stages; two manufacturers; four orders (late, undated, due later, complete); cards in
    every column, one of them stuck (Sewing 30 days against a 10-day threshold)."""
    org = organisation
    cutting = StageFactory(organisation=org, name="Cutting", colour="#b86f6f", position=0)
    sewing = StageFactory(organisation=org, name="Sewing", colour="#973094", position=1, stuck_after_days=10)
    packing = StageFactory(organisation=org, name="Packing", colour="#89d7ca", position=2)
    adine = ManufacturerFactory(organisation=org, name="Adine Undone")
    kotka = ManufacturerFactory(organisation=org, name="Kotka Knits")
    ss26 = SeasonFactory(organisation=org, name="SS26")
    aw26 = SeasonFactory(organisation=org, name="AW26")
    warehouse = WarehouseFactory(organisation=org, name="Primary warehouse")
    today = timezone.localdate()
    late_order = ProductionOrderFactory(
        organisation=org, uphance_id=23670, number="1311", manufacturer=adine, season=ss26,
        due_date=today - dt.timedelta(days=5),
    )
    undated_order = ProductionOrderFactory(
        organisation=org, uphance_id=23671, number="1312", manufacturer=kotka, season=aw26, due_date=None,
        in_warehouse_date=None,
    )
    future_order = ProductionOrderFactory(
        organisation=org, uphance_id=23672, number="1313", manufacturer=adine, season=aw26,
        due_date=today + dt.timedelta(days=40),
    )
    complete_order = ProductionOrderFactory(
        organisation=org, uphance_id=23673, number="1314", manufacturer=kotka, season=ss26, status="complete",
        status_raw="COMPLETE", delivery_status="all_received", delivery_status_raw="All Received",
    )
    data = BoardData(org, cutting, sewing, packing, adine, kotka, ss26, aw26, warehouse, late_order,
                     undated_order, future_order, complete_order)
    items = data.items
    items["stuck"] = staged_line_item(
        order=late_order, stage=sewing, days_in_stage=30, past=[(cutting, 2)], units=58,
        product_name="2470_Eighteen", product_identifier="2470 eighteen sweater", colour="Blue", warehouse=warehouse,
    )
    items["cutting"] = staged_line_item(
        order=late_order, stage=cutting, days_in_stage=1, units=12, product_name="2766_Ten Copy",
        colour="White", warehouse=warehouse,
    )
    items["packing_done"] = staged_line_item(
        order=future_order, stage=packing, status="completed", days_in_stage=3, past=[(cutting, 1), (sewing, 4)],
        units=30, product_name="Montblanc Cap", colour="Navy",
    )
    items["not_started"] = staged_line_item(
        order=undated_order, stage=cutting, status="not_started", units=20, product_name="Knit Wrap", colour="Black",
    )
    items["no_stages"] = staged_line_item(order=undated_order, status="no_stages", units=7, product_name="Scarf")
    items["sewing_ok"] = staged_line_item(
        order=future_order, stage=sewing, days_in_stage=2, past=[(cutting, 1)], units=40,
        product_name="Linen Shirt", colour="Sand",
    )
    items["hidden_complete"] = staged_line_item(
        order=complete_order, stage=packing, status="completed", days_in_stage=50, units=99,
        product_name="Old Style",
    )
    for item in items.values():
        LineQuantityFactory(line_item=item, size="S", quantity=item.units // 2, position=0)
        LineQuantityFactory(line_item=item, size="M", quantity=item.units - item.units // 2, position=1)
    return data


def make_orders(*, organisation, stages, manufacturers, count: int, start_id: int = 500000):
    """`count` orders with three line items each, spread over stages and manufacturers."""
    now = timezone.now()
    for n in range(count):
        order = ProductionOrderFactory(
            organisation=organisation, uphance_id=start_id + n, number=f"B{n}",
            manufacturer=manufacturers[n % len(manufacturers)], season=None,
        )
        for k in range(3):
            stage = stages[(n + k) % len(stages)]
            staged_line_item(order=order, stage=stage, days_in_stage=(n + k) % 9, now=now, units=10 + k)
