"""Fixed-window request counters shared by every execution environment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import class_row

from wavedb_core.db.connection import Connection
from wavedb_core.db.rows import scalar_of


@dataclass(frozen=True)
class BucketHits:
    bucket: str
    hits: int


def count_hit(connection: Connection, bucket: str, window_start: datetime) -> int:
    """Add one hit to the bucket's window; returns the hits so far in that window."""
    with connection.cursor(row_factory=scalar_of(int)) as cursor:
        hits = cursor.execute(
            "INSERT INTO rate_limit_windows AS w (bucket, window_start, hits) VALUES (%s, %s, 1)"
            " ON CONFLICT (bucket, window_start) DO UPDATE SET hits = w.hits + 1 RETURNING hits",
            (bucket, window_start),
        ).fetchone()
    assert hits is not None
    return hits


def current_hits(connection: Connection, bucket: str, window_start: datetime) -> int:
    with connection.cursor(row_factory=scalar_of(int)) as cursor:
        hits = cursor.execute(
            "SELECT hits FROM rate_limit_windows WHERE bucket = %s AND window_start = %s",
            (bucket, window_start),
        ).fetchone()
    return 0 if hits is None else hits


def delete_windows_before(connection: Connection, cutoff: datetime) -> None:
    connection.execute("DELETE FROM rate_limit_windows WHERE window_start < %s", (cutoff,))


def count_hits(
    connection: Connection, buckets: Sequence[str], window_start: datetime
) -> dict[str, int]:
    """Add one hit to each bucket's window in one statement (rows locked in the order
    given); returns the hits so far of each in that window."""
    with connection.cursor(row_factory=class_row(BucketHits)) as cursor:
        rows = cursor.execute(
            "INSERT INTO rate_limit_windows AS w (bucket, window_start, hits)"
            " SELECT b.bucket, %s, 1 FROM unnest(%s::text[]) WITH ORDINALITY"
            " AS b(bucket, position)"
            " ORDER BY b.position"
            " ON CONFLICT (bucket, window_start) DO UPDATE SET hits = w.hits + 1"
            " RETURNING bucket, hits",
            (window_start, list(buckets)),
        ).fetchall()
    return {row.bucket: row.hits for row in rows}
