"""Keeps the secret of an organisation's webhook URL out of log lines (django.request, the access log).

The secret in /webhooks/uphance/<secret>/ is the webhook's only password (Uphance does not sign
deliveries), so every line naming that path is written with the secret masked. No Django imports:
LOGGING names the filter, and gunicorn's logger (production.sync.access_log) uses it before the app loads.
"""
from __future__ import annotations

import logging
import re

_WEBHOOK_PATH = re.compile(r"(/webhooks/uphance/)[^/\s?#\"']+")
MASK = "***"


def webhook_secrets_masked(text: str) -> str:
    return _WEBHOOK_PATH.sub(rf"\g<1>{MASK}", text)


class WebhookSecretFilter(logging.Filter):
    """Rewrites a record whose message names a webhook URL with the secret masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = webhook_secrets_masked(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
