"""The demo: user demo/demo, admin of the organisation connected from the sandbox's solo account."""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import membership_admin_ensure, uphance_connect
from integrations.uphance.errors import UphanceError

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"
SANDBOX_EMAIL = "solo@sandbox.test"
SANDBOX_PASSWORD = "sandbox"


class Command(BaseCommand):
    help = "Idempotent demo set-up: user demo/demo, connected to the Uphance sandbox at UPHANCE_API_URL."

    def add_arguments(self, parser):
        parser.add_argument("--api-url", default=None, help="default: settings.UPHANCE_API_URL")

    def handle(self, *args, api_url, **options):
        api_url = api_url or settings.UPHANCE_API_URL
        user, created = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME, defaults={"email": "demo@example.test"}
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        try:
            result = uphance_connect(api_url=api_url, email=SANDBOX_EMAIL, password=SANDBOX_PASSWORD)
        except UphanceError as exc:
            raise CommandError(f"Could not connect to the Uphance sandbox at {api_url}: {exc}") from None
        if result.needs_choice:
            raise CommandError(f"{SANDBOX_EMAIL} reaches several organisations at {api_url}; expected one.")
        organisation = result.organisation
        membership_admin_ensure(user=user, organisation=organisation)
        self.stdout.write(
            f"Demo ready: log in as {DEMO_USERNAME}/{DEMO_PASSWORD}; organisation {organisation.pk} "
            f"{organisation.name!r} (Uphance {organisation.uphance_id}) at {api_url}"
        )
