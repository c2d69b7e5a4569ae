"""Reads over production that pages build on: UNION ALL of id slices (stage durations are production.durations)."""
from __future__ import annotations

from django.db import connections
from django.db.models import QuerySet


def union_ids(querysets: list[QuerySet]) -> list[int]:
    """Run several sliced `values_list("id")` querysets as ONE `UNION ALL` statement."""
    return [row[0] for row in union_rows(querysets)]


def union_rows(querysets: list[QuerySet]) -> list[tuple]:
    """Run several sliced `values_list(...)` querysets (the same columns) as ONE `UNION ALL` statement.

    Django cannot slice the parts of a union on SQLite, so the parts are compiled here and wrapped
    as sub-selects, which both SQLite and PostgreSQL accept. Rows come as the database driver gives
    them (no Django converters: SQLite's datetimes are text).
    """
    if not querysets:
        return []
    db = querysets[0].db
    parts, params = [], []
    for i, qs in enumerate(querysets):
        sql, part_params = qs.query.get_compiler(using=db).as_sql()
        parts.append(f"SELECT * FROM ({sql}) AS part{i}")
        params.extend(part_params)
    with connections[db].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return cursor.fetchall()
