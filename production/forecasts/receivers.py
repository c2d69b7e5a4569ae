"""Receivers of the forecasts: a production sync changed something, so forecasts are recomputed."""
from django.dispatch import receiver

from production.sync.signals import production_synced

# Imported here (not lazily): the worker loads this module with the app, and so knows the task.
from .tasks import forecasts_recompute_queue


@receiver(production_synced)
def forecasts_after_sync(sender, organisation, run, **kwargs):
    forecasts_recompute_queue(organisation_id=organisation.pk)
