"""Celery task of the Shipup push: thin, it takes an organisation id, calls shipup_push and owns the retries."""
from celery import shared_task

from accounts.models import Organisation

__all__ = ["shipup_push_task"]

RETRY_MIN_SECONDS = 30
RETRY_MAX_SECONDS = 15 * 60


@shared_task(
    bind=True, name="customers.shipup_tasks.shipup_push_task", max_retries=6, acks_late=True,
    soft_time_limit=50 * 60, time_limit=55 * 60, ignore_result=True,
)
def shipup_push_task(self, organisation_id: int) -> str:
    """Push what changed; when Shipup was unwell (429/5xx/timeouts) or another push ran, try again later."""
    from customers.shipup.services import shipup_push

    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return "organisation gone"
    result = shipup_push(organisation=organisation)
    if result.retry and self.request.retries < self.max_retries:
        backoff = RETRY_MIN_SECONDS * 2 ** self.request.retries
        countdown = min(RETRY_MAX_SECONDS, max(backoff, int(result.retry_after or 0)))
        raise self.retry(countdown=countdown)
    return result.summary()
