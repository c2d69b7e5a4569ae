"""The worker knows every task beat sends: a scheduled name Celery has not registered is dropped."""
import pytest
from django_celery_beat.models import PeriodicTask

from config.celery import app


@pytest.mark.django_db
def test_every_scheduled_task_is_registered_with_the_worker():
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))
    assert scheduled, "migrate puts the default schedule in place"
    assert scheduled <= set(app.tasks), sorted(scheduled - set(app.tasks))
