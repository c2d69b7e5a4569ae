"""Upgrading a database keeps what beat stores working: migration 0004 repoints the periodic tasks.

(django_celery_beat's own tables do not change between these migrations, so its models are used as they are.)
"""
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_celery_beat.models import IntervalSchedule, PeriodicTask

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("production", "0003_forecasts_and_slips")]
AFTER = [("production", "0004_sync_dispatch_repoint_beat")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_beat_rows_of_the_two_earlier_dispatchers_are_repointed_at_the_one_dispatcher():
    migrate(BEFORE)
    PeriodicTask.objects.all().delete()
    every = IntervalSchedule.objects.create(every=7, period="minutes")
    rows = {
        "old production": ("production.tasks.sync.production_sync_dispatch", ["production_new"]),
        "old sales orders": ("customers.tasks.customers_sync_dispatch", ["sales_orders_new"]),
        "someone else's": ("production.tasks.summaries.summaries_dispatch_task", []),
    }
    for name, (task, args) in rows.items():
        PeriodicTask.objects.create(name=name, task=task, args=json.dumps(args), interval=every, enabled=False)

    migrate(AFTER)
    tasks = dict(PeriodicTask.objects.filter(name__in=rows).values_list("name", "task"))
    assert tasks == {
        "old production": "production.sync.tasks.sync_dispatch",
        "old sales orders": "production.sync.tasks.sync_dispatch",
        "someone else's": "production.tasks.summaries.summaries_dispatch_task",
    }
    # What an admin set stays as it was.
    assert not PeriodicTask.objects.filter(name__in=rows, enabled=True).exists()
    assert json.loads(PeriodicTask.objects.get(name="old sales orders").args) == ["sales_orders_new"]

    migrate(BEFORE)  # and back
    assert PeriodicTask.objects.get(name="old production").task == "production.tasks.sync.production_sync_dispatch"
    assert PeriodicTask.objects.get(name="old sales orders").task == "customers.tasks.customers_sync_dispatch"
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
