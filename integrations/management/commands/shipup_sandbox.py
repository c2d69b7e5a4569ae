"""Runs the local Shipup sandbox until interrupted (demo and out-of-process tests)."""
import signal
import threading

from django.core.management.base import BaseCommand

from integrations.shipup.sandbox import ShipupSandboxServer


class Command(BaseCommand):
    help = "Serve a local fake of Shipup's /v2/orders (Bearer auth, validation, 2 req/s bucket)."
    # A standalone fake server: it needs neither the database nor the rest of the project checked.
    requires_system_checks = ()

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8766, help="0 picks a free port")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--api-key", default="sandbox-key")
        parser.add_argument("--rate", type=float, default=2.0, help="requests drained per second")
        parser.add_argument("--burst", type=int, default=5, help="bucket size (real Shipup: 60)")

    def handle(self, *args, port, host, api_key, rate, burst, **options):
        server = ShipupSandboxServer(port=port, host=host, api_key=api_key,
                                     rate_per_second=rate, burst=burst).start()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _raise_interrupt)
        self.stdout.write(f"Shipup sandbox listening on {server.url}")
        self.stdout.write(f"API key: {server.api_key}")
        self.stdout.write(f"State: {server.url}/_sandbox/state  (Ctrl-C to stop)")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
            self.stdout.write("Shipup sandbox stopped")


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt
