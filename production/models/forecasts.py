"""What Seamline learns from the stage history: how long stages take, and the dates that moved.

Written by production.forecasts after syncs (never per request); read by the board, summaries,
customers' risk, Shipup and analytics.
"""
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .orders import Manufacturer, OrgScoped, ProductionOrder, Stage


class StageDuration(OrgScoped):
    """Median and p90 days of a stage's completed periods at one manufacturer (empty: every factory)."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="durations")
    manufacturer = models.ForeignKey(
        Manufacturer, null=True, blank=True, on_delete=models.CASCADE, related_name="stage_durations"
    )
    samples = models.IntegerField(default=0, help_text="Completed periods the figures come from")
    median_days = models.FloatField()
    p90_days = models.FloatField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "stage", "manufacturer"], condition=Q(manufacturer__isnull=False),
                name="stage_duration_per_manufacturer",
            ),
            models.UniqueConstraint(
                fields=["organisation", "stage"], condition=Q(manufacturer__isnull=True),
                name="stage_duration_all_manufacturers",
            ),
        ]

    def __str__(self):
        return f"{self.stage} at {self.manufacturer or 'every factory'}: {self.median_days:.1f}–{self.p90_days:.1f} d"


class ReceivingGap(OrgScoped):
    """The organisation's usual days from a PO's last stage ending to its goods arriving (median, p90)."""

    samples = models.IntegerField(default=0, help_text="Arrived orders the figures come from (0: the default)")
    median_days = models.FloatField()
    p90_days = models.FloatField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation"], name="receiving_gap_organisation")]

    def __str__(self):
        return f"{self.organisation}: received {self.median_days:.1f}–{self.p90_days:.1f} d after the last stage"


class OrderDateChange(OrgScoped):
    """A PO's due or in-warehouse date moved (a slip when later): seen by a sync, old and new kept."""

    class Field(models.TextChoices):
        DUE_DATE = "due_date", "Due date"
        IN_WAREHOUSE_DATE = "in_warehouse_date", "In-warehouse date"

    order = models.ForeignKey(ProductionOrder, on_delete=models.CASCADE, related_name="date_changes")
    field = models.CharField(max_length=20, choices=Field.choices)
    old_date = models.DateField(null=True, blank=True)
    new_date = models.DateField(null=True, blank=True)
    seen_at = models.DateTimeField(default=timezone.now, help_text="When Seamline saw the change")

    class Meta:
        ordering = ["order_id", "seen_at", "id"]
        indexes = [models.Index(fields=["organisation", "seen_at"]), models.Index(fields=["order", "field"])]

    def __str__(self):
        return f"{self.order} {self.field}: {self.old_date} → {self.new_date}"

    @property
    def days(self) -> int | None:
        """How far the date moved (positive: later)."""
        if self.old_date is None or self.new_date is None:
            return None
        return (self.new_date - self.old_date).days

