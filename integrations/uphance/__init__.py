"""Typed Uphance API client: `UphanceClient`, its `Tokens`/`Page`, errors and payload models."""
from .client import Page, Tokens, UphanceClient, backoff_delay, parse_retry_after
from .errors import (
    AuthError,
    AuthExpired,
    BadPayload,
    ClientError,
    InvalidCredentials,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    UphanceError,
)

__all__ = [
    "AuthError",
    "AuthExpired",
    "BadPayload",
    "ClientError",
    "InvalidCredentials",
    "NotFound",
    "Page",
    "RateLimited",
    "ServerError",
    "Tokens",
    "TransportError",
    "UphanceClient",
    "UphanceError",
    "backoff_delay",
    "parse_retry_after",
]
