"""Celery tasks of the production sync: thin, they take ids and call one service."""
import logging

from celery import shared_task

from accounts.models import Organisation
from integrations.uphance.errors import RateLimited, ServerError, TransportError
from production.sync.models import SyncRun
from production.sync.services import (
    PRODUCTION_KINDS,
    SyncLocked,
    production_order_refresh,
    production_sync,
)

logger = logging.getLogger(__name__)

__all__ = ["production_order_refresh_task", "production_sync_dispatch", "production_sync_task"]

TRANSIENT = (TransportError, ServerError, RateLimited)


@shared_task(
    name="production.tasks.sync.production_sync_task",
    bind=True, autoretry_for=TRANSIENT, retry_backoff=30, retry_backoff_max=600, retry_jitter=True,
    max_retries=3, soft_time_limit=50 * 60, time_limit=55 * 60, acks_late=True,
)
def production_sync_task(self, organisation_id: int, kind: str, trigger: str = "schedule", run_id: int | None = None):
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return "organisation gone"
    try:
        run = production_sync(
            organisation=organisation, kind=kind, trigger=trigger, run_id=run_id if not self.request.retries else None,
            task_id=self.request.id or "", raise_errors=True,
        )
    except SyncLocked:
        return "skipped: locked"
    return run.outcome


@shared_task(name="production.tasks.sync.production_order_refresh_task", bind=True, autoretry_for=TRANSIENT,
             retry_backoff=30, max_retries=3, soft_time_limit=300, time_limit=360)
def production_order_refresh_task(self, organisation_id: int, uphance_order_id: int):
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return "organisation gone"
    counts = production_order_refresh(organisation=organisation, uphance_order_id=uphance_order_id)
    return counts.summary()


@shared_task(name="production.tasks.sync.production_sync_dispatch", soft_time_limit=60, time_limit=90)
def production_sync_dispatch(kind: str):
    """Beat's entry: one production_sync_task per connected organisation for `kind`."""
    if kind not in PRODUCTION_KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    organisations = Organisation.objects.filter(uphance_connection__status="connected").values_list("pk", flat=True)
    for organisation_id in organisations:
        production_sync_task.delay(organisation_id, kind, SyncRun.Trigger.SCHEDULE)
    return len(organisations)
