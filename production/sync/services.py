"""Production sync: one code path for Celery and the command line.

Passes (SyncRun kinds):
- production_full: every order with include_stages=true, page by page; after a complete pass,
  orders Uphance no longer returns are marked removed (never deleted, never on a partial pass).
- production_new: orders with an id above the highest held (since_id).
- production_open: orders that can still change (draft/confirmed, not all received); held open
  orders the filtered listing no longer returns (completed, cancelled) are looked up by number.
- production_stages: the bulk timeline for open line items in chunks; only changed periods written.
Each page is written in one transaction, so a killed worker leaves no half-written page and the
next run completes the work without duplicates (rows are keyed by Uphance id).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from integrations.uphance import errors as uphance_errors
from integrations.uphance.client import UphanceClient
from production.models import LineItem, ProductionOrder, Season
from production.models.orders import StageStatus
from production.rules import OPEN_DELIVERY_STATUSES, OPEN_STATUSES, orders_open
from production.sync.models import SyncRun
from production.sync.signals import production_synced

from .log import (
    Counts,
    SyncLocked,
    sync_issue_record,
    sync_issues_resolve,
    sync_issues_resolve_unseen,
    sync_run_close,
    sync_run_open,
    sync_run_progress,
)
from .prefetch import prefetched
from .upsert import StageBook, line_item_stages_write, production_orders_upsert

logger = logging.getLogger(__name__)

Kind = SyncRun.Kind
PRODUCTION_KINDS = (Kind.PRODUCTION_FULL, Kind.PRODUCTION_NEW, Kind.PRODUCTION_OPEN, Kind.PRODUCTION_STAGES)
OPEN_STATES = OPEN_STATUSES  # production.rules: open as Uphance's filters spell it
TIMELINE_CHUNK = 100
LOOKUP_CAP = 200  # held open orders looked up one by one in an open pass; the rest wait for the nightly pass

Progress = Callable[[SyncRun], None]


class SyncPaused(Exception):
    """The organisation has no usable Uphance connection (never connected, or reconnect needed)."""


# --- entry points ---------------------------------------------------------------------------------

def production_sync_start(*, organisation, kind: str = Kind.PRODUCTION_FULL, trigger: str = SyncRun.Trigger.MANUAL) -> SyncRun:
    """Queue a production sync of `kind` on Celery (after commit); its run shows as queued until it starts."""
    from production.sync.tasks import production_sync_task

    return sync_start(organisation=organisation, kind=kind, trigger=trigger, task=production_sync_task)


def sync_start(*, organisation, kind: str, trigger: str, task) -> SyncRun:
    """Create a queued run and, after commit, send `task(organisation_id, kind, trigger, run_id)` to Celery."""
    run = SyncRun.objects.create(organisation=organisation, kind=kind, trigger=trigger, outcome=SyncRun.Outcome.QUEUED)

    def enqueue():
        result = task.delay(organisation.pk, kind, trigger, run.pk)
        SyncRun.objects.filter(pk=run.pk, task_id="").update(task_id=result.id or "")

    transaction.on_commit(enqueue)
    return run


def production_order_refresh_start(*, organisation, uphance_order_id: int) -> None:
    """Refresh one production order on Celery (webhooks: a receiving ticket changed it)."""
    from production.sync.tasks import production_order_refresh_task

    transaction.on_commit(lambda: production_order_refresh_task.delay(organisation.pk, int(uphance_order_id)))


def production_sync(
    *, organisation, kind: str, trigger: str = SyncRun.Trigger.COMMAND, client: UphanceClient | None = None,
    progress: Progress | None = None, run_id: int | None = None, task_id: str = "", raise_errors: bool = False,
) -> SyncRun:
    """Run one pass of `kind` for `organisation` and return its SyncRun (outcome says how it went).

    Raises SyncLocked when a run of the same kind is still going. With `raise_errors`, transient
    API errors are re-raised after the run is closed, so a Celery task can retry.
    """
    if kind not in PASSES:
        raise ValueError(f"unknown production sync kind {kind!r}")
    run, counts = sync_execute(
        organisation=organisation, kind=kind, trigger=trigger, passes=PASSES, client=client, progress=progress,
        run_id=run_id, task_id=task_id, raise_errors=raise_errors,
    )
    if counts is not None and (counts.created or counts.updated or counts.removed):
        production_synced.send(sender=production_sync, organisation=organisation, run=run)
    return run


TRANSIENT_ERRORS = (uphance_errors.TransportError, uphance_errors.ServerError, uphance_errors.RateLimited)


def sync_execute(
    *, organisation, kind: str, trigger: str, passes: dict, client: UphanceClient | None = None,
    progress: Progress | None = None, run_id: int | None = None, task_id: str = "", raise_errors: bool = False,
) -> tuple[SyncRun, Counts | None]:
    """Open a run of `kind` (taking the lock), run `passes[kind]`, and close the run whatever happens.

    The one place every sync (production, customers, sales orders) goes through: a paused
    connection skips, an expired token marks the connection "reconnect needed", API errors fail
    the run with their message. Returns the run and the pass's counts (None when it did not finish).
    """
    run = sync_run_open(organisation=organisation, kind=kind, trigger=trigger, task_id=task_id, run_id=run_id)
    counts = None
    try:
        client = client or _client_for(organisation)
        counts = passes[kind](organisation=organisation, client=client, run=run, progress=progress)
        sync_run_progress(run=run, counts=counts, requests=client.request_count)
        sync_run_close(run=run, message=run.message or counts.summary())
    except SyncPaused as exc:
        sync_run_close(run=run, outcome=SyncRun.Outcome.SKIPPED, message=str(exc))
    except uphance_errors.AuthExpired as exc:
        _reconnect_needed(organisation, str(exc))
        sync_run_close(run=run, outcome=SyncRun.Outcome.FAILED, message=f"Reconnect needed: {exc}")
    except uphance_errors.UphanceError as exc:
        sync_run_close(run=run, outcome=SyncRun.Outcome.FAILED, message=f"{type(exc).__name__}: {exc}")
        if raise_errors and isinstance(exc, TRANSIENT_ERRORS):
            raise
    except BaseException as exc:
        sync_run_close(run=run, outcome=SyncRun.Outcome.FAILED, message=f"{type(exc).__name__}: {exc}")
        raise
    return run, counts


def production_order_refresh(*, organisation, uphance_order_id: int, client: UphanceClient | None = None) -> Counts:
    """Fetch one order again (by its number, the only per-order lookup the API offers)."""
    client = client or _client_for(organisation)
    order = ProductionOrder.objects.filter(organisation=organisation, uphance_id=uphance_order_id).first()
    if order is None:
        # Not held yet: it is new, and the new-orders pass fetches it.
        return _new_orders(organisation=organisation, client=client, run=None, progress=None)
    return _lookup_orders(organisation=organisation, client=client, run=None, orders=[order])


def _client_for(organisation) -> UphanceClient:
    from accounts.services import uphance_client_for

    connection = getattr(organisation, "uphance_connection", None)
    if connection is None or not connection.is_usable:
        status = "not connected to Uphance" if connection is None else connection.get_status_display().lower()
        raise SyncPaused(f"Sync paused: {organisation.name} is {status}.")
    return uphance_client_for(organisation=organisation)


def _reconnect_needed(organisation, message: str) -> None:
    try:
        from accounts.services import uphance_connection_mark_reconnect_needed
    except ImportError:  # pragma: no cover - accounts services not there yet
        return
    uphance_connection_mark_reconnect_needed(organisation=organisation, message=message)


# --- pages ----------------------------------------------------------------------------------------

class PageWriter:
    """Takes pages of orders: records the bad records as issues, upserts the good ones."""

    def __init__(self, *, organisation, client, run: SyncRun | None, progress: Progress | None, ceiling: int | None = None):
        self.organisation = organisation
        # Orders above the ceiling are left to the new-orders pass: it fetches everything above the
        # highest id held, so no other pass may create orders up there.
        self.ceiling = ceiling
        self.client = client
        self.run = run
        self.progress = progress
        self.counts = Counts()
        self.seen: set[int] = set()
        self.pages = 0
        self.total_count: int | None = None

    def take(self, page) -> None:
        """A page of the pass's own listing: absorb it, then report progress."""
        self.absorb(page)
        self.pages += 1
        self.total_count = page.total_count
        if self.run is not None:
            sync_run_progress(run=self.run, counts=self.counts, pages=self.pages,
                              pages_total=page.total_pages, requests=self.client.request_count)
            if self.progress:
                self.progress(self.run)

    def absorb(self, page) -> None:
        """Record the page's unreadable records as issues and upsert the rest."""
        if self.ceiling is not None:
            page.records = [o for o in page.records if o.id <= self.ceiling]
            page.errors = [e for e in page.errors if not (str(e.record_id).isdigit() and int(e.record_id) > self.ceiling)]
        for bad in page.errors:
            if bad.record_id is not None and str(bad.record_id).isdigit():
                # It exists upstream even if it can't be read: never treat it as removed.
                self.seen.add(int(bad.record_id))
            self.counts.issues += 1
            if self.run is not None:
                sync_issue_record(
                    run=self.run, record_type=bad.record_type or "production_order", record_id=bad.record_id,
                    field=bad.field or "", reason=bad.message or str(bad), excerpt=bad.excerpt or "",
                )
        self.write(page.records, now=timezone.now())

    def write(self, records, *, now) -> None:
        if not records:
            return
        self.counts.add(production_orders_upsert(organisation=self.organisation, orders=records, now=now))
        self.seen.update(o.id for o in records)
        sync_issues_resolve(organisation=self.organisation, record_type="production_order", record_ids=[o.id for o in records])


def _pages(writer: PageWriter, pages: Iterable) -> PageWriter:
    for page in prefetched(pages):
        writer.take(page)
    return writer


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


def _full(*, organisation, client, run, progress) -> Counts:
    started = timezone.now()
    fetched = {}

    def pages_then_seasons():
        yield from client.production_order_pages(include_stages=True)
        # Fetched last, in the prefetch thread: its round trip overlaps the last page's write.
        fetched["seasons"] = client.seasons()

    writer = _pages(PageWriter(organisation=organisation, client=client, run=run, progress=progress), pages_then_seasons())
    seasons_store(organisation=organisation, seasons=fetched.get("seasons", []))
    # Every page was read: an open issue this pass did not meet again is gone upstream.
    sync_issues_resolve_unseen(organisation=organisation, record_type="production_order", run=run)
    # The pass went through every page. A listing that shifted while paging (orders deleted
    # upstream meanwhile) can have skipped an order: then removals wait for the next pass.
    if writer.total_count is not None and len(writer.seen) < writer.total_count:
        run.message = (f"{writer.counts.summary()}. The listing changed while paging "
                       f"({len(writer.seen)} of {writer.total_count} seen): removals are checked next pass.")
        return writer.counts
    writer.counts.removed = production_orders_mark_removed(organisation=organisation, seen=writer.seen, before=started)
    return writer.counts


def production_orders_mark_removed(*, organisation, seen: set[int], before) -> int:
    """Mark held orders that a complete pass did not return as removed (history is kept)."""
    now = timezone.now()
    held = ProductionOrder.objects.filter(organisation=organisation, removed_at__isnull=True, first_seen_at__lt=before)
    missing = [pk for pk, uphance_id in held.values_list("pk", "uphance_id") if uphance_id not in seen]
    if not missing:
        return 0
    with transaction.atomic():
        ProductionOrder.objects.filter(pk__in=missing).update(removed_at=now)
        LineItem.objects.filter(order_id__in=missing, removed_at__isnull=True).update(removed_at=now)
    return len(missing)


def _new_orders(*, organisation, client, run, progress) -> Counts:
    highest = ProductionOrder.objects.filter(organisation=organisation).aggregate(m=Max("uphance_id"))["m"]
    writer = PageWriter(organisation=organisation, client=client, run=run, progress=progress)
    return _pages(writer, client.production_order_pages(since_id=highest, include_stages=True)).counts


def _open_orders(*, organisation, client, run, progress) -> Counts:
    held = ProductionOrder.objects.filter(organisation=organisation)
    held_open = set(orders_open(held).values_list("uphance_id", flat=True))
    ceiling = held.aggregate(m=Max("uphance_id"))["m"] or 0
    writer = _pages(
        PageWriter(organisation=organisation, client=client, run=run, progress=progress, ceiling=ceiling),
        client.production_order_pages(include_stages=True, states=OPEN_STATES, delivery_statuses=OPEN_DELIVERY_STATUSES),
    )
    # Held-open orders the filtered listing no longer returns have moved on (complete, cancelled,
    # all received) or were removed: look them up so their new state lands now.
    gone = held_open - writer.seen
    if gone:
        orders = list(ProductionOrder.objects.filter(organisation=organisation, uphance_id__in=list(gone)[:LOOKUP_CAP]))
        writer.counts.add(_lookup_orders(organisation=organisation, client=client, run=run, orders=orders))
    return writer.counts


def _lookup_orders(*, organisation, client, run, orders) -> Counts:
    """Fetch held orders one by one (by number, the only per-order lookup), leaving the run's page progress alone."""
    own = PageWriter(organisation=organisation, client=client, run=run, progress=None)
    for order in orders:
        for page in client.production_order_pages(q=order.number, include_stages=True):
            page.records = [o for o in page.records if o.id == order.uphance_id]
            page.errors = [e for e in page.errors if str(e.record_id) == str(order.uphance_id)]
            own.absorb(page)
    return own.counts


def _stages(*, organisation, client, run, progress) -> Counts:
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


PASSES = {
    Kind.PRODUCTION_FULL: _full,
    Kind.PRODUCTION_NEW: _new_orders,
    Kind.PRODUCTION_OPEN: _open_orders,
    Kind.PRODUCTION_STAGES: _stages,
}

__all__ = [
    "PRODUCTION_KINDS", "SyncLocked", "SyncPaused", "production_order_refresh", "production_order_refresh_start",
    "production_orders_mark_removed", "production_sync", "production_sync_start", "seasons_sync", "sync_execute", "sync_start",
]
