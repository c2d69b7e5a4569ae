"""The Django admin of the Uphance connection: staff cannot read the webhook secret or repoint the tokens."""
import pytest
from django.urls import reverse

from accounts.models import UphanceConnection
from tests.support.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(organisation):
    return UphanceConnection.objects.create(
        organisation=organisation, api_url="https://api.uphance.com", account_email="ops@northwind.test",
        uphance_organisation_id=35802, access_token="bearer-token", refresh_token="refresh-token",
    )


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    return client


def test_the_change_page_never_shows_the_webhook_secret_or_tokens(staff_client, connection):
    page = staff_client.get(reverse("admin:accounts_uphanceconnection_change", args=[connection.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert connection.webhook_secret not in html
    assert "bearer-token" not in html and "refresh-token" not in html
    assert 'name="webhook_secret"' not in html


def test_staff_cannot_point_a_stored_token_at_another_host_or_organisation(staff_client, connection, organisation):
    elsewhere = OrganisationFactory(name="Elsewhere")
    url = reverse("admin:accounts_uphanceconnection_change", args=[connection.pk])
    html = staff_client.get(url).content.decode()
    assert 'name="api_url"' not in html and 'name="organisation"' not in html

    response = staff_client.post(url, {
        "api_url": "https://attacker.example", "organisation": elsewhere.pk, "webhook_secret": "known",
        "uphance_organisation_id": 1, "status": "disconnected", "status_message": "Paused by staff",
    })

    assert response.status_code == 302  # the editable fields were saved

    connection.refresh_from_db()
    assert connection.api_url == "https://api.uphance.com"
    assert connection.organisation == organisation
    assert connection.webhook_secret != "known" and connection.uphance_organisation_id == 35802
    assert connection.status == "disconnected" and connection.status_message == "Paused by staff"
