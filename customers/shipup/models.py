"""Shipup push state: the per-organisation switch, what Shipup holds for each sales order, and the push log."""
from django.db import models
from django.utils import timezone

from production.models.orders import OrgScoped

__all__ = ["ShipupOrderState", "ShipupPush", "ShipupSettings"]


class ShipupSettings(models.Model):
    """Whether an organisation pushes its sales orders to Shipup, and which channels."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="shipup_settings"
    )
    enabled = models.BooleanField(default=False, help_text="Push sales orders waiting on production to Shipup")
    channels = models.ManyToManyField(
        "customers.Channel", blank=True, related_name="+",
        help_text="Only sales orders of these channels are sent; none ticked = every channel",
    )
    # Set when Shipup answered 401/402/403: no retry helps, pushes stop until an admin resumes them.
    paused_reason = models.TextField(blank=True)
    paused_status = models.PositiveSmallIntegerField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    # Set while a push runs (a lock that works across processes); a stale one expires.
    push_started_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_run_summary = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Shipup settings"
        verbose_name_plural = "Shipup settings"

    def __str__(self):
        return f"Shipup settings of {self.organisation_id}"

    @property
    def is_paused(self) -> bool:
        return bool(self.paused_reason)

    @property
    def is_active(self) -> bool:
        return self.enabled and not self.is_paused


class ShipupOrderState(OrgScoped):
    """What Seamline last settled with Shipup for one sales order (one row per order ever pushed).

    `payload_hash` is the last payload Shipup accepted or refused: the same payload is never sent
    twice. The `accepted_*` fields describe what Shipup holds now.
    """

    sales_order = models.OneToOneField("customers.SalesOrder", on_delete=models.CASCADE, related_name="shipup_state")
    payload_hash = models.CharField(max_length=64, blank=True)
    accepted_hash = models.CharField(max_length=64, blank=True)
    accepted_status_code = models.CharField(max_length=32, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # The production orders (pks) the accepted status was derived from: once they are all
    # received the sales order no longer has demand links, yet it still waits to be shipped.
    accepted_production_order_ids = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organisation", "accepted_at"])]

    def __str__(self):
        return f"Shipup state of SO {self.sales_order_id}: {self.accepted_status_code or '—'}"


class ShipupPush(OrgScoped):
    """One request that sent a sales order to Shipup, with what was sent and how Shipup answered."""

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        REJECTED = "rejected", "Rejected by Shipup"
        AUTH_FAILED = "auth_failed", "Refused: account problem"
        FAILED = "failed", "Failed, will retry"

    class Flag(models.TextChoices):
        MISSING_EMAIL = "missing_email", "No contact e-mail: sent without it"
        MISSING_ADDRESS = "missing_shipping_address", "No default shipping address"
        UNKNOWN_COUNTRY = "unknown_country", "Country not recognised: no country code sent"
        MISSING_ORDERED_AT = "missing_ordered_at", "No order date: Shipup sends no pre-shipment notification"

    sales_order = models.ForeignKey("customers.SalesOrder", on_delete=models.CASCADE, related_name="shipup_pushes")
    sent_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    status_code = models.CharField(max_length=32, blank=True, help_text="The fulfillment status_code sent")
    reason = models.CharField(max_length=500, blank=True, help_text="Why this status was chosen")
    flags = models.JSONField(default=list, blank=True)
    payload_hash = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.TextField(blank=True, help_text="Readable: one 'field: message' per line for a refusal")

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["sales_order", "-sent_at"]),
            models.Index(fields=["organisation", "-sent_at"]),
        ]

    def __str__(self):
        return f"Shipup push of SO {self.sales_order_id} at {self.sent_at:%Y-%m-%d %H:%M} ({self.outcome})"

    @property
    def flag_labels(self) -> list[str]:
        labels = dict(self.Flag.choices)
        return [labels.get(flag, flag) for flag in self.flags]

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.error.splitlines() if line.strip()]
