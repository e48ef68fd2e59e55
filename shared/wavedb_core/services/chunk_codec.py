"""The encoding of metric chunks (docs/columnar-store.md): pure functions, standard
library only, the same bytes on disk and on the wire.

A chunk holds up to CHUNK_POINTS points of one series with increasing, distinct steps.
Codec 1 stores each column as little-endian `array` bytes, byte-shuffled (all first
bytes, then all second bytes ...) and deflated with zlib level 1:
- `vals`: the float64 values, bit for bit (NaN payloads, +-Infinity, -0.0, subnormals);
- `logged`: the int64 differences between consecutive logged times in microseconds
  (count - 1 of them; the first time is the chunk's `first_us`);
- `steps`: the int64 steps, or None when they are consecutive (first_step .. last_step).
`blocks` holds a BLOCK_FORMAT summary of every BLOCK_POINTS points, so a chart can read
a chunk at block resolution without decoding its points.

Aggregates keep the meaning the summaries have always had: `count` counts every point;
`finite_count` and the sum the finite values only, the sum in two parts that cannot
overflow (`sum`: values under LARGE_SUM; `large_sum_scaled`: the others times SUM_SCALE);
`min`/`max` ignore NaN and include +-Infinity; `last_value` is the value at the last step.

A step logged twice keeps the point logged last (the later logged time; on equal times,
the one written later): see `merge_latest`.
"""

from __future__ import annotations

import itertools
import math
import operator
import struct
import zlib
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

CHUNK_POINTS = 4096
BLOCK_POINTS = 256
CODEC_SHUFFLED_ZLIB = 1
LARGE_SUM = 1e270
SUM_SCALE = 2.0**-64
_COMPRESSION_LEVEL = 1
_WIDTH = 8  # bytes per int64 / float64

# first step, count, finite count, sum, large sum scaled, min, max, last value
# (NaN in sum/large/min/max where the block has nothing to add up or compare).
BLOCK_FORMAT = struct.Struct("<qii5d")


@dataclass(frozen=True, slots=True)
class Columns:
    """Points of one series as three parallel lists, sorted by step, steps distinct."""

    steps: list[int]
    values: list[float]
    times_us: list[int]

    def __len__(self) -> int:
        return len(self.steps)

    def slice(self, start: int, stop: int) -> Columns:
        return Columns(self.steps[start:stop], self.values[start:stop], self.times_us[start:stop])


@dataclass(frozen=True, slots=True)
class Aggregates:
    count: int
    finite_count: int
    sum: float | None
    large_sum_scaled: float | None
    min: float | None
    max: float | None
    last_value: float


@dataclass(frozen=True, slots=True)
class BlockSummary(Aggregates):
    """The aggregates of up to BLOCK_POINTS consecutive points of a chunk."""

    first_step: int


@dataclass(frozen=True, slots=True)
class EncodedChunk:
    first_step: int
    last_step: int
    count: int
    aggregates: Aggregates
    first_us: int
    last_us: int
    steps: bytes | None
    logged: bytes
    vals: bytes
    blocks: bytes
    codec: int = CODEC_SHUFFLED_ZLIB


# ---------------------------------------------------------------- byte columns


def _shuffled(raw: bytes) -> bytes:
    """Byte-transpose: slicing with a step runs at C speed."""
    return b"".join(raw[offset::_WIDTH] for offset in range(_WIDTH))


def _unshuffled(data: bytes) -> bytes:
    out = bytearray(len(data))
    count = len(data) // _WIDTH
    for offset in range(_WIDTH):
        out[offset::_WIDTH] = data[offset * count : (offset + 1) * count]
    return bytes(out)


def encode_column(typecode: str, numbers: Sequence[int] | Sequence[float]) -> bytes:
    packed = array(typecode, numbers)
    if packed.itemsize != _WIDTH:  # pragma: no cover - every supported platform has 8
        raise RuntimeError(f"array {typecode!r} is not 8 bytes wide here")
    raw = packed.tobytes() if _LITTLE_ENDIAN else _byteswapped(packed)
    return zlib.compress(_shuffled(raw), _COMPRESSION_LEVEL)


def decode_column(typecode: str, data: bytes) -> array:  # type: ignore[type-arg]
    packed = array(typecode)
    packed.frombytes(_unshuffled(zlib.decompress(data)))
    if not _LITTLE_ENDIAN:  # pragma: no cover
        packed.byteswap()
    return packed


_LITTLE_ENDIAN = array("H", [1]).tobytes() == b"\x01\x00"


def _byteswapped(packed: array) -> bytes:  # type: ignore[type-arg]  # pragma: no cover
    copy = array(packed.typecode, packed)
    copy.byteswap()
    return copy.tobytes()


# ---------------------------------------------------------------- aggregates


def split_sum(finite: Sequence[float]) -> tuple[float | None, float | None]:
    """The sum of finite values in two parts that cannot overflow."""
    small = [value for value in finite if abs(value) < LARGE_SUM]
    large = [value * SUM_SCALE for value in finite if abs(value) >= LARGE_SUM]
    return (math.fsum(small) if small else None, math.fsum(large) if large else None)


def aggregate(values: Sequence[float]) -> Aggregates:
    """Aggregates of a non-empty list of values, with builtins over the whole list in the
    common case (all finite, none near the float limit) and a per-value pass otherwise."""
    low, high = min(values), max(values)
    if low > -LARGE_SUM and high < LARGE_SUM:  # False for NaN and +-Infinity too
        total = math.fsum(values)  # NaN when a NaN or an infinity hid from min/max
        if math.isfinite(total):
            return Aggregates(len(values), len(values), total, None, low, high, values[-1])
    finite = [value for value in values if math.isfinite(value)]
    not_nan = [value for value in values if not math.isnan(value)]
    small, large = split_sum(finite)
    return Aggregates(
        count=len(values),
        finite_count=len(finite),
        sum=small,
        large_sum_scaled=large,
        min=min(not_nan) if not_nan else None,
        max=max(not_nan) if not_nan else None,
        last_value=values[-1],
    )


def _block_bytes(steps: Sequence[int], values: Sequence[float]) -> bytes:
    parts = []
    for start in range(0, len(values), BLOCK_POINTS):
        summary = aggregate(values[start : start + BLOCK_POINTS])
        parts.append(
            BLOCK_FORMAT.pack(
                steps[start],
                summary.count,
                summary.finite_count,
                math.nan if summary.sum is None else summary.sum,
                math.nan if summary.large_sum_scaled is None else summary.large_sum_scaled,
                math.nan if summary.min is None else summary.min,
                math.nan if summary.max is None else summary.max,
                summary.last_value,
            )
        )
    return b"".join(parts)


def _or_none(value: float) -> float | None:
    return None if math.isnan(value) else value


def decode_blocks(blocks: bytes) -> list[BlockSummary]:
    return [
        BlockSummary(
            first_step=first_step,
            count=count,
            finite_count=finite_count,
            sum=_or_none(total),
            large_sum_scaled=_or_none(large),
            min=_or_none(low),
            max=_or_none(high),
            last_value=last,
        )
        for first_step, count, finite_count, total, large, low, high, last in (
            BLOCK_FORMAT.iter_unpack(blocks)
        )
    ]


# ---------------------------------------------------------------- chunks


def encode_chunk(points: Columns) -> EncodedChunk:
    """One chunk from sorted points with distinct steps (1..CHUNK_POINTS of them)."""
    count = len(points)
    if not 1 <= count <= CHUNK_POINTS:
        raise ValueError(f"a chunk holds 1 to {CHUNK_POINTS} points, not {count}")
    steps, values, times = points.steps, points.values, points.times_us
    first_step, last_step = steps[0], steps[-1]
    consecutive = last_step - first_step == count - 1
    deltas = list(map(operator.sub, times[1:], times[:-1]))  # C-speed pairwise differences
    return EncodedChunk(
        first_step=first_step,
        last_step=last_step,
        count=count,
        aggregates=aggregate(values),
        first_us=times[0],
        last_us=max(times),
        steps=None if consecutive else encode_column("q", steps),
        logged=encode_column("q", deltas),
        vals=encode_column("d", values),
        blocks=_block_bytes(steps, values),
    )


def decode_chunk(
    first_step: int,
    count: int,
    first_us: int,
    steps: bytes | None,
    logged: bytes,
    vals: bytes,
    codec: int = CODEC_SHUFFLED_ZLIB,
) -> Columns:
    if codec != CODEC_SHUFFLED_ZLIB:
        raise ValueError(f"unknown chunk codec {codec}")
    step_list = (
        list(range(first_step, first_step + count))
        if steps is None
        else decode_column("q", steps).tolist()
    )
    times = list(itertools.accumulate(decode_column("q", logged).tolist(), initial=first_us))
    values = decode_column("d", vals).tolist()
    if not len(step_list) == len(times) == len(values) == count:
        raise ValueError("a chunk's columns disagree on its number of points")
    return Columns(step_list, values, times)


def concatenated(parts: Sequence[Columns]) -> Columns:
    """Columns of consecutive, disjoint chunks (in step order) as one."""
    if len(parts) == 1:
        return parts[0]
    steps: list[int] = []
    values: list[float] = []
    times: list[int] = []
    for part in parts:
        steps += part.steps
        values += part.values
        times += part.times_us
    return Columns(steps, values, times)


def cut_chunks(points: Columns, size: int = CHUNK_POINTS) -> Iterator[EncodedChunk]:
    """Sorted, distinct points as chunks of `size` (the last one possibly shorter)."""
    for start in range(0, len(points), size):
        yield encode_chunk(points.slice(start, start + size))


# ---------------------------------------------------------------- ordering and the rule


def sorted_latest(
    steps: Sequence[int], values: Sequence[float], times_us: Sequence[int]
) -> Columns:
    """Points in any order, possibly with a step more than once, as sorted columns with
    one point per step: the point logged last wins; on equal times, the later in the
    input. Sorted input with distinct steps (what training loops send) takes one check."""
    step_list, value_list, time_list = list(steps), list(values), list(times_us)
    if all(earlier < later for earlier, later in itertools.pairwise(step_list)):
        return Columns(step_list, value_list, time_list)
    winner: dict[int, int] = {}
    for index, step in enumerate(step_list):
        kept = winner.get(step)
        if kept is None or time_list[index] >= time_list[kept]:
            winner[step] = index
    order = sorted(winner.values(), key=step_list.__getitem__)
    return Columns(
        [step_list[i] for i in order], [value_list[i] for i in order], [time_list[i] for i in order]
    )


def merge_latest(stored: Columns, incoming: Columns) -> Columns:
    """Stored points and newly written ones (both sorted, distinct steps) as one sorted
    series: at a step in both, the point logged later wins, the incoming one on a tie."""
    if not stored:
        return incoming
    if not incoming:
        return stored
    if stored.steps[-1] < incoming.steps[0]:  # an append: the common case
        return Columns(
            stored.steps + incoming.steps,
            stored.values + incoming.values,
            stored.times_us + incoming.times_us,
        )
    return sorted_latest(
        stored.steps + incoming.steps,
        stored.values + incoming.values,
        stored.times_us + incoming.times_us,
    )
