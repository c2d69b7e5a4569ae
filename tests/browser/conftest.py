"""Browser fixtures: Debian's Chromium driven by Playwright's sync API, logged in to the live server."""

import pytest
from django.test import Client


@pytest.fixture
def browser_page(chromium_browser, live_server, transactional_db, user):
    """A page of a fresh browser context at 1280×800, logged in as the manager."""
    client = Client()
    client.force_login(user)
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors
    yield page
    context.close()
