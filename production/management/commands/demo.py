"""`make demo`: migrate, start the Uphance sandbox, web, worker and beat, connect, print the URL.

A small supervisor around honcho: Ctrl-C (or SIGTERM) stops every process it started.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from production.sync.models import SyncRun
from production.sync.tasks import sync_queue

FIRST_SYNCS = (SyncRun.Kind.PRODUCTION_FULL, SyncRun.Kind.CUSTOMERS, SyncRun.Kind.SALES_ORDERS_FULL)


class Command(BaseCommand):
    help = "Run Seamline on its embedded default: SQLite, filesystem broker, the Uphance sandbox, the outbox."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("SEAMLINE_PORT", 8000)))
        parser.add_argument("--sandbox-port", type=int, default=int(os.environ.get("SANDBOX_PORT", 8765)))
        parser.add_argument("--orders", type=int, default=int(os.environ.get("SANDBOX_ORDERS", 2000)))
        parser.add_argument("--time-speed", type=float, default=float(os.environ.get("SANDBOX_TIME_SPEED", 3600)))
        parser.add_argument("--no-serve", action="store_true", help="Set everything up, connect, sync once, then exit")

    def handle(self, *args, port, sandbox_port, orders, time_speed, no_serve, **options):
        sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        if settings.UPHANCE_API_URL != sandbox_url:
            raise CommandError(f"UPHANCE_API_URL must be {sandbox_url} for the demo (the Makefile sets it).")
        var = Path(settings.BASE_DIR) / "var"
        self.stdout.write("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=0)

        python = sys.executable
        procfile = var / "Procfile.demo"
        procfile.write_text(
            f"sandbox: {python} manage.py uphance_sandbox --port {sandbox_port} --orders {orders} --seed 1 --time-speed {time_speed}\n"
            f"web: {python} -m gunicorn config.wsgi --bind 127.0.0.1:{port} --workers 2 --threads 4 --access-logfile -\n"
            f"worker: {python} -m celery -A config worker --loglevel INFO --concurrency 2\n"
            f"beat: {python} -m celery -A config beat --loglevel INFO\n"
        )
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # honcho stays in our process group: Ctrl-C in the terminal reaches it, and it stops every
        # process it started. SIGTERM to this command is turned into the same orderly stop.
        honcho = subprocess.Popen([python, "-m", "honcho", "-f", str(procfile), "-d", str(settings.BASE_DIR), "start"], env=env)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            self._wait_for(f"{sandbox_url}/_sandbox/state", honcho, "the Uphance sandbox")
            call_command("demo_setup")
            organisation = Organisation.objects.filter(uphance_connection__isnull=False).order_by("pk").first()
            if organisation and not SyncRun.objects.filter(organisation=organisation).exists():
                for kind in FIRST_SYNCS:
                    sync_queue(organisation=organisation, kind=kind, trigger=SyncRun.Trigger.CONNECT)
            self._wait_for(f"http://127.0.0.1:{port}/healthz/", honcho, "the web server")
            banner = (
                "\n" + "=" * 64 + "\n"
                f"  Seamline is running:  http://127.0.0.1:{port}/\n"
                f"  Log in as            demo / demo\n"
                f"  Uphance sandbox:     {sandbox_url}  (an hour of production passes every {3600 / time_speed:g} s)\n"
                f"  E-mail goes to       http://127.0.0.1:{port}/outbox/\n"
                "  The first sync runs in the background: see /sync/.   Ctrl-C stops everything.\n"
                + "=" * 64 + "\n"
            )
            self.stdout.write(self.style.SUCCESS(banner))
            if no_serve:
                return
            honcho.wait()
        except KeyboardInterrupt:
            self.stdout.write("Stopping Seamline…")
        finally:
            self._stop(honcho)
            self.stdout.write("Seamline stopped.")

    def _stop(self, honcho):
        for send, wait in ((None, 15), (honcho.terminate, 15), (honcho.kill, 5)):
            if honcho.poll() is not None:
                return
            if send:
                send()
            try:
                honcho.wait(timeout=wait)
            except (subprocess.TimeoutExpired, KeyboardInterrupt):
                continue

    def _wait_for(self, url, process, what, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise CommandError(f"{what} did not start (see the output above).")
            try:
                if requests.get(url, timeout=2).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise CommandError(f"{what} did not answer at {url} within {timeout} s.")
