"""Celery tasks, one module per area; autodiscovery imports this package, so import them all here."""
from .summaries import *  # noqa: F401,F403
from .sync import *  # noqa: F401,F403
