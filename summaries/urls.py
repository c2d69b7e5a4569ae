"""URLs of the summary area: e-mail summaries and the local outbox."""
from django.urls import path

from summaries import views

urlpatterns = [
    path("summaries/", views.summaries, name="summaries"),
    path("summaries/<int:pk>/", views.summary_edit, name="summary_edit"),
    path("summaries/<int:pk>/delete/", views.summary_delete, name="summary_delete"),
    path("summaries/<int:pk>/send/", views.summary_send_now_view, name="summary_send_now"),
    path("summaries/<int:pk>/switch-off/", views.summary_switch_off_view, name="summary_switch_off"),
    path("summaries/unsubscribe/<str:token>/", views.summary_unsubscribe_view, name="summary_unsubscribe"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/", views.outbox_message, name="outbox_message"),
    path("outbox/<int:pk>/html/", views.outbox_message_html, name="outbox_message_html"),
]
