"""URLs of the board area."""
urlpatterns = []
