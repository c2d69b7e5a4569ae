import pytest

from accounts.middleware import SESSION_KEY
from tests.support.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_a_member_of_several_organisations_switches_between_them(client, user, organisation):
    second = OrganisationFactory(name="Southpaw Studio")
    MembershipFactory(user=user, organisation=second, role="viewer")
    client.force_login(user)

    assert "<h1>Northwind Apparel</h1>" in client.get("/").content.decode()  # first by name

    response = client.post("/organisations/switch/", {"organisation": second.pk}, follow=True)
    page = response.content.decode()
    assert client.session[SESSION_KEY] == second.pk
    assert "<h1>Southpaw Studio</h1>" in page
    assert "Now working in Southpaw Studio" in page


def test_switching_to_an_organisation_you_are_not_in_is_refused(client, user, organisation, other_organisation):
    client.force_login(user)

    response = client.post("/organisations/switch/", {"organisation": other_organisation.pk}, follow=True)

    assert SESSION_KEY not in client.session
    page = response.content.decode()
    assert "You are not a member of that organisation" in page
    assert "<h1>Northwind Apparel</h1>" in page


def test_the_role_follows_the_current_organisation(client, user, organisation):
    second = OrganisationFactory(name="Southpaw Studio")
    MembershipFactory(user=user, organisation=second, role="admin")
    client.force_login(user)

    assert client.get("/settings/uphance/").status_code == 403  # manager in Northwind
    client.post("/organisations/switch/", {"organisation": second.pk})
    assert client.get("/settings/uphance/").status_code == 200  # admin in Southpaw


@pytest.mark.parametrize("value", ["12345678901234567890123", "²", "-1", "1e3", ""])
def test_an_organisation_id_that_is_not_a_database_id_is_a_message_not_a_500(client, user, organisation, value):
    client.force_login(user)

    response = client.post("/organisations/switch/", {"organisation": value}, follow=True)

    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert "You are not a member of that organisation" in response.content.decode()
