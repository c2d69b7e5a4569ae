"""Derived tables of analytics, rebuilt from production at any time (`analytics_rebuild`).

StageCompletion: one row per completed stage period, with its duration and the facts the filters
need. DurationWindow: the same durations counted for the standard windows (last 90, 180, 365 days
on the day of the build) per stage and manufacturer, so the usual pages read a few thousand counts
instead of every completion. FlowDay: line items and units in each stage at the end of each day
(from production.history's spans), overall and per manufacturer, season and warehouse, for the
cumulative flow diagram, and what completed each stage that day (throughput). ReceivedOrder: the POs received, with the day and the dates they are
judged by (received: see production.history.services.order_closed_at).
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
            # Durations grouped by stage, manufacturer and length, read in that order (no sort).
            models.Index(fields=["organisation", "click_through", "stage", "manufacturer", "tenths", "ended_on",
                                 "season", "warehouse"], name="stage_completion_length"),
            # One manufacturer's completions in a window (its trends page): that manufacturer's range only.
            models.Index(fields=["organisation", "manufacturer", "ended_on", "click_through", "stage", "tenths", "units",
                                 "season", "warehouse"], name="stage_completion_maker"),
        ]

    @property
    def days(self) -> float:
        return self.tenths / 10


class DurationWindow(OrgScoped):
    """How many completed periods of a stage at a manufacturer lasted `tenths` tenths of a day, over
    the last `window` days ending on the build day (click-throughs left out)."""

    window = models.PositiveSmallIntegerField()
    last_day = models.DateField(help_text="The window's last day (the day of the build)")
    stage = _copy(Stage)
    manufacturer = _copy(Manufacturer)
    tenths = models.IntegerField()
    periods = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["organisation", "window", "last_day", "stage", "manufacturer", "tenths",
                                        "periods"], name="duration_window_read")]


class DurationSummary(OrgScoped):
    """The same windows' durations summed up per stage, per manufacturer and over every factory: how
    many, min, quartiles, p90 and max in days (what the scorecards and the stages page show), so those
    pages read a row per stage and manufacturer instead of every length counted."""

    window = models.PositiveSmallIntegerField()
    last_day = models.DateField(help_text="The window's last day (the day of the build)")
    stage = _copy(Stage)
    every_factory = models.BooleanField(default=False, help_text="Every manufacturer's periods (else `manufacturer`'s)")
    manufacturer = _copy(Manufacturer)
    periods = models.IntegerField()
    low = models.FloatField()
    q1 = models.FloatField()
    median = models.FloatField()
    q3 = models.FloatField()
    p90 = models.FloatField()
    high = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["organisation", "window", "last_day", "stage", "every_factory", "manufacturer"],
                                name="duration_summary_read")]


class ReceivedOrder(OrgScoped):
    order = models.OneToOneField("production.ProductionOrder", on_delete=models.CASCADE, related_name="+")
    manufacturer = _copy(Manufacturer)
    season = _copy(Season)
    received_on = models.DateField()
    expected_on = models.DateField(null=True, blank=True, help_text="In-warehouse date, else due date, now")
    original_on = models.DateField(null=True, blank=True, help_text="The same as Seamline first saw it")
    # The figures the pages count, worked out once when the row is written (the pages group by them).
    days_late = models.IntegerField(null=True, blank=True, help_text="received_on - expected_on (negative: early)")
    days_late_original = models.IntegerField(null=True, blank=True, help_text="received_on - original_on")
    slip_days = models.IntegerField(null=True, blank=True, help_text="expected_on - original_on (positive: later)")

    class Meta:
        indexes = [
            # Every read counts the POs received in a window per manufacturer (or per week of one): covering.
            models.Index(fields=["organisation", "received_on", "manufacturer", "season", "days_late",
                                 "days_late_original", "slip_days", "order"], name="received_order_figures"),
        ]


class ForecastOutcome(OrgScoped):
    """A line item's forecast arrival against the day it arrived, with the two baselines: the
    backtest as a table (see analytics.selectors.forecasts for where the rows come from)."""

    line_item = models.OneToOneField(LineItem, on_delete=models.CASCADE, related_name="+")
    uphance_id = models.BigIntegerField()
    manufacturer = _copy(Manufacturer)
    season = _copy(Season)
    warehouse = _copy(Warehouse)
    made_on = models.DateField(help_text="When the forecast was made")
    actual = models.DateField(help_text="When the line item arrived (its PO was received)")
    forecast_p50 = models.DateField()
    forecast_p90 = models.DateField()
    due_date_baseline = models.DateField(null=True, blank=True, help_text="The PO's in-warehouse, else due, date")
    fixed_baseline = models.DateField(null=True, blank=True, help_text="7 days per stage still to go then")

    class Meta:
        indexes = [models.Index(fields=["organisation", "actual"], name="forecast_outcome_actual")]


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
    line_items = models.IntegerField(help_text="In the stage's column at the end of the day")
    units = models.IntegerField()
    completed_line_items = models.IntegerField(default=0, help_text="Completed the stage that day")
    completed_units = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "dimension", "key", "day", "stage", "line_items", "units",
                                 "completed_line_items", "completed_units"], name="flow_day_read"),
            # One day of every manufacturer (the scorecards' units in progress): that day's rows only.
            models.Index(fields=["organisation", "dimension", "day", "stage", "key", "line_items", "units"],
                         name="flow_day_of_a_day"),
        ]


class AnalyticsBuild(models.Model):
    """When an organisation's analytics tables were last built, and how long that took."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    completions = models.IntegerField(default=0)
    flow_days = models.IntegerField(default=0)
    received_orders = models.IntegerField(default=0)
    forecast_outcomes = models.IntegerField(default=0)
    stage_usual = models.JSONField(
        default=dict, blank=True,
        help_text='{stage id: [median, p90, periods]} of the last 365 days over every factory (the usual time)',
    )
    seconds = models.FloatField(default=0)
