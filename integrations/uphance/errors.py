"""Errors raised by the Uphance client instead of raw `requests` exceptions."""
from __future__ import annotations

import re

EXCERPT_LIMIT = 300

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[^\s\"',;]+")
_SECRET_FIELD = re.compile(
    r"(?i)(\"?(?:access_token|refresh_token|token|password|secret|api_key|authorization)\"?"
    r"\s*[:=]\s*)(\"(?:[^\"\\]|\\.)*\"|[^\s,&}\]]+)"
)
# Long opaque runs of letters and digits (tokens, keys); SKUs and URLs have other characters.
_OPAQUE = re.compile(r"\b(?=[A-Za-z0-9_\-]*\d)(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{32,}\b")


def redact(text: str, *, limit: int = EXCERPT_LIMIT) -> str:
    """Mask e-mail addresses and anything token-like, then cut to `limit` characters."""
    text = str(text)[: limit * 20]  # redact before cutting so no half-address survives
    text = _SECRET_FIELD.sub(lambda m: m.group(1) + '"***"', text)
    text = _BEARER.sub(r"\1 ***", text)
    text = _EMAIL.sub("***@***", text)
    text = _OPAQUE.sub("***", text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


class UphanceError(Exception):
    """Base class of everything the client raises."""


class TransportError(UphanceError):
    """No HTTP answer (timeout, connection refused, TLS…), even after retries."""


class RateLimited(UphanceError):
    """Uphance kept answering 429 after every retry."""

    def __init__(self, retry_after: float | None = None, message: str | None = None):
        self.retry_after = retry_after
        super().__init__(
            message or f"Uphance rate limit still exceeded (Retry-After: {retry_after})"
        )

    def __reduce__(self):
        return (type(self), (self.retry_after, str(self)))


class ServerError(UphanceError):
    """Uphance answered 5xx after every retry."""

    def __init__(self, status: int, message: str | None = None):
        self.status = status
        super().__init__(message or f"Uphance server error {status}")

    def __reduce__(self):
        return (type(self), (self.status, str(self)))


class ClientError(UphanceError):
    """Uphance refused the request (4xx other than 401/429); `body` is a redacted excerpt."""

    def __init__(self, status: int, body: str = "", message: str | None = None):
        self.status = status
        self.body = body
        default = f"Uphance answered {status}: {body}" if body else f"Uphance answered {status}"
        super().__init__(message or default)

    def __reduce__(self):
        return (type(self), (self.status, self.body, str(self)))


class NotFound(ClientError):
    """The record or endpoint does not exist (404)."""

    def __init__(self, status: int = 404, body: str = "", message: str | None = None):
        super().__init__(status, body, message or f"Not found on Uphance ({status})")


class AuthError(UphanceError):
    """Authentication with Uphance failed."""


class InvalidCredentials(AuthError):
    """The e-mail or password was refused at /oauth/token."""

    def __init__(self, message: str = "Uphance rejected the e-mail or password."):
        super().__init__(message)


class AuthExpired(AuthError):
    """The token is no longer accepted and cannot be refreshed: the user has to reconnect."""

    def __init__(
        self,
        message: str = "Uphance access token expired and could not be refreshed; reconnect needed.",
    ):
        super().__init__(message)


class BadPayload(UphanceError):
    """A response (record_type "page") or one record in it does not match the expected shape.

    `field` is the dotted path inside the record ("line_items.0.production_stages.current_stage.
    start_time"), `excerpt` a redacted piece of the offending data (at most 300 characters).
    """

    def __init__(
        self,
        record_type: str,
        record_id: int | str | None = None,
        field: str | None = None,
        message: str = "",
        excerpt: str = "",
    ):
        self.record_type = record_type
        self.record_id = record_id
        self.field = field
        self.message = message
        self.excerpt = redact(excerpt) if excerpt else ""
        where = record_type if record_id is None else f"{record_type} {record_id}"
        if field:
            where = f"{where} at {field}"
        super().__init__(f"{where}: {message}" if message else where)

    def as_dict(self) -> dict:
        """JSON-friendly form, e.g. for a sync log."""
        return {
            "record_type": self.record_type,
            "record_id": self.record_id,
            "field": self.field,
            "message": self.message,
            "excerpt": self.excerpt,
        }

    def __reduce__(self):
        return (
            type(self),
            (self.record_type, self.record_id, self.field, self.message, self.excerpt),
        )
