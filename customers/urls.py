"""Customer URLs."""
from django.urls import include, path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("<int:uphance_id>/", views.customer_detail, name="detail"),
    path("shipup/", include("customers.shipup.urls")),
]
