"""Receivers of analytics: the stage history was refreshed after a sync, so refresh analytics' tables."""
from django.dispatch import receiver

from production.history.signals import stage_history_refreshed

from .services import analytics_refresh


@receiver(stage_history_refreshed)
def analytics_after_history(sender, organisation, **kwargs):
    # Already in the history's worker task, after its spans were written: run here, in order.
    analytics_refresh(organisation=organisation)
