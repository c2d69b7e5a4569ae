"""Celery tasks, the beat schedule and the `uphance_sync` command run the same sync services."""
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_celery_beat.models import PeriodicTask

from accounts.models import UphanceConnection
from production.models import ProductionOrder
from production.sync.models import SyncRun
from production.sync.schedule import sync_schedule_ensure
from production.sync.tasks import production_sync_dispatch, production_sync_task
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
    outcome = production_sync_task.delay(connected.pk, "production_full", "schedule").get()
    assert outcome == "succeeded"
    run = SyncRun.objects.get(kind="production_full")
    assert run.trigger == "schedule" and run.created == ProductionOrder.objects.count() > 0


def test_the_dispatcher_queues_one_task_per_connected_organisation(connected, other_organisation, monkeypatch):
    queued = []
    monkeypatch.setattr("production.sync.tasks.production_sync_task.delay", lambda *args: queued.append(args))
    assert production_sync_dispatch("production_new") == 1
    assert queued == [(connected.pk, "production_new", "schedule")]


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
