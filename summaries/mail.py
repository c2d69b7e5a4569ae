"""The embedded default's e-mail backend: keeps every message in the outbox (/outbox/), one row per recipient."""
import logging

from django.contrib.auth import get_user_model
from django.core.mail.backends.base import BaseEmailBackend

from integrations.numbers import ascii_int

logger = logging.getLogger(__name__)

ORGANISATION_HEADER = "X-Seamline-Organisation"
USER_HEADER = "X-Seamline-User"  # the account a message is for: who may read it in the outbox


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


def _header_id(headers: dict, name: str) -> int | None:
    value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return ascii_int(value, minimum=1)


def _recipient_users(recipients: list[str], *, user_id: int | None, organisation_id: int | None) -> dict:
    """{recipient: user id or None}: the account each copy is for. The header names it; without one,
    only an address that belongs to exactly one account (a member of the organisation, if any) does."""
    User = get_user_model()
    named = User.objects.filter(pk=user_id).values("pk", "email").first() if user_id is not None else None
    users = {}
    for recipient in recipients:
        if named is not None:
            mine = len(recipients) == 1 or named["email"].lower() == recipient.lower()
            users[recipient] = named["pk"] if mine else None
            continue
        candidates = User.objects.filter(email__iexact=recipient)
        if organisation_id is not None:
            candidates = candidates.filter(memberships__organisation_id=organisation_id)
        found = list(candidates.values_list("pk", flat=True)[:2])
        users[recipient] = found[0] if len(found) == 1 else None
    return users


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
                organisation_id = _header_id(headers, ORGANISATION_HEADER)
                if organisation_id is not None and not Organisation.objects.filter(pk=organisation_id).exists():
                    organisation_id = None
                users = _recipient_users(
                    recipients, user_id=_header_id(headers, USER_HEADER), organisation_id=organisation_id
                )
                OutboxMessage.objects.bulk_create(
                    [
                        OutboxMessage(
                            recipient=recipient, from_email=message.from_email or "", subject=message.subject or "",
                            text_body=text, html_body=html, headers=headers, raw=raw,
                            organisation_id=organisation_id, user_id=users[recipient],
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
