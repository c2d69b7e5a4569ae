"""Reads of the stored stage history: the spans holding on a day or over a run of days."""
from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from .models import StageHistoryBuild, StageSpan


def spans_on(*, organisation, day: dt.date) -> QuerySet[StageSpan]:
    """The span of every line item on the board at the end of `day` (one per line item)."""
    return StageSpan.objects.filter(organisation=organisation, until__gt=day, first_day__lte=day)


def spans_overlapping(*, organisation, first: dt.date, last: dt.date) -> QuerySet[StageSpan]:
    """Spans holding on at least one day of [first, last]."""
    return StageSpan.objects.filter(organisation=organisation, until__gt=first, first_day__lte=last)


def history_build(*, organisation) -> StageHistoryBuild | None:
    return StageHistoryBuild.objects.filter(organisation=organisation).first()
