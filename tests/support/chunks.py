"""Series written straight into metric_chunks (cut by the codec, one binary COPY), with
the metric's summary, without the queue or the worker: for reads of long series."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

SECOND_US = 1_000_000


def load_chunks(
    database_url: str,
    run_id: str,
    name: str,
    steps: Sequence[int],
    values: Sequence[float],
    times_us: Sequence[int],
    *,
    extras: dict[int, tuple[uuid.UUID | None, dict[str, Any] | None]] | None = None,
) -> int:
    """Write sorted points with distinct steps (not overlapping the series' stored chunks)
    as chunks, and fold them into the metric's summary. `extras`: msg_id and metadata by
    step. Answers the metric's id."""
    from wavedb_core.repositories import metric_chunks, run_metrics
    from wavedb_core.services.chunk_codec import Columns, cut_chunks

    points = Columns(list(steps), list(values), list(times_us))
    comparable = [value for value in points.values if not math.isnan(value)]
    with (
        psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as connection,
        connection.transaction(),
    ):
        metric_id = run_metrics.ensure_metrics(connection, uuid.UUID(run_id), [name])[name]
        metric_chunks.insert_chunks(connection, metric_id, cut_chunks(points))
        connection.execute(
            "UPDATE run_metrics SET count = count + %(count)s,"
            " min = least(min, %(min)s), max = greatest(max, %(max)s),"
            " first_step = least(first_step, %(first)s),"
            " last_value = CASE WHEN last_step > %(last)s THEN last_value ELSE %(value)s END,"
            " last_logged_at = greatest(last_logged_at,"
            "  timestamptz 'epoch' + %(us)s * interval '1 microsecond'),"
            " last_step = greatest(last_step, %(last)s)"
            " WHERE id = %(id)s",
            {
                "count": len(points),
                "min": min(comparable, default=None),
                "max": max(comparable, default=None),
                "first": points.steps[0],
                "last": points.steps[-1],
                "value": points.values[-1],
                "us": max(points.times_us),
                "id": metric_id,
            },
        )
        for step, (msg_id, metadata) in (extras or {}).items():
            connection.execute(
                "INSERT INTO metric_point_extras (metric_id, step, msg_id, metadata)"
                " VALUES (%s, %s, %s, %s)",
                (metric_id, step, msg_id, None if metadata is None else Jsonb(metadata)),
            )
    return metric_id


def mark_converting(database_url: str, metric_id: int, done_through_step: int | None) -> None:
    """List the series as being converted (its legacy rows above the step still to move)."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO metric_chunk_migration (metric_id, done_through_step) VALUES (%s, %s)"
            " ON CONFLICT (metric_id) DO UPDATE SET done_through_step = excluded.done_through_step",
            (metric_id, done_through_step),
        )
