"""Cards: a line item as the board shows it (stage, days in it, late and stuck badges), and board columns."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from board.selectors.filters import BoardOptions
from board.selectors.swatches import colour_swatch, safe_image_url
from customers.selectors import waiting_units_by_line_item
from production.models import LineItem, Stage, StageStatus
from production.rules import (
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
    days_in_stage: int | None
    expected_date: dt.date | None
    late: bool | None
    days_late: int
    stuck: bool
    stuck_after_days: float | None
    column_key: str
    manufacturer_id: int | None
    season_id: int | None
    waiting_units: int = 0  # customer units (open sales orders) waiting on this line item

    @property
    def stage_done(self) -> bool:
        return self.stage_status == StageStatus.COMPLETED

    # Labels formatted here with strftime: the template `date` filter costs more than the card.
    @property
    def started_label(self) -> str:
        return self.started_at.strftime("%-d %b %Y") if self.started_at else ""

    @property
    def expected_label(self) -> str:
        return self.expected_date.strftime("%-d %b %Y") if self.expected_date else ""

    @property
    def stage_name(self) -> str:
        return self.stage.name if self.stage else ""


CARD_FIELDS = (
    "id", "uphance_id", "product_name", "product_identifier", "colour", "units", "cover_image",
    "variation_images", "current_stage_id", "stage_status", "current_stage_started_at", "order_id",
    "order__uphance_id", "order__number", "order__manufacturer_id", "order__season_id", "order__due_date",
    "order__in_warehouse_date", "order__delivery_status", "order__status",
)


class CardContext:
    """What every card needs to judge itself: now, today, stages, thresholds, names."""

    def __init__(self, *, organisation, options: BoardOptions, thresholds, now):
        self.organisation = organisation
        self.now = now
        self.today = organisation_today(organisation=organisation, now=now)
        self.stage_by_id = options.stage_by_id
        self.manufacturer_names = options.manufacturer_names
        self.season_names = options.season_names
        self.thresholds = thresholds


def card_of(item: LineItem, ctx: CardContext) -> Card:
    order = item.order
    started = item.current_stage_started_at
    threshold = ctx.thresholds.get(item.current_stage_id)
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
        days_in_stage=days_in_stage(stage_status=item.stage_status, started_at=started, now=ctx.now),
        expected_date=order_expected_date(order),
        late=order_is_late(order, today=ctx.today),
        days_late=days_late(order, today=ctx.today),
        stuck=line_item_is_stuck(item, thresholds=ctx.thresholds, now=ctx.now),
        stuck_after_days=round(threshold.days, 1) if threshold else None,
        column_key=column_key_of(item.current_stage_id, item.stage_status),
        manufacturer_id=order.manufacturer_id,
        season_id=order.season_id,
    )


def cards_by_ids(ids: list[int], ctx: CardContext) -> list[Card]:
    """The cards of `ids` (any order), with the customer units waiting on each: two queries."""
    if not ids:
        return []
    items = LineItem.objects.filter(id__in=ids).select_related("order").only(*CARD_FIELDS)
    cards = [card_of(item, ctx) for item in items]
    waiting = waiting_units_by_line_item(organisation=ctx.organisation, line_item_ids=[c.id for c in cards])
    for card in cards:
        card.waiting_units = waiting.get(card.id, 0)
    return cards
