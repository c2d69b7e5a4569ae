"""Writes for e-mail summaries: manage them, claim a period exactly once, build and send the e-mail."""
import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from summaries.models import Summary, SummaryDelivery
from summaries.recipients import summary_recipient_problem
from summaries.selectors import summaries_due, summary_content, summary_window

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STALE_AFTER = dt.timedelta(minutes=15)
SMTP_TIMEOUT_SECONDS = 60
UNSUBSCRIBE_SALT = "seamline.summary.unsubscribe"
SCHEDULE_FIELDS = ("kind", "weekday", "local_time", "time_zone")
Status = SummaryDelivery.Status
Trigger = SummaryDelivery.Trigger


class PermanentDeliveryError(Exception):
    """Retrying will not help (no address, the server refused the recipient for good)."""


# --- managing summaries -----------------------------------------------------------------------

def summary_create(*, organisation, user, kind, local_time, time_zone, weekday=None, saved_view=None,
                   enabled=True) -> Summary:
    now = timezone.now()
    return Summary.objects.create(
        organisation=organisation, user=user, kind=kind, weekday=weekday if kind == Summary.Kind.WEEKLY else None,
        local_time=local_time, time_zone=time_zone, saved_view=saved_view, enabled=enabled,
        created_at=now, schedule_changed_at=now,
    )


def summary_update(*, summary: Summary, **changes) -> Summary:
    """Apply `changes`; a changed schedule (or switching on) starts from now, never sends the past."""
    if changes.get("kind", summary.kind) != Summary.Kind.WEEKLY:
        changes["weekday"] = None
    schedule_changed = any(
        name in changes and changes[name] != getattr(summary, name) for name in SCHEDULE_FIELDS
    ) or (changes.get("enabled") and not summary.enabled)
    for name, value in changes.items():
        setattr(summary, name, value)
    if schedule_changed:
        summary.schedule_changed_at = timezone.now()
    summary.save()
    return summary


def summary_unsubscribe_token(*, summary: Summary) -> str:
    return signing.dumps(summary.pk, salt=UNSUBSCRIBE_SALT, compress=True)


def summary_from_unsubscribe_token(*, token: str) -> Summary | None:
    try:
        summary_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Summary.objects.select_related("organisation", "user").filter(pk=summary_id).first()


def summary_unsubscribe(*, summary: Summary) -> Summary:
    if summary.enabled:
        Summary.objects.filter(pk=summary.pk).update(enabled=False)
        summary.enabled = False
        logger.info("Summary %s switched off by its unsubscribe link", summary.pk)
    return summary


def summary_switch_off(*, summary: Summary, reason: str) -> Summary:
    """Stop `summary` (an admin's decision, or its user leaving); its user may switch it on again."""
    if summary.enabled:
        Summary.objects.filter(pk=summary.pk).update(enabled=False)
        summary.enabled = False
        logger.info("Summary %s switched off: %s", summary.pk, reason)
    return summary


def summaries_switch_off_for_member(*, user_id: int, organisation_id: int) -> int:
    """Switch off every summary of a user in an organisation they no longer belong to."""
    switched = Summary.objects.filter(user_id=user_id, organisation_id=organisation_id, enabled=True).update(
        enabled=False
    )
    if switched:
        logger.info("%s summaries of user %s switched off: no longer a member of organisation %s",
                    switched, user_id, organisation_id)
    return switched


# --- claiming what is due ---------------------------------------------------------------------

def summary_delivery_claim(*, summary: Summary, period_start: dt.datetime, now: dt.datetime):
    """Claim `period_start` of `summary`; None if another dispatcher already has it.

    The row is committed before anything is sent: the unique (summary, period_start) constraint
    makes the claim atomic across processes, so a period is sent at most once.
    """
    window_start, window_end = summary_window(summary=summary, period_start=period_start, now=now)
    try:
        with transaction.atomic():
            delivery = SummaryDelivery.objects.create(
                summary=summary, trigger=Trigger.SCHEDULE, period_start=period_start,
                window_start=window_start, window_end=window_end, recipient=summary.user.email or "",
                created_at=now,
            )
            # An older period still waiting for a retry is covered by this one's window: drop it.
            SummaryDelivery.objects.filter(
                summary=summary, trigger=Trigger.SCHEDULE, period_start__lt=period_start,
                status__in=[Status.PENDING, Status.FAILED],
            ).update(
                status=Status.GAVE_UP, next_attempt_at=None,
                error="Superseded: the summary of a later period covers what this one would have said.",
            )
    except IntegrityError:
        return None
    return delivery


def summary_deliveries_retryable(*, now: dt.datetime) -> list[SummaryDelivery]:
    """Failed deliveries whose retry time has come, and claims a lost worker left behind."""
    stale = now - STALE_AFTER
    return list(
        SummaryDelivery.objects.filter(
            Q(status=Status.FAILED, next_attempt_at__lte=now, attempts__lt=MAX_ATTEMPTS)
            | Q(status=Status.PENDING, created_at__lt=stale)
            | Q(status=Status.SENDING, started_at__lt=stale)
        ).order_by("id")
    )


def summary_deliveries_claim_due(*, now: dt.datetime | None = None) -> list[SummaryDelivery]:
    """What one dispatcher run should send: newly claimed periods, then retries."""
    now = now or timezone.now()
    claimed = []
    for summary, period in summaries_due(now=now):
        delivery = summary_delivery_claim(summary=summary, period_start=period, now=now)
        if delivery is not None:
            claimed.append(delivery)
    claimed_ids = {d.id for d in claimed}
    return claimed + [d for d in summary_deliveries_retryable(now=now) if d.id not in claimed_ids]


def summary_send_now(*, summary: Summary, trigger: str = Trigger.MANUAL, now: dt.datetime | None = None):
    """A delivery outside the schedule ("Send me one now"); it does not move the scheduled windows."""
    now = now or timezone.now()
    window_start, window_end = summary_window(summary=summary, period_start=None, now=now)
    return SummaryDelivery.objects.create(
        summary=summary, trigger=trigger, period_start=now, window_start=window_start, window_end=window_end,
        recipient=summary.user.email or "", created_at=now,
    )


# --- sending ----------------------------------------------------------------------------------

def retry_delay(*, attempts: int) -> dt.timedelta:
    """Exponential backoff: 1, 2, 4, 8… minutes, at most an hour."""
    return dt.timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, PermanentDeliveryError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPServerDisconnected)
    return False


def _error_text(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{rcpt}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
                 for rcpt, (code, msg) in exc.recipients.items()]
        return "Recipient refused: " + "; ".join(parts)
    if isinstance(exc, smtplib.SMTPResponseException):
        msg = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"{type(exc).__name__}: {exc.smtp_code} {msg}"
    return f"{type(exc).__name__}: {exc}"[:2000]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def summary_message_build(*, delivery: SummaryDelivery, now: dt.datetime) -> EmailMultiAlternatives:
    summary = delivery.summary
    if not delivery.recipient:
        raise PermanentDeliveryError(f"{summary.user} has no e-mail address.")
    content = summary_content(
        summary=summary, window_start=delivery.window_start, window_end=delivery.window_end, now=now
    )
    base = settings.SEAMLINE_BASE_URL.rstrip("/")
    unsubscribe_url = base + reverse(
        "summary_unsubscribe", kwargs={"token": summary_unsubscribe_token(summary=summary)}
    )
    context = {
        **content,
        "delivery": delivery,
        "unsubscribe_url": unsubscribe_url,
        "settings_url": base + reverse("summaries"),
    }
    late, stuck = content["late_count"], content["stuck_count"]
    subject = _one_line(
        f"{summary.get_kind_display()} summary · {summary.organisation.name} · {content['scope']}: "
        f"{late} late, {stuck} stuck · {content['today']:%a %d %b}"
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("summaries/emails/summary.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.recipient],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "X-Seamline-Organisation": str(summary.organisation_id),
            "X-Seamline-Summary": str(summary.pk),
            "X-Seamline-User": str(summary.user_id),
        },
    )
    message.attach_alternative(render_to_string("summaries/emails/summary.html", context), "text/html")
    return message


def summary_delivery_send(*, delivery_id: int, now: dt.datetime | None = None) -> SummaryDelivery:
    """Send one delivery unless it is sent or being sent; record the outcome on it.

    Taking the delivery is a compare-and-set on its status, so a retried task, a second
    dispatcher and the command can all call this for the same delivery and one e-mail goes out.
    """
    now = now or timezone.now()
    taken = (
        SummaryDelivery.objects.filter(pk=delivery_id)
        .filter(
            Q(status__in=[Status.PENDING, Status.FAILED]) | Q(status=Status.SENDING, started_at__lt=now - STALE_AFTER)
        )
        .update(status=Status.SENDING, started_at=now, attempts=F("attempts") + 1)
    )
    delivery = SummaryDelivery.objects.select_related(
        "summary", "summary__user", "summary__organisation", "summary__saved_view"
    ).get(pk=delivery_id)
    if not taken:
        return delivery
    if delivery.is_scheduled and not delivery.summary.enabled:
        return _delivery_finish(delivery, status=Status.GAVE_UP, error="The summary was switched off.")
    problem = summary_recipient_problem(summary=delivery.summary)
    if problem:  # left the organisation or deactivated since the delivery was claimed
        logger.info("Summary delivery %s not sent: %s", delivery.pk, problem)
        return _delivery_finish(delivery, status=Status.GAVE_UP, error=f"Not sent: {problem}")
    try:
        message = summary_message_build(delivery=delivery, now=now)
        message.connection = _connection()
        message.send(fail_silently=False)
    except Exception as exc:
        permanent = _is_permanent(exc)
        error = _error_text(exc)
        if permanent or delivery.attempts >= MAX_ATTEMPTS:
            logger.error("Summary delivery %s failed for good: %s", delivery.pk, error)
            return _delivery_finish(delivery, status=Status.GAVE_UP, error=error)
        logger.warning("Summary delivery %s failed (attempt %s), will retry: %s", delivery.pk, delivery.attempts, error)
        return _delivery_finish(
            delivery, status=Status.FAILED, error=error,
            next_attempt_at=now + retry_delay(attempts=delivery.attempts),
        )
    logger.info("Summary delivery %s sent to %s", delivery.pk, delivery.recipient)
    return _delivery_finish(delivery, status=Status.SENT, error="", sent_at=timezone.now())


def _connection():
    """The configured backend, with a timeout well inside STALE_AFTER so a hung server cannot make
    a stale-claim pickup send the same delivery again."""
    if getattr(settings, "EMAIL_TIMEOUT", None) is None:
        return get_connection(timeout=SMTP_TIMEOUT_SECONDS)
    return get_connection()


def _delivery_finish(delivery, *, status, error, sent_at=None, next_attempt_at=None) -> SummaryDelivery:
    delivery.status = status
    delivery.error = error
    delivery.sent_at = sent_at
    delivery.next_attempt_at = next_attempt_at
    delivery.save(update_fields=["status", "error", "sent_at", "next_attempt_at"])
    return delivery
