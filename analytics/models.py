"""Derived tables of analytics, rebuilt from production at any time (`analytics_rebuild`).

StageCompletion: one row per completed stage period, with its duration and the facts the filters
need. FlowDay: line items and units in each stage at the end of each day (from production.history's
spans), overall and per manufacturer, season and warehouse, for the cumulative flow diagram.
"""
from django.db import models
from django.utils import timezone

from production.models import LineItem, Manufacturer, Season, Stage, Warehouse
from production.models.orders import OrgScoped


def _copy(model):
    return models.ForeignKey(
        model, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
        related_name="+",
    )


class StageCompletion(OrgScoped):
    line_item = models.ForeignKey(LineItem, on_delete=models.CASCADE, related_name="+")
    stage = _copy(Stage)
    manufacturer = _copy(Manufacturer)
    season = _copy(Season)
    warehouse = _copy(Warehouse)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    ended_on = models.DateField(help_text="The organisation's local day the stage ended")
    tenths = models.IntegerField(help_text="Duration in tenths of a day (what the pages show)")
    click_through = models.BooleanField(
        default=False, help_text="Shorter than an hour: clicked through in Uphance, not a duration"
    )
    units = models.IntegerField(default=0)

    class Meta:
        indexes = [
            # Every read is "completions that ended in the window", grouped: covering.
            models.Index(fields=["organisation", "ended_on", "stage", "manufacturer", "click_through", "tenths", "units",
                                 "season", "warehouse"], name="stage_completion_window"),
        ]

    @property
    def days(self) -> float:
        return self.tenths / 10


class FlowDay(OrgScoped):
    class Dimension(models.TextChoices):
        ALL = "all", "Every line item"
        MANUFACTURER = "manufacturer", "Manufacturer"
        SEASON = "season", "Season"
        WAREHOUSE = "warehouse", "Warehouse"

    day = models.DateField()
    stage = _copy(Stage)
    dimension = models.CharField(max_length=12, choices=Dimension.choices)
    key = models.BigIntegerField(null=True, blank=True, help_text="Manufacturer, season or warehouse id (empty: none)")
    line_items = models.IntegerField()
    units = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["organisation", "dimension", "key", "day", "stage", "line_items", "units"],
                                name="flow_day_read")]


class AnalyticsBuild(models.Model):
    """When an organisation's analytics tables were last built, and how long that took."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    completions = models.IntegerField(default=0)
    flow_days = models.IntegerField(default=0)
    seconds = models.FloatField(default=0)
