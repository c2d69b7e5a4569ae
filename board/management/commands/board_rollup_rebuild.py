"""Rebuild the board's rollup of counts (board.services.board_rollup_rebuild) for one or every organisation."""
from django.core.management.base import BaseCommand

from accounts.models import Organisation
from board.services import board_rollup_rebuild


class Command(BaseCommand):
    help = "Count every organisation's open line items per facet again (the board's rollup), stamped with the data version."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", type=int, help="only this organisation (id)")

    def handle(self, *args, organisation=None, **options):
        organisations = Organisation.objects.all()
        if organisation is not None:
            organisations = organisations.filter(pk=organisation)
        for org in organisations.order_by("pk"):
            built = board_rollup_rebuild(organisation=org)
            self.stdout.write(f"{org.pk} {org.name}: {built.rows} rows in {built.seconds:.2f} s (version {built.version})")
