"""The Jinja2 environment of the board's grid (board/jinja2/board/*.jinja; see board.templatetags.board_cards).

Only what the cards use: a stage's colour reaches a style attribute through production.colours, as the
Django templates' `stage_colour` filter does (templates/_stage_chip.html).
"""
from django.contrib.humanize.templatetags.humanize import intcomma
from jinja2 import Environment, StrictUndefined

from production.colours import NEUTRAL, safe_colour, text_colour_for


def stage_colour(value) -> str:
    """`value` if it is exactly #rgb/#rrggbb (lower-cased), else the neutral grey."""
    return safe_colour(value, NEUTRAL)


def stage_text_colour(value) -> str:
    return text_colour_for(safe_colour(value, NEUTRAL))


def environment(**options) -> Environment:
    # A missing name is an error, not an empty string: the cards are tested, a typo must not pass.
    env = Environment(**{**options, "undefined": StrictUndefined})
    env.filters.update(stage_colour=stage_colour, stage_text_colour=stage_text_colour, intcomma=intcomma)
    return env
