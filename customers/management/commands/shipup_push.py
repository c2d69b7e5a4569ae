"""Push sales orders waiting on production to Shipup now (or print what would be sent): the service the Celery task runs."""
import json

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from customers.shipup.services import shipup_push


class Command(BaseCommand):
    help = (
        "Send Shipup every sales order whose payload changed since the last push. With --dry-run, "
        "print the JSON that would be sent, with the status chosen and why, and send nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print what would be sent; send nothing")
        parser.add_argument("--organisation", type=int,
                            help="Seamline organisation id (default: every organisation with Shipup switched on)")

    def handle(self, *args, dry_run, organisation, **options):
        organisations = Organisation.objects.all()
        if organisation is not None:
            organisations = organisations.filter(pk=organisation)
            if not organisations.exists():
                raise CommandError(f"No organisation with id {organisation}.")
        elif not dry_run:
            organisations = organisations.filter(shipup_settings__enabled=True)
        failed = False
        for org in organisations.order_by("pk"):
            result = shipup_push(organisation=org, dry_run=dry_run)
            if dry_run:
                for plan in result.planned:
                    self.stdout.write(
                        f"# {org.name}: sales order {plan.sales_order.order_number or plan.sales_order.uphance_id}"
                        f" → {plan.status_code} ({plan.reason})"
                        + (f" [flags: {', '.join(plan.flags)}]" if plan.flags else "")
                    )
                    self.stdout.write(json.dumps(plan.payload, indent=2, ensure_ascii=False))
            self.stdout.write(f"{org.name}: {result.summary()}")
            failed |= bool(result.retry or result.paused)
        if failed:
            raise CommandError("Shipup did not take every change; see the messages above and the Shipup preview page.")
