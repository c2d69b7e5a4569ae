"""Benchmark analytics and the board on a past day on bench_board's data; print one JSON line last.

Builds N orders with bench_board's own generator in an organisation of its own, builds the stage
history and analytics tables (timed: that is what a rebuild costs), then times every analytics page
and CSV and `/board/?as_of=…` cold (the cache emptied before every request) with its query count.
"""
import datetime as dt
import json
import random
import statistics
import time

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client

from analytics.models import FlowDay, StageCompletion
from analytics.services import analytics_rebuild
from board.management.commands.bench_board import Command as BoardBench
from board.management.commands.bench_board import QueryCounter, percentile
from production.history.models import StageSpan
from production.history.services import stage_history_rebuild
from production.history.spans import local_day
from production.models import Manufacturer
from production.rules import organisation_zone

BUDGET_MS = 300


class Command(BaseCommand):
    help = "Time the analytics pages, CSVs and the board on a past day at bench_board's data; print JSON."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=20000)
        parser.add_argument("--repeat", type=int, default=20, help="timed cold requests per page")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--keep", action="store_true", help="keep the benchmark organisation afterwards")

    def handle(self, *args, orders, repeat, seed, keep, **options):
        board = BoardBench(stdout=self.stdout, stderr=self.stderr)
        t0 = time.perf_counter()
        organisation, user, facts = board._build(orders=orders, rng=random.Random(seed))
        data_seconds = time.perf_counter() - t0
        self.stderr.write(f"built {facts['orders']} orders, {facts['line_items']} line items, "
                          f"{facts['stage_periods']} stage periods in {data_seconds:.1f} s")
        try:
            history = stage_history_rebuild(organisation=organisation)
            build = analytics_rebuild(organisation=organisation)
            self.stderr.write(f"stage history: {history.spans} spans in {history.seconds:.1f} s; analytics: "
                              f"{build.completions} completions, {build.flow_days} flow days in {build.seconds:.1f} s")
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            results = self._measure(organisation=organisation, user=user, facts=facts, repeat=repeat)
        finally:
            if not keep:
                StageSpan.objects.filter(organisation=organisation).delete()
                StageCompletion.objects.filter(organisation=organisation).delete()
                FlowDay.objects.filter(organisation=organisation).delete()
                board._clean(organisation=organisation, user=user)
        report = {
            "benchmark": "analytics",
            "database": connection.vendor,
            "debug": settings.DEBUG,
            "orders": facts["orders"],
            "line_items": facts["line_items"],
            "stage_periods": facts["stage_periods"],
            "repeat": repeat,
            "build_seconds": {"stage_history": round(history.seconds, 1), "analytics": round(build.seconds, 1)},
            "derived_rows": {"stage_spans": history.spans, "stage_completions": build.completions,
                             "flow_days": build.flow_days},
            "budget_p95_ms": BUDGET_MS,
            "pages": results,
            "within_budget_cold": all(r["cold_p95_ms"] <= BUDGET_MS for r in results.values()),
        }
        self.stdout.write(json.dumps(report))

    def _measure(self, *, organisation, user, facts, repeat: int) -> dict:
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        today = local_day(dt.datetime.now(dt.UTC), organisation_zone(organisation))
        past = (today - dt.timedelta(days=14)).isoformat()
        week_before = (today - dt.timedelta(days=21)).isoformat()
        biggest = Manufacturer.objects.get(pk=facts["manufacturers"][0].pk)
        season = facts["seasons"][-1].id
        pages = {
            "manufacturers": "/analytics/manufacturers/",
            "manufacturer": f"/analytics/manufacturers/{biggest.id}/",
            "stages": "/analytics/stages/",
            "stages_by_manufacturer": "/analytics/stages/?by=manufacturer&window=365",
            "flow": "/analytics/flow/",
            "flow_season": f"/analytics/flow/?season={season}&window=180",
            "forecasts": "/analytics/forecasts/",
            "manufacturers_csv": "/analytics/manufacturers.csv",
            "stages_csv": "/analytics/stages.csv",
            "flow_csv": "/analytics/flow.csv",
            "board_as_of": f"/board/?as_of={past}",
            "board_as_of_changes": f"/board/?as_of={past}&since={week_before}",
        }
        results = {}
        for name, url in pages.items():
            for _ in range(2):  # warm up the templates and imports, not the data (cold below)
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
            counter = QueryCounter()
            cache.clear()
            with connection.execute_wrapper(counter):
                response = client.get(url)
            timings = []
            for _ in range(repeat):
                cache.clear()
                t0 = time.perf_counter()
                response = client.get(url)
                if response.streaming:
                    b"".join(response.streaming_content)
                timings.append((time.perf_counter() - t0) * 1000)
            results[name] = {
                "url": url,
                "cold_p50_ms": round(statistics.median(timings), 1),
                "cold_p95_ms": round(percentile(timings, 0.95), 1),
                "queries": counter.count,
            }
            self.stderr.write(f"{name}: {results[name]}")
        return results
