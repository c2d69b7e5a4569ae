"""The one reconstruction of where a line item was on the board at the end of any day.

A line item's stage periods become day spans: on each day (the organisation's local day), the line
item is in the furthest stage of its own stage list that had started by the end of that day,
"in progress" until that period's end and "completed" (stage done, not moved on) after it. Before
its first stage starts it is "not started" (or "no stages" when it has none); before its order
existed and from the day its order left the open board (received, complete, cancelled, removed)
it is not on the board at all. The as-of board, the cumulative flow diagram and its CSV all read
spans built by this module, so they cannot disagree.

Why "furthest stage that had started": Uphance lists past stages in stage order while their
timestamps can disagree with it; taking the highest place in the list among the started ones
keeps a line item moving forward through its stages and never back.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from production.models.orders import StageStatus

OPEN_END = dt.date.max  # `until` of a span that still holds (a date, not NULL, so one index range finds it)

NO_STAGES = StageStatus.NO_STAGES.value
NOT_STARTED = StageStatus.NOT_STARTED.value
IN_PROGRESS = StageStatus.IN_PROGRESS.value
COMPLETED = StageStatus.COMPLETED.value


@dataclass(frozen=True, slots=True)
class PeriodFact:
    """What the reconstruction needs of a stage period."""

    sequence: int
    stage_id: int
    start: dt.datetime | None
    end: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Span:
    """The line item was in `stage_id` with `state` at the end of every day in [first_day, until)."""

    stage_id: int | None
    state: str
    first_day: dt.date
    until: dt.date
    entered_at: dt.datetime | None  # when the stage started: days in stage on a day = that day - this

    def holds_on(self, day: dt.date) -> bool:
        return self.first_day <= day < self.until


def local_day(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
    return moment.astimezone(zone).date()


def end_of_day(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant a local day ends (the next local midnight), aware."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)


def line_item_spans(
    *, periods: Iterable[PeriodFact], exists_from: dt.date | None, closed_on: dt.date | None,
    zone: zoneinfo.ZoneInfo, has_stages: bool | None = None,
) -> list[Span]:
    """The day spans of one line item, oldest first, non-overlapping.

    `exists_from`: the first day it was on the board (its order's creation; None: from its first
    stage). `closed_on`: the first day it was no longer on the board (None: still on it).
    """
    periods = list(periods)
    started = sorted((p for p in periods if p.start is not None), key=lambda p: p.sequence)
    has_stages = bool(periods) or bool(has_stages)
    shown: list[Span] = []
    cut = OPEN_END  # the first day a later stage in the list had started
    for period in reversed(started):
        first = local_day(period.start, zone)
        if first >= cut:
            continue  # a later stage in the list had already started: this one never shows
        done = max(first, local_day(period.end, zone)) if period.end is not None else None
        if done is None or done >= cut:
            shown.append(Span(period.stage_id, IN_PROGRESS, first, cut, period.start))
        else:
            shown.append(Span(period.stage_id, COMPLETED, done, cut, period.start))
            if done > first:
                shown.append(Span(period.stage_id, IN_PROGRESS, first, done, period.start))
        cut = first
    shown.reverse()

    first_stage_day = shown[0].first_day if shown else None
    begin = exists_from if exists_from is not None else first_stage_day
    if begin is None:
        return []
    if first_stage_day is not None:
        begin = min(begin, first_stage_day)
    end = closed_on if closed_on is not None else OPEN_END
    waiting_until = first_stage_day if first_stage_day is not None else OPEN_END
    spans = [Span(None, NOT_STARTED if has_stages else NO_STAGES, begin, waiting_until, None), *shown]
    return [clipped for span in spans if (clipped := _clip(span, begin, end)) is not None]


def _clip(span: Span, begin: dt.date, end: dt.date) -> Span | None:
    first, until = max(span.first_day, begin), min(span.until, end)
    if first >= until:
        return None
    return Span(span.stage_id, span.state, first, until, span.entered_at)


def span_on(spans: Sequence[Span], day: dt.date) -> Span | None:
    """The span holding on `day` (None: not on the board that day)."""
    return next((span for span in spans if span.holds_on(day)), None)
