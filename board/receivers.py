"""Receivers of the board: a sync changed data, or forecasts were recomputed after it, so warm the board's cache.

A sync's `production_synced` comes before the forecasts it changes are written; the recompute that
follows sends `forecasts_recomputed`, which moves the board's data version (board_version) and so
leaves the snapshots warmed after the sync behind: they are warmed again with the new forecasts.
"""
from django.db import transaction
from django.dispatch import receiver

from production.forecasts.signals import forecasts_recomputed
from production.sync.signals import production_synced


def _board_warm_after_commit(organisation) -> None:
    from board.tasks import board_warm_task

    organisation_id = organisation.pk
    transaction.on_commit(lambda: board_warm_task.delay(organisation_id))


@receiver(production_synced)
def board_warm_after_sync(sender, organisation, run, **kwargs):
    _board_warm_after_commit(organisation)


@receiver(forecasts_recomputed)
def board_warm_after_forecasts(sender, organisation, run, **kwargs):
    _board_warm_after_commit(organisation)
