"""Pages of e-mail summaries (manage, send now, unsubscribe) and of the local outbox."""
import logging

from csp.decorators import csp
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import admin_required, organisation_required
from board.models import SavedView
from summaries.models import Summary
from summaries.recipients import organisation_summaries
from summaries.schedules import time_zone_names
from summaries.selectors import outbox_messages_visible, summaries_for_user
from summaries.services import (
    summary_create,
    summary_from_unsubscribe_token,
    summary_send_now,
    summary_switch_off,
    summary_unsubscribe,
    summary_update,
)

logger = logging.getLogger(__name__)

FIELDS = ("kind", "weekday", "local_time", "time_zone", "saved_view", "enabled")


class SummaryForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label="Time zone")
    saved_view = forms.ModelChoiceField(
        queryset=SavedView.objects.none(), required=False, empty_label="Whole organisation", label="Board view"
    )
    local_time = forms.TimeField(
        label="Local time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    class Meta:
        model = Summary
        fields = FIELDS
        labels = {"kind": "How often", "weekday": "Weekday", "enabled": "Switched on"}

    def __init__(self, *args, user, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["saved_view"].queryset = SavedView.objects.filter(user=user, organisation=organisation)
        self.fields["time_zone"].choices = [(name, name) for name in time_zone_names()]
        self.fields["weekday"].required = False
        self.fields["weekday"].choices = [("", "—"), *Summary.Weekday.choices]
        self.fields["weekday"].help_text = "Weekly summaries only"
        if not self.is_bound and self.instance.pk is None:
            self.initial.setdefault("time_zone", organisation.time_zone or "UTC")
            self.initial.setdefault("local_time", "08:00")
            self.initial.setdefault("enabled", True)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Summary.Kind.WEEKLY and cleaned.get("weekday") is None:
            self.add_error("weekday", "Choose the weekday of a weekly summary.")
        return cleaned


def _own_summary(request, pk) -> Summary:
    return get_object_or_404(
        Summary.objects.select_related("saved_view"), pk=pk, user=request.user, organisation=request.organisation
    )


def _list_page(request, *, form, status=200):
    rows = summaries_for_user(user=request.user, organisation=request.organisation, now=timezone.now())
    context = {
        "form": form,
        "rows": rows,
        "has_email": bool(request.user.email),
        "outbox_in_use": settings.EMAIL_BACKEND == "summaries.mail.OutboxEmailBackend",
        # Admins see (and may switch off) every member's summaries of the organisation.
        "organisation_rows": (
            organisation_summaries(organisation=request.organisation) if request.membership.is_admin else None
        ),
    }
    return render(request, "summaries/summaries.html", context, status=status)


@require_http_methods(["GET", "POST"])
@organisation_required
def summaries(request):
    form = SummaryForm(request.POST or None, user=request.user, organisation=request.organisation)
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, "The summary was not saved: check the fields marked below.")
            return _list_page(request, form=form, status=400)
        summary = summary_create(
            organisation=request.organisation, user=request.user,
            **{name: form.cleaned_data[name] for name in FIELDS},
        )
        messages.success(request, f"Saved: {summary.schedule_text}, {summary.scope_name}.")
        return redirect("summaries")
    return _list_page(request, form=form)


@require_http_methods(["GET", "POST"])
@organisation_required
def summary_edit(request, pk):
    summary = _own_summary(request, pk)
    form = SummaryForm(
        request.POST or None, instance=summary, user=request.user, organisation=request.organisation
    )
    if request.method == "POST":
        if form.is_valid():
            # The service applies the changes; the form only validates them.
            summary = Summary.objects.get(pk=summary.pk)
            summary_update(summary=summary, **{name: form.cleaned_data[name] for name in FIELDS})
            messages.success(request, f"Saved: {summary.schedule_text}, {summary.scope_name}.")
            return redirect("summaries")
        messages.error(request, "The summary was not saved: check the fields marked below.")
    return render(
        request, "summaries/summaries_edit.html", {"form": form, "summary": summary},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_POST
@organisation_required
def summary_delete(request, pk):
    summary = _own_summary(request, pk)
    summary.delete()
    messages.success(request, "Summary deleted.")
    return redirect("summaries")


@require_POST
@organisation_required
def summary_send_now_view(request, pk):
    from summaries.tasks import summary_delivery_send_task

    summary = _own_summary(request, pk)
    if not request.user.email:
        messages.error(request, "Your account has no e-mail address, so there is nowhere to send a summary.")
        return redirect("summaries")
    delivery = summary_send_now(summary=summary)

    def enqueue():
        try:
            summary_delivery_send_task.delay(delivery.id)
        except Exception:  # the dispatcher picks up a delivery nobody took
            logger.exception("Could not queue summary delivery %s; the dispatcher will retry it", delivery.id)

    transaction.on_commit(enqueue)
    where = " It will appear in the Outbox." if settings.EMAIL_BACKEND == "summaries.mail.OutboxEmailBackend" else ""
    messages.success(request, f"A summary is on its way to {request.user.email}.{where}")
    return redirect("summaries")


@require_POST
@admin_required
def summary_switch_off_view(request, pk):
    """An admin stops any summary of their organisation (its user may switch it on again)."""
    summary = get_object_or_404(Summary.objects.select_related("user"), pk=pk, organisation=request.organisation)
    summary_switch_off(summary=summary, reason=f"by {request.user} (admin of {request.organisation})")
    messages.success(request, f"Switched off {summary.user}'s summary: {summary.schedule_text}.")
    return redirect("summaries")


@login_not_required
@csrf_exempt  # RFC 8058 one-click unsubscribe: mail clients POST without a CSRF token; the signed token is the proof
@require_http_methods(["GET", "POST"])
def summary_unsubscribe_view(request, token):
    summary = summary_from_unsubscribe_token(token=token)
    if summary is None:
        return render(request, "summaries/summaries_unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        summary_unsubscribe(summary=summary)
        return render(request, "summaries/summaries_unsubscribe.html", {"summary": summary, "done": True})
    return render(request, "summaries/summaries_unsubscribe.html", {"summary": summary})


# --- outbox -----------------------------------------------------------------------------------

@require_GET
def outbox(request):
    visible = outbox_messages_visible(user=request.user, membership=request.membership)
    page = Paginator(visible.defer("raw", "html_body", "text_body"), 50).get_page(request.GET.get("page"))
    return render(
        request, "summaries/outbox.html",
        {"page": page, "outbox_in_use": settings.EMAIL_BACKEND == "summaries.mail.OutboxEmailBackend"},
    )


@require_GET
def outbox_message(request, pk):
    message = get_object_or_404(outbox_messages_visible(user=request.user, membership=request.membership), pk=pk)
    return render(request, "summaries/outbox_message.html", {"message": message})


@require_GET
@xframe_options_sameorigin
@csp({
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["data:"],
    "frame-ancestors": ["'self'"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
    "sandbox": True,
})
def outbox_message_html(request, pk):
    """The HTML part on its own, for a sandboxed iframe: no scripts, nothing fetched, no forms."""
    message = get_object_or_404(outbox_messages_visible(user=request.user, membership=request.membership), pk=pk)
    response = HttpResponse(message.html_body or "<p>(This message has no HTML part.)</p>", content_type="text/html; charset=utf-8")
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response

