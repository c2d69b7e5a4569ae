"""Uphance webhooks: unsigned, so the secret in the URL names (and authenticates) the organisation."""
import hmac
import json
import logging

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import UphanceConnection
from .services import uphance_webhook_receive

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
