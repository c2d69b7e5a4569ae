"""Top-level URLs: each app brings its own urls module."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("production.urls")),
    path("customers/", include("customers.urls")),
]
