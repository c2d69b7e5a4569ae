"""The board on a past day (`?as_of=YYYY-MM-DD`, and `&since=YYYY-MM-DD` for what changed since).

The board's views hand over to these functions when the query string asks for a past day; they
draw the same templates with the day's reconstructed board (board.selectors.as_of).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from django import forms
from django.contrib import messages
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django_htmx.http import push_url

from board.forms import SavedViewForm
from board.selectors.as_of import (
    AsOf,
    as_of_board,
    as_of_cell_cards,
    as_of_export_rows,
    history_ready,
    ignored_filters,
)
from board.selectors.saved_views import saved_views_for
from integrations.spreadsheets import csv_lines
from production.rules import organisation_today

MIN_DAY = dt.date(2000, 1, 1)


class AsOfForm(forms.Form):
    as_of = forms.DateField(required=False, label="Board as of")
    since = forms.DateField(required=False, label="Changed since")

    def __init__(self, data=None, *, today: dt.date, **kwargs):
        super().__init__(data, **kwargs)
        self.today = today

    def clean_as_of(self):
        day = self.cleaned_data.get("as_of")
        if day is not None and not (MIN_DAY <= day <= self.today):
            raise forms.ValidationError("Choose a day between 2000 and today.")
        return day

    def clean_since(self):
        day = self.cleaned_data.get("since")
        if day is not None and not (MIN_DAY <= day <= self.today):
            raise forms.ValidationError("Choose a day between 2000 and today.")
        return day


def as_of_request(request) -> tuple[AsOf | None, list[str]]:
    """The past day the query string asks for (None: today's live board), and what was not understood."""
    if "as_of" not in request.GET and "since" not in request.GET:
        return None, []
    form = AsOfForm(request.GET, today=organisation_today(organisation=request.organisation))
    if not form.is_valid():
        problems = [f"{form.fields[name].label}: {' '.join(errors)}" for name, errors in form.errors.items()]
        day = form.cleaned_data.get("as_of") if "as_of" not in form.errors else None
        return (AsOf(day=day) if day else None), problems
    day, since = form.cleaned_data.get("as_of"), form.cleaned_data.get("since")
    if day is None:
        return None, []
    return AsOf(day=day, since=since), []


def _as_of_params(as_of: AsOf) -> dict:
    return {"as_of": as_of.day.isoformat(), **({"since": as_of.since.isoformat()} if as_of.since else {})}


def as_of_board_response(request, *, template: str, context: dict, filters, options, as_of: AsOf | None,
                         problems: list[str], lane_offset: int):
    """The board page (or its htmx partials) for a past day. `as_of` None: the input was not understood."""
    for problem in problems:
        messages.error(request, problem)
    if as_of is None:
        return None
    organisation = request.organisation
    filters = dataclasses.replace(filters, group="stage")  # a past day is drawn as the stage board
    extra = _as_of_params(as_of)
    query = filters.query_string(**extra)
    board_url = f"{reverse('board')}?{query}"
    context.update({
        "as_of": as_of,
        "as_of_ready": history_ready(organisation=organisation),
        "as_of_ignored": ignored_filters(filters),
        "as_of_hidden": [(k, v) for k, v in filters.params()],
        "as_of_today_url": f"{reverse('board')}?{filters.query_string()}",
        "query": query,
        "board_url": board_url,
        "board_column_url": f"{reverse('board_column')}?{query}",
        "filters": filters,
        "board": as_of_board(organisation=organisation, filters=filters, options=options, day=as_of.day,
                             lane_offset=lane_offset, since=as_of.since),
        "saved_views": saved_views_for(organisation=organisation, user=request.user),
        "saved_view_form": SavedViewForm(initial={"query": filters.query_string()}),
    })
    context.pop("mboard", None)
    context["as_of_changes"] = getattr(context["board"], "changes", None)
    partial = request.htmx and not request.htmx.history_restore_request
    if partial and lane_offset:
        return render(request, f"{template}#lanes", context)
    if partial:
        response = render(request, f"{template}#content", context)
        if request.headers.get("HX-Board-Refresh") is None:
            push_url(response, board_url)
        return response
    return render(request, template, context)


def as_of_column_response(request, *, template: str, column_template: str, context: dict, filters, options,
                          as_of: AsOf, column: str, lane: str, offset: int):
    """"Show more" of a past day's board."""
    cards = as_of_cell_cards(organisation=request.organisation, filters=filters, options=options, day=as_of.day,
                             column_key=column, lane_key=lane, offset=offset)
    if cards is None:
        return HttpResponseBadRequest("Unknown column.")
    query = filters.query_string(**_as_of_params(as_of))
    context.update({"slice": cards, "column_key": column, "lane_key": lane, "focus_new": True, "query": query,
                    "board_column_url": f"{reverse('board_column')}?{query}", "as_of": as_of})
    if request.htmx:
        return render(request, f"{template}#column", context)
    return render(request, column_template, context)


class _Echo:
    def write(self, value):
        return value


def as_of_export_response(request, *, filters, as_of: AsOf | None, problems: list[str]):
    """The CSV of a past day's board (400 when the day was not understood)."""
    if problems or as_of is None:
        return HttpResponseBadRequest("; ".join(problems) or "Unknown day.")
    rows = as_of_export_rows(organisation=request.organisation, filters=filters, day=as_of.day)
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="seamline-board-{as_of.day.isoformat()}.csv"'
    return response

