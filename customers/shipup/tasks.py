"""Queueing the Shipup push: it runs as the sync engine's task (production.sync.tasks.sync_task, kind shipup_push)."""
from django.conf import settings as django_settings

from production.sync.models import SyncRun
from production.sync.tasks import sync_queue

from .selectors import shipup_settings_get

__all__ = ["shipup_push_queue"]


def shipup_push_queue(*, organisation, trigger: str = SyncRun.Trigger.SYNC) -> bool:
    """Queue a push after the current transaction commits; False while Shipup is off or paused."""
    settings = shipup_settings_get(organisation=organisation)
    if not settings.is_active or not django_settings.SHIPUP_API_KEY:
        return False
    sync_queue(organisation=organisation, kind=SyncRun.Kind.SHIPUP_PUSH, trigger=trigger)
    return True
