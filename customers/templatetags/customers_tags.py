"""Template helpers of the customers pages: stage colours through safe_colour only."""
from django import template

from production.colours import NEUTRAL, safe_colour, text_colour_for

register = template.Library()


@register.filter
def stage_style(stage) -> str:
    """`background` and `color` for a stage chip; only a strict #rgb/#rrggbb reaches the style."""
    colour = safe_colour(getattr(stage, "colour", ""), NEUTRAL)
    return f"background:{colour};color:{text_colour_for(colour)}"
