"""Analytics pages and CSVs: a form validates the query string, a selector reads, the page renders.

Every page is for managers and owners of the organisation; a filter that does not validate is
dropped and said so on the page; a CSV with a bad filter answers 400.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.decorators import manager_required
from board.selectors.filters import BoardOptions, board_options
from integrations.spreadsheets import csv_safe
from production.models import Manufacturer
from production.rules import organisation_today

from .forms import AnalyticsFilterForm
from .selectors.common import WINDOWS, AnalyticsFilters
from .selectors.durations import stage_durations
from .selectors.flow import cumulative_flow, weekly_throughput, wip_aging
from .selectors.forecasts import forecast_accuracy
from .selectors.scorecards import manufacturer_scorecards, manufacturer_trends


@dataclass
class Page:
    form: AnalyticsFilterForm
    filters: AnalyticsFilters
    options: BoardOptions


def _page(request) -> Page:
    organisation = request.organisation
    options = board_options(organisation=organisation)
    form = AnalyticsFilterForm(request.GET, options=options, today=organisation_today(organisation=organisation))
    form.is_valid()
    return Page(form, form.filters(), options)


def _render(request, template: str, page: Page, **context):
    base_url = request.path
    context = {
        "form": page.form, "filters": page.filters, "query": page.filters.query_string(),
        "multi_filters": page.form.multi_filters(), "problems": page.form.problems, "page_url": base_url,
        "line_item_url": reverse("line_item_timeline", args=[0]).removesuffix("0/"),
        "windows": WINDOWS,
        **context,
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, f"{template}#content", context)
    return render(request, template, context)


def _csv(page: Page, rows, name: str) -> HttpResponse:
    if page.form.problems:
        return HttpResponseBadRequest("; ".join(page.form.problems), content_type="text/plain; charset=utf-8")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="seamline-{name}-{page.filters.first.isoformat()}-{page.filters.last.isoformat()}.csv"'
    )
    return response


@require_GET
@manager_required
def analytics_home(request):
    return redirect("analytics:manufacturers")


@require_GET
@manager_required
def manufacturers(request):
    page = _page(request)
    cards = manufacturer_scorecards(organisation=request.organisation, filters=page.filters, options=page.options)
    return _render(request, "analytics/manufacturers.html", page, cards=cards, chart=cards.chart())


@require_GET
@manager_required
def manufacturers_csv(request):
    page = _page(request)
    cards = manufacturer_scorecards(organisation=request.organisation, filters=page.filters, options=page.options)
    return _csv(page, cards.csv_rows(), "manufacturers")


def _manufacturer(request, pk) -> Manufacturer:
    return get_object_or_404(Manufacturer, pk=pk, organisation=request.organisation)


@require_GET
@manager_required
def manufacturer_detail(request, pk):
    page = _page(request)
    maker = _manufacturer(request, pk)
    trends = manufacturer_trends(organisation=request.organisation, filters=page.filters, options=page.options,
                                 manufacturer=maker)
    return _render(request, "analytics/manufacturer.html", page, trends=trends, manufacturer=maker,
                   chart=trends.chart())


@require_GET
@manager_required
def manufacturer_trends_csv(request, pk):
    page = _page(request)
    maker = _manufacturer(request, pk)
    trends = manufacturer_trends(organisation=request.organisation, filters=page.filters, options=page.options,
                                 manufacturer=maker)
    return _csv(page, trends.csv_rows(), f"manufacturer-{maker.pk}")


@require_GET
@manager_required
def stages(request):
    page = _page(request)
    durations = stage_durations(organisation=request.organisation, filters=page.filters, options=page.options,
                                with_manufacturers=page.filters.by_manufacturer)
    return _render(request, "analytics/stages.html", page, durations=durations, chart=durations.chart())


@require_GET
@manager_required
def stages_csv(request):
    page = _page(request)
    durations = stage_durations(organisation=request.organisation, filters=page.filters, options=page.options,
                                with_manufacturers=True)
    return _csv(page, durations.csv_rows(), "stages")


@require_GET
@manager_required
def flow(request):
    page = _page(request)
    org = request.organisation
    cfd = cumulative_flow(organisation=org, filters=page.filters, options=page.options)
    throughput = weekly_throughput(organisation=org, filters=page.filters, options=page.options)
    aging = wip_aging(organisation=org, filters=page.filters, options=page.options,
                      line_item_url=reverse("line_item_timeline", args=[0]).removesuffix("0/"))
    return _render(request, "analytics/flow.html", page, cfd=cfd, throughput=throughput, aging=aging,
                   cfd_chart=cfd.chart(), throughput_chart=throughput.chart(), aging_chart=aging.chart())


@require_GET
@manager_required
def flow_csv(request):
    page = _page(request)
    cfd = cumulative_flow(organisation=request.organisation, filters=page.filters, options=page.options)
    return _csv(page, cfd.csv_rows(), "flow")


@require_GET
@manager_required
def throughput_csv(request):
    page = _page(request)
    throughput = weekly_throughput(organisation=request.organisation, filters=page.filters, options=page.options)
    return _csv(page, throughput.csv_rows(), "throughput")


@require_GET
@manager_required
def aging_csv(request):
    page = _page(request)
    aging = wip_aging(organisation=request.organisation, filters=page.filters, options=page.options)
    return _csv(page, aging.csv_rows(), "wip-aging")


@require_GET
@manager_required
def forecasts(request):
    page = _page(request)
    result = forecast_accuracy(organisation=request.organisation, filters=page.filters)
    return _render(request, "analytics/forecasts.html", page, result=result, chart=result.chart())


@require_GET
@manager_required
def forecasts_csv(request):
    page = _page(request)
    result = forecast_accuracy(organisation=request.organisation, filters=page.filters)
    return _csv(page, result.csv_rows(), "forecasts")
