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


# --- the board's counts, rolled up after each sync (board.selectors.rollup, board.services) -------------
# The board's counts are over every open line item: at 80,000 orders a grouped count reads 300,000 index
# entries. Their facets (manufacturer, season, warehouse, stage, stage status) have few values, so the
# counts per combination of them are a few thousand rows however large the catalogue grows; a board
# whose filters are only those facets sums these rows instead. Rebuilt whole after every sync that
# changed data and every forecast recompute (board.receivers), stamped with the board's data version
# (board.selectors.cache.board_version); a board reads them only when the stamp is the current version,
# and counts its line items itself otherwise (so a stale rollup is never shown, only slower).

class BoardRollup(models.Model):
    """The stamp of an organisation's rollup: which data version it counts, when it was built, how long it took."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    version = models.CharField(max_length=64)
    built_at = models.DateTimeField(default=timezone.now)
    seconds = models.FloatField(default=0)
    rows = models.IntegerField(default=0)


class BoardCount(models.Model):
    """Open line items (and their units) of one manufacturer × season × warehouse × stage × stage status,
    twice: once over every forecast state (forecast_state NULL: what every board without a forecast filter
    sums) and once per forecast state (the forecast filter, the home page's predicted late).

    Plain ids, not foreign keys: the rows are replaced wholesale, and a deleted stage or factory only
    has to stop matching."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    manufacturer_id = models.BigIntegerField(null=True)
    season_id = models.BigIntegerField(null=True)
    warehouse_id = models.BigIntegerField(null=True)
    stage_id = models.BigIntegerField(null=True)
    stage_status = models.CharField(max_length=16)
    # NULL: the row counts every forecast state; "" (nothing to forecast) is a state of its own.
    forecast_state = models.CharField(max_length=16, null=True, blank=True)
    line_items = models.IntegerField()
    units = models.BigIntegerField()

    class Meta:
        # Covering, in the stage board's grouping order (manufacturer lanes): its sum reads the index alone.
        indexes = [models.Index(fields=["organisation", "forecast_state", "manufacturer_id", "stage_id", "stage_status",
                                        "season_id", "warehouse_id", "line_items", "units"], name="board_count_read")]


class BoardOrderCount(models.Model):
    """Open production orders (with an open line item) of one manufacturer × season: the manufacturer
    board's order counts, which do not add up from line items (an order's items are in many cells)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    manufacturer_id = models.BigIntegerField(null=True)
    season_id = models.BigIntegerField(null=True)
    orders = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["organisation", "manufacturer_id"])]
