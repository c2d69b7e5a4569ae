"""Receivers of the stage history: a sync changed data, so refresh the spans (in a task, after commit)."""
from django.db import transaction
from django.dispatch import receiver

from production.sync.signals import production_synced

from .tasks import stage_history_refresh_task


@receiver(production_synced)
def stage_history_after_sync(sender, organisation, run=None, **kwargs):
    organisation_id = organisation.pk
    transaction.on_commit(lambda: stage_history_refresh_task.delay(organisation_id))
