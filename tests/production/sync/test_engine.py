"""One engine for every kind: the registry config fills, one lock and run log, one way to fail."""
import pytest
from django.conf import settings

from accounts.models import UphanceConnection
from integrations.uphance.errors import AuthExpired, ServerError
from production.sync import log as sync_log
from production.sync.engine import SyncLocked, sync_kinds, sync_run
from production.sync.log import Counts
from production.sync.models import SyncLock, SyncRun

pytestmark = pytest.mark.django_db
Kind = SyncRun.Kind

CALLS = []


class FakeClient:
    request_count = 3


def counting_pass(*, organisation, client, run, progress):
    holds_lock = SyncLock.objects.filter(organisation=organisation, kind=run.kind, run=run).exists()
    CALLS.append((organisation.pk, run.kind, type(client).__name__, holds_lock))
    return Counts(created=2, unchanged=1)


def failing_pass(*, organisation, client, run, progress):
    raise ServerError(503, "Uphance answered 503 after 6 attempts")


def expired_pass(*, organisation, client, run, progress):
    raise AuthExpired("token expired and cannot be refreshed")


@pytest.fixture
def registry(settings):
    """Point one kind at a test pass, as config would."""

    def point(kind, function):
        settings.SEAMLINE_SYNC_PASSES = {**settings.SEAMLINE_SYNC_PASSES, kind: f"{__name__}.{function.__name__}"}

    CALLS.clear()
    return point


def test_config_registers_a_pass_for_every_kind_of_run():
    assert sync_kinds() == list(Kind.values)
    assert set(settings.SEAMLINE_SYNC_PASSES) == set(Kind.values)


def test_a_registered_pass_runs_under_the_lock_and_in_the_run_log(organisation, registry):
    registry(Kind.SEASONS, counting_pass)

    run = sync_run(organisation=organisation, kind=Kind.SEASONS, client=FakeClient())

    assert CALLS == [(organisation.pk, "seasons", "FakeClient", True)]
    assert (run.outcome, run.trigger, run.created, run.unchanged, run.requests) == ("succeeded", "command", 2, 1, 3)
    assert run.message == Counts(created=2, unchanged=1).summary()
    assert not SyncLock.objects.exists()  # released


@pytest.mark.parametrize("kind", list(Kind.values))
def test_every_kind_waits_for_the_run_holding_its_lock(organisation, kind):
    holder = sync_log.sync_run_open(organisation=organisation, kind=kind, trigger="schedule")
    with pytest.raises(SyncLocked):
        sync_run(organisation=organisation, kind=kind, client=FakeClient())
    skipped = SyncRun.objects.exclude(pk=holder.pk).get()
    assert (skipped.kind, skipped.outcome) == (kind, "skipped")


@pytest.mark.parametrize("kind", [k for k in Kind.values if k != Kind.SHIPUP_PUSH])
def test_every_uphance_kind_pauses_while_uphance_is_not_usable(organisation, kind):
    UphanceConnection.objects.create(organisation=organisation, api_url="http://127.0.0.1:9", uphance_organisation_id=1,
                                     access_token="x", status=UphanceConnection.Status.RECONNECT_NEEDED)
    organisation.refresh_from_db()
    run = sync_run(organisation=organisation, kind=kind, trigger="schedule")
    assert run.outcome == "skipped" and "paused" in run.message.lower()
    assert not SyncLock.objects.exists()


def test_an_api_error_fails_the_run_with_its_message_and_a_task_may_retry_it(organisation, registry):
    registry(Kind.CUSTOMERS, failing_pass)
    run = sync_run(organisation=organisation, kind=Kind.CUSTOMERS, client=FakeClient())
    assert run.outcome == "failed" and run.message == "ServerError: Uphance answered 503 after 6 attempts"
    with pytest.raises(ServerError):
        sync_run(organisation=organisation, kind=Kind.CUSTOMERS, client=FakeClient(), raise_errors=True)
    assert not SyncLock.objects.exists()


def test_an_expired_token_in_any_pass_asks_for_a_reconnect(organisation, registry):
    connection = UphanceConnection.objects.create(organisation=organisation, api_url="http://127.0.0.1:9",
                                                  uphance_organisation_id=1, access_token="x")
    registry(Kind.SALES_ORDERS_NEW, expired_pass)
    run = sync_run(organisation=organisation, kind=Kind.SALES_ORDERS_NEW, client=FakeClient())
    connection.refresh_from_db()
    assert run.outcome == "failed" and run.message.startswith("Reconnect needed")
    assert connection.status == "reconnect_needed"


def test_an_unknown_kind_is_refused(organisation):
    with pytest.raises(ValueError, match="unknown sync kind"):
        sync_run(organisation=organisation, kind="invoices", client=FakeClient())
