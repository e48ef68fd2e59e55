"""Workspaces, members, projects and runs written straight to the database, for tests that
need them to exist without going through their own routes."""

from __future__ import annotations

import uuid
from datetime import datetime

import psycopg


def make_project(
    database_url: str,
    user_id: str | uuid.UUID,
    role: str = "owner",
    *,
    workspace_id: str | uuid.UUID | None = None,
    project_id: str | uuid.UUID | None = None,
    name: str | None = None,
) -> tuple[str, str]:
    """A new workspace where `user_id` has `role`, with one project: (workspace id, project id)."""
    workspace = str(workspace_id or uuid.uuid4())
    project = str(project_id or uuid.uuid4())
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "INSERT INTO workspaces (id, name, created_by) VALUES (%s, %s, %s)",
            (workspace, f"workspace-{workspace[:8]}", user_id),
        )
        connection.execute(
            "INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (%s, %s, %s)",
            (workspace, user_id, role),
        )
        connection.execute(
            "INSERT INTO projects (id, workspace_id, name, created_by) VALUES (%s, %s, %s, %s)",
            (project, workspace, name or f"project-{project[:8]}", user_id),
        )
    return workspace, project


def add_project(database_url: str, workspace_id: str, *, name: str | None = None) -> str:
    """Another project in an existing workspace; its id."""
    project = str(uuid.uuid4())
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "INSERT INTO projects (id, workspace_id, name) VALUES (%s, %s, %s)",
            (project, workspace_id, name or f"project-{project[:8]}"),
        )
    return project


def add_member(
    database_url: str, workspace_id: str, user_id: str | uuid.UUID, role: str = "member"
) -> None:
    """Make `user_id` a member of the workspace with `role`."""
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (%s, %s, %s)",
            (workspace_id, user_id, role),
        )


def set_run_times(
    database_url: str,
    run_id: str,
    *,
    created_at: datetime | None = None,
    started_at: datetime | None = None,
    heartbeat_at: datetime | None = None,
) -> None:
    """Move a run's timestamps (to the past, to simulate time going by)."""
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "UPDATE runs SET created_at = coalesce(%s, created_at),"
            " started_at = coalesce(%s, started_at), heartbeat_at = coalesce(%s, heartbeat_at)"
            " WHERE id = %s",
            (created_at, started_at, heartbeat_at, run_id),
        )


def add_metric_summary(
    database_url: str,
    run_id: str,
    name: str,
    *,
    last: float,
    minimum: float | None = None,
    maximum: float | None = None,
    count: int = 1,
) -> None:
    """A metric's summary row, as the ingest worker keeps it (without its points)."""
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "INSERT INTO run_metrics (run_id, name, count, min, max, last_value, last_step,"
            " first_step, last_logged_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 0, now())",
            (
                run_id,
                name,
                count,
                last if minimum is None else minimum,
                last if maximum is None else maximum,
                last,
                count - 1,
            ),
        )


def add_result(database_url: str, run_id: str, name: str, value: float) -> None:
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "INSERT INTO run_results (run_id, name, value) VALUES (%s, %s, %s)",
            (run_id, name, value),
        )


def set_run_ended(
    database_url: str, run_id: str, ended_at: datetime, status: str = "finished"
) -> None:
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "UPDATE runs SET status = %s, ended_at = %s WHERE id = %s",
            (status, ended_at, run_id),
        )
