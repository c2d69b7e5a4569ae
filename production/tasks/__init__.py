"""Celery tasks, one module per area; autodiscovery imports this package, so import them all here."""
from .board import *  # noqa: F403
from .summaries import *  # noqa: F403
from .sync import *  # noqa: F403
