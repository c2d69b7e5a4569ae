import pytest
from django.urls import reverse

from accounts.middleware import SESSION_KEY
from accounts.models import Membership, Organisation, UphanceConnection
from accounts.services import uphance_connect
from production.sync.models import SyncRun
from tests.support.factories import MembershipFactory, OrganisationFactory, UserFactory

from .conftest import MULTI, SOLO

pytestmark = pytest.mark.django_db

URL = "/settings/uphance/"


def test_settings_url_is_named_settings_uphance():
    assert reverse("settings_uphance") == URL


@pytest.mark.parametrize("fixture", ["viewer_user", "user"])
def test_viewers_and_managers_get_403(client, request, fixture):
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(URL).status_code == 403
    assert client.post(URL, SOLO).status_code == 403
    assert client.post(reverse("settings_uphance_disconnect")).status_code == 403
    assert not UphanceConnection.objects.exists()


def test_admin_sees_the_connect_form(admin_client_org):
    page = admin_client_org.get(URL)
    assert page.status_code == 200
    assert b'name="password"' in page.content
    assert b"not connected to Uphance yet" in page.content


def test_one_organisation_connects_and_starts_the_first_full_sync(admin_client_org, organisation, uphance_at):
    response = admin_client_org.post(URL, SOLO)

    assert response.status_code == 302
    connection = UphanceConnection.objects.get(organisation=organisation)
    assert connection.is_usable and connection.uphance_organisation_id == 35802
    run = SyncRun.objects.get(organisation=organisation)
    assert (run.kind, run.trigger) == ("production_full", "connect")
    # Progress is shown on the sync page when there is one, else on the settings page.
    follow = admin_client_org.get(response.url)
    assert follow.status_code == 200
    assert b"The first full sync has started" in follow.content
    # The password is nowhere in the session.
    assert SOLO["password"] not in str(dict(admin_client_org.session))


def test_several_organisations_ask_which_then_connect_the_choice(client, uphance_at):
    # A superuser with no organisation yet bootstraps Seamline through the wizard.
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)

    response = client.post(URL, MULTI)
    assert response.status_code == 302 and response.url == URL
    assert not Organisation.objects.exists()
    # Between the steps the session holds the login encrypted: no e-mail, no token, no password.
    assert "sandbox" not in str(dict(client.session))

    page = client.get(URL).content.decode()
    assert "Northwind Apparel" in page and "Southpaw Studio" in page

    response = client.post(reverse("settings_uphance_choose"), {"uphance_organisation_id": "35803"})
    assert response.status_code == 302
    organisation = Organisation.objects.get()
    assert (organisation.uphance_id, organisation.name) == (35803, "Southpaw Studio")
    assert Membership.objects.get(user=root, organisation=organisation).role == "admin"
    assert client.session[SESSION_KEY] == organisation.pk
    assert "uphance_pending_login" not in client.session
    assert SyncRun.objects.filter(organisation=organisation, trigger="connect").exists()


def test_a_choice_without_a_pending_login_asks_again(admin_client_org, uphance_at):
    response = admin_client_org.post(reverse("settings_uphance_choose"), {"uphance_organisation_id": "35803"})
    assert response.status_code == 302
    assert b"has expired" in admin_client_org.get(URL).content
    assert not UphanceConnection.objects.exists()


def test_cancel_drops_the_pending_login(admin_client_org, uphance_at):
    admin_client_org.post(URL, MULTI)
    admin_client_org.post(reverse("settings_uphance_choose"), {"cancel": "1"})
    assert "uphance_pending_login" not in admin_client_org.session
    assert b"Which organisation" not in admin_client_org.get(URL).content


def test_wrong_password_shows_an_error_and_stores_nothing(admin_client_org, organisation, uphance_at):
    response = admin_client_org.post(URL, {"email": SOLO["email"], "password": "nope"})

    assert response.status_code == 400
    assert b"Uphance rejected that e-mail or password" in response.content
    assert b"nope" not in response.content  # the password field is never rendered back
    assert not UphanceConnection.objects.exists()
    assert not SyncRun.objects.exists()


def test_an_organisation_of_other_admins_is_not_taken_over(admin_client_org, organisation, uphance_at):
    MembershipFactory(organisation=OrganisationFactory(name="Southpaw Studio", uphance_id=35803), role="admin")
    admin_client_org.post(URL, MULTI)

    response = admin_client_org.post(reverse("settings_uphance_choose"), {"uphance_organisation_id": "35803"})

    assert response.status_code == 400
    assert b"ask one of its admins" in response.content
    assert not UphanceConnection.objects.exists()


def test_disconnect_deletes_the_tokens_and_the_page_says_so(admin_client_org, organisation, sandbox_server):
    uphance_connect(api_url=sandbox_server.url, **SOLO)

    response = admin_client_org.post(reverse("settings_uphance_disconnect"))

    assert response.status_code == 302
    connection = UphanceConnection.objects.get(organisation=organisation)
    assert connection.status == "disconnected" and connection.access_token == ""
    page = admin_client_org.get(URL).content.decode()
    assert "Disconnected" in page and "Reconnect" in page


def test_settings_page_shows_the_webhook_url_and_can_rotate_it(admin_client_org, organisation, sandbox_server):
    uphance_connect(api_url=sandbox_server.url, **SOLO)
    secret = UphanceConnection.objects.get(organisation=organisation).webhook_secret

    assert f"/webhooks/uphance/{secret}/" in admin_client_org.get(URL).content.decode()
    admin_client_org.post(reverse("settings_uphance_webhook_rotate"))
    assert UphanceConnection.objects.get(organisation=organisation).webhook_secret != secret


def test_reconnect_after_reconnect_needed_makes_it_usable_again(admin_client_org, organisation, uphance_at):
    uphance_connect(api_url=uphance_at.url, **SOLO)
    UphanceConnection.objects.filter(organisation=organisation).update(status="reconnect_needed")
    assert b"can no longer refresh" in admin_client_org.get("/").content

    admin_client_org.post(URL, SOLO)

    assert UphanceConnection.objects.get(organisation=organisation).is_usable
    assert b"can no longer refresh" not in admin_client_org.get("/").content
