"""What a few points carry beyond (step, value, time): the Tora log id (`msg_id`, which
makes a re-sent log idempotent) and its metadata, one row per (metric, step) of a stored
point that has either."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from wavedb_core.db.connection import Connection


class PointExtras(NamedTuple):
    metric_id: int
    step: int
    msg_id: str | None
    metadata: dict[str, Any] | None


class StoredMsgId(NamedTuple):
    metric_id: int
    msg_id: str


def known_msg_ids(
    connection: Connection, metric_ids: Sequence[int], msg_ids: Sequence[str]
) -> set[tuple[int, str]]:
    """Which of the (metric id, msg_id) pairs are stored already: as extras of a point, or
    on a legacy row of metric_points not converted yet."""
    if not msg_ids:
        return set()
    with connection.cursor(row_factory=class_row(StoredMsgId)) as cursor:
        rows = cursor.execute(
            "WITH asked AS (SELECT DISTINCT m, i FROM unnest(%s::bigint[], %s::uuid[]) AS a(m, i))"
            " SELECT m AS metric_id, i::text AS msg_id FROM asked"
            " WHERE EXISTS (SELECT 1 FROM metric_point_extras e WHERE e.metric_id = m"
            "   AND e.msg_id = i)"
            "  OR EXISTS (SELECT 1 FROM metric_points p WHERE p.metric_id = m AND p.msg_id = i)",
            (list(metric_ids), list(msg_ids)),
        ).fetchall()
    return {(row.metric_id, row.msg_id) for row in rows}


def delete_extras(connection: Connection, metric_ids: Sequence[int], steps: Sequence[int]) -> None:
    """Forget the extras of the (metric id, step) pairs (their points were replaced)."""
    if not steps:
        return
    connection.execute(
        "DELETE FROM metric_point_extras e USING unnest(%s::bigint[], %s::bigint[]) AS d(m, s)"
        " WHERE e.metric_id = d.m AND e.step = d.s",
        (list(metric_ids), list(steps)),
    )


def upsert_extras(connection: Connection, extras: Sequence[PointExtras]) -> None:
    """Store the extras of points just written, replacing those of the point a step held."""
    if not extras:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO metric_point_extras (metric_id, step, msg_id, metadata)"
            " VALUES (%s, %s, %s::uuid, %s) ON CONFLICT (metric_id, step) DO UPDATE"
            " SET msg_id = excluded.msg_id, metadata = excluded.metadata",
            [
                (
                    item.metric_id,
                    item.step,
                    item.msg_id,
                    None if item.metadata is None else Jsonb(item.metadata),
                )
                for item in extras
            ],
        )
