"""Rows the workspace and project events refer to (see tests/integration/test_events.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from tests.support.event_files import events_user_email, events_user_id

TEAM_WORKSPACE_ID = "3c9a1e52-7b4d-4f08-9e21-5d6c7b8a9f01"
PROJECT_ID = "8e4f2a17-2c6b-4d93-a1f5-0b7c9d3e6a24"
OTHER_USER_ID = "a7d3c1e9-5b2f-4e80-8c46-1f9e0d2b3c57"
OTHER_WORKSPACE_ID = "c2e8f4a6-9d1b-4c73-b5e0-7a3f6d9c1b48"


def team_workspace(database_url: str) -> None:
    """A workspace that the events' user owns."""
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "INSERT INTO workspaces (id, name, created_by) VALUES (%s, 'Vision team', %s)",
            (TEAM_WORKSPACE_ID, events_user_id()),
        )
        connection.execute(
            "INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (%s, %s, 'owner')",
            (TEAM_WORKSPACE_ID, events_user_id()),
        )


def team_workspace_with_project(database_url: str) -> None:
    """The team workspace with one project."""
    team_workspace(database_url)
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "INSERT INTO projects (id, workspace_id, name, created_by)"
            " VALUES (%s, %s, 'resnet-sweeps', %s)",
            (PROJECT_ID, TEAM_WORKSPACE_ID, events_user_id()),
        )


def invitation_to_the_events_user(database_url: str) -> None:
    """Another user's workspace, with a pending invitation to the events' user."""
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "INSERT INTO users (id, email, name, password_hash, email_confirmed_at)"
            " VALUES (%s, 'grace@example.com', 'Grace', 'not-a-hash', now())",
            (OTHER_USER_ID,),
        )
        connection.execute(
            "INSERT INTO workspaces (id, name, created_by) VALUES (%s, 'Compilers', %s)",
            (OTHER_WORKSPACE_ID, OTHER_USER_ID),
        )
        connection.execute(
            "INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (%s, %s, 'owner')",
            (OTHER_WORKSPACE_ID, OTHER_USER_ID),
        )
        connection.execute(
            "INSERT INTO workspace_invitations (workspace_id, email, role, invited_by, expires_at)"
            " VALUES (%s, %s, 'member', %s, %s)",
            (
                OTHER_WORKSPACE_ID,
                events_user_email(),
                OTHER_USER_ID,
                datetime.now(UTC) + timedelta(days=14),
            ),
        )
