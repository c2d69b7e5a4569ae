from django.apps import AppConfig


class ProductionConfig(AppConfig):
    name = "production"
    verbose_name = "Production"

    def ready(self):
        # The sync's models live with their code in production.sync (they keep the app label "production");
        # its receivers import its tasks, so every worker knows the sync's task names. So do the stored
        # stage history's (production.history), kept current by its receivers.
        from . import receivers as production_receivers  # noqa: F401
        from .forecasts import receivers as forecast_receivers  # noqa: F401
        from .history import models as history_models  # noqa: F401
        from .history import receivers as history_receivers  # noqa: F401
        from .sync import models, receivers  # noqa: F401
