"""The production sync against the Uphance sandbox on loopback: complete, fresh, correct, robust."""
import pytest
from django.db import connection

from production.models import LineItem, LineQuantity, ProductionOrder, StagePeriod
from production.sync import log as sync_log
from production.sync.engine import SyncLocked, sync_run
from production.sync.models import SyncIssue, SyncRun
from tests.support.sandbox import SANDBOX_ORG, assert_matches_truth, sandbox_client

pytestmark = pytest.mark.django_db
Kind = SyncRun.Kind


def run(organisation, client, kind):
    return sync_run(organisation=organisation, kind=kind, trigger="command", client=client)


def test_full_sync_equals_the_sandbox_truth_field_by_field(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    result = run(organisation, client, Kind.PRODUCTION_FULL)
    assert result.outcome == SyncRun.Outcome.SUCCEEDED, result.message
    truth = fresh_sandbox.state.truth_production_orders(SANDBOX_ORG)
    assert result.created == len(truth) and result.pages >= 2
    assert_matches_truth(organisation, truth)


def test_a_second_full_sync_writes_nothing(organisation, fresh_sandbox, django_assert_max_num_queries):
    client = sandbox_client(fresh_sandbox)
    run(organisation, client, Kind.PRODUCTION_FULL)
    before = {p.pk: p.changed_at for p in StagePeriod.objects.all()}
    second = run(organisation, client, Kind.PRODUCTION_FULL)
    assert (second.created, second.updated, second.removed) == (0, 0, 0)
    assert second.unchanged == ProductionOrder.objects.count()
    assert {p.pk: p.changed_at for p in StagePeriod.objects.all()} == before


def test_new_orders_appear_after_the_new_orders_pass(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    run(organisation, client, Kind.PRODUCTION_FULL)
    fresh_sandbox.state.add_orders(SANDBOX_ORG, 3)
    requests_before = client.request_count
    result = run(organisation, client, Kind.PRODUCTION_NEW)
    assert result.created == 3 and result.updated == 0
    assert client.request_count - requests_before == 1  # one page of new orders
    assert_matches_truth(organisation, fresh_sandbox.state.truth_production_orders(SANDBOX_ORG))


def test_stage_moves_appear_after_the_stage_refresh(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    run(organisation, client, Kind.PRODUCTION_FULL)
    fresh_sandbox.state.advance(hours=24 * 5)
    result = run(organisation, client, Kind.PRODUCTION_STAGES)
    assert result.outcome == SyncRun.Outcome.SUCCEEDED, result.message
    assert result.updated > 0
    # The stage history of open line items now equals the API's (orders' own fields wait for the open pass).
    run(organisation, client, Kind.PRODUCTION_OPEN)
    run(organisation, client, Kind.PRODUCTION_NEW)
    assert_matches_truth(organisation, fresh_sandbox.state.truth_production_orders(SANDBOX_ORG))


def test_open_orders_pass_picks_up_orders_that_moved_on(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    run(organisation, client, Kind.PRODUCTION_FULL)
    fresh_sandbox.state.advance(hours=24 * 60)
    result = run(organisation, client, Kind.PRODUCTION_OPEN)
    assert result.outcome == SyncRun.Outcome.SUCCEEDED, result.message
    assert result.updated > 0
    run(organisation, client, Kind.PRODUCTION_NEW)  # orders placed meanwhile are the new-orders pass's job
    assert_matches_truth(organisation, fresh_sandbox.state.truth_production_orders(SANDBOX_ORG))


def test_removals_are_marked_after_a_complete_full_pass_only(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    run(organisation, client, Kind.PRODUCTION_FULL)
    victim = fresh_sandbox.state.truth_production_orders(SANDBOX_ORG)[5]["id"]
    fresh_sandbox.state.delete_order(SANDBOX_ORG, victim)
    run(organisation, client, Kind.PRODUCTION_NEW)
    assert ProductionOrder.objects.get(uphance_id=victim).removed_at is None  # a partial pass never removes
    result = run(organisation, client, Kind.PRODUCTION_FULL)
    assert result.removed == 1
    order = ProductionOrder.objects.get(uphance_id=victim)
    assert order.removed_at is not None  # kept, with its history
    assert order.line_items.exists() and not order.line_items.filter(removed_at__isnull=True).exists()


def test_faults_at_a_high_rate_still_end_in_the_same_data(organisation, fresh_sandbox):
    fresh_sandbox.state.set_faults(fault_rate=0.35)
    client = sandbox_client(fresh_sandbox, max_retries=12, max_retry_after=2, sleep=lambda s: None)
    result = run(organisation, client, Kind.PRODUCTION_FULL)
    fresh_sandbox.state.set_faults(fault_rate=0.0)
    assert result.outcome == SyncRun.Outcome.SUCCEEDED, result.message
    assert_matches_truth(organisation, fresh_sandbox.state.truth_production_orders(SANDBOX_ORG))


def test_malformed_records_are_reported_and_skipped(organisation, fresh_sandbox):
    fresh_sandbox.state.set_faults(malformed_rate=0.1)
    client = sandbox_client(fresh_sandbox)
    result = run(organisation, client, Kind.PRODUCTION_FULL)
    assert result.outcome == SyncRun.Outcome.PARTIAL
    issues = SyncIssue.objects.filter(organisation=organisation, resolved_at__isnull=True)
    assert sum(i.occurrences for i in issues) == result.issues > 0
    assert all(i.reason and i.record_type for i in issues)
    good = ProductionOrder.objects.filter(organisation=organisation).count()
    assert good + result.issues >= len(fresh_sandbox.state.truth_production_orders(SANDBOX_ORG)) - 0
    # A broken record is never marked removed, and the rest of its page landed.
    assert result.removed == 0
    fresh_sandbox.state.set_faults(malformed_rate=0.0)
    healed = run(organisation, client, Kind.PRODUCTION_FULL)
    assert healed.outcome == SyncRun.Outcome.SUCCEEDED
    assert not SyncIssue.objects.filter(organisation=organisation, resolved_at__isnull=True, record_type="production_order").exists()
    assert_matches_truth(organisation, fresh_sandbox.state.truth_production_orders(SANDBOX_ORG))


def test_a_run_killed_half_way_leaves_no_half_page_and_the_next_completes_it(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    pages = client.production_order_pages
    seen = {"pages": 0}

    def dying_pages(**kwargs):
        for page in pages(**kwargs):
            seen["pages"] += 1
            if seen["pages"] == 2:
                raise KeyboardInterrupt("worker killed")  # like SIGKILL: nothing after this runs
            yield page

    client.production_order_pages = dying_pages
    with pytest.raises(KeyboardInterrupt):
        run(organisation, client, Kind.PRODUCTION_FULL)
    assert ProductionOrder.objects.count() == 50  # exactly one page landed, whole
    assert LineItem.objects.filter(order__in=ProductionOrder.objects.all()).count() == LineItem.objects.count()
    client.production_order_pages = pages
    result = run(organisation, client, Kind.PRODUCTION_FULL)
    assert result.outcome == SyncRun.Outcome.SUCCEEDED
    assert_matches_truth(organisation, fresh_sandbox.state.truth_production_orders(SANDBOX_ORG))
    assert ProductionOrder.objects.values("uphance_id").distinct().count() == ProductionOrder.objects.count()
    assert LineQuantity.objects.values("line_item", "uphance_id").distinct().count() == LineQuantity.objects.count()


def test_two_runs_of_the_same_kind_never_overlap(organisation):
    held = sync_log.sync_run_open(organisation=organisation, kind=Kind.PRODUCTION_FULL, trigger="command")
    with pytest.raises(SyncLocked):
        sync_run(organisation=organisation, kind=Kind.PRODUCTION_FULL, trigger="command", client=object())
    assert SyncRun.objects.filter(outcome=SyncRun.Outcome.SKIPPED).count() == 1
    # Another kind still runs; and once released, the kind runs again.
    sync_log.sync_run_close(run=held)
    other = sync_log.sync_run_open(organisation=organisation, kind=Kind.PRODUCTION_FULL, trigger="command")
    assert other.pk != held.pk


def test_a_stale_lock_of_a_killed_worker_is_taken_over(organisation):
    import datetime as dt

    from django.utils import timezone

    from production.sync.models import SyncLock

    dead = sync_log.sync_run_open(organisation=organisation, kind=Kind.PRODUCTION_NEW, trigger="schedule")
    SyncLock.objects.update(heartbeat_at=timezone.now() - sync_log.LOCK_TTL - dt.timedelta(seconds=1))
    fresh = sync_log.sync_run_open(organisation=organisation, kind=Kind.PRODUCTION_NEW, trigger="schedule")
    dead.refresh_from_db()
    assert dead.outcome == SyncRun.Outcome.FAILED and "stopped" in dead.message
    assert SyncLock.objects.get().run_id == fresh.pk


def test_sync_pauses_when_uphance_needs_reconnecting(organisation):
    from accounts.models import UphanceConnection

    UphanceConnection.objects.create(organisation=organisation, api_url="http://127.0.0.1:9", uphance_organisation_id=1,
                                     access_token="x", status=UphanceConnection.Status.RECONNECT_NEEDED)
    organisation.refresh_from_db()
    result = sync_run(organisation=organisation, kind=Kind.PRODUCTION_NEW, trigger="schedule")
    assert result.outcome == SyncRun.Outcome.SKIPPED and "paused" in result.message.lower()


def test_sqlite_or_postgres_keeps_one_row_per_uphance_id(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    run(organisation, client, Kind.PRODUCTION_FULL)
    run(organisation, client, Kind.PRODUCTION_OPEN)
    run(organisation, client, Kind.PRODUCTION_STAGES)
    with connection.cursor() as cursor:
        cursor.execute("SELECT uphance_id, COUNT(*) FROM production_lineitem GROUP BY organisation_id, uphance_id HAVING COUNT(*) > 1")
        assert cursor.fetchall() == []


def test_one_order_is_refreshed_on_its_own_as_a_webhook_asks(organisation, fresh_sandbox):
    from production.sync.services import production_order_refresh

    client = sandbox_client(fresh_sandbox)
    run(organisation, client, Kind.PRODUCTION_FULL)
    fresh_sandbox.state.advance(hours=24 * 45)
    truth = {o["id"]: o for o in fresh_sandbox.state.truth_production_orders(SANDBOX_ORG)}
    held = {o.uphance_id: o for o in ProductionOrder.objects.filter(organisation=organisation)}
    moved = next(i for i, o in truth.items() if i in held and held[i].delivery_status_raw != o["delivery_status"])
    before = client.request_count
    counts = production_order_refresh(organisation=organisation, uphance_order_id=moved, client=client)
    assert counts.updated == 1 and client.request_count - before == 1  # one search by its number
    assert ProductionOrder.objects.get(uphance_id=moved).delivery_status_raw == truth[moved]["delivery_status"]


def corrupt_first_record(client, envelope: str, bad_id):
    """Uphance sends the first record of the first page of `envelope` with id `bad_id`; returns {"id": real id}."""
    original = client._get_json
    corrupted = {}

    def get_json(path, *, params=None):
        data = original(path, params=params)
        if not corrupted and isinstance(data, dict) and data.get(envelope):
            corrupted["id"] = data[envelope][0]["id"]
            data[envelope][0]["id"] = bad_id
        return data

    client._get_json = get_json
    return corrupted


@pytest.mark.parametrize("bad_id", ["²", "①", "¹²³", "123456789012345678901234"])
def test_an_order_whose_id_is_not_an_id_is_a_sync_issue_and_the_rest_of_its_page_lands(organisation, fresh_sandbox,
                                                                                        bad_id):
    client = sandbox_client(fresh_sandbox)
    corrupted = corrupt_first_record(client, "production_orders", bad_id)

    result = run(organisation, client, Kind.PRODUCTION_FULL)

    assert result.outcome == SyncRun.Outcome.PARTIAL, result.message
    truth = fresh_sandbox.state.truth_production_orders(SANDBOX_ORG)
    held = set(ProductionOrder.objects.values_list("uphance_id", flat=True))
    assert held == {o["id"] for o in truth} - {corrupted["id"]}  # page 1's other 49 orders landed too
    issue = SyncIssue.objects.get(resolved_at__isnull=True)
    assert (issue.record_type, issue.record_id, issue.field) == ("production_order", bad_id, "id")
    # Its id can name no held order: the pass still counts as complete, so removals go on.
    victim = truth[7]["id"]
    fresh_sandbox.state.delete_order(SANDBOX_ORG, victim)
    corrupted.clear()
    again = run(organisation, client, Kind.PRODUCTION_FULL)
    assert again.removed == 1 and ProductionOrder.objects.get(uphance_id=victim).removed_at is not None


def strip_id_of(client, envelope: str, uphance_id: int) -> dict:
    """From now on Uphance sends record `uphance_id` of `envelope` without its id (unreadable, unidentified)."""
    original = client._get_json
    state = {"on": True}

    def get_json(path, *, params=None):
        data = original(path, params=params)
        if state["on"] and isinstance(data, dict):
            for record in data.get(envelope) or []:
                if record.get("id") == uphance_id:
                    del record["id"]
        return data

    client._get_json = get_json
    return state


def test_an_unreadable_order_without_an_id_no_longer_blocks_removals(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    run(organisation, client, Kind.PRODUCTION_FULL)
    truth = fresh_sandbox.state.truth_production_orders(SANDBOX_ORG)
    unreadable, victim = truth[3]["id"], truth[11]["id"]
    fresh_sandbox.state.delete_order(SANDBOX_ORG, victim)
    strip_id_of(client, "production_orders", unreadable)

    for _ in range(2):  # every pass, not just the next one
        result = run(organisation, client, Kind.PRODUCTION_FULL)
        assert result.outcome == SyncRun.Outcome.PARTIAL, result.message
    # The missing orders were looked up: the deleted one is gone, the unreadable one is still there.
    assert ProductionOrder.objects.get(uphance_id=victim).removed_at is not None
    assert ProductionOrder.objects.get(uphance_id=unreadable).removed_at is None
    assert ProductionOrder.objects.filter(removed_at__isnull=False).count() == 1
    assert not SyncIssue.objects.filter(record_type="removals").exists()


def test_removals_that_cannot_be_checked_raise_a_lasting_visible_issue_saying_since_when(
        organisation, fresh_sandbox, monkeypatch, logged_in_client):
    monkeypatch.setattr("production.sync.engine.LOOKUP_CAP", 0)  # more missing orders than may be looked up
    client = sandbox_client(fresh_sandbox)
    run(organisation, client, Kind.PRODUCTION_FULL)
    truth = fresh_sandbox.state.truth_production_orders(SANDBOX_ORG)
    victim = truth[11]["id"]
    fresh_sandbox.state.delete_order(SANDBOX_ORG, victim)
    unreadable = strip_id_of(client, "production_orders", truth[3]["id"])

    first = run(organisation, client, Kind.PRODUCTION_FULL)
    second = run(organisation, client, Kind.PRODUCTION_FULL)

    assert ProductionOrder.objects.get(uphance_id=victim).removed_at is None
    assert "Removals are blocked" in second.message
    blocked = SyncIssue.objects.get(record_type="removals", resolved_at__isnull=True)
    assert blocked.occurrences == 2 and blocked.run_id == second.pk and first.pk != second.pk
    since = f"{blocked.first_seen_at:%d %b %Y %H:%M} UTC"
    assert blocked.reason.startswith(f"Removals blocked since {since}: 1 unreadable production order record")
    assert "Removals blocked since" in logged_in_client.get("/sync/").content.decode()

    unreadable["on"] = False  # the record can be read again
    healed = run(organisation, client, Kind.PRODUCTION_FULL)
    assert healed.removed == 1 and ProductionOrder.objects.get(uphance_id=victim).removed_at is not None
    assert not SyncIssue.objects.filter(record_type="removals", resolved_at__isnull=True).exists()


def slow_lookups(client, on_lookup):
    """Call `on_lookup(n)` before the n-th one-by-one lookup of the open pass (a search by order number)."""
    pages = client.production_order_pages
    count = {"n": 0}

    def watched(**kwargs):
        if kwargs.get("q"):
            count["n"] += 1
            on_lookup(count["n"])
        yield from pages(**kwargs)

    client.production_order_pages = watched
    return count


def age_the_lock():
    import datetime as dt

    from django.utils import timezone

    from production.sync.models import SyncLock

    SyncLock.objects.update(heartbeat_at=timezone.now() - sync_log.LOCK_TTL - dt.timedelta(seconds=1))


def test_the_open_pass_keeps_its_lock_alive_through_long_lookups(organisation, fresh_sandbox):
    client = sandbox_client(fresh_sandbox)
    run(organisation, client, Kind.PRODUCTION_FULL)
    fresh_sandbox.state.advance(hours=24 * 60)  # many open orders moved on: the open pass looks them up
    refused = []

    def on_lookup(n):
        if n == 1:
            age_the_lock()  # as if the lookups so far had taken ten minutes
        elif n == 2:
            with pytest.raises(SyncLocked):  # a second worker finds the lock alive
                sync_log.sync_run_open(organisation=organisation, kind=Kind.PRODUCTION_OPEN, trigger="schedule")
            refused.append(n)

    lookups = slow_lookups(client, on_lookup)
    result = run(organisation, client, Kind.PRODUCTION_OPEN)

    assert lookups["n"] >= 2 and refused == [2]
    assert result.outcome == SyncRun.Outcome.SUCCEEDED, result.message


def test_a_run_that_lost_its_lock_says_so_and_leaves_the_new_holders_outcome_alone(organisation, fresh_sandbox):
    from production.sync.models import SyncLock

    client = sandbox_client(fresh_sandbox)
    run(organisation, client, Kind.PRODUCTION_FULL)
    fresh_sandbox.state.advance(hours=24 * 60)
    taker = {}

    def on_lookup(n):
        if n == 1:  # the lock looked dead: another worker took it over
            age_the_lock()
            taker["run"] = sync_log.sync_run_open(organisation=organisation, kind=Kind.PRODUCTION_OPEN, trigger="schedule")

    lookups = slow_lookups(client, on_lookup)
    first = run(organisation, client, Kind.PRODUCTION_OPEN)

    assert lookups["n"] == 1  # it stopped at its next heartbeat
    assert first.outcome == SyncRun.Outcome.FAILED
    assert first.message.startswith(f"This run lost its lock to run {taker['run'].pk}")
    taker["run"].refresh_from_db()
    assert taker["run"].outcome == SyncRun.Outcome.RUNNING
    assert SyncLock.objects.get().run_id == taker["run"].pk
    first.refresh_from_db()
    assert first.outcome == SyncRun.Outcome.FAILED  # not overwritten with "succeeded"


def test_a_task_delivered_again_takes_over_the_lock_its_killed_run_left(organisation):
    from production.sync.models import SyncLock

    queued = SyncRun.objects.create(organisation=organisation, kind=Kind.PRODUCTION_NEW, trigger="schedule",
                                    outcome=SyncRun.Outcome.QUEUED)
    first = sync_log.sync_run_open(organisation=organisation, kind=Kind.PRODUCTION_NEW, trigger="schedule",
                                   run_id=queued.pk)
    # Its worker is SIGKILLed; Celery delivers the same message (same run id) again at once.
    second = sync_log.sync_run_open(organisation=organisation, kind=Kind.PRODUCTION_NEW, trigger="schedule",
                                    run_id=queued.pk)

    first.refresh_from_db()
    assert first.outcome == SyncRun.Outcome.FAILED
    assert first.message == f"The worker stopped during this run. Run {second.pk} took over."
    assert second.pk != first.pk and SyncLock.objects.get().run_id == second.pk
    with pytest.raises(SyncLocked):  # any other run still waits for the live holder
        sync_log.sync_run_open(organisation=organisation, kind=Kind.PRODUCTION_NEW, trigger="schedule")
