"""One sync dispatcher for every kind: point the periodic tasks beat stores at it.

The earlier dispatchers' names stay registered as aliases (messages already queued still run);
reversing puts each row back on the dispatcher of its kind.
"""
from django.db import migrations

NEW = "production.sync.tasks.sync_dispatch"
PRODUCTION = "production.tasks.sync.production_sync_dispatch"
CUSTOMERS = "customers.tasks.customers_sync_dispatch"


def repoint(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task__in=[PRODUCTION, CUSTOMERS]).update(task=NEW)


def back(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for row in PeriodicTask.objects.filter(task=NEW):
        row.task = PRODUCTION if '"production_' in (row.args or "") else CUSTOMERS
        row.save(update_fields=["task"])


class Migration(migrations.Migration):
    dependencies = [
        ("production", "0003_forecasts_and_slips"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(repoint, back)]
