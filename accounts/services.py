"""Writes about organisations: connecting to Uphance, keeping its tokens, disconnecting."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.uphance.client import Tokens, UphanceClient
from integrations.uphance.errors import AuthExpired, UphanceError
from integrations.uphance.payloads import Organisation as UphanceOrganisation

from .fields import fernet
from .models import Membership, Organisation, UphanceConnection, webhook_secret_new

logger = logging.getLogger(__name__)

# How long the tokens of a login may wait, encrypted in the session, for the organisation choice.
LOGIN_TTL_SECONDS = 15 * 60


class UphanceNotConnected(AuthExpired):
    """The organisation has no usable Uphance connection (never connected, disconnected, or paused)."""


class ConnectError(UphanceError):
    """The connection cannot be made as asked (e.g. the chosen organisation is not in the account)."""


@dataclass
class UphanceLogin:
    """A successful password grant: the tokens and the organisations the account can reach.

    Nothing of it is stored until an organisation is chosen; the password is not kept at all.
    """

    api_url: str
    email: str
    tokens: Tokens = field(repr=False)
    organisations: list[UphanceOrganisation]

    def organisation_named(self, uphance_organisation_id: int) -> UphanceOrganisation | None:
        return next((o for o in self.organisations if o.id == uphance_organisation_id), None)

    def seal(self) -> str:
        """This login encrypted with the Fernet keys, to wait in a session for the next step."""
        data = {
            "api_url": self.api_url,
            "email": self.email,
            "access_token": self.tokens.access_token,
            "refresh_token": self.tokens.refresh_token,
            "expires_at": self.tokens.expires_at.isoformat() if self.tokens.expires_at else None,
            "organisations": [{"id": o.id, "name": o.name} for o in self.organisations],
        }
        return fernet().encrypt(json.dumps(data).encode()).decode()

    @classmethod
    def unseal(cls, sealed: str) -> UphanceLogin | None:
        """The login back from `seal()`, or None when it is tampered with or older than the TTL."""
        try:
            data = json.loads(fernet().decrypt(sealed.encode(), ttl=LOGIN_TTL_SECONDS))
        except (InvalidToken, ValueError, TypeError, AttributeError):
            return None
        expires_at = datetime.fromisoformat(data["expires_at"]) if data["expires_at"] else None
        return cls(
            api_url=data["api_url"],
            email=data["email"],
            tokens=Tokens(data["access_token"], data["refresh_token"], expires_at),
            organisations=[UphanceOrganisation(**o) for o in data["organisations"]],
        )


@dataclass
class ConnectResult:
    """Either a stored connection, or (organisation None) the organisations to choose from."""

    organisations: list[UphanceOrganisation]
    organisation: Organisation | None = None
    connection: UphanceConnection | None = None
    login: UphanceLogin | None = field(default=None, repr=False)

    @property
    def needs_choice(self) -> bool:
        return self.organisation is None


def _client(*, api_url: str, **kwargs) -> UphanceClient:
    return UphanceClient(
        api_url,
        timeout=settings.UPHANCE_TIMEOUT_SECONDS,
        max_requests_per_second=settings.UPHANCE_MAX_REQUESTS_PER_SECOND,
        **kwargs,
    )


def uphance_login(*, api_url: str, email: str, password: str) -> UphanceLogin:
    """Password grant, then the organisations of the account. Raises InvalidCredentials."""
    with _client(api_url=api_url) as client:
        tokens = client.authenticate(email=email, password=password)
        organisations = client.organisations()
    logger.info("Uphance login at %s: %d organisation(s)", api_url, len(organisations))
    return UphanceLogin(api_url=api_url, email=email, tokens=tokens, organisations=organisations)


def uphance_login_connect(
    *, login: UphanceLogin, uphance_organisation_id: int, organisation: Organisation | None = None
) -> UphanceConnection:
    """Set the current organisation with the login's token and store organisation and connection.

    `organisation` is the Seamline organisation to attach when it has no Uphance id yet; otherwise
    the organisation is found (or created) by its Uphance id.
    """
    chosen = login.organisation_named(uphance_organisation_id)
    if chosen is None:
        raise ConnectError(f"Uphance organisation {uphance_organisation_id} is not in this account.")
    with _client(api_url=login.api_url, tokens=login.tokens) as client:
        client.set_current_organisation(chosen.id)
        tokens = client.tokens  # set_current_org may have refreshed them
    name = (chosen.name or "").strip() or f"Uphance organisation {chosen.id}"
    with transaction.atomic():
        org = Organisation.objects.select_for_update().filter(uphance_id=chosen.id).first()
        if org is None and organisation is not None and organisation.uphance_id is None:
            org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if org is None:
            org = Organisation.objects.create(name=name, uphance_id=chosen.id)
        else:
            org.name, org.uphance_id = name, chosen.id
            org.save(update_fields=["name", "uphance_id"])
        connection, _ = UphanceConnection.objects.update_or_create(
            organisation=org,
            defaults={
                "api_url": login.api_url,
                "account_email": login.email,
                "uphance_organisation_id": chosen.id,
                "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token or "",
                "expires_at": tokens.expires_at,
                "status": UphanceConnection.Status.CONNECTED,
                "status_message": "",
                "connected_at": timezone.now(),
            },
        )
    logger.info("Connected %s to Uphance organisation %s", org, chosen.id)
    return connection


def uphance_connect(
    *,
    api_url: str,
    email: str,
    password: str,
    uphance_organisation_id: int | None = None,
    organisation: Organisation | None = None,
) -> ConnectResult:
    """token → organisations → set_current_org → Organisation and UphanceConnection stored.

    With several organisations and no `uphance_organisation_id` nothing is stored: the result
    lists the organisations to choose from (and carries the login for a wizard's next step).
    """
    login = uphance_login(api_url=api_url, email=email, password=password)
    if uphance_organisation_id is None:
        if len(login.organisations) != 1:
            return ConnectResult(organisations=login.organisations, login=login)
        uphance_organisation_id = login.organisations[0].id
    connection = uphance_login_connect(
        login=login, uphance_organisation_id=uphance_organisation_id, organisation=organisation
    )
    return ConnectResult(
        organisations=login.organisations,
        organisation=connection.organisation,
        connection=connection,
        login=login,
    )


def uphance_connection_tokens_save(*, organisation: Organisation, tokens: Tokens) -> None:
    """Persist tokens the client renewed (encrypted by the field)."""
    UphanceConnection.objects.filter(organisation=organisation).update(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token or "",
        expires_at=tokens.expires_at,
        updated_at=timezone.now(),
    )


def uphance_connection_mark_reconnect_needed(*, organisation: Organisation, message: str) -> None:
    """The token can no longer be refreshed: pause syncs and ask an admin to reconnect."""
    updated = UphanceConnection.objects.filter(
        organisation=organisation, status=UphanceConnection.Status.CONNECTED
    ).update(status=UphanceConnection.Status.RECONNECT_NEEDED, status_message=message, updated_at=timezone.now())
    if updated:
        logger.warning("Uphance connection of %s needs a reconnect: %s", organisation, message)


def uphance_disconnect(*, organisation: Organisation) -> None:
    """Delete the tokens; the connection row stays (Uphance id, webhook secret) for a reconnect."""
    UphanceConnection.objects.filter(organisation=organisation).update(
        access_token="",
        refresh_token="",
        expires_at=None,
        status=UphanceConnection.Status.DISCONNECTED,
        status_message="Disconnected; the tokens were deleted.",
        updated_at=timezone.now(),
    )


def uphance_webhook_secret_rotate(*, organisation: Organisation) -> str:
    """A new webhook URL for the organisation; the old one answers 404 from now on."""
    secret = webhook_secret_new()
    UphanceConnection.objects.filter(organisation=organisation).update(webhook_secret=secret)
    return secret


def membership_admin_ensure(*, user, organisation: Organisation) -> Membership:
    """Make `user` an admin of `organisation` (the person who connected it)."""
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"role": Membership.Role.ADMIN}
    )
    if not created and membership.role != Membership.Role.ADMIN:
        membership.role = Membership.Role.ADMIN
        membership.save(update_fields=["role"])
    return membership


def _stored_tokens(connection: UphanceConnection) -> Tokens:
    return Tokens(
        access_token=connection.access_token,
        refresh_token=connection.refresh_token or None,
        expires_at=connection.expires_at,
    )


def uphance_tokens_refresh(*, organisation: Organisation, stale: Tokens, grant) -> Tokens:
    """Refresh the connection's tokens, one process at a time; the tokens to go on with.

    The connection row is locked (select_for_update) while refreshing, so two workers never spend
    the same refresh token (an OAuth server that rotates them refuses the second). A worker that
    waited finds the tokens the other one stored and uses them; before giving up on a refused grant,
    the tokens are read once more in case another process stored new ones meanwhile.
    """
    with transaction.atomic():
        connection = UphanceConnection.objects.select_for_update().filter(organisation=organisation).first()
        if connection is None:
            raise UphanceNotConnected(f"Uphance is not connected for {organisation}; an admin needs to connect it.")
        stored = _stored_tokens(connection)
        if _newer(stored, stale):
            return stored
        try:
            return grant(stored)  # on_tokens saves the new tokens inside this transaction
        except AuthExpired as exc:
            refused = exc
    connection = UphanceConnection.objects.filter(organisation=organisation).first()
    if connection is not None and _newer(_stored_tokens(connection), stale):
        return _stored_tokens(connection)
    raise refused


def _newer(stored: Tokens, stale: Tokens) -> bool:
    """Another process stored other tokens than the ones that failed, and they have not expired."""
    return bool(stored.access_token) and stored.access_token != stale.access_token and not stored.expired(timezone.now())


def uphance_client_for(*, organisation: Organisation) -> UphanceClient:
    """A client on the organisation's stored tokens; renewed tokens are saved as they come (one
    refresh at a time per connection), and a token that can no longer be refreshed marks the
    connection "reconnect needed".

    Raises UphanceNotConnected (an AuthExpired) when there is no usable connection.
    """
    connection = UphanceConnection.objects.filter(organisation=organisation).first()
    if connection is None or not connection.is_usable:
        state = connection.get_status_display().lower() if connection else "not connected"
        raise UphanceNotConnected(f"Uphance is {state} for {organisation}; an admin needs to connect it.")
    return UphanceClient(
        connection.api_url,
        tokens=_stored_tokens(connection),
        organisation_id=connection.uphance_organisation_id,
        timeout=settings.UPHANCE_TIMEOUT_SECONDS,
        max_requests_per_second=settings.UPHANCE_MAX_REQUESTS_PER_SECOND,
        on_tokens=lambda new: uphance_connection_tokens_save(organisation=organisation, tokens=new),
        on_auth_expired=lambda exc: uphance_connection_mark_reconnect_needed(organisation=organisation, message=str(exc)),
        on_refresh=lambda stale, grant: uphance_tokens_refresh(organisation=organisation, stale=stale, grant=grant),
    )
