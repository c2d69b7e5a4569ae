"""Customer URLs."""
app_name = "customers"
urlpatterns = []
