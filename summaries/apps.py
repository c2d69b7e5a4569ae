from django.apps import AppConfig


class SummariesConfig(AppConfig):
    name = "summaries"
    verbose_name = "E-mail summaries"

    def ready(self):
        from . import receivers  # noqa: F401
