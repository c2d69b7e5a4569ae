"""The periodic sync schedule, declared in code and stored in django-celery-beat (editable in the admin).

Defaults: new orders every 2 minutes, stage refresh every 5, open orders every 15, the full
reconciliation nightly. Entries that exist are left as an admin edited them.
"""
import json

from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

# The one dispatcher of every kind (migration production 0004 repointed rows of the earlier two).
DISPATCH_TASK = "production.sync.tasks.sync_dispatch"

INTERVALS = [
    ("Production: new orders", DISPATCH_TASK, "production_new", 2),
    ("Production: stage refresh", DISPATCH_TASK, "production_stages", 5),
    ("Production: open orders", DISPATCH_TASK, "production_open", 15),
    ("Sales orders: new orders", DISPATCH_TASK, "sales_orders_new", 5),
    ("Sales orders: open orders", DISPATCH_TASK, "sales_orders_open", 30),
]
NIGHTLY = [
    ("Production: full reconciliation", DISPATCH_TASK, "production_full", "2", "30"),
    ("Customers: full sync", DISPATCH_TASK, "customers", "3", "0"),
    ("Sales orders: full sync", DISPATCH_TASK, "sales_orders_full", "3", "15"),
]


def sync_schedule_ensure() -> int:
    """Create the missing periodic sync entries; returns how many were created."""
    created = 0
    for name, task, kind, minutes in INTERVALS:
        every, _ = IntervalSchedule.objects.get_or_create(every=minutes, period=IntervalSchedule.MINUTES)
        _, made = PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "interval": every, "args": json.dumps([kind])}
        )
        created += made
    for name, task, kind, hour, minute in NIGHTLY:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        _, made = PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "args": json.dumps([kind])}
        )
        created += made
    return created
