"""The sync engine: every kind of sync (production, customers, sales orders, seasons, Shipup pushes)
runs through `sync_run`, which takes the lock, keeps the run log and closes the run whatever happens.

Kinds are chosen from a registry that config fills: `settings.SEAMLINE_SYNC_PASSES` maps a kind
to the dotted path of its pass, a function `(*, organisation, client, run, progress) -> Counts`.
A pass talks to Uphance unless it is marked with `sync_pass(client=...)`, which names the function
that makes its client (Shipup's, say). Pages of records go through the one `PageWriter`.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from accounts.services import uphance_client_for, uphance_connection_mark_reconnect_needed
from integrations.numbers import ascii_int
from integrations.shipup.errors import ShipupRateLimited, ShipupServerError
from integrations.uphance import errors as uphance_errors
from production.sync.models import SyncRun
from production.sync.signals import production_synced

from .log import (
    Counts,
    SyncLocked,
    SyncLockLost,
    sync_issue_record,
    sync_issues_resolve,
    sync_removals_blocked,
    sync_removals_unblocked,
    sync_run_close,
    sync_run_open,
    sync_run_progress,
)

logger = logging.getLogger(__name__)

Kind = SyncRun.Kind
Progress = Callable[[SyncRun], None]
PRODUCTION_KINDS = (Kind.PRODUCTION_FULL, Kind.PRODUCTION_NEW, Kind.PRODUCTION_OPEN, Kind.PRODUCTION_STAGES)
# Errors another attempt later may not meet: the task retries them (Shipup's transport error is a ServerError).
TRANSIENT = (
    uphance_errors.TransportError, uphance_errors.ServerError, uphance_errors.RateLimited,
    ShipupServerError, ShipupRateLimited,
)
LOOKUP_CAP = 200  # held records checked one by one when unreadable records without an id hide which are gone

__all__ = [
    "LOOKUP_CAP", "PRODUCTION_KINDS", "TRANSIENT", "PageWriter", "SyncLockLost", "SyncLocked", "SyncPaused",
    "pages_take", "removals_settle", "sync_kinds", "sync_pass", "sync_pass_needs_uphance", "sync_run",
    "sync_uphance_client",
]


class SyncPaused(Exception):
    """The pass cannot talk to its API now (never connected, reconnect needed, switched off)."""


# --- the registry ---------------------------------------------------------------------------------

def sync_pass(*, client: Callable[[Any], Any]):
    """Mark a pass whose API is not Uphance: `client(organisation)` makes its client or raises SyncPaused."""

    def mark(function):
        function.sync_client = client
        return function

    return mark


def sync_kinds() -> list[str]:
    """The kinds config registered, in the order of SyncRun.Kind."""
    registered = settings.SEAMLINE_SYNC_PASSES
    return [kind for kind in Kind.values if kind in registered]


def _pass_for(kind: str) -> Callable[..., Counts]:
    path = settings.SEAMLINE_SYNC_PASSES.get(kind)
    if path is None:
        raise ValueError(f"unknown sync kind {kind!r}")
    return import_string(path)


def sync_pass_needs_uphance(kind: str) -> bool:
    return not hasattr(_pass_for(kind), "sync_client")


def sync_uphance_client(organisation):
    """The organisation's Uphance client; SyncPaused while it has no usable connection."""
    connection = getattr(organisation, "uphance_connection", None)
    if connection is None or not connection.is_usable:
        status = "not connected to Uphance" if connection is None else connection.get_status_display().lower()
        raise SyncPaused(f"Sync paused: {organisation.name} is {status}.")
    return uphance_client_for(organisation=organisation)


# --- the engine -----------------------------------------------------------------------------------

def sync_run(
    *, organisation, kind: str, trigger: str = SyncRun.Trigger.COMMAND, client=None, progress: Progress | None = None,
    run_id: int | None = None, task_id: str = "", raise_errors: bool = False,
    work: Callable[..., Counts] | None = None,
) -> SyncRun:
    """Run one pass of `kind` for `organisation` and return its SyncRun (its outcome says how it went).

    Raises SyncLocked when a run of the same kind is still going. A paused connection skips the run,
    an expired token marks the connection "reconnect needed", API errors fail the run with their
    message; with `raise_errors`, transient ones (TRANSIENT) are raised again after the run is closed,
    so a task can retry. A run whose lock another run took over stops at its next heartbeat and
    closes failed, saying so, leaving the new holder's outcome alone. `work` runs instead of the registered pass (same lock, same log).
    """
    work = work or _pass_for(kind)
    run = sync_run_open(organisation=organisation, kind=kind, trigger=trigger, task_id=task_id, run_id=run_id)
    counts = None
    try:
        if client is None:
            client = getattr(work, "sync_client", sync_uphance_client)(organisation)
        counts = work(organisation=organisation, client=client, run=run, progress=progress)
        sync_run_progress(run=run, counts=counts, requests=client.request_count)
        sync_run_close(run=run, message=run.message or counts.summary())
    except SyncPaused as exc:
        sync_run_close(run=run, outcome=SyncRun.Outcome.SKIPPED, message=str(exc))
    except SyncLockLost as exc:
        sync_run_close(run=run, outcome=SyncRun.Outcome.FAILED, message=str(exc))
    except uphance_errors.AuthExpired as exc:
        uphance_connection_mark_reconnect_needed(organisation=organisation, message=str(exc))
        sync_run_close(run=run, outcome=SyncRun.Outcome.FAILED, message=f"Reconnect needed: {exc}")
    except TRANSIENT as exc:
        sync_run_close(run=run, outcome=SyncRun.Outcome.FAILED, message=_failure(run, exc))
        if raise_errors:
            raise
    except uphance_errors.UphanceError as exc:
        sync_run_close(run=run, outcome=SyncRun.Outcome.FAILED, message=_failure(run, exc))
    except BaseException as exc:
        sync_run_close(run=run, outcome=SyncRun.Outcome.FAILED, message=f"{type(exc).__name__}: {exc}")
        raise
    if kind in PRODUCTION_KINDS and counts is not None and (counts.created or counts.updated or counts.removed):
        production_synced.send(sender=sync_run, organisation=organisation, run=run)
    return run


def _failure(run: SyncRun, exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return f"{run.message}. {text}" if run.message else text


# --- pages ----------------------------------------------------------------------------------------

class PageWriter:
    """Takes pages of one record type: records the unreadable records as issues, upserts the rest.

    Each page lands in one transaction. It counts what it saw so a pass can tell whether the listing
    was read whole: records written or unreadable with a usable id (`seen`), unreadable ones whose id
    no held record can have ("²", out of range: `foreign`), and unreadable ones without an id, which
    may be any held record (`unidentified`).
    """

    def __init__(self, *, organisation, client, run: SyncRun | None, progress: Progress | None, record_type: str,
                 upsert: Callable[..., Counts], ceiling: int | None = None):
        self.organisation = organisation
        self.client = client
        self.run = run
        self.progress = progress
        self.record_type = record_type
        self.upsert = upsert
        # Records above the ceiling are left to the new-records pass: it fetches everything above
        # the highest id held, so no other pass may create records up there.
        self.ceiling = ceiling
        self.counts = Counts()
        self.seen: set[int] = set()
        self.foreign = 0
        self.unidentified = 0
        self.complete = True  # False once a page-level problem means records may be missing
        self.pages = 0
        self.total_count: int | None = None

    def take(self, page) -> None:
        """A page of the pass's own listing: absorb it, then report progress (and keep the lock)."""
        self.absorb(page)
        self.pages += 1
        self.total_count = page.total_count
        if self.run is not None:
            sync_run_progress(run=self.run, counts=self.counts, pages=self.pages,
                              pages_total=page.total_pages, requests=self.client.request_count)
            if self.progress:
                self.progress(self.run)

    def absorb(self, page) -> None:
        """Record the page's unreadable records as issues and upsert the rest, in one transaction."""
        records, errors = list(page.records), list(page.errors)
        storable = []
        for record in records:
            if ascii_int(record.id) is None:
                errors.append(uphance_errors.BadPayload(
                    self.record_type, record_id=record.id, field="id", message="id is out of range"))
            else:
                storable.append(record)
        if self.ceiling is not None:
            storable = [r for r in storable if r.id <= self.ceiling]
            errors = [e for e in errors if (ascii_int(e.record_id) or 0) <= self.ceiling]
        with transaction.atomic():
            for bad in errors:
                self.bad(bad)
            self.write(storable)

    def bad(self, bad: uphance_errors.BadPayload) -> None:
        record_id = ascii_int(bad.record_id)
        if record_id is not None:
            # It exists upstream even if it cannot be read: never treat it as removed.
            self.seen.add(record_id)
        elif bad.record_id not in (None, ""):
            self.foreign += 1
        elif bad.record_type in (None, "", "page"):
            self.complete = False
        else:
            self.unidentified += 1
        self.counts.issues += 1
        if self.run is not None:
            sync_issue_record(
                run=self.run, record_type=bad.record_type or self.record_type, record_id=bad.record_id,
                field=bad.field or "", reason=bad.message or str(bad), excerpt=bad.excerpt or "",
            )

    def write(self, records) -> None:
        if not records:
            return
        self.counts.add(self.upsert(organisation=self.organisation, records=records))
        ids = [r.id for r in records]
        self.seen.update(ids)
        sync_issues_resolve(organisation=self.organisation, record_type=self.record_type, record_ids=ids)

    def read_whole(self) -> bool:
        """Every record of the listing was accounted for (a listing that shifted while paging may skip some)."""
        if not self.complete:
            return False
        return self.total_count is None or len(self.seen) + self.foreign + self.unidentified >= self.total_count

    def not_whole_reason(self) -> str:
        if not self.complete:
            return "a page could not be read"
        accounted = len(self.seen) + self.foreign + self.unidentified
        return f"the listing changed while paging ({accounted} of {self.total_count} seen)"


def pages_take(writer: PageWriter, pages: Iterable) -> PageWriter:
    for page in pages:
        writer.take(page)
    return writer


def removals_settle(*, writer: PageWriter, run: SyncRun, held: Iterable[int], still_there: Callable[[list[int]], set[int]],
                    what: str) -> tuple[list[int] | None, str]:
    """(the held ids a whole listing no longer returns, ""), or (None, why) when removals must wait.

    Unreadable records without an id may be any held record, so then each missing record is looked up
    on its own (`still_there(ids)` returns those that exist) — up to LOOKUP_CAP of them; past that,
    removals are blocked and a lasting issue on the sync page says since when.
    """
    if not writer.read_whole():
        return None, f"Not every {what} was seen, {writer.not_whole_reason()}: removals are checked next pass."
    missing = [uid for uid in held if uid not in writer.seen]
    if writer.unidentified and missing:
        if len(missing) > LOOKUP_CAP:
            sync_removals_blocked(
                run=run, record_type=writer.record_type,
                reason=(f"{writer.unidentified} unreadable {what} record(s) without an id could be any of the "
                        f"{len(missing)} held {what}s the listing no longer returns; they stay until the record "
                        "can be read."),
            )
            return None, "Removals are blocked: see the open issues."
        present = still_there(missing)
        missing = [uid for uid in missing if uid not in present]
    sync_removals_unblocked(organisation=writer.organisation, record_type=writer.record_type)
    return missing, ""
