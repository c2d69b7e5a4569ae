"""Shipup pages: the preview of what would be sent (and why), and the organisation's switch and channels."""
from django.conf import settings as django_settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import admin_required, manager_required
from production.sync.models import SyncRun

from .forms import PreviewFilterForm, ShipupSettingsForm
from .selectors import (
    shipup_channel_ids,
    shipup_pushes_recent,
    shipup_sales_orders,
    shipup_settings_get,
)
from .services import (
    shipup_plans,
    shipup_pushes_resume,
    shipup_settings_update,
)
from .tasks import shipup_push_queue

PER_PAGE = 25


def _integration_context(organisation) -> dict:
    settings = shipup_settings_get(organisation=organisation)
    channel_ids = shipup_channel_ids(settings=settings)
    return {
        "shipup": settings,
        "shipup_channels": list(settings.channels.all()) if channel_ids else [],
        "api_key_set": bool(django_settings.SHIPUP_API_KEY),
        "api_url": django_settings.SHIPUP_API_URL,
    }


@require_http_methods(["GET"])
@manager_required
def shipup_preview(request):
    """The exact JSON each sales order would get, the status chosen and why, page by page."""
    organisation = request.organisation
    context = _integration_context(organisation)
    form = PreviewFilterForm(request.GET)
    sales_orders = shipup_sales_orders(organisation=organisation, settings=context["shipup"])
    if q := form.query():
        sales_orders = sales_orders.filter(order_number__icontains=q)
    page = Paginator(sales_orders, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        form=form, page=page, plans=shipup_plans(sales_orders=list(page.object_list)), query=query.urlencode(),
        recent=shipup_pushes_recent(organisation=organisation),
    )
    template = "customers/shipup/preview.html#plans" if request.htmx else "customers/shipup/preview.html"
    return render(request, template, context)


@require_POST
@manager_required
def shipup_push_now(request):
    if shipup_push_queue(organisation=request.organisation, trigger=SyncRun.Trigger.MANUAL):
        messages.success(request, "Push to Shipup started: what changed is sent in the background.")
    else:
        messages.error(request, "Nothing was started: Shipup is switched off, paused, or SHIPUP_API_KEY is not set.")
    return redirect("customers:shipup_preview")


@require_http_methods(["GET", "POST"])
@admin_required
def shipup_settings(request):
    organisation = request.organisation
    context = _integration_context(organisation)
    current = context["shipup"]
    if request.method == "POST":
        form = ShipupSettingsForm(request.POST, organisation=organisation)
        if form.is_valid():
            shipup_settings_update(
                organisation=organisation, enabled=form.cleaned_data["enabled"],
                channels=form.cleaned_data["channels"],
            )
            if request.POST.get("resume") and current.is_paused:
                shipup_pushes_resume(organisation=organisation)
                messages.success(request, "Pushes to Shipup resume with the next run.")
                shipup_push_queue(organisation=organisation, trigger=SyncRun.Trigger.MANUAL)
            else:
                messages.success(request, "Shipup settings saved.")
            return redirect("customers:shipup_settings")
    else:
        form = ShipupSettingsForm(
            organisation=organisation,
            initial={"enabled": current.enabled, "channels": shipup_channel_ids(settings=current)},
        )
    context["form"] = form
    return render(request, "customers/shipup/settings.html", context)
