"""Raw metric points (the legacy layout, one row per point): what deployments hold until
the conversion (services/chunk_conversion.py) moves them into chunks. Reads go through
repositories/series_points.py; the worker writes chunks.

`stage_points` copies points into a temporary staging table, `drop_known_messages`
removes those whose msg_id is already stored, then `insert_staged_points` moves them into
metric_points and `update_summaries_from_staging` / `rollups.merge_staged_points` update
summaries and rollups from the same stage: the previous worker's own SQL, kept to load
today's layout in the conversion's tests and the benchmarks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from wavedb_core.db.connection import Connection

STAGING_TABLE = "ingest_staging"

# One row to stage: metric id, step, value, time in µs since the epoch, msg_id, metadata.
StagedPoint = tuple[int, int, float, int, str | None, dict[str, Any] | None]


def create_staging_table(connection: Connection) -> None:
    """The session's staging table (emptied at every commit)."""
    connection.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {STAGING_TABLE} ("
        " metric_id bigint NOT NULL, step bigint NOT NULL, value float8 NOT NULL,"
        " logged_us bigint NOT NULL, msg_id uuid, metadata jsonb) ON COMMIT DELETE ROWS"
    )


def _copy_text(value: object) -> str:
    """A value in COPY's text format (\\N is NULL; backslashes are escaped)."""
    if value is None:
        return "\\N"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace("\\", "\\\\")
    return str(value)


def stage_points(connection: Connection, points: Iterable[StagedPoint]) -> bool:
    """COPY the points into the staging table; True when any of them carries a msg_id."""
    has_msg_ids = False
    lines: list[str] = []
    for metric_id, step, value, logged_us, msg_id, metadata in points:
        if msg_id is None and metadata is None:
            lines.append(f"{metric_id}\t{step}\t{value!r}\t{logged_us}\t\\N\t\\N\n")
        else:
            has_msg_ids = has_msg_ids or msg_id is not None
            lines.append(
                f"{metric_id}\t{step}\t{value!r}\t{logged_us}\t{_copy_text(msg_id)}"
                f"\t{_copy_text(metadata)}\n"
            )
    with (
        connection.cursor() as cursor,
        cursor.copy(
            f"COPY {STAGING_TABLE} (metric_id, step, value, logged_us, msg_id, metadata) FROM STDIN"
        ) as copy,
    ):
        copy.write("".join(lines))
    return has_msg_ids


def drop_known_messages(connection: Connection) -> None:
    """Remove staged points whose (metric, msg_id) is stored already or staged twice."""
    connection.execute(
        f"DELETE FROM {STAGING_TABLE} s USING metric_points p"
        " WHERE s.msg_id IS NOT NULL AND p.metric_id = s.metric_id AND p.msg_id = s.msg_id"
    )
    connection.execute(
        f"DELETE FROM {STAGING_TABLE} a USING {STAGING_TABLE} b"
        " WHERE a.msg_id IS NOT NULL AND a.metric_id = b.metric_id AND a.msg_id = b.msg_id"
        " AND a.ctid > b.ctid"
    )


def insert_staged_points(connection: Connection) -> int:
    cursor = connection.execute(
        "INSERT INTO metric_points (metric_id, step, value, logged_at, msg_id, metadata)"
        " SELECT metric_id, step, value,"
        "  timestamptz 'epoch' + logged_us * interval '1 microsecond', msg_id, metadata"
        f" FROM {STAGING_TABLE} ORDER BY metric_id, step"
    )
    return cursor.rowcount


def update_summaries_from_staging(connection: Connection) -> None:
    """Fold the staged points into their metrics' count, min/max (NaN ignored), first step
    and last point (highest step, then latest time; on a tie the newer write wins)."""
    connection.execute(
        "UPDATE run_metrics m SET"
        " count = m.count + s.n,"
        " min = LEAST(m.min, s.min), max = GREATEST(m.max, s.max),"
        " first_step = LEAST(m.first_step, s.first_step),"
        " last_step = CASE WHEN s.newer THEN s.last_step ELSE m.last_step END,"
        " last_value = CASE WHEN s.newer THEN s.last_value ELSE m.last_value END,"
        " last_logged_at = CASE WHEN s.newer THEN s.last_logged_at ELSE m.last_logged_at END"
        " FROM ("
        "  SELECT a.metric_id, a.n, a.min, a.max, a.first_step, l.last_step, l.last_value,"
        "   l.last_logged_at,"
        "   (r.last_step IS NULL OR (l.last_step, l.last_logged_at)"
        "     >= (r.last_step, r.last_logged_at)) AS newer"
        "  FROM ("
        "   SELECT metric_id, count(*) AS n,"
        "    min(value) FILTER (WHERE value <> 'NaN') AS min,"
        "    max(value) FILTER (WHERE value <> 'NaN') AS max,"
        "    min(step) AS first_step"
        f"   FROM {STAGING_TABLE} GROUP BY metric_id) a"
        "  JOIN ("
        "   SELECT DISTINCT ON (metric_id) metric_id, step AS last_step, value AS last_value,"
        "    timestamptz 'epoch' + logged_us * interval '1 microsecond' AS last_logged_at"
        f"   FROM {STAGING_TABLE} ORDER BY metric_id, step DESC, logged_us DESC) l"
        "   USING (metric_id)"
        "  JOIN run_metrics r ON r.id = a.metric_id"
        " ) s"
        " WHERE m.id = s.metric_id"
    )
