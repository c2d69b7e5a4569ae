"""Rebuild the stage history (production.history) and analytics' tables of one or every organisation."""
from django.core.management.base import BaseCommand

from accounts.models import Organisation
from analytics.services import analytics_rebuild
from production.history.services import stage_history_rebuild


class Command(BaseCommand):
    help = "Rebuild the day-by-day stage history and the analytics tables from the stage periods."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", type=int, help="Organisation id (default: every organisation)")

    def handle(self, *args, organisation=None, **options):
        organisations = Organisation.objects.all()
        if organisation is not None:
            organisations = organisations.filter(pk=organisation)
        for org in organisations.order_by("pk"):
            history = stage_history_rebuild(organisation=org)
            build = analytics_rebuild(organisation=org)
            self.stdout.write(
                f"{org.name}: {history.spans} spans of {history.line_items} line items in {history.seconds:.1f} s; "
                f"{build.completions} stage completions and {build.flow_days} flow days in {build.seconds:.1f} s"
            )
