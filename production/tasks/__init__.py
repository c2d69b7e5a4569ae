"""Celery tasks, one module per area; autodiscovery imports this package, so import them all here."""
from .summaries import *
from .sync import *
