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


def send(*, to, subject="Hello", organisation=None, html="<p>Hi <b>there</b></p>", cc=(), user=None):
    headers = {"X-Seamline-Organisation": str(organisation.pk)} if organisation else {}
    if user is not None:
        headers["X-Seamline-User"] = str(user.pk)
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


@override_settings(EMAIL_BACKEND=OUTBOX)
def test_an_account_with_the_same_address_in_another_organisation_cannot_read_a_summary(
    client, organisation, user, other_organisation
):
    """Addresses are not unique: B's user who shares A's manager's address must not read A's summary."""
    lookalike = UserFactory(username="lookalike", email=user.email.upper())
    MembershipFactory(user=lookalike, organisation=other_organisation, role="admin")
    summary_delivery_send(delivery_id=summary_send_now(summary=make_summary(organisation=organisation, user=user)).id)
    message = OutboxMessage.objects.get()
    assert message.user == user and message.organisation == organisation

    client.force_login(lookalike)
    assert "Daily summary" not in client.get(reverse("outbox")).content.decode()
    for name in ("outbox_message", "outbox_message_html"):
        assert client.get(reverse(name, args=[message.pk])).status_code == 404

    client.force_login(user)
    assert client.get(reverse("outbox_message", args=[message.pk])).status_code == 200


def test_a_users_messages_show_in_the_organisation_they_are_about(client, organisation, user):
    second = OrganisationFactory(name="Southpaw Studio")
    MembershipFactory(user=user, organisation=second, role="viewer")
    send(to=[user.email], subject="Northwind summary", organisation=organisation, user=user)
    send(to=[user.email], subject="Southpaw summary", organisation=second, user=user)
    send(to=[user.email], subject="Your password", user=user)  # about no organisation: always theirs
    client.force_login(user)

    page = client.get(reverse("outbox")).content.decode()
    assert "Northwind summary" in page and "Your password" in page and "Southpaw summary" not in page

    client.post("/organisations/switch/", {"organisation": second.pk})
    page = client.get(reverse("outbox")).content.decode()
    assert "Southpaw summary" in page and "Your password" in page and "Northwind summary" not in page


def test_the_backend_names_the_account_each_copy_is_for(db, organisation, user):
    twin_a = UserFactory(username="twin-a", email="shared@example.test")
    twin_b = UserFactory(username="twin-b", email="shared@example.test")
    MembershipFactory(user=twin_a, organisation=organisation)
    # The header names the account; a second recipient with another address is not that account.
    send(to=[user.email, "someone@example.test"], subject="Named", organisation=organisation, user=user)
    # No header: an address of exactly one account (a member, when there is an organisation) is enough...
    send(to=["shared@example.test"], subject="Member twin", organisation=organisation)
    # ...two accounts with it are not.
    send(to=["shared@example.test"], subject="Either twin")
    send(to=[user.email], subject="No header", organisation=organisation)
    OutboxEmailBackend().send_messages([EmailMultiAlternatives(
        "Unreadable header", "B", "x@localhost", [user.email], headers={"X-Seamline-User": "²"})])
    users = {(m.subject, m.recipient): m.user for m in OutboxMessage.objects.all()}

    assert users[("Named", user.email)] == user and users[("Named", "someone@example.test")] is None
    assert users[("Member twin", "shared@example.test")] == twin_a
    assert users[("Either twin", "shared@example.test")] is None
    assert users[("No header", user.email)] == user and users[("Unreadable header", user.email)] == user
    assert twin_b.pk not in {u.pk for u in users.values() if u}


def test_the_outbox_needs_login(client):
    assert client.get(reverse("outbox")).status_code == 302


@pytest.mark.parametrize("backend", [OUTBOX])
def test_the_outbox_is_a_django_mail_backend(db, backend):
    with override_settings(EMAIL_BACKEND=backend):
        assert mail.send_mail("S", "B", "from@localhost", ["to@example.test"]) == 1
    assert OutboxMessage.objects.get().subject == "S"
