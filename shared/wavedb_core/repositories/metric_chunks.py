"""Metric chunks (docs/columnar-store.md): the rows that hold a series' points, encoded
by services/chunk_codec.py. Chunks of a series never overlap in steps.

`insert_chunks` writes encoded chunks with one binary COPY; `chunks_overlapping` and
`chunk_rows` read them back (encoded), ordered by first step.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from psycopg.rows import args_row

from wavedb_core.db.connection import Connection
from wavedb_core.services.chunk_codec import Columns, EncodedChunk, decode_chunk

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
    with (
        connection.cursor() as cursor,
        cursor.copy(
            f"COPY metric_chunks ({_AGGREGATE_COLUMNS}, steps, logged, vals, blocks)"
            " FROM STDIN (FORMAT BINARY)"
        ) as copy,
    ):
        copy.set_types(_COPY_TYPES)
        for chunk in chunks:
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
