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
from production.forecasts.services import forecasts_recompute
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


def _history(order, stage, days_list):
    """Completed periods of `stage` at `order`'s factory (line items off the board: history only)."""
    for days in days_list:
        item = staged_line_item(order=order, status="completed", past=[(stage, days)], product_name=f"History {days}")
        item.removed_at = timezone.now()
        item.save()


def test_stuck_is_judged_by_the_factorys_own_speed_unless_a_manager_set_a_threshold(board_data, organisation):
    cutting = board_data.cutting
    _history(board_data.future_order, cutting, range(1, 11))  # Adine cuts in 1..10 days: p90 9.1
    _history(board_data.undated_order, cutting, range(20, 30))  # Kotka takes 20..29: p90 28.1
    forecasts_recompute(organisation=organisation)
    thresholds = stuck_thresholds(organisation=organisation, stages=[cutting, board_data.sewing])
    adine, kotka = board_data.adine.id, board_data.kotka.id
    # Adine's Cutting periods (1..10 days and the board's own 1, 1, 2): p90 8.8 days; Kotka's 28.1.
    assert thresholds.threshold(cutting.id, adine).source == "manufacturer"
    assert thresholds.days(cutting.id, adine) == pytest.approx(8.8)
    assert thresholds.days(cutting.id, kotka) == pytest.approx(28.1)
    assert thresholds.threshold(board_data.sewing.id, adine).source == "manager"
    assert thresholds.days(board_data.sewing.id, kotka) == 10
    staged_line_item(order=board_data.future_order, stage=cutting, days_in_stage=10, product_name="Slow cut")
    staged_line_item(order=board_data.future_order, stage=cutting, days_in_stage=8, product_name="Fine cut")
    staged_line_item(order=board_data.undated_order, stage=cutting, days_in_stage=12, product_name="Kotka cut")
    cards = {c.product_name: c for c in _cards(_board(board_data))}
    assert cards["Slow cut"].stuck and not cards["Fine cut"].stuck
    assert not cards["Kotka cut"].stuck  # 12 days is usual at Kotka
    assert cards["Slow cut"].usual_label == "usual 4–9 d at Adine Undone"
    assert cards["Kotka cut"].usual_label == "usual 25–28 d at Kotka Knits"
    assert _names(_board(board_data, stuck=True)) == ["2470_Eighteen", "Slow cut"]


def test_too_little_history_falls_back_to_a_default(board_data, organisation):
    thresholds = stuck_thresholds(organisation=organisation, stages=[board_data.packing])
    assert thresholds.threshold(board_data.packing.id, board_data.adine.id).source == "default"
    cards = {c.product_name: c for c in _cards(_board(board_data))}
    assert cards["Montblanc Cap"].usual_label == ""  # no "usual" made up from the default


def test_thresholds_are_the_stored_durations_and_move_with_a_recompute(board_data, organisation):
    packing = board_data.packing

    def source():
        version = board_version(organisation=organisation)
        return stuck_thresholds(organisation=organisation, stages=[packing], version=version).threshold(
            packing.id, None).source

    assert source() == "default"
    _history(board_data.future_order, packing, range(1, 8))
    # No request computes statistics: until the forecasts are recomputed, the stored figures stand.
    assert source() == "default"
    before = board_version(organisation=organisation)
    forecasts_recompute(organisation=organisation)
    assert board_version(organisation=organisation) != before
    assert source() == "stage"


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


def test_removed_line_items_keep_their_stage_history_for_the_durations(board_data, organisation):
    for days in range(1, 7):
        StagePeriodFactory(
            line_item=board_data.items["no_stages"], stage=board_data.packing, sequence=20 - days, is_current=False,
            start_time=timezone.now() - dt.timedelta(days=days + 1), end_time=timezone.now() - dt.timedelta(days=1),
            status="completed",
        )
    board_data.items["no_stages"].removed_at = timezone.now()
    board_data.items["no_stages"].save()
    forecasts_recompute(organisation=organisation)
    thresholds = stuck_thresholds(organisation=organisation, stages=[board_data.packing])
    assert thresholds.threshold(board_data.packing.id, None).samples == 6


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


def test_only_runs_that_changed_data_and_forecast_recomputes_move_the_board_version(organisation):
    base = board_version(organisation=organisation)
    assert base == "0.0"
    quiet = SyncRun.objects.create(organisation=organisation, kind="production_new", outcome="succeeded",
                                   finished_at=timezone.now())
    assert board_version(organisation=organisation) == base  # a poll that found nothing keeps the cache
    busy = SyncRun.objects.create(organisation=organisation, kind="production_stages", outcome="succeeded",
                                  finished_at=timezone.now(), updated=3)
    assert board_version(organisation=organisation) == f"{busy.pk}.0" != f"{quiet.pk}.0"
    # The forecasts are written after the sync: their recompute moves the version too.
    forecasts_recompute(organisation=organisation)
    after = board_version(organisation=organisation)
    assert after.startswith(f"{busy.pk}.") and after != f"{busy.pk}.0"


def test_a_sync_that_changed_data_warms_the_default_boards(board_data, organisation, user, django_assert_max_num_queries):
    from django.core.cache import cache

    from board.models import SavedView
    from board.services import board_warm

    SavedView.objects.create(organisation=organisation, user=user, name="Mine", query="group=stage&swimlane=season",
                             is_default=True)
    cache.clear()
    assert board_warm(organisation=organisation) == 2
    assert len(cache._cache) > 0  # the snapshots the first visitor would have computed
