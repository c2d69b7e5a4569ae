"""Slips as people read them, from a real sync against the sandbox (which re-dates POs while they are made)."""
import datetime as dt
import re

import pytest

from production.forecasts.selectors import order_slip_days
from production.models import OrderDateChange, ProductionOrder
from production.sync.engine import sync_run as production_sync
from production.sync.models import SyncRun
from tests.support.sandbox import sandbox_client

pytestmark = pytest.mark.django_db
CLOCK = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def redating_sandbox():
    from integrations.uphance.sandbox import SandboxServer

    # New orders keep coming (every 6 production hours), so some are in production while re-dated.
    with SandboxServer(orders=200, seed=2, time_speed=0, clock_start=CLOCK) as server:
        yield server


def _time(day: dt.date) -> str:
    return f'<time datetime="{day.isoformat()}">{day.day} {day:%b}</time>'


def test_the_order_page_and_the_board_show_the_slips_a_sync_saw(logged_in_client, organisation, redating_sandbox):
    client = sandbox_client(redating_sandbox)
    production_sync(organisation=organisation, kind=SyncRun.Kind.PRODUCTION_FULL, client=client)
    for _ in range(4):  # four syncs a fortnight apart: some dates move more than once
        redating_sandbox.state.advance(days=15)
        production_sync(organisation=organisation, kind=SyncRun.Kind.PRODUCTION_FULL, client=client)

    moved = OrderDateChange.objects.filter(organisation=organisation, field="due_date")
    assert moved.exists()
    order = max(
        ProductionOrder.objects.filter(pk__in=moved.values("order_id")),
        key=lambda o: (o.date_changes.filter(field="due_date").count(), order_slip_days(o) or 0),
    )
    changes = list(order.date_changes.filter(field="due_date").order_by("seen_at", "id"))
    assert len(changes) >= 2
    html = logged_in_client.get(f"/orders/{order.uphance_id}/").content.decode()
    dates = [changes[0].old_date] + [c.new_date for c in changes]
    net = (dates[-1] - dates[0]).days
    times = {1: "once", 2: "twice"}.get(len(changes), f"{len(changes)} times")
    amount = " back to where it was" if net == 0 else f" {net:+d} d"
    assert f"Due date moved{amount} {times}: " + " → ".join(_time(d) for d in dates) in html
    assert order.original_due_date == dates[0] and order.due_date == dates[-1]

    # The board's "slipped" filter is the orders whose expected date is later than first seen.
    slipped = {o.number for o in ProductionOrder.objects.filter(organisation=organisation)
               if (order_slip_days(o) or 0) > 0 and o.status not in ("complete", "cancelled")
               and o.delivery_status != "all_received" and o.removed_at is None
               and o.line_items.filter(removed_at__isnull=True).exists()}
    assert slipped
    board = logged_in_client.get("/board/?group=manufacturer&slipped=1").content.decode()
    assert set(re.findall(r'class="card-title" href="[^"]+">PO ([^<]+)</a>', board)) == slipped
