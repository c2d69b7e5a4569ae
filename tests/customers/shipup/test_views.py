"""The Shipup preview (managers) and settings (admins) pages, and the push log partial of the customer page."""
import json

import pytest
from django.template.loader import render_to_string

from customers.shipup.models import ShipupPush, ShipupSettings
from customers.shipup.selectors import shipup_logs_attach
from customers.shipup.services import shipup_payload_for
from tests.customers.shipup.factories import ChannelFactory, waiting_order
from tests.support.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PREVIEW = "/customers/shipup/"
SETTINGS = "/customers/shipup/settings/"


def test_the_preview_shows_the_exact_json_the_status_and_why(organisation, logged_in_client):
    so = waiting_order(organisation, stage_name="Sewing", order_number="P-9")
    payload, status, reason, _ = shipup_payload_for(sales_order=so)

    page = logged_in_client.get(PREVIEW)

    assert page.status_code == 200
    html = page.content.decode()
    assert "SO P-9" in html and status == "in_production"
    assert '<span class="shipup-status shipup-status-in_production">in_production</span>' in html
    assert reason.replace("&", "&amp;") in html
    pretty = json.dumps(payload, indent=2, ensure_ascii=False).replace('"', "&quot;")
    assert pretty in html  # the very JSON, escaped
    assert "Would be sent" in html
    assert "Nothing is sent while pushes are off" in html  # off by default


def test_the_preview_escapes_what_came_from_uphance(organisation, logged_in_client):
    waiting_order(organisation, order_number="<img src=x onerror=alert(1)>")

    html = logged_in_client.get(PREVIEW).content.decode()

    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_preview_finds_an_order_by_number_and_serves_the_htmx_partial(organisation, logged_in_client):
    waiting_order(organisation, sku=1, order_number="FIND-ME")
    waiting_order(organisation, sku=2, order_number="OTHER")

    page = logged_in_client.get(PREVIEW, {"q": "find"}, HTTP_HX_REQUEST="true")

    html = page.content.decode()
    assert "SO FIND-ME" in html and "SO OTHER" not in html
    assert "<html" not in html and 'id="shipup-plans"' in html


def test_viewers_cannot_see_the_preview_and_managers_cannot_change_settings(organisation, client, viewer_user, user):
    client.force_login(viewer_user)
    assert client.get(PREVIEW).status_code == 403
    client.force_login(user)  # a manager
    assert client.get(PREVIEW).status_code == 200
    assert client.get(SETTINGS).status_code == 403
    assert client.post(SETTINGS, {"enabled": "on"}).status_code == 403
    assert not ShipupSettings.objects.exists()


def test_an_admin_switches_pushes_on_for_chosen_channels(organisation, other_organisation, admin_client_org):
    retail = ChannelFactory(organisation=organisation, name="Retail")
    ChannelFactory(organisation=organisation, name="Wholesale")
    foreign = ChannelFactory(organisation=other_organisation, name="Not yours")

    page = admin_client_org.get(SETTINGS)
    assert "Retail" in page.content.decode() and "Not yours" not in page.content.decode()

    answer = admin_client_org.post(SETTINGS, {"enabled": "on", "channels": [retail.pk]})
    assert answer.status_code == 302
    settings = ShipupSettings.objects.get(organisation=organisation)
    assert settings.enabled and list(settings.channels.all()) == [retail]

    # Another organisation's channel is not a choice.
    answer = admin_client_org.post(SETTINGS, {"enabled": "on", "channels": [foreign.pk]})
    assert answer.status_code == 200 and "errorlist" in answer.content.decode()
    assert list(settings.channels.all()) == [retail]

    admin_client_org.post(SETTINGS, {})
    settings.refresh_from_db()
    assert not settings.enabled and not settings.channels.exists()


def test_a_paused_organisation_shows_why_on_the_preview(organisation, logged_in_client):
    ShipupSettings.objects.create(
        organisation=organisation, enabled=True, paused_status=401,
        paused_reason="Shipup rejected the API key (401): it is missing or invalid. "
                      "Pushes stop for this organisation until it is fixed.",
    )

    html = logged_in_client.get(PREVIEW).content.decode()

    assert "Pushes to Shipup are paused" in html
    assert "Shipup rejected the API key (401)" in html
    assert "An admin needs to fix the Shipup account" in html


def test_the_push_log_partial_shows_each_push_for_the_customer_page(organisation, django_assert_num_queries):
    so = waiting_order(organisation)
    payload, status, reason, _ = shipup_payload_for(sales_order=so)
    for outcome, error in (("failed", "Shipup answered 503 to POST /v2/orders — Seamline tries again later."),
                           ("sent", "")):
        ShipupPush.objects.create(
            organisation=organisation, sales_order=so, outcome=outcome, status_code=status, reason=reason,
            flags=["missing_email"], payload_hash="h", payload=payload, error=error,
            response_status=503 if error else 201,
        )
    shipup_logs_attach(sales_orders=[so])

    with django_assert_num_queries(0):
        html = render_to_string("customers/shipup/_log.html", {"sales_order": so})

    assert html.count('<td title="') == 2  # one row per push
    assert "Failed, will retry" in html and "HTTP 503" in html
    assert "No contact e-mail: sent without it" in html
    assert render_to_string("customers/shipup/_log.html", {"sales_order": waiting_order(organisation, sku=9)}).strip() == ""


def test_a_user_of_another_organisation_never_sees_these_orders(organisation, other_organisation, client):
    waiting_order(organisation, order_number="MINE")
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, organisation=other_organisation, role="admin")
    client.force_login(stranger)

    html = client.get(PREVIEW).content.decode()

    assert "MINE" not in html
