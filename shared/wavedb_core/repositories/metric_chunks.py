"""Metric chunks (docs/columnar-store.md): the rows that hold a series' points, encoded
by services/chunk_codec.py. Chunks of a series never overlap in steps.

`insert_chunks` writes encoded chunks with one binary COPY; `chunks_overlapping` and
`chunk_rows` read them back (encoded), ordered by first step.

The writers (the ingest worker, the conversion of legacy rows) rewrite whole chunks: for
each series they read `chunks_to_rewrite` (the chunks a step range overlaps, plus the
chunk just before it while that one is not full, so appends extend the series' tail
instead of leaving small chunks behind), merge, `delete_series_chunks` and
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
    metric_id: int
    first_step: int
    last_step: int


def chunks_to_rewrite(
    connection: Connection, ranges: Sequence[SeriesRange]
) -> dict[int, list[StoredChunk]]:
    """For each series, by first step: its chunks holding any step of the range, and the
    chunk just before the range when that one is not full (CHUNK_POINTS).

    Chunks never overlap, so the chunks a range overlaps are those starting inside it plus
    at most one starting before it: two index range reads, whatever the series' length."""
    if not ranges:
        return {}
    query = (
        f"SELECT r.metric_id, c.* FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[])"
        " AS r(metric_id, low, high)"
        " CROSS JOIN LATERAL ("
        f"  (SELECT {_STORED_COLUMNS} FROM metric_chunks c WHERE c.metric_id = r.metric_id"
        "    AND c.first_step < r.low ORDER BY c.first_step DESC LIMIT 1)"
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
            ),
        ).fetchall()
    low_of = {item.metric_id: item.first_step for item in ranges}
    for metric_id, *columns in rows:
        chunk = StoredChunk(*columns)
        before = chunk.first_step < low_of[metric_id]
        if before and chunk.last_step < low_of[metric_id] and chunk.points >= CHUNK_POINTS:
            continue  # a full chunk wholly before the range: left as it is
        found.setdefault(metric_id, []).append(chunk)
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
