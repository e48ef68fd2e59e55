"""The chunk codec: bit-exact round trips, aggregates that keep their meaning, and the
rule for a step logged twice (the point logged last wins)."""

from __future__ import annotations

import math
import struct

from hypothesis import given
from hypothesis import strategies as st

from wavedb_core.services.chunk_codec import (
    BLOCK_POINTS,
    CHUNK_POINTS,
    Columns,
    aggregate,
    cut_chunks,
    decode_blocks,
    decode_chunk,
    encode_chunk,
    merge_latest,
    sorted_latest,
)


def _bits(values: list[float]) -> list[bytes]:
    return [struct.pack("<d", value) for value in values]


def _round_trip(points: Columns) -> Columns:
    chunk = encode_chunk(points)
    return decode_chunk(
        chunk.first_step, chunk.count, chunk.first_us, chunk.steps, chunk.logged, chunk.vals
    )


ODD_FLOATS = [
    math.nan,
    struct.unpack("<d", struct.pack("<Q", 0x7FF8_0000_DEAD_BEEF))[0],  # a NaN with a payload
    math.inf,
    -math.inf,
    -0.0,
    0.0,
    5e-324,
    -1.7976931348623157e308,
    1.7976931348623157e308,
    1.0,
]


def test_chunk_round_trip_keeps_every_value_bit_for_bit() -> None:
    points = Columns(
        list(range(len(ODD_FLOATS))), ODD_FLOATS, [1_700_000_000_000_000 + i for i in range(10)]
    )
    decoded = _round_trip(points)
    assert _bits(decoded.values) == _bits(points.values)
    assert decoded.steps == points.steps
    assert decoded.times_us == points.times_us


def test_chunk_of_consecutive_steps_stores_no_steps_and_sparse_steps_round_trip() -> None:
    consecutive = encode_chunk(Columns([5, 6, 7], [1.0, 2.0, 3.0], [10, 20, 30]))
    assert consecutive.steps is None
    sparse = Columns([0, 10, 2**63 - 1], [1.0, 2.0, 3.0], [30, 10, 20])  # times out of order
    assert _round_trip(sparse) == sparse
    assert encode_chunk(sparse).last_us == 30


@given(
    st.lists(
        st.tuples(
            st.integers(-(2**63), 2**63 - 1),
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(0, 2**62),
        ),
        min_size=1,
        max_size=600,
    )
)
def test_any_points_survive_sorting_cutting_and_decoding(
    raw: list[tuple[int, float, int]],
) -> None:
    steps, values, times = (list(column) for column in zip(*raw, strict=True))
    points = sorted_latest(steps, values, times)
    assert points.steps == sorted(set(steps))
    decoded: list[Columns] = [
        decode_chunk(c.first_step, c.count, c.first_us, c.steps, c.logged, c.vals)
        for c in cut_chunks(points, size=100)
    ]
    assert [step for part in decoded for step in part.steps] == points.steps
    assert _bits([v for part in decoded for v in part.values]) == _bits(points.values)
    assert [t for part in decoded for t in part.times_us] == points.times_us


def test_step_logged_twice_keeps_the_point_logged_last_or_written_last_on_a_tie() -> None:
    points = sorted_latest([3, 1, 3, 2, 1], [30.0, 10.0, 31.0, 20.0, 11.0], [5, 9, 4, 1, 9])
    assert points == Columns([1, 2, 3], [11.0, 20.0, 30.0], [9, 1, 5])


def test_merge_latest_appends_and_replaces_by_logged_time() -> None:
    stored = Columns([1, 2, 3], [1.0, 2.0, 3.0], [10, 20, 30])
    assert merge_latest(stored, Columns([4], [4.0], [40])).steps == [1, 2, 3, 4]
    resumed = merge_latest(stored, Columns([2, 3], [-2.0, -3.0], [50, 5]))
    assert resumed == Columns([1, 2, 3], [1.0, -2.0, 3.0], [10, 50, 30])


def test_aggregates_ignore_nan_in_min_max_and_sum_only_finite_values() -> None:
    totals = aggregate([1.0, math.nan, -math.inf, 3.0, math.nan])
    assert (totals.count, totals.finite_count, totals.sum) == (5, 2, 4.0)
    assert totals.min == -math.inf
    assert totals.max == 3.0
    assert math.isnan(totals.last_value)
    only_nan = aggregate([math.nan])
    assert (only_nan.min, only_nan.max, only_nan.sum, only_nan.finite_count) == (
        None,
        None,
        None,
        0,
    )


def test_aggregates_of_values_near_the_float_limit_do_not_overflow() -> None:
    totals = aggregate([1.7e308, 1.7e308, 2.0])
    assert totals.sum == 2.0
    assert totals.large_sum_scaled is not None
    assert math.isclose(totals.large_sum_scaled / 2.0**-64, 3.4e308)


def test_block_summaries_cover_every_point_of_a_full_chunk() -> None:
    values = [float(i % 97) for i in range(CHUNK_POINTS)]
    chunk = encode_chunk(Columns(list(range(CHUNK_POINTS)), values, list(range(CHUNK_POINTS))))
    blocks = decode_blocks(chunk.blocks)
    assert len(blocks) == CHUNK_POINTS // BLOCK_POINTS
    assert [block.first_step for block in blocks] == list(range(0, CHUNK_POINTS, BLOCK_POINTS))
    assert sum(block.count for block in blocks) == CHUNK_POINTS
    assert math.fsum(block.sum or 0.0 for block in blocks) == math.fsum(values)
    assert blocks[-1].last_value == values[-1]
