"""The only way a colour from the API reaches a style attribute: strict #rgb / #rrggbb."""
import re

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
NEUTRAL = "#9ca3af"


def safe_colour(value, default: str = "") -> str:
    """Return `value` lower-cased if it is exactly #rgb or #rrggbb, else `default`."""
    if isinstance(value, str) and _HEX.fullmatch(value.strip()):
        return value.strip().lower()
    return default


def text_colour_for(background: str) -> str:
    """Black or white, whichever reads better on `background` (a validated hex colour)."""
    colour = safe_colour(background, NEUTRAL).lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    r, g, b = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    luminance = (0.299 * r + 0.587 * g + 0.114 * b) / 255
    return "#111827" if luminance > 0.6 else "#ffffff"
