"""Celery tasks of the sync: one task and one dispatcher for every kind, the webhook's order refresh,
and the helpers that queue them (after commit). Tasks are thin: they take ids, call the engine and
own the retry policy.
"""
from __future__ import annotations

import datetime as dt
import logging
import random

from celery import shared_task
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organisation
from production.sync.models import SyncRun

from .engine import TRANSIENT, SyncLocked, SyncPaused, sync_kinds, sync_run, sync_uphance_client
from .services import production_order_refresh

logger = logging.getLogger(__name__)

__all__ = [
    "production_order_refresh_queue", "production_order_refresh_task", "retry_countdown", "sync_dispatch",
    "sync_queue", "sync_task",
]

RETRY_MIN_SECONDS = 30
RETRY_MAX_SECONDS = 15 * 60  # the backoff's cap; a Retry-After the API sent is honoured beyond it
RETRY_AFTER_MAX_SECONDS = 6 * 60 * 60
MAX_RETRIES = 5
QUEUED_FRESH = dt.timedelta(minutes=10)  # a queued run older than this (and not waiting to resume) is stale
# Kinds whose queued run must not be dropped when another run holds the lock (the running push may
# already be past the orders that changed): they try again a little later.
RETRY_WHEN_LOCKED = {SyncRun.Kind.SHIPUP_PUSH}


def sync_queue(*, organisation, kind: str, trigger: str = SyncRun.Trigger.MANUAL) -> SyncRun:
    """Queue a run of `kind` on Celery (after commit) and return it, shown as queued until it starts.

    A run of the same kind already waiting to start is returned instead of queueing another.
    """
    if kind not in sync_kinds():
        raise ValueError(f"unknown sync kind {kind!r}")
    now = timezone.now()
    waiting = (
        SyncRun.objects.filter(organisation=organisation, kind=kind, outcome=SyncRun.Outcome.QUEUED)
        .filter(Q(started_at__gte=now - QUEUED_FRESH) | Q(resumes_at__gte=now))
        .order_by("-started_at").first()
    )
    if waiting is not None:
        return waiting
    run = SyncRun.objects.create(organisation=organisation, kind=kind, trigger=trigger, outcome=SyncRun.Outcome.QUEUED)
    organisation_id = organisation.pk

    def send():
        result = sync_task.delay(organisation_id, kind, trigger, run.pk)
        SyncRun.objects.filter(pk=run.pk, task_id="").update(task_id=result.id or "")

    transaction.on_commit(send)
    return run


def retry_countdown(exc: BaseException | None, retries: int) -> int:
    """Seconds before the next attempt: exponential backoff with jitter, or longer when the API said so."""
    backoff = min(RETRY_MAX_SECONDS, RETRY_MIN_SECONDS * 2**retries) * random.uniform(0.75, 1.0)
    asked = getattr(exc, "retry_after", None) or 0
    return int(min(RETRY_AFTER_MAX_SECONDS, max(backoff, asked)))


def _attempt(task, organisation_id: int, kind: str, trigger: str, run_id: int | None) -> str:
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return "organisation gone"
    try:
        run = sync_run(organisation=organisation, kind=kind, trigger=trigger, run_id=run_id,
                       task_id=task.request.id or "", raise_errors=True)
    except SyncLocked as exc:
        if kind not in RETRY_WHEN_LOCKED or task.request.retries >= task.max_retries:
            return "skipped: locked"
        _retry_later(task, organisation, kind, trigger, exc)
    except TRANSIENT as exc:
        if task.request.retries >= task.max_retries:
            raise
        _retry_later(task, organisation, kind, trigger, exc)
    return run.outcome


def _retry_later(task, organisation, kind: str, trigger: str, exc: BaseException):
    """Queue the next attempt as a run that says when it resumes, and hand the task back to Celery."""
    countdown = retry_countdown(None if isinstance(exc, SyncLocked) else exc, task.request.retries)
    later = SyncRun.objects.create(
        organisation=organisation, kind=kind, trigger=trigger, outcome=SyncRun.Outcome.QUEUED,
        resumes_at=timezone.now() + dt.timedelta(seconds=countdown),
        message=f"Waiting to try again: {exc}"[:5000],
    )
    logger.info("sync %s for organisation %s retries in %ss (run %s): %s", kind, organisation.pk, countdown,
                later.pk, exc)
    raise task.retry(args=[organisation.pk, kind, trigger, later.pk], countdown=countdown, exc=exc)


SYNC_TASK_OPTIONS = dict(bind=True, max_retries=MAX_RETRIES, acks_late=True, soft_time_limit=50 * 60,
                         time_limit=55 * 60)


@shared_task(name="production.sync.tasks.sync_task", **SYNC_TASK_OPTIONS)
def sync_task(self, organisation_id: int, kind: str, trigger: str = "schedule", run_id: int | None = None):
    """One run of any registered kind for one organisation."""
    return _attempt(self, organisation_id, kind, trigger, run_id)


@shared_task(name="production.sync.tasks.sync_dispatch", soft_time_limit=60, time_limit=90)
def sync_dispatch(kind: str) -> int:
    """Beat's entry: queue a run of `kind` for every connected organisation."""
    if kind not in sync_kinds():
        raise ValueError(f"unknown sync kind {kind!r}")
    organisations = list(Organisation.objects.filter(uphance_connection__status="connected"))
    for organisation in organisations:
        sync_queue(organisation=organisation, kind=kind, trigger=SyncRun.Trigger.SCHEDULE)
    return len(organisations)


# --- one production order, as a webhook asks ------------------------------------------------------

def production_order_refresh_queue(*, organisation, uphance_order_id: int) -> None:
    """Refresh one held production order on Celery after commit (a receiving ticket changed it)."""
    organisation_id = organisation.pk
    transaction.on_commit(lambda: production_order_refresh_task.delay(organisation_id, int(uphance_order_id)))


@shared_task(name="production.tasks.sync.production_order_refresh_task", bind=True, autoretry_for=TRANSIENT,
             retry_backoff=30, max_retries=3, soft_time_limit=300, time_limit=360)
def production_order_refresh_task(self, organisation_id: int, uphance_order_id: int) -> str:
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return "organisation gone"
    try:
        client = sync_uphance_client(organisation)
    except SyncPaused as exc:
        return str(exc)
    counts = production_order_refresh(organisation=organisation, uphance_order_id=uphance_order_id, client=client)
    if counts is None:
        # Not held: a new order, which the (locked, logged) new-orders pass fetches.
        run = sync_queue(organisation=organisation, kind=SyncRun.Kind.PRODUCTION_NEW, trigger=SyncRun.Trigger.WEBHOOK)
        return f"new order: run {run.pk}"
    return counts.summary()


# --- the names earlier releases used (messages already queued, beat rows before migration 0004) ----

@shared_task(name="production.tasks.sync.production_sync_task", **SYNC_TASK_OPTIONS)
def production_sync_task(self, organisation_id: int, kind: str, trigger: str = "schedule", run_id: int | None = None):
    return _attempt(self, organisation_id, kind, trigger, run_id)


@shared_task(name="customers.tasks.customers_sync_task", **SYNC_TASK_OPTIONS)
def customers_sync_task(self, organisation_id: int, kind: str, trigger: str = "schedule", run_id: int | None = None):
    return _attempt(self, organisation_id, kind, trigger, run_id)


@shared_task(name="customers.shipup_tasks.shipup_push_task", **SYNC_TASK_OPTIONS)
def shipup_push_task(self, organisation_id: int):
    return _attempt(self, organisation_id, SyncRun.Kind.SHIPUP_PUSH, SyncRun.Trigger.SYNC, None)


@shared_task(name="production.tasks.sync.production_sync_dispatch", soft_time_limit=60, time_limit=90)
def production_sync_dispatch(kind: str) -> int:
    return sync_dispatch(kind)


@shared_task(name="customers.tasks.customers_sync_dispatch", soft_time_limit=60, time_limit=90)
def customers_sync_dispatch(kind: str) -> int:
    return sync_dispatch(kind)
