"""Many short ranges of an index (a board cell's first cards, a factory's first orders) in ONE statement.

Each range is the same query with other values (a stage, a lane, a manufacturer). Compiling a
queryset costs more than the few index steps the database takes for one range, so each shape of
query (which values are NULL, the offset and the limit) is compiled once with stand-ins for its
values. On SQLite every range is then a part of one UNION ALL (its planner is cheap); on PostgreSQL,
which would plan every part, each shape is planned once: a LATERAL join of its query to a VALUES
list of the ranges' values.
"""
from __future__ import annotations

import datetime as dt

from django.db import connections
from django.db.models import DateTimeField, QuerySet

PARTS_PER_STATEMENT = 400  # SQLite takes at most 500 terms in one compound SELECT
_INT_STAND_IN = -917_000_000  # never an id
_DATETIME = DateTimeField()


class RangeUnion:
    def __init__(self):
        self.shapes: dict = {}
        self.ranges: dict = {}  # shape key -> the values of each of its ranges
        self.db: str | None = None

    def add(self, kind: str, queryset: QuerySet, *, values: dict, offset: int = 0, limit: int | None) -> None:
        """Rows [offset, offset + limit) of `queryset` (ordered; its first column is the id) where each field of
        `values` is its value (None: IS NULL). `kind` names the queryset: one compiled shape per kind.
        `limit` None: every row (an aggregate per range, say)."""
        nulls = tuple(sorted(name for name, value in values.items() if value is None))
        key = (kind, nulls, offset, limit)
        if key not in self.shapes:
            self.shapes[key] = _compile(queryset, values=values, offset=offset, limit=limit)
            self.ranges[key] = []
            self.db = queryset.db
        connection = connections[self.db]
        self.ranges[key].append([range_value(values[name], connection) for _position, name in self.shapes[key][2]])

    def ids(self) -> list[int]:
        """Every range's ids (in no particular order): one statement."""
        return [row[0] for row in self.rows()]

    def rows(self) -> list[tuple]:
        """Every range's rows (in no particular order) as the database driver gives them (no Django
        converters: on SQLite a date is text). One statement (per PARTS_PER_STATEMENT ranges on SQLite)."""
        if not self.shapes:
            return []
        connection = connections[self.db]
        statements = _lateral(self) if connection.vendor == "postgresql" else _unions(self)
        out: list[tuple] = []
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                out += cursor.fetchall()
        return out


def _stand_in(i: int, value, connection):
    """(what the query is given, what its compiled params then hold) for the i-th value's stand-in."""
    if isinstance(value, dt.datetime):  # an upper bound (a field "…__lt"): the driver's form of an odd instant
        given = dt.datetime(1000 + i, 1, 1, tzinfo=dt.UTC)
        return given, _DATETIME.get_db_prep_value(given, connection)
    given = _INT_STAND_IN - i if isinstance(value, int) else f"\x00stand-in-{i}"
    return given, given


def range_value(value, connection):
    """A range's value as its compiled query takes it (a datetime as the driver's form, else itself)."""
    return _DATETIME.get_db_prep_value(value, connection) if isinstance(value, dt.datetime) else value


def _compile(queryset: QuerySet, *, values: dict, offset: int, limit: int) -> tuple[str, list, list]:
    """(SQL, params, [(param position, field)]): the shape's query with a stand-in param for each value.

    A value's key is a field (equal to it; None: IS NULL) or a field with a lookup ("started_at__lt")."""
    stand_ins, lookups = {}, {}
    connection = connections[queryset.db]
    for i, (name, value) in enumerate(sorted(values.items())):
        if value is None:
            lookups[f"{name}__isnull"] = True
            continue
        given, compiled = _stand_in(i, value, connection)
        stand_ins[compiled] = name
        lookups[name] = given
    shaped = queryset.filter(**lookups)
    if limit is not None:
        shaped = shaped[offset : offset + limit]
    sql, params = shaped.query.get_compiler(using=queryset.db).as_sql()
    slots = [(position, stand_ins[p]) for position, p in enumerate(params)
             if type(p) in (int, str, dt.datetime) and p in stand_ins]
    if len(slots) != len(stand_ins):
        raise AssertionError(f"stand-ins not found in the compiled range query: {sql}")
    return sql, list(params), slots


def _unions(union: RangeUnion) -> list[tuple[str, list]]:
    parts = []
    for key, (sql, params, slots) in union.shapes.items():
        for values in union.ranges[key]:
            filled = list(params)
            for (position, _name), value in zip(slots, values, strict=True):
                filled[position] = value
            parts.append((sql, filled))
    statements = []
    for start in range(0, len(parts), PARTS_PER_STATEMENT):
        chunk = parts[start : start + PARTS_PER_STATEMENT]
        statements.append((
            " UNION ALL ".join(f"SELECT * FROM ({sql}) AS part{i}" for i, (sql, _) in enumerate(chunk)),
            [p for _, params in chunk for p in params],
        ))
    return statements


def _lateral(union: RangeUnion) -> list[tuple[str, list]]:
    parts, all_params = [], []
    for n, (key, (sql, params, slots)) in enumerate(union.shapes.items()):
        rows = union.ranges[key]
        if not slots:  # a shape without values (every one NULL): one range
            parts.append(f"SELECT * FROM ({sql}) AS part{n}")
            all_params += params
            continue
        columns = {position: f"r{n}.v{j}" for j, (position, _name) in enumerate(slots)}
        pieces = _split_placeholders(sql)
        inner, inner_params = pieces[0], []
        for position, piece in enumerate(pieces[1:]):
            if position in columns:
                inner += columns[position] + piece
            else:
                inner += "%s" + piece
                inner_params.append(params[position])
        row = "(" + ", ".join(["%s"] * len(slots)) + ")"
        parts.append(
            f"SELECT part{n}.* FROM (VALUES {', '.join([row] * len(rows))}) AS r{n}"
            f"({', '.join(f'v{j}' for j in range(len(slots)))}) CROSS JOIN LATERAL ({inner}) AS part{n}"
        )
        all_params += [v for values in rows for v in values] + inner_params
    return [(" UNION ALL ".join(parts), all_params)]


def _split_placeholders(sql: str) -> list[str]:
    """The SQL text around its %s placeholders ("%%" is a literal percent sign)."""
    pieces, current, i = [], [], 0
    while i < len(sql):
        if sql[i] == "%" and i + 1 < len(sql):
            if sql[i + 1] == "s":
                pieces.append("".join(current))
                current, i = [], i + 2
                continue
            if sql[i + 1] == "%":
                current.append("%%")
                i += 2
                continue
        current.append(sql[i])
        i += 1
    pieces.append("".join(current))
    return pieces
