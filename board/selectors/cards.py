"""Cards: a line item as the board shows it (stage, days in it against the factory's usual, late, stuck,
forecast and slip badges), and board columns."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import cached_property
from types import SimpleNamespace

from board.selectors.filters import BoardOptions
from board.selectors.swatches import colour_swatch
from customers.selectors import waiting_units_by_line_item
from production.durations import DEFAULT, MANUFACTURER, Duration
from production.forecasts.selectors import order_slip_days
from production.images import safe_image_url
from production.models import ForecastState, LineItem, Stage, StageStatus
from production.rules import (
    StuckThresholds,
    days_in_stage,
    days_late,
    line_item_is_stuck,
    order_expected_date,
    order_is_late,
    organisation_today,
)

MORE_SLICE = 15  # cards per "show more"

# Column keys: "not_started", "stage-<id>", "unplaced" (has stages but Uphance names no current
# one), "none" (no stages at all).
NOT_STARTED, UNPLACED, NO_STAGES = "not_started", "unplaced", "none"
SPECIAL_COLUMNS = {NOT_STARTED: "Not started", UNPLACED: "No current stage", NO_STAGES: "No stages"}


def column_key_of(current_stage_id: int | None, stage_status: str) -> str:
    if stage_status == StageStatus.NO_STAGES:
        return NO_STAGES
    if stage_status == StageStatus.NOT_STARTED:
        return NOT_STARTED
    if current_stage_id is None:
        return UNPLACED
    return f"stage-{current_stage_id}"


@dataclass
class Column:
    key: str
    label: str
    colour: str
    text_colour: str
    count: int = 0
    units: int = 0
    stage: Stage | None = None
    muted: bool = False


@dataclass
class CardSlice:
    """The next cards of one column (or swimlane cell): what "show more" returns."""

    column: Column
    lane_key: str
    lane_label: str
    cards: list
    offset: int
    next_offset: int | None
    count: int


def day_label(value: dt.date | None) -> str:
    """3 Mar 2026 (formatted here with strftime: the template `date` filter costs more than the card)."""
    return value.strftime("%-d %b %Y") if value else ""


def usual_range(duration: Duration | None) -> str:
    """'5–9 d' from a stage's median and p90 days; '' when there is no history (the default)."""
    if duration is None or duration.source == DEFAULT:
        return ""
    low, high = (math.floor(d + 0.5) for d in (duration.median_days, duration.p90_days))  # half up, for people
    if high < 1:
        return "under 1 d"
    return f"{low} d" if high <= low else f"{low}–{high} d"


@dataclass
class Card:
    """A line item as the board shows it."""

    id: int
    uphance_id: int
    product_name: str
    product_identifier: str
    colour_name: str
    swatch: str
    image_url: str
    order_uphance_id: int
    po_number: str
    manufacturer: str
    season: str
    units: int
    stage: Stage | None
    stage_status: str
    started_at: dt.datetime | None
    days_in_stage: int | None  # whole days in the stage; None when not started (or it starts later)
    starts_in_days: int | None  # Uphance dates the stage's start ahead: "starts in 3 d"
    usual: Duration | None  # the stage's median and p90 at this manufacturer (else across factories)
    expected_date: dt.date | None
    late: bool | None
    days_late: int
    stuck: bool
    stuck_after_days: float | None
    column_key: str
    manufacturer_id: int | None
    season_id: int | None
    forecast_state: str = ""  # ForecastState: on_track | at_risk | predicted_late | "" (nothing to forecast)
    forecast_p50: dt.date | None = None  # in the warehouse, median
    forecast_p90: dt.date | None = None
    slip_days: int | None = None  # the expected date moved from the original (positive: later)
    waiting_units: int = 0  # customer units (open sales orders) waiting on this line item

    @property
    def stage_done(self) -> bool:
        return self.stage_status == StageStatus.COMPLETED

    # Labels formatted here with strftime (the template `date` filter costs more than the card), each once.
    @cached_property
    def started_label(self) -> str:
        return self.started_at.strftime("%-d %b %Y") if self.started_at else ""

    @cached_property
    def expected_label(self) -> str:
        return day_label(self.expected_date)

    @property
    def stage_name(self) -> str:
        return self.stage.name if self.stage else ""

    @cached_property
    def usual_label(self) -> str:
        """'usual 5–9 d at Bolide' (the factory's own figures) or 'usual 5–9 d' (the stage at every factory)."""
        span = usual_range(self.usual)
        if not span:
            return ""
        at = f" at {self.manufacturer}" if self.usual.source == MANUFACTURER and self.manufacturer else ""
        return f"usual {span}{at}"

    @cached_property
    def usual_title(self) -> str:
        if not self.usual_label:
            return ""
        where = f"at {self.manufacturer}" if self.usual.source == MANUFACTURER else "at every factory"
        return (f"{self.stage_name} usually takes {usual_range(self.usual)} {where} (median–p90 of "
                f"{self.usual.samples} finished stages)")

    @property
    def predicted_late(self) -> bool:
        return self.forecast_state == ForecastState.PREDICTED_LATE

    @property
    def at_risk(self) -> bool:
        return self.forecast_state == ForecastState.AT_RISK

    @property
    def expected_iso(self) -> str:
        return self.expected_date.isoformat() if self.expected_date else ""

    @property
    def forecast_p50_label(self) -> str:
        return day_label(self.forecast_p50)

    @property
    def forecast_p90_label(self) -> str:
        return day_label(self.forecast_p90)

    @property
    def forecast_date(self) -> dt.date | None:
        """The date a forecast badge names: the likely arrival when predicted late, the p90 when at risk."""
        return self.forecast_p90 if self.at_risk else self.forecast_p50

    @property
    def forecast_date_iso(self) -> str:
        return self.forecast_date.isoformat() if self.forecast_date else ""

    @property
    def forecast_date_short(self) -> str:
        return self.forecast_date.strftime("%-d %b") if self.forecast_date else ""

    @property
    def slipped(self) -> bool:
        return bool(self.slip_days and self.slip_days > 0)


CARD_FIELDS = (
    "id", "uphance_id", "product_name", "product_identifier", "colour", "units", "cover_image",
    "variation_images", "current_stage_id", "stage_status", "current_stage_started_at", "order_id",
    "order__uphance_id", "order__number", "order__manufacturer_id", "order__season_id", "order__due_date",
    "order__in_warehouse_date", "order__delivery_status", "order__status", "order__original_due_date",
    "order__original_in_warehouse_date", "forecast_state", "forecast_arrival_p50", "forecast_arrival_p90",
)


class CardContext:
    """What every card needs to judge itself: now, today, stages, thresholds, names."""

    def __init__(self, *, organisation, options: BoardOptions, thresholds: StuckThresholds, now):
        self.organisation = organisation
        self.now = now
        self.today = organisation_today(organisation=organisation, now=now)
        self.stage_by_id = options.stage_by_id
        self.manufacturer_names = options.manufacturer_names
        self.season_names = options.season_names
        self.thresholds = thresholds


def card_of(item, ctx: CardContext) -> Card:
    """The card of `item` (a LineItem with its order loaded, or a card_rows row)."""
    order = item.order
    started = item.current_stage_started_at
    threshold = ctx.thresholds.threshold(item.current_stage_id, order.manufacturer_id)
    in_stage, future = days_in_stage(stage_status=item.stage_status, started_at=started, now=ctx.now)
    variation_images = item.variation_images if isinstance(item.variation_images, list) else []
    image = safe_image_url(item.cover_image) or next((u for u in variation_images[:3] if safe_image_url(u)), "")
    return Card(
        id=item.id,
        uphance_id=item.uphance_id,
        product_name=item.product_name or f"Line item {item.uphance_id}",
        product_identifier=item.product_identifier,
        colour_name=item.colour,
        swatch=colour_swatch(item.colour),
        image_url=image,
        order_uphance_id=order.uphance_id,
        po_number=order.number,
        manufacturer=ctx.manufacturer_names.get(order.manufacturer_id, ""),
        season=ctx.season_names.get(order.season_id, ""),
        units=item.units,
        stage=ctx.stage_by_id.get(item.current_stage_id),
        stage_status=item.stage_status,
        started_at=started,
        days_in_stage=None if future else in_stage,
        starts_in_days=in_stage if future else None,
        usual=threshold.usual if threshold else None,
        expected_date=order_expected_date(order),
        late=order_is_late(order, today=ctx.today),
        days_late=days_late(order, today=ctx.today),
        stuck=line_item_is_stuck(item, thresholds=ctx.thresholds, now=ctx.now),
        stuck_after_days=round(threshold.days, 1) if threshold else None,
        column_key=column_key_of(item.current_stage_id, item.stage_status),
        manufacturer_id=order.manufacturer_id,
        season_id=order.season_id,
        forecast_state=item.forecast_state,
        forecast_p50=item.forecast_arrival_p50,
        forecast_p90=item.forecast_arrival_p90,
        slip_days=order_slip_days(order),
    )


def card_rows(ids: list[int]) -> list[SimpleNamespace]:
    """The CARD_FIELDS of line items `ids` as plain rows, `.order` an object of the order's fields: what
    card_of and the rules read, without building two models per card (a third of the cards' cost)."""
    names = [name.removeprefix("order__") for name in CARD_FIELDS]
    in_order = [name.startswith("order__") for name in CARD_FIELDS]
    items = []
    for row in LineItem.objects.filter(id__in=ids).order_by().values_list(*CARD_FIELDS):  # any order
        item, order = SimpleNamespace(), SimpleNamespace()
        for name, of_order, value in zip(names, in_order, row, strict=True):
            setattr(order if of_order else item, name, value)
        item.order = order
        items.append(item)
    return items


def cards_by_ids(ids: list[int], ctx: CardContext) -> list[Card]:
    """The cards of `ids` (any order), with the customer units waiting on each: two queries."""
    if not ids:
        return []
    cards = [card_of(item, ctx) for item in card_rows(ids)]
    waiting = waiting_units_by_line_item(organisation=ctx.organisation, line_item_ids=[c.id for c in cards])
    for card in cards:
        card.waiting_units = waiting.get(card.id, 0)
    return cards
