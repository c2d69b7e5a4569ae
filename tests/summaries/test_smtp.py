"""A summary delivered through Django's SMTP backend to a real SMTP server on loopback, then parsed back."""
import email
import email.policy
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from django.test import Client, override_settings
from django.utils import timezone

from summaries.models import SummaryDelivery
from summaries.services import summary_deliveries_claim_due, summary_delivery_send
from tests.summaries.test_services import make_summary, summary_data_set

pytestmark = pytest.mark.smtp


class Collector:
    """aiosmtpd handler keeping every envelope; can refuse a recipient for good."""

    def __init__(self):
        self.envelopes = []
        self.refuse = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1", EMAIL_PORT=controller.port, EMAIL_USE_TLS=False, EMAIL_USE_SSL=False,
            EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD="", EMAIL_TIMEOUT=10,
        ):
            yield handler
    finally:
        controller.stop()


def test_a_summary_goes_through_smtp_with_both_parts_and_an_unsubscribe_link(
    smtp_server, organisation, user, settings
):
    settings.SEAMLINE_BASE_URL = "http://testserver"
    summary_data_set(organisation=organisation)
    make_summary(organisation=organisation, user=user)
    (delivery,) = summary_deliveries_claim_due(now=timezone.now())
    delivery = summary_delivery_send(delivery_id=delivery.id)
    assert delivery.status == SummaryDelivery.Status.SENT

    (envelope,) = smtp_server.envelopes
    assert envelope.rcpt_tos == ["manager@example.test"]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert "Daily summary · Northwind Apparel" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "WHERE PRODUCTION IS" in text and "Harbor Linen Shirt" in text
    assert "Where production is" in html and "Harbor Linen Shirt" in html
    assert "<script" not in html.lower()
    assert "http://testserver/summaries/unsubscribe/" in text

    # The unsubscribe link in the header works without login (RFC 8058 one-click POST).
    unsubscribe = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert unsubscribe in html and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    response = Client(enforce_csrf_checks=True).post(unsubscribe.removeprefix("http://testserver"))
    assert response.status_code == 200
    delivery.summary.refresh_from_db()
    assert not delivery.summary.enabled


def test_a_recipient_refused_by_the_server_is_logged_on_the_delivery(smtp_server, organisation, user):
    smtp_server.refuse.add("manager@example.test")
    make_summary(organisation=organisation, user=user)
    (delivery,) = summary_deliveries_claim_due(now=timezone.now())
    delivery = summary_delivery_send(delivery_id=delivery.id)
    assert delivery.status == SummaryDelivery.Status.GAVE_UP
    assert "550" in delivery.error and "Mailbox unavailable" in delivery.error
    assert smtp_server.envelopes == []


def test_an_unreachable_server_is_retried_later(organisation, user):
    port = _free_port()  # nothing listens here
    make_summary(organisation=organisation, user=user)
    now = timezone.now()
    (delivery,) = summary_deliveries_claim_due(now=now)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                           EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, EMAIL_TIMEOUT=5):
        delivery = summary_delivery_send(delivery_id=delivery.id, now=now)
    assert delivery.status == SummaryDelivery.Status.FAILED
    assert "ConnectionRefusedError" in delivery.error
    assert delivery.next_attempt_at is not None
