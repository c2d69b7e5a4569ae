"""The sync health page and "Sync now"."""
import pytest
from django.urls import reverse

from accounts.models import UphanceConnection
from production.sync import log as sync_log
from production.sync.models import SyncIssue, SyncRun

pytestmark = pytest.mark.django_db


def connect(organisation):
    return UphanceConnection.objects.create(
        organisation=organisation, api_url="http://127.0.0.1:9", uphance_organisation_id=35802, access_token="t"
    )


def test_sync_page_shows_last_runs_issues_and_freshness(logged_in_client, organisation):
    run = sync_log.sync_run_open(organisation=organisation, kind=SyncRun.Kind.PRODUCTION_FULL, trigger="command")
    sync_log.sync_issue_record(run=run, record_type="production_order", record_id=23670, field="line_items.0.id",
                               reason="Input should be a valid integer", excerpt='"id": "<script>x</script>"')
    sync_log.sync_run_progress(run=run, counts=sync_log.Counts(created=50, issues=1), pages=1, pages_total=1)
    sync_log.sync_run_close(run=run)
    response = logged_in_client.get(reverse("sync"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Production: full reconciliation" in html and "Succeeded with issues" in html
    assert "Input should be a valid integer" in html and "23670" in html
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert "last fresh" in html


def test_sync_now_queues_the_incremental_passes_and_the_page_polls_until_done(client, organisation, user, django_capture_on_commit_callbacks, monkeypatch):
    connect(organisation)
    sent = []
    monkeypatch.setattr("production.sync.tasks.sync_task.delay",
                        lambda *args: sent.append(args) or type("R", (), {"id": "task-1"})())
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sync_now"), {"what": "incremental"})
    assert response.status_code == 302
    assert [a[1] for a in sent] == ["production_new", "production_open", "production_stages"]
    assert SyncRun.objects.filter(outcome="queued").count() == 3
    page = client.get(reverse("sync")).content.decode()
    assert 'hx-trigger="every 2s"' in page  # progress polls while runs are queued or running
    partial = client.get(reverse("sync") + "?part=active", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Queued" in partial or "queued" in partial


def test_sync_now_without_connection_says_so(logged_in_client):
    response = logged_in_client.post(reverse("sync_now"), {"what": "full"}, follow=True)
    assert "not connected" in response.content.decode()
    assert not SyncRun.objects.exists()


def test_viewers_cannot_start_a_sync(client, viewer_user, organisation):
    connect(organisation)
    client.force_login(viewer_user)
    assert client.post(reverse("sync_now"), {"what": "full"}).status_code == 403


def test_sync_page_shows_only_the_current_organisation(logged_in_client, other_organisation):
    run = sync_log.sync_run_open(organisation=other_organisation, kind=SyncRun.Kind.PRODUCTION_NEW, trigger="command")
    sync_log.sync_issue_record(run=run, record_type="production_order", record_id=999111, reason="secret other org")
    html = logged_in_client.get(reverse("sync")).content.decode()
    assert "999111" not in html and "secret other org" not in html
    assert SyncIssue.objects.count() == 1


@pytest.mark.parametrize("kind", list(SyncRun.Kind.values))
def test_a_manager_can_start_every_kind_from_the_sync_page(client, organisation, user, kind, monkeypatch,
                                                           django_capture_on_commit_callbacks):
    connect(organisation)
    sent = []
    monkeypatch.setattr("production.sync.tasks.sync_task.delay",
                        lambda *args: sent.append(args) or type("R", (), {"id": "task-1"})())
    client.force_login(user)
    page = client.get(reverse("sync")).content.decode()
    assert f'<option value="{kind}">' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sync_now"), {"what": kind})
    assert response.status_code == 302
    run = SyncRun.objects.get()
    assert (run.kind, run.trigger, run.outcome) == (kind, "manual", "queued")
    assert sent == [(organisation.pk, kind, "manual", run.pk)]


def test_an_unknown_kind_is_not_started(logged_in_client, organisation):
    connect(organisation)
    response = logged_in_client.post(reverse("sync_now"), {"what": "invoices"}, follow=True)
    assert "Choose which sync to start" in response.content.decode()
    assert not SyncRun.objects.exists()
