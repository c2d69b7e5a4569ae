"""A worker SIGKILLed in the middle of a run, and the task Celery delivers again (acks_late) with the same run id.

Real processes on a shared SQLite file: one runs the sync task as a worker would and is killed with
SIGKILL half way; another runs the same message again. The redelivered task must take the dead run's
lock over, record the dead run as failed ("the worker stopped") and finish the work.
"""
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from integrations.uphance.sandbox import SandboxServer

REPO = Path(__file__).resolve().parents[3]
TASK_ID = "celery-task-4f1c"  # a redelivered message keeps its task id and arguments

SETUP = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from accounts.services import uphance_connect
from production.sync.models import SyncRun
org = uphance_connect(api_url={url!r}, email="solo@sandbox.test", password="sandbox").organisation
run = SyncRun.objects.create(organisation=org, kind="production_full", trigger="schedule", outcome="queued")
print(org.pk, run.pk)
"""

WORKER = """
import django; django.setup()
from production.sync.tasks import sync_task
result = sync_task.apply(args=[{org}, "production_full", "schedule", {run}], task_id={task_id!r})
print("outcome", result.get())
"""


@pytest.fixture
def slow_sandbox():
    server = SandboxServer(orders=300, seed=5, latency_ms=250).start()
    yield server
    server.stop()


def child(code: str, database: Path, **kwargs) -> subprocess.Popen:
    env = {
        **os.environ, "PYTHONPATH": str(REPO), "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{database}", "UPHANCE_MAX_REQUESTS_PER_SECOND": "0",
    }
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def rows(database: Path, sql: str, params=()) -> list[tuple]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
        return db.execute(sql, params).fetchall()


def test_a_redelivered_task_takes_over_from_its_killed_run_and_finishes_the_work(tmp_path, slow_sandbox):
    database = tmp_path / "seamline.sqlite3"
    setup = child(SETUP.format(url=slow_sandbox.url), database)
    out, err = setup.communicate(timeout=180)
    assert setup.returncode == 0, err[-3000:]
    org, run = map(int, out.split()[-2:])

    worker = child(WORKER.format(org=org, run=run, task_id=TASK_ID), database)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert worker.poll() is None, f"the worker ended before it could be killed: {worker.communicate()}"
        state = rows(database, "SELECT outcome, pages FROM production_syncrun WHERE id = ?", [run])
        if state and state[0][0] == "running" and state[0][1] >= 1:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the run never got half way")
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    assert rows(database, "SELECT outcome FROM production_syncrun WHERE id = ?", [run]) == [("running",)]
    assert rows(database, "SELECT run_id FROM production_synclock") == [(run,)]  # the dead run still holds it

    again = child(WORKER.format(org=org, run=run, task_id=TASK_ID), database)
    out, err = again.communicate(timeout=180)
    assert again.returncode == 0, err[-3000:]
    assert "outcome succeeded" in out

    killed = rows(database, "SELECT outcome, message, finished_at IS NOT NULL FROM production_syncrun WHERE id = ?", [run])
    assert killed[0][0] == "failed" and killed[0][1].startswith("The worker stopped during this run.") and killed[0][2]
    runs = rows(database, "SELECT id, outcome, trigger, task_id FROM production_syncrun WHERE id != ?", [run])
    assert [(outcome, trigger, task_id) for _, outcome, trigger, task_id in runs] == [("succeeded", "schedule", TASK_ID)]
    assert f"Run {runs[0][0]} took over." in killed[0][1]
    assert rows(database, "SELECT count(*) FROM production_synclock") == [(0,)]
    held = rows(database, "SELECT count(*), count(DISTINCT uphance_id) FROM production_productionorder "
                          "WHERE removed_at IS NULL")[0]
    truth = len(slow_sandbox.state.truth_production_orders(35802))
    assert held == (truth, truth)  # complete, without duplicates
