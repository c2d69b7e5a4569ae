"""Slips through a real sync against the sandbox: moved dates are recorded, the original is kept."""
import datetime as dt

import pytest

from production.forecasts.selectors import order_date_history, order_slip_days
from production.models import OrderDateChange, ProductionOrder
from production.sync.engine import sync_run as production_sync
from production.sync.models import SyncRun
from tests.support.sandbox import SANDBOX_ORG, sandbox_client

pytestmark = pytest.mark.django_db
FIELDS = ("due_date", "in_warehouse_date")


def dates(truth):
    return {o["id"]: {f: o[f] and dt.date.fromisoformat(o[f]) for f in FIELDS} for o in truth}


def test_every_date_a_sync_sees_move_is_recorded_and_the_original_kept(organisation, frozen_sandbox):
    client = sandbox_client(frozen_sandbox)
    state = frozen_sandbox.state
    before = dates(state.truth_production_orders(SANDBOX_ORG))
    production_sync(organisation=organisation, kind=SyncRun.Kind.PRODUCTION_FULL, client=client)
    assert not OrderDateChange.objects.exists()
    held = {o.uphance_id: o for o in ProductionOrder.objects.filter(organisation=organisation)}
    assert all(held[i].original_due_date == d["due_date"] for i, d in before.items())

    state.advance(days=45)
    after = dates(state.truth_production_orders(SANDBOX_ORG))
    production_sync(organisation=organisation, kind=SyncRun.Kind.PRODUCTION_FULL, client=client)

    expected = {
        (i, f, before[i][f], after[i][f]) for i in before for f in FIELDS if before[i][f] != after[i][f]
    }
    recorded = {
        (c.order.uphance_id, c.field, c.old_date, c.new_date)
        for c in OrderDateChange.objects.filter(organisation=organisation).select_related("order")
    }
    assert expected and recorded == expected
    later = sum(1 for *_, old, new in expected if old and new and new > old)
    earlier = sum(1 for *_, old, new in expected if old and new and new < old)
    assert later and earlier  # dates move both ways (mostly later: the sandbox's own tests)

    uphance_id, field, old, new = next(e for e in sorted(expected) if e[1] == "due_date")
    order = ProductionOrder.objects.get(organisation=organisation, uphance_id=uphance_id)
    assert (order.due_date, order.original_due_date) == (new, old)
    assert [(c.old_date, c.new_date) for c in order_date_history(order=order)] == [(old, new)]
    if order.in_warehouse_date is None:
        assert order_slip_days(order) == (new - old).days


def test_an_order_seen_arriving_gets_its_arrival_time(organisation, frozen_sandbox):
    client = sandbox_client(frozen_sandbox)
    production_sync(organisation=organisation, kind=SyncRun.Kind.PRODUCTION_FULL, client=client)
    held = ProductionOrder.objects.filter(organisation=organisation)
    assert all(o.arrived_at == o.updated_at for o in held.filter(delivery_status="receiving"))
    assert not held.filter(delivery_status="all_received", arrived_at__isnull=False).exists()
    waiting = set(held.filter(delivery_status="not_received", status="confirmed").values_list("uphance_id", flat=True))
    frozen_sandbox.state.advance(days=10)
    production_sync(organisation=organisation, kind=SyncRun.Kind.PRODUCTION_FULL, client=client)
    arrived = held.filter(uphance_id__in=waiting, delivery_status__in=["receiving", "all_received"])
    assert arrived.exists()
    assert all(o.arrived_at is not None and o.arrived_at <= o.last_synced_at for o in arrived)
