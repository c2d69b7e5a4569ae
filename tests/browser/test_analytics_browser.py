"""Analytics and the board on a past day in Chromium, at 1280 and at 390 px: charts drawn (SVG),
tables beside them, filters through htmx into the URL, no script errors (the CSP allows no inline
script). Every screen is kept as a PNG in the artifacts directory."""
import re

import pytest
from playwright.sync_api import expect

from tests.support.history_data import build_history, day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"wide": {"width": 1280, "height": 900}, "narrow": {"width": 390, "height": 844}}


@pytest.fixture
def history(organisation):
    return build_history(organisation)


def _shot(page, artifacts_dir, name):
    page.screenshot(path=str(artifacts_dir / f"analytics-{name}.png"), full_page=True)


def _charts_drawn(page, count=None):
    charts = page.locator("[data-chart]")
    expect(charts.first.locator("svg").first).to_be_attached()
    drawn = page.evaluate("Array.from(document.querySelectorAll('[data-chart]')).filter(e => e.querySelector('svg')).length")
    if count is not None:
        assert drawn == count
    return drawn


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_analytics_page_at_both_widths(browser_page, history, artifacts_dir, width):
    page = browser_page
    page.set_viewport_size(WIDTHS[width])
    pages = [
        ("manufacturers", "/analytics/manufacturers/", 1),
        ("manufacturer", f"/analytics/manufacturers/{history.adine.id}/", 2),
        ("stages", "/analytics/stages/", 1),
        ("stages-by-manufacturer", "/analytics/stages/?by=manufacturer", 1),
        ("flow", "/analytics/flow/", 3),
        ("forecasts", "/analytics/forecasts/", 2),
    ]
    for name, url, charts in pages:
        page.goto(url)
        _charts_drawn(page, charts)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} scrolls sideways at {width}"
        _shot(page, artifacts_dir, f"{name}-{width}")
    assert page.js_errors == []


def test_filters_go_through_htmx_into_the_url_and_charts_redraw(browser_page, history, artifacts_dir):
    page = browser_page
    page.goto("/analytics/manufacturers/")
    expect(page.locator("#scorecards tbody tr").first).to_contain_text("Adine Undone")
    page.locator("#id_window").select_option("365")
    page.wait_for_url(re.compile(r"window=365"))
    expect(page.locator("#scorecards")).to_contain_text("Lone Loom")
    expect(page.locator("tr[data-manufacturer-id] td").nth(1)).to_have_text("5")  # Adine: 5 POs in a year
    _charts_drawn(page, 1)
    page.locator("#afilter-manufacturer summary").click()
    page.get_by_label("Kotka Knits").check()
    page.wait_for_url(re.compile(r"manufacturer=\d+"))
    expect(page.locator("#scorecards tbody tr")).to_have_count(1)
    _shot(page, artifacts_dir, "filtered")
    # The subnav keeps the filters.
    page.get_by_role("link", name="Days per stage").click()
    page.wait_for_url(re.compile(r"/analytics/stages/\?window=365&manufacturer=\d+"))
    _charts_drawn(page, 1)
    assert page.js_errors == []


def test_flow_switches_between_units_and_line_items(browser_page, history, artifacts_dir):
    page = browser_page
    page.goto("/analytics/flow/")
    page.get_by_role("button", name="Line items").first.click()
    expect(page.locator("#cfd-chart")).to_have_attribute("data-measure", "line_items")
    _charts_drawn(page, 3)
    page.locator(".table-details summary").click()
    expect(page.locator("#flow-table")).to_contain_text("2 · 30")  # T-30: a1 and a2 in Sewing
    _shot(page, artifacts_dir, "flow-line-items")
    assert page.js_errors == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_board_on_a_past_day(browser_page, history, artifacts_dir, width):
    page = browser_page
    page.set_viewport_size(WIDTHS[width])
    page.goto("/board/")
    page.locator("#as-of-pick").fill(day(30).isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(rf"as_of={day(30).isoformat()}"))
    expect(page.locator("#as-of-banner")).to_contain_text("The board as it was at the end of")
    expect(page.locator("#board-totals")).to_contain_text("3 line items")
    _shot(page, artifacts_dir, f"board-as-of-{width}")
    page.locator("#as-of-since").fill(day(45).isoformat())
    page.locator("#as-of-banner").get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"since="))
    expect(page.locator("#as-of-changes tr[data-column=\"Sewing\"]")).to_contain_text("+2")
    # A filter keeps the past day (the date travels with the board's own filter form).
    if width == "wide":
        page.locator("#filter-stage summary").click()
        page.get_by_role("checkbox", name="Sewing").check()
        page.wait_for_url(re.compile(r"stage=\d+"))
        assert f"as_of={day(30).isoformat()}" in page.url
        expect(page.locator("#board-totals")).to_contain_text("2 line items")
    _shot(page, artifacts_dir, f"board-as-of-changes-{width}")
    assert page.js_errors == []
