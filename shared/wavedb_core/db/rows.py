"""Row factories for typed results beside psycopg's own (class_row for several columns)."""

from __future__ import annotations

from typing import TypeVar

from psycopg.rows import RowFactory, scalar_row

T = TypeVar("T")


def scalar_of(_column_type: type[T]) -> RowFactory[T]:
    """Rows that are the first column's value, typed as `_column_type` (the SQL decides what
    the column holds, as a class_row's field annotations do; nothing is converted)."""
    return scalar_row
