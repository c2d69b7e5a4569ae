"""Receivers of the customers app: production or its forecasts changed, so relink demand, judge risk and tell Shipup.

A sync's `production_synced` comes before the forecasts it changes are written; the recompute that
follows sends `forecasts_recomputed`, and the risk rule (the same forecast as the board's "predicted
late") is judged again then.
"""
from django.db import transaction
from django.dispatch import receiver

from production.forecasts.signals import forecasts_recomputed
from production.sync.signals import production_synced


def _demand_relink_after_commit(organisation) -> None:
    from .tasks import demand_links_rebuild_task

    organisation_id = organisation.pk
    transaction.on_commit(lambda: demand_links_rebuild_task.delay(organisation_id))


@receiver(production_synced)
def demand_relink_after_production_sync(sender, organisation, run, **kwargs):
    _demand_relink_after_commit(organisation)


@receiver(forecasts_recomputed)
def demand_relink_after_forecasts(sender, organisation, run, **kwargs):
    _demand_relink_after_commit(organisation)
