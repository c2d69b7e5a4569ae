"""Issue 12 item 3: a number typed or saved as text ("²", "①", 20 digits) is text, never a 500.

`"²".isdigit()` is true and `int("²")` raises; the board's search (the customers' list: in
tests/customers/test_views.py), the export,
a default saved view, the cache warmer and the summary built on that view all read it now with
integrations.numbers.ascii_int.
"""
import datetime as dt

import pytest
from django.core import mail

from board.models import SavedView
from board.services import board_warm
from summaries.services import summary_create, summary_delivery_send, summary_send_now

pytestmark = pytest.mark.django_db

NOT_NUMBERS = ["²", "¹²³", "①", "٣", "99999999999999999999999"]


@pytest.mark.parametrize("q", NOT_NUMBERS)
@pytest.mark.parametrize("url", ["/board/", "/board/export.csv", "/board/?group=manufacturer&q="])
def test_board_and_export_search_for_digits_that_are_not_ascii(logged_in_client, board_data, url, q):
    sep = "" if url.endswith("q=") else "?q="
    response = logged_in_client.get(f"{url}{sep}{q}")
    assert response.status_code == 200
    if response.streaming:
        b"".join(response.streaming_content)


def test_an_id_in_ascii_digits_still_finds_its_order(logged_in_client, board_data):
    html = logged_in_client.get("/board/?swimlane=none&q=23670").content.decode()
    assert "2470_Eighteen" in html and "Knit Wrap" not in html


def test_a_default_saved_view_with_such_a_search_opens_warms_and_mails(logged_in_client, board_data, user):
    view = SavedView.objects.create(organisation=board_data.organisation, user=user, name="Odd", query="q=²",
                                    is_default=True)
    # The board opens the default view…
    response = logged_in_client.get("/board/", follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0] == "/board/?q=%C2%B2"
    # …the cache warmer computes it after a sync…
    assert board_warm(organisation=board_data.organisation) == 2
    # …and the summary scoped by it is built and sent.
    summary = summary_create(organisation=board_data.organisation, user=user, kind="daily",
                             local_time=dt.time(8), time_zone="UTC", saved_view=view)
    delivery = summary_delivery_send(delivery_id=summary_send_now(summary=summary).id)
    assert delivery.status == "sent" and len(mail.outbox) == 1


def test_live_refresh_with_a_version_that_is_not_ascii(logged_in_client, board_data):
    assert logged_in_client.get("/board/live/?v=²").status_code == 200
