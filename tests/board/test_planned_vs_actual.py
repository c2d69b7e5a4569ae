"""Planned vs actual on the order and line-item pages: projected bars after the actual ones, the due date
on the axis, forecast dates as data attributes and <time> elements, and the history of moved dates."""
import re

import pytest
from django.utils import timezone

from board.selectors.timelines import line_item_timeline, order_detail

pytestmark = pytest.mark.django_db


def test_the_order_timeline_projects_the_stages_still_to_come(forecast_shop):
    late = forecast_shop.items["late"]
    now = timezone.now()
    detail = order_detail(organisation=forecast_shop.organisation, order=late.order, now=now)
    axis = detail.timeline.axis
    (row,) = detail.timeline.rows
    actual = [b for b in row.bars if not b.projected]
    projected = [b for b in row.bars if b.projected]
    assert [b.label for b in actual] == ["Cutting", "Sewing"]
    assert [b.label for b in projected] == ["Sewing", "Packing"]  # the rest of Sewing, then Packing
    assert actual[-1].left + actual[-1].width == pytest.approx(axis.now_left, abs=0.01)
    assert projected[0].left == pytest.approx(axis.now_left, abs=0.01)  # the forecast starts where now is
    for before, after in zip(projected, projected[1:], strict=False):
        assert after.left == pytest.approx(before.left + before.width, abs=0.01)
    for bar in row.bars:
        assert 0 <= bar.left and bar.left + bar.width + bar.whisker_width <= 100.001
    for bar in projected:
        assert bar.whisker_left == pytest.approx(bar.left + bar.width, abs=0.01) and bar.whisker_width > 0
        assert "likely done" in bar.title and "at worst (p90)" in bar.title
    assert axis.due_left is not None and axis.due_left < projected[-1].left + projected[-1].width  # predicted late
    assert (row.forecast_p50, row.forecast_p90) == (late.forecast_arrival_p50, late.forecast_arrival_p90)
    assert detail.forecast.predicted_late and detail.slips.slip_days == 9


def test_the_order_page_draws_it_with_dates_a_machine_reads(logged_in_client, forecast_shop):
    late = forecast_shop.items["late"]
    order = late.order
    html = logged_in_client.get(f"/orders/{order.uphance_id}/").content.decode()
    p50, p90 = late.forecast_arrival_p50.isoformat(), late.forecast_arrival_p90.isoformat()
    rows = re.findall(r'data-forecast-p50="([^"]*)" data-forecast-p90="([^"]*)"', html)
    assert rows == [(p50, p90), (p50, p90)]  # the timeline row and the line-items table row
    assert len(re.findall(r'class="tl-bar is-projected" style="left: [\d.]+%; width: [\d.]+%; --stage: #[0-9a-f]{6}"', html)) == 2
    assert len(re.findall(r'class="tl-whisker"', html)) == 2 and 'class="tl-due"' in html
    assert "Predicted late" in html and "slipped +9 d" in html
    assert f'<time datetime="{order.due_date.isoformat()}">' in html
    first, middle = order.original_due_date, order.date_changes.first().new_date
    dates = [first, middle, order.due_date]
    expected = "Due date moved +9 d twice: " + " → ".join(
        f'<time datetime="{d.isoformat()}">{d.day} {d:%b}</time>' for d in dates)
    assert expected in html
    assert f'likely <time datetime="{p50}">' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # CSP: no inline scripts


def test_the_line_item_page_lists_the_stages_still_to_come(logged_in_client, forecast_shop):
    late = forecast_shop.items["late"]
    detail = line_item_timeline(organisation=forecast_shop.organisation, item=late, now=timezone.now())
    assert [(r.label, r.projected, [b.projected for b in r.bars]) for r in detail.timeline.rows] == [
        ("Cutting", False, [False]), ("Sewing", False, [False, True]), ("Packing", True, [True])]
    html = logged_in_client.get(f"/line-items/{late.uphance_id}/").content.decode()
    assert f'data-forecast-p50="{late.forecast_arrival_p50.isoformat()}"' in html
    packing = late.forecast_stages[-1]
    assert f'likely <time datetime="{packing["p50"]}">' in html
    assert f'<time datetime="{packing["p90"]}">' in html and "at worst (p90)" in html
    assert "Predicted late" in html and "slipped +9 d" in html


def test_an_order_without_a_forecast_draws_no_projection(logged_in_client, board_data):
    html = logged_in_client.get(f"/orders/{board_data.late_order.uphance_id}/").content.decode()
    assert "is-projected" not in html and "tl-whisker" not in html
    assert 'data-forecast-p50="" data-forecast-p90=""' in html
