"""The embedded default's e-mail backend: keeps every message in the outbox (/outbox/), one row per recipient."""
import logging

from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)

ORGANISATION_HEADER = "X-Seamline-Organisation"


def _parts(message) -> tuple[str, str]:
    """(plain text, HTML) of an EmailMessage / EmailMultiAlternatives."""
    text, html = "", ""
    if getattr(message, "content_subtype", "plain") == "html":
        html = message.body or ""
    else:
        text = message.body or ""
    for alternative in getattr(message, "alternatives", None) or []:
        content, mimetype = alternative[0], alternative[1]
        if mimetype == "text/html" and not html:
            html = content if isinstance(content, str) else content.decode("utf-8", "replace")
    return text, html


def _organisation_id(headers: dict) -> int | None:
    value = next((v for k, v in headers.items() if k.lower() == ORGANISATION_HEADER.lower()), None)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        from accounts.models import Organisation
        from summaries.models import OutboxMessage

        sent = 0
        for message in email_messages or []:
            recipients = message.recipients()
            if not recipients:
                continue
            try:
                raw = message.message().as_string()
                text, html = _parts(message)
                headers = {str(k): str(v) for k, v in (message.extra_headers or {}).items()}
                organisation_id = _organisation_id(headers)
                if organisation_id is not None and not Organisation.objects.filter(pk=organisation_id).exists():
                    organisation_id = None
                OutboxMessage.objects.bulk_create(
                    [
                        OutboxMessage(
                            recipient=recipient, from_email=message.from_email or "", subject=message.subject or "",
                            text_body=text, html_body=html, headers=headers, raw=raw,
                            organisation_id=organisation_id,
                        )
                        for recipient in recipients
                    ]
                )
            except Exception:
                if not self.fail_silently:
                    raise
                logger.exception("Could not store an e-mail in the outbox")
                continue
            logger.info("Outbox: %r to %s", message.subject, ", ".join(recipients))
            sent += 1
        return sent
