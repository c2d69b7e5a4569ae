"""Shipup integration: typed client, payload models and errors for pre-shipment notifications."""
from .client import ShipupClient
from .errors import (
    FieldError,
    ShipupAuthError,
    ShipupError,
    ShipupRateLimited,
    ShipupServerError,
    ShipupTransportError,
    ShipupValidationError,
)
from .payloads import (
    STATUS_CODES,
    Fulfillment,
    LineItem,
    ShippingAddress,
    ShipupOrder,
    Thumbnail,
    Tracker,
)

__all__ = [
    "STATUS_CODES",
    "FieldError",
    "Fulfillment",
    "LineItem",
    "ShippingAddress",
    "ShipupAuthError",
    "ShipupClient",
    "ShipupError",
    "ShipupOrder",
    "ShipupRateLimited",
    "ShipupServerError",
    "ShipupTransportError",
    "ShipupValidationError",
    "Thumbnail",
    "Tracker",
]
