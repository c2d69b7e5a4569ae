"""Writes of the board: its rollup of counts and its warm cache, after a sync that changed data."""
from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from board.forms import board_filters_from_query
from board.models import BoardCount, BoardOrderCount, BoardRollup, SavedView
from board.selectors.cache import board_version
from board.selectors.filters import board_options
from board.selectors.stage_board import stage_board
from production.models import LineItem


@dataclass(frozen=True)
class RollupBuilt:
    version: str
    rows: int
    seconds: float


def board_rollup_rebuild(*, organisation) -> RollupBuilt:
    """Count the organisation's open line items per facet combination again (board.models.BoardCount,
    BoardOrderCount), stamped with the current data version: two grouped reads, one transaction.

    Run after every sync that changed data and every forecast recompute (board.receivers, through
    board_warm), and by `manage.py board_rollup_rebuild`. Boards read it only while the stamp is the
    current version (board.selectors.rollup).
    """
    started = time.perf_counter()
    with transaction.atomic():
        version = board_version(organisation=organisation)
        open_items = LineItem.objects.filter(organisation=organisation, is_open=True).order_by()
        facets = ("order_manufacturer_id", "order_season_id", "warehouse_id", "current_stage_id", "stage_status")
        cells = [
            BoardCount(organisation=organisation, manufacturer_id=maker, season_id=season, warehouse_id=warehouse,
                       stage_id=stage, stage_status=status, forecast_state=forecast, line_items=n, units=u or 0)
            for by_forecast in (False, True)
            for maker, season, warehouse, stage, status, *forecast_n_u in open_items.values_list(
                *facets, *(["forecast_state"] if by_forecast else [])
            ).annotate(n=Count("id"), u=Sum("units"))
            for forecast, n, u in [forecast_n_u if by_forecast else [None, *forecast_n_u]]
        ]
        orders = [
            BoardOrderCount(organisation=organisation, manufacturer_id=maker, season_id=season, orders=n)
            for maker, season, n in open_items.values_list("order_manufacturer_id", "order_season_id")
            .annotate(n=Count("order_id", distinct=True))
        ]
        BoardCount.objects.filter(organisation=organisation).delete()
        BoardOrderCount.objects.filter(organisation=organisation).delete()
        BoardCount.objects.bulk_create(cells, batch_size=2000)
        BoardOrderCount.objects.bulk_create(orders, batch_size=2000)
        seconds = time.perf_counter() - started
        BoardRollup.objects.update_or_create(organisation=organisation, defaults={
            "version": version, "built_at": timezone.now(), "seconds": seconds, "rows": len(cells) + len(orders),
        })
    return RollupBuilt(version=version, rows=len(cells) + len(orders), seconds=seconds)


def board_warm(*, organisation) -> int:
    """Fill the cache for the boards people open first: the default board and every saved default view.

    Run after a sync that changed data (and after the forecast recompute that follows), so the first
    person to open the board after it does not wait. The rollup of counts is rebuilt first: every board
    reads it, warm or not. Returns how many boards were computed.
    """
    board_rollup_rebuild(organisation=organisation)
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
