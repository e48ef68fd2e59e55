"""Metric batches as queue messages: exact values, size limits, deterministic parts."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime

import pytest

from wavedb_core.models.metrics import PointIn
from wavedb_core.queue import (
    SQS_MAX_BATCH_ENTRIES,
    SQS_MAX_BYTES,
    MalformedMessage,
    decode_part,
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
    assert part.names == ["a/b", "c"]
    assert math.isnan(part.points[0][2])
    assert part.points[1] == [0, 1, math.inf, to_microseconds(points[1].timestamp)]  # type: ignore[arg-type]
    assert part.points[2] == [1, 2**53, -math.inf, None, str(msg_id), {"k": "v"}]
    assert part.points[3] == [1, 3, 0.1 + 0.2]


def test_encode_batch_splits_into_parts_under_the_limit_with_their_own_names() -> None:
    points = [PointIn(f"metric-{i % 300}", i / 3, i) for i in range(10_000)]

    bodies = encode_batch(RUN, "big", points, received_at=RECEIVED, limit=40_000)

    assert len(bodies) > 5
    assert all(len(body.encode()) <= 40_000 for body in bodies)
    parts = [decode_part(body) for body in bodies]
    assert [p.part for p in parts] == list(range(len(bodies)))
    assert {p.parts for p in parts} == {len(bodies)}
    decoded = [(p.names[row[0]], row[1], row[2]) for p in parts for row in p.points]
    assert decoded == [(point.name, point.step, point.value) for point in points]


def test_encode_batch_gives_the_same_parts_when_sent_again_later() -> None:
    points = [PointIn(f"m{i % 7}", float(i), i) for i in range(5_000)]

    first = encode_batch(RUN, "b", points, received_at=RECEIVED, limit=20_000)
    again = encode_batch(RUN, "b", points, received_at=datetime.now(UTC), limit=20_000)

    assert [json.loads(b)["points"] for b in first] == [json.loads(b)["points"] for b in again]


def test_group_for_sending_respects_entry_count_and_total_size() -> None:
    bodies = ["x" * 100] * 25 + ["y" * 200_000] * 3

    groups = group_for_sending(bodies)

    assert [number for group in groups for number, _ in group] == list(range(28))
    for group in groups:
        assert len(group) <= SQS_MAX_BATCH_ENTRIES
        assert sum(len(body) for _, body in group) <= SQS_MAX_BYTES


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
    ],
)
def test_decode_part_refuses_what_is_not_a_batch_part(body: str) -> None:
    with pytest.raises(MalformedMessage):
        decode_part(body)
