"""Rows the run events refer to (see tests/integration/test_events.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from tests.support.event_files import events_user_id
from tests.support.projects import make_project

WORKSPACE_ID = "6b1d9e3f-2a4c-4e7b-9d8f-0c1b2a3d4e5f"
PROJECT_ID = "3c8e5f1a-6b2d-4f7e-9a1c-5d4e3f2a1b0c"
RUN_ID = "9a4f2e6b-1c3d-4e5f-8a7b-6c5d4e3f2a1b"


def project(database_url: str) -> None:
    """A project in a workspace that the events' user owns."""
    make_project(
        database_url,
        events_user_id(),
        workspace_id=WORKSPACE_ID,
        project_id=PROJECT_ID,
        name="imagenet",
    )


def project_with_run(database_url: str) -> None:
    """The project with one running run, named like the list events look for."""
    project(database_url)
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "INSERT INTO runs (id, project_id, workspace_id, name, tags, status, created_by,"
            " started_at) VALUES (%s, %s, %s, 'resnet50-baseline', %s, 'running', %s, now())",
            (RUN_ID, PROJECT_ID, WORKSPACE_ID, ["baseline"], events_user_id()),
        )


def project_with_silent_run(database_url: str) -> None:
    """The run, running but silent for a day (the crash monitor's business)."""
    project_with_run(database_url)
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "UPDATE runs SET heartbeat_at = %s WHERE id = %s",
            (datetime.now(UTC) - timedelta(days=1), RUN_ID),
        )


def marked_one_crashed(answer: dict[str, Any]) -> bool:
    return answer == {"crashed": 1}
