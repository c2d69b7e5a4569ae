"""Summaries stop for people who left the organisation or were deactivated; admins see and stop everyone's."""
import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from summaries.models import Summary, SummaryDelivery
from summaries.selectors import summaries_due
from summaries.services import summary_deliveries_claim_due, summary_delivery_send, summary_send_now
from tests.summaries.test_services import make_summary
from tests.support.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = SummaryDelivery.Status


def due_users(now):
    return sorted(summary.user.username for summary, _ in summaries_due(now=now))


def test_only_active_members_summaries_are_due(organisation, user):
    leaver = UserFactory(username="leaver")
    MembershipFactory(user=leaver, organisation=organisation)
    deactivated = UserFactory(username="deactivated")
    MembershipFactory(user=deactivated, organisation=organisation)
    elsewhere = UserFactory(username="elsewhere")  # a member of another organisation only
    MembershipFactory(user=elsewhere, organisation=OrganisationFactory(name="Other"))
    for person in (user, leaver, deactivated, elsewhere):
        make_summary(organisation=organisation, user=person)
    # Left without their summaries being switched off (e.g. a membership row removed by SQL).
    Membership.objects.filter(user=leaver).update(organisation=OrganisationFactory(name="New job"))
    deactivated.is_active = False
    deactivated.save()

    assert due_users(timezone.now()) == ["manager"]
    assert [d.summary.user.username for d in summary_deliveries_claim_due(now=timezone.now())] == ["manager"]


def test_a_delivery_claimed_before_its_user_was_deactivated_is_not_sent(organisation, user):
    make_summary(organisation=organisation, user=user)
    [delivery] = summary_deliveries_claim_due(now=timezone.now())
    user.is_active = False
    user.save()

    delivery = summary_delivery_send(delivery_id=delivery.id)

    assert mail.outbox == []
    assert delivery.status == Status.GAVE_UP
    assert delivery.error == "Not sent: manager is deactivated."


def test_a_send_now_for_someone_who_left_is_not_sent(organisation, user):
    summary = make_summary(organisation=organisation, user=user)
    delivery = summary_send_now(summary=summary)
    Membership.objects.filter(user=user).delete()

    delivery = summary_delivery_send(delivery_id=delivery.id)

    assert mail.outbox == []
    assert delivery.status == Status.GAVE_UP
    assert delivery.error == "Not sent: manager is no longer a member of Northwind Apparel."


def test_a_retry_after_leaving_is_not_sent(organisation, user):
    summary = make_summary(organisation=organisation, user=user)
    delivery = summary_send_now(summary=summary)
    SummaryDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.FAILED, attempts=1, next_attempt_at=timezone.now() - dt.timedelta(minutes=1)
    )
    Membership.objects.filter(user=user).delete()

    [retry] = summary_deliveries_claim_due(now=timezone.now())
    assert summary_delivery_send(delivery_id=retry.id).status == Status.GAVE_UP
    assert mail.outbox == []


def test_removing_a_membership_switches_off_its_summaries_there_only(organisation, user):
    second = OrganisationFactory(name="Southpaw Studio")
    MembershipFactory(user=user, organisation=second)
    here = make_summary(organisation=organisation, user=user)
    there = make_summary(organisation=second, user=user)

    Membership.objects.get(user=user, organisation=organisation).delete()

    here.refresh_from_db()
    there.refresh_from_db()
    assert not here.enabled and there.enabled


# --- the admins' section on /summaries/ ---------------------------------------------------------

@pytest.fixture
def member_summary(organisation):
    member = UserFactory(username="member", first_name="Mira", last_name="Member")
    MembershipFactory(user=member, organisation=organisation, role="viewer")
    return make_summary(organisation=organisation, user=member)


def test_admins_see_every_members_summaries_of_their_organisation(client, admin_user, member_summary):
    outsider = UserFactory(username="outsider")
    other = OrganisationFactory(name="Other Brand")
    MembershipFactory(user=outsider, organisation=other)
    hidden = make_summary(organisation=other, user=outsider)
    client.force_login(admin_user)

    page = client.get(reverse("summaries")).content.decode()

    assert "Everyone's summaries in Northwind Apparel" in page
    assert "Mira Member" in page and f'data-summary-id="{member_summary.pk}"' in page
    assert "outsider" not in page and f'data-summary-id="{hidden.pk}"' not in page
    assert reverse("summary_switch_off", args=[member_summary.pk]) in page


def test_an_admin_switches_off_a_members_summary(client, admin_user, member_summary):
    client.force_login(admin_user)

    response = client.post(reverse("summary_switch_off", args=[member_summary.pk]), follow=True)

    assert response.status_code == 200
    assert "Switched off member&#x27;s summary" in response.content.decode()
    member_summary.refresh_from_db()
    assert not member_summary.enabled
    assert summaries_due(now=timezone.now()) == []


@pytest.mark.parametrize("role", ["viewer", "manager"])
def test_viewers_and_managers_neither_see_nor_switch_off_others_summaries(client, organisation, member_summary, role):
    colleague = UserFactory(username=f"colleague-{role}")
    MembershipFactory(user=colleague, organisation=organisation, role=role)
    client.force_login(colleague)

    assert "Everyone's summaries" not in client.get(reverse("summaries")).content.decode()
    assert client.post(reverse("summary_switch_off", args=[member_summary.pk])).status_code == 403
    member_summary.refresh_from_db()
    assert member_summary.enabled


def test_an_admin_of_another_organisation_cannot_switch_it_off(client, member_summary):
    admin = UserFactory(username="other-admin")
    MembershipFactory(user=admin, organisation=OrganisationFactory(name="Other Brand"), role="admin")
    client.force_login(admin)

    assert client.post(reverse("summary_switch_off", args=[member_summary.pk])).status_code == 404
    assert Summary.objects.get(pk=member_summary.pk).enabled


def test_the_admins_list_says_whose_summaries_cannot_go_out(client, organisation, admin_user, member_summary):
    member_summary.user.is_active = False
    member_summary.user.save()
    client.force_login(admin_user)

    assert "Account deactivated: not sent" in client.get(reverse("summaries")).content.decode()
