"""Celery task of the board: warm its cache after a sync that changed data."""
from celery import shared_task

from accounts.models import Organisation
from board.services import board_warm

__all__ = ["board_warm_task"]


@shared_task(name="production.tasks.board.board_warm_task", soft_time_limit=120, time_limit=150, ignore_result=True)
def board_warm_task(organisation_id: int) -> int:
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    return board_warm(organisation=organisation) if organisation else 0
