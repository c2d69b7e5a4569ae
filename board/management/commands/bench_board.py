"""Benchmark the board: build N orders in an organisation of its own, time the pages, print JSON."""
import datetime as dt
import json
import random
import statistics
import time
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from accounts.models import Membership, Organisation
from board.models import SavedView
from production.models import (
    LineItem,
    LineQuantity,
    Manufacturer,
    ProductionOrder,
    Season,
    Stage,
    StagePeriod,
    Warehouse,
)

BUDGET_MS = 150
STAGES = [
    ("Cutting", "#b86f6f"), ("Sewing", "#973094"), ("Embroidery", "#e0a458"), ("Washing", "#80c0d6"),
    ("Finishing", "#6a8d73"), ("Packing", "#89d7ca"),
]
SIZES = ["XS", "S", "M", "L", "XL"]
COLOURS = ["Black", "White", "Navy", "Sand", "Olive", "Burgundy", "Grey Marl", "Ecru", "Sky Blue", "Rust"]
PRODUCTS = ["Knit Sweater", "Linen Shirt", "Wrap Dress", "Cargo Trouser", "Denim Jacket", "Rib Tank", "Wool Coat",
            "Silk Scarf", "Chino Short", "Hoodie"]
BATCH = 5000


class QueryCounter:
    """Counts the SQL statements a request runs (the test client resets connection.queries)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


class Command(BaseCommand):
    help = "Build a large board in its own organisation, time the board pages, print one JSON line."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=20000)
        parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--keep", action="store_true", help="keep the benchmark organisation afterwards")

    def handle(self, *args, orders, repeat, seed, keep, **options):
        rng = random.Random(seed)
        started = time.perf_counter()
        organisation, user, facts = self._build(orders=orders, rng=rng)
        build_seconds = time.perf_counter() - started
        if connection.vendor == "postgresql":
            # A live database has planner statistics (autovacuum); fresh bulk inserts do not yet.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stderr.write(
            f"built {facts['orders']} orders, {facts['line_items']} line items, {facts['stage_periods']} stage "
            f"periods in {build_seconds:.1f} s"
        )
        try:
            results = self._measure(organisation=organisation, user=user, facts=facts, repeat=repeat)
        finally:
            if not keep:
                self._clean(organisation=organisation, user=user)
        report = {
            "benchmark": "board",
            "database": connection.vendor,
            "debug": settings.DEBUG,
            "orders": facts["orders"],
            "line_items": facts["line_items"],
            "stage_periods": facts["stage_periods"],
            "repeat": repeat,
            "build_seconds": round(build_seconds, 1),
            "budget_p95_ms": BUDGET_MS,
            "pages": results,
            "within_budget": all(r["p95_ms"] <= BUDGET_MS for r in results.values()),
            "within_budget_cold": all(r["cold_p95_ms"] <= BUDGET_MS for r in results.values()),
        }
        self.stdout.write(json.dumps(report))

    # --- data -----------------------------------------------------------------------------------

    @transaction.atomic
    def _build(self, *, orders: int, rng: random.Random):
        tag = uuid.uuid4().hex[:8]
        now = timezone.now()
        today = timezone.localdate()
        organisation = Organisation.objects.create(name=f"Board benchmark {tag}", time_zone="Europe/London")
        user = get_user_model().objects.create_user(username=f"bench-board-{tag}", password=uuid.uuid4().hex)
        Membership.objects.create(user=user, organisation=organisation, role=Membership.Role.MANAGER)
        stages = Stage.objects.bulk_create(
            Stage(organisation=organisation, name=name, colour=colour, colour_raw=colour, position=i)
            for i, (name, colour) in enumerate(STAGES)
        )
        manufacturers = Manufacturer.objects.bulk_create(
            Manufacturer(organisation=organisation, uphance_id=59000 + i, name=f"Factory {chr(65 + i % 26)}{i:02d}")
            for i in range(24)
        )
        seasons = Season.objects.bulk_create(
            Season(organisation=organisation, uphance_id=12000 + i, name=f"{'SS' if i % 2 else 'AW'}{20 + i // 2}")
            for i in range(8)
        )
        warehouses = Warehouse.objects.bulk_create(
            Warehouse(organisation=organisation, name=name) for name in ("Primary warehouse", "London", "Porto")
        )
        # A few big factories, a long tail of small ones; recent seasons hold most orders.
        m_weights = [1 / (i + 1) ** 0.8 for i in range(len(manufacturers))]
        s_weights = [1, 1, 2, 2, 4, 6, 10, 12]

        order_rows = []
        for n in range(orders):
            status = rng.choices(["confirmed", "complete", "draft", "cancelled"], [75, 15, 5, 5])[0]
            delivery = rng.choices(["not_received", "receiving", "all_received"], [65, 15, 20])[0]
            due = today + dt.timedelta(days=rng.randint(-60, 120)) if rng.random() > 0.25 else None
            in_warehouse = due + dt.timedelta(days=rng.randint(0, 20)) if due and rng.random() < 0.3 else None
            order_rows.append(ProductionOrder(
                organisation=organisation, uphance_id=100000 + n, number=str(1000 + n),
                manufacturer=rng.choices(manufacturers, m_weights)[0], season=rng.choices(seasons, s_weights)[0],
                status=status, status_raw=status.upper(), delivery_status=delivery,
                delivery_status_raw=delivery.replace("_", " ").title(), currency="EUR",
                created_at=now - dt.timedelta(days=rng.randint(10, 200)), due_date=due, in_warehouse_date=in_warehouse,
                warehouses=["Primary warehouse"], first_seen_at=now, last_synced_at=now,
            ))
        created_orders = []
        for i in range(0, len(order_rows), BATCH):
            created_orders += ProductionOrder.objects.bulk_create(order_rows[i : i + BATCH])

        item_rows, plans = [], []
        uphance_item = 1_000_000
        for order in created_orders:
            for _ in range(rng.choices(range(1, 10), [6, 8, 10, 12, 14, 14, 12, 8, 6])[0]):
                uphance_item += 1
                kind = rng.choices(["no_stages", "not_started", "in_progress", "completed"], [8, 12, 70, 10])[0]
                current = None
                started = None
                if kind in ("in_progress", "completed"):
                    current = rng.choices(range(len(stages)), [22, 30, 10, 10, 14, 14])[0]
                    started = now - dt.timedelta(days=rng.expovariate(1 / 8))
                elif kind == "not_started":
                    current = 0
                colour = rng.choice(COLOURS)
                units = rng.randint(6, 400)
                item_rows.append(LineItem(
                    organisation=organisation, order=order, uphance_id=uphance_item, product_id=uphance_item,
                    product_name=f"{rng.randint(1000, 9999)}_{rng.choice(PRODUCTS)}",
                    product_identifier=f"{rng.randint(10, 99)}-{rng.randint(1000, 9999)} {colour.lower()}",
                    colour=colour, units=units, warehouse=rng.choice(warehouses),
                    has_stages=kind != "no_stages", stage_status=kind,
                    current_stage=stages[current] if current is not None else None,
                    current_stage_started_at=started, stages_changed_at=started or now,
                ))
                plans.append((kind, current, started, units))
        created_items = []
        for i in range(0, len(item_rows), BATCH):
            created_items += LineItem.objects.bulk_create(item_rows[i : i + BATCH])

        periods, quantities = [], []
        period_count = 0
        quantity_count = 0

        def flush(force=False):
            nonlocal periods, quantities, period_count, quantity_count
            if periods and (force or len(periods) >= BATCH):
                StagePeriod.objects.bulk_create(periods)
                period_count += len(periods)
                periods = []
            if quantities and (force or len(quantities) >= BATCH):
                LineQuantity.objects.bulk_create(quantities)
                quantity_count += len(quantities)
                quantities = []

        for item, (kind, current, started, units) in zip(created_items, plans, strict=False):
            sizes = SIZES[rng.randint(0, 1) : rng.randint(3, 5)]
            for position, size in enumerate(sizes):
                quantities.append(LineQuantity(
                    line_item=item, uphance_id=item.uphance_id * 10 + position, position=position, size=size,
                    quantity=units // len(sizes), sku_number=f"SKU-{item.uphance_id}-{size}",
                ))
            if current is not None:
                cursor = started or now
                past = []
                for index in range(current - 1, -1, -1):
                    length = dt.timedelta(days=rng.lognormvariate(1.2, 0.6))
                    past.append((index, cursor - length, cursor))
                    cursor -= length
                for sequence, (index, start, end) in enumerate(reversed(past)):
                    periods.append(StagePeriod(
                        organisation=organisation, line_item=item, stage=stages[index], sequence=sequence,
                        is_current=False, start_time=start, end_time=end, status="completed",
                        status_raw="Completed", first_seen_at=start, changed_at=end,
                    ))
                periods.append(StagePeriod(
                    organisation=organisation, line_item=item, stage=stages[current], sequence=len(past),
                    is_current=True, start_time=started, end_time=None,
                    status=kind if kind != "in_progress" else "in_progress",
                    status_raw=kind.replace("_", " ").title(), first_seen_at=started or now, changed_at=started or now,
                ))
            flush()
        flush(force=True)
        facts = {
            "orders": len(created_orders),
            "line_items": len(created_items),
            "stage_periods": period_count,
            "line_quantities": quantity_count,
            "stages": stages,
            "manufacturers": manufacturers,
            "seasons": seasons,
        }
        return organisation, user, facts

    def _clean(self, *, organisation, user):
        with transaction.atomic():
            StagePeriod.objects.filter(organisation=organisation).delete()
            LineQuantity.objects.filter(line_item__organisation=organisation).delete()
            SavedView.objects.filter(organisation=organisation).delete()
            organisation.delete()
            user.delete()

    # --- timing ---------------------------------------------------------------------------------

    @staticmethod
    def _time(client, url, headers, repeat: int, *, cold: bool) -> list[float]:
        """Server time of `repeat` requests; `cold` empties the cache first (as after a sync)."""
        timings = []
        for _ in range(repeat):
            if cold:
                cache.clear()
            t0 = time.perf_counter()
            response = client.get(url, **headers)
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        return timings

    def _measure(self, *, organisation, user, facts, repeat: int) -> dict:
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        sewing = facts["stages"][1]
        biggest = facts["manufacturers"][0]
        order_id = (
            ProductionOrder.objects.filter(organisation=organisation)
            .order_by("-uphance_id").values_list("uphance_id", flat=True).first()
        )
        base = "group=stage&swimlane=manufacturer"
        pages = {
            "board": ("/board/?" + base, {}),
            "board_filtered_htmx": (
                f"/board/?{base}&season={facts['seasons'][-1].id}&late=1&q=sweater", {"HTTP_HX_REQUEST": "true"}
            ),
            "column_htmx": (
                f"/board/column/?{base}&column=stage-{sewing.id}&lane=m-{biggest.id}&offset=5",
                {"HTTP_HX_REQUEST": "true"},
            ),
            "manufacturer_board": ("/board/?group=manufacturer&swimlane=manufacturer", {}),
            "order": (f"/orders/{order_id}/", {}),
        }
        results = {}
        for name, (url, headers) in pages.items():
            for _ in range(2):  # warm up: template loading, the per-organisation caches
                response = client.get(url, **headers)
                assert response.status_code == 200, (url, response.status_code)
            counter = QueryCounter()
            with connection.execute_wrapper(counter):
                client.get(url, **headers)
            warm = self._time(client, url, headers, repeat, cold=False)
            cold = self._time(client, url, headers, repeat, cold=True)
            results[name] = {
                "url": url,
                "p50_ms": round(statistics.median(warm), 1),
                "p95_ms": round(percentile(warm, 0.95), 1),
                "cold_p50_ms": round(statistics.median(cold), 1),
                "cold_p95_ms": round(percentile(cold, 0.95), 1),
                "queries": counter.count,
                "bytes": len(response.content),
            }
            self.stderr.write(f"{name}: {results[name]}")
        return results
