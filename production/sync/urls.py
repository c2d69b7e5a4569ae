"""URLs of the sync area."""
from django.urls import path

from . import views as sync
from . import webhooks

urlpatterns = [
    path("sync/", sync.sync_page, name="sync"),
    path("sync/start/", sync.sync_now, name="sync_now"),
    path("webhooks/uphance/<str:secret>/", webhooks.uphance_webhook, name="uphance_webhook"),
]
