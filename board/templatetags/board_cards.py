"""{% board_lanes board %}, {% board_cards cards %}, {% order_cards cards %}: the board's grid, drawn by Jinja2.

The templates are board/jinja2/board/ (lanes.jinja, cards.jinja, order_cards.jinja).

A full board draws ~120 cards; in the Django template language they were ~45 ms of a cold board, in
Jinja2 ~8 ms (issue 15). The page around them stays a Django template with its partials. The links come
from the page's context (`line_item_url`, `order_url`: board.views.board), `focus_new` marks the first
card of a "show more" slice for the keyboard focus.
"""
from django import template
from django.template import engines
from django.utils.safestring import mark_safe

register = template.Library()


def _render(name: str, context, **values) -> str:
    jinja = engines["jinja2"].get_template(name).template  # the jinja2.Template: no request, no csrf needed
    return mark_safe(jinja.render(  # autoescaped by the environment
        line_item_url=context.get("line_item_url", ""), order_url=context.get("order_url", ""),
        focus_new=bool(context.get("focus_new")), **values,
    ))


@register.simple_tag(takes_context=True)
def board_cards(context, cards):
    """The line-item cards `cards` (board.selectors.cards.Card)."""
    return _render("board/cards.jinja", context, cards=cards)


@register.simple_tag(takes_context=True)
def order_cards(context, cards):
    """The production-order cards `cards` (board.selectors.manufacturer_board.OrderCard)."""
    return _render("board/order_cards.jinja", context, cards=cards)


@register.simple_tag(takes_context=True)
def board_lanes(context, board):
    """The stage board's swimlanes with their cells and cards (board.selectors.stage_board.StageBoard)."""
    filters = context["filters"]
    return _render("board/lanes.jinja", context, board=board, swimlane=filters.swimlane,
                   board_url=context.get("board_url", ""), board_column_url=context.get("board_column_url", ""))
