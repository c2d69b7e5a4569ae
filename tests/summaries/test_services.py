"""E-mail summaries: content for a known data set, never twice per period, retries, command, pages."""
import datetime as dt
import smtplib
import threading
import time

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from board.models import SavedView
from summaries.models import Summary, SummaryDelivery
from summaries.schedules import summary_period_latest, summary_period_next, zone_get
from summaries.selectors import summaries_due
from summaries.services import (
    summary_create,
    summary_deliveries_claim_due,
    summary_deliveries_retryable,
    summary_delivery_claim,
    summary_delivery_send,
    summary_message_build,
    summary_send_now,
    summary_unsubscribe_token,
)
from tests.support.factories import (
    LineItemFactory,
    ManufacturerFactory,
    MembershipFactory,
    OrganisationFactory,
    ProductionOrderFactory,
    StageFactory,
    StagePeriodFactory,
    UserFactory,
)

Status = SummaryDelivery.Status

# A fixed now for every test here: on the wall clock, a claim "20 minutes later" made between 07:40
# and 08:00 London time crossed the 08:00 schedule and found a second period due, so two tests
# failed every morning.
pytestmark = pytest.mark.usefixtures("fixed_clock")


def summary_data_set(*, organisation, now=None) -> dict:
    """A small production with one of everything a summary reports, relative to `now`."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    cutting = StageFactory(organisation=organisation, name="Cutting", colour="#f59e0b", position=1,
                           stuck_after_days=10)
    sewing = StageFactory(organisation=organisation, name="Sewing", colour="#3b82f6", position=2)
    packing = StageFactory(organisation=organisation, name="Packing", colour="#10b981", position=3)
    # A colour that is not a strict hex value never reaches a style attribute.
    evil = StageFactory(organisation=organisation, name="QC", colour="red;x:0", position=4)
    north = ManufacturerFactory(organisation=organisation, name="Northstar Knitting")
    harbour = ManufacturerFactory(organisation=organisation, name="Harbour Mills")

    def item(name, *, stage, started_days_ago, due, manufacturer=north, units=12, colour="Black"):
        order = ProductionOrderFactory(organisation=organisation, manufacturer=manufacturer, due_date=due)
        line = LineItemFactory(
            order=order, product_name=name, colour=colour, units=units, has_stages=True,
            stage_status="in_progress", current_stage=stage,
            current_stage_started_at=now - dt.timedelta(days=started_days_ago),
        )
        return line

    far = today + dt.timedelta(days=40)
    # Moved: finished Cutting and entered Sewing two hours ago.
    moved = item("Aurora Knit Sweater", stage=sewing, started_days_ago=2 / 24, due=far, units=40)
    StagePeriodFactory(line_item=moved, stage=cutting, sequence=0, is_current=False, status="completed",
                       start_time=now - dt.timedelta(days=6), end_time=now - dt.timedelta(hours=2),
                       first_seen_at=now - dt.timedelta(days=6), changed_at=now - dt.timedelta(hours=2))
    StagePeriodFactory(line_item=moved, stage=sewing, sequence=1, is_current=True,
                       start_time=now - dt.timedelta(hours=2), first_seen_at=now - dt.timedelta(hours=2))
    # Stuck: 30 days in Cutting, which is stuck after 10.
    stuck = item("Harbor Linen Shirt", stage=cutting, started_days_ago=30, due=far, manufacturer=harbour,
                 units=24, colour="Sand")
    StagePeriodFactory(line_item=stuck, stage=cutting, sequence=0, start_time=now - dt.timedelta(days=30),
                       first_seen_at=now - dt.timedelta(days=30))
    # Late: due five days ago, in Packing.
    late = item("Delta Denim Jacket", stage=packing, started_days_ago=3, due=today - dt.timedelta(days=5),
                units=18, colour="Indigo")
    StagePeriodFactory(line_item=late, stage=packing, sequence=0, start_time=now - dt.timedelta(days=3),
                       first_seen_at=now - dt.timedelta(days=3))
    # Due in three days; untrusted text in its name.
    due_soon = item("<script>alert(1)</script> Solstice Dress", stage=evil, started_days_ago=1,
                    due=today + dt.timedelta(days=3), manufacturer=harbour, units=6, colour="Red & White")
    # Not in the summary: another organisation, and an order Uphance no longer returns.
    item_other = LineItemFactory(product_name="Other Brand Coat")
    item_other.order.organisation  # noqa: B018 - its own organisation from the factory
    removed = item("Removed Parka", stage=sewing, started_days_ago=1, due=far)
    removed.order.removed_at = now
    removed.order.save()
    return {
        "stages": {"cutting": cutting, "sewing": sewing, "packing": packing, "qc": evil},
        "manufacturers": {"north": north, "harbour": harbour},
        "items": {"moved": moved, "stuck": stuck, "late": late, "due_soon": due_soon},
        "now": now,
    }


def make_summary(*, organisation, user, saved_view=None, local_time=None, time_zone="Europe/London",
                 kind="daily", weekday=None, changed_days_ago=10):
    summary = summary_create(
        organisation=organisation, user=user, kind=kind, weekday=weekday,
        local_time=local_time or dt.time(8, 0), time_zone=time_zone, saved_view=saved_view,
    )
    Summary.objects.filter(pk=summary.pk).update(
        schedule_changed_at=timezone.now() - dt.timedelta(days=changed_days_ago)
    )
    summary.refresh_from_db()
    return summary


def parts(message):
    html = next(content for content, mimetype in message.alternatives if mimetype == "text/html")
    return message.body, html


# --- content ----------------------------------------------------------------------------------

def test_summary_content_for_a_known_data_set(organisation, user, settings):
    settings.SEAMLINE_BASE_URL = "https://seamline.example"
    data = summary_data_set(organisation=organisation)
    summary = make_summary(organisation=organisation, user=user)
    delivery = summary_send_now(summary=summary, now=data["now"])
    text, html = parts(summary_message_build(delivery=delivery, now=data["now"]))

    # Cards and units per stage, in stage order.
    assert "- Cutting: 1 line item, 24 units" in text
    assert "- Sewing: 1 line item, 40 units" in text
    assert "- Packing: 1 line item, 18 units" in text
    assert text.index("- Cutting") < text.index("- Sewing") < text.index("- Packing")
    assert "Line items: 4   Units: 88   Stuck: 1   Late: 1" in text
    # What moved: entered Sewing, completed Cutting.
    assert "Entered a stage (1):\n- Aurora Knit Sweater · Black (PO" in text
    assert "→ Sewing" in text
    assert "Completed a stage (1):\n- Aurora Knit Sweater" in text and "✓ Cutting" in text
    # Stuck, late, due soon.
    assert "STUCK (1)\n- Harbor Linen Shirt · Sand" in text and "30 days in Cutting" in text
    assert "LATE (1)\n- Delta Denim Jacket · Indigo" in text and "5 days late, in Packing" in text
    assert "ORDERS DUE IN THE NEXT 7 DAYS (1)" in text and "(Harbour Mills)" in text
    assert "Customer orders are not synced yet." in text
    # Other organisations and removed orders stay out.
    assert "Other Brand Coat" not in text and "Removed Parka" not in text
    # Plain text is plain: nothing is HTML-escaped there.
    assert "<script>alert(1)</script> Solstice Dress · Red & White" not in text  # not stuck/late/moved
    assert "Open the board: https://seamline.example/board/?group=stage&swimlane=manufacturer\n" in text
    assert "On the board: https://seamline.example/board/?group=stage&swimlane=manufacturer&stuck=1" in text
    assert "Unsubscribe: https://seamline.example/summaries/unsubscribe/" in text

    # The HTML part: stage colour chips through safe_colour only, escaped untrusted text, no script.
    assert "background:#f59e0b;color:" in html and "background:#3b82f6" in html
    assert "red;x:0" not in html and "background:#9ca3af" in html  # QC falls back to neutral
    assert "<script" not in html.lower()
    assert "Harbor Linen Shirt" in html and "30 days in stage" in html and "5 days late" in html
    assert 'href="https://seamline.example/board/?group=stage&amp;swimlane=manufacturer"' in html
    assert 'href="https://seamline.example/board/?group=stage&amp;swimlane=manufacturer&amp;late=1"' in html
    moved = data["items"]["moved"]
    assert f'href="https://seamline.example/line-items/{moved.uphance_id}/"' in html
    assert f'href="https://seamline.example/orders/{moved.order.uphance_id}/"' in html
    assert "https://seamline.example/summaries/unsubscribe/" in html
    assert "Customer orders are not synced yet." in html


def test_untrusted_names_are_escaped_in_html_and_plain_in_text(organisation, user):
    data = summary_data_set(organisation=organisation)
    item = data["items"]["due_soon"]
    item.current_stage_started_at = data["now"] - dt.timedelta(days=40)  # now stuck in QC too
    item.save()
    summary = make_summary(organisation=organisation, user=user)
    text, html = parts(summary_message_build(delivery=summary_send_now(summary=summary), now=data["now"]))
    assert "<script>alert(1)</script> Solstice Dress · Red & White" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Solstice Dress" in html and "Red &amp; White" in html
    assert "<script" not in html.lower()


def test_customer_orders_at_risk_come_from_the_customers_app(organisation, user):
    from customers.models import Customer, SalesOrder

    data = summary_data_set(organisation=organisation)
    summary = make_summary(organisation=organisation, user=user)
    # The customers app is there but has synced nothing yet.
    text, _ = parts(summary_message_build(delivery=summary_send_now(summary=summary), now=data["now"]))
    assert "Customer orders are not synced yet." in text

    customer = Customer.objects.create(organisation=organisation, uphance_id=501, name="Boutique <Lumière>")
    SalesOrder.objects.create(organisation=organisation, uphance_id=9001, order_number="SO-77", customer=customer,
                              at_risk=True, risk_reason="Expected after the ship date",
                              cancel_ship_date=timezone.localdate() + dt.timedelta(days=2))
    SalesOrder.objects.create(organisation=organisation, uphance_id=9002, order_number="SO-78", customer=customer)
    text, html = parts(summary_message_build(delivery=summary_send_now(summary=summary), now=data["now"]))
    assert "CUSTOMER ORDERS AT RISK (1)\n- SO SO-77 (Boutique <Lumière>): ships by" in text
    assert "Expected after the ship date" in text and "SO-78" not in text
    assert "Boutique &lt;Lumière&gt;" in html and "Customer orders at risk (1)" in html


def test_times_are_shown_in_the_summarys_time_zone(logged_in_client, organisation, user):
    summary = make_summary(organisation=organisation, user=user, kind="weekly", weekday=0,
                           local_time=dt.time(7, 0), time_zone="Australia/Sydney")
    now = dt.datetime(2026, 6, 3, 12, 0, tzinfo=dt.UTC)  # Wed 22:00 in Sydney (AEST, +10)
    delivery = summary_delivery_claim(summary=summary, period_start=dt.datetime(2026, 5, 31, 21, 0, tzinfo=dt.UTC),
                                      now=now)
    text, html = parts(summary_message_build(delivery=delivery, now=now))
    assert "Moves from Mon 25 May 07:00 to Mon 1 Jun 07:00 (Australia/Sydney)" in text
    assert "moves from Mon 25 May 07:00 to Mon 1 Jun 07:00 (Australia/Sydney)" in html
    assert "Wednesday 3 June 2026" in text
    page = logged_in_client.get(reverse("summaries")).content.decode()
    assert "Mondays at 07:00 (Australia/Sydney)" in page
    nxt = summary_period_next(summary=summary, now=timezone.now()).astimezone(zone_get("Australia/Sydney"))
    assert nxt.strftime("%H:%M") == "07:00" and f"{nxt:%a} {nxt.day} {nxt:%b} 07:00" in page


def test_a_saved_view_scopes_the_summary_and_its_board_link(organisation, user, settings):
    settings.SEAMLINE_BASE_URL = "https://seamline.example"
    data = summary_data_set(organisation=organisation)
    harbour = data["manufacturers"]["harbour"]
    view = SavedView.objects.create(organisation=organisation, user=user, name="Harbour",
                                    query=f"manufacturer={harbour.pk}")
    summary = make_summary(organisation=organisation, user=user, saved_view=view)
    text, html = parts(summary_message_build(delivery=summary_send_now(summary=summary), now=data["now"]))
    assert "Harbor Linen Shirt" in text
    assert "Aurora Knit Sweater" not in text and "Delta Denim Jacket" not in text
    assert f"https://seamline.example/board/?manufacturer={harbour.pk}" in text
    assert f'href="https://seamline.example/board/?manufacturer={harbour.pk}"' in html
    assert f'href="https://seamline.example/board/?manufacturer={harbour.pk}&amp;stuck=1"' in html


def test_an_empty_summary_is_still_sent_and_says_so(organisation, user):
    summary = make_summary(organisation=organisation, user=user)
    delivery = summary_delivery_send(delivery_id=summary_send_now(summary=summary).id)
    assert delivery.status == Status.SENT
    assert len(mail.outbox) == 1
    text, html = parts(mail.outbox[0])
    for empty in ("Nothing entered a stage.", "Nothing completed a stage.", "Nothing is stuck.",
                  "Nothing is late.", "No orders are due in the next 7 days.", "No stages yet"):
        assert empty in text and empty in html


def test_the_message_has_an_unsubscribe_header_and_both_parts(organisation, user):
    summary = make_summary(organisation=organisation, user=user)
    summary_delivery_send(delivery_id=summary_send_now(summary=summary).id)
    message = mail.outbox[0]
    assert message.to == ["manager@example.test"]
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [m for _, m in message.alternatives] == ["text/html"]
    assert "Daily summary · Northwind Apparel · Whole organisation" in message.subject


def test_moves_are_reported_once_across_consecutive_scheduled_summaries(organisation, user):
    data = summary_data_set(organisation=organisation)
    summary = make_summary(organisation=organisation, user=user, local_time=dt.time(0, 0), time_zone="UTC")
    now = data["now"]
    period = summary_period_latest(summary=summary, now=now)
    # The move happened two hours ago: it belongs to the period that ends after it.
    first = summary_delivery_claim(summary=summary, period_start=period, now=now)
    summary_delivery_send(delivery_id=first.id, now=now)
    later = period + dt.timedelta(days=1)
    second = summary_delivery_claim(summary=summary, period_start=later, now=later)
    assert second.window_start == first.window_end == period
    summary_delivery_send(delivery_id=second.id, now=later)
    texts = [m.body for m in mail.outbox]
    moved_in = ["Entered a stage (1):\n- Aurora Knit Sweater" in t for t in texts]
    assert sorted(moved_in) == [False, True]


# --- never twice --------------------------------------------------------------------------------

def test_two_dispatch_runs_for_the_same_period_send_one_email(organisation, user):
    make_summary(organisation=organisation, user=user)
    now = timezone.now()
    for _ in range(2):
        for delivery in summary_deliveries_claim_due(now=now):
            summary_delivery_send(delivery_id=delivery.id, now=now)
    assert len(mail.outbox) == 1
    assert SummaryDelivery.objects.filter(status=Status.SENT).count() == 1


def test_two_dispatchers_that_both_saw_the_period_due_claim_it_once(organisation, user):
    make_summary(organisation=organisation, user=user)
    now = timezone.now()
    seen_by_first, seen_by_second = summaries_due(now=now), summaries_due(now=now)
    assert len(seen_by_first) == len(seen_by_second) == 1
    claims = [summary_delivery_claim(summary=s, period_start=p, now=now) for s, p in seen_by_first + seen_by_second]
    assert sum(c is not None for c in claims) == 1


def test_a_retried_send_task_does_not_send_again(organisation, user):
    make_summary(organisation=organisation, user=user)
    (delivery,) = summary_deliveries_claim_due(now=timezone.now())
    summary_delivery_send(delivery_id=delivery.id)
    again = summary_delivery_send(delivery_id=delivery.id)
    assert again.status == Status.SENT and again.attempts == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_in_threads_send_one_email():
    organisation = OrganisationFactory(name="Race Apparel")
    user = UserFactory(username="racer")
    MembershipFactory(user=user, organisation=organisation)
    make_summary(organisation=organisation, user=user)
    now = timezone.now()
    barrier = threading.Barrier(4)
    errors = []

    def busy_wait(step):
        # The in-memory SQLite test database (shared cache) reports a lock conflict at once where
        # a file database or PostgreSQL would wait for the other transaction: wait here instead.
        for _ in range(500):
            try:
                return step()
            except OperationalError as exc:
                if connection.vendor != "sqlite" or "locked" not in str(exc):
                    raise
                time.sleep(0.01)
        raise AssertionError("the database stayed locked")

    def dispatcher():
        try:
            barrier.wait(timeout=10)
            for delivery in busy_wait(lambda: summary_deliveries_claim_due(now=now)):
                busy_wait(lambda d=delivery: summary_delivery_send(delivery_id=d.id, now=now))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    # A send that hit a lock conflict is marked for a retry; a later dispatcher run sends it.
    for delivery in summary_deliveries_retryable(now=now + dt.timedelta(hours=1)):
        summary_delivery_send(delivery_id=delivery.id, now=now)
    assert len(mail.outbox) == 1
    assert SummaryDelivery.objects.get().status == Status.SENT


# --- what is due ------------------------------------------------------------------------------

def test_a_missed_period_is_sent_once_when_the_dispatcher_comes_back(organisation, user):
    summary = make_summary(organisation=organisation, user=user, local_time=dt.time(8), time_zone="UTC")
    now = timezone.now()
    latest = summary_period_latest(summary=summary, now=now)
    # Five days ago the summary went out; then the worker was down for four daily periods.
    last_sent = summary_delivery_claim(summary=summary, period_start=latest - dt.timedelta(days=5), now=now)
    summary_delivery_send(delivery_id=last_sent.id)
    claimed = summary_deliveries_claim_due(now=now)
    assert [d.period_start for d in claimed] == [latest]
    # Later ticks of the same day find nothing new.
    for minutes in (1, 2, 3):
        assert summary_deliveries_claim_due(now=now + dt.timedelta(minutes=minutes)) == []
    # The one e-mail covers everything since the last one that went out: nothing is lost.
    assert claimed[0].window_start == last_sent.window_end == latest - dt.timedelta(days=5)
    summary_delivery_send(delivery_id=claimed[0].id)
    assert len(mail.outbox) == 2


def test_a_new_summary_does_not_send_a_period_that_passed_before_it_was_made(organisation, user):
    summary = summary_create(organisation=organisation, user=user, kind="daily", local_time=dt.time(0, 0),
                             time_zone="UTC")
    now = timezone.now()
    assert summaries_due(now=now) == []
    tomorrow = summary_period_latest(summary=summary, now=now) + dt.timedelta(days=1)
    assert [p for _, p in summaries_due(now=tomorrow)] == [tomorrow]


def test_switched_off_summaries_are_not_due(organisation, user):
    summary = make_summary(organisation=organisation, user=user)
    summary.enabled = False
    summary.save()
    assert summaries_due(now=timezone.now()) == []


def test_each_summary_is_due_in_its_own_time_zone(organisation, user):
    london = make_summary(organisation=organisation, user=user, local_time=dt.time(8), time_zone="Europe/London")
    sydney = make_summary(organisation=organisation, user=user, local_time=dt.time(8), time_zone="Australia/Sydney")
    now = dt.datetime(2026, 6, 1, 0, 30, tzinfo=dt.UTC)  # 10:30 in Sydney, 01:30 in London
    Summary.objects.update(schedule_changed_at=now - dt.timedelta(days=3))
    due = {s.pk: p for s, p in summaries_due(now=now)}
    assert due[sydney.pk] == dt.datetime(2026, 5, 31, 22, 0, tzinfo=dt.UTC)
    assert due[london.pk] == dt.datetime(2026, 5, 31, 7, 0, tzinfo=dt.UTC)


# --- failures and retries -----------------------------------------------------------------------

class FlakyBackend(LocmemBackend):
    """Fails the first `failures` sends with a transient SMTP error, then delivers."""

    failures = 1
    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class RefusingBackend(LocmemBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"manager@example.test": (550, b"5.1.1 No such user")})


@pytest.fixture
def flaky():
    FlakyBackend.calls = 0
    FlakyBackend.failures = 1
    with override_settings(EMAIL_BACKEND="tests.summaries.test_services.FlakyBackend"):
        yield FlakyBackend


def test_an_smtp_error_is_logged_on_the_delivery_and_a_later_dispatch_retries_it(organisation, user, flaky):
    make_summary(organisation=organisation, user=user)
    now = timezone.now()
    (delivery,) = summary_deliveries_claim_due(now=now)
    failed = summary_delivery_send(delivery_id=delivery.id, now=now)
    assert failed.status == Status.FAILED
    assert "SMTPServerDisconnected" in failed.error and failed.next_attempt_at > now
    assert mail.outbox == []
    # Before its retry time nothing is picked up; after it, the dispatcher sends it once.
    assert summary_deliveries_claim_due(now=now + dt.timedelta(seconds=30)) == []
    retry_at = failed.next_attempt_at + dt.timedelta(seconds=1)
    (retry,) = summary_deliveries_claim_due(now=retry_at)
    assert retry.id == delivery.id
    sent = summary_delivery_send(delivery_id=retry.id, now=retry_at)
    assert sent.status == Status.SENT and sent.attempts == 2 and sent.error == ""
    assert len(mail.outbox) == 1


def test_the_send_task_retries_with_backoff_until_it_gets_through(organisation, user, flaky, monkeypatch):
    from config.celery import app
    from summaries.tasks import summary_delivery_send_task

    # Eager retries re-run at once; with propagation on, the first Retry would surface instead.
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)

    flaky.failures = 2
    summary = make_summary(organisation=organisation, user=user)
    delivery = summary_send_now(summary=summary)
    summary_delivery_send_task.apply(args=[delivery.id])
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT and delivery.attempts == 3
    assert len(mail.outbox) == 1


@override_settings(EMAIL_BACKEND="tests.summaries.test_services.RefusingBackend")
def test_a_refused_recipient_is_a_permanent_failure_shown_on_the_summary(organisation, user, client):
    summary = make_summary(organisation=organisation, user=user)
    delivery = summary_delivery_send(delivery_id=summary_send_now(summary=summary).id)
    assert delivery.status == Status.GAVE_UP
    assert "550" in delivery.error and "No such user" in delivery.error
    client.force_login(user)
    page = client.get(reverse("summaries")).content.decode()
    assert "No such user" in page and "Failed" in page
    retried = summary_deliveries_claim_due(now=timezone.now() + dt.timedelta(hours=2))
    assert delivery.id not in [d.id for d in retried]
    # A newer delivery is pending: the failure is still shown until an e-mail gets through.
    page = client.get(reverse("summaries")).content.decode()
    assert "Pending" in page and "No such user" in page


def test_a_user_without_an_address_fails_visibly(organisation):
    nobody = UserFactory(username="noaddress", email="")
    MembershipFactory(user=nobody, organisation=organisation)
    summary = make_summary(organisation=organisation, user=nobody)
    delivery = summary_delivery_send(delivery_id=summary_send_now(summary=summary).id)
    assert delivery.status == Status.GAVE_UP and "no e-mail address" in delivery.error


def test_a_claim_left_behind_by_a_lost_worker_is_sent_later(organisation, user):
    make_summary(organisation=organisation, user=user)
    now = timezone.now()
    (delivery,) = summary_deliveries_claim_due(now=now)  # claimed, then the worker died
    assert summary_deliveries_claim_due(now=now + dt.timedelta(minutes=1)) == []
    (again,) = summary_deliveries_claim_due(now=now + dt.timedelta(minutes=20))
    assert again.id == delivery.id
    summary_delivery_send(delivery_id=again.id)
    assert len(mail.outbox) == 1


# --- tasks and command ------------------------------------------------------------------------

def test_the_dispatcher_task_sends_what_is_due(organisation, user, django_capture_on_commit_callbacks):
    from summaries.tasks import summaries_dispatch_task

    make_summary(organisation=organisation, user=user)
    with django_capture_on_commit_callbacks(execute=True):
        summaries_dispatch_task.apply()
    with django_capture_on_commit_callbacks(execute=True):
        summaries_dispatch_task.apply()
    assert len(mail.outbox) == 1


def test_command_due_and_user(organisation, user, capsys):
    make_summary(organisation=organisation, user=user)
    call_command("summaries_send", "--due")
    call_command("summaries_send", "--due")
    out = capsys.readouterr().out
    assert "Sent" in out and "Nothing is due." in out
    assert len(mail.outbox) == 1
    call_command("summaries_send", "--user", "manager")
    assert len(mail.outbox) == 2
    assert SummaryDelivery.objects.filter(trigger="command", status=Status.SENT).count() == 1


def test_command_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("summaries_send", "--user", "ghost")


# --- pages ------------------------------------------------------------------------------------

def test_summaries_page_lists_and_creates(logged_in_client, organisation, user):
    organisation.time_zone = "Europe/Paris"
    organisation.save()
    view = SavedView.objects.create(organisation=organisation, user=user, name="My knits", query="q=knit")
    page = logged_in_client.get(reverse("summaries"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="Europe/Paris" selected' in html and "My knits" in html
    response = logged_in_client.post(reverse("summaries"), {
        "kind": "weekly", "weekday": "0", "local_time": "07:30", "time_zone": "Europe/Paris",
        "saved_view": view.pk, "enabled": "on",
    }, follow=True)
    assert response.status_code == 200
    summary = Summary.objects.get()
    assert (summary.kind, summary.weekday, summary.local_time, summary.saved_view) == ("weekly", 0, dt.time(7, 30), view)
    assert summary.user == user and summary.organisation == organisation
    assert "Saved: Mondays at 07:30 (Europe/Paris), My knits." in response.content.decode()


def test_an_invalid_form_shows_messages_not_a_500(logged_in_client, organisation, user):
    other = UserFactory(username="someone")
    MembershipFactory(user=other, organisation=organisation)
    foreign_view = SavedView.objects.create(organisation=organisation, user=other, name="Not mine")
    response = logged_in_client.post(reverse("summaries"), {
        "kind": "weekly", "local_time": "25:99", "time_zone": "Nowhere/Town", "saved_view": foreign_view.pk,
    })
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose the weekday of a weekly summary." in html
    assert "Enter a valid time." in html
    assert "Select a valid choice" in html
    assert "The summary was not saved" in html
    assert Summary.objects.count() == 0


def test_edit_changes_the_schedule_from_now_on(logged_in_client, organisation, user):
    summary = make_summary(organisation=organisation, user=user)
    before = summary.schedule_changed_at
    response = logged_in_client.post(reverse("summary_edit", args=[summary.pk]), {
        "kind": "daily", "local_time": "06:15", "time_zone": "America/New_York", "enabled": "on",
    })
    assert response.status_code == 302
    summary.refresh_from_db()
    assert summary.local_time == dt.time(6, 15) and summary.time_zone == "America/New_York"
    assert summary.schedule_changed_at > before
    assert logged_in_client.get(reverse("summary_edit", args=[summary.pk])).status_code == 200


def test_send_me_one_now_starts_the_task_after_commit(logged_in_client, organisation, user,
                                                       django_capture_on_commit_callbacks):
    summary = make_summary(organisation=organisation, user=user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = logged_in_client.post(reverse("summary_send_now", args=[summary.pk]), follow=True)
    assert len(callbacks) == 1
    assert "A summary is on its way to manager@example.test." in response.content.decode()
    assert len(mail.outbox) == 1
    delivery = SummaryDelivery.objects.get()
    assert delivery.trigger == "manual" and delivery.status == Status.SENT


def test_send_now_survives_a_broker_that_is_down(logged_in_client, organisation, user, monkeypatch,
                                                 django_capture_on_commit_callbacks):
    from summaries import tasks

    def broken(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.summary_delivery_send_task, "delay", broken)
    summary = make_summary(organisation=organisation, user=user, changed_days_ago=0)
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in_client.post(reverse("summary_send_now", args=[summary.pk]))
    assert response.status_code == 302
    # The dispatcher takes it once the claim is stale.
    (delivery,) = summary_deliveries_claim_due(now=timezone.now() + dt.timedelta(minutes=20))
    assert delivery.trigger == "manual" and delivery.status == Status.PENDING


def test_other_peoples_summaries_are_not_found(client, organisation, user):
    intruder = UserFactory(username="intruder")
    MembershipFactory(user=intruder, organisation=organisation)
    summary = make_summary(organisation=organisation, user=user)
    client.force_login(intruder)
    assert client.post(reverse("summary_send_now", args=[summary.pk])).status_code == 404
    assert client.get(reverse("summary_edit", args=[summary.pk])).status_code == 404
    assert client.post(reverse("summary_delete", args=[summary.pk])).status_code == 404
    assert "You have no summaries yet." in client.get(reverse("summaries")).content.decode()


def test_delete(logged_in_client, organisation, user):
    summary = make_summary(organisation=organisation, user=user)
    assert logged_in_client.post(reverse("summary_delete", args=[summary.pk])).status_code == 302
    assert not Summary.objects.exists()


def test_unsubscribe_link_works_without_login(organisation, user):
    summary = make_summary(organisation=organisation, user=user)
    url = reverse("summary_unsubscribe", args=[summary_unsubscribe_token(summary=summary)])
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(url)
    assert page.status_code == 200 and "Unsubscribe?" in page.content.decode()
    summary.refresh_from_db()
    assert summary.enabled  # a link scanner's GET changes nothing
    # RFC 8058 one-click: a POST with no CSRF token from the mail client.
    done = anonymous.post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.content.decode()
    summary.refresh_from_db()
    assert not summary.enabled
    assert summaries_due(now=timezone.now()) == []


def test_a_tampered_unsubscribe_link_is_refused(organisation, user):
    summary = make_summary(organisation=organisation, user=user)
    token = summary_unsubscribe_token(summary=summary)
    response = Client().post(reverse("summary_unsubscribe", args=[token[:-2] + "xx"]))
    assert response.status_code == 400 and "not valid" in response.content.decode()
    summary.refresh_from_db()
    assert summary.enabled


def test_the_unsubscribe_link_in_the_email_switches_the_summary_off(organisation, user, settings):
    settings.SEAMLINE_BASE_URL = "http://testserver"
    summary = make_summary(organisation=organisation, user=user)
    summary_delivery_send(delivery_id=summary_send_now(summary=summary).id)
    url = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>").removeprefix("http://testserver")
    assert Client().post(url).status_code == 200
    summary.refresh_from_db()
    assert not summary.enabled


def test_summaries_need_login(client):
    response = client.get(reverse("summaries"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_summaries_nav_link(logged_in_client):
    html = logged_in_client.get(reverse("home")).content.decode()
    assert f'href="{reverse("summaries")}"' in html and f'href="{reverse("outbox")}"' in html


def test_connection_is_sqlite_or_postgres():
    assert connection.vendor in ("sqlite", "postgresql")
