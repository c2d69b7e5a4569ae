"""Uphance webhooks: unsigned, so the secret in the URL names (and authenticates) the organisation."""
import hashlib
import hmac
import json
import logging

from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import Organisation, UphanceConnection
from integrations.numbers import ascii_int
from production.models import ProductionOrder

from .models import SyncRun, WebhookEvent
from .tasks import production_order_refresh_queue, sync_queue

logger = logging.getLogger(__name__)

# The database finds candidates by a short prefix; the whole secret is compared in constant time.
LOOKUP_PREFIX = 8
MIN_SECRET_LENGTH = 32
MAX_BODY_BYTES = 64 * 1024  # a receiving-ticket event is a few hundred bytes


def webhook_connection(*, secret: str) -> UphanceConnection | None:
    if len(secret) < MIN_SECRET_LENGTH:
        return None
    given = secret.encode()
    found = None
    candidates = UphanceConnection.objects.select_related("organisation").filter(
        webhook_secret__startswith=secret[:LOOKUP_PREFIX]
    )
    for connection in candidates:
        if hmac.compare_digest(connection.webhook_secret.encode(), given):
            found = connection
    return found


class BadWebhook(ValueError):
    """A body Seamline does not take (answered 400, so a sender sees why)."""


def webhook_parse(body: bytes) -> tuple[str, int | None]:
    """(event, production order id or None) of a webhook body; BadWebhook when it is not one.

    Only a production_order_id that is a whole number a database id can hold is taken: Infinity,
    1e30 or 20 digits are refused, as are bodies too large or too deeply nested to read.
    """
    if len(body) > MAX_BODY_BYTES:
        raise BadWebhook(f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadWebhook("The body is not JSON.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        raise BadWebhook('Expected {"event": ..., "<object>": {...}}.')
    event = payload["event"][:100]
    order_id = None
    if event.startswith("receiving_ticket_"):
        ticket = payload.get("receiving_ticket")
        raw_id = ticket.get("production_order_id") if isinstance(ticket, dict) else None
        if raw_id is not None:
            order_id = ascii_int(raw_id, minimum=1)
            if order_id is None:
                raise BadWebhook("receiving_ticket.production_order_id must be a whole number (an Uphance id).")
    return event, order_id


@csrf_exempt
@login_not_required
@require_POST
def uphance_webhook(request, secret):
    """Answer at once; repeats are recognised by the body's hash; work goes to Celery."""
    connection = webhook_connection(secret=secret)
    if connection is None:
        raise Http404("No such webhook.")
    declared = ascii_int(request.META.get("CONTENT_LENGTH") or "0", minimum=0)
    if declared is None or declared > MAX_BODY_BYTES:
        return HttpResponseBadRequest(f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.", content_type="text/plain")
    try:
        event, order_id = webhook_parse(request.body)
    except BadWebhook as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    outcome = uphance_webhook_receive(organisation=connection.organisation, body=request.body, event=event,
                                      order_id=order_id)
    # The event is the sender's text: repr keeps a newline in it from forging a log line.
    logger.info("Uphance webhook %r for %s: %s", event, connection.organisation, outcome)
    return JsonResponse({"status": outcome}, status=202 if outcome == "queued" else 200)


def uphance_webhook_receive(*, organisation: Organisation, body: bytes, event: str, order_id: int | None) -> str:
    """Record one webhook delivery once; a receiving ticket refreshes its production order (or, for
    an order not held yet, queues the new-orders pass).

    Returns "duplicate" for a delivery seen before, "queued" when a refresh was started,
    "ignored" otherwise (unknown events, missing ids, no usable connection).
    """
    try:
        with transaction.atomic():
            record = WebhookEvent.objects.create(
                organisation=organisation,
                event=event,
                body_sha256=hashlib.sha256(body).hexdigest(),
                uphance_object_id=order_id,
            )
    except IntegrityError:
        return "duplicate"
    connection = UphanceConnection.objects.filter(organisation=organisation).first()
    if order_id is None or connection is None or not connection.is_usable:
        return "ignored"
    if ProductionOrder.objects.filter(organisation=organisation, uphance_id=order_id).exists():
        production_order_refresh_queue(organisation=organisation, uphance_order_id=order_id)
    else:
        # An order Seamline does not hold is new: the new-orders pass fetches it, as a locked, logged
        # run, once for however many such webhooks arrive before it starts.
        sync_queue(organisation=organisation, kind=SyncRun.Kind.PRODUCTION_NEW, trigger=SyncRun.Trigger.WEBHOOK)
    WebhookEvent.objects.filter(pk=record.pk).update(handled=True)
    return "queued"
