"""Celery tasks of e-mail summaries: the per-minute dispatcher and one send per delivery (with retries)."""
from celery import shared_task
from django.db import transaction
from django.utils import timezone

from summaries.models import SummaryDelivery
from summaries.services import (
    MAX_ATTEMPTS,
    summary_deliveries_claim_due,
    summary_delivery_send,
)

__all__ = ["summaries_dispatch_task", "summary_delivery_send_task"]


@shared_task(name="production.tasks.summaries.summaries_dispatch_task", ignore_result=True)
def summaries_dispatch_task() -> int:
    """Claim whatever is due (and retries whose time has come) and send each in its own task."""
    deliveries = summary_deliveries_claim_due(now=timezone.now())
    for delivery in deliveries:
        transaction.on_commit(lambda delivery_id=delivery.id: summary_delivery_send_task.delay(delivery_id))
    return len(deliveries)


@shared_task(
    bind=True, name="production.tasks.summaries.summary_delivery_send_task",
    max_retries=MAX_ATTEMPTS, acks_late=True, ignore_result=True,
)
def summary_delivery_send_task(self, delivery_id: int) -> str:
    delivery = summary_delivery_send(delivery_id=delivery_id)
    if delivery.status == SummaryDelivery.Status.FAILED and delivery.next_attempt_at:
        countdown = max(1, int((delivery.next_attempt_at - timezone.now()).total_seconds()))
        raise self.retry(countdown=countdown)
    return delivery.status
