"""Receivers of the customers app: production or its forecasts changed, so relink demand and judge risk again
(Shipup hears of it through demand_relinked).

A sync's `production_synced` comes before the forecasts it changes are written; the recompute that
follows sends `forecasts_recomputed`, and the risk rule (the same forecast as the board's "predicted
late") is judged again then.
"""
from django.dispatch import receiver

from production.forecasts.signals import forecasts_recomputed
from production.sync.signals import production_synced

from .tasks import demand_links_rebuild_queue


@receiver(production_synced)
def demand_relink_after_production_sync(sender, organisation, run, **kwargs):
    demand_links_rebuild_queue(organisation=organisation)


@receiver(forecasts_recomputed)
def demand_relink_after_forecasts(sender, organisation, run, **kwargs):
    demand_links_rebuild_queue(organisation=organisation)
