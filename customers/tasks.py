"""Celery task of the customers app: relink demand after a production sync. (Customer and sales-order
syncs run as the sync engine's task, production.sync.tasks.sync_task.)"""
from celery import shared_task
from django.db import transaction

from accounts.models import Organisation

from .services.demand import demand_links_rebuild

__all__ = ["demand_links_rebuild_queue", "demand_links_rebuild_task"]


def demand_links_rebuild_queue(*, organisation) -> None:
    """Relink demand on Celery after the current transaction commits."""
    organisation_id = organisation.pk
    transaction.on_commit(lambda: demand_links_rebuild_task.delay(organisation_id))


@shared_task(name="customers.tasks.demand_links_rebuild_task", soft_time_limit=10 * 60, time_limit=11 * 60)
def demand_links_rebuild_task(organisation_id: int):
    """Relink demand to production after a production sync (which then pushes what changed to Shipup)."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return 0
    return demand_links_rebuild(organisation=organisation)
