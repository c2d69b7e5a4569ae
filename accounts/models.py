"""Organisations (one per Uphance organisation), who belongs to them, and their Uphance connection."""
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from .fields import EncryptedTextField


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    uphance_id = models.BigIntegerField(null=True, blank=True, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        MANAGER = "manager", "Manager"
        ADMIN = "admin", "Admin"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} in {self.organisation} ({self.role})"

    @property
    def is_manager(self) -> bool:
        return self.role in (self.Role.MANAGER, self.Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


def webhook_secret_new() -> str:
    """The secret part of an organisation's webhook URL (Uphance webhooks are unsigned)."""
    return secrets.token_urlsafe(32)


class UphanceConnection(models.Model):
    """The tokens Seamline holds for one organisation. The password is never stored."""

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        RECONNECT_NEEDED = "reconnect_needed", "Reconnect needed"
        DISCONNECTED = "disconnected", "Disconnected"

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="uphance_connection")
    api_url = models.URLField(max_length=300)
    account_email = models.EmailField(blank=True)
    uphance_organisation_id = models.BigIntegerField()
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.CONNECTED)
    status_message = models.TextField(blank=True)
    connected_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Names the organisation in /webhooks/uphance/<secret>/; compared in constant time.
    webhook_secret = models.CharField(max_length=64, unique=True, default=webhook_secret_new)

    def __str__(self):
        return f"Uphance connection of {self.organisation} ({self.status})"

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.CONNECTED and bool(self.access_token)
