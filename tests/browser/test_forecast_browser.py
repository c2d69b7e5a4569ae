"""Forecasts in Chromium at 1280 and 390 px: a card with predicted-late and slip badges, an order timeline
with projected bars. The screenshots are kept as artifacts (var/test-artifacts/forecast-*.png)."""
import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 390]


def _inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (inner["x"] >= outer["x"] - slack and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack)


def _no_negative_days(page):
    text = page.locator("main").inner_text()
    assert not re.search(r"-\s?\d+\s?d\b", text), text


@pytest.mark.parametrize("width", WIDTHS)
def test_a_card_with_predicted_late_and_slip_badges(browser_page, forecast_shop, artifacts_dir, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/board/?group=stage&swimlane=none&forecast=predicted_late")
    card = page.locator("article.card", has_text="Merino Crew")
    card.scroll_into_view_if_needed()
    card.screenshot(path=str(artifacts_dir / f"forecast-card-{width}.png"))
    page.screenshot(path=str(artifacts_dir / f"forecast-board-{width}.png"), full_page=True)
    badge = card.locator(".badge-predicted")
    assert badge.inner_text() == "Predicted late"
    assert re.fullmatch(r"Predicted late likely \d+ \w{3}", card.locator(".forecast").inner_text())
    assert card.locator(".badge-slip").inner_text() == "slipped +9 d"
    assert re.fullmatch(r"1 d · usual \d+–\d+ d at Kotka Knits", card.locator(".days").inner_text())
    # Nothing spills out of the card: every badge sits inside it, the footer does not scroll.
    box = card.bounding_box()
    for locator in (badge, card.locator(".forecast"), card.locator(".badge-slip"), card.locator(".days")):
        assert _inside(locator.bounding_box(), box), locator
    foot = card.locator(".card-foot")
    assert foot.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), foot.evaluate(
        "el => [el.scrollWidth, el.clientWidth, ...[...el.children].map(c => c.className + ':' + c.scrollWidth + '/' + c.clientWidth)]")
    _no_negative_days(page)
    assert page.js_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_an_order_timeline_with_projected_bars(browser_page, forecast_shop, artifacts_dir, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    order = forecast_shop.items["late"].order
    page.goto(f"/orders/{order.uphance_id}/")
    page.locator(".timeline").screenshot(path=str(artifacts_dir / f"forecast-timeline-{width}.png"))
    page.screenshot(path=str(artifacts_dir / f"forecast-order-{width}.png"), full_page=True)
    row = page.locator(".timeline .tl-row[data-line-item]")
    assert row.get_attribute("data-forecast-p50") == forecast_shop.items["late"].forecast_arrival_p50.isoformat()
    track = row.locator(".tl-track").bounding_box()
    projected = row.locator(".tl-bar.is-projected")
    assert projected.count() == 2
    actual_end = max(b["x"] + b["width"] for b in (row.locator(".tl-bar:not(.is-projected)").nth(i).bounding_box()
                                                    for i in range(row.locator(".tl-bar:not(.is-projected)").count())))
    for i in range(projected.count()):
        bar = projected.nth(i).bounding_box()
        assert _inside(bar, track) and bar["x"] >= actual_end - 2  # after the actual bars, on the axis
        whisker = row.locator(".tl-whisker").nth(i).bounding_box()
        assert _inside(whisker, track) and abs(whisker["x"] - (bar["x"] + bar["width"])) <= 2
    # The axis labels do not run into each other.
    labels = [page.locator(sel).bounding_box() for sel in (".tl-now-label", ".tl-due-label")]
    assert labels[0]["y"] + labels[0]["height"] <= labels[1]["y"] + 1
    assert "Due date moved +9 d twice" in page.locator(".date-moves").inner_text()
    _no_negative_days(page)

    page.locator(".timeline a", has_text="Merino Crew").click()
    page.wait_for_url("**/line-items/*/")
    page.screenshot(path=str(artifacts_dir / f"forecast-line-item-{width}.png"), full_page=True)
    assert page.locator(".tl-row.is-projected").count() == 1  # Packing, still to come
    assert page.locator("tr.is-projected").count() == 2  # the rest of Sewing, and Packing
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # wide tables scroll in place
    _no_negative_days(page)
    assert page.js_errors == []
