"""Metric chunks (docs/columnar-store.md): the rows that hold a series' points, encoded
by services/chunk_codec.py. Chunks of a series never overlap in steps.

`insert_chunks` writes encoded chunks with one binary COPY; `chunks_overlapping` and
`chunk_rows` read them back (encoded), ordered by first step.

The writers (the ingest worker, the conversion of legacy rows) rewrite whole chunks: for
each series they read `chunks_to_rewrite` (the chunks a step range overlaps, plus the
unfilled chunks just before it that the write should take in, so that appends fill
chunks instead of leaving small ones behind), merge, `delete_series_chunks` and
`insert_series_chunks`, all in one transaction, under the series' run_metrics row lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from psycopg.rows import args_row, tuple_row

from wavedb_core.db.connection import Connection
from wavedb_core.services.chunk_codec import (
    CHUNK_POINTS,
    Columns,
    EncodedChunk,
    concatenated,
    decode_chunk,
)

_AGGREGATE_COLUMNS = (
    "metric_id, first_step, last_step, count, codec, finite_count, sum, large_sum_scaled,"
    " min, max, last_value, first_us, last_us"
)
_COPY_TYPES = [
    "int8", "int8", "int8", "int4", "int2", "int4", "float8", "float8",
    "float8", "float8", "float8", "int8", "int8", "bytea", "bytea", "bytea", "bytea",
]  # fmt: skip


class StoredChunk(NamedTuple):
    """A chunk as read back: where it is, and its encoded points."""

    first_step: int
    last_step: int
    points: int
    codec: int
    first_us: int
    last_us: int
    steps: bytes | None
    logged: bytes
    vals: bytes

    def decoded(self) -> Columns:
        return decode_chunk(
            self.first_step,
            self.points,
            self.first_us,
            self.steps,
            self.logged,
            self.vals,
            self.codec,
        )


_STORED_COLUMNS = (
    "first_step, last_step, count AS points, codec, first_us, last_us, steps, logged, vals"
)


def insert_chunks(connection: Connection, metric_id: int, chunks: Iterable[EncodedChunk]) -> None:
    """Write chunks of one series (they must not overlap each other or stored chunks)."""
    insert_series_chunks(connection, ((metric_id, chunk) for chunk in chunks))


def insert_series_chunks(
    connection: Connection, chunks: Iterable[tuple[int, EncodedChunk]]
) -> None:
    """Write (metric id, chunk) pairs of any series with one COPY (none may overlap another
    chunk of its series)."""
    with (
        connection.cursor() as cursor,
        cursor.copy(
            f"COPY metric_chunks ({_AGGREGATE_COLUMNS}, steps, logged, vals, blocks)"
            " FROM STDIN (FORMAT BINARY)"
        ) as copy,
    ):
        copy.set_types(_COPY_TYPES)
        for metric_id, chunk in chunks:
            totals = chunk.aggregates
            copy.write_row(
                (
                    metric_id, chunk.first_step, chunk.last_step, chunk.count, chunk.codec,
                    totals.finite_count, totals.sum, totals.large_sum_scaled, totals.min,
                    totals.max, totals.last_value, chunk.first_us, chunk.last_us,
                    chunk.steps, chunk.logged, chunk.vals, chunk.blocks,
                )
            )  # fmt: skip


def chunks_overlapping(
    connection: Connection, metric_id: int, first_step: int, last_step: int
) -> list[StoredChunk]:
    """The series' chunks holding any step in first_step..last_step, by first step."""
    with connection.cursor(binary=True, row_factory=args_row(StoredChunk)) as cursor:
        return cursor.execute(
            f"SELECT {_STORED_COLUMNS} FROM metric_chunks WHERE metric_id = %s"
            " AND first_step <= %s AND last_step >= %s ORDER BY first_step",
            (metric_id, last_step, first_step),
        ).fetchall()


def delete_chunks(connection: Connection, metric_id: int, first_steps: Iterable[int]) -> None:
    connection.execute(
        "DELETE FROM metric_chunks WHERE metric_id = %s AND first_step = ANY(%s)",
        (metric_id, list(first_steps)),
    )


class SeriesRange(NamedTuple):
    """The steps a write covers in a series, and its size in points (the larger, the more
    unfilled chunks before it the write takes in)."""

    metric_id: int
    first_step: int
    last_step: int
    points: int


_PASSED_COLUMNS = "first_step, last_step, points, codec, first_us, last_us, steps, logged, vals"
# How many chunks before a write's first step are looked at for merging (the unfilled
# chunks at a series' end number about log2(CHUNK_POINTS / points per write) + 1).
_PRECEDING_LOOKED_AT = 16


def chunks_to_rewrite(
    connection: Connection, ranges: Sequence[SeriesRange]
) -> dict[int, list[StoredChunk]]:
    """For each series, by first step: its chunks holding any step of the range, and the
    unfilled chunks just before the range that the write should take in.

    Chunks never overlap, so the chunks a range overlaps are those starting inside it plus
    at most one starting before it. Before the range, walking back from it, an unfilled
    chunk is taken in while it holds no more points than the write plus the chunks taken
    so far (as a binary counter carries): appends of n points leave about
    log2(CHUNK_POINTS / n) unfilled chunks at a series' end, and each point is re-encoded
    about that many times before its chunk is full, instead of once per write (a write
    that always took in the whole unfilled tail re-encoded ~CHUNK_POINTS / 2n times).
    Index range reads only, whatever the series' length."""
    if not ranges:
        return {}
    query = (
        "SELECT r.metric_id, c.* FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[],"
        "  %s::bigint[]) AS r(metric_id, low, high, n)"
        " CROSS JOIN LATERAL ("
        f"  (SELECT {_PASSED_COLUMNS} FROM ("
        "    SELECT p.*, bool_and(p.take) OVER (ORDER BY p.first_step DESC) AS taken FROM ("
        "     SELECT q.*, q.last_step >= r.low OR (q.points < %s AND q.points <= r.n"
        "       + coalesce(sum(q.points) OVER (ORDER BY q.first_step DESC"
        "         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)) AS take"
        f"     FROM (SELECT {_STORED_COLUMNS} FROM metric_chunks c"
        "       WHERE c.metric_id = r.metric_id AND c.first_step < r.low"
        "       ORDER BY c.first_step DESC LIMIT %s) q"
        "    ) p"
        "   ) t WHERE t.taken)"
        "  UNION ALL"
        f"  (SELECT {_STORED_COLUMNS} FROM metric_chunks c WHERE c.metric_id = r.metric_id"
        "    AND c.first_step BETWEEN r.low AND r.high)"
        " ) c"
        " ORDER BY r.metric_id, c.first_step"
    )
    found: dict[int, list[StoredChunk]] = {}
    with connection.cursor(binary=True, row_factory=tuple_row) as cursor:
        rows = cursor.execute(
            query,
            (
                [item.metric_id for item in ranges],
                [item.first_step for item in ranges],
                [item.last_step for item in ranges],
                [item.points for item in ranges],
                CHUNK_POINTS,
                _PRECEDING_LOOKED_AT,
            ),
        ).fetchall()
    for metric_id, *columns in rows:
        found.setdefault(metric_id, []).append(StoredChunk(*columns))
    return found


def delete_series_chunks(connection: Connection, chunks: Sequence[tuple[int, int]]) -> None:
    """Delete chunks given as (metric id, first step) pairs."""
    if not chunks:
        return
    connection.execute(
        "DELETE FROM metric_chunks c USING unnest(%s::bigint[], %s::bigint[]) AS d(m, s)"
        " WHERE c.metric_id = d.m AND c.first_step = d.s",
        ([metric_id for metric_id, _ in chunks], [first for _, first in chunks]),
    )


def stored_points(connection: Connection, metric_id: int) -> Columns:
    """Every point of a series, decoded, by step (for checks and small series only)."""
    with connection.cursor(binary=True, row_factory=args_row(StoredChunk)) as cursor:
        chunks = cursor.execute(
            f"SELECT {_STORED_COLUMNS} FROM metric_chunks WHERE metric_id = %s ORDER BY first_step",
            (metric_id,),
        ).fetchall()
    return concatenated([chunk.decoded() for chunk in chunks])


def last_chunk(connection: Connection, metric_id: int) -> StoredChunk | None:
    """The series' chunk with the highest steps."""
    with connection.cursor(binary=True, row_factory=args_row(StoredChunk)) as cursor:
        return cursor.execute(
            f"SELECT {_STORED_COLUMNS} FROM metric_chunks WHERE metric_id = %s"
            " ORDER BY first_step DESC LIMIT 1",
            (metric_id,),
        ).fetchone()
