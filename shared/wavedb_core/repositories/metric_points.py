"""Raw metric points: bulk writes through a staging table, and reads by step or time.

Writing a part of a batch (the ingest worker, in one transaction):
`stage_columns` moves the part's columns into a temporary staging table (one INSERT from
`unnest` of whole arrays: no Python object per point), `drop_known_messages` removes
points whose msg_id is already stored, then `insert_staged_points` moves them into
metric_points; `run_metrics` summaries and `rollups` are then updated from the same stage.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from psycopg import sql
from psycopg.rows import class_row, tuple_row

from wavedb_core.db.connection import Connection

STAGING_TABLE = "ingest_staging"
LAST_STEP = 2**63 - 1  # the largest step the table can hold

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


@dataclass(frozen=True)
class StagedColumns:
    """Whole columns of a part, as PostgreSQL array literals (e.g. `{1,2,3}`, values with
    NaN and ±Infinity as float8 spells them), entry i of each being point i; `times_us`
    holds NULL for a point that takes the part's receive time. `msg_ids` and `metadata`
    are lists (None when no point has one)."""

    metric_ids: str
    steps: str
    values: str
    times_us: str | None
    msg_ids: list[str | None] | None
    metadata: list[str | None] | None


def stage_columns(connection: Connection, columns: StagedColumns, received_us: int) -> None:
    """Insert the columns into the staging table in one statement."""
    connection.execute(
        f"INSERT INTO {STAGING_TABLE} (metric_id, step, value, logged_us, msg_id, metadata)"
        " SELECT m, s, v, coalesce(t, %s), i::uuid, d::jsonb"
        " FROM unnest(%s::bigint[], %s::bigint[], %s::float8[], %s::bigint[], %s::text[],"
        "  %s::text[]) AS c(m, s, v, t, i, d)",
        (
            received_us,
            columns.metric_ids,
            columns.steps,
            columns.values,
            columns.times_us,
            columns.msg_ids,
            columns.metadata,
        ),
    )


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


# ---------------------------------------------------------------- reads


@dataclass(frozen=True)
class PointRow:
    metric_id: int
    name: str
    step: int
    value: float
    logged_at: datetime
    msg_id: UUID | None
    metadata: dict[str, Any] | None


_ORDERS: dict[str, str] = {
    "step_asc": "m.name, p.step, p.logged_at",
    "step_desc": "m.name, p.step DESC, p.logged_at DESC",
    "time_asc": "p.logged_at, m.name, p.step",
    "time_desc": "p.logged_at DESC, m.name, p.step DESC",
}

PointOrderName = Literal["step_asc", "step_desc", "time_asc", "time_desc"]


def read_points(
    connection: Connection,
    run_id: UUID,
    *,
    names: Sequence[str] | None,
    order: PointOrderName,
    limit: int,
    offset: int,
) -> list[PointRow]:
    """Points of the run's metrics (all, or those named), in the given order."""
    query = sql.SQL(
        "SELECT p.metric_id, m.name, p.step, p.value, p.logged_at, p.msg_id, p.metadata"
        " FROM run_metrics m JOIN metric_points p ON p.metric_id = m.id"
        " WHERE m.run_id = %s AND (%s::text[] IS NULL OR m.name = ANY(%s::text[]))"
        " ORDER BY {order} LIMIT %s OFFSET %s"
    ).format(order=sql.SQL(_ORDERS[order]))
    name_list = None if names is None else list(names)
    with connection.cursor(row_factory=class_row(PointRow)) as cursor:
        cursor.execute(query, (run_id, name_list, name_list, limit, offset))
        return cursor.fetchall()


@dataclass(frozen=True)
class StepPoint:
    step: int
    value: float
    logged_at: datetime


def points_after_step(
    connection: Connection,
    metric_id: int,
    *,
    after_step: int,
    step_max: int | None,
    limit: int,
) -> list[StepPoint]:
    """Up to `limit` + 1 points with step > after_step (≤ step_max), by step then time."""
    with connection.cursor(row_factory=class_row(StepPoint)) as cursor:
        cursor.execute(
            "SELECT step, value, logged_at FROM metric_points"
            " WHERE metric_id = %s AND step > %s AND step <= %s"
            " ORDER BY step, logged_at LIMIT %s",
            (metric_id, after_step, step_max if step_max is not None else LAST_STEP, limit + 1),
        )
        return cursor.fetchall()


def points_at_step(connection: Connection, metric_id: int, step: int) -> list[StepPoint]:
    with connection.cursor(row_factory=class_row(StepPoint)) as cursor:
        cursor.execute(
            "SELECT step, value, logged_at FROM metric_points"
            " WHERE metric_id = %s AND step = %s ORDER BY logged_at",
            (metric_id, step),
        )
        return cursor.fetchall()


# (name, step, value, µs since the epoch)
StreamedRow = tuple[str, int, float, int]


def stream_run_rows(
    connection: Connection,
    run_id: UUID,
    *,
    names: Sequence[str] | None = None,
    step_min: int | None = None,
    step_max: int | None = None,
    chunk_rows: int = 10_000,
) -> Iterator[list[StreamedRow]]:
    """The run's points (all metrics, or those named; within the step range) as (name,
    step, value, µs) by name, step and time, in chunks read from a server-side cursor
    (memory stays flat whatever the run's size)."""
    name_list = None if names is None else list(names)
    with (
        connection.transaction(),
        connection.cursor(name="run_points_stream", row_factory=tuple_row) as cursor,
    ):
        cursor.itersize = chunk_rows
        cursor.execute(
            "SELECT m.name, p.step, p.value,"
            "  (extract(epoch FROM p.logged_at) * 1000000)::bigint"
            " FROM run_metrics m JOIN metric_points p ON p.metric_id = m.id"
            " WHERE m.run_id = %s AND (%s::text[] IS NULL OR m.name = ANY(%s::text[]))"
            "  AND p.step >= %s AND p.step <= %s"
            " ORDER BY m.name, p.step, p.logged_at",
            (
                run_id,
                name_list,
                name_list,
                step_min if step_min is not None else 0,
                step_max if step_max is not None else LAST_STEP,
            ),
        )
        while True:
            rows = cursor.fetchmany(chunk_rows)
            if not rows:
                return
            yield rows


def first_step_from(connection: Connection, run_id: UUID, step: int) -> int | None:
    """The lowest step at or after `step` that any metric of the run holds a point at."""
    row = connection.execute(
        "SELECT min(f.step) AS step FROM run_metrics m,"
        " LATERAL (SELECT p.step FROM metric_points p WHERE p.metric_id = m.id AND p.step >= %s"
        "  ORDER BY p.step LIMIT 1) f"
        " WHERE m.run_id = %s",
        (step, run_id),
    ).fetchone()
    return None if row is None or row["step"] is None else int(str(row["step"]))
