import logging

import pytest
from django.db import connection as db_connection

from accounts.models import Organisation, UphanceConnection
from accounts.services import (
    ConnectError,
    UphanceLogin,
    UphanceNotConnected,
    uphance_client_for,
    uphance_connect,
    uphance_connection_mark_reconnect_needed,
    uphance_disconnect,
    uphance_login,
)
from integrations.uphance.errors import AuthExpired, InvalidCredentials

from .conftest import MULTI, SOLO

pytestmark = pytest.mark.django_db


def raw_tokens(organisation) -> tuple[str, str]:
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM accounts_uphanceconnection WHERE organisation_id = %s",
            [organisation.pk],
        )
        return cursor.fetchone()


def test_connect_with_one_organisation_creates_it_with_encrypted_tokens(sandbox_server):
    result = uphance_connect(api_url=sandbox_server.url, **SOLO)

    assert not result.needs_choice
    organisation = result.organisation
    assert (organisation.uphance_id, organisation.name) == (35802, "Northwind Apparel")
    connection = UphanceConnection.objects.get(organisation=organisation)
    assert connection.status == "connected" and connection.is_usable
    assert connection.uphance_organisation_id == 35802
    assert connection.account_email == SOLO["email"]
    assert connection.api_url == sandbox_server.url
    assert connection.access_token

    raw_access, raw_refresh = raw_tokens(organisation)
    assert raw_access.startswith("enc:") and connection.access_token not in raw_access
    if connection.refresh_token:
        assert raw_refresh.startswith("enc:") and connection.refresh_token not in raw_refresh
    assert SOLO["password"] not in raw_access + raw_refresh


def test_connect_updates_the_existing_organisation_of_that_uphance_id(sandbox_server, organisation):
    first = uphance_connect(api_url=sandbox_server.url, **SOLO)
    again = uphance_connect(api_url=sandbox_server.url, **SOLO)

    assert first.organisation == again.organisation == organisation
    assert Organisation.objects.count() == 1
    assert UphanceConnection.objects.count() == 1
    assert first.connection.webhook_secret == again.connection.webhook_secret


def test_two_organisations_without_a_choice_lists_them_and_stores_nothing(sandbox_server):
    result = uphance_connect(api_url=sandbox_server.url, **MULTI)

    assert result.needs_choice
    assert sorted((o.id, o.name) for o in result.organisations) == [
        (35802, "Northwind Apparel"),
        (35803, "Southpaw Studio"),
    ]
    assert not Organisation.objects.exists()
    assert not UphanceConnection.objects.exists()


def test_two_organisations_with_a_choice_connects_the_chosen_one(sandbox_server):
    result = uphance_connect(api_url=sandbox_server.url, uphance_organisation_id=35803, **MULTI)

    assert (result.organisation.uphance_id, result.organisation.name) == (35803, "Southpaw Studio")
    assert list(Organisation.objects.values_list("uphance_id", flat=True)) == [35803]


def test_a_choice_outside_the_account_is_refused(sandbox_server):
    with pytest.raises(ConnectError, match="not in this account"):
        uphance_connect(api_url=sandbox_server.url, uphance_organisation_id=1, **SOLO)
    assert not Organisation.objects.exists()


def test_wrong_password_is_a_clear_error_and_is_not_logged(sandbox_server, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(InvalidCredentials, match="rejected the e-mail or password"):
        uphance_connect(api_url=sandbox_server.url, email=SOLO["email"], password="Hunter2-not-it")

    assert not Organisation.objects.exists()
    assert "Hunter2-not-it" not in caplog.text


def test_a_pending_login_seals_into_ciphertext_and_back(sandbox_server):
    login = uphance_login(api_url=sandbox_server.url, **MULTI)

    sealed = login.seal()
    assert login.tokens.access_token not in sealed and "multi@" not in sealed
    back = UphanceLogin.unseal(sealed)
    assert back.tokens.access_token == login.tokens.access_token
    assert [o.id for o in back.organisations] == [o.id for o in login.organisations]
    assert UphanceLogin.unseal(sealed[:-4] + "AAAA") is None
    assert "password" not in repr(login) and login.tokens.access_token not in repr(login)


def test_client_for_works_with_the_stored_tokens(connected_organisation):
    with uphance_client_for(organisation=connected_organisation) as client:
        seasons = client.seasons()
    assert seasons


def test_refreshed_tokens_are_persisted_encrypted(connected_organisation, fresh_sandbox):
    before = UphanceConnection.objects.get(organisation=connected_organisation)
    if not before.refresh_token:
        pytest.skip("the sandbox issued no refresh token")
    fresh_sandbox.state.expire_tokens()

    with uphance_client_for(organisation=connected_organisation) as client:
        client.seasons()  # 401 → refresh grant → on_tokens
        renewed = client.tokens

    after = UphanceConnection.objects.get(organisation=connected_organisation)
    assert after.access_token == renewed.access_token != before.access_token
    assert after.status == "connected"
    raw_access, _ = raw_tokens(connected_organisation)
    assert raw_access.startswith("enc:") and renewed.access_token not in raw_access


def test_auth_expired_marks_reconnect_needed_and_shows_the_banner(
    connected_organisation, fresh_sandbox, client, admin_user
):
    UphanceConnection.objects.filter(organisation=connected_organisation).update(refresh_token="")
    fresh_sandbox.state.expire_tokens()

    with uphance_client_for(organisation=connected_organisation) as uphance, pytest.raises(AuthExpired):
        uphance.seasons()

    connection = UphanceConnection.objects.get(organisation=connected_organisation)
    assert connection.status == "reconnect_needed"
    assert not connection.is_usable
    assert "reconnect" in connection.status_message.lower()
    # Syncs pause: no client is handed out until an admin reconnects.
    with pytest.raises(UphanceNotConnected):
        uphance_client_for(organisation=connected_organisation)

    client.force_login(admin_user)
    page = client.get("/").content.decode()
    assert "can no longer refresh its Uphance token" in page
    assert "An admin needs to reconnect Uphance" in page


def test_mark_reconnect_needed_leaves_a_disconnected_connection_alone(connected_organisation):
    uphance_disconnect(organisation=connected_organisation)
    uphance_connection_mark_reconnect_needed(organisation=connected_organisation, message="expired")
    assert UphanceConnection.objects.get(organisation=connected_organisation).status == "disconnected"


def test_disconnect_deletes_the_tokens(connected_organisation):
    uphance_disconnect(organisation=connected_organisation)

    connection = UphanceConnection.objects.get(organisation=connected_organisation)
    assert connection.status == "disconnected"
    assert (connection.access_token, connection.refresh_token, connection.expires_at) == ("", "", None)
    assert raw_tokens(connected_organisation) == ("", "")
    with pytest.raises(UphanceNotConnected):
        uphance_client_for(organisation=connected_organisation)


def test_client_for_an_organisation_never_connected(organisation):
    with pytest.raises(UphanceNotConnected, match="not connected"):
        uphance_client_for(organisation=organisation)
