"""The board, its CSV export and the e-mail summary judge one data set alike: the same late and stuck line items."""
import datetime as dt

import pytest

from board.models import SavedView
from board.selectors.export import board_export_rows
from board.selectors.filters import BoardFilters, board_options
from board.selectors.stage_board import stage_board
from production.models import Stage
from summaries.selectors import summary_content
from summaries.services import summary_create
from tests.support.factories import ManufacturerFactory, ProductionOrderFactory, StageFactory
from tests.support.production_data import staged_line_item

pytestmark = pytest.mark.django_db

# 12:00 UTC on 10 March is already 02:00 on 11 March where the organisation is (UTC+14); the
# reader of the e-mail is in London, where it is still the 10th. Dates are judged where the
# organisation is, on the board and in the e-mail alike.
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
ORG_TODAY = dt.date(2026, 3, 11)


@pytest.fixture
def scene(organisation, clear_cache):
    organisation.time_zone = "Pacific/Kiritimati"
    organisation.save()
    cutting = StageFactory(organisation=organisation, name="Cutting", position=0)  # no history: 14 days
    sewing = StageFactory(organisation=organisation, name="Sewing", position=1, stuck_after_days=10)
    maker = ManufacturerFactory(organisation=organisation, name="Bolide")

    def order(**dates):
        return ProductionOrderFactory(organisation=organisation, manufacturer=maker, season=None, **dates)

    def item(name, order, **stage):
        return staged_line_item(order=order, now=NOW, product_name=name, **stage)

    late = order(due_date=ORG_TODAY - dt.timedelta(days=5))
    due_yesterday_there = order(due_date=dt.date(2026, 3, 10))  # late there, "today" in London
    moved_later = order(due_date=ORG_TODAY - dt.timedelta(days=5), in_warehouse_date=ORG_TODAY + dt.timedelta(days=9))
    undated = order(due_date=None, in_warehouse_date=None)
    received = order(due_date=ORG_TODAY - dt.timedelta(days=30), delivery_status="all_received")
    cancelled = order(due_date=ORG_TODAY - dt.timedelta(days=30), status="cancelled")
    future = order(due_date=ORG_TODAY + dt.timedelta(days=40))
    item("Late and stuck", late, stage=sewing, days_in_stage=30)
    item("Late in Cutting", late, stage=cutting, days_in_stage=2)
    item("Late by a day there", due_yesterday_there, stage=cutting, days_in_stage=1)
    item("Moved in-warehouse date", moved_later, stage=sewing, days_in_stage=3)
    item("No date", undated, stage=cutting, days_in_stage=20)  # stuck after Cutting's default 14 days
    item("Received", received, stage=sewing, days_in_stage=40, status="completed")
    item("Cancelled", cancelled, stage=sewing, days_in_stage=40)
    item("Sewing 10 days", future, stage=sewing, days_in_stage=10)  # exactly the threshold: not yet
    item("Sewing 11 days", future, stage=sewing, days_in_stage=11)
    item("Done sewing", future, stage=sewing, days_in_stage=30, status="completed")  # done is never stuck
    item("Not started", future, stage=cutting, status="not_started")
    return organisation


LATE = {"Late and stuck", "Late in Cutting", "Late by a day there"}
STUCK = {"Late and stuck", "No date", "Sewing 11 days"}


def _board_names(organisation, **filters):
    board = stage_board(organisation=organisation, filters=BoardFilters(swimlane="none", **filters),
                        options=board_options(organisation=organisation), now=NOW)
    names = {card.product_name for lane in board.lanes for cell in lane.cells for card in cell.cards}
    return board.count, names


def _csv(organisation, query=BoardFilters()):
    header, *rows = list(board_export_rows(organisation=organisation, filters=query, now=NOW))
    return [dict(zip(header, row, strict=True)) for row in rows]


def _summary(organisation, user, query=""):
    view = SavedView.objects.create(organisation=organisation, user=user, name="View", query=query) if query else None
    summary = summary_create(organisation=organisation, user=user, kind="daily", local_time=dt.time(8),
                             time_zone="Europe/London", saved_view=view)
    return summary_content(summary=summary, window_start=NOW - dt.timedelta(days=1), window_end=NOW, now=NOW)


def test_board_csv_and_summary_flag_the_same_line_items_late_and_stuck(scene, user):
    organisation = scene
    late_count, late_cards = _board_names(organisation, late=True)
    stuck_count, stuck_cards = _board_names(organisation, stuck=True)
    assert (late_count, late_cards) == (len(LATE), LATE)
    assert (stuck_count, stuck_cards) == (len(STUCK), STUCK)
    # The same cards on the unfiltered board carry the badges.
    board = stage_board(organisation=organisation, filters=BoardFilters(swimlane="none"),
                        options=board_options(organisation=organisation), now=NOW)
    cards = [card for lane in board.lanes for cell in lane.cells for card in cell.cards]
    assert {c.product_name for c in cards if c.late} == LATE
    assert {c.product_name for c in cards if c.stuck} == STUCK

    rows = _csv(organisation)
    assert {r["Product"] for r in rows} == {c.product_name for c in cards}
    assert {r["Product"] for r in rows if r["Late"] == "yes"} == LATE
    assert {r["Product"] for r in rows if r["Stuck"] == "yes"} == STUCK
    assert {r["Product"] for r in rows if r["Late"] == "no date"} == {"No date"}

    content = _summary(organisation, user)
    assert content["totals"]["cards"] == board.count == len(rows)
    assert (content["late_count"], {r["product"] for r in content["late"]}) == (len(LATE), LATE)
    assert (content["stuck_count"], {r["product"] for r in content["stuck"]}) == (len(STUCK), STUCK)
    days_late = {r["product"]: r["days_late"] for r in content["late"]}
    assert days_late == {"Late and stuck": 5, "Late in Cutting": 5, "Late by a day there": 1}


def test_a_saved_view_narrows_all_three_alike(scene, user):
    organisation = scene
    sewing = Stage.objects.get(organisation=organisation, name="Sewing")
    query = f"group=stage&swimlane=none&stage={sewing.pk}"
    filters = BoardFilters(swimlane="none", stages=(sewing.pk,))
    _count, on_board = _board_names(organisation, stages=(sewing.pk,))
    rows = _csv(organisation, filters)
    content = _summary(organisation, user, query)
    assert {r["Product"] for r in rows} == on_board
    assert content["totals"]["cards"] == len(rows) == len(on_board)
    assert {r["product"] for r in content["stuck"]} == {r["Product"] for r in rows if r["Stuck"] == "yes"} == (
        STUCK & on_board)
    assert {r["product"] for r in content["late"]} == {r["Product"] for r in rows if r["Late"] == "yes"} == (
        LATE & on_board)
