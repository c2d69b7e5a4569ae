"""Build and keep current the stored stage history (StageSpan) of an organisation's line items."""
from __future__ import annotations

import datetime as dt
import heapq
import time
from collections import defaultdict
from collections.abc import Iterable

from django.db import connections, router, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from production.models import LineItem, ProductionOrder, StagePeriod
from production.models.orders import DeliveryStatus, OrderStatus
from production.rules import organisation_zone

from .models import StageDay, StageHistoryBuild, StageSpan
from .spans import OPEN_END, PeriodFact, line_item_spans, local_day

CHUNK = 4000  # line items read and written at a time (memory stays flat in the catalogue size)
WRITE_BATCH = 5000


def order_closed_at(*, status: str, delivery_status: str, removed_at, updated_at, last_synced_at):
    """When an order left the open board, or None while it is open.

    Uphance has no "received at": a received, complete or cancelled order is taken to have closed
    when Uphance last updated it (receiving goods updates the order; the sandbox does exactly that),
    else when Seamline last saw it change. A removed order closed when Seamline saw it go.
    """
    if removed_at is not None:
        return removed_at
    closed = delivery_status == DeliveryStatus.ALL_RECEIVED or status in (OrderStatus.COMPLETE, OrderStatus.CANCELLED)
    return (updated_at or last_synced_at) if closed else None


def received_at_expression(prefix: str = ""):
    """The same rule as `order_closed_at` for a received order, in SQL: when Uphance last updated it,
    else when Seamline last saw it change. `prefix` reaches the order from another model ("order__")."""
    return Coalesce(f"{prefix}updated_at", f"{prefix}last_synced_at")


_ORDER_FIELDS = ("id", "created_at", "first_seen_at", "status", "delivery_status", "removed_at", "updated_at",
                 "last_synced_at", "manufacturer_id", "season_id")


def _orders(organisation, order_ids: Iterable[int] | None = None) -> dict[int, dict]:
    qs = ProductionOrder.objects.filter(organisation=organisation)
    if order_ids is not None:
        qs = qs.filter(id__in=list(order_ids))
    return {row["id"]: row for row in qs.values(*_ORDER_FIELDS).iterator(chunk_size=5000)}


_SPAN_FIELDS = ("organisation", "line_item", "order", "stage", "state", "first_day", "until", "entered_at",
                "manufacturer", "season", "warehouse", "units")


def _spans_insert(rows: list[tuple]) -> None:
    """One prepared INSERT run with executemany: the ORM's bulk_create costs more than the database
    here (values are converted once per field type with the backend's own adapters)."""
    if not rows:
        return
    connection = connections[router.db_for_write(StageSpan)]
    ops = connection.ops
    fields = [StageSpan._meta.get_field(name) for name in _SPAN_FIELDS]
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    sql = (f"INSERT INTO {ops.quote_name(StageSpan._meta.db_table)} ({columns}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    day, moment = ops.adapt_datefield_value, ops.adapt_datetimefield_value
    params = [
        (o, li, po, st, state, day(first), day(until), moment(entered) if entered else None, m, se, w, u)
        for o, li, po, st, state, first, until, entered, m, se, w, u in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(params), WRITE_BATCH):
            cursor.executemany(sql, params[start : start + WRITE_BATCH])


def _spans_for_items(*, organisation, items: list[dict], orders: dict[int, dict], zone, contiguous: bool) -> list[tuple]:
    wanted = {item["id"] for item in items}
    periods: dict[int, list[PeriodFact]] = defaultdict(list)
    rows = StagePeriod.objects.filter(organisation=organisation)
    # Every line item of the organisation: an id range reads the index in order; a few: by id.
    if contiguous:
        rows = rows.filter(line_item_id__gte=items[0]["id"], line_item_id__lte=items[-1]["id"])
    else:
        rows = rows.filter(line_item_id__in=list(wanted))
    rows = rows.values_list("line_item_id", "sequence", "stage_id", "start_time", "end_time")
    for line_item_id, sequence, stage_id, start, end in rows.iterator(chunk_size=5000):
        if line_item_id in wanted:
            periods[line_item_id].append(PeriodFact(sequence, stage_id, start, end))
    out = []
    for item in items:
        order = orders.get(item["order_id"])
        if order is None:
            continue
        created = order["created_at"] or order["first_seen_at"]
        closed = order_closed_at(
            status=order["status"], delivery_status=order["delivery_status"], removed_at=order["removed_at"],
            updated_at=order["updated_at"], last_synced_at=order["last_synced_at"],
        )
        if item["removed_at"] is not None:
            closed = min(closed, item["removed_at"]) if closed else item["removed_at"]
        spans = line_item_spans(
            periods=periods.get(item["id"], ()), exists_from=local_day(created, zone) if created else None,
            closed_on=local_day(closed, zone) if closed else None, zone=zone, has_stages=item["has_stages"],
        )
        org, item_id, order_id = organisation.pk, item["id"], item["order_id"]
        maker, season, warehouse, units = order["manufacturer_id"], order["season_id"], item["warehouse_id"], item["units"] or 0
        out.extend(
            (org, item_id, order_id, span.stage_id, span.state, span.first_day, span.until, span.entered_at, maker,
             season, warehouse, units)
            for span in spans
        )
    return out


def _rebuild_items(*, organisation, item_ids: list[int] | None, zone) -> tuple[int, int]:
    """(Re)write the spans of these line items (None: all of the organisation's). Returns (items, spans)."""
    items_qs = LineItem.objects.filter(organisation=organisation)
    if item_ids is not None:
        items_qs = items_qs.filter(id__in=item_ids)
    items = list(items_qs.order_by("id").values("id", "order_id", "warehouse_id", "units", "has_stages", "removed_at"))
    orders = _orders(organisation, None if item_ids is None else {item["order_id"] for item in items})
    written = 0
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        spans = _spans_for_items(organisation=organisation, items=chunk, orders=orders, zone=zone,
                                 contiguous=item_ids is None)
        if item_ids is not None:
            StageSpan.objects.filter(organisation=organisation, line_item_id__in=[i["id"] for i in chunk]).delete()
        _spans_insert(spans)
        written += len(spans)
    return len(items), written


_DAY_FIELDS = ("organisation", "day", "stage", "state", "manufacturer", "line_items", "units", "oldest_first_day")


def _stage_days(*, organisation, today: dt.date) -> int:
    """Count the spans per day, stage, state and manufacturer up to today (a sweep over the spans), with
    the first day of the longest held of them (where a past day's board starts walking the cell)."""
    StageDay.objects.filter(organisation=organisation).delete()
    deltas: dict[tuple, dict[dt.date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    held: dict[tuple, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    rows = StageSpan.objects.filter(organisation=organisation, first_day__lte=today).values_list(
        "stage_id", "state", "manufacturer_id", "first_day", "until", "units"
    )
    for stage_id, state, maker, first_day, until, units in rows.iterator(chunk_size=10000):
        cell_key = (stage_id, state, maker)
        series = deltas[cell_key]
        cell = series[first_day]
        cell[0] += 1
        cell[1] += units
        if until != OPEN_END and until <= today:
            cell = series[until]
            cell[0] -= 1
            cell[1] -= units
        held[cell_key].append((first_day, until))
    out = []
    org = organisation.pk
    for cell_key, series in deltas.items():
        stage_id, state, maker = cell_key
        spans = sorted(held.pop(cell_key))
        holding: list[tuple[dt.date, dt.date]] = []  # a heap by first day; ended spans dropped lazily
        next_span = 0
        days = sorted(series)
        items = units = 0
        for index, day in enumerate(days):
            items, units = items + series[day][0], units + series[day][1]
            following = days[index + 1] if index + 1 < len(days) else today + dt.timedelta(days=1)
            if not items:
                continue
            for n in range((following - day).days):
                on = day + dt.timedelta(days=n)
                while next_span < len(spans) and spans[next_span][0] <= on:
                    heapq.heappush(holding, spans[next_span])
                    next_span += 1
                while holding and holding[0][1] <= on:
                    heapq.heappop(holding)
                out.append((org, on, stage_id, state, maker, items, units, holding[0][0] if holding else None))
    _rows_insert(StageDay, _DAY_FIELDS, out)
    return len(out)


def _rows_insert(model, names, rows) -> None:
    connection = connections[router.db_for_write(model)]
    ops = connection.ops
    fields = [model._meta.get_field(name) for name in names]
    dates = [i for i, f in enumerate(fields) if f.get_internal_type() == "DateField"]
    sql = (f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({', '.join(ops.quote_name(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    params = []
    for row in rows:
        row = list(row)
        for i in dates:
            if row[i] is not None:
                row[i] = ops.adapt_datefield_value(row[i])
        params.append(row)
    with connection.cursor() as cursor:
        for start in range(0, len(params), WRITE_BATCH):
            cursor.executemany(sql, params[start : start + WRITE_BATCH])


def stage_history_rebuild(*, organisation) -> StageHistoryBuild:
    """Rebuild every span of the organisation from its stage periods (the command and the first build)."""
    started, t0 = timezone.now(), time.perf_counter()
    zone = organisation_zone(organisation)
    with transaction.atomic():
        StageSpan.objects.filter(organisation=organisation).delete()
        items, spans = _rebuild_items(organisation=organisation, item_ids=None, zone=zone)
        today = local_day(started, zone)
        days = _stage_days(organisation=organisation, today=today)
        build, _ = StageHistoryBuild.objects.update_or_create(
            organisation=organisation,
            defaults={"started_at": started, "finished_at": timezone.now(), "time_zone": str(zone),
                      "line_items": items, "spans": spans, "stage_days": days, "built_on": today,
                      "seconds": time.perf_counter() - t0},
        )
    return build


def changed_line_item_ids(*, organisation, since: dt.datetime) -> list[int]:
    """Line items whose spans may differ from those built at `since`: their stages, their order
    (dates, status, manufacturer, season) or their presence changed."""
    orders = ProductionOrder.objects.filter(organisation=organisation).filter(
        Q(last_synced_at__gte=since) | Q(removed_at__gte=since) | Q(first_seen_at__gte=since)
    ).values("id")
    return list(
        LineItem.objects.filter(organisation=organisation)
        .filter(Q(stages_changed_at__gte=since) | Q(removed_at__gte=since) | Q(order_id__in=orders))
        .values_list("id", flat=True)
    )


def stage_history_refresh(*, organisation) -> StageHistoryBuild:
    """Rewrite the spans of what changed since the last build (after a sync); a full rebuild the
    first time or when the organisation's time zone (and so its days) changed."""
    zone = organisation_zone(organisation)
    build = StageHistoryBuild.objects.filter(organisation=organisation).first()
    if build is None or build.time_zone != str(zone):
        return stage_history_rebuild(organisation=organisation)
    started, t0 = timezone.now(), time.perf_counter()
    with transaction.atomic():
        ids = changed_line_item_ids(organisation=organisation, since=build.started_at)
        items, spans = 0, 0
        for start in range(0, len(ids), 900):  # bounded IN lists
            n_items, n_spans = _rebuild_items(organisation=organisation, item_ids=ids[start : start + 900], zone=zone)
            items, spans = items + n_items, spans + n_spans
        today = local_day(started, zone)
        build.stage_days, build.built_on = _stage_days(organisation=organisation, today=today), today
        build.started_at, build.finished_at = started, timezone.now()
        build.line_items, build.spans, build.seconds = items, spans, time.perf_counter() - t0
        build.save()
    return build
