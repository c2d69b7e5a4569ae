"""Receivers of the Shipup side: demand was relinked, so push what changed."""
from django.dispatch import receiver

from customers.signals import demand_relinked

from .tasks import shipup_push_queue


@receiver(demand_relinked)
def shipup_push_after_relink(sender, organisation, **kwargs):
    shipup_push_queue(organisation=organisation)
