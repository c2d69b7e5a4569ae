"""The sync health page: last runs per kind, open issues, freshness, and starting any kind of sync."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import manager_required, organisation_required
from production.sync.models import SyncRun
from production.sync.selectors import (
    data_fresh_at,
    sync_issues_open,
    sync_runs_active,
    sync_runs_latest,
    sync_startable,
)

from .engine import sync_pass_needs_uphance
from .tasks import sync_queue

# Buttons that start several passes at once; any registered kind can also be started on its own.
GROUPS = {
    "incremental": [SyncRun.Kind.PRODUCTION_NEW, SyncRun.Kind.PRODUCTION_OPEN, SyncRun.Kind.PRODUCTION_STAGES],
    "full": [SyncRun.Kind.PRODUCTION_FULL],
}


@require_GET
@organisation_required
def sync_page(request):
    organisation = request.organisation
    active = sync_runs_active(organisation=organisation)
    context = {"active_runs": active, "fresh_at": data_fresh_at(organisation=organisation)}
    if request.htmx and request.GET.get("part") == "active":
        return render(request, "production/sync/sync.html#active", context)
    issues, issue_count = sync_issues_open(organisation=organisation)
    context.update(
        kinds=sync_runs_latest(organisation=organisation), issues=issues, issue_count=issue_count,
        connection=getattr(organisation, "uphance_connection", None), startable=sync_startable(),
    )
    return render(request, "production/sync/sync.html", context)


@require_POST
@manager_required
def sync_now(request):
    what = request.POST.get("what", "incremental")
    startable = dict(sync_startable())
    kinds = GROUPS.get(what) or ([what] if what in startable else None)
    if kinds is None:
        messages.error(request, "Choose which sync to start.")
        return redirect("sync")
    connection = getattr(request.organisation, "uphance_connection", None)
    if any(sync_pass_needs_uphance(k) for k in kinds) and (connection is None or not connection.is_usable):
        messages.error(request, "Uphance is not connected for this organisation: an admin needs to connect it first.")
        return redirect("sync")
    for kind in kinds:
        sync_queue(organisation=request.organisation, kind=kind, trigger=SyncRun.Trigger.MANUAL)
    messages.success(request, "Sync started. Progress shows below.")
    return redirect("sync")
