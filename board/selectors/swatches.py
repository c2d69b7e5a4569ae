"""A colour swatch for a product colour name (cards show it when Uphance gives no image on an allowed
host: production.images.safe_image_url)."""
from production.colours import safe_colour

# Common colour words in product colour names -> a swatch. Values are ours (validated anyway).
_COLOUR_WORDS = {
    "black": "#111111", "white": "#ffffff", "ivory": "#fffff0", "cream": "#f5f0dc", "ecru": "#e8e0c8",
    "beige": "#e3d5b8", "sand": "#d8c8a8", "stone": "#c2b8a3", "camel": "#c19a6b", "tan": "#d2b48c",
    "khaki": "#b9a97a", "brown": "#7b4a2d", "chocolate": "#5a3825", "grey": "#9ca3af", "gray": "#9ca3af",
    "charcoal": "#36454f", "silver": "#c0c0c0", "navy": "#1f2a44", "blue": "#2563eb", "denim": "#3b5b8c",
    "indigo": "#3f3d99", "sky": "#87ceeb", "teal": "#0f766e", "green": "#15803d", "olive": "#6b7235",
    "mint": "#a7f3d0", "sage": "#a3b18a", "khaki-green": "#6b6b3a", "yellow": "#facc15", "mustard": "#d4a017",
    "gold": "#d4af37", "orange": "#f97316", "rust": "#b7410e", "red": "#dc2626", "burgundy": "#7f1d1d",
    "maroon": "#800000", "wine": "#722f37", "pink": "#f9a8d4", "rose": "#e8a3b0", "blush": "#f4c2c2",
    "coral": "#ff7f50", "purple": "#7e22ce", "lilac": "#c8a2c8", "lavender": "#d8c8f0", "plum": "#6e2a5e",
}


def colour_swatch(name: str) -> str:
    """A hex colour for a product colour name ("Navy Blue" -> navy), or "" when we cannot tell."""
    direct = safe_colour(name)
    if direct:
        return direct
    for word in (name or "").lower().replace("/", " ").replace("-", " ").split():
        if word in _COLOUR_WORDS:
            return safe_colour(_COLOUR_WORDS[word])
    return ""
