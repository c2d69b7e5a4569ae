"""The board in Chromium: filter, swimlanes, show more, live refresh, saved views, timelines, no-JS.

Each screen is kept as a PNG in the artifacts directory.
"""
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from production.sync.models import SyncRun
from tests.support.production_data import staged_line_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def busy_board(board_data):
    """The known board plus enough Cutting cards at Adine Undone for a "show more"."""
    for n, colour in enumerate(["Navy", "Cream", "Olive", "Rust", "Black", "Sky Blue"]):
        staged_line_item(order=board_data.late_order, stage=board_data.cutting, days_in_stage=n + 2, units=20 + n,
                         product_name=f"Field Overshirt {n}", colour=colour, product_identifier=f"FO-{100 + n}")
    return board_data


def _shot(page, artifacts_dir, name):
    page.screenshot(path=str(artifacts_dir / f"board-{name}.png"), full_page=True)


def _totals(page) -> str:
    return page.locator("#board-totals").inner_text()


def test_board_filter_swimlanes_and_show_more(browser_page, busy_board, artifacts_dir, live_server):
    page = browser_page
    page.goto("/board/")
    assert page.locator(".column-name").all_inner_texts() == ["Not started", "Cutting", "Sewing", "Packing",
                                                             "No stages"]
    assert "12 line items" in _totals(page)
    _shot(page, artifacts_dir, "1-stage-board")

    # Filter: the season dropdown; htmx swaps the board and pushes the URL.
    page.locator("#filter-season summary").click()
    page.get_by_label("SS26").check()
    page.wait_for_url(re.compile(r"season=\d+"))
    expect(page.locator("#board-totals")).to_contain_text("8 line items")
    assert page.locator("#filter-season").evaluate("el => el.open")  # the dropdown stays open
    _shot(page, artifacts_dir, "2-filtered")
    page.keyboard.press("Escape")

    # Swimlanes by season: URL and lanes change, the filter stays.
    page.locator("label.seg-option", has_text="Season").click()
    page.wait_for_url(re.compile(r"swimlane=season"))
    assert "season=" in page.url
    assert page.locator(".lane-name").all_inner_texts() == ["SS26"]
    _shot(page, artifacts_dir, "3-swimlanes-season")

    # Show more: the Cutting cell of the lane has 7 cards, 3 shown first.
    cutting = page.locator(".lane .cell").nth(1)
    assert cutting.locator("article.card").count() == 3
    cutting.locator("a.show-more").click()
    expect(cutting.locator("article.card")).to_have_count(7)
    # Keyboard focus moves to the first card that came in.
    expect(cutting.locator("a.card-title").nth(3)).to_be_focused()
    _shot(page, artifacts_dir, "4-show-more")
    assert page.js_errors == []


def test_manufacturer_board_and_order_timeline(browser_page, busy_board, artifacts_dir):
    page = browser_page
    page.goto("/board/?group=manufacturer")
    assert page.locator(".column-name").all_inner_texts() == ["Adine Undone", "Kotka Knits"]
    assert page.locator(".segbar .seg").count() >= 4
    _shot(page, artifacts_dir, "5-manufacturer-board")

    page.get_by_role("link", name="PO 1311").click()
    page.wait_for_url("**/orders/23670/")
    assert page.locator(".tl-bar").count() >= 3
    assert page.locator(".tl-now").first.is_visible()
    title = page.locator(".tl-bar.is-current").first.get_attribute("title")
    assert "30 days" in title or "days" in title
    _shot(page, artifacts_dir, "6-order-timeline")

    page.get_by_role("link", name="2470_Eighteen").first.click()
    page.wait_for_url("**/line-items/*/")
    assert "Sewing for 30 days" in page.locator(".li-headline").inner_text()
    _shot(page, artifacts_dir, "7-line-item-timeline")
    assert page.js_errors == []


def test_save_a_view_and_reopen_it(browser_page, busy_board, artifacts_dir):
    page = browser_page
    page.goto(f"/board/?group=stage&swimlane=none&manufacturer={busy_board.kotka.id}")
    assert "2 line items" in _totals(page)
    page.locator("#saved-views-manage summary").click()
    page.get_by_label("Name").fill("Kotka knits")
    page.get_by_label("Open it by default").check()
    page.get_by_role("button", name="Save view").click()
    page.wait_for_url(re.compile(r"manufacturer="))
    assert page.locator(".view-chip.is-current").inner_text().startswith("Kotka knits")
    _shot(page, artifacts_dir, "8-saved-view")

    page.goto("/board/?group=stage&swimlane=manufacturer")
    assert "12 line items" in _totals(page)
    page.get_by_role("link", name=re.compile("Kotka knits")).first.click()
    page.wait_for_url(re.compile(r"manufacturer="))
    assert "2 line items" in _totals(page)
    # The default view opens on a bare /board/.
    page.goto("/board/")
    assert "manufacturer=" in page.url and "2 line items" in _totals(page)


def test_live_refresh_after_a_sync_keeps_filters_and_scroll(browser_page, busy_board, artifacts_dir, settings):
    settings.SEAMLINE_BOARD_POLL_SECONDS = 1
    page = browser_page
    page.set_viewport_size({"width": 900, "height": 800})
    page.goto("/board/?group=stage&swimlane=none&late=1")
    assert "8 line items" in _totals(page)
    page.evaluate("document.querySelector('[data-board-scroll]').scrollLeft = 150")
    staged_line_item(order=busy_board.late_order, stage=busy_board.sewing, days_in_stage=1,
                     product_name="Arrived with the sync")
    SyncRun.objects.create(organisation=busy_board.organisation, kind="production_open", outcome="succeeded",
                           finished_at=timezone.now(), created=1)
    expect(page.get_by_text("Arrived with the sync")).to_be_visible(timeout=15_000)
    expect(page.locator("#board-totals")).to_contain_text("9 line items")
    assert "late=1" in page.url
    assert page.evaluate("document.querySelector('[data-board-scroll]').scrollLeft") == 150
    _shot(page, artifacts_dir, "9-live-refresh")
    assert page.js_errors == []


def test_the_board_works_without_javascript(chromium_browser, live_server, busy_board, user, artifacts_dir):
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url,
                                           java_script_enabled=False)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto("/board/?swimlane=manufacturer")
        page.select_option("#id_stage_status", "in_progress")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(re.compile(r"stage_status=in_progress"))
        assert "9 line items" in _totals(page)
        page.locator("a.show-more").first.click()
        page.wait_for_url(re.compile(r"/board/column/"))
        assert page.locator("article.card").count() >= 1
        _shot(page, artifacts_dir, "10-no-js-column-page")
    finally:
        context.close()


def test_keyboard_reaches_filters_cards_and_show_more(browser_page, busy_board):
    page = browser_page
    page.goto("/board/")
    reached = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("(document.activeElement.className || document.activeElement.tagName) + ''"))
    assert {"card-title", "show-more"} <= reached
    assert any("INPUT" in r or r == "" for r in reached) or "SUMMARY" in reached


def test_wide_screen(browser_page, busy_board, artifacts_dir):
    page = browser_page
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto("/board/")
    # The columns share the width: no sideways scrolling on a wide screen.
    assert page.evaluate("document.querySelector('[data-board-scroll]').scrollWidth") <= 1920
    _shot(page, artifacts_dir, "11-wide")
