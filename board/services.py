"""Writes of the board: warming its cache after a sync that changed data."""
from board.forms import board_filters_from_query
from board.models import SavedView
from board.selectors.filters import board_options
from board.selectors.stage_board import stage_board


def board_warm(*, organisation) -> int:
    """Fill the cache for the boards people open first: the default board and every saved default view.

    Run after a sync that changed data, so the first person to open the board after it does not
    wait for the aggregate over every line item. Returns how many boards were computed.
    """
    options = board_options(organisation=organisation)
    queries = {""} | set(
        SavedView.objects.filter(organisation=organisation, is_default=True).values_list("query", flat=True)
    )
    warmed = 0
    for query in queries:
        filters = board_filters_from_query(organisation=organisation, query=query, options=options)
        if filters.group == "stage":
            stage_board(organisation=organisation, filters=filters, options=options)
            warmed += 1
    return warmed
