"""Signals of the production app, and its receivers (the periodic schedule is put in place after migrate)."""
from django.db.models.signals import post_migrate
from django.dispatch import Signal, receiver

# Sent after a production sync pass that changed something (kwargs: organisation, run).
# The customers app relinks demand and pushes Shipup updates on it.
production_synced = Signal()


@receiver(post_migrate)
def schedules_ensure(sender, app_config=None, **kwargs):
    if app_config is None or app_config.label != "production":
        return
    from production.services.sync_schedule import sync_schedule_ensure

    sync_schedule_ensure()
    try:
        from production.services.schedules import summary_dispatch_schedule_ensure
    except ImportError:  # the summaries area is optional
        return
    summary_dispatch_schedule_ensure()


@receiver(production_synced)
def board_warm_after_sync(sender, organisation, run, **kwargs):
    from django.db import transaction

    from production.tasks.board import board_warm_task

    organisation_id = organisation.pk
    transaction.on_commit(lambda: board_warm_task.delay(organisation_id))
