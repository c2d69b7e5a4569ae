"""Receivers of the summaries app: the per-minute dispatcher is put in place after migrate, and a
member who leaves an organisation stops getting its summaries."""
from django.db.models.signals import post_delete, post_migrate
from django.dispatch import receiver

from accounts.models import Membership
from summaries.services import summaries_switch_off_for_member


@receiver(post_migrate)
def schedules_ensure(sender, app_config=None, **kwargs):
    if app_config is None or app_config.label != "summaries":
        return
    from summaries.schedules import summary_dispatch_schedule_ensure

    summary_dispatch_schedule_ensure()


@receiver(post_delete, sender=Membership)
def summaries_switch_off_on_leaving(sender, instance, **kwargs):
    summaries_switch_off_for_member(user_id=instance.user_id, organisation_id=instance.organisation_id)
