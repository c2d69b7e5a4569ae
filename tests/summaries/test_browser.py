"""The HTML summary as a mail client shows it: a Chromium screenshot kept as a test artifact."""

import pytest

from summaries.services import summary_message_build, summary_send_now
from tests.summaries.test_services import make_summary, summary_data_set
from tests.support.factories import LineItemFactory


@pytest.mark.browser
@pytest.mark.parametrize("width", [720, 390])
def test_summary_email_screenshot(organisation, user, artifacts_dir, settings, width, monkeypatch, chromium_browser):
    settings.SEAMLINE_BASE_URL = "https://seamline.example"
    data = summary_data_set(organisation=organisation)
    for n, colour in enumerate(["Navy", "Cream", "Olive", "Rust"]):  # a busier Sewing column for the picture
        LineItemFactory(order=data["items"]["moved"].order, product_name=f"Field Overshirt {n}", colour=colour,
                        units=30, has_stages=True, stage_status="in_progress",
                        current_stage=data["stages"]["sewing"], current_stage_started_at=data["now"])
    summary = make_summary(organisation=organisation, user=user)
    message = summary_message_build(delivery=summary_send_now(summary=summary), now=data["now"])
    html = next(content for content, mimetype in message.alternatives if mimetype == "text/html")

    browser = chromium_browser
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
