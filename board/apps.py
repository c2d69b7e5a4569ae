from django.apps import AppConfig


class BoardConfig(AppConfig):
    name = "board"
    verbose_name = "Board"

    def ready(self):
        from . import receivers  # noqa: F401
