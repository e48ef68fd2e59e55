"""Final values of runs, one per (run, name)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from wavedb_core.db.connection import Connection


@dataclass(frozen=True)
class ResultRow:
    run_id: UUID
    name: str
    value: float
    logged_at: datetime
    msg_id: UUID | None
    metadata: dict[str, Any] | None


_COLUMNS = "run_id, name, value, logged_at, msg_id, metadata"


@dataclass(frozen=True)
class ResultWrite:
    name: str
    value: float
    msg_id: UUID | None
    metadata: dict[str, Any] | None


def upsert_results(
    connection: Connection, run_id: UUID, results: Sequence[ResultWrite]
) -> list[ResultRow]:
    """Store each result, replacing an earlier value of the same name."""
    with connection.cursor(row_factory=class_row(ResultRow)) as cursor:
        cursor.execute(
            "INSERT INTO run_results (run_id, name, value, msg_id, metadata)"
            " SELECT %s, r.name, r.value, r.msg_id, r.metadata"
            " FROM unnest(%s::text[], %s::float8[], %s::uuid[], %s::jsonb[])"
            "  AS r (name, value, msg_id, metadata)"
            " ORDER BY r.name"
            " ON CONFLICT (run_id, name) DO UPDATE SET value = excluded.value,"
            "  logged_at = excluded.logged_at, msg_id = excluded.msg_id,"
            "  metadata = excluded.metadata"
            f" RETURNING {_COLUMNS}",
            (
                run_id,
                [result.name for result in results],
                [result.value for result in results],
                [result.msg_id for result in results],
                [None if r.metadata is None else Jsonb(r.metadata) for r in results],
            ),
        )
        rows = cursor.fetchall()
    return sorted(rows, key=lambda row: row.name)


def results_of_runs(connection: Connection, run_ids: Sequence[UUID]) -> list[ResultRow]:
    with connection.cursor(row_factory=class_row(ResultRow)) as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM run_results WHERE run_id = ANY(%s) ORDER BY run_id, name",
            (list(run_ids),),
        )
        return cursor.fetchall()
