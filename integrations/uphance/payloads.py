"""Typed models of Uphance responses, tolerant of the quirks the API documents show."""

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    model_validator,
)

from .errors import BadPayload

__all__ = [
    "Address",
    "Agent",
    "Channel",
    "CurrentOrganisation",
    "CustomField",
    "Customer",
    "CustomerAmount",
    "CustomerInvoice",
    "CustomerLastOrder",
    "LineItemTimeline",
    "LineQuantity",
    "Organisation",
    "PageMeta",
    "Person",
    "ProductionLineItem",
    "ProductionOrder",
    "ProductionStages",
    "SalesLineQuantity",
    "SalesOrder",
    "SalesOrderLineItem",
    "Season",
    "StageEntry",
    "TokenResponse",
    "colour_or_none",
    "loads_lenient",
    "parse_record",
    "parse_records",
    "status_key",
    "strip_trailing_commas",
]

M = TypeVar("M", bound=BaseModel)


# --- value helpers -------------------------------------------------------------------------------

def status_key(value: Any) -> str | None:
    """One spelling per status: "All Received", "all_received", "ALL-RECEIVED" -> "all_received"."""
    if value is None:
        return None
    key = re.sub(r"[^0-9a-z]+", "_", str(value).strip().lower()).strip("_")
    return key or None


_COLOUR = re.compile(r"#(?:[0-9a-f]{3}|[0-9a-f]{6})")


def colour_or_none(value: Any) -> str | None:
    """A strict "#rgb"/"#rrggbb" (lower-cased) or None; anything else never reaches a style."""
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    return value if _COLOUR.fullmatch(value) else None


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _to_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # the API always sends an offset; a bare time is taken as UTC
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _date_or_datetime(value: Any) -> date | datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return _to_utc(value)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            return _to_utc(datetime.fromisoformat(text))
        except ValueError:
            pass
    raise ValueError(f"expected a date or a date-time, got {value!r}")


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def _none_to_empty(value: Any) -> Any:
    return [] if value is None else value


# Aware UTC instant; "" and null are None.
Timestamp = Annotated[datetime | None, BeforeValidator(_blank_to_none), AfterValidator(_to_utc)]
# Either a calendar date ("2025-05-01") or an instant (kept as aware UTC datetime); often null.
DateOrTimestamp = Annotated[
    date | datetime | None,
    PlainValidator(_date_or_datetime),
    PlainSerializer(_iso, when_used="json"),
]
# Money and other decimal strings ("46.0") as Decimal; "" and null are None.
Money = Annotated[Decimal | None, BeforeValidator(_blank_to_none)]
Id = int | None


def _list_of(item: Any) -> Any:
    return Annotated[list[item], BeforeValidator(_none_to_empty)]


# --- base ----------------------------------------------------------------------------------------

class UphanceModel(BaseModel):
    """Keeps every field it does not know (extra="allow") so `model_dump()` loses nothing."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _fold_key_case(cls, data: Any) -> Any:
        # Field casing is unreliable ("Product_cover_image"): fold a mis-cased key onto the field.
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        lowered = {name.lower(): name for name in fields}
        moved = None
        for key in data:
            if isinstance(key, str) and key not in fields and key.lower() in lowered:
                moved = moved or dict(data)
                name = lowered[key.lower()]
                value = moved.pop(key)
                if moved.get(name) is None:
                    moved[name] = value
        return data if moved is None else moved


class PageMeta(UphanceModel):
    current_page: int | None = None
    next_page: int | None = None
    prev_page: int | None = None
    total_pages: int | None = None
    total_count: int | None = None


class TokenResponse(UphanceModel):
    access_token: str | None = None
    token_type: str | None = None
    expires_in: int | None = None
    refresh_token: str | None = None
    created_at: Timestamp = None
    scope: str | None = None


class CurrentOrganisation(UphanceModel):
    """Answer of POST /organisations/set_current_org: {"Status": "Updated"}."""

    status: str | None = None


class Organisation(UphanceModel):
    id: int
    name: str | None = None


class Season(UphanceModel):
    id: int
    name: str | None = None


class Channel(UphanceModel):
    id: int
    name: str | None = None


# --- production ----------------------------------------------------------------------------------

class StageEntry(UphanceModel):
    name: str | None = None
    start_time: Timestamp = None
    end_time: Timestamp = None
    stage_color: str | None = None
    status: str | None = None

    @property
    def colour(self) -> str | None:
        return colour_or_none(self.stage_color)

    @property
    def status_key(self) -> str | None:
        return status_key(self.status)


class ProductionStages(UphanceModel):
    current_stage: StageEntry | None = None
    past_stages: _list_of(StageEntry) = Field(default_factory=list)


class LineQuantity(UphanceModel):
    id: Id = None
    size: str | None = None
    quantity: int | None = None
    sku_number: str | None = None
    sku_id: Id = None
    inventory_id: Id = None
    upc_number: str | None = None
    bundle_components: _list_of(Any) = Field(default_factory=list)


class ProductionLineItem(UphanceModel):
    id: int
    product_id: Id = None
    product_name: str | None = None
    product_identifier: str | None = None
    variation_id: Id = None
    color: str | None = None
    unit_tax: Money = None
    tax_level: Money = None
    unit_price: Money = None
    original_price: Money = None
    warehouse: str | None = None
    percentage_discount: Money = None
    bundle_line_item: bool | None = None
    comments: str | None = None
    product_brand: str | None = None
    country_of_origin: str | None = None
    intrastat_code: str | None = None
    product_cover_image: str | None = None  # also sent as "Product_cover_image"
    variation_images: _list_of(str) = Field(default_factory=list)
    production_stages: ProductionStages | None = None
    line_quantities: _list_of(LineQuantity) = Field(default_factory=list)

    @property
    def current_stage(self) -> StageEntry | None:
        return self.production_stages.current_stage if self.production_stages else None

    @property
    def stages(self) -> list[StageEntry]:
        """Past stages in their listed (= stage) order, then the current one."""
        if not self.production_stages:
            return []
        current = self.production_stages.current_stage
        return [*self.production_stages.past_stages, *([current] if current else [])]

    @property
    def quantity(self) -> int:
        return sum(q.quantity or 0 for q in self.line_quantities)


class LineItemTimeline(ProductionLineItem):
    """production_order_line_item of the (bulk) production timeline endpoints."""

    production_order_id: Id = None


class ProductionOrder(UphanceModel):
    id: int
    production_order_number: str | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None
    items_total: Money = None
    items_tax: Money = None
    subtotal: Money = None
    total_tax: Money = None
    grand_total: Money = None
    total_quantity: int | None = None
    tax_level: Money = None
    shipping_cost: Money = None
    shipping_tax: Money = None
    confirmed_at: Timestamp = None
    due_date: DateOrTimestamp = None
    in_warehouse_date: DateOrTimestamp = None
    drop_id: int | str | None = None
    notes: str | None = None
    internal_notes: str | None = None
    currency: str | None = None
    company_id: Id = None  # the manufacturer
    company_name: str | None = None
    season_id: Id = None
    organisation_id: Id = None
    status: str | None = None
    delivery_status: str | None = None
    financial_status: str | None = None
    warehouses: _list_of(str) = Field(default_factory=list)
    payment_terms: Any = None
    delivery_terms: Any = None
    line_items: _list_of(ProductionLineItem) = Field(default_factory=list)

    @property
    def status_key(self) -> str | None:
        return status_key(self.status)

    @property
    def delivery_status_key(self) -> str | None:
        return status_key(self.delivery_status)

    @property
    def financial_status_key(self) -> str | None:
        return status_key(self.financial_status)


# --- sales orders --------------------------------------------------------------------------------

class CustomField(UphanceModel):
    name: str | None = None
    field_type: str | None = None
    value: Any = None


class Agent(UphanceModel):
    id: Id = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None
    currency: str | None = None


class SalesLineQuantity(LineQuantity):
    pass


class SalesOrderLineItem(UphanceModel):
    id: int
    product_id: Id = None
    product_name: str | None = None
    product_identifier: str | None = None
    variation_id: Id = None
    color: str | None = None
    unit_tax: Money = None
    tax_level: Money = None
    unit_price: Money = None
    original_price: Money = None
    weight: Money = None
    weight_unit: str | None = None
    percentage_discount: Money = None
    bundle_line_item: bool | None = None
    comments: str | None = None
    product_brand: str | None = None
    season: str | None = None
    country_of_origin: str | None = None
    intrastat_code: str | None = None
    line_quantities: _list_of(SalesLineQuantity) = Field(default_factory=list)

    @property
    def quantity(self) -> int:
        return sum(q.quantity or 0 for q in self.line_quantities)


class SalesOrder(UphanceModel):
    id: int
    created_at: Timestamp = None
    updated_at: Timestamp = None
    items_total: Money = None
    items_tax: Money = None
    subtotal: Money = None
    total_tax: Money = None
    grand_total: Money = None
    total_quantity: int | None = None
    shipping_cost: Money = None
    shipping_tax: Money = None
    settlement_discount: Money = None
    deposit_percentage: Money = None
    custom_fields: _list_of(CustomField) = Field(default_factory=list)
    start_ship_date: DateOrTimestamp = None
    cancel_ship_date: DateOrTimestamp = None
    submitted_at: Timestamp = None
    confirmed_at: Timestamp = None
    notes: str | None = None
    internal_notes: str | None = None
    currency: str | None = None
    proforma_number: str | None = None
    proforma_date: DateOrTimestamp = None
    order_number: str | None = None
    purchase_order_ref: str | None = None
    invoice_numbers: str | None = None
    shipment_numbers: str | None = None
    next_due_date: DateOrTimestamp = None
    company_name: str | None = None
    season_id: Id = None
    organisation_id: Id = None
    status: str | None = None
    channel_id: Id = None
    channel_name: str | None = None
    company_id: Id = None  # the customer
    invoice_method: str | None = None
    warehouse_name: str | None = None
    fulfillment_status: str | None = None
    financial_status: str | None = None
    payment_term_name: str | None = None
    shipping_instructions: str | None = None
    return_label: bool | None = None
    line_items: _list_of(SalesOrderLineItem) = Field(default_factory=list)
    agents: _list_of(Agent) = Field(default_factory=list)

    @property
    def status_key(self) -> str | None:
        return status_key(self.status)

    @property
    def fulfillment_status_key(self) -> str | None:
        return status_key(self.fulfillment_status)

    @property
    def financial_status_key(self) -> str | None:
        return status_key(self.financial_status)


# --- customers -----------------------------------------------------------------------------------

class CustomerLastOrder(UphanceModel):
    id: Id = None
    confirmed_at: Timestamp = None
    status: str | None = None
    fulfillment_status: str | None = None
    financial_status: str | None = None

    @property
    def status_key(self) -> str | None:
        return status_key(self.status)

    @property
    def fulfillment_status_key(self) -> str | None:
        return status_key(self.fulfillment_status)

    @property
    def financial_status_key(self) -> str | None:
        return status_key(self.financial_status)


class CustomerAmount(UphanceModel):
    amount: Money = None
    quantity: int | None = None
    currency: str | None = None


class CustomerInvoice(UphanceModel):
    id: Id = None
    subtotal: Money = None
    total_tax: Money = None
    grand_total: Money = None
    total_quantity: int | None = None
    total_paid: Money = None
    total_credited: Money = None
    total_discounted: Money = None
    amount_outstanding: Money = None
    invoice_currency: str | None = None


class Person(UphanceModel):
    """A customer contact."""

    id: Id = None
    customer_id: Id = None
    first_name: str | None = None
    last_name: str | None = None
    position: str | None = None
    phone_1: str | None = None
    phone_2: str | None = None
    email: str | None = None
    notes: str | None = None
    buyer: bool | None = None
    shipping: bool | None = None
    billing: bool | None = None


class Address(UphanceModel):
    id: Id = None
    customer_id: Id = None
    line_1: str | None = None
    line_2: str | None = None
    line_3: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    postcode: str | None = None
    default_for_shipping: bool | None = None
    default_for_billing: bool | None = None


class Customer(UphanceModel):
    id: int
    name: str | None = None
    company_type: str | None = None
    customer_type: str | None = None
    country: str | None = None
    city: str | None = None
    vat_number: str | None = None
    channel_id: Id = None
    channel_name: str | None = None
    currency: str | None = None
    notes: str | None = None
    reference: str | None = None
    orders_count: int | None = None
    last_order: CustomerLastOrder | None = None
    outstanding_amounts: _list_of(CustomerAmount) = Field(default_factory=list)
    purchase_amounts: _list_of(CustomerAmount) = Field(default_factory=list)
    invoices: _list_of(CustomerInvoice) = Field(default_factory=list)
    people: _list_of(Person) = Field(default_factory=list)
    addresses: _list_of(Address) = Field(default_factory=list)
    agents: _list_of(Agent) = Field(default_factory=list)


# --- parsing at the edge -------------------------------------------------------------------------

_STRING_OR_TRAILING_COMMA = re.compile(r'"(?:[^"\\]|\\.)*"|,(?=\s*[\]}])', re.DOTALL)


def strip_trailing_commas(text: str) -> str:
    """Drop commas directly before `}`/`]`; strings are matched as whole tokens so never touched."""
    return _STRING_OR_TRAILING_COMMA.sub(
        lambda m: m.group(0) if m.group(0).startswith('"') else "", text
    )


def loads_lenient(text: str | bytes, *, record_type: str = "page") -> Any:
    """json.loads, else once more without trailing commas, else BadPayload for the whole body."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except json.JSONDecodeError as first:
        error = first
    repaired = strip_trailing_commas(text)
    if repaired != text:
        try:
            return json.loads(repaired)
        except json.JSONDecodeError as second:
            error = second
            text = repaired
    start = max(0, error.pos - 120)
    raise BadPayload(
        record_type,
        field=None,
        message=(
            f"response is not valid JSON ({error.msg} at line {error.lineno} "
            f"column {error.colno})"
        ),
        excerpt=text[start : error.pos + 120],
    )


def _locate(data: Any, loc: tuple) -> tuple[str, Any]:
    """The dotted path of an error inside the input and the value there.

    Pydantic adds union/validator tags to `loc`; only parts present in the data are kept.
    """
    parts: list[str] = []
    current = data
    for part in loc:
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            current = current[part]
            parts.append(str(part))
    return ".".join(parts), current


def _excerpt(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text[:6000]


def parse_record(model: type[M], data: Any, *, record_type: str) -> M:
    """Validate one record; on failure raise BadPayload naming the record and the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        field, value = _locate(data, tuple(first.get("loc", ())))
        record_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(record_id, int | str):
            record_id = None
        message = first.get("msg", "invalid")
        others = {_locate(data, tuple(e.get("loc", ())))[0] for e in errors[1:]} - {field}
        if others:
            message = f"{message} (and {len(others)} more field(s))"
        if field:
            excerpt = f"{field}={_excerpt(value)}"
        else:
            excerpt = _excerpt(data)
        raise BadPayload(
            record_type, record_id=record_id, field=field, message=message, excerpt=excerpt
        ) from None


def parse_records(
    model: type[M], items: Any, *, record_type: str
) -> tuple[list[M], list[BadPayload]]:
    """Validate records one by one: good ones are returned, each bad one becomes a BadPayload."""
    if not isinstance(items, list):
        raise BadPayload(
            record_type,
            message=f"expected a list of {record_type} records, got {type(items).__name__}",
            excerpt=_excerpt(items),
        )
    records: list[M] = []
    errors: list[BadPayload] = []
    for item in items:
        try:
            records.append(parse_record(model, item, record_type=record_type))
        except BadPayload as bad:
            errors.append(bad)
    return records, errors
