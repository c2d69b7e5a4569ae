"""A shop whose forecasts are real: two factories with their own history, and open line items that the
recompute judges on track, at risk and predicted late (one of them slipped twice)."""
import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from production.forecasts.services import forecasts_recompute
from production.models import LineItem, OrderDateChange
from tests.support.factories import (
    LineQuantityFactory,
    ManufacturerFactory,
    ProductionOrderFactory,
    StageFactory,
)
from tests.support.production_data import staged_line_item


@dataclass
class ForecastShop:
    organisation: object
    now: dt.datetime
    cutting: object
    sewing: object
    packing: object
    bolide: object
    kotka: object
    items: dict = field(default_factory=dict)

    def refresh(self):
        for key, item in self.items.items():
            self.items[key] = LineItem.objects.select_related("order").get(pk=item.pk)


def factory_history(organisation, *, stages, maker, sewing_days, now, offset=0):
    """Finished orders at `maker`: 1 day cutting, `sewing_days` sewing, 1 day packing, arrived 2 days later."""
    cutting, sewing, packing = stages
    for k, days in enumerate(sewing_days):
        ended = now - dt.timedelta(days=22 + offset + k)
        order = ProductionOrderFactory(organisation=organisation, manufacturer=maker, status="complete",
                                       delivery_status="all_received", arrived_at=ended + dt.timedelta(days=2))
        staged_line_item(order=order, stage=packing, status="completed", days_in_stage=1, now=ended,
                         past=[(cutting, 1), (sewing, days)])


def open_line_item(shop_org, *, stage, maker, due, number, days_in_stage=1, past=(), now, **fields):
    order = ProductionOrderFactory(organisation=shop_org, manufacturer=maker, number=number, uphance_id=900000 + int(number),
                                   due_date=due, original_due_date=due, season=None)
    item = staged_line_item(order=order, stage=stage, days_in_stage=days_in_stage, past=past, now=now, **fields)
    LineQuantityFactory(line_item=item, size="M", quantity=item.units, sku_id=int(number) * 100)
    return item


def forecast_shop_build(organisation, *, now=None) -> ForecastShop:
    now = now or timezone.now().replace(microsecond=0)
    today = timezone.localdate(now)
    stages = [StageFactory(organisation=organisation, name=n, colour=c, position=k)
              for k, (n, c) in enumerate((("Cutting", "#b86f6f"), ("Sewing", "#973094"), ("Packing", "#89d7ca")))]
    cutting, sewing, packing = stages
    bolide = ManufacturerFactory(organisation=organisation, name="Bolide")
    kotka = ManufacturerFactory(organisation=organisation, name="Kotka Knits")
    # Bolide sews in about 4 days, Kotka in about 12.
    factory_history(organisation, stages=stages, maker=bolide, sewing_days=(3, 4, 4, 4, 5, 6), now=now)
    factory_history(organisation, stages=stages, maker=kotka, sewing_days=(10, 12, 12, 13, 15), now=now, offset=6)
    shop = ForecastShop(organisation, now, cutting, sewing, packing, bolide, kotka)
    common = {"past": [(cutting, 1)], "now": now}
    shop.items["late"] = open_line_item(organisation, stage=sewing, maker=kotka, due=today + dt.timedelta(days=5),
                                        number="2001", product_name="Merino Crew", colour="Navy", units=48, **common)
    shop.items["on_track"] = open_line_item(organisation, stage=sewing, maker=bolide, due=today + dt.timedelta(days=30),
                                            number="2002", product_name="Linen Shirt", colour="Sand", units=40, **common)
    shop.items["at_risk"] = open_line_item(organisation, stage=sewing, maker=bolide, due=today + dt.timedelta(days=30),
                                           number="2003", product_name="Field Overshirt", colour="Olive", units=24,
                                           **common)
    # PO 2001's due date moved twice, 9 days later in all: a slip against the date first seen.
    late_order = shop.items["late"].order
    first = late_order.due_date - dt.timedelta(days=9)
    late_order.original_due_date = first
    late_order.save()
    for k, (old, new) in enumerate(((first, first + dt.timedelta(days=4)), (first + dt.timedelta(days=4), late_order.due_date))):
        OrderDateChange.objects.create(organisation=organisation, order=late_order, field="due_date", old_date=old,
                                       new_date=new, seen_at=now - dt.timedelta(days=10 - 5 * k))
    forecasts_recompute(organisation=organisation, now=now)
    # Tighten PO 2003's date to its likely arrival: only the p90 is after it, at risk.
    shop.refresh()
    at_risk = shop.items["at_risk"].order
    at_risk.due_date = at_risk.original_due_date = shop.items["at_risk"].forecast_arrival_p50
    at_risk.save()
    forecasts_recompute(organisation=organisation, now=now)
    shop.refresh()
    return shop


@pytest.fixture
def forecast_shop(organisation, clear_cache) -> ForecastShop:
    shop = forecast_shop_build(organisation)
    states = {key: item.forecast_state for key, item in shop.items.items()}
    assert states == {"late": "predicted_late", "on_track": "on_track", "at_risk": "at_risk"}, states
    return shop
