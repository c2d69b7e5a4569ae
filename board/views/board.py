"""Board views: the stage and manufacturer boards, "show more", live refresh, CSV export, saved views."""
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url, trigger_client_event

from accounts.decorators import manager_required, organisation_required
from board.forms import (
    BoardFilterForm,
    BoardSliceForm,
    LanePageForm,
    SavedViewForm,
    StageSettingsFormSet,
)
from board.models import SavedView
from board.selectors.cache import board_version
from board.selectors.cards import MORE_SLICE
from board.selectors.export import board_export_rows
from board.selectors.filters import GROUPS, SWIMLANES, board_options
from board.selectors.manufacturer_board import manufacturer_board, manufacturer_column_orders
from board.selectors.saved_views import saved_views_for
from board.selectors.stage_board import board_cell_cards, stage_board
from board.selectors.stage_settings import stages_usual
from board.views.as_of import (
    as_of_board_response,
    as_of_column_response,
    as_of_export_response,
    as_of_request,
)
from integrations.spreadsheets import csv_lines
from production.models import Stage

BOARD_TEMPLATE = "board/board.html"


def _filters(request, options):
    form = BoardFilterForm(request.GET, options=options)
    form.is_valid()
    return form, form.filters()


def _board_url(filters, **extra) -> str:
    return f"{reverse('board')}?{filters.query_string(**extra)}"


def _page_context(form, filters) -> dict:
    query = filters.query_string()
    return {
        "form": form,
        "filters": filters,
        "query": query,
        "board_url": _board_url(filters),
        "board_column_url": f"{reverse('board_column')}?{query}",
        "groups": GROUPS,
        "swimlanes": SWIMLANES,
        "multi_filters": form.multi_filters(),
        "status_fields": form.status_fields(),
        "more_slice": MORE_SLICE,
        # Cards link by prefix + id: reversing two URLs per card costs more than the card itself.
        "line_item_url": reverse("line_item_timeline", args=[0]).removesuffix("0/"),
        "order_url": reverse("order_detail", args=[0]).removesuffix("0/"),
    }


@require_GET
@organisation_required
def board(request):
    """The board. Full page, or for htmx the board's content (or the next swimlanes)."""
    organisation = request.organisation
    if not request.GET:
        default = SavedView.objects.filter(organisation=organisation, user=request.user, is_default=True).first()
        if default is not None and default.query:
            return redirect(f"{reverse('board')}?{default.query}")
    options = board_options(organisation=organisation)
    form, filters = _filters(request, options)
    lane_form = LanePageForm(request.GET)
    lane_offset = (lane_form.cleaned_data.get("lane_offset") or 0) if lane_form.is_valid() else 0
    version = board_version(organisation=organisation)
    context = {
        **_page_context(form, filters),
        "version": version,
        "poll_seconds": getattr(settings, "SEAMLINE_BOARD_POLL_SECONDS", 20),
        "is_manager": request.membership.is_manager,
    }
    as_of, as_of_problems = as_of_request(request)  # the board on a past day
    if as_of or as_of_problems:
        response = as_of_board_response(request, template=BOARD_TEMPLATE, context=context, filters=filters,
                                        options=options, as_of=as_of, problems=as_of_problems, lane_offset=lane_offset)
        if response is not None:
            return response
    if filters.group == "manufacturer":
        context["mboard"] = manufacturer_board(organisation=organisation, filters=filters, options=options,
                                               version=version)
    else:
        context["board"] = stage_board(
            organisation=organisation, filters=filters, options=options, version=version, lane_offset=lane_offset
        )
    partial_request = request.htmx and not request.htmx.history_restore_request
    if partial_request and lane_offset and filters.group != "manufacturer":
        return render(request, f"{BOARD_TEMPLATE}#lanes", context)
    context["saved_views"] = saved_views_for(organisation=organisation, user=request.user)
    context["saved_view_form"] = SavedViewForm(initial={"query": context["query"]})
    if partial_request:
        response = render(request, f"{BOARD_TEMPLATE}#content", context)
        if request.headers.get("HX-Board-Refresh") is None:
            push_url(response, context["board_url"])
        return response
    return render(request, BOARD_TEMPLATE, context)


@require_GET
@organisation_required
def board_column(request):
    """The next cards of one column (or swimlane cell): an htmx partial, or a page of its own."""
    organisation = request.organisation
    options = board_options(organisation=organisation)
    form, filters = _filters(request, options)
    slice_form = BoardSliceForm(request.GET)
    if not slice_form.is_valid():
        return HttpResponseBadRequest("Unknown column.")
    column = slice_form.cleaned_data["column"]
    lane = slice_form.cleaned_data.get("lane") or "all"
    offset = slice_form.cleaned_data.get("offset") or 0
    as_of, _problems = as_of_request(request)  # "show more" of the board on a past day
    if as_of is not None and filters.group != "manufacturer":
        return as_of_column_response(request, template=BOARD_TEMPLATE, column_template="board/board_column.html",
                                     context=_page_context(form, filters), filters=filters, options=options,
                                     as_of=as_of, column=column, lane=lane, offset=offset)
    if filters.group == "manufacturer":
        cards = manufacturer_column_orders(
            organisation=organisation, filters=filters, options=options, column_key=column, offset=offset,
        )
    else:
        cards = board_cell_cards(
            organisation=organisation, filters=filters, options=options, column_key=column, lane_key=lane,
            offset=offset,
        )
    if cards is None:
        return HttpResponseBadRequest("Unknown column.")
    page_url = f"{reverse('board_column')}?{filters.query_string(column=column, lane=lane)}&offset="
    context = {
        **_page_context(form, filters),
        "slice": cards,
        "column_key": column,
        "lane_key": lane,
        "focus_new": True,
        "previous_url": f"{page_url}{max(0, offset - MORE_SLICE)}" if offset else None,
        "next_url": f"{page_url}{cards.next_offset}" if cards.next_offset else None,
    }
    if request.htmx:
        return render(request, f"{BOARD_TEMPLATE}#column", context)
    return render(request, "board/board_column.html", context)


@require_GET
@organisation_required
def board_live(request):
    """Polled by the board: 204 while nothing new, else a fresh poller and a `board-updated` event."""
    version = board_version(organisation=request.organisation)
    if request.GET.get("v") == version:
        return HttpResponse(status=204)
    context = {"version": version, "poll_seconds": getattr(settings, "SEAMLINE_BOARD_POLL_SECONDS", 20)}
    response = render(request, f"{BOARD_TEMPLATE}#poller", context)
    return trigger_client_event(response, "board-updated")


@require_GET
@organisation_required
def board_export(request):
    """The filtered board as CSV, one row per line item, streamed."""
    organisation = request.organisation
    options = board_options(organisation=organisation)
    _form, filters = _filters(request, options)
    as_of, as_of_problems = as_of_request(request)  # the CSV of the board on a past day
    if as_of or as_of_problems:
        return as_of_export_response(request, filters=filters, as_of=as_of, problems=as_of_problems)
    rows = board_export_rows(organisation=organisation, filters=filters)
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="seamline-board-{stamp}.csv"'
    return response


# --- saved views ---------------------------------------------------------------------------------

@require_POST
@organisation_required
def saved_view_create(request):
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect(f"{reverse('board')}?{request.POST.get('query', '').lstrip('?')}")
    name, query = form.cleaned_data["name"], form.cleaned_data["query"]
    view, created = SavedView.objects.update_or_create(
        organisation=request.organisation, user=request.user, name=name, defaults={"query": query}
    )
    if request.POST.get("is_default"):
        _make_default(view)
    messages.success(request, f"Saved the view “{name}”." if created else f"Updated the view “{name}”.")
    return redirect(f"{reverse('board')}?{view.query}")


def _own_view(request, pk) -> SavedView:
    return get_object_or_404(SavedView, pk=pk, organisation=request.organisation, user=request.user)


@transaction.atomic
def _make_default(view: SavedView):
    SavedView.objects.filter(organisation=view.organisation, user=view.user, is_default=True).exclude(pk=view.pk).update(
        is_default=False
    )
    SavedView.objects.filter(pk=view.pk).update(is_default=True)


@require_POST
@organisation_required
def saved_view_default(request, pk):
    view = _own_view(request, pk)
    if view.is_default:
        SavedView.objects.filter(pk=view.pk).update(is_default=False)
        messages.success(request, f"“{view.name}” is no longer your default view.")
    else:
        _make_default(view)
        messages.success(request, f"“{view.name}” now opens when you open the board.")
    return redirect(f"{reverse('board')}?{view.query}")


@require_POST
@organisation_required
def saved_view_delete(request, pk):
    view = _own_view(request, pk)
    view.delete()
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect(f"{reverse('board')}?{request.POST.get('next_query', '').lstrip('?')}")


# --- stage settings ------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@manager_required
def stage_settings(request):
    """Managers set each stage's place in the sequence and after how many days a card is stuck."""
    organisation = request.organisation
    stages = Stage.objects.filter(organisation=organisation).order_by("position", "name")
    formset = StageSettingsFormSet(request.POST or None, queryset=stages)
    if request.method == "POST" and formset.is_valid():
        with transaction.atomic():
            for form in formset.forms:
                if not form.has_changed():
                    continue
                stage = form.save(commit=False)
                if stage.organisation_id != organisation.id:  # the formset's queryset prevents this
                    raise PermissionDenied
                if "position" in form.changed_data:
                    stage.position_locked = True
                stage.save(update_fields=["position", "stuck_after_days", "position_locked"])
        messages.success(request, "Stage settings saved.")
        return redirect("stage_settings")
    stage_list = list(stages)
    usual = stages_usual(organisation=organisation, stages=stage_list, version=board_version(organisation=organisation))
    rows = [(form, form.instance, usual.get(form.instance.id)) for form in formset.forms]
    return render(request, "board/stage_settings.html", {"formset": formset, "rows": rows})
