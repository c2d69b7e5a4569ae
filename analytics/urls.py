"""URLs of analytics: scorecards, days per stage, flow, forecast accuracy, and their CSVs."""
from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("", views.analytics_home, name="home"),
    path("manufacturers/", views.manufacturers, name="manufacturers"),
    path("manufacturers.csv", views.manufacturers_csv, name="manufacturers_csv"),
    path("manufacturers/<int:pk>/", views.manufacturer_detail, name="manufacturer"),
    path("manufacturers/<int:pk>/trends.csv", views.manufacturer_trends_csv, name="manufacturer_csv"),
    path("stages/", views.stages, name="stages"),
    path("stages.csv", views.stages_csv, name="stages_csv"),
    path("flow/", views.flow, name="flow"),
    path("flow.csv", views.flow_csv, name="flow_csv"),
    path("throughput.csv", views.throughput_csv, name="throughput_csv"),
    path("aging.csv", views.aging_csv, name="aging_csv"),
    path("forecasts/", views.forecasts, name="forecasts"),
    path("forecasts.csv", views.forecasts_csv, name="forecasts_csv"),
]
