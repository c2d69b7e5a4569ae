"""URLs of the sync area."""
from django.urls import path

from .views import sync

urlpatterns = [
    path("sync/", sync.sync_page, name="sync"),
    path("sync/start/", sync.sync_now, name="sync_now"),
]
