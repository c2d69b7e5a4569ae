"""Celery tasks of the customer and sales-order sync: thin, they take ids and call one service."""
from celery import shared_task

from accounts.models import Organisation
from integrations.uphance.errors import RateLimited, ServerError, TransportError
from production.sync.models import SyncRun

__all__ = ["customers_sync_dispatch", "customers_sync_task", "demand_links_rebuild_task"]

TRANSIENT = (TransportError, ServerError, RateLimited)


@shared_task(
    bind=True, autoretry_for=TRANSIENT, retry_backoff=30, retry_backoff_max=600, retry_jitter=True,
    max_retries=3, soft_time_limit=50 * 60, time_limit=55 * 60, acks_late=True,
)
def customers_sync_task(self, organisation_id: int, kind: str, trigger: str = "schedule", run_id: int | None = None):
    from customers.services.sync import SyncLocked, customers_sync

    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return "organisation gone"
    try:
        run = customers_sync(
            organisation=organisation, kind=kind, trigger=trigger, run_id=run_id if not self.request.retries else None,
            task_id=self.request.id or "", raise_errors=True,
        )
    except SyncLocked:
        return "skipped: locked"
    return run.outcome


@shared_task(soft_time_limit=60, time_limit=90)
def customers_sync_dispatch(kind: str):
    """Beat's entry: one customers_sync_task per connected organisation for `kind`."""
    from customers.services.sync import ALIASES, CUSTOMER_KINDS

    if ALIASES.get(kind, kind) not in CUSTOMER_KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    organisations = list(
        Organisation.objects.filter(uphance_connection__status="connected").values_list("pk", flat=True)
    )
    for organisation_id in organisations:
        customers_sync_task.delay(organisation_id, kind, SyncRun.Trigger.SCHEDULE)
    return len(organisations)


@shared_task(soft_time_limit=10 * 60, time_limit=11 * 60)
def demand_links_rebuild_task(organisation_id: int):
    """Relink demand to production after a production sync, then push what changed to Shipup."""
    from customers.services.demand import demand_links_rebuild
    from customers.shipup.services import shipup_push_start

    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return 0
    links = demand_links_rebuild(organisation=organisation)
    shipup_push_start(organisation=organisation)
    return links

from .shipup.tasks import *  # noqa: E402, F403
