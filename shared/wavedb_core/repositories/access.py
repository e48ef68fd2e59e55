"""The caller's role on a workspace, project or run: one indexed join each."""

from __future__ import annotations

from uuid import UUID

from wavedb_core.db.connection import Connection


def workspace_role(connection: Connection, user_id: UUID, workspace_id: UUID) -> str | None:
    row = connection.execute(
        "SELECT role FROM workspace_members WHERE workspace_id = %s AND user_id = %s",
        (workspace_id, user_id),
    ).fetchone()
    return None if row is None else str(row["role"])


def project_role(
    connection: Connection, user_id: UUID, project_id: UUID
) -> tuple[UUID, str] | None:
    """(workspace id, role) of the caller on the project's workspace."""
    row = connection.execute(
        "SELECT p.workspace_id, m.role FROM projects p"
        " JOIN workspace_members m ON m.workspace_id = p.workspace_id AND m.user_id = %s"
        " WHERE p.id = %s",
        (user_id, project_id),
    ).fetchone()
    return None if row is None else (row["workspace_id"], str(row["role"]))  # type: ignore[return-value]


def run_role(connection: Connection, user_id: UUID, run_id: UUID) -> tuple[UUID, UUID, str] | None:
    """(project id, workspace id, role) of the caller on the run's workspace."""
    row = connection.execute(
        "SELECT r.project_id, r.workspace_id, m.role FROM runs r"
        " JOIN workspace_members m ON m.workspace_id = r.workspace_id AND m.user_id = %s"
        " WHERE r.id = %s",
        (user_id, run_id),
    ).fetchone()
    if row is None:
        return None
    return row["project_id"], row["workspace_id"], str(row["role"])  # type: ignore[return-value]
