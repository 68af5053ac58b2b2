"""Bulk writing with PostgreSQL's COPY: rows given as dicts of attribute names, every other column filled as the
ORM would (field default, `auto_now` time), so that a regional dataset of millions of rows is written at COPY speed
without spelling out every column of every table."""

import enum
from collections.abc import Iterable

from django.db import connection, models
from django.utils import timezone
from psycopg.types.json import Jsonb


def _filler(field: models.Field, now):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        value = now if isinstance(field, models.DateTimeField) else timezone.localdate(now)
        return lambda: value
    if field.has_default():
        return field.get_default  # a callable default (uuid4) gives each row its own value
    if field.null:
        return lambda: None
    return lambda: "" if isinstance(field, models.CharField | models.TextField) else None


def copy_rows(model: type[models.Model], rows: Iterable[dict]) -> int:
    """COPY `rows` into `model`'s table (ids given by the caller). Returns how many were written."""
    now = timezone.now()
    fields = model._meta.concrete_fields
    fillers = {field.attname: _filler(field, now) for field in fields}
    json_fields = {field.attname for field in fields if isinstance(field, models.JSONField)}
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    written = 0
    with connection.cursor() as cursor, cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            values = []
            for field in fields:
                name = field.attname
                value = row[name] if name in row else fillers[name]()
                if isinstance(value, enum.Enum):
                    value = value.value
                if name in json_fields:
                    value = Jsonb(value)
                values.append(value)
            copy.write_row(values)
            written += 1
    return written


def next_id(model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        # The table name comes from the model's Meta, never from input.
        cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {model._meta.db_table}")  # noqa: S608
        return cursor.fetchone()[0]


def reset_sequence(model: type[models.Model]) -> None:
    """After rows written with their own ids: the next ORM insert continues after them."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        # The model's table name, never input.
        sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1)) FROM {table}"  # noqa: S608
        cursor.execute(sql)
