"""Receivers of the production sync: the periodic schedule after migrate, the first sync of a connection."""
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from accounts.signals import uphance_connected
from production.sync.models import SyncRun

from .schedule import sync_schedule_ensure
from .tasks import sync_queue


@receiver(post_migrate)
def schedules_ensure(sender, app_config=None, **kwargs):
    if app_config is None or app_config.label != "production":
        return
    sync_schedule_ensure()


@receiver(uphance_connected)
def first_sync_after_connect(sender, organisation, **kwargs):
    sync_queue(organisation=organisation, kind=SyncRun.Kind.PRODUCTION_FULL, trigger=SyncRun.Trigger.CONNECT)
