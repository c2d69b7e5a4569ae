"""The sync log and the per-organisation lock, shared by every kind of sync (production, customers…).

A run is opened with `sync_run_open` (which takes the lock or says why not), reports progress with
`sync_run_progress`, records the records it could not take with `sync_issue_record`, and is closed
with `sync_run_close`, which also releases the lock.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from production.sync.models import SyncIssue, SyncLock, SyncRun

logger = logging.getLogger(__name__)

LOCK_TTL = dt.timedelta(minutes=10)


WORKER_STOPPED = "The worker stopped during this run."


class SyncLocked(Exception):
    """Another run of the same kind holds the organisation's lock."""


class SyncLockLost(Exception):
    """The run's lock was taken over by another run (this one looked dead): it must stop."""


@dataclasses.dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    issues: int = 0

    def add(self, other: Counts) -> None:
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed, {self.issues} issues"
        )


def _lock_acquire(*, organisation, kind: str, run: SyncRun, earlier: SyncRun | None = None) -> bool:
    now = timezone.now()
    stopped = f"{WORKER_STOPPED} Run {run.pk} took over."
    try:
        with transaction.atomic():
            SyncLock.objects.create(organisation=organisation, kind=kind, run=run, acquired_at=now, heartbeat_at=now)
        taken = True
    except IntegrityError:
        # The holder may have died: take over a stale lock, or one naming this run's own earlier
        # attempt (Celery delivers a killed worker's task again with the same run id), atomically.
        dead = Q(heartbeat_at__lt=now - LOCK_TTL)
        if earlier is not None:
            dead |= Q(run=earlier)
        taken = bool(
            SyncLock.objects.filter(dead, organisation=organisation, kind=kind)
            .update(run=run, acquired_at=now, heartbeat_at=now)
        )
        if taken:
            SyncRun.objects.filter(organisation=organisation, kind=kind, outcome=SyncRun.Outcome.RUNNING).exclude(
                pk=run.pk
            ).update(outcome=SyncRun.Outcome.FAILED, finished_at=now, message=stopped)
    if taken and earlier is not None:
        SyncRun.objects.filter(pk=earlier.pk, outcome=SyncRun.Outcome.RUNNING).update(
            outcome=SyncRun.Outcome.FAILED, finished_at=now, message=stopped
        )
    return taken


def sync_run_open(
    *, organisation, kind: str, trigger: str, task_id: str = "", run_id: int | None = None
) -> SyncRun:
    """Start a run of `kind`, holding the organisation's lock for it; raises SyncLocked if held.

    `run_id` names a run queued earlier (shown as queued on the sync page until now). When that run
    has started already, this is its task delivered again after its worker died (acks_late): the
    earlier attempt is recorded as failed ("the worker stopped") and a new run takes its lock over.
    """
    run = SyncRun.objects.filter(pk=run_id, organisation=organisation).first() if run_id else None
    earlier = None
    if run is not None and run.outcome != SyncRun.Outcome.QUEUED:
        earlier, run = run, None
    if run is None:
        run = SyncRun.objects.create(organisation=organisation, kind=kind, trigger=earlier.trigger if earlier else trigger,
                                     task_id=task_id or "")
    else:
        run.outcome = SyncRun.Outcome.RUNNING
        run.started_at = run.heartbeat_at = timezone.now()
        run.resumes_at = None
        run.task_id = task_id or run.task_id
        run.save(update_fields=["outcome", "started_at", "heartbeat_at", "resumes_at", "task_id"])
    if not _lock_acquire(organisation=organisation, kind=kind, run=run, earlier=earlier):
        run.outcome = SyncRun.Outcome.SKIPPED
        run.finished_at = timezone.now()
        run.message = "Another run of this kind was still going; this one was skipped."
        run.save(update_fields=["outcome", "finished_at", "message"])
        raise SyncLocked(run.message)
    return run


def sync_run_heartbeat(*, run: SyncRun) -> None:
    """Keep the run's lock alive; raises SyncLockLost when another run has taken it over."""
    now = timezone.now()
    held = SyncLock.objects.filter(organisation_id=run.organisation_id, kind=run.kind, run=run).update(heartbeat_at=now)
    SyncRun.objects.filter(pk=run.pk).update(heartbeat_at=now)
    run.heartbeat_at = now
    if not held:
        raise SyncLockLost(_lost_message(run))


def sync_run_progress(
    *, run: SyncRun, counts: Counts | None = None, pages: int | None = None,
    pages_total: int | None = None, requests: int | None = None,
) -> None:
    """Save progress (seen by the /sync/ page) and keep the lock alive (SyncLockLost if it was taken over)."""
    fields = {}
    if counts is not None:
        fields.update(dataclasses.asdict(counts))
    if pages is not None:
        fields["pages"] = pages
    if pages_total is not None:
        fields["pages_total"] = pages_total
    if requests is not None:
        fields["requests"] = requests
    if fields:
        SyncRun.objects.filter(pk=run.pk).update(**fields)
        for name, value in fields.items():
            setattr(run, name, value)
    sync_run_heartbeat(run=run)


LOST = "This run lost its lock"


def _lost_message(run: SyncRun) -> str:
    holder = SyncLock.objects.filter(organisation_id=run.organisation_id, kind=run.kind).values_list("run_id", flat=True).first()
    taker = f"run {holder}" if holder else "another run"
    return (f"{LOST} to {taker} (its heartbeat looked stale) and stopped; "
            "what it wrote is kept and that run's outcome stands.")


def sync_run_close(*, run: SyncRun, outcome: str | None = None, message: str = "") -> SyncRun:
    """Finish the run (succeeded, or partial when it recorded issues) and release the lock.

    A run whose lock was taken over meanwhile is closed as failed, saying so, whatever it was
    about to report: the run holding the lock now reports for the kind.
    """
    if outcome is None:
        outcome = SyncRun.Outcome.PARTIAL if run.issues else SyncRun.Outcome.SUCCEEDED
    with transaction.atomic():
        released = SyncLock.objects.filter(organisation_id=run.organisation_id, kind=run.kind, run=run).delete()[0]
        if not released:
            outcome = SyncRun.Outcome.FAILED
            message = message if message.startswith(LOST) else _lost_message(run)
        run.outcome = outcome
        run.finished_at = timezone.now()
        if message:
            run.message = message[:5000]
        run.save(update_fields=["outcome", "finished_at", "message"])
    logger.info("sync %s for organisation %s: %s %s", run.kind, run.organisation_id, outcome, run.message)
    return run


def sync_issue_record(
    *, run: SyncRun, record_type: str, record_id, field: str = "", reason: str, excerpt: str = ""
) -> SyncIssue:
    """Record a record the run could not take; the same open issue seen again is counted, not duplicated."""
    now = timezone.now()
    record_id = "" if record_id is None else str(record_id)[:64]
    issue = SyncIssue.objects.filter(
        organisation_id=run.organisation_id, record_type=record_type, record_id=record_id,
        field=field[:255], resolved_at__isnull=True,
    ).first()
    if issue is None:
        issue = SyncIssue.objects.create(
            organisation_id=run.organisation_id, run=run, record_type=record_type, record_id=record_id,
            field=field[:255], reason=reason, excerpt=excerpt[:2000], first_seen_at=now, last_seen_at=now,
        )
    else:
        SyncIssue.objects.filter(pk=issue.pk).update(
            run=run, reason=reason, excerpt=excerpt[:2000], last_seen_at=now, occurrences=F("occurrences") + 1
        )
    run.issues += 1
    SyncRun.objects.filter(pk=run.pk).update(issues=F("issues") + 1)
    return issue


def sync_issues_resolve(*, organisation, record_type: str, record_ids) -> int:
    """Close the open issues of records that have now synced cleanly."""
    ids = [str(i) for i in record_ids]
    if not ids:
        return 0
    return SyncIssue.objects.filter(
        organisation=organisation, record_type=record_type, record_id__in=ids, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())


def sync_issues_resolve_unseen(*, organisation, record_type: str, run: SyncRun) -> int:
    """After a complete pass: close the open issues of `record_type` that `run` did not meet again."""
    return (
        SyncIssue.objects.filter(organisation=organisation, record_type=record_type, resolved_at__isnull=True)
        .exclude(run=run)
        .update(resolved_at=timezone.now())
    )


REMOVALS = "removals"  # record_type of the lasting issue that says removals cannot be checked


def sync_removals_blocked(*, run: SyncRun, record_type: str, reason: str) -> SyncIssue:
    """Record (or repeat) the lasting issue that removals of `record_type` are blocked, saying since when."""
    held = SyncIssue.objects.filter(
        organisation_id=run.organisation_id, record_type=REMOVALS, record_id=record_type, resolved_at__isnull=True
    ).first()
    since = held.first_seen_at if held else timezone.now()
    return sync_issue_record(
        run=run, record_type=REMOVALS, record_id=record_type,
        reason=f"Removals blocked since {since:%d %b %Y %H:%M} UTC: {reason}",
    )


def sync_removals_unblocked(*, organisation, record_type: str) -> int:
    """A pass could check removals of `record_type` again: close the lasting issue."""
    return sync_issues_resolve(organisation=organisation, record_type=REMOVALS, record_ids=[record_type])
