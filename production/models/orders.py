"""The local copy of an organisation's Uphance production: orders, line items, stages, periods.

Every row belongs to an organisation and is keyed by its Uphance id within it. Status fields hold
the normalised key (`all_received`) beside the raw payload value (`All Received`).
"""
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from production.colours import NEUTRAL, safe_colour


class OrgScoped(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class Manufacturer(OrgScoped):
    uphance_id = models.BigIntegerField(help_text="Uphance company_id")
    name = models.CharField(max_length=255)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "uphance_id"], name="manufacturer_uphance_id")
        ]

    def __str__(self):
        return self.name


class Season(OrgScoped):
    uphance_id = models.BigIntegerField()
    name = models.CharField(max_length=255, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-uphance_id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "uphance_id"], name="season_uphance_id")]

    def __str__(self):
        return self.name or f"Season {self.uphance_id}"


class Warehouse(OrgScoped):
    """Uphance names warehouses in payloads (no ids there), so the name is the key."""

    name = models.CharField(max_length=255)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="warehouse_name")]

    def __str__(self):
        return self.name


class Stage(OrgScoped):
    """A production stage of the organisation (Cutting, Sewing…) in its place in the sequence."""

    name = models.CharField(max_length=120)
    colour = models.CharField(max_length=7, blank=True, help_text="Validated #rrggbb from Uphance")
    colour_raw = models.CharField(max_length=64, blank=True)
    position = models.PositiveIntegerField(default=0)
    position_locked = models.BooleanField(
        default=False, help_text="A manager set the position; sync no longer moves it."
    )
    stuck_after_days = models.DecimalField(
        max_digits=6, decimal_places=1, null=True, blank=True,
        help_text="A card is stuck after this many days here; empty = the p90 of past durations.",
    )

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="stage_name")]

    def __str__(self):
        return self.name

    @property
    def safe_colour(self) -> str:
        return safe_colour(self.colour, NEUTRAL)


class DeliveryStatus(models.TextChoices):
    NOT_RECEIVED = "not_received", "Not received"
    RECEIVING = "receiving", "Receiving"
    ALL_RECEIVED = "all_received", "All received"


class OrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETE = "complete", "Complete"
    CANCELLED = "cancelled", "Cancelled"


class StageStatus(models.TextChoices):
    NO_STAGES = "no_stages", "No stages"
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class ForecastState(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"  # only the p90 arrival is after the PO's date
    PREDICTED_LATE = "predicted_late", "Predicted late"  # the p50 arrival is after it


class ProductionOrder(OrgScoped):
    """An order placed with a factory. Whether it is open, its expected date and whether it is late
    are production.rules (one definition for every page, CSV and e-mail)."""

    uphance_id = models.BigIntegerField()
    number = models.CharField(max_length=64, help_text="production_order_number")
    manufacturer = models.ForeignKey(Manufacturer, null=True, blank=True, on_delete=models.SET_NULL)
    season = models.ForeignKey(Season, null=True, blank=True, on_delete=models.SET_NULL)
    season_uphance_id = models.BigIntegerField(null=True, blank=True)
    uphance_organisation_id = models.BigIntegerField(null=True, blank=True)

    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    in_warehouse_date = models.DateField(null=True, blank=True)
    # The dates as Seamline first saw them: late is measured against the current date, a slip against these.
    original_due_date = models.DateField(null=True, blank=True)
    original_in_warehouse_date = models.DateField(null=True, blank=True)
    arrived_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When goods started arriving: the API's updated_at when a sync first saw the order receiving "
                  "(or all received after not received). Empty for orders first seen all received.",
    )
    drop_id = models.BigIntegerField(null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    internal_notes = models.TextField(null=True, blank=True)
    currency = models.CharField(max_length=8, blank=True)
    payment_terms = models.TextField(null=True, blank=True)
    delivery_terms = models.TextField(null=True, blank=True)

    items_total = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    items_tax = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    subtotal = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    total_tax = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    grand_total = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    tax_level = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    shipping_cost = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    shipping_tax = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    total_quantity = models.IntegerField(default=0)

    status = models.CharField(max_length=32, choices=OrderStatus.choices, blank=True)
    status_raw = models.CharField(max_length=64, blank=True)
    delivery_status = models.CharField(max_length=32, choices=DeliveryStatus.choices, blank=True)
    delivery_status_raw = models.CharField(max_length=64, blank=True)
    financial_status = models.CharField(max_length=32, blank=True)
    financial_status_raw = models.CharField(max_length=64, blank=True)
    warehouses = models.JSONField(default=list, blank=True, help_text="Warehouse names as Uphance lists them")
    extra = models.JSONField(default=dict, blank=True, help_text="Payload fields Seamline has no column for")

    content_hash = models.CharField(max_length=32, blank=True, help_text="Hash of the payload last written")
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_synced_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True, help_text="Uphance no longer returns it")
    is_open = models.BooleanField(
        default=False, db_default=False,
        help_text="production.rules.order_is_open, kept by production.order_copy (the board's index holds open orders)",
    )

    class Meta:
        ordering = ["-uphance_id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "uphance_id"], name="production_order_uphance_id")
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "delivery_status"]),
            models.Index(fields=["organisation", "manufacturer"]),
            models.Index(fields=["organisation", "season"]),
            models.Index(fields=["organisation", "due_date"]),
            # The home page's count of the orders Uphance still returns (order_present_q), read from the index alone.
            models.Index(fields=["organisation", "removed_at"], name="production_order_present"),
            # The manufacturer board: each factory's open orders, most urgent first (the expected date, as
            # production.rules.expected_date_expression spells it, then the Uphance id).
            models.Index(
                F("organisation"), F("manufacturer"), Coalesce("in_warehouse_date", "due_date"), F("uphance_id"),
                condition=Q(is_open=True), name="production_order_board",
            ),
            # … and those without a date, last (PostgreSQL does not read the index above in Uphance-id order
            # past an IS NULL).
            models.Index(fields=["organisation", "manufacturer", "uphance_id"], name="production_order_board_undated",
                         condition=Q(is_open=True, in_warehouse_date__isnull=True, due_date__isnull=True)),
        ]

    def __str__(self):
        return f"PO {self.number}"


# Columns the board's filters (and the manufacturer board's order count) read, carried by its indexes (covering).
BOARD_FILTER_COLUMNS = ["units", "warehouse", "order_due_date", "order_in_warehouse_date", "order_status",
                        "order_delivery_status", "order", "is_open"]


class LineItem(OrgScoped):
    """A style in one colour on a production order, with per-size quantities and a stage history."""

    order = models.ForeignKey(ProductionOrder, on_delete=models.CASCADE, related_name="line_items")
    uphance_id = models.BigIntegerField()
    product_id = models.BigIntegerField(null=True, blank=True)
    product_name = models.CharField(max_length=255, blank=True)
    product_identifier = models.CharField(max_length=255, blank=True)
    variation_id = models.BigIntegerField(null=True, blank=True)
    colour = models.CharField(max_length=120, blank=True)
    unit_tax = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    tax_level = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    original_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    percentage_discount = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    warehouse = models.ForeignKey(Warehouse, null=True, blank=True, on_delete=models.SET_NULL)
    bundle_line_item = models.BooleanField(default=False)
    comments = models.TextField(null=True, blank=True)
    brand = models.CharField(max_length=255, null=True, blank=True)
    country_of_origin = models.CharField(max_length=64, blank=True)
    intrastat_code = models.CharField(max_length=64, blank=True)
    cover_image = models.URLField(max_length=1000, null=True, blank=True)
    variation_images = models.JSONField(default=list, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    units = models.IntegerField(default=0, help_text="Sum of the line quantities")

    # Denormalised from the stage periods so the board reads one table.
    has_stages = models.BooleanField(default=False)
    stage_status = models.CharField(max_length=16, choices=StageStatus.choices, default=StageStatus.NO_STAGES)
    current_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    current_stage_started_at = models.DateTimeField(null=True, blank=True)
    stages_hash = models.CharField(max_length=32, blank=True)
    stages_changed_at = models.DateTimeField(null=True, blank=True, help_text="When Seamline saw the stages change")
    removed_at = models.DateTimeField(null=True, blank=True)

    # Copied from the order so the board reads one table (production.order_copy keeps them right: the
    # sync's upsert writes them with the line items, in the same transaction; saves and removals too).
    order_number = models.CharField(max_length=64, blank=True, default="", db_default="")
    order_manufacturer = models.ForeignKey(
        Manufacturer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    order_season = models.ForeignKey(Season, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     db_index=False)
    order_status = models.CharField(max_length=32, choices=OrderStatus.choices, blank=True, default="", db_default="")
    order_delivery_status = models.CharField(
        max_length=32, choices=DeliveryStatus.choices, blank=True, default="", db_default=""
    )
    order_due_date = models.DateField(null=True, blank=True)
    order_in_warehouse_date = models.DateField(null=True, blank=True)
    order_removed_at = models.DateTimeField(null=True, blank=True)
    is_open = models.BooleanField(
        default=False, db_default=False,
        help_text="Still in Uphance and its order open (production.rules.line_item_is_open)",
    )

    # The forecast (production.forecasts, recomputed after syncs; never per request).
    forecast_done_p50 = models.DateField(null=True, blank=True, help_text="All stages done, median")
    forecast_done_p90 = models.DateField(null=True, blank=True, help_text="All stages done, 90th percentile")
    forecast_arrival_p50 = models.DateField(null=True, blank=True, help_text="In the warehouse, median")
    forecast_arrival_p90 = models.DateField(null=True, blank=True, help_text="In the warehouse, 90th percentile")
    # Database defaults: the sync's bulk INSERT names only the columns it writes.
    forecast_state = models.CharField(max_length=16, choices=ForecastState.choices, blank=True, db_default="")
    forecast_stages = models.JSONField(
        null=True, blank=True, help_text='Remaining stages: [{"stage_id", "p50", "p90"}] with ISO dates'
    )
    forecast_at = models.DateTimeField(null=True, blank=True)
    predicted_late_since = models.DateTimeField(null=True, blank=True, help_text="When it became predicted late")

    class Meta:
        ordering = ["order_id", "uphance_id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "uphance_id"], name="line_item_uphance_id")
        ]
        indexes = [
            models.Index(fields=["organisation", "current_stage", "stage_status"]),
            models.Index(fields=["organisation", "stage_status"]),
            models.Index(fields=["organisation", "forecast_state"]),
            # The board (board.selectors) reads open line items only, through these: a cell's first cards
            # are one range of an index in card order (longest in the stage first), and the grouped
            # counts read an index alone, in its order. One per kind of swimlane, the lane first (a
            # manufacturer or season filter reads its range only); the filters' columns ride along so
            # that no filter but free text reads the table.
            *(
                models.Index(fields=["organisation", *lane, "current_stage", "stage_status", "current_stage_started_at",
                                     "id", *rest, *BOARD_FILTER_COLUMNS], condition=Q(is_open=True), name=name)
                for name, lane, rest in (
                    ("line_item_board", [], ["order_manufacturer", "order_season"]),
                    ("line_item_board_maker", ["order_manufacturer"], ["order_season"]),
                    ("line_item_board_season", ["order_season"], ["order_manufacturer"]),
                )
            ),
        ]

    def __str__(self):
        return f"{self.product_name} {self.colour}".strip()


class LineQuantity(models.Model):
    line_item = models.ForeignKey(LineItem, on_delete=models.CASCADE, related_name="quantities")
    uphance_id = models.BigIntegerField()
    position = models.PositiveSmallIntegerField(default=0)
    size = models.CharField(max_length=64, blank=True)
    quantity = models.IntegerField(default=0)
    sku_number = models.CharField(max_length=255, blank=True)
    sku_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    inventory_id = models.BigIntegerField(null=True, blank=True)
    upc_number = models.CharField(max_length=64, blank=True)
    bundle_components = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["line_item_id", "position"]
        constraints = [models.UniqueConstraint(fields=["line_item", "uphance_id"], name="line_quantity_uphance_id")]

    def __str__(self):
        return f"{self.size}: {self.quantity}"


class StagePeriod(OrgScoped):
    """One stage of one line item: a past stage or the current one, as Uphance reports it."""

    line_item = models.ForeignKey(LineItem, on_delete=models.CASCADE, related_name="stage_periods")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="periods")
    sequence = models.PositiveSmallIntegerField(help_text="Place in the line item's stage list (past first)")
    is_current = models.BooleanField(default=False)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=32, blank=True)
    status_raw = models.CharField(max_length=64, blank=True)
    colour_raw = models.CharField(max_length=64, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now, help_text="When Seamline first saw this period")
    changed_at = models.DateTimeField(default=timezone.now, help_text="When Seamline last saw it change")

    class Meta:
        ordering = ["line_item_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["line_item", "sequence"], name="stage_period_sequence")
        ]
        indexes = [
            models.Index(fields=["organisation", "stage", "is_current"]),
            # A line item's periods, scoped to the organisation as every read is: without statistics SQLite
            # takes the organisation's own index for `organisation = ? AND line_item IN (…)` (it guesses ten
            # rows an equality) and reads every period of the organisation (378 ms for an order at 80,000
            # orders); with the organisation first here it reads the line items' periods only.
            models.Index(fields=["organisation", "line_item", "sequence"], name="stage_period_line_item"),
        ]

    def __str__(self):
        return f"{self.stage} ({self.status})"

    @property
    def duration(self):
        """How long the stage lasted (or has lasted so far, for the current stage)."""
        if self.start_time is None:
            return None
        end = self.end_time or (timezone.now() if self.is_current else None)
        return None if end is None else end - self.start_time
