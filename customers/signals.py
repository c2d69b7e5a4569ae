"""Receivers of the customers app: production changed, so relink demand and tell Shipup."""
from django.db import transaction
from django.dispatch import receiver

from production.sync.signals import production_synced


@receiver(production_synced)
def demand_relink_after_production_sync(sender, organisation, run, **kwargs):
    from .tasks import demand_links_rebuild_task

    organisation_id = organisation.pk
    transaction.on_commit(lambda: demand_links_rebuild_task.delay(organisation_id))
