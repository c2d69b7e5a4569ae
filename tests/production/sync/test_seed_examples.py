"""The seed documents' example payloads sync with every field kept."""
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from integrations.uphance import payloads
from integrations.uphance.payloads import parse_records
from production.models import LineItem, ProductionOrder, Stage, StagePeriod
from production.sync.upsert import production_orders_upsert

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "uphance"


def example(name):
    return json.loads((FIXTURES / f"{name}.json").read_text())


def sync_example(organisation, name):
    orders, errors = parse_records(payloads.ProductionOrder, example(name)["production_orders"], record_type="production_order")
    assert errors == []
    return production_orders_upsert(organisation=organisation, orders=orders)


def test_production_orders_example_keeps_every_field(organisation):
    counts = sync_example(organisation, "production_orders")
    assert counts.created == 2
    raw = example("production_orders")["production_orders"][0]
    order = ProductionOrder.objects.get(organisation=organisation, uphance_id=raw["id"])
    assert order.number == "1311" and order.manufacturer.uphance_id == 59576 and order.manufacturer.name == "Adine Undone"
    assert order.status == "confirmed" and order.status_raw == "CONFIRMED"
    assert order.delivery_status == "receiving" and order.delivery_status_raw == "Receiving"
    assert order.financial_status == "not_paid" and order.financial_status_raw == "Not Paid"
    assert order.created_at == dt.datetime(2025, 4, 28, 14, 11, 18, tzinfo=dt.UTC)  # +01:00 stored as UTC
    assert order.grand_total == Decimal("46.0") and order.total_quantity == 58 and order.currency == "AUD"
    assert order.due_date is None and order.in_warehouse_date is None and order.warehouses == ["Primary warehouse"]
    assert order.uphance_organisation_id == 35802 and order.season_uphance_id == 12864
    line = LineItem.objects.get(uphance_id=142101)
    source = raw["line_items"][0]
    assert line.product_identifier == source["product_identifier"] and line.colour == "Blue"
    assert line.brand == "Brand Twelve" and line.cover_image == source["product_cover_image"]
    assert line.variation_images == source["variation_images"] and line.warehouse.name == "Primary warehouse"
    assert [(q.size, q.quantity, q.sku_number, q.sku_id, q.inventory_id, q.upc_number) for q in line.quantities.all()] == [
        (q["size"], q["quantity"], q["sku_number"], q["sku_id"], q["inventory_id"], q["upc_number"]) for q in source["line_quantities"]
    ]
    assert line.stage_status == "no_stages" and not line.stage_periods.exists()
    assert line.extra == {}  # no field was left without a home


def test_production_orders_with_stages_example_keeps_stage_history(organisation):
    sync_example(organisation, "production_orders_with_stages")
    line = LineItem.objects.get(uphance_id=141953)
    # "Product_cover_image" (capitalised in the seed) is kept.
    assert line.cover_image == "https://uphance.com/uploads/product/image/111591/3465o-3206-1813-A.jpg"
    assert line.current_stage.name == "Packing" and line.stage_status == "in_progress"
    periods = list(StagePeriod.objects.filter(line_item=line).order_by("sequence").select_related("stage"))
    assert [(p.stage.name, p.status_raw, p.is_current) for p in periods] == [
        ("Cutting", "Completed", False), ("Sewing", "Completed", False), ("Packing", "In Progress", True),
    ]
    assert periods[1].start_time == dt.datetime(2025, 4, 24, 18, 8, 29, tzinfo=dt.UTC)
    # The list order is the stage order even though Sewing's timestamps come before Cutting's.
    assert list(Stage.objects.filter(organisation=organisation).values_list("name", flat=True)) == ["Cutting", "Sewing", "Packing"]
    assert Stage.objects.get(name="Sewing").colour == "#80c0d6"


def test_bad_colours_never_become_stage_colours(organisation):
    data = example("production_orders_with_stages")["production_orders"]
    data[0]["line_items"][0]["production_stages"]["current_stage"]["stage_color"] = "red;background:url(x)"
    orders, _ = parse_records(payloads.ProductionOrder, data, record_type="production_order")
    production_orders_upsert(organisation=organisation, orders=orders)
    assert Stage.objects.get(name="Packing").colour == ""
    assert StagePeriod.objects.get(stage__name="Packing").colour_raw == "red;background:url(x)"
