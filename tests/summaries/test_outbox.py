"""The local outbox: the embedded default's mail backend keeps messages, and /outbox/ shows them safely."""
import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import override_settings
from django.urls import reverse

from summaries.mail import OutboxEmailBackend
from summaries.models import OutboxMessage
from summaries.services import summary_delivery_send, summary_send_now
from tests.summaries.test_services import make_summary
from tests.support.factories import MembershipFactory, OrganisationFactory, UserFactory

OUTBOX = "summaries.mail.OutboxEmailBackend"


def send(*, to, subject="Hello", organisation=None, html="<p>Hi <b>there</b></p>", cc=()):
    headers = {"X-Seamline-Organisation": str(organisation.pk)} if organisation else {}
    message = EmailMultiAlternatives(subject, "Hi there", "Seamline <seamline@localhost>", to, cc=list(cc),
                                     headers=headers)
    if html:
        message.attach_alternative(html, "text/html")
    return OutboxEmailBackend().send_messages([message])


def test_the_backend_keeps_one_row_per_recipient_with_both_parts(db, organisation):
    assert send(to=["a@example.test", "b@example.test"], cc=["c@example.test"], organisation=organisation) == 1
    rows = OutboxMessage.objects.order_by("recipient")
    assert [r.recipient for r in rows] == ["a@example.test", "b@example.test", "c@example.test"]
    row = rows[0]
    assert row.subject == "Hello" and row.text_body == "Hi there" and row.html_body == "<p>Hi <b>there</b></p>"
    assert row.organisation == organisation and row.from_email == "Seamline <seamline@localhost>"
    assert "multipart/alternative" in row.raw


def test_an_unknown_organisation_header_is_ignored(db):
    message = EmailMultiAlternatives("S", "B", "x@localhost", ["a@example.test"],
                                     headers={"X-Seamline-Organisation": "99999"})
    OutboxEmailBackend().send_messages([message])
    assert OutboxMessage.objects.get().organisation is None


@override_settings(EMAIL_BACKEND=OUTBOX)
def test_a_summary_sent_on_the_embedded_default_appears_in_the_outbox(logged_in_client, organisation, user):
    summary = make_summary(organisation=organisation, user=user)
    summary_delivery_send(delivery_id=summary_send_now(summary=summary).id)
    message = OutboxMessage.objects.get()
    assert message.recipient == "manager@example.test" and message.organisation == organisation
    page = logged_in_client.get(reverse("outbox")).content.decode()
    assert "Daily summary · Northwind Apparel" in page
    detail = logged_in_client.get(reverse("outbox_message", args=[message.pk])).content.decode()
    assert '<iframe class="outbox-frame" sandbox=""' in detail
    assert reverse("outbox_message_html", args=[message.pk]) in detail
    assert "WHERE PRODUCTION IS" in detail  # the plain-text part, escaped in a <pre>


def test_the_html_part_is_served_alone_with_a_strict_policy(logged_in_client, user):
    send(to=[user.email], html='<p>Hi</p><script>alert(1)</script><img src="https://tracker.example/x.gif">')
    message = OutboxMessage.objects.get()
    response = logged_in_client.get(reverse("outbox_message_html", args=[message.pk]))
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "frame-ancestors 'self'" in policy
    assert "script-src" not in policy  # falls back to default-src 'none'
    assert "https:" not in policy  # no remote images
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Referrer-Policy"] == "no-referrer"


def test_text_and_subject_are_escaped_on_the_pages(logged_in_client, user):
    send(to=[user.email], subject="<script>alert('s')</script>", html="")
    message = OutboxMessage.objects.get()
    message.text_body = "<img src=x onerror=alert(1)>"
    message.save()
    listing = logged_in_client.get(reverse("outbox")).content.decode()
    detail = logged_in_client.get(reverse("outbox_message", args=[message.pk])).content.decode()
    for html in (listing, detail):
        assert "<script>alert('s')" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in detail and "&lt;img src=x" in detail
    assert "<iframe" not in detail  # no HTML part, no frame


def test_users_see_their_own_messages_only(client, organisation, user):
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, organisation=organisation, role="manager")
    send(to=[user.email], subject="Mine")
    send(to=[colleague.email], subject="Colleague's summary", organisation=organisation)
    send(to=[colleague.email], subject="Password reset for colleague")
    client.force_login(user)
    page = client.get(reverse("outbox")).content.decode()
    assert "Mine" in page and "Colleague" not in page
    theirs = OutboxMessage.objects.get(subject="Colleague's summary")
    assert client.get(reverse("outbox_message", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("outbox_message_html", args=[theirs.pk])).status_code == 404


def test_admins_also_see_their_organisations_summaries_but_not_private_mail(client, organisation, admin_user):
    member = UserFactory(username="member")
    MembershipFactory(user=member, organisation=organisation, role="viewer")
    elsewhere = OrganisationFactory(name="Elsewhere")
    send(to=[member.email], subject="Member summary", organisation=organisation)
    send(to=[member.email], subject="Member password reset")
    send(to=["x@elsewhere.test"], subject="Other organisation summary", organisation=elsewhere)
    client.force_login(admin_user)
    page = client.get(reverse("outbox")).content.decode()
    assert "Member summary" in page
    assert "password reset" not in page and "Other organisation" not in page


def test_the_outbox_needs_login(client):
    assert client.get(reverse("outbox")).status_code == 302


@pytest.mark.parametrize("backend", [OUTBOX])
def test_the_outbox_is_a_django_mail_backend(db, backend):
    with override_settings(EMAIL_BACKEND=backend):
        assert mail.send_mail("S", "B", "from@localhost", ["to@example.test"]) == 1
    assert OutboxMessage.objects.get().subject == "S"
