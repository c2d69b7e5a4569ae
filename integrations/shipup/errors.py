"""Errors raised by the Shipup client: one hierarchy instead of raw `requests` exceptions."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


class ShipupError(Exception):
    """Anything that went wrong talking to Shipup; `status` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body


@dataclass(frozen=True)
class FieldError:
    """One rejected field, `path` like "fulfillments.0.trackers.1.tracking_number"."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def flatten_errors(errors: Any, prefix: str = "") -> list[FieldError]:
    """Turn Shipup's nested `{"errors": {...}}` (objects keyed by field and list index) into paths."""
    return list(_walk(errors, prefix))


def _walk(node: Any, prefix: str) -> Iterator[FieldError]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _walk(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list | tuple):
        # Rails-style {"field": ["msg", "msg"]}: several messages for one path.
        for item in node:
            yield from _walk(item, prefix)
    elif node is not None:
        yield FieldError(prefix, str(node))


class ShipupValidationError(ShipupError):
    """400: Shipup refused the payload; `errors` lists every rejected field."""

    def __init__(self, errors: list[FieldError], *, body: Any = None):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors) or "Shipup rejected the payload",
                         status=400, body=body)

    @classmethod
    def from_body(cls, body: Any) -> ShipupValidationError:
        raw = body.get("errors", body) if isinstance(body, Mapping) else body
        errors = flatten_errors(raw)
        return cls(errors or [FieldError("", "Shipup rejected the payload")], body=body)


_AUTH_REASONS = {
    401: ("invalid_key", "Shipup rejected the API key (401): it is missing or invalid"),
    402: ("payment_required",
          ("Shipup requires payment (402): the trial has ended or the feature is not enabled "
           "for this account")),
    403: ("forbidden",
          ("Shipup refused access (403): this API key has no permission for the resource "
           "(a key of another Shipup account?)")),
}


class ShipupAuthError(ShipupError):
    """401/402/403: no retry helps; pushes stop for this organisation until someone fixes the account."""

    def __init__(self, status: int, *, body: Any = None):
        self.reason, text = _AUTH_REASONS.get(status, ("forbidden", f"Shipup refused access ({status})"))
        super().__init__(f"{text}. Pushes stop for this organisation until it is fixed.",
                         status=status, body=body)


class ShipupRateLimited(ShipupError):
    """429 still returned after every retry; `retry_after` is Shipup's last hint in seconds."""

    def __init__(self, *, retry_after: float | None, body: Any = None):
        self.retry_after = retry_after
        hint = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        super().__init__(f"Shipup rate limit exceeded{hint}", status=429, body=body)


class ShipupServerError(ShipupError):
    """5xx (or no answer at all) after every retry: transient, try again later."""


class ShipupTransportError(ShipupServerError):
    """Timeout or connection failure after every retry (no HTTP status)."""
