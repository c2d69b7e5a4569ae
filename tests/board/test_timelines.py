"""Timelines: an order's and a line item's stages as bars on a shared time axis, with durations."""
import datetime as dt
import re

import pytest
from django.utils import timezone

from board.selectors.timelines import duration_text, line_item_timeline, order_detail
from tests.support.factories import ProductionOrderFactory, StageFactory, StagePeriodFactory
from tests.support.production_data import staged_line_item

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (dt.timedelta(seconds=4), "4 seconds"),
        (dt.timedelta(seconds=1), "1 second"),
        (dt.timedelta(minutes=5), "5 minutes"),
        (dt.timedelta(hours=3), "3 hours"),
        (dt.timedelta(days=6, hours=5), "6 days"),
        (dt.timedelta(hours=30), "30 hours"),
    ],
)
def test_duration_text(delta, text):
    assert duration_text(delta) == text


def test_order_timeline_puts_every_stage_on_one_axis(board_data, organisation):
    now = timezone.now()
    detail = order_detail(organisation=organisation, order=board_data.late_order, now=now)
    axis = detail.timeline.axis
    assert axis.start < now - dt.timedelta(days=32) and axis.end > now
    assert 0 < axis.now_left <= 100 and len(axis.ticks) == 6
    rows = {row.label: row for row in detail.timeline.rows}
    stuck = rows["2470_Eighteen"]
    assert [b.label for b in stuck.bars] == ["Cutting", "Sewing"]
    cutting, sewing = stuck.bars
    assert not cutting.is_current and sewing.is_current
    assert cutting.left < sewing.left and all(0 <= b.left and b.left + b.width <= 100.001 for b in stuck.bars)
    assert sewing.left + sewing.width == pytest.approx(axis.now_left, abs=0.01)
    assert "30 days" in sewing.title and "2 days" in cutting.title
    assert sewing.colour == "#973094"
    assert stuck.headline == "Sewing for 30 days"
    assert [p.duration for p in detail.line_items[0].periods] == ["2 days", "30 days"]
    assert detail.units == 70 and detail.late and detail.days_late == 5


def test_stage_times_out_of_order_still_draw(organisation):
    order = ProductionOrderFactory(organisation=organisation)
    stage = StageFactory(organisation=organisation, name="Cutting", colour="notcolr")
    item = staged_line_item(order=order, status="in_progress", stage=None)
    now = timezone.now()
    StagePeriodFactory(line_item=item, stage=stage, sequence=0, is_current=False, status="completed",
                       start_time=now - dt.timedelta(days=1), end_time=now - dt.timedelta(days=2))
    detail = line_item_timeline(organisation=organisation, item=item, now=now)
    bar = detail.timeline.rows[0].bars[0]
    assert bar.width > 0 and "end before start" in bar.title
    assert bar.colour == "#9ca3af"  # an invalid colour from the API falls back to neutral
    assert "end before the start" in detail.periods[0].note


def test_line_item_without_stages_has_no_axis(board_data, organisation):
    detail = line_item_timeline(organisation=organisation, item=board_data.items["no_stages"])
    assert detail.timeline.axis is None and detail.headline == "No production stages"


def test_order_page(logged_in_client, board_data):
    response = logged_in_client.get("/orders/23670/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("PO 1311", "Adine Undone", "SS26", "Primary warehouse", "Late 5 d", "Sewing for 30 days"):
        assert text in html
    # Sizes, and the Gantt bars positioned by the server.
    assert "<th scope=\"col\">S</th>" in html
    bars = re.findall(r'class="tl-bar[^"]*" style="left: ([\d.]+)%; width: ([\d.]+)%; background-color: (#[0-9a-f]+)', html)
    assert len(bars) == 3 and all(0 <= float(left) <= 100 for left, _, _ in bars)
    assert 'class="tl-now"' in html and "2 days" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_order_without_dates_says_so(logged_in_client, board_data):
    html = logged_in_client.get("/orders/23671/").content.decode()
    assert "No due date" in html and "Not given" in html


def test_line_item_page(logged_in_client, board_data):
    item = board_data.items["stuck"]
    response = logged_in_client.get(f"/line-items/{item.uphance_id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sewing for 30 days" in html and "Stuck" in html and "PO 1311" in html
    assert "Seamline first saw it" in html and "so far" in html
    assert len(re.findall(r'class="tl-bar(?: is-current)?"', html)) == 2


def test_another_organisations_order_or_line_item_is_a_404(logged_in_client, board_data, other_organisation):
    order = ProductionOrderFactory(organisation=other_organisation, uphance_id=777777)
    item = staged_line_item(order=order, status="no_stages")
    assert logged_in_client.get("/orders/777777/").status_code == 404
    assert logged_in_client.get(f"/line-items/{item.uphance_id}/").status_code == 404
    assert logged_in_client.get("/orders/999999999/").status_code == 404


def test_untrusted_notes_are_escaped(logged_in_client, board_data):
    board_data.late_order.notes = "<img src=x onerror=alert(1)>"
    board_data.late_order.save()
    html = logged_in_client.get("/orders/23670/").content.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
