"""Pydantic models of what Seamline sends to Shipup `POST /v2/orders` (field names as in the docs)."""
from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt, field_validator

StatusCode = Literal[
    "pending",
    "in_production",
    "in_transit_to_stock",
    "preparing_shipment",
    "shipped",
    "delayed",
    "production_delay",
    "transit_to_stock_delay",
    "partially_shipped",
    "blocked",
    "canceled",
]
# Fulfillment status codes; each change can trigger a pre-shipment notification.
STATUS_CODES: tuple[str, ...] = get_args(StatusCode)


class _Payload(BaseModel):
    # Unknown fields are a typo on our side, not something to send; Uphance ids arrive as ints.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, str_strip_whitespace=True)

    def to_json(self) -> dict[str, Any]:
        """The exact JSON body: optional fields left unset (None) are omitted."""
        return self.model_dump(mode="json", exclude_none=True)


class ShippingAddress(_Payload):
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = Field(default=None, description="ISO 3166-1 alpha-2, e.g. FR")
    state: str | None = None
    state_code: str | None = Field(default=None, description="US and Canada only, e.g. NY")
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    company_title: str | None = None

    @field_validator("country_code", "state_code")
    @classmethod
    def _two_letters(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.upper()
        if len(value) != 2 or not value.isascii() or not value.isalpha():
            raise ValueError("must be a 2-letter ISO code")
        return value


class Thumbnail(_Payload):
    src: str
    width: str | int | None = None
    height: str | int | None = None


class LineItem(_Payload):
    merchant_id: str = Field(min_length=1)
    title: str | None = None
    variant_title: str | None = None
    name: str | None = None
    description: str | None = None
    quantity: NonNegativeInt | None = None
    requires_shipping: bool | None = None
    # Only meaningful for line items nested in a tracker.
    shipped_quantity: NonNegativeInt | None = None
    sku: str | None = None
    thumbnail: Thumbnail | None = None
    canceled: bool | None = None
    canceled_quantity: NonNegativeInt | None = None


class Tracker(_Payload):
    tracking_number: str = Field(min_length=1)
    carrier_code: str | None = None
    carrier_service_code: str | None = None
    custom_variables: dict[str, Any] | None = None
    expected_delivery_at: AwareDatetime | None = None
    line_items: list[LineItem] | None = None
    mute_notifications: bool | None = None
    untracked_carrier_name: str | None = None
    untracked_carrier_url: str | None = None


class Fulfillment(_Payload):
    merchant_id: str = Field(min_length=1)
    fulfillment_number: str | None = None
    estimated_delivery_range_start: AwareDatetime | None = None
    estimated_delivery_range_end: AwareDatetime | None = None
    custom_variables: dict[str, Any] | None = None
    status_code: StatusCode | None = None
    warehouse_merchant_id: str | None = None
    shipping_address: ShippingAddress | None = None
    line_items: list[LineItem] | None = None
    trackers: list[Tracker] | None = None


class ShipupOrder(_Payload):
    merchant_id: str = Field(min_length=1)
    # Required by Shipup for pre-shipment notifications.
    ordered_at: AwareDatetime | None = None
    language_code: str | None = None
    email: str | None = None
    phone: str | None = None
    order_number: str | None = None
    custom_variables: dict[str, Any] | None = None
    first_name: str | None = None
    last_name: str | None = None
    mute_notifications: bool | None = None
    canceled: bool | None = None
    line_items: list[LineItem] | None = None
    shipping_address: ShippingAddress | None = None
    fulfillments: list[Fulfillment] | None = None
