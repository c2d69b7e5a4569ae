"""The summary e-mail's "newly predicted late": line items the forecast turned late since the last summary."""
import datetime as dt

import pytest

from summaries.selectors import summary_content
from summaries.services import summary_message_build, summary_send_now
from tests.summaries.test_services import make_summary, parts

pytestmark = pytest.mark.django_db


def test_the_summary_lists_what_became_predicted_late_in_its_window(forecast_shop, user, settings):
    settings.SEAMLINE_BASE_URL = "https://seamline.example"
    late = forecast_shop.items["late"]
    assert late.predicted_late_since == forecast_shop.now
    summary = make_summary(organisation=forecast_shop.organisation, user=user)
    now = forecast_shop.now + dt.timedelta(hours=2)
    delivery = summary_send_now(summary=summary, now=now)
    assert delivery.window_start < late.predicted_late_since < delivery.window_end
    text, html = parts(summary_message_build(delivery=delivery, now=now))

    p50, due = late.forecast_arrival_p50, late.order.due_date
    after = (p50 - due).days
    assert "NEWLY PREDICTED LATE (1)" in text
    assert (f"- Merino Crew · Navy (PO 2001, Kotka Knits): likely in the warehouse {p50:%a} {p50.day} {p50:%b}"
            in text)
    assert f"expected {due:%a} {due.day} {due:%b} ({after} day{'s' if after != 1 else ''} after)" in text
    assert "forecast=predicted_late" in text
    assert "Newly predicted late (1)" in html and "Merino Crew" in html
    assert f"likely {p50:%a} {p50.day} {p50:%b}" in html
    assert "Field Overshirt" not in html.split("Newly predicted late")[1].split("Orders due in the next")[0]  # at risk only

    # The next summary's window starts after it: no longer news.
    content = summary_content(summary=summary, window_start=now, window_end=now + dt.timedelta(days=1),
                              now=now + dt.timedelta(days=1))
    assert content["predicted_late_count"] == 0 and content["predicted_late"] == []
