"""The Celery application: broker and schedule come from Django settings (CELERY_*)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("seamline")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every installed app's `tasks` module, and those of the packages that keep their tasks with their code.
app.autodiscover_tasks()
app.autodiscover_tasks(["production.sync", "customers.shipup"])
