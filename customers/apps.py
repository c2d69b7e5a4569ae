from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers and sales orders"

    def ready(self):
        from . import signals  # noqa: F401
