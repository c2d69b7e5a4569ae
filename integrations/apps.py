"""Django app so integrations can ship management commands; the clients know nothing of Django."""
from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"
