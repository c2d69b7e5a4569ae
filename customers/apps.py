from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers and sales orders"

    def ready(self):
        # Shipup's models live with the rest of its Django side (they keep the app label "customers").
        from . import receivers  # noqa: F401
        from .shipup import models  # noqa: F401
