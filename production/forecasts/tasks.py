"""Celery task of the forecasts: recompute an organisation's forecasts (thin: an id, one service)."""
from celery import shared_task
from django.db import transaction

from accounts.models import Organisation

from .services import forecasts_recompute

__all__ = ["forecasts_recompute_queue", "forecasts_recompute_task"]


@shared_task(name="production.tasks.forecasts.forecasts_recompute_task", soft_time_limit=300, time_limit=360,
             ignore_result=True)
def forecasts_recompute_task(organisation_id: int) -> int:
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return 0
    return forecasts_recompute(organisation=organisation).changed


def forecasts_recompute_queue(*, organisation_id: int) -> None:
    """Recompute on Celery once the current transaction commits (a sync's last page is written by then)."""
    transaction.on_commit(lambda: forecasts_recompute_task.delay(organisation_id))
