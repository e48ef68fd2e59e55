"""Export jobs: created by the API, run by the export worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg.rows import class_row

from wavedb_core.db.connection import Connection


@dataclass(frozen=True)
class ExportJobRow:
    id: UUID
    kind: str
    format: str
    project_id: UUID
    run_id: UUID | None
    created_by: UUID
    status: str
    error: str | None
    filename: str
    object_key: str | None
    size_bytes: int | None
    row_count: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None


_COLUMNS = (
    "id, kind, format, project_id, run_id, created_by, status, error, filename, object_key,"
    " size_bytes, row_count, created_at, started_at, finished_at, expires_at"
)


def insert(
    connection: Connection,
    *,
    job_id: UUID,
    kind: str,
    export_format: str,
    project_id: UUID,
    run_id: UUID | None,
    created_by: UUID,
    filename: str,
) -> ExportJobRow:
    with connection.cursor(row_factory=class_row(ExportJobRow)) as cursor:
        cursor.execute(
            "INSERT INTO export_jobs (id, kind, format, project_id, run_id, created_by, filename)"
            f" VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
            (job_id, kind, export_format, project_id, run_id, created_by, filename),
        )
        row = cursor.fetchone()
    assert row is not None
    return row


def get(connection: Connection, job_id: UUID) -> ExportJobRow | None:
    with connection.cursor(row_factory=class_row(ExportJobRow)) as cursor:
        cursor.execute(f"SELECT {_COLUMNS} FROM export_jobs WHERE id = %s", (job_id,))
        return cursor.fetchone()


def recent(
    connection: Connection, *, run_id: UUID, created_by: UUID, kind: str, within_seconds: int
) -> ExportJobRow | None:
    """The caller's latest job of this kind for the run, created within the time given,
    that has not failed."""
    with connection.cursor(row_factory=class_row(ExportJobRow)) as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM export_jobs"
            " WHERE run_id = %s AND created_by = %s AND kind = %s AND status <> 'failed'"
            "  AND created_at > now() - make_interval(secs => %s)"
            " ORDER BY created_at DESC LIMIT 1",
            (run_id, created_by, kind, within_seconds),
        )
        return cursor.fetchone()


def start(connection: Connection, job_id: UUID, object_key: str) -> ExportJobRow | None:
    """Mark a queued job running (or a running one again: its message came back after a
    worker died); None when the job is gone or already finished."""
    with connection.cursor(row_factory=class_row(ExportJobRow)) as cursor:
        cursor.execute(
            "UPDATE export_jobs SET status = 'running', started_at = now(), object_key = %s"
            " WHERE id = %s AND status IN ('queued', 'running')"
            f" RETURNING {_COLUMNS}",
            (object_key, job_id),
        )
        return cursor.fetchone()


def finish(
    connection: Connection, job_id: UUID, *, size_bytes: int, row_count: int, retention_days: int
) -> None:
    """Done: the object is complete and readable."""
    connection.execute(
        "UPDATE export_jobs SET status = 'done', size_bytes = %s, row_count = %s,"
        " finished_at = now(), expires_at = now() + make_interval(days => %s), error = NULL"
        " WHERE id = %s AND status = 'running'",
        (size_bytes, row_count, retention_days, job_id),
    )


def fail(connection: Connection, job_id: UUID, reason: str) -> None:
    connection.execute(
        "UPDATE export_jobs SET status = 'failed', error = %s, finished_at = now()"
        " WHERE id = %s AND status IN ('queued', 'running')",
        (reason, job_id),
    )
