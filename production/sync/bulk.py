"""A lean bulk upsert: one prepared INSERT … ON CONFLICT DO UPDATE run with executemany.

Django's bulk_create(update_conflicts=True) does the same SQL but compiles every value through the
ORM, which costs more than the database itself for a page of orders. This converts values once per
field type with the backend's own adapters, so SQLite and PostgreSQL get exactly what Django sends.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.db import connections, router


def _converter(field, connection) -> Callable:
    ops = connection.ops
    kind = field.get_internal_type()
    if kind == "JSONField":
        return lambda v: None if v is None else ops.adapt_json_value(v, field.encoder)
    if kind == "DateTimeField":
        return ops.adapt_datetimefield_value
    if kind == "DateField":
        return ops.adapt_datefield_value
    if kind == "DecimalField":
        return lambda v: ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
    if kind in ("CharField", "TextField", "IntegerField", "BigIntegerField", "BooleanField", "PositiveIntegerField",
                "PositiveSmallIntegerField", "SmallIntegerField", "URLField", "ForeignKey", "BigAutoField", "AutoField"):
        return lambda v: v
    return lambda v: field.get_db_prep_save(v, connection)


def rows_upsert(model, rows: Iterable[dict], *, unique: Sequence[str], update: Sequence[str], batch_size: int = 2000) -> int:
    """Insert `rows` (dicts of field name → value, all with the same keys), updating `update` on conflict.

    `unique` names the fields of a unique constraint of `model`. Fields not in `update` keep their
    stored value on conflict (first_seen_at, say). Returns the number of rows sent.
    """
    rows = list(rows)
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    names = list(rows[0])
    # Columns the caller does not write get the model's default on insert (and keep theirs on
    # conflict): a field added later with a default never reaches the database as NULL.
    given = {model._meta.get_field(name).name for name in names}
    defaults = {
        f.name: f.get_default() for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in given and (f.has_default() or not f.null)
    }
    if defaults:
        names += list(defaults)
        rows = [{**row, **defaults} for row in rows]
    fields = [model._meta.get_field(name) for name in names]
    columns = [f.column for f in fields]
    unique_columns = [model._meta.get_field(name).column for name in unique]
    update_columns = [model._meta.get_field(name).column for name in update]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(quote(c) for c in unique_columns)}) DO UPDATE SET "
        + ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in update_columns)
    )
    converters = [_converter(f, connection) for f in fields]
    params = [tuple(convert(row[name]) for convert, name in zip(converters, names, strict=True)) for row in rows]
    with connection.cursor() as cursor:
        for start in range(0, len(params), batch_size):
            cursor.executemany(sql, params[start : start + batch_size])
    return len(params)
