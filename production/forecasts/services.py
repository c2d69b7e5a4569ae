"""Writes of production.forecasts: stage durations, the receiving gap and every open line item's forecast.

`forecasts_recompute` runs after a sync changed something (production.forecasts.tasks, queued by
the `production_synced` receiver), from the command line, and in benchmarks; never in a request.
It reads the organisation's history once (loaders), learns the durations and the gap as of now,
forecasts each open order's line items, and writes only the line items whose forecast changed.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from production.models import LineItem, ReceivingGap, StageDuration
from production.models.orders import ForecastState, StageStatus
from production.rules import expected_date

from .history import Duration, DurationBook, History, Known, Learner
from .loaders import as_date, days_sql, history_load
from .predict import (
    LineForecast,
    LocalDates,
    as_days,
    forecast_state,
    line_forecast,
    order_arrival,
    position_now,
)
from .signals import forecasts_recomputed

WRITE_BATCH = 2000
FORECAST_FIELDS = [
    "forecast_done_p50", "forecast_done_p90", "forecast_arrival_p50", "forecast_arrival_p90", "forecast_state",
    "forecast_stages", "predicted_late_since", "forecast_at",
]


@dataclass
class ForecastRun:
    """What a recompute did (the benchmark and the command print it)."""

    line_items: int = 0  # open line items given a forecast
    changed: int = 0  # line items written
    predicted_late: int = 0
    at_risk: int = 0
    durations: int = 0  # StageDuration rows stored
    gap: Duration | None = None
    seconds: float = 0.0
    timings: dict | None = None


def stage_durations_store(*, organisation, book: DurationBook, now: dt.datetime) -> int:
    """Replace the organisation's StageDuration rows by `book`'s fitted figures; returns rows stored.

    Every stage × manufacturer with at least one sample is stored with its sample count (and the
    stage across factories, manufacturer empty); readers apply the minimum sample through
    production.forecasts.selectors, which falls back as history.DurationBook does.
    """
    rows = [
        StageDuration(
            organisation=organisation, stage_id=stage_id, manufacturer_id=manufacturer_id, samples=d.samples,
            median_days=round(d.median_days, 4), p90_days=round(d.p90_days, 4), computed_at=now,
        )
        for (stage_id, manufacturer_id), d in book.fitted.items()
    ]
    with transaction.atomic():
        StageDuration.objects.filter(organisation=organisation).delete()
        StageDuration.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def receiving_gap_store(*, organisation, gap: Duration, now: dt.datetime) -> None:
    ReceivingGap.objects.update_or_create(
        organisation=organisation,
        defaults={"samples": gap.samples, "median_days": round(gap.median_days, 4),
                  "p90_days": round(gap.p90_days, 4), "computed_at": now},
    )


def forecasts_recompute(*, organisation, now: dt.datetime | None = None) -> ForecastRun:
    """Learn durations and the gap from the history, forecast every open line item, store what changed."""
    started = time.perf_counter()
    now = now or timezone.now()
    as_of = as_days(now)
    timings = {}
    history = history_load(organisation=organisation)
    timings["load"] = time.perf_counter() - started
    known = Learner(history).known(as_of)
    run = ForecastRun(gap=known.gap)
    run.durations = stage_durations_store(organisation=organisation, book=known.book, now=now)
    receiving_gap_store(organisation=organisation, gap=known.gap, now=now)
    timings["learn"] = time.perf_counter() - started - timings["load"]
    values = organisation_forecasts(history, as_of=as_of, known=known)
    timings["forecast"] = time.perf_counter() - started - timings["load"] - timings["learn"]
    held = _held(organisation)
    rows = _changed_rows(values, held=held, history=history, now=now)
    _write(rows, now=now)
    timings["write"] = time.perf_counter() - started - sum(timings.values())
    run.line_items = len(values)
    run.changed = len(rows)
    run.predicted_late = sum(1 for v in values.values() if v[4] == ForecastState.PREDICTED_LATE)
    run.at_risk = sum(1 for v in values.values() if v[4] == ForecastState.AT_RISK)
    run.seconds = time.perf_counter() - started
    run.timings = {k: round(v, 3) for k, v in timings.items()}
    if run.changed:
        forecasts_recomputed.send(sender=forecasts_recompute, organisation=organisation, run=run)
    return run


# (done p50, done p90, arrival p50, arrival p90 as dates, state, stages JSON list)
Values = tuple[dt.date | None, dt.date | None, dt.date | None, dt.date | None, str, list]


def organisation_forecasts(history: History, *, as_of: float, known: Known) -> dict[int, Values]:
    """The forecast of every present line item of every open order, as stored values."""
    dates = LocalDates(history.time_zone)
    out: dict[int, Values] = {}
    for order_id, line_ids in history.lines_by_order.items():
        order = history.orders.get(order_id)
        if order is None or not order.is_open:
            continue
        forecasts: dict[int, LineForecast] = {}
        for line_id in line_ids:
            line = history.lines[line_id]
            if line.removed:
                continue
            position = position_now(history.periods.get(line_id, []), completed=line.stage_status == StageStatus.COMPLETED)
            if position is None:
                continue
            forecasts[line_id] = line_forecast(
                position, product_id=line.product_id, manufacturer_id=order.manufacturer_id, as_of=as_of,
                book=known.book, routes=known.routes, wait=known.wait(order.manufacturer_id),
                waiting_since=order.waiting_since,
            )
        arrival = order_arrival(list(forecasts.values()), as_of=as_of, gap=known.gap, arrived_at=order.arrived_at)
        arrival_p50 = dates.date(arrival[0]) if arrival else None
        arrival_p90 = dates.date(arrival[1]) if arrival else None
        expected = expected_date(in_warehouse_date=order.in_warehouse_date, due_date=order.due_date)
        state = forecast_state(arrival_p50=arrival_p50, arrival_p90=arrival_p90, expected=expected)
        for line_id in line_ids:
            if history.lines[line_id].removed:
                continue
            f = forecasts.get(line_id)
            if f is None and arrival is None:
                continue
            stages = [
                {"stage_id": stage_id, "p50": dates.date(p50).isoformat(), "p90": dates.date(p90).isoformat()}
                for stage_id, p50, p90 in (f.stages if f else ())
            ]
            out[line_id] = (
                dates.date(f.done_p50) if f else None, dates.date(f.done_p90) if f else None,
                arrival_p50, arrival_p90, state, stages,
            )
    return out


def _held(organisation) -> dict[int, tuple]:
    """The forecast values held now, for line items that have any (to write only what changed)."""
    columns = ", ".join(f"{name}" for name in FORECAST_FIELDS[:6])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {columns}, predicted_late_since, {days_sql('forecast_at')} "
            f"FROM {connection.ops.quote_name(LineItem._meta.db_table)} "
            "WHERE organisation_id = %s AND (forecast_at IS NOT NULL OR forecast_state <> '')",
            [organisation.pk],
        )
        held = {}
        for pk, d50, d90, a50, a90, state, stages, since, _at in cursor.fetchall():
            if isinstance(stages, str):
                stages = json.loads(stages)
            held[pk] = ((as_date(d50), as_date(d90), as_date(a50), as_date(a90), state or "", stages or []), since)
    return held


_EMPTY: Values = (None, None, None, None, "", [])


def _changed_rows(values: dict[int, Values], *, held: dict, history: History, now) -> list[tuple]:
    """(pk, values, predicted_late_since) for every line item whose stored forecast must change."""
    rows = []
    for pk, new in values.items():
        old, since = held.get(pk, (_EMPTY, None))
        if new[4] == ForecastState.PREDICTED_LATE:
            since = since if old[4] == ForecastState.PREDICTED_LATE and since is not None else now
        else:
            since = None
        if new != old or pk not in held:
            rows.append((pk, new, since))
    for pk in held:
        if pk not in values:
            rows.append((pk, _EMPTY, None))  # no longer open (received, cancelled, removed): nothing to forecast
    return rows


def _write(rows: list[tuple], *, now) -> None:
    if not rows:
        return
    ops = connection.ops
    table = ops.quote_name(LineItem._meta.db_table)
    sql = f"UPDATE {table} SET " + ", ".join(f"{ops.quote_name(f)} = %s" for f in FORECAST_FIELDS) + " WHERE id = %s"
    stages_field = LineItem._meta.get_field("forecast_stages")
    at = ops.adapt_datetimefield_value(now)
    params = []
    for pk, (d50, d90, a50, a90, state, stages), since in rows:
        if isinstance(since, dt.datetime):
            since = ops.adapt_datetimefield_value(since)
        params.append((
            ops.adapt_datefield_value(d50), ops.adapt_datefield_value(d90), ops.adapt_datefield_value(a50),
            ops.adapt_datefield_value(a90), state, ops.adapt_json_value(stages, stages_field.encoder), since,
            at if state or d50 or a50 else None, pk,
        ))
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(params), WRITE_BATCH):
            cursor.executemany(sql, params[start : start + WRITE_BATCH])
