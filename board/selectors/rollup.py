"""The board's counts from its rollup (board.models.BoardCount, rebuilt by board.services.board_rollup_rebuild).

A board whose filters are only facets (manufacturer, season, warehouse, stage, stage status, forecast)
of open orders sums the rollup's rows for its counts: a few thousand rows whatever the catalogue's size,
where counting the line items reads every open one. Anything else (free text, late, stuck, customers,
slipped, closed orders) counts the line items themselves, and so does every board while the rollup is
not of the current data version. The home page's figures come from here too.
"""
from __future__ import annotations

from django.db.models import Q, Sum

from board.models import BoardCount, BoardOrderCount, BoardRollup
from board.selectors.filters import ORDER_STATUS_OPEN, BoardFilters
from production.models import ForecastState, StageStatus

# The line item's field (as the board reads it) -> the rollup's.
ROLLUP_FIELDS = {"order_manufacturer_id": "manufacturer_id", "order_season_id": "season_id"}


def rollup_serves(filters: BoardFilters) -> bool:
    """Whether the rollup holds the counts of `filters`: open orders, facets only."""
    return (
        filters.order_status == ORDER_STATUS_OPEN and not filters.delivery_status and not filters.q
        and not (filters.late or filters.stuck or filters.waiting or filters.at_risk or filters.slipped)
    )


def _facets_q(filters: BoardFilters, *, items: bool = True) -> Q:
    q = Q()
    if filters.manufacturers:
        q &= Q(manufacturer_id__in=filters.manufacturers)
    if filters.seasons:
        q &= Q(season_id__in=filters.seasons)
    if items:
        if filters.warehouses:
            q &= Q(warehouse_id__in=filters.warehouses)
        if filters.stages:
            q &= Q(stage_id__in=filters.stages)
        if filters.stage_status == "pending":
            q &= Q(stage_status__in=[StageStatus.NOT_STARTED, StageStatus.IN_PROGRESS])
        elif filters.stage_status:
            q &= Q(stage_status=filters.stage_status)
    return q


def _forecast_q(filters: BoardFilters) -> Q:
    """BoardCount's rows over every forecast state, or those of the one the filter asks for."""
    return Q(forecast_state=filters.forecast) if filters.forecast else Q(forecast_state__isnull=True)


def _current(*, organisation, version: str) -> bool:
    return BoardRollup.objects.filter(organisation=organisation, version=str(version)).exists()


def rollup_cell_counts(*, organisation, filters: BoardFilters, lane_field: str | None,
                       version: str) -> dict | None:
    """{(lane value, stage id, stage status): (line items, units)} as board.selectors.stage_board counts
    them, or None when the rollup cannot say (filters beyond facets, or not of `version`): two queries."""
    if not rollup_serves(filters) or not _current(organisation=organisation, version=version):
        return None
    lane = ROLLUP_FIELDS.get(lane_field) if lane_field else None
    group = ([lane] if lane else []) + ["stage_id", "stage_status"]
    rows = (BoardCount.objects.filter(_facets_q(filters), _forecast_q(filters), organisation=organisation).order_by()
            .values_list(*group).annotate(n=Sum("line_items"), u=Sum("units")))
    counts = {}
    for row in rows:
        key = tuple(row[:-2]) if lane else (None, *row[:-2])
        counts[key] = (row[-2], row[-1] or 0)
    return counts


def rollup_maker_counts(*, organisation, filters: BoardFilters, version: str) -> list[tuple] | None:
    """[(manufacturer id, orders, line items, units)] as the manufacturer board counts them, or None when
    the rollup cannot say: orders add up only over their own facets (manufacturer, season), so a
    warehouse, stage, stage-status or forecast filter counts the line items themselves. Three queries."""
    if (not rollup_serves(filters) or filters.warehouses or filters.stages or filters.stage_status
            or filters.forecast or not _current(organisation=organisation, version=version)):
        return None
    where = _facets_q(filters, items=False)
    orders = dict(BoardOrderCount.objects.filter(where, organisation=organisation).order_by()
                  .values_list("manufacturer_id").annotate(n=Sum("orders")))
    items = (BoardCount.objects.filter(where, _forecast_q(filters), organisation=organisation).order_by()
             .values_list("manufacturer_id").annotate(n=Sum("line_items"), u=Sum("units")))
    return [(maker_id, orders.get(maker_id, 0), n, u or 0) for maker_id, n, u in items]


def rollup_overview(*, organisation, version: str) -> dict | None:
    """{line_items, units, predicted_late} of the open line items for the home page, or None when the
    rollup is not of `version`. Three queries."""
    if not _current(organisation=organisation, version=version):
        return None
    totals = BoardCount.objects.filter(organisation=organisation, forecast_state__isnull=True).aggregate(
        n=Sum("line_items"), u=Sum("units"))
    late = BoardCount.objects.filter(organisation=organisation, forecast_state=ForecastState.PREDICTED_LATE).aggregate(
        n=Sum("line_items"))
    return {"line_items": totals["n"] or 0, "units": totals["u"] or 0, "predicted_late": late["n"] or 0}
