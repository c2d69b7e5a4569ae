"""The board's rollup of counts (board.models.BoardCount / BoardOrderCount, board.selectors.rollup): the same
counts as counting the line items, for every facet filter; never read when it is not of the current data
version or when a filter is beyond its facets; rebuilt after a sync that changed data."""
import datetime as dt
import itertools
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from board.models import BoardCount, BoardRollup
from board.selectors.cache import board_version
from board.selectors.filters import BoardFilters, board_options, line_items_filtered
from board.selectors.home import organisation_overview
from board.selectors.manufacturer_board import manufacturer_board
from board.selectors.rollup import (
    rollup_cell_counts,
    rollup_maker_counts,
    rollup_overview,
    rollup_serves,
)
from board.selectors.stage_board import _cell_counts, stage_board
from board.services import board_rollup_rebuild
from production.bench_data import bench_organisation_build
from production.forecasts.services import forecasts_recompute
from production.models import LineItem, Manufacturer, Season, Stage, Warehouse
from production.sync.engine import sync_run as production_sync
from production.sync.models import SyncRun
from tests.support.sandbox import sandbox_client

pytestmark = pytest.mark.django_db
CLOCK = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def big(clear_cache):
    organisation, _facts = bench_organisation_build(orders=80, seed=3, name="Rollup")
    forecasts_recompute(organisation=organisation)  # forecast states for the forecast facet
    return organisation


def _facet_filters(organisation):
    makers = list(Manufacturer.objects.filter(organisation=organisation).values_list("id", flat=True)[:3])
    seasons = list(Season.objects.filter(organisation=organisation).values_list("id", flat=True)[:2])
    houses = list(Warehouse.objects.filter(organisation=organisation).values_list("id", flat=True)[:2])
    stages = list(Stage.objects.filter(organisation=organisation).values_list("id", flat=True)[:2])
    yield BoardFilters()
    for swimlane, status in itertools.product(("manufacturer", "season", "none"),
                                              ("", "pending", "in_progress", "no_stages")):
        yield BoardFilters(swimlane=swimlane, stage_status=status)
        yield BoardFilters(swimlane=swimlane, stage_status=status, manufacturers=tuple(makers[:2]),
                           seasons=(seasons[0],))
        yield BoardFilters(swimlane=swimlane, stage_status=status, warehouses=(houses[0],), stages=tuple(stages))
    yield BoardFilters(manufacturers=(makers[2],), seasons=tuple(seasons), warehouses=tuple(houses))
    for forecast in ("predicted_late", "at_risk"):
        yield BoardFilters(forecast=forecast)
        yield BoardFilters(forecast=forecast, swimlane="season", stage_status="pending", manufacturers=tuple(makers))


def _live_cells(organisation, filters, lane_field, version):
    items = line_items_filtered(organisation=organisation, filters=filters)
    return _cell_counts(organisation=organisation, items=items, filters=filters, lane_field=lane_field,
                        version=version, today=None, thresholds=None, rollup=False)


def test_the_rollup_counts_what_counting_the_line_items_counts_for_every_facet_filter(big):
    built = board_rollup_rebuild(organisation=big)
    version = board_version(organisation=big)
    assert built.version == version and built.rows > 0
    checked = 0
    for filters in _facet_filters(big):
        for lane_field in ("order_manufacturer_id", "order_season_id", None):
            rolled = rollup_cell_counts(organisation=big, filters=filters, lane_field=lane_field, version=version)
            assert rolled == _live_cells(big, filters, lane_field, version), (filters, lane_field)
            checked += 1
    assert checked > 30


def test_the_manufacturer_boards_counts_from_the_rollup_are_its_own(big):
    board_rollup_rebuild(organisation=big)
    version = board_version(organisation=big)
    options = board_options(organisation=big)
    seasons = tuple(Season.objects.filter(organisation=big).values_list("id", flat=True)[:2])
    for filters in (BoardFilters(group="manufacturer"), BoardFilters(group="manufacturer", seasons=seasons)):
        rolled = rollup_maker_counts(organisation=big, filters=filters, version=version)
        assert rolled is not None
        BoardRollup.objects.all().delete()  # the same board, counted from the line items
        live = manufacturer_board(organisation=big, filters=filters, options=options, version="live")
        board_rollup_rebuild(organisation=big)
        from_rollup = manufacturer_board(organisation=big, filters=filters, options=options, version=version)
        assert sorted(rolled) == sorted((int(c.key[2:]) if c.key != "m-none" else None, c.orders, c.items, c.units)
                                        for c in live.columns)
        assert [(c.key, c.orders, c.items, c.units) for c in from_rollup.columns] == [
            (c.key, c.orders, c.items, c.units) for c in live.columns]
    # A line-item facet: orders do not add up over it, so the board counts its line items.
    for filters in (BoardFilters(group="manufacturer", stage_status="in_progress"),
                    BoardFilters(group="manufacturer", forecast="predicted_late")):
        assert rollup_maker_counts(organisation=big, filters=filters, version=version) is None


def test_the_home_pages_figures_from_the_rollup_are_the_ones_counted_from_the_line_items(big):
    live = organisation_overview(organisation=big)
    board_rollup_rebuild(organisation=big)
    assert rollup_overview(organisation=big, version=board_version(organisation=big)) is not None
    rolled = organisation_overview(organisation=big)
    assert rolled == live
    assert live["line_items"] == LineItem.objects.filter(organisation=big, is_open=True).count() > 0
    assert live["predicted_late"] > 0


@pytest.mark.parametrize("filters", [
    BoardFilters(q="sweater"), BoardFilters(late=True), BoardFilters(stuck=True), BoardFilters(waiting=True),
    BoardFilters(at_risk=True), BoardFilters(slipped=True),
    BoardFilters(order_status="any"), BoardFilters(delivery_status="receiving"),
])
def test_filters_beyond_the_facets_are_never_read_from_the_rollup(big, filters):
    board_rollup_rebuild(organisation=big)
    assert not rollup_serves(filters)
    assert rollup_cell_counts(organisation=big, filters=filters, lane_field=None,
                              version=board_version(organisation=big)) is None


def test_a_rollup_of_another_data_version_is_not_read_and_the_board_counts_the_line_items(big):
    board_rollup_rebuild(organisation=big)
    before = board_version(organisation=big)
    BoardCount.objects.filter(organisation=big).update(line_items=999_999)  # what a stale rollup would say
    assert rollup_cell_counts(organisation=big, filters=BoardFilters(), lane_field=None, version=before)
    SyncRun.objects.create(organisation=big, kind=SyncRun.Kind.PRODUCTION_OPEN, finished_at=timezone.now(),
                           outcome=SyncRun.Outcome.SUCCEEDED, updated=1)  # a sync changed data since
    after = board_version(organisation=big)
    assert after != before
    assert rollup_cell_counts(organisation=big, filters=BoardFilters(), lane_field=None, version=after) is None
    board = stage_board(organisation=big, filters=BoardFilters(), options=board_options(organisation=big),
                        version=after)
    assert board.count == line_items_filtered(organisation=big, filters=BoardFilters()).count()


def test_the_command_rebuilds_every_organisations_rollup_stamped_with_its_version(big, organisation, capsys):
    call_command("board_rollup_rebuild")
    stamps = dict(BoardRollup.objects.values_list("organisation_id", "version"))
    assert stamps == {big.pk: board_version(organisation=big), organisation.pk: board_version(organisation=organisation)}
    assert f"{big.pk} {big.name}:" in capsys.readouterr().out


@pytest.fixture
def sandbox():
    from integrations.uphance.sandbox import SandboxServer

    with SandboxServer(orders=40, seed=4, time_speed=0, clock_start=CLOCK) as server:
        yield server


def test_a_sync_that_changed_data_rebuilds_the_rollup_and_the_board_reads_it(
    logged_in_client, organisation, sandbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        production_sync(organisation=organisation, kind=SyncRun.Kind.PRODUCTION_FULL, client=sandbox_client(sandbox))
    # production_synced, then forecasts_recomputed: the board's warm task (eager in tests) rebuilt it.
    stamp = BoardRollup.objects.get(organisation=organisation)
    assert stamp.version == board_version(organisation=organisation) and stamp.rows > 0
    live = line_items_filtered(organisation=organisation, filters=BoardFilters()).count()
    every_state = BoardCount.objects.filter(organisation=organisation, forecast_state__isnull=True)
    assert sum(every_state.values_list("line_items", flat=True)) == live
    html = logged_in_client.get("/board/?group=stage&swimlane=none").content.decode()
    counts = [int(n.replace(",", "")) for n in re.findall(r'<span class="column-stats"><strong>([\d,]+)</strong>', html)]
    assert sum(counts) == live
