"""Benchmark the production sync against the Uphance sandbox (run in its own process).

Prints figures, then last one JSON line. Nothing here is asserted: budgets are in PRODUCT.md
(ratio ≤ 1.10 at 200 ms latency; ≥ 5× over naive at 0 ms; memory flat in the number of orders;
incremental cost proportional to the change).
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Organisation
from integrations.uphance.client import UphanceClient
from production.models import (
    LineItem,
    LineQuantity,
    Manufacturer,
    ProductionOrder,
    Season,
    Stage,
    StagePeriod,
)
from production.sync.engine import sync_run
from production.sync.models import SyncRun
from production.sync.upsert import production_orders_upsert, stage_status_of

SANDBOX_ORG = 35802


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakRss:
    """Samples this process's resident memory every 20 ms while active."""

    def __enter__(self):
        self.peak = self.start = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


class Command(BaseCommand):
    help = "Benchmark the production sync against the Uphance sandbox; prints one JSON line last."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=2000)
        parser.add_argument("--latency-ms", type=int, default=0)
        parser.add_argument("--naive", action="store_true", help="Also time a per-row update_or_create upsert")
        parser.add_argument("--incremental-changed", default=None, help="e.g. 1%%: change that share, then run the incremental passes")
        parser.add_argument("--keep", action="store_true", help="Keep the benchmark organisations' data")

    def handle(self, *args, orders, latency_ms, naive, incremental_changed, keep, **options):
        settings.DEBUG = False  # measure as production runs: no SQL query log
        port = _free_port()
        sandbox = subprocess.Popen(
            [sys.executable, "manage.py", "uphance_sandbox", "--port", str(port), "--orders", str(orders),
             "--seed", "1", "--latency-ms", str(latency_ms)],
            cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        created = []
        try:
            self._wait(url, sandbox)
            result = {"orders": orders, "latency_ms": latency_ms, "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]}

            fetch_1 = self._fetch_only(url)
            org = self._organisation("bench-sync", created)
            client = self._client(url)
            with PeakRss() as memory:
                started = time.perf_counter()
                run = sync_run(organisation=org, kind=SyncRun.Kind.PRODUCTION_FULL, trigger="command", client=client)
                sync_s = time.perf_counter() - started
            if run.outcome not in ("succeeded", "partial"):
                raise CommandError(f"sync failed: {run.message}")
            fetch_2 = self._fetch_only(url)
            fetch_s = (fetch_1 + fetch_2) / 2
            line_items = LineItem.objects.filter(organisation=org).count()
            result.update(
                pages=run.pages, line_items=line_items, fetch_only_s=round(fetch_s, 3), sync_s=round(sync_s, 3),
                ratio=round(sync_s / fetch_s, 3), orders_per_s=round(orders / sync_s, 1),
                rss_before_mb=round(memory.start, 1), peak_rss_mb=round(memory.peak, 1),
            )
            self.stdout.write(f"fetch only {fetch_s:.2f}s, sync {sync_s:.2f}s, ratio {sync_s / fetch_s:.3f}, "
                              f"{orders / sync_s:.0f} orders/s, peak RSS {memory.peak:.0f} MB")

            if naive:
                result.update(self._ingest_comparison(url, created))
            if incremental_changed:
                result.update(self._incremental(url, org, client, incremental_changed))
            self.stdout.write(json.dumps(result))
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=10)
            if not keep:
                for org in created:
                    self._delete(org)

    # --- pieces --------------------------------------------------------------------------------

    def _wait(self, url, process, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise CommandError("the sandbox did not start")
            try:
                requests.get(f"{url}/_sandbox/state", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise CommandError("the sandbox did not answer")

    def _client(self, url) -> UphanceClient:
        # Unthrottled: the benchmark compares like with like; production keeps its ceiling.
        client = UphanceClient(url, max_requests_per_second=0)
        client.authenticate(email="solo@sandbox.test", password="sandbox")
        client.set_current_organisation(SANDBOX_ORG)
        return client

    def _fetch_only(self, url) -> float:
        client = self._client(url)
        started = time.perf_counter()
        records = 0
        for page in client.production_order_pages(include_stages=True):
            records += len(page.records)  # downloaded and parsed, nothing stored
        return time.perf_counter() - started

    def _organisation(self, name, created) -> Organisation:
        org = Organisation.objects.create(name=f"{name}-{time.time_ns()}")
        created.append(org)
        return org

    def _ingest_comparison(self, url, created) -> dict:
        """The same pages written by the bulk upsert and by a naive per-row update_or_create."""
        client = self._client(url)
        pages = [page.records for page in client.production_order_pages(include_stages=True)]
        bulk_org = self._organisation("bench-bulk", created)
        started = time.perf_counter()
        for records in pages:
            production_orders_upsert(organisation=bulk_org, orders=records)
        bulk_s = time.perf_counter() - started
        naive_org = self._organisation("bench-naive", created)
        started = time.perf_counter()
        for records in pages:
            naive_upsert(organisation=naive_org, orders=records)
        naive_s = time.perf_counter() - started
        self.stdout.write(f"ingest: bulk {bulk_s:.2f}s, naive update_or_create {naive_s:.2f}s, speed-up {naive_s / bulk_s:.1f}×")
        return {"ingest_bulk_s": round(bulk_s, 3), "ingest_naive_s": round(naive_s, 3), "speedup_over_naive": round(naive_s / bulk_s, 2)}

    def _incremental(self, url, org, client, changed) -> dict:
        share = float(changed.rstrip("%")) / (100 if changed.endswith("%") else 1)
        count = max(1, round(share * ProductionOrder.objects.filter(organisation=org).count()))
        state = requests.get(f"{url}/_sandbox/state", timeout=10).json()
        requests.post(f"{url}/_sandbox/orders/new", json={"org": SANDBOX_ORG, "count": count}, timeout=10).raise_for_status()
        requests.post(f"{url}/_sandbox/advance", json={"hours": 2}, timeout=10).raise_for_status()
        out = {"incremental_changed_orders": count}
        for kind in (SyncRun.Kind.PRODUCTION_NEW, SyncRun.Kind.PRODUCTION_OPEN, SyncRun.Kind.PRODUCTION_STAGES):
            before = client.request_count
            started = time.perf_counter()
            run = sync_run(organisation=org, kind=kind, trigger="command", client=client)
            short = kind.replace("production_", "")
            out[f"{short}_requests"] = client.request_count - before
            out[f"{short}_rows_written"] = run.created + run.updated
            out[f"{short}_s"] = round(time.perf_counter() - started, 3)
            self.stdout.write(f"{kind}: {out[f'{short}_requests']} requests, {out[f'{short}_rows_written']} orders/line items written, {out[f'{short}_s']}s")
        out["full_pass_requests"] = -(-ProductionOrder.objects.filter(organisation=org).count() // 50)
        del state
        return out

    def _delete(self, org):
        with transaction.atomic():
            StagePeriod.objects.filter(organisation=org).delete()
            LineQuantity.objects.filter(line_item__organisation=org).delete()
            LineItem.objects.filter(organisation=org).delete()
            ProductionOrder.objects.filter(organisation=org).delete()
            Stage.objects.filter(organisation=org).delete()
            for model in (Manufacturer, Season):
                model.objects.filter(organisation=org).delete()
            org.delete()


def naive_upsert(*, organisation, orders) -> None:
    """The obvious implementation the bulk upsert is measured against: one row at a time."""
    with transaction.atomic():
        for order in orders:
            manufacturer, _ = Manufacturer.objects.update_or_create(
                organisation=organisation, uphance_id=order.company_id or 0, defaults={"name": order.company_name or ""})
            season = None
            if order.season_id:
                season, _ = Season.objects.get_or_create(organisation=organisation, uphance_id=order.season_id)
            row, _ = ProductionOrder.objects.update_or_create(
                organisation=organisation, uphance_id=order.id,
                defaults={"number": order.production_order_number or "", "manufacturer": manufacturer, "season": season,
                          "status": order.status_key or "", "status_raw": order.status or "",
                          "delivery_status": order.delivery_status_key or "", "delivery_status_raw": order.delivery_status or "",
                          "created_at": order.created_at, "grand_total": order.grand_total,
                          "total_quantity": order.total_quantity or 0, "warehouses": order.warehouses},
            )
            for line in order.line_items:
                current = line.current_stage
                stage = None
                if current and current.name:
                    stage, _ = Stage.objects.get_or_create(organisation=organisation, name=current.name)
                item, _ = LineItem.objects.update_or_create(
                    organisation=organisation, uphance_id=line.id,
                    defaults={"order": row, "product_name": line.product_name or "", "colour": line.color or "",
                              "units": line.quantity, "cover_image": line.product_cover_image,
                              "stage_status": stage_status_of(line), "current_stage": stage},
                )
                for position, q in enumerate(line.line_quantities):
                    LineQuantity.objects.update_or_create(
                        line_item=item, uphance_id=q.id,
                        defaults={"position": position, "size": q.size or "", "quantity": q.quantity or 0,
                                  "sku_number": q.sku_number or "", "sku_id": q.sku_id})
                for sequence, entry in enumerate(line.stages):
                    if not entry.name:
                        continue
                    entry_stage, _ = Stage.objects.get_or_create(organisation=organisation, name=entry.name)
                    StagePeriod.objects.update_or_create(
                        line_item=item, sequence=sequence,
                        defaults={"organisation": organisation, "stage": entry_stage, "start_time": entry.start_time,
                                  "end_time": entry.end_time, "status": entry.status_key or "", "status_raw": entry.status or ""})
