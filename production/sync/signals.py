"""Signals of the production sync, and its receivers (the periodic sync schedule, the first sync of a connection)."""
from django.db.models.signals import post_migrate
from django.dispatch import Signal, receiver

from accounts.signals import uphance_connected

# Sent after a production sync pass that changed something (kwargs: organisation, run).
# The customers app relinks demand and pushes Shipup updates on it; the board warms its cache.
production_synced = Signal()


@receiver(post_migrate)
def schedules_ensure(sender, app_config=None, **kwargs):
    if app_config is None or app_config.label != "production":
        return
    from .schedule import sync_schedule_ensure

    sync_schedule_ensure()


@receiver(uphance_connected)
def first_sync_after_connect(sender, organisation, **kwargs):
    from production.sync.models import SyncRun
    from production.sync.services import production_sync_start

    production_sync_start(organisation=organisation, kind=SyncRun.Kind.PRODUCTION_FULL, trigger=SyncRun.Trigger.CONNECT)
