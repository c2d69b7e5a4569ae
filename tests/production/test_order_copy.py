"""Line items' copies of their order's fields (production.order_copy) stay right through every writer."""
import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import timezone

from integrations.uphance import payloads
from integrations.uphance.payloads import parse_records
from production.models import LineItem, ProductionOrder
from production.order_copy import ORDER_COPY
from production.rules import line_item_is_open, order_is_open
from production.sync.services import production_orders_mark_removed
from production.sync.upsert import production_orders_upsert
from tests.support.factories import (
    LineItemFactory,
    ManufacturerFactory,
    ProductionOrderFactory,
    SeasonFactory,
)

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "uphance"


def _payload():
    """The seed's order with stages, open, with a second line item."""
    raw = json.loads((FIXTURES / "production_orders_with_stages.json").read_text())["production_orders"][0]
    raw.update(status="CONFIRMED", delivery_status="Not Received", due_date="2026-12-20", in_warehouse_date=None)
    second = copy.deepcopy(raw["line_items"][0])
    second["id"] = raw["line_items"][0]["id"] + 1
    for n, quantity in enumerate(second["line_quantities"]):
        quantity["id"] = 900000 + n
    raw["line_items"].append(second)
    return raw


def _upsert(organisation, raw):
    orders, errors = parse_records(payloads.ProductionOrder, [raw], record_type="production_order")
    assert errors == []
    production_orders_upsert(organisation=organisation, orders=orders)


def assert_copies_right(organisation):
    """Every line item's copies equal its order's fields, and is_open says what production.rules says."""
    items = list(LineItem.objects.filter(organisation=organisation).select_related("order"))
    assert items
    for item in items:
        assert {field: getattr(item, field) for field in ORDER_COPY} == {
            field: getattr(item.order, source) for field, source in ORDER_COPY.items()
        }
        assert item.is_open == line_item_is_open(item)
        assert item.order.is_open == order_is_open(item.order)


def test_the_upsert_writes_the_copies_and_keeps_them_when_the_order_changes(organisation):
    raw = _payload()
    _upsert(organisation, raw)
    assert_copies_right(organisation)
    order = ProductionOrder.objects.get(organisation=organisation, uphance_id=raw["id"])
    first = LineItem.objects.filter(order=order).first()
    assert first.is_open and order.is_open and first.order_manufacturer.name == "Tribal Sportswear Inc."
    assert first.order_due_date == dt.date(2026, 12, 20) and first.order_number == "1308"

    # A new manufacturer, season, status, delivery status and dates: the next sync copies them all.
    raw.update(company_id=59999, company_name="New Factory", season_id=12999, status="COMPLETE",
               delivery_status="All Received", due_date="2027-01-05", in_warehouse_date="2027-01-09",
               production_order_number="1308-B")
    _upsert(organisation, raw)
    assert_copies_right(organisation)
    first.refresh_from_db()
    assert first.order_manufacturer.name == "New Factory" and first.order_season.uphance_id == 12999
    assert (first.order_status, first.order_delivery_status) == ("complete", "all_received")
    assert (first.order_due_date, first.order_in_warehouse_date) == (dt.date(2027, 1, 5), dt.date(2027, 1, 9))
    assert not first.is_open and not ProductionOrder.objects.get(pk=order.pk).is_open

    # Open again, and a line item the order no longer lists: removed, not open, its copies still its order's.
    dropped = raw["line_items"].pop()
    raw.update(status="CONFIRMED", delivery_status="Receiving")
    _upsert(organisation, raw)
    assert_copies_right(organisation)
    gone = LineItem.objects.get(organisation=organisation, uphance_id=dropped["id"])
    assert gone.removed_at is not None and not gone.is_open and gone.order_delivery_status == "receiving"
    assert LineItem.objects.get(organisation=organisation, uphance_id=raw["line_items"][0]["id"]).is_open


def test_removed_orders_take_their_line_items_off_the_board(organisation):
    raw = _payload()
    _upsert(organisation, raw)
    assert production_orders_mark_removed(organisation=organisation, uphance_ids=[raw["id"]]) == 1
    assert_copies_right(organisation)
    assert not LineItem.objects.filter(organisation=organisation, is_open=True).exists()
    _upsert(organisation, raw)  # Uphance lists it again
    assert_copies_right(organisation)
    assert LineItem.objects.filter(organisation=organisation, is_open=True).count() == 2


def test_model_saves_keep_the_copies(organisation):
    maker, season = ManufacturerFactory(organisation=organisation), SeasonFactory(organisation=organisation)
    order = ProductionOrderFactory(organisation=organisation)
    items = [LineItemFactory(order=order), LineItemFactory(order=order, removed_at=timezone.now())]
    assert_copies_right(organisation)
    assert [item.is_open for item in items] == [True, False]
    order.manufacturer, order.season, order.status = maker, season, "cancelled"
    order.due_date, order.in_warehouse_date = dt.date(2027, 2, 1), dt.date(2027, 2, 3)
    order.save()
    assert_copies_right(organisation)
    order.status = "draft"
    order.save()
    assert_copies_right(organisation)
    assert LineItem.objects.filter(order=order, is_open=True).count() == 1
    items[1].removed_at = None
    items[1].save(update_fields=["removed_at"])
    assert_copies_right(organisation)
    assert items[1].is_open
