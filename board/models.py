"""What users keep of the board: named views (a filter query string), one of which is the default."""
from django.conf import settings
from django.db import models
from django.utils import timezone


class SavedView(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="saved_views")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=120)
    query = models.CharField(max_length=2000, blank=True, help_text="The board's filter query string")
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "production_savedview"  # moved from production; the table kept its name
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user", "name"], name="saved_view_name"),
        ]

    def __str__(self):
        return self.name
