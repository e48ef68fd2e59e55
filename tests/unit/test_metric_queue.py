"""Metric batches as queue messages: exact values, size limits, deterministic parts."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime

import pytest

from wavedb_core.models.metric_columns import SeriesColumns, columns_from_points
from wavedb_core.models.metrics import PointIn
from wavedb_core.queue import (
    SQS_MAX_BATCH_ENTRIES,
    SQS_MAX_BYTES,
    BatchPart,
    MalformedMessage,
    decode_part,
    encode,
    encode_batch,
    group_for_sending,
    to_microseconds,
)

RUN = uuid.UUID("9a4f2e6b-1c3d-4e5f-8a7b-6c5d4e3f2a1b")
RECEIVED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_encode_batch_keeps_values_timestamps_and_ids_exactly() -> None:
    msg_id = uuid.uuid4()
    points = [
        PointIn("a/b", math.nan, 0),
        PointIn("a/b", math.inf, 1, timestamp=datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC)),
        PointIn("c", -math.inf, 2**53, msg_id=msg_id, metadata={"k": "v"}),
        PointIn("c", 0.1 + 0.2, 3),
    ]

    (body,) = encode_batch(RUN, "b1", points, received_at=RECEIVED)
    part = decode_part(body)

    assert (part.run_id, part.batch_id, part.part, part.parts) == (RUN, "b1", 0, 1)
    assert part.received_us == to_microseconds(RECEIVED)
    first, second = part.series
    assert (first.name, first.steps, second.name, second.steps) == ("a/b", [0, 1], "c", [2**53, 3])
    assert math.isnan(first.values[0])
    assert first.values[1] == math.inf
    assert first.times_us == [None, to_microseconds(points[1].timestamp)]  # type: ignore[arg-type]
    assert first.msg_ids is None
    assert first.metadata is None
    assert second.values == [-math.inf, 0.1 + 0.2]
    assert second.times_us is None
    assert second.msg_ids == [str(msg_id), None]
    assert second.metadata == [{"k": "v"}, None]


def _points_of(parts: list[BatchPart]) -> list[tuple[str, int, float]]:
    return [
        (series.name, step, value)
        for part in parts
        for series in part.series
        for step, value in zip(series.steps, series.values, strict=True)
    ]


def test_encode_batch_splits_into_parts_under_the_limit_with_their_own_names() -> None:
    points = [PointIn(f"metric-{i % 300}", i / 3, i) for i in range(10_000)]

    bodies = encode_batch(RUN, "big", points, received_at=RECEIVED, limit=40_000)

    assert len(bodies) > 5
    assert all(len(body.encode()) <= 40_000 for body in bodies)
    parts = [decode_part(body) for body in bodies]
    assert [p.part for p in parts] == list(range(len(bodies)))
    assert {p.parts for p in parts} == {len(bodies)}
    by_name = sorted(_points_of(parts))
    assert by_name == sorted((point.name, point.step, point.value) for point in points)


def test_encode_cuts_one_long_series_into_consecutive_slices_under_the_limit() -> None:
    series = [SeriesColumns("loss", list(range(50_000)), [i / 7 for i in range(50_000)])]

    bodies = encode(RUN, "long", series, received_at=RECEIVED, limit=100_000).bodies

    assert len(bodies) > 5
    assert all(len(body.encode()) <= 100_000 for body in bodies)
    parts = [decode_part(body) for body in bodies]
    assert _points_of(parts) == [("loss", i, i / 7) for i in range(50_000)]


def test_encode_digest_is_the_same_for_points_sent_as_rows_or_as_columns() -> None:
    points = [PointIn(name, float(step), step) for step in range(100) for name in ("a", "b")]
    columns = [
        SeriesColumns("a", list(range(100)), [float(step) for step in range(100)]),
        SeriesColumns("b", list(range(100)), [float(step) for step in range(100)]),
    ]

    as_rows = encode(RUN, "x", columns_from_points(points), received_at=RECEIVED)
    as_columns = encode(RUN, "x", columns, received_at=datetime.now(UTC))

    assert as_rows.digest == as_columns.digest
    assert as_rows.digest != encode(RUN, "x", columns[:1], received_at=RECEIVED).digest


def test_decode_part_reads_a_format_1_message_still_on_the_queue() -> None:
    msg_id = str(uuid.uuid4())
    body = json.dumps(
        {
            "v": 1,
            "run": str(RUN),
            "batch": "old",
            "part": 0,
            "parts": 1,
            "t": 5,
            "names": ["a", "b"],
            "points": [[0, 1, 1.5], [1, 2, math.nan, 7], [0, 3, 2, None, msg_id, {"k": 1}]],
        }
    )

    part = decode_part(body)

    a, b = part.series
    assert (a.name, a.steps, a.values, a.times_us) == ("a", [1, 3], [1.5, 2.0], None)
    assert (a.msg_ids, a.metadata) == ([None, msg_id], [None, {"k": 1}])
    assert (b.name, b.steps, b.times_us) == ("b", [2], [7])
    assert math.isnan(b.values[0])


def test_encode_batch_gives_the_same_parts_when_sent_again_later() -> None:
    points = [PointIn(f"m{i % 7}", float(i), i) for i in range(5_000)]

    first = encode_batch(RUN, "b", points, received_at=RECEIVED, limit=20_000)
    again = encode_batch(RUN, "b", points, received_at=datetime.now(UTC), limit=20_000)

    assert [json.loads(b)["series"] for b in first] == [json.loads(b)["series"] for b in again]


def test_group_for_sending_respects_entry_count_and_total_size() -> None:
    bodies = ["x" * 100] * 25 + ["y" * 200_000] * 3

    groups = group_for_sending(bodies)

    assert [number for group in groups for number, _ in group] == list(range(28))
    for group in groups:
        assert len(group) <= SQS_MAX_BATCH_ENTRIES
        assert sum(len(body) for _, body in group) <= SQS_MAX_BYTES


_BAD_SERIES = [
    (2, '{"name":"a","steps":[1],"values":[1,2]}'),
    (2, '{"name":" a","steps":[1],"values":[1]}'),
    (2, '{"name":"a","steps":[-1],"values":[1]}'),
    (2, '{"name":"a","steps":[true],"values":[1]}'),
    (2, '{"name":"a","steps":[1],"values":["1"]}'),
    (2, '{"name":"a","steps":[1],"values":[1],"times":[-1]}'),
    (2, '{"name":"a","steps":[1],"values":[1],"msg_ids":["zz"]}'),
    (2, '{"name":"a","steps":[1],"values":[1],"metadata":[1]}'),
    (3, '{"name":"a","steps":[1],"values":[1]}'),
]


@pytest.mark.parametrize(
    "body",
    [
        "",
        "[]",
        "{}",
        '{"v":1,"run":"x","batch":"b","part":0,"parts":1,"t":0,"names":["a"],"points":[[0,1,1]]}',
        f'{{"v":1,"run":"{RUN}","batch":"b","part":1,"parts":1,"t":0,"names":["a"],"points":[[0,1,1]]}}',
        f'{{"v":1,"run":"{RUN}","batch":"b","part":0,"parts":1,"t":0,"names":["a"],"points":[[1,1,1]]}}',
        f'{{"v":1,"run":"{RUN}","batch":"b","part":0,"parts":1,"t":0,"names":["a"],"points":[[0,-1,1]]}}',
        f'{{"v":1,"run":"{RUN}","batch":"b","part":0,"parts":1,"t":0,"names":["a"],"points":[[0,1,"1"]]}}',
        f'{{"v":1,"run":"{RUN}","batch":"b","part":0,"parts":1,"t":0,"names":["a"],"points":[[0,1,1,null,"zz"]]}}',
        f'{{"v":1,"run":"{RUN}","batch":"b","part":0,"parts":1,"t":0,"names":["a"],"points":[]}}',
        f'{{"v":2,"run":"{RUN}","batch":"b","part":0,"parts":1,"t":0,"series":[]}}',
        *(
            f'{{"v":{version},"run":"{RUN}","batch":"b","part":0,"parts":1,"t":0,"series":[{series}]}}'
            for version, series in _BAD_SERIES
        ),
    ],
)
def test_decode_part_refuses_what_is_not_a_batch_part(body: str) -> None:
    with pytest.raises(MalformedMessage):
        decode_part(body)
