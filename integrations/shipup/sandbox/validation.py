"""Validates `POST /v2/orders` bodies the way Shipup does, with its nested error format.

The seed's 400 example fixes the format: errors nest by field name and list index
(`{"fulfillments": {"0": {"trackers": {"1": {...}}}}}`), shipping-address fields are reported
on the object that holds the address (`fulfillments.0.country`, not `...shipping_address.country`),
and messages read `Wrong data type: given, <Ruby class> (<value>) expected: <types>` or `Required`.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..payloads import STATUS_CODES

Errors = dict[str, Any]


def ruby_class(value: Any) -> str:
    if value is True:
        return "TrueClass"
    if value is False:
        return "FalseClass"
    if value is None:
        return "NilClass"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, dict):
        return "Hash"
    if isinstance(value, list):
        return "Array"
    return type(value).__name__


def ruby_inspect(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "nil"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{ruby_inspect(k)}=>{ruby_inspect(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(ruby_inspect(v) for v in value) + "]"
    return str(value)


def ruby_to_s(value: Any) -> str:
    """What Ruby's `to_s` prints (the seed shows `String (true)`, `Hash ({})`, `TrueClass (true)`)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return ruby_inspect(value)


def wrong_type(value: Any, expected: str) -> str:
    return f"Wrong data type: given, {ruby_class(value)} ({ruby_to_s(value)}) expected: {expected}"


REQUIRED = "Required"


@dataclass(frozen=True)
class Scalar:
    expected: str
    accepts: Callable[[Any], bool]
    extra: Callable[[Any], str | None] | None = None  # value check once the type is right

    def check(self, value: Any) -> str | None:
        if not self.accepts(value):
            return wrong_type(value, self.expected)
        return self.extra(value) if self.extra else None


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _datetime_problem(value: str) -> str | None:
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return f"Invalid date: given, String ({value}) expected: ISO 8601 datetime"
    return None


def _status_problem(value: str) -> str | None:
    if value in STATUS_CODES:
        return None
    return f"Invalid value: given, String ({value}) expected: one of {', '.join(STATUS_CODES)}"


STRING = Scalar("String", lambda v: isinstance(v, str))
STRING_OR_NUMERIC = Scalar(
    "String or Numeric", lambda v: isinstance(v, str | float) or _is_int(v)
)
INTEGER = Scalar("Integer", _is_int)
BOOLEAN = Scalar("TrueClass or FalseClass", lambda v: isinstance(v, bool))
HASH = Scalar("Hash", lambda v: isinstance(v, dict))
DATETIME = Scalar("String", lambda v: isinstance(v, str), _datetime_problem)
STATUS_CODE = Scalar("String", lambda v: isinstance(v, str), _status_problem)


@dataclass(frozen=True)
class Obj:
    fields: dict[str, Any]
    required: tuple[str, ...] = ()
    # Errors of this object's fields go into the parent's error object (shipping_address).
    inline_errors: bool = False


@dataclass(frozen=True)
class ListOf:
    item: Obj


ADDRESS = Obj(
    {name: STRING for name in (
        "address1", "address2", "city", "zip", "country", "country_code", "state",
        "state_code", "first_name", "last_name", "name", "company_title",
    )},
    inline_errors=True,
)
LINE_ITEM = Obj(
    {
        "merchant_id": STRING,
        "title": STRING,
        "variant_title": STRING,
        "name": STRING,
        "description": STRING,
        "quantity": INTEGER,
        "requires_shipping": BOOLEAN,
        "shipped_quantity": INTEGER,
        "sku": STRING,
        "thumbnail": HASH,
        "canceled": BOOLEAN,
        "canceled_quantity": INTEGER,
    },
    required=("merchant_id",),
)
TRACKER = Obj(
    {
        "carrier_code": STRING,
        "carrier_service_code": STRING,
        "custom_variables": HASH,
        "expected_delivery_at": DATETIME,
        "line_items": ListOf(LINE_ITEM),
        "mute_notifications": BOOLEAN,
        "tracking_number": STRING_OR_NUMERIC,
        "untracked_carrier_name": STRING,
        "untracked_carrier_url": STRING,
    },
    required=("tracking_number",),
)
FULFILLMENT = Obj(
    {
        "merchant_id": STRING,
        "fulfillment_number": STRING,
        "estimated_delivery_range_start": DATETIME,
        "estimated_delivery_range_end": DATETIME,
        "custom_variables": HASH,
        "status_code": STATUS_CODE,
        "warehouse_merchant_id": STRING,
        "shipping_address": ADDRESS,
        "line_items": ListOf(LINE_ITEM),
        "trackers": ListOf(TRACKER),
    },
    required=("merchant_id",),
)
ORDER = Obj(
    {
        "merchant_id": STRING,
        "ordered_at": DATETIME,
        "language_code": STRING,
        "email": STRING,
        "phone": STRING,
        "order_number": STRING,
        "custom_variables": HASH,
        "first_name": STRING,
        "last_name": STRING,
        "mute_notifications": BOOLEAN,
        "canceled": BOOLEAN,
        "line_items": ListOf(LINE_ITEM),
        "shipping_address": ADDRESS,
        "fulfillments": ListOf(FULFILLMENT),
    },
    required=("merchant_id",),
)


def validate_order(body: Any) -> Errors:
    """Return Shipup's nested error object for `body`; empty when the order is accepted."""
    if not isinstance(body, dict):
        return {"base": wrong_type(body, "Hash")}
    return _check_object(body, ORDER)


def _check_object(data: dict, spec: Obj) -> Errors:
    errors: Errors = {}
    # Payload order first (the seed lists errors in the order the fields were sent), unknown
    # fields ignored, missing required fields last.
    for name, value in data.items():
        rule = spec.fields.get(name)
        if rule is None:
            continue
        if value is None:
            if name in spec.required:
                errors[name] = REQUIRED
            continue
        problem = _check_value(value, rule)
        if not problem:
            continue
        if isinstance(rule, Obj) and rule.inline_errors and isinstance(problem, dict):
            errors.update(problem)
        else:
            errors[name] = problem
    for name in spec.required:
        if name not in data:
            errors[name] = REQUIRED
    return errors


def _check_value(value: Any, rule: Any) -> str | Errors | None:
    if isinstance(rule, Scalar):
        return rule.check(value)
    if isinstance(rule, Obj):
        if not isinstance(value, dict):
            return wrong_type(value, "Hash")
        return _check_object(value, rule) or None
    if isinstance(rule, ListOf):
        if not isinstance(value, list):
            return wrong_type(value, "Array")
        errors: Errors = {}
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                errors[str(index)] = wrong_type(item, "Hash")
            elif item_errors := _check_object(item, rule.item):
                errors[str(index)] = item_errors
        return errors or None
    raise TypeError(rule)
