"""Shipup URLs, included under customers/ (namespace "customers"): no app_name of their own."""
from django.urls import path

from . import views as shipup_views

urlpatterns = [
    path("", shipup_views.shipup_preview, name="shipup_preview"),
    path("push/", shipup_views.shipup_push_now, name="shipup_push_now"),
    path("settings/", shipup_views.shipup_settings, name="shipup_settings"),
]
