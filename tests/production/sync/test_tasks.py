"""Celery tasks, the beat schedule and the `uphance_sync` command run the same sync services."""
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_celery_beat.models import PeriodicTask

from accounts.models import UphanceConnection
from integrations.uphance.errors import RateLimited, ServerError
from production.models import ProductionOrder
from production.sync.models import SyncRun
from production.sync.schedule import sync_schedule_ensure
from production.sync.tasks import retry_countdown, sync_dispatch, sync_task
from tests.support.sandbox import SANDBOX_ORG, sandbox_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    UphanceConnection.objects.create(
        organisation=organisation, api_url=fresh_sandbox.url, uphance_organisation_id=SANDBOX_ORG,
        account_email="solo@sandbox.test", access_token=client.tokens.access_token,
        refresh_token=client.tokens.refresh_token or "", expires_at=client.tokens.expires_at,
    )
    organisation.refresh_from_db()
    return organisation


def test_the_default_schedule_is_declared_in_code_and_kept_when_edited():
    PeriodicTask.objects.all().delete()
    assert sync_schedule_ensure() > 0
    new = PeriodicTask.objects.get(name="Production: new orders")
    assert (new.interval.every, new.interval.period, json.loads(new.args)) == (2, "minutes", ["production_new"])
    assert PeriodicTask.objects.get(name="Production: stage refresh").interval.every == 5
    assert PeriodicTask.objects.get(name="Production: open orders").interval.every == 15
    nightly = PeriodicTask.objects.get(name="Production: full reconciliation")
    assert (nightly.crontab.hour, nightly.crontab.minute) == ("2", "30")
    # An admin's edit survives the next migrate.
    new.enabled = False
    new.save()
    assert sync_schedule_ensure() == 0
    assert PeriodicTask.objects.get(name="Production: new orders").enabled is False


def test_the_task_runs_the_sync_for_an_organisation_id(connected, fresh_sandbox):
    outcome = sync_task.delay(connected.pk, "production_full", "schedule").get()
    assert outcome == "succeeded"
    run = SyncRun.objects.get(kind="production_full")
    assert run.trigger == "schedule" and run.created == ProductionOrder.objects.count() > 0


def test_the_dispatcher_queues_one_task_per_connected_organisation(connected, other_organisation, monkeypatch,
                                                                    django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("production.sync.tasks.sync_task.delay",
                        lambda *args: queued.append(args) or type("R", (), {"id": "task-1"})())
    with django_capture_on_commit_callbacks(execute=True):
        assert sync_dispatch("production_new") == 1
    run = SyncRun.objects.get()
    assert (run.organisation, run.kind, run.trigger, run.outcome) == (connected, "production_new", "schedule", "queued")
    assert queued == [(connected.pk, "production_new", "schedule", run.pk)]


def test_the_command_runs_the_passes_and_prints_a_summary_line(connected, capsys):
    call_command("uphance_sync", "production", "--full", "--no-progress")
    out = capsys.readouterr().out
    assert "Production: full reconciliation: succeeded" in out and "created" in out and "pages" in out
    call_command("uphance_sync", "production", "--no-progress")
    out = capsys.readouterr().out
    for label in ("new orders", "open orders", "stage refresh"):
        assert label in out
    assert SyncRun.objects.filter(trigger="command").count() == 4


def test_the_command_says_what_to_do_when_nothing_is_connected(db):
    with pytest.raises(CommandError, match="uphance_connect"):
        call_command("uphance_sync", "production", "--no-progress")


def test_every_task_name_beat_rows_and_queued_messages_use_is_registered_in_a_worker():
    from config.celery import app

    app.loader.import_default_modules()  # what a worker imports at start
    names = set(app.tasks)
    assert {
        "production.sync.tasks.sync_task", "production.sync.tasks.sync_dispatch",
        "production.tasks.sync.production_order_refresh_task",
        # earlier names: messages already queued, beat rows before migration 0004
        "production.tasks.sync.production_sync_task", "production.tasks.sync.production_sync_dispatch",
        "customers.tasks.customers_sync_task", "customers.tasks.customers_sync_dispatch",
        "customers.shipup_tasks.shipup_push_task", "customers.tasks.demand_links_rebuild_task",
    } <= names
    assert {row["task"] for row in PeriodicTask.objects.values("task")} <= names


@pytest.mark.parametrize("name", ["production.tasks.sync.production_sync_task", "customers.tasks.customers_sync_task"])
def test_a_message_queued_under_an_earlier_name_still_runs_its_sync(connected, name):
    from config.celery import app

    outcome = app.tasks[name].delay(connected.pk, "seasons", "schedule").get()
    assert outcome == "succeeded"
    assert SyncRun.objects.get(kind="seasons").outcome == "succeeded"


def test_one_dispatcher_serves_every_kind_beat_runs():
    from production.sync.schedule import INTERVALS, NIGHTLY

    PeriodicTask.objects.all().delete()
    sync_schedule_ensure()
    names = [entry[0] for entry in INTERVALS + NIGHTLY]
    rows = PeriodicTask.objects.filter(name__in=names)
    assert rows.count() == len(names)
    assert set(rows.values_list("task", flat=True)) == {"production.sync.tasks.sync_dispatch"}


def banned_pass(*, organisation, client, run, progress):
    raise RateLimited(600.0)


def test_a_rate_limit_past_the_clients_cap_retries_the_task_after_it_and_the_sync_page_says_when(
        organisation, settings, monkeypatch, logged_in_client):
    from celery.exceptions import Retry
    from django.utils import timezone

    UphanceConnection.objects.create(organisation=organisation, api_url="http://127.0.0.1:9",
                                     uphance_organisation_id=SANDBOX_ORG, access_token="t")
    settings.SEAMLINE_SYNC_PASSES = {**settings.SEAMLINE_SYNC_PASSES, "seasons": f"{__name__}.banned_pass"}
    retried = {}

    def retry(**kwargs):
        retried.update(kwargs)
        return Retry()

    monkeypatch.setattr(sync_task, "retry", retry)
    with pytest.raises(Retry):
        sync_task.run(organisation.pk, "seasons", "schedule", None)

    failed = SyncRun.objects.get(outcome="failed")
    assert "Retry-After: 600" in failed.message
    later = SyncRun.objects.get(outcome="queued")
    assert retried["countdown"] == 600
    assert retried["args"] == [organisation.pk, "seasons", "schedule", later.pk]
    assert abs((later.resumes_at - timezone.now()).total_seconds() - 600) < 30
    page = logged_in_client.get("/sync/").content.decode()
    assert f'data-resumes-at="{later.resumes_at.isoformat()}"' in page and "resumes at" in page


@pytest.mark.parametrize(("exc", "retries", "low", "high"), [
    (ServerError(503), 0, 22, 30), (ServerError(503), 2, 90, 120), (ServerError(503), 9, 675, 900),
    (RateLimited(None), 0, 22, 30), (RateLimited(5.0), 0, 22, 30), (RateLimited(3600.0), 0, 3600, 3600),
])
def test_the_retry_countdown_backs_off_or_waits_as_long_as_the_api_asked(exc, retries, low, high):
    assert low <= retry_countdown(exc, retries) <= high
