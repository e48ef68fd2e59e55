"""Rows the export events refer to (see tests/integration/test_events.py)."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.support import event_rows_metrics, event_rows_runs
from tests.support.event_files import http_body

JOB_ID = "4c1d8e2f-6a3b-4d5c-9e7f-0a1b2c3d4e5f"


def queued_job(database_url: str) -> None:
    """The events' run with its loss curve, and a queued export of it by the events' user."""
    event_rows_metrics.run_with_points(database_url)
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO export_jobs (id, kind, project_id, run_id, created_by, filename)"
            " SELECT %s, 'run_metrics_long', project_id, id, created_by, 'run-metrics.csv'"
            " FROM runs WHERE id = %s",
            (JOB_ID, event_rows_runs.RUN_ID),
        )


def is_queued_job(answer: dict[str, Any]) -> bool:
    job = http_body(answer)
    return bool(job["status"] == "queued" and job["poll_after_seconds"] > 0)


def job_is_done(database_url: str) -> bool:
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT status, row_count FROM export_jobs WHERE id = %s", (JOB_ID,)
        ).fetchone()
    return row == ("done", 100)
