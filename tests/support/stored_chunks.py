"""What the columnar store holds, read back through the codec: for assertions."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from wavedb_core.repositories.metric_chunks import stored_points
from wavedb_core.services.chunk_codec import Columns


def stored_series(database_url: str, run_id: str | None = None) -> dict[str, Columns]:
    """Every series (of the run, or of the database) by name: its stored points, decoded."""
    with psycopg.connect(database_url, row_factory=dict_row) as connection:
        metrics = connection.execute(
            "SELECT id, name FROM run_metrics WHERE %s::uuid IS NULL OR run_id = %s::uuid"
            " ORDER BY name",
            (run_id, run_id),
        ).fetchall()
        return {str(row["name"]): stored_points(connection, int(row["id"])) for row in metrics}


def stored_summary(database_url: str, name: str) -> tuple[Any, ...]:
    """(count, min, max, first_step, last_step, last_value, last_logged_at) kept for the
    series `name` (of the one run in the database that has it)."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count, min, max, first_step, last_step, last_value, last_logged_at"
            " FROM run_metrics WHERE name = %s",
            (name,),
        ).fetchone()
    assert row is not None
    return tuple(row)


def stored_point_count(database_url: str) -> int:
    """Points held by every chunk (each step of a series once)."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT coalesce(sum(count), 0)::bigint FROM metric_chunks")
        found = row.fetchone()
    assert found is not None
    return int(found[0])


def stored_extras(database_url: str) -> list[tuple[str, int, str | None, Any]]:
    """(metric name, step, msg_id, metadata) of every point's extras."""
    with psycopg.connect(database_url) as connection:
        return connection.execute(
            "SELECT m.name, e.step, e.msg_id::text, e.metadata FROM metric_point_extras e"
            " JOIN run_metrics m ON m.id = e.metric_id ORDER BY m.name, e.step"
        ).fetchall()
