from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("healthz/", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("organisations/switch/", views.organisation_switch, name="organisation_switch"),
    path("settings/uphance/", views.settings_uphance, name="settings_uphance"),
    path("settings/uphance/organisation/", views.settings_uphance_choose, name="settings_uphance_choose"),
    path("settings/uphance/disconnect/", views.settings_uphance_disconnect, name="settings_uphance_disconnect"),
    path(
        "settings/uphance/webhook/rotate/",
        views.settings_uphance_webhook_rotate,
        name="settings_uphance_webhook_rotate",
    ),
]
