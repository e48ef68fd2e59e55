"""Each user's chart layout of a project, stored whole as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from wavedb_core.db.connection import Connection


@dataclass(frozen=True)
class LayoutRow:
    layout: dict[str, Any]
    updated_at: datetime


def find_layout(connection: Connection, *, project_id: UUID, user_id: UUID) -> LayoutRow | None:
    with connection.cursor(row_factory=class_row(LayoutRow)) as cursor:
        cursor.execute(
            "SELECT layout, updated_at FROM project_layouts WHERE project_id = %s AND user_id = %s",
            (project_id, user_id),
        )
        return cursor.fetchone()


def save_layout(
    connection: Connection, *, project_id: UUID, user_id: UUID, layout: dict[str, Any]
) -> LayoutRow:
    """Insert or replace the user's layout of the project."""
    with connection.cursor(row_factory=class_row(LayoutRow)) as cursor:
        cursor.execute(
            "INSERT INTO project_layouts (project_id, user_id, layout) VALUES (%s, %s, %s)"
            " ON CONFLICT (project_id, user_id)"
            " DO UPDATE SET layout = excluded.layout, updated_at = now()"
            " RETURNING layout, updated_at",
            (project_id, user_id, Jsonb(layout)),
        )
        row = cursor.fetchone()
    assert row is not None  # an upsert always returns its row
    return row
