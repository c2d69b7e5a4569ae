"""Top-level URLs: each app brings its own urls module (config is the only place that names every app)."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("board.urls")),
    path("", include("production.sync.urls")),
    path("", include("summaries.urls")),
    path("customers/", include("customers.urls")),
    path("analytics/", include("analytics.urls")),
]
