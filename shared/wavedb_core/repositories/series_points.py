"""Reading a series' points where they are: chunks (metric_chunks), legacy rows
(metric_points) of series not yet converted, and the extras of Tora-compatible points.

Every read is bounded: chunks come a batch at a time by first step, legacy rows a page at
a time by step, so a reader of any length holds one batch in memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple
from uuid import UUID

from psycopg.pq import TransactionStatus
from psycopg.rows import args_row, tuple_row

from wavedb_core.db.connection import Connection
from wavedb_core.repositories.metric_chunks import StoredChunk
from wavedb_core.repositories.split_sums import STORED_SPLIT_SUM

FIRST_STEP = -(2**63)
LAST_STEP = 2**63 - 1
CHUNK_BATCH = 32  # chunks of up to 4,096 points read at a time: ~1 MB at rest
_STORED_COLUMNS = (
    "first_step, last_step, count AS points, codec, first_us, last_us, steps, logged, vals"
)
# Logged times in µs since the epoch, clamped to what Python's datetime holds (years 1 to
# 9999: a stored time may be anything PostgreSQL holds, ±infinity included).
_LOGGED_US = (
    "(extract(epoch FROM least(greatest(logged_at, timestamptz '0001-01-01 00:00:00+00'),"
    " timestamptz '9999-12-31 23:59:59.999999+00')) * 1000000)::bigint"
)


@contextmanager
def one_snapshot(connection: Connection) -> Iterator[None]:
    """Reads within the block see the database as it was at their first query (a
    read-only REPEATABLE READ transaction): a series read a batch of chunks at a time is
    not torn by a worker recutting its chunks in between. Within a transaction already
    open, the reads are that transaction's."""
    if connection.info.transaction_status != TransactionStatus.IDLE:
        yield
        return
    with connection.transaction():
        connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


@dataclass(frozen=True, slots=True)
class SeriesSource:
    """Where a series' points are: in chunks, in legacy rows past `legacy_after`, or both
    (a series being converted)."""

    metric_id: int
    has_chunks: bool
    reads_legacy: bool
    legacy_after: int  # legacy rows with a step above this are read

    @property
    def converting(self) -> bool:
        return self.has_chunks and self.reads_legacy


def series_sources(connection: Connection, metric_ids: Sequence[int]) -> dict[int, SeriesSource]:
    """Legacy rows are read for a series without any chunk (all of them) and for a series
    with chunks that still has legacy rows (above its done_through_step when it is listed
    in metric_chunk_migration; all of them when it is not, as for a series an older
    version wrote rows of after the migration listed the others). One index probe each."""
    with connection.cursor(row_factory=tuple_row) as cursor:
        rows = cursor.execute(
            "SELECT m.id, EXISTS (SELECT 1 FROM metric_chunks c WHERE c.metric_id = m.id),"
            " EXISTS (SELECT 1 FROM metric_points p WHERE p.metric_id = m.id"
            "  AND p.step > coalesce(g.done_through_step, %s)),"
            " coalesce(g.done_through_step, %s)"
            " FROM unnest(%s::bigint[]) AS m(id)"
            " LEFT JOIN metric_chunk_migration g ON g.metric_id = m.id",
            (FIRST_STEP, FIRST_STEP, list(metric_ids)),
        ).fetchall()
    return {
        metric_id: SeriesSource(
            metric_id=metric_id,
            has_chunks=has_chunks,
            reads_legacy=has_legacy or not has_chunks,
            legacy_after=legacy_after,
        )
        for metric_id, has_chunks, has_legacy, legacy_after in rows
    }


# ---------------------------------------------------------------- chunks


def chunk_batches(
    connection: Connection,
    metric_id: int,
    first_step: int,
    last_step: int,
    *,
    descending: bool = False,
    batch: int = CHUNK_BATCH,
) -> Iterator[list[StoredChunk]]:
    """The series' chunks holding a step in first_step..last_step, `batch` at a time, by
    first step (keyset on the primary key)."""
    with connection.cursor(binary=True, row_factory=args_row(StoredChunk)) as cursor:
        if descending:
            bound = last_step
            while True:
                rows = cursor.execute(
                    f"SELECT {_STORED_COLUMNS} FROM metric_chunks WHERE metric_id = %s"
                    " AND first_step <= %s AND last_step >= %s"
                    " ORDER BY first_step DESC LIMIT %s",
                    (metric_id, bound, first_step, batch),
                ).fetchall()
                if rows:
                    yield rows
                if len(rows) < batch or rows[-1].first_step == FIRST_STEP:
                    return
                bound = rows[-1].first_step - 1
        low = _first_chunk_start(connection, metric_id, first_step)
        while True:
            rows = cursor.execute(
                f"SELECT {_STORED_COLUMNS} FROM metric_chunks WHERE metric_id = %s"
                " AND first_step >= %s AND first_step <= %s AND last_step >= %s"
                " ORDER BY first_step LIMIT %s",
                (metric_id, low, last_step, first_step, batch),
            ).fetchall()
            if rows:
                yield rows
            if len(rows) < batch or rows[-1].first_step == LAST_STEP:
                return
            low = rows[-1].first_step + 1


def _first_chunk_start(connection: Connection, metric_id: int, first_step: int) -> int:
    """The first step of the chunk that may hold `first_step` (a chunk starting at or
    before it), or `first_step` itself: where an ascending read starts on the key."""
    with connection.cursor(row_factory=tuple_row) as cursor:
        row = cursor.execute(
            "SELECT max(first_step) FROM metric_chunks WHERE metric_id = %s AND first_step <= %s",
            (metric_id, first_step),
        ).fetchone()
    return first_step if row is None or row[0] is None else int(row[0])


class ChunkCount(NamedTuple):
    points: int
    chunks: int


def chunk_points_between(
    connection: Connection, metric_id: int, first_step: int, last_step: int
) -> ChunkCount:
    """How many points the chunks overlapping the steps hold (from their counts)."""
    with connection.cursor(row_factory=tuple_row) as cursor:
        row = cursor.execute(
            "SELECT coalesce(sum(count), 0)::bigint, count(*) FROM metric_chunks"
            " WHERE metric_id = %s AND first_step <= %s AND last_step >= %s",
            (metric_id, last_step, first_step),
        ).fetchone()
    return ChunkCount(0, 0) if row is None else ChunkCount(int(row[0]), int(row[1]))


class ChunkBlocks(NamedTuple):
    """What a chart read at block resolution needs of a chunk."""

    first_step: int
    last_step: int
    points: int
    first_us: int
    last_us: int
    codec: int
    steps: bytes | None
    blocks: bytes


def chunk_blocks_within(
    connection: Connection, metric_id: int, first_step: int, last_step: int
) -> list[ChunkBlocks]:
    """Chunks lying wholly within the steps, with their block summaries, by first step."""
    with connection.cursor(binary=True, row_factory=args_row(ChunkBlocks)) as cursor:
        return cursor.execute(
            "SELECT first_step, last_step, count, first_us, last_us, codec, steps, blocks"
            " FROM metric_chunks WHERE metric_id = %s AND first_step >= %s AND last_step <= %s"
            " ORDER BY first_step",
            (metric_id, first_step, last_step),
        ).fetchall()


class ChunkBucket(NamedTuple):
    """Aggregates of the whole chunks whose first step lies in one output bucket."""

    slot: int
    first_step: int
    point_count: int
    finite_count: int
    small_sum: float | None  # the finite values under LARGE_SUM
    large_sum_scaled: float | None  # the others, times SUM_SCALE
    min: float | None
    max: float | None
    last_step: int
    last_value: float
    last_us: int


def chunk_buckets(
    connection: Connection, metric_id: int, *, first_step: int, last_step: int, width: int
) -> list[ChunkBucket]:
    """Aggregates of the chunks lying wholly within the steps, grouped by the bucket of
    their first step (slot = first_step div width)."""
    with connection.cursor(row_factory=args_row(ChunkBucket)) as cursor:
        return cursor.execute(
            "SELECT first_step / %(width)s AS slot, min(first_step) AS first_step,"
            " sum(count)::bigint AS point_count,"
            " sum(finite_count)::bigint AS finite_count,"
            f" {STORED_SPLIT_SUM}, min(min) AS min, max(max) AS max,"
            " max(last_step) AS last_step,"
            " (array_agg(last_value ORDER BY last_step DESC))[1] AS last_value,"
            " max(last_us) AS last_us"
            " FROM metric_chunks WHERE metric_id = %(id)s"
            " AND first_step >= %(first)s AND last_step <= %(last)s"
            " GROUP BY first_step / %(width)s ORDER BY slot",
            {"width": width, "id": metric_id, "first": first_step, "last": last_step},
        ).fetchall()


# ---------------------------------------------------------------- legacy rows


class LegacyPoint(NamedTuple):
    step: int
    value: float
    logged_us: int


def legacy_points(
    connection: Connection,
    metric_id: int,
    *,
    after_step: int,
    through_step: int,
    limit: int,
    latest_only: bool,
    descending: bool = False,
) -> list[LegacyPoint]:
    """Up to `limit` legacy rows with after_step < step <= through_step, by step (then
    logged time). `latest_only`: one row per step, the one logged last (on equal times,
    the one stored last). Without it, every row; a page may then end inside a step (the
    caller pages by whole steps)."""
    direction = "DESC" if descending else ""
    distinct = "DISTINCT ON (step) " if latest_only else ""
    time_order = "DESC" if latest_only or descending else ""
    with connection.cursor(row_factory=args_row(LegacyPoint)) as cursor:
        return cursor.execute(
            f"SELECT {distinct}step, value, {_LOGGED_US} FROM metric_points"
            " WHERE metric_id = %s AND step > %s AND step <= %s"
            f" ORDER BY step {direction}, logged_at {time_order}, ctid {time_order} LIMIT %s",
            (metric_id, after_step, through_step, limit),
        ).fetchall()


def has_legacy_points(
    connection: Connection, metric_id: int, *, after_step: int, through_step: int
) -> bool:
    with connection.cursor(row_factory=tuple_row) as cursor:
        row = cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM metric_points WHERE metric_id = %s"
            " AND step > %s AND step <= %s)",
            (metric_id, after_step, through_step),
        ).fetchone()
    return bool(row and row[0])


# ---------------------------------------------------------------- extras


class PointExtras(NamedTuple):
    msg_id: UUID | None
    metadata: dict[str, Any] | None


def point_extras(
    connection: Connection, metric_id: int, steps: Sequence[int]
) -> tuple[dict[int, PointExtras], dict[tuple[int, int], PointExtras]]:
    """msg_id and metadata of the points at the steps: by step from metric_point_extras
    (points in chunks), by (step, logged µs) from legacy rows."""
    step_list = list(steps)
    with connection.cursor(row_factory=tuple_row) as cursor:
        chunked = cursor.execute(
            "SELECT step, msg_id, metadata FROM metric_point_extras"
            " WHERE metric_id = %s AND step = ANY(%s)",
            (metric_id, step_list),
        ).fetchall()
        legacy = cursor.execute(
            f"SELECT step, {_LOGGED_US}, msg_id, metadata FROM metric_points"
            " WHERE metric_id = %s AND step = ANY(%s)"
            " AND (msg_id IS NOT NULL OR metadata IS NOT NULL)",
            (metric_id, step_list),
        ).fetchall()
    return (
        {step: PointExtras(msg_id, metadata) for step, msg_id, metadata in chunked},
        {(step, us): PointExtras(msg_id, metadata) for step, us, msg_id, metadata in legacy},
    )
