"""URLs of the summary area."""
urlpatterns = []
