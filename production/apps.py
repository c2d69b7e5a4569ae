from django.apps import AppConfig


class ProductionConfig(AppConfig):
    name = "production"
    verbose_name = "Production"

    def ready(self):
        # The sync's models live with their code in production.sync (they keep the app label "production").
        # So do the stored stage history's (production.history), kept current by its receivers.
        from .history import models as history_models  # noqa: F401
        from .history import receivers  # noqa: F401
        from .sync import models, signals  # noqa: F401
