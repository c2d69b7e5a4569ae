"""Customer and sales-order sync passes (SyncRun kinds), run by the engine (production.sync.engine.sync_run):

- customers: the channels, then every customer whatever its status (by_status=all) with its
  people, addresses and agents. When the payloads do not say which customers are inactive, the
  inactive listing (by_status=inactive) is read once more to flag them. After a complete pass,
  customers Uphance no longer returns are marked removed (kept, never deleted).
- sales_orders_full: channels, seasons, then every sales order; after a complete pass, orders
  Uphance no longer returns are marked removed (and so closed).
- sales_orders_new: orders with an id above the highest held (since_id).
- sales_orders_open: orders that can still change. The Orders API has no status filter, so the
  pass takes whichever is cheaper: each open order on its own (GET /sales_orders/<id>), or the
  listing since the oldest open order (since_id).
Each page is written in one transaction; a record that cannot be read is recorded in the sync
log and skipped while the rest of its page lands. Every sales-order pass ends by rebuilding the
demand links (customers.services.demand.demand_links_rebuild, which sends `demand_relinked`); the
frequent passes skip that when no sales order changed and the links are younger than REBUILD_MAX_AGE.
"""
from __future__ import annotations

import datetime as dt
import logging
import math

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from customers.models import Customer, DemandLink, SalesOrder
from integrations.numbers import ascii_int
from integrations.uphance import errors as uphance_errors
from production.sync.engine import PageWriter, pages_take, removals_settle
from production.sync.log import (
    Counts,
    sync_issues_resolve_unseen,
    sync_run_heartbeat,
    sync_run_progress,
)
from production.sync.models import SyncRun
from production.sync.services import seasons_sync

from .demand import demand_links_rebuild
from .upsert import (
    channels_upsert,
    customer_status,
    customers_flag_inactive,
    customers_mark_removed,
    customers_upsert,
    sales_orders_mark_removed,
    sales_orders_upsert,
)

logger = logging.getLogger(__name__)

SALES_ORDERS_PER_PAGE = 100
REBUILD_MAX_AGE = dt.timedelta(minutes=30)  # unchanged sales orders: links (and risk) stay this fresh

__all__ = ["customers_pass", "sales_orders_full", "sales_orders_new", "sales_orders_open"]


class _CustomersUpsert:
    """customers_upsert for a PageWriter, noting whether the payloads say which customers are active."""

    def __init__(self):
        self.statuses_in_payload = False

    def __call__(self, *, organisation, records):
        self.statuses_in_payload |= any(customer_status(c)[0] is not None for c in records)
        return customers_upsert(organisation=organisation, customers=records)


def _sales_orders_upsert(*, organisation, records):
    return sales_orders_upsert(organisation=organisation, orders=records)


def _sales_writer(organisation, client, run, progress) -> PageWriter:
    return PageWriter(organisation=organisation, client=client, run=run, progress=progress,
                      record_type="sales_order", upsert=_sales_orders_upsert)


def _rebuild(organisation, run: SyncRun, counts: Counts, *, force: bool = False) -> Counts:
    """Relink demand to production, unless nothing changed and the links are recent (REBUILD_MAX_AGE):
    the frequent passes then cost what changed, not the catalogue."""
    if not force and not (counts.created or counts.updated or counts.removed):
        latest = DemandLink.objects.filter(organisation=organisation).aggregate(at=Max("rebuilt_at"))["at"]
        if latest is not None and timezone.now() - latest < REBUILD_MAX_AGE:
            run.message = f"{counts.summary()}; demand links unchanged"
            return counts
    links = demand_links_rebuild(organisation=organisation)
    run.message = f"{counts.summary()}; {links} demand links"
    return counts


# --- passes -----------------------------------------------------------------------------------

def _channels(organisation, client) -> None:
    channels_upsert(organisation=organisation, channels=client.channels())


def _still_there(lookup, ids: list[int], *, run: SyncRun) -> set[int]:
    """The ids `lookup(id)` still finds upstream (an unreadable answer counts as there)."""
    found = set()
    for uphance_id in ids:
        sync_run_heartbeat(run=run)
        try:
            lookup(uphance_id)
        except uphance_errors.NotFound:
            continue
        except uphance_errors.BadPayload:
            pass
        found.add(uphance_id)
    return found


def customers_pass(*, organisation, client, run, progress) -> Counts:
    started = timezone.now()
    _channels(organisation, client)
    upsert = _CustomersUpsert()
    writer = pages_take(
        PageWriter(organisation=organisation, client=client, run=run, progress=progress, record_type="customer",
                   upsert=upsert),
        client.customer_pages(status="all"),
    )
    held = Customer.objects.filter(organisation=organisation, removed_at__isnull=True, first_seen_at__lt=started)
    gone, why = removals_settle(writer=writer, run=run, held=held.values_list("uphance_id", flat=True),
                                still_there=lambda ids: _still_there(client.customer, ids, run=run), what="customer")
    if gone is None:
        run.message = f"{writer.counts.summary()}. {why} Inactive flags wait for the next complete pass too."
        return writer.counts
    if not upsert.statuses_in_payload:
        inactive: set[int] = set()
        for page in client.customer_pages(status="inactive"):
            inactive.update(c.id for c in page.records)
            inactive.update(i for e in page.errors if (i := ascii_int(e.record_id)) is not None)
        writer.counts.updated += customers_flag_inactive(
            organisation=organisation, inactive_ids=inactive, listed_ids=writer.seen
        )
    writer.counts.removed = customers_mark_removed(organisation=organisation, uphance_ids=gone)
    # Issues of customers this complete pass did not meet again are gone upstream or fixed.
    sync_issues_resolve_unseen(organisation=organisation, record_type="customer", run=run)
    return writer.counts


def sales_orders_full(*, organisation, client, run, progress) -> Counts:
    started = timezone.now()
    _channels(organisation, client)
    seasons_sync(organisation=organisation, client=client)
    writer = pages_take(_sales_writer(organisation, client, run, progress), client.sales_order_pages())
    held = SalesOrder.objects.filter(organisation=organisation, removed_at__isnull=True, first_seen_at__lt=started)
    gone, why = removals_settle(writer=writer, run=run, held=held.values_list("uphance_id", flat=True),
                                still_there=lambda ids: _still_there(client.sales_order, ids, run=run),
                                what="sales order")
    if gone is not None:
        writer.counts.removed = sales_orders_mark_removed(organisation=organisation, uphance_ids=gone)
        sync_issues_resolve_unseen(organisation=organisation, record_type="sales_order", run=run)
    _rebuild(organisation, run, writer.counts, force=True)
    if why:
        run.message = f"{run.message}. {why}"
    return writer.counts


def sales_orders_new(*, organisation, client, run, progress) -> Counts:
    highest = SalesOrder.objects.filter(organisation=organisation).aggregate(m=Max("uphance_id"))["m"]
    writer = pages_take(_sales_writer(organisation, client, run, progress), client.sales_order_pages(since_id=highest))
    return _rebuild(organisation, run, writer.counts)


def sales_orders_open(*, organisation, client, run, progress) -> Counts:
    held_open = SalesOrder.objects.filter(organisation=organisation).open()
    summary = held_open.aggregate(oldest=Min("uphance_id"))
    writer = _sales_writer(organisation, client, run, progress)
    if summary["oldest"] is None:
        return _rebuild(organisation, run, writer.counts)
    open_ids = list(held_open.order_by("uphance_id").values_list("uphance_id", flat=True))
    listing_pages = math.ceil(
        SalesOrder.objects.filter(organisation=organisation, uphance_id__gte=summary["oldest"]).count()
        / SALES_ORDERS_PER_PAGE
    )
    if listing_pages < len(open_ids):
        pages_take(writer, client.sales_order_pages(since_id=summary["oldest"] - 1))
        # Open orders the listing no longer returns were deleted upstream.
        gone = [uid for uid in open_ids if uid not in writer.seen]
        if gone and writer.read_whole() and not writer.unidentified:
            writer.counts.removed = sales_orders_mark_removed(organisation=organisation, uphance_ids=gone)
    else:
        _lookup_one_by_one(writer, organisation=organisation, client=client, run=run, ids=open_ids)
    return _rebuild(organisation, run, writer.counts)


def _lookup_one_by_one(writer: PageWriter, *, organisation, client, run, ids: list[int]) -> None:
    gone = []
    sync_run_progress(run=run, pages=0, pages_total=len(ids))
    for number, uphance_id in enumerate(ids, start=1):
        sync_run_heartbeat(run=run)
        try:
            order = client.sales_order(uphance_id)
        except uphance_errors.NotFound:
            gone.append(uphance_id)
            continue
        except uphance_errors.BadPayload as bad:
            if bad.record_id is None:
                bad.record_id = uphance_id
            with transaction.atomic():
                writer.bad(bad)
            continue
        with transaction.atomic():
            writer.write([order])
        writer.pages = number
        sync_run_progress(run=run, counts=writer.counts, pages=number, requests=client.request_count)
        if writer.progress:
            writer.progress(run)
    if gone:
        writer.counts.removed += sales_orders_mark_removed(organisation=organisation, uphance_ids=gone)
