"""Build analytics' derived tables from production: stage completions and daily flow counts.

Both are rebuilt after production.history refreshed its spans (so after each sync that changed
data), and by `manage.py analytics_rebuild`. Completions are rewritten for the line items that
changed; the flow counts are recomputed from the spans in one pass.
"""
from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

from django.db import connections, router, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from production.history.models import StageSpan
from production.history.services import (
    changed_line_item_ids,
    organisation_zone,
    received_at_expression,
)
from production.history.spans import OPEN_END, local_day
from production.models import LineItem, ProductionOrder, StagePeriod
from production.models.orders import DeliveryStatus

from .models import (
    AnalyticsBuild,
    DurationSummary,
    DurationWindow,
    FlowDay,
    ForecastOutcome,
    ReceivedOrder,
    StageCompletion,
)
from .selectors.common import WINDOWS, Distribution, window_bounds
from .selectors.forecasts import backtest_source

CLICK_THROUGH = dt.timedelta(hours=1)  # shorter periods were clicked through in Uphance
CHUNK = 4000
WRITE_BATCH = 5000


def rows_insert(model, names: tuple[str, ...], rows: list[tuple]) -> int:
    """One prepared INSERT run with executemany, values converted once per field type by the
    backend's own adapters (the ORM's bulk_create costs more than the database for derived rows)."""
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    ops = connection.ops
    fields = [model._meta.get_field(name) for name in names]
    converters = []
    for f in fields:
        kind = f.get_internal_type()
        if kind == "DateTimeField":
            converters.append(ops.adapt_datetimefield_value)
        elif kind == "DateField":
            converters.append(ops.adapt_datefield_value)
        else:
            converters.append(None)
    sql = (f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({', '.join(ops.quote_name(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    convert = [i for i, c in enumerate(converters) if c is not None]
    params = []
    for row in rows:
        if convert:
            row = list(row)
            for i in convert:
                if row[i] is not None:
                    row[i] = converters[i](row[i])
        params.append(tuple(row))
    with connection.cursor() as cursor:
        for start in range(0, len(params), WRITE_BATCH):
            cursor.executemany(sql, params[start : start + WRITE_BATCH])
    return len(params)


# --- stage completions -------------------------------------------------------------------------

_COMPLETION_FIELDS = ("organisation", "line_item", "stage", "manufacturer", "season", "warehouse", "started_at",
                      "ended_at", "ended_on", "tenths", "click_through", "units")


def _completions(*, organisation, item_ids: list[int] | None, zone) -> int:
    items_qs = LineItem.objects.filter(organisation=organisation)
    if item_ids is not None:
        items_qs = items_qs.filter(id__in=item_ids)
    items = list(items_qs.order_by("id").values_list("id", "order_id", "warehouse_id", "units"))
    order_ids = None if item_ids is None else list({order_id for _, order_id, _, _ in items})
    orders_qs = ProductionOrder.objects.filter(organisation=organisation)
    if order_ids is not None:
        orders_qs = orders_qs.filter(id__in=order_ids)
    orders = {pk: (maker, season) for pk, maker, season in orders_qs.values_list("id", "manufacturer_id", "season_id")}
    written = 0
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        by_id = {item_id: (order_id, warehouse, units) for item_id, order_id, warehouse, units in chunk}
        periods = StagePeriod.objects.filter(
            organisation=organisation, start_time__isnull=False, end_time__isnull=False
        )
        if item_ids is None:
            periods = periods.filter(line_item_id__gte=chunk[0][0], line_item_id__lte=chunk[-1][0])
        else:
            periods = periods.filter(line_item_id__in=list(by_id))
            StageCompletion.objects.filter(organisation=organisation, line_item_id__in=list(by_id)).delete()
        rows = []
        for item_id, stage_id, start, end in periods.values_list("line_item_id", "stage_id", "start_time", "end_time"):
            item = by_id.get(item_id)
            if item is None or end < start:
                continue
            order_id, warehouse, units = item
            maker, season = orders.get(order_id, (None, None))
            length = end - start
            rows.append((organisation.pk, item_id, stage_id, maker, season, warehouse, start, end,
                         local_day(end, zone), round(length.total_seconds() / 8640), length < CLICK_THROUGH,
                         units or 0))
        written += rows_insert(StageCompletion, _COMPLETION_FIELDS, rows)
    return written


# --- daily flow --------------------------------------------------------------------------------

_FLOW_FIELDS = ("organisation", "day", "stage", "dimension", "key", "line_items", "units", "completed_line_items",
                "completed_units")


def _flow_days(*, organisation, today: dt.date) -> int:
    """Line items and units per stage column at the end of every day up to today, from the spans, and
    those that completed the stage that day, from the completions."""
    FlowDay.objects.filter(organisation=organisation).delete()
    deltas: dict[tuple, dict[dt.date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    first = today
    rows = StageSpan.objects.filter(organisation=organisation, stage__isnull=False, first_day__lte=today).values_list(
        "stage_id", "first_day", "until", "manufacturer_id", "season_id", "warehouse_id", "units"
    )
    for stage_id, first_day, until, maker, season, warehouse, units in rows.iterator(chunk_size=10000):
        first = min(first, first_day)
        ends = until if until != OPEN_END and until <= today else None
        for key in ((stage_id, "all", None), (stage_id, "manufacturer", maker), (stage_id, "season", season),
                    (stage_id, "warehouse", warehouse)):
            series = deltas[key]
            cell = series[first_day]
            cell[0] += 1
            cell[1] += units
            if ends is not None:
                cell = series[ends]
                cell[0] -= 1
                cell[1] -= units
    cells: dict[tuple, list[int]] = {}
    for (stage_id, dimension, key), series in deltas.items():
        days = sorted(series)
        items = units = 0
        for index, day in enumerate(days):
            change = series[day]
            items, units = items + change[0], units + change[1]
            following = days[index + 1] if index + 1 < len(days) else today + dt.timedelta(days=1)
            if items:
                for n in range((following - day).days):
                    cells[(day + dt.timedelta(days=n), stage_id, dimension, key)] = [items, units, 0, 0]
    # What completed each stage that day (throughput), with the same dimensions.
    done = StageCompletion.objects.filter(organisation=organisation, ended_on__lte=today).order_by().values_list(
        "ended_on", "stage_id", "manufacturer_id", "season_id", "warehouse_id"
    ).annotate(n=Count("id"), u=Sum("units"))
    for day, stage_id, maker, season, warehouse, n, u in done.iterator(chunk_size=10000):
        for dimension, key in (("all", None), ("manufacturer", maker), ("season", season), ("warehouse", warehouse)):
            cell = cells.setdefault((day, stage_id, dimension, key), [0, 0, 0, 0])
            cell[2] += n
            cell[3] += u or 0
    org = organisation.pk
    out = [(org, day, stage_id, dimension, key, *figures) for (day, stage_id, dimension, key), figures in cells.items()]
    return rows_insert(FlowDay, _FLOW_FIELDS, out)


# --- received orders ---------------------------------------------------------------------------

_RECEIVED_FIELDS = ("organisation", "order", "manufacturer", "season", "received_on", "expected_on", "original_on",
                    "days_late", "days_late_original", "slip_days")


def _days(later: dt.date | None, earlier: dt.date | None) -> int | None:
    return None if later is None or earlier is None else (later - earlier).days


def _received_orders(*, organisation, zone) -> int:
    """Every received PO with the day it was received and the dates it is judged against."""
    ReceivedOrder.objects.filter(organisation=organisation).delete()
    rows = []
    qs = ProductionOrder.objects.filter(organisation=organisation, delivery_status=DeliveryStatus.ALL_RECEIVED,
                                        removed_at__isnull=True).annotate(received=received_at_expression())
    for pk, maker, season, received, due, in_wh, original_due, original_in_wh in qs.values_list(
        "id", "manufacturer_id", "season_id", "received", "due_date", "in_warehouse_date", "original_due_date",
        "original_in_warehouse_date",
    ).iterator(chunk_size=5000):
        expected = in_wh or due
        original = original_in_wh or original_due or expected
        received_on = local_day(received, zone)
        rows.append((organisation.pk, pk, maker, season, received_on, expected, original, _days(received_on, expected),
                     _days(received_on, original), _days(expected, original)))
    return rows_insert(ReceivedOrder, _RECEIVED_FIELDS, rows)


# --- forecast outcomes (the backtest, stored) ---------------------------------------------------

_OUTCOME_FIELDS = ("organisation", "line_item", "uphance_id", "manufacturer", "season", "warehouse", "made_on", "actual",
                   "forecast_p50", "forecast_p90", "due_date_baseline", "fixed_baseline")


def _forecast_outcomes(*, organisation) -> int:
    ForecastOutcome.objects.filter(organisation=organisation).delete()
    rows = [
        (organisation.pk, r.line_item_id, r.uphance_id, r.manufacturer_id, season, warehouse, r.made_on, r.actual,
         r.forecast_p50, r.forecast_p90, r.due_date_baseline, r.fixed_baseline)
        for r, season, warehouse in backtest_source(organisation=organisation)
    ]
    return rows_insert(ForecastOutcome, _OUTCOME_FIELDS, rows)


# --- the standard windows ------------------------------------------------------------------------

_WINDOW_FIELDS = ("organisation", "window", "last_day", "stage", "manufacturer", "tenths", "periods")


def _duration_windows(*, organisation, today: dt.date) -> dict:
    """Count the durations of the standard windows ending today; returns the stages' usual time
    (median, p90 over every factory in the longest window)."""
    DurationWindow.objects.filter(organisation=organisation).delete()
    DurationSummary.objects.filter(organisation=organisation).delete()
    usual: dict = {}
    for window in WINDOWS:
        first, last = window_bounds(today=today, window=window)
        rows = (
            StageCompletion.objects.filter(organisation=organisation, click_through=False, ended_on__gte=first,
                                           ended_on__lte=last)
            .order_by().values_list("stage_id", "manufacturer_id", "tenths").annotate(n=Count("id"))
        )
        out = [(organisation.pk, window, last, stage_id, maker, tenths, n) for stage_id, maker, tenths, n in rows]
        rows_insert(DurationWindow, _WINDOW_FIELDS, out)
        per_stage: dict[int, Distribution] = defaultdict(Distribution)
        per_maker: dict[tuple, Distribution] = defaultdict(Distribution)
        for _org, _w, _last, stage_id, maker, tenths, n in out:
            per_stage[stage_id].add(tenths, n)
            per_maker[(stage_id, maker)].add(tenths, n)
        summaries = [(organisation.pk, window, last, stage_id, True, None, *_summary(d)) for stage_id, d in per_stage.items()]
        summaries += [(organisation.pk, window, last, stage_id, False, maker, *_summary(d))
                      for (stage_id, maker), d in per_maker.items()]
        rows_insert(DurationSummary, _SUMMARY_FIELDS, summaries)
        if window == max(WINDOWS):
            usual = {str(stage_id): [d.median, d.p90, d.count] for stage_id, d in per_stage.items()}
    return usual


_SUMMARY_FIELDS = ("organisation", "window", "last_day", "stage", "every_factory", "manufacturer", "periods", "low",
                   "q1", "median", "q3", "p90", "high")


def _summary(d: Distribution) -> tuple:
    return (d.count, d.quantile(0.0), d.quantile(0.25), d.median, d.quantile(0.75), d.p90, d.quantile(1.0))


# --- builds ------------------------------------------------------------------------------------

def analytics_rebuild(*, organisation, now: dt.datetime | None = None) -> AnalyticsBuild:
    """Rebuild every derived table of the organisation (the command; the first build)."""
    started, t0 = now or timezone.now(), time.perf_counter()
    zone = organisation_zone(organisation)
    with transaction.atomic():
        StageCompletion.objects.filter(organisation=organisation).delete()
        completions = _completions(organisation=organisation, item_ids=None, zone=zone)
        today = local_day(started, zone)
        flow_days = _flow_days(organisation=organisation, today=today)
        received = _received_orders(organisation=organisation, zone=zone)
        outcomes = _forecast_outcomes(organisation=organisation)
        usual = _duration_windows(organisation=organisation, today=today)
        build, _ = AnalyticsBuild.objects.update_or_create(
            organisation=organisation,
            defaults={"started_at": started, "finished_at": timezone.now(), "completions": completions,
                      "flow_days": flow_days, "received_orders": received, "forecast_outcomes": outcomes,
                      "stage_usual": usual,
                      "seconds": time.perf_counter() - t0},
        )
    return build


def analytics_refresh(*, organisation, now: dt.datetime | None = None) -> AnalyticsBuild:
    """After the spans were refreshed: rewrite the completions of what changed, recount the flow."""
    build = AnalyticsBuild.objects.filter(organisation=organisation).first()
    if build is None:
        return analytics_rebuild(organisation=organisation, now=now)
    started, t0 = now or timezone.now(), time.perf_counter()
    zone = organisation_zone(organisation)
    with transaction.atomic():
        ids = changed_line_item_ids(organisation=organisation, since=build.started_at)
        completions = 0
        for start in range(0, len(ids), 900):
            completions += _completions(organisation=organisation, item_ids=ids[start : start + 900], zone=zone)
        today = local_day(started, zone)
        build.flow_days = _flow_days(organisation=organisation, today=today)
        build.received_orders = _received_orders(organisation=organisation, zone=zone)
        build.forecast_outcomes = _forecast_outcomes(organisation=organisation)
        build.stage_usual = _duration_windows(organisation=organisation, today=today)
        build.started_at, build.finished_at = started, timezone.now()
        build.completions, build.seconds = completions, time.perf_counter() - t0
        build.save()
    return build
