"""Many short ranges of an index (a board cell's first cards, a factory's first orders) in ONE UNION ALL statement.

Each range is the same query with other values (a stage, a lane, a manufacturer). Compiling a
queryset costs more than the few index steps the database takes for one range, so each shape of
query (which values are NULL, the offset and the limit) is compiled once with stand-ins, and every
range substitutes its own values for them.
"""
from __future__ import annotations

from django.db import connections
from django.db.models import QuerySet

PARTS_PER_STATEMENT = 400  # SQLite takes at most 500 terms in one compound SELECT
_INT_STAND_IN = -917_000_000  # never an id


class RangeUnion:
    def __init__(self):
        self.shapes: dict = {}
        self.parts: list[tuple[str, list]] = []
        self.db: str | None = None

    def add(self, kind: str, queryset: QuerySet, *, values: dict, offset: int = 0, limit: int) -> None:
        """Rows [offset, offset + limit) of `queryset` (ordered; its first column is the id) where each field of
        `values` is its value (None: IS NULL). `kind` names the queryset: one compiled shape per kind."""
        nulls = tuple(sorted(name for name, value in values.items() if value is None))
        key = (kind, nulls, offset, limit)
        if key not in self.shapes:
            self.shapes[key] = _compile(queryset, values=values, offset=offset, limit=limit)
            self.db = queryset.db
        sql, params, slots = self.shapes[key]
        params = list(params)
        for position, name in slots:
            params[position] = values[name]
        self.parts.append((sql, params))

    def ids(self) -> list[int]:
        """Every range's ids, range after range: one statement (per PARTS_PER_STATEMENT ranges)."""
        return [row[0] for row in self.rows()]

    def rows(self) -> list[tuple]:
        """Every range's rows as the database driver gives them (no Django converters: on SQLite a date is text)."""
        out: list[tuple] = []
        if not self.parts:
            return out
        with connections[self.db].cursor() as cursor:
            for start in range(0, len(self.parts), PARTS_PER_STATEMENT):
                chunk = self.parts[start : start + PARTS_PER_STATEMENT]
                cursor.execute(
                    " UNION ALL ".join(f"SELECT * FROM ({sql}) AS part{i}" for i, (sql, _) in enumerate(chunk)),
                    [p for _, params in chunk for p in params],
                )
                out += cursor.fetchall()
        return out


def _compile(queryset: QuerySet, *, values: dict, offset: int, limit: int) -> tuple[str, list, list]:
    stand_ins, lookups = {}, {}
    for i, (name, value) in enumerate(sorted(values.items())):
        if value is None:
            lookups[f"{name}__isnull"] = True
            continue
        stand_in = _INT_STAND_IN - i if isinstance(value, int) else f"\x00stand-in-{i}"
        stand_ins[stand_in] = name
        lookups[name] = stand_in
    sql, params = queryset.filter(**lookups)[offset : offset + limit].query.get_compiler(using=queryset.db).as_sql()
    slots = [(position, stand_ins[p]) for position, p in enumerate(params) if type(p) in (int, str) and p in stand_ins]
    if len(slots) != len(stand_ins):
        raise AssertionError(f"stand-ins not found in the compiled range query: {sql}")
    return sql, list(params), slots
