"""Production sync passes (SyncRun kinds), run by the engine (production.sync.engine.sync_run):

- production_full: every order with include_stages=true, page by page; after a complete pass,
  orders Uphance no longer returns are marked removed (never deleted, never on a partial pass).
- production_new: orders with an id above the highest held (since_id).
- production_open: orders that can still change (draft/confirmed, not all received); held open
  orders the filtered listing no longer returns (completed, cancelled) are looked up by number.
- production_stages: the bulk timeline for open line items in chunks; only changed periods written.
- seasons: GET /seasons into the Season table.
Each page is written in one transaction, so a killed worker leaves no half-written page and the
next run completes the work without duplicates (rows are keyed by Uphance id).
"""
from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Max, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.numbers import ascii_int
from integrations.uphance.client import UphanceClient
from production.models import LineItem, ProductionOrder, Season
from production.models.orders import StageStatus
from production.order_copy import line_items_order_copy
from production.rules import OPEN_DELIVERY_STATUSES, OPEN_STATUSES, orders_open

from .engine import LOOKUP_CAP, PageWriter, removals_settle
from .log import (
    Counts,
    sync_issue_record,
    sync_issues_resolve,
    sync_issues_resolve_unseen,
    sync_run_heartbeat,
    sync_run_progress,
)
from .prefetch import prefetched
from .upsert import StageBook, line_item_stages_write, production_orders_upsert

logger = logging.getLogger(__name__)

OPEN_STATES = OPEN_STATUSES  # production.rules: open as Uphance's filters spell it
TIMELINE_CHUNK = 100

__all__ = [
    "production_full", "production_new", "production_open", "production_order_refresh",
    "production_orders_mark_removed", "production_stages", "seasons_pass", "seasons_store", "seasons_sync",
]


def _upsert(*, organisation, records) -> Counts:
    return production_orders_upsert(organisation=organisation, orders=records, now=timezone.now())


def _writer(organisation, client, run, progress, *, ceiling=None) -> PageWriter:
    return PageWriter(organisation=organisation, client=client, run=run, progress=progress,
                      record_type="production_order", upsert=_upsert, ceiling=ceiling)


def _pages(writer: PageWriter, pages) -> PageWriter:
    for page in prefetched(pages):
        writer.take(page)
    return writer


def production_order_refresh(*, organisation, uphance_order_id: int, client: UphanceClient) -> Counts | None:
    """Fetch one held order again (by its number, the only per-order lookup the API offers).

    None when the order is not held: it is new, and the new-orders pass (a locked, logged run) fetches it.
    """
    order = ProductionOrder.objects.filter(organisation=organisation, uphance_id=uphance_order_id).first()
    if order is None:
        return None
    return _lookup_orders(organisation=organisation, client=client, run=None, orders=[order]).counts


# --- passes -----------------------------------------------------------------------------------

def seasons_sync(*, organisation, client: UphanceClient) -> int:
    """Resolve season ids to names through /seasons; returns how many seasons changed."""
    return seasons_store(organisation=organisation, seasons=client.seasons())


def seasons_store(*, organisation, seasons) -> int:
    """Store season names (from /seasons); returns how many changed."""
    changed = 0
    held = {s.uphance_id: s for s in Season.objects.filter(organisation=organisation)}
    for season in seasons:
        raw = season.model_dump(mode="json")
        row = held.get(season.id)
        if row is None:
            Season.objects.create(organisation=organisation, uphance_id=season.id, name=season.name or "", raw=raw)
            changed += 1
        elif row.name != (season.name or "") or row.raw != raw:
            row.name, row.raw = season.name or "", raw
            row.save(update_fields=["name", "raw"])
            changed += 1
    return changed


def seasons_pass(*, organisation, client, run, progress) -> Counts:
    return Counts(updated=seasons_sync(organisation=organisation, client=client))


def production_full(*, organisation, client, run, progress) -> Counts:
    started = timezone.now()
    fetched = {}

    def pages_then_seasons():
        yield from client.production_order_pages(include_stages=True)
        # Fetched last, in the prefetch thread: its round trip overlaps the last page's write.
        fetched["seasons"] = client.seasons()

    writer = _pages(_writer(organisation, client, run, progress), pages_then_seasons())
    seasons_store(organisation=organisation, seasons=fetched.get("seasons", []))
    # Every page was read: an open issue this pass did not meet again is gone upstream.
    sync_issues_resolve_unseen(organisation=organisation, record_type="production_order", run=run)
    held = ProductionOrder.objects.filter(organisation=organisation, removed_at__isnull=True, first_seen_at__lt=started)

    def still_there(ids: list[int]) -> set[int]:
        orders = list(ProductionOrder.objects.filter(organisation=organisation, uphance_id__in=ids))
        own = _lookup_orders(organisation=organisation, client=client, run=run, orders=orders)
        return own.seen | own.ambiguous

    gone, why = removals_settle(writer=writer, run=run, held=held.values_list("uphance_id", flat=True),
                                still_there=still_there, what="production order")
    if gone is None:
        run.message = f"{writer.counts.summary()}. {why}"
    else:
        writer.counts.removed = production_orders_mark_removed(organisation=organisation, uphance_ids=gone)
    return writer.counts


def production_orders_mark_removed(*, organisation, uphance_ids) -> int:
    """Mark held orders that a complete pass did not return as removed (history is kept)."""
    now = timezone.now()
    missing = list(ProductionOrder.objects.filter(
        organisation=organisation, removed_at__isnull=True, uphance_id__in=list(uphance_ids)
    ).values_list("pk", flat=True))
    if not missing:
        return 0
    with transaction.atomic():
        ProductionOrder.objects.filter(pk__in=missing).update(removed_at=now, is_open=False)
        # Their line items go with them, and their copies of the order's fields follow (production.order_copy).
        line_items_order_copy(LineItem.objects.filter(order_id__in=missing),
                              removed_at=Coalesce("removed_at", Value(now)), is_open=Value(False))
    return len(missing)


def production_new(*, organisation, client, run, progress) -> Counts:
    highest = ProductionOrder.objects.filter(organisation=organisation).aggregate(m=Max("uphance_id"))["m"]
    writer = _writer(organisation, client, run, progress)
    return _pages(writer, client.production_order_pages(since_id=highest, include_stages=True)).counts


def production_open(*, organisation, client, run, progress) -> Counts:
    held = ProductionOrder.objects.filter(organisation=organisation)
    held_open = set(orders_open(held).values_list("uphance_id", flat=True))
    ceiling = held.aggregate(m=Max("uphance_id"))["m"] or 0
    writer = _pages(
        _writer(organisation, client, run, progress, ceiling=ceiling),
        client.production_order_pages(include_stages=True, states=OPEN_STATES, delivery_statuses=OPEN_DELIVERY_STATUSES),
    )
    # Held-open orders the filtered listing no longer returns have moved on (complete, cancelled,
    # all received) or were removed: look them up so their new state lands now.
    gone = held_open - writer.seen
    if gone:
        orders = list(ProductionOrder.objects.filter(organisation=organisation, uphance_id__in=list(gone)[:LOOKUP_CAP]))
        writer.counts.add(_lookup_orders(organisation=organisation, client=client, run=run, orders=orders).counts)
    return writer.counts


class _Lookups(PageWriter):
    """Held orders fetched one by one; `ambiguous` holds those whose search answered an unreadable
    record without an id (it may be the order itself, so it is not taken for removed)."""

    def __init__(self, **kwargs):
        super().__init__(record_type="production_order", upsert=_upsert, progress=None, **kwargs)
        self.ambiguous: set[int] = set()


def _lookup_orders(*, organisation, client, run, orders) -> _Lookups:
    """Fetch held orders one by one (by number, the only per-order lookup), keeping the lock alive.

    The run's page progress is left alone; the lock's heartbeat moves after every request.
    """
    own = _Lookups(organisation=organisation, client=client, run=run)
    for order in orders:
        for page in client.production_order_pages(q=order.number, include_stages=True):
            if run is not None:
                sync_run_heartbeat(run=run)
            if any(e.record_id in (None, "") for e in page.errors):
                own.ambiguous.add(order.uphance_id)
            page.records = [o for o in page.records if o.id == order.uphance_id]
            page.errors = [e for e in page.errors if ascii_int(e.record_id) == order.uphance_id]
            own.absorb(page)
    return own


def production_stages(*, organisation, client, run, progress) -> Counts:
    """Refresh the stage history of open line items through the bulk timeline endpoint."""
    counts = Counts()
    items = (
        LineItem.objects.filter(organisation=organisation, removed_at__isnull=True)
        .filter(order__in=orders_open(ProductionOrder.objects.filter(organisation=organisation)))
        .exclude(stage_status=StageStatus.COMPLETED)
        .filter(Q(has_stages=True) | Q(stage_status=StageStatus.NO_STAGES))
        .only("id", "uphance_id", "stages_hash", "stages_changed_at", "has_stages", "stage_status",
              "current_stage_id", "current_stage_started_at")
        .order_by("uphance_id")
    )
    ids = list(items.values_list("uphance_id", flat=True))
    chunks = [ids[i : i + TIMELINE_CHUNK] for i in range(0, len(ids), TIMELINE_CHUNK)]
    if run is not None:
        sync_run_progress(run=run, pages=0, pages_total=len(chunks))
    book = StageBook(organisation)

    def fetched():
        for chunk in chunks:
            timelines, bad_records = [], []
            for page in client.production_timeline_bulk_pages(ids=chunk):
                timelines.extend(page.records)
                bad_records.extend(page.errors)
            yield timelines, bad_records

    for number, (timelines, bad_records) in enumerate(prefetched(fetched()), start=1):
        for bad in bad_records:
            counts.issues += 1
            sync_issue_record(run=run, record_type=bad.record_type or "production_timeline", record_id=bad.record_id,
                              field=bad.field or "", reason=bad.message or str(bad), excerpt=bad.excerpt or "")
        rows = {li.uphance_id: li for li in items.filter(uphance_id__in=[t.id for t in timelines])}
        pairs = [(rows[t.id], t) for t in timelines if t.id in rows]
        with transaction.atomic():
            changed = line_item_stages_write(organisation=organisation, items=pairs, book=book, now=timezone.now())
        counts.updated += changed
        counts.unchanged += len(pairs) - changed
        sync_issues_resolve(organisation=organisation, record_type="production_timeline", record_ids=[t.id for t in timelines])
        if run is not None:
            sync_run_progress(run=run, counts=counts, pages=number, requests=client.request_count)
            if progress:
                progress(run)
    return counts


