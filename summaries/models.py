"""Scheduled e-mail summaries: what a user asked for, each delivery of it, and the local outbox."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Summary(models.Model):
    """A user's daily or weekly e-mail, at a local time in a time zone, scoped by a saved view."""

    class Kind(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="summaries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="summaries")
    saved_view = models.ForeignKey(
        "board.SavedView", null=True, blank=True, on_delete=models.SET_NULL, related_name="summaries",
        help_text="Empty = the whole organisation",
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.DAILY)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, null=True, blank=True)
    local_time = models.TimeField()
    time_zone = models.CharField(max_length=64, default="UTC")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    schedule_changed_at = models.DateTimeField(
        default=timezone.now,
        help_text="When the schedule was created, changed or switched on: earlier periods are never sent.",
    )

    class Meta:
        db_table = "production_summary"  # moved from production; the table kept its name
        ordering = ["organisation_id", "user_id", "id"]
        indexes = [models.Index(fields=["enabled"])]
        verbose_name_plural = "summaries"

    def __str__(self):
        return f"{self.get_kind_display()} summary of {self.user} ({self.scope_name})"

    @property
    def scope_name(self) -> str:
        return self.saved_view.name if self.saved_view_id else "Whole organisation"

    @property
    def schedule_text(self) -> str:
        at = self.local_time.strftime("%H:%M")
        if self.kind == self.Kind.WEEKLY and self.weekday is not None:
            return f"{self.get_weekday_display()}s at {at} ({self.time_zone})"
        return f"Every day at {at} ({self.time_zone})"


class SummaryDelivery(models.Model):
    """One e-mail of a summary. A scheduled period is claimed by creating this row: the unique
    constraint on (summary, period_start) is what keeps two dispatchers from sending it twice."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Send me one now"
        COMMAND = "command", "Command line"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed, will retry"
        GAVE_UP = "gave_up", "Failed"

    summary = models.ForeignKey(Summary, on_delete=models.CASCADE, related_name="deliveries")
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.SCHEDULE)
    period_start = models.DateTimeField(help_text="The scheduled instant this delivery is for (UTC)")
    window_start = models.DateTimeField(null=True, blank=True, help_text="'What moved' covers from here…")
    window_end = models.DateTimeField(null=True, blank=True, help_text="…to here")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    recipient = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "production_summarydelivery"
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["summary", "period_start"],
                condition=Q(trigger="schedule"),
                name="summary_delivery_period",
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name_plural = "summary deliveries"

    def __str__(self):
        return f"{self.summary_id} @ {self.period_start:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_scheduled(self) -> bool:
        return self.trigger == self.Trigger.SCHEDULE


class OutboxMessage(models.Model):
    """An e-mail the embedded default did not send anywhere: one row per recipient, shown at /outbox/.

    Who may read it is `user` (the account it was for) in `organisation`, never the address:
    addresses are not unique across accounts and organisations.
    """

    recipient = models.CharField(max_length=320, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="The account the message was for (empty: only its organisation's admins may read it)",
    )
    from_email = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    raw = models.TextField(blank=True, help_text="The whole MIME message as it would have gone out")
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Set when the message is about an organisation (its admins may read it)",
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "production_outboxmessage"
        ordering = ["-sent_at", "-id"]

    def __str__(self):
        return f"To {self.recipient}: {self.subject}"
