"""Receivers of the customers app: production changed, so relink demand (Shipup hears of it through demand_relinked)."""
from django.dispatch import receiver

from production.sync.signals import production_synced

from .tasks import demand_links_rebuild_queue


@receiver(production_synced)
def demand_relink_after_production_sync(sender, organisation, run, **kwargs):
    demand_links_rebuild_queue(organisation=organisation)
