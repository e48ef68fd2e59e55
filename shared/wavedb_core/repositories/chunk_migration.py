"""The conversion of legacy metric rows (metric_points, metric_rollups) into chunks:
`metric_chunk_migration` lists the series that still have legacy rows, with how far their
conversion went (`done_through_step`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg.rows import class_row, tuple_row

from wavedb_core.db.connection import Connection
from wavedb_core.db.rows import scalar_of


def series_in_conversion(connection: Connection, metric_ids: Sequence[int]) -> set[int]:
    """Which of the series still have legacy rows to convert."""
    with connection.cursor(row_factory=scalar_of(int)) as cursor:
        return set(
            cursor.execute(
                "SELECT metric_id FROM metric_chunk_migration WHERE metric_id = ANY(%s)",
                (list(metric_ids),),
            ).fetchall()
        )


def list_unlisted_series(connection: Connection) -> None:
    """List the series that have legacy rows but no progress row (written by a worker of
    the previous version after the list was made): one index probe per series."""
    connection.execute(
        "INSERT INTO metric_chunk_migration (metric_id)"
        " SELECT m.id FROM run_metrics m"
        " WHERE EXISTS (SELECT 1 FROM metric_points p WHERE p.metric_id = m.id)"
        " ON CONFLICT DO NOTHING"
    )


@dataclass(frozen=True)
class SeriesToConvert:
    metric_id: int
    done_through_step: int | None


def claim_series(connection: Connection) -> SeriesToConvert | None:
    """A series left to convert, its progress row and its run_metrics row locked (in the
    caller's transaction), skipping any series another transaction holds: a writer of its
    points or another conversion."""
    with connection.cursor(row_factory=class_row(SeriesToConvert)) as cursor:
        return cursor.execute(
            "SELECT g.metric_id, g.done_through_step FROM metric_chunk_migration g"
            " JOIN run_metrics m ON m.id = g.metric_id"
            " ORDER BY g.metric_id LIMIT 1 FOR UPDATE OF m, g SKIP LOCKED"
        ).fetchone()


def series_left(connection: Connection) -> int:
    with connection.cursor(row_factory=scalar_of(int)) as cursor:
        left = cursor.execute("SELECT count(*) FROM metric_chunk_migration").fetchone()
    assert left is not None
    return left


def last_step_within(
    connection: Connection, metric_id: int, after_step: int | None, points: int
) -> int | None:
    """The step of the `points`-th legacy row after `after_step` (None: fewer are left), so
    that a transaction converts about `points` rows and every row of its last step."""
    with connection.cursor(row_factory=scalar_of(int)) as cursor:
        return cursor.execute(
            "SELECT step FROM metric_points WHERE metric_id = %s AND step > %s"
            " ORDER BY step OFFSET %s LIMIT 1",
            (metric_id, _range(after_step, None)[0], points - 1),
        ).fetchone()


@dataclass(frozen=True)
class LegacyColumns:
    """Legacy rows of a step range as columns, by step, then logged time, then the order
    they were stored in (so the rule's "on equal times, the later" is the later row)."""

    steps: list[int]
    values: list[float]
    times_us: list[int]


def _range(after_step: int | None, through_step: int | None) -> tuple[int, int]:
    return (
        -1 if after_step is None else after_step,
        2**63 - 1 if through_step is None else through_step,
    )


_ROW_ORDER = "step, logged_at, ctid"
# Logged times in µs since the epoch, clamped to the years 1 to 9999 (what the readers hold;
# a legacy row may hold any time PostgreSQL does, ±infinity included).
_LOGGED_US = (
    "(extract(epoch FROM least(greatest(logged_at, timestamptz '0001-01-01 00:00:00+00'),"
    " timestamptz '9999-12-31 23:59:59.999999+00')) * 1000000)::bigint"
)


def legacy_columns(
    connection: Connection, metric_id: int, after_step: int | None, through_step: int | None
) -> LegacyColumns:
    """The legacy rows of the step range (after_step, through_step] as three arrays."""
    low, high = _range(after_step, through_step)
    with connection.cursor(row_factory=class_row(LegacyColumns)) as cursor:
        columns = cursor.execute(
            f"SELECT coalesce(array_agg(step ORDER BY {_ROW_ORDER}), '{{}}') AS steps,"
            f" coalesce(array_agg(value ORDER BY {_ROW_ORDER}), '{{}}') AS values,"
            f" coalesce(array_agg({_LOGGED_US} ORDER BY {_ROW_ORDER}), '{{}}') AS times_us"
            " FROM metric_points WHERE metric_id = %s AND step > %s AND step <= %s",
            (metric_id, low, high),
        ).fetchone()
    assert columns is not None
    return columns


def legacy_extras(
    connection: Connection, metric_id: int, after_step: int | None, through_step: int | None
) -> list[tuple[int, str | None, Any]]:
    """(step, msg_id, metadata) of the rows in the range that the rule keeps (the last of
    their step in row order) and that carry a msg_id or metadata."""
    low, high = _range(after_step, through_step)
    with connection.cursor(row_factory=tuple_row) as cursor:
        return cursor.execute(
            "SELECT step, msg_id::text, metadata FROM ("
            f" SELECT step, msg_id, metadata, lead(step) OVER (ORDER BY {_ROW_ORDER}) AS next"
            "  FROM metric_points WHERE metric_id = %s AND step > %s AND step <= %s) r"
            " WHERE next IS DISTINCT FROM step AND (msg_id IS NOT NULL OR metadata IS NOT NULL)",
            (metric_id, low, high),
        ).fetchall()


def delete_legacy_rows(
    connection: Connection, metric_id: int, after_step: int | None, through_step: int | None
) -> None:
    connection.execute(
        "DELETE FROM metric_points WHERE metric_id = %s AND step > %s AND step <= %s",
        (metric_id, *_range(after_step, through_step)),
    )


def advance(connection: Connection, metric_id: int, done_through_step: int) -> None:
    connection.execute(
        "UPDATE metric_chunk_migration SET done_through_step = %s WHERE metric_id = %s",
        (done_through_step, metric_id),
    )


def finish_series(connection: Connection, metric_id: int) -> None:
    """The series has no legacy row left: its rollups and progress row go."""
    connection.execute("DELETE FROM metric_rollups WHERE metric_id = %s", (metric_id,))
    connection.execute("DELETE FROM metric_chunk_migration WHERE metric_id = %s", (metric_id,))
