"""Benchmark the board: build N orders (production.bench_data) in an organisation of its own, time the pages cold
(cache cleared before every request) and warm, DEBUG off, print a table and one JSON line last.

`--database-url URL` runs it on that database (migrated first); `--database-url` alone starts a throw-away
PostgreSQL (production.benchmarks, which also runs the two child processes). One child process builds the data, a fresh one
measures (as a web worker serves: not in a process that just made two million model objects), both with DEBUG
off and connections kept between requests, as production's settings have them.
"""
import argparse
import json
import os
import statistics
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client

from accounts.models import Membership, Organisation
from board.models import SavedView
from board.services import board_rollup_rebuild
from production.bench_data import bench_organisation_build, bench_organisation_delete
from production.benchmarks import START_POSTGRES, bench_children
from production.forecasts.services import forecasts_recompute
from production.models import Manufacturer, ProductionOrder, Season, Stage, Warehouse

BUDGET_MS = 150


class QueryCounter:
    """Counts the SQL statements a request runs."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class StatementLog:
    """The SQL statements a request runs, with their parameters."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, params))
        return execute(sql, params, many, context)


BOARD_TABLES = ('"production_lineitem"', '"production_productionorder"')


def _plan(sql: str, params, *, analyze: bool) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN ") + sql, params)
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [row[3] for row in cursor.fetchall()]


def _fastest(sql: str, params, runs: int = 3) -> float:
    """Milliseconds of the fastest of `runs` executions, every row fetched (SQLite computes while fetching)."""
    best = float("inf")
    with connection.cursor() as cursor:
        for _ in range(runs):
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            best = min(best, (time.perf_counter() - t0) * 1000)
    return best


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


class Command(BaseCommand):
    help = "Build a large board in its own organisation, time the board pages cold and warm, print one JSON line."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=20000)
        parser.add_argument("--repeat", type=int, default=30, help="timed requests per page, cold and warm each")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--keep", action="store_true", help="keep the benchmark organisation afterwards")
        parser.add_argument(
            "--database-url", nargs="?", const=START_POSTGRES, default=None,
            help="run on this database (migrated first); alone: on a PostgreSQL started for the run",
        )
        parser.add_argument("--explain", type=int, default=2, metavar="N",
                            help="print each board statement's plan, and in full the N slowest (0: none)")
        # The two child processes: one builds, a fresh one measures (as a web worker would serve).
        parser.add_argument("--build-into", help=argparse.SUPPRESS)
        parser.add_argument("--measure-from", help=argparse.SUPPRESS)

    def handle(self, *args, orders, repeat, seed, keep, database_url, explain, build_into, measure_from, **options):
        if build_into or measure_from:
            if settings.DEBUG:
                raise CommandError("bench_board measures with DEBUG off; run it without the internal options")
            if build_into:
                return self._build(orders=orders, seed=seed, into=build_into)
            return self._run(built=measure_from, repeat=repeat, keep=keep, explain=explain)
        child = [str(a) for a in ("--orders", orders, "--repeat", repeat, "--seed", seed, "--explain", explain)]
        child += ["--keep"] if keep else []
        bench_children("bench_board", child, database_url=database_url, stderr=self.stderr)

    # --- the child processes ----------------------------------------------------------------------

    def _build(self, *, orders: int, seed: int, into: str) -> None:
        started = time.perf_counter()
        organisation, facts = bench_organisation_build(orders=orders, seed=seed, name="Board benchmark")
        build_seconds = time.perf_counter() - started
        recompute = forecasts_recompute(organisation=organisation)
        if connection.vendor == "postgresql":
            # A live database has its planner statistics and visibility map (autovacuum); fresh inserts not yet.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        user = get_user_model().objects.create_user(username=f"bench-board-{uuid.uuid4().hex[:8]}",
                                                    password=uuid.uuid4().hex)
        Membership.objects.create(user=user, organisation=organisation, role=Membership.Role.MANAGER)
        self.stderr.write(
            f"built {facts['orders']} orders, {facts['line_items']} line items, {facts['stage_periods']} stage "
            f"periods in {build_seconds:.1f} s; forecasts in {recompute.seconds:.1f} s"
        )
        Path(into).write_text(json.dumps({
            "organisation": organisation.pk, "user": user.pk, "facts": facts,
            "build_seconds": round(build_seconds, 1), "forecast_seconds": round(recompute.seconds, 1),
        }))

    def _run(self, *, built: str, repeat: int, keep: bool, explain: int) -> None:
        build = json.loads(Path(built).read_text())
        organisation = Organisation.objects.get(pk=build["organisation"])
        user = get_user_model().objects.get(pk=build["user"])
        facts = build["facts"]
        self.stderr.write(
            f"measuring in a fresh process: database {connection.vendor}, DEBUG {settings.DEBUG}, "
            f"CONN_MAX_AGE {connection.settings_dict['CONN_MAX_AGE']}, load average {os.getloadavg()[0]:.2f}"
        )
        # What the board warm task does after every sync that changed data (board.services): the rollup.
        rollup = board_rollup_rebuild(organisation=organisation)
        self.stderr.write(f"board rollup: {rollup.rows} rows in {rollup.seconds:.2f} s")
        hottest = []
        try:
            results = self._measure(organisation=organisation, user=user, repeat=repeat)
            if explain:
                hottest = self._explain(organisation=organisation, user=user, hottest=explain)
        finally:
            if not keep:
                SavedView.objects.filter(organisation=organisation).delete()
                bench_organisation_delete(organisation)
                user.delete()
        self._table(results)
        self.stdout.write(json.dumps({
            "benchmark": "board",
            "database": connection.vendor,
            "debug": settings.DEBUG,
            "conn_max_age": connection.settings_dict["CONN_MAX_AGE"],
            "orders": facts["orders"],
            "line_items": facts["line_items"],
            "stage_periods": facts["stage_periods"],
            "repeat": repeat,
            "build_seconds": build["build_seconds"],
            "rollup_rows": rollup.rows,
            "rollup_seconds": round(rollup.seconds, 2),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "budget_p95_ms": BUDGET_MS,
            "within_budget_cold": all(r["cold_p95_ms"] <= BUDGET_MS for r in results.values()),
            "within_budget": all(r["p95_ms"] <= BUDGET_MS for r in results.values()),
            "pages": results,
            "hottest_statements": hottest,
        }))

    def _pages(self, organisation) -> dict:
        stages = list(Stage.objects.filter(organisation=organisation).order_by("position"))
        biggest = (
            ProductionOrder.objects.filter(organisation=organisation).values_list("manufacturer_id", flat=True)
            .order_by().annotate(n=Count("id")).order_by("-n").first()
        )
        season = Season.objects.filter(organisation=organisation).order_by("-uphance_id").first()
        warehouse = Warehouse.objects.filter(organisation=organisation).order_by("name").first()
        second_maker = Manufacturer.objects.filter(organisation=organisation).exclude(pk=biggest).order_by("pk").first()
        order_id = (
            ProductionOrder.objects.filter(organisation=organisation)
            .order_by("-uphance_id").values_list("uphance_id", flat=True).first()
        )
        base = "group=stage&swimlane=manufacturer"
        htmx = {"HTTP_HX_REQUEST": "true"}
        return {
            "board": ("/board/?" + base, {}),
            "board_filtered_htmx": (
                f"/board/?{base}&season={season.id}&warehouse={warehouse.id}&late=1&q=sweater", htmx
            ),
            "board_makers_stuck_htmx": (
                f"/board/?{base}&manufacturer={biggest}&manufacturer={second_maker.id}&stage_status=in_progress"
                f"&stuck=1&q=black", htmx,
            ),
            "column_htmx": (
                f"/board/column/?{base}&column=stage-{stages[1].id}&lane=m-{biggest}&offset=3", htmx
            ),
            "manufacturer_board": ("/board/?group=manufacturer&swimlane=manufacturer", {}),
            "order": (f"/orders/{order_id}/", {}),
            "live": ("/board/live/?v=0", {}),
        }

    @staticmethod
    def _get(client, url, headers) -> float:
        t0 = time.perf_counter()
        response = client.get(url, **headers)
        elapsed = (time.perf_counter() - t0) * 1000
        assert response.status_code in (200, 204), (url, response.status_code)  # the live poll: 204, nothing new
        return elapsed

    def _measure(self, *, organisation, user, repeat: int) -> dict:
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        pages = self._pages(organisation)
        queries, sizes = {}, {}
        for name, (url, headers) in pages.items():
            for _ in range(2):  # template loading, first connections
                self._get(client, url, headers)
            counts = []
            for cold in (True, False):
                if cold:
                    cache.clear()
                counter = QueryCounter()
                with connection.execute_wrapper(counter):
                    response = client.get(url, **headers)
                counts.append(counter.count)
            queries[name] = counts
            sizes[name] = len(response.content)
        # Round robin, so a burst of load on the shared machine spreads over every page.
        cold = {name: [] for name in pages}
        warm = {name: [] for name in pages}
        for _ in range(repeat):
            for name, (url, headers) in pages.items():
                cache.clear()
                cold[name].append(self._get(client, url, headers))
                warm[name].append(self._get(client, url, headers))
        return {
            name: {
                "url": url,
                "cold_p50_ms": round(statistics.median(cold[name]), 1),
                "cold_p95_ms": round(percentile(cold[name], 0.95), 1),
                "p50_ms": round(statistics.median(warm[name]), 1),
                "p95_ms": round(percentile(warm[name], 0.95), 1),
                "queries_cold": queries[name][0],
                "queries_warm": queries[name][1],
                "bytes": sizes[name],
            }
            for name, (url, _headers) in pages.items()
        }

    # --- plans -----------------------------------------------------------------------------------

    def _explain(self, *, organisation, user, hottest: int) -> list[dict]:
        """Each board statement of one cold request per page, with the scans of its plan; the `hottest`
        slowest with their whole plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL)."""
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        found = []
        for name, (url, headers) in self._pages(organisation).items():
            cache.clear()
            log = StatementLog()
            with connection.execute_wrapper(log):
                client.get(url, **headers)
            found += [(_fastest(sql, params), name, sql, params) for sql, params in log.statements
                      if sql.lstrip().upper().startswith("SELECT") and any(t in sql for t in BOARD_TABLES)]
        self.stderr.write("plans of the board's statements (ms: fastest of 3 runs):")
        for ms, name, sql, params in found:
            scans = [line.strip() for line in _plan(sql, params, analyze=False)
                     if any(word in line for word in ("SCAN", "SEARCH", "Scan", "Index Cond"))]
            self.stderr.write(f"  {name:26} {ms:7.2f}  {' | '.join(dict.fromkeys(scans))[:300]}")
        out = []
        for ms, name, sql, params in sorted(found, key=lambda f: -f[0])[:hottest]:
            plan = _plan(sql, params, analyze=True)
            self.stderr.write(f"hottest: {name}, {ms:.2f} ms\n  {sql}\n    " + "\n    ".join(plan))
            out.append({"page": name, "ms": round(ms, 2), "sql": sql, "plan": plan})
        return out

    def _table(self, results: dict) -> None:
        self.stderr.write(f"{'page':26} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} {'warm p95':>9} {'queries':>8}")
        for name, r in results.items():
            self.stderr.write(
                f"{name:26} {r['cold_p50_ms']:9.1f} {r['cold_p95_ms']:9.1f} {r['p50_ms']:9.1f} {r['p95_ms']:9.1f} "
                f"{r['queries_cold']:>4}/{r['queries_warm']:<3}"
            )

