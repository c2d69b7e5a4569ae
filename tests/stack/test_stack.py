"""The production topology on loopback: PostgreSQL, Redis, gunicorn, a Celery worker and beat.

Debian's PostgreSQL and Redis stand in for the docker-compose services; the Uphance sandbox runs
as its own process. The test connects, syncs through the worker, loads the board over HTTP, then
kills the worker with SIGKILL half way through a second full sync, starts it again and shows the
data complete, without duplicates.
"""
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from tests.conftest import ARTIFACTS, require_in_ci

pytestmark = [pytest.mark.stack, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
APPS_WITH_MODELS = ("accounts", "production", "customers")
UPHANCE_ORG = 35802
ADMIN = ("stackadmin", "stack-pass-4821")


def pg_binary(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return found[-1] if found else shutil.which(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check, *, timeout: float, every: float = 0.2, proc=None):
    """Poll `check` until it returns something truthy; fail after `timeout` (or if `proc` died)."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{proc.name} exited with {proc.returncode} while waiting for {what}")
        try:
            result = check()
            if result:
                return result
        except Exception as exc:
            last_error = exc
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last error: {last_error!r})")


class Process:
    def __init__(self, name: str, argv: list[str], *, env: dict, log: Path, stop_signal=signal.SIGTERM):
        self.name, self.argv, self.log_path, self.stop_signal = name, argv, log, stop_signal
        self.log = open(log, "ab")
        self.popen = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: killpg reaches a worker's children too
        )

    @property
    def returncode(self):
        return self.popen.returncode

    def poll(self):
        return self.popen.poll()

    def kill_group(self, sig) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 20) -> None:
        if self.popen.poll() is None:
            self.kill_group(self.stop_signal)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill_group(signal.SIGKILL)
                self.popen.wait(10)
        self.kill_group(signal.SIGKILL)  # anything the group left behind
        self.log.close()


class Stack:
    def __init__(self, root: Path):
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir()
        self.processes: list[Process] = []
        self.env: dict = {}
        self.pg_port = self.redis_port = self.web_port = self.sandbox_port = None

    def start(self, name: str, argv: list[str], **kwargs) -> Process:
        process = Process(name, argv, env=kwargs.pop("env", self.env), log=self.logs / f"{name}.log", **kwargs)
        self.processes.append(process)
        return process

    def manage(self, *args: str, env: dict | None = None, timeout: float = 180) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=REPO, env={**self.env, **(env or {})},
            capture_output=True, text=True, timeout=timeout, check=False,
        )
        with open(self.logs / "manage.log", "a") as log:
            log.write(f"$ manage.py {' '.join(args)}\n{done.stdout}{done.stderr}\n")
        assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def sql(self, query: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.pg_port, user="seamline", dbname="seamline",
                             autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def run_as(user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--"] if user else []


@pytest.fixture
def stack(request):
    binaries = {name: pg_binary(name) for name in ("initdb", "postgres")}
    binaries["redis-server"] = shutil.which("redis-server")
    missing = [name for name, path in binaries.items() if not path]
    if missing:
        require_in_ci(f"the stack test needs {', '.join(missing)} (Debian: postgresql, redis-server)")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        require_in_ci("the stack test runs PostgreSQL as a non-root user through runuser (util-linux)")

    root = Path(tempfile.mkdtemp(prefix="seamline-stack-", dir="/tmp"))
    os.chmod(root, 0o755)
    stack = Stack(root)
    settings_module = "config.settings.local"
    python_path = str(REPO)
    unmigrated = [app for app in APPS_WITH_MODELS if not list((REPO / app / "migrations").glob("0*.py"))]
    if unmigrated:
        if os.environ.get("SEAMLINE_STACK_SYNCDB") != "1":
            pytest.skip(f"no migrations yet for {', '.join(unmigrated)} (SEAMLINE_STACK_SYNCDB=1 creates tables)")
        # Tables straight from the models, for trying the stack before migrations exist.
        (root / "stack_settings.py").write_text(
            "from config.settings.local import *  # noqa\n"
            f"MIGRATION_MODULES = {{app: None for app in {APPS_WITH_MODELS!r}}}\n"
        )
        settings_module, python_path = "stack_settings", f"{root}{os.pathsep}{REPO}"

    try:
        # PostgreSQL: a fresh cluster owned by a non-root user, on loopback, socket in our dir.
        pg_user = None
        if os.geteuid() == 0:
            pg_user = "postgres" if _user_exists("postgres") else "nobody"
        for sub in ("pgdata", "pgsocket"):
            (root / sub).mkdir()
            if pg_user:
                shutil.chown(root / sub, user=pg_user)
        done = subprocess.run(
            [*run_as(pg_user), binaries["initdb"], "-D", str(root / "pgdata"), "-U", "seamline", "-A", "trust",
             "-E", "UTF8", "--no-locale", "--no-sync"],
            capture_output=True, text=True, timeout=120, check=False,
        )
        (stack.logs / "initdb.log").write_text(done.stdout + done.stderr)
        assert done.returncode == 0, done.stderr
        stack.pg_port = free_port()
        postgres = stack.start(
            "postgres",
            [*run_as(pg_user), binaries["postgres"], "-D", str(root / "pgdata"), "-k", str(root / "pgsocket"),
             "-p", str(stack.pg_port), "-h", "127.0.0.1", "-F", "-c", "max_connections=60"],
            env={**os.environ}, stop_signal=signal.SIGINT,  # fast shutdown
        )

        import psycopg

        def create_database():
            with psycopg.connect(host="127.0.0.1", port=stack.pg_port, user="seamline", dbname="postgres",
                                 autocommit=True, connect_timeout=3) as conn:
                conn.execute("CREATE DATABASE seamline")
            return True

        wait_for("PostgreSQL", create_database, timeout=60, proc=postgres)

        stack.redis_port = free_port()
        redis = stack.start(
            "redis",
            [binaries["redis-server"], "--port", str(stack.redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            env={**os.environ},
        )
        wait_for("Redis", lambda: socket.create_connection(("127.0.0.1", stack.redis_port), 1).close() or True,
                 timeout=30, proc=redis)

        stack.sandbox_port = free_port()
        stack.sandbox_url = f"http://127.0.0.1:{stack.sandbox_port}"
        stack.env = {
            k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "UPHANCE_", "SEAMLINE_", "EMAIL_"))
        }
        stack.env.update(
            DJANGO_SETTINGS_MODULE=settings_module,
            PYTHONPATH=python_path,
            PYTHONUNBUFFERED="1",
            DATABASE_URL=f"postgres://seamline@127.0.0.1:{stack.pg_port}/seamline",
            REDIS_URL=f"redis://127.0.0.1:{stack.redis_port}/0",
            SEAMLINE_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
            UPHANCE_API_URL=stack.sandbox_url,
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            CELERY_BROKER_DIR=str(root / "broker"),  # unused with Redis; keeps var/ clean
        )
        yield stack
    finally:
        stack.stop()
        report = getattr(request.node, "report_call", None)
        if report is None or report.failed:
            target = ARTIFACTS / "stack"
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(stack.logs, target)
        shutil.rmtree(root, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def sync_start(stack: Stack, organisation_id: int) -> int:
    out = stack.manage(
        "shell", "-c",
        "from accounts.models import Organisation\n"
        "from production.sync.tasks import sync_queue\n"
        f"run = sync_queue(organisation=Organisation.objects.get(pk={organisation_id}), "
        "kind='production_full', trigger='manual')\n"
        "print('run', run.pk)\n",
    )
    return int(re.search(r"^run (\d+)$", out, re.MULTILINE).group(1))


def run_state(stack: Stack, run_id: int) -> tuple[str, int]:
    return stack.sql("SELECT outcome, pages FROM production_syncrun WHERE id = %s", [run_id])[0]


def full_sync(stack: Stack, organisation_id: int, *, worker: Process, timeout: float = 240) -> int:
    """Start a full sync and wait for it to finish well (again if beat's own run held the lock)."""
    for _ in range(5):
        run_id = sync_start(stack, organisation_id)
        def finished(run_id=run_id):
            outcome = run_state(stack, run_id)[0]
            return outcome not in ("queued", "running") and outcome

        outcome = wait_for(f"full sync run {run_id}", finished, timeout=timeout, every=0.5, proc=worker)
        if outcome != "skipped":
            message = stack.sql("SELECT message FROM production_syncrun WHERE id = %s", [run_id])[0][0]
            assert outcome in ("succeeded", "partial"), f"run {run_id}: {outcome} {message}"
            return run_id
        time.sleep(2)
    raise AssertionError("every full sync was skipped: the lock stayed held")


def assert_complete_without_duplicates(stack: Stack, organisation_id: int) -> dict:
    truth = requests.get(f"{stack.sandbox_url}/_sandbox/state", timeout=10).json()
    counts = next(o["counts"] for o in truth["organisations"] if o["id"] == UPHANCE_ORG)
    orders = stack.sql(
        "SELECT count(*), count(DISTINCT uphance_id) FROM production_productionorder "
        "WHERE organisation_id = %s AND removed_at IS NULL", [organisation_id],
    )[0]
    line_items = stack.sql(
        "SELECT count(*), count(DISTINCT li.uphance_id) FROM production_lineitem li "
        "JOIN production_productionorder o ON o.id = li.order_id "
        "WHERE li.organisation_id = %s AND li.removed_at IS NULL AND o.removed_at IS NULL", [organisation_id],
    )[0]
    duplicates = stack.sql(
        "SELECT uphance_id FROM production_productionorder WHERE organisation_id = %s "
        "GROUP BY uphance_id HAVING count(*) > 1", [organisation_id],
    )
    assert duplicates == []
    assert orders == (counts["production_orders"], counts["production_orders"])
    assert line_items == (counts["line_items"], counts["line_items"])
    return counts


def test_production_stack_syncs_serves_and_survives_a_killed_worker(stack):
    sandbox = stack.start(
        "sandbox",
        [sys.executable, "manage.py", "uphance_sandbox", "--orders", "300", "--port", str(stack.sandbox_port),
         "--latency-ms", "100"],
    )
    wait_for("the Uphance sandbox", lambda: requests.get(f"{stack.sandbox_url}/_sandbox/state", timeout=2).ok,
             timeout=60, proc=sandbox)

    syncdb = stack.env["DJANGO_SETTINGS_MODULE"] == "stack_settings"
    stack.manage("migrate", "--noinput")
    if syncdb:  # then the apps without migrations, whose tables point at auth_user
        stack.manage("migrate", "--noinput", "--run-syncdb")
    stack.manage(
        "shell", "-c",
        f"from django.contrib.auth import get_user_model; get_user_model().objects.create_user({ADMIN[0]!r}, "
        f"password={ADMIN[1]!r})",
    )
    out = stack.manage("uphance_connect", "--email", "solo@sandbox.test", "--admin", ADMIN[0],
                       env={"UPHANCE_PASSWORD": "sandbox"})
    organisation_id = int(re.search(r"Connected organisation (\d+)", out).group(1))
    raw_token = stack.sql("SELECT access_token FROM accounts_uphanceconnection")[0][0]
    assert raw_token.startswith("enc:")

    stack.web_port = free_port()
    web_url = f"http://127.0.0.1:{stack.web_port}"
    web = stack.start("gunicorn", [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{stack.web_port}",
                                   "--workers", "2", "--access-logfile", "-"])
    worker_argv = [str(BIN / "celery"), "-A", "config", "worker", "--pool=prefork", "-c", "1", "-l", "info",
                   "-n", "stack-worker@%h"]
    worker = stack.start("worker", worker_argv)
    beat = stack.start("beat", [str(BIN / "celery"), "-A", "config", "beat", "-l", "info",
                                "-s", str(stack.root / "beat-schedule")])
    wait_for("gunicorn", lambda: requests.get(f"{web_url}/healthz/", timeout=2).text == "ok", timeout=60, proc=web)

    # 1. A full sync through the worker brings everything the sandbox has.
    full_sync(stack, organisation_id, worker=worker)
    first = assert_complete_without_duplicates(stack, organisation_id)
    assert first["production_orders"] >= 300

    # 2. The board over HTTP, logged in through the login form.
    browser = requests.Session()
    login_page = browser.get(f"{web_url}/login/", timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    logged_in = browser.post(
        f"{web_url}/login/", data={"username": ADMIN[0], "password": ADMIN[1], "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{web_url}/login/"}, timeout=10,
    )
    assert logged_in.ok and "Log out" in logged_in.text
    board = browser.get(f"{web_url}/board/", timeout=30)
    assert board.status_code == 200
    assert "Content-Security-Policy" in board.headers
    truth = requests.get(f"{stack.sandbox_url}/_sandbox/state", timeout=10).json()
    stage_names = [s["name"] for o in truth["organisations"] if o["id"] == UPHANCE_ORG for s in o["stages"]]
    assert any(name in board.text for name in stage_names), "the board shows none of the stages"
    stylesheet = browser.get(f"{web_url}/static/css/seamline.css", timeout=10)
    assert stylesheet.status_code == 200 and "text/css" in stylesheet.headers["Content-Type"]

    # 3. New orders upstream; a second full sync; SIGKILL the worker half way through it.
    added = requests.post(f"{stack.sandbox_url}/_sandbox/orders/new", json={"org": UPHANCE_ORG, "count": 40},
                          timeout=10)
    assert added.status_code == 201
    run_id = sync_start(stack, organisation_id)

    def half_way():
        outcome, pages = run_state(stack, run_id)
        if outcome == "queued" or (outcome == "running" and pages < 2):
            return None
        return outcome, pages

    outcome, pages = wait_for("the second sync to be half way", half_way, timeout=120, every=0.05, proc=worker)
    assert outcome == "running", f"the second sync finished ({outcome}) before it could be killed"
    worker.kill_group(signal.SIGKILL)
    print(f"worker killed during run {run_id} at page {pages}")
    worker.popen.wait(30)
    assert worker.returncode == -signal.SIGKILL
    assert run_state(stack, run_id)[0] == "running"  # nobody closed it: the worker died mid-run

    # 4. The worker comes back. Its lock outlives it for LOCK_TTL; age it as if that time had passed.
    worker = stack.start("worker-restarted", worker_argv)
    stack.sql("UPDATE production_synclock SET heartbeat_at = now() - interval '1 hour' "
              "WHERE organisation_id = %s AND kind = 'production_full'", [organisation_id])
    full_sync(stack, organisation_id, worker=worker)
    assert run_state(stack, run_id)[0] == "failed"  # the killed run is closed by the one that took over
    final = assert_complete_without_duplicates(stack, organisation_id)
    print(f"after the restart: {final}")
    assert final["production_orders"] == first["production_orders"] + 40

    for process in (web, beat, worker, sandbox):
        assert process.poll() is None, f"{process.name} died"
