"""Debian's Chromium driven by Playwright's sync API, for every browser test (never `playwright install`)."""
import contextlib
import os

from tests.conftest import require_in_ci

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@contextlib.contextmanager
def chromium():
    """A headless Chromium; skips (fails in CI) where Debian's chromium is not installed."""
    if not os.path.exists(CHROMIUM):
        require_in_ci(f"{CHROMIUM} is missing (apt-get install chromium)")
    # Playwright's sync API keeps an event loop in this thread; Django's ORM refuses to run in a
    # thread with a running loop unless told that this is deliberate.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
