"""Helpers for sync tests: a client logged in to a sandbox, and field-by-field comparison with its truth."""
import datetime as dt
from decimal import Decimal

from integrations.uphance.client import UphanceClient
from integrations.uphance.payloads import status_key
from production.models import LineItem, ProductionOrder, StagePeriod

SANDBOX_ORG = 35802


def sandbox_client(server, **kwargs) -> UphanceClient:
    kwargs.setdefault("max_requests_per_second", 0)
    client = UphanceClient(server.url, **kwargs)
    client.authenticate(email="solo@sandbox.test", password="sandbox")
    client.set_current_organisation(SANDBOX_ORG)
    return client


def _instant(value):
    if value in (None, ""):
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)


def _day(value):
    if value in (None, ""):
        return None
    return dt.date.fromisoformat(value[:10])


def _money(value):
    return None if value in (None, "") else Decimal(str(value))


def assert_matches_truth(organisation, truth: list[dict]) -> None:
    """Every order, line item, size quantity and stage period equals what the API returns."""
    held = {o.uphance_id: o for o in ProductionOrder.objects.filter(organisation=organisation, removed_at__isnull=True).select_related("manufacturer")}
    assert set(held) == {o["id"] for o in truth}
    lines = {li.uphance_id: li for li in LineItem.objects.filter(organisation=organisation, removed_at__isnull=True).select_related("current_stage").prefetch_related("quantities")}
    periods = {}
    for p in StagePeriod.objects.filter(organisation=organisation).select_related("stage", "line_item"):
        periods.setdefault(p.line_item.uphance_id, []).append(p)
    for data in truth:
        order = held[data["id"]]
        assert order.number == data["production_order_number"]
        assert (order.manufacturer.uphance_id if order.manufacturer else None) == data["company_id"]
        assert order.season_uphance_id == data["season_id"]
        assert order.status_raw == data["status"] and order.status == status_key(data["status"])
        assert order.delivery_status_raw == data["delivery_status"]
        assert order.financial_status_raw == (data["financial_status"] or "")
        assert order.grand_total == _money(data["grand_total"])
        assert order.total_quantity == data["total_quantity"]
        assert order.created_at == _instant(data["created_at"])
        assert order.due_date == _day(data["due_date"])
        assert order.in_warehouse_date == _day(data["in_warehouse_date"])
        assert order.warehouses == data["warehouses"]
        assert order.currency == data["currency"]
        for line in data["line_items"]:
            item = lines[line["id"]]
            assert item.order_id == order.pk
            assert item.product_name == line["product_name"]
            assert item.colour == (line["color"] or "")
            image = line.get("product_cover_image", line.get("Product_cover_image"))
            assert item.cover_image == image
            assert item.units == sum(q["quantity"] for q in line["line_quantities"])
            quantities = sorted(item.quantities.all(), key=lambda q: q.position)
            assert [(q.uphance_id, q.size, q.quantity, q.sku_id) for q in quantities] == [
                (q["id"], q["size"], q["quantity"], q["sku_id"]) for q in line["line_quantities"]
            ]
            stages = line.get("production_stages") or {}
            entries = list(stages.get("past_stages") or [])
            if stages.get("current_stage"):
                entries.append(stages["current_stage"])
            got = sorted(periods.get(line["id"], []), key=lambda p: p.sequence)
            assert [(p.stage.name, p.start_time, p.end_time, p.status_raw) for p in got] == [
                (e["name"], _instant(e["start_time"]), _instant(e["end_time"]), e["status"] or "") for e in entries
            ], f"stages of line item {line['id']}"
            current = stages.get("current_stage")
            assert (item.current_stage.name if item.current_stage else None) == (current["name"] if current else None)
