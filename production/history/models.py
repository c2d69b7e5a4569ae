"""Stored stage history: every line item's day spans (see production.history.spans), the spans counted
per day (StageDay), and when they were built.

Derived data only: `history_rebuild` recreates it from the stage periods at any time.
"""
from django.db import models
from django.utils import timezone

from production.models.orders import (
    LineItem,
    Manufacturer,
    OrgScoped,
    ProductionOrder,
    Season,
    Stage,
    StageStatus,
    Warehouse,
)


def _copy(model):
    return models.ForeignKey(
        model, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
        related_name="+",
    )


class StageSpan(OrgScoped):
    """A line item was in `stage` with `state` at the end of each day in [first_day, until).

    The order's manufacturer and season and the line item's warehouse and units are copied here so
    that a day's board, or a run of days for the flow chart, is read from this one table.
    """

    line_item = models.ForeignKey(LineItem, on_delete=models.CASCADE, related_name="+")
    # Copies, not relations to keep: the spans go with their line item, and a rebuild rewrites them.
    order = _copy(ProductionOrder)
    stage = _copy(Stage)
    manufacturer = _copy(Manufacturer)
    season = _copy(Season)
    warehouse = _copy(Warehouse)
    state = models.CharField(max_length=16, choices=StageStatus.choices)
    first_day = models.DateField()
    until = models.DateField(help_text="The first day it no longer held (9999-12-31: it still holds)")
    entered_at = models.DateTimeField(null=True, blank=True, help_text="When the stage started")
    units = models.IntegerField(default=0)

    class Meta:
        indexes = [
            # One index serves a day's board: the cells (stage, state, manufacturer) in order, each
            # walked by first day for its first cards, and every column a count needs (covering).
            models.Index(
                fields=["organisation", "stage", "state", "manufacturer", "first_day", "until", "line_item", "units",
                        "season", "warehouse"],
                name="stage_span_cell",
            ),
        ]

    def __str__(self):
        return f"{self.line_item_id} {self.state} {self.stage_id} {self.first_day}–{self.until}"


class StageDay(OrgScoped):
    """How many line items (and units) were in each board cell at the end of each day: the spans
    counted per day, stage, state and manufacturer, so a past day's board reads a few hundred rows."""

    day = models.DateField()
    stage = _copy(Stage)
    state = models.CharField(max_length=16, choices=StageStatus.choices)
    manufacturer = _copy(Manufacturer)
    line_items = models.IntegerField()
    units = models.IntegerField()
    oldest_first_day = models.DateField(
        null=True, blank=True,
        help_text="The first day of the longest held of these spans: a walk of the cell's cards starts there",
    )

    class Meta:
        indexes = [models.Index(fields=["organisation", "day", "stage", "state", "manufacturer", "line_items", "units",
                                        "oldest_first_day"], name="stage_day_cells")]


class StageHistoryBuild(models.Model):
    """When an organisation's spans were last built (a refresh rebuilds what changed since `started_at`)."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, blank=True, help_text="The zone the days were cut in")
    line_items = models.IntegerField(default=0)
    spans = models.IntegerField(default=0)
    stage_days = models.IntegerField(default=0)
    built_on = models.DateField(null=True, blank=True, help_text="The last day counted in StageDay")
    seconds = models.FloatField(default=0)

    def __str__(self):
        return f"{self.organisation_id}: {self.spans} spans at {self.finished_at}"
