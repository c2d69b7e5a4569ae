"""Replay the history: how good Seamline's forecasts were N days before goods arrived, against two baselines."""
import json

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from production.forecasts.backtest import forecast_backtest
from production.forecasts.loaders import date_changes_load, history_load


class Command(BaseCommand):
    help = (
        "For each line item whose goods arrived, the forecast as it would have been made --as-of-days before "
        "(only data known then) against what happened; Seamline's forecast, the PO's own date and a fixed "
        "7 days per remaining stage. Prints the figures; the last line is JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of-days", type=float, default=14.0, help="days before the arrival (default 14)")
        parser.add_argument("--organisation", type=int, help="Seamline organisation id (default: the one with most orders)")
        parser.add_argument("--json", action="store_true", help="print the JSON line only")

    def handle(self, *args, as_of_days, organisation, **options):
        organisations = Organisation.objects.all()
        if organisation is not None:
            organisations = organisations.filter(pk=organisation)
        chosen = max(organisations, key=_orders, default=None)
        if chosen is None:
            raise CommandError("No organisation to backtest.")
        history = history_load(organisation=chosen)
        changes = date_changes_load(organisation=chosen)
        report = forecast_backtest(history=history, date_changes=changes, as_of_days=as_of_days)
        if not options["json"]:
            stage_wide = forecast_backtest(history=history, date_changes=changes, as_of_days=as_of_days,
                                           per_manufacturer=False)
            self._explain(chosen, report, stage_wide)
        self.stdout.write(_json_line(report))

    def _explain(self, organisation, report, stage_wide):
        f, due, fixed = report["forecast"], report["due_date"], report["fixed"]
        write = self.stdout.write
        write(f"{organisation.name}: {report['line_items']} line items whose goods arrived, "
              f"forecast {report['as_of_days']:g} days before they did")
        if not report["line_items"]:
            write("  nothing to replay yet: no order seen arriving.")
            return
        write(f"  Seamline forecast    median error {f['mae_days']} d (mean {f['mean_abs_days']} d); arrived before "
              f"the p50 {f['below_p50']:.0%}, inside p50–p90 {f['in_range']:.0%}, after the p90 {f['above_p90']:.0%}")
        write(f"  PO's own date        median error {due['mae_days']} d (mean {due['mean_abs_days']} d) "
              f"over the {due['n']} with a date")
        write(f"  7 days a stage       median error {fixed['mae_days']} d (mean {fixed['mean_abs_days']} d)")
        sw = stage_wide["forecast"]
        write(f"  (stage-wide durations, every factory alike: median error {sw['mae_days']} d, mean {sw['mean_abs_days']} d)")


def _orders(organisation) -> int:
    from production.models import ProductionOrder

    return ProductionOrder.objects.filter(organisation=organisation).count()


def _json_line(report) -> str:
    f = report["forecast"]
    return json.dumps({
        "forecast": {"mae_days": f["mae_days"], "below_p50": f["below_p50"], "in_range": f["in_range"],
                     "above_p90": f["above_p90"]},
        "due_date": {"mae_days": report["due_date"]["mae_days"]},
        "fixed": {"mae_days": report["fixed"]["mae_days"]},
        "line_items": report["line_items"],
    })
