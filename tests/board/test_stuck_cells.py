"""The stuck board's cells read as index ranges ending at each stage × manufacturer cut-off
(board.selectors.stage_board): the same cards, in the same order, as judging every line item with the
rule (production.rules.line_item_is_stuck)."""
import pytest

from board.selectors.filters import BoardFilters, board_options
from board.selectors.stage_board import LANE_SLICE, lane_key_of, stage_board
from production.bench_data import bench_organisation_build
from production.forecasts.services import forecasts_recompute
from production.models import LineItem, StageStatus
from production.rules import line_item_is_stuck, stuck_thresholds
from tests.support.clock import FIXED_NOW

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", ["", "a"])
def test_the_stuck_boards_first_cards_per_cell_are_the_rules_own(fixed_clock, clear_cache, text):
    organisation, _facts = bench_organisation_build(orders=120, seed=5, name="Stuck cells")
    forecasts_recompute(organisation=organisation)  # the factories' own p90s
    options = board_options(organisation=organisation)
    filters = BoardFilters(swimlane="manufacturer", stuck=True, q=text)
    board = stage_board(organisation=organisation, filters=filters, options=options, now=FIXED_NOW)
    shown = {(lane.key, cell.column.key): [card.id for card in cell.cards] for lane in board.lanes for cell in lane.cells}

    thresholds = stuck_thresholds(organisation=organisation)
    items = LineItem.objects.filter(organisation=organisation, is_open=True, stage_status=StageStatus.IN_PROGRESS)
    if text:
        items = [i for i in items.select_related("order") if text in (i.product_name + i.product_identifier
                 + i.colour + i.order_number).lower() or text in i.order.manufacturer.name.lower()]
    else:
        items = list(items.select_related("order"))
    expected: dict = {}
    for item in sorted(items, key=lambda i: (i.current_stage_started_at, i.id)):
        if line_item_is_stuck(item, thresholds=thresholds, now=FIXED_NOW):
            key = (f"m-{item.order_manufacturer_id}", f"stage-{item.current_stage_id}")
            expected.setdefault(key, []).append(item.id)
    visible_lanes = {lane.key for lane in board.lanes}
    expected = {k: v[:LANE_SLICE] for k, v in expected.items() if k[0] in visible_lanes}
    assert expected  # the data has stuck cards
    assert {k: v for k, v in shown.items() if v} == expected


@pytest.mark.parametrize("swimlane", ["manufacturer", "season", "none"])
@pytest.mark.parametrize("text", ["", "a"])
def test_the_stuck_boards_counts_by_ranges_are_the_stuck_filters_own(fixed_clock, clear_cache, swimlane, text):
    from collections import Counter

    from board.selectors.filters import line_items_filtered

    organisation, _facts = bench_organisation_build(orders=120, seed=6, name="Stuck counts")
    forecasts_recompute(organisation=organisation)
    options = board_options(organisation=organisation)
    filters = BoardFilters(swimlane=swimlane, stuck=True, q=text)
    board = stage_board(organisation=organisation, filters=filters, options=options, now=FIXED_NOW)
    stuck = line_items_filtered(organisation=organisation, filters=filters, now=FIXED_NOW)  # rules.stuck_q
    by_stage = Counter(stuck.values_list("current_stage_id", flat=True))
    assert board.count == stuck.count() > 0
    assert {c.key: c.count for c in board.columns if c.count} == {f"stage-{k}": n for k, n in by_stage.items()}
    lanes = {"manufacturer": "order_manufacturer_id", "season": "order_season_id"}
    if swimlane in lanes:
        per_lane = Counter(stuck.values_list(lanes[swimlane], flat=True))
        expected = {lane_key_of(swimlane, value): n for value, n in per_lane.items()}
        assert board.lanes and all(lane.count == expected[lane.key] for lane in board.lanes)
