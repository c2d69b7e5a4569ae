"""Benchmark the forecasts: build a large organisation, time a full recompute and one after a sync, print JSON."""
import json
import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from production.bench_data import bench_organisation_build, bench_organisation_delete
from production.forecasts.services import forecasts_recompute
from production.models import LineItem, Stage, StagePeriod

BUDGET_SECONDS = 10.0


class Command(BaseCommand):
    help = "Build N orders in an organisation of their own, time forecasts_recompute (DEBUG off), print one JSON line."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=20000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--moved", type=int, default=1000, help="line items a simulated sync moves on a stage")
        parser.add_argument("--keep", action="store_true", help="keep the benchmark organisation afterwards")

    def handle(self, *args, orders, seed, moved, keep, **options):
        settings.DEBUG = False  # no query log: time what production runs
        started = time.perf_counter()
        organisation, facts = bench_organisation_build(orders=orders, seed=seed)
        build_seconds = time.perf_counter() - started
        self.stderr.write(f"built {facts['orders']} orders, {facts['line_items']} line items, "
                          f"{facts['stage_periods']} stage periods in {build_seconds:.1f} s")
        try:
            first = forecasts_recompute(organisation=organisation)
            self.stderr.write(f"first recompute: {first.seconds:.2f} s, {first.changed} line items written {first.timings}")
            self._sync(organisation, moved=moved, seed=seed)
            after = forecasts_recompute(organisation=organisation)
            self.stderr.write(f"after a sync that moved {moved}: {after.seconds:.2f} s, {after.changed} written {after.timings}")
        finally:
            if not keep:
                bench_organisation_delete(organisation)
        self.stdout.write(json.dumps({
            "benchmark": "forecast",
            "database": connection.vendor,
            "debug": settings.DEBUG,
            "orders": facts["orders"],
            "line_items": facts["line_items"],
            "stage_periods": facts["stage_periods"],
            "forecast_line_items": after.line_items,
            "predicted_late": after.predicted_late,
            "at_risk": after.at_risk,
            "first_seconds": round(first.seconds, 2),
            "first_written": first.changed,
            "after_sync_seconds": round(after.seconds, 2),
            "after_sync_written": after.changed,
            "timings": after.timings,
            "budget_seconds": BUDGET_SECONDS,
            "within_budget": max(first.seconds, after.seconds) <= BUDGET_SECONDS,
        }))

    @transaction.atomic
    def _sync(self, organisation, *, moved: int, seed: int) -> None:
        """What a stage refresh writes: `moved` line items finish their stage and start the next one."""
        now = timezone.now()
        current = list(
            StagePeriod.objects.filter(organisation=organisation, is_current=True, end_time__isnull=True,
                                       start_time__isnull=False)
            .values_list("pk", "line_item_id", "sequence", "stage__position")
        )
        positions = dict(Stage.objects.filter(organisation=organisation).values_list("position", "pk"))
        for pk, line_item_id, sequence, position in random.Random(seed).sample(current, min(moved, len(current))):
            following = positions.get(position + 1)
            StagePeriod.objects.filter(pk=pk).update(end_time=now, is_current=following is None, status="completed")
            if following is None:
                LineItem.objects.filter(pk=line_item_id).update(stage_status="completed", current_stage=None)
                continue
            StagePeriod.objects.create(organisation=organisation, line_item_id=line_item_id, stage_id=following,
                                       sequence=sequence + 1, is_current=True, start_time=now, status="in_progress")
            LineItem.objects.filter(pk=line_item_id).update(current_stage_id=following, current_stage_started_at=now)

