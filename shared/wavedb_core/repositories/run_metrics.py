"""Metrics of runs: one row per (run, name) with its running summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg.rows import class_row

from wavedb_core.db.connection import Connection


@dataclass(frozen=True)
class MetricRow:
    id: int
    run_id: UUID
    name: str
    count: int
    min: float | None
    max: float | None
    last_value: float | None
    last_step: int | None
    first_step: int | None
    last_logged_at: datetime | None


_COLUMNS = "id, run_id, name, count, min, max, last_value, last_step, first_step, last_logged_at"


def metrics_of_runs(connection: Connection, run_ids: Sequence[UUID]) -> list[MetricRow]:
    """Every metric of the runs that holds at least one point, by run then name."""
    with connection.cursor(row_factory=class_row(MetricRow)) as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM run_metrics WHERE run_id = ANY(%s) AND count > 0"
            " ORDER BY run_id, name",
            (list(run_ids),),
        )
        return cursor.fetchall()


def metric_named(connection: Connection, run_id: UUID, name: str) -> MetricRow | None:
    with connection.cursor(row_factory=class_row(MetricRow)) as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM run_metrics WHERE run_id = %s AND name = %s", (run_id, name)
        )
        return cursor.fetchone()


def metrics_named_in_runs(
    connection: Connection, run_ids: Sequence[UUID], name: str
) -> list[MetricRow]:
    with connection.cursor(row_factory=class_row(MetricRow)) as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM run_metrics WHERE run_id = ANY(%s) AND name = %s",
            (list(run_ids), name),
        )
        return cursor.fetchall()


def ensure_metrics(connection: Connection, run_id: UUID, names: Sequence[str]) -> dict[str, int]:
    """The id of each named metric of the run, created when new (no lock on existing rows)."""
    ordered = sorted(set(names))
    connection.execute(
        "INSERT INTO run_metrics (run_id, name) SELECT %s, name FROM unnest(%s::text[]) AS name"
        " ORDER BY name ON CONFLICT (run_id, name) DO NOTHING",
        (run_id, ordered),
    )
    rows = connection.execute(
        "SELECT id, name FROM run_metrics WHERE run_id = %s AND name = ANY(%s)",
        (run_id, ordered),
    ).fetchall()
    return {str(row["name"]): int(row["id"]) for row in rows}  # type: ignore[call-overload]


def lock_metrics(connection: Connection, metric_ids: Sequence[int]) -> None:
    """Lock the metrics' rows in id order: writers of the same metrics queue up here, so their
    summary and rollup updates never deadlock."""
    connection.execute(
        "SELECT id FROM run_metrics WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
        (sorted(metric_ids),),
    )
