"""Which product image URLs may reach a page: only those on the image hosts Uphance serves from.

A product image URL comes from Uphance and every board view makes the browser fetch it, so a URL
on any other host is a beacon telling that host who looks at the board and when. The allow-list is
`settings.SEAMLINE_IMAGE_HOSTS` (origins: `https://uphance.com`, `https://*.uphance.com` for the
subdomains, `http://127.0.0.1:8765` for the sandbox); the CSP's img-src lists the same origins.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAX_URL_LENGTH = 1000
DEFAULT_PORTS = {"http": 80, "https": 443}
_ORIGIN = re.compile(r"(?P<scheme>https?)://(?P<wildcard>\*\.)?(?P<host>[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::(?P<port>[0-9]{1,5}))?")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
# Control characters, spaces and backslashes are read differently by browsers and urlsplit.
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


@dataclass(frozen=True)
class ImageOrigin:
    scheme: str
    host: str
    port: int
    subdomains: bool  # "*.host": any subdomain of host, not host itself (as in CSP)

    def matches(self, *, scheme: str, host: str, port: int) -> bool:
        if scheme != self.scheme or port != self.port:
            return False
        return host.endswith("." + self.host) if self.subdomains else host == self.host


def image_origins(entries) -> list[str]:
    """Settings entries as origins: a bare host means https; raises ImproperlyConfigured on anything
    that is not a plain origin (the values go into the Content-Security-Policy header as they are)."""
    origins = []
    for entry in entries:
        text = str(entry).strip().lower().rstrip("/")
        if not text:
            continue
        if "://" not in text:
            text = f"https://{text}"
        if not _ORIGIN.fullmatch(text):
            raise ImproperlyConfigured(
                f"SEAMLINE_IMAGE_HOSTS: {entry!r} is not a host, *.domain or scheme://host[:port]"
            )
        if text not in origins:
            origins.append(text)
    return origins


@lru_cache(maxsize=16)
def _parsed(origins: tuple[str, ...]) -> tuple[ImageOrigin, ...]:
    parsed = []
    for origin in image_origins(origins):
        match = _ORIGIN.fullmatch(origin)
        scheme = match["scheme"]
        port = int(match["port"]) if match["port"] else DEFAULT_PORTS[scheme]
        parsed.append(ImageOrigin(scheme=scheme, host=match["host"], port=port, subdomains=bool(match["wildcard"])))
    return tuple(parsed)


def image_url_allowed(url, *, hosts=None) -> bool:
    """True when `url` is an absolute http(s) URL on one of the allowed image origins.

    `hosts` defaults to settings.SEAMLINE_IMAGE_HOSTS. URLs with credentials, a non-ASCII or
    percent-encoded host, whitespace, control characters or backslashes are refused outright:
    a browser could read their host differently from this check.
    """
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH or _UNSAFE.search(url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or "@" in parts.netloc:
        return False
    host = (parts.hostname or "").lower()
    if not _HOST.fullmatch(host):
        return False
    allowed = _parsed(tuple(settings.SEAMLINE_IMAGE_HOSTS if hosts is None else hosts))
    port = DEFAULT_PORTS[scheme] if port is None else port
    return any(origin.matches(scheme=scheme, host=host, port=port) for origin in allowed)


def safe_image_url(url, *, hosts=None) -> str:
    """`url` when it may be shown as a product image, else "" (the card shows its colour swatch)."""
    return url if image_url_allowed(url, hosts=hosts) else ""
