"""Send e-mail summaries: whatever is due (what the dispatcher runs) or one user's, now."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from summaries.models import Summary, SummaryDelivery
from summaries.services import (
    summary_deliveries_claim_due,
    summary_delivery_send,
    summary_send_now,
)


class Command(BaseCommand):
    help = "Send e-mail summaries: --due sends what the schedule says is due, --user USERNAME sends theirs now."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--due", action="store_true", help="Send every summary that is due (and due retries).")
        which.add_argument("--user", metavar="USERNAME", help="Send this user's switched-on summaries now.")

    def handle(self, *args, due=False, user=None, **options):
        if due:
            deliveries = summary_deliveries_claim_due(now=timezone.now())
        else:
            account = get_user_model().objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"No user called {user!r}.")
            summaries = Summary.objects.filter(user=account, enabled=True).select_related("organisation", "user")
            if not summaries:
                self.stdout.write(f"{user} has no switched-on summaries.")
                return
            deliveries = [
                summary_send_now(summary=summary, trigger=SummaryDelivery.Trigger.COMMAND) for summary in summaries
            ]
        if not deliveries:
            self.stdout.write("Nothing is due.")
            return
        failures = 0
        for delivery in deliveries:
            delivery = summary_delivery_send(delivery_id=delivery.id)
            line = f"Summary {delivery.summary_id} to {delivery.recipient or '(no address)'}: {delivery.get_status_display()}"
            if delivery.error:
                line += f" ({delivery.error})"
                failures += 1
            self.stdout.write(line)
        if failures:
            self.stderr.write(f"{failures} of {len(deliveries)} summaries could not be sent; they are logged on the summary.")
