"""The conversion of legacy metric rows (one row of metric_points per point, plus
metric_rollups) into chunks (docs/columnar-store.md, "Migration").

One series at a time, in bounded transactions: a transaction locks the series' progress
row and run_metrics row (skipping a series another transaction holds: a worker writing its
points, or another conversion), reads about `batch_points` legacy rows after
`done_through_step` (every row of the last step it reaches), keeps one point per step by
the rule (the point logged last wins; on equal times the row stored later), merges them
with the chunks the series has already by the same rule (chunks were written later, so
they win a tie), rewrites those chunks, keeps the extras (msg_id, metadata) of the points
kept, deletes the converted rows and advances `done_through_step`. The transaction that
moves a series' last rows takes its summary again from its chunks and deletes its rollups
and progress row. A crash loses at most the transaction in flight; running again resumes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from wavedb_core.db.connection import Connection
from wavedb_core.repositories import (
    chunk_migration,
    metric_chunks,
    metric_point_extras,
    run_metrics,
)
from wavedb_core.repositories.metric_chunks import SeriesRange
from wavedb_core.repositories.metric_point_extras import PointExtras
from wavedb_core.services.chunk_codec import (
    CHUNK_POINTS,
    concatenated,
    cut_chunks,
    merge_latest,
    sorted_latest,
)

BATCH_POINTS = 100_000


@dataclass(frozen=True)
class ConversionStep:
    metric_id: int
    points_moved: int
    series_done: bool


@dataclass(frozen=True)
class ConversionProgress:
    series_done: int
    points_moved: int
    series_left: int

    @property
    def more_to_do(self) -> bool:
        return self.series_left > 0


def convert_next(connection: Connection, batch_points: int = BATCH_POINTS) -> ConversionStep | None:
    """One transaction of the conversion; None when no series is left to claim."""
    with connection.transaction():
        series = chunk_migration.claim_series(connection)
        if series is None:
            return None
        metric_id, after = series.metric_id, series.done_through_step
        through = chunk_migration.last_step_within(connection, metric_id, after, batch_points)
        legacy = chunk_migration.legacy_columns(connection, metric_id, after, through)
        moved = len(legacy.steps)
        if moved:
            _move_rows(connection, metric_id, after, through, legacy)
        if through is None:
            last = metric_chunks.last_chunk(connection, metric_id)
            last_us = None if last is None else last.decoded().times_us[-1]
            run_metrics.summarise_from_chunks(connection, metric_id, last_us)
            chunk_migration.finish_series(connection, metric_id)
        else:
            chunk_migration.advance(connection, metric_id, through)
    return ConversionStep(metric_id, moved, through is None)


def _move_rows(
    connection: Connection,
    metric_id: int,
    after: int | None,
    through: int | None,
    legacy: chunk_migration.LegacyColumns,
) -> None:
    kept = sorted_latest(legacy.steps, legacy.values, legacy.times_us)
    # A bulk write: every unfilled chunk before it is taken in (a write's size of a whole
    # chunk), so the series ends up in full chunks, not in the tail of an append pattern.
    ranges = [SeriesRange(metric_id, kept.steps[0], kept.steps[-1], CHUNK_POINTS)]
    stored = metric_chunks.chunks_to_rewrite(connection, ranges).get(metric_id, [])
    chunked = concatenated([chunk.decoded() for chunk in stored])
    merged = merge_latest(kept, chunked)  # chunks were written later: they win a tie
    extras = chunk_migration.legacy_extras(connection, metric_id, after, through)
    if len(merged) < len(kept) + len(chunked):
        # A step both in rows and in chunks: the extras go with the point the rule kept.
        chunk_times = dict(zip(chunked.steps, chunked.times_us, strict=True))
        legacy_won = [
            step
            for step, logged in zip(kept.steps, kept.times_us, strict=True)
            if step in chunk_times and logged > chunk_times[step]
        ]
        metric_point_extras.delete_extras(connection, [metric_id] * len(legacy_won), legacy_won)
        won = set(legacy_won)
        extras = [row for row in extras if row[0] not in chunk_times or row[0] in won]
    metric_chunks.delete_series_chunks(connection, [(metric_id, c.first_step) for c in stored])
    metric_chunks.insert_chunks(connection, metric_id, cut_chunks(merged))
    metric_point_extras.upsert_extras(
        connection,
        [PointExtras(metric_id, step, msg_id, metadata) for step, msg_id, metadata in extras],
    )
    chunk_migration.delete_legacy_rows(connection, metric_id, after, through)


def convert_legacy_points(
    connection: Connection,
    *,
    seconds: float,
    batch_points: int = BATCH_POINTS,
    clock: Callable[[], float] = time.monotonic,
) -> ConversionProgress:
    """Convert series until none is left to claim or `seconds` have passed (at least one
    transaction is run); `more_to_do` says whether a later run has work left."""
    deadline = clock() + seconds
    chunk_migration.list_unlisted_series(connection)
    series_done = points_moved = 0
    while True:
        step = convert_next(connection, batch_points)
        if step is None:
            break
        series_done += step.series_done
        points_moved += step.points_moved
        if clock() >= deadline:
            break
    return ConversionProgress(series_done, points_moved, chunk_migration.series_left(connection))
