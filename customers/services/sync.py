"""Customer and sales-order sync: one code path for Celery and the command line.

Passes (SyncRun kinds):
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
- seasons: GET /seasons into production's Season table (the production sync's helper).
Each page is written in one transaction; a record that cannot be read is recorded in the sync
log and skipped while the rest of its page lands. Every sales-order pass ends by rebuilding the
demand links (customers.services.demand.demand_links_rebuild); the frequent passes skip that when
no sales order changed and the links are younger than REBUILD_MAX_AGE. A production sync should
rebuild them too (customers.tasks.demand_links_rebuild_task).
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from customers.models import Customer, DemandLink, SalesOrder
from customers.shipup.services import shipup_push_start
from integrations.uphance import errors as uphance_errors
from production.sync.log import (
    Counts,
    SyncLocked,
    sync_issue_record,
    sync_issues_resolve,
    sync_issues_resolve_unseen,
    sync_run_progress,
)
from production.sync.models import SyncRun
from production.sync.services import seasons_sync as production_seasons_sync
from production.sync.services import sync_execute, sync_start

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

Kind = SyncRun.Kind
CUSTOMER_KINDS = (Kind.CUSTOMERS, Kind.SALES_ORDERS_FULL, Kind.SALES_ORDERS_NEW, Kind.SALES_ORDERS_OPEN, Kind.SEASONS)
ALIASES = {"sales_orders": Kind.SALES_ORDERS_FULL}
SALES_ORDERS_PER_PAGE = 100
REBUILD_MAX_AGE = dt.timedelta(minutes=30)  # unchanged sales orders: links (and risk) stay this fresh

Progress = Callable[[SyncRun], None]

__all__ = ["CUSTOMER_KINDS", "SyncLocked", "customers_sync", "customers_sync_start", "seasons_sync"]


def seasons_sync(*, organisation, client) -> int:
    """Resolve season ids to names through /seasons (the production sync's helper; one Season table)."""
    return production_seasons_sync(organisation=organisation, client=client)


# --- entry points ---------------------------------------------------------------------------------

def customers_sync_start(*, organisation, kind: str, trigger: str = SyncRun.Trigger.MANUAL) -> SyncRun:
    """Queue a sync of `kind` on Celery (after commit) and return its run, shown as queued until it starts."""
    from customers.tasks import customers_sync_task

    kind = ALIASES.get(kind, kind)
    if kind not in PASSES:
        raise ValueError(f"unknown customers sync kind {kind!r}")
    return sync_start(organisation=organisation, kind=kind, trigger=trigger, task=customers_sync_task)


def customers_sync(
    *, organisation, kind: str, trigger: str = SyncRun.Trigger.COMMAND, client=None,
    progress: Progress | None = None, run_id: int | None = None, task_id: str = "", raise_errors: bool = False,
) -> SyncRun:
    """Run one pass of `kind` (customers, sales_orders_full|new|open, seasons) and return its SyncRun.

    `progress(run)` is called after every page. Raises SyncLocked when a run of the same kind is
    still going. With `raise_errors`, transient API errors are re-raised after the run is closed,
    so a Celery task can retry. A malformed record never fails the run: it is recorded and skipped.
    """
    kind = ALIASES.get(kind, kind)
    if kind not in PASSES:
        raise ValueError(f"unknown customers sync kind {kind!r}")
    run, _ = sync_execute(
        organisation=organisation, kind=kind, trigger=trigger, passes=PASSES, client=client, progress=progress,
        run_id=run_id, task_id=task_id, raise_errors=raise_errors,
    )
    return run


# --- pages ----------------------------------------------------------------------------------------

class PageWriter:
    """Takes pages of one record type: records the unreadable records as issues, upserts the rest."""

    def __init__(self, *, organisation, client, run: SyncRun, progress: Progress | None, record_type: str,
                 upsert: Callable[..., Counts], counts: Counts | None = None):
        self.organisation = organisation
        self.client = client
        self.run = run
        self.progress = progress
        self.record_type = record_type
        self.upsert = upsert
        self.counts = counts or Counts()
        self.seen: set[int] = set()
        self.pages = 0
        self.total_count: int | None = None
        self.complete = True
        self.unidentified = 0  # unreadable records without an id: they may be any held record

    def take(self, page) -> None:
        with transaction.atomic():
            for bad in page.errors:
                self.bad(bad)
            self.write(page.records)
        self.pages += 1
        self.total_count = page.total_count
        sync_run_progress(run=self.run, counts=self.counts, pages=self.pages, pages_total=page.total_pages,
                          requests=self.client.request_count)
        if self.progress:
            self.progress(self.run)

    def bad(self, bad: uphance_errors.BadPayload) -> None:
        record_id = bad.record_id
        if record_id is not None and str(record_id).lstrip("-").isdigit():
            # It exists upstream even if it cannot be read: never treat it as removed.
            self.seen.add(int(record_id))
        elif bad.record_type in (None, "", "page"):
            self.complete = False
        else:
            self.unidentified += 1
        self.counts.issues += 1
        sync_issue_record(
            run=self.run, record_type=bad.record_type or self.record_type, record_id=record_id,
            field=bad.field or "", reason=bad.message or str(bad), excerpt=bad.excerpt or "",
        )

    def write(self, records) -> None:
        if not records:
            return
        self.counts.add(self.upsert(organisation=self.organisation, records=records))
        ids = [r.id for r in records]
        self.seen.update(ids)
        sync_issues_resolve(organisation=self.organisation, record_type=self.record_type, record_ids=ids)

    def pass_complete(self) -> bool:
        """Every record of the listing was seen (a listing that shifted while paging may skip some)."""
        return self.complete and (self.total_count is None or len(self.seen) >= self.total_count)

    def incomplete_reason(self) -> str:
        if self.unidentified:
            return f"{self.unidentified} unreadable record(s) without an id"
        if not self.complete:
            return "a page could not be read"
        return f"the listing changed while paging ({len(self.seen)} of {self.total_count} seen)"


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


def _take_all(writer: PageWriter, pages: Iterable) -> PageWriter:
    for page in pages:
        writer.take(page)
    return writer


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
    shipup_push_start(organisation=organisation)  # after commit; does nothing while Shipup is off
    return counts


# --- passes -----------------------------------------------------------------------------------

def _channels(organisation, client) -> None:
    channels_upsert(organisation=organisation, channels=client.channels())


def _customers(*, organisation, client, run, progress) -> Counts:
    started = timezone.now()
    _channels(organisation, client)
    upsert = _CustomersUpsert()
    writer = _take_all(
        PageWriter(organisation=organisation, client=client, run=run, progress=progress, record_type="customer",
                   upsert=upsert),
        client.customer_pages(status="all"),
    )
    if not writer.pass_complete():
        run.message = (f"{writer.counts.summary()}. Not every customer was seen, {writer.incomplete_reason()}: "
                       "inactive flags and removals wait for the next complete pass.")
        return writer.counts
    if not upsert.statuses_in_payload:
        inactive: set[int] = set()
        for page in client.customer_pages(status="inactive"):
            inactive.update(c.id for c in page.records)
            inactive.update(int(e.record_id) for e in page.errors if str(e.record_id or "").isdigit())
        writer.counts.updated += customers_flag_inactive(
            organisation=organisation, inactive_ids=inactive, listed_ids=writer.seen
        )
    held = Customer.objects.filter(organisation=organisation, removed_at__isnull=True, first_seen_at__lt=started)
    missing = [uid for uid in held.values_list("uphance_id", flat=True) if uid not in writer.seen]
    writer.counts.removed = customers_mark_removed(organisation=organisation, uphance_ids=missing)
    # Issues of customers this complete pass did not meet again are gone upstream or fixed.
    sync_issues_resolve_unseen(organisation=organisation, record_type="customer", run=run)
    return writer.counts


def _sales_orders_full(*, organisation, client, run, progress) -> Counts:
    started = timezone.now()
    _channels(organisation, client)
    seasons_sync(organisation=organisation, client=client)
    writer = _take_all(_sales_writer(organisation, client, run, progress), client.sales_order_pages())
    if writer.pass_complete():
        held = SalesOrder.objects.filter(organisation=organisation, removed_at__isnull=True, first_seen_at__lt=started)
        missing = [uid for uid in held.values_list("uphance_id", flat=True) if uid not in writer.seen]
        writer.counts.removed = sales_orders_mark_removed(organisation=organisation, uphance_ids=missing)
        sync_issues_resolve_unseen(organisation=organisation, record_type="sales_order", run=run)
        return _rebuild(organisation, run, writer.counts, force=True)
    _rebuild(organisation, run, writer.counts, force=True)
    run.message = (f"{run.message}. Not every sales order was seen, {writer.incomplete_reason()}: "
                   "removals wait for the next complete pass.")
    return writer.counts


def _sales_orders_new(*, organisation, client, run, progress) -> Counts:
    highest = SalesOrder.objects.filter(organisation=organisation).aggregate(m=Max("uphance_id"))["m"]
    writer = _take_all(_sales_writer(organisation, client, run, progress), client.sales_order_pages(since_id=highest))
    return _rebuild(organisation, run, writer.counts)


def _sales_orders_open(*, organisation, client, run, progress) -> Counts:
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
        _take_all(writer, client.sales_order_pages(since_id=summary["oldest"] - 1))
        # Open orders the listing no longer returns were deleted upstream.
        gone = [uid for uid in open_ids if uid not in writer.seen]
        if gone and writer.pass_complete():
            writer.counts.removed = sales_orders_mark_removed(organisation=organisation, uphance_ids=gone)
    else:
        _lookup_one_by_one(writer, organisation=organisation, client=client, run=run, ids=open_ids)
    return _rebuild(organisation, run, writer.counts)


def _lookup_one_by_one(writer: PageWriter, *, organisation, client, run, ids: list[int]) -> None:
    gone = []
    sync_run_progress(run=run, pages=0, pages_total=len(ids))
    for number, uphance_id in enumerate(ids, start=1):
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


def _seasons(*, organisation, client, run, progress) -> Counts:
    changed = seasons_sync(organisation=organisation, client=client)
    return Counts(updated=changed)


PASSES = {
    Kind.CUSTOMERS: _customers,
    Kind.SALES_ORDERS_FULL: _sales_orders_full,
    Kind.SALES_ORDERS_NEW: _sales_orders_new,
    Kind.SALES_ORDERS_OPEN: _sales_orders_open,
    Kind.SEASONS: _seasons,
}
