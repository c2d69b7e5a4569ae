"""Reads an organisation's production history in a few plain SQL queries (no model instances).

A hundred thousand line items and their periods come in well under a second this way: times are
converted to float days by the database itself (SQLite julianday, PostgreSQL epoch), which is
what every calculation in production.forecasts works in.
"""
from __future__ import annotations

import datetime as dt

from django.db import connection

from production.models import LineItem, OrderDateChange, ProductionOrder, Stage, StagePeriod
from production.rules import orders_open

from .history import History, LineRow, OrderRow

_UNIX_JULIAN_DAY = 2440587.5


def days_sql(column: str) -> str:
    """SQL for a timestamp column as float days since the Unix epoch (NULL stays NULL)."""
    if connection.vendor == "sqlite":
        return f"(julianday({column}) - {_UNIX_JULIAN_DAY})"
    # EXTRACT gives numeric (Decimal in Python) since PostgreSQL 14: float days, as SQLite's julianday gives.
    return f"(CAST(EXTRACT(EPOCH FROM {column}) AS double precision) / 86400.0)"


def as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def history_load(*, organisation) -> History:
    """Every order, line item and stage period of the organisation, and its stage sequence."""
    open_ids = set(orders_open(ProductionOrder.objects.filter(organisation=organisation)).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, manufacturer_id, due_date, in_warehouse_date, {days_sql('arrived_at')}, "
            f"{days_sql('created_at')}, {days_sql('confirmed_at')} FROM {_table(ProductionOrder)} "
            "WHERE organisation_id = %s",
            [organisation.pk],
        )
        orders = {
            pk: OrderRow(pk, manufacturer, as_date(due), as_date(in_warehouse), arrived, pk in open_ids, created,
                         confirmed)
            for pk, manufacturer, due, in_warehouse, arrived, created, confirmed in cursor.fetchall()
        }
        cursor.execute(
            f"SELECT id, order_id, product_id, stage_status, removed_at IS NULL FROM {_table(LineItem)} "
            "WHERE organisation_id = %s",
            [organisation.pk],
        )
        lines = {
            pk: LineRow(pk, order_id, product_id, stage_status, not present)
            for pk, order_id, product_id, stage_status, present in cursor.fetchall()
        }
        cursor.execute(
            f"SELECT line_item_id, sequence, stage_id, {days_sql('start_time')}, {days_sql('end_time')}, is_current "
            f"FROM {_table(StagePeriod)} WHERE organisation_id = %s",
            [organisation.pk],
        )
        periods: dict[int, list] = {}
        for line_id, sequence, stage_id, start, end, is_current in cursor.fetchall():
            periods.setdefault(line_id, []).append((sequence, stage_id, start, end, bool(is_current)))
    for rows in periods.values():
        rows.sort()
    sequence = list(Stage.objects.filter(organisation=organisation).order_by("position", "name").values_list("pk", flat=True))
    return History(lines=lines, orders=orders, periods=periods, sequence=sequence,
                   time_zone=getattr(organisation, "time_zone", "UTC") or "UTC")


def date_changes_load(*, organisation) -> dict[tuple[int, str], list[tuple[float, dt.date | None, dt.date | None]]]:
    """Every recorded date change: (order id, field) -> [(seen at, old, new)] oldest first."""
    out: dict[tuple[int, str], list] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT order_id, field, {days_sql('seen_at')}, old_date, new_date FROM {_table(OrderDateChange)} "
            "WHERE organisation_id = %s ORDER BY seen_at, id",
            [organisation.pk],
        )
        for order_id, field, seen, old, new in cursor.fetchall():
            out.setdefault((order_id, field), []).append((seen, as_date(old), as_date(new)))
    return out
