"""Home page, health check, organisation switching and the Uphance connection settings."""
import logging
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.numbers import ascii_int
from integrations.uphance.errors import InvalidCredentials, UphanceError

from .decorators import admin_required
from .forms import UphanceLoginForm, UphanceOrganisationForm
from .middleware import SESSION_KEY
from .models import Organisation, UphanceConnection
from .services import (
    ConnectError,
    UphanceLogin,
    membership_admin_ensure,
    uphance_disconnect,
    uphance_login,
    uphance_login_connect,
    uphance_webhook_secret_rotate,
)
from .signals import uphance_connected

logger = logging.getLogger(__name__)

# The session holds a pending Uphance login (tokens, never the password) only encrypted.
PENDING_LOGIN_KEY = "uphance_pending_login"


@require_GET
@login_not_required
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@require_POST
def organisation_switch(request):
    wanted = ascii_int(request.POST.get("organisation", ""), minimum=1)
    membership = (
        request.user.memberships.filter(organisation_id=wanted).select_related("organisation").first()
        if wanted is not None
        else None
    )
    if membership is None:
        messages.error(request, "You are not a member of that organisation.")
    else:
        request.session[SESSION_KEY] = membership.organisation_id
        messages.success(request, f"Now working in {membership.organisation.name}.")
    return redirect("home")


def connection_admin_required(view):
    """Admins of the current organisation; a superuser with no organisation yet may connect one."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.organisation is None:
            if not request.user.is_superuser:
                return redirect("home")
        elif not request.membership.is_admin:
            raise PermissionDenied("Only an admin can change the Uphance connection.")
        return view(request, *args, **kwargs)

    return wrapper


def _connection(request) -> UphanceConnection | None:
    if request.organisation is None:
        return None
    return UphanceConnection.objects.filter(organisation=request.organisation).first()


def _pending_login(request) -> UphanceLogin | None:
    sealed = request.session.get(PENDING_LOGIN_KEY)
    login = UphanceLogin.unseal(sealed) if sealed else None
    if sealed and login is None:
        request.session.pop(PENDING_LOGIN_KEY, None)
    return login


def _settings_page(request, *, login_form=None, organisation_form=None, status=200):
    connection = _connection(request)
    pending = _pending_login(request)
    if pending is not None and organisation_form is None:
        organisation_form = UphanceOrganisationForm(organisations=pending.organisations)
    context = {
        "connection": connection,
        "login_form": login_form or UphanceLoginForm(),
        "organisation_form": organisation_form if pending is not None else None,
        "pending_email": pending.email if pending else None,
        "webhook_url": (
            request.build_absolute_uri(reverse("uphance_webhook", args=[connection.webhook_secret]))
            if connection
            else None
        ),
        "webhook_events": (
            request.organisation.webhook_events.all()[:10] if connection else []
        ),
        "sync_url": reverse("sync"),
    }
    return render(request, "accounts/settings_uphance.html", context, status=status)


def _connect(request, *, login: UphanceLogin, uphance_organisation_id: int):
    """Store the connection the user chose, make them its admin, start the first full sync."""
    existing = Organisation.objects.filter(uphance_id=uphance_organisation_id).first()
    if (
        existing is not None
        and existing != request.organisation
        and not request.user.memberships.filter(organisation=existing, role="admin").exists()
    ):
        raise ConnectError(
            f"{existing.name} is already connected in Seamline; ask one of its admins to reconnect it."
        )
    connection = uphance_login_connect(
        login=login, uphance_organisation_id=uphance_organisation_id, organisation=request.organisation
    )
    organisation = connection.organisation
    membership_admin_ensure(user=request.user, organisation=organisation)
    request.session.pop(PENDING_LOGIN_KEY, None)
    request.session[SESSION_KEY] = organisation.pk

    uphance_connected.send(sender=_connect, organisation=organisation)  # the sync starts its first full pass
    messages.success(request, f"Connected to {organisation.name}. The first full sync has started.")
    return redirect("sync")


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
@connection_admin_required
def settings_uphance(request):
    """Step 1 of the wizard: the Uphance e-mail and password, used once for a token."""
    if request.method == "GET":
        return _settings_page(request)
    form = UphanceLoginForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, login_form=form, status=400)
    request.session.pop(PENDING_LOGIN_KEY, None)
    try:
        login = uphance_login(
            api_url=settings.UPHANCE_API_URL,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
        )
        if not login.organisations:
            raise ConnectError("This Uphance account has no organisation.")
        if len(login.organisations) == 1:
            return _connect(request, login=login, uphance_organisation_id=login.organisations[0].id)
    except InvalidCredentials:
        form.add_error(None, "Uphance rejected that e-mail or password.")
        return _settings_page(request, login_form=form, status=400)
    except ConnectError as exc:
        form.add_error(None, str(exc))
        return _settings_page(request, login_form=form, status=400)
    except UphanceError as exc:
        form.add_error(None, f"Could not connect to Uphance: {exc}")
        return _settings_page(request, login_form=form, status=400)
    request.session[PENDING_LOGIN_KEY] = login.seal()
    return redirect("settings_uphance")


@require_POST
@connection_admin_required
def settings_uphance_choose(request):
    """Step 2 when the account reaches several organisations: which one to connect."""
    login = _pending_login(request)
    if login is None:
        messages.error(request, "That sign-in has expired; enter the Uphance e-mail and password again.")
        return redirect("settings_uphance")
    if "cancel" in request.POST:
        request.session.pop(PENDING_LOGIN_KEY, None)
        return redirect("settings_uphance")
    form = UphanceOrganisationForm(request.POST, organisations=login.organisations)
    if not form.is_valid():
        return _settings_page(request, organisation_form=form, status=400)
    try:
        return _connect(request, login=login, uphance_organisation_id=form.cleaned_data["uphance_organisation_id"])
    except ConnectError as exc:
        form.add_error(None, str(exc))
        return _settings_page(request, organisation_form=form, status=400)
    except UphanceError as exc:
        form.add_error(None, f"Could not connect to Uphance: {exc}")
        return _settings_page(request, organisation_form=form, status=400)


@require_POST
@admin_required
def settings_uphance_disconnect(request):
    uphance_disconnect(organisation=request.organisation)
    messages.success(request, "Disconnected from Uphance; the tokens were deleted and syncs stop.")
    return redirect("settings_uphance")


@require_POST
@admin_required
def settings_uphance_webhook_rotate(request):
    uphance_webhook_secret_rotate(organisation=request.organisation)
    messages.success(request, "New webhook URL: update it in Uphance; the old one no longer works.")
    return redirect("settings_uphance")
