"""Celery task of the stage history: refresh an organisation's spans after a sync."""
from celery import shared_task

from accounts.models import Organisation

from .services import stage_history_refresh
from .signals import stage_history_refreshed

__all__ = ["stage_history_refresh_task"]


@shared_task(name="production.tasks.history.stage_history_refresh_task", soft_time_limit=600, time_limit=660,
             ignore_result=True)
def stage_history_refresh_task(organisation_id: int) -> int:
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return 0
    build = stage_history_refresh(organisation=organisation)
    stage_history_refreshed.send(sender=stage_history_refresh_task, organisation=organisation)
    return build.spans
