"""Runs the local Uphance sandbox until interrupted (demo, out-of-process tests, benchmarks)."""

import signal
import threading
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from integrations.uphance.sandbox import LOGINS, SandboxServer


class Command(BaseCommand):
    help = "Serve a fake Uphance API: production orders, stages, customers, sales orders."
    # A standalone fake server: it needs neither the database nor the rest of the project checked.
    requires_system_checks = ()

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--orders",
            type=int,
            default=2000,
            help="production orders of the first organisation (the second gets a quarter)",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--latency-ms", type=float, default=0, help="sleep this long in every request"
        )
        parser.add_argument(
            "--fault-rate",
            type=float,
            default=0.0,
            help="share of requests answered 429/5xx or slowly",
        )
        parser.add_argument(
            "--malformed-rate", type=float, default=0.0, help="share of records that are broken"
        )
        parser.add_argument(
            "--time-speed",
            type=float,
            default=1.0,
            help="production seconds per real second (3600: an hour of production per second); "
            "events are stamped with the real time they happen, never ahead of the wall clock",
        )
        parser.add_argument(
            "--start",
            default=None,
            help="the instant history is generated up to, ISO 8601, not after now (default: now); "
            "fixes the data across restarts",
        )
        parser.add_argument(
            "--new-order-hours",
            type=float,
            default=6.0,
            help="a new order appears every this many production hours (0: never)",
        )
        parser.add_argument("--access-log", action="store_true", help="print a line per request")
        parser.add_argument(
            "--revoke-used-refresh-tokens",
            action="store_true",
            help="a refresh token works once, as with an OAuth server that rotates them",
        )

    def handle(
        self,
        *args,
        port,
        host,
        orders,
        seed,
        latency_ms,
        fault_rate,
        malformed_rate,
        time_speed,
        start,
        new_order_hours,
        access_log,
        revoke_used_refresh_tokens,
        **options,
    ):
        clock_start = None
        if start:
            try:
                clock_start = datetime.fromisoformat(start)
            except ValueError as exc:
                raise CommandError(f"--start: {exc}") from None
            if clock_start.tzinfo is None:
                clock_start = clock_start.replace(tzinfo=UTC)
        try:
            server = SandboxServer(
                orders=orders,
                seed=seed,
                latency_ms=latency_ms,
                fault_rate=fault_rate,
                malformed_rate=malformed_rate,
                time_speed=time_speed,
                revoke_used_refresh_tokens=revoke_used_refresh_tokens,
                port=port,
                host=host,
                clock_start=clock_start,
                new_order_hours=new_order_hours,
                access_log=access_log,
            ).start()
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _raise_interrupt)
        stats = server.state.stats()
        self.stdout.write(f"Uphance sandbox listening on {server.url}")
        for email, (password, org_ids) in LOGINS.items():
            names = ", ".join(
                f"{org_id} {server.state.organisations[org_id].name}" for org_id in org_ids
            )
            self.stdout.write(f"  login {email} / {password}  ->  {names}")
        for org_id, counts in stats.items():
            self.stdout.write(
                f"  {org_id}: {counts['production_orders']} production orders, "
                f"{counts['line_items']} line items, "
                f"{counts['customers']} customers, {counts['sales_orders']} sales orders"
            )
        self.stdout.write(
            f"  clock {server.state.now.isoformat()} x{time_speed:g}; "
            f"state: {server.url}/_sandbox/state  (Ctrl-C to stop)"
        )
        self.stdout.flush()
        try:
            while server._thread is not None and server._thread.is_alive():
                server._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
            self.stdout.write("Uphance sandbox stopped")


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt
