"""A project's run table for export: the names its columns come from, then the runs with
their config, metric summaries and results, streamed from server-side cursors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row

from wavedb_core.db.connection import Connection
from wavedb_core.db.rows import scalar_of

_CHUNK_ROWS = 500


def metric_names(connection: Connection, project_id: UUID) -> list[str]:
    """The names of the metrics with points of any run of the project, sorted."""
    with connection.cursor(row_factory=scalar_of(str)) as cursor:
        return cursor.execute(
            "SELECT DISTINCT m.name FROM runs r JOIN run_metrics m ON m.run_id = r.id"
            " WHERE r.project_id = %s AND m.count > 0 ORDER BY m.name",
            (project_id,),
        ).fetchall()


def result_names(connection: Connection, project_id: UUID) -> list[str]:
    with connection.cursor(row_factory=scalar_of(str)) as cursor:
        return cursor.execute(
            "SELECT DISTINCT x.name FROM runs r JOIN run_results x ON x.run_id = r.id"
            " WHERE r.project_id = %s ORDER BY x.name",
            (project_id,),
        ).fetchall()


def stream_configs(connection: Connection, project_id: UUID) -> Iterator[Any]:
    """The config of every run of the project."""
    with (
        connection.transaction(),
        connection.cursor(name="run_configs_export", row_factory=dict_row) as cursor,
    ):
        cursor.itersize = _CHUNK_ROWS
        cursor.execute("SELECT config FROM runs WHERE project_id = %s", (project_id,))
        for row in cursor:
            yield row["config"]


def stream_runs(connection: Connection, project_id: UUID) -> Iterator[dict[str, Any]]:
    """Every run of the project, oldest first: id, name, status, tags, created_at,
    started_at, ended_at, config, and (sorted by name) metric_names with lasts, mins and
    maxs, result_names with result_values."""
    with (
        connection.transaction(),
        connection.cursor(name="run_table_export", row_factory=dict_row) as cursor,
    ):
        cursor.itersize = _CHUNK_ROWS
        cursor.execute(
            "SELECT r.id, r.name, r.status, r.tags, r.created_at, r.started_at, r.ended_at,"
            "  r.config, s.metric_names, s.lasts, s.mins, s.maxs,"
            "  x.result_names, x.result_values"
            " FROM runs r"
            " LEFT JOIN LATERAL ("
            "  SELECT array_agg(name ORDER BY name) AS metric_names,"
            "   array_agg(last_value ORDER BY name) AS lasts,"
            "   array_agg(min ORDER BY name) AS mins, array_agg(max ORDER BY name) AS maxs"
            "  FROM run_metrics WHERE run_id = r.id AND count > 0) s ON true"
            " LEFT JOIN LATERAL ("
            "  SELECT array_agg(name ORDER BY name) AS result_names,"
            "   array_agg(value ORDER BY name) AS result_values"
            "  FROM run_results WHERE run_id = r.id) x ON true"
            " WHERE r.project_id = %s ORDER BY r.created_at, r.id",
            (project_id,),
        )
        yield from cursor
