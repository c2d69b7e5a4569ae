"""Production URLs, one module per area so each stays readable."""
from django.urls import include, path

urlpatterns = [
    path("", include("production.board_urls")),
    path("", include("production.sync_urls")),
    path("", include("production.summary_urls")),
]
