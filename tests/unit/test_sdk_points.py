"""The SDK's point encoding: what the API receives must be exactly what was logged."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from wavedb.points import (
    MAX_BATCH_POINTS,
    MAX_SERIES_BATCH_POINTS,
    _Timestamps,
    encode_points,
    encode_series,
    name_problem,
)
from wavedb_core.models.metric_columns import series_from_json, to_microseconds

moments = st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False)


@given(st.lists(moments, min_size=1, max_size=50))
def test_timestamps_are_written_exactly_as_isoformat_writes_them(seconds: list[float]) -> None:
    timestamps = _Timestamps()
    for value in sorted(seconds):
        assert timestamps(value) == datetime.fromtimestamp(value, UTC).isoformat()


@given(
    st.dictionaries(
        st.sampled_from(["loss", "acc", "lr", "train/loss", 'quote"name']),
        st.one_of(st.floats(), st.integers(min_value=-(2**53), max_value=2**53)),
        min_size=1,
    ),
    st.integers(min_value=0, max_value=2**53),
)
def test_encoded_points_decode_to_the_logged_values(values: dict[str, float], step: int) -> None:
    [batch] = encode_points([(step, 1_795_428_930.25, values)])
    points = json.loads(batch)
    assert [point["name"] for point in points] == list(values)
    for point, logged in zip(points, values.values(), strict=True):
        assert point["step"] == step
        assert point["timestamp"] == "2026-11-23T10:15:30.250000+00:00"
        if isinstance(logged, float) and math.isnan(logged):
            assert point["value"] == "NaN"
        elif logged in (math.inf, -math.inf):
            assert point["value"] == ("Infinity" if logged > 0 else "-Infinity")
        else:
            assert point["value"] == logged
            assert type(point["value"]) is type(logged)


def test_batches_stay_within_the_api_limits() -> None:
    entries = [(step, 0.0, {"a": 1.0, "b": 2.0, "c": 3.0}) for step in range(10_000)]
    batches = encode_points(entries)
    counts = [len(json.loads(batch)) for batch in batches]
    assert sum(counts) == 30_000
    assert max(counts) <= MAX_BATCH_POINTS
    long_names = [(step, 0.0, {"x" * 250: 1.0}) for step in range(8_000)]
    assert all(len(batch) < 1_000_000 for batch in encode_points(long_names))


def test_names_the_api_would_refuse_are_named() -> None:
    assert name_problem("train/loss") is None
    assert name_problem("") is not None
    assert name_problem("a" * 257) is not None
    assert name_problem("loss<script>") is not None
    assert name_problem(3) is not None


@given(st.lists(moments, min_size=1, max_size=20))
def test_encode_series_times_are_the_microseconds_of_isoformat(seconds: list[float]) -> None:
    [(batch, count)] = encode_series(
        [(step, moment, {"x": 1.0}) for step, moment in enumerate(seconds)]
    )
    [series] = json.loads(batch)
    assert count == len(seconds)
    assert series["timestamps_us"] == [
        to_microseconds(datetime.fromtimestamp(moment, UTC)) for moment in seconds
    ]


@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["loss", "acc", "lr", "train/loss", "val loss"]),
            st.one_of(st.floats(), st.integers(min_value=-(2**53), max_value=2**53)),
            min_size=1,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_encode_series_groups_by_name_and_the_api_reads_back_the_logged_values(
    logged: list[dict[str, float]],
) -> None:
    entries = [(step, 1_795_428_930.25, values) for step, values in enumerate(logged)]
    [(batch, count)] = encode_series(entries)

    decoded = {series.name: series for series in series_from_json(json.loads(batch))}

    assert count == sum(len(values) for values in logged)
    for name, series in decoded.items():
        expected = [(step, values[name]) for step, values in enumerate(logged) if name in values]
        assert series.steps == [step for step, _ in expected]
        for stored, (_, value) in zip(series.values, expected, strict=True):
            assert stored == value or (math.isnan(stored) and math.isnan(value))
        assert set(series.times_us or []) == {1_795_428_930_250_000}


def test_encode_series_batches_stay_within_the_api_limits() -> None:
    entries = [(step, 0.0, {"a": 1.0, "b": 2.0, "c": 3.0}) for step in range(40_000)]
    batches = encode_series(entries)
    assert sum(count for _, count in batches) == 120_000
    assert max(count for _, count in batches) <= MAX_SERIES_BATCH_POINTS
    assert all(len(batch) < 1_500_100 for batch, _ in batches)
