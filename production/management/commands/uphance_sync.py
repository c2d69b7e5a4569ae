"""Run syncs in the foreground: the same engine and passes the Celery workers run (any registered kind)."""
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.models import Organisation
from production.sync.engine import SyncLocked, sync_kinds, sync_run
from production.sync.models import SyncRun

Kind = SyncRun.Kind
PLANS = {
    ("production", False): [Kind.PRODUCTION_NEW, Kind.PRODUCTION_OPEN, Kind.PRODUCTION_STAGES],
    ("production", True): [Kind.PRODUCTION_FULL],
    ("customers", False): [Kind.CUSTOMERS],
    ("customers", True): [Kind.CUSTOMERS],
    ("sales_orders", False): [Kind.SALES_ORDERS_NEW, Kind.SALES_ORDERS_OPEN],
    ("sales_orders", True): [Kind.SALES_ORDERS_FULL],
}


class Command(BaseCommand):
    help = (
        "Sync from Uphance now, in the foreground. 'production' runs the incremental passes "
        "(new orders, open orders, stages) or, with --full, the full reconciliation; 'all' adds "
        "customers and sales orders."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", nargs="?", default="production", choices=["production", "customers", "sales_orders", "all"])
        parser.add_argument("--full", action="store_true", help="Full pass (reconciles removals)")
        parser.add_argument("--kind", choices=sync_kinds(), help="Run exactly this pass (any registered kind)")
        parser.add_argument("--organisation", type=int, help="Seamline organisation id (default: every connected one)")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args, what, full, kind, organisation, no_progress, **options):
        organisations = Organisation.objects.filter(uphance_connection__isnull=False)
        if organisation is not None:
            organisations = organisations.filter(pk=organisation)
        if not organisations.exists():
            raise CommandError("No organisation is connected to Uphance: run `manage.py uphance_connect` first.")
        if kind:
            kinds = [kind]
        else:
            parts = ["production", "customers", "sales_orders"] if what == "all" else [what]
            kinds = [k for part in parts for k in PLANS[(part, full)]]
        failed = False
        for org in organisations:
            for pass_kind in kinds:
                run = self._run(org, pass_kind, show_progress=not no_progress)
                if run is None:
                    continue
                failed |= run.outcome == SyncRun.Outcome.FAILED
                seconds = run.duration.total_seconds()
                self.stdout.write(
                    f"{org.name}: {run.get_kind_display()}: {run.outcome} in {seconds:.1f}s — "
                    f"{run.pages} pages, {run.requests} requests, {run.created} created, {run.updated} updated, "
                    f"{run.unchanged} unchanged, {run.removed} removed, {run.issues} issues"
                    + (f" ({run.message})" if run.outcome != SyncRun.Outcome.SUCCEEDED and run.message else "")
                )
        if failed:
            raise CommandError("At least one sync failed; see the messages above and the /sync/ page.")

    def _run(self, organisation, kind, *, show_progress):
        bar = tqdm(desc=f"{kind}", unit="page", disable=not show_progress, leave=False, file=self.stderr._out)

        def progress(run):
            if run.pages_total:
                bar.total = run.pages_total
            bar.n = run.pages
            bar.set_postfix(created=run.created, updated=run.updated, unchanged=run.unchanged, refresh=False)
            bar.refresh()

        try:
            return sync_run(organisation=organisation, kind=kind, trigger=SyncRun.Trigger.COMMAND, progress=progress)
        except SyncLocked as exc:
            self.stderr.write(f"{organisation.name}: {kind}: {exc}")
            return None
        finally:
            bar.close()
