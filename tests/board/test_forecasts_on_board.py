"""Forecasts and slips where people see them: card badges, the board's two filters, the CSV, the home
page, days that never go negative, and a board cache that follows the forecast recompute."""
import csv
import datetime as dt
import io
import re

import pytest
from django.utils import timezone

from board.selectors.cache import board_version
from production.forecasts.services import forecasts_recompute
from production.forecasts.signals import forecasts_recomputed
from tests.support.production_data import staged_line_item

pytestmark = pytest.mark.django_db


def _html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _card(html, name) -> str:
    """The HTML of the card titled `name`."""
    match = re.search(rf'<article class="card[^"]*">(?:(?!</article>).)*?>{re.escape(name)}</a>.*?</article>', html, re.S)
    assert match, name
    return match.group(0)


def _titles(html) -> list[str]:
    return sorted(re.findall(r'class="card-title"[^>]*>([^<]+)</a>', html))


def _csv(client, query="") -> list[dict]:
    response = client.get(f"/board/export.csv?{query}")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_cards_tell_predicted_late_from_at_risk_and_show_the_slip(logged_in_client, forecast_shop):
    items = forecast_shop.items
    html = _html(logged_in_client, "/board/?swimlane=none")
    late = _card(html, "Merino Crew")
    p50 = items["late"].forecast_arrival_p50
    assert f'>Predicted late</span> <span class="eta">likely <time datetime="{p50.isoformat()}">{p50.day} {p50:%b}</time>' in late
    assert "At risk" not in late and "slipped +9 d" in late
    risky = _card(html, "Field Overshirt")
    p90 = items["at_risk"].forecast_arrival_p90
    assert f'>At risk</span> <span class="eta"><time datetime="{p90.isoformat()}">{p90.day} {p90:%b}</time> at worst' in risky
    assert "Predicted late" not in risky
    assert "slipped" not in risky
    calm = _card(html, "Linen Shirt")
    assert "Predicted late" not in calm and "At risk" not in calm and "slipped" not in calm
    # Days in stage against the factory's own usual duration (median–p90 of its finished periods).
    assert re.search(r">1 d · usual 1[0-9]–1[0-9] d at Kotka Knits<", late)
    assert re.search(r">1 d · usual [3-5]–[5-6] d at Bolide<", calm)


@pytest.mark.parametrize(("query", "names"), [
    ("forecast=predicted_late", ["Merino Crew"]),
    ("forecast=at_risk", ["Field Overshirt"]),
    ("slipped=1", ["Merino Crew"]),
    ("forecast=at_risk&slipped=1", []),
])
def test_the_forecast_and_slipped_filters(logged_in_client, forecast_shop, query, names):
    html = _html(logged_in_client, f"/board/?swimlane=none&{query}")
    assert _titles(html) == names
    assert [r["Product"] for r in _csv(logged_in_client, f"swimlane=none&{query}")] == names


def test_a_forecast_filter_the_form_does_not_know_is_dropped_and_reported(logged_in_client, forecast_shop):
    html = _html(logged_in_client, "/board/?swimlane=none&forecast=late_ish")
    assert len(_titles(html)) == 3 and "not understood and are ignored: forecast" in html
    response = logged_in_client.get("/board/?swimlane=none&forecast=predicted_late&slipped=1",
                                    HTTP_HX_REQUEST="true")
    assert response["HX-Push-Url"] == "/board/?group=stage&swimlane=none&forecast=predicted_late&slipped=1"


def test_the_csv_carries_the_forecast_and_the_slip(logged_in_client, forecast_shop):
    rows = {r["Product"]: r for r in _csv(logged_in_client)}
    late = forecast_shop.items["late"]
    row = rows["Merino Crew"]
    assert (row["forecast_state"], row["forecast_arrival_p50"], row["forecast_arrival_p90"]) == (
        "predicted_late", late.forecast_arrival_p50.isoformat(), late.forecast_arrival_p90.isoformat())
    assert row["Slip days"] == "9" and row["Original due date"] == late.order.original_due_date.isoformat()
    assert rows["Field Overshirt"]["forecast_state"] == "at_risk"
    assert rows["Linen Shirt"]["forecast_state"] == "on_track" and rows["Linen Shirt"]["Slip days"] == "0"


def test_no_page_shows_negative_days_for_a_stage_uphance_dates_ahead(logged_in_client, board_data):
    ahead = staged_line_item(order=board_data.future_order, stage=board_data.cutting, days_in_stage=-2.5,
                             product_name="Starts Later")
    board = _html(logged_in_client, "/board/?swimlane=none")
    assert ">starts in 3 d<" in _card(board, "Starts Later")
    order = _html(logged_in_client, f"/orders/{board_data.future_order.uphance_id}/")
    line_item = _html(logged_in_client, f"/line-items/{ahead.uphance_id}/")
    assert "Cutting starts in 3 d" in order and "Cutting starts in 3 d" in line_item
    rows = {r["Product"]: r for r in _csv(logged_in_client, "swimlane=none")}
    assert rows["Starts Later"]["Days in stage"] == "starts in 3 d"
    for page in (board, order, line_item):
        text = re.sub(r"<[^>]+>", " ", page)
        assert not re.search(r"-\s?\d+\s?(d|days?)\b", text), re.search(r".{40}-\s?\d+\s?(d|days?)\b.{20}", text)
        assert "0 seconds" not in text


def test_the_home_page_counts_what_is_predicted_late_and_links_to_it(logged_in_client, forecast_shop):
    html = _html(logged_in_client, "/")
    link = "/board/?group=stage&amp;swimlane=manufacturer&amp;forecast=predicted_late"
    assert re.search(rf'<a href="{re.escape(link)}"[^>]*>1</a>', html)
    assert f'href="{link}">Predicted late (1)</a>' in html
    assert _titles(_html(logged_in_client, link.replace("&amp;", "&"))) == ["Merino Crew"]


def test_a_forecast_recompute_moves_the_cached_board(logged_in_client, forecast_shop, django_capture_on_commit_callbacks):
    url = "/board/?swimlane=none&forecast=predicted_late"
    assert _titles(_html(logged_in_client, url)) == ["Merino Crew"]  # now cached
    before = board_version(organisation=forecast_shop.organisation)
    order = forecast_shop.items["late"].order
    order.due_date = timezone.localdate() + dt.timedelta(days=90)  # Kotka makes it after all
    order.save()
    warmed = []
    forecasts_recomputed.connect(lambda sender, **kw: warmed.append(kw["organisation"]), weak=False, dispatch_uid="t")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            forecasts_recompute(organisation=forecast_shop.organisation, now=forecast_shop.now + dt.timedelta(minutes=5))
    finally:
        forecasts_recomputed.disconnect(dispatch_uid="t")
    assert warmed and board_version(organisation=forecast_shop.organisation) != before
    # The board warms again, and customers relink (the same forecast), once the recompute commits.
    names = [c.__qualname__ for c in callbacks]
    assert any(n.startswith("_board_warm_after_commit") for n in names), names
    assert any(n.startswith("demand_links_rebuild_queue") for n in names), names
    # The cached board follows at once: the data version moved.
    assert _titles(_html(logged_in_client, url)) == []
