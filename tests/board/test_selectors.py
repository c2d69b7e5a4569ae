"""The board's reads: columns and counts, cards and badges, filters, swimlanes, slices, thresholds."""
import datetime as dt

import pytest
from django.http import QueryDict
from django.utils import timezone

from board.forms import board_filters_from_query
from board.selectors.cache import board_version
from board.selectors.export import board_export_rows
from board.selectors.filters import BoardFilters, board_options, line_items_filtered
from board.selectors.manufacturer_board import manufacturer_board
from board.selectors.stage_board import (
    FIRST_SLICE,
    LANE_SLICE,
    board_cell_cards,
    board_columns,
    stage_board,
)
from board.selectors.swatches import colour_swatch
from production.rules import stuck_thresholds
from production.sync.models import SyncRun
from tests.support.factories import ProductionOrderFactory, StageFactory, StagePeriodFactory
from tests.support.production_data import staged_line_item

pytestmark = pytest.mark.django_db


def _board(data, **filters):
    options = board_options(organisation=data.organisation)
    return stage_board(organisation=data.organisation, filters=BoardFilters(**filters), options=options)


def _cards(board):
    return [card for lane in board.lanes for cell in lane.cells for card in cell.cards]


def _names(board):
    return sorted(card.product_name for card in _cards(board))


def test_columns_follow_the_stage_sequence_with_counts_and_units(board_data):
    options = board_options(organisation=board_data.organisation)
    columns, _ = board_columns(organisation=board_data.organisation, filters=BoardFilters(), options=options)
    assert [c.label for c in columns] == ["Not started", "Cutting", "Sewing", "Packing", "No stages"]
    counts = {c.label: (c.count, c.units) for c in columns}
    # The complete, all-received order is not on the default board (open orders only).
    assert counts == {
        "Not started": (1, 20), "Cutting": (1, 12), "Sewing": (2, 98), "Packing": (1, 30), "No stages": (1, 7),
    }
    assert columns[2].colour == "#973094"


def test_all_orders_include_the_complete_one(board_data):
    board = _board(board_data, order_status="any", swimlane="none")
    assert board.count == 7
    assert "Old Style" in _names(board)


def test_cards_carry_days_in_stage_and_late_stuck_badges(board_data):
    cards = {c.product_name: c for c in _cards(_board(board_data))}
    stuck = cards["2470_Eighteen"]
    assert stuck.days_in_stage == 30 and stuck.stuck and stuck.late is True and stuck.days_late == 5
    assert stuck.po_number == "1311" and stuck.manufacturer == "Adine Undone" and stuck.swatch == "#2563eb"
    ok = cards["Linen Shirt"]
    assert ok.days_in_stage == 2 and not ok.stuck and ok.late is False
    # Uphance gives the order no date: lateness is unknown, not guessed.
    assert cards["Knit Wrap"].late is None and cards["Knit Wrap"].days_in_stage is None
    assert cards["Montblanc Cap"].stage_done


def test_stuck_uses_the_p90_of_past_durations_when_no_manager_threshold(board_data, organisation):
    cutting = board_data.cutting
    # Ten completed Cutting periods of 1..10 days: p90 = 9 days.
    for days in range(1, 11):
        item = staged_line_item(order=board_data.future_order, stage=board_data.packing, days_in_stage=1,
                                past=[(cutting, days)], product_name=f"History {days}")
        item.removed_at = timezone.now()  # history only, not on the board
        item.save()
    thresholds = stuck_thresholds(organisation=organisation, stages=[cutting, board_data.sewing])
    assert thresholds[cutting.id].source == "p90" and thresholds[cutting.id].days == pytest.approx(9.0)
    assert thresholds[board_data.sewing.id].source == "manager" and thresholds[board_data.sewing.id].days == 10
    staged_line_item(order=board_data.future_order, stage=cutting, days_in_stage=10, product_name="Slow cut")
    staged_line_item(order=board_data.future_order, stage=cutting, days_in_stage=8, product_name="Fine cut")
    cards = {c.product_name: c for c in _cards(_board(board_data))}
    assert cards["Slow cut"].stuck and not cards["Fine cut"].stuck


def test_too_little_history_falls_back_to_a_default(board_data, organisation):
    thresholds = stuck_thresholds(organisation=organisation, stages=[board_data.packing])
    assert thresholds[board_data.packing.id].source == "default"


def test_p90_is_cached_until_the_next_sync_that_changed_data(board_data, organisation):
    packing = board_data.packing
    assert stuck_thresholds(organisation=organisation, stages=[packing], version=board_version(organisation=organisation))[packing.id].source == "default"
    for days in range(1, 8):
        staged_line_item(order=board_data.future_order, stage=board_data.cutting, days_in_stage=1,
                         past=[(packing, days)])
    # Same sync state: the cached figure stands (one bounded query per sync, not per request).
    assert stuck_thresholds(organisation=organisation, stages=[packing], version=board_version(organisation=organisation))[packing.id].source == "default"
    SyncRun.objects.create(organisation=organisation, kind="production_stages", outcome="succeeded",
                           finished_at=timezone.now(), updated=7)
    assert stuck_thresholds(organisation=organisation, stages=[packing], version=board_version(organisation=organisation))[packing.id].source == "p90"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"seasons": "ss26"}, ["2470_Eighteen", "2766_Ten Copy"]),
        ({"manufacturers": "kotka"}, ["Knit Wrap", "Scarf"]),
        ({"warehouses": "warehouse"}, ["2470_Eighteen", "2766_Ten Copy"]),
        ({"stages": "sewing"}, ["2470_Eighteen", "Linen Shirt"]),
        ({"stage_status": "pending"}, ["2470_Eighteen", "2766_Ten Copy", "Knit Wrap", "Linen Shirt"]),
        ({"stage_status": "completed"}, ["Montblanc Cap"]),
        ({"stage_status": "no_stages"}, ["Scarf"]),
        ({"delivery_status": "all_received"}, ["Old Style"]),
        ({"order_status": "complete"}, ["Old Style"]),
        ({"late": True}, ["2470_Eighteen", "2766_Ten Copy"]),
        ({"stuck": True}, ["2470_Eighteen"]),
        ({"q": "montblanc"}, ["Montblanc Cap"]),
        ({"q": "1312"}, ["Knit Wrap", "Scarf"]),  # PO number
        ({"q": "kotka"}, ["Knit Wrap", "Scarf"]),  # manufacturer name
    ],
)
def test_filters(board_data, filters, expected):
    refs = {
        "ss26": (board_data.ss26.id,), "kotka": (board_data.kotka.id,), "warehouse": (board_data.warehouse.id,),
        "sewing": (board_data.sewing.id,),
    }
    filters = {k: refs.get(v, v) if k != "q" and isinstance(v, str) else v for k, v in filters.items()}
    assert _names(_board(board_data, swimlane="none", **filters)) == sorted(expected)


def test_line_items_filtered_reads_the_board_query_string(board_data, organisation):
    query = QueryDict(f"manufacturer={board_data.kotka.id}&stage_status=not_started&season=nonsense")
    filters = board_filters_from_query(organisation=organisation, query=query)
    items = line_items_filtered(organisation=organisation, filters=filters)
    assert [i.product_name for i in items] == ["Knit Wrap"]


def test_swimlanes_by_manufacturer_season_or_none(board_data):
    by_maker = _board(board_data)
    assert [(lane.label, lane.count) for lane in by_maker.lanes] == [("Adine Undone", 4), ("Kotka Knits", 2)]
    by_season = _board(board_data, swimlane="season")
    assert [(lane.label, lane.count) for lane in by_season.lanes] == [("AW26", 4), ("SS26", 2)]
    single = _board(board_data, swimlane="none")
    assert len(single.lanes) == 1 and single.lanes[0].count == 6
    # Every card sits in its own lane and column.
    for lane in by_maker.lanes:
        for cell in lane.cells:
            assert all(card.manufacturer == lane.label and card.column_key == cell.column.key for card in cell.cards)


def test_columns_ship_a_first_slice_then_show_more(board_data, organisation):
    for n in range(FIRST_SLICE + 7):
        staged_line_item(order=board_data.future_order, stage=board_data.cutting, days_in_stage=n % 5,
                         product_name=f"Bulk {n}")
    board = _board(board_data, swimlane="none")
    cell = next(c for c in board.lanes[0].cells if c.column.label == "Cutting")
    assert cell.count == FIRST_SLICE + 8 and len(cell.cards) == FIRST_SLICE and cell.more == 8
    # Longest in the stage first.
    days = [c.days_in_stage for c in cell.cards]
    assert days == sorted(days, reverse=True)
    options = board_options(organisation=organisation)
    rest = board_cell_cards(
        organisation=organisation, filters=BoardFilters(swimlane="none"), options=options,
        column_key=f"stage-{board_data.cutting.id}", lane_key="all", offset=FIRST_SLICE,
    )
    assert len(rest.cards) == 8 and rest.next_offset is None
    shown = {c.id for c in cell.cards} | {c.id for c in rest.cards}
    assert len(shown) == FIRST_SLICE + 8


def test_swimlane_cells_are_sliced_too(board_data, organisation):
    for _n in range(LANE_SLICE + 3):
        staged_line_item(order=board_data.late_order, stage=board_data.cutting, days_in_stage=1)
    board = _board(board_data)
    cell = next(c for c in board.lanes[0].cells if c.column.label == "Cutting")
    assert len(cell.cards) == LANE_SLICE and cell.more == 4
    options = board_options(organisation=organisation)
    more = board_cell_cards(
        organisation=organisation, filters=BoardFilters(), options=options,
        column_key=f"stage-{board_data.cutting.id}", lane_key=f"m-{board_data.adine.id}", offset=LANE_SLICE,
    )
    assert len(more.cards) == 4 and all(c.manufacturer == "Adine Undone" for c in more.cards)


def test_unknown_column_or_lane_is_refused(board_data, organisation):
    options = board_options(organisation=organisation)
    other_stage = StageFactory()  # another organisation's
    for column, lane in ((f"stage-{other_stage.id}", "all"), ("stage-x", "all"), ("none", "m-x")):
        assert board_cell_cards(
            organisation=organisation, filters=BoardFilters(), options=options, column_key=column, lane_key=lane,
            offset=0,
        ) is None


def test_manufacturer_board_has_an_order_card_per_order_with_stage_segments(board_data, organisation):
    options = board_options(organisation=organisation)
    board = manufacturer_board(organisation=organisation, filters=BoardFilters(group="manufacturer"), options=options)
    assert [(c.label, c.orders) for c in board.columns] == [("Adine Undone", 2), ("Kotka Knits", 1)]
    adine = board.columns[0]
    # Most urgent first: the late order, then the one due in 40 days.
    assert [card.number for card in adine.cards] == ["1311", "1313"]
    late = adine.cards[0]
    assert late.late and late.items == 2 and late.units == 70
    assert [s.label for s in late.segments] == ["Cutting", "Sewing"]
    assert sum(s.percent for s in late.segments) == pytest.approx(100, abs=0.1)
    assert late.least_advanced == "Cutting"
    assert board.columns[1].cards[0].least_advanced == "Not started"


def test_another_organisations_data_never_shows(board_data, organisation, other_organisation):
    order = ProductionOrderFactory(organisation=other_organisation)
    stage = StageFactory(organisation=other_organisation, name="Cutting")
    staged_line_item(order=order, stage=stage, days_in_stage=3, product_name="Not ours")
    board = _board(board_data, order_status="any", swimlane="none")
    assert "Not ours" not in _names(board) and board.count == 7


def test_lateness_uses_the_organisations_time_zone(board_data, organisation):
    now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    board_data.future_order.due_date = dt.date(2026, 3, 1)
    board_data.future_order.save()
    options = board_options(organisation=organisation)

    def late_cards():
        board = stage_board(organisation=organisation, filters=BoardFilters(late=True, swimlane="none"),
                            options=options, now=now)
        return {c.po_number for c in _cards(board)}

    assert "1313" not in late_cards()  # 1 March in UTC: due today, not late
    organisation.time_zone = "Pacific/Kiritimati"  # already 2 March there
    organisation.save()
    assert "1313" in late_cards()


def test_export_rows_have_stage_data(board_data, organisation):
    rows = list(board_export_rows(organisation=organisation, filters=BoardFilters()))
    header, body = rows[0], rows[1:]
    assert "Current stage" in header and len(body) == 6
    by_product = {row[header.index("Product")]: row for row in body}
    stuck = by_product["2470_Eighteen"]
    assert stuck[header.index("Current stage")] == "Sewing"
    assert stuck[header.index("Days in stage")] == 30
    assert stuck[header.index("Late")] == "yes" and stuck[header.index("Stuck")] == "yes"
    assert by_product["Knit Wrap"][header.index("Late")] == "no date"


def test_colour_swatches_only_from_known_words_or_hex():
    assert colour_swatch("Navy Blue") == "#1f2a44"
    assert colour_swatch("#ABC") == "#abc"
    assert colour_swatch("Unicorn") == ""
    assert colour_swatch("red;background:url(x)") == ""


def test_invalid_stage_colour_never_reaches_the_board(board_data, organisation):
    board_data.cutting.colour = "url(x)"  # not a colour; fits the column on PostgreSQL too
    board_data.cutting.save()
    board = _board(board_data)
    cutting = next(c for c in board.columns if c.label == "Cutting")
    assert cutting.colour == "#9ca3af"


def test_p90_samples_are_the_completed_periods_of_the_stage(board_data, organisation):
    # Guard for the p90 sample: removed line items keep their history.
    for days in range(1, 7):
        StagePeriodFactory(
            line_item=board_data.items["no_stages"], stage=board_data.packing, sequence=10 + days, is_current=False,
            start_time=timezone.now() - dt.timedelta(days=days + 1), end_time=timezone.now() - dt.timedelta(days=1),
            status="completed",
        )
    thresholds = stuck_thresholds(organisation=organisation, stages=[board_data.packing])
    assert thresholds[board_data.packing.id].samples == 6


@pytest.mark.parametrize("swimlane", ["manufacturer", "season", "none"])
def test_sparse_cells_get_the_same_cards_by_a_ranked_query(board_data, monkeypatch, swimlane):
    # Enough cards that slices cut; the ranked query (for the subquery filters) must pick exactly what
    # the ranges of the board index pick.
    for n in range(8):
        staged_line_item(order=board_data.future_order, stage=board_data.cutting, days_in_stage=n % 3,
                         product_name=f"Extra {n}")
        staged_line_item(order=board_data.undated_order, stage=board_data.packing, status="completed",
                         days_in_stage=n, product_name=f"Done {n}")

    def picked():
        from django.core.cache import cache

        cache.clear()
        board = _board(board_data, swimlane=swimlane)
        return [[[c.id for c in cell.cards] for cell in lane.cells] for lane in board.lanes]

    dense = picked()
    monkeypatch.setattr("board.selectors.stage_board._by_ranges", lambda filters: False)
    assert picked() == dense


def test_only_runs_that_changed_data_move_the_board_version(organisation):

    base = board_version(organisation=organisation)
    quiet = SyncRun.objects.create(organisation=organisation, kind="production_new", outcome="succeeded",
                                   finished_at=timezone.now())
    assert board_version(organisation=organisation) == base  # a poll that found nothing keeps the cache
    busy = SyncRun.objects.create(organisation=organisation, kind="production_stages", outcome="succeeded",
                                  finished_at=timezone.now(), updated=3)
    assert board_version(organisation=organisation) == busy.pk != quiet.pk


def test_a_sync_that_changed_data_warms_the_default_boards(board_data, organisation, user, django_assert_max_num_queries):
    from django.core.cache import cache

    from board.models import SavedView
    from board.services import board_warm

    SavedView.objects.create(organisation=organisation, user=user, name="Mine", query="group=stage&swimlane=season",
                             is_default=True)
    cache.clear()
    assert board_warm(organisation=organisation) == 2
    assert len(cache._cache) > 0  # the snapshots the first visitor would have computed
