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

from .models import WebhookEvent
from .tasks import production_order_refresh_queue

logger = logging.getLogger(__name__)

# The database finds candidates by a short prefix; the whole secret is compared in constant time.
LOOKUP_PREFIX = 8
MIN_SECRET_LENGTH = 32


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


@csrf_exempt
@login_not_required
@require_POST
def uphance_webhook(request, secret):
    """Answer at once; repeats are recognised by the body's hash; work goes to Celery."""
    connection = webhook_connection(secret=secret)
    if connection is None:
        raise Http404("No such webhook.")
    try:
        payload = json.loads(request.body)
    except (UnicodeDecodeError, ValueError):
        return HttpResponseBadRequest("The body is not JSON.", content_type="text/plain")
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        return HttpResponseBadRequest('Expected {"event": ..., "<object>": {...}}.', content_type="text/plain")
    outcome = uphance_webhook_receive(organisation=connection.organisation, body=request.body, payload=payload)
    logger.info("Uphance webhook %s for %s: %s", payload["event"][:100], connection.organisation, outcome)
    return JsonResponse({"status": outcome}, status=202 if outcome == "queued" else 200)


def uphance_webhook_receive(*, organisation: Organisation, body: bytes, payload: dict) -> str:
    """Record one webhook delivery once; a receiving ticket refreshes its production order.

    Returns "duplicate" for a delivery seen before, "queued" when a refresh was started,
    "ignored" otherwise (unknown events, missing ids, no usable connection).
    """
    event = str(payload.get("event", ""))[:100]
    object_id = None
    if event.startswith("receiving_ticket_"):
        ticket = payload.get("receiving_ticket")
        raw_id = ticket.get("production_order_id") if isinstance(ticket, dict) else None
        try:
            object_id = int(raw_id) if raw_id is not None and not isinstance(raw_id, bool) else None
        except (TypeError, ValueError):
            object_id = None
    try:
        with transaction.atomic():
            record = WebhookEvent.objects.create(
                organisation=organisation,
                event=event,
                body_sha256=hashlib.sha256(body).hexdigest(),
                uphance_object_id=object_id,
            )
    except IntegrityError:
        return "duplicate"
    connection = UphanceConnection.objects.filter(organisation=organisation).first()
    if object_id is None or connection is None or not connection.is_usable:
        return "ignored"
    production_order_refresh_queue(organisation=organisation, uphance_order_id=object_id)
    WebhookEvent.objects.filter(pk=record.pk).update(handled=True)
    return "queued"
