"""Benchmark analytics and the board on a past day on bench_board's data; print a table and one JSON line last.

As bench_board: one child process builds N orders (bench_board's own `--build-into` build), then the stage
history and the analytics tables (timed: that is what a rebuild costs); a fresh one times every analytics
page and CSV and `/board/?as_of=…` cold (the cache emptied before every request), with its query count.
Both run with DEBUG off and connections kept between requests, as production's settings have them.
`--database-url URL` runs it on that database (migrated first); `--database-url` alone starts a
throw-away PostgreSQL (production.benchmarks runs the two child processes, as for bench_board).

To iterate without rebuilding (hidden options, DEBUG off in the environment):
`bench_analytics --orders 20000 --build-into F` once, then `bench_analytics --measure-from F --keep`.
"""
import argparse
import datetime as dt
import json
import os
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client

from accounts.models import Organisation
from analytics.models import (
    AnalyticsBuild,
    DurationWindow,
    FlowDay,
    ForecastOutcome,
    ReceivedOrder,
    StageCompletion,
)
from analytics.services import analytics_rebuild
from board.management.commands.bench_board import Command as BoardBench
from board.management.commands.bench_board import (
    QueryCounter,
    StatementLog,
    _fastest,
    _plan,
    percentile,
)
from board.models import SavedView
from production.bench_data import bench_organisation_delete
from production.benchmarks import START_POSTGRES, bench_children
from production.history.models import StageDay, StageHistoryBuild, StageSpan
from production.history.services import stage_history_rebuild
from production.models import ProductionOrder, Season
from production.rules import organisation_today

BUDGET_MS = 300


class Command(BaseCommand):
    help = "Time the analytics pages, CSVs and the board on a past day on bench_board's data; print JSON last."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=20000)
        parser.add_argument("--repeat", type=int, default=20, help="timed cold requests per page")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--keep", action="store_true", help="keep the benchmark organisation afterwards")
        parser.add_argument(
            "--database-url", nargs="?", const=START_POSTGRES, default=None,
            help="run on this database (migrated first); alone: on a PostgreSQL started for the run",
        )
        parser.add_argument("--explain", type=int, default=0, metavar="N",
                            help="print the plans of the N slowest statements of one cold request per page")
        parser.add_argument("--only", default="", help="comma-separated page names to measure (default: all)")
        # The two child processes: one builds, a fresh one measures (as a web worker would serve).
        parser.add_argument("--build-into", help=argparse.SUPPRESS)
        parser.add_argument("--measure-from", help=argparse.SUPPRESS)

    def handle(self, *args, orders, repeat, seed, keep, database_url, explain, only, build_into, measure_from,
               **options):
        if build_into or measure_from:
            if settings.DEBUG:
                raise CommandError("bench_analytics measures with DEBUG off (DJANGO_DEBUG=false), "
                                   "or run it without the internal options")
            if build_into:
                return self._build(orders=orders, seed=seed, into=build_into)
            return self._run(built=measure_from, repeat=repeat, keep=keep, explain=explain,
                             only=[name for name in only.split(",") if name])
        child = [str(a) for a in ("--orders", orders, "--repeat", repeat, "--seed", seed, "--explain", explain)]
        child += (["--keep"] if keep else []) + (["--only", only] if only else [])
        bench_children("bench_analytics", child, database_url=database_url, stderr=self.stderr)

    # --- the child processes ----------------------------------------------------------------------

    def _build(self, *, orders: int, seed: int, into: str) -> None:
        """bench_board's build (orders, forecasts, a manager), then the derived tables, each timed."""
        BoardBench(stdout=self.stdout, stderr=self.stderr)._build(orders=orders, seed=seed, into=into)
        build = json.loads(Path(into).read_text())
        organisation = Organisation.objects.get(pk=build["organisation"])
        history = stage_history_rebuild(organisation=organisation)
        analytics = analytics_rebuild(organisation=organisation)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        self.stderr.write(
            f"stage history: {history.spans} spans, {history.stage_days} stage days in {history.seconds:.1f} s; "
            f"analytics: {analytics.completions} completions, {analytics.flow_days} flow days in "
            f"{analytics.seconds:.1f} s"
        )
        build.update(
            history_seconds=round(history.seconds, 1), analytics_seconds=round(analytics.seconds, 1),
            derived_rows={"stage_spans": history.spans, "stage_days": history.stage_days,
                          "stage_completions": analytics.completions, "flow_days": analytics.flow_days},
        )
        Path(into).write_text(json.dumps(build))

    def _run(self, *, built: str, repeat: int, keep: bool, explain: int, only: list[str]) -> None:
        build = json.loads(Path(built).read_text())
        organisation = Organisation.objects.get(pk=build["organisation"])
        user = get_user_model().objects.get(pk=build["user"])
        facts = build["facts"]
        self.stderr.write(
            f"measuring in a fresh process: database {connection.vendor}, DEBUG {settings.DEBUG}, "
            f"CONN_MAX_AGE {connection.settings_dict['CONN_MAX_AGE']}, load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        hottest = []
        try:
            pages = self._pages(organisation)
            if only:
                pages = {name: url for name, url in pages.items() if name in only}
            results = self._measure(pages=pages, user=user, repeat=repeat)
            if explain:
                hottest = self._explain(pages=pages, user=user, hottest=explain)
        finally:
            if not keep:
                self._delete(organisation=organisation, user=user)
        self._table(results)
        load = [round(x, 2) for x in os.getloadavg()]
        self.stderr.write(f"load average {' '.join(map(str, load))}; build: data {build['build_seconds']} s, "
                          f"stage history {build['history_seconds']} s, analytics {build['analytics_seconds']} s")
        self.stdout.write(json.dumps({
            "benchmark": "analytics",
            "database": connection.vendor,
            "debug": settings.DEBUG,
            "conn_max_age": connection.settings_dict["CONN_MAX_AGE"],
            "orders": facts["orders"],
            "line_items": facts["line_items"],
            "stage_periods": facts["stage_periods"],
            "repeat": repeat,
            "build_seconds": {"data": build["build_seconds"], "stage_history": build["history_seconds"],
                              "analytics": build["analytics_seconds"]},
            "derived_rows": build["derived_rows"],
            "load_average": load,
            "budget_p95_ms": BUDGET_MS,
            "within_budget_cold": all(r["cold_p95_ms"] <= BUDGET_MS for r in results.values()),
            "pages": results,
            "hottest_statements": hottest,
        }))

    @staticmethod
    def _delete(*, organisation, user) -> None:
        # The derived tables first, by organisation (a cascade from the line items would collect them one by one).
        for model in (StageSpan, StageDay, StageHistoryBuild, StageCompletion, DurationWindow, FlowDay, ForecastOutcome,
                      ReceivedOrder, AnalyticsBuild, SavedView):
            model.objects.filter(organisation=organisation).delete()
        bench_organisation_delete(organisation)
        user.delete()

    @staticmethod
    def _pages(organisation) -> dict[str, str]:
        today = organisation_today(organisation=organisation)
        past = (today - dt.timedelta(days=14)).isoformat()
        week_before = (today - dt.timedelta(days=21)).isoformat()
        biggest = (
            ProductionOrder.objects.filter(organisation=organisation).values_list("manufacturer_id", flat=True)
            .order_by().annotate(n=Count("id")).order_by("-n").first()
        )
        season = Season.objects.filter(organisation=organisation).order_by("-uphance_id").values_list("id", flat=True)[0]
        return {
            "manufacturers": "/analytics/manufacturers/",
            "manufacturer": f"/analytics/manufacturers/{biggest}/",
            "stages": "/analytics/stages/",
            "stages_by_manufacturer": "/analytics/stages/?by=manufacturer&window=365",
            "flow": "/analytics/flow/",
            "flow_season": f"/analytics/flow/?season={season}&window=180",
            "forecasts": "/analytics/forecasts/",
            "manufacturers_csv": "/analytics/manufacturers.csv",
            "manufacturer_csv": f"/analytics/manufacturers/{biggest}/trends.csv",
            "stages_csv": "/analytics/stages.csv",
            "flow_csv": "/analytics/flow.csv",
            "throughput_csv": "/analytics/throughput.csv",
            "aging_csv": "/analytics/aging.csv",
            "forecasts_csv": "/analytics/forecasts.csv",
            "board_as_of": f"/board/?as_of={past}",
            "board_as_of_changes": f"/board/?as_of={past}&since={week_before}",
        }

    @staticmethod
    def _get(client, url) -> tuple[float, int]:
        t0 = time.perf_counter()
        response = client.get(url)
        size = len(b"".join(response.streaming_content)) if response.streaming else len(response.content)
        elapsed = (time.perf_counter() - t0) * 1000
        assert response.status_code == 200, (url, response.status_code)
        return elapsed, size

    def _measure(self, *, pages: dict[str, str], user, repeat: int) -> dict:
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        queries, sizes = {}, {}
        for name, url in pages.items():
            for _ in range(2):  # templates, imports, first connections: not the data (cold below)
                self._get(client, url)
            cache.clear()
            counter = QueryCounter()
            with connection.execute_wrapper(counter):
                _ms, sizes[name] = self._get(client, url)
            queries[name] = counter.count
        # Round robin, so a burst of load on the shared machine spreads over every page.
        timings = {name: [] for name in pages}
        for _ in range(repeat):
            for name, url in pages.items():
                cache.clear()
                timings[name].append(self._get(client, url)[0])
        return {
            name: {
                "url": url,
                "cold_p50_ms": round(statistics.median(timings[name]), 1),
                "cold_p95_ms": round(percentile(timings[name], 0.95), 1),
                "queries": queries[name],
                "bytes": sizes[name],
            }
            for name, url in pages.items()
        }

    def _explain(self, *, pages: dict[str, str], user, hottest: int) -> list[dict]:
        """The `hottest` slowest SELECTs of one cold request per page, with their whole plan (EXPLAIN QUERY
        PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL)."""
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        found = []
        for name, url in pages.items():
            cache.clear()
            log = StatementLog()
            with connection.execute_wrapper(log):
                self._get(client, url)
            found += [(_fastest(sql, params), name, sql, params) for sql, params in log.statements
                      if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
        out = []
        for ms, name, sql, params in sorted(found, key=lambda f: -f[0])[:hottest]:
            plan = _plan(sql, params, analyze=True)
            self.stderr.write(f"hottest: {name}, {ms:.2f} ms\n  {sql[:2000]}\n    " + "\n    ".join(plan))
            out.append({"page": name, "ms": round(ms, 2), "sql": sql, "plan": plan})
        return out

    def _table(self, results: dict) -> None:
        self.stderr.write(f"{'page':24} {'cold p50':>9} {'cold p95':>9} {'queries':>8} {'bytes':>9}")
        for name, r in results.items():
            mark = "" if r["cold_p95_ms"] <= BUDGET_MS else "  over budget"
            self.stderr.write(f"{name:24} {r['cold_p50_ms']:9.1f} {r['cold_p95_ms']:9.1f} {r['queries']:>8} "
                              f"{r['bytes']:>9}{mark}")
