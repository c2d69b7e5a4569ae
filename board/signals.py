"""Receivers of the board: a sync changed data, so warm the board's cache."""
from django.db import transaction
from django.dispatch import receiver

from production.sync.signals import production_synced


@receiver(production_synced)
def board_warm_after_sync(sender, organisation, run, **kwargs):
    from board.tasks import board_warm_task

    organisation_id = organisation.pk
    transaction.on_commit(lambda: board_warm_task.delay(organisation_id))
