"""The HTML summary as a mail client shows it: a Chromium screenshot kept as a test artifact."""
import contextlib
import os

import pytest

from production.services.summaries import summary_message_build, summary_send_now
from tests.conftest import require_in_ci
from tests.factories import LineItemFactory
from tests.production.test_summaries import make_summary, summary_data_set

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@contextlib.contextmanager
def chromium():
    """Chromium via Playwright's sync API. It runs an event loop, so do database work before."""
    if not os.path.exists(CHROMIUM):
        require_in_ci(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [720, 390])
def test_summary_email_screenshot(organisation, user, artifacts_dir, settings, width, monkeypatch):
    settings.SEAMLINE_BASE_URL = "https://seamline.example"
    monkeypatch.setattr("production.selectors.summaries._at_risk_selector", lambda: None)
    data = summary_data_set(organisation=organisation)
    for n, colour in enumerate(["Navy", "Cream", "Olive", "Rust"]):  # a busier Sewing column for the picture
        LineItemFactory(order=data["items"]["moved"].order, product_name=f"Field Overshirt {n}", colour=colour,
                        units=30, has_stages=True, stage_status="in_progress",
                        current_stage=data["stages"]["sewing"], current_stage_started_at=data["now"])
    summary = make_summary(organisation=organisation, user=user)
    message = summary_message_build(delivery=summary_send_now(summary=summary), now=data["now"])
    html = next(content for content, mimetype in message.alternatives if mimetype == "text/html")

    with chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": 900}, java_script_enabled=False)
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.set_content(html)
        path = artifacts_dir / f"summary-email-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        # Nothing remote to fetch, and the layout fits the window (no sideways scrolling).
        assert [url for url in requests if not url.startswith(("about:", "data:"))] == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.get_by_text("Where production is").is_visible()
        assert page.get_by_text("Harbor Linen Shirt").is_visible()
    assert path.stat().st_size > 10_000
