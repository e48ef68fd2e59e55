"""The caller's role on a workspace, project or run: one indexed join each."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from psycopg.rows import class_row

from wavedb_core.db.connection import Connection
from wavedb_core.vocabulary import MemberRole


@dataclass(frozen=True)
class WorkspaceRole:
    role: MemberRole


@dataclass(frozen=True)
class ProjectRole:
    """The caller's role on the project's workspace."""

    workspace_id: UUID
    role: MemberRole


@dataclass(frozen=True)
class RunRole:
    """The caller's role on the run's workspace."""

    project_id: UUID
    workspace_id: UUID
    role: MemberRole


def workspace_role(connection: Connection, user_id: UUID, workspace_id: UUID) -> MemberRole | None:
    with connection.cursor(row_factory=class_row(WorkspaceRole)) as cursor:
        row = cursor.execute(
            "SELECT role FROM workspace_members WHERE workspace_id = %s AND user_id = %s",
            (workspace_id, user_id),
        ).fetchone()
    return None if row is None else row.role


def project_role(connection: Connection, user_id: UUID, project_id: UUID) -> ProjectRole | None:
    with connection.cursor(row_factory=class_row(ProjectRole)) as cursor:
        return cursor.execute(
            "SELECT p.workspace_id, m.role FROM projects p"
            " JOIN workspace_members m ON m.workspace_id = p.workspace_id AND m.user_id = %s"
            " WHERE p.id = %s",
            (user_id, project_id),
        ).fetchone()


def run_role(connection: Connection, user_id: UUID, run_id: UUID) -> RunRole | None:
    with connection.cursor(row_factory=class_row(RunRole)) as cursor:
        return cursor.execute(
            "SELECT r.project_id, r.workspace_id, m.role FROM runs r"
            " JOIN workspace_members m ON m.workspace_id = r.workspace_id AND m.user_id = %s"
            " WHERE r.id = %s",
            (user_id, run_id),
        ).fetchone()
