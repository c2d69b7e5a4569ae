"""Recompute forecasts now, in the foreground: the service the Celery task runs after a sync."""
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from production.forecasts.services import forecasts_recompute


class Command(BaseCommand):
    help = "Learn stage durations and the receiving gap, and forecast every open line item (after a sync this runs by itself)."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", type=int, help="Seamline organisation id (default: every one)")

    def handle(self, *args, organisation, **options):
        organisations = Organisation.objects.all()
        if organisation is not None:
            organisations = organisations.filter(pk=organisation)
        if not organisations.exists():
            raise CommandError("No such organisation.")
        for org in organisations:
            run = forecasts_recompute(organisation=org)
            gap = run.gap
            self.stdout.write(
                f"{org.name}: {run.line_items} open line items forecast in {run.seconds:.2f} s, {run.changed} changed; "
                f"{run.predicted_late} predicted late, {run.at_risk} at risk; {run.durations} stage durations; "
                f"received {gap.median_days:.1f}–{gap.p90_days:.1f} d after the last stage ({gap.samples} orders)"
            )
