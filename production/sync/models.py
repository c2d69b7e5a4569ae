"""The sync log: every run of a sync, and every record a run could not take."""
from django.db import models
from django.utils import timezone


class SyncRun(models.Model):
    class Kind(models.TextChoices):
        PRODUCTION_FULL = "production_full", "Production: full reconciliation"
        PRODUCTION_NEW = "production_new", "Production: new orders"
        PRODUCTION_OPEN = "production_open", "Production: open orders"
        PRODUCTION_STAGES = "production_stages", "Production: stage refresh"
        SEASONS = "seasons", "Seasons"
        CUSTOMERS = "customers", "Customers"
        SALES_ORDERS_FULL = "sales_orders_full", "Sales orders: full"
        SALES_ORDERS_NEW = "sales_orders_new", "Sales orders: new"
        SALES_ORDERS_OPEN = "sales_orders_open", "Sales orders: open"
        SHIPUP_PUSH = "shipup_push", "Shipup push"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Sync now"
        COMMAND = "command", "Command line"
        WEBHOOK = "webhook", "Webhook"
        CONNECT = "connect", "New connection"
        SYNC = "sync", "After a sync"

    class Outcome(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Succeeded with issues"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="sync_runs")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.SCHEDULE)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    pages = models.PositiveIntegerField(default=0)
    pages_total = models.PositiveIntegerField(null=True, blank=True)
    requests = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    issues = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    # A queued retry waits for this moment (Uphance asked to wait, or backoff after an error).
    resumes_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["organisation", "kind", "-started_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M} ({self.outcome})"

    @property
    def duration(self):
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def is_running(self) -> bool:
        return self.outcome in (self.Outcome.QUEUED, self.Outcome.RUNNING)

    @property
    def progress_percent(self) -> int | None:
        if not self.pages_total:
            return None
        return min(100, round(100 * self.pages / self.pages_total))


class SyncIssue(models.Model):
    """A record a sync could not take: which, why, and a redacted excerpt of what came."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="sync_issues")
    run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="issue_set")
    record_type = models.CharField(max_length=64)
    record_id = models.CharField(max_length=64, blank=True)
    field = models.CharField(max_length=255, blank=True)
    reason = models.TextField()
    excerpt = models.TextField(blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    occurrences = models.PositiveIntegerField(default=1)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]
        indexes = [models.Index(fields=["organisation", "resolved_at"])]

    def __str__(self):
        return f"{self.record_type} {self.record_id}: {self.reason[:60]}"


class SyncLock(models.Model):
    """At most one run of a kind per organisation: a row exists while a run holds the lock.

    A killed worker leaves its row behind; a lock whose heartbeat is older than the lock's
    time-to-live is taken over by the next run (see production.sync.log).
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    run = models.ForeignKey(SyncRun, null=True, on_delete=models.SET_NULL, related_name="+")
    acquired_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "kind"], name="sync_lock_kind")]


class WebhookEvent(models.Model):
    """An Uphance webhook delivery, kept once: Uphance retries for 48 h and may repeat a delivery."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="webhook_events")
    event = models.CharField(max_length=100)
    body_sha256 = models.CharField(max_length=64)
    uphance_object_id = models.BigIntegerField(null=True, blank=True)
    handled = models.BooleanField(default=False)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "accounts_webhookevent"  # moved from accounts; the table kept its name
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "body_sha256"], name="webhook_event_body_unique")
        ]

    def __str__(self):
        return f"{self.event} for {self.organisation} at {self.received_at:%Y-%m-%d %H:%M}"
