"""Receivers of the summaries app: the per-minute dispatcher is put in place after migrate."""
from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def schedules_ensure(sender, app_config=None, **kwargs):
    if app_config is None or app_config.label != "summaries":
        return
    from summaries.schedules import summary_dispatch_schedule_ensure

    summary_dispatch_schedule_ensure()
