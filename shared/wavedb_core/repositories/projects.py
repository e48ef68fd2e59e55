"""Projects: named groups of runs inside a workspace (names unique per workspace, any case)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import LiteralString
from uuid import UUID

import psycopg
from psycopg.abc import Params
from psycopg.rows import class_row

from wavedb_core.db.connection import Connection
from wavedb_core.db.rows import scalar_of


@dataclass(frozen=True)
class ProjectRow:
    id: UUID
    workspace_id: UUID
    name: str
    description: str
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


_COLUMNS = "id, workspace_id, name, description, created_by, created_at, updated_at"
_NEWEST_FIRST = " ORDER BY created_at DESC, id DESC"


def _project_unless_name_taken(
    connection: Connection, statement: LiteralString, params: Params
) -> ProjectRow | None:
    """The project row a writing statement returns (in a transaction or savepoint of its
    own); None when it would give the workspace a second project of that name."""
    try:
        with (
            connection.transaction(),
            connection.cursor(row_factory=class_row(ProjectRow)) as cursor,
        ):
            cursor.execute(statement, params)
            return cursor.fetchone()
    except psycopg.errors.UniqueViolation:
        return None


def insert_project(
    connection: Connection,
    *,
    project_id: UUID,
    workspace_id: UUID,
    name: str,
    description: str,
    created_by: UUID,
) -> ProjectRow | None:
    """Insert a project; None when the workspace already has one of that name."""
    return _project_unless_name_taken(
        connection,
        "INSERT INTO projects (id, workspace_id, name, description, created_by)"
        f" VALUES (%s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
        (project_id, workspace_id, name, description, created_by),
    )


def find_project(connection: Connection, project_id: UUID) -> ProjectRow | None:
    with connection.cursor(row_factory=class_row(ProjectRow)) as cursor:
        cursor.execute(f"SELECT {_COLUMNS} FROM projects WHERE id = %s", (project_id,))
        return cursor.fetchone()


def find_project_by_name(connection: Connection, workspace_id: UUID, name: str) -> UUID | None:
    with connection.cursor(row_factory=scalar_of(UUID)) as cursor:
        return cursor.execute(
            "SELECT id FROM projects WHERE workspace_id = %s AND lower(name) = lower(%s)",
            (workspace_id, name),
        ).fetchone()


def list_projects(connection: Connection, workspace_id: UUID) -> list[ProjectRow]:
    with connection.cursor(row_factory=class_row(ProjectRow)) as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM projects WHERE workspace_id = %s{_NEWEST_FIRST}",
            (workspace_id,),
        )
        return cursor.fetchall()


def list_projects_of_member(connection: Connection, user_id: UUID) -> list[ProjectRow]:
    """Projects of every workspace the user belongs to, newest first."""
    with connection.cursor(row_factory=class_row(ProjectRow)) as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM projects WHERE workspace_id IN"
            f" (SELECT workspace_id FROM workspace_members WHERE user_id = %s){_NEWEST_FIRST}",
            (user_id,),
        )
        return cursor.fetchall()


def update_project(
    connection: Connection, project_id: UUID, *, name: str | None, description: str | None
) -> ProjectRow | None:
    """Rename or describe a project; None when the new name is taken in its workspace."""
    return _project_unless_name_taken(
        connection,
        "UPDATE projects SET name = coalesce(%s, name),"
        " description = coalesce(%s, description), updated_at = now()"
        f" WHERE id = %s RETURNING {_COLUMNS}",
        (name, description, project_id),
    )


def delete_project(connection: Connection, project_id: UUID) -> None:
    connection.execute("DELETE FROM projects WHERE id = %s", (project_id,))


def ensure_project(
    connection: Connection, *, workspace_id: UUID, name: str, created_by: UUID, project_id: UUID
) -> UUID:
    """The id of the workspace's project named `name` (any case), created if missing."""
    connection.execute(
        "INSERT INTO projects (id, workspace_id, name, created_by) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (workspace_id, lower(name)) DO NOTHING",
        (project_id, workspace_id, name, created_by),
    )
    found = find_project_by_name(connection, workspace_id, name)
    assert found is not None
    return found
