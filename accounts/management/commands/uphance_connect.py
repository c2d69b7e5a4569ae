"""Connect an organisation to Uphance from the command line (the wizard's steps without a browser)."""
import getpass
import os
import sys

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import ConnectError, membership_admin_ensure, uphance_connect
from integrations.uphance.errors import InvalidCredentials, UphanceError


class Command(BaseCommand):
    help = (
        "Connect to Uphance with an account's e-mail and password (used once, never stored): "
        "token, organisations, set current organisation; stores the organisation and its encrypted tokens. "
        "The password comes from $UPHANCE_PASSWORD, a prompt, or the first line of standard input."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="Uphance account e-mail")
        parser.add_argument("--api-url", default=None, help="default: settings.UPHANCE_API_URL")
        parser.add_argument(
            "--organisation-id", type=int, default=None,
            help="Uphance organisation id; needed when the account reaches several",
        )
        parser.add_argument("--admin", default=None, help="username to make an admin of the organisation")

    def handle(self, *args, email, api_url, organisation_id, admin, **options):
        api_url = api_url or settings.UPHANCE_API_URL
        user = None
        if admin:
            user = get_user_model().objects.filter(username=admin).first()
            if user is None:
                raise CommandError(f"No user named {admin!r}.")
        password = self._password(email)
        try:
            result = uphance_connect(
                api_url=api_url, email=email, password=password, uphance_organisation_id=organisation_id
            )
        except InvalidCredentials:
            raise CommandError("Uphance rejected the e-mail or password.") from None
        except ConnectError as exc:
            raise CommandError(str(exc)) from None
        except UphanceError as exc:
            raise CommandError(f"Could not connect to Uphance at {api_url}: {exc}") from None
        if result.needs_choice:
            choices = ", ".join(f"{o.id} ({o.name})" for o in result.organisations) or "none"
            raise CommandError(
                f"The account reaches several organisations: {choices}. Choose one with --organisation-id."
            )
        organisation = result.organisation
        if user is not None:
            membership_admin_ensure(user=user, organisation=organisation)
        self.stdout.write(
            f"Connected organisation {organisation.pk} {organisation.name!r} "
            f"(Uphance {organisation.uphance_id}) at {api_url}"
        )

    def _password(self, email: str) -> str:
        password = os.environ.get("UPHANCE_PASSWORD")
        if password:
            return password
        if sys.stdin.isatty():
            return getpass.getpass(f"Uphance password for {email}: ")
        line = sys.stdin.readline().rstrip("\n")
        if not line:
            raise CommandError("No password: set UPHANCE_PASSWORD or pipe it on standard input.")
        return line
