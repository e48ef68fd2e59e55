"""Ingest batches (one per client batch id and run) and the parts the worker has written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg.rows import class_row

from wavedb_core.db.connection import Connection
from wavedb_core.vocabulary import BatchStatus


@dataclass(frozen=True)
class BatchRow:
    run_id: UUID
    batch_id: str
    parts: int
    parts_written: int
    point_count: int
    status: BatchStatus
    error: str | None
    created_at: datetime
    written_at: datetime | None
    content_digest: bytes | None  # None for batches recorded before digests were kept


@dataclass(frozen=True)
class PartClaim:
    batch_exists: bool
    claimed: bool


_COLUMNS = (
    "run_id, batch_id, parts, parts_written, point_count, status, error, created_at, written_at,"
    " content_digest"
)


def insert_batch(
    connection: Connection,
    *,
    run_id: UUID,
    batch_id: str,
    parts: int,
    point_count: int,
    content_digest: bytes,
) -> bool:
    """Record a new queued batch; False when the run already has a batch with this id."""
    cursor = connection.execute(
        "INSERT INTO ingest_batches (run_id, batch_id, parts, point_count, content_digest)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (run_id, batch_id) DO NOTHING",
        (run_id, batch_id, parts, point_count, content_digest),
    )
    return cursor.rowcount == 1


def find_batch(connection: Connection, run_id: UUID, batch_id: str) -> BatchRow | None:
    with connection.cursor(row_factory=class_row(BatchRow)) as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM ingest_batches WHERE run_id = %s AND batch_id = %s",
            (run_id, batch_id),
        )
        return cursor.fetchone()


def claim_part(connection: Connection, run_id: UUID, batch_id: str, part: int) -> bool | None:
    """Record that this part is being written (in the caller's transaction).

    True: first time; False: already written (a redelivery); None: no such batch (its run
    was deleted).
    """
    with connection.cursor(row_factory=class_row(PartClaim)) as cursor:
        claim = cursor.execute(
            "WITH batch AS (SELECT 1 FROM ingest_batches WHERE run_id = %s AND batch_id = %s),"
            " claimed AS (INSERT INTO ingest_batch_parts (run_id, batch_id, part)"
            "  SELECT %s, %s, %s FROM batch ON CONFLICT DO NOTHING RETURNING 1)"
            " SELECT EXISTS (SELECT 1 FROM batch) AS batch_exists,"
            "  EXISTS (SELECT 1 FROM claimed) AS claimed",
            (run_id, batch_id, run_id, batch_id, part),
        ).fetchone()
    assert claim is not None
    if not claim.batch_exists:
        return None
    return claim.claimed


def count_written_part(connection: Connection, run_id: UUID, batch_id: str) -> None:
    """One more part written; the batch is written once all of its parts are."""
    connection.execute(
        "UPDATE ingest_batches SET parts_written = parts_written + 1,"
        " status = CASE WHEN parts_written + 1 >= parts THEN 'written' ELSE status END,"
        " error = CASE WHEN parts_written + 1 >= parts THEN NULL ELSE error END,"
        " written_at = CASE WHEN parts_written + 1 >= parts THEN now() ELSE written_at END"
        " WHERE run_id = %s AND batch_id = %s",
        (run_id, batch_id),
    )


def mark_failed(connection: Connection, run_id: UUID, batch_id: str, error: str) -> None:
    connection.execute(
        "UPDATE ingest_batches SET status = 'failed', error = %s"
        " WHERE run_id = %s AND batch_id = %s AND status <> 'written'",
        (error[:500], run_id, batch_id),
    )
