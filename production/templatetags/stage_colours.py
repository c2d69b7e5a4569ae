"""Template filters behind templates/_stage_chip.html: a stage's colour only through production.colours."""
from django import template

from production.colours import NEUTRAL, safe_colour, text_colour_for

register = template.Library()


@register.filter
def stage_colour(value) -> str:
    """`value` if it is exactly #rgb/#rrggbb (lower-cased), else the neutral grey."""
    return safe_colour(value, NEUTRAL)


@register.filter
def stage_text_colour(value) -> str:
    """Black or white text, whichever reads on the (validated) background `value`."""
    return text_colour_for(safe_colour(value, NEUTRAL))
