"""Reads over production history that rules and pages build on: stage-duration p90s, UNION ALL of id slices."""
from __future__ import annotations

from collections import defaultdict

from django.core.cache import cache
from django.db import connections
from django.db.models import FloatField, Func, QuerySet

from production.models import Stage, StagePeriod

STUCK_SAMPLE = 200  # the last N completed periods of a stage make its p90
STUCK_MIN_SAMPLES = 5
P90_CACHE_SECONDS = 3600


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


def p90(durations: list[float]) -> float | None:
    """The 90th percentile (nearest rank) of `durations`, or None below STUCK_MIN_SAMPLES."""
    if len(durations) < STUCK_MIN_SAMPLES:
        return None
    durations = sorted(durations)
    return durations[min(len(durations) - 1, round(0.9 * (len(durations) - 1)))]


def _compute_p90s(*, organisation, stages: list[Stage]) -> dict[int, tuple[float | None, int]]:
    # The stage's most recently recorded periods (newest ids: walking the primary key backwards is
    # cheap; sorting every period of the stage by end time is not), finished ones kept in Python.
    # One statement, each period's length in days computed by the database: reading thousands of
    # timestamps into Python (Django's time-zone-aware loaders) cost more than the query.
    parts = [
        StagePeriod.objects.filter(organisation=organisation, stage_id=stage.id)
        .annotate(days=DaysBetween("start_time", "end_time"))
        .order_by("-id").values_list("id", "stage_id", "is_current", "days")[: STUCK_SAMPLE * 2]
        for stage in stages
    ]
    durations: dict[int, list[float]] = defaultdict(list)
    for _id, stage_id, is_current, days in sorted(union_rows(parts), key=lambda row: -row[0]):
        if is_current or days is None:
            continue
        if days >= 0 and len(durations[stage_id]) < STUCK_SAMPLE:
            durations[stage_id].append(days)
    return {s.id: (p90(durations[s.id]), len(durations[s.id])) for s in stages}


class DaysBetween(Func):
    """`end - start` in days, a float (NULL when either is), computed by the database."""

    arity = 2
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        start, end = self.source_expressions
        return Func(end, start, template="(julianday(%(expressions)s))", arg_joiner=") - julianday(",
                    output_field=FloatField()).as_sql(compiler, connection, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        start, end = self.source_expressions
        return Func(end, start, template="(CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision) / 86400.0)",
                    arg_joiner=" - ", output_field=FloatField()).as_sql(compiler, connection, **extra)


def stage_p90s(*, organisation, stages: list[Stage], version: int | None) -> dict[int, tuple[float | None, int]]:
    """{stage id: (p90 days or None, samples)} of the last completed periods of every stage.

    Cached per organisation and data `version` (the board's: the last sync run that changed data),
    so a new sync changes the key; `version=None` reads without the cache.
    """
    if version is None:
        return _compute_p90s(organisation=organisation, stages=stages)
    key = f"seamline:board:p90:{organisation.pk}:{version}:{','.join(str(s.id) for s in stages)}"
    cached = cache.get(key)
    if cached is None:
        cached = _compute_p90s(organisation=organisation, stages=stages)
        cache.set(key, cached, P90_CACHE_SECONDS)
    return cached
